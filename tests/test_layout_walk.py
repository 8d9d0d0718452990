"""Nothing on screen is cut, out of view, overflowing or labelled on one side only (issue 12): the
window's widget tree walked at the three sizes it is shown at, in normal and lecture mode, with
runs compared and with a lesson, in each shipped layout with each view brought to the front.

One window per size, mode and run, shared by the layouts' tests (building and training one costs
more than walking it); each test lists every defect it finds, named by the window's state, the
widget's path and the figures (see ``layout_walk.py``).
"""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from momentum_lab._qt.controller import LaneSettings, RunConfig, RunController
from momentum_lab._qt.views import LAYOUTS, VIEWS
from momentum_lab._qt.window import MainWindow

from layout_walk import known_open, walk
from test_gui import TIMEOUT, kernels_ready  # noqa: F401 (fixture)

pytestmark = pytest.mark.walk  # (make walk runs these: see the Makefile)

SIZES = {"1280x720": (1280, 720), "1600x1000": (1600, 1000), "1920x1080": (1920, 1080)}
MODES = ("normal", "lecture")
#: The runs on show: the window's own run; A with B and C beside it; lesson 6 (two runs, one
#: diverges; the stability map in front).
RUNS = ("single", "compare", "lesson6")
COMPARED = RunConfig(compare=(LaneSettings("classical", 0.02, 0.9), LaneSettings("nesterov", 0.005, 0.3)))
#: A few epochs, so that every plot has something drawn (lesson 6: past its jump at epoch 3, so
#: that run A has diverged and its banner is up).
EPOCHS = {"single": 3, "compare": 3, "lesson6": 4}


def app_as_run_gui_styles_it():
    """The font and the plots' colours ``gui.run_gui`` gives the application (the tests' windows
    are built without it): the sizes are measured in the font a person sees."""
    import pyqtgraph as pg

    app = QApplication.instance()
    font = QFont(app.font())  # (a copy: the one put back below must be the font of before)
    before = (QFont(font), {key: pg.getConfigOption(key) for key in ("antialias", "background", "foreground")})
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)
    pg.setConfigOptions(antialias=True, background="w", foreground="#111")
    return before


def restore_app(before) -> None:
    import pyqtgraph as pg

    font, options = before
    QApplication.instance().setFont(font)
    pg.setConfigOptions(**options)


@pytest.fixture(scope="module", params=[(size, mode, run) for size in SIZES for mode in MODES for run in RUNS],
                ids=lambda p: "-".join(p))
def shown(request, qapp):
    """(the state's name, a window at that size and mode with its run trained ``EPOCHS[run]`` epochs,
    its bot, the size it is shown at)."""
    size, mode, run = request.param
    bot = QtBot(request)
    before = app_as_run_gui_styles_it()
    with pytest.MonkeyPatch.context() as patch:
        for kind in ("warning", "information", "critical", "about"):
            patch.setattr(QMessageBox, kind, lambda *args, kind=kind, **kw: pytest.fail(f"a {kind} box: {args[2]}"))
        controller = RunController(COMPARED if run == "compare" else RunConfig())
        window = MainWindow(controller)
        try:
            window.resize(*SIZES[size])
            window.show()
            bot.waitUntil(lambda: controller.latest is not None and not controller.busy, timeout=TIMEOUT)
            if run == "lesson6":
                window.open_lesson("divergence-stability-map")
                bot.waitUntil(lambda: controller.lanes and len(controller.lanes) == 2 and not controller.busy,
                              timeout=TIMEOUT)
            controller.set_speed(math.inf)
            controller.set_max_epochs(EPOCHS[run])
            controller.start()
            bot.waitUntil(lambda: controller.state in ("finished", "diverged"), timeout=TIMEOUT)
            window.set_lecture_mode(mode == "lecture")
            bot.waitUntil(lambda: window.views.layout == ("Lecture" if mode == "lecture" else "Explore"),
                          timeout=TIMEOUT)
            yield f"{size} {mode} {run}", window, bot, QSize(*SIZES[size])
        finally:
            window.close()
            restore_app(before)


def bring_to_front(bot: QtBot, window: MainWindow, view: str) -> None:
    """``view`` brought to the front (its key), every view redrawn and painted at its size."""
    window.views.show(view)
    bot.waitUntil(lambda: window.views.shown(view), timeout=TIMEOUT)
    settle(window)


def settle(window: MainWindow) -> None:
    """Twice: the layouts Qt has been asked for done (posted events), the views redrawn at their
    new sizes and painted (the plots lay out their axes in a paint), and once more, as a view's
    ranges and ticks follow its size at the redraw after it."""
    for _ in range(2):
        QApplication.sendPostedEvents()
        window.refresh()
        window.grab()


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_nothing_on_screen_is_cut_out_of_view_or_labelled_on_one_side(shown, layout):
    state, window, bot, want = shown
    seen: dict[str, list[str]] = {}
    walked: set[frozenset[str]] = set()
    window.resize(want)  # (an earlier layout may have made it grow)
    window.apply_layout(layout)
    for view in VIEWS:
        bring_to_front(bot, window, view)
        on_screen = frozenset(name for name in VIEWS if window.views.shown(name))
        if on_screen in walked:
            continue  # (Everything shows them all whichever is in front)
        walked.add(on_screen)
        found = [str(finding) for finding in walk(window) if not known_open(str(finding))]
        if window.size() != want:  # (the parts' minimum sizes add up to more than the window has)
            found.append(f"window grown: {window.width()}×{window.height()} px, shown at {want.width()}×{want.height()}")
        for finding in found:
            seen.setdefault(finding, []).append(view)
    report = [f"{state} {layout}, view in front {', '.join(views) if len(views) < len(walked) else 'any'}: {text}"
              for text, views in sorted(seen.items())]
    assert not report, f"{len(report)} defects:\n" + "\n".join(report)


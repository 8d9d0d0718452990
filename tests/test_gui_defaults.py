"""Issue 12, defaults and feedback: the window opens paused at a speed a person can follow with the
command line's epoch limit; the limit and the speed on show are the ones in use; "preparing" says
what it does, and a Start meanwhile is kept; adding a run says every run starts again."""

from __future__ import annotations

import io
import math

import pytest
from PySide6.QtCore import QSettings, Qt

import momentum_lab as ml
import momentum_lab._qt.controller as controller_module
from momentum_lab.cli import main
from momentum_lab.engine._lessons import load_lessons
from momentum_lab._qt import gui
from momentum_lab._qt.controller import RunConfig, RunController
from momentum_lab._qt.panel import NO_LIMIT
from momentum_lab._qt.widgets import DEFAULT_SPEED
from momentum_lab._qt.window import MainWindow, saved_config

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window, run_gui_and_look  # noqa: F401 (fixtures)

LESSONS, _ = load_lessons()
# Network shapes only these tests build: each is new to the window's controllers in the process.
NEW_SHAPES = (11, 12, 13, 14)


@pytest.fixture(scope="module", autouse=True)
def shapes_ready(kernels_ready):  # noqa: F811 (the fixture imported above)
    """Their kernels compiled here, in the main thread (see kernels_ready in test_gui): the window's
    controllers have still not built them, so they say they compile them."""
    for hidden in NEW_SHAPES:
        ml.train("iris", hidden=hidden, epochs=1)
    ml.replay(LESSONS[0].scenario, epochs=1)


def wait_ready(qtbot, c: RunController) -> None:
    qtbot.waitUntil(lambda: not c.busy and c.latest is not None, timeout=TIMEOUT)


def count_starts(c: RunController) -> list[int]:
    """The starts the controller sends its worker, counted."""
    sent: list[int] = []
    c._start.connect(lambda: sent.append(1))
    return sent


# -- 1. the window's defaults ------------------------------------------------------------------


def test_the_window_opens_paused_at_a_followable_speed_with_the_command_lines_epoch_limit(
        qtbot, monkeypatch, tmp_path, dialogs):
    assert 100 <= DEFAULT_SPEED <= 200
    seen = {}

    def look(w: MainWindow) -> None:
        c, p = w.controller, w.panel
        seen.update(state=c.state, limit=c.max_epochs, speed=c.speed, box=p.max_epochs.value(),
                    shown=p.speed.speed(), label=p.speed.label.text())

    assert run_gui_and_look(monkeypatch, tmp_path / "settings.ini", look) == 0
    assert seen["state"] == "paused"
    assert seen["limit"] == seen["box"] == 100 and seen["speed"] == seen["shown"] == DEFAULT_SPEED
    assert seen["label"] == f"{DEFAULT_SPEED:g} items/s"
    assert dialogs == []


def test_gui_speed_and_epochs_show_in_the_panel(qtbot, monkeypatch, tmp_path, dialogs):
    seen = {}

    def look(w: MainWindow) -> None:
        seen.update(speed=w.panel.speed.speed(), label=w.panel.speed.label.text(), box=w.panel.max_epochs.value())

    assert run_gui_and_look(monkeypatch, tmp_path / "settings.ini", look, speed=7.5, epochs=12) == 0
    assert seen == {"speed": 7.5, "label": "7.5 items/s", "box": 12}


def test_the_gui_command_opens_with_100_epochs_unless_told(monkeypatch):
    import momentum_lab._qt._app as app

    calls: list[dict] = []
    monkeypatch.setattr(app, "has_display", lambda: True)
    monkeypatch.setattr(gui, "run_gui", lambda config, **kwargs: calls.append(kwargs) or 0)
    for argv in (["gui"], ["gui", "--epochs", "7"], ["gui", "--lesson", LESSONS[0].name]):
        assert main(argv, out=io.StringIO(), err=io.StringIO()) == 0
    assert [call["epochs"] for call in calls] == [100, 7, 0]  # 0: the lesson's own limit
    assert calls[0]["speed"] is None  # (the window's: the remembered one, or DEFAULT_SPEED)


def test_the_limit_box_sets_the_epoch_limit_and_infinity_is_none(qtbot, open_window, dialogs):
    w = open_window()
    c, box = w.controller, w.panel.max_epochs
    assert box.value() == c.max_epochs == 0 and box.text() == NO_LIMIT
    box.setValue(7)
    assert c.max_epochs == 7 and box.text() == "7"
    box.setValue(0)
    assert c.max_epochs == 0 and box.text() == NO_LIMIT
    # Typed, as a person would: it takes effect once the typing is done, and training stops there.
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "2")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert c.max_epochs == 2
    c.set_speed(math.inf)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    assert c.latest.epoch == 2
    # Why the run began ("Ready") is not left beside "finished".
    assert w.statusBar().currentMessage() == "" and "finished" in w.status_labels["state"].text()
    # Set elsewhere (a scenario, the command line): the box shows it.
    c.set_max_epochs(30)
    assert box.value() == 30


def test_a_lessons_limit_and_speed_show_in_the_panel(qtbot, open_window, dialogs):
    w = open_window()
    c, p = w.controller, w.panel
    lesson = LESSONS[0]
    assert lesson.scenario.epochs and lesson.scenario.speed
    assert w.open_lesson(lesson.name)
    wait_ready(qtbot, c)
    assert c.max_epochs == p.max_epochs.value() == lesson.scenario.epochs
    assert c.speed == p.speed.speed() == lesson.scenario.speed
    assert p.speed.label.text() == f"{lesson.scenario.speed:g} items/s"


# -- 3. the speed on show is the speed in use ----------------------------------------------------


def test_the_speed_field_shows_the_speed_set_anywhere(qtbot, open_window, dialogs):
    w = open_window()
    c, speed = w.controller, w.panel.speed
    c.set_speed(5)
    assert speed.speed() == 5 and speed.label.text() == "5 items/s"
    qtbot.keyClick(w, Qt.Key.Key_Equal)  # faster: the next speed offered
    assert c.speed == speed.speed() == 10 and speed.label.text() == "10 items/s"
    qtbot.keyClick(w, Qt.Key.Key_Minus)
    assert c.speed == speed.speed() == 5
    c.set_speed(math.inf)
    assert speed.label.text() == "flat out"


def test_a_run_made_from_a_lessons_is_not_remembered_either(qtbot, tmp_path, dialogs):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("options", json_options(hidden=5))
    settings.setValue("speed", "20.0")
    c = RunController(RunConfig(hidden=5))
    w = MainWindow(c, settings=settings)
    w.show()
    wait_ready(qtbot, c)
    assert w.open_lesson(0)
    wait_ready(qtbot, c)
    c.set_speed(3)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        c.apply(seed=4)  # the lesson's run, another seed: still the lesson's settings
    assert c.origin == "lesson"
    w.close()
    assert saved_config(settings) == (RunConfig(hidden=5), 20.0)


def json_options(**fields) -> str:
    import json

    data = ml.Scenario(RunConfig()).to_dict()
    data.update(fields)
    return json.dumps(data)


# -- 2. preparing: what it does, and a Start meanwhile -----------------------------------------------


def test_preparing_text_names_the_network_shape_it_compiles(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    assert c.preparing_text() == ""
    controller_module._BUILT_SHAPES.discard((4, 11, 3))
    c.apply(hidden=11)
    assert c.state == "preparing"
    text = c.preparing_text()
    assert text == "compiling the training kernel for a 4-11-3 network (about 5 s, once)"
    assert w.panel.preparing.isVisibleTo(w.panel) and "4-11-3" in w.panel.preparing.text()
    wait_ready(qtbot, c)
    assert c.preparing_text() == "" and not w.panel.preparing.isVisibleTo(w.panel)
    c.apply(seed=3)  # the same shape again: built in this process already
    assert c.preparing_text() == "preparing the run"
    wait_ready(qtbot, c)


def test_start_while_preparing_starts_the_run_once_it_is_ready(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.set_speed(math.inf)
    starts = count_starts(c)
    c.apply(hidden=13)
    assert c.state == "preparing" and w.panel.start_button.isEnabled()
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert c.start_wanted and starts == []  # kept: sent now, the worker would start the old run
    assert c.preparing_text().endswith("; it starts when ready") and w.panel.start_button.text() == "Pause"
    qtbot.waitUntil(lambda: c.state == "running", timeout=TIMEOUT)
    assert c.layout.n_hidden == 13 and not c.busy and not c.start_wanted and starts == [1]
    qtbot.waitUntil(lambda: c.latest.epoch >= 1, timeout=TIMEOUT)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "paused"):
        qtbot.mouseClick(w.panel.start_button, Qt.MouseButton.LeftButton)


def test_the_start_button_while_preparing_is_kept_too(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.apply(hidden=14)
    qtbot.mouseClick(w.panel.start_button, Qt.MouseButton.LeftButton)
    assert c.start_wanted
    qtbot.waitUntil(lambda: c.state == "running", timeout=TIMEOUT)
    assert c.layout.n_hidden == 14


def test_pause_while_preparing_cancels_the_start(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    starts = count_starts(c)
    c.apply(hidden=12)
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert c.start_wanted
    qtbot.keyClick(w, Qt.Key.Key_Space)  # Pause: the Start is cancelled
    assert not c.start_wanted and w.panel.start_button.text() == "Start"
    assert not c.preparing_text().endswith("when ready")
    wait_ready(qtbot, c)
    assert c.layout.n_hidden == 12 and c.state == "paused" and starts == []
    c.step_item()  # (a batch more from the worker: still paused, one step on)
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    assert c.state == "paused" and starts == []


def test_a_start_before_the_first_run_is_built_is_kept(qtbot, dialogs):
    c = RunController(RunConfig())
    w = MainWindow(c)
    try:
        w.show()
        assert c.state == "preparing"
        c.start()
        qtbot.waitUntil(lambda: c.state == "running", timeout=TIMEOUT)
    finally:
        w.close()


# -- 4. adding a run says every run starts again ---------------------------------------------------


def test_adding_and_removing_a_run_say_every_run_starts_again(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT) as blocker:
        qtbot.mouseClick(w.panel.add_lane_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["run B added: every run starts again from the same start"]
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Run B added"), timeout=TIMEOUT)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT) as blocker:
        c.remove_lane(1)
    assert blocker.args == ["run B removed: run A starts again from the same start"]


def test_the_window_opens_at_1600_by_1000_or_at_the_screen_s_free_area_where_that_is_smaller():
    """(A 1280×720 projector: the whole window on it, maximized so that a frame fits too.) What
    the screen's size cuts is cut to it, the other side keeps the default."""
    assert gui.first_size(None) == ((1600, 1000), False)  # no screen known (offscreen)
    assert gui.first_size((1920, 1050)) == ((1600, 1000), False)
    assert gui.first_size((1680, 1023)) == ((1600, 1000), True)  # (a 27 px panel: no room for the frame)
    assert gui.first_size((1280, 690)) == ((1280, 690), True)
    assert gui.first_size((1600, 900)) == ((1600, 900), True)
    assert gui.first_size((1400, 1200)) == ((1400, 1000), True)

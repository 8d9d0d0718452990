"""The view area: the core two views in the centre, every other view a dock that can be shown,
brought up big, arranged by a named layout, or kept as the user's own layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from momentum_lab._qt.controller import RunConfig, RunController
from momentum_lab._qt.views import LAYOUTS, VIEWS
from momentum_lab._qt.window import MainWindow

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)


def area(widget) -> int:
    return widget.width() * widget.height()


def on_screen(w) -> set[str]:
    return {name for name in VIEWS if w.views.shown(name)}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_core_two_views_are_the_biggest_in_every_layout(qtbot, open_window, layout):
    w = open_window(size=(1600, 1000))
    w.apply_layout(layout)
    expected = {"Everything": set(VIEWS), "Lecture": set(), "Explore": {"network", "regions"}}[layout]
    # (Everything: every view at once; Lecture: the core two alone, a key brings a view up beside them.)
    qtbot.waitUntil(lambda: w.views.layout == layout and on_screen(w) == expected, timeout=TIMEOUT)
    core = min(area(w.curves.loss_view), area(w.delta_panel.trace_view))
    others = [w.views.docks[name].widget() for name in on_screen(w)]
    assert all(area(other) < core for other in others), (layout, core, [area(o) for o in others])


def test_a_key_shows_a_view_and_again_brings_it_up_big_and_esc_goes_back(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    qtbot.keyClick(w, Qt.Key.Key_5)
    qtbot.waitUntil(lambda: w.views.shown("stability"), timeout=TIMEOUT)
    assert not w.views.shown("regions")  # (the same tabs)
    normal = w.stability.width()
    qtbot.keyClick(w, Qt.Key.Key_5)
    qtbot.waitUntil(lambda: w.views.big is not None and w.stability.width() > normal, timeout=TIMEOUT)
    assert on_screen(w) == {"stability"}
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.views.big is None and "network" in on_screen(w), timeout=TIMEOUT)
    assert w.views.shown("stability") and w.stability.width() == normal


def test_the_view_menu_lists_every_view_with_its_key_and_the_layouts(open_window):
    w = open_window()
    items = [(a.text(), a.shortcut().toString()) for a in w.view_menu.actions()]
    for title, key in VIEWS.values():
        assert (title, key) in items
    layouts = [a.text() for a in w.layouts_menu.actions() if a.text()]
    assert layouts[:len(LAYOUTS)] == list(LAYOUTS) and layouts[-1] == "Save this layout as…"


def remembering_window(qtbot, settings: QSettings) -> MainWindow:
    """A 1600×1000 window keeping its layout in ``settings`` (as between launches), its run on show."""
    c = RunController(RunConfig())
    w = MainWindow(c, settings=settings)
    try:
        w.resize(1600, 1000)
        w.show()
        qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
    except BaseException:
        w.close()  # (its thread stopped)
        raise
    return w


def test_a_layout_of_ones_own_is_saved_listed_and_restored_across_launches(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = remembering_window(qtbot, settings)
    try:
        w.apply_layout("Everything")
        qtbot.waitUntil(lambda: on_screen(w) == set(VIEWS), timeout=TIMEOUT)
        w.save_layout("six at once")
        assert "six at once" in [a.text() for a in w.layouts_menu.actions()]
        w.apply_layout("Explore")
        qtbot.waitUntil(lambda: on_screen(w) == {"network", "regions"}, timeout=TIMEOUT)
    finally:
        w.close()
    w2 = remembering_window(qtbot, settings)
    try:
        assert "six at once" in [a.text() for a in w2.layouts_menu.actions()]
        w2.apply_layout("six at once")
        qtbot.waitUntil(lambda: on_screen(w2) == set(VIEWS), timeout=TIMEOUT)
    finally:
        w2.close()


def test_lecture_mode_keeps_a_lessons_view_in_front(qtbot, open_window):
    """Lesson 6 points at the stability map: lecture mode's layout keeps it beside the core two."""
    w = open_window(size=(1920, 1080))
    w.open_lesson("divergence-stability-map")
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.views.layout == "Lecture" and w.views.shown("stability"), timeout=TIMEOUT)
    assert area(w.stability) < area(w.curves.loss_view) * 2  # beside them, not over them
    w.set_lecture_mode(False)
    qtbot.waitUntil(lambda: w.views.layout == "Explore" and w.views.shown("stability"), timeout=TIMEOUT)


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000), (1920, 1080)])
@pytest.mark.parametrize("lecture", [False, True])
def test_the_controls_never_scroll_sideways_or_cut_their_fields(qtbot, open_window, size, lecture):
    w = open_window(size=size)
    w.set_lecture_mode(lecture)
    qtbot.waitUntil(lambda: w.dock.width() > 0, timeout=TIMEOUT)
    scroll = w._controls_scroll
    assert not scroll.horizontalScrollBar().isVisible()
    viewport = scroll.viewport().width()
    assert w.panel.minimumSizeHint().width() <= viewport + 1, (w.panel.minimumSizeHint().width(), viewport)


def test_lecture_mode_shows_every_runs_live_settings_large_and_follows_them(qtbot, open_window):
    from momentum_lab._qt.controller import LaneSettings

    w = open_window(RunConfig(lr=0.01, momentum=0.5, compare=(LaneSettings("classical", 0.02, 0.9),)),
                    size=(1280, 720))
    assert not w.readout.isVisible()
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.readout.isVisible(), timeout=TIMEOUT)
    text = w.readout.text()
    assert "A look-back · lr 0.01 · momentum 0.5" in text and "B classical · lr 0.02 · momentum 0.9" in text
    assert w.readout.font().pointSizeF() >= 20 and w.readout.width() <= w.centralWidget().width()
    w.controller.set_lr(0.05)
    w.refresh()
    assert "A look-back · lr 0.05" in w.readout.text()  # (what the panel shows, at once)
    status = w.status_labels["loss"]
    assert status.font().pointSizeF() >= 12 and status.width() >= status.fontMetrics().horizontalAdvance(
        "train loss 0.0000")


def test_page_down_and_up_go_to_the_next_and_previous_lesson(qtbot, open_window):
    w = open_window()
    w.open_lesson(0)
    qtbot.waitUntil(lambda: w.lesson_panel.current == 0, timeout=TIMEOUT)
    w.curves.loss_view.setFocus()  # (the plots have the keyboard: the lesson text would page first)
    qtbot.keyClick(w, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: w.lesson_panel.current == 1, timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: w.lesson_panel.current == 0, timeout=TIMEOUT)


def test_page_keys_belong_to_a_field_or_text_with_the_keyboard(qtbot, open_window):
    """(review) PageDown in the learning-rate box stepped to the next lesson and replaced the run."""
    w = open_window()
    run_id = w.controller.run_id
    w.panel.lr.setFocus()
    qtbot.waitUntil(lambda: w.panel.lr.hasFocus(), timeout=TIMEOUT)
    qtbot.keyClick(w.panel.lr, Qt.Key.Key_PageDown)
    assert w.controller.origin != "lesson" and not w.controller.busy and w.controller.run_id == run_id


def test_quitting_in_lecture_mode_or_with_a_view_big_keeps_the_users_layout(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for finish in ("lecture", "big"):
        w = remembering_window(qtbot, settings)
        try:
            if finish == "lecture":
                w.set_lecture_mode(True)
                qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
            else:
                w.views.press("sweep")
                w.views.press("sweep")
                assert w.views.big is not None
        finally:
            w.close()
        w2 = remembering_window(qtbot, settings)
        try:
            qtbot.waitUntil(lambda: on_screen(w2) >= {"network"}, timeout=TIMEOUT)
            assert len(on_screen(w2)) >= 2, finish  # not lecture's empty area, not one view big
        finally:
            w2.close()

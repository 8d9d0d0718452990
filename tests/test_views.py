"""The view area: the core two views in the centre, every other view a dock that can be shown,
brought up big, arranged by a named layout, or kept as the user's own layout."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, QSettings, QSizeF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextDocument
from PySide6.QtWidgets import QAbstractSpinBox, QTabBar

from momentum_lab._qt.controller import LaneSettings, RunConfig, RunController
from momentum_lab._qt.views import CELL, LAYOUTS, VIEWS, arrangement, fold
from momentum_lab._qt.window import MainWindow

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)

#: Three runs, their points apart on the map (A and C at small lr × λ, B at a large one).
COMPARED_THREE = RunConfig(compare=(LaneSettings("classical", 0.5, 0.9), LaneSettings("nesterov", 0.005, 0.3)))


def area(widget) -> int:
    return widget.width() * widget.height()


def on_screen(w) -> set[str]:
    return {name for name in VIEWS if w.views.shown(name)}


SIZES = [(1280, 720), (1600, 1000), (1920, 1080)]


def core_area(w) -> int:
    return min(area(w.curves.loss_view), area(w.delta_panel.trace_view))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
@pytest.mark.parametrize("layout", list(LAYOUTS) + ["lesson 6"])
def test_the_core_two_views_are_the_biggest_in_every_layout(qtbot, open_window, layout, lecture, size):
    """At every size, in both modes, in every layout (and beside lesson 6's stability map), each of
    the core two has more room than any other view on show, and the window keeps its size."""
    w = open_window(size=size)
    if layout == "lesson 6":
        w.open_lesson("divergence-stability-map")
        expected = {"stability"} | (set() if lecture else {"network"})
    else:
        expected = {"Lecture": set(), "Explore": {"network", "regions"}}.get(layout)
    w.set_lecture_mode(lecture)
    qtbot.waitUntil(lambda: w.views.layout == ("Lecture" if lecture else "Explore"), timeout=TIMEOUT)
    if layout != "lesson 6":
        w.apply_layout(layout)
    # (Everything: a view of each group at once, see the test below; Lecture: the core two alone, a
    # key brings a view up beside them.)
    qtbot.waitUntil(lambda: (on_screen(w) == expected if expected is not None else len(on_screen(w)) == w.views.groups)
                    and w.size().toTuple() == size, timeout=TIMEOUT)
    others = {name: area(w.views.docks[name].widget()) for name in on_screen(w)}
    assert all(a < core_area(w) for a in others.values()), (core_area(w), others)


#: How many groups Everything shows side by side at each size, normal and lecture mode: all six
#: where each has room to be read (CELL), fewer where it has not (at 1280×720 six were 220×110 px).
EVERYTHING_GROUPS = {((1280, 720), False): 2, ((1280, 720), True): 2, ((1600, 1000), False): 6,
                     ((1600, 1000), True): 3, ((1920, 1080), False): 6, ((1920, 1080), True): 6}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_everything_shows_as_many_views_as_have_room_to_be_read(qtbot, open_window, lecture, size):
    """Everything folds its six groups into fewer, with more tabs each, where six would not be
    readable; every view stays reachable (a tab), and each on show has the room CELL asks for."""
    w = open_window(size=size)
    w.set_lecture_mode(lecture)
    qtbot.waitUntil(lambda: w.views.layout == ("Lecture" if lecture else "Explore"), timeout=TIMEOUT)
    w.apply_layout("Everything")
    groups = EVERYTHING_GROUPS[size, lecture]
    qtbot.waitUntil(lambda: len(on_screen(w)) == groups == w.views.groups and w.size().toTuple() == size,
                    timeout=TIMEOUT)
    cell_width, cell_height = CELL[lecture]

    def cramped() -> dict[str, tuple[int, int]]:
        views = {name: w.views.docks[name].widget() for name in on_screen(w)}
        return {name: view.size().toTuple() for name, view in views.items()
                if view.width() < cell_width or view.height() < cell_height}
    try:  # (the docks take their heights once the layout has run: a moment later)
        qtbot.waitUntil(lambda: not cramped(), timeout=TIMEOUT)
    except Exception:
        raise AssertionError(f"views smaller than {CELL[lecture]}: {cramped()}") from None
    assert all(not w.views.docks[name].isHidden() for name in VIEWS)  # (each a tab, if not in front)
    if groups < len(LAYOUTS["Everything"][0]):
        assert w.statusBar().currentMessage() == f"In {groups} tab groups"


def test_a_layout_folds_its_groups_in_order_into_as_many_as_fit():
    assert fold(list("abcdefg"), 6) == (("a", "b"), ("c",), ("d",), ("e",), ("f",), ("g",))
    assert fold(list("abcdefg"), 3) == (("a", "b", "c"), ("d", "e"), ("f", "g"))
    assert fold(list("abc"), 5) == (("a",), ("b",), ("c",))
    groups, share, columns, _ = LAYOUTS["Everything"]
    assert arrangement("Everything", 2000, 2000, True) == LAYOUTS["Everything"]
    # One column of two groups: the share of Explore's arrangement (the core two keep the most room).
    folded, narrower, one, _ = arrangement("Everything", 900, 600, False)
    assert one == 1 and len(folded) == 2 and narrower < share and sum(map(len, folded)) == len(VIEWS)
    assert arrangement("Lecture", 300, 300, True) == LAYOUTS["Lecture"]  # (one group: nothing to fold)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
@pytest.mark.parametrize("view", ["stability", "sweep"])
def test_a_view_brought_up_beside_the_core_two_stays_smaller_than_they(qtbot, open_window, view, lecture, size):
    w = open_window(size=size)
    w.set_lecture_mode(lecture)
    w.apply_layout("Lecture")
    w.show_view(view)
    qtbot.waitUntil(lambda: on_screen(w) == {view} and w.size().toTuple() == size, timeout=TIMEOUT)
    dock = w.views.docks[view]
    qtbot.waitUntil(lambda: dock.width() >= 0.15 * w.width(), timeout=TIMEOUT)  # (opened at its width)
    assert area(dock.widget()) < core_area(w), (area(dock.widget()), core_area(w))


def visible_dock_tab_bars(w):
    """The dock areas' tab bars on screen (Qt parks a spare one, empty, far outside the window)."""
    return [bar for bar in w.findChildren(QTabBar) if bar.parent() is w and bar.isVisible()
            and bar.geometry().intersects(w.rect())]


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_every_tab_bar_on_screen_sits_on_its_views(qtbot, open_window, lecture):
    """Re-arranged, Qt left the tab bars of an earlier arrangement on screen, over the controls."""
    w = open_window(size=(1280, 720))
    w.open_lesson("divergence-stability-map")
    w.set_lecture_mode(lecture)
    for layout in ("Everything", "Explore", "Lecture", "Explore"):
        w.apply_layout(layout)
        qtbot.waitUntil(lambda: w.views.layout == layout, timeout=TIMEOUT)

        def placed():
            if not visible_dock_tab_bars(w) and layout not in ("Lecture", "Everything"):
                return f"{layout}: no tab bar on screen"
            for bar in visible_dock_tab_bars(w):
                titles = {bar.tabText(i) for i in range(bar.count())}
                under = [d for d in w.views.docks.values() if d.isVisible() and d.windowTitle() in titles
                         and abs(d.geometry().top() - bar.geometry().bottom() - 1) <= 3]
                if not under:
                    return f"{layout}: a bar of {sorted(titles)} at {bar.geometry().getRect()} over no view"
            return ""
        try:
            qtbot.waitUntil(lambda: placed() == "", timeout=TIMEOUT)
        except Exception:
            raise AssertionError(placed()) from None
        bars = visible_dock_tab_bars(w)
        assert all(w.rect().contains(bar.geometry()) for bar in bars), [b.geometry() for b in bars]


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
        qtbot.waitUntil(lambda: on_screen(w) == set(VIEWS) - {"summary"}, timeout=TIMEOUT)
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
        qtbot.waitUntil(lambda: on_screen(w2) == set(VIEWS) - {"summary"}, timeout=TIMEOUT)
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


def test_a_layout_arranged_by_hand_or_restored_is_not_rearranged_by_lecture_mode(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = remembering_window(qtbot, settings)
    try:
        assert w.views.layout == "Explore"
        # The user drags the stability map out of its tabs, to the left of the window.
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.views.docks["stability"])
        assert w.views.layout == ""
        w.set_lecture_mode(True)
        qtbot.waitUntil(lambda: w.readout.isVisible(), timeout=TIMEOUT)
        qtbot.waitUntil(lambda: w.lecture_action.isChecked() and w.views.layout == "", timeout=TIMEOUT)
        assert w.dockWidgetArea(w.views.docks["stability"]) == Qt.DockWidgetArea.LeftDockWidgetArea
        w.set_lecture_mode(False)
    finally:
        w.close()
    w2 = remembering_window(qtbot, settings)  # the next launch: the same arrangement, still the user's
    try:
        assert w2.dockWidgetArea(w2.views.docks["stability"]) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert w2.views.layout == ""
        w2.set_lecture_mode(True)
        w2.set_lecture_mode(False)
        qtbot.waitUntil(lambda: not w2.readout.isVisible(), timeout=TIMEOUT)
        assert w2.dockWidgetArea(w2.views.docks["stability"]) == Qt.DockWidgetArea.LeftDockWidgetArea
        w2.apply_layout("Everything")
        w2.close()
    finally:
        w2.close()
    w3 = remembering_window(qtbot, settings)  # a named layout is remembered by its name
    try:
        assert w3.views.layout == "Everything"
    finally:
        w3.close()


def test_closing_the_view_up_big_puts_the_others_back_without_it(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    w.views.press("stability")
    w.views.press("stability")
    qtbot.waitUntil(lambda: on_screen(w) == {"stability"}, timeout=TIMEOUT)
    w.views.docks["stability"].close()  # (its close button)
    qtbot.waitUntil(lambda: w.views.big is None and "network" in on_screen(w), timeout=TIMEOUT)
    assert w.views.docks["stability"].isHidden() and w.views.layout == "Explore"
    w.views.press("sweep")  # a key works as before
    qtbot.waitUntil(lambda: w.views.shown("sweep"), timeout=TIMEOUT)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_lecture_mode_fits_the_status_bar_the_readout_and_the_lesson_at_every_size(qtbot, open_window, size):
    w = open_window(size=size)
    w.open_lesson("divergence-stability-map")  # (two runs, A and B)
    w.set_lecture_mode(True)
    lesson = w.lesson_dock
    qtbot.waitUntil(lambda: w.dockWidgetArea(lesson) == Qt.DockWidgetArea.RightDockWidgetArea
                    and w.views.shown("stability") and w.size().toTuple() == size, timeout=TIMEOUT)
    # The status bar's fields whole, inside the window.
    for name, label in w.status_labels.items():
        assert label.geometry().right() <= w.statusBar().width(), name
        assert label.width() >= label.fontMetrics().horizontalAdvance(w._widest[name]), name
    assert w.status_labels["loss"].font().pointSizeF() >= 10
    # The readout: a line per run, each whole, at 16 pt or more.
    doc = QTextDocument()
    doc.setHtml(w.readout.text())
    lines = doc.toPlainText().splitlines()
    assert len(lines) == 2 and all(" · lr " in line for line in lines)
    pt = int(w.readout.text().split("font-size:")[1].split("pt")[0])
    font = QFont(w.readout.font())
    font.setPointSize(pt)
    font.setBold(True)
    assert pt >= 16 and max(QFontMetrics(font).horizontalAdvance(x) for x in lines) <= w.readout.width()
    # The controls are narrow; the lesson's text is below the stability map, each at least 300 px wide.
    assert w.dock.width() < 0.3 * size[0]
    assert min(lesson.width(), w.stability.width()) >= 300
    stability_bottom = w.stability.mapTo(w, w.stability.rect().bottomLeft()).y()
    assert stability_bottom < lesson.geometry().top()
    w.set_lecture_mode(False)  # back below the controls
    qtbot.waitUntil(lambda: w.dockWidgetArea(lesson) == Qt.DockWidgetArea.LeftDockWidgetArea, timeout=TIMEOUT)


@pytest.mark.parametrize("mode", ["normal", "lecture"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_sweep_shows_every_field_without_scroll_bars(qtbot, open_window, size, mode):
    """Every field of the sweep whole, none scrolled out of view (issue 12: in lecture mode too,
    where the Lecture layout gives the sweep a 266 px column at 1280×720)."""
    w = open_window(size=size)
    if mode == "lecture":
        w.set_lecture_mode(True)
        qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
    w.show_view("sweep")
    tab = w.sweep_tab
    bars = (tab.horizontalScrollBar(), tab.verticalScrollBar())
    try:
        qtbot.waitUntil(lambda: w.views.shown("sweep") and not any(bar.isVisible() for bar in bars), timeout=TIMEOUT)
    except Exception:
        raise AssertionError((tab.size(), w.sweep_panel.minimumSizeHint(), [b.isVisible() for b in bars])) from None
    panel = w.sweep_panel
    for field in (panel.lr_min, panel.lr_max, panel.lr_n, panel.m_min, panel.m_max, panel.m_n, panel.epochs,
                  panel.target, panel.measure, panel.run_button):
        assert tab.viewport().rect().contains(field.mapTo(tab.viewport(), field.rect().bottomRight()))
        if mode == "normal":  # (in lecture mode two lr fields at their least hints are wider than the column)
            assert field.width() >= field.minimumSizeHint().width()
        if isinstance(field, QAbstractSpinBox):  # its whole text in its line edit (less QLineEdit's 2 px a side)
            edit = field.lineEdit()
            assert edit.fontMetrics().horizontalAdvance(field.text()) <= edit.contentsRect().width() - 4, \
                (mode, field.text(), edit.width())
    assert panel.view.height() >= 120


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_the_stability_maps_texts_stay_inside_and_apart_in_a_small_map(qtbot, open_window, lecture):
    """Issue 12: in a map as small as a side dock makes it, the runs' names, the rules' names and
    the note stand inside the view box, none over another or over a run's point, and each run
    keeps its name; the axes are labelled at both ends, their labels shortened by words."""
    from layout_walk import tick_labels
    from momentum_lab._qt.explore import StabilityMap
    from momentum_lab._qt.plots import present_plot, set_presentation

    w = open_window(COMPARED_THREE)
    c = w.controller
    qtbot.waitUntil(lambda: len(c.lanes) == 3 and not c.busy, timeout=TIMEOUT)
    c.step_items(40)
    qtbot.waitUntil(lambda: all(math.isfinite(lane.curvature()[0]) for lane in c.lanes), timeout=TIMEOUT)
    set_presentation(lecture)
    try:
        m = StabilityMap(c)
        qtbot.addWidget(m)
        present_plot(m.plot)
        m.resize(*((220, 150) if lecture else (180, 140)))
        m.show()
        qtbot.waitExposed(m)
        m.refresh()
        m.grab()
        vb = m.plot.vb
        inside = vb.sceneBoundingRect().adjusted(-1, -1, 1, 1)
        texts = [item for item in list(m.labels.values()) + m.point_labels if item.isVisible()]
        assert sum(label.isVisible() for label in m.point_labels) == 3  # (A, B, C)
        rects = []
        for item in texts:
            margin = item.textItem.document().documentMargin()
            rect = item.sceneBoundingRect()
            assert inside.contains(rect), (item.toPlainText(), rect, inside)
            rects.append((item.toPlainText(), rect.adjusted(margin, margin, -margin, -margin)))
        if m.note.isVisible():
            rects.append(("note", m.note.sceneBoundingRect()))
            assert inside.contains(rects[-1][1])
        for x, y in ((spot["x"], spot["y"]) for spot in m.points.data):
            rects.append(("point", QRectF(vb.mapViewToScene(QPointF(x, y)) - QPointF(5, 5), QSizeF(10, 10))))
        for i, (a, ra) in enumerate(rects):
            for b, rb in rects[i + 1:]:
                assert not ra.intersects(rb) or {a, b} == {"point"}, (a, b)
        for side in ("left", "bottom"):  # a label at each end of both axes
            axis = m.plot.getAxis(side)
            texts = [text for _, text in tick_labels(axis)]
            assert len(texts) >= 2, (side, texts)
        left = m.plot.getAxis("left")
        assert (left.labelText, left.toolTip()) in (("momentum", ""), ("m", "momentum"))
        assert left.label.boundingRect().width() <= left.height()
        if lecture:
            assert left.labelText == "m"
    finally:
        set_presentation(False)


def test_lesson_6s_evidence_stays_on_show_when_its_run_has_ended(qtbot, open_window):
    """The lesson points at the stability map and the status bar: run flat out to its end (A
    diverges some 20 steps after its lr jumps to 3), both still say A stood outside: the
    readout is measured at the change (flat out too: a chunk ends there), a run that diverged
    keeps its last measures, and the map keeps each run's trail."""
    from momentum_lab._qt.worker import FLAT_OUT
    from momentum_lab.engine import online_bound

    w = open_window(size=(1600, 1000))
    w.open_lesson("divergence-stability-map")
    c = w.controller
    qtbot.waitUntil(lambda: c.origin == "lesson" and not c.busy, timeout=TIMEOUT)
    c.set_max_epochs(5)
    c.set_speed(FLAT_OUT)
    c.start()
    qtbot.waitUntil(lambda: c.state == "finished", timeout=60_000)
    a = c.lanes[0]
    assert a.latest.divergence is not None and a.latest.lr == 3
    curvature, _ = a.curvature()
    assert curvature > 0
    w.refresh()
    w.stability.refresh()
    assert a.latest.lr * curvature > 1.11  # (look-back at m 0.9: stable below 1/m)
    assert w.status_labels["stability"].text().startswith("⚠")
    labels = {item.toPlainText() for item in w.stability.point_labels if item.isVisible()}
    assert labels & {"A", "A (diverged)"} and "B" in labels
    # Each name in its run's colour (A's, pushed left of its cross at the plot's edge, read as B's).
    from momentum_lab._qt.plots import LANE_COLOURS

    assert [w.stability.point_labels[i].color.name() for i in (0, 1)] == [v.lower() for v in LANE_COLOURS[:2]]
    assert "outside the stable region (A:" in w.stability.note.text
    # A's point where its last readout put it: lr 3 × the sharpness measured at the jump, past the
    # online edge (2 / 1.9); its trail from lr 0.05 to there, and B's, still drawn.
    sharpness, _ = a.sharpness()
    assert a.latest.lr * sharpness > online_bound("lookback", 0.9)
    assert w.stability.points.data[0]["x"] == pytest.approx(math.log10(min(100, a.latest.lr * sharpness)))
    assert w.stability.points.data[0]["symbol"] == "x"
    for index in (0, 1):
        xs, _ = w.stability.trails[index].getData()
        assert xs is not None and len(xs) >= 2 and xs[0] < math.log10(0.1) < xs[-1], (index, xs)


def test_a_diverged_run_keeps_its_last_measured_curvature():
    from momentum_lab._qt.controller import LaneBuffers
    from momentum_lab._qt.worker import LaneReport

    lane = LaneBuffers(3)
    assert np.isnan(lane.curvature()[0])  # nothing measured yet
    report = dict(rule="lookback", rows=np.zeros((0, 6)), deltas=np.zeros((0, 3)), delta_first_step=1,
                  delta_stats=np.zeros((0, 2, 3), np.float32),
                  params=np.zeros(3), lr=2.0, momentum=0.9)
    lane.latest = LaneReport(**report, curvature=0.8)
    lane.measured = 0.8
    assert lane.curvature() == (0.8, False)
    lane.latest = LaneReport(**report, curvature=float("nan"))  # unmeasured, not diverged: nothing shown
    assert np.isnan(lane.curvature()[0])
    lane.latest = LaneReport(**report, curvature=float("nan"), divergence=object())
    assert lane.curvature() == (0.8, True)


def test_a_runs_trail_keeps_each_new_readout_and_a_diverged_run_its_last_sharpness():
    from momentum_lab._qt.controller import TRAIL_POINTS, LaneBuffers
    from momentum_lab._qt.worker import LaneReport

    lane = LaneBuffers(3)
    report = dict(rule="lookback", rows=np.zeros((0, 8)), deltas=np.zeros((0, 3)), delta_first_step=1,
                  delta_stats=np.zeros((0, 2, 3), np.float32), params=np.zeros(3), momentum=0.9)
    assert np.isnan(lane.sharpness()[0])
    lane.receive(LaneReport(**report, lr=0.1, sharpness=float("nan")))  # nothing measured: no readout
    assert len(lane.trail) == 0
    lane.receive(LaneReport(**report, lr=0.1, sharpness=0.5, curvature=0.7))
    lane.receive(LaneReport(**report, lr=0.1, sharpness=0.5, curvature=0.7))  # the same readout: once
    lane.receive(LaneReport(**report, lr=2.0, sharpness=0.5, curvature=0.7))  # new settings: a readout
    assert list(lane.trail) == [(0.1, 0.9, 0.5, 0.7), (2.0, 0.9, 0.5, 0.7)]
    assert lane.sharpness() == (0.5, False)
    lane.receive(LaneReport(**report, lr=2.0, divergence=object()))
    assert lane.sharpness() == (0.5, True) and len(lane.trail) == 2  # kept at the run's end
    for k in range(2 * TRAIL_POINTS):
        lane.receive(LaneReport(**report, lr=0.1, sharpness=float(k)))
    assert len(lane.trail) == TRAIL_POINTS and lane.trail[-1][2] == 2 * TRAIL_POINTS - 1


def test_a_lesson_may_bring_any_view_of_the_area_to_the_front(qtbot, open_window):
    from momentum_lab.engine._lessons import TABS

    assert set(TABS) <= set(VIEWS)
    w = open_window(size=(1600, 1000))
    w.open_lesson("adaptive-steps")  # lesson 4 points at the heatmap
    qtbot.waitUntil(lambda: w.views.shown("heatmap"), timeout=TIMEOUT)


@pytest.mark.parametrize("name", ["summary", "stability"])
def test_a_side_view_out_of_sight_is_drawn_as_its_tab_is_chosen(qtbot, open_window, name):
    """The clock draws a side view only on screen; one whose tab is chosen after the run has gone
    on (and paused: no new batch to redraw for) is drawn then (a tab's widgets get no show event:
    the stability map stayed empty, the summary stale)."""
    w = open_window(size=(1600, 1000))
    c = w.controller
    w.views.show("accuracy" if name == "summary" else "regions")  # (the same tab group, in Explore)
    qtbot.waitUntil(lambda: not w.views.shown(name), timeout=TIMEOUT)
    c.step_items(3 * c.dataset.n_train)
    qtbot.waitUntil(lambda: c.latest.step == 3 * c.dataset.n_train and c.latest.state != "running", timeout=TIMEOUT)
    for _ in range(30):  # (the clock's ticks: every group redrawn for this batch)
        w._on_timer()
    w.views.show(name)
    if name == "summary":
        flip = w.summary.curves[0][0]
        qtbot.waitUntil(lambda: flip.getData()[0] is not None and len(flip.getData()[0]) == 3, timeout=TIMEOUT)
    else:
        qtbot.waitUntil(lambda: len(w.stability.points.data) == 1, timeout=TIMEOUT)

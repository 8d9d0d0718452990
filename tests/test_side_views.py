"""The side views read whole at their narrowest (issue 12): the delta lanes, the heatmap, the decision
regions, in docks as narrow and short as the shipped layouts make them, in lecture mode's large text.

What is asserted is what is drawn: the tick labels pyqtgraph paints (``layout_walk.tick_labels``),
the scene rectangles of names and legends, the room the combo boxes give their text.
"""
from __future__ import annotations

import itertools

import pytest
from PySide6.QtGui import QFont, QFontMetrics

import pyqtgraph as pg
from layout_walk import tick_labels
from momentum_lab._qt.plots import END_SHARE, DecisionRegions, combo_field, present_plot, spread_ticks, tick_extent
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_hover import settle
from test_plots_truth import THREE_RUNS, as_number, run_epochs


def along(axis, rect) -> float:
    """Where a tick label stands along its axis: 0 at the range's low end, 1 at its high end."""
    if axis.orientation in ("left", "right"):
        return 1 - rect.center().y() / axis.height()
    return rect.center().x() / axis.width()


def assert_spread(axis) -> list[tuple[float, str]]:
    """The axis's drawn labels: two at least, none over another, one near each end; (position, text)."""
    labels = tick_labels(axis)
    assert len(labels) >= 2, [text for _, text in labels]
    for (a, ta), (b, tb) in itertools.combinations(labels, 2):
        assert not a.intersects(b), (ta, tb)
    where = sorted((along(axis, rect), text) for rect, text in labels)
    assert where[0][0] <= 0.3 and where[-1][0] >= 0.7, where
    return where


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_the_lanes_label_negative_deltas_too_and_their_names_clear_the_traces(qtbot, open_window, size):
    w = open_window(THREE_RUNS, size=size)
    run_epochs(qtbot, w, 2)
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
    settle(w)
    panel = w.delta_panel
    assert panel.lanes_shown == 3
    plot = panel.trace_plot
    where = assert_spread(plot.getAxis("left"))
    values = [as_number(text) for _, text in where]
    assert any(v < 0 for v in values) and any(v > 0 for v in values), values
    # Each run named, in lecture mode's size, beside the data (not over the traces), level with its lane.
    data = plot.vb.sceneBoundingRect()
    view = panel.trace_view
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    names = [item for item in panel._lane_items if hasattr(item, "lane")]
    assert [item.toPlainText()[0] for item in names] == ["A", "B", "C"]
    limit = panel._trace_limit.value
    for item in names:
        margin = item.textItem.document().documentMargin()
        rect = item.sceneBoundingRect().adjusted(margin, margin, -margin, -margin)
        assert not rect.intersects(data) and shown.contains(rect), (item.toPlainText(), rect, data)
        top, bottom = (plot.vb.mapViewToScene(pg.Point(0, panel.lane_centre(item.lane) + d * limit)).y()
                       for d in (1, -1))
        assert top <= rect.center().y() <= bottom
        assert QFontMetrics(item.textItem.font()).height() > QFontMetrics(QFont()).height()


@pytest.mark.parametrize(("low", "high", "pixels", "pt"), [
    (-363.6, 3.6, 96, 14), (-363.6, 3.6, 126, 14), (-404, 4, 111, 14), (-363.6, 3.6, 400, 9),
    (0.5, 7.2, 150, 14), (-1.93, 2.21, 56, 14), (-1.93, 2.21, 200, 9)])
def test_spread_ticks_are_whole_apart_and_reach_both_ends(qapp, low, high, pixels, pt):
    for side in ("bottom", "left"):
        axis = pg.AxisItem(side)
        font = QFont()
        font.setPointSizeF(pt)
        axis.setStyle(tickFont=font)
        axis.setRange(low, high)
        ticks = spread_ticks(axis, pixels=pixels)
        metrics = QFontMetrics(font)
        boxes = [((v - low) / (high - low) * pixels, tick_extent(metrics, text, side == "left")) for v, text in ticks]
        spans = [(c - e / 2, c + e / 2) for c, e in boxes]
        if side == "bottom" or len(spans) > 1:
            assert len(spans) >= 2, (side, ticks)
        assert all(0 <= a and b <= pixels for a, b in spans), (side, ticks)  # (pyqtgraph drops one cut)
        assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:])), (side, ticks)
        assert spans[0][0] <= END_SHARE * pixels and spans[-1][1] >= (1 - END_SHARE) * pixels, (side, ticks)


def test_spread_ticks_on_an_axis_too_short_for_two_labels_keep_the_roundest_one(qapp):
    axis = pg.AxisItem("bottom")
    font = QFont()
    font.setPointSizeF(14)
    axis.setStyle(tickFont=font)
    axis.setRange(-363.6, 3.6)
    assert spread_ticks(axis, pixels=2 * QFontMetrics(font).horizontalAdvance("-300") - 10) == [(-200.0, "-200")]


def test_the_heatmap_at_its_narrowest_labels_its_steps_at_both_ends_and_names_its_groups_apart(qtbot, open_window):
    w = open_window(size=(1280, 720))
    run_epochs(qtbot, w, 2)
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
    panel = w.delta_panel
    w.views.show("heatmap")  # (beside the core two: about 270 px wide)
    qtbot.waitUntil(lambda: w.views.shown("heatmap") and 0 < panel.heat_view.width() < 330, timeout=TIMEOUT)
    settle(w)
    assert panel.heat_view.width() < 330  # (the narrow column: what this test is about)
    assert_spread(panel.heat_plot.getAxis("bottom"))
    names = tick_labels(panel.heat_plot.getAxis("left"))
    assert names and names[0][1].startswith("in→")
    for (a, _), (b, _) in itertools.combinations(names, 2):
        assert a.intersected(b).height() <= 0
    # A scale dropped from the names for want of room is in the axis's tooltip.
    if not any("±" in text for _, text in names):
        assert "±" in panel.heat_plot.getAxis("left").toolTip()
    # The colour bar's label whole along the bar, or none (its text in the bar's tooltip).
    bar = panel.colour_bar.axis
    if bar.label.isVisible() and bar.labelText:
        assert bar.label.boundingRect().width() <= bar.height() + 1
    else:
        assert "scale" in bar.toolTip()
    # The scaling's choice shown whole in its field: shorter wordings where the field is narrow.
    box = panel.heat_scaling
    assert box.fontMetrics().horizontalAdvance(box.currentText()) <= combo_field(box)


def test_the_regions_inputs_go_one_under_the_other_where_side_by_side_they_would_be_cut(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    run_epochs(qtbot, w, 1)
    w.views.show("regions")
    settle(w)
    r = w.regions
    assert r.x_input.y() == r.y_input.y()  # room enough: side by side
    # Lecture mode at 1280×720: the view beside the core two is about 270 px wide.
    w.resize(1280, 720)
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
    w.views.show("regions")
    qtbot.waitUntil(lambda: w.views.shown("regions") and r.width() < 300, timeout=TIMEOUT)
    settle(w)
    assert r.y_input.y() > r.x_input.y()
    for box in (r.x_input, r.y_input):
        assert box.fontMetrics().horizontalAdvance(box.currentText()) <= combo_field(box), box.currentText()


def test_the_regions_legend_moves_beside_the_data_in_a_short_wide_dock(qtbot, open_window):
    w = open_window(size=(1280, 720))
    run_epochs(qtbot, w, 1)
    w.set_lecture_mode(True)
    qtbot.waitUntil(lambda: w.views.layout == "Lecture", timeout=TIMEOUT)
    # The view on its own, as a dock of that size would hold it.
    r = DecisionRegions(w.controller)
    qtbot.addWidget(r)
    present_plot(r.plot)
    r.show()
    for height, beside in ((600, False), (215, True)):
        r.resize(330, height)
        qtbot.waitUntil(lambda: r.height() == height, timeout=TIMEOUT)
        r.refresh()
        settle(w)
        r.grab()  # (painted: the plot lays its axes out)
        legend, data = r.legend.sceneBoundingRect(), r.plot.vb.sceneBoundingRect()
        assert not legend.intersects(data)
        assert (legend.left() >= data.right()) == beside, (height, legend, data)
        assert_spread(r.plot.getAxis("left"))
        view = r.view.mapToScene(r.view.viewport().rect()).boundingRect()
        for (text, _, kind), (_, label) in zip(r.legend.entries, r.legend._items):
            if label.isVisible():
                assert view.contains(label.sceneBoundingRect()), text
            else:
                assert kind == "note" and text in r.legend.toolTip()


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_the_error_axis_widens_for_long_tick_labels_clear_of_its_label(qtbot, open_window, lecture):
    """Lesson 6's run A diverges to about 1e12 on a linear axis: "1.5e+12" ran under "mean loss"."""
    w = open_window(size=(1280, 720))
    c = w.controller
    assert w.open_lesson("divergence-stability-map")
    qtbot.waitUntil(lambda: len(c.lanes) == 2 and not c.busy and c.latest is not None, timeout=TIMEOUT)
    w.set_lecture_mode(lecture)
    c.set_speed(float("inf"))
    c.set_max_epochs(5)
    c.start()
    qtbot.waitUntil(lambda: c.state in ("finished", "diverged"), timeout=TIMEOUT)
    settle(w)
    axis = w.curves.loss_plot.getAxis("left")
    labels = tick_labels(axis)
    assert any("e+1" in text for _, text in labels), labels  # (the long ones: what this is about)
    label = axis.label.mapRectToParent(axis.label.boundingRect())
    assert all(rect.left() >= label.right() - 1 for rect, _ in labels), (label, labels)

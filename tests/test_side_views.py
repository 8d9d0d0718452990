"""The side views read whole at their narrowest (issue 12): the delta lanes, the heatmap, the decision
regions, in docks as narrow and short as the shipped layouts make them, in lecture mode's large text;
and what the stability map shows at each batch size (issue 13).

What is asserted is what is drawn: the tick labels pyqtgraph paints (``layout_walk.tick_labels``),
the scene rectangles of names and legends, the room the combo boxes give their text.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetrics

import pyqtgraph as pg
from layout_walk import tick_labels
from momentum_lab._qt.controller import RunConfig
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


# -- the stability map: the region at the run's batch size, each run's readout and trail (issue 13) --


def _edge_data(item) -> tuple[np.ndarray, np.ndarray]:
    xs, ms = item.getData()
    assert xs is not None and len(xs) > 100
    return np.asarray(xs), np.asarray(ms)


def test_the_map_shades_the_region_that_applies_at_the_runs_batch_size(qtbot, open_window):
    """Online (B = 1, and below sqrt(n)) the readout's edge lr × BS = 2 / gain is shaded, the
    quadratic bound a dashed reference; at full batch (and from sqrt(n)) the other way round. The
    note says which applies, the x axis what it measures, each point stands at lr × BS or lr × λ,
    and at full batch the readout is the quadratic bound's too."""
    from momentum_lab.engine import online_bound, stability_bound

    w = open_window(RunConfig(rule="classical", lr=0.01, momentum=0.5), size=(1600, 1000))
    c, smap = w.controller, w.stability
    w.views.show("stability")
    qtbot.waitUntil(lambda: w.views.shown("stability"), timeout=TIMEOUT)
    assert c.dataset.n_train == 120  # (sqrt: 10.95; B 4 is nearer one item, B 20 the whole set)
    for batch, full, words in ((1, False, "batch size 1: the online region applies"),
                               ("full", True, "full batch: the quadratic bound applies"),
                               (4, False, "batch size 4: between the two; nearer to online, a guess"),
                               (20, True, "batch size 20: between the two; nearer to full batch, a guess")):
        if c.config.batch_size != batch:
            assert c.load(replace(c.config, batch_size=batch), f"batch size {batch}")
            qtbot.waitUntil(lambda: c.config.batch_size == batch and not c.busy and c.latest is not None
                            and math.isfinite(c.latest.curvature), timeout=TIMEOUT)
        settle(w)
        applies, other = (stability_bound, online_bound) if full else (online_bound, stability_bound)
        assert smap.region.curves[1] is smap.edges["classical"]  # the shaded region's edge: run A's rule's
        xs, ms = _edge_data(smap.edges["classical"])
        np.testing.assert_allclose(xs, np.log10([applies("classical", m) for m in ms]), rtol=1e-12)
        i = int(np.argmin(np.abs(ms - 0.5)))
        assert 10 ** xs[i] == pytest.approx(stability_bound("classical", ms[i]) if full else 2 * (1 - ms[i]))
        xs, ms = _edge_data(smap.reference)  # the other region's edge, dashed, named
        np.testing.assert_allclose(xs, np.log10([other("classical", m) for m in ms]), rtol=1e-12)
        assert smap.reference.opts["pen"].style() == Qt.PenStyle.DashLine
        assert smap.labels["reference"].toPlainText() in smap.REFERENCE_NAMES[full]
        assert words in smap.note.text
        assert smap.plot.getAxis("bottom").labelText.startswith("lr × λ" if full else "lr × BS")
        report = c.latest.lanes[0]
        at = report.curvature if full else report.sharpness
        assert smap.points.data[0]["x"] == pytest.approx(math.log10(report.lr * at))
        if full:
            assert report.stability == pytest.approx(report.lr * report.curvature / stability_bound("classical", 0.5))
        else:
            assert report.stability == pytest.approx(report.lr * 2 * report.sharpness / 2)
        # Online the heavy-ball and Nesterov edges are one (both gains 1 / (1 - m)): drawn once, named so.
        assert smap.edges["nesterov"].isVisible() == full
        assert (smap._label_at["classical"][1][0] == "classical = Nesterov") != full


def test_a_runs_point_is_its_readout_with_a_trail_that_grows_and_a_reset_clears(qtbot, open_window):
    """The point at lr × BS, white-rimmed while r is below 0.5, a red cross above 1 whatever x says
    (the loss trend's takeover: the curvature of a run that thrashes collapses), its hover readout
    giving the numbers and the reason; the trail, the run's latest readouts, grows at each measure
    and is cleared by a Reset."""
    from momentum_lab.engine import online_bound

    w = open_window(RunConfig(rule="lookback", lr=0.01, momentum=0.5), size=(1600, 1000))
    c, smap = w.controller, w.stability
    w.views.show("stability")
    qtbot.waitUntil(lambda: w.views.shown("stability"), timeout=TIMEOUT)
    lane = c.lanes[0]
    for k in range(1, 5):  # (paused, each step is measured: a readout of its own)
        c.step_items(10)
        qtbot.waitUntil(lambda: c.latest.step == 10 * k and len(c.lanes[0].trail) == k + 1, timeout=TIMEOUT)
        settle(w)
        xs, ms = smap.trails[0].getData()
        assert len(xs) == k + 1 and list(ms) == [0.5] * (k + 1)
        lr, _, sharpness, _ = c.lanes[0].trail[-1]
        assert xs[-1] == pytest.approx(math.log10(lr * sharpness))
    report = c.latest.lanes[0]
    spot = smap.points.data[0]
    assert spot["x"] == pytest.approx(math.log10(report.lr * report.sharpness)) and spot["symbol"] == "o"
    assert report.stability < 0.5 and spot["pen"].color().name() == "#ffffff"
    text = smap.describe(QPointF(spot["x"], spot["y"]))[0]
    assert text.startswith(f"the run now: lr 0.01 × BS {report.sharpness:.3g}")
    assert f"r = lr × gain 1.5 × BS / 2 = {0.01 * 1.5 * report.sharpness / 2:.3g}" in text
    assert text.endswith(": stable")
    # Past the edge (r 1.5): a red cross and a warning.
    big = 1.5 * online_bound("lookback", 0.5) / report.sharpness
    c.set_lr(big)
    qtbot.waitUntil(lambda: c.latest.lr == pytest.approx(big, rel=1e-3) and c.latest.stability > 1, timeout=TIMEOUT)
    settle(w)
    spot = smap.points.data[0]
    assert spot["symbol"] == "x" and spot["pen"].color().name() == "#e00000"
    assert f"outside the stable region (r {c.latest.stability:.3g})" in smap.note.text
    assert smap.trails[0].getData()[0][-1] == pytest.approx(spot["x"])
    # A run whose loss has climbed (trend 3.2) and whose curvature collapsed (lr × BS 0.002, far
    # inside): red, and where its readout puts it, past the edge (not a red cross in the shaded
    # region), the hover saying why.
    lane = c.lanes[0]
    lane.latest = replace(lane.latest, lr=0.01, sharpness=0.2, stability=3.2, trend=3.2)
    smap.refresh()
    spot = smap.points.data[0]
    edge = online_bound("lookback", lane.latest.momentum)
    assert spot["x"] == pytest.approx(math.log10(3.2 * edge)) and spot["symbol"] == "x"
    assert "(r 3.2, the loss is climbing)" in smap._note_texts[0]
    described = smap.describe(QPointF(spot["x"], spot["y"]))[0]
    assert "= 0.002," in described  # (its own lr × BS still told)
    assert described.endswith("r 3.2: the loss is climbing (trend; the point stands where r puts it): unstable")
    # A Reset: a new run's trail.
    c.reset()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.step == 0, timeout=TIMEOUT)
    settle(w)
    assert len(c.lanes[0].trail) == 1
    assert len(smap.trails[0].getData()[0] if smap.trails[0].getData()[0] is not None else []) == 0


def test_an_edge_s_name_on_the_map_crosses_no_other_edge_where_it_has_room(qtbot, open_window):
    """Look-back at 1600×1000, online: its edge, the full-batch reference and the heavy-ball (=
    Nesterov) edge, each named, no name crossed by another's line (classical's dotted line ran
    through "classical = Nesterov", and the reference through the look-back name)."""
    from momentum_lab._qt.explore import REFERENCE, _crossed, _line_points, _text_rect

    w = open_window(RunConfig(rule="lookback", lr=0.01, momentum=0.9), size=(1600, 1000))
    c, smap = w.controller, w.stability
    w.views.show("stability")
    run_epochs(qtbot, w, 1)
    settle(w)
    vb = smap.plot.vb
    lines = {key: _line_points(vb, smap.reference if key == REFERENCE else smap.edges[key]) for key in smap.labels}
    named = [key for key, label in smap.labels.items() if label.isVisible()]
    assert set(named) == {"lookback", "classical", REFERENCE}
    for key in named:
        label = smap.labels[key]
        rect = _text_rect(vb, label, label.pos(), label.anchor)
        for other, points in lines.items():
            if other != key:
                assert _crossed(rect, points) == 0, (key, other)
    # (The check sees a crossing: the heavy-ball name centred on the look-back line is one.)
    middle = lines["lookback"][len(lines["lookback"]) // 2]
    label = smap.labels["classical"]
    assert _crossed(_text_rect(vb, label, vb.mapToView(QPointF(*middle)), (0.5, 0.5)), lines["lookback"]) > 0

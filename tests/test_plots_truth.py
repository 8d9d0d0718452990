"""Views that tell the truth and do not go stale (issue 12): marks, axes, lanes, heatmap scales.

Driven through the window as a person would (pytest-qt, offscreen); what is asserted is what
is drawn: label rectangles in the scene, tick strings pyqtgraph would paint, view ranges.
"""
from __future__ import annotations

import itertools

import numpy as np


from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab.engine._session import Change
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)

THREE_RUNS = RunConfig(compare=(LaneSettings("classical", 0.01, 0.5), LaneSettings("nesterov", 0.005, 0.5)))


def run_epochs(qtbot, w, epochs: int) -> None:
    c = w.controller
    c.step_items(epochs * c.dataset.n_train)
    qtbot.waitUntil(lambda: c.latest.step >= epochs * c.dataset.n_train, timeout=TIMEOUT)
    w.refresh()


def drawn_tick_strings(axis) -> list[str]:
    """The tick labels pyqtgraph paints on this axis now (those that do not fit are dropped)."""
    from test_hover import drawn_ticks

    return [text for _, text in drawn_ticks(axis)]


def as_number(text: str) -> float | None:
    try:
        return float(text.replace("−", "-"))
    except ValueError:
        return None


def test_marks_labels_stack_or_merge_never_over_each_other_or_the_legend(qtbot, open_window):
    w = open_window(THREE_RUNS, size=(1600, 1000))
    c = w.controller
    run_epochs(qtbot, w, 20)
    n = c.dataset.n_train
    # Six lr changes of run A close together, and changes of B and C near the legend's corner.
    values = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.5]
    c.marks.extend(Change(int((10 + 0.2 * k) * n), "lr", values[k + 1], 0, values[k]) for k in range(6))
    c.marks.append(Change(19 * n, "momentum", 0.9, 1, 0.5))
    c.marks.append(Change(int(19.3 * n), "lr", 0.02, 2, 0.005))
    c.marks.append(Change(int(19.6 * n), "momentum", 0.8, 0, 0.5))
    w.curves.refresh()
    texts = [item.toPlainText() for item in w.curves._mark_labels]
    assert "A: lr ×6 changes, 0.01 → 1.5" in texts
    assert {"B: momentum 0.5 → 0.9", "C: lr 0.005 → 0.02", "A: momentum 0.5 → 0.8"} <= set(texts)
    rects = w.curves.mark_label_rects()
    assert len(rects) == len(texts) == 4
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b)
    legend = w.curves.legends["loss"]
    legend_rect = legend.mapRectToScene(legend.boundingRect())
    assert not any(rect.intersects(legend_rect) for rect in rects)
    # Every label inside the plot's view box.
    box = w.curves.loss_plot.vb.sceneBoundingRect()
    assert all(box.adjusted(-1, -1, 1, 1).contains(rect) for rect in rects)


def test_the_legend_is_never_wider_than_its_plot(qtbot, open_window):
    w = open_window(THREE_RUNS, size=(1600, 1000))
    run_epochs(qtbot, w, 1)
    legend, vb = w.curves.legends["loss"], w.curves.loss_plot.vb
    assert legend.width() <= vb.width()
    wide = vb.width()
    w.resize(700, 600)
    qtbot.waitUntil(lambda: vb.width() < wide * 0.7, timeout=TIMEOUT)  # the layout follows in the event loop
    w.refresh()
    assert legend.width() <= vb.width()


def test_the_delta_traces_label_their_negative_side_in_both_modes(qtbot, open_window):
    for lecture, config in itertools.product((False, True), (RunConfig(), THREE_RUNS)):
        w = open_window(config, size=(1600, 1000))
        w.set_lecture_mode(lecture)
        run_epochs(qtbot, w, 3)
        w.refresh()
        panel = w.delta_panel
        assert any(np.nanmin(curve.getData()[1]) < panel.lane_centre(curve.lane) for curve in panel.traces)
        def numbers() -> list[float]:
            drawn = [as_number(text) for text in drawn_tick_strings(panel.trace_plot.getAxis("left"))]
            return [v for v in drawn if v is not None]

        # Once the axis has its width (the layout follows in the event loop): both signs drawn.
        qtbot.waitUntil(lambda: any(v < 0 for v in numbers()) and any(v > 0 for v in numbers()),
                        timeout=TIMEOUT)
        w.close()


def test_no_steps_yet_before_the_first_step_and_not_after(qtbot, open_window):
    w = open_window()
    w.refresh()
    notes = list(w.curves.empty_notes.values()) + list(w.delta_panel.empty_notes.values())
    assert all(note.isVisible() and note.toPlainText() == "no steps yet" for note in notes)
    assert drawn_tick_strings(w.curves.acc_plot.getAxis("left")) == []  # no made-up 0–1 axis
    assert drawn_tick_strings(w.curves.loss_plot.getAxis("bottom")) == []
    run_epochs(qtbot, w, 1)
    assert not any(note.isVisible() for note in notes)
    assert drawn_tick_strings(w.curves.acc_plot.getAxis("left"))
    assert drawn_tick_strings(w.delta_panel.trace_plot.getAxis("left"))


def test_the_x_axis_ends_near_the_last_epoch(qtbot, open_window):
    w = open_window()
    run_epochs(qtbot, w, 30)
    for plot in (w.curves.loss_plot, w.curves.acc_plot):
        left, right = plot.vb.viewRange()[0]
        assert 30 <= right <= 30 * 1.06 and left <= 0.5


def test_ranges_are_fitted_afresh_after_reset(qtbot, open_window):
    w = open_window(RunConfig(lr=0.5, momentum=0.9))
    run_epochs(qtbot, w, 30)
    assert w.curves.loss_plot.vb.viewRange()[0][1] >= 30
    big = w.delta_panel.trace_plot.vb.viewRange()[1]
    w.controller.reset()
    qtbot.waitUntil(lambda: w.controller.latest is not None and w.controller.latest.step == 0, timeout=TIMEOUT)
    w.refresh()
    assert w.curves.empty_notes["loss"].isVisible()
    w.controller.set_lr(0.001)
    w.controller.set_momentum(0.0)
    qtbot.waitUntil(lambda: w.controller.latest.lr == 0.001, timeout=TIMEOUT)
    run_epochs(qtbot, w, 2)
    assert w.curves.loss_plot.vb.viewRange()[0][1] <= 2 * 1.06
    small = w.delta_panel.trace_plot.vb.viewRange()[1]
    assert small[1] - small[0] < (big[1] - big[0]) / 10  # not the first run's range kept


def test_follow_latest_shows_the_latest_epochs(qtbot, open_window):
    w = open_window()
    w.curves.follow_epochs = 5
    w.curves.follow_latest.setChecked(True)
    run_epochs(qtbot, w, 12)
    left, right = w.curves.loss_plot.vb.viewRange()[0]
    assert 12 <= right <= 12.6 and 6.5 <= left <= 8
    w.curves.follow_latest.setChecked(False)
    assert w.curves.loss_plot.vb.viewRange()[0][0] <= 0.5


def test_each_runs_deltas_in_a_lane_of_its_own_all_visible(qtbot, open_window):
    w = open_window(THREE_RUNS, size=(1600, 1000))
    run_epochs(qtbot, w, 3)
    panel = w.delta_panel
    assert panel.lanes_shown == 3
    (_, _), (bottom, top) = panel.trace_plot.vb.viewRange()
    spans = []
    for curve in sorted(panel.traces, key=lambda c: c.lane):
        y = curve.getData()[1]
        y = y[np.isfinite(y)]
        assert y.size and curve.isVisible()
        spans.append((y.min(), y.max()))
        assert bottom <= y.min() and y.max() <= top  # inside the view
    for (lo_a, hi_a), (lo_b, hi_b) in zip(spans, spans[1:]):
        assert lo_a > hi_b  # A above B above C, none over another
    names = [item.toPlainText()[0] for item in panel._lane_items if hasattr(item, "lane")]
    assert names == ["A", "B", "C"]


def test_the_heatmap_scales_each_group_with_a_colour_bar(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    # (On screen: its rows' names are fitted to the room it has there; a tab behind has a stale size.)
    w.views.show("heatmap")
    qtbot.waitUntil(lambda: w.views.shown("heatmap"), timeout=TIMEOUT)
    run_epochs(qtbot, w, 5)
    panel = w.delta_panel
    starts, _ = panel._groups()
    for scale in ("one", "group", "parameter"):
        panel.heat_scaling.setCurrentIndex(panel.HEAT_SCALES.index(scale))
        w.refresh()
        image = panel.image.image
        levels = panel.image.levels
        assert panel.colour_bar.levels() == tuple(levels)
        if scale == "one":
            continue
        assert tuple(levels) == (-1.0, 1.0)
        for a, b in zip(starts[:-1], starts[1:]):
            group = np.abs(image[a:b])
            # No group washed out white nor saturated: its 97th percentile is within its scale.
            assert 0.05 < np.percentile(group, 97) <= 1.0 + 1e-9, (scale, a, b)
    ticks = [text for _, text in panel.heat_plot.getAxis("left")._tickLevels[0]]
    assert not any("±" in t for t in ticks)  # per parameter: no group scale named
    panel.heat_scaling.setCurrentIndex(1)
    w.refresh()
    ticks = [text for _, text in panel.heat_plot.getAxis("left")._tickLevels[0]]
    assert all("±" in t for t in ticks)


def test_envelope_keeps_each_columns_extremes_the_last_point_and_gaps():
    from momentum_lab._qt.plots import envelope

    rng = np.random.default_rng(3)
    x = np.arange(10_001.0)
    y = rng.normal(size=x.size)
    y[4000:4100] = np.nan  # (a gap wider than a column)
    ex, ey = envelope(x, y, (0.0, 10_000.0), 500)
    assert len(ex) <= 2 * 500 + 2 and np.all(np.diff(ex) >= 0)
    assert (ex[-1], ey[-1]) == (x[-1], y[-1])
    # Each column's highest and lowest point are among those kept, at their own x.
    kept = dict(zip(ex, ey))
    for start in range(0, 10_000, 20):
        column = y[start:start + 20]
        if np.isfinite(column).any():
            i, j = start + np.nanargmax(column), start + np.nanargmin(column)
            assert kept[x[i]] == y[i] and kept[x[j]] == y[j]
    assert np.isnan(ey[(ex > 4020) & (ex < 4080)]).all()  # the gap stays a gap
    # Few points, or a range that holds few: as they are, clipped to the range and a point beyond.
    ex, ey = envelope(x[:300], y[:300], (0.0, 300.0), 500)
    assert np.array_equal(ex, x[:300]) and np.array_equal(ey, y[:300], equal_nan=True)
    ex, _ = envelope(x, y, (9000.0, 9500.0), 500)
    assert (ex[0], ex[-1]) == (8999.0, 9501.0) and len(ex) == 503


def test_a_long_run_s_curves_are_thinned_to_the_plot_s_width_and_again_when_zoomed(qtbot, open_window):
    w = open_window(size=(1280, 720))
    c = w.controller
    run_epochs(qtbot, w, 2000)
    curve = w.curves.curves[("loss", "train", 0)]
    rows = c.history.rows
    width = round(w.curves.loss_plot.vb.width())
    x, y = curve.getOriginalDataset()  # (getData: log10 of the losses, on the log scale)
    assert len(x) <= 2 * width + 3 < len(rows)
    # What is drawn is the whole run's extremes and its latest value.
    assert (x[-1], y[-1]) == (rows[-1, 0], rows[-1, 1])
    assert y.max() == rows[:, 1].max() and y.min() == rows[:, 1].min()
    # Zoomed to 100 epochs (as a mouse wheel does): every epoch there drawn, without a new step.
    w.curves.loss_plot.setXRange(500, 600, padding=0)
    qtbot.waitUntil(lambda: 100 <= len(curve.getOriginalDataset()[0]) <= 110, timeout=TIMEOUT)
    x, y = curve.getOriginalDataset()
    assert np.array_equal(y, rows[(rows[:, 0] >= x[0]) & (rows[:, 0] <= x[-1]), 1])


def test_the_heatmap_out_of_sight_waits_and_is_drawn_as_it_comes_into_sight(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    c = w.controller
    w.views.show("network")  # (the heatmap's tab behind it)
    qtbot.waitUntil(lambda: not w.views.shown("heatmap"), timeout=TIMEOUT)
    c.step_items(5)
    qtbot.waitUntil(lambda: c.latest.step == 5, timeout=TIMEOUT)
    drawn = w.delta_panel.image.image
    before = None if drawn is None else drawn.shape
    w._redraw("deltas")  # the clock's redraw: the traces, not the heatmap out of sight
    assert len(w.delta_panel.traces[0].getData()[0]) == 5
    assert (None if w.delta_panel.image.image is None else w.delta_panel.image.image.shape) == before
    caption = w.delta_panel.caption
    assert caption.text().startswith("Latest 5 steps") and "Heatmap" not in caption.text()  # (none on show)
    w.refresh()  # (as a screenshot or an export does: the heatmap drawn, still not on show)
    assert w.delta_panel.image.image.shape[1] == 5 and "Heatmap" not in caption.text()
    w.views.show("heatmap")
    qtbot.waitUntil(lambda: w.delta_panel.image.image is not None
                    and w.delta_panel.image.image.shape[1] == 5, timeout=TIMEOUT)
    assert "Heatmap: red +, blue −" in caption.text()


def test_the_accuracy_out_of_sight_waits_and_is_drawn_as_it_comes_into_sight(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    c = w.controller
    w.views.show("network")  # (the accuracy's tab behind it, in Explore)
    qtbot.waitUntil(lambda: not w.views.shown("accuracy"), timeout=TIMEOUT)
    c.step_items(3 * c.dataset.n_train)
    qtbot.waitUntil(lambda: c.latest.step == 3 * c.dataset.n_train, timeout=TIMEOUT)
    loss, accuracy = (w.curves.curves[(key, "train", 0)] for key in ("loss", "accuracy"))
    w._redraw("curves")  # the clock's redraw
    assert len(loss.getOriginalDataset()[0]) == 4
    assert accuracy.getOriginalDataset()[0] is None or len(accuracy.getOriginalDataset()[0]) < 4
    w.views.show("accuracy")
    qtbot.waitUntil(lambda: accuracy.getOriginalDataset()[0] is not None
                    and len(accuracy.getOriginalDataset()[0]) == 4, timeout=TIMEOUT)
    np.testing.assert_array_equal(accuracy.getOriginalDataset()[1], c.history.rows[:, 2])


def test_a_refresh_that_moves_the_axes_settles_their_transforms_before_the_paint(qtbot, open_window):
    """(Left to the paint, as pyqtgraph does, the items' bounds change as they paint and ask for
    a second paint: the error curves and the deltas were painted twice a redraw.)"""
    w = open_window(size=(1280, 720))
    run_epochs(qtbot, w, 10)
    run_epochs(qtbot, w, 200)  # (the x axes move: 0-10 → 0-210)
    for plot in (w.curves.loss_plot, w.delta_panel.trace_plot, w.delta_panel.heat_plot):
        vb = plot.vb
        left, right = vb.viewRange()[0]
        scale = vb.childGroup.transform().m11()  # (what the next paint will use, as it stands)
        assert abs(scale * (right - left) - vb.width()) < 1e-6 * vb.width()

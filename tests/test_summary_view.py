"""The delta summary view: its curves are the engine's per-epoch statistics, for the picked
parameters and for all of them; a new run or Reset clears it; an empty run says so; at every
size it arranges its plots to be read, nothing cut (issue 12)."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QMainWindow

import pyqtgraph as pg  # (after PySide6)
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_layout_walk import app_as_run_gui_styles_it, restore_app
from test_teach import run_to_limit

import momentum_lab as ml
from layout_walk import END_GAP, tick_labels, walk
from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab._qt.export import export_targets
from momentum_lab._qt.plots import LANE_COLOURS, NO_STEPS, PALETTE, present_plot
from momentum_lab._qt.summary import ALL_COLOUR, STYLE_COLOUR, DeltaSummary

CONFIG = RunConfig(lr=0.2, momentum=0.8, seed=3)


def legend(summary) -> list[tuple[str, str]]:
    """(colour, name) of each entry of the legend on show, in order."""
    text = summary.legend.text().replace("&nbsp;", " ")
    return [(colour.upper(), html.unescape(name).strip())
            for colour, name in re.findall(r"color:(#\w+)'>[^<]*</span>([^<]*)", text)]


def drawn(window) -> list[tuple]:
    """(colour, x, flip rate, mean |delta|) of each curve of the summary, as set."""
    return [(flip.opts["pen"].color().name().upper(), flip.xData, flip.yData, size.yData)
            for flip, size, _, _ in window.summary.curves]


def points(window) -> list[int]:
    """Points of each curve (a curve cleared holds None)."""
    return [0 if x is None else len(x) for _, x, _, _ in drawn(window)]


def test_after_a_run_the_curves_are_the_engines_statistics(qtbot, open_window, tmp_path):
    w = open_window(CONFIG)
    run_to_limit(qtbot, w.controller, 6)
    w.refresh()
    stats = ml.train(CONFIG, epochs=6, delta_stats=True).delta_stats  # the same run through the API
    picks = w.summary.picked()
    assert picks == sorted(w.delta_panel.weights.row(i) for i in w.delta_panel.weights.selectedItems())
    curves = drawn(w)
    assert [c[0] for c in curves] == [ALL_COLOUR] + [PALETTE[k] for k in range(len(picks))]
    # The legend names each curve in its colour ("all parameters" or, short of room, "all").
    names = [w.delta_panel.weights.item(row).text().split("  ")[0] for row in picks]
    entries = legend(w.summary)
    assert entries[1:] == list(zip((c[0] for c in curves[1:]), names))
    assert entries[0][0] == ALL_COLOUR and entries[0][1] in ("all parameters", "all")
    colour, x, rate, size = curves[0]
    np.testing.assert_array_equal(x, np.arange(1, 7))
    np.testing.assert_allclose(rate, stats.flip_rate.astype(float).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(size, stats.mean_abs.astype(float).mean(axis=1), rtol=1e-6)
    for (_, x, rate, size), row in zip(curves[1:], picks):
        np.testing.assert_array_equal(rate, stats.flip_rate[:, row])
        np.testing.assert_array_equal(size, stats.mean_abs[:, row])
    assert not w.summary.empty_notes["flips"].isVisible()
    # Exports include its two plots now that they have data.
    stems = {p.stem for p in export_targets(tmp_path, w)}
    assert {"delta-flips", "delta-size"} <= stems


def test_picks_change_the_curves(qtbot, open_window):
    w = open_window(CONFIG)
    run_to_limit(qtbot, w.controller, 3)
    w.refresh()
    stats = ml.train(CONFIG, epochs=3, delta_stats=True).delta_stats
    weights = w.delta_panel.weights
    weights.clearSelection()
    for row in (5, 40):
        weights.item(row).setSelected(True)
    curves = drawn(w)  # (picking redraws it at once)
    assert len(curves) == 3
    assert [name for _, name in legend(w.summary)[1:]] == [weights.item(row).text().split("  ")[0] for row in (5, 40)]
    for (_, _, rate, size), row in zip(curves[1:], (5, 40)):
        np.testing.assert_array_equal(rate, stats.flip_rate[:, row])
        np.testing.assert_array_equal(size, stats.mean_abs[:, row])
    weights.clearSelection()
    assert len(drawn(w)) == 1  # all parameters, always


def test_runs_side_by_side_each_in_its_colour(qtbot, open_window):
    config = RunConfig(lr=0.2, momentum=0.8, seed=3, compare=(LaneSettings("classical", 0.05, 0.9),))
    w = open_window(config)
    run_to_limit(qtbot, w.controller, 3)
    w.refresh()
    results = ml.replay(ml.Scenario(config), epochs=3, delta_stats=True)
    curves = drawn(w)
    # Each run: its mean (solid) and its first pick (dashed), in the run's colour.
    assert [c[0] for c in curves] == [LANE_COLOURS[0]] * 2 + [LANE_COLOURS[1]] * 2
    first = w.summary.picked()[0]
    for k, result in enumerate(results):
        stats = result.delta_stats
        np.testing.assert_allclose(curves[2 * k][2], stats.flip_rate.astype(float).mean(axis=1), rtol=1e-6)
        np.testing.assert_array_equal(curves[2 * k + 1][3], stats.mean_abs[:, first])
    assert not np.array_equal(curves[0][2], curves[2][2])
    # The legend: each run in its colour, then the two line styles (solid: all, dashed: the pick).
    entries = legend(w.summary)
    assert [c for c, _ in entries] == [LANE_COLOURS[0], LANE_COLOURS[1], STYLE_COLOUR, STYLE_COLOUR]
    assert entries[-1][1] == w.delta_panel.weights.item(first).text().split("  ")[0]


def test_an_empty_run_says_so_and_reset_and_a_new_run_clear_it(qtbot, open_window):
    w = open_window(CONFIG)
    c = w.controller
    w.refresh()
    notes = w.summary.empty_notes
    assert notes["flips"].isVisible() and notes["flips"].toPlainText() == NO_STEPS
    assert not any(points(w))
    c.step_items(10)  # steps, but no epoch completed
    qtbot.waitUntil(lambda: c.latest.step == 10, timeout=TIMEOUT)
    w.refresh()
    assert notes["size"].isVisible() and notes["size"].toPlainText() == "no epoch completed yet"
    run_to_limit(qtbot, c, 2)
    w.refresh()
    assert not notes["flips"].isVisible() and points(w)[0] == 2
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        c.reset()
    w.refresh()
    assert notes["flips"].isVisible() and not any(points(w))
    run_to_limit(qtbot, c, 1)
    w.refresh()
    assert points(w)[0] == 1
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        w.panel.hidden.setValue(5)
    w.refresh()
    assert notes["flips"].isVisible() and not any(points(w))


#: (the view's size, the arrangement expected): two plots stacked where the room is tall enough
#: for two readable ones, side by side where it is wide enough, else one and the switch (the
#: "Everything" layout's dock at 1280×720 is about 140–230 px wide and 210–280 px tall).
ROOMS = {
    "normal": [((380, 640), "stacked"), ((380, 300), "beside"), ((200, 220), "one"), ((150, 200), "one")],
    "lecture": [((280, 680), "stacked"), ((420, 330), "beside"), ((230, 270), "one"), ((150, 260), "one")],
}
TWO_RUNS = RunConfig(lr=0.2, momentum=0.8, seed=3, compare=(LaneSettings("classical", 0.05, 0.9),))


def settle(host, summary) -> None:
    for _ in range(2):
        QApplication.sendPostedEvents()
        summary.refresh()
        host.grab()


@pytest.mark.parametrize("mode", ROOMS)
def test_at_each_size_its_plots_are_arranged_to_be_read_and_nothing_is_cut(qtbot, open_window, mode):
    font = QFont(QApplication.font())  # (restore_app's copy is the font it enlarged: put back this one)
    before = app_as_run_gui_styles_it()
    w = open_window(TWO_RUNS)
    try:
        run_to_limit(qtbot, w.controller, 3)
        w.set_lecture_mode(mode == "lecture")
        # The view on its own in a window of each size, in the window's mode and style.
        host = QMainWindow()
        qtbot.addWidget(host)
        host.setStyleSheet(w.styleSheet())
        host.statusBar()
        s = DeltaSummary(w.controller, w.delta_panel.weights)
        host.setCentralWidget(s)
        for plot in s.plots.values():
            present_plot(plot)
        host.show()
        for (width, height), arrangement in ROOMS[mode]:
            host.resize(width, height + host.statusBar().sizeHint().height())
            qtbot.waitUntil(lambda: s.height() <= height, timeout=TIMEOUT)
            settle(host, s)
            state = f"{mode} {s.width()}×{s.height()}"
            assert s.arrangement == arrangement, state
            assert not [str(f) for f in walk(host)], state
            flip, size = s.flip_view.geometry(), s.size_view.geometry()
            if arrangement == "stacked":
                assert flip.bottom() < size.top() and flip.left() == size.left(), state
            elif arrangement == "beside":
                assert flip.right() < size.left() and flip.top() == size.top(), state
            else:
                assert s.flip_view.isVisible() != s.size_view.isVisible() and s.switch.isVisible(), state
            # Each plot shown at least as large as readable; the legend over none of them.
            legend_rect = QRect(s.legend.mapTo(s, QPoint(0, 0)), s.legend.size())
            for view in (s.flip_view, s.size_view):
                if view.isVisible():
                    assert view.height() >= 120 and view.width() >= 110, state
                    assert not legend_rect.intersects(view.geometry()), state
            assert s.legend.isVisible() and len(legend(s)) == 4, state
    finally:
        w.set_lecture_mode(False)
        restore_app(before)
        QApplication.setFont(font)


def test_one_plot_at_a_time_the_switch_shows_the_other(qtbot, open_window):
    w = open_window(CONFIG)
    run_to_limit(qtbot, w.controller, 4)
    host = QMainWindow()
    qtbot.addWidget(host)
    s = DeltaSummary(w.controller, w.delta_panel.weights)
    host.setCentralWidget(s)
    host.resize(210, 230)
    host.show()
    settle(host, s)
    assert s.arrangement == "one" and s.flip_view.isVisible() and not s.size_view.isVisible()
    assert s.switch_buttons["flips"].isChecked()
    qtbot.mouseClick(s.switch_buttons["size"], Qt.MouseButton.LeftButton)
    settle(host, s)
    assert s.size_view.isVisible() and not s.flip_view.isVisible() and s.switch_buttons["size"].isChecked()
    # The same epochs as the other plot, and labelled at both ends of the axis.
    np.testing.assert_allclose(s.size_plot.vb.viewRange()[0], s.flip_plot.vb.viewRange()[0])
    assert not walk(host)
    shown = [text for _, text in tick_labels(s.size_plot.getAxis("bottom"))]
    assert len(shown) >= 2
    # Room for both again: both shown, the switch gone.
    host.resize(420, 700)
    settle(host, s)
    assert s.arrangement == "stacked" and s.flip_view.isVisible() and s.size_view.isVisible()
    assert not s.switch.isVisible()


#: (the epochs shown, the axis's length in pixels): the first plots' range, and long runs, in the
#: narrowest plots the view shows in lecture mode and wider.
EPOCH_AXES = [((-0.04, 4.04), 90), ((-0.03, 3.03), 90), ((-10.4, 1050.4), 150), ((-50, 5050), 200),
              ((-10.4, 1050.4), 400), ((-3, 303), 120)]


@pytest.mark.parametrize("shown, pixels", EPOCH_AXES)
def test_epoch_labels_never_run_together_and_reach_both_ends(qapp, shown, pixels):
    """In lecture mode's large font: pyqtgraph spaces ticks by the axis's length alone, and
    labels of long runs could run into each other on a narrow plot."""
    from momentum_lab._qt.summary import _epoch_ticks

    axis = pg.AxisItem("bottom")
    font = QFont()
    font.setPointSizeF(14)
    axis.setStyle(tickFont=font)
    metrics = QFontMetrics(font)
    low, high = shown
    ticks = _epoch_ticks(axis, low, high, pixels)
    spans = [((v - low) / (high - low) * pixels, metrics.horizontalAdvance(t)) for v, t in ticks]
    assert len(ticks) >= 2, ticks
    assert all(v == int(v) for v, _ in ticks)  # whole epochs
    for (a, wa), (b, wb) in zip(spans, spans[1:]):
        assert a + wa / 2 < b - wb / 2, ticks  # apart
    assert all(c - w / 2 >= 0 and c + w / 2 <= pixels for c, w in spans), ticks  # whole on the axis
    # One near each end: no longer a stretch unlabelled at an end than the layout walk allows.
    where = [c / pixels for c, _ in spans]
    most = max(END_GAP, 1.5 * max(b - a for a, b in zip(where, where[1:])))
    assert where[0] <= most and 1 - where[-1] <= most, ticks

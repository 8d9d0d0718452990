"""The delta summary view: its curves are the engine's per-epoch statistics, for the picked
parameters and for all of them; a new run or Reset clears it; an empty run says so."""

from __future__ import annotations

import numpy as np
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_teach import run_to_limit

import momentum_lab as ml
from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab._qt.export import export_targets
from momentum_lab._qt.plots import LANE_COLOURS, NO_STEPS, PALETTE
from momentum_lab._qt.summary import ALL_COLOUR

CONFIG = RunConfig(lr=0.2, momentum=0.8, seed=3)


def drawn(window) -> list[tuple]:
    """(colour, label, x, flip rate, mean |delta|) of each curve of the summary, as set."""
    s = window.summary
    labels = {id(sample.item): label.text for sample, label in s.legend.items}
    return [(flip.opts["pen"].color().name().upper(), labels.get(id(flip)), flip.xData, flip.yData, size.yData)
            for flip, size, _, _ in s.curves]


def points(window) -> list[int]:
    """Points of each curve (a curve cleared holds None)."""
    return [0 if x is None else len(x) for _, _, x, _, _ in drawn(window)]


def test_after_a_run_the_curves_are_the_engines_statistics(qtbot, open_window, tmp_path):
    w = open_window(CONFIG)
    run_to_limit(qtbot, w.controller, 6)
    w.refresh()
    stats = ml.train(CONFIG, epochs=6, delta_stats=True).delta_stats  # the same run through the API
    picks = w.summary.picked()
    assert picks == sorted(w.delta_panel.weights.row(i) for i in w.delta_panel.weights.selectedItems())
    curves = drawn(w)
    assert [c[0] for c in curves] == [ALL_COLOUR] + [PALETTE[k] for k in range(len(picks))]
    colour, label, x, rate, size = curves[0]
    assert label == "all parameters"
    np.testing.assert_array_equal(x, np.arange(1, 7))
    np.testing.assert_allclose(rate, stats.flip_rate.astype(float).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(size, stats.mean_abs.astype(float).mean(axis=1), rtol=1e-6)
    for (_, label, x, rate, size), row in zip(curves[1:], picks):
        assert label == w.delta_panel.weights.item(row).text().split("  ")[0]
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
    for (_, label, _, rate, size), row in zip(curves[1:], (5, 40)):
        assert label == weights.item(row).text().split("  ")[0]
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
        np.testing.assert_allclose(curves[2 * k][3], stats.flip_rate.astype(float).mean(axis=1), rtol=1e-6)
        np.testing.assert_array_equal(curves[2 * k + 1][4], stats.mean_abs[:, first])
    assert not np.array_equal(curves[0][3], curves[2][3])


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

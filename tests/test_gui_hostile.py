"""The window against every value the command line accepts: it never aborts, never shows another
value than the run uses, and never locks itself out (pytest-qt, offscreen)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab._qt.widgets import LearningRateSpinBox, MomentumSpinBox, SpeedControl
from momentum_lab.engine import Layout, Trainer, load_dataset
from momentum_lab.engine._options import RANGES

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)

BELOW_ONE = math.nextafter(1.0, 0.0)
SEED_MAX = 2**31 - 1


@pytest.fixture(scope="module", autouse=True)
def extreme_kernels_ready(kernels_ready):  # noqa: F811 (the fixture imported above)
    """The network shapes used here compiled in the main thread first (see kernels_ready)."""
    iris = load_dataset("iris")
    for data, hidden in ((iris, 1), (iris, 1000)):
        Trainer(data, hidden=hidden).run(2)


# -- 1. one range per option: the boxes hold exactly what the run uses --------------------------


def test_every_box_takes_its_range_from_the_one_table(qtbot, open_window):
    w = open_window(RunConfig(compare=(LaneSettings("classical", 0.01, 0.5),)))
    p = w.panel
    lanes = [p.lr, p.momentum, p.lane_rows[0].lr, p.lane_rows[0].momentum]
    for box in lanes[::2]:
        assert (box.minimum(), box.maximum()) == (RANGES["lr"].widget_low, RANGES["lr"].widget_high) == (0.0, 1e6)
    for box in lanes[1::2]:
        assert (box.minimum(), box.maximum()) == (0.0, RANGES["momentum"].widget_high) == (0.0, BELOW_ONE)
    assert (p.hidden.minimum(), p.hidden.maximum()) == (1, 1000)
    assert (p.seed.minimum(), p.seed.maximum()) == (0, SEED_MAX)


LR_EXTREMES = [0.0, 1e-13, 1e6, 250.0, 5e-324, 1e-310, 0.1 + 0.2]
MOMENTUM_EXTREMES = [0.0, 0.9995, 0.999999, BELOW_ONE, 0.1 + 0.2]


@pytest.mark.parametrize("lr", LR_EXTREMES)
def test_an_extreme_learning_rate_is_shown_and_used_exactly(qtbot, open_window, lr):
    w = open_window(RunConfig(lr=lr))
    c = w.controller
    assert w.panel.lr.value() == lr and float(w.panel.lr.text()) == lr
    assert c.config.lr == lr and c.latest.lr == lr and c.start_config.lr == lr  # the worker's trainer


@pytest.mark.parametrize("momentum", MOMENTUM_EXTREMES)
def test_an_extreme_momentum_is_shown_and_used_exactly(qtbot, open_window, momentum):
    w = open_window(RunConfig(momentum=momentum))
    c = w.controller
    assert w.panel.momentum.value() == momentum and float(w.panel.momentum.text()) == momentum
    assert c.config.momentum == momentum and c.latest.momentum == momentum


@pytest.mark.parametrize(("hidden", "seed"), [(1, 0), (1000, SEED_MAX)])
def test_extreme_hidden_units_and_seeds_are_shown_and_used_exactly(qtbot, open_window, hidden, seed):
    w = open_window(RunConfig(hidden=hidden, seed=seed))
    c = w.controller
    assert w.panel.hidden.value() == hidden and c.config.hidden == hidden and c.layout.n_hidden == hidden
    assert w.panel.seed.value() == seed and c.config.seed == seed
    engine = Trainer(load_dataset("iris"), hidden=hidden, seed=seed)
    assert c.latest.params.size == Layout(4, hidden, 3).n_params
    np.testing.assert_array_equal(c.latest.params, engine.params)  # the worker's run is that one
    assert not w.panel._hidden_timer.isActive()  # showing the value did not ask for another run


def test_compare_lanes_at_extremes_are_shown_and_used_exactly(qtbot, open_window):
    lanes = (LaneSettings("classical", 1e-13, 0.9995), LaneSettings("nesterov", 1e6, BELOW_ONE),
             LaneSettings("lookback", 5e-324, 0.999999))
    w = open_window(RunConfig(lr=250.0, momentum=0.0, compare=lanes))
    c = w.controller
    for i, settings in enumerate((LaneSettings("lookback", 250.0, 0.0), *lanes)):
        report = c.latest.lanes[i]
        shown = c.config.lanes[i]
        assert (report.lr, report.momentum) == (settings.lr, settings.momentum) == (shown.lr, shown.momentum)
        if i:
            row = w.panel.lane_rows[i - 1]
            assert (row.lr.value(), row.momentum.value()) == (settings.lr, settings.momentum)
            assert float(row.lr.text()) == settings.lr and float(row.momentum.text()) == settings.momentum


def test_typed_values_reach_the_run_exactly(qtbot, open_window):
    w = open_window()
    c = w.controller
    for box, text, value, read in ((w.panel.lr, "1e-310", 1e-310, lambda: c.latest.lr),
                                   (w.panel.momentum, "0.9999999999999999", BELOW_ONE, lambda: c.latest.momentum),
                                   (w.panel.lr, "1000000", 1e6, lambda: c.latest.lr),
                                   (w.panel.momentum, "0.9995", 0.9995, lambda: c.latest.momentum)):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), text)
        qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
        assert box.value() == value
        qtbot.waitUntil(lambda: read() == value, timeout=TIMEOUT)
    assert (c.config.lr, c.config.momentum) == (1e6, 0.9995)
    # Beyond the range: refused as typed, the value stays.
    box = w.panel.momentum
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "1")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 0.9995


def test_the_momentum_arrows_step_as_before_and_never_lower_a_value_above_them(qtbot):
    box = MomentumSpinBox()
    qtbot.addWidget(box)
    for start, steps, expected in ((0.85, 1, 0.9), (0.9, 1, 0.91), (0.99, 5, 0.999), (0.02, -1, 0.0),
                                   (0.5, 1, 0.55), (0.55, -1, 0.5), (0.999, 1, 0.999)):
        box.setValue(start)
        box.stepBy(steps)
        assert box.value() == pytest.approx(expected), (start, steps)
    for high in (0.9995, 0.999999, BELOW_ONE):
        box.setValue(high)
        box.stepBy(1)
        assert box.value() == high  # up: nothing above the arrows' range
        assert not box.stepEnabled() & box.StepEnabledFlag.StepUpEnabled
        box.stepBy(-1)
        assert box.value() == 0.99  # down: into the arrows' range, as from 0.999
    box.setValue(0.0)
    assert not box.stepEnabled() & box.StepEnabledFlag.StepDownEnabled


def test_the_learning_rate_arrows_stay_inside_the_range(qtbot):
    box = LearningRateSpinBox()
    qtbot.addWidget(box)
    box.setValue(1e6)
    box.stepBy(1)
    assert box.value() == 1e6
    box.setValue(250.0)
    box.stepBy(1)
    assert box.value() == 500.0
    box.setValue(5e-324)
    assert box.value() == 5e-324 and box.text() == "5e-324"
    box.stepBy(1)
    assert 5e-324 < box.value() < 1e-300


def test_the_speed_label_says_the_speed_the_run_uses(qtbot):
    control = SpeedControl()
    qtbot.addWidget(control)
    for speed, text in ((3.0, "3 items/s"), (1.0, "1 item/s"), (0.25, "0.25 items/s"), (1500.0, "1.5k items/s"),
                        (1e300, "1e+300 items/s"), (math.inf, "flat out"), (5e-324, "5e-324 items/s")):
        control.set_speed(speed)
        assert control.label.text() == text and control.speed() == speed


# -- large networks ---------------------------------------------------------------------------------


def test_a_large_network_is_drawn_and_watched_within_budgets(qtbot, open_window, monkeypatch):
    """A wide data set times 1,000 hidden units is a million weights: the views draw the strongest
    edges, a coarser grid of decision regions, and the deltas of fewer steps."""
    from momentum_lab._qt import plots
    from momentum_lab._qt.controller import delta_window

    assert plots.DecisionRegions.grid_size(59) == plots.DecisionRegions.GRID == 140
    assert plots.DecisionRegions.grid_size(1_001_000) == 16
    assert (delta_window(59), delta_window(8003), delta_window(1_001_000)) == (2000, 200, 3)
    monkeypatch.setattr(plots, "MAX_EDGES", 10)
    w = open_window()
    ly = w.controller.layout
    w.network.refresh()
    drawn = sum(len(curve.xData) // 2 for _, _, curve in w.network.edges if curve.xData is not None)
    weights = ly.n_inputs * ly.n_hidden + ly.n_hidden * ly.n_outputs
    assert drawn == 10
    assert w.network.getPlotItem()._shown_title == f"Network (red +, blue −; the 10 strongest of {weights} weights)"

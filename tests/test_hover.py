"""Hover readouts on every plot (issue 12): what they say, checked against the run's own data
read independently of the views, and where they go (never over a tick label, a legend or a mark's
label), and when they go away (the mouse leaving, a new run, a Reset, a new sweep).

The mouse is moved as a person would move it: mouse events sent to the plot's viewport.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent

from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab.engine import RULE_SHORT, stability_level
from reference import forward
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window, run_sweep  # noqa: F401 (fixtures)
from test_plots_truth import run_epochs

TWO_RUNS = RunConfig(compare=(LaneSettings("classical", 0.02, 0.8),))


@pytest.fixture(autouse=True)
def every_mouse_move():
    """pyqtgraph drops mouse moves less than 10 ms apart (a hand is slower than a test)."""
    limit = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", 0)
    yield
    pg.setConfigOption("mouseRateLimit", limit)


def move_to(plot, x: float, y: float) -> QPointF:
    """The mouse to the pixel at data point (x, y) of ``plot`` (a mouse move event to its viewport,
    through Qt's and pyqtgraph's handlers); returns the data point of that pixel."""
    view = plot.scene().views()[0]
    pixel = view.mapFromScene(plot.vb.mapViewToScene(QPointF(x, y)))
    viewport = view.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pixel), QPointF(viewport.mapToGlobal(pixel)),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QCoreApplication.sendEvent(viewport, event)
    return plot.vb.mapSceneToView(view.mapToScene(pixel))


def moved_and_shown(qtbot, plot, readout, x: float, y: float) -> QPointF:
    """The mouse to (x, y), again until the readout shows (on a loaded machine the map's labels
    may still be placed at the first move, and the readout finds no room clear of them)."""
    point = QPointF()

    def moved() -> bool:
        point.setX(move_to(plot, x, y).x())
        point.setY(move_to(plot, x, y).y())
        return shown(readout) is not None

    qtbot.waitUntil(moved, timeout=5000)
    return point


def leave(plot) -> None:
    view = plot.scene().views()[0]
    QCoreApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))


def settle(w) -> None:
    """The window laid out anew (lecture mode's layout comes in posted events), redrawn, and the
    layout that drawing changed delivered."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()
    w.refresh()
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


def shown(readout) -> str | None:
    return readout.item.toPlainText() if readout.item.isVisible() else None


def readout_rect(readout):
    return readout.item.mapRectToScene(readout.item.boundingRect())


def assert_clear(readout, plot, others=()) -> None:
    """The readout inside the data area, over no axis (tick labels), legend or other label."""
    rect = readout_rect(readout)
    assert plot.vb.sceneBoundingRect().adjusted(-1, -1, 1, 1).contains(rect)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        if axis.isVisible():
            assert not any(rect.intersects(label) for label, _ in drawn_ticks(axis)), side
    if plot.legend is not None and plot.legend.isVisible() and plot.legend.items:
        assert not rect.intersects(plot.legend.mapRectToScene(plot.legend.boundingRect()))
    for other in others:
        assert not rect.intersects(other)


def settings_at(c, lane: int, epoch: int) -> tuple[str, float, float]:
    """Run ``lane``'s rule, lr and momentum during ``epoch``, from its start and its changes (a
    change at step s applies from update s + 1; a row is written after the epoch's last update)."""
    start = c.start_config.lanes[lane]
    values = {"lr": start.lr, "momentum": start.momentum}
    for change in sorted(c.changes, key=lambda ch: ch.step):
        if change.lane == lane and change.step < epoch * c.dataset.n_train:
            values[change.setting] = change.value
    return start.rule, values["lr"], values["momentum"]


def expected_error_text(c, epoch: int) -> str:
    lines = [f"epoch {epoch}: loss / accuracy"]
    for lane, buffers in enumerate(c.lanes):
        row = buffers.history.rows[buffers.history.rows[:, 0] == epoch][0]
        rule, lr, momentum = settings_at(c, lane, epoch)
        name = f"{'AB'[lane]}  " if c.comparing else ""
        lines += [f"{name}{RULE_SHORT[rule].split(' (')[0]}, lr {lr:g}, momentum {momentum:g}",
                  f"{' ' * len(name)}train {row[1]:.4g} / {row[2]:.1%}   test {row[3]:.4g} / {row[4]:.1%}"]
    return "\n".join(lines)


def drawn_ticks(axis) -> list[tuple[QRectF, str]]:
    """The tick labels pyqtgraph paints on ``axis`` now (those that do not fit are dropped): their
    scene rectangles and texts."""
    from layout_walk import tick_labels

    return [(axis.mapRectToScene(rect), text) for rect, text in tick_labels(axis)]


def test_the_error_and_accuracy_readouts_tell_each_runs_values_and_settings_at_the_epoch(qtbot, open_window):
    w = open_window(TWO_RUNS, size=(1600, 1000))
    c = w.controller
    run_epochs(qtbot, w, 4)
    c.set_lr(0.05)  # run A from step 4 epochs on
    c.set_momentum(0.7, lane=1)
    qtbot.waitUntil(lambda: c.latest.lr == 0.05 and c.latest.lanes[1].momentum == 0.7, timeout=TIMEOUT)
    run_epochs(qtbot, w, 8)
    curves = w.curves
    assert [ch.setting for ch in c.changes] == ["lr", "momentum"]
    w.views.show("accuracy")
    settle(w)
    for key, plot in (("loss", curves.loss_plot), ("accuracy", curves.acc_plot)):
        readout = curves.readouts[key]
        low, high = plot.vb.viewRange()[1]
        for epoch in (2, 6):
            move_to(plot, epoch + 0.3, (low + high) / 2)  # (the nearest epoch is read)
            assert shown(readout) == expected_error_text(c, epoch)
            assert_clear(readout, plot, curves.mark_label_rects() if key == "loss" else ())
        leave(plot)
        assert shown(readout) is None


def run_with_a_change(qtbot, w, epochs: int, lr: float, more: int) -> None:
    """Run A ``epochs`` epochs, then at learning rate ``lr`` ``more`` epochs (a change mark on the curves)."""
    c = w.controller
    run_epochs(qtbot, w, epochs)
    c.set_lr(lr)
    qtbot.waitUntil(lambda: c.latest.lr == lr, timeout=TIMEOUT)
    run_epochs(qtbot, w, epochs + more)


def test_the_readout_goes_where_it_covers_no_legend_mark_label_or_tick_label(qtbot, open_window):
    w = open_window(TWO_RUNS, size=(1200, 800))
    run_with_a_change(qtbot, w, 6, 0.2, 6)
    curves = w.curves
    assert curves.mark_label_rects()
    for lecture in (False, True):
        w.set_lecture_mode(lecture)
        settle(w)
        plot, readout = curves.loss_plot, curves.readouts["loss"]
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        seen = 0
        # Everywhere over the plot, the legend's corner and the marks' labels included.
        for fx in np.linspace(0.02, 0.98, 9):
            for fy in np.linspace(0.02, 0.98, 7):
                move_to(plot, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
                if shown(readout) is not None:
                    seen += 1
                    assert_clear(readout, plot, curves.mark_label_rects())
        assert seen >= 9 * 7 - 2  # (none only where no place is clear)


def test_a_reset_and_a_new_run_clear_the_readouts(qtbot, open_window):
    w = open_window()
    c = w.controller
    run_epochs(qtbot, w, 3)
    readouts = [w.curves.readouts["loss"], w.delta_panel.readouts["trace"]]
    for readout in readouts:
        move_to(readout.plot, *np.mean(readout.plot.vb.viewRange(), axis=1))
        assert shown(readout) is not None
    c.reset()
    qtbot.waitUntil(lambda: all(shown(r) is None for r in readouts), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
    run_epochs(qtbot, w, 2)
    move_to(readouts[0].plot, 1, np.mean(readouts[0].plot.vb.viewRange()[1]))
    assert shown(readouts[0]) == expected_error_text(c, 1)
    c.new_seed()  # a new run
    qtbot.waitUntil(lambda: shown(readouts[0]) is None, timeout=TIMEOUT)


def test_the_delta_readouts_tell_run_parameter_step_and_value(qtbot, open_window):
    w = open_window(size=(1600, 1000))
    c = w.controller
    w.views.show("heatmap")
    run_epochs(qtbot, w, 3)
    settle(w)
    panel = w.delta_panel
    steps, rows = c.deltas.latest()
    d = c.dataset
    labels = c.layout.labels(d.feature_names, d.class_names, short=True)
    # The traces: the mouse on a picked parameter's delta 100 steps before the latest.
    curve = max(panel.traces, key=lambda t: np.nanmax(np.abs(rows[:, t.row])))
    k = len(steps) - 1 - 100
    move_to(panel.trace_plot, float(steps[k] - steps[-1]), float(rows[k, curve.row]))
    assert shown(panel.readouts["trace"]) == f"{labels[curve.row]}\nstep {steps[k]:,}\ndelta {rows[k, curve.row]:.4g}"
    assert_clear(panel.readouts["trace"], panel.trace_plot)
    # The heatmap: the cell of parameter 5 at that step.
    n = len(steps)
    move_to(panel.heat_plot, -n + 1.0 + k, 4.6)  # (row 5 spans 4.5 to 5.5)
    assert shown(panel.readouts["heat"]) == f"{labels[5]}\nstep {steps[k]:,}\ndelta {rows[k, 5]:.4g}"
    assert_clear(panel.readouts["heat"], panel.heat_plot)
    leave(panel.heat_plot)
    assert shown(panel.readouts["heat"]) is None


def test_the_delta_readout_names_the_run_when_runs_are_compared(qtbot, open_window):
    w = open_window(TWO_RUNS, size=(1600, 1000))
    c = w.controller
    run_epochs(qtbot, w, 2)
    panel = w.delta_panel
    curve = next(t for t in panel.traces if t.lane == 1)
    steps, rows = c.lanes[1].deltas.latest()
    k = len(steps) - 1 - 40
    move_to(panel.trace_plot, float(steps[k] - steps[-1]), float(rows[k, curve.row]) + panel.lane_centre(1))
    label = c.layout.labels(c.dataset.feature_names, c.dataset.class_names, short=True)[curve.row]
    assert shown(panel.readouts["trace"]) == f"run B: {label}\nstep {steps[k]:,}\ndelta {rows[k, curve.row]:.4g}"


def test_the_sweep_readout_tells_lr_momentum_and_value_and_a_new_sweep_clears_it(qtbot, open_window):
    w = open_window(size=(1400, 900))
    panel = run_sweep(qtbot, w, 3, 4, 3)
    result = w.sweeps.result
    move_to(panel.plot, 1.5, 2.5)
    assert shown(panel.readout) == (f"lr {result.lrs[1]:.4g}, momentum {result.momenta[2]:.4g}\n"
                                    f"Final train loss: {result.final_train_loss[1, 2]:.4g}")
    assert_clear(panel.readout, panel.plot)
    panel.measure.setCurrentIndex(1)
    panel.draw()
    move_to(panel.plot, 0.5, 0.5)
    assert shown(panel.readout) == (f"lr {result.lrs[0]:.4g}, momentum {result.momenta[0]:.4g}\n"
                                    f"Final train accuracy: {result.final_train_accuracy[0, 0]:.1%}")
    with qtbot.waitSignal(w.sweeps.finished, timeout=60_000):
        panel.run_button.click()
    assert shown(panel.readout) is None


def test_the_stability_readout_says_what_the_point_means(qtbot, open_window):
    w = open_window(RunConfig(rule="classical"), size=(1400, 900))
    c = w.controller
    w.views.show("stability")
    run_epochs(qtbot, w, 2)
    qtbot.waitUntil(lambda: math.isfinite(c.latest.sharpness), timeout=TIMEOUT)
    w.stability.refresh()
    plot, readout = w.stability.plot, w.stability.readout
    for value, m in ((0.3, 0.5), (3.0, 0.2)):
        point = moved_and_shown(qtbot, plot, readout, math.log10(value), m)
        value, m = 10 ** point.x(), point.y()
        edge = 2 * (1 - m)  # (online: the readout's r = lr × BS / (1 - m) / 2 below 1)
        verdict = "stable" if value < edge / 2 else "near the edge" if value < edge else "unstable: oscillation grows"
        lines = shown(readout).split("\n")
        assert lines[0] == f"lr × BS {value:.3g}, momentum {m:.2f}"
        assert lines[1] == f"classical rule, online: r {value / edge:.2g}, {verdict}"
        assert lines[2] == f"its edge at lr × BS {edge:.3g} (2 / gain {1 / (1 - m):.3g})"
        assert lines[3] == f"the run here: lr {value / c.latest.sharpness:.3g} (BS {c.latest.sharpness:.3g})"
        assert_clear(readout, plot, [item.mapRectToScene(item.boundingRect()) for item in w.stability.labels.values()
                                     if item.isVisible()])
    # On the run's own point: the run's numbers, its readout and its level.
    label = w.stability.point_labels[0]
    moved_and_shown(qtbot, plot, readout, label.pos().x(), label.pos().y())
    report = c.latest.lanes[0]
    lines = shown(readout).split("\n")
    assert lines[0].startswith(f"the run now: lr {report.lr:g} × BS {report.sharpness:.3g}")
    now = report.lr / (1 - report.momentum) * report.sharpness / 2
    assert lines[1] == f"online: r = lr × gain {1 / (1 - report.momentum):.3g} × BS / 2 = {now:.3g}"
    level = {"stable": "stable", "caution": "near the edge", "unstable": "unstable"}[stability_level(report.stability)]
    assert lines[2].startswith(f"r {report.stability:.3g}") and lines[2].endswith(f": {level}")


def test_the_regions_readout_tells_the_inputs_and_the_predicted_class(qtbot, open_window):
    w = open_window(RunConfig(lr=0.1), size=(1400, 900))  # (trained far enough to tell its two inputs apart)
    c = w.controller
    w.views.show("regions")
    run_epochs(qtbot, w, 20)
    regions = w.regions
    regions.refresh()
    regions.set_pick(0, 2)  # sepal and petal length: the network tells them apart
    d = c.dataset
    i, j = regions.pick
    views = c.layout.views(c.latest.params)
    weights = {name: np.asarray(views[name]) for name in ("ih_weights", "h_biases", "ho_weights", "o_biases")}
    for x, y in ((-1.0, -1.0), (0.2, 0.4), (1.5, 1.2), (1.0, -0.8), (-0.8, 1.0)):
        point = move_to(regions.plot, x, y)
        text = shown(regions.readout)
        # The point the mouse is on, the other inputs at their mean: the reference network's class.
        item = d.x_train.mean(axis=0)
        item[i], item[j] = point.x(), point.y()
        _, probs = forward(weights, item, c.config.activation)
        k = int(np.argmax(probs))
        assert text == (f"{d.feature_names[i]} {point.x():.3g}, {d.feature_names[j]} {point.y():.3g}\n"
                        f"predicted: {d.class_names[k]} ({probs[k]:.0%})")
        legend = regions.legend.mapRectToScene(regions.legend.boundingRect())
        assert_clear(regions.readout, regions.plot, [legend])


def pixels_from(plot, point: QPointF, a, b) -> float:
    """How far (pixels) ``point`` is from the segment a–b of ``plot``'s data."""
    p, a, b = (np.array(plot.vb.mapViewToScene(QPointF(*xy)).toTuple()) for xy in (point.toTuple(), a, b))
    t = np.clip(np.dot(p - a, b - a) / max(np.dot(b - a, b - a), 1e-12), 0, 1)
    return float(np.hypot(*(a + t * (b - a) - p)))


def test_the_network_readout_names_a_node_or_an_edge_and_its_weight(qtbot, open_window):
    w = open_window(size=(1400, 900))
    c = w.controller
    w.views.show("network")
    run_epochs(qtbot, w, 2)
    net = w.network
    net.refresh()
    plot = net.getPlotItem()
    ly = c.layout
    pos = net._positions(ly.n_inputs, ly.n_hidden, ly.n_outputs)
    move_to(plot, *pos[ly.n_inputs + 2])
    assert shown(net.readout) == "hidden unit h2"
    move_to(plot, *pos[0])
    assert shown(net.readout) == f"input {c.dataset.feature_names[0]}"
    # Halfway along the edge from hidden unit 3 to output 1: that edge's weight, or one passing as near.
    a, b = pos[ly.n_inputs + 3], pos[ly.n_inputs + ly.n_hidden + 1]
    point = move_to(plot, *(a + b) / 2)
    text = shown(net.readout)
    assert text is not None
    label, weight = text.split("\n")
    index = ly.labels(c.dataset.feature_names, c.dataset.class_names, short=True).index(label)
    assert weight == f"weight {c.latest.params[index]:.4g}"
    kind, i, j = re.match(r"(ih|ho)\[(\d+),(\d+)\]", label).groups()
    start, end = (int(i), ly.n_inputs + int(j)) if kind == "ih" else \
        (ly.n_inputs + int(i), ly.n_inputs + ly.n_hidden + int(j))
    assert pixels_from(plot, point, pos[start], pos[end]) <= pixels_from(plot, point, a, b) + 0.5
    assert_clear(net.readout, plot, [item.mapRectToScene(item.boundingRect()) for item in net._labels])


@pytest.mark.parametrize("lecture", [False, True])
def test_the_readout_grows_in_lecture_mode(qtbot, open_window, lecture):
    w = open_window()
    run_epochs(qtbot, w, 2)
    w.set_lecture_mode(lecture)
    w.refresh()
    readout = w.curves.readouts["loss"]
    move_to(readout.plot, 1, np.mean(readout.plot.vb.viewRange()[1]))
    assert readout.item.textItem.font().pointSizeF() == (12 if lecture else 9)

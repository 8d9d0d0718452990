"""Exploring settings: a learning-rate x momentum sweep in the window, and the stability map.

The sweep runs in a thread of its own (one at a time: the compiled sweep uses every core,
and its thread pool must not be entered from two threads at once). Clicking a cell of its
heatmap loads that configuration into the main run and replays it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine import RULE_SHORT, RULES, RUN_NAMES, Dataset, InputError, flag_spelling, stability_bound, sweep
from .controller import RunConfig, RunController
from .plots import (LANE_COLOURS, HoverReadout, fit_axis_width, pen_width, plot_text, presenting, rule_name, show_title,
                    style_plot, thin_ticks)
from .report import SWEEP_MEASURES, label_every, draw_sweep, grid_labels
from .widgets import LearningRateSpinBox, MomentumSpinBox

__all__ = ["StabilityMap", "SweepController", "SweepPanel", "SweepRequest"]


@dataclass(frozen=True)
class SweepRequest:
    """A sweep asked for from the window: the grid, and the run whose options it shares."""

    config: RunConfig
    lr: tuple[float, float, int]
    momentum: tuple[float, float, int]
    epochs: int
    target_loss: float | None
    # The run's data as the window holds them (not read again), or None to load them.
    dataset: Dataset | None = None

    def options(self) -> dict[str, Any]:
        """:func:`~momentum_lab.sweep`'s grid options."""
        return dict(lr=self.lr, momentum=self.momentum, epochs=self.epochs, target_loss=self.target_loss)


class _Cancelled(Exception):
    pass


class _SweepRunner(QObject):
    """Runs sweeps in its thread, one at a time, in the order asked."""

    # Emitted as a sweep goes: its request id, epochs done, epochs in all.
    progress = Signal(int, int, int)
    # Emitted when a sweep is complete: its request id and the SweepResult.
    finished = Signal(int, object)
    # Emitted when a sweep could not run or was cancelled: its request id and a one-line message.
    failed = Signal(int, str)

    @Slot(int, object, object)
    def run(self, request_id: int, request: SweepRequest, cancel: threading.Event) -> None:
        def report(done: int, total: int) -> None:
            if cancel.is_set():
                raise _Cancelled
            self.progress.emit(request_id, done, total)

        if cancel.is_set():  # cancelled (or replaced) before its turn came
            self.failed.emit(request_id, "Sweep cancelled.")
            return
        try:
            config = request.config if request.dataset is None else replace(request.config, dataset=request.dataset)
            result = sweep(config, progress=report, **request.options())
        except _Cancelled:
            self.failed.emit(request_id, "Sweep cancelled.")
        except InputError as exc:
            self.failed.emit(request_id, str(exc))
        except Exception as exc:  # noqa: BLE001 (the window says what went wrong; the thread lives on)
            self.failed.emit(request_id, f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(request_id, result)


class SweepController(QObject):
    """The GUI thread's side of sweeps: starts one, cancels it, keeps the latest result.

    The thread starts with the first sweep. A sweep stops at its next progress report
    (about every 0.2 s) once cancelled.
    """

    # Emitted as a sweep goes: epochs done, epochs in all.
    progress = Signal(int, int)
    # Emitted when a sweep has finished; its result is in :attr:`result`, its request in :attr:`request`.
    finished = Signal()
    # Emitted when a sweep was cancelled or could not run (a one-line message).
    stopped = Signal(str)

    # Request to the runner (queued: it runs in the sweep's thread): id, SweepRequest, cancel event.
    _run = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.result = None
        self.request: SweepRequest | None = None  # the finished sweep's
        self.pending: SweepRequest | None = None  # the running sweep's
        self.running = False
        self._id = 0
        self._cancel = threading.Event()
        self.thread: QThread | None = None

    def _ensure_thread(self) -> None:
        if self.thread is not None:
            return
        self.thread = QThread()
        self.thread.setObjectName("momentum-lab sweep")
        self.runner = _SweepRunner()
        self.runner.moveToThread(self.thread)
        self.thread.finished.connect(self.runner.deleteLater)
        self._run.connect(self.runner.run)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.thread.start()

    def start(self, request: SweepRequest) -> None:
        """Run ``request``; a sweep still running is cancelled first."""
        self._ensure_thread()
        self.cancel()
        self._id += 1
        self._cancel = threading.Event()  # each sweep its own: cancelling one never touches the next
        self.running = True
        self.pending = request
        self._run.emit(self._id, request, self._cancel)

    def cancel(self) -> None:
        if self.running:
            self._cancel.set()

    def shutdown(self) -> None:
        """Cancel any sweep and wait for the thread: safe to call more than once."""
        if self.thread is None or not self.thread.isRunning():
            return
        self._cancel.set()
        self.thread.quit()
        self.thread.wait()

    @Slot(int, int, int)
    def _on_progress(self, request_id: int, done: int, total: int) -> None:
        if request_id == self._id:
            self.progress.emit(done, total)

    def _current(self, request_id: int) -> bool:
        if request_id != self._id:
            return False  # a sweep since replaced
        self.running = False
        return True

    @Slot(int, object)
    def _on_finished(self, request_id: int, result) -> None:
        if self._current(request_id):
            self.result, self.request = result, self.pending
            self.finished.emit()

    @Slot(int, str)
    def _on_failed(self, request_id: int, message: str) -> None:
        if self._current(request_id):
            self.stopped.emit(flag_spelling(message))


class SweepPanel(QWidget):
    """A learning-rate x momentum sweep from the main run's start; click a cell to replay it there."""

    def __init__(self, controller: RunController, sweeps: SweepController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.sweeps = sweeps
        #: Carries out a cell's replay, ``restart(ask)`` calling ``ask()``: the window's undo stack
        #: records it there (RunUndoStack.restart), so that Ctrl+Z gives the run before back.
        self.restart: Callable[[Callable[[], bool]], bool] = lambda ask: ask()
        self.lr_min, self.lr_max = LearningRateSpinBox(), LearningRateSpinBox()
        self.lr_min.setValue(0.001)
        self.lr_max.setValue(1.0)
        self.m_min, self.m_max = MomentumSpinBox(), MomentumSpinBox()
        self.m_min.setValue(0.0)
        self.m_max.setValue(0.95)
        self.lr_n, self.m_n = QSpinBox(), QSpinBox()
        for box, value in ((self.lr_n, 16), (self.m_n, 12)):
            box.setRange(1, 60)
            box.setValue(value)
            box.setSuffix(" values")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(50)
        self.epochs.setSuffix(" epochs")
        self.target = QDoubleSpinBox()
        self.target.setRange(0.0, 100.0)
        self.target.setDecimals(3)
        self.target.setSingleStep(0.01)
        self.target.setValue(0.1)
        self.target.setSpecialValueText("none")
        self.target.setToolTip("Epochs to target: the first epoch whose train loss is at most this")
        self.measure = QComboBox()
        for key, (title, _) in SWEEP_MEASURES.items():
            self.measure.addItem(title, key)
        self.measure.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.measure.setMinimumContentsLength(14)
        for box in (self.lr_min, self.lr_max, self.m_min, self.m_max, self.lr_n, self.m_n, self.epochs, self.target,
                    self.measure):
            # Narrower than their text wants if need be: lecture mode's large text made the grid
            # wider than its dock, and the sweep's plot was cut.
            box.setMinimumWidth(40)
        self.run_button = QPushButton("Run sweep")
        self.run_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.run_button.setToolTip("Train every learning rate x momentum of the grid from run A's initial "
                                   "weights and item order, with its rule, data and network, on every core")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.view = pg.PlotWidget()
        # (Its 480 px preferred height made the panel's height-for-width 649 px: its scroll area
        # scrolled at every size. The plot takes what the fields leave.)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.view.setMinimumHeight(120)
        self.plot = self.view.getPlotItem()
        style_plot(self.plot, "Sweep: click a cell to replay it", "learning rate (log-spaced)", "momentum")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.marker = pg.PlotCurveItem(pen=pg.mkPen("#E00000", width=3))
        self.marker.setZValue(5)
        self.caption = QLabel("Set a grid and press Run sweep.")
        self.caption.setWordWrap(True)
        self._items: list = []

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("lr"), 0, 0)
        grid.addWidget(self.lr_min, 0, 1)
        grid.addWidget(self.lr_max, 0, 2)
        grid.addWidget(self.lr_n, 0, 3)
        grid.addWidget(QLabel("m"), 1, 0)
        grid.addWidget(self.m_min, 1, 1)
        grid.addWidget(self.m_max, 1, 2)
        grid.addWidget(self.m_n, 1, 3)
        # (Three columns of fields, the measure on a row of its own: in one row with the epochs and
        # the target, it made the panel 724 px wide in lecture mode, and the view area scrolled.)
        grid.addWidget(self.epochs, 2, 1)
        target_row = QHBoxLayout()
        target_row.addWidget(QLabel("target"))
        target_row.addWidget(self.target, 1)
        grid.addLayout(target_row, 2, 2, 1, 2)
        grid.addWidget(self.measure, 3, 1, 1, 3)
        # (The button and the progress bar in a row of their own: in the fields' columns, their
        # least widths made the panel wider than a 260 px dock in lecture mode.)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.progress, 1)
        grid.addLayout(run_row, 4, 0, 1, 4)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addLayout(grid)
        box.addWidget(self.view, 1)
        box.addWidget(self.caption)

        self.readout = HoverReadout(self.plot, self.describe, controller)
        self._drawn_for = None  # (plot width, height, lecture mode) the cells' labels were spaced for
        self.plot.vb.sigResized.connect(self._on_resized)
        self.run_button.clicked.connect(self._on_run)
        self.measure.activated.connect(self._on_measure)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        sweeps.progress.connect(self._on_progress)
        sweeps.finished.connect(self._on_finished)
        sweeps.stopped.connect(self._on_stopped)

    def request(self) -> SweepRequest:
        """The grid on show, for the main run's current configuration."""
        target = self.target.value()
        config = replace(self.controller.config, compare=())
        return SweepRequest(config, (self.lr_min.value(), self.lr_max.value(), self.lr_n.value()),
                            (self.m_min.value(), self.m_max.value(), self.m_n.value()), self.epochs.value(),
                            target if target > 0 else None, self.controller.dataset)

    @Slot()
    def _on_run(self) -> None:
        if self.sweeps.running:
            self.sweeps.cancel()
            return
        request = self.request()
        self.sweeps.start(request)
        self.run_button.setText("Cancel")
        self.progress.setRange(0, request.epochs)
        self.progress.setValue(0)
        self.caption.setText(f"Sweeping {request.lr[2] * request.momentum[2]} configurations of the "
                             f"{RULE_SHORT[request.config.rule]} rule…")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    @Slot()
    def _on_finished(self) -> None:
        if self.marker.getViewBox() is not None:  # it marked a cell of the previous sweep
            self.plot.removeItem(self.marker)
        self.run_button.setText("Run sweep")
        self.progress.setValue(self.progress.maximum())
        self.draw()

    @Slot(str)
    def _on_stopped(self, message: str) -> None:
        self.run_button.setText("Run sweep")
        self.progress.setValue(0)
        self.caption.setText(message)

    @Slot(int)
    def _on_measure(self, index: int) -> None:
        self.draw()

    @Slot()
    def _on_resized(self, *_) -> None:
        """The cells' labels spaced again for a new size or text size (they would run together)."""
        if self._drawn_for is not None and self._drawn_for != self._size_key():
            self.draw()

    def _size_key(self) -> tuple:
        return round(self.plot.vb.width()), round(self.plot.vb.height()), presenting()

    def draw(self) -> None:
        result = self.sweeps.result
        if result is None:
            return
        self._drawn_for = self._size_key()
        for item in self._items:
            self.plot.removeItem(item)
        self.readout.hide()  # (it told of the cells drawn before)
        measure = self.measure.currentData()
        # Every k-th cell labelled, k the least that keeps the labels apart at this size and text size.
        vb = self.plot.vb
        every = (label_every(self.plot.getAxis("bottom"), grid_labels(result.lrs), vb.width() / len(result.lrs), True),
                 label_every(self.plot.getAxis("left"), grid_labels(result.momenta), vb.height() / len(result.momenta),
                              False)) if vb.width() > 0 else None
        self._items, (_, (low, high), label) = draw_sweep(self.plot, result, measure, every)
        # (A left axis as wide as its labels in this text size: "0.7125" ran into "momentum".)
        fit_axis_width(self.plot.getAxis("left"), grid_labels(result.momenta))
        title, log = SWEEP_MEASURES[measure]
        show_title(self.plot, f"{title} (click a cell: replay)")
        shown = (lambda v: f"{10 ** v:.3g}") if log else (lambda v: f"{v:.3g}")
        diverged = int(np.isfinite(result.diverged_at_epoch).sum())
        try:
            best = result.best()
            best_text = f"Lowest final train loss {best['final_train_loss']:.3g} at lr {best['lr']:.3g}, " \
                        f"m {best['momentum']:.2f}."
        except ValueError:
            best_text = "Every configuration diverged."
        self.caption.setText(
            f"{RULE_SHORT[result.rule]} rule. {title}: dark {shown(low)} … bright {shown(high)}; grey: no value; "
            f"× diverged ({diverged} of {result.final_train_loss.size}). {best_text} {result.seconds:.2f} s, "
            f"{result.updates_per_second / 1e6:.1f}M configuration-updates/s.")

    def describe(self, point) -> str | None:
        """The hover readout: the cell under the mouse, its lr, momentum and the measure on show."""
        result = self.sweeps.result
        i, j = math.floor(point.x()), math.floor(point.y())
        if result is None or not (0 <= i < len(result.lrs) and 0 <= j < len(result.momenta)):
            return None
        measure = self.measure.currentData()
        title, _ = SWEEP_MEASURES[measure]
        value = float(getattr(result, measure)[i, j])
        diverged = float(result.diverged_at_epoch[i, j])
        if measure == "diverged_at_epoch":
            shown = f"{value:g}" if math.isfinite(value) else "never"
        elif math.isfinite(diverged):
            shown = f"none (diverged at epoch {diverged:g})"
        elif not math.isfinite(value):
            shown = "not reached"
        else:
            shown = f"{value:.1%}" if measure == "final_train_accuracy" else f"{value:.4g}"
        return f"lr {result.lrs[i]:.4g}, momentum {result.momenta[j]:.4g}\n{title}: {shown}"

    @Slot(object)
    def _on_click(self, event) -> None:
        result = self.sweeps.result
        if result is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if not self.plot.vb.sceneBoundingRect().contains(pos):
            return
        point = self.plot.vb.mapSceneToView(pos)
        i, j = math.floor(point.x()), math.floor(point.y())
        if 0 <= i < len(result.lrs) and 0 <= j < len(result.momenta):
            self.load_cell(i, j)

    def load_cell(self, i: int, j: int) -> None:
        """Load cell (lrs[i], momenta[j]) into the main run and replay it for the sweep's epochs."""
        result, request = self.sweeps.result, self.sweeps.request
        lr, m = float(result.lrs[i]), float(result.momenta[j])
        config = replace(request.config, lr=lr, momentum=m)
        reason = f"sweep cell lr {lr:.3g}, momentum {m:.3g}, replayed to epoch {request.epochs}"
        if self.restart(lambda: self.controller.load(config, reason, replay_epochs=request.epochs)):
            self.marker.setData([i, i + 1, i + 1, i, i], [j, j, j + 1, j + 1, j])
            if self.marker.getViewBox() is None:
                self.plot.addItem(self.marker)


class StabilityMap(pg.PlotWidget):
    """Where each run stands against its rule's stable region on a quadratic.

    x is lr × λ (log scale), λ the largest curvature of the training loss at the run's
    current weights; y is the momentum. The shaded region is stable for run A's rule; the
    other rules' edges are drawn thin for comparison.
    """

    LOW, HIGH = -3.0, 2.0  # log10 of lr × λ shown

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Stability map", "lr × λ (largest curvature)", "momentum")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setRange(xRange=(self.LOW, self.HIGH), yRange=(0, 1), padding=0.02)
        self._ticks_for = None  # (axis length, text size) the ticks were thinned for
        self._note_for = None  # (the note's text, its room) it was wrapped for
        m = np.linspace(0.0, 0.999, 400)
        self.edges = {}
        for rule in RULES:
            x = np.log10([stability_bound(rule, v) for v in m])
            self.edges[rule] = pg.PlotDataItem(x, m, antialias=True)
            self.plot.addItem(self.edges[rule])
        self.left = pg.PlotDataItem(np.full_like(m, self.LOW - 1), m)
        self.region = pg.FillBetweenItem(self.left, self.edges[RULES[0]], brush=pg.mkBrush(0, 158, 115, 45))
        self.region.setZValue(-10)
        self.plot.addItem(self.region)
        self.labels = {rule: plot_text(rule_name(rule), anchor=(0, 0.5)) for rule in RULES}
        for item in self.labels.values():
            self.plot.addItem(item)
        self._place_labels()
        self.plot.vb.sigResized.connect(self._place_labels)
        self.points = pg.ScatterPlotItem(size=15, pxMode=True)
        self.points.setZValue(10)
        self.plot.addItem(self.points)
        self.point_labels = [plot_text(name, color="#111", anchor=(-0.3, 1.1)) for name in RUN_NAMES]
        for item in self.point_labels:
            item.setZValue(11)
            self.plot.addItem(item)
        self.note = pg.LabelItem("", size="10pt")
        self.note.setParentItem(self.plot.vb)
        self.note.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 4))
        self.note.setZValue(12)  # (over the edges: wrapped, it reaches them in a narrow dock)
        self.plot.vb.sigResized.connect(self._wrap_note)
        self._rule = None
        self.readout = HoverReadout(self.plot, self.describe, controller)

    #: The x axis's ticks, most important first (those that would run together are left out).
    TICKS = (1, 0.01, 100, 0.1, 10, 0.001, 2, 4)

    def _thin_ticks(self) -> None:
        """The x axis's ticks that fit its length in its text size (see thin_ticks)."""
        axis = self.plot.getAxis("bottom")
        key = (round(self.plot.vb.width()), (axis.style.get("tickFont") or axis.font()).pointSizeF())
        if key == self._ticks_for:
            return
        self._ticks_for = key
        ticks = [(math.log10(v), f"{v:g}") for v in self.TICKS]
        axis.setTicks([thin_ticks(axis, ticks, self.plot.vb.viewRange()[0], self.plot.vb.width()), []])

    @Slot()
    def _wrap_note(self, *_) -> None:
        """The note on lines no wider than the plot (lecture mode's "inside the stable region" was
        cut in a narrow dock)."""
        item, room = self.note.item, max(self.plot.vb.width() - 12, 40.0)
        key = (item.toHtml(), room)
        if key == self._note_for:
            return
        item.setTextWidth(-1)
        if item.boundingRect().width() > room:
            item.setTextWidth(room)
        self.note.updateMin()
        # (Outside a layout a widget never shrinks by itself, and the label centres its text in it.)
        self.note.resize(self.note.minimumSize())
        self._note_for = key

    #: Where each rule's edge is named: at this momentum.
    LABEL_AT = {"lookback": 0.62, "classical": 0.85, "nesterov": 0.4}

    @Slot()
    def _place_labels(self, *_) -> None:
        """Each rule's name right of its edge, or left of it where it would pass the plot's right
        side (lecture mode's larger names in a narrow dock)."""
        self._thin_ticks()
        pixel = self.plot.vb.viewPixelSize()[0] or 0.0
        for rule, item in self.labels.items():
            m = self.LABEL_AT[rule]
            x = math.log10(stability_bound(rule, m))
            fits = x + 0.04 + item.boundingRect().width() * pixel <= self.HIGH
            item.setAnchor((0, 0.5) if fits else (1, 0.5))
            item.setPos(x + 0.04 if fits else x - 0.04, m)

    #: The mouse this close (pixels) to a run's point reads that run.
    POINT_PX = 12

    def describe(self, point) -> str | None:
        """The hover readout: a run's point (its lr, λ and momentum, and whether they are stable),
        else the point under the mouse (lr × λ, momentum, stable or not for run A's rule, and the
        learning rate that puts run A there)."""
        c = self.controller
        if not 0 <= point.y() < 1:
            return None
        px, py = self.plot.vb.viewPixelSize()
        for index, lane in enumerate(c.lanes):
            report = lane.latest
            label = self.point_labels[index]
            if report is None or not label.isVisible():
                continue
            x, m = label.pos().x(), label.pos().y()
            if math.hypot((x - point.x()) / (px or 1), (m - point.y()) / (py or 1)) <= self.POINT_PX:
                value, bound = report.lr * report.curvature, stability_bound(report.rule, report.momentum)
                name = f"run {RUN_NAMES[index]}" if c.comparing else "the run"
                return (f"{name} now: lr {report.lr:g} × λ {report.curvature:.3g} = {value:.3g}, momentum "
                        f"{report.momentum:g}\n{self._verdict(report.rule, value, bound)}")
        value, m = 10 ** point.x(), point.y()
        rule = c.config.rule
        text = f"lr × λ {value:.3g}, momentum {m:.2f}\n{self._verdict(rule, value, stability_bound(rule, m))}"
        report = c.lanes[0].latest if c.lanes else None
        if report is not None and math.isfinite(report.curvature) and report.curvature > 0:
            name = "run A" if c.comparing else "the run"
            text += f"\n{name} here: lr {value / report.curvature:.3g} (λ {report.curvature:.3g})"
        return text

    @staticmethod
    def _verdict(rule: str, value: float, bound: float) -> str:
        where = "stable" if value < bound else "unstable: oscillation grows"
        return f"{rule_name(rule)} rule: {where} (its edge at lr × λ {bound:.3g})"

    def _show_rule(self, rule: str) -> None:
        if rule == self._rule:
            return
        self._rule = rule
        for name, edge in self.edges.items():
            chosen = name == rule
            edge.setPen(pg.mkPen("#006E50" if chosen else "#777", width=pen_width(3 if chosen else 1.2),
                                 style=Qt.PenStyle.SolidLine if chosen else Qt.PenStyle.DashLine))
            self.labels[name].setColor("#006E50" if chosen else "#777")
        self._place_labels()  # (lecture mode may have changed their size)
        self.region.setCurves(self.left, self.edges[rule])
        show_title(self.plot, f"Stability map: {RULE_SHORT[rule]} (shaded: stable)")

    def refresh(self) -> None:
        c = self.controller
        self._show_rule(c.config.rule)
        self._thin_ticks()  # (again in lecture mode: larger text)
        spots, outside, unknown = [], [], []
        for index, lane in enumerate(c.lanes):
            report = lane.latest
            label = self.point_labels[index]
            curvature, before_divergence = lane.curvature()
            if report is None or not math.isfinite(curvature):
                label.hide()
                if report is not None:
                    unknown.append(RUN_NAMES[index])
                continue
            value = report.lr * curvature  # (a diverged run: at its last λ, with the settings it diverged at)
            bound = stability_bound(report.rule, report.momentum)
            x = min(max(math.log10(value) if value > 0 else self.LOW, self.LOW), self.HIGH)
            beyond = value >= bound
            colour = LANE_COLOURS[index] if c.comparing else "#111"
            spots.append({"pos": (x, report.momentum), "brush": pg.mkBrush(colour),
                          "pen": pg.mkPen("#E00000" if beyond else "w", width=3 if beyond else 1.5),
                          "symbol": "x" if beyond else "o"})
            name = RUN_NAMES[index] if c.comparing else "now"
            label.setText(f"{name} (diverged)" if before_divergence else name)
            label.setPos(x, report.momentum)
            # Right of the point, or left of it where it would pass the plot's right side.
            fits = x + label.boundingRect().width() * 1.3 * (self.plot.vb.viewPixelSize()[0] or 0.0) <= self.HIGH
            label.setAnchor((-0.3, 1.1) if fits else (1.3, 1.1))
            label.show()
            if beyond:
                outside.append(f"{RUN_NAMES[index] + ': ' if c.comparing else ''}lr×λ {value:.3g} ≥ {bound:.3g}"
                               + (", diverged" if before_divergence else ""))
        for label in self.point_labels[len(c.lanes):]:
            label.hide()
        self.points.setData(spots)
        if outside:
            text = ("<span style='color:#B00020; font-weight:bold'>⚠ outside the stable region ("
                    + "; ".join(outside) + "): expect growing oscillation</span>")
        elif unknown and not spots:
            text = "<span style='color:#333'>λ not measured yet (it is, about once a second)</span>"
        else:
            text = "<span style='color:#333'>inside the stable region</span>"
        if text != self.note.text:
            self.note.setText(text)
        self._wrap_note()  # (also after lecture mode resized the text)

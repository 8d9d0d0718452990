"""Exploring settings: a learning-rate x momentum sweep in the window, and the stability map.

The sweep runs in a thread of its own (one at a time: the compiled sweep uses every core,
and its thread pool must not be entered from two threads at once). Clicking a cell of its
heatmap loads that configuration into the main run and replays it.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSizeF, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QFontMetricsF
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
from .plots import (LANE_COLOURS, MIN_PLOT_SIZE, HoverReadout, blank_axes, fit_axis_width, fit_axis_words, pen_width,
                    plot_text, presenting, rule_name, show_title_words, style_plot, thin_ticks)
from .report import SWEEP_MEASURES, label_every, draw_sweep, grid_labels
from .widgets import LearningRateSpinBox, MomentumSpinBox

__all__ = ["StabilityMap", "SweepController", "SweepPanel", "SweepRequest"]


def end_ticks(labels: list[str], every: int) -> list[tuple[float, str]]:
    """A sweep axis's ticks at every ``every``-th cell's centre from the first, the last of them
    moved to the last cell (no closer than ``every`` cells to the one before it)."""
    shown = list(range(0, len(labels), max(1, every)))
    if len(shown) > 1:
        shown[-1] = len(labels) - 1
    return [(i + 0.5, labels[i]) for i in shown]


def fit_left_ticks(plot: pg.PlotItem, steps: tuple[float, ...] = (0.2, 0.5, 1.0)) -> None:
    """The left axis of a 0..1 range labelled at the finest of ``steps`` whose labels, in the
    axis's font, stand apart in the view box's height (pyqtgraph's own spacing ran 0.8 into 1.0
    in a 65 px plot)."""
    axis = plot.getAxis("left")
    height = QFontMetricsF(axis.style.get("tickFont") or axis.font()).height()
    room = plot.vb.height() / max(plot.vb.viewRange()[1][1] - plot.vb.viewRange()[1][0], 1e-9)
    step = next((s for s in steps if s * room >= height + 2), steps[-1])
    key = (step, height)
    if getattr(axis, "_fitted_ticks", None) != key:
        axis._fitted_ticks = key
        n = round(1 / step)
        axis.setTicks([[(i * step, f"{i * step:.1f}") for i in range(n + 1)], []])


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
        for box, value, what in ((self.lr_n, 16, "learning rates (log-spaced)"), (self.m_n, 12, "momenta")):
            box.setRange(1, 60)
            box.setValue(value)
            box.setSuffix(self.COUNT_SUFFIX)
            box.setToolTip(f"How many {what} the grid has")
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
        self.measure.setMinimumWidth(40)  # (narrower than its longest title if need be: the room is the dock's)
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
        style_plot(self.plot, "Sweep: click a cell to replay it", self.X_LABELS[0], self.Y_LABELS[0])
        blank_axes(self.plot, True)  # (until a sweep has run: pyqtgraph's own 0..1 told of no grid)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        show_title_words(self.plot, ["Sweep: click a cell to replay it", "Sweep: click a cell", "Sweep"])
        self.marker = pg.PlotCurveItem(pen=pg.mkPen("#E00000", width=3))
        self.marker.setZValue(5)
        self.caption = QLabel("Set a grid and press Run sweep.")
        self.caption.setWordWrap(True)
        self._items: list = []

        self.run_button.setMinimumWidth(40)
        # The fields' grid: three columns of fields where they fit whole, else two (see _fit_fields).
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self._labels = {name: QLabel(name) for name in ("lr", "m", "grid", "×", "target")}
        self._labels["grid"].setToolTip("How many learning rates × momenta the sweep trains")
        self._wide: bool | None = None  # (three columns of fields; None: not laid out yet)
        self._fit_pending = False
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addLayout(self.grid)
        box.addWidget(self.view, 1)
        box.addWidget(self.caption)
        self._lay_out(True)
        for field in self._fields():
            if isinstance(field, QComboBox):
                field.currentTextChanged.connect(self._ask_fit)
            else:
                field.lineEdit().textChanged.connect(self._ask_fit)

        self.readout = HoverReadout(self.plot, self.describe, controller)
        self._drawn_for = None  # (plot width, height, lecture mode) the cells' labels were spaced for
        self.plot.vb.sigResized.connect(self._on_resized)
        self.run_button.clicked.connect(self._on_run)
        self.measure.activated.connect(self._on_measure)
        self.view.scene().sigMouseClicked.connect(self._on_click)
        sweeps.progress.connect(self._on_progress)
        sweeps.finished.connect(self._on_finished)
        sweeps.stopped.connect(self._on_stopped)

    #: The axes' labels, shortened by words where the plot is small.
    X_LABELS = ("learning rate (log-spaced)", "learning rate", "lr")
    Y_LABELS = ("momentum", "m")

    #: The count fields' suffix, where the three columns have room for it.
    COUNT_SUFFIX = " values"

    def _fields(self) -> tuple:
        return (self.lr_min, self.lr_max, self.lr_n, self.m_min, self.m_max, self.m_n, self.epochs, self.target,
                self.measure)

    def _lay_out(self, wide: bool) -> None:
        """The fields in three columns, each range's count beside it ("16 values"), or, where those
        are not whole in the panel's width (lecture mode's large text in a 230–290 px dock), in two:
        the ranges, then the grid's size ("grid 16 × 12"), the epochs and the target on rows of their
        own."""
        grid, labels = self.grid, self._labels
        while grid.count():  # (the other arrangement's places taken out: the widgets stay the panel's)
            row = grid.takeAt(0).layout()
            if row is not None:
                while row.count():
                    row.takeAt(0)
                row.deleteLater()
        for row, (name, low, high, count) in enumerate((("lr", self.lr_min, self.lr_max, self.lr_n),
                                                        ("m", self.m_min, self.m_max, self.m_n))):
            grid.addWidget(labels[name], row, 0)
            grid.addWidget(low, row, 1)
            grid.addWidget(high, row, 2)
            if wide:
                grid.addWidget(count, row, 3)
        target_row = QHBoxLayout()
        if wide:  # (beside the epochs, not in their columns: the epochs' width widened the ranges' first)
            target_row.addWidget(self.epochs, 1)
        target_row.addWidget(labels["target"])
        target_row.addWidget(self.target, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.progress, 1)
        if wide:
            # (The measure on a row of its own: in one row with the epochs and the target, it made
            # the panel 724 px wide in lecture mode, and the view area scrolled.)
            grid.addLayout(target_row, 2, 1, 1, 3)
            grid.addWidget(self.measure, 3, 1, 1, 3)
            # (The button and the progress bar in a row of their own: in the fields' columns, their
            # least widths made the panel wider than a 260 px dock in lecture mode.)
            grid.addLayout(run_row, 4, 0, 1, 4)
        else:
            counts = QHBoxLayout()
            counts.addWidget(labels["grid"])
            counts.addWidget(self.lr_n, 1)
            counts.addWidget(labels["×"])
            counts.addWidget(self.m_n, 1)
            grid.addLayout(counts, 2, 0, 1, 3)
            grid.addWidget(self.epochs, 3, 0, 1, 3)
            grid.addLayout(target_row, 4, 0, 1, 3)
            grid.addWidget(self.measure, 5, 0, 1, 3)
            grid.addLayout(run_row, 6, 0, 1, 3)
        labels["grid"].setVisible(not wide)
        labels["×"].setVisible(not wide)
        for count in (self.lr_n, self.m_n):
            count.setSuffix(self.COUNT_SUFFIX if wide else "")
        self._wide = wide

    def _needs(self, field, suffix: str | None = None, hint: bool = False) -> int:
        """The width (px) at which ``field`` shows its whole text (``suffix`` in place of its own);
        with ``hint``, at least its least size hint too (the lr fields': a six-decimal rate)."""
        if isinstance(field, QComboBox):
            return field.minimumSizeHint().width()
        text = field.text() if suffix is None else field.text().removesuffix(field.suffix()) + suffix
        # (The spin box's arrows and QLineEdit's own margins: 24 px in every style tried.)
        width = field.fontMetrics().horizontalAdvance(text) + 26
        return max(width, field.minimumSizeHint().width()) if hint else width

    def _room(self) -> int:
        """The width the panel has: its scroll area's (it is never narrower than its fields)."""
        parent = self.parentWidget()
        scrolled = parent is not None and parent.objectName() == "qt_scrollarea_viewport"
        return parent.width() if scrolled else self.width()

    @Slot()
    def _ask_fit(self, *_) -> None:
        if not self._fit_pending:
            self._fit_pending = True
            QTimer.singleShot(0, self._fit_fields)

    @Slot()
    def _fit_fields(self) -> None:
        """The arrangement whose fields show their whole text in the panel's width (three columns
        where they fit), each field at least as wide as its text."""
        self._fit_pending = False
        gap = self.grid.horizontalSpacing() if self.grid.horizontalSpacing() >= 0 else 6
        label = max(self._labels[name].sizeHint().width() for name in ("lr", "m"))
        room = self._room()

        def fits(need: dict, counts: int, wide: bool) -> bool:
            low, high = max(need[self.lr_min], need[self.m_min]), max(need[self.lr_max], need[self.m_max])
            if not wide:
                return label + 2 * gap + low + high + 4 <= room
            target = self._labels["target"].sizeHint().width() + gap + need[self.target]
            return label + gap + max(2 * gap + low + high + counts, need[self.epochs] + gap + target) + 4 <= room

        # Each field at its least size hint where the room allows, else at its text's width; three
        # columns before two.
        for hint in (True, False):
            need = {field: self._needs(field, hint=hint) for field in self._fields()}
            counts = max(self._needs(box, self.COUNT_SUFFIX, hint) for box in (self.lr_n, self.m_n))
            wide = fits(need, counts, True)
            if wide or fits(need, counts, False):
                break
        if wide != self._wide:
            self._lay_out(wide)
        need[self.lr_n], need[self.m_n] = self._needs(self.lr_n, hint=hint), self._needs(self.m_n, hint=hint)
        for field, width in need.items():
            if not isinstance(field, QComboBox) and field.minimumWidth() != width:
                field.setMinimumWidth(width)
        # As tall as its rows need at this width: its scroll area measured the wrapped caption at
        # another width and squeezed the fields' rows into what was left (lecture mode, after a sweep).
        box = self.layout()
        margins = box.contentsMargins()
        height = (self.grid.sizeHint().height() + self.view.minimumHeight() + 2 * max(box.spacing(), 0)
                  + self.caption.heightForWidth(self._room() - margins.left() - margins.right())
                  + margins.top() + margins.bottom())
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)

    def event(self, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ParentChange and self.parentWidget() is not None:
            self.parentWidget().installEventFilter(self)  # (a scroll area's viewport: its width is the room)
        elif event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Resize,
                              QEvent.Type.Show, QEvent.Type.LayoutRequest):  # (the last: a new caption)
            self._ask_fit()
        return super().event(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._ask_fit()
        return False

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
        """The cells' labels spaced again for a new size or text size (they would run together),
        the axes' labels phrased for it."""
        for side, wordings in (("bottom", self.X_LABELS), ("left", self.Y_LABELS)):
            fit_axis_words(self.plot, side, list(wordings))
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
        # (Down the left axis: labels as far apart as pyqtgraph's boxes of them (0.8 of a line) and
        # a gap, which gives "0" and "0.95" of three momenta room on lecture mode's shortest plot.)
        left = self.plot.getAxis("left")
        line = QFontMetricsF(left.style.get("tickFont") or left.font()).height()
        every = None
        if vb.width() > 0:
            every = (label_every(self.plot.getAxis("bottom"), grid_labels(result.lrs), vb.width() / len(result.lrs),
                                 True),
                     max(1, math.ceil((0.8 * line + 4) / max(vb.height() / len(result.momenta), 1e-9))))
        self._items, (_, (low, high), label) = draw_sweep(self.plot, result, measure, every)
        if every is not None:  # (the last cell labelled too: "0" alone on a short axis read as one-sided)
            for side, values, k in (("bottom", result.lrs, every[0]), ("left", result.momenta, every[1])):
                self.plot.getAxis(side).setTicks([end_ticks(grid_labels(values), k)])
        # (A left axis as wide as its labels in this text size: "0.7125" ran into "momentum".)
        fit_axis_width(self.plot.getAxis("left"), grid_labels(result.momenta))
        title, log = SWEEP_MEASURES[measure]
        show_title_words(self.plot, [f"{title} (click a cell: replay)", title])
        self._on_resized()
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
        self._note_for = None  # (the note's text, its room, the mode) it was wrapped for
        self._rule = None  # (the rule shown shaded)
        self._at: dict[int, tuple[float, float]] = {}  # each run's point on show (lane index: x, momentum)
        self._names: dict[int, tuple[str, str]] = {}  # each run's name there, and its short form
        self._note_texts: tuple[str, ...] = ("",)  # the note, and its short form
        self._note_corner = (0, 0)  # (the view box's corner the note is in: the one that covers least)
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
        self.plot.vb.sigResized.connect(self._on_resized)
        self._on_resized()
        self.readout = HoverReadout(self.plot, self.describe, controller)

    #: The x axis's ticks, most important first (those that would run together are left out).
    TICKS = (1, 0.01, 100, 0.1, 10, 0.001, 2, 4)
    #: Where the axis is too short for more than one of those: a tick near each end instead.
    END_TICKS = (0.01, 10, 0.1)

    #: The axes' labels, shortened by words where the plot is small.
    X_LABELS = ("lr × λ (largest curvature)", "lr × λ")
    Y_LABELS = ("momentum", "m")

    def _thin_ticks(self) -> None:
        """The axes' ticks that fit their lengths in their text size (see thin_ticks and
        fit_left_ticks), and their labels' phrasing (see fit_phrasing)."""
        fit_left_ticks(self.plot)
        fit_axis_words(self.plot, "left", list(self.Y_LABELS))
        fit_axis_words(self.plot, "bottom", list(self.X_LABELS))
        axis = self.plot.getAxis("bottom")
        key = (round(self.plot.vb.width()), (axis.style.get("tickFont") or axis.font()).pointSizeF())
        if key == self._ticks_for:
            return
        self._ticks_for = key
        shown, width = self.plot.vb.viewRange()[0], self.plot.vb.width()
        ticks = thin_ticks(axis, [(math.log10(v), f"{v:g}") for v in self.TICKS], shown, width)
        if len(ticks) < 2:  # (a short axis: one label near its middle read as one-sided) the ends' first
            ticks = thin_ticks(axis, [(math.log10(v), f"{v:g}") for v in self.END_TICKS], shown, width) or ticks
        axis.setTicks([ticks, []])

    @Slot()
    def _on_resized(self, *_) -> None:
        self._thin_ticks()
        self._arrange()

    def _set_note(self, text: str) -> None:
        """The note ``text`` on lines no wider than the plot (lecture mode's "inside the stable
        region" was cut in a narrow dock)."""
        room = max(self.plot.vb.width() - 12, 40.0)
        key = (text, room, presenting())  # (lecture mode's size sets the text again, unwrapped)
        if key == self._note_for:
            return
        self._note_for = key
        if text != self.note.text:
            self.note.setText(text)
        item = self.note.item
        item.setTextWidth(-1)
        if item.boundingRect().width() > room:
            item.setTextWidth(room)
        self.note.updateMin()
        # (Outside a layout a widget never shrinks by itself, and the label centres its text in it.)
        self.note.resize(self.note.minimumSize())

    def _note_forms(self) -> tuple[str, ...]:
        """The note's forms to try, the longest first that takes at most a third of the plot's
        height (the figures are in the status bar and the points' readouts) and the shorter."""
        texts = self._note_texts
        for i, text in enumerate(texts):
            self._set_note(text)
            if self.note.boundingRect().height() <= self.plot.vb.height() / 3:
                return texts[i:]
        return texts[-1:]

    #: Where each rule's edge is named: at this momentum.
    LABEL_AT = {"lookback": 0.62, "classical": 0.85, "nesterov": 0.4}

    def _arrange(self) -> None:
        """Every text of the map inside its view box, none over another or over a run's point: the
        note at the plot's top left or bottom left (at the top, lesson 6's warning covered runs A
        and B at momentum 0.9), shorter or left out where the runs' names need its room; each
        run's name by its point (above right, else above left, below right, below left); each
        rule's name right of its edge, or left of it (the shaded rule's first), not shown where
        it has no clear place."""
        vb = self.plot.vb
        if vb.width() <= 0:
            return
        mark = self.MARK_PX
        taken = [QRectF(vb.mapFromView(QPointF(x, m)) - QPointF(mark, mark), QSizeF(2 * mark, 2 * mark))
                 for x, m in self._at.values()]
        # The note in its longest form, at the plot's top left or bottom left (the one covering fewer
        # points first), that leaves every run's name a place of its own (whole, else "A" for
        # "A (diverged)"); else none (its warning is in the status bar too).
        for text, corner in itertools.product(self._note_forms(), self._note_corners(taken)):
            note = self._place_note(text, corner)
            placed = self._place_names(False, taken, note)
            if any(rect is None or rect.intersects(note) for rect in placed.values()):
                placed = self._place_names(True, taken, note)
            if all(rect is not None and not rect.intersects(note) for rect in placed.values()):
                break
        else:
            note = self._place_note("", (0, 0))
            placed = self._place_names(False, taken, note)
            if any(rect is None for rect in placed.values()):
                placed = self._place_names(True, taken, note)
        taken += [rect for rect in placed.values() if rect is not None] + [note]
        gap = 0.04 / (vb.viewPixelSize()[0] or 1.0)  # (px: 0.04 of a decade)
        for rule in sorted(self.labels, key=lambda rule: rule != self._rule):
            item = self.labels[rule]
            m = self.LABEL_AT[rule]
            x = math.log10(stability_bound(rule, m))
            item.setPos(x, m)
            across = gap / max(item.boundingRect().width(), 1.0)
            anchor = _place_text(vb, item, QPointF(x, m), [(-across, 0.5), (1 + across, 0.5)], taken, clamp=True)
            item.setVisible(anchor is not None)
            if anchor is not None:
                item.setAnchor(anchor)
                taken.append(_text_rect(vb, item, QPointF(x, m), anchor))

    def _note_corners(self, taken: list[QRectF]) -> list[tuple[int, int]]:
        """The view box's top left and bottom left (on the left, in the stable region: a short
        "stable" on the right read as naming the unstable side), the one where the note covers
        less of ``taken`` first (the top on a tie)."""
        height, size = self.plot.vb.height(), self.note.boundingRect().size()
        rects = {corner: QRectF(QPointF(6, 4 if corner[1] == 0 else height - 4 - size.height()), size)
                 for corner in ((0, 0), (0, 1))}
        return sorted(rects, key=lambda corner: _covered(rects[corner], taken))

    def _place_note(self, text: str, corner: tuple[int, int]) -> QRectF:
        """The note as ``text`` (none: "") in the view box's ``corner``: where it stands (view-box pixels)."""
        self.note.setVisible(bool(text))
        if not text:
            return QRectF()
        self._set_note(text)
        if corner != self._note_corner:
            self._note_corner = corner
            self.note.anchor(itemPos=corner, parentPos=corner, offset=(6, 4 if corner[1] == 0 else -4))
        size = self.note.boundingRect().size()
        return QRectF(QPointF(6, 4 if corner[1] == 0 else self.plot.vb.height() - 4 - size.height()), size)

    def _place_names(self, short: bool, taken: list[QRectF], note: QRectF) -> dict[int, QRectF | None]:
        """Each run's name (or its ``short`` form) by its point, clear of ``taken``, of the
        ``note`` where it can be, and of the names before it: where each stands (view-box pixels),
        None for a name not shown."""
        vb, mark = self.plot.vb, self.MARK_PX
        taken = list(taken)
        placed: dict[int, QRectF | None] = {}
        for index, (x, m) in self._at.items():
            label = self.point_labels[index]
            shown = self._names[index][1 if short else 0]
            if label.toPlainText() != shown:
                label.setText(shown)
            box = label.boundingRect()
            # Beside the point's mark, clear of it: above right, above left, below right, below left.
            across, up = (mark + 1) / box.width(), 2 / box.height()
            anchors = [(-across, 1 + up), (1 + across, 1 + up), (-across, -up), (1 + across, -up)]
            anchor = _place_text(vb, label, QPointF(x, m), anchors, taken + [note], clamp=True)
            if anchor is None:
                anchor = _place_text(vb, label, QPointF(x, m), anchors, taken, clamp=True)
            label.setVisible(anchor is not None)
            placed[index] = None
            if anchor is not None:
                label.setAnchor(anchor)
                placed[index] = _text_rect(vb, label, QPointF(x, m), anchor)
                taken.append(placed[index])
        return placed

    #: Half the size (px) of a run's mark, kept clear of every text.
    MARK_PX = 6

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
            if report is None or index not in self._at:
                continue
            x, m = self._at[index]
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

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # (lecture mode on or off: the window's style sheet)
            self.setMinimumSize(*(self.LECTURE_MIN if presenting() else MIN_PLOT_SIZE))

    #: The least size (px) in lecture mode: room for its axes' labels and the runs' names (a
    #: narrow column of Everything gave it 140×163 px at 1280×720).
    LECTURE_MIN = (220, 150)

    def _show_rule(self, rule: str) -> None:
        if rule == self._rule:
            return
        self._rule = rule
        for name, edge in self.edges.items():
            chosen = name == rule
            edge.setPen(pg.mkPen("#006E50" if chosen else "#777", width=pen_width(3 if chosen else 1.2),
                                 style=Qt.PenStyle.SolidLine if chosen else Qt.PenStyle.DashLine))
            self.labels[name].setColor("#006E50" if chosen else "#777")
        self._arrange()  # (lecture mode may have changed their size)
        self.region.setCurves(self.left, self.edges[rule])
        self._fit_title()

    def _fit_title(self) -> None:
        """The title, shortened by words where the plot is narrow (see show_title_words)."""
        if self._rule is not None:
            short = RULE_SHORT[self._rule]
            show_title_words(self.plot, [f"Stability map: {short} (shaded: stable)", f"{short}, shaded: stable", short,
                                         rule_name(self._rule)])

    def refresh(self) -> None:
        c = self.controller
        self._show_rule(c.config.rule)
        self._thin_ticks()  # (again in lecture mode: larger text)
        spots, outside, unknown = [], [], []
        self._at, self._names = {}, {}
        for index, lane in enumerate(c.lanes):
            report = lane.latest
            curvature, before_divergence = lane.curvature()
            if report is None or not math.isfinite(curvature):
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
            self._at[index] = (x, report.momentum)
            self._names[index] = (f"{name} (diverged)" if before_divergence else name, name)
            self.point_labels[index].setPos(x, report.momentum)
            if beyond:
                outside.append(f"{RUN_NAMES[index] + ': ' if c.comparing else ''}lr×λ {value:.3g} ≥ {bound:.3g}"
                               + (", diverged" if before_divergence else ""))
        for index, label in enumerate(self.point_labels):
            if index not in self._at:
                label.hide()
        self.points.setData(spots)
        if outside:
            warning = "<span style='color:#B00020; font-weight:bold'>⚠ {}</span>"
            texts = (warning.format("outside the stable region (" + "; ".join(outside) + "): expect growing "
                                    "oscillation"),
                     warning.format("outside the stable region"), warning.format("unstable"))
        elif unknown and not spots:
            texts = ("<span style='color:#333'>λ not measured yet (it is, about once a second)</span>",
                     "<span style='color:#333'>λ not measured yet</span>")
        else:
            texts = ("<span style='color:#333'>inside the stable region</span>",
                     "<span style='color:#333'>stable</span>")
        self._note_texts = texts
        self._arrange()


def _text_rect(vb: pg.ViewBox, item: pg.TextItem, at: QPointF, anchor: tuple[float, float],
               glyphs: bool = True) -> QRectF:
    """Where ``item`` (a text item at ``at``, data coordinates) stands in ``vb``'s pixels with
    ``anchor``: its glyphs (its box less its document's margin), or its whole box."""
    point = vb.mapFromView(at)
    box = item.boundingRect()
    rect = QRectF(point.x() - anchor[0] * box.width(), point.y() - anchor[1] * box.height(), box.width(), box.height())
    margin = item.textItem.document().documentMargin() if glyphs else 0.0
    return rect.adjusted(margin, margin, -margin, -margin)


def _place_text(vb: pg.ViewBox, item: pg.TextItem, at: QPointF, anchors, taken: list[QRectF],
                clamp: bool = False) -> tuple[float, float] | None:
    """The first of ``anchors`` that puts ``item`` (at ``at``) inside ``vb`` with its glyphs clear
    of the ``taken`` rectangles (pixels); else, with ``clamp``, the first moved just inside the
    view box, if that is clear; else None (the text does not fit)."""
    inside = vb.rect()
    margin = item.textItem.document().documentMargin()
    for anchor in anchors:
        rect = _text_rect(vb, item, at, anchor, glyphs=False)
        glyphs = rect.adjusted(margin, margin, -margin, -margin)
        if inside.contains(rect) and not any(glyphs.intersects(other) for other in taken):
            return anchor
    box = item.boundingRect()
    if not clamp or box.width() > inside.width() or box.height() > inside.height():
        return None
    point = vb.mapFromView(at)
    for anchor in anchors:
        rect = _text_rect(vb, item, at, anchor, glyphs=False)
        rect.moveTo(min(max(rect.left(), inside.left()), inside.right() - rect.width()),
                    min(max(rect.top(), inside.top()), inside.bottom() - rect.height()))
        if not any(rect.adjusted(margin, margin, -margin, -margin).intersects(other) for other in taken):
            return ((point.x() - rect.left()) / box.width(), (point.y() - rect.top()) / box.height())
    return None


def _covered(rect: QRectF, others: list[QRectF]) -> float:
    """The area (px²) of ``rect`` that ``others`` cover."""
    total = 0.0
    for other in others:
        common = rect.intersected(other)
        total += common.width() * common.height()
    return total

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

from ..engine import (RULE_SHORT, RULES, RUN_NAMES, Dataset, InputError, flag_spelling, online_bound, quadratic_applies,
                      stability_bound, stability_level, step_gain, sweep)
from ._gc import collect_in_gui_thread
from ._pixelpaint import mapped
from .controller import RunConfig, RunController
from .plots import (LANE_COLOURS, MIN_PLOT_SIZE, HoverReadout, blank_axes, fit_axis_width, fit_axis_words, pen_width,
                    plot_text, presenting, rule_name, show_title_words, style_plot, thin_ticks)
from .report import SWEEP_MEASURES, label_every, draw_sweep, grid_labels
from .widgets import LearningRateSpinBox, MomentumSpinBox

__all__ = ["StabilityMap", "SweepController", "SweepPanel", "SweepRequest"]

#: The stability map's key for the name of its reference edge (the region that does not apply).
REFERENCE = "reference"


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
        collect_in_gui_thread()  # (before the thread runs: see _gc)
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
    """Where each run stands against the stable region that applies at the run's batch size.

    Online (one item an update, and below sqrt(n) items: see engine.quadratic_applies) x is
    lr × BS (log scale), BS the batch sharpness (each item's curvature along its own gradient,
    averaged), and the shaded region is the online readout's r < 1, lr × BS < 2 / gain(rule, m).
    At full batch (and from sqrt(n) items) x is lr × λ, λ the largest curvature of the training
    loss, and the shaded region is the quadratic bound's. y is the momentum. Both are run A's
    rule's; the other region is drawn dashed as a reference, the other rules' edges thin. Each
    run's point is coloured by its readout's level (the loss trend's takeover included), and
    trails its latest readouts.
    """

    #: log10 of lr × BS shown online (False), of lr × λ where the quadratic bound applies (True):
    #: the online edges lie a little further left (2 (1 - m) down to 0.002), and so do the runs
    #: (at Iris's initial weights BS is 0.33, λ 0.78).
    SHOWN = {False: (-3.5, 1.5), True: (-3.0, 2.0)}

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.plot = self.getPlotItem()
        style_plot(self.plot, "Stability map", self.X_LABELS[False][0], "momentum")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setRange(xRange=self.SHOWN[False], yRange=(0, 1), padding=0.02)
        self._ticks_for = None  # (axis length, text size) the ticks were thinned for
        self._note_for = None  # (the note's text, its room, the mode) it was wrapped for
        self._shown: tuple | None = None  # (run A's rule, the quadratic bound applies, batch size) drawn for
        self._rule = RULES[0]  # (the rule shown shaded)
        self._full = False  # (the region shaded is the full-batch quadratic bound's, not the online one)
        self._at: dict[int, tuple[float, float]] = {}  # each run's point on show (lane index: x, momentum)
        self._names: dict[int, tuple[str, str]] = {}  # each run's name there, and its short form
        self._note_texts: tuple[str, ...] = ("",)  # the note, and its short form
        self._note_corner = (0, 0)  # (the view box's corner the note is in: the one that covers least)
        # Each edge's name shown: where (x, m) on its edge it may stand, and its texts, the longest first.
        self._label_at: dict[str, tuple[list[tuple[float, float]], tuple[str, ...]]] = {}
        self._m = np.linspace(0.0, 0.999, 400)
        self.edges = {rule: pg.PlotDataItem(antialias=True) for rule in RULES}
        # Run A's rule's edge of the region that does not apply: a reference, not shaded.
        self.reference = pg.PlotDataItem(antialias=True)
        for item in (*self.edges.values(), self.reference):
            self.plot.addItem(item)
        self.left = pg.PlotDataItem(np.full_like(self._m, min(low for low, _ in self.SHOWN.values()) - 1), self._m)
        self.region = pg.FillBetweenItem(self.left, self.edges[RULES[0]], brush=pg.mkBrush(0, 158, 115, 45))
        self.region.setZValue(-10)
        self.plot.addItem(self.region)
        self.labels = {key: plot_text(rule_name(key) if key in RULES else "", anchor=(0, 0.5))
                       for key in (*RULES, REFERENCE)}
        for item in self.labels.values():
            self.plot.addItem(item)
        # Each run's latest readouts, a faint line in its colour ending at its point.
        self.trails = [pg.PlotDataItem(antialias=True) for _ in RUN_NAMES]
        for item in self.trails:
            item.setZValue(8)
            self.plot.addItem(item)
        self.points = pg.ScatterPlotItem(size=15, pxMode=True)
        self.points.setZValue(10)
        self.plot.addItem(self.points)
        self.point_labels = [plot_text(name, color="#111", anchor=(-0.3, 1.1)) for name in RUN_NAMES]
        self._label_colours: dict[int, str] = {}  # (each name's colour as set: its run's)
        for item in self.point_labels:
            item.setZValue(11)
            self.plot.addItem(item)
        self.note = pg.LabelItem("", size="10pt")
        self.note.setParentItem(self.plot.vb)
        self.note.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 4))
        self.note.setZValue(12)  # (over the edges: wrapped, it reaches them in a narrow dock)
        self._show_edges(RULES[0], False)
        self._shown = None  # (the title and the region for the run's batch size at the first refresh)
        self.plot.vb.sigResized.connect(self._on_resized)
        self._on_resized()
        self.readout = HoverReadout(self.plot, self.describe, controller)

    #: The x axis's ticks, most important first (those that would run together are left out), for
    #: each range shown (see SHOWN): online its ends first (0.01 left 31 % of a short axis bare).
    TICKS = {False: (0.001, 10, 1, 0.01, 0.1, 2, 4), True: (1, 0.01, 100, 0.1, 10, 0.001, 2, 4)}
    #: Where the axis is too short for more than one of those: a tick near each end instead.
    END_TICKS = {False: (0.001, 10, 0.1), True: (0.01, 10, 0.1)}

    #: The axes' labels, shortened by words where the plot is small: the x axis's online (False)
    #: and where the quadratic bound applies (True).
    X_LABELS = {False: ("lr × BS (item curvature)", "lr × BS"), True: ("lr × λ (largest curvature)", "lr × λ")}
    Y_LABELS = ("momentum", "m")

    #: The curvature each region measures x with, in the texts: online BS, full batch λ.
    MEASURE = {False: "BS", True: "λ"}

    def _thin_ticks(self) -> None:
        """The axes' ticks that fit their lengths in their text size (see thin_ticks and
        fit_left_ticks), and their labels' phrasing (see fit_phrasing)."""
        fit_left_ticks(self.plot)
        fit_axis_words(self.plot, "left", list(self.Y_LABELS))
        fit_axis_words(self.plot, "bottom", list(self.X_LABELS[self._full]))
        axis = self.plot.getAxis("bottom")
        key = (round(self.plot.vb.width()), (axis.style.get("tickFont") or axis.font()).pointSizeF())
        if key == self._ticks_for:
            return
        self._ticks_for = key
        shown, width = self.plot.vb.viewRange()[0], self.plot.vb.width()
        ticks = thin_ticks(axis, [(math.log10(v), f"{v:g}") for v in self.TICKS[self._full]], shown, width)
        if len(ticks) < 2:  # (a short axis: one label near its middle read as one-sided) the ends' first
            ticks = thin_ticks(axis, [(math.log10(v), f"{v:g}") for v in self.END_TICKS[self._full]], shown,
                               width) or ticks
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

    #: The reference edge's name, the longest first: online (False) the quadratic bound's; at
    #: full batch (True) the online readout's.
    REFERENCE_NAMES = {False: ("full batch, quadratic", "full batch", "quadratic"),
                       True: ("online readout", "online")}

    #: Where each edge is named: at the first of these momenta with room, for each region (False:
    #: online; True: the quadratic bound's); the reference at the same whichever rule it is.
    LABEL_AT = {False: {"lookback": (0.62, 0.45), "classical": (0.8, 0.6), "nesterov": (0.8, 0.6),
                        REFERENCE: (0.33, 0.8, 0.15)},
                True: {"lookback": (0.62, 0.75), "classical": (0.85, 0.7), "nesterov": (0.4, 0.25),
                       REFERENCE: (0.9, 0.5, 0.25)}}

    def _arrange(self) -> None:
        """Every text of the map inside its view box, none over another or over a run's point: the
        note at the plot's top left or bottom left (at the top, lesson 6's warning covered runs A
        and B at momentum 0.9), shorter or left out where the runs' names need its room; each
        run's name by its point (above right, else above left, below right, below left); each
        edge's name right of it, or left of it (the shaded rule's first, then the reference's),
        not shown where it has no clear place."""
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
            placed = self._place_names(taken, note)
            if all(rect is not None and not rect.intersects(note) for rect in placed.values()):
                break
        else:
            note = self._place_note("", (0, 0))
            placed = self._place_names(taken, note)
        taken += [rect for rect in placed.values() if rect is not None] + [note]
        # (px: 0.04 of a decade, at least 8 px: where the edge slants, a name 2 px from its point ran
        # into the line above or below it)
        gap = max(0.04 / (vb.viewPixelSize()[0] or 1.0), 8.0)
        order = [self._rule, REFERENCE] + [rule for rule in RULES if rule != self._rule]
        lines = {key: _line_points(vb, self.reference if key == REFERENCE else self.edges[key]) for key in order}
        for key in order:
            item = self.labels[key]
            # Clear of the other edges' lines where it can be (a name crossed by the next edge
            # read badly), else crossing the fewest of their points; clear of the texts always.
            others = [points for other, points in lines.items() if other != key]
            crossing = np.concatenate(others) if others else np.empty((0, 2))
            best = None  # (points crossed, form, (x, m), anchor)
            points, forms = self._label_at.get(key, ((), ()))
            # Right of the edge, else left of it (left first where the other one runs close on the
            # right: online run A's rule's, at full batch the reference's); at another of its
            # points, then shortened (the reference's name), before the other side; moved inside
            # the view box last.
            left_first = key == (REFERENCE if self._full else self._rule)
            sides = (False, True) if left_first else (True, False)
            tries = [(clamp, right, point, form) for clamp in (False, True) for right in sides
                     for point in points for form in forms]
            for clamp, right, (x, m), form in tries:
                if item.toPlainText() != form:
                    item.setText(form)
                item.setPos(x, m)
                across = gap / max(item.boundingRect().width(), 1.0)
                beside = (-across, 0.5) if right else (1 + across, 0.5)
                anchor = _place_text(vb, item, QPointF(x, m), [beside], taken, clamp=clamp)
                if anchor is None:
                    continue
                crossed = _crossed(_text_rect(vb, item, QPointF(x, m), anchor), crossing)
                if best is None or crossed < best[0]:
                    best = (crossed, form, (x, m), anchor)
                if not crossed:
                    break
            item.setVisible(best is not None)
            if best is not None:
                _, form, (x, m), anchor = best
                if item.toPlainText() != form:
                    item.setText(form)
                item.setPos(x, m)
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

    def _place_names(self, taken: list[QRectF], note: QRectF) -> dict[int, QRectF | None]:
        """Each run's name by its point, clear of ``taken``, of the ``note`` where it can be, and
        of the names before it: whole beside the point, else in its short form ("A" for "A
        (diverged)"), else either moved just inside the view box (moved, a long name ran over
        the next run's point and read as its). Where each stands (view-box pixels), None for a
        name not shown."""
        vb, mark = self.plot.vb, self.MARK_PX
        taken = list(taken)
        placed: dict[int, QRectF | None] = {}
        marks = {index: QRectF(vb.mapFromView(QPointF(x, m)) - QPointF(mark, mark), QSizeF(2 * mark, 2 * mark))
                 for index, (x, m) in self._at.items()}
        for index, (x, m) in self._at.items():
            label = self.point_labels[index]
            anchor = None
            tries = [(form, clamp) for clamp in (False, True) for form in dict.fromkeys(self._names[index])]
            # Not above or below another run's point where it can be (there it read as that run's).
            height = label.boundingRect().height()
            strips = [rect.adjusted(0, -height, 0, height) for other, rect in marks.items() if other != index]
            for others in (taken + [note] + strips, taken + [note], taken + strips, taken):
                for form, clamp in tries:
                    if label.toPlainText() != form:
                        label.setText(form)
                    box = label.boundingRect()
                    # Beside the point's mark, clear of it: above right, above left, below right, below left.
                    across, up = (mark + 1) / box.width(), 2 / box.height()
                    anchors = [(-across, 1 + up), (1 + across, 1 + up), (-across, -up), (1 + across, -up)]
                    anchor = _place_text(vb, label, QPointF(x, m), anchors, others, clamp=clamp)
                    if anchor is not None:
                        break
                if anchor is not None:
                    break
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

    def _edge(self, rule: str, full: bool, m: float) -> float:
        """The edge of ``rule``'s stable region at momentum ``m``: lr × λ below the quadratic
        bound (``full``), or lr × BS below the online readout's 2 / gain."""
        return stability_bound(rule, m) if full else online_bound(rule, m)

    def _points_on(self, rule: str, full: bool, momenta: tuple[float, ...]) -> list[tuple[float, float]]:
        """The points (x, m) of ``rule``'s edge at ``momenta``."""
        return [(math.log10(self._edge(rule, full, m)), m) for m in momenta]

    def _regime(self) -> tuple[bool, int]:
        """(whether the quadratic bound applies at the run's batch size, its items an update)."""
        c = self.controller
        items = c.batch_items
        return quadratic_applies(items, c.dataset.n_train), items

    def _regime_words(self) -> tuple[str, str, str]:
        """Which region applies, said at length, briefly and for the title."""
        full, items = self._regime()
        if items == 1:
            return "batch size 1: the online region applies", "online", "online"
        if items >= self.controller.dataset.n_train:
            return "full batch: the quadratic bound applies", "full batch", "full batch"
        nearer = "full batch" if full else "online"
        return (f"batch size {items}: between the two; nearer to {nearer}, a guess", f"B {items}: ~{nearer}",
                f"batch {items}")

    def describe(self, point) -> tuple[str, ...] | None:
        """The hover readout (the longest form first, then more compact ones): a run's point (its
        lr, BS or λ, momentum, the readout r with its gain or bound, why it is as large as it is,
        and its level), else the point under the mouse (lr × BS or lr × λ, momentum, where it
        stands for run A's rule in the region that applies, and the learning rate that puts run A
        there)."""
        c = self.controller
        if not 0 <= point.y() < 1:
            return None
        full = self._full
        measure = self.MEASURE[full]
        px, py = self.plot.vb.viewPixelSize()
        for index, lane in enumerate(c.lanes):
            report = lane.latest
            if report is None or index not in self._at:
                continue
            x, m = self._at[index]
            if math.hypot((x - point.x()) / (px or 1), (m - point.y()) / (py or 1)) <= self.POINT_PX:
                name = f"run {RUN_NAMES[index]}" if c.comparing else "the run"
                lines = self._run_readout(lane, full)
                lines[0] = f"{name} now: {lines[0]}"
                return "\n".join(lines), "\n".join(lines[:1] + lines[2:])
        value, m = 10 ** point.x(), point.y()
        rule = c.config.rule
        edge = self._edge(rule, full, m)
        r = value / edge
        where = {"stable": "stable", "caution": "near the edge",
                 "unstable": "unstable: oscillation grows"}[stability_level(r)]
        how = f" (2 / gain {step_gain(rule, m):.3g})" if not full else ""
        head = f"lr × {measure} {value:.3g}, momentum {m:.2f}"
        lines = [head, f"{rule_name(rule)} rule, {self._regime_words()[1]}: r {r:.2g}, {where}",
                 f"its edge at lr × {measure} {edge:.3g}{how}"]
        short = [head, f"r {r:.2g}: {where}"]
        at, _ = (c.lanes[0].curvature() if full else c.lanes[0].sharpness()) if c.lanes else (math.nan, False)
        if c.lanes and c.lanes[0].latest is not None and math.isfinite(at) and at > 0:
            name = "run A" if c.comparing else "the run"
            lines.append(f"{name} here: lr {value / at:.3g} ({measure} {at:.3g})")
            short.append(f"{name}: lr {value / at:.3g}")
        return "\n".join(lines), "\n".join(short)

    def _run_readout(self, lane, full: bool) -> list[str]:
        """A run's numbers on the map, line by line: lr × BS (or λ), momentum; its readout r as the
        curvature makes it now; r on show (held, the loss trend's) and its level."""
        report = lane.latest
        measure = self.MEASURE[full]
        at, _ = lane.curvature() if full else lane.sharpness()
        rule, lr, m = report.rule, report.lr, report.momentum
        lines = [f"lr {lr:g} × {measure} {at:.3g} = {lr * at:.3g}, momentum {m:g}"]
        if full:
            now = lr * at / stability_bound(rule, m)
            lines.append(f"{self._regime_words()[1]}: r = lr × λ / edge {stability_bound(rule, m):.3g} = {now:.3g}")
        else:
            now = lr * step_gain(rule, m) * at / 2
            lines.append(f"{self._regime_words()[1]}: r = lr × gain {step_gain(rule, m):.3g} × BS / 2 = {now:.3g}")
        r, _ = lane.stability()
        if report.divergence is not None:
            lines.append("diverged: unstable")
        elif r == r:
            why = ""
            if report.trend > 1:
                why = ": the loss is climbing (trend; the point stands where r puts it)" if r > now else \
                    ": the loss is climbing (trend)"
            elif r > now * 1.001:
                why = ": the largest since the last change"
            level = {"stable": "stable", "caution": "near the edge", "unstable": "unstable"}[stability_level(r)]
            lines.append(f"r {r:.3g}{why}: {level}")
        return lines

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # (lecture mode on or off: the window's style sheet)
            self.setMinimumSize(*(self.LECTURE_MIN if presenting() else MIN_PLOT_SIZE))

    #: The least size (px) in lecture mode: room for its axes' labels and the runs' names (a
    #: narrow column of Everything gave it 140×163 px at 1280×720).
    LECTURE_MIN = (220, 150)

    def restyle(self) -> None:
        """The edges drawn again at the next refresh (lecture mode's pens are wider)."""
        self._shown = None

    def _show_edges(self, rule: str, full: bool, items: int = 1) -> bool:
        """Run ``rule``'s region shaded (the quadratic bound's where ``full``, else the online
        readout's), the other region's edge for it dashed, the other rules' edges thin (one where
        two coincide: online, heavy-ball's and Nesterov's; none in lecture mode); whether they were
        drawn again (a new rule, region, batch size or mode)."""
        if (rule, full, items) == self._shown:
            return False
        self._shown, self._rule, self._full = (rule, full, items), rule, full
        self.plot.setRange(xRange=self.SHOWN[full], yRange=(0, 1), padding=0.02)
        m, at = self._m, self.LABEL_AT[full]
        self._label_at = {}
        drawn: dict[str, np.ndarray] = {}
        for name in [rule] + [other for other in RULES if other != rule]:
            x = np.log10([self._edge(name, full, v) for v in m])
            same = next((shown for shown, line in drawn.items() if np.array_equal(line, x)), None)
            edge = self.edges[name]
            edge.setData(x, m)
            # (In lecture mode run A's rule's two edges alone: the others' thin lines and names
            # crowded a small map's runs.)
            lecture_hides = name != rule and presenting()
            edge.setVisible(same is None and not lecture_hides)
            self.labels[name].setVisible(False)
            if lecture_hides and same is None:
                continue
            if same is not None:  # (its name beside the one it coincides with)
                points, (text,) = self._label_at[same]
                self._label_at[same] = (points, (f"{text} = {rule_name(name)}",))
                continue
            drawn[name] = x
            chosen = name == rule
            edge.setPen(pg.mkPen("#006E50" if chosen else "#777", width=pen_width(3 if chosen else 1.2),
                                 style=Qt.PenStyle.SolidLine if chosen else Qt.PenStyle.DotLine))
            self.labels[name].setColor("#006E50" if chosen else "#777")
            self._label_at[name] = (self._points_on(name, full, at[name]), (rule_name(name),))
        self.reference.setData(np.log10([self._edge(rule, not full, v) for v in m]), m)
        self.reference.setPen(pg.mkPen("#006E50", width=pen_width(1.5), style=Qt.PenStyle.DashLine))
        self.labels[REFERENCE].setColor("#006E50")
        self._label_at[REFERENCE] = (self._points_on(rule, not full, at[REFERENCE]), self.REFERENCE_NAMES[full])
        self.region.setCurves(self.left, self.edges[rule])
        self._ticks_for = None  # (the x axis's label says what it measures)
        self._arrange()  # (lecture mode may have changed their size)
        return True

    def _fit_title(self) -> None:
        """The title, shortened by words where the plot is narrow (see show_title_words)."""
        short, regime = RULE_SHORT[self._rule], self._regime_words()[2]
        show_title_words(self.plot, [f"Stability map: {short}, {regime} (shaded: stable)",
                                     f"{short}, {regime}, shaded: stable", f"{short}, {regime}", short,
                                     rule_name(self._rule)])

    #: A run's mark's outline for each readout level: red (a cross), amber, white.
    LEVEL_PENS = {"unstable": ("#E00000", 3, "x"), "caution": ("#E69F00", 3, "o"), "stable": ("w", 1.5, "o")}

    def refresh(self) -> None:
        c = self.controller
        full, items = self._regime()
        if self._show_edges(c.config.rule, full, items):
            self._fit_title()
        self._thin_ticks()  # (again in lecture mode: larger text)
        measure = self.MEASURE[full]
        spots, outside, near, unknown = [], [], [], []
        self._at, self._names = {}, {}
        for index, lane in enumerate(c.lanes):
            report = lane.latest
            at, _ = lane.curvature() if full else lane.sharpness()
            colour = LANE_COLOURS[index] if c.comparing else "#111"
            self._draw_trail(index, lane, full, colour)
            if report is None or not math.isfinite(at):
                if report is not None:
                    unknown.append(RUN_NAMES[index])
                continue
            value = report.lr * at  # (a diverged run: at its last measure, with the settings it diverged at)
            edge = self._edge(report.rule, full, report.momentum)
            r, _ = lane.stability()
            if not r == r:  # (not measured for these settings yet: where the point stands)
                r = value / edge
            if report.divergence is None and report.trend > 1 and r > value / edge:
                # The loss climbs and its trend gives the readout: where r puts the point (a run
                # that thrashes saturates its units, and its curvature, collapsed, put it far
                # inside the region with a red cross). The hover says so.
                value = r * edge
            x = self._x(value)
            level = "unstable" if report.divergence is not None else stability_level(r)
            pen, width, symbol = self.LEVEL_PENS[level]
            spots.append({"pos": (x, report.momentum), "brush": pg.mkBrush(colour),
                          "pen": pg.mkPen(pen, width=width), "symbol": symbol})
            name = RUN_NAMES[index] if c.comparing else "now"
            self._at[index] = (x, report.momentum)
            self._names[index] = (f"{name} (diverged)" if report.divergence is not None else name, name)
            self.point_labels[index].setPos(x, report.momentum)
            # In its run's colour: a name pushed to the far side of its point (at the plot's edge)
            # read as the neighbouring point's ("B A (diverged)" beside B's point).
            if self._label_colours.get(index) != colour:
                self._label_colours[index] = colour
                self.point_labels[index].setColor(colour)
            who = f"{RUN_NAMES[index]}: " if c.comparing else ""
            if report.divergence is not None:
                outside.append(f"{who}diverged")
            elif level == "unstable":
                outside.append(f"{who}r {r:.3g}" + (", the loss is climbing" if report.trend > 1 else ""))
            elif level == "caution":
                near.append(f"{who}r {r:.3g}")
        for index, label in enumerate(self.point_labels):
            if index not in self._at:
                label.hide()
        for index in range(len(c.lanes), len(self.trails)):
            self.trails[index].setData([], [])
        self.points.setData(spots)
        self._note_texts = self._notes(outside, near, unknown and not spots, measure)
        self._arrange()

    def _x(self, value: float) -> float:
        """Where ``value`` (lr × BS or lr × λ) stands on the x axis: its log, inside the axis."""
        low, high = self.SHOWN[self._full]
        return min(max(math.log10(value) if value > 0 else low, low), high)

    def _draw_trail(self, index: int, lane, full: bool, colour: str) -> None:
        """Run ``index``'s latest readouts (its trail, see LaneBuffers.trail) as a faint line."""
        points = [(self._x(lr * (curvature if full else sharpness)), m)
                  for lr, m, sharpness, curvature in lane.trail
                  if math.isfinite(curvature if full else sharpness)]
        if len(points) < 2:
            self.trails[index].setData([], [])
            return
        xs, ms = zip(*points)
        pen = pg.mkColor(colour)
        pen.setAlpha(110)
        self.trails[index].setData(xs, ms, pen=pg.mkPen(pen, width=pen_width(1.5)))

    def _notes(self, outside: list[str], near: list[str], unmeasured: bool, measure: str) -> tuple[str, ...]:
        """The note's forms, longest first: which region applies, then whether the runs are inside it."""
        long, short, _ = self._regime_words()
        grey = "<span style='color:#333'>{}</span>"
        if outside:
            warning = "<span style='color:#B00020; font-weight:bold'>⚠ {}</span>"
            status = (warning.format("outside the stable region (" + "; ".join(outside) + "): expect growing "
                                     "oscillation"),
                      warning.format("outside the stable region"), warning.format("unstable"))
        elif near:
            caution = "<span style='color:#A15C00; font-weight:bold'>{}</span>"
            status = (caution.format("near the edge (" + "; ".join(near) + ")"), caution.format("near the edge"),
                      caution.format("near the edge"))
        elif unmeasured:
            status = (grey.format(f"{measure} not measured yet (it is, about once a second)"),
                      grey.format(f"{measure} not measured yet"), grey.format("not measured"))
        else:
            status = (grey.format("inside the stable region"), grey.format("inside the stable region"),
                      grey.format("stable"))
        return (f"{grey.format(long)}<br>{status[0]}", f"{grey.format(long)}<br>{status[1]}",
                f"{grey.format(short + ':')} {status[2]}")


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


def _line_points(vb: pg.ViewBox, line: pg.PlotDataItem, step: float = 3.0) -> np.ndarray:
    """Points every ``step`` px along ``line`` where it is shown (view-box pixels, shape (n, 2)):
    a text clear of them does not cross it."""
    x, y = line.getData() if line.isVisible() else (None, None)
    if x is None or len(x) < 2:
        return np.empty((0, 2))
    keep = np.isfinite(x) & np.isfinite(y)
    # (View to view-box pixels: mapFromView, for every point at once.)
    corners = np.stack(mapped(vb.childGroup.transform(), x[keep], y[keep]), axis=1)
    if len(corners) < 2:
        return corners
    seg = np.diff(corners, axis=0)
    n = np.maximum(1, (np.hypot(seg[:, 0], seg[:, 1]) / step).astype(int))  # points a segment
    which = np.repeat(np.arange(len(seg)), n)
    k = np.arange(which.size) - np.repeat(np.cumsum(n) - n, n) + 1  # 1 .. n along each segment
    return np.concatenate([corners[:1], corners[which] + seg[which] * (k / n[which])[:, None]])


def _crossed(rect: QRectF, points: np.ndarray) -> int:
    """How many of ``points`` (pixels, shape (n, 2)) lie in ``rect`` (its edge grown 1 px)."""
    return int(np.count_nonzero((points[:, 0] >= rect.left() - 1) & (points[:, 0] <= rect.right() + 1)
                                & (points[:, 1] >= rect.top() - 1) & (points[:, 1] <= rect.bottom() + 1)))


def _covered(rect: QRectF, others: list[QRectF]) -> float:
    """The area (px²) of ``rect`` that ``others`` cover."""
    total = 0.0
    for other in others:
        common = rect.intersected(other)
        total += common.width() * common.height()
    return total

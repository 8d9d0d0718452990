"""The run controller: the GUI thread's side of a training run.

It owns the worker's thread, sends commands to the worker through queued
signals, and keeps what the views draw in bounded buffers (the history, the
latest deltas, the marks of live setting changes). Views take it in their
``__init__``, read its buffers and call its methods; they hold no training
state of their own.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from ..engine import Dataset, InputError, Layout, load_dataset
from ..engine._monitor import DeltaRing, HistoryLog, SettingChange
from ..engine._network import activation_code
from ..engine._options import check_learning_rate, check_momentum
from .worker import FLAT_OUT, Batch, TrainingWorker

__all__ = ["RunConfig", "RunController"]

# How many of the latest steps' deltas the GUI keeps and shows.
DELTA_WINDOW = 2000
# How many live setting changes are kept for marking the curves.
MAX_MARKS = 200


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Changing any field but lr and momentum starts a new run."""

    dataset: Any = "iris"
    normalize: str = "zscore"
    test_fraction: float = 0.2
    data_seed: int = 0
    samples: int | None = None
    noise: float | None = None
    classes: int | None = None
    hidden: int = 7
    activation: str = "tanh"
    loss: str = "cross-entropy"
    rule: str = "lookback"
    init: str = "uniform"
    init_scale: float | None = None
    init_weights: Any = None
    weight_limit: float = 1e6
    seed: int = 0
    shuffle: bool = True
    lr: float = 0.01
    momentum: float = 0.5

    def dataset_options(self) -> dict:
        out = dict(normalize=self.normalize, test_fraction=self.test_fraction, data_seed=self.data_seed,
                   n_samples=self.samples, noise=self.noise)
        if self.classes is not None:
            out["n_classes"] = self.classes
        return out

    def trainer_options(self) -> dict:
        out = dict(hidden=self.hidden, activation=self.activation, loss=self.loss, rule=self.rule,
                   lr=self.lr, momentum=self.momentum, seed=self.seed, shuffle=self.shuffle, init=self.init,
                   init_weights=self.init_weights, weight_limit=self.weight_limit)
        if self.init_scale is not None:
            out["init_scale"] = self.init_scale
        return out


class RunController(QObject):
    """Commands for the worker, and the buffers the views draw."""

    # Emitted when new results have arrived (at most ~30 times a second while
    # training runs); views redraw on their own clock, reading the buffers.
    changed = Signal()
    # Emitted when the run state changes: "preparing", "paused", "running",
    # "finished", "diverged".
    state_changed = Signal(str)
    # Emitted when a new run starts (new data set, network, rule or seed, or a
    # reset); the argument says why, for the status bar.
    run_started = Signal(str)
    # Emitted when a request cannot be carried out (a one-line message).
    error = Signal(str)

    # Requests to the worker (queued: they run in the worker's thread).
    _configure = Signal(int, object, object)
    _reset = Signal(int)
    _start = Signal()
    _pause = Signal()
    _step_items = Signal(int)
    _step_epoch = Signal()
    _set_lr = Signal(float)
    _set_momentum = Signal(float)
    _set_speed = Signal(float)
    _set_max_epochs = Signal(int)

    def __init__(self, config: RunConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config or RunConfig()
        self.dataset: Dataset = load_dataset(self.config.dataset, **self.config.dataset_options())
        self.history = HistoryLog()
        self.deltas: DeltaRing | None = None
        self.marks: deque[SettingChange] = deque(maxlen=MAX_MARKS)
        self.latest: Batch | None = None
        self.state = "preparing"
        self.revision = 0
        self.speed = FLAT_OUT
        self.run_id = 0
        self._pending_reason = "started"
        self._start_thread()
        self._launch("started")

    # -- the thread ----------------------------------------------------------------------------

    def _start_thread(self) -> None:
        self.thread = QThread()
        self.thread.setObjectName("momentum-lab training")
        self.worker = TrainingWorker(DELTA_WINDOW)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.setup)
        self.thread.finished.connect(self.worker.deleteLater)
        self.worker.batch_ready.connect(self._on_batch)
        self.worker.failed.connect(self._on_failed)
        for request, slot in ((self._configure, self.worker.configure), (self._reset, self.worker.reset),
                              (self._start, self.worker.start), (self._pause, self.worker.pause),
                              (self._step_items, self.worker.step_items),
                              (self._step_epoch, self.worker.step_epoch),
                              (self._set_lr, self.worker.set_lr), (self._set_momentum, self.worker.set_momentum),
                              (self._set_speed, self.worker.set_speed),
                              (self._set_max_epochs, self.worker.set_max_epochs)):
            request.connect(slot)
        self.thread.start()

    def shutdown(self) -> None:
        """Stop the worker and wait for its thread: safe to call more than once."""
        if not self.thread.isRunning():
            return
        # Blocks until the worker has run stop() in its thread; no chunk runs after it.
        QMetaObject.invokeMethod(self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait()

    # -- the run ---------------------------------------------------------------------------------

    @property
    def layout(self) -> Layout:
        d = self.dataset
        return Layout(d.n_inputs, self.config.hidden, d.n_classes)

    def _launch(self, reason: str) -> None:
        self.run_id += 1
        self._clear(reason)
        self._configure.emit(self.run_id, self.dataset, self.config.trainer_options())

    def _clear(self, reason: str) -> None:
        self.history.clear()
        self.deltas = DeltaRing(DELTA_WINDOW, self.layout.n_params)
        self.marks.clear()
        self.latest = None
        self._pending_reason = reason
        self._set_state("preparing")
        self.revision += 1
        self.changed.emit()

    def apply(self, **changes: Any) -> bool:
        """Start a new run with some fields of the configuration changed.

        A data set that cannot be loaded (a bad CSV file, say) is reported by
        :attr:`error` and the current run goes on untouched. Returns whether
        the new run was started.
        """
        if "lr" in changes or "momentum" in changes:
            raise ValueError("lr and momentum change live: use set_lr and set_momentum")
        config = replace(self.config, **changes)
        try:
            if config.dataset_options() != self.config.dataset_options() or config.dataset != self.config.dataset:
                dataset = load_dataset(config.dataset, **config.dataset_options())
            else:
                dataset = self.dataset
            activation_code(config.activation)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        self.config, self.dataset = config, dataset
        what = ", ".join(f"{k.replace('_', ' ')} {_shown(v)}" for k, v in changes.items())
        self._launch(f"new run: {what}")
        return True

    def reset(self) -> None:
        """The same run from the start: same seed, same initial weights, same order."""
        self.run_id += 1
        self._clear("reset: same seed, same initial weights")
        self._reset.emit(self.run_id)

    def new_seed(self) -> None:
        self.apply(seed=self.config.seed + 1)

    def start(self) -> None:
        self._start.emit()

    def pause(self) -> None:
        self._pause.emit()

    def toggle(self) -> None:
        """Start when paused, pause when running."""
        if self.state == "running":
            self.pause()
        else:
            self.start()

    def step_item(self) -> None:
        self._step_items.emit(1)

    def step_items(self, n: int) -> None:
        self._step_items.emit(int(n))

    def step_epoch(self) -> None:
        self._step_epoch.emit()

    def set_lr(self, value: float) -> None:
        """Applies to the running worker from its next step on."""
        try:
            value = check_learning_rate(value)
        except InputError as exc:
            self.error.emit(str(exc))
            return
        self.config = replace(self.config, lr=value)
        self._set_lr.emit(value)

    def set_momentum(self, value: float) -> None:
        """Applies to the running worker from its next step on."""
        try:
            value = check_momentum(value)
        except InputError as exc:
            self.error.emit(str(exc))
            return
        self.config = replace(self.config, momentum=value)
        self._set_momentum.emit(value)

    def set_speed(self, items_per_second: float) -> None:
        self.speed = items_per_second
        self._set_speed.emit(float(items_per_second))

    def set_max_epochs(self, epochs: int) -> None:
        self._set_max_epochs.emit(int(epochs))

    # -- results ---------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    @Slot(object)
    def _on_batch(self, batch: Batch) -> None:
        if batch.run_id != self.run_id:
            return  # from a run that has since been replaced or reset
        if self.latest is None:
            self.run_started.emit(self._pending_reason)
        self.latest = batch
        self.history.extend(batch.rows)
        if batch.deltas.shape[0]:
            self.deltas.push(batch.deltas, batch.delta_first_step)
        self.marks.extend(batch.changes)
        self._set_state(batch.state)
        self.revision += 1
        self.changed.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.latest is None and self.state == "preparing":
            self._set_state("paused")
        self.error.emit(message)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Output probabilities of the latest weights for normalized inputs ``x`` (n, n_inputs)."""
        from ..engine._network import forward_batch

        ly = self.layout
        params = self.latest.params
        xs = np.ascontiguousarray(x, dtype=np.float64)
        return forward_batch(params, ly.n_inputs, ly.n_hidden, ly.n_outputs,
                             activation_code(self.config.activation), xs)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "default"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return str(value)

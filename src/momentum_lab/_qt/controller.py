"""The run controller: the GUI thread's side of a training run.

It owns the worker's thread, sends commands to the worker through queued
signals, and keeps what the views draw in bounded buffers (the history, the
latest deltas, the marks of live setting changes). Views take it in their
``__init__``, read its buffers and call its methods; they hold no training
state of their own.
"""

from __future__ import annotations

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

# How many of the latest steps' deltas the GUI keeps and shows: 2,000, fewer for large
# networks (each batch carries steps x parameters numbers, and the heatmap draws them all).
DELTA_WINDOW = 2000
DELTA_CELLS = 120_000
MIN_DELTA_WINDOW = 200


def delta_window(n_params: int) -> int:
    return max(MIN_DELTA_WINDOW, min(DELTA_WINDOW, DELTA_CELLS // max(n_params, 1)))
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
    # Emitted when a requested configuration failed and the one on show stays (views that
    # show the configuration show it again).
    config_restored = Signal()

    # Requests to the worker (queued: they run in the worker's thread).
    _configure = Signal(int, object, object, int)
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
        # A requested run not yet confirmed by the worker: (run id, config, dataset, reason).
        # Until its first batch comes, the current run stays on show; if it fails, it stays.
        self._pending: tuple | None = None
        self._next_id = 0
        self._start_thread()
        self._launch(self.config, self.dataset, "started")

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
        self.worker.configure_failed.connect(self._on_configure_failed)
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

    def _launch(self, config: RunConfig, dataset: Dataset, reason: str) -> None:
        self._next_id += 1
        self._pending = (self._next_id, config, dataset, reason)
        n_params = Layout(dataset.n_inputs, config.hidden, dataset.n_classes).n_params
        self._set_state("preparing")
        self._configure.emit(self._next_id, dataset, config.trainer_options(), delta_window(n_params))

    def _clear(self, reason: str) -> None:
        self.history.clear()
        self.deltas = DeltaRing(delta_window(self.layout.n_params), self.layout.n_params)
        self.marks.clear()
        self.latest = None
        self._pending_reason = reason
        self.revision += 1
        self.changed.emit()

    @property
    def wanted_config(self) -> RunConfig:
        """The configuration asked for last (still being prepared, or the current one)."""
        return self._pending[1] if self._pending else self.config

    def apply(self, **changes: Any) -> bool:
        """Start a new run with some fields of the configuration changed.

        A data set that cannot be loaded (a bad CSV file, say) is reported by
        :attr:`error` and the current run goes on untouched. Returns whether
        the new run was started.
        """
        if "lr" in changes or "momentum" in changes:
            raise ValueError("lr and momentum change live: use set_lr and set_momentum")
        base = self.wanted_config
        base_dataset = self._pending[2] if self._pending else self.dataset
        config = replace(base, **changes)
        try:
            if config.dataset_options() != base.dataset_options() or config.dataset != base.dataset:
                dataset = load_dataset(config.dataset, **config.dataset_options())
            else:
                dataset = base_dataset
            activation_code(config.activation)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        what = ", ".join(f"{k.replace('_', ' ')} {_shown(v)}" for k, v in changes.items())
        self._launch(config, dataset, f"new run: {what}")
        return True

    def reset(self) -> None:
        """The same run from the start: same seed, same initial weights, same order."""
        if self._pending is not None:
            return  # a new run is on its way; it starts from the start anyway
        self._next_id += 1
        self.run_id = self._next_id
        self._clear("reset: same seed, same initial weights")
        self._reset.emit(self.run_id)

    def new_seed(self) -> None:
        self.apply(seed=self.wanted_config.seed + 1)

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
        if self._pending is not None and batch.run_id == self._pending[0]:
            # The worker has built the requested run: it replaces the one on show.
            self.run_id, self.config, self.dataset, reason = self._pending
            self._pending = None
            self._clear(reason)
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
        self.error.emit(message)

    @Slot(int, str)
    def _on_configure_failed(self, run_id: int, message: str) -> None:
        if self._pending is None or self._pending[0] != run_id:
            return  # superseded by a newer request
        self._pending = None
        # The worker restates the run on show with a batch; without one, there is nothing to run.
        self._set_state(self.latest.state if self.latest is not None else "paused")
        self.error.emit(message)
        self.config_restored.emit()

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
    return str(value)

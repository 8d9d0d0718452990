"""The training worker: one QObject in one QThread, running the engine in short chunks.

The GUI thread never calls the worker's methods directly: it emits signals
that are connected to the worker's slots, so every command (start, pause,
step, reset, a new learning rate or momentum, a new configuration) is queued
and runs in the worker's thread between two chunks. Results come back as
:class:`Batch` objects, at most about 30 times a second while training runs,
and at once after a step, a reset or a new configuration.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ..engine import Divergence, InputError, Trainer
from ..engine._io import HISTORY_COLUMNS
from ..engine._monitor import SettingChange
from ..engine._analysis import largest_curvature
from ..engine._network import activation_code, forward_batch, loss_code

__all__ = ["Batch", "TrainingWorker", "FLAT_OUT"]

#: Speed meaning "as fast as the machine goes".
FLAT_OUT = math.inf
# While running flat out, each chunk is sized to take about this long, so
# queued commands wait at most that long.
_CHUNK_SECONDS = 0.008
# Batches go to the GUI at most this often while running.
_BATCH_SECONDS = 1 / 30
# The curvature (for the stability readout) is measured about this often while running.
_CURVATURE_SECONDS = 1.0


@dataclass(frozen=True, eq=False)
class Batch:
    """What the worker reports to the GUI.

    Attributes
    ----------
    run_id : int
        The run this belongs to; the GUI drops batches of earlier runs.
    state : str
        ``"paused"``, ``"running"``, ``"finished"`` or ``"diverged"``.
    epoch, position, step : int
        Completed epochs, items done in the current epoch, updates in all.
    rows : ndarray, shape (n, len(HISTORY_COLUMNS))
        History rows of the epochs completed since the last batch (row 0 of
        a new run is the initial weights, epoch 0).
    deltas : ndarray, shape (k, n_params)
        Deltas of the latest k steps (when running flat out, the steps
        between batches are not all sent).
    delta_first_step : int
        Step number (from 1) of ``deltas[0]``.
    params : ndarray, shape (n_params,)
        A copy of the current weights.
    updates_per_second : float
        Training speed since the previous batch (0 when not running).
    lr, momentum : float
    divergence : Divergence or None
    """

    run_id: int
    state: str
    epoch: int
    position: int
    step: int
    rows: np.ndarray
    deltas: np.ndarray
    delta_first_step: int
    params: np.ndarray
    updates_per_second: float
    lr: float
    momentum: float
    divergence: Divergence | None = None
    changes: tuple[SettingChange, ...] = field(default=())
    now: np.ndarray | None = None
    curvature: float = math.nan

    # (``now``: a history row for the current weights, its epoch a fraction — e.g. 12.25
    # a quarter into epoch 13 — so that slow motion and a divergence show the epoch in
    # progress, not only completed ones. ``curvature``: the largest curvature of the training
    # loss at the current weights, refreshed about once a second — NaN until first measured.)


class TrainingWorker(QObject):
    """Runs a :class:`~momentum_lab.engine.Trainer` in short chunks on a timer of its thread.

    Parameters
    ----------
    delta_window : int
        How many of the latest steps' deltas each batch carries at most.
    """

    # Emitted when results are ready: at most ~30 times a second while
    # running, and right after a step, reset or new configuration.
    batch_ready = Signal(object)
    # Emitted when a live setting is refused (one-line message).
    failed = Signal(str)
    # Emitted when a new configuration cannot be used: its run id and a one-line
    # message. The previous run, if any, stays, and a batch restates it.
    configure_failed = Signal(int, str)
    # Emitted when stop() has run: the timer is stopped, the thread may quit.
    stopped = Signal()

    def __init__(self, delta_window: int = 2000) -> None:
        super().__init__()
        self.delta_window = int(delta_window)
        self.trainer: Trainer | None = None
        self.run_id = 0
        self.state = "paused"
        self.speed = FLAT_OUT
        self.max_epochs = 0
        self._timer: QTimer | None = None
        self._wanted: tuple | None = None
        self._reset_pending()

    # -- lifetime --------------------------------------------------------------------------

    @Slot()
    def setup(self) -> None:
        """Create the timer in the worker's own thread (connected to QThread.started)."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(False)
        self._timer.timeout.connect(self._tick)

    @Slot()
    def stop(self) -> None:
        """Stop for good: no more chunks run after this."""
        if self._timer is not None:
            self._timer.stop()
        self.state = "stopped"
        self.stopped.emit()

    # -- commands (queued from the GUI thread) -----------------------------------------------------

    @Slot(int, object, object, int)
    def configure(self, run_id: int, dataset: Any, options: dict, delta_window: int) -> None:
        """Start a new run, paused: a trainer from ``dataset`` and trainer keyword ``options``.

        Requests that arrive while one is being built are merged: only the latest is
        built (a new network shape takes seconds to compile).
        """
        if self._wanted is None:
            QTimer.singleShot(0, self._build_wanted)
        self._wanted = (run_id, dataset, options, delta_window)

    @Slot()
    def _build_wanted(self) -> None:
        if self._wanted is None:
            return
        run_id, dataset, options, delta_window = self._wanted
        try:
            trainer = Trainer(dataset, **options)
            trainer.prepare()  # compiles a new network shape here, not in the GUI thread
            # The window's decision regions use this compiled function: load it here too.
            ly = trainer.layout
            forward_batch(trainer.params, ly.n_inputs, ly.n_hidden, ly.n_outputs,
                          activation_code(trainer.activation), dataset.x_train[:1])
        except Exception as exc:  # noqa: BLE001 (any failure keeps the old run; the GUI says why)
            self._wanted = None
            message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            self.configure_failed.emit(run_id, message)
            self._flush()
            return
        if self._wanted[0] != run_id:  # a newer request came while this one compiled
            QTimer.singleShot(0, self._build_wanted)
            return
        self._wanted = None
        self.trainer = trainer
        self.run_id = run_id
        self.delta_window = int(delta_window)
        self._begin_run()

    @Slot(int)
    def reset(self, run_id: int) -> None:
        """Back to the run's initial weights and item order, paused."""
        if self.trainer is None:
            return
        self.trainer.reset()
        self.run_id = run_id
        self._begin_run()

    @Slot()
    def start(self) -> None:
        if self.trainer is None or self.state in ("diverged", "stopped"):
            return
        if self._at_epoch_limit():
            self._set_state("finished")
            self._flush()
            return
        self.state = "running"
        self._anchor = (time.perf_counter(), self.trainer.step)
        self._next_batch = time.perf_counter() + _BATCH_SECONDS
        self._last_batch_time = time.perf_counter()
        self._last_batch_step = self.trainer.step
        self._arm_timer()
        self._flush()

    @Slot()
    def pause(self) -> None:
        if self.state == "running":
            self._set_state("paused")
            self._flush()

    @Slot(int)
    def step_items(self, n: int) -> None:
        """Pause, then train exactly ``n`` items, recording every delta."""
        if self.trainer is None or self.state in ("diverged", "stopped"):
            return
        self._set_state("paused")
        self._run(max(0, int(n)))
        self._flush()

    @Slot()
    def step_epoch(self) -> None:
        """Pause, then train to the end of the current epoch (a whole epoch from a boundary)."""
        if self.trainer is None:
            return
        t = self.trainer
        self.step_items(t.dataset.n_train - t.position)

    @Slot(float)
    def set_lr(self, value: float) -> None:
        self._change("lr", value)

    @Slot(float)
    def set_momentum(self, value: float) -> None:
        self._change("momentum", value)

    @Slot(float)
    def set_speed(self, items_per_second: float) -> None:
        """Items a second; ``FLAT_OUT`` (inf) for as fast as it goes."""
        self.speed = float(items_per_second) if items_per_second > 0 else FLAT_OUT
        if self.trainer is not None:
            self._anchor = (time.perf_counter(), self.trainer.step)
        if self.state == "running":
            self._arm_timer()

    @Slot(int)
    def set_max_epochs(self, epochs: int) -> None:
        """Stop ("finished") when this many epochs are complete; 0 for no limit."""
        self.max_epochs = max(0, int(epochs))

    # -- internals ------------------------------------------------------------------------------

    def _measure_curvature(self) -> float:
        t = self.trainer
        if t.divergence is not None or not np.all(np.isfinite(t.params)):
            return math.nan
        # On a sample of at most 500 training items: a few ms, about once a second.
        xs, ys = t.dataset.x_train[:500], t.dataset.y_train[:500]
        return largest_curvature(t.params, t.layout, activation_code(t.activation), loss_code(t.loss),
                                 xs, ys, iterations=20)

    def _reset_pending(self) -> None:
        self._rows: list[np.ndarray] = []
        self._changes: list[SettingChange] = []
        self._deltas = np.empty((0, 0))
        self._delta_first = 1
        self._last_batch_time = time.perf_counter()
        self._last_batch_step = 0
        self._anchor = (time.perf_counter(), 0)
        self._next_batch = time.perf_counter()
        self._curvature_time = -math.inf
        self._curvature = math.nan

    def _begin_run(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.state = "paused"
        self._reset_pending()
        t = self.trainer
        self._deltas = np.empty((0, t.layout.n_params))
        self._rows.append(t.history_row()[None, :])
        self._flush()

    def _change(self, name: str, value: float) -> None:
        t = self.trainer
        if t is None:
            return
        old = getattr(t, name)
        try:
            setattr(t, name, value)
        except InputError as exc:
            self.failed.emit(str(exc))
            return
        new = getattr(t, name)
        if new != old:
            epoch_position = t.epoch + t.position / t.dataset.n_train
            self._changes.append(SettingChange(t.step, epoch_position, name, old, new))
            if self.state != "running":
                self._flush()

    def _set_state(self, state: str) -> None:
        self.state = state
        if state != "running" and self._timer is not None:
            self._timer.stop()

    def _arm_timer(self) -> None:
        if self._timer is None:
            return
        if math.isinf(self.speed):
            interval = 0
        else:
            interval = int(min(50, max(5, 1000 / self.speed)))
        self._timer.start(interval)

    def _at_epoch_limit(self) -> bool:
        return bool(self.max_epochs) and self.trainer.epoch >= self.max_epochs

    def _items_due(self) -> int:
        t = self.trainer
        # A chunk takes about _CHUNK_SECONDS at the last measured rate, never more.
        cap = max(1, int(self._rate * _CHUNK_SECONDS))
        if math.isinf(self.speed):
            return cap
        started, step0 = self._anchor
        due = int((time.perf_counter() - started) * self.speed) - (t.step - step0)
        if due - cap > self.speed * 0.25:
            # The machine cannot keep this speed: forget the backlog instead of catching up.
            self._anchor = (time.perf_counter(), t.step + cap)
        return max(0, min(due, cap))

    _rate = 1e5  # updates/s, refined as chunks run

    @Slot()
    def _tick(self) -> None:
        if self.state != "running" or self.trainer is None:
            return
        n = self._items_due()
        t = self.trainer
        if self.max_epochs:
            n = min(n, self.max_epochs * t.dataset.n_train - t.step)
        if n > 0:
            began = time.perf_counter()
            done = self._run(n)
            took = time.perf_counter() - began
            if took > 1e-3:  # long enough to measure
                self._rate = 0.5 * self._rate + 0.5 * done / took
        if t.divergence is not None:
            self._set_state("diverged")
            self._flush()
        elif self._at_epoch_limit():
            self._set_state("finished")
            self._flush()
        elif time.perf_counter() >= self._next_batch:
            # On a fixed cadence (not "since the last one"), so chunk jitter does not slow it.
            self._next_batch = max(self._next_batch + _BATCH_SECONDS, time.perf_counter())
            self._flush()

    def _run(self, n: int) -> int:
        """Train ``n`` items; keep the deltas of the last ``delta_window`` of them."""
        t = self.trainer
        keep = min(n, self.delta_window)
        done = 0
        if n > keep:
            done += self._collect(t.run(n - keep))
        if keep:
            buffer = np.empty((keep, t.layout.n_params))
            first = t.step + 1
            report = t.run(keep, buffer)
            done += self._collect(report)
            recorded = buffer[: report.steps]
            if self._deltas.shape[0] and self._delta_first + self._deltas.shape[0] == first:
                recorded = np.concatenate([self._deltas, recorded])[-self.delta_window:]
                first = t.step - recorded.shape[0] + 1
            self._deltas, self._delta_first = recorded, first
        if t.divergence is not None:
            self._set_state("diverged")
        return done

    def _collect(self, report) -> int:
        if report.rows.shape[0]:
            self._rows.append(report.rows)
        return report.steps

    def _flush(self) -> None:
        """Send what has gathered since the last batch."""
        t = self.trainer
        if t is None:
            return
        now = time.perf_counter()
        elapsed = now - self._last_batch_time
        ups = (t.step - self._last_batch_step) / elapsed if self.state == "running" and elapsed > 0 else 0.0
        rows = np.concatenate(self._rows) if self._rows else np.empty((0, len(HISTORY_COLUMNS)))
        now_row = t.history_row()
        now_row[0] = t.epoch + t.position / t.dataset.n_train
        if now - self._curvature_time >= _CURVATURE_SECONDS or self.state != "running":
            self._curvature_time = now
            self._curvature = self._measure_curvature()
        batch = Batch(
            run_id=self.run_id, state=self.state, epoch=t.epoch, position=t.position, step=t.step,
            rows=rows, deltas=self._deltas, delta_first_step=self._delta_first, params=t.params.copy(),
            updates_per_second=ups, lr=t.lr, momentum=t.momentum, divergence=t.divergence,
            changes=tuple(self._changes), now=now_row, curvature=self._curvature,
        )
        self._rows = []
        self._changes = []
        self._deltas = np.empty((0, t.layout.n_params))
        self._last_batch_time = now
        self._last_batch_step = t.step
        self.batch_ready.emit(batch)

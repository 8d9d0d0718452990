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

from ..engine import (GRADIENT_LOSSES, Change, ChunkSizer, Divergence, InputError, Lane, RunConfig, Session,
                      StabilityLatch, Trainer, activation_code, batch_sharpness, forward_batch, largest_curvature,
                      loss_code)

__all__ = ["Batch", "FLAT_OUT", "LaneReport", "Plan", "TrainingWorker"]

#: Speed meaning "as fast as the machine goes".
FLAT_OUT = math.inf
# While running flat out, each chunk is sized to take about this long, so
# queued commands wait at most that long.
_CHUNK_SECONDS = 0.008
# Batches go to the GUI at most this often while running.
_BATCH_SECONDS = 1 / 30
# The curvature (for the stability readout) is measured about this often while running.
_CURVATURE_SECONDS = 1.0
# Items x parameters the curvature is measured on, at most (see _measure_curvature).
_CURVATURE_BUDGET = 20_000_000


@dataclass(frozen=True, eq=False)
class LaneReport:
    """One run's news in a :class:`Batch` (a comparison trains up to four runs side by side).

    Attributes
    ----------
    rule : str
    rows : ndarray, shape (n, len(HISTORY_COLUMNS))
        History rows of the epochs completed since the last batch (row 0 of
        a new run is the initial weights, epoch 0).
    deltas : ndarray, shape (k, n_params)
        Deltas of the latest k steps (when running flat out, the steps
        between batches are not all sent).
    delta_first_step : int
        Step number (from 1) of ``deltas[0]``.
    delta_stats : ndarray, shape (e, 2, n_params), float32
        The delta statistics (flip rate, mean |delta|) of the e epochs completed since the last
        batch, every one of them (see ``StepReport.stats``).
    params : ndarray, shape (n_params,)
        A copy of the current weights.
    lr, momentum : float
    divergence : Divergence or None
    changes : tuple of Change
        Setting changes applied since the last batch (planned or by hand), each with its
        ``previous`` value.
    now : ndarray or None
        A history row for the current weights, its epoch a fraction (12.25: a quarter into
        epoch 13), so that slow motion and a divergence show the epoch in progress.
    curvature : float
        The largest curvature of the training loss at the current weights, refreshed about
        once a second; NaN until first measured (and after a divergence).
    sharpness : float
        The batch sharpness (each item's curvature along its own gradient, averaged) at the
        current weights, measured with ``curvature``.
    stability : float
        The stability readout (``engine.stability_value``: above 1 unstable, above 0.5 near
        the edge) for the settings in force, latched at its largest since the last change of
        lr or momentum, the loss trend taking over when the loss has climbed; at the run's
        batch size (from sqrt(n) items an update, the quadratic bound's ``lr × curvature /
        bound``); NaN until first measured, and after a divergence.
    trend : float
        The loss trend (``engine.loss_trend``) as of the last epoch completed: above 1 the loss
        has climbed, and the readout is at least it (NaN before there is one to tell).
    start : tuple of float
        (lr, momentum) the run was built with: where a replay of it starts.
    """

    rule: str
    rows: np.ndarray
    deltas: np.ndarray
    delta_first_step: int
    delta_stats: np.ndarray
    params: np.ndarray
    lr: float
    momentum: float
    divergence: Divergence | None = None
    changes: tuple[Change, ...] = field(default=())
    now: np.ndarray | None = None
    curvature: float = math.nan
    start: tuple[float, float] = (math.nan, math.nan)
    sharpness: float = math.nan
    stability: float = math.nan
    trend: float = math.nan


@dataclass(frozen=True, eq=False)
class Batch:
    """What the worker reports to the GUI.

    Attributes
    ----------
    run_id : int
        The run this belongs to; the GUI drops batches of earlier runs.
    state : str
        ``"paused"``, ``"running"``, ``"finished"`` or ``"diverged"`` (every run of a
        comparison diverged; one that diverges alone stops while the others go on).
    epoch, position, step : int
        Completed epochs, items done in the current epoch, updates in all: the same for
        every run still going (they train in lockstep).
    updates_per_second : float
        Training speed since the previous batch, all runs together (0 when not running).
    handled : int
        The number of the last live setting request handled (see ``set_lr``): when it is the
        last one sent, the runs' lr and momentum in the reports are the ones in force.
    lanes : tuple of LaneReport
        One per run; the first is the main run. ``rows``, ``params``, ``lr`` … on the
        batch itself are the main run's.
    """

    run_id: int
    state: str
    epoch: int
    position: int
    step: int
    updates_per_second: float
    lanes: tuple[LaneReport, ...]
    handled: int = 0

    def __getattr__(self, name: str) -> Any:
        # The main run's fields, read through: batch.rows is batch.lanes[0].rows.
        if name in LaneReport.__dataclass_fields__:
            return getattr(self.lanes[0], name)
        raise AttributeError(name)


@dataclass(frozen=True)
class Plan:
    """What a new run does besides training: setting changes at exact steps (a lesson's or a
    saved scenario's), and a step to replay to, flat out, before pausing.

    Attributes
    ----------
    changes : tuple of Change
        In step order; each applies from the update after its step (a reset applies them again).
    run_to : int
        Replay to exactly this step at once, then pause (0: start paused at step 0).
    """

    changes: tuple[Change, ...] = ()
    run_to: int = 0


class TrainingWorker(QObject):
    """Trains a :class:`~momentum_lab.engine.Session` (up to four runs in lockstep) in short
    chunks on a timer of its thread, paced to the speed asked, and reports batches.

    The session does the training, the schedule of changes and the divergence of each run; the
    worker adds only threading, pacing and the batches the GUI draws.

    Parameters
    ----------
    delta_window : int
        How many of the latest steps' deltas each batch carries at most, per run.
    """

    #: Whether a measure of the readout has been made in this process (see _report).
    _warm = False

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
        self.session: Session | None = None
        self.run_id = 0
        self.state = "paused"
        self.speed = FLAT_OUT
        self.max_epochs = 0
        self.plan = Plan()
        self.handled = 0
        self._timer: QTimer | None = None
        # A requested run not built yet: (run id, dataset, RunConfig, delta window, plan).
        self._wanted: tuple | None = None
        # While replaying a plan's steps (flat out, then pause): the step to stop at.
        self._replay_to = 0
        # Items a chunk (each run), sized so that a chunk takes about _CHUNK_SECONDS.
        self._sizer = ChunkSizer(_CHUNK_SECONDS, first=1000)
        self._reset_pending()

    @property
    def trainer(self) -> Trainer | None:
        """The main run's trainer (None before the first configuration)."""
        return self.session.lanes[0].trainer if self.session else None

    @property
    def lanes(self) -> tuple[Lane, ...]:
        return self.session.lanes if self.session else ()

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

    @Slot(int, object, object, int, object)
    def configure(self, run_id: int, dataset: Any, config: RunConfig, delta_window: int,
                  plan: Plan | None = None) -> None:
        """Start a new run, paused: a session of ``config`` (its runs side by side) on ``dataset``,
        with its :class:`Plan` (timed setting changes, a step to replay to).

        Requests that arrive while one is being built are merged: only the latest is
        built (a new network shape takes seconds to compile).
        """
        if self._wanted is None:
            QTimer.singleShot(0, self._build_wanted)
        self._wanted = (run_id, dataset, config, delta_window, plan or Plan())

    @Slot()
    def _build_wanted(self) -> None:
        if self._wanted is None:
            return
        run_id, dataset, config, delta_window, plan = self._wanted
        try:
            session = Session(config, dataset=dataset, changes=plan.changes, deltas=int(delta_window), history=False,
                              delta_stats=True)
            session.prepare()  # compiles a new network shape here (once), not in the GUI thread
            # The window's decision regions use this compiled function: load it here too.
            t = session.lanes[0].trainer
            ly = t.layout
            forward_batch(t.params, ly.n_inputs, ly.n_hidden, ly.n_outputs, activation_code(t.activation),
                          dataset.x_train[:1])
        except Exception as exc:  # noqa: BLE001 (any failure keeps the old run; the GUI says why)
            self._wanted = None
            message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            self.configure_failed.emit(run_id, message)
            self._flush()
            return
        if self._wanted[0] != run_id:  # a newer request came while this one compiled
            QTimer.singleShot(0, self._build_wanted)
            return
        # (A change sent for this run before the build went into its config; none can come during
        # it: every command runs in this thread, after the build.)
        self._wanted = None
        self.session = session
        self.run_id = run_id
        self.delta_window = int(delta_window)
        self.plan = plan
        self._begin_run()
        if plan.run_to > 0:
            self._replay_to = plan.run_to
            self.start()

    @Slot(int)
    def reset(self, run_id: int) -> None:
        """Back to the runs' initial weights and item order, paused (a run with planned changes
        also to the settings it was built with: it replays as planned)."""
        if self.session is None:
            return
        self.session.reset()
        self.run_id = run_id
        self._begin_run()

    @Slot()
    def start(self) -> None:
        if self.session is None or self.state in ("diverged", "stopped"):
            return
        if self._at_epoch_limit() and not self._replay_to:
            self._set_state("finished")
            self._flush()
            return
        self.state = "running"
        now = time.perf_counter()
        self._anchor = (now, self.session.step)
        self._next_batch = now + _BATCH_SECONDS
        self._last_batch_time = now
        self._last_batch_step = self.session.step
        self._arm_timer()
        self._flush()

    @Slot()
    def pause(self) -> None:
        self._replay_to = 0
        if self.state == "running":
            self._set_state("paused")
            self._flush()

    @Slot(int)
    def step_items(self, n: int) -> None:
        """Pause, then make exactly ``n`` updates (``n`` items online; past the epoch limit if need be)."""
        if self.session is None or self.state in ("diverged", "stopped"):
            return
        self._replay_to = 0
        self._set_state("paused")
        self._advance(max(0, int(n)), stop=None)
        self._flush()

    @Slot()
    def step_epoch(self) -> None:
        """Pause, then train to the end of the current epoch (a whole epoch from a boundary)."""
        if self.session is not None:
            self.step_items(self.session.steps_per_epoch - self.session.epoch_step)

    @Slot(float, int, int, int)
    def set_lr(self, value: float, lane: int = 0, run_id: int | None = None, request: int = 0) -> None:
        """The learning rate of run ``lane`` (0: the main run) of run ``run_id`` (default: the
        one training), from its next step on; for a run being built, from its start.
        ``request``: the sender's running number of the request, echoed in ``Batch.handled``."""
        self.handled = max(self.handled, request)
        self._change(lane, "lr", value, run_id)

    @Slot(float, int, int, int)
    def set_momentum(self, value: float, lane: int = 0, run_id: int | None = None, request: int = 0) -> None:
        """The momentum of run ``lane`` of run ``run_id``, like :meth:`set_lr`."""
        self.handled = max(self.handled, request)
        self._change(lane, "momentum", value, run_id)

    @Slot(float)
    def set_speed(self, items_per_second: float) -> None:
        """Items a second (each run); ``FLAT_OUT`` (inf) for as fast as it goes."""
        self.speed = float(items_per_second) if items_per_second > 0 else FLAT_OUT
        if self.session is not None:
            self._anchor = (time.perf_counter(), self.session.step)
        if self.state == "running":
            self._arm_timer()

    @Slot(object)
    def set_max_epochs(self, epochs: int) -> None:
        """Stop ("finished") when this many epochs are complete; 0 for no limit."""
        self.max_epochs = max(0, int(epochs))

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _sample(t: Trainer) -> tuple[np.ndarray, np.ndarray, int, int] | None:
        """The training items the curvatures are measured on, and the codes; None once diverged."""
        if t.divergence is not None or not np.all(np.isfinite(t.params)):
            return None
        # At most 500 items: a few ms, about once a second (fewer for a large network; see _flush
        # for how often it is measured then).
        n = max(10, min(500, _CURVATURE_BUDGET // t.layout.n_params))
        return t.dataset.x_train[:n], t.dataset.y_train[:n], activation_code(t.activation), loss_code(t.loss)

    @classmethod
    def _measure_sharpness(cls, t: Trainer) -> float:
        """The batch sharpness at the run's weights now (NaN once diverged)."""
        sample = cls._sample(t)
        return math.nan if sample is None else batch_sharpness(t.params, t.layout, sample[2], sample[3], *sample[:2])

    @classmethod
    def _measure_curvature(cls, t: Trainer) -> tuple[float, float]:
        """(largest curvature, batch sharpness) at the run's weights now (NaN, NaN once diverged)."""
        sample = cls._sample(t)
        if sample is None:
            return math.nan, math.nan
        xs, ys, act, loss = sample
        # (The article's signal is the gradient of no loss: no Hessian, so no λ; its curvature
        # along itself, the sharpness, is measured all the same.)
        curvature = (largest_curvature(t.params, t.layout, act, loss, xs, ys, iterations=20)
                     if t.loss in GRADIENT_LOSSES else math.nan)
        return curvature, cls._measure_sharpness(t)

    def _reset_pending(self) -> None:
        now = time.perf_counter()
        self._curvature = [(math.nan, math.nan)] * len(self.lanes)
        # Each run's readout, held at its largest since its settings last changed.
        self._latches = [StabilityLatch() for _ in self.lanes]
        self._last_batch_time = now
        self._last_batch_step = 0
        self._anchor = (now, 0)
        self._next_batch = now
        self._curvature_time = -math.inf
        # Seconds the last measure of the curvature took (all runs): a slow one is made seldom.
        self._curvature_cost = 0.0
        # The changes applied (all runs) when the curvature was last measured, and when a batch was last sent.
        self._measured_changes = 0
        self._sent_changes = 0

    def _begin_run(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.state = "paused"
        self._replay_to = 0
        self._reset_pending()
        self._flush()

    def _change(self, index: int, name: str, value: float, run_id: int | None) -> None:
        wanted = self._wanted
        if wanted is not None and run_id == wanted[0]:
            if 0 <= index < len(wanted[2].lanes):
                try:  # the run being built starts with it
                    self._wanted = (*wanted[:2], wanted[2].with_lane(index, **{name: value}), *wanted[3:])
                except InputError as exc:
                    self.failed.emit(str(exc))
            return
        if self.session is None or (run_id is not None and run_id != self.run_id) or not 0 <= index < len(self.lanes):
            return
        try:
            changed = self.session.change(name, value, index)
        except InputError as exc:
            self.failed.emit(str(exc))
            return
        if changed and self.state != "running":
            self._flush()

    def _set_state(self, state: str) -> None:
        self.state = state
        if state != "running" and self._timer is not None:
            self._timer.stop()

    def _arm_timer(self) -> None:
        if self._timer is None:
            return
        if math.isinf(self.speed) or self._replay_to:  # a replay goes flat out, whatever the speed
            interval = 0
        else:
            interval = int(min(50, max(5, 1000 / self.speed)))
        self._timer.start(interval)

    def _limit(self) -> int | None:
        """The step training stops at: the replay's, else the epoch limit's (None: none)."""
        if self._replay_to:
            return self._replay_to
        return self.max_epochs * self.session.steps_per_epoch if self.max_epochs else None

    def _at_epoch_limit(self) -> bool:
        return bool(self.max_epochs) and self.session.epoch >= self.max_epochs

    def _items_due(self) -> int:
        cap = self._sizer.items  # a chunk takes about _CHUNK_SECONDS, never more
        if math.isinf(self.speed) or self._replay_to:
            return cap
        started, step0 = self._anchor
        step = self.session.step
        due = int((time.perf_counter() - started) * self.speed) - (step - step0)
        if due - cap > self.speed * 0.25:
            # The machine cannot keep this speed: forget the backlog instead of catching up.
            self._anchor = (time.perf_counter(), step + cap)
        return max(0, min(due, cap))

    def _advance(self, n: int, stop: int | None) -> int:
        """Train each run still going on ``n`` items, no further than ``stop``."""
        session = self.session
        session.stop_at = stop
        live = sum(lane.live for lane in session.lanes)
        # Timed in this thread's CPU time: the wall time counts the waits for the GIL that the
        # GUI thread holds while it draws (tens of ms with four runs), and chunks sized by it
        # shrank until the worker trained 0.04M updates a second instead of 1.4M.
        began = time.thread_time()
        done = session.advance(n)
        self._sizer.measured(done // max(1, live), time.thread_time() - began)
        if session.diverged:
            self._set_state("diverged")
        return done

    @Slot()
    def _tick(self) -> None:
        if self.state != "running" or self.session is None:
            return
        n = self._items_due()
        planned = self.session.next_planned
        if planned is not None and planned > self.session.step:
            # (A chunk runs to the next planned change and no further: the batch after it judges the
            # new settings at the change, before a step with them; flat out, lesson 6's run A went
            # from its jump to its divergence inside one chunk, its readout never measured at lr 2.
            # A step goes through: the batch after it measures anew anyway.)
            n = min(n, planned - self.session.step)
        if n > 0:
            self._advance(n, self._limit())
        step = self.session.step
        if self.state == "diverged":
            self._replay_to = 0
            self._flush()
        elif self._replay_to and step >= self._replay_to:
            self._replay_to = 0  # replayed: pause there
            self._set_state("paused")
            self._flush()
        elif not self._replay_to and self._at_epoch_limit():
            self._set_state("finished")
            self._flush()
        elif time.perf_counter() >= self._next_batch or self._changes() != self._sent_changes:
            # (At once after a change: the batch judges the new settings at the change; see _report.)
            # On a fixed cadence (not "since the last one"), so chunk jitter does not slow it.
            self._next_batch = max(self._next_batch + _BATCH_SECONDS, time.perf_counter())
            self._flush()

    def _report(self, lane: Lane, measure: bool, sharpen: bool = False) -> LaneReport:
        t = lane.trainer
        latch = self._latches[lane.index]
        sharpen = sharpen or latch.settings != (t.rule, t.lr, t.momentum)
        if measure:
            began = time.perf_counter()
            self._curvature[lane.index] = self._measure_curvature(t)
            if TrainingWorker._warm:
                self._curvature_cost += time.perf_counter() - began
            # (The process's first measure loads the solver and the compiled kernels: 3 s on a
            # loaded machine, which made the next wait a minute. Not counted.)
            TrainingWorker._warm = True
        elif sharpen:
            # New settings, a pause or a step, and no measure due (a slow one waits; Iris's λ takes
            # 50-70 ms): the sharpness alone, a fraction of a millisecond for a small network, so
            # that the readout judges the new settings at once and each step has a readout.
            self._curvature[lane.index] = (self._curvature[lane.index][0], self._measure_sharpness(t))
        curvature, sharpness = self._curvature[lane.index]
        if measure or sharpen:
            latch.update(t.rule, t.lr, t.momentum,
                         t.stability_now(sharpness, curvature) if sharpness == sharpness else math.nan)
        # The latched value, while the settings it was measured for are in force (NaN once diverged).
        stability = latch.value if latch.settings == (t.rule, t.lr, t.momentum) and t.divergence is None else math.nan
        first, deltas = lane.new_deltas()
        now_row = t.history_row()
        now_row[0] = t.epoch + t.position / t.dataset.n_train
        return LaneReport(
            rule=t.rule, rows=lane.new_rows(), deltas=deltas, delta_first_step=first,
            delta_stats=lane.new_delta_stats(), params=t.params.copy(),
            lr=t.lr, momentum=t.momentum, divergence=t.divergence, changes=tuple(lane.new_changes()),
            now=now_row, curvature=curvature, start=(lane.start.lr, lane.start.momentum), sharpness=sharpness,
            stability=stability, trend=t.trend_now() if t.divergence is None else math.nan)

    def _changes(self) -> int:
        """The changes applied so far (all runs, planned and by hand)."""
        return sum(len(lane.applied) for lane in self.session.lanes)

    def _flush(self) -> None:
        """Send what has gathered since the last batch."""
        session = self.session
        if session is None:
            return
        now = time.perf_counter()
        step = session.step
        elapsed = now - self._last_batch_time
        live = sum(lane.live for lane in session.lanes) or 1
        ups = (step - self._last_batch_step) * live / elapsed if self.state == "running" and elapsed > 0 else 0.0
        # About once a second, and at every pause or step; a measure that takes long (a network
        # of a million weights: seconds) at most a twentieth of the time, so that the worker
        # trains and answers commands the rest of it.
        # And at the first batch after a setting changed, so that the readout judges the new
        # settings at once (flat out, a lesson's run could diverge before the next measure).
        cost = self._curvature_cost
        changes = self._sent_changes = self._changes()
        measure = (now - self._curvature_time >= max(_CURVATURE_SECONDS, 20 * cost)
                   or (self.state != "running" and cost < 0.05)
                   or (changes != self._measured_changes and cost < 0.05))
        if measure:
            self._curvature_time = now
            self._curvature_cost = 0.0
            self._measured_changes = changes
        batch = Batch(run_id=self.run_id, state=self.state, epoch=session.epoch, position=session.position,
                      step=step, updates_per_second=ups,
                      lanes=tuple(self._report(lane, measure, self.state != "running") for lane in session.lanes),
                      handled=self.handled)
        self._last_batch_time = now
        self._last_batch_step = step
        self.batch_ready.emit(batch)

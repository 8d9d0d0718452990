"""``Session``: one data set, up to four runs side by side, and one schedule of setting changes.

This is the one run orchestration above the trainer: :func:`~momentum_lab.engine.train`,
:func:`~momentum_lab.engine.replay` and the window's worker all train through a Session.

- Its runs (*lanes*: A, the main run, then B, C, D) start from the same initial weights and see
  the items in the same order (both come from the seed); each has its own rule and live
  learning rate and momentum, and its own divergence: one that diverges stops while the others
  go on.
- Every setting change is a :class:`Change` (step, setting, value, lane): the planned ones (a
  lesson's, a scenario's, the API's ``changes=``) in the schedule given when the session is
  made, the hand ones through :meth:`Session.change`. :meth:`Session.advance` cuts its chunks at
  the schedule's steps, so a change applies from the update after its step however the steps
  are chunked; every change applied is recorded in its lane's :attr:`Lane.applied`.
- It stops at :attr:`Session.stop_at` (when set): :meth:`advance` never trains past it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._config import RUN_NAMES, LaneSettings, RunConfig, config_from, load_data
from ._datasets import Dataset
from ._errors import InputError
from ._io import DELTA_NAMES, HISTORY_COLUMNS
from ._monitor import DeltaStatsLog
from ._options import check_count, check_learning_rate, check_momentum
from ._results import DeltaStats, History, TrainResult
from ._trainer import StepReport, Trainer

__all__ = ["MAX_DELTA_BYTES", "MAX_DELTA_STATS_BYTES", "MAX_STEPS", "SETTINGS", "Change", "ChunkSizer", "Lane", "Session",
           "check_epochs_fit", "checked_changes", "run_session"]

#: More updates than this in one run are refused (the step counters are 64-bit).
MAX_STEPS = 10**15
#: Recorded deltas are held in memory; a run that would need more is refused.
MAX_DELTA_BYTES = 2 << 30
#: A run's per-epoch delta statistics (8 bytes a parameter an epoch) are kept in at most about this
#: many bytes: beyond, neighbouring epochs are merged (see DeltaStatsLog), at least 4 rows.
MAX_DELTA_STATS_BYTES = 256 << 20
#: The settings that change live, and their checks.
SETTINGS = {"lr": check_learning_rate, "momentum": check_momentum}
_STABILITY = HISTORY_COLUMNS.index("stability")


@dataclass(frozen=True)
class Change:
    """A setting change: run ``lane``'s ``setting`` ("lr" or "momentum") becomes ``value`` from
    the update after ``step`` updates.

    ``previous``: on a change a session applied, the value it replaced (None on a planned one).
    """

    step: int
    setting: str
    value: float
    lane: int = 0
    previous: float | None = field(default=None, compare=False)

    @property
    def run(self) -> str:
        """The lane's name: "A" for the main run, then "B", "C", "D"."""
        return RUN_NAMES[self.lane]

    def label(self, named: bool = False) -> str:
        """``lr 0.01 → 0.1`` (``B: lr …`` when ``named``), for a mark on a curve."""
        before = f"{self.previous:g} → " if self.previous is not None else ""
        return f"{self.run + ': ' if named else ''}{self.setting} {before}{self.value:g}"

    def to_dict(self) -> dict[str, Any]:
        """As a scenario file holds it."""
        return {"step": self.step, "run": self.run, "setting": self.setting, "value": self.value}


def checked_changes(changes: Sequence[Any], n_lanes: int = 1, option: str = "changes") -> tuple[Change, ...]:
    """Changes checked and in step order (a stable sort keeps same-step ones in order): each a
    :class:`Change` or a tuple ``(step, setting, value)`` (for the main run)."""
    out = []
    for i, change in enumerate(changes):
        where = f"{option}[{i}]"
        if isinstance(change, Change):
            step, name, value, lane = change.step, change.setting, change.value, change.lane
        else:
            try:
                step, name, value = change
            except (TypeError, ValueError):
                raise InputError(f"{where}: expected (step, 'lr' or 'momentum', value), got {change!r}") from None
            lane = 0
        if name not in SETTINGS:
            raise InputError(f"{where}: the setting must be 'lr' or 'momentum', got {name!r}")
        if isinstance(lane, bool) or not (isinstance(lane, int) and 0 <= lane < n_lanes):
            raise InputError(f"{where}: the run must be one of {', '.join(RUN_NAMES[:n_lanes])}, got lane {lane!r}")
        step = check_count(step, f"{where} step", minimum=0)
        if step > MAX_STEPS:
            raise InputError(f"{where} step: must be at most {MAX_STEPS:.0e}, got {step}")
        out.append(Change(step, name, SETTINGS[name](value, f"{where} {name}"), lane))
    return tuple(sorted(out, key=lambda c: c.step))


def check_epochs_fit(epochs: int, per_epoch: int, label: str = "epochs=") -> None:
    """Refuse ``epochs`` epochs of ``per_epoch`` updates (see steps_per_epoch) when they make more
    than MAX_STEPS updates."""
    if epochs * per_epoch > MAX_STEPS:
        raise InputError(f"{label}: {epochs} epochs of {per_epoch} updates is more than {MAX_STEPS:.0e} updates; "
                         "ask for fewer")


class ChunkSizer:
    """Chunk sizes that make each chunk take about ``seconds``, whatever the network's size:
    the one rule by which a run (progress and Ctrl-C), a sweep and the window's worker (commands
    answered between chunks) cut their work. Growth is at most fourfold a chunk."""

    def __init__(self, seconds: float, first: int = 1) -> None:
        self.seconds = float(seconds)
        self.items = max(1, int(first))

    def measured(self, items: int, took: float) -> None:
        """``items`` were done in ``took`` seconds: size the next chunk from that."""
        if items <= 0 or (took < 1e-4 and items < self.items):
            return  # too small a chunk to time
        self.items = max(1, min(4 * self.items, int(items * self.seconds / max(took, 1e-6))))


class Lane:
    """One run of a session: its trainer, what it was built with, the changes applied to it,
    its history rows, its per-epoch delta statistics and its recorded deltas.

    ``new_rows``, ``new_changes``, ``new_deltas`` and ``new_delta_stats`` give what came since
    they were last called (what the window's worker sends in a batch).
    """

    def __init__(self, index: int, trainer: Trainer, deltas: Any, stop_at: int | None, keep_history: bool,
                 delta_stats: bool = False) -> None:
        self.index = index
        self.trainer = trainer
        #: The settings the run was built with (where a replay of it starts).
        self.start = LaneSettings(trainer.rule, trainer.lr, trainer.momentum)
        #: Every change applied to this run, in step order.
        self.applied: list[Change] = []
        self._keep_history = keep_history
        self._rows: list[np.ndarray] = [trainer.history_row(stability=True)[None, :]]
        self._rows_taken = 0
        # The last row new_rows gave, and that row revised, to be given again (see _revise_last_row).
        self._given: np.ndarray | None = None
        self._revision: np.ndarray | None = None
        self._changes_taken = 0
        n_params = trainer.layout.n_params
        # Per-epoch delta statistics, when gathered: the whole run's, bounded (with history), else
        # those not taken yet.
        self._gather = bool(delta_stats)
        self._stats = DeltaStatsLog(n_params, MAX_DELTA_STATS_BYTES // (8 * n_params))
        self._stats_new: list[np.ndarray] = []
        self._mode = deltas
        if deltas == "all":
            self._deltas = np.empty((stop_at or 0, n_params))
        else:
            self._deltas = np.empty((0, n_params))
        self._delta_first = 1  # step (from 1) of _deltas[0] when keeping the latest
        self._deltas_taken = 0  # the last step whose deltas new_deltas() gave

    @property
    def name(self) -> str:
        return RUN_NAMES[self.index]

    @property
    def live(self) -> bool:
        """Not diverged."""
        return self.trainer.divergence is None

    @property
    def settings(self) -> LaneSettings:
        """Its rule and the learning rate and momentum now in force."""
        t = self.trainer
        return LaneSettings(t.rule, t.lr, t.momentum)

    def set(self, setting: str, value: float) -> Change | None:
        """Set a setting from the next update on and record it; None when it is the same."""
        t = self.trainer
        old = getattr(t, setting)
        setattr(t, setting, value)  # checked by the trainer
        new = getattr(t, setting)
        if new == old:
            return None
        change = Change(t.step, setting, new, self.index, previous=old)
        self.applied.append(change)
        self._revise_last_row()
        return change

    def _revise_last_row(self) -> None:
        """At an epoch's end, that epoch's history row reads for the settings of the next step
        (what its ``stability`` column is): revised where it is held, and given again by
        :meth:`new_rows` when it was given already."""
        t = self.trainer
        if t.epoch_step != 0 or t.divergence is not None:
            return
        held = self._rows[-1] if self._rows else None  # (without history, only rows not yet given)
        if held is not None and held.shape[0] and held[-1, 0] == t.epoch:
            row = held[-1]
            given = self._keep_history and self._rows_taken == len(self._rows)
        elif self._given is not None and self._given[0] == t.epoch:
            row, given = self._given, True
        else:
            return
        row[_STABILITY] = t.column_readout()
        if given:
            self._revision = row.copy()

    def run(self, n: int) -> int:
        """Make ``n`` updates (fewer if it diverges), keeping rows and deltas as asked."""
        t = self.trainer
        if self._mode == "all":
            report = t.run(n, self._deltas[t.step:], stats=self._gather)
            self._add_rows(report)
            return report.steps
        keep = min(n, self._mode or 0)
        done = 0
        if n > keep:
            report = t.run(n - keep, stats=self._gather)
            self._add_rows(report)
            done += report.steps
        if keep and t.divergence is None:
            buffer = np.empty((keep, t.layout.n_params))
            first = t.step + 1
            report = t.run(keep, buffer, stats=self._gather)
            self._add_rows(report)
            done += report.steps
            recorded = buffer[: report.steps]
            if self._deltas.shape[0] and self._delta_first + self._deltas.shape[0] == first:
                recorded = np.concatenate([self._deltas, recorded])[-self._mode:]
                first = t.step - recorded.shape[0] + 1
            self._deltas, self._delta_first = recorded, first
        return done

    def _add_rows(self, report: StepReport) -> None:
        if report.rows.shape[0]:
            self._rows.append(report.rows)
            if report.stats is None:
                return
            if self._keep_history:
                self._stats.extend(report.stats)
            else:
                self._stats_new.append(report.stats)

    def rows(self) -> np.ndarray:
        """Every history row (with ``history=True``; else those not yet taken by :meth:`new_rows`)."""
        return np.concatenate(self._rows) if self._rows else np.empty((0, len(HISTORY_COLUMNS)))

    def new_rows(self) -> np.ndarray:
        """The history rows made since the last call (row 0 of a new run: the initial weights).

        The first may be the last row given before, again, revised: a setting changed at that
        epoch's end makes its ``stability`` column read for the new settings. A receiver replaces
        its last row with a row of the same epoch (as :meth:`HistoryLog.extend` does)."""
        fresh = self._rows[self._rows_taken:]
        if self._keep_history:
            self._rows_taken = len(self._rows)
        else:
            self._rows = []
        if self._revision is not None:
            fresh = [self._revision[None, :], *fresh]
            self._revision = None
        if not fresh:
            return np.empty((0, len(HISTORY_COLUMNS)))
        rows = np.concatenate(fresh)
        self._given = rows[-1].copy()
        return rows

    def new_changes(self) -> list[Change]:
        """The changes applied since the last call."""
        fresh = self.applied[self._changes_taken:]
        self._changes_taken = len(self.applied)
        return fresh

    def new_deltas(self) -> tuple[int, np.ndarray]:
        """(first step, deltas) of the kept steps not given before (the latest ``deltas`` steps
        when the session keeps the latest; every step's when it keeps all)."""
        t = self.trainer
        if self._mode == "all":
            first = self._deltas_taken
            self._deltas_taken = t.step
            return first + 1, self._deltas[first:t.step]
        last = self._delta_first + self._deltas.shape[0] - 1
        skip = max(0, self._deltas_taken - self._delta_first + 1)
        self._deltas_taken = max(self._deltas_taken, last)
        return self._delta_first + skip, self._deltas[skip:]

    def new_delta_stats(self) -> np.ndarray:
        """The delta statistics of the epochs completed since the last call, shape (epochs, 2,
        n_params), float32 (as :attr:`StepReport.stats`), for a session made with delta_stats=True
        and history=False (the window's; with history=True they are in :meth:`delta_stats`)."""
        if self._keep_history or not self._gather:
            raise ValueError("new_delta_stats() is for a session made with delta_stats=True and history=False; "
                             "see delta_stats()")
        fresh, self._stats_new = self._stats_new, []
        return np.concatenate(fresh) if fresh else np.empty((0, 2, self.trainer.layout.n_params), dtype=np.float32)

    def delta_stats(self) -> DeltaStats | None:
        """The whole run's per-epoch delta statistics (with ``history=True``); None when the session
        gathers none."""
        if not self._gather:
            return None
        log = self._stats
        return DeltaStats(log.epoch, log.flip_rate.copy(), log.mean_abs.copy(), log.stride)

    def recorded_deltas(self) -> dict[str, np.ndarray] | None:
        """Every step's deltas by name (``ih_deltas`` …), when the session keeps all."""
        if self._mode != "all":
            return None
        kept = self._deltas[: self.trainer.step]
        return dict(zip(DELTA_NAMES, self.trainer.layout.views(kept).values()))


class Session:
    """Runs side by side on one data set, with one schedule of setting changes.

    Parameters
    ----------
    config : RunConfig, or a data source
        The runs: the main one and those in ``config.compare``. A data source (a set's name, a
        CSV path, a :class:`Dataset`, ``(X, y)``) with keyword ``options`` is also accepted,
        as with :func:`~momentum_lab.engine.train`.
    dataset : Dataset, optional
        ``config``'s data already loaded (else they are loaded here, once).
    changes : sequence of Change or (step, setting, value)
        Planned setting changes (a tuple is for the main run).
    stop_at : int, optional
        Train no further than this step (``advance`` stops there).
    deltas : None, "all" or int
        Keep no deltas, every step's (needs ``stop_at``), or the latest that many steps'.
    history : bool
        Keep every history row (for :meth:`results`); without it, rows are kept only until
        :meth:`Lane.new_rows` takes them (the window keeps its own bounded history).
    delta_stats : bool
        Gather each epoch's delta statistics (:class:`~momentum_lab.engine.DeltaStats`: sign-flip
        rate and mean |delta| of every parameter) in the kernel: in each result's
        ``delta_stats``, or, without history, through :meth:`Lane.new_delta_stats`. They cost
        about 5 % of the speed of a small network; without them the kernel runs as before.
    """

    def __init__(self, config: Any = None, *, dataset: Dataset | None = None, changes: Sequence[Any] = (),
                 stop_at: int | None = None, deltas: Any = None, history: bool = True, delta_stats: bool = False,
                 **options: Any) -> None:
        self.config: RunConfig = config_from(RunConfig() if config is None else config, options, "Session")
        self.dataset = dataset if dataset is not None else load_data(self.config)
        n_lanes = len(self.config.lanes)
        self.schedule = checked_changes(changes, n_lanes)
        if stop_at is not None:
            stop_at = check_count(stop_at, "steps=", minimum=0)
            if stop_at > MAX_STEPS:
                raise InputError(f"steps=: more than {MAX_STEPS:.0e} updates; ask for fewer")
        if not (deltas is None or deltas == "all" or (isinstance(deltas, int) and deltas >= 0)):
            raise ValueError(f"deltas must be None, 'all' or a number of steps, got {deltas!r}")
        self._deltas = deltas
        self._stop_at = stop_at
        self._keep_history = bool(history)
        self._delta_stats = bool(delta_stats)
        self._buffer_steps = stop_at or 0
        self._trainers = [Trainer(self.dataset, self.config.lane(i)) for i in range(n_lanes)]
        n_params = self._trainers[0].layout.n_params
        if deltas == "all":
            if stop_at is None:
                raise ValueError("deltas='all' needs stop_at (the buffer is made for the whole run)")
            need = stop_at * n_params * 8 * n_lanes
            if need > MAX_DELTA_BYTES:
                per_epoch = self.steps_per_epoch
                raise InputError(f"deltas=: recording {-(-stop_at // per_epoch)} epochs x {per_epoch} updates x "
                                 f"{n_params} parameters{f' x {n_lanes} runs' if n_lanes > 1 else ''} needs "
                                 f"{need / 2**30:.1f} GiB (the limit is {MAX_DELTA_BYTES / 2**30:.0f} GiB); "
                                 "record fewer epochs")
        #: Seconds spent training (in :meth:`advance`), and compiling the kernel (:meth:`prepare`).
        self.seconds = 0.0
        self.compile_seconds = 0.0
        self._prepared = False
        self._begin()

    # -- the runs ------------------------------------------------------------------------------

    @property
    def stop_at(self) -> int | None:
        """The step training stops at (None: none); may be changed between two ``advance`` calls,
        but with ``deltas="all"`` not beyond the one the session was made with (its buffer)."""
        return self._stop_at

    @stop_at.setter
    def stop_at(self, step: int | None) -> None:
        if step is None and self._deltas == "all":
            raise ValueError("stop_at: a session that records every step's deltas needs a stop step")
        if step is not None:
            step = check_count(step, "stop_at", minimum=0)
            if self._deltas == "all" and step > self._buffer_steps:
                raise ValueError(f"stop_at: the deltas of every step are recorded into a buffer of "
                                 f"{self._buffer_steps} steps; a later stop needs a new session")
        self._stop_at = step

    def _begin(self) -> None:
        self.lanes = tuple(Lane(i, t, self._deltas, self._buffer_steps, self._keep_history, self._delta_stats)
                           for i, t in enumerate(self._trainers))
        self._due = list(self.schedule)
        self._apply_due()  # changes at step 0: after row 0, which is the state the run was built in

    @property
    def _clock(self) -> Trainer:
        live = [lane.trainer for lane in self.lanes if lane.live]
        # Every run diverged: the one that went furthest (its steps are the session's extent).
        return live[0] if live else max(self._trainers, key=lambda t: t.step)

    @property
    def step(self) -> int:
        """Updates done by each run still going (they train in lockstep); when every run has
        diverged, the furthest one's."""
        return self._clock.step

    @property
    def epoch(self) -> int:
        """Epochs completed (of the runs still going)."""
        return self._clock.epoch

    @property
    def position(self) -> int:
        """Items done in the current epoch."""
        return self._clock.position

    @property
    def steps_per_epoch(self) -> int:
        """Updates an epoch (the same for every run: one data set, one batch size)."""
        return self._trainers[0].steps_per_epoch

    @property
    def epoch_step(self) -> int:
        """Updates done in the current epoch."""
        return self._clock.epoch_step

    @property
    def diverged(self) -> bool:
        """Every run has diverged."""
        return not any(lane.live for lane in self.lanes)

    @property
    def done(self) -> bool:
        """Nothing more to train: every run diverged, or the stop step is reached."""
        return self.diverged or (self.stop_at is not None and self.step >= self.stop_at)

    def prepare(self) -> float:
        """Compile the training kernel for the network's shape (or load it from the cache) once;
        returns the seconds it took (also added to :attr:`compile_seconds`)."""
        took = 0.0
        if not self._prepared:
            took = sum(t.prepare() for t in self._trainers)
            self.compile_seconds += took
            self._prepared = True
        return took

    @property
    def next_planned(self) -> int | None:
        """The step of the next planned change still to come (None: none is)."""
        return self._due[0].step if self._due else None

    def change(self, setting: str, value: float, lane: int = 0) -> Change | None:
        """A hand change: run ``lane``'s ``setting`` becomes ``value`` from its next update on,
        recorded in :attr:`Lane.applied`. Returns the change, or None when the value is the same.
        A bad value raises InputError (nothing changes)."""
        if setting not in SETTINGS:
            raise InputError(f"setting: must be 'lr' or 'momentum', got {setting!r}")
        n = len(self.lanes)
        if isinstance(lane, bool) or not isinstance(lane, int) or not 0 <= lane < n:
            raise InputError(f"lane: the run must be one of {', '.join(RUN_NAMES[:n])} (0 to {n - 1}), got {lane!r}")
        return self.lanes[lane].set(setting, value)

    def _apply_due(self) -> None:
        step = self.step
        while self._due and self._due[0].step <= step:
            change = self._due.pop(0)
            lane = self.lanes[change.lane]
            if lane.live:  # a run that has diverged trains no more: its planned changes lapse
                lane.set(change.setting, change.value)

    def advance(self, n_steps: int) -> int:
        """Make ``n_steps`` more updates in each run still going (fewer at :attr:`stop_at`, or if
        every run diverges), applying the schedule's changes at their steps. Returns the updates
        done, all runs together."""
        n = check_count(n_steps, "n_steps", minimum=0)
        if self.stop_at is not None:
            n = min(n, max(0, self.stop_at - self.step))
        if n and not self._prepared:
            self.prepare()
        began = time.perf_counter()
        done = 0
        while n > 0 and not self.diverged:
            k = min(n, self._due[0].step - self.step) if self._due else n
            for lane in self.lanes:
                if lane.live:
                    done += lane.run(k)
            n -= k
            self._apply_due()
        self.seconds += time.perf_counter() - began
        return done

    def reset(self) -> None:
        """Back to the initial weights, epoch 0 and the same item order. With a schedule, the runs
        go back to the settings they were built with and the schedule replays; without one they
        keep the settings now in force (the new start)."""
        if not self.schedule:
            config = self.config
            for lane in self.lanes:
                config = config.with_lane(lane.index, lr=lane.trainer.lr, momentum=lane.trainer.momentum)
            self.config = config
        for i, t in enumerate(self._trainers):
            t.reset()
            settings = self.config.lanes[i]
            t.lr, t.momentum = settings.lr, settings.momentum
        self._begin()

    # -- results ---------------------------------------------------------------------------------

    def results(self, **options: Any) -> list[TrainResult]:
        """One :class:`TrainResult` per run, the main run first (with ``history=True``).
        ``options`` are added to each result's ``options`` (``epochs``, say)."""
        if not self._keep_history:
            raise ValueError("results() needs a session made with history=True")
        out = []
        for lane in self.lanes:
            t = lane.trainer
            used = {**self.config.lane(lane.index).options(), "lr": lane.start.lr, "momentum": lane.start.momentum,
                    "changes": tuple(lane.applied), **options}
            out.append(TrainResult(History(lane.rows()), t.weights(), t.initial_weights(), lane.recorded_deltas(),
                                   lane.delta_stats(),
                                   t.divergence, t.step, self.seconds, self.compile_seconds, self.dataset, used))
        return out

    def __repr__(self) -> str:
        runs = ", ".join(f"{lane.name} {lane.trainer.rule} lr={lane.trainer.lr:g} m={lane.trainer.momentum:g}"
                         f"{' diverged' if not lane.live else ''}" for lane in self.lanes)
        stop = f" of {self.stop_at}" if self.stop_at is not None else ""
        return f"Session({self.dataset.name!r}, step {self.step}{stop}, {runs})"


def run_session(session: Session, progress: Any = None, epochs: int | None = None,
                chunk_seconds: float = 0.05) -> None:
    """Train ``session`` to its end (its stop step, or every run diverged), in chunks of about
    ``chunk_seconds`` so that Ctrl-C answers that often; ``progress(epoch, epochs, row)`` after each
    chunk, ``row`` the main run's latest history row."""
    if session.stop_at is None:
        raise ValueError("run_session: the session has no stop step")
    sizer = ChunkSizer(chunk_seconds, first=session.steps_per_epoch)
    session.prepare()
    if epochs is None:
        epochs = -(-session.stop_at // session.steps_per_epoch)
    while not session.done:
        began = time.perf_counter()
        done = session.advance(sizer.items)
        sizer.measured(done // max(1, sum(lane.live for lane in session.lanes)), time.perf_counter() - began)
        if progress is not None:
            main = session.lanes[0]
            progress(main.trainer.epoch, epochs, main._rows[-1][-1])


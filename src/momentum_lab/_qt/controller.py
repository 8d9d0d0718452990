"""The run controller: the GUI thread's side of a training run.

It owns the worker's thread, sends commands to the worker through queued
signals, and keeps what the views draw in bounded buffers (the history, the
latest deltas, the marks of setting changes). Views take it in their
``__init__``, read its buffers and call its methods; they hold no training
state of their own.

One owner per fact:

- the worker's latest report (:attr:`RunController.latest`) is the truth about the run on
  show: its step, each run's learning rate and momentum in force, its divergence;
- the controller keeps the run on show's start (``_run``), the new run asked for whose data are
  being read (``_request``), the one the worker is building (``_building``: sent, its first batch
  not come yet), and the live settings asked for and not yet confirmed by a report (``_asked``);
- :meth:`RunController.shown_config` decides from those three what the panel shows;
- the controller keeps the speed and the epoch limit it last sent the worker (:attr:`RunController.speed`,
  :attr:`RunController.max_epochs`: the panel shows them, whoever set them), and a Start asked for while
  a run is being built (``_start_wanted``: the worker gets it once that run is ready; a Pause cancels it);
  :meth:`RunController.preparing_text` says what the worker is doing meanwhile.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from ..engine import (DATASET_NAMES, MAX_RUNS, RANGES, RULE_SHORT, RULES, RUN_NAMES, SETTINGS, Change, Dataset,
                      DeltaRing, DeltaStatsLog, HistoryLog, InputError, LaneSettings, Layout, LoadCancelled, RunConfig,
                      Scenario, activation_code, batch_items, load_data, load_scenario_and_data, steps_per_epoch)
from ._gc import collect_in_gui_thread
from .loader import JOIN_SECONDS, LoadJob, LoadWatcher
from .worker import FLAT_OUT, Batch, LaneReport, Plan, TrainingWorker

__all__ = ["LaneSettings", "RunConfig", "RunController"]

# How many of the latest steps' deltas the GUI keeps and shows: 2,000, fewer for large
# networks (each batch carries steps x parameters numbers, and the heatmap draws them all).
DELTA_WINDOW = 2000
DELTA_CELLS = 120_000
MIN_DELTA_WINDOW = 200
# ... and never more than this many numbers a run (a wide data set with 1,000 hidden units has
# a million parameters: 200 steps of them would take 1.6 GB).
MAX_DELTA_CELLS = 4_000_000


def delta_window(n_params: int) -> int:
    n = max(n_params, 1)
    return max(1, min(DELTA_WINDOW, max(DELTA_CELLS // n, min(MIN_DELTA_WINDOW, MAX_DELTA_CELLS // n))))
# Each run's per-epoch delta statistics (the delta summary) are kept in at most this many rows,
# fewer for large networks (rows x parameters at most SUMMARY_CELLS: 16 MB), at least 4; older
# epochs are merged pairwise to make room (see DeltaStatsLog).
SUMMARY_ROWS = 4096
SUMMARY_CELLS = 2_000_000


def summary_rows(n_params: int) -> int:
    return max(4, min(SUMMARY_ROWS, SUMMARY_CELLS // max(n_params, 1)))
# How many of a run's latest readouts the stability map's trail shows.
TRAIL_POINTS = 30
# How many live setting changes are kept for marking the curves.
MAX_MARKS = 200

# Network shapes (inputs, hidden, outputs) a run has been built for in this process: their training
# kernel is compiled (a new shape takes seconds, once; see engine.kernel_for).
_BUILT_SHAPES: set[tuple[int, int, int]] = set()


class LaneBuffers:
    """What the views draw of one run: its history, its per-epoch delta statistics, its latest
    deltas, its latest report."""

    def __init__(self, n_params: int) -> None:
        self.history = HistoryLog()
        self.delta_stats = DeltaStatsLog(n_params, summary_rows(n_params))
        self.deltas = DeltaRing(delta_window(n_params), n_params)
        self.latest: LaneReport | None = None
        #: The run's last measured curvature λ (finite, positive), NaN before the first: kept
        #: once the run has diverged and cannot be measured any more.
        self.measured = math.nan
        #: The run's last stability readout (latched; see LaneReport.stability), kept likewise.
        self.measured_stability = math.nan
        #: The run's last measured batch sharpness (finite), kept likewise.
        self.measured_sharpness = math.nan
        #: The run's latest readouts, oldest first, one for each new measure or setting (lr,
        #: momentum, sharpness, curvature): the stability map's trail. A new run or a Reset makes
        #: new buffers; a run's end keeps them.
        self.trail: deque[tuple[float, float, float, float]] = deque(maxlen=TRAIL_POINTS)

    def receive(self, report: LaneReport) -> None:
        """The run's latest report: the last measures kept (see :meth:`curvature`), a new readout
        added to the trail."""
        self.latest = report
        if math.isfinite(report.curvature) and report.curvature > 0:
            self.measured = report.curvature
        if not math.isnan(report.stability):
            self.measured_stability = report.stability
        if math.isfinite(report.sharpness):
            self.measured_sharpness = report.sharpness
        readout = (report.lr, report.momentum, report.sharpness, report.curvature)
        if (math.isfinite(report.sharpness) or math.isfinite(report.curvature)) and (
                not self.trail or self.trail[-1] != readout):
            self.trail.append(readout)

    def stability(self) -> tuple[float, bool]:
        """The stability readout r on show, and whether it is the last one before the run
        diverged (NaN before the first measure)."""
        report = self.latest
        if report is None:
            return math.nan, False
        if math.isfinite(report.stability) or report.stability == math.inf:
            return report.stability, False
        return (self.measured_stability, True) if report.divergence is not None else (math.nan, False)

    def curvature(self) -> tuple[float, bool]:
        """λ for the stability readouts, and whether it is the last one measured before the run
        diverged (the evidence a lesson points at stays on show when its run ends)."""
        report = self.latest
        if report is None:
            return math.nan, False
        if math.isfinite(report.curvature) and report.curvature > 0:
            return report.curvature, False
        return (self.measured, True) if report.divergence is not None else (math.nan, False)

    def sharpness(self) -> tuple[float, bool]:
        """The batch sharpness BS for the stability map, and whether it is the last one measured
        before the run diverged (see :meth:`curvature`)."""
        report = self.latest
        if report is None:
            return math.nan, False
        if math.isfinite(report.sharpness):
            return report.sharpness, False
        return (self.measured_sharpness, True) if report.divergence is not None else (math.nan, False)


@dataclass(frozen=True)
class _Run:
    """The run on show, as the worker built it."""

    run_id: int
    config: RunConfig  # its start: the settings it was built with (its changes are in the reports)
    dataset: Dataset
    plan: Plan
    origin: str


@dataclass(eq=False)
class _Request:
    """A new run asked for and not on show yet: its data being read (``job``), or being built
    by the worker (``run_id``). ``config`` is None while a scenario file is read."""

    config: RunConfig | None
    reason: str
    plan: Plan = field(default_factory=Plan)
    origin: str = "options"
    dataset: Dataset | None = None
    job: LoadJob | None = None
    run_id: int | None = None
    # What to do with a read job's result, if not to take it as the data (a scenario file).
    then: Callable[[Any], None] | None = None
    # What to do just before the request goes to the worker (a scenario's epoch limit and speed).
    on_send: Callable[[], None] | None = None
    # Epochs to train at once, then pause (a sweep's cell): made a plan's run_to once the data are known.
    replay_epochs: int = 0


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
    # Emitted when a requested configuration failed or was cancelled and the one on show stays
    # (views that show the configuration show it again).
    config_restored = Signal()
    # Emitted when a new configuration has been asked for (it is being prepared): views that
    # show the configuration show the one asked for.
    config_requested = Signal()
    # Emitted when what shown_config() gives has changed without a request of the user's (a
    # lesson's or a scenario's planned change has come): views that show the settings show them again.
    settings_changed = Signal()
    # Emitted when the speed or the epoch limit has been set (by the panel, a key, a lesson, a scenario,
    # the command line): views that show them show :attr:`speed` and :attr:`max_epochs` again.
    limits_changed = Signal()
    # Emitted when what preparing_text() says has changed (a run sent to be built, a Start asked for
    # or cancelled meanwhile, the run ready).
    preparing_changed = Signal()
    # Emitted while data are read in the background for a requested run: what is read ("big.csv"),
    # bytes read and the total (0, 0 when the reader does not say).
    load_progress = Signal(str, object, object)
    # Emitted when that reading has ended: read, failed (error says why), or cancelled.
    load_ended = Signal()

    # Requests to the worker (queued: they run in the worker's thread).
    _configure = Signal(int, object, object, int, object)
    _reset = Signal(int)
    _start = Signal()
    _pause = Signal()
    _step_items = Signal(int)
    _step_epoch = Signal()
    _set_lr = Signal(float, int, int, int)
    _set_momentum = Signal(float, int, int, int)
    _set_speed = Signal(float)
    _set_max_epochs = Signal(object)  # (a Python int: the command line takes any number of epochs)

    def __init__(self, config: RunConfig | None = None, parent: QObject | None = None, *,
                 dataset: Dataset | None = None, origin: str = "options") -> None:
        """``dataset``: ``config``'s data, already loaded (else they are loaded here).
        ``origin``: where the configuration comes from (see :attr:`origin`)."""
        super().__init__(parent)
        config = config or RunConfig()
        if dataset is None:
            dataset = load_data(config)
        # Until the worker's first batch, the run asked for stands as the run on show.
        self._run = _Run(0, config, dataset, Plan(), origin)
        self._request: _Request | None = None  # its data being read
        self._building: _Request | None = None  # sent to the worker, its first batch not come yet
        # Requests sent before it and not confirmed: the worker may have built one of them (it builds
        # the latest it has when it gets to it), and then its batches are the truth.
        self._superseded: dict[int, _Request] = {}
        self._config_cache: tuple = (None, None, config)  # (run, latest batch, config): see config
        # Live settings asked for, not yet confirmed by a report: (lane, setting) -> (request number, value).
        self._asked: dict[tuple[int, str], tuple[int, float]] = {}
        self._sent = 0  # live setting requests sent so far (the worker echoes the last one it handled)
        # One per run (the main run, then those compared with it); see the properties below.
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in config.lanes]
        # Setting changes of every run, for marking the curves.
        self.marks: deque[Change] = deque(maxlen=MAX_MARKS)
        self.latest: Batch | None = None
        # Every setting change of the run so far, in step order (for saving a scenario).
        self.changes: list[Change] = []
        # A branch's original: the main run's history rows and a label, drawn for comparison.
        self.ghost: tuple[np.ndarray, str] | None = None
        self.state = "preparing"
        self.revision = 0
        self.speed = FLAT_OUT
        self.max_epochs = 0
        # A Start asked for while a run is being built: sent once it is ready (see start()).
        self._start_wanted = False
        self._reason = "ready"
        self._loads = LoadWatcher(self)
        self._loads.progress.connect(self.load_progress)
        self._loads.finished.connect(self._on_loaded)
        self._next_id = 0
        self._make_thread()
        # ("ready", not "started": the first run waits, paused, for Start.)
        self._send(_Request(config, "ready", origin=origin, dataset=dataset))
        # Last: nothing may raise once the thread runs, or the controller dies with it running
        # (which aborts the process). The configure request above waits in its queue.
        self.thread.start()

    # -- the thread ----------------------------------------------------------------------------

    def _make_thread(self) -> None:
        collect_in_gui_thread()  # (before the thread runs: see _gc)
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

    def shutdown(self) -> None:
        """Stop any reading and the worker, and wait for their threads: safe to call more than once."""
        if self._request is not None and self._request.job is not None:
            self._request = None
            self._loads.drop(wait=JOIN_SECONDS)
        self._building = None
        if not self.thread.isRunning():
            return
        # Blocks until the worker has run stop() in its thread; no chunk runs after it.
        QMetaObject.invokeMethod(self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait()

    # -- the run on show --------------------------------------------------------------------------

    @property
    def run_id(self) -> int:
        return self._run.run_id

    @property
    def dataset(self) -> Dataset:
        return self._run.dataset

    @property
    def batch_items(self) -> int:
        """Items an update of the run on show: its batch size resolved ("full": every training item)."""
        return batch_items(self._run.config.batch_size, self._run.dataset.n_train)

    @property
    def steps_per_epoch(self) -> int:
        """Updates an epoch of the run on show: ceil(training items / batch size) (a step, a
        change's step and a delta's step count updates)."""
        return steps_per_epoch(self._run.config.batch_size, self._run.dataset.n_train)

    @property
    def plan(self) -> Plan:
        """The run's planned changes (a lesson's or a scenario's)."""
        return self._run.plan

    @property
    def origin(self) -> str:
        """Where the run on show comes from: "options" (the command line's, the remembered ones, or
        changed in the window), "lesson", "scenario" (a file, or a branch)."""
        return self._run.origin

    @property
    def start_config(self) -> RunConfig:
        """The run on show as it started (its changes since are in :attr:`changes`)."""
        return self._run.config

    @property
    def config(self) -> RunConfig:
        """The run on show with the learning rates and momenta now in force (the latest report's)."""
        run, latest, config = self._config_cache
        if run is self._run and latest is self.latest:
            return config  # (views read it on every redraw; a RunConfig is checked when made)
        config = self._run.config
        if self.latest is not None:
            for index, report in enumerate(self.latest.lanes):
                if (report.lr, report.momentum) != (config.lanes[index].lr, config.lanes[index].momentum):
                    config = config.with_lane(index, lr=report.lr, momentum=report.momentum)
        self._config_cache = (self._run, self.latest, config)
        return config

    def shown_config(self) -> RunConfig:
        """What the panel shows: the new run asked for, if one is on its way; else the run on show
        with the settings in force, or asked for and not yet in force."""
        for request in (self._request, self._building):
            if request is not None and request.config is not None:
                return request.config
        config = self.config
        for (lane, name), (_, value) in self._asked.items():
            if lane < len(config.lanes):
                config = config.with_lane(lane, **{name: value})
        return config

    #: (the name views and tests have read it by)
    wanted_config = property(shown_config)

    @property
    def history(self) -> HistoryLog:
        """The main run's history."""
        return self.lanes[0].history

    @property
    def deltas(self) -> DeltaRing:
        """The main run's latest deltas."""
        return self.lanes[0].deltas

    @property
    def comparing(self) -> bool:
        return len(self.lanes) > 1

    def lane_title(self, index: int) -> str:
        """'B classical, lr 0.05, m 0.9' (the settings now in force; short, for legends)."""
        settings = self.config.lanes[index]
        rule = RULE_SHORT[settings.rule].split(" (")[0]  # "look-back", "classical", "Nesterov"
        return f"{RUN_NAMES[index]} {rule}, lr {settings.lr:g}, m {settings.momentum:g}"

    @property
    def layout(self) -> Layout:
        d = self.dataset
        return Layout(d.n_inputs, self._run.config.hidden, d.n_classes)

    @property
    def busy(self) -> bool:
        """Whether a requested run is on its way (its data being read, or the worker building it)."""
        return self._request is not None or self._building is not None

    @property
    def loading(self) -> str | None:
        """What is being read in the background for a requested run ("big.csv"), or None."""
        request = self._request
        return request.job.what if request is not None and request.job is not None else None

    @property
    def pending_run_id(self) -> int | None:
        """The id the run being built by the worker will have (None when none is)."""
        return self._building.run_id if self._building is not None else None

    def _shown_origin(self) -> str:
        """The origin of the run the panel shows (see :meth:`shown_config`)."""
        for request in (self._request, self._building):
            if request is not None and request.config is not None:
                return request.origin
        return self._run.origin

    @property
    def start_wanted(self) -> bool:
        """Whether a Start was asked for while a run is being built (it starts once ready)."""
        return self._start_wanted

    def preparing_text(self) -> str:
        """What the worker is doing for the run it is building, for the panel and the status bar:
        "compiling the training kernel for a 4-7-3 network (about 5 s, once)" for a network shape
        not built in this process yet, else "preparing the run" (with "; it starts when ready"
        after a Start asked for meanwhile); "" when no run is being built."""
        request = self._building
        if request is None:
            return ""
        d = request.dataset
        shape = (d.n_inputs, request.config.hidden, d.n_classes)
        if shape in _BUILT_SHAPES:
            text = "preparing the run"
        else:
            text = f"compiling the training kernel for a {'-'.join(map(str, shape))} network (about 5 s, once)"
        return text + ("; it starts when ready" if self._start_wanted else "")

    def _preparing_changed(self) -> None:
        self.revision += 1  # (the window's clock redraws its status from the revision)
        self.preparing_changed.emit()

    # -- asking for a new run ------------------------------------------------------------------------

    def _ask(self, request: _Request) -> bool:
        """Make ``request`` the run asked for (it replaces any other not sent yet): send it to the
        worker at once when its data are those on show or of a request on its way, else once they
        are read (a run the worker is building meanwhile still comes on show)."""
        old, config = self._request, request.config
        building = self._building
        if old is not None and old.config is not None and old.config.same_data(config):
            request.dataset, request.job = old.dataset, old.job  # its data: read, or being read
        elif building is not None and building.config.same_data(config):
            request.dataset = building.dataset
        elif self._run.config.same_data(config):
            request.dataset = self._run.dataset
        if old is not None and old.job is not None and old.job is not request.job:
            self._loads.drop()
        self._request = request
        if request.dataset is not None:
            self._send(request)
        else:
            if request.job is None:
                request.job = LoadJob(_data_name(config.dataset), _data_reader(config))
                self._loads.watch(request.job)
            self.config_requested.emit()
        return True

    def _send(self, request: _Request) -> None:
        """Ask the worker to build ``request``'s run (its data are read)."""
        request.job = None
        if request.on_send is not None:
            request.on_send()
        if request.replay_epochs:
            per_epoch = steps_per_epoch(request.config.batch_size, request.dataset.n_train)
            request.plan = Plan(request.plan.changes, run_to=request.replay_epochs * per_epoch)
        self._next_id += 1
        request.run_id = self._next_id
        self._request = None
        if self._building is not None:
            self._superseded[self._building.run_id] = self._building
        self._building = request
        dataset, config = request.dataset, request.config
        n_params = Layout(dataset.n_inputs, config.hidden, dataset.n_classes).n_params
        self._set_state("preparing")
        self.config_requested.emit()
        self._configure.emit(request.run_id, dataset, config, delta_window(n_params), request.plan)
        self._preparing_changed()

    def _new(self, reason: str, make: Callable[[], RunConfig], plan: Plan | None = None) -> bool:
        """Ask for the run ``make()`` gives (a bad value: said by :attr:`error`, False)."""
        try:
            config = make()
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        # A run made from a lesson's (its network changed, say) is still the lesson's: not remembered.
        return self._ask(_Request(config, reason, plan or Plan(), origin=self._origin_of_change()))

    def _origin_of_change(self) -> str:
        """The origin of a run the window makes from the one the panel shows: a lesson's stays a
        lesson's (its settings are not the user's defaults), any other is "options"."""
        return "lesson" if self._shown_origin() == "lesson" else "options"

    def apply(self, **changes: Any) -> bool:
        """Start a new run with some fields of the configuration changed.

        A data set that cannot be loaded (a bad CSV file, say) is reported by
        :attr:`error` and the current run goes on untouched. Returns whether
        the new run was asked for.
        """
        if "lr" in changes or "momentum" in changes:
            raise ValueError("lr and momentum change live: use set_lr and set_momentum, or load()")
        what = ", ".join(f"{k.replace('_', ' ')} {_shown(v)}" for k, v in changes.items())
        if "dataset" in changes:  # a test file goes with its own data set (the article's, say)
            changes.setdefault("test_data", None)
        return self._new(f"new run: {what}", lambda: replace(self.shown_config(), **changes))

    def load(self, config: RunConfig, reason: str, replay_epochs: int = 0) -> bool:
        """Start a new run of ``config``, lr and momentum included (a sweep's cell); the runs compared
        with the main one stay. With ``replay_epochs``, it is trained at once that many epochs, then
        paused. ``reason`` is for the status bar."""
        try:
            config = replace(config, compare=self.shown_config().compare)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        return self._ask(_Request(config, f"new run: {reason}", replay_epochs=int(replay_epochs),
                                  origin=self._origin_of_change()))

    def add_lane(self, settings: LaneSettings | None = None) -> bool:
        """Train one more run beside the others (a new start for all, so that they stay comparable).

        By default the next rule not yet shown at the main run's learning rate and momentum:
        the article's look-back rule is compared with classical momentum, then Nesterov.
        """
        base = self.shown_config()
        if len(base.lanes) >= MAX_RUNS:
            self.error.emit(f"at most {MAX_RUNS} runs side by side")
            return False
        if settings is None:
            used = {lane.rule for lane in base.lanes}
            rule = next((r for r in RULES if r not in used), base.rule)
            settings = LaneSettings(rule, base.lr, base.momentum)
        return self._new(f"run {RUN_NAMES[len(base.lanes)]} added: every run starts again from the same start",
                         lambda: replace(base, compare=(*base.compare, settings)))

    def remove_lane(self, index: int) -> bool:
        """Stop comparing run ``index`` (1 or more; the main run stays)."""
        base = self.shown_config()
        if not 1 <= index < len(base.lanes):
            return False
        compare = base.compare[: index - 1] + base.compare[index:]
        others = "every run left starts" if compare else "run A starts"
        return self._new(f"run {RUN_NAMES[index]} removed: {others} again from the same start",
                         lambda: replace(base, compare=compare))

    def set_lane_rule(self, index: int, rule: str) -> bool:
        """Run ``index``'s rule (a new start for all the runs)."""
        base = self.shown_config()
        if base.lanes[index].rule == rule:
            return False
        return self._new(f"run {RUN_NAMES[index]} now with the {rule} rule: every run starts again from the same "
                         "start", lambda: base.with_lane(index, rule=rule))

    def new_seed(self) -> bool:
        seed = self.shown_config().seed
        return self.apply(seed=seed + 1 if seed + 1 in RANGES["seed"] else 0)

    def restore(self, config: RunConfig, reason: str) -> bool:
        """Start a new run of ``config`` as it is (its live settings and runs compared included):
        what undoing or redoing a change that restarted the run asks for (see ``_qt/undo.py``)."""
        return self._new(reason, lambda: config)

    def cancel_load(self) -> bool:
        """Stop reading data for a requested run (the run on show stays); False when none is read."""
        request = self._request
        if request is None or request.job is None:
            return False
        self._request = None
        self._loads.drop()
        self.load_ended.emit()
        self.config_restored.emit()
        self._after_request_dropped()
        return True

    def _after_request_dropped(self) -> None:
        """A Start that waited for the request dropped: the run on show is ready, it gets it."""
        if self._start_wanted and not self.busy:
            if self.latest is not None and self.latest.run_id == self.run_id:
                self._start_when_ready(self.latest)
            else:
                self._cancel_start()

    @Slot(object)
    def _on_loaded(self, job: LoadJob) -> None:
        request = self._request
        if request is None or request.job is not job:
            return  # dropped meanwhile
        request.job = None
        self.load_ended.emit()
        error = job.error
        if error is not None:
            self._request = None
            if not isinstance(error, LoadCancelled):
                self.error.emit(str(error) if isinstance(error, InputError) else f"{type(error).__name__}: {error}")
            self.config_restored.emit()
            self._cancel_start()  # (after a message: the run on show is not started unasked)
            return
        self.ghost = None  # a branch's original on other data compares with nothing
        if request.then is not None:
            request.then(job.result)
        else:
            request.dataset = job.result
            self._send(request)

    # -- commands ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """The same run from the start: same seed, same initial weights, same order (a run with
        planned changes also from the settings it started with: it replays as planned)."""
        if self.busy:
            return  # a new run is on its way; it starts from the start anyway
        self._next_id += 1
        start = self._run.config if self.plan.changes else self.shown_config()
        self._run = replace(self._run, run_id=self._next_id, config=start)
        self._clear("reset: same seed, same initial weights")
        self._reset.emit(self.run_id)

    def start(self) -> None:
        """Start training; while a run is being built, once it is ready (a Pause meanwhile cancels it)."""
        if self._building is not None or self._request is not None:
            # (Sent now, the worker would start the run it has, and then build the new one paused;
            # one whose data are still read is started once it is built too.)
            if not self._start_wanted:
                self._start_wanted = True
                self._preparing_changed()
            return
        self._start.emit()

    def pause(self) -> None:
        self._cancel_start()
        self._pause.emit()

    def _cancel_start(self) -> None:
        if self._start_wanted:
            self._start_wanted = False
            self._preparing_changed()

    def toggle(self) -> None:
        """Start when paused, pause when running (or when a Start waits for the run being built)."""
        if self.state == "running" or self._start_wanted:
            self.pause()
        else:
            self.start()

    def step_item(self) -> None:
        self._step_items.emit(1)

    def step_items(self, n: int) -> None:
        self._step_items.emit(int(n))

    def step_epoch(self) -> None:
        self._step_epoch.emit()

    def set_lr(self, value: float, lane: int = 0) -> None:
        """Run ``lane``'s learning rate (0: the main run), from the worker's next step on."""
        self._set_live(lane, "lr", value, self._set_lr)

    def set_momentum(self, value: float, lane: int = 0) -> None:
        """Run ``lane``'s momentum (0: the main run), from the worker's next step on."""
        self._set_live(lane, "momentum", value, self._set_momentum)

    def _set_live(self, lane: int, name: str, value: float, signal: Signal) -> None:
        try:
            value = SETTINGS[name](value)
        except InputError as exc:
            self.error.emit(str(exc))
            return
        # For the run the panel shows: the one asked for if there is one (its runs may differ from
        # those on show: lane 2 there may be another run here), else the run on show.
        request = next((r for r in (self._request, self._building) if r is not None and r.config is not None),
                       None)
        if request is not None:
            if lane < len(request.config.lanes):
                request.config = request.config.with_lane(lane, **{name: value})
                if request.run_id is not None:  # the worker is building it: it starts with it
                    self._sent += 1
                    signal.emit(value, lane, request.run_id, self._sent)
        elif lane < len(self.lanes):
            self._sent += 1
            self._asked[(lane, name)] = (self._sent, value)
            signal.emit(value, lane, self.run_id, self._sent)

    def set_speed(self, items_per_second: float) -> None:
        """Items a second (each run); ``FLAT_OUT`` (inf) for as fast as it goes."""
        self.speed = float(items_per_second)
        self._set_speed.emit(float(items_per_second))
        self.limits_changed.emit()

    def set_max_epochs(self, epochs: int) -> None:
        """Training stops ("finished") at this many epochs; 0 for no limit."""
        self.max_epochs = max(0, int(epochs))
        self._set_max_epochs.emit(self.max_epochs)
        self.limits_changed.emit()

    # -- scenarios -------------------------------------------------------------------------------

    def scenario(self) -> Scenario:
        """The run on show as a scenario: its start, every change so far (and the plan's changes
        still to come), trained to the latest step reported."""
        step = self.latest.step if self.latest is not None else 0
        happened = sorted(self.changes, key=lambda ch: ch.step)
        to_come = [ch for ch in self.plan.changes if ch.step > step]
        speed = None if math.isinf(self.speed) else self.speed
        return Scenario(self.start_config, tuple(happened + to_come), steps=step, epochs=self.max_epochs or None,
                        speed=speed)

    def _scenario_request(self, scenario: Scenario, reason: str, replay: bool, origin: str,
                          request: _Request | None = None) -> _Request:
        request = request or _Request(None, reason)
        request.config, request.reason, request.origin = scenario.config, reason, origin
        request.plan = Plan(scenario.changes, (scenario.steps or 0) if replay else 0)

        def limits() -> None:
            self.set_max_epochs(scenario.epochs or 0)
            self.set_speed(scenario.speed if scenario.speed is not None else FLAT_OUT)

        request.on_send = limits
        return request

    def open_scenario(self, scenario: Scenario, reason: str, replay: bool = True, origin: str = "scenario") -> bool:
        """Start ``scenario``'s run: its configuration (runs side by side included), its changes at
        their steps, its epoch limit and speed; with ``replay``, trained at once to the step it
        was saved at, then paused. ``reason`` is for the status bar; ``origin``: "lesson" for a
        lesson's run (see :attr:`origin`)."""
        self._cancel_start()  # (a Start pressed for another run: a lesson or a scenario opens paused)
        self.ghost = None
        return self._ask(self._scenario_request(scenario, reason, replay, origin))

    def open_scenario_file(self, path: str | os.PathLike[str], describe: Callable[[Scenario], str],
                           opened: Callable[[], None] | None = None) -> bool:
        """Read a scenario file and its data in the background, then open it, replayed to the step
        it was saved at (:meth:`open_scenario`); ``describe(scenario)`` gives the status bar's
        reason, ``opened()`` runs once it is on its way. A file that cannot be used: :attr:`error`."""
        self._cancel_start()
        request = _Request(None, "")

        def then(result: tuple[Scenario, Dataset]) -> None:
            scenario, dataset = result
            self._scenario_request(scenario, describe(scenario), True, "scenario", request)
            request.dataset = dataset
            self._send(request)
            if opened is not None:
                opened()

        request.then = then
        if self._request is not None and self._request.job is not None:
            self._loads.drop()
        request.job = LoadJob(Path(path).name, _scenario_reader(os.fspath(path)))
        self._request = request
        self._loads.watch(request.job)
        return True

    def branch(self, epoch: int) -> bool:
        """Rewind the main run to the end of ``epoch`` (its changes up to there replayed) and pause
        there; the history so far stays on show as the original, for comparison."""
        if self.latest is None or self.busy:
            return False
        done = self.latest.step // self.steps_per_epoch
        if not 0 <= epoch <= done:
            self.error.emit(f"branch: the epoch must be between 0 and {done}, got {epoch}")
            return False
        original = self.history.rows.copy()
        label = f"before the branch (lr {self.start_config.lr:g}, m {self.start_config.momentum:g}"
        label += ", with its changes)" if self.changes else ")"
        scenario = self.scenario().until(epoch * self.steps_per_epoch)
        if self.open_scenario(scenario, f"branched at epoch {epoch}: change the settings, then Start",
                              origin=self.origin):
            self.ghost = (original, label)
            return True
        return False

    def clear_ghost(self) -> None:
        self.ghost = None
        self.revision += 1
        self.changed.emit()

    # -- results ---------------------------------------------------------------------------------

    def _clear(self, reason: str) -> None:
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in self._run.config.lanes]
        self.marks.clear()
        self.changes = []
        self.latest = None
        self._reason = reason
        self.revision += 1
        self.changed.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    @Slot(object)
    def _on_batch(self, batch: Batch) -> None:
        request = self._building
        if request is None or batch.run_id != request.run_id:
            request = self._superseded.get(batch.run_id)  # built before a newer one came (or failed)
        if request is not None:
            # The worker has built the requested run: it replaces the one on show, started with
            # the settings the worker built it with (a change sent while it compiled may have
            # come after the build: the worker then records it as a change at step 0).
            start = request.config
            for index, report in enumerate(batch.lanes):
                lr, momentum = report.start
                start = start.with_lane(index, lr=lr, momentum=momentum)
            self._run = _Run(request.run_id, start, request.dataset, request.plan, request.origin)
            if request is self._building:
                self._building = None
            self._superseded = {i: r for i, r in self._superseded.items() if i > request.run_id}
            self._asked.clear()
            ly = self.layout
            _BUILT_SHAPES.add((ly.n_inputs, ly.n_hidden, ly.n_outputs))
            self._clear(request.reason)
            if self._building is None:
                self._preparing_changed()
        if batch.run_id != self.run_id:
            return  # from a run that has since been replaced or reset
        if self.latest is None:
            self.run_started.emit(self._reason)
        shown = self.shown_config().lanes
        self.latest = batch
        for lane, report in zip(self.lanes, batch.lanes):
            lane.receive(report)
            lane.history.extend(report.rows)
            lane.delta_stats.extend(report.delta_stats)
            if report.deltas.shape[0]:
                lane.deltas.push(report.deltas, report.delta_first_step)
            self.marks.extend(report.changes)
            self.changes.extend(report.changes)
        self._asked = {key: asked for key, asked in self._asked.items() if asked[0] > batch.handled}
        if self.shown_config().lanes != shown:
            self.settings_changed.emit()  # before the state: a screenshot taken then shows them
        self._set_state(batch.state)
        self.revision += 1
        self.changed.emit()
        if self._start_wanted and not self.busy:
            self._start_when_ready(batch)

    def _start_when_ready(self, batch: Batch) -> None:
        """The Start asked for while the run on show was built: now that it is ready (a replay
        done), sent to the worker; a run that cannot train any more drops it."""
        if batch.state == "paused":
            if batch.step >= self.plan.run_to:  # (a replay goes on to its step, then pauses)
                self._cancel_start()
                self._start.emit()
        elif batch.state != "running":
            self._cancel_start()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.error.emit(message)

    @Slot(int, str)
    def _on_configure_failed(self, run_id: int, message: str) -> None:
        request = self._building
        if request is None or request.run_id != run_id:
            return  # superseded by a newer request
        self._building = None
        self._cancel_start()  # (the run on show stays as it was: not started unasked)
        # The worker restates the run it has with a batch (the one on show, or one superseded that it
        # built meanwhile); without one, there is nothing to run.
        self._set_state(self.latest.state if self.latest is not None else "paused")
        self.error.emit(message)
        self.config_restored.emit()

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Output probabilities of the latest weights for normalized inputs ``x`` (n, n_inputs)."""
        from ..engine import forward_batch

        ly = self.layout
        params = self.latest.params
        xs = np.ascontiguousarray(x, dtype=np.float64)
        return forward_batch(params, ly.n_inputs, ly.n_hidden, ly.n_outputs,
                             activation_code(self._run.config.activation), xs)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "default"
    return str(value)


def _data_name(source: Any) -> str:
    """A data set as the status bar names it: its name, or its file's name."""
    if isinstance(source, tuple):
        return "arrays"
    if isinstance(source, Dataset):
        return source.name
    if isinstance(source, str) and source in DATASET_NAMES:
        return source
    return Path(os.fspath(source)).name or os.fspath(source)


# The readers run in a thread of their own (loader.LoadJob): they take only plain values, never
# the controller, so that no Qt object is reached (or kept alive) from there.

def _data_reader(config: RunConfig) -> Callable:
    def work(cancel, progress) -> Dataset:
        return load_data(config, cancel=cancel, progress=progress)

    return work


def _scenario_reader(path: str) -> Callable:
    def work(cancel, progress) -> tuple[Scenario, Dataset]:
        return load_scenario_and_data(path, cancel=cancel, progress=progress)  # its data read once

    return work

"""The run controller: the GUI thread's side of a training run.

It owns the worker's thread, sends commands to the worker through queued
signals, and keeps what the views draw in bounded buffers (the history, the
latest deltas, the marks of live setting changes). Views take it in their
``__init__``, read its buffers and call its methods; they hold no training
state of their own.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from ..engine import DATASET_NAMES, RULE_SHORT, RULES, Dataset, InputError, Layout, load_dataset
from ..engine._errors import LoadCancelled
from ..engine._monitor import DeltaRing, HistoryLog
from ..engine._network import activation_code
from ..engine._options import RANGES, check_in_range, check_learning_rate, check_momentum
from ..engine import Change, LaneSettings, RunConfig
from ..engine._scenario import Scenario, load_scenario_and_data
from .loader import JOIN_SECONDS, LoadJob, LoadWatcher
from .worker import FLAT_OUT, MAX_LANES, Batch, LaneReport, Plan, TrainingWorker

__all__ = ["LANE_NAMES", "LaneSettings", "RunConfig", "RunController"]

#: The runs of a comparison are called A (the main run), B, C and D.
LANE_NAMES = "ABCD"

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
# How many live setting changes are kept for marking the curves.
MAX_MARKS = 200


class LaneBuffers:
    """What the views draw of one run: its history, its latest deltas, its latest report."""

    def __init__(self, n_params: int) -> None:
        self.history = HistoryLog()
        self.deltas = DeltaRing(delta_window(n_params), n_params)
        self.latest: LaneReport | None = None


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
    # Emitted when a new configuration has been asked for (it is being prepared): views that
    # show the configuration show the one asked for.
    config_requested = Signal()
    # Emitted when the run's plan (a lesson's or a scenario's timed change) has changed a live
    # setting: views that show the settings show them again.
    settings_changed = Signal()
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
        self.config = config or RunConfig()
        self.dataset: Dataset = dataset if dataset is not None else load_dataset(
            self.config.dataset, **self.config.dataset_options())
        # One per run (the main run, then those compared with it); see the properties below.
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in self.config.lanes]
        # Live setting changes of every run, for marking the curves.
        self.marks: deque[Change] = deque(maxlen=MAX_MARKS)
        self.latest: Batch | None = None
        # The run's planned changes (a lesson's or a scenario's), and the configuration it started
        # with (self.config follows the live settings).
        self.plan = Plan()
        self.start_config = self.config
        # Every live setting change of the run so far, in step order (for saving a scenario).
        self.changes: list[Change] = []
        # A branch's original: the main run's history rows and a label, drawn for comparison.
        self.ghost: tuple[np.ndarray, str] | None = None
        self.state = "preparing"
        # Live setting requests sent so far (the worker echoes the last one it handled).
        self._requests = 0
        self.revision = 0
        self.speed = FLAT_OUT
        self.max_epochs = 0
        self.max_epochs_set_by: int | None = None
        self.run_id = 0
        self._pending_reason = "started"
        # A requested run not yet confirmed by the worker: (run id, config, dataset, reason, plan,
        # origin). Until its first batch comes, the current run stays on show; if it fails, it stays.
        self._pending: tuple | None = None
        # Where the run on show comes from: "options" (the command line's, the remembered ones,
        # or changed in the window), "lesson", "scenario" (a file, or a branch).
        self.origin = origin
        # Data being read in the background for a requested run: a _Loading, or None.
        self._loading: _Loading | None = None
        self._loads = LoadWatcher(self)
        self._loads.progress.connect(self.load_progress)
        self._loads.finished.connect(self._on_loaded)
        self._next_id = 0
        self._make_thread()
        self._launch(self.config, self.dataset, "started", origin=origin)
        # Last: nothing may raise once the thread runs, or the controller dies with it running
        # (which aborts the process). The configure request above waits in its queue.
        self.thread.start()

    # -- the thread ----------------------------------------------------------------------------

    def _make_thread(self) -> None:
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
        if self._loading is not None:
            self._loading = None
            self._loads.drop(wait=JOIN_SECONDS)
        if not self.thread.isRunning():
            return
        # Blocks until the worker has run stop() in its thread; no chunk runs after it.
        QMetaObject.invokeMethod(self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait()

    # -- the run ---------------------------------------------------------------------------------

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
        report = self.lanes[index].latest
        settings = self.config.lanes[index]
        lr, m = (report.lr, report.momentum) if report is not None else (settings.lr, settings.momentum)
        rule = RULE_SHORT[settings.rule].split(" (")[0]  # "look-back", "classical", "Nesterov"
        return f"{LANE_NAMES[index]} {rule}, lr {lr:g}, m {m:g}"

    @property
    def layout(self) -> Layout:
        d = self.dataset
        return Layout(d.n_inputs, self.config.hidden, d.n_classes)

    def _launch(self, config: RunConfig, dataset: Dataset, reason: str, plan: Plan | None = None,
                origin: str = "options") -> None:
        self._next_id += 1
        plan = plan or Plan()
        self._pending = (self._next_id, config, dataset, reason, plan, origin)
        n_params = Layout(dataset.n_inputs, config.hidden, dataset.n_classes).n_params
        self._set_state("preparing")
        self.config_requested.emit()
        self._configure.emit(self._next_id, dataset, config, delta_window(n_params), plan)

    def _clear(self, reason: str) -> None:
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in self.config.lanes]
        self.marks.clear()
        self.changes = []
        self.latest = None
        self._pending_reason = reason
        self.revision += 1
        self.changed.emit()

    @property
    def wanted_config(self) -> RunConfig:
        """The configuration asked for last (its data still being read, or its run being prepared,
        or the current one)."""
        if self._loading is not None and self._loading.config is not None:
            return self._loading.config
        return self._pending[1] if self._pending else self.config

    @property
    def busy(self) -> bool:
        """Whether a requested run is on its way (its data being read, or the worker building it)."""
        return self._pending is not None or self._loading is not None

    @property
    def loading(self) -> str | None:
        """What is being read in the background for a requested run ("big.csv"), or None."""
        return self._loading.job.what if self._loading is not None else None

    def apply(self, **changes: Any) -> bool:
        """Start a new run with some fields of the configuration changed.

        A data set that cannot be loaded (a bad CSV file, say) is reported by
        :attr:`error` and the current run goes on untouched. Returns whether
        the new run was started.
        """
        if "lr" in changes or "momentum" in changes:
            raise ValueError("lr and momentum change live: use set_lr and set_momentum, or load()")
        return self._apply(replace(self.wanted_config, **changes), changes)

    def load(self, config: RunConfig, reason: str) -> bool:
        """Start a new run of ``config``, lr and momentum included (a sweep's cell); the
        runs compared with the main one stay. ``reason`` is for the status bar."""
        return self._apply(replace(config, compare=self.wanted_config.compare), {"compare": reason})

    @property
    def pending_run_id(self) -> int | None:
        """The id the run being prepared will have (None when none is)."""
        return self._pending[0] if self._pending else None

    def add_lane(self, settings: LaneSettings | None = None) -> bool:
        """Train one more run beside the others (a new start for all, so that they stay comparable).

        By default the next rule not yet shown at the main run's learning rate and momentum:
        the article's look-back rule is compared with classical momentum, then Nesterov.
        """
        base = self.wanted_config
        if len(base.lanes) >= MAX_LANES:
            self.error.emit(f"at most {MAX_LANES} runs side by side")
            return False
        if settings is None:
            used = {lane.rule for lane in base.lanes}
            rule = next((r for r in RULES if r not in used), base.rule)
            settings = LaneSettings(rule, base.lr, base.momentum)
        return self._apply(replace(base, compare=(*base.compare, settings)),
                           {"compare": f"{len(base.lanes) + 1} runs side by side"})

    def remove_lane(self, index: int) -> bool:
        """Stop comparing run ``index`` (1 or more; the main run stays)."""
        base = self.wanted_config
        if not 1 <= index < len(base.lanes):
            return False
        compare = base.compare[: index - 1] + base.compare[index:]
        what = f"{len(compare) + 1} runs side by side" if compare else "one run"
        return self._apply(replace(base, compare=compare), {"compare": what})

    def set_lane_rule(self, index: int, rule: str) -> bool:
        """Run ``index``'s rule (a new start for all the runs)."""
        base = self.wanted_config
        if base.lanes[index].rule == rule:
            return False
        return self._apply(base.with_lane(index, rule=rule), {f"run {LANE_NAMES[index]} rule": rule})

    @staticmethod
    def _same_data(a: RunConfig, b: RunConfig) -> bool:
        if a.dataset_options() != b.dataset_options():
            return False
        if a.dataset is b.dataset:
            return True
        if isinstance(a.dataset, tuple) or isinstance(b.dataset, tuple):
            return False  # arrays: the same only if they are the very same pair
        return a.dataset == b.dataset

    def _prepare(self, config: RunConfig, then: Callable[[RunConfig, Dataset], None]) -> bool:
        """Call ``then(config, dataset)`` with ``config``'s data: at once when they are the data on
        show or asked for, else once read in the background (another request meanwhile replaces
        this one; one with the same data takes its place and waits for them). False, after
        saying why, when ``config`` cannot be used."""
        try:
            _check_shown_fields(config)
            activation_code(config.activation)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        loading = self._loading
        if loading is not None and loading.config is not None and self._same_data(config, loading.config):
            loading.config, loading.then = config, then
            self.config_requested.emit()
            return True
        if loading is not None:
            self._drop_load()
        base = self._pending[1] if self._pending else self.config
        if self._same_data(config, base):
            then(config, self._pending[2] if self._pending else self.dataset)
            return True
        self._watch(_Loading(LoadJob(_data_name(config.dataset), _data_reader(config)), config, then))
        self.config_requested.emit()
        return True

    def _watch(self, loading: "_Loading") -> None:
        self._loading = loading
        self._loads.watch(loading.job)

    def _drop_load(self) -> None:
        self._loading = None
        self._loads.drop()

    def cancel_load(self) -> bool:
        """Stop reading data for a requested run (the run on show stays); False when none is read."""
        if self._loading is None:
            return False
        self._drop_load()
        self.load_ended.emit()
        self.config_restored.emit()
        return True

    @Slot(object)
    def _on_loaded(self, job: LoadJob) -> None:
        loading = self._loading
        if loading is None or loading.job is not job:
            return  # dropped meanwhile
        self._loading = None
        self.load_ended.emit()
        error = job.error
        if error is None:
            self.ghost = None  # a branch's original on other data compares with nothing
            loading.then(loading.config, job.result)
            return
        if not isinstance(error, LoadCancelled):
            self.error.emit(str(error) if isinstance(error, InputError) else f"{type(error).__name__}: {error}")
        self.config_restored.emit()

    def _apply(self, config: RunConfig, changes: dict) -> bool:
        what = ", ".join(v if k == "compare" else f"{k.replace('_', ' ')} {_shown(v)}" for k, v in changes.items())
        return self._prepare(config, lambda cfg, dataset: self._launch(cfg, dataset, f"new run: {what}"))

    def reset(self) -> None:
        """The same run from the start: same seed, same initial weights, same order."""
        if self._pending is not None:
            return  # a new run is on its way; it starts from the start anyway
        self._next_id += 1
        self.run_id = self._next_id
        if self.plan.changes:  # the worker too goes back to the settings the run was built with
            self.config = self.start_config
        else:
            self.start_config = self.config
        self._clear("reset: same seed, same initial weights")
        self._reset.emit(self.run_id)

    def new_seed(self) -> None:
        seed = self.wanted_config.seed
        self.apply(seed=seed + 1 if seed + 1 in RANGES["seed"] else 0)

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

    def set_lr(self, value: float, lane: int = 0) -> None:
        """Run ``lane``'s learning rate (0: the main run), from the worker's next step on."""
        self._set_live(lane, "lr", value, check_learning_rate, self._set_lr)

    def set_momentum(self, value: float, lane: int = 0) -> None:
        """Run ``lane``'s momentum (0: the main run), from the worker's next step on."""
        self._set_live(lane, "momentum", value, check_momentum, self._set_momentum)

    def _set_live(self, lane: int, name: str, value: float, check, request: Signal) -> None:
        try:
            value = check(value)
        except InputError as exc:
            self.error.emit(str(exc))
            return
        # The change is for the run the panel shows: the one whose data are read, or the one being
        # prepared if there is one (its runs may differ from those on show: lane 2 there may be
        # another run here).
        loading = self._loading
        if loading is not None and loading.config is not None:
            if lane < len(loading.config.lanes):
                loading.config = loading.config.with_lane(lane, **{name: value})
        elif self._pending is not None:
            run_id, config, dataset, reason, plan, origin = self._pending
            if lane < len(config.lanes):
                self._pending = (run_id, config.with_lane(lane, **{name: value}), dataset, reason, plan, origin)
                self._requests += 1
                request.emit(value, lane, run_id, self._requests)
        elif lane < len(self.config.lanes):
            self.config = self.config.with_lane(lane, **{name: value})
            self._requests += 1
            request.emit(value, lane, self.run_id, self._requests)

    def set_speed(self, items_per_second: float) -> None:
        self.speed = items_per_second
        self._set_speed.emit(float(items_per_second))

    def set_max_epochs(self, epochs: int, by: int | None = None) -> None:
        """Training stops ("finished") at this many epochs; 0 for no limit. ``by``: who set it
        (a sweep cell's replay gives the limit back only if no one has set another since)."""
        self.max_epochs = int(epochs)
        self.max_epochs_set_by = by
        self._set_max_epochs.emit(int(epochs))

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

    def open_scenario(self, scenario: Scenario, reason: str, replay: bool = True, origin: str = "scenario") -> bool:
        """Start ``scenario``'s run: its configuration (runs side by side included), its changes at
        their steps, its epoch limit and speed; with ``replay``, trained at once to the step it
        was saved at, then paused. ``reason`` is for the status bar; ``origin``: "lesson" for a
        lesson's run (see :attr:`origin`)."""
        return self._prepare(scenario.config,
                             lambda config, dataset: self._start_scenario(scenario, config, dataset, reason, replay,
                                                                          origin))

    def open_scenario_file(self, path: str | os.PathLike[str], describe: Callable[[Scenario], str],
                           opened: Callable[[], None] | None = None) -> bool:
        """Read a scenario file and its data in the background, then open it, replayed to the step
        it was saved at (:meth:`open_scenario`); ``describe(scenario)`` gives the status bar's
        reason, ``opened()`` runs once it is on its way. A file that cannot be used: :attr:`error`."""
        if self._loading is not None:
            self._drop_load()

        def then(_config, result) -> None:
            scenario, dataset = result
            try:
                _check_shown_fields(scenario.config)
            except InputError as exc:
                self.error.emit(str(exc))
                self.config_restored.emit()
                return
            self._start_scenario(scenario, scenario.config, dataset, describe(scenario), True, "scenario")
            if opened is not None:
                opened()

        self._watch(_Loading(LoadJob(Path(path).name, _scenario_reader(os.fspath(path))), None, then))
        return True

    def _start_scenario(self, scenario: Scenario, config: RunConfig, dataset: Dataset, reason: str, replay: bool,
                        origin: str) -> None:
        self.ghost = None
        self.set_max_epochs(scenario.epochs or 0)
        self.set_speed(scenario.speed if scenario.speed is not None else FLAT_OUT)
        run_to = (scenario.steps or 0) if replay else 0
        self._launch(config, dataset, reason, Plan(scenario.changes, run_to), origin)

    def branch(self, epoch: int) -> bool:
        """Rewind the main run to the end of ``epoch`` (its changes up to there replayed) and pause
        there; the history so far stays on show as the original, for comparison."""
        if self.latest is None or self._pending is not None:
            return False
        done = self.latest.step // self.dataset.n_train
        if not 0 <= epoch <= done:
            self.error.emit(f"branch: the epoch must be between 0 and {done}, got {epoch}")
            return False
        original = self.history.rows.copy()
        label = f"before the branch (lr {self.start_config.lr:g}, m {self.start_config.momentum:g}"
        label += ", with its changes)" if self.changes else ")"
        scenario = self.scenario().until(epoch * self.dataset.n_train)
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

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    @Slot(object)
    def _on_batch(self, batch: Batch) -> None:
        if self._pending is not None and batch.run_id == self._pending[0]:
            # The worker has built the requested run: it replaces the one on show.
            self.run_id, self.config, self.dataset, reason, self.plan, self.origin = self._pending
            # What the worker built it with (a change sent while it compiled may have come after
            # the build: the worker then records it as a change, at the step it took effect).
            self.start_config = self.config
            for index, report in enumerate(batch.lanes):
                lr, momentum = report.start
                self.start_config = self.start_config.with_lane(index, lr=lr, momentum=momentum)
            self._pending = None
            self._clear(reason)
        if batch.run_id != self.run_id:
            return  # from a run that has since been replaced or reset
        if self.latest is None:
            self.run_started.emit(self._pending_reason)
        self.latest = batch
        synced = False
        for index, (lane, report) in enumerate(zip(self.lanes, batch.lanes)):
            lane.latest = report
            lane.history.extend(report.rows)
            if report.deltas.shape[0]:
                lane.deltas.push(report.deltas, report.delta_first_step)
            self.marks.extend(report.changes)
            self.changes.extend(report.changes)
            settings = self.config.lanes[index]
            if batch.handled == self._requests and (settings.lr, settings.momentum) != (report.lr, report.momentum):
                # No request of ours is on its way: the worker's settings are the ones in force
                # (a lesson's or a scenario's planned change has come).
                self.config = self.config.with_lane(index, lr=report.lr, momentum=report.momentum)
                synced = True
        if synced:
            self.settings_changed.emit()  # before the state: a screenshot taken then shows them
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


class _Loading:
    """Data being read for a requested run: the job, the configuration it is for (None for a
    scenario file, not read yet), and what to do with the result, ``then(config, result)``."""

    def __init__(self, job: LoadJob, config: RunConfig | None, then: Callable[[Any, Any], None]) -> None:
        self.job, self.config, self.then = job, config, then


def _data_name(source: Any) -> str:
    """A data set as the status bar names it: its name, or its file's name."""
    if isinstance(source, tuple):
        return "arrays"
    if isinstance(source, str) and source in DATASET_NAMES:
        return source
    return Path(os.fspath(source)).name or os.fspath(source)


# The readers run in a thread of their own (loader.LoadJob): they take only plain values, never
# the controller, so that no Qt object is reached (or kept alive) from there.

def _data_reader(config: RunConfig) -> Callable:
    source, options = config.dataset, config.dataset_options()

    def work(cancel, progress) -> Dataset:
        return load_dataset(source, **options, cancel=cancel, progress=progress)

    return work


def _scenario_reader(path: str) -> Callable:
    def work(cancel, progress) -> tuple[Scenario, Dataset]:
        return load_scenario_and_data(path, cancel=cancel, progress=progress)  # its data read once

    return work


def _check_shown_fields(config: RunConfig) -> None:
    """The fields the panel's boxes show, checked against their ranges (a value outside would not
    fit the box; the worker would refuse it anyway)."""
    check_in_range("hidden", config.hidden)
    check_in_range("seed", config.seed)
    for i, lane in enumerate(config.lanes):
        where = "" if i == 0 else f"run {LANE_NAMES[i]}: "
        check_learning_rate(lane.lr, f"{where}lr=")
        check_momentum(lane.momentum, f"{where}momentum=")

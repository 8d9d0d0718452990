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

from ..engine import RULE_SHORT, RULES, Dataset, InputError, Layout, load_dataset
from ..engine._monitor import DeltaRing, HistoryLog, SettingChange
from ..engine._network import activation_code
from ..engine._options import check_learning_rate, check_momentum
from .worker import FLAT_OUT, MAX_LANES, Batch, LaneReport, TrainingWorker

__all__ = ["LANE_NAMES", "LaneSettings", "RunConfig", "RunController"]

#: The runs of a comparison are called A (the main run), B, C and D.
LANE_NAMES = "ABCD"

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
class LaneSettings:
    """What a run compared side by side changes: its rule, learning rate and momentum."""

    rule: str
    lr: float
    momentum: float


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
    # Runs trained beside the main one (B, C, D): same data, network, seed, so the same
    # initial weights and item order; their own rule, learning rate and momentum.
    compare: tuple[LaneSettings, ...] = ()

    @property
    def lanes(self) -> tuple[LaneSettings, ...]:
        """The main run's settings, then those of the runs compared with it."""
        return (LaneSettings(self.rule, self.lr, self.momentum), *self.compare)

    def with_lane(self, index: int, **changes: Any) -> "RunConfig":
        """This configuration with run ``index``'s rule, lr or momentum changed."""
        if index == 0:
            return replace(self, **changes)
        compare = list(self.compare)
        compare[index - 1] = replace(compare[index - 1], **changes)
        return replace(self, compare=tuple(compare))

    def lane_options(self) -> list[dict]:
        """Trainer keyword options for each run, the main run first."""
        return [dict(self.trainer_options(), rule=lane.rule, lr=lane.lr, momentum=lane.momentum)
                for lane in self.lanes]

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

    # Requests to the worker (queued: they run in the worker's thread).
    _configure = Signal(int, object, object, int)
    _reset = Signal(int)
    _start = Signal()
    _pause = Signal()
    _step_items = Signal(int)
    _step_epoch = Signal()
    _set_lr = Signal(float, int, int)
    _set_momentum = Signal(float, int, int)
    _set_speed = Signal(float)
    _set_max_epochs = Signal(int)

    def __init__(self, config: RunConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config or RunConfig()
        self.dataset: Dataset = load_dataset(self.config.dataset, **self.config.dataset_options())
        # One per run (the main run, then those compared with it); see the properties below.
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in self.config.lanes]
        # Live setting changes of every run, for marking the curves.
        self.marks: deque[SettingChange] = deque(maxlen=MAX_MARKS)
        self.latest: Batch | None = None
        self.state = "preparing"
        self.revision = 0
        self.speed = FLAT_OUT
        self.max_epochs = 0
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

    def _launch(self, config: RunConfig, dataset: Dataset, reason: str) -> None:
        self._next_id += 1
        self._pending = (self._next_id, config, dataset, reason)
        n_params = Layout(dataset.n_inputs, config.hidden, dataset.n_classes).n_params
        self._set_state("preparing")
        self.config_requested.emit()
        self._configure.emit(self._next_id, dataset, config.lane_options(), delta_window(n_params))

    def _clear(self, reason: str) -> None:
        self.lanes = [LaneBuffers(self.layout.n_params) for _ in self.config.lanes]
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

    def _apply(self, config: RunConfig, changes: dict) -> bool:
        base = self.wanted_config
        base_dataset = self._pending[2] if self._pending else self.dataset
        try:
            if config.dataset_options() != base.dataset_options() or config.dataset != base.dataset:
                dataset = load_dataset(config.dataset, **config.dataset_options())
            else:
                dataset = base_dataset
            activation_code(config.activation)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        what = ", ".join(v if k == "compare" else f"{k.replace('_', ' ')} {_shown(v)}" for k, v in changes.items())
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
        # The change is for the run the panel shows: the one being prepared if there is one
        # (its runs may differ from those on show: lane 2 there may be another run here).
        if self._pending is not None:
            run_id, config, dataset, reason = self._pending
            if lane < len(config.lanes):
                self._pending = (run_id, config.with_lane(lane, **{name: value}), dataset, reason)
                request.emit(value, lane, run_id)
        elif lane < len(self.config.lanes):
            self.config = self.config.with_lane(lane, **{name: value})
            request.emit(value, lane, self.run_id)

    def set_speed(self, items_per_second: float) -> None:
        self.speed = items_per_second
        self._set_speed.emit(float(items_per_second))

    def set_max_epochs(self, epochs: int) -> None:
        """Training stops ("finished") at this many epochs; 0 for no limit."""
        self.max_epochs = int(epochs)
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
        for index, (lane, report) in enumerate(zip(self.lanes, batch.lanes)):
            lane.latest = report
            lane.history.extend(report.rows)
            if report.deltas.shape[0]:
                lane.deltas.push(report.deltas, report.delta_first_step)
            name = LANE_NAMES[index] if self.comparing else ""
            self.marks.extend(replace(change, run=name) for change in report.changes)
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

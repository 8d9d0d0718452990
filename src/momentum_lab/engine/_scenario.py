"""Scenarios: a run's whole definition (data, network, rules, settings, seed) and the live
setting changes made during it, each at its exact step, as a JSON file.

Opening a scenario replays it: the same options and the same changes at the same steps give
the same curves, bit for bit (the trainer's result does not depend on how its steps are
chunked). Lessons (see ``_lessons.py``) are scenarios with a text.

The file (format version 1; keys are the command line's options with underscores)::

    {
      "momentum_lab_scenario": 1,
      "dataset": "iris", "normalize": "zscore", "test_fraction": 0.2, "data_seed": 0,
      "samples": null, "noise": null, "classes": null,
      "hidden": 7, "activation": "tanh", "loss": "cross-entropy",
      "init": "uniform", "init_scale": null, "init_weights": null, "weight_limit": 1e6,
      "seed": 0, "shuffle": true,
      "rule": "lookback", "lr": 0.01, "momentum": 0.5,
      "compare": [{"rule": "classical", "lr": 0.01, "momentum": 0.5}],
      "changes": [{"step": 2400, "run": "A", "setting": "lr", "value": 0.1}],
      "steps": 12000,
      "epochs": null,
      "speed": null
    }

Every key but the version may be left out (its default is used). ``steps``: how far the run
was trained (opening it replays to exactly there); ``epochs``: an epoch limit at which
training stops; ``speed``: items a second (null: flat out). A change may give ``"epoch": E``
instead of ``"step"`` (E epochs in, E may be a fraction). A relative ``dataset`` or
``init_weights`` path is relative to the scenario file's folder.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ._atomic import atomic_write, check_writable_target, write_error
from ._datasets import DATASET_NAMES, load_dataset
from ._errors import InputError
from ._network import ACTIVATIONS, LOSSES
from ._options import check_count, check_learning_rate, check_momentum, check_positive, check_seed
from ._rules import RULES

__all__ = ["FORMAT_KEY", "FORMAT_VERSION", "LaneSettings", "RunConfig", "Scenario", "ScheduledChange",
           "load_scenario", "replay", "scenario_from_dict"]

#: The key that marks a scenario file, and the version this program writes and reads.
FORMAT_KEY = "momentum_lab_scenario"
FORMAT_VERSION = 1
#: The runs of a comparison are called A (the main run), B, C and D.
RUN_NAMES = "ABCD"


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

    def train_options(self, lane: int = 0) -> dict:
        """Keyword options of :func:`momentum_lab.train` for run ``lane``."""
        out = dict(self.lane_options()[lane], normalize=self.normalize, test_fraction=self.test_fraction,
                   data_seed=self.data_seed, samples=self.samples, noise=self.noise)
        if self.classes is not None:
            out["classes"] = self.classes
        return out


@dataclass(frozen=True)
class ScheduledChange:
    """A setting change at an exact step: ``setting`` becomes ``value`` from the update after
    ``step`` updates (how the window records a live change)."""

    step: int
    setting: str
    value: float
    run: int = 0

    def to_dict(self) -> dict:
        return {"step": self.step, "run": RUN_NAMES[self.run], "setting": self.setting, "value": self.value}


@dataclass(frozen=True)
class Scenario:
    """A run's definition, its live changes, and how far it went.

    Attributes
    ----------
    config : RunConfig
    changes : tuple of ScheduledChange
        In step order.
    steps : int or None
        How far the run was trained: opening the scenario replays to exactly this step.
    epochs : int or None
        An epoch limit: training stops ("finished") there.
    speed : float or None
        Items a second the window trains at (None: flat out).
    """

    config: RunConfig = RunConfig()
    changes: tuple[ScheduledChange, ...] = ()
    steps: int | None = None
    epochs: int | None = None
    speed: float | None = None

    def to_dict(self, folder: str | os.PathLike[str] | None = None) -> dict:
        """The file's content; paths relative to ``folder`` where they lie inside it."""
        c = self.config
        if isinstance(c.dataset, tuple) or isinstance(c.init_weights, dict):
            raise InputError("a scenario can name its data and initial weights only by name or file: "
                             "arrays given directly cannot be saved")
        out: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION}
        for f in fields(RunConfig):
            value = getattr(c, f.name)
            if f.name == "compare":
                value = [{"rule": s.rule, "lr": s.lr, "momentum": s.momentum} for s in value]
            elif f.name in ("dataset", "init_weights") and value is not None:
                value = _relative(value, folder) if f.name == "init_weights" or value not in DATASET_NAMES \
                    else value
            out[f.name] = value
        out["changes"] = [ch.to_dict() for ch in self.changes]
        out["steps"] = self.steps
        out["epochs"] = self.epochs
        out["speed"] = self.speed
        return out

    def save(self, path: str | os.PathLike[str], option: str = "--scenario") -> None:
        """Write the scenario as JSON, atomically."""
        check_writable_target(path, option)
        text = json.dumps(self.to_dict(Path(path).resolve().parent), indent=2) + "\n"
        try:
            with atomic_write(path) as handle:
                handle.write(text)
        except OSError as exc:
            raise write_error(option, path, exc) from None

    def until(self, step: int) -> "Scenario":
        """The scenario up to ``step`` (a branch point): the changes made before it, trained to it."""
        return replace(self, changes=tuple(ch for ch in self.changes if ch.step < step), steps=step)

    def changes_of(self, run: int) -> list[tuple[int, str, float]]:
        """Run ``run``'s changes as ``(step, setting, value)``, for :func:`momentum_lab.train`."""
        return [(ch.step, ch.setting, ch.value) for ch in self.changes if ch.run == run]


# -- reading ----------------------------------------------------------------------------------------

_NUMBER, _INT, _TEXT, _BOOL = "a number", "a whole number", "a text", "true or false"
# key: (kind, may be null)
_KEYS: dict[str, tuple[str, bool]] = {
    "dataset": (_TEXT, False), "normalize": (_TEXT, False), "test_fraction": (_NUMBER, False),
    "data_seed": (_INT, False), "samples": (_INT, True), "noise": (_NUMBER, True), "classes": (_INT, True),
    "hidden": (_INT, False), "activation": (_TEXT, False), "loss": (_TEXT, False), "init": (_TEXT, False),
    "init_scale": (_NUMBER, True), "init_weights": (_TEXT, True), "weight_limit": (_NUMBER, False),
    "seed": (_INT, False), "shuffle": (_BOOL, False), "rule": (_TEXT, False), "lr": (_NUMBER, False),
    "momentum": (_NUMBER, False), "steps": (_INT, True), "epochs": (_INT, True), "speed": (_NUMBER, True),
}
_CHOICES = {"rule": RULES, "activation": ACTIVATIONS, "loss": LOSSES, "init": ("uniform", "glorot"),
            "normalize": ("zscore", "none")}


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return kind == _NUMBER or float(value).is_integer()


def _checked(source: str, key: str, value: Any, kind: str, nullable: bool) -> Any:
    if value is None and nullable:
        return None
    if not _kind_ok(kind, value):
        raise InputError(f"{source}: '{key}' must be {kind}{' or null' if nullable else ''}, got {value!r}")
    if kind == _INT:
        return int(value)
    if kind == _NUMBER:
        return float(value)
    return value


def scenario_from_dict(data: Any, source: str, folder: str | os.PathLike[str] | None = None,
                       versioned: bool = True) -> Scenario:
    """A checked :class:`Scenario` from a file's content; ``source`` names the file in messages.

    ``versioned``: the content must carry the format key (a scenario file); lessons, whose
    scenario is a table inside the lesson file, leave it out.

    Raises
    ------
    InputError
        Naming ``source``, the key and the offending value: a newer format, an unknown key,
        a value of the wrong kind or out of range, a data file that cannot be read.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected an object of settings, got {type(data).__name__}")
    data = dict(data)
    if versioned:
        if FORMAT_KEY not in data:
            raise InputError(f"{source}: not a Momentum Lab scenario (no '{FORMAT_KEY}' key)")
        version = data.pop(FORMAT_KEY)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InputError(f"{source}: '{FORMAT_KEY}' must be a format version (1), got {version!r}")
        if version > FORMAT_VERSION:
            raise InputError(f"{source}: made by a newer Momentum Lab (scenario format {version}; this "
                             f"version reads format {FORMAT_VERSION}); update Momentum Lab to open it")
    unknown = sorted(set(data) - set(_KEYS) - {"compare", "changes"})
    if unknown:
        raise InputError(f"{source}: unknown key '{unknown[0]}'; the keys are "
                         f"{', '.join(sorted([*_KEYS, 'compare', 'changes']))}")
    values = {key: _checked(source, key, data[key], *_KEYS[key]) for key in _KEYS if key in data}
    for key, choices in _CHOICES.items():
        if key in values and values[key] not in choices:
            raise InputError(f"{source}: '{key}' must be one of {', '.join(choices)}, got {values[key]!r}")
    extra = {key: values.pop(key) for key in ("steps", "epochs", "speed") if key in values}
    try:
        _check_ranges(values, extra)
        compare = tuple(_lane(source, i, lane) for i, lane in enumerate(_inner_list(data, "compare")))
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    if len(compare) > len(RUN_NAMES) - 1:
        raise InputError(f"{source}: 'compare' holds {len(compare)} runs; at most {len(RUN_NAMES) - 1}")
    for key in ("dataset", "init_weights"):
        value = values.get(key)
        if value is not None and (key == "init_weights" or value not in DATASET_NAMES):
            path = Path(value).expanduser()
            if not path.is_absolute() and folder is not None:
                path = Path(folder) / path
            if not path.is_file():
                raise InputError(f"{source}: '{key}': no such file '{path}'")
            values[key] = str(path)
    config = RunConfig(**values, compare=compare)
    n_train = None
    try:
        dataset = load_dataset(config.dataset, **config.dataset_options())
        n_train = dataset.n_train
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    changes = [_change(source, i, raw, n_train, len(config.lanes))
               for i, raw in enumerate(_list(source, data, "changes"))]
    changes.sort(key=lambda ch: ch.step)
    return Scenario(config, tuple(changes), extra.get("steps"), extra.get("epochs"), extra.get("speed"))


def _check_ranges(values: dict, extra: dict) -> None:
    for key in ("lr",):
        if key in values:
            check_learning_rate(values[key], "'lr'")
    if "momentum" in values:
        check_momentum(values["momentum"], "'momentum'")
    if "hidden" in values:
        check_count(values["hidden"], "'hidden'")
    for key in ("seed", "data_seed"):
        if key in values:
            check_seed(values[key], f"'{key}'")
    for key in ("weight_limit", "init_scale", "speed"):
        value = values.get(key, extra.get(key))
        if value is not None:
            check_positive(value, f"'{key}'")
    if extra.get("steps") is not None:
        check_count(extra["steps"], "'steps'", minimum=0)
    if extra.get("epochs") is not None:
        check_count(extra["epochs"], "'epochs'")


def _list(source: str, data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{source}: '{key}' must be a list, got {value!r}")
    return value


def _inner_list(data: dict, key: str) -> list:
    """:func:`_list` inside a ``try`` that adds the source itself."""
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"'{key}' must be a list, got {value!r}")
    return value


def _lane(source: str, i: int, raw: Any) -> LaneSettings:
    where = f"'compare[{i}]'"
    if not isinstance(raw, dict) or set(raw) - {"rule", "lr", "momentum"}:
        raise InputError(f"{where} must be an object with rule, lr and momentum, got {raw!r}")
    rule = raw.get("rule", "lookback")
    if rule not in RULES:
        raise InputError(f"{where}: 'rule' must be one of {', '.join(RULES)}, got {rule!r}")
    return LaneSettings(rule, check_learning_rate(raw.get("lr", 0.01), f"{where} lr"),
                        check_momentum(raw.get("momentum", 0.5), f"{where} momentum"))


def _change(source: str, i: int, raw: Any, n_train: int, n_runs: int) -> ScheduledChange:
    where = f"{source}: 'changes[{i}]'"
    allowed = {"step", "epoch", "run", "setting", "value"}
    if not isinstance(raw, dict) or set(raw) - allowed:
        raise InputError(f"{where} must be an object with step (or epoch), run, setting and value, got {raw!r}")
    if ("step" in raw) == ("epoch" in raw):
        raise InputError(f"{where}: give either 'step' or 'epoch', got {raw!r}")
    if "step" in raw:
        step = raw["step"]
        if not _kind_ok(_INT, step) or step < 0:
            raise InputError(f"{where}: 'step' must be a whole number >= 0, got {step!r}")
        step = int(step)
    else:
        epoch = raw["epoch"]
        if not _kind_ok(_NUMBER, epoch) or not math.isfinite(epoch) or epoch < 0:
            raise InputError(f"{where}: 'epoch' must be a number >= 0, got {epoch!r}")
        if epoch * n_train > 1e15:
            raise InputError(f"{where}: 'epoch' {epoch!r} is beyond any run (more than 1e15 updates)")
        step = round(epoch * n_train)
    run = raw.get("run", "A")
    if not isinstance(run, str) or len(run) != 1 or run not in RUN_NAMES[:n_runs]:
        raise InputError(f"{where}: 'run' must be one of {', '.join(RUN_NAMES[:n_runs])} "
                         f"(the runs of this scenario), got {run!r}")
    setting = raw.get("setting")
    value = raw.get("value")
    try:
        if setting == "lr":
            value = check_learning_rate(value, "'value'")
        elif setting == "momentum":
            value = check_momentum(value, "'value'")
        else:
            raise InputError(f"'setting' must be lr or momentum, got {setting!r}")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return ScheduledChange(step, setting, value, RUN_NAMES.index(run))


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and check a scenario file (see the module's documentation for the format)."""
    text = read_text(path, "scenario", "JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return scenario_from_dict(data, str(path), Path(path).resolve().parent)


def read_text(path: str | os.PathLike[str], kind: str, language: str) -> str:
    """A text file's content, or an InputError naming the file and why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such {kind} file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (a {kind} is {language})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _relative(value: Any, folder: str | os.PathLike[str] | None) -> str:
    path = Path(value).resolve()
    if folder is not None:
        try:
            return str(path.relative_to(Path(folder)))
        except ValueError:
            pass
    return str(path)


def replay(scenario: Scenario, *, epochs: int | None = None, **outputs: Any) -> list:
    """Train every run of ``scenario`` with its changes at their steps: a list of
    :class:`~momentum_lab.engine.TrainResult`, the main run first.

    The runs stop at the scenario's ``steps`` (where it was saved), else at ``epochs``
    (the argument, else the scenario's epoch limit, else 100). ``outputs`` (``history``,
    ``save_weights``, ``deltas``, ``record_deltas``, ``progress``) go to the main run's
    :func:`~momentum_lab.train`.
    """
    from ._api import train

    c = scenario.config
    until = {}
    if epochs is not None:
        until["epochs"] = epochs
    elif scenario.steps is not None:
        until["steps"] = scenario.steps
    else:
        until["epochs"] = scenario.epochs or 100
    results = []
    for lane in range(len(c.lanes)):
        options = dict(c.train_options(lane), changes=scenario.changes_of(lane), **until)
        results.append(train(c.dataset, **options, **(outputs if lane == 0 else {})))
    return results

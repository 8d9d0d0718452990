"""Scenarios: a run's whole definition (data, network, rules, settings, seed) and the live
setting changes made during it, each at its exact step, as a JSON file.

Opening a scenario replays it: the same options and the same changes at the same steps give
the same curves, bit for bit (the trainer's result does not depend on how its steps are
chunked). Lessons (see ``_lessons.py``) are scenarios with a text.

The file (format version 1; keys are the command line's options with underscores)::

    {
      "momentum_lab_scenario": 1,
      "dataset": "iris", "test_data": null, "normalize": "zscore", "test_fraction": 0.2, "data_seed": 0,
      "samples": null, "noise": null, "classes": null,
      "hidden": 7, "activation": "tanh", "loss": "cross-entropy",
      "init": "uniform", "init_scale": null, "init_weights": null, "weight_limit": 1e6,
      "seed": 0, "shuffle": true, "order": "numpy", "batch_size": 1,
      "rule": "lookback", "lr": 0.01, "momentum": 0.5,
      "compare": [{"rule": "classical", "lr": 0.01, "momentum": 0.5}],
      "changes": [{"step": 2400, "run": "A", "setting": "lr", "value": 0.1}],
      "steps": 12000,
      "epochs": null,
      "speed": null
    }

Every key but the version may be left out (its default is used). ``steps``: how far the run
was trained (opening it replays to exactly there); ``epochs``: an epoch limit at which
training stops; ``speed``: items a second (null or infinity: flat out). A change may give
``"epoch": E`` instead of ``"step"`` (E epochs in, E may be a fraction: the update where epoch E
starts, E x ceil(training items / batch_size) updates). ``batch_size``: a whole number or
``"full"``; a step is an update (one batch). A relative ``dataset``, ``test_data`` or
``init_weights`` path is relative to the scenario file's folder.
"""

from __future__ import annotations

import codecs
import json
import math
import numbers
import os
import re
import reprlib
import stat
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_write, check_outputs
from ._config import RUN_NAMES, LaneSettings, RunConfig, load_data, option_type, options_of
from ._datasets import DATASET_NAMES, Dataset
from ._errors import InputError, respell_keywords
from ._files import file_kind, read_input
from ._options import RANGES, check_in_range, check_learning_rate, check_momentum, steps_per_epoch
from ._rules import RULES
from ._session import MAX_STEPS, Change, check_epochs_fit
from ._trainer import Trainer

__all__ = ["FORMAT_KEY", "FORMAT_VERSION", "Scenario", "load_scenario", "scenario_from_dict"]

#: The key that marks a scenario file, and the version this program writes and reads.
FORMAT_KEY = "momentum_lab_scenario"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Scenario:
    """A run's definition, its live changes, and how far it went.

    Attributes
    ----------
    config : RunConfig
    changes : tuple of Change
        In step order.
    steps : int or None
        How far the run was trained: opening the scenario replays to exactly this step.
    epochs : int or None
        An epoch limit: training stops ("finished") there.
    speed : float or None
        Items a second the window trains at (None: flat out).
    """

    config: RunConfig = RunConfig()
    changes: tuple[Change, ...] = ()
    steps: int | None = None
    epochs: int | None = None
    speed: float | None = None

    def to_dict(self, folder: str | os.PathLike[str] | None = None) -> dict:
        """The file's content; paths relative to ``folder`` where they lie inside it."""
        c = self.config
        if isinstance(c.dataset, (tuple, Dataset)) or isinstance(c.init_weights, dict):
            raise InputError("a scenario can name its data and initial weights only by name or file: "
                             "arrays given directly cannot be saved")
        out: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION}
        for f in fields(RunConfig):
            value = getattr(c, f.name)
            if f.name == "compare":
                value = [{"rule": s.rule, "lr": s.lr, "momentum": s.momentum} for s in value]
            elif f.name in ("dataset", "test_data", "init_weights") and value is not None:
                value = _relative(value, folder) if f.name == "init_weights" or value not in DATASET_NAMES \
                    else value
            out[f.name] = value
        out["changes"] = [ch.to_dict() for ch in self.changes]
        out["steps"] = self.steps
        out["epochs"] = self.epochs
        out["speed"] = self.speed
        return out

    def save(self, path: str | os.PathLike[str], option: str = "path=") -> None:
        """Write the scenario as JSON, atomically; never over its own data or weights file."""
        check_outputs({option: path}, self.config.input_paths())
        text = json.dumps(self.to_dict(Path(path).resolve().parent), indent=2) + "\n"
        with atomic_write(path, option=option) as handle:
            handle.write(text)

    def until(self, step: int) -> "Scenario":
        """The scenario up to ``step`` (a branch point): the changes made before it, trained to it."""
        return replace(self, changes=tuple(ch for ch in self.changes if ch.step < step), steps=step)


# -- reading ----------------------------------------------------------------------------------------

#: Containers (objects, arrays, TOML arrays and inline tables) nest at most this deep in a file
#: (a scenario needs 3); deeper ones are refused before parsing (a parser would recurse).
MAX_DEPTH = 64
#: A number in a file has at most this many digits (Python refuses to parse ints beyond 4300
#: digits; none of the settings needs more than 16).
MAX_DIGITS = 100
#: A file holds at most this many objects and arrays (a scenario has one for each run compared and
#: each change; json.loads takes about a second for 2.7 million empty ones, 8 MiB).
MAX_CONTAINERS = 100_000
# Integers beyond this many bits are refused before any check converts them to a float
# (float(10**400) overflows) or prints them (str of a 5,000-digit int raises).
_MAX_INT_BITS = 1000

# A JSON string (an unterminated one runs to the end of its line: the scan stays linear).
_JSON_STRING = re.compile(rb'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"?')
_LONG_NUMBER = re.compile(rb"[0-9_]{%d}" % (MAX_DIGITS + 1))

_NUMBER, _INT, _TEXT, _BOOL = "a number", "a whole number", "a text", "true or false"
_KINDS = {bool: _BOOL, int: _INT, float: _NUMBER, str: _TEXT}
# Keys whose null means "the default" (files written before these had defaults of their own).
_NULL_IS_DEFAULT = ("classes", "init_scale")
# key: (kind, may be null): RunConfig's fields (their types read from RunConfig), and the scenario's own.
_KEYS: dict[str, tuple[str, bool]] = {
    **{name: (_KINDS[option_type(name)], RunConfig.__dataclass_fields__[name].default is None
              or name in _NULL_IS_DEFAULT) for name in options_of()},
    "steps": (_INT, True), "epochs": (_INT, True), "speed": (_NUMBER, True),
}
_CHOICES = {name: option.choices for name, option in options_of().items() if option.choices}

_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlong, _REPR.maxlevel = 60, 60, 40, 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def shown(value: Any) -> str:
    """``repr(value)`` cut short for a message: never long, never raises (a 5,000-digit int, a list
    nested 10**5 deep, an 8 MiB text)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        bits = int(value).bit_length()
        if bits > _MAX_INT_BITS:
            return f"a whole number of {math.floor(bits * math.log10(2)) + 1} digits or so"
    try:
        return _REPR.repr(value)
    except Exception:  # a repr that raises: name the type only
        return f"a {type(value).__name__}"


def shown_key(key: Any) -> str:
    text = key if isinstance(key, str) else shown(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_real(value: Any) -> bool:
    """A real number, not a bool (the plain types first: the ABC check costs a microsecond)."""
    kind = type(value)
    return kind is int or kind is float or (kind is not bool and isinstance(value, numbers.Real))


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if not _is_real(value):
        return False
    if kind == _NUMBER or type(value) is int or isinstance(value, numbers.Integral):
        return True
    try:
        return float(value).is_integer()
    except (OverflowError, ValueError):
        return False


def _real(label: str, value: Any) -> Any:
    """``value`` if it is a real number an option check may convert to a float, else an InputError."""
    if not _is_real(value):
        raise InputError(f"{label}: expected a number, got {shown(value)}")
    if type(value) is not float and isinstance(value, numbers.Integral) and int(value).bit_length() > _MAX_INT_BITS:
        raise InputError(f"{label}: out of range, got {shown(value)}")
    return value


def _in_range(label: str, key: str, value: Any) -> Any:
    """A numeric setting checked against its range (``RANGES``, and for steps and epochs the
    engine's ``MAX_STEPS``); ``label`` starts the message. An int for whole-number settings."""
    value = _real(label, value)
    spec = RANGES.get(key)
    if type(value) is float and spec is not None and not spec.integer and value in spec:
        return None if key == "speed" and value == math.inf else value  # the common case, without the checks' ABC tests
    if key == "lr":
        return check_learning_rate(value, label)
    if key == "momentum":
        return check_momentum(value, label)
    if key in ("steps", "epochs"):
        low = 0 if key == "steps" else 1
        if not low <= value <= MAX_STEPS:
            raise InputError(f"{label}: must be a whole number from {low} to {MAX_STEPS:.0e} (the most updates "
                             f"a run may have), got {shown(value)}")
        return int(value)
    if spec.integer and isinstance(value, float) and value not in spec:
        # As check_in_range would say, with the value as written (1e+300, not its 301 digits).
        raise InputError(f"{label}: must be {spec.describe()}, got {value!r}")
    checked = check_in_range(key, value, label)
    if key == "speed" and math.isinf(checked):
        return None  # infinitely fast: flat out
    return checked


def _checked(source: str, key: str, value: Any, kind: str, nullable: bool) -> Any:
    if value is None and nullable:
        return None
    named = RANGES[key].named if key in RANGES else ()
    if isinstance(value, str) and value in named:
        return value  # ("full", a batch size)
    if not _kind_ok(kind, value):
        words = "".join(f" or '{name}'" for name in named)
        raise InputError(f"{source}: '{key}' must be {kind}{words}{' or null' if nullable else ''}, "
                         f"got {shown(value)}")
    if kind in (_INT, _NUMBER):
        return _in_range(f"{source}: '{key}'", key, value)
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
    return scenario_and_data(data, source, folder, versioned)[0]


def scenario_and_data(data: Any, source: str, folder: str | os.PathLike[str] | None = None,
                      versioned: bool = True, cancel: Any = None,
                      progress: Any = None) -> tuple[Scenario, Dataset]:
    """:func:`scenario_from_dict`, and the data set it loaded to check the changes' steps (read
    once; ``cancel`` and ``progress`` go to :func:`load_dataset`)."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected an object of settings, got {type(data).__name__}")
    data = dict(data)
    if versioned:
        if FORMAT_KEY not in data:
            raise InputError(f"{source}: not a Momentum Lab scenario (no '{FORMAT_KEY}' key)")
        version = data.pop(FORMAT_KEY)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InputError(f"{source}: '{FORMAT_KEY}' must be a format version (1), got {shown(version)}")
        if version > FORMAT_VERSION:
            raise InputError(f"{source}: made by a newer Momentum Lab (scenario format {shown(version)}; this "
                             f"version reads format {FORMAT_VERSION}); update Momentum Lab to open it")
    known = {*_KEYS, "compare", "changes"}
    unknown = [key for key in data if not isinstance(key, str) or key not in known]
    if unknown:
        raise InputError(f"{source}: unknown key '{shown_key(min(unknown, key=str))}'; the keys are "
                         f"{', '.join(sorted(known))}")
    values = {key: _checked(source, key, data[key], *_KEYS[key]) for key in _KEYS if key in data}
    for key, choices in _CHOICES.items():
        if key in values and values[key] not in choices:
            raise InputError(f"{source}: '{key}' must be one of {', '.join(choices)}, got {shown(values[key])}")
    extra = {key: values.pop(key) for key in ("steps", "epochs", "speed") if key in values}
    lanes = _list(source, data, "compare")
    if len(lanes) > len(RUN_NAMES) - 1:
        raise InputError(f"{source}: 'compare' holds {len(lanes)} runs; at most {len(RUN_NAMES) - 1}")
    try:
        compare = tuple(_lane(source, i, lane) for i, lane in enumerate(lanes))
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    raw_changes = _list(source, data, "changes")
    for key in ("dataset", "test_data", "init_weights"):
        value = values.get(key)
        if value is not None and (key == "init_weights" or value not in DATASET_NAMES):
            values[key] = _data_file(source, key, value, folder)
    for key in _NULL_IS_DEFAULT:
        if key in values and values[key] is None:
            del values[key]
    config = RunConfig(**values, compare=compare)
    try:
        dataset = load_data(config, cancel=cancel, progress=progress)
    except InputError as exc:
        raise _in_file(source, exc) from None
    per_epoch = steps_per_epoch(config.batch_size, dataset.n_train)
    _check_ranges(source, extra, per_epoch)
    try:  # what the run is built from: the initial weights' file and shapes, the network's size
        for lane in range(len(config.lanes)):
            Trainer(dataset, config.lane(lane))
    except InputError as exc:
        raise _in_file(source, exc) from None
    n_runs = len(config.lanes)
    changes = [_change(source, i, raw, per_epoch, n_runs) for i, raw in enumerate(raw_changes)]
    changes.sort(key=lambda ch: ch.step)
    return Scenario(config, tuple(changes), extra.get("steps"), extra.get("epochs"), extra.get("speed")), dataset


def _in_file(source: str, exc: InputError) -> InputError:
    """The engine's message about a file's settings, naming the file, and each option as the file's
    key (``'test_data'``) where the engine named it as the Python API's keyword (``test_data=``),
    which the command line would turn into a flag the user never typed."""
    return InputError(f"{source}: {respell_keywords(str(exc), _KEYS, lambda key: repr(key))}")


def _check_ranges(source: str, extra: dict, per_epoch: int) -> None:
    """What the data set bounds: the epoch limit may not ask for more than ``MAX_STEPS`` updates.
    (Each setting's own range is checked as it is read, in :func:`_in_range`.)"""
    epochs = extra.get("epochs")
    if epochs is not None:
        check_epochs_fit(epochs, per_epoch, f"{source}: 'epochs'")


def _data_file(source: str, key: str, value: str, folder: str | os.PathLike[str] | None) -> str:
    """The path of a data set or weights file named by a scenario: it must be a regular file."""
    if not value.strip():
        raise InputError(f"{source}: '{key}': empty path")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # "~nobody/x.csv": no such user
        raise InputError(f"{source}: '{key}': no such file {shown(value)} (no such home folder)") from None
    if not path.is_absolute() and folder is not None:
        path = Path(folder) / path
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing, unreachable, a NUL in the name, a name too long
        raise InputError(f"{source}: '{key}': no such file {shown(str(path))}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{source}: '{key}': {shown(str(path))} is {file_kind(mode)}, not a regular file")
    return str(path)


def _list(source: str, data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{source}: '{key}' must be a list, got {shown(value)}")
    return value


def _lane(source: str, i: int, raw: Any) -> LaneSettings:
    where = f"'compare[{i}]'"
    if not isinstance(raw, dict) or set(raw) - {"rule", "lr", "momentum"}:
        raise InputError(f"{where} must be an object with rule, lr and momentum, got {shown(raw)}")
    rule = raw.get("rule", RunConfig.rule)
    if not isinstance(rule, str) or rule not in RULES:
        raise InputError(f"{where}: 'rule' must be one of {', '.join(RULES)}, got {shown(rule)}")
    return LaneSettings(rule, _in_range(f"{where} lr", "lr", raw.get("lr", RunConfig.lr)),
                        _in_range(f"{where} momentum", "momentum", raw.get("momentum", RunConfig.momentum)))


_CHANGE_KEYS = frozenset({"step", "epoch", "run", "setting", "value"})


def _change(source: str, i: int, raw: Any, per_epoch: int, n_runs: int) -> Change:
    where = f"{source}: 'changes[{i}]'"
    if not isinstance(raw, dict) or not raw.keys() <= _CHANGE_KEYS:
        raise InputError(f"{where} must be an object with step (or epoch), run, setting and value, "
                         f"got {shown(raw)}")
    if ("step" in raw) == ("epoch" in raw):
        raise InputError(f"{where}: give either 'step' or 'epoch', got {shown(raw)}")
    if "step" in raw:
        step = raw["step"]
        if not _kind_ok(_INT, step) or not 0 <= step <= MAX_STEPS:
            raise InputError(f"{where}: 'step' must be a whole number from 0 to {MAX_STEPS:.0e}, "
                             f"got {shown(step)}")
        step = int(step)
    else:
        epoch = raw["epoch"]
        # An int epoch is compared exactly (math.isfinite(10**400) would overflow); a float one
        # may be inf or nan.
        if (not _kind_ok(_NUMBER, epoch) or (isinstance(epoch, float) and not math.isfinite(epoch))
                or epoch < 0):
            raise InputError(f"{where}: 'epoch' must be a number >= 0, got {shown(epoch)}")
        if epoch > MAX_STEPS or epoch * per_epoch > MAX_STEPS:
            raise InputError(f"{where}: 'epoch' {shown(epoch)} is beyond any run (more than {MAX_STEPS:.0e} "
                             f"updates, at {per_epoch} updates an epoch)")
        # the update where epoch E starts, the nearer one, a tie the later: Python's round() takes
        # ties to the even one (at one update an epoch, 1.5 and 2.5 were both update 2)
        step = math.floor(epoch * per_epoch + 0.5)
    run = raw.get("run", "A")
    if not isinstance(run, str) or len(run) != 1 or run not in RUN_NAMES[:n_runs]:
        raise InputError(f"{where}: 'run' must be one of {', '.join(RUN_NAMES[:n_runs])} "
                         f"(the runs of this scenario), got {shown(run)}")
    setting = raw.get("setting")
    if not isinstance(setting, str) or setting not in ("lr", "momentum"):
        raise InputError(f"{where}: 'setting' must be lr or momentum, got {shown(setting)}")
    value = _in_range(f"{where}: 'value'", setting, raw.get("value"))
    return Change(step, setting, value, RUN_NAMES.index(run))


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and check a scenario file (see the module's documentation for the format).

    See :func:`load_scenario_and_data`; this keeps the scenario only.
    """
    return load_scenario_and_data(path)[0]


def load_scenario_and_data(path: str | os.PathLike[str], cancel: Any = None,
                           progress: Any = None) -> tuple[Scenario, Dataset]:
    """Read and check a scenario file, and return it with its data set (read once; ``cancel``
    and ``progress`` go to :func:`load_dataset`).

    The file is read through :func:`~momentum_lab.engine._files.read_input` (a regular file of at
    most 8 MiB), and refused before parsing when it nests deeper than :data:`MAX_DEPTH`, holds more
    than :data:`MAX_CONTAINERS` objects and arrays or a number of more than :data:`MAX_DIGITS` digits.
    """
    raw, text = read_source(path, "scenario", "JSON")
    stripped = _JSON_STRING.sub(b'""', raw)  # no raw newline in a JSON string: line numbers stay
    check_brackets(path, stripped, "{path}:{line}: ")
    line = long_number(stripped)
    if line is not None:
        raise InputError(f"{path}:{line}: a number of more than {MAX_DIGITS} digits")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except (RecursionError, ValueError, MemoryError, OverflowError) as exc:  # the scans above should prevent these
        raise InputError(f"{path}: cannot be read as JSON ({type(exc).__name__})") from None
    return scenario_and_data(data, str(path), Path(path).resolve().parent, cancel=cancel, progress=progress)


def read_source(path: str | os.PathLike[str], kind: str, language: str) -> tuple[bytes, str]:
    """A text file's bytes (less a UTF-8 byte-order mark) and its text, read through
    :func:`~momentum_lab.engine._files.read_input` (``kind`` is its size-cap kind: "scenario" or
    "lesson"), or an InputError naming the file and why it cannot be read."""
    raw = read_input(path, kind, str(path))
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    raw = raw[skip:]
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file (a {kind} is {language}, in UTF-8; byte {exc.start + skip} "
                         "is not UTF-8)") from None


def check_brackets(path: str | os.PathLike[str], stripped: bytes, line_style: str) -> None:
    """Refuse a file whose containers (``[`` and ``{``) nest deeper than :data:`MAX_DEPTH` or are more
    than :data:`MAX_CONTAINERS`, before a parser sees it (it would recurse, or take seconds).

    ``stripped``: the file's bytes with its strings and comments blanked out, newlines kept;
    ``line_style``: how a message gives a line, ``"{path}:{line}: "`` or ``"{path}, line {line}: "``.
    A linear scan in numpy: about 0.2 s for 8 MiB of brackets.
    """
    codes = np.frombuffer(stripped, dtype=np.uint8)
    where = np.flatnonzero((codes == 0x5B) | (codes == 0x5D) | (codes == 0x7B) | (codes == 0x7D))
    if where.size <= MAX_DEPTH:
        return
    brackets = codes[where]
    opens = (brackets == 0x5B) | (brackets == 0x7B)
    depth = np.cumsum(np.where(opens, 1, -1).astype(np.int32), dtype=np.int32)
    deep = np.flatnonzero(depth > MAX_DEPTH)
    if deep.size:
        line = stripped.count(b"\n", 0, int(where[deep[0]])) + 1
        raise InputError(line_style.format(path=path, line=line) +
                         f"nested more than {MAX_DEPTH} deep (a scenario needs 3)")
    n = int(np.count_nonzero(opens))
    if n > MAX_CONTAINERS:
        line = stripped.count(b"\n", 0, int(where[np.flatnonzero(opens)[MAX_CONTAINERS]])) + 1
        raise InputError(line_style.format(path=path, line=line) +
                         f"more than {MAX_CONTAINERS:,} lists and tables ({n:,}); a scenario has one for each "
                         "run and each change")


def long_number(stripped: bytes) -> int | None:
    """The line (from 1) of the first run of more than :data:`MAX_DIGITS` digits (and ``_``, TOML's
    digit separator) in ``stripped`` (see :func:`check_brackets`), or None."""
    match = _LONG_NUMBER.search(stripped)
    return None if match is None else stripped.count(b"\n", 0, match.start()) + 1


def _relative(value: Any, folder: str | os.PathLike[str] | None) -> str:
    path = Path(value).resolve()
    if folder is not None:
        try:
            return str(path.relative_to(Path(folder)))
        except ValueError:
            pass
    return str(path)

"""``RunConfig``: the one declaration of a run's options.

Each option is a field of :class:`RunConfig`, with its default, its help text, its group
and (for numbers) its range in :data:`~momentum_lab.engine._options.RANGES`. Everything that
takes run options reads them from here: :class:`~momentum_lab.engine.Trainer`,
:func:`~momentum_lab.engine.train`, :func:`~momentum_lab.engine.sweep`,
:class:`~momentum_lab.engine.Session`, scenario files, the command line's flags (generated
from the fields, help texts included) and the window's widgets.

A ``RunConfig`` checks its values when it is made (``replace`` makes a new one, checked too):
a bad value raises :class:`InputError` naming the option as the API spells it (``lr=: …``).
"""

from __future__ import annotations

import difflib
import os
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from ._datasets import DATASET_NAMES, NORMALIZATIONS, Dataset, load_dataset
from ._errors import InputError
from ._network import ACTIVATIONS, LOSSES
from ._options import RANGES, check_in_range, check_learning_rate, check_momentum
from ._rules import RULE_TITLES, RULES

__all__ = ["INITS", "MAX_RUNS", "ORDERS", "PRESETS", "RUN_NAMES", "LaneSettings", "Option", "RunConfig",
           "config_from", "load_data", "option_type", "options_of", "preset"]

#: Ways to draw the initial weights.
INITS = ("uniform", "glorot", "article")
#: Ways to draw a shuffled epoch's item order.
ORDERS = ("numpy", "article")
#: Runs trained side by side at most (the main run and three to compare), and their names.
MAX_RUNS = 4
RUN_NAMES = "ABCD"


@dataclass(frozen=True)
class Option:
    """What the command line and the window need to know of an option besides its default.

    ``group``: "data", "network" or "training" (the help's sections); ``metavar``: the value's
    name in the help; ``choices``: the texts allowed; ``default_text``: the default as the help
    says it, where the field's default (None) does not say it.
    """

    help: str
    group: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    default_text: str | None = None


def _option(default: Any, help: str, group: str, **more: Any) -> Any:
    return field(default=default, metadata={"option": Option(help, group, **more)})


def _span(name: str) -> str:
    return RANGES[name].describe().removeprefix("a whole number ").removeprefix("a number ")


@dataclass(frozen=True)
class LaneSettings:
    """What a run compared side by side changes: its rule, learning rate and momentum."""

    rule: str
    lr: float
    momentum: float

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise InputError(f"rule=: unknown update rule {self.rule!r}; choose one of {', '.join(RULES)}")
        object.__setattr__(self, "lr", _setting("lr", self.lr, check_learning_rate))
        object.__setattr__(self, "momentum", _setting("momentum", self.momentum, check_momentum))


def _setting(name: str, value: Any, check: Any) -> float:
    """A learning rate or momentum checked: a float in range at once, anything else by ``check``
    (which converts it, turns -0.0 into 0.0, or says what is wrong)."""
    if type(value) is float and value in RANGES[name] and value != 0.0:
        return value
    return check(value) + 0.0  # (-0.0 becomes 0.0)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run: data, network, rule, settings, seed, and the runs compared
    with it. Changing any field but ``lr`` and ``momentum`` makes a new run.

    The fields are the command line's options with underscores (``--test-fraction`` is
    ``test_fraction``); their defaults are the command line's. ``dataset`` may also be a
    :class:`Dataset` or a pair ``(X, y)`` of arrays (the API's, not the command line's), and
    ``init_weights`` a dict of the four named arrays.
    """

    dataset: Any = _option(
        "iris", f"a shipped or generated set ({', '.join(DATASET_NAMES)}) or a CSV file (header row; numeric "
        "columns; the class label last)", "data", metavar="NAME|PATH")
    test_data: str | None = _option(
        None, "a test file (a CSV path or a shipped set's name) instead of holding out a split: the whole data "
        "set trains (test_fraction is not used); its header must be the data set's and its labels among its "
        "classes", "data", metavar="NAME|PATH", default_text="a held-out split")
    normalize: str = _option("zscore", "scale each input by the training split's mean and std", "data",
                             choices=NORMALIZATIONS)
    test_fraction: float = _option(0.2, f"share of each class held out for testing, {_span('test_fraction')}",
                                   "data", metavar="F")
    data_seed: int = _option(0, f"seeds the generated sets and the train/test split, {_span('data_seed')}",
                             "data", metavar="N")
    samples: int | None = _option(None, f"generated sets: items, {_span('samples')}", "data", metavar="N",
                                  default_text="per data set")
    noise: float | None = _option(None, f"generated sets: noise, {_span('noise')}", "data", metavar="SD",
                                  default_text="per data set")
    classes: int = _option(3, f"blobs: classes, {_span('classes')}", "data", metavar="K")
    hidden: int = _option(7, f"hidden units, {_span('hidden')}", "network", metavar="N")
    activation: str = _option("tanh", "hidden activation", "network", choices=ACTIVATIONS)
    loss: str = _option("cross-entropy", "loss per item; article: the article program's output signal (the "
                        "softmax Jacobian's diagonal only), which is the gradient of no loss: the error it reports "
                        "(squared, summed over outputs, no ½) is not what its steps descend, and it has no Hessian (no "
                        "curvature λ: the stability map and the full-batch readout have none to show; the online "
                        "readout r measures the signal's own curvature along itself)", "network", choices=LOSSES)
    init: str = _option("uniform", "initial weights: uniform ±scale (the article's way) or glorot, from numpy; "
                        "article: uniform ±scale drawn as the article's program draws them, from Python's "
                        "random.Random(seed), in parameter order", "network", choices=INITS)
    init_scale: float = _option(0.01, f"uniform init: weights from U(-R, R), R {_span('init_scale')}", "network",
                                metavar="R")
    init_weights: Any = _option(None, "start from weights in an .npz file", "network", metavar="PATH",
                                default_text="none")
    weight_limit: float = _option(1e6, "a weight beyond ±X counts as divergence", "training", metavar="X")
    seed: int = _option(0, f"seeds the initial weights and the item order, {_span('seed')}", "training",
                        metavar="N")
    shuffle: bool = _option(True, "visit the items in a new seeded order every epoch", "training")
    order: str = _option("numpy", "how each epoch's order is drawn: numpy (a seeded stream of its own) or article "
                         "(as the article's program: Python's random.Random(seed), the generator that draws "
                         "the initial weights, shuffling one list in place at every epoch's start)", "training",
                         choices=ORDERS)
    batch_size: int | str = _option(
        1, "items whose mean gradient makes one update (a step): 1 online, B a mini-batch (an epoch's last "
        "batch may be smaller: an epoch is ceil(training items / B) updates), full the whole training set (as is "
        f"any B beyond it); {_span('batch_size')}", "training", metavar="B|full")
    rule: str = _option("lookback", "; ".join(f"{k}: {v}" for k, v in RULE_TITLES.items()), "training",
                        choices=RULES)
    lr: float = _option(0.01, f"learning rate, {_span('lr')}", "training")
    momentum: float = _option(0.5, f"momentum factor, {_span('momentum')}", "training")
    # Runs trained beside the main one (B, C, D): same data, network, seed, so the same
    # initial weights and item order; their own rule, learning rate and momentum.
    compare: tuple[LaneSettings, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for name in _CHECKED_NUMBERS:
            value = getattr(self, name)
            if value is None and name in _MAY_BE_NONE:
                continue
            spec = RANGES[name]
            kind = int if spec.integer else float
            # The common case at once (a config is made on every live change in the window); any
            # other value through the check, which converts it (-0.0 to 0.0) or says what is wrong.
            if not (type(value) is kind and value in spec and (kind is int or value != 0.0)):
                set_(self, name, check_in_range(name, value))
        for name, choices in _CHOICES.items():
            value = getattr(self, name)
            if value not in choices:
                raise InputError(f"{name}=: must be one of {', '.join(choices)}, got {value!r}")
        if not (self.init_weights is None or isinstance(self.init_weights, (str, os.PathLike, dict))):
            raise InputError(f"init_weights=: expected an .npz path or a dict of the four named arrays, got "
                             f"{type(self.init_weights).__name__}")
        if type(self.shuffle) is not bool:
            if not isinstance(self.shuffle, (bool, np.bool_)):
                raise InputError(f"shuffle=: must be True or False, got {self.shuffle!r}")
            set_(self, "shuffle", bool(self.shuffle))
        compare = self.compare if type(self.compare) is tuple else tuple(self.compare)
        if len(compare) > MAX_RUNS - 1:
            raise InputError(f"compare=: at most {MAX_RUNS - 1} runs beside the main one, got {len(compare)}")
        if not all(isinstance(lane, LaneSettings) for lane in compare):
            raise InputError("compare=: expected LaneSettings(rule, lr, momentum) for each run compared")
        set_(self, "compare", compare)
        if self.rule not in RULES:
            raise InputError(f"rule=: unknown update rule {self.rule!r}; choose one of {', '.join(RULES)}")
        set_(self, "lr", _setting("lr", self.lr, check_learning_rate))
        set_(self, "momentum", _setting("momentum", self.momentum, check_momentum))

    @property
    def lanes(self) -> tuple[LaneSettings, ...]:
        """The main run's settings, then those of the runs compared with it."""
        return (LaneSettings(self.rule, self.lr, self.momentum), *self.compare)

    def with_lane(self, index: int, **changes: Any) -> RunConfig:
        """This configuration with run ``index``'s rule, lr or momentum changed."""
        if index == 0:
            return replace(self, **changes)
        compare = list(self.compare)
        compare[index - 1] = replace(compare[index - 1], **changes)
        return replace(self, compare=tuple(compare))

    def lane(self, index: int) -> RunConfig:
        """Run ``index`` on its own: its rule, lr and momentum as the main run's, nothing compared."""
        settings = self.lanes[index]
        return replace(self, rule=settings.rule, lr=settings.lr, momentum=settings.momentum, compare=())

    def dataset_options(self) -> dict[str, Any]:
        """:func:`~momentum_lab.engine.load_dataset`'s keyword options."""
        return dict(normalize=self.normalize, test_fraction=self.test_fraction, data_seed=self.data_seed,
                    samples=self.samples, noise=self.noise, classes=self.classes, test_data=self.test_data)

    def same_data(self, other: RunConfig) -> bool:
        """Whether ``other`` trains on the same data (the same source and data options)."""
        if self.dataset_options() != other.dataset_options():
            return False
        if self.dataset is other.dataset:
            return True
        if isinstance(self.dataset, (tuple, Dataset)) or isinstance(other.dataset, (tuple, Dataset)):
            return False  # arrays: the same only if they are the very same
        return os.fspath(self.dataset) == os.fspath(other.dataset)

    def input_paths(self, **more: Any) -> dict[str, Any]:
        """The run's input files, by option (for :func:`~momentum_lab.engine._atomic.check_outputs`):
        the data set unless it is a shipped or generated set's name, the initial weights, and ``more``."""
        return input_paths(self.dataset, self.init_weights, test_data=self.test_data, **more)

    def options(self) -> dict[str, Any]:
        """The fields as keyword options (``compare`` left out when empty)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not out["compare"]:
            del out["compare"]
        return out


# What RunConfig.__post_init__ checks: numeric fields against RANGES, text fields against their choices.
# (lr and momentum are each lane's: LaneSettings checks them.)
_CHECKED_NUMBERS = tuple(f.name for f in fields(RunConfig) if f.name in RANGES and f.name not in ("lr", "momentum"))
_MAY_BE_NONE = tuple(name for name in _CHECKED_NUMBERS if RunConfig.__dataclass_fields__[name].default is None)
_CHOICES = {f.name: f.metadata["option"].choices for f in fields(RunConfig)
            if "option" in f.metadata and f.metadata["option"].choices}


def input_paths(dataset: Any = None, init_weights: Any = None, test_data: Any = None,
                **more: Any) -> dict[str, Any]:
    """A run's input files, by option: the data set and the test file unless they are a shipped
    or generated set's name (or arrays, or a Dataset), the initial weights, and any ``more``."""
    named = (isinstance(dataset, str) and dataset in DATASET_NAMES) or isinstance(dataset, (tuple, Dataset))
    weights = None if isinstance(init_weights, dict) else init_weights
    test = None if isinstance(test_data, str) and test_data in DATASET_NAMES else test_data
    return {"dataset=": None if named else dataset, "test_data=": test, "init_weights=": weights, **more}


#: Named runs (``momentum-lab train --preset NAME``, :func:`preset`): RunConfig fields and ``epochs``.
#: ``article``: the article's own program (docs/tutorial.md, "The article's own run"):
#: its 4-5-3 tanh network on its own 120/30 split of Iris, raw inputs, its signal and error, its
#: initial weights and item orders from one ``random.Random(3)``, the look-back rule.
PRESETS: dict[str, dict[str, Any]] = {
    "article": {
        "dataset": "iris-article-train", "test_data": "iris-article-test", "normalize": "none",
        "hidden": 5, "activation": "tanh", "loss": "article", "init": "article", "init_scale": 0.01,
        "seed": 3, "shuffle": True, "order": "article", "rule": "lookback", "lr": 0.05, "momentum": 0.75,
        "epochs": 50,
    },
}


def preset(name: str, **changes: Any) -> dict[str, Any]:
    """The options of preset ``name`` (see :data:`PRESETS`) with ``changes`` made: keyword
    options for :func:`~momentum_lab.engine.train` (``train(**preset("article", momentum=0.0))``).

    A preset's test file goes with its own data set: a ``dataset`` among the changes, without a
    ``test_data`` of its own, is split as any data set is (the article's test items are Iris's: on
    all of Iris they would be trained on too; beside a generated set they were refused)."""
    if not isinstance(name, str) or name not in PRESETS:
        raise InputError(f"preset=: unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    options = {**PRESETS[name], **changes}
    if "dataset" in changes and "test_data" not in changes:
        options.pop("test_data", None)
    return options


def option_type(name: str) -> type:
    """The type of RunConfig field ``name``'s values: its default's type, else its annotation's
    (``int | None`` is int); str for anything else (a data set's name or path, a weights path)."""
    default = RunConfig.__dataclass_fields__[name].default
    if default is not None:
        return type(default)
    hint = typing.get_type_hints(RunConfig)[name]
    kinds = [t for t in typing.get_args(hint) if t is not type(None)] or [hint]
    return kinds[0] if kinds[0] in (int, float) else str


def options_of() -> dict[str, Option]:
    """Every option's :class:`Option`, by field name, in the order of the fields."""
    return {f.name: f.metadata["option"] for f in fields(RunConfig) if "option" in f.metadata}


def config_from(source: Any, options: dict[str, Any], where: str) -> RunConfig:
    """A RunConfig from a data source (or a RunConfig) and keyword options; ``where`` names the
    function in the message for an unknown keyword ("train")."""
    known = {f.name for f in fields(RunConfig)}
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}{hint}")
    if isinstance(source, RunConfig):
        return replace(source, **options)
    return RunConfig(dataset=source, **options)


def load_data(config: RunConfig, **hooks: Any) -> Dataset:
    """The data set of ``config``: the Dataset itself if it is one, else loaded (``hooks``:
    ``cancel`` and ``progress`` for :func:`~momentum_lab.engine.load_dataset`)."""
    if isinstance(config.dataset, Dataset):
        return config.dataset
    return load_dataset(config.dataset, **config.dataset_options(), **hooks)

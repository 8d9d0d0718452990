"""Checks of option values, shared by the CLI, the Python API and the GUI.

:data:`RANGES` is the one declaration of each numeric option's valid range: the engine's
checks read it, and so do the window's widgets (a widget whose range is narrower than what
the command line accepts would show another value than the run uses).

Each check returns the value in its canonical type, or raises InputError naming the
option as the command line spells it and the offending value.
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass

from ._errors import InputError

__all__ = ["FULL_BATCH", "RANGES", "OptionRange", "batch_items", "check_count", "check_in_range",
           "check_learning_rate", "check_momentum", "check_positive", "check_seed", "steps_per_epoch"]

#: The batch size that means the whole training set.
FULL_BATCH = "full"


@dataclass(frozen=True)
class OptionRange:
    """The valid values of a numeric option: ``low`` to ``high``, each end open or closed, and
    the texts in ``named`` (a batch size's ``"full"``)."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False
    named: tuple[str, ...] = ()

    def __contains__(self, value: float | str) -> bool:
        if isinstance(value, str):
            return value in self.named
        if value != value:  # NaN (math.isnan would turn a huge int into a float: OverflowError)
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    @property
    def widget_low(self) -> float:
        """The smallest value a widget can hold (the next double above an open end)."""
        return math.nextafter(self.low, math.inf) if self.low_open else self.low

    @property
    def widget_high(self) -> float:
        """The largest value a widget can hold (the next double below an open end)."""
        return math.nextafter(self.high, -math.inf) if self.high_open else self.high

    def describe(self) -> str:
        def num(x: float) -> str:
            return str(int(x)) if self.integer else f"{x:g}"

        names = "".join(f" or '{name}'" for name in self.named)
        if self.integer:
            return f"a whole number from {num(self.low)} to {num(self.high)}{names}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"a number in {left}{num(self.low)}, {num(self.high)}{right}"


_SEEDS = OptionRange(0, 2**31 - 1, integer=True)

#: Every numeric option's range, by the option's keyword name.
RANGES: dict[str, OptionRange] = {
    "lr": OptionRange(0.0, 1e6),
    "momentum": OptionRange(0.0, 1.0, high_open=True),
    "hidden": OptionRange(1, 1000, integer=True),
    "seed": _SEEDS,
    "data_seed": _SEEDS,
    "samples": OptionRange(4, 1_000_000, integer=True),
    "noise": OptionRange(0.0, 1e3),
    "classes": OptionRange(2, 10, integer=True),
    "init_scale": OptionRange(0.0, 1e3, low_open=True),
    "weight_limit": OptionRange(0.0, math.inf, low_open=True, high_open=True),
    "test_fraction": OptionRange(0.0, 1.0, high_open=True),
    # Items whose mean gradient makes one update; "full": the whole training set.
    "batch_size": OptionRange(1, 2**31 - 1, integer=True, named=(FULL_BATCH,)),
    # Items a second; infinity is "flat out".
    "speed": OptionRange(0.0, math.inf, low_open=True),
}


def _shown(value: object) -> str:
    """``repr(value)`` for a message, cut to 40 characters (an int of 5,000 digits cannot even be
    turned into text: Python refuses)."""
    try:
        text = repr(value)
    except ValueError:
        return f"a number of more than {sys.get_int_max_str_digits()} digits"
    return text if len(text) <= 40 else text[:39] + "…"


def _number(option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{option}: expected a number, got {_shown(value)}")
    return float(value)


def check_in_range(name: str, value: object, option: str | None = None) -> float | int | str:
    """``value`` checked against ``RANGES[name]``: an int for whole-number options, else a float
    (or one of the range's named texts, as it is)."""
    spec = RANGES[name]
    option = option or f"{name}="
    if isinstance(value, str) and value in spec.named:
        return str(value)  # (a numpy string, say, as the plain text)
    if spec.integer:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not spec.low <= value <= spec.high:
            raise InputError(f"{option}: must be {spec.describe()}, got {_shown(value)}")
        return int(value)
    x = _number(option, value)
    if x not in spec:
        raise InputError(f"{option}: must be {spec.describe()}, got {_shown(value)}")
    return x + 0.0  # -0.0 becomes 0.0 (numpy refuses a noise scale of -0.0: "scale < 0")


def check_learning_rate(value: object, option: str = "lr=") -> float:
    """A learning rate: see ``RANGES["lr"]``."""
    lr = _number(option, value)
    if lr not in RANGES["lr"]:
        raise InputError(f"{option}: the learning rate must be {RANGES['lr'].describe()}, got {_shown(value)}")
    return lr


def check_momentum(value: object, option: str = "momentum=") -> float:
    """A momentum factor in [0, 1)."""
    m = _number(option, value)
    if m not in RANGES["momentum"]:
        raise InputError(f"{option}: momentum must be in [0, 1), got {_shown(value)}")
    return m


def check_positive(value: object, option: str) -> float:
    """A finite number > 0."""
    x = _number(option, value)
    if not math.isfinite(x) or x <= 0:
        raise InputError(f"{option}: must be a finite number > 0, got {_shown(value)}")
    return x


def check_count(value: object, option: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{option}: expected a whole number >= {minimum}, got {_shown(value)}")
    if value < minimum:
        raise InputError(f"{option}: must be at least {minimum}, got {_shown(value)}")
    return int(value)


def batch_items(batch_size: int | str, n_train: int) -> int:
    """The items one update averages over: ``batch_size``, or all ``n_train`` items when it is
    ``"full"`` or larger than the training set."""
    if not (type(batch_size) is int and batch_size >= 1):  # (checked where it came in; here too for the API)
        batch_size = check_in_range("batch_size", batch_size)
    return n_train if batch_size == FULL_BATCH else max(1, min(batch_size, n_train))


def steps_per_epoch(batch_size: int | str, n_train: int) -> int:
    """Updates in an epoch of ``n_train`` items: ceil(n_train / B) (the last batch may be smaller).
    The one definition of an epoch's length in updates: every step count of the engine and the
    window (stops, epoch limits, changes given at an epoch, the delta statistics) goes through it."""
    return -(-n_train // batch_items(batch_size, n_train))


def check_seed(value: object, option: str = "seed=") -> int:
    """A seed: a whole number from 0 to 2**31 - 1 (what the window's seed box holds)."""
    return check_in_range("seed", value, option)

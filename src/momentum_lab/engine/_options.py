"""Checks of option values, shared by the CLI, the Python API and the GUI.

Each returns the value in its canonical type, or raises InputError naming the
option as the command line spells it and the offending value.
"""

from __future__ import annotations

import math
import numbers

from ._errors import InputError

__all__ = ["check_count", "check_learning_rate", "check_momentum", "check_positive", "check_seed"]


def _number(option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{option}: expected a number, got {value!r}")
    return float(value)


def check_learning_rate(value: object, option: str = "--lr") -> float:
    """A learning rate: a finite number >= 0."""
    lr = _number(option, value)
    if not math.isfinite(lr) or lr < 0:
        raise InputError(f"{option}: the learning rate must be a finite number >= 0, got {value!r}")
    return lr


def check_momentum(value: object, option: str = "--momentum") -> float:
    """A momentum factor in [0, 1)."""
    m = _number(option, value)
    if not (0.0 <= m < 1.0):
        raise InputError(f"{option}: momentum must be in [0, 1), got {value!r}")
    return m


def check_positive(value: object, option: str) -> float:
    """A finite number > 0."""
    x = _number(option, value)
    if not math.isfinite(x) or x <= 0:
        raise InputError(f"{option}: must be a finite number > 0, got {value!r}")
    return x


def check_count(value: object, option: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{option}: expected a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise InputError(f"{option}: must be at least {minimum}, got {value!r}")
    return int(value)


def check_seed(value: object, option: str = "--seed") -> int:
    """A seed: a whole number >= 0."""
    return check_count(value, option, minimum=0)

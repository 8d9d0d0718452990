"""The one error type for bad input: a short, one-line message a person can act on."""

from __future__ import annotations

import functools
import inspect
import re

__all__ = ["InputError", "LoadCancelled", "flag_spelling"]


class InputError(ValueError):
    """Bad input from a user: a file, an option or a value.

    The message is one line and names what is wrong (the file and line, or
    the option) and the offending value. The command line prints it and exits
    with status 2; the Python API lets it propagate.
    """

    def __init__(self, message: str) -> None:
        # One line, always: a newline inside a value would break the contract.
        super().__init__(" ".join(str(message).split()))


class LoadCancelled(Exception):
    """Raised by a reader whose ``cancel`` event was set (the window's Cancel button): not an
    error of the input, so not an :class:`InputError`."""


@functools.cache
def _keywords() -> frozenset[str]:
    """The options the engine's messages name as keywords: those of ``train`` and ``sweep``."""
    from ._api import train
    from ._sweep import sweep

    return frozenset(inspect.signature(train).parameters) | frozenset(inspect.signature(sweep).parameters)


def flag_spelling(message: str) -> str:
    """An engine message, which names an option as the Python API's keyword (``lr=``), with the
    command line's flag instead (``--lr``), for the command line and the window."""

    def flag(match: re.Match) -> str:
        name, after = match.group(1), match.group(2)
        if name not in _keywords():
            return match.group(0)
        return "--" + name.replace("_", "-") + ("" if after in ":'\" ),;" else " ") + after

    return re.sub(r"(?<![\w=-])([a-z][a-z_]*)=(.?)", flag, message)

"""The one error type for bad input: a short, one-line message a person can act on."""

from __future__ import annotations

import functools
import inspect
import re
import unicodedata

__all__ = ["InputError", "LoadCancelled", "flag_spelling"]


class InputError(ValueError):
    """Bad input from a user: a file, an option or a value.

    The message is one line and names what is wrong (the file and line, or
    the option) and the offending value. The command line prints it and exits
    with status 2; the Python API lets it propagate.
    """

    def __init__(self, message: str) -> None:
        # One line, always: a newline inside a value would break the contract.
        # Nor may a value from a file steer the terminal: control and format characters (escape
        # sequences, right-to-left overrides) are shown as escapes.
        text = " ".join(str(message).split())
        super().__init__("".join(c if unicodedata.category(c) not in ("Cc", "Cf") else
                                 c.encode("unicode_escape").decode("ascii") for c in text))


class LoadCancelled(Exception):
    """Raised by a reader whose ``cancel`` event was set (the window's Cancel button): not an
    error of the input, so not an :class:`InputError`."""


# Keywords of the API that the command line has no flag for.
_API_ONLY = frozenset({"changes", "steps", "record_deltas", "progress"})
# A keyword as the engine's messages name an option: ``lr=`` before ':', ' ', ',', ';' or
# the end. A quoted part of a message is a user's value (a path, a cell): left as it is.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_KEYWORD = re.compile(r"(?<![\w=/.-])([a-z][a-z_]*)=(?=[:\s,;]|$)")


@functools.cache
def _keywords() -> frozenset[str]:
    """The options the engine's messages name as keywords: RunConfig's fields and the other
    keywords of ``train`` and ``sweep``."""
    from dataclasses import fields

    from ._api import train
    from ._config import RunConfig
    from ._sweep import sweep

    names = {f.name for f in fields(RunConfig)} - {"compare"}
    for function in (train, sweep):
        names |= {name for name, p in inspect.signature(function).parameters.items() if p.kind is p.KEYWORD_ONLY}
    return frozenset(names) - _API_ONLY


def flag_spelling(message: str) -> str:
    """An engine message, which names an option as the Python API's keyword (``lr=``), with the
    command line's flag instead (``--lr``), for the command line and the window."""

    def flags(text: str) -> str:
        return _KEYWORD.sub(lambda m: "--" + m.group(1).replace("_", "-") if m.group(1) in _keywords()
                            else m.group(0), text)

    out, last = [], 0
    for quoted in _QUOTED.finditer(message):
        out += [flags(message[last:quoted.start()]), quoted.group(0)]
        last = quoted.end()
    return "".join(out) + flags(message[last:])

"""The one error type for bad input: a short, one-line message a person can act on."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection

__all__ = ["InputError", "LoadCancelled", "respell_keywords"]

# A keyword as the engine's messages name an option: ``lr=`` before ':', ' ', ',', ';' or
# the end. A quoted part of a message is a user's value (a path, a cell): left as it is.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_KEYWORD = re.compile(r"(?<![\w=/.-])([a-z][a-z_]*)=(?=[:\s,;]|$)")


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


def respell_keywords(message: str, names: Collection[str], spell: Callable[[str], str]) -> str:
    """``message`` with each option it names as the Python API's keyword (``lr=``), if among
    ``names``, spelled ``spell(name)`` instead (the command line's ``--lr``, a file's ``'lr'``);
    quoted parts (a user's values) are left as they are."""

    def respelled(text: str) -> str:
        return _KEYWORD.sub(lambda m: spell(m.group(1)) if m.group(1) in names else m.group(0), text)

    out, last = [], 0
    for quoted in _QUOTED.finditer(message):
        out += [respelled(message[last:quoted.start()]), quoted.group(0)]
        last = quoted.end()
    return "".join(out) + respelled(message[last:])

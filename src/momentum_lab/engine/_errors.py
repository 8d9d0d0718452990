"""The one error type for bad input: a short, one-line message a person can act on."""

from __future__ import annotations

import unicodedata

__all__ = ["InputError", "LoadCancelled"]


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

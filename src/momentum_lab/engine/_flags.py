"""The command line's spelling of the engine's messages: an option named as the Python API's keyword
(``lr=``) becomes the flag (``--lr``).

It reads the keywords from :class:`RunConfig`, :func:`train` and :func:`sweep`, so it sits above
them; :mod:`._errors` (which they all import) stays at the bottom.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import fields

from ._api import train
from ._config import RunConfig
from ._sweep import sweep

__all__ = ["flag_spelling"]

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

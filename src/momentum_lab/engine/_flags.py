"""The command line's spelling of the engine's messages: an option named as the Python API's keyword
(``lr=``) becomes the flag (``--lr``).

It reads the keywords from :class:`RunConfig`, :func:`train` and :func:`sweep`, so it sits above
them; :mod:`._errors` (which they all import) stays at the bottom.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import fields

from ._api import train
from ._config import RunConfig
from ._errors import respell_keywords
from ._sweep import sweep

__all__ = ["flag_spelling"]

# Keywords of the API that the command line has no flag for.
_API_ONLY = frozenset({"changes", "steps", "record_deltas", "progress"})


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
    return respell_keywords(message, _keywords(), lambda name: "--" + name.replace("_", "-"))

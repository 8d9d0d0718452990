"""Where the shipped resources (data sets, later lessons and icons) are.

An installed wheel carries them as ``momentum_lab/resources``; a source
checkout (editable install, or running from the tree) has them at the
repository's top level, ``resources/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_path"]

_PACKAGED = Path(__file__).resolve().parent / "resources"
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of a shipped resource, e.g. ``resource_path("datasets", "iris.csv")``.

    Raises
    ------
    FileNotFoundError
        When the resource is in neither place (a broken install).
    """
    for root in (_PACKAGED, _SOURCE_TREE):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"shipped resource {'/'.join(parts)!r} not found in {_PACKAGED} or {_SOURCE_TREE}"
    )

"""Where the shipped resources (data sets, later lessons and icons) are.

An installed wheel carries them as ``momentum_lab/resources``; a source
checkout (editable install, or running from the tree) has them at the
repository's top level, ``resources/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["doc_path", "resource_path"]

_PACKAGED = Path(__file__).resolve().parent / "resources"
_SOURCE_TREE = Path(__file__).resolve().parents[2] / "resources"
#: The documents Help opens (docs/tutorial.md and what it links): a wheel carries them as
#: ``momentum_lab/docs`` (see pyproject.toml), a checkout has them at the top level.
_PACKAGED_DOCS = Path(__file__).resolve().parent / "docs"
_SOURCE_DOCS = Path(__file__).resolve().parents[2] / "docs"


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


def doc_path(name: str) -> Path | None:
    """The path of a shipped document, e.g. ``doc_path("tutorial.md")``; None when neither an
    installed copy nor the checkout has it."""
    for root in (_PACKAGED_DOCS, _SOURCE_DOCS):
        if (root / name).is_file():
            return root / name
    return None

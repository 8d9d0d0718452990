"""Atomic file writes: a temporary file in the target folder, then a rename.

A reader never sees a half-written file, and a failed write leaves any earlier
file at that path as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ._errors import InputError

__all__ = ["atomic_write", "check_distinct_targets", "check_writable_target", "write_error"]


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import (os.umask can only be read by setting it, which is not thread-safe).
_UMASK = _read_umask()


def check_writable_target(path: str | os.PathLike[str], option: str) -> Path:
    """Check, before any work is done, that ``path`` can be written.

    Raises
    ------
    InputError
        When the path is empty, the folder does not exist or cannot be written
        to, or ``path`` is a folder.
    """
    if not str(path).strip():
        raise InputError(f"{option}: empty path")
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"{option}: '{target}' is a folder, not a file")
    if not folder.is_dir():
        raise InputError(f"{option}: the output folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option}: cannot write in the folder '{folder}' (permission denied)")
    return target


def check_distinct_targets(targets: dict[str, str | os.PathLike[str] | None]) -> None:
    """Refuse two outputs (option -> path) that name the same file: the second would replace the first."""
    seen: dict[str, str] = {}
    for option, path in targets.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise InputError(f"{option}: '{path}' is also the {seen[key]} file; give each output its own path")
        seen[key] = option


def write_error(option: str, path: str | os.PathLike[str], exc: OSError) -> InputError:
    """The one-line error for a write that failed (a full disk, say); the old file is intact."""
    return InputError(f"{option}: cannot write '{path}': {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    ``mode`` is ``"w"`` (text, UTF-8, ``\\n`` line ends) or ``"wb"``. If the
    body raises, the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file private (0600); give it the mode an ordinary
        # write would: the old file's, or 0666 less the umask.
        try:
            permissions = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            permissions = 0o666 & ~_UMASK
        os.chmod(tmp_name, permissions)
        if "b" in mode:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding="utf-8", newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise

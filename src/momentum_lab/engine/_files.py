"""Reading input files safely: regular files only, never more than a size cap.

Every file Momentum Lab reads (a data set, a test set, a scenario, a lesson, a weights file)
goes through :func:`open_input` or :func:`read_input`. A FIFO, a device (``/dev/zero``,
``/dev/urandom``), a socket or a folder is refused before a byte is read, so a read never
blocks and never grows without end; a file larger than its kind's cap is refused from its
size, before it is read. The caps (documented in the README):

========  ============================================
kind      cap
========  ============================================
data      1 GiB (a CSV data set or test set)
weights   64 MiB (an ``.npz`` of initial weights)
scenario  8 MiB (a saved scenario, JSON)
lesson    256 KiB (a lesson, TOML)
========  ============================================
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from ._errors import InputError

__all__ = ["SIZE_CAPS", "file_kind", "open_input", "read_input"]

#: The largest file of each kind that is read, in bytes.
SIZE_CAPS = {
    "data": 1 << 30,
    "weights": 64 << 20,
    "scenario": 8 << 20,
    "lesson": 256 << 10,
}


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words: "a folder", "a FIFO (named pipe)", …"""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def size_text(n: float) -> str:
    """A byte count as a person reads it: 1.5 GiB, 256 KiB, 12 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.3g} {unit}"
    return f"{int(n)} byte{'' if n == 1 else 's'}"


def open_input(path: str | os.PathLike[str], kind: str, label: str | None = None) -> tuple[BinaryIO, int]:
    """Open a regular file for reading in binary: ``(handle, size in bytes)``.

    ``kind`` is a key of :data:`SIZE_CAPS`; ``label`` starts each message (default: the path
    in quotes). The file is opened without blocking (a FIFO with no writer would block an
    ordinary open forever), then checked through its descriptor, so what is checked is what
    is read.

    Raises
    ------
    InputError
        No such file, permission denied, not a regular file, or larger than the cap.
    """
    shown = os.fspath(path)
    label = label or f"'{shown}'"
    if not str(shown).strip():
        raise InputError(f"{label}: empty path")
    if "\0" in str(shown):
        raise InputError(f"{label}: a path cannot hold a NUL character")
    cap = SIZE_CAPS[kind]
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{label}: is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{label}: cannot read it (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{label}: is {file_kind(info.st_mode)}, not a regular file; "
                             "Momentum Lab reads only regular files")
        if info.st_size > cap:
            raise InputError(f"{label}: the file is {size_text(info.st_size)}; a {kind} file may be at most "
                             f"{size_text(cap)}")
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return handle, info.st_size


def read_input(path: str | os.PathLike[str], kind: str, label: str | None = None) -> bytes:
    """The bytes of a regular file, at most its kind's cap (see :func:`open_input`).

    A file that grows past the cap while it is read is refused too.
    """
    handle, _ = open_input(path, kind, label)
    cap = SIZE_CAPS[kind]
    shown = label or f"'{os.fspath(path)}'"
    with handle:
        try:
            data = handle.read(cap + 1)
        except OSError as exc:
            raise InputError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise InputError(f"{shown}: the file grew past the {size_text(cap)} a {kind} file may have while "
                         "it was read")
    return data

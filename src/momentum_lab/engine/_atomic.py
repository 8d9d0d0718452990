"""Writing files: all of a command's outputs, or none of them.

Each output is first written whole into a temporary file beside its target
(``.NAME.momentum-lab-HOST-PID-XXXX.tmp``) and flushed to disk; only when every output of
the command has been written are they renamed over their targets, one after the other,
with Ctrl-C and TERM held back meanwhile. A failure (a full disk, say) or an interrupt
before that point removes the temporary files and leaves every target as it was. A
temporary file left by a process that was killed is removed by the next write beside
it.

What a target may be:

- a regular file (replaced) or a new name in a folder that exists and can be written;
- a symbolic link: written *through*; the file it points to is replaced (its temporary
  file is made beside it) and the link stays a link;
- never a folder, a device (``/dev/null``), a FIFO or a socket: refused before any work,
  as renaming a file over them would replace them;
- never one of the command's input files, nor the same file as another output (compared
  by real path and by inode, so a link or a hard link is caught too).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ._errors import InputError
from ._files import file_kind

__all__ = ["Outputs", "atomic_write", "check_outputs", "check_writable_target", "signals_held", "staged", "write_error"]

_MARK = ".momentum-lab-"


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import (os.umask can only be read by setting it, which is not thread-safe).
_UMASK = _read_umask()


def real_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` changes: a symbolic link's target, else ``path`` itself."""
    return Path(os.path.realpath(path))


def check_writable_target(path: str | os.PathLike[str], option: str) -> Path:
    """Check, before any work is done, that ``path`` can be written; return the real target.

    Raises
    ------
    InputError
        When the path is empty, names a folder, a device, a FIFO or a socket, or its
        folder does not exist or cannot be written to.
    """
    if not str(path).strip():
        raise InputError(f"{option}: empty path")
    if "\0" in str(path):
        raise InputError(f"{option}: a path cannot hold a NUL character")
    if str(path).endswith(("/", os.sep)):
        raise InputError(f"{option}: '{path}' ends with '/', so it names a folder, not a file")
    target = real_target(path)
    try:
        info = os.stat(target)
    except OSError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(f"{option}: '{path}' is a folder, not a file")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise InputError(f"{option}: '{path}' is {file_kind(info.st_mode)}, not a regular file; Momentum Lab "
                         "writes only regular files (give a file's path)")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{option}: the output folder '{Path(path).parent}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option}: cannot write in the folder '{folder}' (permission denied)")
    try:
        longest = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    longest -= len(os.fsencode(_side_file(target, "tmp").name)) - len(os.fsencode(target.name))
    if len(os.fsencode(target.name)) > longest:
        raise InputError(f"{option}: the file name '{target.name[:40]}…' is too long: at most {longest} bytes "
                         "here (its temporary file beside it needs the rest)")
    return target


def _identity(path: str | os.PathLike[str]) -> tuple:
    """What makes two paths the same file: the device and inode of an existing file, else the real path."""
    try:
        info = os.stat(path)
        return ("inode", info.st_dev, info.st_ino)
    except OSError:
        return ("path", os.path.realpath(path))


def check_outputs(outputs: dict[str, str | os.PathLike[str] | None],
                  inputs: dict[str, object] | None = None) -> None:
    """Check a command's outputs (option -> path, None for none) before any work is done.

    Each must be writable (:func:`check_writable_target`), none may be the same file as
    another output, and none may be one of ``inputs`` (option -> path; values that are not
    paths, such as a data set's name or arrays, are passed over).
    """
    seen: dict[tuple, str] = {}
    for option, source in (inputs or {}).items():
        if isinstance(source, (str, os.PathLike)) and str(source).strip() and os.path.exists(source):
            seen.setdefault(_identity(source), option)
            _INPUTS.add(_identity(source))  # never removed as a stale temporary file, whatever its name
    inputs_seen = dict(seen)
    for option, path in outputs.items():
        if path is None:
            continue
        check_writable_target(path, option)
        key = _identity(path)
        if key in inputs_seen:
            raise InputError(f"{option}: '{path}' is the {inputs_seen[key]} file, which would be replaced; "
                             "write the output somewhere else")
        if key in seen:
            raise InputError(f"{option}: '{path}' is also the {seen[key]} file; give each output its own path")
        seen[key] = option


def write_error(option: str, path: str | os.PathLike[str], exc: OSError) -> InputError:
    """The one-line error for a write that failed (a full disk, say); the old file is intact."""
    return InputError(f"{option}: cannot write '{path}': {exc.strerror or exc}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


# Temporary and backup files carry the host and the process that made them: only ours, of this
# host, whose process has ended, are removed as stale (a folder may be shared between hosts).
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _side_file(target: Path, kind: str) -> Path:
    """A new name beside ``target``: ``.NAME.momentum-lab-HOST-PID-XXXXXXXX.KIND``."""
    return target.parent / f".{target.name}{_MARK}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.{kind}"


# The files this process was given to read (by check_outputs): a stale-looking name among them is
# a user's file, not ours to remove.
_INPUTS: set[tuple] = set()


def _remove_stale(target: Path) -> None:
    """Remove the temporary and backup files of ``target`` left by processes of this host that
    no longer run (killed while writing)."""
    pattern = re.compile(re.escape(f".{target.name}{_MARK}{_HOST}-") + r"(\d+)-[0-9a-f]{8}\.(?:tmp|bak)")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = pattern.fullmatch(entry.name)
            if (match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1)))
                    and _identity(entry.path) not in _INPUTS):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them.

    A signal may reach any thread of the process, so masking the main thread is not enough:
    the handlers themselves are swapped (which only the main thread can do) for ones that note
    the signal; the old handlers are put back and the noted signals raised again at the end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None:  # None: installed outside Python, which cannot be put back
            previous[signum] = signal.signal(signum, lambda n, _frame: noted.append(n))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in noted:
            signal.raise_signal(signum)


class Outputs:
    """The files one command writes: staged into temporary files, renamed together at the end.

    Used as a context manager: on a normal exit every staged file is renamed over its
    target; on an exception (or Ctrl-C) every temporary file is removed and no target
    changes::

        with Outputs() as out:
            with out.open("history.csv", "history=") as fh:
                fh.write(text)
            out.write_bytes("curves.png", "plot=", png)

    Should a rename fail after others succeeded (the folder's permissions changed meanwhile,
    say), the targets already replaced are put back from hard-linked backups, so even then no
    target changes.
    """

    def __init__(self) -> None:
        # (option, path as given, real target, temporary file, whole): "whole" once written.
        self._staged: list[list] = []
        #: True once every staged file has been renamed over its target (an interrupt held
        #: back meanwhile arrives after that).
        self.committed = False

    @contextlib.contextmanager
    def open(self, path: str | os.PathLike[str], option: str | None = None, mode: str = "w") -> Iterator[IO]:
        """A handle on the temporary file of ``path``; ``mode`` "w" (UTF-8 text, ``\\n``) or "wb".

        With ``option``, an ``OSError`` becomes an :class:`InputError` naming it. A target
        already staged here is refused (the second file would silently replace the first).
        """
        target = real_target(path)
        for other, given, staged_target, *_ in self._staged:
            if staged_target == target:
                raise InputError(f"{option or path}: '{path}' is also the {other or given} file; give each "
                                 "output its own path")
        _remove_stale(target)
        tmp = _side_file(target, "tmp")
        with signals_held():  # made and registered at once: an interrupt between would leave it
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError as exc:
                if option is None:
                    raise
                raise write_error(option, path, exc) from None
            entry = [option, path, target, str(tmp), False]
            self._staged.append(entry)  # from here on, discard() removes it whatever happens
        try:
            # Give the file the mode an ordinary write would: the old file's, or 0666 less the umask.
            try:
                permissions = stat.S_IMODE(target.stat().st_mode)
            except FileNotFoundError:
                permissions = 0o666 & ~_UMASK
            os.chmod(tmp, permissions)
            handle = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            entry[4] = True
        except BaseException as exc:
            self._staged.remove(entry)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and option is not None:
                raise write_error(option, path, exc) from None
            raise

    def write_bytes(self, path: str | os.PathLike[str], option: str | None, data: bytes) -> None:
        """Stage ``data`` as the content of ``path``."""
        with self.open(path, option, "wb") as handle:
            handle.write(data)

    def commit(self) -> None:
        """Rename every staged file over its target (signals held back meanwhile)."""
        with signals_held():
            staged, self._staged = self._staged, []
            backups: list[Path | None] = []
            try:
                for option, path, target, _, _ in staged:
                    backups.append(_backup(target, option, path))
                for i, (option, path, target, tmp, _) in enumerate(staged):
                    try:
                        os.replace(tmp, target)
                    except OSError as exc:
                        _restore(staged[:i], backups)
                        self._staged = staged[i:]
                        if option is None:
                            raise
                        raise write_error(option, path, exc) from None
                self.committed = True
            finally:
                self.discard()
                for backup in backups:
                    if backup is not None:
                        with contextlib.suppress(OSError):
                            os.unlink(backup)

    def discard(self) -> None:
        """Remove every staged temporary file; no target changes (a second Ctrl-C waits)."""
        with signals_held():
            staged, self._staged = self._staged, []
            for entry in staged:
                with contextlib.suppress(OSError):
                    os.unlink(entry[3])

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def _backup(target: Path, option: str | None, path) -> Path | None:
    """A copy of the file now at ``target`` (a hard link, else a copy of its bytes), to put back
    if a later rename fails; None where there is no file yet (then a restore removes the new one).

    Raises
    ------
    InputError
        No backup can be made: nothing has been renamed yet, so nothing changes.
    """
    if not os.path.lexists(target):
        return None
    backup = _side_file(target, "bak")
    try:
        os.link(target, backup)
    except OSError:
        try:
            shutil.copy2(target, backup)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(backup)
            raise write_error(option or "output", path, exc) from None
    return backup


def _restore(done: list, backups: list) -> None:
    """Undo the renames of ``done``: each target back to its backup, or removed if it was new."""
    for (_, _, target, _, _), backup in zip(done, backups):
        with contextlib.suppress(OSError):
            if backup is not None:
                os.replace(backup, target)
            else:
                os.unlink(target)


@contextlib.contextmanager
def staged(path: str | os.PathLike[str], mode: str, outputs: Outputs | None, option: str | None) -> Iterator[IO]:
    """A handle to write ``path`` through: staged into ``outputs``, or atomically on its own."""
    if outputs is not None:
        with outputs.open(path, option, mode) as handle:
            yield handle
    else:
        with atomic_write(path, mode, option) as handle:
            yield handle


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", option: str | None = None) -> Iterator[IO]:
    """One file written atomically (an :class:`Outputs` of one): a temporary file beside
    ``path``, renamed over it on success. If the body raises, ``path`` is untouched."""
    with Outputs() as out, out.open(path, option, mode) as handle:
        yield handle

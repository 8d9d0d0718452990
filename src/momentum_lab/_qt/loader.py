"""Reading data in a thread of its own, so that the window never waits for a file.

A :class:`LoadJob` runs one function (read a CSV data set, a scenario file and its data) in a
plain ``threading.Thread``. The thread touches no Qt object: it fills the job's Python fields
(progress, result, error), and the GUI thread reads them on a timer of its own
(:class:`LoadWatcher`). So a job never reaches a window that has since closed, and a job
still reading at close (a reader that cannot be interrupted) can be left behind: it holds
nothing but the data it reads, and its thread is a daemon.

Cancelling sets the job's ``threading.Event``; readers that take it (``load_dataset(...,
cancel=, progress=)``) stop at their next chunk by raising ``LoadCancelled``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

__all__ = ["LoadJob", "LoadWatcher"]

# How often the GUI thread looks at a running job (progress, result), in ms.
POLL_MS = 40
# How long closing the window waits for a cancelled job's thread, in seconds (a reader that
# honours the cancel stops within a chunk; one that does not is left behind, a daemon).
JOIN_SECONDS = 3.0


class LoadJob:
    """``work(cancel, progress)`` run in a daemon thread; ``what`` names it for the status bar
    ("big.csv")."""

    def __init__(self, what: str, work: Callable[[threading.Event, Callable[[int, int], None]], Any]) -> None:
        self.what = what
        self.cancel = threading.Event()
        self.progress: tuple[int, int] = (0, 0)
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._work = work
        self.thread = threading.Thread(target=self._run, name=f"momentum-lab reading {what}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _report(self, done: int, total: int) -> None:
        self.progress = (int(done), int(total))

    def _run(self) -> None:
        try:
            self.result = self._work(self.cancel, self._report)
        except BaseException as exc:  # noqa: BLE001 (handed to the GUI thread, which says it)
            self.error = exc
        finally:
            self._work = None  # nothing of the request outlives it
            self.done.set()

    def stop(self, wait: float = 0.0) -> None:
        """Ask the reader to stop; wait up to ``wait`` seconds for its thread."""
        self.cancel.set()
        if wait > 0 and self.thread.is_alive():
            self.thread.join(wait)


class LoadWatcher(QObject):
    """Watches one job at a time from the GUI thread: ``progress(what, done, total)`` while it
    runs, ``finished(job)`` once it has ended (its result or error in the job)."""

    progress = Signal(str, object, object)  # (bytes may pass 2**31)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job: LoadJob | None = None
        self._shown: tuple[int, int] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def watch(self, job: LoadJob) -> None:
        """Start ``job`` and watch it (a job watched before is dropped: see :meth:`drop`)."""
        self.drop()
        self.job = job
        self._shown = None
        job.start()
        self._timer.start()
        self._poll()

    def drop(self, wait: float = 0.0) -> LoadJob | None:
        """Cancel the job watched, if any, and stop watching it (its result is never delivered)."""
        job, self.job = self.job, None
        self._timer.stop()
        if job is not None:
            job.stop(wait)
        return job

    @Slot()
    def _poll(self) -> None:
        job = self.job
        if job is None:
            self._timer.stop()
            return
        if job.done.is_set():
            self.job = None
            self._timer.stop()
            self.finished.emit(job)
            return
        if job.progress != self._shown:
            self._shown = job.progress
            self.progress.emit(job.what, *job.progress)

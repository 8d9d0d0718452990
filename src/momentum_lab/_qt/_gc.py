"""Python's cyclic garbage collector, run in the GUI thread only.

Left automatic, a collection runs in whichever thread happens to allocate, the training or the
sweep thread too, and there it deletes the Qt objects that had become garbage in the GUI thread
(a closed window's plots, say). A QObject's destructor then takes Qt's lock of its connections
and calls into Python for the GIL, while the GUI thread, holding the GIL, waits for that lock in
a connect: both wait for ever (seen here: the tests' windows hung so, a worker compiling the
kernel, the GUI thread building a spin box). pyqtgraph's GarbageCollector turns the automatic
collection off and collects, by the same thresholds, on a timer in the GUI thread.
"""

from __future__ import annotations

__all__ = ["collect_in_gui_thread"]

_COLLECTOR = []


def collect_in_gui_thread() -> None:
    """From now on, collect garbage in this (the GUI) thread only, once a second. Call it in the
    GUI thread, with the application made, before a thread of ours starts; once is enough."""
    import gc

    if not _COLLECTOR:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _COLLECTOR.append(GarbageCollector(interval=1.0))
    gc.disable()  # (again: whoever turned it back on since)

"""Test settings: Qt offscreen, and shared fixtures."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

# Before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/reference.py


@pytest.fixture(scope="session")
def iris():
    from momentum_lab.engine import load_dataset

    return load_dataset("iris")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def app_style_kept():
    """The application's font and pyqtgraph's colours as each test found them: ``gui.run_gui``
    (a ``gui --screenshot`` test, say) sets them for good, and a test after it built its windows
    in a larger font (the walk and a side view's test passed alone and failed after test_gui)."""
    widgets = sys.modules.get("PySide6.QtWidgets")  # (no Qt imported for the engine's tests)
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is None:
        yield
        return
    import pyqtgraph as pg
    from PySide6.QtGui import QFont

    font = QFont(app.font())
    options = {key: pg.getConfigOption(key) for key in ("antialias", "background", "foreground")}
    yield
    app.setFont(font)
    pg.setConfigOptions(**options)


@pytest.fixture(autouse=True)
def no_dangling_qthreads(request, monkeypatch):
    """Fail a test that leaves a QThread running ("QThread: Destroyed while thread is still running"
    aborts the process later, far from its cause).

    Afterwards, with every thread stopped, collect the test's garbage (windows in reference
    cycles): left to a later collection, it is freed while another test's threads run.
    """
    if "qtbot" not in request.fixturenames:
        # (Once a window's controller has run, the automatic collection is off: see _qt/_gc. A
        # test with no Qt thread may have it, so that the engine's tests are collected as ever.)
        automatic = gc.isenabled()
        gc.enable()
        yield
        if not automatic:
            gc.disable()
        if request.module.__name__.endswith("test_gui"):
            gc.collect()
        return
    from PySide6.QtCore import QThread

    started: list = []
    original = QThread.start

    def start(self, *args, **kwargs):
        started.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield
    running = [t for t in started if t.isRunning()]
    for thread in running:  # clean up, so one failure does not abort the whole run
        thread.quit()
        thread.wait(10_000)
    gc.collect()
    if running:
        pytest.fail(f"{len(running)} QThread(s) still running after the test: "
                    + ", ".join(t.objectName() or repr(t) for t in running))

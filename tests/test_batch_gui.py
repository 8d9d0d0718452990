"""The batch size in the window: offered with the run-restarting options, and a step is an update."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from momentum_lab.engine import Trainer, load_dataset
from momentum_lab._qt.controller import RunConfig, RunController
from momentum_lab._qt.window import MainWindow

TIMEOUT = 60_000  # ms (a loaded machine)


@pytest.fixture(scope="module", autouse=True)
def kernel_ready():
    """The Iris kernel compiled (or loaded) in the main thread before the worker's thread runs it."""
    import momentum_lab as ml

    ml.train("iris", epochs=1)


@pytest.fixture
def window(qtbot, monkeypatch):
    for kind in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, lambda *a, **k: QMessageBox.StandardButton.Ok)
    windows: list[MainWindow] = []

    def opener(config: RunConfig | None = None) -> MainWindow:
        w = MainWindow(RunController(config or RunConfig()))
        windows.append(w)
        w.resize(1280, 800)
        w.show()
        qtbot.waitUntil(lambda: w.controller.latest is not None, timeout=TIMEOUT)
        return w

    yield opener
    for w in windows:
        w.close()


def test_the_batch_box_starts_a_new_run_and_an_epoch_step_is_its_updates(qtbot, window):
    w = window()
    c = w.controller
    box = w.panel.batch
    assert box.value() == 1 and box.parent() is not None
    assert w.panel.structure.isAncestorOf(box)  # with the options whose change starts a new run
    assert "new run" in box.toolTip()
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT) as blocker:
        box.setValue(7)
    assert blocker.args == ["new run: batch size 7"]
    assert c.config.batch_size == 7 and c.steps_per_epoch == 18 and c.latest.step == 0
    # The speed counts updates: of 7 items each now (online, an update is an item).
    c.set_speed(100)
    qtbot.waitUntil(lambda: w.panel.speed.label.text() == "100 updates/s", timeout=TIMEOUT)
    c.set_speed(float("inf"))
    qtbot.keyClick(w, Qt.Key.Key_N)  # one update of 7 items
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    assert c.latest.position == 7
    qtbot.keyClick(w, Qt.Key.Key_E)  # the rest of the epoch: 17 updates
    qtbot.waitUntil(lambda: c.latest.epoch == 1, timeout=TIMEOUT)
    assert c.latest.step == 18 and c.latest.position == 0
    engine = Trainer(load_dataset("iris"), c.config)
    expected = engine.run(18).rows
    np.testing.assert_array_equal(c.latest.params, engine.params)
    np.testing.assert_array_equal(c.history.rows[1], expected[0])


def test_full_is_the_box_below_one_and_the_epoch_limit_counts_its_updates(qtbot, window):
    w = window(RunConfig(batch_size="full"))
    c = w.controller
    box = w.panel.batch
    assert box.value() == 0 and box.text() == "full"
    c.set_max_epochs(5)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    assert c.latest.epoch == 5 and c.latest.step == 5  # one update an epoch
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        box.setValue(1)
    assert c.config.batch_size == 1 and c.steps_per_epoch == c.dataset.n_train
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        box.setValue(0)
    assert c.config.batch_size == "full" and box.text() == "full"


def test_a_change_marker_stands_at_the_epoch_of_its_update(qtbot, window):
    """With batches of 8, 15 updates make an Iris epoch: an lr change after 2 epochs is marked at
    epoch 2 (at update 30 / 120 items an epoch it stood at epoch 0.25)."""
    w = window(RunConfig(batch_size=8))
    c = w.controller
    assert c.steps_per_epoch == 15
    c.set_max_epochs(2)
    c.set_speed(float("inf"))
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    c.set_lr(0.05)
    c.set_max_epochs(3)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    w.refresh()
    qtbot.waitUntil(lambda: len(w.curves._mark_items) > 0, timeout=TIMEOUT)
    assert {line.value() for line in w.curves._mark_items} == {2.0}

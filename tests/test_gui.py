"""The window and its worker, driven as a person would (pytest-qt, offscreen)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from momentum_lab.cli import main
from momentum_lab.engine import Trainer, load_dataset
from momentum_lab._qt.controller import LaneSettings, RunConfig, RunController
from momentum_lab._qt.plots import TRAIN
from momentum_lab._qt.widgets import LearningRateSpinBox, MomentumSpinBox
from momentum_lab._qt.window import SHORTCUTS, MainWindow

TIMEOUT = 60_000  # ms: a new network shape may compile its kernel (5 s alone, 20 s and more on a loaded machine)


@pytest.fixture(scope="module", autouse=True)
def kernels_ready():
    """Compile (or load) the kernels the window uses here, in the main thread, before tests
    start threads. Twice a full run crashed (SIGSEGV) while a kernel compiled for the first
    time in the worker's or the sweep's thread and the main thread was busy elsewhere; the
    compile in a thread is by design, but the tests need not stand on it in every case."""
    import momentum_lab as ml

    ml.train("iris", epochs=1)
    ml.sweep("iris", lr=(0.01, 0.1, 2), momentum=(0.0, 0.5, 2), epochs=1)


@pytest.fixture
def dialogs(monkeypatch):
    """Message boxes are modal; record them instead of showing them."""
    shown: list[tuple[str, str]] = []

    def record(kind):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, text))
            return QMessageBox.StandardButton.Ok

        return box

    for kind in ("warning", "information", "critical", "about"):
        monkeypatch.setattr(QMessageBox, kind, record(kind))
    return shown


@pytest.fixture
def open_window(qtbot, dialogs):
    """Opens windows and keeps them until teardown, then closes them (closeEvent stops the thread).

    pytest-qt keeps only weak references: a window nobody holds would be deleted
    without a closeEvent, its training thread still running.
    """
    windows: list[MainWindow] = []

    def opener(config: RunConfig | None = None, size=(1280, 800)) -> MainWindow:
        controller = RunController(config or RunConfig())
        window = MainWindow(controller)
        windows.append(window)
        window.resize(*size)
        window.show()
        qtbot.waitUntil(lambda: controller.latest is not None, timeout=TIMEOUT)
        return window

    yield opener
    for window in windows:
        window.close()


def run_gui_and_look(monkeypatch, settings_path, look, size=(900, 600), **options) -> int:
    """gui.run_gui, interactive, its remembered settings in the file ``settings_path``; ``look(window)``
    once its run is on show, then the window is closed. Returns run_gui's status; what ``look``
    raised is raised here, once the window has closed."""
    from PySide6 import QtCore
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from momentum_lab._qt import gui

    class TempSettings(QSettings):
        def __init__(self, *args) -> None:
            super().__init__(str(settings_path), QSettings.Format.IniFormat)

    monkeypatch.setattr(QtCore, "QSettings", TempSettings)
    failures: list[BaseException] = []

    def poll() -> None:
        windows = [x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow) and x.isVisible()]
        if windows and windows[0].controller.latest is not None and not windows[0].controller.busy:
            timer.stop()
            try:
                look(windows[0])
            except BaseException as exc:  # noqa: BLE001 (raised once the window has closed)
                failures.append(exc)
            windows[0].close()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    try:  # (run_gui styles the application for good: conftest's app_style_kept puts it back)
        code = gui.run_gui(RunConfig(), remember=True, restore_options=True, size=size, **options)
    finally:
        timer.stop()
    if failures:
        raise failures[0]
    return code


def same_trainer(controller: RunController) -> Trainer:
    """An independent trainer with the window's options: what the engine alone does."""
    cfg = controller.config
    return Trainer(load_dataset(cfg.dataset, **cfg.dataset_options()), cfg)


def test_the_window_opens_on_iris_paused_at_epoch_zero(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    assert c.state == "paused" and c.latest.step == 0
    assert c.dataset.name == "iris" and c.layout.n_params == 59
    assert len(c.history) == 1 and c.history.rows[0, 0] == 0
    assert w.windowTitle().startswith("Momentum Lab — iris")
    assert w.panel.lr.value() == 0.01 and w.panel.momentum.value() == 0.5
    # The list of weights fills at the delta views' first redraw (the window's clock).
    qtbot.waitUntil(lambda: w.delta_panel.weights.count() == 59, timeout=TIMEOUT)
    assert dialogs == []


def test_step_item_changes_each_weight_by_exactly_the_engines_step(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    engine = same_trainer(c)
    np.testing.assert_array_equal(c.latest.params, engine.params)
    qtbot.mouseClick(w.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    deltas = np.empty((1, engine.layout.n_params))
    engine.run(1, deltas)
    np.testing.assert_array_equal(c.latest.params, engine.params)
    steps, recorded = c.deltas.latest()
    assert steps.tolist() == [1]
    np.testing.assert_array_equal(recorded[0], deltas[0])


def test_step_epoch_and_the_history_row(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    qtbot.keyClick(w, Qt.Key.Key_N)  # one item first: the epoch step finishes the epoch
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: c.latest.epoch == 1, timeout=TIMEOUT)
    assert c.latest.step == c.dataset.n_train and c.latest.position == 0
    engine = same_trainer(c)
    expected = engine.run(c.dataset.n_train).rows
    np.testing.assert_array_equal(c.history.rows[1], expected[0])
    np.testing.assert_array_equal(c.latest.params, engine.params)


def test_start_and_pause(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "running"):
        qtbot.mouseClick(w.panel.start_button, Qt.MouseButton.LeftButton)
    assert w.panel.start_button.text() == "Pause"
    qtbot.waitUntil(lambda: c.latest.epoch >= 5, timeout=TIMEOUT)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "paused"):
        qtbot.keyClick(w, Qt.Key.Key_Space)
    paused_at = c.latest.step
    # Paused means paused: one step from here is exactly one more.
    c.step_item()
    qtbot.waitUntil(lambda: c.latest.step != paused_at, timeout=TIMEOUT)
    assert c.latest.step == paused_at + 1
    assert w.panel.start_button.text() == "Start"


def test_a_spin_box_change_reaches_the_running_worker_and_shows_on_the_curve(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.start()
    qtbot.waitUntil(lambda: c.latest.epoch >= 3, timeout=TIMEOUT)
    w.panel.lr.setValue(0.1)  # as the user's Enter or arrow does: valueChanged
    qtbot.waitUntil(lambda: any(m.label() == "lr 0.01 → 0.1" for m in c.marks), timeout=TIMEOUT)
    mark = next(m for m in c.marks if m.setting == "lr")
    mark_epoch = mark.step / c.dataset.n_train
    qtbot.waitUntil(lambda: c.history.latest_row[0] >= math.ceil(mark_epoch) + 1, timeout=TIMEOUT)
    rows = c.history.rows
    assert np.all(rows[rows[:, 0] > mark_epoch + 1, 5] == 0.1)  # epochs after the change ran at 0.1
    assert np.all(rows[(rows[:, 0] > 0) & (rows[:, 0] < mark_epoch), 5] == 0.01)
    w.refresh()
    labels = [item.toPlainText() for item in w.curves._mark_labels]
    assert "lr 0.01 → 0.1" in labels
    w.panel.momentum.setValue(0.9)
    qtbot.waitUntil(lambda: any(m.label() == "momentum 0.5 → 0.9" for m in c.marks), timeout=TIMEOUT)


def test_keyboard_shortcuts_step_the_spin_boxes(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    qtbot.keyClick(w, Qt.Key.Key_BracketRight)
    assert w.panel.lr.value() == 0.02
    qtbot.waitUntil(lambda: c.latest.lr == 0.02, timeout=TIMEOUT)
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)
    assert w.panel.lr.value() == 0.005
    qtbot.keyClick(w, Qt.Key.Key_Apostrophe)
    assert w.panel.momentum.value() == pytest.approx(0.55)
    qtbot.keyClick(w, Qt.Key.Key_Semicolon)
    assert w.panel.momentum.value() == pytest.approx(0.5)
    assert w.curves.log_scale.isChecked()
    qtbot.keyClick(w, Qt.Key.Key_L)
    assert not w.curves.log_scale.isChecked()
    keys = {k for k, _ in SHORTCUTS}
    assert {"Space", "N", "E", "R", "]", "[", "'", ";", "L", "F1"} <= keys
    assert "&Keyboard shortcuts" in [a.text() for a in w.help_menu.actions()]


def test_learning_rate_spin_box_steps_across_decades_and_keeps_typed_values(qtbot):
    box = LearningRateSpinBox()
    qtbot.addWidget(box)
    box.setValue(0.001)
    seen = []
    for _ in range(6):
        box.stepBy(1)
        seen.append(box.value())
    assert seen == [0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
    box.stepBy(-3)
    assert box.value() == 0.01
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0.0123")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 0.0123 and box.text() == "0.0123"
    box.stepBy(1)
    assert box.value() == 0.02  # from a typed value, up to the next 1-2-5 step
    box.setValue(0.0)
    box.stepBy(1)
    assert 0 < box.value() <= 1e-6


def test_momentum_spin_box_range_and_fine_steps_near_one(qtbot):
    box = MomentumSpinBox()
    qtbot.addWidget(box)
    box.setValue(0.85)
    box.stepBy(1)
    assert box.value() == pytest.approx(0.9)
    box.stepBy(1)
    assert box.value() == pytest.approx(0.91)
    box.setValue(0.999)
    box.stepBy(5)
    assert box.value() == pytest.approx(0.999)
    box.setValue(0.02)
    box.stepBy(-1)
    assert box.value() == 0.0


def test_reset_returns_to_the_same_initial_weights(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    initial = c.latest.params.copy()
    c.step_items(300)
    qtbot.waitUntil(lambda: c.latest.step == 300, timeout=TIMEOUT)
    first_run = c.history.rows.copy()
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        qtbot.keyClick(w, Qt.Key.Key_R)
    assert c.latest.step == 0 and len(c.history) == 1
    np.testing.assert_array_equal(c.latest.params, initial)
    c.step_items(300)
    qtbot.waitUntil(lambda: c.latest.step == 300, timeout=TIMEOUT)
    np.testing.assert_array_equal(c.history.rows, first_run)


def test_a_structural_change_starts_a_new_run_and_says_so(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.step_items(50)
    qtbot.waitUntil(lambda: c.latest.step == 50, timeout=TIMEOUT)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT) as blocker:
        w.panel.hidden.setValue(5)
    assert blocker.args == ["new run: hidden 5"]
    w.refresh()
    assert c.layout.n_hidden == 5 and c.latest.step == 0 and c.latest.params.size == 4 * 5 + 5 + 5 * 3 + 3
    assert w.delta_panel.weights.count() == c.layout.n_params
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        w.panel.rule.setCurrentIndex(1)
        w.panel.rule.activated.emit(1)
    assert c.config.rule == "classical"
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        w.panel.dataset.setCurrentText("xor")
        w.panel.dataset.activated.emit(w.panel.dataset.currentIndex())
    assert c.dataset.name == "xor" and c.layout.n_inputs == 2
    w.refresh()
    assert w.regions.image.image is not None  # 2-D data: the regions are drawn


def test_a_bad_csv_shows_a_dialog_and_keeps_the_current_run(qtbot, open_window, dialogs, tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops,y\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), "CSV files (*.csv)"))
    w = open_window()
    c = w.controller
    c.step_items(10)
    qtbot.waitUntil(lambda: c.latest.step == 10, timeout=TIMEOUT)
    run_id = c.run_id
    w.findChildren(type(w.menuBar().actions()[0]))  # the File menu exists
    with qtbot.waitSignal(c.config_restored, timeout=TIMEOUT):
        w._on_open_csv()  # the file is read in the background
    assert len(dialogs) == 1
    kind, text = dialogs[0]
    assert kind == "warning" and "bad.csv, line 3, column 2 (b): 'oops' is not a number" in text
    assert c.run_id == run_id and c.config.dataset == "iris" and c.latest.step == 10
    assert w.panel.dataset.currentText() == "iris"


def test_divergence_stops_training_with_a_banner(qtbot, open_window, dialogs):
    config = RunConfig(rule="classical", lr=0.3, momentum=0.9, weight_limit=30.0)
    w = open_window(config)
    c = w.controller
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "diverged"):
        c.start()
    d = c.latest.divergence
    assert d is not None and "passed the limit 30" in d.reason
    assert w.banner.isVisibleTo(w) and f"Diverged during epoch {d.epoch}" in w.banner.text()
    assert not w.panel.start_button.isEnabled()
    assert len(c.history) == d.epoch  # the curves keep every completed epoch


def test_an_epoch_limit_finishes_exactly_there(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.set_max_epochs(4)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    assert c.latest.epoch == 4 and c.latest.step == 4 * c.dataset.n_train
    assert c.history.rows[-1, 0] == 4


def test_slow_motion_sends_every_step(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.set_speed(200)
    w.panel.speed.set_speed(200)
    assert w.panel.speed.label.text() == "200 items/s"
    c.start()
    qtbot.waitUntil(lambda: c.latest.step >= 60, timeout=TIMEOUT)
    c.pause()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    steps, _ = c.deltas.latest()
    np.testing.assert_array_equal(steps, np.arange(1, c.latest.step + 1))


def test_a_configuration_the_worker_refuses_keeps_the_run_on_show(qtbot, open_window, dialogs, tmp_path):
    """Initial weights for 7 hidden units; asking for 8 fails in the worker, not before."""
    weights = tmp_path / "w.npz"
    np.savez(weights, **Trainer(load_dataset("iris")).weights())
    w = open_window(RunConfig(init_weights=str(weights)))
    c = w.controller
    c.step_items(25)
    qtbot.waitUntil(lambda: c.latest.step == 25, timeout=TIMEOUT)
    run_id, history = c.run_id, c.history.rows.copy()
    with qtbot.waitSignal(c.config_restored, timeout=TIMEOUT):
        c.apply(hidden=8)
    assert dialogs and "ih_weights has shape (4, 7), the network needs (4, 8)" in dialogs[-1][1]
    assert c.run_id == run_id and c.config.hidden == 7 and c.wanted_config.hidden == 7
    np.testing.assert_array_equal(c.history.rows, history)
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    c.step_items(5)  # the old run goes on, exactly
    qtbot.waitUntil(lambda: c.latest.step == 30, timeout=TIMEOUT)
    assert w.panel.hidden.value() == 7


def test_closing_while_a_new_shape_compiles_is_clean(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.apply(hidden=13)  # a shape no other test uses: the worker may be compiling it
    w.close()
    assert not c.thread.isRunning()


def test_shortcuts_work_after_typing_in_a_spin_box(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    box = w.panel.lr
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0.03")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 0.03 and not box.hasFocus()
    qtbot.keyClick(w, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    assert box.value() == 0.03 and c.latest.lr == 0.03


def test_closing_during_training_is_clean(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.start()
    qtbot.waitUntil(lambda: c.latest.step > 1000, timeout=TIMEOUT)
    w.close()
    assert not c.thread.isRunning()
    c.shutdown()  # a second call is harmless


def test_a_long_run_thins_its_history_instead_of_growing(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.start()
    qtbot.waitUntil(lambda: c.latest.epoch >= 3 * c.history.capacity, timeout=60_000)
    c.pause()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    assert c.history.stride >= 2  # it has thinned itself at least once...
    assert c.history.capacity // 2 <= len(c.history) <= c.history.capacity  # ...and kept a full curve
    epochs = c.history.column("epoch")
    assert epochs[0] == 0 and epochs[-1] == c.latest.epoch  # from the start to now
    assert len(c.deltas) == c.deltas.capacity


def test_repaint_stress(qtbot, open_window, dialogs):
    """PySide6 6.12 with pyqtgraph 0.14 aborted within a few hundred repaints; this would catch it."""
    w = open_window(size=(900, 600))
    c = w.controller
    c.start()
    for i in range(1500):
        if i % 10 == 0:
            QCoreApplication.processEvents()  # let batches arrive, as the event loop would
        w.refresh()
        w.curves.loss_view.repaint()
        w.delta_panel.heat_view.repaint()
        w.delta_panel.trace_view.repaint()
        w.network.repaint()
    assert c.latest.step > 0


def count_near(image: QImage, rect, colour: str) -> int:
    """Pixels of ``image`` inside ``rect`` within a small distance of ``colour``."""
    target = QImage(1, 1, QImage.Format.Format_RGB32)
    target.fill(colour)
    c = target.pixelColor(0, 0)
    n = 0
    for x in range(rect.left(), rect.right(), 2):
        for y in range(rect.top(), rect.bottom(), 2):
            p = image.pixelColor(x, y)
            n += abs(p.red() - c.red()) + abs(p.green() - c.green()) + abs(p.blue() - c.blue()) < 60
    return n


def test_a_screenshot_shows_the_error_curves_where_they_belong(qtbot, open_window, dialogs, tmp_path):
    w = open_window(size=(1200, 760))
    c = w.controller
    c.set_max_epochs(20)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    shot = tmp_path / "w.png"
    w.save_screenshot(str(shot))
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1200, 760)
    loss = w.curves.loss_view
    rect = loss.geometry().translated(loss.parentWidget().mapTo(w, loss.geometry().topLeft())
                                      - loss.geometry().topLeft())
    assert count_near(image, rect, TRAIN) > 60  # the train loss curve, in the loss plot (~140 here)
    w.curves.curves[("loss", "train", 0)].hide()
    w.save_screenshot(str(shot))
    assert count_near(QImage(str(shot)), rect, TRAIN) < 10  # without it, next to none


def test_screenshot_mode_trains_live_and_saves_the_window(tmp_path):
    shot = tmp_path / "window.png"
    err = io.StringIO()
    code = main(["gui", "--epochs", "20", "--size", "1200x760", "--screenshot", str(shot)], out=io.StringIO(),
                err=err)
    assert code == 0, err.getvalue()
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1200, 760)
    sample = {image.pixel(x, y) for x in range(0, 1200, 3) for y in range(0, 760, 3)}
    assert len(sample) > 200  # not a blank or flat picture


def test_screenshot_mode_refuses_bad_options(tmp_path):
    for argv, fragment in ((["--lr", "-1"], "--lr"), (["--size", "12"], "--size"),
                           (["--dataset", str(tmp_path / "none.csv")], "none.csv"),
                           (["--epochs", "0"], "--epochs")):
        err = io.StringIO()
        code = main(["gui", *argv, "--screenshot", str(tmp_path / "s.png")], out=io.StringIO(), err=err)
        assert code == 2 and fragment in err.getvalue() and err.getvalue().count("\n") == 1
    assert not (tmp_path / "s.png").exists()


def test_the_stability_readout_is_the_online_one_and_warns_at_a_jump(qtbot, open_window, dialogs):
    from momentum_lab.engine import batch_sharpness, stability_value
    from momentum_lab.engine._network import activation_code, loss_code

    w = open_window(RunConfig(lr=0.01, momentum=0.9))
    c = w.controller
    b = c.latest
    data = c.dataset
    bs = batch_sharpness(b.params, c.layout, activation_code("tanh"), loss_code("cross-entropy"),
                         data.x_train[:500], data.y_train[:500])
    assert b.sharpness == pytest.approx(bs)  # measured in the worker, on the same weights
    expected = stability_value("lookback", 0.01, 0.9, bs)
    assert b.stability == pytest.approx(expected) and expected < 0.5
    w.refresh()
    assert w.status_labels["stability"].text() == f"stable: r {b.stability:.3g}"
    assert w.status_labels["stability"].styleSheet() == ""
    # A learning rate that puts r at 0.7: near the edge, amber.
    w.panel.lr.setValue(0.01 * 0.7 / expected)
    qtbot.waitUntil(lambda: c.latest.lr == pytest.approx(0.01 * 0.7 / expected, rel=1e-3)
                    and c.latest.stability == c.latest.stability, timeout=TIMEOUT)
    w.refresh()
    assert w.status_labels["stability"].text().startswith("⚠ near the edge: r 0.7")
    assert "A15C00" in w.status_labels["stability"].styleSheet()
    # Far beyond: flagged at the change, red, before the loss can show it.
    big = 0.01 * 3 / expected
    w.panel.lr.setValue(big)
    qtbot.waitUntil(lambda: c.latest.lr == pytest.approx(big, rel=1e-3) and c.latest.stability > 1, timeout=TIMEOUT)
    w.refresh()
    assert w.status_labels["stability"].text().startswith("⚠ unstable: r ")
    assert "B00020" in w.status_labels["stability"].styleSheet()


def test_the_stability_readout_of_iris_at_lr_50_is_not_stable(qtbot, open_window, dialogs):
    """A run that thrashes (loss 60 and more, saturated units: every curvature collapses): the
    loss trend takes over and the readout stays red."""
    w = open_window(RunConfig(lr=50.0, momentum=0.5))
    c = w.controller
    c.step_items(12 * c.dataset.n_train)
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= 12, timeout=TIMEOUT)
    assert c.latest.now[1] > 10  # the training loss: it thrashes
    w.refresh()
    text = w.status_labels["stability"].text()
    assert not text.startswith("stable") and text.startswith("⚠ unstable")


def _list_rows(qtbot, window, items: int):
    """The parameter list's rows after ``items`` steps, with each row's sign-flip rate as the list
    computed it (from the deltas the window holds)."""
    from momentum_lab.engine import delta_diagnostics, gradient_steps

    c = window.controller
    c.step_items(items)
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.step == items, timeout=TIMEOUT)
    window.refresh()
    steps, rows = c.deltas.latest()
    cfg = c.config
    rates = delta_diagnostics(rows, gradient_steps(rows, cfg.rule, cfg.momentum))["sign_flip_rate"]
    lw = window.delta_panel.weights
    return [lw.item(i) for i in range(lw.count())], rates


def test_the_sign_flip_tint_is_a_neutral_hue_that_says_it_is_no_warning(qtbot, open_window, dialogs):
    """The list's tint grows with the flip rate, in a pale grey-teal (no warning red); its tooltip
    says what a high rate means. A converged run is tinted more than one that thrashes: the
    saturated units of a thrashing run hardly change sign."""
    from momentum_lab._qt.plots import FLIP_MEANING, FLIP_TINT, flip_tint

    settled = open_window(RunConfig(lr=0.02, momentum=0.5))
    items, rates = _list_rows(qtbot, settled, 24 * 120)  # 24 epochs: the error is about 0.06
    assert len(items) == len(rates) == 59
    for item, rate in zip(items, rates):
        colour = item.background().color()
        assert colour == flip_tint(rate)
        assert colour.red() <= colour.green() and colour.red() <= colour.blue()  # no red in it
        if np.isfinite(rate):
            assert f"changes sign {rate:.0%} of the time, {FLIP_MEANING}" in item.toolTip()
            assert "not a stability warning" in item.toolTip()
    # The hue is the same for every rate: only its strength grows with the rate.
    assert flip_tint(0.0) == QColor("white") and flip_tint(0.5) == FLIP_TINT == flip_tint(0.9)
    order = np.argsort(np.nan_to_num(rates))
    lightness = [items[i].background().color().lightness() for i in order]
    assert lightness == sorted(lightness, reverse=True)
    assert np.nanmedian(rates) > 0.2  # a settled look-back run jitters

    def strength(item):
        return 255 - item.background().color().red()

    thrashing = open_window(RunConfig(lr=50.0, momentum=0.5))
    t_items, t_rates = _list_rows(qtbot, thrashing, 40 * 120)
    assert thrashing.controller.latest.now[1] > 10  # its loss: it thrashes
    assert np.mean([strength(i) for i in t_items]) < 0.5 * np.mean([strength(i) for i in items])


def test_the_tint_comes_when_the_hidden_list_is_shown_again_and_goes_at_a_reset(qtbot, open_window, dialogs):
    """The controls (and the parameter list in them) hidden (F2) while the run goes on a step: shown
    again, the list is tinted for the steps made, without another step; a Reset leaves no tint of
    the run before."""
    w = open_window()
    c = w.controller
    lw = w.delta_panel.weights
    toggle = w.dock.toggleViewAction()  # (F2)
    toggle.trigger()
    assert not lw.isVisible()
    c.step_items(40)
    qtbot.waitUntil(lambda: c.latest.step == 40 and c.revision == w._drawn["deltas"], timeout=TIMEOUT)
    w._redraw("tint")  # (its tick, while the list is out of sight)
    tinted = lambda: any(lw.item(i).background().style() != Qt.BrushStyle.NoBrush for i in range(lw.count()))  # noqa: E731
    assert not tinted()
    toggle.trigger()
    qtbot.waitUntil(tinted, timeout=TIMEOUT)
    assert "changes sign" in lw.item(0).toolTip()
    c.reset()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.step == 0 and not tinted(), timeout=TIMEOUT)
    assert lw.item(0).toolTip() == ""


# -- runs side by side ------------------------------------------------------------------------


def test_adding_a_run_compares_it_from_the_same_start(qtbot, open_window, dialogs):
    w = open_window(RunConfig(momentum=0.9))
    c = w.controller
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        qtbot.mouseClick(w.panel.add_lane_button, Qt.MouseButton.LeftButton)
    assert c.config.compare == (LaneSettings("classical", 0.01, 0.9),)  # the article's rule against classical
    (row,) = w.panel.lane_rows
    assert row.rule.currentData() == "classical" and row.momentum.value() == 0.9
    a, b = c.latest.lanes
    np.testing.assert_array_equal(a.params, b.params)
    c.step_items(3 * c.dataset.n_train)
    qtbot.waitUntil(lambda: c.latest.epoch == 3, timeout=TIMEOUT)
    for lane, rule in zip(c.lanes, ("lookback", "classical")):
        alone = Trainer(load_dataset("iris"), rule=rule, momentum=0.9)
        alone.run(3 * alone.dataset.n_train)
        np.testing.assert_array_equal(lane.latest.params, alone.params)
        assert len(lane.history) == 4
    w.refresh()
    # Both runs drawn on the error plot, each in its colour, named in the legend.
    for lane in (0, 1):
        x, y = w.curves.curves[("loss", "train", lane)].getData()
        assert list(x) == [0, 1, 2, 3]
    names = [label.text for _, label in w.curves.legends["loss"].items]
    assert names[:2] == ["A look-back, lr 0.01, m 0.9", "B classical, lr 0.01, m 0.9"]
    # The same weight's deltas, one trace per run.
    assert [(t.row, t.lane) for t in w.delta_panel.traces] == [(0, 0), (0, 1)]
    assert all(t.getData()[0] is not None and len(t.getData()[0]) for t in w.delta_panel.traces)


def test_each_runs_spin_boxes_stay_live(qtbot, open_window, dialogs):
    w = open_window(RunConfig(compare=(LaneSettings("classical", 0.01, 0.5),)))
    c = w.controller
    c.start()
    (row,) = w.panel.lane_rows
    row.lr.setValue(0.02)
    row.momentum.setValue(0.8)
    qtbot.waitUntil(lambda: c.latest.lanes[1].lr == 0.02 and c.latest.lanes[1].momentum == 0.8,
                    timeout=TIMEOUT)
    run_id = c.run_id
    assert c.latest.lanes[0].lr == 0.01 and c.run_id == run_id  # live: no new run, A untouched
    qtbot.waitUntil(lambda: any(m.run == "B" for m in c.marks), timeout=TIMEOUT)
    assert any(m.label(named=True).startswith("B: lr 0.01 → 0.02") for m in c.marks)
    c.pause()
    # A new rule for B is a new start for both.
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        row.rule.setCurrentIndex(row.rule.findData("nesterov"))
        row.rule.activated.emit(row.rule.currentIndex())
    assert c.config.compare == (LaneSettings("nesterov", 0.02, 0.8),) and c.latest.step == 0


def test_removing_a_run_and_a_divergence_in_one_run(qtbot, open_window, dialogs):
    w = open_window(RunConfig(compare=(LaneSettings("classical", 0.3, 0.9),), weight_limit=30.0))
    c = w.controller
    c.set_max_epochs(30)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "finished"):
        c.start()
    w.refresh()
    assert c.latest.lanes[1].divergence is not None and c.latest.lanes[0].divergence is None
    assert w.banner.isVisibleTo(w) and w.banner.text().startswith("Run B classical, lr 0.3, m 0.9 diverged")
    assert "The other runs go on" in w.banner.text()
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        qtbot.mouseClick(w.panel.lane_rows[0].remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.panel.lane_rows, timeout=TIMEOUT)
    assert c.config.compare == () and len(c.lanes) == 1
    w.refresh()
    assert not w.banner.isVisibleTo(w)
    assert [label.text for _, label in w.curves.legends["loss"].items] == ["train", "test"]


def test_the_gui_compare_option(tmp_path):
    shot = tmp_path / "window.png"
    err = io.StringIO()
    code = main(["gui", "--epochs", "3", "--size", "1000x700", "--compare", "classical:0.02",
                 "--compare", "nesterov", "--screenshot", str(shot)], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    for argv, fragment in ((["--compare", "heavy"], "got 'heavy'"), (["--compare", "classical:x"], "numbers"),
                           (["--compare", "classical:0.1:1.5"], "--compare: "),
                           (["--compare", "nesterov"] * 4, "at most 3")):
        err = io.StringIO()
        code = main(["gui", *argv, "--screenshot", str(tmp_path / "s.png")], out=io.StringIO(), err=err)
        assert code == 2 and fragment in err.getvalue() and err.getvalue().count("\n") == 1, err.getvalue()
    assert not (tmp_path / "s.png").exists()


# -- the sweep and the stability map in the window --------------------------------------------------


def click_cell(qtbot, panel, i: int, j: int) -> None:
    """A left click at the centre of the sweep heatmap's cell (i, j), as a person makes it."""
    from PySide6.QtCore import QPointF

    scene_point = panel.plot.vb.mapViewToScene(QPointF(i + 0.5, j + 0.5))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.mapFromScene(scene_point))


def run_sweep(qtbot, w, lr_n: int, m_n: int, epochs: int):
    """The window's sweep panel in front, set to a grid of ``lr_n`` × ``m_n`` for ``epochs``
    epochs, run to its end; returns the panel."""
    w.views.show("sweep")
    panel = w.sweep_panel
    panel.lr_n.setValue(lr_n)
    panel.m_n.setValue(m_n)
    panel.epochs.setValue(epochs)
    with qtbot.waitSignal(w.sweeps.finished, timeout=60_000):
        panel.run_button.click()
    return panel


def test_a_sweep_in_the_window_and_a_click_replays_its_cell(qtbot, open_window, dialogs):
    from momentum_lab.engine import sweep

    w = open_window(RunConfig(rule="classical", seed=3), size=(1400, 900))
    c = w.controller
    qtbot.keyClick(w, Qt.Key.Key_S)
    panel = w.sweep_panel
    assert w.views.shown("sweep")
    panel.lr_min.setValue(0.01)
    panel.lr_max.setValue(1.0)
    panel.lr_n.setValue(3)
    panel.m_min.setValue(0.0)
    panel.m_max.setValue(0.9)
    panel.m_n.setValue(4)
    panel.epochs.setValue(12)
    with qtbot.waitSignal(w.sweeps.finished, timeout=60_000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    result = w.sweeps.result
    expected = sweep("iris", rule="classical", seed=3, lr=(0.01, 1.0, 3), momentum=(0.0, 0.9, 4), epochs=12,
                     target_loss=0.1)
    np.testing.assert_array_equal(result.final_train_loss, expected.final_train_loss)
    assert panel.run_button.text() == "Run sweep" and "classical" in panel.caption.text()
    # Click the cell at lr 0.1, momentum 0.6: the main run loads it and replays the sweep's 12 epochs,
    # then pauses there.
    run_id = c.run_id
    click_cell(qtbot, panel, 1, 2)
    qtbot.waitUntil(lambda: c.run_id != run_id and c.state == "paused" and c.latest.step == 12 * c.dataset.n_train,
                    timeout=TIMEOUT)
    assert (c.config.lr, c.config.momentum, c.config.rule) == (pytest.approx(0.1), pytest.approx(0.6), "classical")
    assert c.config.lr == result.lrs[1] and c.config.momentum == result.momenta[2]
    assert w.panel.lr.value() == c.config.lr and c.latest.epoch == 12
    assert c.history.rows[-1, 1] == result.final_train_loss[1, 2]  # the very same run
    # After the replay, Start trains on past the sweep's end.
    c.start()
    qtbot.waitUntil(lambda: c.latest.epoch > 12, timeout=TIMEOUT)
    c.pause()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    # Two clicks in a row: the second cell is replayed; an epoch limit set before stays.
    c.set_max_epochs(30)
    run_id = c.run_id
    click_cell(qtbot, panel, 1, 0)
    click_cell(qtbot, panel, 2, 3)
    qtbot.waitUntil(lambda: c.run_id != run_id and not c.busy and c.state == "paused"
                    and c.latest.step == 12 * c.dataset.n_train, timeout=TIMEOUT)
    assert (c.config.lr, c.config.momentum) == (result.lrs[2], result.momenta[3]) and c.latest.epoch == 12
    assert c.max_epochs == 30
    # A cell whose run is replaced by another change before it is ready: that run is not replayed.
    panel.load_cell(0, 0)
    c.apply(hidden=5)
    qtbot.waitUntil(lambda: c.config.hidden == 5 and c.latest is not None, timeout=TIMEOUT)
    assert c.state == "paused" and c.latest.step == 0 and c.max_epochs == 30


def test_a_sweep_can_be_cancelled_and_bad_grids_are_explained(qtbot, open_window, dialogs):
    w = open_window()
    panel = w.sweep_panel
    panel.lr_n.setValue(20)
    panel.m_n.setValue(20)
    panel.epochs.setValue(100_000)  # minutes of work (and within the 2 GiB a sweep may take)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.run_button.text() == "Cancel"
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)  # it is running, the window answers
    with qtbot.waitSignal(w.sweeps.stopped, timeout=TIMEOUT) as stopped:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert stopped.args == ["Sweep cancelled."] and panel.run_button.text() == "Run sweep"
    assert w.sweeps.result is None
    panel.lr_min.setValue(0.5)
    panel.lr_max.setValue(0.1)
    panel.epochs.setValue(5)
    with qtbot.waitSignal(w.sweeps.stopped, timeout=TIMEOUT) as stopped:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert stopped.args == ["--lr: MAX 0.1 is below MIN 0.5"] and panel.caption.text() == stopped.args[0]


def test_the_stability_map_marks_each_run_and_warns_outside(qtbot, open_window, dialogs):
    from momentum_lab.engine import online_bound

    w = open_window(RunConfig(lr=0.01, momentum=0.5, compare=(LaneSettings("classical", 0.01, 0.5),)))
    c = w.controller
    qtbot.keyClick(w, Qt.Key.Key_M)
    assert w.views.shown("stability")
    w.refresh()
    spots = w.stability.points.data
    assert len(spots) == 2
    for spot, lane in zip(spots, c.latest.lanes):  # (online: lr × the batch sharpness)
        assert spot["x"] == pytest.approx(math.log10(lane.lr * lane.sharpness))
        assert spot["y"] == 0.5 and spot["symbol"] == "o"
    assert "inside" in w.stability.note.text
    # Run B's learning rate far past its rule's online edge: its mark turns into a red cross, with a warning.
    big = 1.5 * online_bound("classical", 0.5) / c.latest.lanes[1].sharpness
    w.panel.lane_rows[0].lr.setValue(big)
    qtbot.waitUntil(lambda: c.latest.lanes[1].lr == pytest.approx(big, rel=1e-3) and c.latest.lanes[1].stability > 1,
                    timeout=TIMEOUT)
    w.refresh()
    assert [s["symbol"] for s in w.stability.points.data] == ["o", "x"]
    assert f"outside the stable region (B: r {c.latest.lanes[1].stability:.3g}" in w.stability.note.text
    # The shaded region follows run A's rule.
    assert "look-back" in w.stability.plot.titleLabel.text


def test_new_seed_shows_at_once_in_the_panel(qtbot, open_window, dialogs):
    w = open_window()
    with qtbot.waitSignal(w.controller.run_started, timeout=TIMEOUT):
        qtbot.mouseClick(w.panel.seed_button, Qt.MouseButton.LeftButton)
        assert w.panel.seed.value() == 1  # shown as asked, before the run is ready
    assert w.controller.config.seed == 1

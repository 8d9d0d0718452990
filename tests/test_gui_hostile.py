"""The window against every value the command line accepts: it never aborts, never shows another
value than the run uses, and never locks itself out (pytest-qt, offscreen)."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QFileDialog

import momentum_lab as ml
from momentum_lab._qt import gui
from momentum_lab._qt.controller import LaneSettings, RunConfig, RunController
from momentum_lab._qt.widgets import LearningRateSpinBox, MomentumSpinBox, SpeedControl
from momentum_lab._qt.window import SCHEDULE, MainWindow, remembered_options, saved_config
from momentum_lab._resources import resource_path
from momentum_lab.engine import InputError, Layout, Trainer, load_dataset
from momentum_lab.engine._errors import LoadCancelled
from momentum_lab.engine._options import RANGES

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window, run_gui_and_look  # noqa: F401 (fixtures)

BELOW_ONE = math.nextafter(1.0, 0.0)
SEED_MAX = 2**31 - 1


@pytest.fixture(scope="module", autouse=True)
def extreme_kernels_ready(kernels_ready):  # noqa: F811 (the fixture imported above)
    """The network shapes used here compiled in the main thread first (see kernels_ready)."""
    iris = load_dataset("iris")
    xor = load_dataset("xor")
    for data, hidden in ((iris, 1), (iris, 1000), (xor, 1000), (xor, 7)):
        Trainer(data, hidden=hidden).run(2)


def wait_ready(qtbot, c: RunController) -> None:
    """Until the run asked for last is the one on show."""
    qtbot.waitUntil(lambda: not c.busy and c.latest is not None, timeout=TIMEOUT)


# -- 1. one range per option: the boxes hold exactly what the run uses --------------------------


def test_every_box_takes_its_range_from_the_one_table(qtbot, open_window):
    w = open_window(RunConfig(compare=(LaneSettings("classical", 0.01, 0.5),)))
    p = w.panel
    lanes = [p.lr, p.momentum, p.lane_rows[0].lr, p.lane_rows[0].momentum]
    for box in lanes[::2]:
        assert (box.minimum(), box.maximum()) == (RANGES["lr"].widget_low, RANGES["lr"].widget_high) == (0.0, 1e6)
    for box in lanes[1::2]:
        assert (box.minimum(), box.maximum()) == (0.0, RANGES["momentum"].widget_high) == (0.0, BELOW_ONE)
    assert (p.hidden.minimum(), p.hidden.maximum()) == (1, 1000)
    assert (p.seed.minimum(), p.seed.maximum()) == (0, SEED_MAX)


LR_EXTREMES = [0.0, 1e-13, 1e6, 250.0, 5e-324, 1e-310, 0.1 + 0.2]
MOMENTUM_EXTREMES = [0.0, 0.9995, 0.999999, BELOW_ONE, 0.1 + 0.2]


@pytest.mark.parametrize("lr", LR_EXTREMES)
def test_an_extreme_learning_rate_is_shown_and_used_exactly(qtbot, open_window, lr):
    w = open_window(RunConfig(lr=lr))
    c = w.controller
    assert w.panel.lr.value() == lr and float(w.panel.lr.text()) == lr
    assert c.config.lr == lr and c.latest.lr == lr and c.start_config.lr == lr  # the worker's trainer


@pytest.mark.parametrize("momentum", MOMENTUM_EXTREMES)
def test_an_extreme_momentum_is_shown_and_used_exactly(qtbot, open_window, momentum):
    w = open_window(RunConfig(momentum=momentum))
    c = w.controller
    assert w.panel.momentum.value() == momentum and float(w.panel.momentum.text()) == momentum
    assert c.config.momentum == momentum and c.latest.momentum == momentum


@pytest.mark.parametrize(("hidden", "seed"), [(1, 0), (1000, SEED_MAX)])
def test_extreme_hidden_units_and_seeds_are_shown_and_used_exactly(qtbot, open_window, hidden, seed):
    w = open_window(RunConfig(hidden=hidden, seed=seed))
    c = w.controller
    assert w.panel.hidden.value() == hidden and c.config.hidden == hidden and c.layout.n_hidden == hidden
    assert w.panel.seed.value() == seed and c.config.seed == seed
    engine = Trainer(load_dataset("iris"), hidden=hidden, seed=seed)
    assert c.latest.params.size == Layout(4, hidden, 3).n_params
    np.testing.assert_array_equal(c.latest.params, engine.params)  # the worker's run is that one
    assert not w.panel._hidden_timer.isActive()  # showing the value did not ask for another run
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        qtbot.mouseClick(w.panel.seed_button, Qt.MouseButton.LeftButton)
    assert c.config.seed == w.panel.seed.value() == (seed + 1 if seed < SEED_MAX else 0)


def test_compare_lanes_at_extremes_are_shown_and_used_exactly(qtbot, open_window):
    lanes = (LaneSettings("classical", 1e-13, 0.9995), LaneSettings("nesterov", 1e6, BELOW_ONE),
             LaneSettings("lookback", 5e-324, 0.999999))
    w = open_window(RunConfig(lr=250.0, momentum=0.0, compare=lanes))
    c = w.controller
    for i, settings in enumerate((LaneSettings("lookback", 250.0, 0.0), *lanes)):
        report = c.latest.lanes[i]
        shown = c.config.lanes[i]
        assert (report.lr, report.momentum) == (settings.lr, settings.momentum) == (shown.lr, shown.momentum)
        if i:
            row = w.panel.lane_rows[i - 1]
            assert (row.lr.value(), row.momentum.value()) == (settings.lr, settings.momentum)
            assert float(row.lr.text()) == settings.lr and float(row.momentum.text()) == settings.momentum


def test_typed_values_reach_the_run_exactly(qtbot, open_window):
    w = open_window()
    c = w.controller
    for box, text, value, read in ((w.panel.lr, "1e-310", 1e-310, lambda: c.latest.lr),
                                   (w.panel.momentum, "0.9999999999999999", BELOW_ONE, lambda: c.latest.momentum),
                                   (w.panel.lr, "1000000", 1e6, lambda: c.latest.lr),
                                   (w.panel.momentum, "0.9995", 0.9995, lambda: c.latest.momentum)):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), text)
        qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
        assert box.value() == value
        qtbot.waitUntil(lambda: read() == value, timeout=TIMEOUT)
    assert (c.config.lr, c.config.momentum) == (1e6, 0.9995)
    # Beyond the range: refused as typed, the value stays.
    box = w.panel.momentum
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "1")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 0.9995


def test_the_momentum_arrows_step_as_before_and_never_lower_a_value_above_them(qtbot):
    box = MomentumSpinBox()
    qtbot.addWidget(box)
    for start, steps, expected in ((0.85, 1, 0.9), (0.9, 1, 0.91), (0.99, 5, 0.999), (0.02, -1, 0.0),
                                   (0.5, 1, 0.55), (0.55, -1, 0.5), (0.999, 1, 0.999)):
        box.setValue(start)
        box.stepBy(steps)
        assert box.value() == pytest.approx(expected), (start, steps)
    for high in (0.9995, 0.999999, BELOW_ONE):
        box.setValue(high)
        box.stepBy(1)
        assert box.value() == high  # up: nothing above the arrows' range
        assert not box.stepEnabled() & box.StepEnabledFlag.StepUpEnabled
        box.stepBy(-1)
        assert box.value() == 0.99  # down: into the arrows' range, as from 0.999
    box.setValue(0.0)
    assert not box.stepEnabled() & box.StepEnabledFlag.StepDownEnabled


def test_the_learning_rate_arrows_stay_inside_the_range(qtbot):
    box = LearningRateSpinBox()
    qtbot.addWidget(box)
    box.setValue(1e6)
    box.stepBy(1)
    assert box.value() == 1e6
    box.setValue(250.0)
    box.stepBy(1)
    assert box.value() == 500.0
    box.setValue(5e-324)
    assert box.value() == 5e-324 and box.text() == "5e-324"
    box.stepBy(1)
    assert 5e-324 < box.value() < 1e-300


def test_the_speed_label_says_the_speed_the_run_uses(qtbot):
    control = SpeedControl()
    qtbot.addWidget(control)
    for speed, text in ((3.0, "3 items/s"), (1.0, "1 item/s"), (0.25, "0.25 items/s"), (1500.0, "1.5k items/s"),
                        (1e300, "1e+300 items/s"), (math.inf, "flat out"), (5e-324, "5e-324 items/s")):
        control.set_speed(speed)
        assert control.label.text() == text and control.speed() == speed


# -- 2. nothing raised while the window is built leaves a thread running -------------------------


def test_a_failure_while_the_window_is_built_stops_the_thread_before_it_propagates(qtbot, monkeypatch, dialogs):
    c = RunController(RunConfig())
    assert c.thread.isRunning()

    def broken(self):
        raise RuntimeError("a view could not be built")

    monkeypatch.setattr(MainWindow, "_build_shortcuts", broken)
    with pytest.raises(RuntimeError, match="a view could not be built"):
        MainWindow(c)
    assert not c.thread.isRunning()


def test_a_controller_that_fails_to_launch_never_starts_its_thread(qtbot, monkeypatch):
    started = []
    monkeypatch.setattr(RunController, "_send", lambda self, *a, **k: (started.append(self.thread),
                                                                        1 / 0))
    with pytest.raises(ZeroDivisionError):
        RunController(RunConfig())
    assert started and not started[0].isRunning()


@pytest.mark.parametrize("where", ["window", "setup"])
def test_a_failure_in_run_gui_propagates_cleanly(qtbot, monkeypatch, tmp_path, where):
    def broken(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    if where == "window":
        monkeypatch.setattr(MainWindow, "_restore_settings", broken)
    else:
        monkeypatch.setattr(MainWindow, "set_lecture_mode", broken)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(RuntimeError, match="broken on purpose"):
        gui.run_gui(RunConfig(), screenshot=str(tmp_path / "s.png"), epochs=1, lecture=True, err=io.StringIO())
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # given back
    assert not (tmp_path / "s.png").exists()
    # (no_dangling_qthreads checks that every thread started here has stopped)


# -- 3. remembered options are checked like the command line's ----------------------------------


def _settings(tmp_path, **values) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.clear()
    for key, value in values.items():
        settings.setValue(key, value)
    settings.sync()
    return settings


def _options(**fields) -> str:
    data = ml.Scenario(RunConfig()).to_dict()
    data.update(fields)
    return json.dumps(data)


def _bad_options(tmp_path) -> dict[str, object]:
    fifo = tmp_path / "pipe.csv"
    if not fifo.exists():
        os.mkfifo(fifo)
    return {
        "seed 1e300 (a number)": _options(seed=1e300),
        "seed 1e300 (a text)": _options(seed="1e300"),
        "hidden 10**9": _options(hidden=10**9),
        "a data set since moved": _options(dataset=str(tmp_path / "gone.csv")),
        "a FIFO as data set": _options(dataset=str(fifo)),
        "a list": ["a", "b"],
        "a number": 42,
        "not JSON": "{seed: 1",
        "JSON, not an object": "[1, 2]",
        "deeply nested JSON": "[" * 100_000 + "]" * 100_000,
        "an unknown key": _options(flavour="mint"),
        "lr NaN": _options(lr=float("nan")),
        "momentum 1": _options(momentum=1.0),
        "compare garbage": _options(compare=[{"rule": "classical", "lr": "fast"}]),
        "bytes": QtCore.QByteArray(b"\x00\xff"),
    }


def test_remembered_options_that_fail_are_dropped_with_their_reason(qtbot, tmp_path):
    for what, raw in _bad_options(tmp_path).items():
        settings = _settings(tmp_path, options=raw, speed="2.5")
        remembered = remembered_options(settings)
        assert remembered.config is None, what
        assert remembered.speed == 2.5
        (problem,) = remembered.problems
        assert problem.startswith("the remembered options could not be used: ") and "\n" not in problem, what
        assert problem.endswith("; opened with the defaults"), what
        assert settings.value("options") is None  # forgotten: the next launch does not try again
        assert saved_config(_settings(tmp_path, options=raw)) == (None, None)


def test_remembered_speeds_that_fail_are_dropped(qtbot, tmp_path):
    for raw in ("fast", "nan", "-1", "0", ["1", "2"], QtCore.QByteArray(b"1")):
        remembered = remembered_options(_settings(tmp_path, speed=raw, options=_options(hidden=5)))
        assert remembered.config.hidden == 5 and remembered.speed is None, raw
        assert len(remembered.problems) == 1 and "speed" in remembered.problems[0]
    assert remembered_options(_settings(tmp_path, speed="inf")).speed == math.inf


def test_good_remembered_options_come_with_their_data(qtbot, tmp_path):
    remembered = remembered_options(_settings(tmp_path, options=_options(hidden=5, seed=SEED_MAX, lr=1e-13)))
    assert (remembered.config.hidden, remembered.config.seed, remembered.config.lr) == (5, SEED_MAX, 1e-13)
    assert remembered.dataset.name == "iris" and remembered.problems == []


def test_damaged_layout_settings_never_stop_the_window(qtbot, tmp_path, dialogs):
    settings = _settings(tmp_path, geometry="garbage", window_state=QtCore.QByteArray(b"\x00" * 50),
                         splitters="[[1e400, -5], [10, 10]]", recent_files="{\"a\": 1}", log_scale=["x"])
    for splitters, recent in (("[[1e400]]", "42"), ("[[99999999999999999999, 1]]", "[\"\\u0000\"]"),
                              ("{", "[null, 3]")):
        settings.setValue("splitters", splitters)
        settings.setValue("recent_files", recent)
        c = RunController(RunConfig())
        w = MainWindow(c, settings=settings)
        try:
            w.show()
            wait_ready(qtbot, c)
            assert w.recent == []
        finally:
            w.close()
    assert dialogs == []


def _run_gui_and_read_the_status_bar(qtbot, monkeypatch, tmp_path, settings_path) -> tuple[int, str]:
    """run_gui, interactive, with its remembered settings in ``settings_path``; closed once its run
    is on show. Returns its status and the status bar's message then."""
    seen: list[str] = []
    code = run_gui_and_look(monkeypatch, settings_path, lambda w: seen.append(w.statusBar().currentMessage()),
                            size=(800, 500))
    return code, seen[0]


def test_run_gui_opens_with_the_defaults_and_says_why_when_the_remembered_options_fail(qtbot, monkeypatch,
                                                                                       tmp_path, dialogs):
    path = tmp_path / "remembered.ini"
    for what, raw in list(_bad_options(tmp_path).items())[:6]:
        _settings(tmp_path, options=raw).sync()
        (tmp_path / "settings.ini").replace(path)
        code, message = _run_gui_and_read_the_status_bar(qtbot, monkeypatch, tmp_path, path)
        assert code == 0
        assert message.startswith("The remembered options could not be used: "), (what, message)
        assert message.endswith("; opened with the defaults")
        saved = QSettings(str(path), QSettings.Format.IniFormat)
        assert saved_config(saved)[0] == RunConfig()  # the defaults it opened with, next time
    assert dialogs == []


def test_a_configuration_the_worker_refused_is_not_remembered(qtbot, tmp_path, dialogs):
    weights = tmp_path / "w.npz"
    np.savez(weights, **Trainer(load_dataset("iris"), hidden=6).weights())
    settings = _settings(tmp_path, options=_options(hidden=5))
    refused = RunConfig(init_weights=str(weights))  # for 6 hidden units, the run has 7
    for recover in (False, True):
        dialogs.clear()
        c = RunController(refused)
        w = MainWindow(c, settings=settings)
        w.show()
        qtbot.waitUntil(lambda: bool(dialogs), timeout=TIMEOUT)
        assert c.latest is None and "ih_weights" in dialogs[0][1]
        if recover:  # not locked out: another configuration runs, and is remembered
            with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
                c.apply(init_weights=None)
        w.close()
        assert saved_config(settings)[0] == (RunConfig() if recover else RunConfig(hidden=5))


def test_a_lessons_settings_are_not_remembered(qtbot, tmp_path, dialogs):
    settings = _settings(tmp_path, options=_options(hidden=5), speed="20.0")
    c = RunController(RunConfig(hidden=5))
    w = MainWindow(c, settings=settings)
    w.show()
    wait_ready(qtbot, c)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        assert w.open_lesson(0)
    wait_ready(qtbot, c)
    assert c.origin == "lesson"
    w.close()
    assert saved_config(settings) == (RunConfig(hidden=5), 20.0)


def test_a_scenario_the_worker_refuses_is_not_remembered_and_the_next_launch_opens(qtbot, tmp_path, dialogs):
    scenario = tmp_path / "huge.json"
    data = ml.Scenario(RunConfig()).to_dict()
    data["hidden"] = 5000
    scenario.write_text(json.dumps(data))
    settings = _settings(tmp_path, options=_options(hidden=5))
    c = RunController(RunConfig(hidden=5))
    w = MainWindow(c, settings=settings)
    w.show()
    wait_ready(qtbot, c)
    run_id = c.run_id
    if w.open_scenario_file(str(scenario)):
        qtbot.waitUntil(lambda: bool(dialogs), timeout=TIMEOUT)
    assert dialogs and "hidden" in dialogs[0][1] and "5000" in dialogs[0][1].replace("_", "")
    assert c.run_id == run_id and c.config.hidden == 5 and w.panel.hidden.value() == 5
    w.close()
    assert saved_config(settings)[0] == RunConfig(hidden=5)


# -- 4. Ctrl-C or TERM during a screenshot session: status 130, no file --------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_screenshot_session_exits_130_and_writes_nothing(qtbot, tmp_path, signum):
    shot = tmp_path / "shot.png"
    QTimer.singleShot(300, lambda: os.kill(os.getpid(), signum))
    code = gui.run_gui(RunConfig(), screenshot=str(shot), epochs=1_000_000, size=(640, 400),
                       err=io.StringIO())
    assert code == gui.EXIT_INTERRUPTED == 130
    assert not shot.exists() and list(tmp_path.iterdir()) == []


def test_a_signal_while_the_window_is_built_exits_130_before_it_shows(qtbot, tmp_path, monkeypatch):
    shot = tmp_path / "shot.png"
    build = MainWindow._build_shortcuts

    def and_a_signal(self):
        build(self)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(MainWindow, "_build_shortcuts", and_a_signal)
    code = gui.run_gui(RunConfig(), screenshot=str(shot), epochs=1_000_000, err=io.StringIO())
    assert code == 130 and not shot.exists()


def test_the_screenshot_session_saves_nothing_once_interrupted(qtbot, open_window, tmp_path):
    w = open_window()
    interrupts = gui._Interrupts()
    session = gui._ScreenshotSession(w, str(tmp_path / "s.png"), 1, io.StringIO(), interrupts=interrupts)
    interrupts.request(signal.SIGTERM, None)
    session.on_state("finished")
    assert session.done and not session.saved and not (tmp_path / "s.png").exists()


def _proc_handles(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (Linux: /proc/PID/status, SigCgt)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(line.split()[1] for line in text.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(mask >> (signum - 1) & 1)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to see the handler is in place")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_term_on_gui_screenshot_in_a_process_of_its_own(qtbot, tmp_path, signum):
    shot = tmp_path / "shot.png"
    exe = Path(sys.executable).with_name("momentum-lab")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    process = subprocess.Popen([str(exe), "gui", "--screenshot", str(shot), "--epochs", "1000000",
                                "--size", "640x400"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # SIGTERM is caught once run_gui has put its handlers in place (Python catches SIGINT from
        # the start); then the window is being built or is up.
        qtbot.waitUntil(lambda: _proc_handles(process.pid, signal.SIGTERM) or process.poll() is not None,
                        timeout=60_000)
        assert process.poll() is None, process.communicate()
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err.decode()
    assert not shot.exists()


# -- 5. data read in the background, with progress and a way to stop ----------------------------


class SlowReader:
    """load_dataset as the engine's protocol has it (``cancel``, ``progress``), slowed for a file
    named ``big.csv``: it reports 35 % and waits until the test lets it go on (``gate``) or it is
    cancelled (then it raises LoadCancelled, as the engine's reader does)."""

    TOTAL = 200 << 20

    def __init__(self, real) -> None:
        self.real = real
        self.gate = threading.Event()
        self.saw_cancel = threading.Event()
        self.ended = threading.Event()
        self.calls = 0

    def __call__(self, source, *, cancel=None, progress=None, **options):
        if not str(source).endswith("big.csv"):
            return self.real(source, **options)
        self.calls += 1
        try:
            progress(self.TOTAL * 35 // 100, self.TOTAL)
            while not self.gate.wait(0.005):
                if cancel.is_set():
                    self.saw_cancel.set()
                    raise LoadCancelled("cancelled")
            progress(self.TOTAL, self.TOTAL)
            return self.real("iris", **options)
        finally:
            self.ended.set()


@pytest.fixture
def slow_reader(monkeypatch, tmp_path):
    import momentum_lab.engine._config as config_module

    reader = SlowReader(config_module.load_dataset)
    monkeypatch.setattr(config_module, "load_dataset", reader)  # every run's data (a scenario's too)
    big = tmp_path / "big.csv"
    shutil.copy(resource_path("datasets", "iris.csv"), big)  # (a scenario's reader checks it)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(big), "CSV files (*.csv)"))
    yield reader, str(big)
    reader.gate.set()  # never leave a reader waiting


READING = "Reading big.csv: 35 %… (Esc or the Cancel button to stop)"


def test_a_big_csv_is_read_in_the_background_and_esc_stops_it(qtbot, open_window, slow_reader, dialogs):
    reader, big = slow_reader
    w = open_window()
    c = w.controller
    run_id = c.run_id
    w._on_open_csv()
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == READING, timeout=TIMEOUT)
    assert w.cancel_load_button.isVisibleTo(w) and c.loading == "big.csv"
    assert w.panel.dataset.currentText() == big  # the panel shows what was asked for
    c.step_items(3)  # the window (and the run on show) answer meanwhile
    qtbot.waitUntil(lambda: c.latest.step == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(c.config_restored, timeout=TIMEOUT):
        qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert w.statusBar().currentMessage() == "Stopped reading big.csv; the run on show goes on"
    assert not w.cancel_load_button.isVisibleTo(w) and c.loading is None
    qtbot.waitUntil(reader.saw_cancel.is_set, timeout=TIMEOUT)  # the reader was told, and stopped
    assert c.run_id == run_id and c.config.dataset == "iris" and w.panel.dataset.currentText() == "iris"
    assert dialogs == []


def test_the_cancel_button_stops_it_and_a_read_that_ends_starts_the_run(qtbot, open_window, slow_reader, dialogs):
    reader, big = slow_reader
    w = open_window()
    c = w.controller
    c.apply(dataset=big)
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == READING, timeout=TIMEOUT)
    with qtbot.waitSignal(c.config_restored, timeout=TIMEOUT):
        qtbot.mouseClick(w.cancel_load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reader.saw_cancel.is_set, timeout=TIMEOUT)
    # Asked again, changed while it reads (the change joins the run asked for), then let through.
    reader.saw_cancel.clear()
    c.apply(dataset=big)
    qtbot.waitUntil(lambda: c.loading == "big.csv", timeout=TIMEOUT)
    c.apply(hidden=5)
    w.panel.lr.setValue(0.02)
    assert c.wanted_config.dataset == big and c.wanted_config.hidden == 5 and c.wanted_config.lr == 0.02
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        reader.gate.set()
    assert c.config.dataset == big and c.config.hidden == 5 and c.latest.lr == 0.02
    assert w.panel.dataset.currentText() == big and w.panel.hidden.value() == 5
    assert os.path.abspath(big) in w.recent and dialogs == []


def test_closing_while_data_are_read_is_clean(qtbot, open_window, slow_reader):
    reader, big = slow_reader
    w = open_window()
    c = w.controller
    c.apply(dataset=big)
    qtbot.waitUntil(lambda: c.loading == "big.csv", timeout=TIMEOUT)
    w.close()
    assert not c.thread.isRunning() and reader.saw_cancel.is_set() and reader.ended.is_set()


def test_another_request_replaces_a_read_under_way(qtbot, open_window, slow_reader, dialogs):
    reader, big = slow_reader
    w = open_window()
    c = w.controller
    c.apply(dataset=big)
    qtbot.waitUntil(lambda: c.loading == "big.csv", timeout=TIMEOUT)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        c.apply(dataset="xor")
    assert c.config.dataset == "xor" and c.loading is None
    qtbot.waitUntil(reader.saw_cancel.is_set, timeout=TIMEOUT)
    assert dialogs == []


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder"])
def test_a_fifo_or_a_device_picked_in_the_dialog_gives_one_line_and_the_run_stays(qtbot, open_window, dialogs,
                                                                                 tmp_path, monkeypatch, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
    elif kind == "folder":
        path = tmp_path / "folder.csv"
        path.mkdir()
    else:
        path = Path(kind)
    with pytest.raises(InputError) as expected:
        load_dataset(str(path))  # what the engine says (and that it says it at once)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "All files (*)"))
    w = open_window()
    c = w.controller
    c.step_items(7)
    qtbot.waitUntil(lambda: c.latest.step == 7, timeout=TIMEOUT)
    run_id, rows = c.run_id, c.history.rows.copy()
    with qtbot.waitSignal(c.config_restored, timeout=TIMEOUT):
        w._on_open_csv()
    assert dialogs == [("warning", str(expected.value))] and "\n" not in dialogs[0][1]
    assert c.run_id == run_id and c.latest.step == 7 and w.panel.dataset.currentText() == "iris"
    np.testing.assert_array_equal(c.history.rows, rows)
    c.step_items(1)
    qtbot.waitUntil(lambda: c.latest.step == 8, timeout=TIMEOUT)  # the run on show goes on


def test_a_fifo_as_a_scenario_file_is_refused_at_once(qtbot, open_window, dialogs, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    w = open_window()
    run_id = w.controller.run_id
    assert not w.open_scenario_file(str(fifo))
    assert len(dialogs) == 1 and "FIFO" in dialogs[0][1] and "\n" not in dialogs[0][1]
    assert w.controller.run_id == run_id and not w.controller.busy


def test_a_scenario_file_and_its_data_are_read_in_the_background(qtbot, open_window, dialogs, slow_reader,
                                                                 tmp_path):
    reader, big = slow_reader
    path = tmp_path / "s.json"
    ml.Scenario(RunConfig(dataset=big, hidden=5), steps=30).save(path)
    w = open_window()
    c = w.controller
    assert w.open_scenario_file(str(path))
    qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Reading s.json: 35 %"), timeout=TIMEOUT)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "paused"):
        reader.gate.set()
    qtbot.waitUntil(lambda: c.latest.step == 30, timeout=TIMEOUT)
    assert c.config.hidden == 5 and c.config.dataset == big and str(path) in w.recent and dialogs == []


# -- 6. the extremes the command line accepts, all at once -----------------------------------------


def test_the_window_survives_the_extremes_the_command_line_accepts(qtbot, open_window, dialogs):
    config = RunConfig(dataset="xor", hidden=1000, lr=1e6, momentum=BELOW_ONE, seed=SEED_MAX, weight_limit=1e300,
                       init_scale=1e3,
                       compare=(LaneSettings("classical", 0.0, 0.0), LaneSettings("nesterov", 1e-13, 0.9995),
                                LaneSettings("lookback", 250.0, 0.999999)))
    w = open_window(config)
    c = w.controller
    assert w.panel.lr.value() == 1e6 and w.panel.momentum.value() == BELOW_ONE
    assert w.panel.hidden.value() == 1000 and w.panel.seed.value() == SEED_MAX
    c.set_max_epochs(1)
    c.start()
    qtbot.waitUntil(lambda: c.state in ("finished", "diverged"), timeout=TIMEOUT)
    for size in ((320, 240), (10_000, 10_000), (1280, 800)):
        w.resize(*size)
        w.refresh()
        w.repaint()  # the views paint at that size, now (at 10000 x 10000 that takes seconds)
    # Slow motion: one item a second, from the start again.
    c.set_speed(1.0)
    w.panel.speed.set_speed(1.0)
    with qtbot.waitSignal(c.run_started, timeout=TIMEOUT):
        c.reset()
    c.start()
    qtbot.waitUntil(lambda: c.latest.step >= 1, timeout=TIMEOUT)
    c.pause()
    for _ in range(2 * len(SCHEDULE)):  # the clock's redraws, each group in turn
        w._on_timer()
    assert w.panel.speed.label.text() == "1 item/s" and c.latest.step <= 3
    w.views.show("stability")
    w.refresh()
    assert w.banner.text() == "" or "diverged" in w.banner.text()
    assert dialogs == []


def test_an_epoch_limit_beyond_a_c_int_is_taken(qtbot, open_window):
    w = open_window()
    c = w.controller
    c.set_max_epochs(2**40)  # gui --epochs takes any whole number >= 1
    c.step_items(5)
    qtbot.waitUntil(lambda: c.latest.step == 5, timeout=TIMEOUT)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "running"):
        c.start()
    assert c.worker.max_epochs == 2**40


def test_a_large_network_is_drawn_and_watched_within_budgets(qtbot, open_window, monkeypatch):
    """A wide data set times 1,000 hidden units is a million weights: the views draw the strongest
    edges, a coarser grid of decision regions, and the deltas of fewer steps."""
    from momentum_lab._qt import plots
    from momentum_lab._qt.controller import delta_window

    assert plots.DecisionRegions.grid_size(59) == plots.DecisionRegions.GRID == 140
    assert plots.DecisionRegions.grid_size(1_001_000) == 16
    assert (delta_window(59), delta_window(8003), delta_window(1_001_000)) == (2000, 200, 3)
    monkeypatch.setattr(plots, "MAX_EDGES", 10)
    w = open_window()
    ly = w.controller.layout
    w.network.refresh()
    drawn = sum(len(curve.xData) // 2 for _, _, curve in w.network.edges if curve.xData is not None)
    weights = ly.n_inputs * ly.n_hidden + ly.n_hidden * ly.n_outputs
    assert drawn == 10
    assert w.network.getPlotItem()._shown_title == f"Network (red +, blue −; the 10 strongest of {weights} weights)"


def test_views_of_a_run_whose_weights_overflowed_raise_no_warning(qtbot, open_window):
    """lr 1e6 with ReLU and no practical weight limit: the weights become inf, the predictions NaN;
    every view still draws (warnings are errors here), the decision regions white where no class is."""
    w = open_window(RunConfig(lr=1e6, activation="relu", weight_limit=1e300))
    c = w.controller
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT, check_params_cb=lambda s: s == "diverged"):
        c.start()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.divergence is not None, timeout=TIMEOUT)
    assert not np.isfinite(c.predict_proba(c.dataset.x_train)).all()  # what the regions are drawn from
    w.regions.refresh()
    w.refresh()
    image = w.regions.image.image
    assert image is not None and (image == 255).all(axis=-1).any()


@pytest.mark.parametrize("failing", [".png.momentum-lab-", "deltas.npz.momentum-lab-"])
def test_a_screenshot_with_its_exports_is_written_whole_or_not_at_all(qtbot, tmp_path, monkeypatch, failing):
    """gui --screenshot S --export DIR on a disk that fills up at one file: no screenshot, no export
    file, no temporary file, exit status 2 with the file named."""
    import errno

    from momentum_lab.engine import _atomic

    real_fsync = os.fsync

    def fsync(fd):
        if failing in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(_atomic.os, "fsync", fsync)
    export = tmp_path / "export"
    export.mkdir()
    err = io.StringIO()
    code = gui.run_gui(RunConfig(), screenshot=str(tmp_path / "shot.png"), export=str(export), epochs=1,
                       size=(800, 500), err=err)
    assert code == 2
    assert "No space left on device" in err.getvalue() and err.getvalue().count("\n") == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["export"]
    monkeypatch.setattr(_atomic.os, "fsync", real_fsync)
    code = gui.run_gui(RunConfig(), screenshot=str(tmp_path / "shot.png"), export=str(export), epochs=1,
                       size=(800, 500), err=io.StringIO())
    assert code == 0 and (tmp_path / "shot.png").exists() and (export / "deltas.npz").exists()
    assert not [p for p in tmp_path.rglob(".*")]


@pytest.mark.parametrize("how", ["scenario", "train-scenario"])
def test_a_scenario_and_its_data_are_read_once(tmp_path, monkeypatch, how):
    """gui --scenario F read the JSON three times and the CSV five; train --scenario the CSV twice."""
    import momentum_lab.engine._datasets as datasets_module
    import momentum_lab.engine._scenario as scenario_module

    data = tmp_path / "iris.csv"
    shutil.copy(resource_path("datasets", "iris.csv"), data)
    path = tmp_path / "s.json"
    ml.Scenario(RunConfig(str(data), hidden=5), (ml.Change(130, "lr", 0.05),), steps=240).save(path)
    reads = {"json": 0, "csv": 0}

    def counted(function, key):
        def wrapper(*args, **kwargs):
            if os.path.samefile(args[0], path if key == "json" else data):  # (the window's lessons read theirs)
                reads[key] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(scenario_module, "read_source", counted(scenario_module.read_source, "json"))
    monkeypatch.setattr(datasets_module, "_read_csv", counted(datasets_module._read_csv, "csv"))
    err = io.StringIO()
    if how == "scenario":
        argv = ["gui", "--scenario", str(path), "--screenshot", str(tmp_path / "shot.png"), "--size", "800x500"]
    else:
        argv = ["train", "--scenario", str(path), "--history", str(tmp_path / "h.csv")]
    from momentum_lab.cli import main

    assert main(argv, out=io.StringIO(), err=err) == 0, err.getvalue()
    assert reads == {"json": 1, "csv": 1}


def test_a_run_sent_to_the_worker_comes_on_show_when_a_later_read_fails(qtbot, tmp_path):
    """A new run built by the worker, then a CSV asked for that cannot be read: the worker's run
    comes on show (the controller and the worker never part ways), and Reset and lr reach it."""
    c = RunController(RunConfig())
    try:
        qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
        errors = []
        c.error.connect(errors.append)
        assert c.apply(hidden=5)  # the same data: sent to the worker at once
        assert c.apply(dataset=str(tmp_path / "missing.csv"))  # read first: fails
        qtbot.waitUntil(lambda: not c.busy and c.config.hidden == 5 and c.state == "paused", timeout=TIMEOUT)
        assert errors and "missing.csv" in errors[0]
        assert c.run_id == c.worker.run_id and c.layout.n_params == c.worker.trainer.layout.n_params
        c.set_lr(0.3)
        qtbot.waitUntil(lambda: c.latest.lr == 0.3, timeout=TIMEOUT)
        c.reset()
        qtbot.waitUntil(lambda: c.latest is not None and c.latest.step == 0 and c.run_id == c.worker.run_id,
                        timeout=TIMEOUT)
        assert c.latest.params.shape == (c.layout.n_params,)
    finally:
        c.shutdown()


def test_a_run_sent_to_the_worker_comes_on_show_when_a_later_read_is_cancelled(qtbot, slow_reader):
    reader, big = slow_reader
    c = RunController(RunConfig())
    try:
        qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
        assert c.apply(hidden=5)
        assert c.apply(dataset=big)
        qtbot.waitUntil(lambda: reader.calls == 1, timeout=TIMEOUT)
        assert c.loading and c.cancel_load()
        qtbot.waitUntil(lambda: not c.busy and c.config.hidden == 5 and c.state == "paused", timeout=TIMEOUT)
        assert c.run_id == c.worker.run_id
    finally:
        c.shutdown()


def test_a_sweep_cell_on_other_data_than_those_on_show_is_replayed_too(qtbot):
    c = RunController(RunConfig())
    try:
        qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
        assert c.apply(dataset="xor")  # the sweep was made on iris; then the user moved on
        qtbot.waitUntil(lambda: not c.busy and c.dataset.name == "xor", timeout=TIMEOUT)
        assert c.load(RunConfig(lr=0.1, momentum=0.2), "sweep cell", replay_epochs=3)
        qtbot.waitUntil(lambda: not c.busy and c.dataset.name == "iris" and c.latest.step == 3 * c.dataset.n_train
                        and c.state == "paused", timeout=TIMEOUT)
        assert (c.config.lr, c.config.momentum) == (0.1, 0.2)
    finally:
        c.shutdown()


def test_a_controller_on_a_dataset_object_trains_it(qtbot):
    """A RunConfig whose data are a loaded Dataset (the API's): the controller takes it as it is (it
    took no data at all when none was passed beside it)."""
    data = load_dataset("xor", samples=40)
    c = RunController(RunConfig(dataset=data))
    try:
        qtbot.waitUntil(lambda: c.latest is not None, timeout=TIMEOUT)
        assert c.dataset is data and c.latest.params.shape == (c.layout.n_params,)
    finally:
        c.shutdown()


# -- the new options at their edges: the window trains and pictures them --------------------------


@pytest.mark.parametrize("argv", [["--batch-size", "full"], ["--batch-size", "10000"], ["--batch-size", "2147483647"],
                                  ["--batch-size", "7", "--loss", "article", "--compare", "classical:0.1:0.9"],
                                  ["--preset", "article", "--dataset", "xor", "--batch-size", "full"],
                                  ["--dataset", "iris-article-train", "--test-data", "iris-article-test",
                                   "--order", "article", "--init", "article"]])
def test_gui_screenshot_with_each_batch_size_and_the_article_options(qtbot, tmp_path, argv):
    from momentum_lab.cli import main

    shot = tmp_path / "shot.png"
    err = io.StringIO()
    code = main(["gui", *argv, "--epochs", "2", "--screenshot", str(shot), "--size", "800x500"], out=io.StringIO(),
                err=err)
    assert code == 0 and err.getvalue() == "", err.getvalue()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_windows_exports_never_replace_the_test_file(qtbot, open_window, tmp_path):
    """The window's own exports (File ▸ Export, its screenshot) checked the data set and the initial
    weights but not the --test-data file: a history or a picture saved under its name replaced it."""
    from momentum_lab._qt.export import save_history, save_weights_now

    own = resource_path("datasets", "iris-article-test.csv").read_text()
    test = tmp_path / "test.csv"
    test.write_text(own)
    w = open_window(RunConfig(dataset="iris-article-train", test_data=str(test)))
    wait_ready(qtbot, w.controller)
    for save in (lambda path: save_history(w.controller, path), lambda path: save_weights_now(w.controller, path),
                 lambda path: w.save_screenshot(str(path))):
        with pytest.raises(InputError, match="test.csv' is the test_data= file, which would be replaced"):
            save(test)
    assert test.read_text() == own

"""Teaching in the window: lessons, scenarios (save, open, branch), export, lecture mode and the
settings kept between launches (pytest-qt, offscreen)."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine._lessons import load_lesson, load_lessons
from momentum_lab.engine._scenario import load_scenario
from momentum_lab._qt.controller import RunConfig, RunController
from momentum_lab._qt.export import export_plot, plots_of, svg_supported
from momentum_lab._qt.window import MainWindow, saved_config

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)

LESSONS, PROBLEMS = load_lessons()


@pytest.fixture(scope="module", autouse=True)
def lesson_kernels_ready(kernels_ready):  # noqa: F811 (the fixture imported above)
    """The lessons' network shapes compiled here, in the main thread, before the window's worker
    needs them (see kernels_ready in test_gui)."""
    for lesson in LESSONS:
        ml.replay(lesson.scenario, epochs=1)


def wait_ready(qtbot, c: RunController) -> None:
    """Until the run asked for last is the one on show (its data read, its run built)."""
    qtbot.waitUntil(lambda: not c.busy and c.latest is not None, timeout=TIMEOUT)


def run_to_limit(qtbot, c: RunController, epochs: int) -> None:
    c.set_speed(float("inf"))
    c.set_max_epochs(epochs)
    with qtbot.waitSignal(c.state_changed, timeout=TIMEOUT,
                          check_params_cb=lambda s: s in ("finished", "diverged")):
        c.start()


def test_the_shipped_lessons_all_load():
    assert PROBLEMS == [] and len(LESSONS) >= 7


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[lesson.name for lesson in LESSONS])
def test_every_shipped_lesson_opens_and_runs_a_few_epochs_in_the_window(qtbot, open_window, dialogs, index):
    w = open_window()
    c = w.controller
    lesson = LESSONS[index]
    assert w.open_lesson(lesson.name)
    wait_ready(qtbot, c)
    assert c.start_config == lesson.scenario.config and len(c.lanes) == len(lesson.scenario.config.lanes)
    assert w.lesson_dock.isVisible() and lesson.title in w.lesson_panel.text.toPlainText()
    assert w.curves.log_scale.isChecked() == lesson.log_scale
    if lesson.tab == "stability":
        assert w.views.shown("stability")
    elif lesson.tab == "sweep":
        assert w.views.shown("sweep")
    assert c.max_epochs == (lesson.scenario.epochs or 0)
    run_to_limit(qtbot, c, 3)
    assert len(c.history) >= 2 and c.history.rows[0, 0] == 0
    w.refresh()
    assert dialogs == []


@pytest.mark.parametrize(("name", "shown"), [("full-batch-bound", "stable: r 0.251"),
                                              ("online-readout", "⚠ unstable: r 1.67")])
def test_lessons_9_and_10_open_on_the_readout_their_texts_quote(qtbot, open_window, dialogs, name, shown):
    """The same heavy-ball settings before the first update: at full batch the status bar judges
    them by the quadratic bound (lr × λ / 3.8), online by the batch sharpness."""
    w = open_window()
    c = w.controller
    assert w.open_lesson(name)
    wait_ready(qtbot, c)
    qtbot.waitUntil(lambda: c.lanes[0].stability()[0] == c.lanes[0].stability()[0], timeout=TIMEOUT)  # measured
    w.refresh()
    assert c.latest.step == 0 and w.status_labels["stability"].text() == shown


def test_lesson_6s_readout_turns_red_at_the_jump_while_the_error_is_still_0_17(qtbot, open_window, dialogs):
    """Stepped to the end of epoch 3, where the lesson raises A's lr to 3: the status bar reads
    about 4, red, before a step at the new rate, beside a training loss of 0.17."""
    w = open_window()
    c = w.controller
    assert w.open_lesson("divergence-stability-map")
    wait_ready(qtbot, c)
    c.step_items(360)
    qtbot.waitUntil(lambda: c.latest.step == 360 and c.latest.lr == 3.0, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: c.lanes[0].stability()[0] > 1, timeout=TIMEOUT)
    w.refresh()
    text = w.status_labels["stability"].text()
    assert text.startswith("⚠ unstable: r ") and round(float(text.split("r ")[1])) == 4
    assert "color: #B00020" in w.status_labels["stability"].styleSheet()  # red
    assert w.status_labels["loss"].text() == "train loss 0.1702"
    assert c.lanes[1].stability()[0] < 0.5  # B's, on the map


def test_next_previous_and_reset_this_lesson(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    panel = w.lesson_panel
    assert not panel.previous_button.isEnabled() and not panel.reset_button.isEnabled()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    wait_ready(qtbot, c)
    assert panel.current == 0 and c.start_config == LESSONS[0].scenario.config
    qtbot.keyClick(w, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # the next lesson's shortcut
    wait_ready(qtbot, c)
    assert panel.current == 1 and c.start_config == LESSONS[1].scenario.config
    run_to_limit(qtbot, c, 2)
    c.set_lr(0.5)  # the class tried something; Reset this lesson puts it back
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    wait_ready(qtbot, c)
    assert c.latest.step == 0 and c.config == LESSONS[1].scenario.config and w.panel.lr.value() == c.config.lr
    qtbot.mouseClick(panel.previous_button, Qt.MouseButton.LeftButton)
    wait_ready(qtbot, c)
    assert panel.current == 0


def test_a_lessons_timed_change_happens_at_its_step_and_the_spin_box_follows(qtbot, dialogs, tmp_path):
    path = tmp_path / "01-timed.toml"
    path.write_text('title = "Timed"\n[text]\ndo = "d"\nwatch = "w"\nwhy = "y"\n[scenario]\nlr = 0.01\n'
                    'momentum = 0.5\nepochs = 6\nchanges = [{epoch = 2.5, setting = "lr", value = 0.2}]\n')
    lesson = load_lesson(path)
    controller = RunController(RunConfig())
    w = MainWindow(controller, lessons=([lesson], []))
    try:
        w.show()
        w.open_lesson(0)
        wait_ready(qtbot, controller)
        run_to_limit(qtbot, controller, 6)
        (mark,) = list(controller.marks)
        assert (mark.step, mark.setting, mark.value, mark.previous) == (300, "lr", 0.2, 0.01)
        assert w.panel.lr.value() == 0.2 and controller.config.lr == 0.2
        expected = ml.train("iris", epochs=6, changes=[(300, "lr", 0.2)])
        np.testing.assert_array_equal(controller.history.rows, expected.history.rows)
        # Reset replays the lesson as planned: from lr 0.01 again, the change again at step 300.
        controller.reset()
        wait_ready(qtbot, controller)
        assert controller.config.lr == 0.01 and w.panel.lr.value() == 0.01
        run_to_limit(qtbot, controller, 6)
        np.testing.assert_array_equal(controller.history.rows, expected.history.rows)
    finally:
        w.close()


def test_a_broken_lesson_file_is_named_in_the_panel_and_the_rest_still_open(qtbot, dialogs, tmp_path,
                                                                             monkeypatch):
    (tmp_path / "09-broken.toml").write_text('title = "x"\n[text]\ndo = 1\n')
    monkeypatch.setenv("MOMENTUM_LAB_LESSONS", str(tmp_path))
    lessons, problems = load_lessons()
    assert [p.path.name for p in problems] == ["09-broken.toml"] and len(lessons) == len(LESSONS)
    controller = RunController(RunConfig())
    w = MainWindow(controller)
    try:
        assert "09-broken.toml" in w.lesson_panel.problem_note.text()
        assert "'text.do' must be a non-empty text" in w.lesson_panel.problem_note.text()
        assert w.open_lesson(0)
        wait_ready(qtbot, controller)
    finally:
        w.close()


def _session_with_changes(qtbot, c: RunController) -> None:
    """A run a person drove: steps, live changes at odd points, a pause mid-epoch."""
    c.step_items(37)
    qtbot.waitUntil(lambda: c.latest.step == 37, timeout=TIMEOUT)
    c.set_lr(0.05)
    c.step_items(200)
    qtbot.waitUntil(lambda: c.latest.step == 237, timeout=TIMEOUT)
    c.set_momentum(0.9)
    c.set_lr(0.02)
    c.step_items(500)
    qtbot.waitUntil(lambda: c.latest.step == 737, timeout=TIMEOUT)


def test_a_saved_scenario_opens_and_replays_to_identical_curves(qtbot, open_window, dialogs, tmp_path):
    w = open_window()
    c = w.controller
    _session_with_changes(qtbot, c)
    original = c.history.rows.copy()
    params = c.latest.params.copy()
    path = tmp_path / "lecture.json"
    assert w.save_scenario_file(str(path))
    saved = load_scenario(path)
    assert saved.steps == 737 and [(ch.step, ch.setting, ch.value) for ch in saved.changes] == [
        (37, "lr", 0.05), (237, "momentum", 0.9), (237, "lr", 0.02)]
    # Elsewhere: a different run on show, then the scenario opened.
    w.controller.apply(hidden=4)
    wait_ready(qtbot, c)
    assert w.open_scenario_file(str(path))
    wait_ready(qtbot, c)
    qtbot.waitUntil(lambda: c.state == "paused" and c.latest.step == 737, timeout=TIMEOUT)
    np.testing.assert_array_equal(c.history.rows, original)
    np.testing.assert_array_equal(c.latest.params, params)
    assert c.config.lr == 0.02 and c.config.momentum == 0.9 and w.panel.lr.value() == 0.02
    # ... and the same as the engine replaying it headlessly.
    (engine,) = ml.replay(saved)
    np.testing.assert_array_equal(engine.history.rows, original)
    assert str(path) in w.recent


def test_a_broken_scenario_file_is_refused_with_its_reason_and_the_run_stays(qtbot, open_window, dialogs,
                                                                              tmp_path):
    w = open_window()
    path = tmp_path / "new.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 3, "lr": 0.1}))
    run_id = w.controller.run_id
    with qtbot.waitSignal(w.controller.config_restored, timeout=TIMEOUT):
        w.open_scenario_file(str(path))  # read in the background
    assert dialogs == [("warning", f"{path}: made by a newer Momentum Lab (scenario format 3; this version "
                                   "reads format 1); update Momentum Lab to open it")]
    assert w.controller.run_id == run_id and w.controller.pending_run_id is None


def test_branch_here_keeps_the_original_curve_and_goes_on_with_other_settings(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.set_lr(0.02)
    run_to_limit(qtbot, c, 10)
    original = c.history.rows.copy()
    assert c.branch(4)
    wait_ready(qtbot, c)
    qtbot.waitUntil(lambda: c.state == "paused" and c.latest.step == 4 * c.dataset.n_train, timeout=TIMEOUT)
    np.testing.assert_array_equal(c.history.rows, original[:5])  # rewound: the same first 4 epochs
    c.set_lr(0.2)
    run_to_limit(qtbot, c, 10)
    w.refresh()
    # Both curves: the original in grey, the branch on top of it up to epoch 4, then apart.
    ghost_x, ghost_y = w.curves.ghost_curves["loss"].getOriginalDataset()
    np.testing.assert_array_equal(ghost_x, original[:, 0])
    np.testing.assert_array_equal(ghost_y, original[:, 1])
    x, y = w.curves.curves[("loss", "train", 0)].getOriginalDataset()
    assert len(x) == 11 and np.array_equal(y[:5], original[:5, 1]) and not np.array_equal(y[5:], original[5:, 1])
    legend = [label.text for _, label in w.curves.legends["loss"].items]
    assert any("before the branch" in text for text in legend)
    c.clear_ghost()
    w.refresh()
    assert w.curves.ghost_curves["loss"].getOriginalDataset()[0] is None  # cleared


def test_export_every_plot_and_the_data(qtbot, open_window, dialogs, tmp_path):
    w = open_window()
    run_to_limit(qtbot, w.controller, 5)
    w.refresh()
    for stem, (_, item) in plots_of(w).items():
        export_plot(item, tmp_path / f"{stem}.png")
        image = QImage(str(tmp_path / f"{stem}.png"))
        assert image.width() >= 1200, stem
        if svg_supported():
            export_plot(item, tmp_path / f"{stem}.svg")
            assert (tmp_path / f"{stem}.svg").read_text().lstrip().startswith("<?xml"), stem
    from momentum_lab._qt.export import save_deltas_ring, save_history, save_weights_now

    save_history(w.controller, tmp_path / "h.csv")
    save_weights_now(w.controller, tmp_path / "w.npz")
    save_deltas_ring(w.controller, tmp_path / "d.npz")
    rows = np.genfromtxt(tmp_path / "h.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(rows["train_loss"], w.controller.history.column("train_loss"))
    weights = np.load(tmp_path / "w.npz")
    assert weights["ho_weights"].shape == (7, 3)
    deltas = np.load(tmp_path / "d.npz")
    assert deltas["step"][-1] == 5 * 120 and deltas["ih_deltas"].shape[1:] == (4, 7)


def test_a_failed_export_keeps_the_earlier_file_and_says_why(qtbot, open_window, dialogs, tmp_path,
                                                            monkeypatch):
    w = open_window()
    path = tmp_path / "error.png"
    path.write_bytes(b"the earlier picture")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    assert not w._export(lambda p: export_plot(w.curves.loss_plot, p), str(path))
    assert path.read_bytes() == b"the earlier picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["error.png"]  # no temporary file left
    assert dialogs == [("warning", f"export: cannot write '{path}': No space left on device")]


def test_lecture_mode_one_key_large_text_thick_lines_fewer_controls(qtbot, open_window, dialogs):
    w = open_window()
    curve = w.curves.curves[("loss", "train", 0)]
    width = curve.opts["pen"].widthF()
    tick = w.curves.loss_plot.getAxis("bottom").style["tickFont"]
    qtbot.keyClick(w, Qt.Key.Key_F5)
    assert w.lecture_action.isChecked()
    assert curve.opts["pen"].widthF() == 2 * width
    assert w.curves.loss_plot.getAxis("bottom").style["tickFont"].pointSizeF() >= 14
    assert w.panel.structure.isHidden() and w.panel.compare.isHidden() and w.watch_group.isHidden()
    assert not w.panel.live.isHidden() and not w.panel.start_button.isHidden()
    assert "font-size: 15pt" in w.styleSheet()
    qtbot.keyClick(w, Qt.Key.Key_F5)
    assert curve.opts["pen"].widthF() == width and not w.panel.structure.isHidden()
    font = w.curves.loss_plot.getAxis("bottom").style["tickFont"]
    assert font.pointSizeF() == (tick or w.curves.loss_plot.getAxis("bottom").font()).pointSizeF()
    assert w.styleSheet() == ""


def test_slower_and_faster_keys_step_the_speed(qtbot, open_window, dialogs):
    w = open_window()
    c = w.controller
    c.set_speed(100)
    w.panel.speed.set_speed(100)
    qtbot.keyClick(w, Qt.Key.Key_Minus)
    assert c.speed == 50
    qtbot.keyClick(w, Qt.Key.Key_Equal)
    qtbot.keyClick(w, Qt.Key.Key_Equal)
    assert c.speed == 200


def test_the_window_remembers_options_layout_and_recent_files(qtbot, dialogs, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    scenario = tmp_path / "s.json"
    ml.Scenario(RunConfig(hidden=5)).save(scenario)
    c = RunController(RunConfig(hidden=6, rule="classical"))
    w = MainWindow(c, settings=settings)
    w.show()
    wait_ready(qtbot, c)
    c.set_lr(0.07)
    w._add_recent(str(scenario))
    w.set_lecture_mode(True)
    w.curves.log_scale.setChecked(False)
    w.close()
    config, speed = saved_config(settings)
    assert (config.hidden, config.rule, config.lr) == (6, "classical", 0.07) and speed == float("inf")
    c2 = RunController(config)
    w2 = MainWindow(c2, settings=settings)
    try:
        assert w2.recent == [str(scenario)] and w2.recent_menu.actions()[0].text() == str(scenario)
        assert not w2.curves.log_scale.isChecked()
        assert not w2.lecture_action.isChecked()  # lecture mode is for a lecture: not kept
    finally:
        w2.close()


def test_gui_lesson_screenshot_and_export_from_the_command_line(tmp_path):
    shot = tmp_path / "lesson.png"
    folder = tmp_path / "out"
    folder.mkdir()
    err = io.StringIO()
    code = main(["gui", "--lesson", LESSONS[2].name, "--epochs", "3", "--size", "1200x760", "--screenshot",
                 str(shot), "--export", str(folder)], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    assert QImage(str(shot)).width() == 1200
    names = {p.name for p in folder.iterdir()}
    assert {"error.png", "delta-heatmap.png", "history.csv", "weights.npz", "deltas.npz"} <= names
    rows = np.genfromtxt(folder / "history.csv", delimiter=",", names=True)
    assert rows["epoch"][-1] == 3


def test_gui_lesson_and_lessons_refuse_bad_names(tmp_path, monkeypatch):
    err = io.StringIO()
    assert main(["gui", "--lesson", "no-such", "--screenshot", str(tmp_path / "s.png")], out=io.StringIO(),
                err=err) == 2
    assert "no lesson 'no-such'; the lessons are " + LESSONS[0].name in err.getvalue()
    out = io.StringIO()
    assert main(["lessons"], out=out, err=io.StringIO()) == 0
    assert all(lesson.name in out.getvalue() for lesson in LESSONS)
    (tmp_path / "05-bad.toml").write_text("title = \n")
    monkeypatch.setenv("MOMENTUM_LAB_LESSONS", str(tmp_path))
    err = io.StringIO()
    assert main(["lessons"], out=io.StringIO(), err=err) == 2
    assert "05-bad.toml: not valid TOML" in err.getvalue() and "line 1" in err.getvalue()


def test_the_menus_save_open_and_branch_through_their_dialogs(qtbot, open_window, dialogs, tmp_path, monkeypatch):
    """The File and Run menu actions, with their file and number dialogs answered."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    w = open_window()
    c = w.controller
    run_to_limit(qtbot, c, 3)
    path = str(tmp_path / "menu.json")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (path, "Scenarios (*.json)"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, "Scenarios (*.json)"))
    asked = []

    def get_int(parent, title, label, value, low, high):
        asked.append((value, low, high))
        return 1, True

    monkeypatch.setattr(QInputDialog, "getInt", get_int)
    actions = {a.text(): a for menu in w.menuBar().findChildren(type(w.recent_menu)) for a in menu.actions()}
    actions["&Save the run as a scenario…"].trigger()
    assert load_scenario(path).steps == 3 * 120
    actions["&Branch here…"].trigger()
    assert asked == [(3, 0, 3)]
    qtbot.waitUntil(lambda: c.pending_run_id is None and c.latest.step == 120 and c.state == "paused",
                    timeout=TIMEOUT)
    assert c.ghost is not None and len(c.ghost[0]) == 4
    actions["Open a s&cenario…"].trigger()
    qtbot.waitUntil(lambda: c.pending_run_id is None and c.latest.step == 360 and c.state == "paused",
                    timeout=TIMEOUT)
    assert c.ghost is None and len(c.history) == 4
    assert dialogs == []


def test_a_change_sent_while_a_run_is_prepared_is_saved_so_that_it_replays_exactly(qtbot, open_window,
                                                                                    dialogs, tmp_path):
    w = open_window()
    c = w.controller
    c.apply(hidden=5)
    c.set_lr(0.05)  # reaches the worker before or after it has built the run: either way ...
    wait_ready(qtbot, c)
    run_to_limit(qtbot, c, 2)
    path = tmp_path / "s.json"
    assert w.save_scenario_file(str(path))
    (engine,) = ml.replay(load_scenario(path))
    np.testing.assert_array_equal(engine.history.rows, c.history.rows)  # ... the replay is the same


def test_a_hand_change_at_an_epoch_s_end_revises_that_row_on_screen_as_in_the_replay(qtbot, open_window,
                                                                                      dialogs, tmp_path):
    """Paused at epoch 2's end, the row of which the window holds: a new lr makes the worker give
    that row again, its stability column for the new lr (4 times it, the loss not having climbed),
    and the saved run replays to the same history."""
    w = open_window()
    c = w.controller
    wait_ready(qtbot, c)
    n = c.dataset.n_train
    for epoch in (1, 2):
        c.step_epoch()
        qtbot.waitUntil(lambda: c.state == "paused" and c.latest.step == epoch * n, timeout=TIMEOUT)
    before = c.history.rows.copy()
    assert before[-1, 0] == 2 and np.isfinite(before[-1, 7])
    lr = c.latest.lr
    c.set_lr(4 * lr)
    qtbot.waitUntil(lambda: c.latest.lr == 4 * lr, timeout=TIMEOUT)
    after = c.history.rows
    assert after.shape == before.shape
    np.testing.assert_array_equal(after[:, :7], before[:, :7])
    np.testing.assert_array_equal(after[:-1, 7], before[:-1, 7])
    assert after[-1, 7] == pytest.approx(4 * before[-1, 7], rel=1e-12)
    c.step_epoch()
    qtbot.waitUntil(lambda: c.state == "paused" and c.latest.step == 3 * n, timeout=TIMEOUT)
    path = tmp_path / "s.json"
    assert w.save_scenario_file(str(path))
    (engine,) = ml.replay(load_scenario(path))
    np.testing.assert_array_equal(engine.history.rows, c.history.rows)


def test_a_hand_change_right_after_a_planned_one_wins_in_the_panel_as_in_the_worker(qtbot, dialogs, tmp_path):
    path = tmp_path / "01-plan.toml"
    path.write_text('title = "Plan"\n[text]\ndo = "d"\nwatch = "w"\nwhy = "y"\n[scenario]\nlr = 0.01\n'
                    'changes = [{step = 100, setting = "lr", value = 0.2}]\n')
    controller = RunController(RunConfig())
    w = MainWindow(controller, lessons=([load_lesson(path)], []))
    try:
        w.open_lesson(0)
        wait_ready(qtbot, controller)
        controller.step_items(150)  # the plan sets 0.2 at step 100 ...
        w.panel.lr.setValue(0.05)   # ... and the person 0.05 at step 150, before that batch is back
        qtbot.waitUntil(lambda: controller.latest.step == 150 and controller.latest.lr == 0.05, timeout=TIMEOUT)
        assert controller.config.lr == 0.05 and w.panel.lr.value() == 0.05
        assert [(ch.step, ch.value) for ch in controller.changes] == [(100, 0.2), (150, 0.05)]
    finally:
        w.close()


def test_lesson_numbers_count_the_lessons_that_load(tmp_path, monkeypatch):
    from momentum_lab.engine._lessons import find_lesson

    (tmp_path / "01-aaa-broken.toml").write_text("title = 1\n")
    monkeypatch.setenv("MOMENTUM_LAB_LESSONS", str(tmp_path))
    assert find_lesson("2").name == LESSONS[1].name  # as `momentum-lab lessons` numbers them
    with pytest.raises(ml.InputError, match="01-aaa-broken.toml: 'title' must be a non-empty text"):
        find_lesson("aaa-broken")


def test_the_export_menu_writes_the_runs_data_through_its_dialog(qtbot, open_window, dialogs, tmp_path,
                                                                 monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    w = open_window()
    run_to_limit(qtbot, w.controller, 2)
    asked = []

    def save_as(parent, title, name, filters):
        asked.append((name, filters))
        return str(tmp_path / name), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    for action in w.export_menu.actions():
        if action.data() in ("history.csv", "weights.npz", "deltas.npz"):
            action.trigger()
    assert [name for name, _ in asked] == ["history.csv", "weights.npz", "deltas.npz"]
    rows = np.genfromtxt(tmp_path / "history.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(rows["train_loss"], w.controller.history.column("train_loss"))
    assert np.load(tmp_path / "weights.npz")["ih_weights"].shape == (4, 7)
    assert np.load(tmp_path / "deltas.npz")["step"][-1] == 240
    assert dialogs == []


def test_the_export_menu_writes_the_run_as_a_script_that_trains_it_again(qtbot, open_window, dialogs, tmp_path,
                                                                          monkeypatch):
    """What a learner takes from the window into a notebook: the run, its hand change at its step."""
    import subprocess
    import sys

    from PySide6.QtWidgets import QFileDialog

    w = open_window(RunConfig(hidden=5, momentum=0.9))
    c = w.controller
    c.step_items(150)
    qtbot.waitUntil(lambda: c.latest.step == 150, timeout=TIMEOUT)
    c.set_lr(0.2)
    qtbot.waitUntil(lambda: len(c.changes) == 1, timeout=TIMEOUT)
    run_to_limit(qtbot, c, 3)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, name, filters:
                        (str(tmp_path / name), filters))
    (action,) = [a for a in w.export_menu.actions() if a.data() == "run.py"]
    action.trigger()
    script = (tmp_path / "run.py").read_text()
    assert "ml.Change(150, 'lr', 0.2, 0)" in script.replace('"', "'") and "momentum_lab.engine" not in script
    done = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "h.csv")], cwd=tmp_path.parent,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = np.genfromtxt(tmp_path / "h.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(rows["train_loss"], c.history.column("train_loss"))  # the very same run
    np.testing.assert_array_equal(rows["lr"], c.history.column("lr"))
    assert dialogs == []

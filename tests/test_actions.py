"""The commands (one QAction each, in menus, buttons and the F1 list) and Undo / Redo."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QTextBrowser

from momentum_lab._qt.actions import COMMANDS, Command, shortcut_table
from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab._qt.undo import describe

from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)


def plain(text: str) -> str:
    return text.replace("&", "")


def menu_items(w) -> dict[str, dict[str, QAction]]:
    """The menu bar walked as a person reads it: menu -> item text -> its action (a submenu's
    action too). (Through findChildren: in PySide6 6.10 the menu QAction.menu() gives is deleted
    with that action's wrapper when the action came from actions().)"""
    menus = {plain(m.title()): m for m in w.menuBar().findChildren(QMenu)}
    return {plain(top.text()): {plain(a.text()): a for a in menus[plain(top.text())].actions() if a.text()}
            for top in w.menuBar().actions()}


def ready(c) -> bool:
    return c.latest is not None and not c.busy and c.latest.run_id == c.run_id


def type_into(qtbot, box, text: str) -> None:
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


# -- the registry -------------------------------------------------------------------------------


def test_no_key_is_bound_twice(open_window):
    keys = [QKeySequence(k).toString() for c in COMMANDS if isinstance(c, Command) for k in c.keys]
    assert len(keys) == len(set(keys)) > 30
    w = open_window()
    bound: dict[str, QAction] = {}
    for action in w.findChildren(QAction):  # every action of the window, commands or not
        for key in action.shortcuts():
            assert bound.setdefault(key.toString(), action) is action, key.toString()
    for command in (c for c in COMMANDS if isinstance(c, Command)):
        assert [k.toString() for k in w.commands[command.name].shortcuts()] == \
            [QKeySequence(k).toString() for k in command.keys]


def test_every_menu_item_the_issue_asks_for_is_in_the_menu_bar(open_window):
    w = open_window()
    items = menu_items(w)
    asked = {
        "Run": ["Start", "Step item", "Step epoch", "Reset", "New seed", "Faster", "Slower",
                "Raise the learning rate", "Lower the learning rate", "Raise the momentum", "Lower the momentum",
                "Add a run to compare"],
        "View": ["Log scale", "Accuracy", "Delta heatmap", "Network", "Decision regions", "Stability map", "Sweep",
                 "Layouts", "Lecture mode"],
        "Help": ["The tutorial", "Keyboard shortcuts"],
        "Edit": ["Undo", "Redo"],
    }
    for menu, texts in asked.items():
        missing = [t for t in texts if t not in items[menu]]
        assert not missing, (menu, missing)
    assert items["View"]["Layouts"] is w.layouts_menu.menuAction()
    keys = {text: a.shortcut().toString() for text, a in items["Run"].items()}
    assert (keys["Start"], keys["Step item"], keys["Step epoch"], keys["Reset"]) == ("Space", "N", "E", "R")
    assert items["Edit"]["Undo"].shortcut().toString() == "Ctrl+Z"
    assert items["Edit"]["Redo"].shortcut().toString() == "Ctrl+Shift+Z"


def test_the_f1_list_is_the_registry(qtbot, open_window):
    w = open_window()
    qtbot.keyClick(w, Qt.Key.Key_F1)
    dialog = w._shortcuts
    assert dialog.isVisible()
    shown = dialog.findChild(QTextBrowser).toPlainText()
    listed = [(html.unescape(k), html.unescape(tip))
              for k, tip in re.findall(r"<tr><td><b>(.*?)</b></td><td>(.*?)</td></tr>", shortcut_table(w.commands))]
    declared = [(" / ".join(c.keys), c.tip) for c in COMMANDS if isinstance(c, Command) and c.keys]
    assert sorted(listed) == sorted(declared) and len(declared) > 30
    assert all(keys in shown and tip in shown for keys, tip in declared)
    assert "Ctrl+Z" in shown and "Ctrl+Shift+Z" in shown


def test_menu_items_and_panel_buttons_are_the_same_commands(qtbot, open_window):
    w = open_window()
    c = w.controller
    run = menu_items(w)["Run"]
    run["Raise the learning rate"].trigger()
    assert w.panel.lr.value() == 0.02
    qtbot.waitUntil(lambda: c.latest.lr == 0.02, timeout=TIMEOUT)
    qtbot.mouseClick(w.panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: c.latest.step == 1, timeout=TIMEOUT)
    run["Step item"].trigger()
    qtbot.waitUntil(lambda: c.latest.step == 2, timeout=TIMEOUT)
    assert w.panel.step_button.toolTip() == run["Step item"].toolTip() and "(N)" in w.panel.step_button.toolTip()
    run["Start"].trigger()
    qtbot.waitUntil(lambda: c.state == "running", timeout=TIMEOUT)
    assert plain(run["Start"].text()) == w.panel.start_button.text() == "Pause"
    qtbot.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    assert w.panel.start_button.text() == "Start"
    view = menu_items(w)["View"]
    assert view["Log scale"].isChecked() and w.curves.log_scale.isChecked()
    view["Log scale"].trigger()
    assert not w.curves.log_scale.isChecked()
    w.curves.log_scale.setChecked(True)  # the check box and the menu item stay one
    assert view["Log scale"].isChecked()


# -- undo and redo ------------------------------------------------------------------------------------


def test_undo_of_a_typed_value_sets_it_back_live_and_records_the_change(qtbot, open_window):
    w = open_window()
    c = w.controller
    type_into(qtbot, w.panel.lr, "0.03")
    type_into(qtbot, w.panel.lr, "0.05")
    assert w.undo_stack.count() == 2  # one step per value typed (not per keystroke)
    qtbot.waitUntil(lambda: c.latest.lr == 0.05, timeout=TIMEOUT)
    c.step_items(7)
    qtbot.waitUntil(lambda: c.latest.step == 7, timeout=TIMEOUT)
    assert w.undo_action.text() == "&Undo lr 0.03 → 0.05"
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.panel.lr.value() == 0.03 and c.shown_config().lr == 0.03
    qtbot.waitUntil(lambda: c.latest.lr == 0.03, timeout=TIMEOUT)
    # Live, from the step the undo came at: the history is not rewritten.
    assert [(ch.step, ch.setting, ch.previous, ch.value) for ch in c.changes] == \
        [(0, "lr", 0.01, 0.03), (0, "lr", 0.03, 0.05), (7, "lr", 0.05, 0.03)]
    assert w.redo_action.text() == "&Redo lr 0.03 → 0.05"
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: c.latest.lr == 0.05, timeout=TIMEOUT)
    assert w.panel.lr.value() == 0.05
    w.undo_action.trigger()
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: c.latest.lr == 0.01, timeout=TIMEOUT)
    assert w.panel.lr.value() == 0.01 and not w.undo_action.isEnabled() and w.undo_action.text() == "&Undo"


def test_arrow_steps_of_one_setting_merge_into_one_undo_step(qtbot, open_window):
    w = open_window()
    c = w.controller
    for _ in range(3):
        qtbot.keyClick(w, Qt.Key.Key_BracketRight)  # 0.01 → 0.02 → 0.05 → 0.1
    assert w.undo_stack.count() == 1 and w.undo_action.text() == "&Undo lr 0.01 → 0.1"
    qtbot.keyClick(w, Qt.Key.Key_Apostrophe)  # another setting: a step of its own
    w.panel.momentum.stepBy(1)  # (the box's own arrow)
    assert w.undo_stack.count() == 2 and w.undo_action.text() == "&Undo momentum 0.5 → 0.6"
    type_into(qtbot, w.panel.lr, "0.2")  # typed: never merged into the steps before
    assert w.undo_stack.count() == 3
    w.undo_action.trigger()
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: (c.latest.lr, c.latest.momentum) == (0.1, 0.5), timeout=TIMEOUT)
    assert w.panel.momentum.value() == 0.5
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: c.latest.lr == 0.01, timeout=TIMEOUT)
    w.undo_stack.clear()
    qtbot.keyClick(w, Qt.Key.Key_BracketRight)
    qtbot.keyClick(w, Qt.Key.Key_BracketLeft)  # stepped back to where it began: nothing to undo
    assert w.undo_stack.count() == 0 and not w.undo_action.isEnabled()


def test_undo_of_a_restarting_change_starts_the_previous_configuration_again(qtbot, open_window):
    w = open_window()
    c = w.controller
    type_into(qtbot, w.panel.momentum, "0.8")
    w.panel.seed.setValue(3)  # as the user's Enter or arrow does: a new run
    qtbot.waitUntil(lambda: ready(c) and c.config.seed == 3, timeout=TIMEOUT)
    first_weights = c.latest.params.copy()
    assert w.undo_action.text() == "&Undo seed 0 → 3"
    c.step_items(5)
    qtbot.waitUntil(lambda: c.latest.step == 5, timeout=TIMEOUT)
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: ready(c) and c.config.seed == 0, timeout=TIMEOUT)
    assert c.latest.step == 0 and c.config.momentum == 0.8  # the configuration before, from its start
    assert w.panel.seed.value() == 0 and w.panel.momentum.value() == 0.8
    w.undo_action.trigger()  # the live change before it: live, on the run restarted
    qtbot.waitUntil(lambda: c.latest.momentum == 0.5, timeout=TIMEOUT)
    assert c.config.seed == 0
    w.redo_action.trigger()
    w.redo_action.trigger()
    qtbot.waitUntil(lambda: ready(c) and c.config.seed == 3 and c.config.momentum == 0.8, timeout=TIMEOUT)
    assert (c.latest.params == first_weights).all() and w.panel.seed.value() == 3


def test_adding_a_run_says_so_and_ctrl_z_takes_it_away(qtbot, open_window):
    w = open_window()
    c = w.controller
    qtbot.mouseClick(w.panel.add_lane_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ready(c) and len(c.lanes) == 2, timeout=TIMEOUT)
    message = w.statusBar().currentMessage()
    assert message == "Run B added: every run restarted (Ctrl+Z undoes it)"
    assert menu_items(w)["Edit"]["Undo run B added"] is w.undo_action
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ready(c) and len(c.lanes) == 1, timeout=TIMEOUT)
    assert not w.panel.lane_rows
    assert len(c.shown_config().lanes) == 1


def test_a_change_of_a_compared_run_is_undone_on_that_run(qtbot, open_window):
    w = open_window(RunConfig(compare=(LaneSettings("classical", 0.01, 0.5),)))
    c = w.controller
    row = w.panel.lane_rows[0]
    type_into(qtbot, row.lr, "0.07")
    qtbot.waitUntil(lambda: c.latest.lanes[1].lr == 0.07, timeout=TIMEOUT)
    assert w.undo_action.text() == "&Undo run B lr 0.01 → 0.07"
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: c.latest.lanes[1].lr == 0.01, timeout=TIMEOUT)
    assert c.latest.lanes[0].lr == 0.01 and row.lr.value() == 0.01


def test_a_lesson_clears_the_stack(qtbot, open_window):
    w = open_window()
    qtbot.keyClick(w, Qt.Key.Key_BracketRight)
    assert w.undo_stack.count() == 1
    assert w.open_lesson(0)
    assert w.undo_stack.count() == 0 and not w.undo_action.isEnabled()


def test_a_new_run_whose_data_fail_to_read_leaves_nothing_to_undo(qtbot, open_window, dialogs, tmp_path):
    w = open_window()
    c = w.controller
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n" + "1,2,0\n" * 300_000 + "1,x,0\n")  # (read for a while, then refused)
    assert w.undo_stack.restart(lambda: c.apply(dataset=str(bad)))
    assert w.undo_stack.count() == 1 and c.loading == "bad.csv"  # asked for, its data being read
    qtbot.waitUntil(lambda: len(dialogs) == 1 and not c.busy, timeout=TIMEOUT)
    assert w.undo_stack.count() == 0 and not w.undo_action.isEnabled()
    small = tmp_path / "small.csv"
    small.write_text("a,b,label\n1,x,0\n")  # (refused at once, maybe within the ask)
    w.undo_stack.restart(lambda: c.apply(dataset=str(small)))
    qtbot.waitUntil(lambda: len(dialogs) == 2 and not c.busy, timeout=TIMEOUT)
    assert w.undo_stack.count() == 0 and c.config.dataset == "iris"


def test_a_sweep_cell_replayed_is_one_undo_step(qtbot, open_window):
    """Clicking a sweep cell replaces the run on show: Ctrl+Z gives it back, from its start."""
    from test_gui import click_cell, run_sweep

    w = open_window(size=(1400, 900))
    c = w.controller
    panel = run_sweep(qtbot, w, 2, 2, 2)
    before = (c.config.lr, c.config.momentum)
    click_cell(qtbot, panel, 1, 1)
    lr, m = w.sweeps.result.lrs[1], w.sweeps.result.momenta[1]
    qtbot.waitUntil(lambda: ready(c) and c.latest.step == 2 * c.dataset.n_train, timeout=TIMEOUT)
    assert (c.config.lr, c.config.momentum) == (lr, m)
    assert w.undo_action.text() == f"&Undo lr {before[0]:g} → {lr:g}, momentum {before[1]:g} → {m:g}"
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: ready(c) and (c.config.lr, c.config.momentum) == before, timeout=TIMEOUT)
    assert c.latest.step == 0 and w.panel.lr.value() == before[0]


def test_describe_names_what_changed():
    base = RunConfig()
    assert describe(base, RunConfig(hidden=12)) == "hidden 7 → 12"
    assert describe(base, RunConfig(dataset="wine", seed=2)) == "dataset iris → wine, seed 0 → 2"
    two = RunConfig(compare=(LaneSettings("classical", 0.01, 0.5),))
    assert describe(base, two) == "run B added"
    assert describe(two, base) == "runs compared B → none"
    assert describe(two, RunConfig(compare=(LaneSettings("nesterov", 0.01, 0.5),))) == \
        "run B rule classical → nesterov"


def test_help_opens_the_tutorial_or_says_where_it_is(qtbot, open_window, dialogs, monkeypatch, tmp_path):
    from momentum_lab._qt import window

    w = open_window()
    menu_items(w)["Help"]["The tutorial"].trigger()
    assert w._tutorial.isVisible() and "Momentum Lab tutorial" in w._tutorial.findChild(QTextBrowser).toPlainText()
    monkeypatch.setattr(window, "doc_path", lambda name: None)  # (a copy without it)
    w._tutorial = None
    w.commands["tutorial"].trigger()
    assert w._tutorial is None and "docs/tutorial.md" in dialogs[-1][1]

"""Every command of the window, declared once: its text, keys, tip, handler and menu.

The window builds one QAction per command (:func:`build_actions`); the menus
(:func:`build_menus`), the panel's run buttons (:func:`bind_button`) and the F1 list of keys
(:func:`shortcut_table`) are made from those actions, so a key, a text or a tip is written here
only. A command's keys work wherever the focus is in the window, whether a menu lists it or not.

What is not a command but data is not declared here: the files under File ▸ Open recent, the
exports, the lessons and the layouts are menu items made from their lists.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QWidget

from .views import VIEWS

__all__ = ["ARTICLE_LESSON", "COMMANDS", "MENUS", "SHORTCUTS", "Command", "Separator", "Submenu", "bind_button", "build_actions",
           "build_menus", "shortcut_rows", "shortcut_table"]

#: The lesson that Run ▸ The article's own run opens (resources/lessons/08-article.toml).
ARTICLE_LESSON = "article"
#: The menu bar, left to right: key -> title. The window keeps each menu as ``<key>_menu``.
MENUS = {"file": "&File", "edit": "&Edit", "run": "&Run", "lesson": "&Lessons", "view": "&View", "help": "&Help"}


@dataclass(frozen=True)
class Command:
    """One command. ``handler``: the name of a window attribute ("_on_reset", "lesson_panel.next"),
    or a function of the window. A handler naming a QAction (the undo stack's, a plot's) or a
    QDockWidget (its show / hide action) is that action: the command gives it its text, keys and
    tip. ``menu``: the menu that lists it (a key of MENUS), also its group in the F1 list;
    ``listed`` False: a key only, in no menu. ``checkable``: the handler gets the new state."""

    name: str
    text: str
    keys: tuple[str, ...] = ()
    tip: str = ""
    handler: str | Callable[[Any], None] = ""
    menu: str = ""
    checkable: bool = False
    listed: bool = True


@dataclass(frozen=True)
class Separator:
    menu: str


@dataclass(frozen=True)
class Submenu:
    """A submenu whose items are data (recent files, exports, layouts); the window keeps it as
    ``attribute`` and fills it."""

    menu: str
    attribute: str
    text: str


def _views() -> tuple[Command, ...]:
    return tuple(Command(f"view_{name}", title, (key,), f"Show the {title.lower()}; {key} again brings it up big "
                         "(Esc: back)", lambda window, name=name: window.show_view(name), "view")
                 for name, (title, key) in VIEWS.items())


#: The commands and the menus' layout, in menu order.
COMMANDS: tuple[Command | Separator | Submenu, ...] = (
    Command("open_csv", "&Open CSV…", ("Ctrl+O",), "Open a CSV data file (read in the background: Esc stops it)",
            "_on_open_csv", "file"),
    Command("open_scenario", "Open a s&cenario…", ("Ctrl+Shift+O",),
            "Open a scenario: its run replays, change for change, to where it was saved", "_on_open_scenario", "file"),
    Submenu("file", "recent_menu", "Open &recent"),
    Command("save_scenario", "&Save the run as a scenario…", ("Ctrl+S",),
            "Save the run as a scenario: data, network, settings, seed and every live change with its step "
            "(it replays exactly)", "_on_save_scenario", "file"),
    Separator("file"),
    Submenu("file", "export_menu", "&Export"),
    Command("screenshot", "Save a scree&nshot…", (), "A PNG of the whole window", "_on_save_screenshot", "file"),
    Separator("file"),
    Command("escape", "Stop reading", ("Esc",), "Stop reading a data set or a scenario (the run on show goes on); "
            "back from a view brought up big", "_on_escape", "file", listed=False),
    Command("quit", "&Quit", ("Ctrl+Q",), "Close the window (its layout and options are kept for next time)",
            "close", "file"),

    Command("undo", "&Undo", ("Ctrl+Z",), "Undo the last change of a setting: a live one from the next step, one "
            "that started a new run by starting the previous one again", "undo_action", "edit"),
    Command("redo", "&Redo", ("Ctrl+Shift+Z",), "Redo the change last undone", "redo_action", "edit"),

    Command("start", "&Start", ("Space",), "Start / pause training", "_on_toggle", "run"),
    Command("step_item", "Step &item", ("N",), "Step: one update (one item; with a batch size, one batch)",
            "_on_step_item", "run"),
    Command("step_epoch", "Step &epoch", ("E",), "Step: train to the end of the epoch", "_on_step_epoch", "run"),
    Command("reset", "&Reset", ("R",), "Reset: back to the start, same seed, same initial weights", "_on_reset",
            "run"),
    Command("new_seed", "New see&d", (), "A new seed: new initial weights and item order (a new run)",
            "_on_new_seed", "run"),
    Separator("run"),
    Command("faster", "&Faster", ("=", "+"), "Faster: the next speed offered", "_on_faster", "run"),
    Command("slower", "S&lower", ("-",), "Slower (1 or 2 items a second is slow motion a room can follow)",
            "_on_slower", "run"),
    Command("lr_up", "Raise the learning rate", ("]",), "Raise the learning rate (0.001 → 0.002 → 0.005 → 0.01 …)",
            "_on_lr_up", "run"),
    Command("lr_down", "Lower the learning rate", ("[",), "Lower the learning rate", "_on_lr_down", "run"),
    Command("momentum_up", "Raise the momentum", ("'",), "Raise the momentum (by 0.05, by 0.01 above 0.9)",
            "_on_momentum_up", "run"),
    Command("momentum_down", "Lower the momentum", (";",), "Lower the momentum", "_on_momentum_down", "run"),
    Separator("run"),
    Command("add_run", "&Add a run to compare", (), "A new run beside the others, by default with the next rule at "
            "A's learning rate and momentum; every run starts again (Ctrl+Z undoes it)", "_on_add_run", "run"),
    Command("branch", "&Branch here…", ("B",), "Branch here: rewind to an epoch and go on from there with other "
            "settings (the curve so far stays, grey)", "_on_branch", "run"),
    Command("clear_ghost", "&Clear the original curve", (), "Take away the grey curve of the run before the branch",
            "_on_clear_ghost", "run"),
    Separator("run"),
    # A preset run: the lesson of the same name opens it (its text gives the article's numbers).
    Command("article_run", "The &article's own run", (), "Open the article's own run (momentum-lab train --preset "
            "article): its network, data, signal, weights and item order, without and with momentum side by side",
            lambda window: window.open_lesson(ARTICLE_LESSON), "run"),

    # (The lessons themselves are listed above these, from the lessons loaded.)
    Separator("lesson"),
    Command("previous_lesson", "&Previous lesson", ("Alt+Left",), "Previous lesson", "_on_previous_lesson",
            "lesson"),
    Command("next_lesson", "&Next lesson", ("Alt+Right",), "Next lesson", "_on_next_lesson", "lesson"),
    Command("clicker_previous", "Previous lesson (clicker)", ("PgUp",), "Previous lesson, as a presentation "
            "clicker sends it (in a field or a text: its own page key)", "_on_page_up", "lesson", listed=False),
    Command("clicker_next", "Next lesson (clicker)", ("PgDown",), "Next lesson, as a presentation clicker sends it "
            "(in a field or a text: its own page key)", "_on_page_down", "lesson", listed=False),
    Command("reset_lesson", "&Reset this lesson", (), "Start this lesson's run again from its beginning",
            "lesson_panel.reset_lesson", "lesson"),

    Command("controls", "&Controls panel", ("F2",), "Show / hide the controls (more room for the plots)", "dock",
            "view"),
    Command("lessons", "&Lessons panel", ("F3",), "Show / hide the lessons", "lesson_dock", "view"),
    Command("lecture", "L&ecture mode", ("F5",), "Lecture mode on / off: large text, thick lines, only the "
            "controls a lecture needs", "_on_lecture_toggled", "view", checkable=True),
    Command("log_scale", "Lo&g scale", ("L",), "Log scale on / off for the error", "_on_log_scale", "view",
            checkable=True),
    Command("follow_latest", "", (), "The error and accuracy plots show only the latest epochs",
            "curves.follow_latest", "view"),
    Separator("view"),
    *_views(),
    Command("show_stability", "Stability map", ("M",), "Show the stability map", "_on_show_stability", "view",
            listed=False),
    Command("show_sweep", "Sweep", ("S",), "Show the sweep (learning rate × momentum grid)", "_on_show_sweep",
            "view", listed=False),
    Submenu("view", "layouts_menu", "La&youts"),

    Command("shortcuts", "&Keyboard shortcuts", ("F1",), "This list", "_on_show_shortcuts", "help"),
    Command("tutorial", "The &tutorial", (), "From a first run to reading the delta heatmap, step by step",
            "_on_tutorial", "help"),
    Command("about", "&About Momentum Lab", (), "", "_on_about", "help"),
)


def _commands() -> tuple[Command, ...]:
    return tuple(entry for entry in COMMANDS if isinstance(entry, Command))


def keys_text(keys: tuple[str, ...]) -> str:
    return " / ".join(keys)


def shortcut_rows() -> tuple[tuple[str, str, str], ...]:
    """(menu, keys, what they do) of every command declared with keys."""
    return tuple((c.menu, keys_text(c.keys), c.tip) for c in _commands() if c.keys)


#: Keyboard shortcuts: (keys, what they do), as declared.
SHORTCUTS = tuple((keys, tip) for _, keys, tip in shortcut_rows())


def shortcut_table(actions: dict[str, QAction]) -> str:
    """The F1 list as HTML, from the keys and tips the actions have: a table of two columns of
    groups (the run's keys beside the views'), short enough for a laptop's screen."""
    def group(menu: str) -> str:
        rows = []
        for command in _commands():
            action = actions[command.name]
            if command.menu == menu and action.shortcuts():
                keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                rows.append(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(action.statusTip())}</td></tr>")
        title = MENUS[menu].replace("&", "")
        return f"<tr><td colspan=2><h3>{title}</h3></td></tr>{''.join(rows)}" if rows else ""

    columns = (("run", "edit", "lesson"), ("view", "file", "help"))
    cells = "".join(f"<td width=50% valign=top><table cellpadding=3>{''.join(map(group, menus))}</table></td>"
                    for menus in columns)
    return f"<table width=100%><tr>{cells}</tr></table>"


def build_actions(window: QWidget) -> dict[str, QAction]:
    """One QAction per command, owned by ``window``: name -> action."""
    return {command.name: _action(window, command) for command in _commands()}


def _action(window: QWidget, command: Command) -> QAction:
    handler = command.handler
    if callable(handler):
        target: Any = lambda checked=False: handler(window)  # noqa: E731
    else:
        target = functools.reduce(getattr, handler.split("."), window)
    if isinstance(target, QDockWidget):
        target = target.toggleViewAction()  # (Qt keeps it checked while the dock is shown)
    if isinstance(target, QAction):
        action = target
    else:
        action = QAction(window)
        action.setCheckable(command.checkable)
        action.triggered.connect(target)  # (triggered: by the user only; a checkable one gets its state)
    if command.text:
        action.setText(command.text)
    action.setShortcuts([QKeySequence(key) for key in command.keys])
    if command.tip:
        action.setStatusTip(command.tip)
        action.setToolTip(f"{command.tip} ({keys_text(command.keys)})" if command.keys else command.tip)
    return action


def build_menus(window: QWidget, actions: dict[str, QAction]) -> None:
    """The menu bar of ``window`` (a QMainWindow), made from COMMANDS."""
    menus = {key: window.menuBar().addMenu(title) for key, title in MENUS.items()}
    for key, menu in menus.items():
        setattr(window, f"{key}_menu", menu)
    for entry in COMMANDS:
        menu = menus[entry.menu]
        if isinstance(entry, Separator):
            menu.addSeparator()
        elif isinstance(entry, Submenu):
            setattr(window, entry.attribute, menu.addMenu(entry.text))
        elif entry.listed:
            menu.addAction(actions[entry.name])


def bind_button(button: QAbstractButton, action: QAction) -> None:
    """``button`` triggers ``action`` and shows its text, tip and whether it is enabled."""
    def show() -> None:
        button.setText(action.iconText())
        button.setToolTip(action.toolTip())
        button.setEnabled(action.isEnabled())

    button.clicked.connect(action.trigger)
    action.changed.connect(show)
    show()

"""Undo and Redo of the user's changes to the run: a QUndoStack over the run controller.

Two kinds of change, undone as each was made:

- a live change (a run's learning rate or momentum) is undone live: the setting goes back from
  the worker's next step, the run goes on, and the undo is recorded as a change at that step
  (undo never rewrites the history);
- a change that restarts the run (data, network, rule, seed, the runs compared) is undone by
  starting the previous configuration again, and redone by starting the new one again.

The panel and the window make these changes through :class:`RunUndoStack` (``set_live``,
``restart``), never the controller directly, so that each is one command of the stack.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..engine import RUN_NAMES, SETTINGS, Dataset, InputError, RunConfig
from .controller import RunController

__all__ = ["LiveChange", "Restart", "RunUndoStack", "describe"]

# QUndoCommand.id() of the live changes: the stack asks only commands of one id to merge.
_LIVE_ID = 1


class RunUndoStack(QUndoStack):
    """The user's changes to the run on show, undoable; the controller carries them out."""

    # Emitted after an undo or a redo has changed the settings asked for: views that show the
    # settings show the controller's shown_config() again.
    settings_restored = Signal()

    def __init__(self, controller: RunController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        # The restart last pushed while its run is not on show yet (its data may fail to read):
        # its index in the stack; and whether the run asked for was given up (config_restored).
        self._waiting: int | None = None
        self._restored = False
        controller.run_started.connect(self._on_run_started)
        controller.config_restored.connect(self._on_config_restored)

    def set_live(self, lane: int, name: str, value: float, step: bool = False) -> None:
        """Set run ``lane``'s ``name`` ("lr" or "momentum") live, as one undo step. ``step``: the
        value came from an arrow step (a key or a spin box's arrow); consecutive steps of the same
        setting merge into one undo step, a typed value is one of its own."""
        try:
            value = SETTINGS[name](value)
        except InputError:
            _setter(self.controller, name)(value, lane)  # (it says why, through its error signal)
            return
        lanes = self.controller.shown_config().lanes
        if lane < len(lanes) and getattr(lanes[lane], name) != value:
            self.push(LiveChange(self, lane, name, getattr(lanes[lane], name), value, step))

    def restart(self, ask: Callable[[], bool]) -> bool:
        """Ask for a new run with ``ask()`` (one of the controller's commands: ``apply``,
        ``add_lane``, ``remove_lane``, ``set_lane_rule``, ``new_seed``) and, if it was asked for,
        record it as one undo step; returns what ``ask()`` did."""
        before = self.controller.shown_config()
        self._waiting = None
        self._restored = False
        if not ask() or self._restored:  # (refused, or its data failed to read at once)
            return False
        self.push(Restart(self, before, self.controller.shown_config()))
        self._waiting = self.index()
        return True

    def forget(self) -> None:
        """Clear the stack: a lesson, a scenario or a branch is a new start, and its run is not made
        of the changes recorded before it (undoing them there would mix two runs)."""
        self._waiting = None
        self.clear()

    @Slot(str)
    def _on_run_started(self, reason: str) -> None:
        self._waiting = None

    @Slot()
    def _on_config_restored(self) -> None:
        """The run last asked for will not come (its data failed to read, or were cancelled): its
        restart is taken off the stack, unperformed (the run on show is its ``before``). (A
        file read at once fails within ``restart``'s ask: that one is never pushed.)"""
        self._restored = True
        if self._waiting is not None and self._waiting == self.index() == self.count():
            command = self.command(self.index() - 1)
            if isinstance(command, Restart):
                command.dropped = True
                command.setObsolete(True)
                self.undo()  # (an obsolete command is removed once undone)
        self._waiting = None


def _setter(controller: RunController, name: str) -> Callable[[float, int], None]:
    return controller.set_lr if name == "lr" else controller.set_momentum


def _run_prefix(lane: int) -> str:
    return f"run {RUN_NAMES[lane]} " if lane else ""


class LiveChange(QUndoCommand):
    """One run's learning rate or momentum, ``old`` → ``new``: done, undone and redone live."""

    def __init__(self, stack: RunUndoStack, lane: int, name: str, old: float, new: float, step: bool) -> None:
        super().__init__()
        self.stack, self.lane, self.name, self.old, self.new, self.step = stack, lane, name, old, new, step
        self._done = False
        self._show_text()

    def _show_text(self) -> None:
        self.setText(f"{_run_prefix(self.lane)}{self.name} {self.old:g} → {self.new:g}")

    def id(self) -> int:
        return _LIVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt's name)
        """Arrow steps of one setting, one after the other, are one undo step; stepped back to
        where they began, none (the stack drops an obsolete command)."""
        if not (isinstance(other, LiveChange) and self.step and other.step
                and (other.lane, other.name) == (self.lane, self.name)):
            return False
        self.new = other.new
        self._show_text()
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        _setter(self.stack.controller, self.name)(self.new, self.lane)
        if self._done:  # (pushed, the panel already shows the value it was made in)
            self.stack.settings_restored.emit()
        self._done = True

    def undo(self) -> None:
        _setter(self.stack.controller, self.name)(self.old, self.lane)
        self.stack.settings_restored.emit()


class Restart(QUndoCommand):
    """A change that started a new run: from ``before`` to ``after`` (whole configurations, the
    live settings and the runs compared included)."""

    def __init__(self, stack: RunUndoStack, before: RunConfig, after: RunConfig) -> None:
        super().__init__(describe(before, after))
        self.stack, self.before, self.after = stack, before, after
        self._done = False
        #: Set when its run never came (see RunUndoStack._on_config_restored): undo does nothing.
        self.dropped = False

    def redo(self) -> None:
        # The first redo is the push: the change was asked for already (only then is it known
        # whether the controller took it), so it is not asked for twice.
        if self._done:
            self.stack.controller.restore(self.after, f"redone: {self.text()}")
            self.stack.settings_restored.emit()
        self._done = True

    def undo(self) -> None:
        if not self.dropped:
            self.stack.controller.restore(self.before, f"undone: {self.text()}")
            self.stack.settings_restored.emit()


def describe(before: RunConfig, after: RunConfig) -> str:
    """What changed from ``before`` to ``after``, short, for Edit ▸ Undo: "hidden 7 → 12",
    "run B added", "run B rule classical → nesterov"."""
    parts = [f"{f.name.replace('_', ' ')} {_text(getattr(before, f.name))} → {_text(getattr(after, f.name))}"
             for f in fields(RunConfig)
             if f.name != "compare" and not _same(getattr(before, f.name), getattr(after, f.name))]
    old, new = before.lanes, after.lanes
    if len(new) > len(old):
        parts.append(f"run {RUN_NAMES[len(old)]} added")
    elif len(new) < len(old):
        parts.append("runs compared " + ", ".join(RUN_NAMES[1:len(old)]) + " → "
                     + (", ".join(RUN_NAMES[1:len(new)]) or "none"))
    else:
        for i in range(1, len(new)):
            for name in ("rule", "lr", "momentum"):
                a, b = getattr(old[i], name), getattr(new[i], name)
                if a != b:
                    parts.append(f"run {RUN_NAMES[i]} {name} {_text(a)} → {_text(b)}")
    return ", ".join(parts) or "a new run"


def _same(a: Any, b: Any) -> bool:
    """Equal values (arrays, the API's data, are the same only if they are the same object)."""
    if a is b:
        return True
    if isinstance(a, (str, int, float, bool, os.PathLike, type(None))) and type(a) is type(b):
        return a == b
    return False


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Dataset):
        return value.name
    if isinstance(value, tuple):
        return "arrays"
    if isinstance(value, (str, os.PathLike)) and os.sep in os.fspath(value):
        return Path(value).name  # a CSV file: its name
    return str(value)

"""The control panel: data, network, rule, learning rate, momentum, speed, and the run buttons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine import (ACTIVATIONS, DATASET_NAMES, FULL_BATCH, LOSSES, MAX_RUNS, RANGES, RULE_SHORT, RULE_TITLES, RULES,
                      RUN_NAMES)
from .actions import bind_button
from .controller import LaneSettings, RunController
from .plots import LANE_COLOURS
from .undo import RunUndoStack
from .widgets import EpochLimitBox, LearningRateSpinBox, MomentumSpinBox, SpeedControl, signals_blocked

__all__ = ["ControlPanel", "LaneRow"]

OPEN_CSV = "Open CSV…"
# The epoch limit box's largest value (a limit above it, from the command line, shows as this) and
# what it shows for no limit (0).
MAX_EPOCH_BOX = 2**31 - 1
NO_LIMIT = "∞"


def _option_box(option: str) -> QSpinBox:
    """A whole-number option's box, over exactly the range the command line accepts."""
    spec = RANGES[option]
    box = QSpinBox()
    box.setRange(int(spec.low), int(spec.high))
    box.setKeyboardTracking(False)
    return box


def _batch_box() -> QSpinBox:
    """The batch size's box: the command line's whole numbers, and below them (0) 'full'."""
    box = _option_box("batch_size")
    box.setMinimum(0)
    box.setSpecialValueText(FULL_BATCH)
    box.setToolTip("Items whose mean gradient makes one update (a step): 1 online, full the whole training set "
                   "(as is any number beyond it). A change starts a new run")
    return box


def _batch_value(size: int | str) -> int:
    """The batch box's value for a batch size (0: full)."""
    return 0 if size == FULL_BATCH else int(size)


def _rule_box() -> QComboBox:
    box = QComboBox()
    for i, name in enumerate(RULES):
        box.addItem(RULE_SHORT[name], name)
        box.setItemData(i, RULE_TITLES[name], Qt.ItemDataRole.ToolTipRole)
    return box


class LaneRow(QWidget):
    """One run compared with the main one: its rule (a change restarts every run), its live
    learning rate and momentum, and a button to stop comparing it (each change undoable)."""

    def __init__(self, controller: RunController, undo: RunUndoStack, index: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.undo = undo
        self.index = index
        name = QLabel(RUN_NAMES[index])
        name.setStyleSheet(f"QLabel {{ color: white; background: {LANE_COLOURS[index]}; font-weight: bold; "
                           "padding: 2px 6px; border-radius: 3px; }")
        name.setToolTip(f"Run {RUN_NAMES[index]}: drawn in this colour (test error dashed)")
        name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        name.setFixedWidth(name.fontMetrics().horizontalAdvance("W") + 14)
        self.rule = _rule_box()
        self.lr = LearningRateSpinBox()
        self.lr.setToolTip(f"Run {RUN_NAMES[index]}'s learning rate, from its next step")
        self.momentum = MomentumSpinBox()
        self.momentum.setToolTip(f"Run {RUN_NAMES[index]}'s momentum, from its next step")
        self.remove = QPushButton("✕")
        self.remove.setFixedWidth(28)
        self.remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove.setToolTip(f"Stop comparing run {RUN_NAMES[index]} (the others start again)")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0 , 2)
        grid.addWidget(name, 0, 0)
        grid.addWidget(self.rule, 0, 1, 1, 2)
        grid.addWidget(self.remove, 0, 3)
        grid.addWidget(self.lr, 1, 1)
        grid.addWidget(self.momentum, 1, 2)
        self.rule.activated.connect(self._on_rule)
        self.lr.valueChanged.connect(self._on_lr)
        self.momentum.valueChanged.connect(self._on_momentum)
        self.remove.clicked.connect(self._on_remove)
        for box in (self.lr, self.momentum):
            box.editingFinished.connect(box.clearFocus)

    def show_settings(self, settings: LaneSettings) -> None:
        for widget, setter, value in ((self.rule, self.rule.setCurrentIndex, RULES.index(settings.rule)),
                                      (self.lr, self.lr.setValue, settings.lr),
                                      (self.momentum, self.momentum.setValue, settings.momentum)):
            with signals_blocked(widget):
                setter(value)

    @Slot(int)
    def _on_rule(self, index: int) -> None:
        rule = self.rule.itemData(index)
        self.undo.restart(lambda: self.controller.set_lane_rule(self.index, rule))

    # (The boxes' value(), not the signal's argument: that is Qt's copy, rounded below 1e-306.)
    @Slot(float)
    def _on_lr(self, value: float) -> None:
        self.undo.set_live(self.index, "lr", self.lr.value(), self.lr.stepping)

    @Slot(float)
    def _on_momentum(self, value: float) -> None:
        self.undo.set_live(self.index, "momentum", self.momentum.value(), self.momentum.stepping)

    @Slot()
    def _on_remove(self) -> None:
        self.undo.restart(lambda: self.controller.remove_lane(self.index))


class ControlPanel(QWidget):
    """Forwards every choice to the controller, through the undo stack (each change one undo
    step); holds no state of its own. Its run buttons are the window's commands (use_actions)."""

    def __init__(self, controller: RunController, undo: RunUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.undo = undo
        self.commands: dict[str, QAction] = {}  # (the window's commands, once use_actions has run)

        self.dataset = QComboBox()
        self.dataset.addItems(list(DATASET_NAMES))
        self.dataset.insertSeparator(len(DATASET_NAMES))
        self.dataset.addItem(OPEN_CSV)
        self.hidden = _option_box("hidden")
        self.activation = QComboBox()
        self.activation.addItems(list(ACTIVATIONS))
        self.loss = QComboBox()
        self.loss.addItems(list(LOSSES))
        self.batch = _batch_box()
        self.rule = _rule_box()
        self.lr = LearningRateSpinBox()
        self.lr.setToolTip("Learning rate: arrows step 0.001, 0.002, 0.005, 0.01, …; typed values are kept "
                           "exactly. Applies from the next step ( ] raises, [ lowers).")
        self.momentum = MomentumSpinBox()
        self.momentum.setToolTip("Momentum factor in [0, 1); the arrows step within [0, 0.999]. Applies from "
                                 "the next step ( ' raises, ; lowers).")
        self.seed = _option_box("seed")
        self.speed = SpeedControl()
        self.max_epochs = EpochLimitBox()
        self.max_epochs.setRange(0, MAX_EPOCH_BOX)
        self.max_epochs.setSpecialValueText(NO_LIMIT)  # 0: no limit
        self.max_epochs.setKeyboardTracking(False)
        self.max_epochs.setToolTip("Training stops (finished) when this many epochs are done; "
                                   f"{NO_LIMIT} (below 1): no limit")
        self.preparing = QLabel()
        self.preparing.setWordWrap(True)
        self.preparing.setStyleSheet("QLabel { color: #555; }")
        self.preparing.hide()

        self.start_button = QPushButton("Start")
        self.step_button = QPushButton("Step item")
        self.epoch_button = QPushButton("Step epoch")
        self.reset_button = QPushButton("Reset")
        self.seed_button = QPushButton("New seed")
        # Buttons take no keyboard focus, and spin boxes give it up after an edit, so that
        # Space, N, E, ] and [ always reach the window's shortcuts.
        for button in (self.start_button, self.step_button, self.epoch_button, self.reset_button, self.seed_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Arrow clicks on Hidden units come in bursts; each new shape compiles for seconds, so
        # the run starts once the clicking stops.
        self._hidden_timer = QTimer(self)
        self._hidden_timer.setSingleShot(True)
        self._hidden_timer.setInterval(600)
        self._hidden_timer.timeout.connect(self._on_hidden_settled)

        structure = self.structure = QGroupBox("Data and network (a change starts a new run)")
        structure.setToolTip("Changing any of these starts a new run from new initial weights")
        form = QFormLayout(structure)
        form.addRow("Data set", self.dataset)
        form.addRow("Hidden units", self.hidden)
        form.addRow("Activation", self.activation)
        form.addRow("Loss", self.loss)
        form.addRow("Batch size", self.batch)
        form.addRow("Update rule", self.rule)
        live = self.live = QGroupBox("Live settings (apply from the next step)")
        live.setToolTip("A change applies from the next step: the run goes on")
        live_form = QFormLayout(live)
        live_form.addRow("Learning rate", self.lr)
        live_form.addRow("Momentum", self.momentum)
        self.rule_note = QLabel()
        self.rule_note.setWordWrap(True)
        live_form.addRow(self.rule_note)
        compare = self.compare = QGroupBox("Compare (same start, same item order)")
        compare.setToolTip("Train up to three more runs beside the main one (A), from the same initial weights "
                           "and item order, each with its own rule, learning rate and momentum")
        self.lane_box = QVBoxLayout(compare)
        self.lane_rows: list[LaneRow] = []
        self.add_lane_button = QPushButton("Add a run to compare")
        self.add_lane_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lane_box.addWidget(self.add_lane_button)
        run = QGroupBox("Run")
        grid = QGridLayout(run)
        grid.addWidget(QLabel("Speed"), 0, 0)
        grid.addWidget(self.speed, 0, 1, 1, 2)
        grid.addWidget(QLabel("Stop at epoch"), 1, 0)
        grid.addWidget(self.max_epochs, 1, 1, 1, 2)
        # Two columns of buttons (three made the panel 400 px wide in lecture mode).
        grid.addWidget(self.start_button, 2, 0)
        grid.addWidget(self.step_button, 2, 1, 1, 2)
        grid.addWidget(self.reset_button, 3, 0)
        grid.addWidget(self.epoch_button, 3, 1, 1, 2)
        seed_row = QHBoxLayout()
        self.seed_label = QLabel("Seed")
        seed_row.addWidget(self.seed_label)
        seed_row.addWidget(self.seed, 1)
        grid.addLayout(seed_row, 4, 0)
        grid.addWidget(self.seed_button, 4, 1, 1, 2)
        grid.addWidget(self.preparing, 5, 0, 1, 3)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(structure)
        box.addWidget(live)
        box.addWidget(compare)
        box.addWidget(run)
        self.extra = box  # the window adds the views' own controls below

        self.show_config()
        self.show_limits()
        self.dataset.activated.connect(self._on_dataset)
        self.hidden.valueChanged.connect(self._on_hidden)
        for box in (self.lr, self.momentum, self.hidden, self.batch, self.seed, self.max_epochs):
            box.editingFinished.connect(self._on_edit_done)
        self.activation.activated.connect(self._on_activation)
        self.loss.activated.connect(self._on_loss)
        self.batch.valueChanged.connect(self._on_batch)
        self.rule.activated.connect(self._on_rule)
        self.lr.valueChanged.connect(self._on_lr)
        self.momentum.valueChanged.connect(self._on_momentum)
        self.seed.valueChanged.connect(self._on_seed)
        self.speed.speed_changed.connect(self._on_speed)
        self.max_epochs.valueChanged.connect(self._on_max_epochs)
        controller.state_changed.connect(self._show_preparing)
        controller.run_started.connect(self._on_run_started)
        controller.config_restored.connect(self._on_run_started)
        controller.config_requested.connect(self._on_run_started)
        controller.settings_changed.connect(self._on_run_started)
        controller.limits_changed.connect(self.show_limits)
        controller.preparing_changed.connect(self._show_preparing)
        undo.settings_restored.connect(self.show_config)
        self._show_preparing()

    def use_actions(self, actions: dict[str, QAction]) -> None:
        """The run buttons trigger the window's commands (actions.py) and show their text, tip and
        state: Start reads Pause while training runs, the steps wait for a ready run."""
        self.commands = actions
        for button, name in ((self.start_button, "start"), (self.step_button, "step_item"),
                             (self.epoch_button, "step_epoch"), (self.reset_button, "reset"),
                             (self.seed_button, "new_seed"), (self.add_lane_button, "add_run")):
            bind_button(button, actions[name])
        self.show_config()

    def show_config(self) -> None:
        """Show the controller's configuration (code, not the user, changes the widgets)."""
        cfg = self.controller.wanted_config
        widgets = (self.dataset, self.hidden, self.activation, self.loss, self.batch, self.rule, self.lr,
                   self.momentum, self.seed)
        for w in widgets:
            w.blockSignals(True)
        try:
            name = str(cfg.dataset) if not isinstance(cfg.dataset, tuple) else "arrays"
            if self.dataset.findText(name) < 0:
                self.dataset.insertItem(self.dataset.count() - 2, name)
            self.dataset.setCurrentText(name)
            self.hidden.setValue(cfg.hidden)
            self.activation.setCurrentText(cfg.activation)
            self.loss.setCurrentText(cfg.loss)
            self.batch.setValue(_batch_value(cfg.batch_size))
            self.speed.set_unit("item" if cfg.batch_size == 1 else "update")
            self.rule.setCurrentIndex(RULES.index(cfg.rule))
            self.lr.setValue(cfg.lr)
            self.momentum.setValue(cfg.momentum)
            self.seed.setValue(cfg.seed)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._show_lanes(cfg.compare)
        self._show_rule_note()

    @Slot()
    def show_limits(self) -> None:
        """Show the speed and the epoch limit the controller has (whoever set them)."""
        c = self.controller
        self.speed.set_speed(c.speed)
        with signals_blocked(self.max_epochs):
            self.max_epochs.setValue(min(c.max_epochs, MAX_EPOCH_BOX))

    def _show_lanes(self, compare: tuple[LaneSettings, ...]) -> None:
        """A row per run compared with the main one (A)."""
        while len(self.lane_rows) > len(compare):
            row = self.lane_rows.pop()
            self.lane_box.removeWidget(row)
            row.deleteLater()
        while len(self.lane_rows) < len(compare):
            row = LaneRow(self.controller, self.undo, len(self.lane_rows) + 1)
            self.lane_box.insertWidget(len(self.lane_rows), row)
            self.lane_rows.append(row)
        for row, settings in zip(self.lane_rows, compare):
            row.show_settings(settings)
        if self.commands:
            self.commands["add_run"].setEnabled(len(compare) + 1 < MAX_RUNS)
        self._show_live_title()

    def _show_live_title(self) -> None:
        # (In lecture mode, the short title: "from the next step" in large text widened the panel.)
        compare = bool(self.controller.wanted_config.compare)
        title = "Live settings of run A" if compare else "Live settings"
        if not self.structure.isHidden():
            title += " (from the next step)" if compare else " (apply from the next step)"
        self.live.setTitle(title)

    def _show_rule_note(self) -> None:
        cfg = self.controller.config
        m = cfg.momentum
        if cfg.rule == "lookback":
            steady = f"{1 + m:.3g}"
        else:
            steady = f"{1 / (1 - m):.3g}"
        self.rule_note.setText(f"On a steady slope this rule's step settles at {steady} × lr × gradient.")

    # -- handlers -------------------------------------------------------------------------------

    @Slot(int)
    def _on_dataset(self, index: int) -> None:
        text = self.dataset.itemText(index)
        if text == OPEN_CSV:
            text, _ = QFileDialog.getOpenFileName(self, "Open a CSV data set", str(Path.cwd()),
                                                  "CSV files (*.csv);;All files (*)")
        if text:
            # (A bad file: a dialog, and the run on show stays.)
            self.undo.restart(lambda: self.controller.apply(dataset=text))
        self.show_config()

    @Slot(int)
    def _on_hidden(self, value: int) -> None:
        self._hidden_timer.start()

    @Slot()
    def _on_hidden_settled(self) -> None:
        if self.hidden.value() != self.controller.wanted_config.hidden:
            hidden = self.hidden.value()
            self.undo.restart(lambda: self.controller.apply(hidden=hidden))

    @Slot()
    def _on_edit_done(self) -> None:
        focused = self.focusWidget()
        if focused is not None:
            focused.clearFocus()

    def _restart(self, **changes) -> None:
        self.undo.restart(lambda: self.controller.apply(**changes))

    @Slot(int)
    def _on_activation(self, index: int) -> None:
        self._restart(activation=self.activation.itemText(index))

    @Slot(int)
    def _on_loss(self, index: int) -> None:
        self._restart(loss=self.loss.itemText(index))

    @Slot(int)
    def _on_batch(self, value: int) -> None:
        if value != _batch_value(self.controller.wanted_config.batch_size):
            self._restart(batch_size=FULL_BATCH if value == 0 else value)

    @Slot(int)
    def _on_rule(self, index: int) -> None:
        self._restart(rule=self.rule.itemData(index))
        self._show_rule_note()

    @Slot(float)
    def _on_lr(self, value: float) -> None:
        self.undo.set_live(0, "lr", self.lr.value(), self.lr.stepping)

    @Slot(float)
    def _on_momentum(self, value: float) -> None:
        self.undo.set_live(0, "momentum", self.momentum.value(), self.momentum.stepping)
        self._show_rule_note()

    @Slot(int)
    def _on_seed(self, value: int) -> None:
        self._restart(seed=value)

    @Slot(float)
    def _on_speed(self, value: float) -> None:
        self.controller.set_speed(value)

    @Slot(int)
    def _on_max_epochs(self, value: int) -> None:
        self.controller.set_max_epochs(value)  # 0 (∞): no limit

    def show_advanced(self, shown: bool) -> None:
        """Show or hide what a lecture does not need: the data and network, the runs to compare,
        the seed (lecture mode keeps the live settings, the speed and the run buttons)."""
        for widget in (self.structure, self.compare, self.seed, self.seed_label, self.seed_button):
            widget.setVisible(shown)
        self._show_live_title()

    @Slot()
    def _show_preparing(self) -> None:
        c = self.controller
        text = c.preparing_text() if c.state == "preparing" else ""
        self.preparing.setText(text[:1].upper() + text[1:] + ("…" if text else ""))
        self.preparing.setVisible(bool(text))

    @Slot()
    @Slot(str)
    def _on_run_started(self, reason: str = "") -> None:
        self.show_config()
        self.show_limits()  # (a lesson or a scenario sets them, through the controller: see limits_changed)

"""The main window: the control panel, the plots, the status bar, menus and shortcuts."""

from __future__ import annotations

import html
import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont, QFontMetrics, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # (after PySide6)

from .._resources import doc_path
from ..engine import (DATASET_NAMES, RULE_SHORT, RUN_NAMES, Dataset, InputError, Lesson,
                      LessonProblem, Scenario,
                      Trainer, check_in_range, flag_spelling, load_lessons, open_input, scenario_and_data,
                      stability_level)
from .actions import SHORTCUTS, build_actions, build_menus, shortcut_table
from .controller import RunConfig, RunController
from .explore import StabilityMap, SweepController, SweepPanel
from .export import DATA_EXPORTS, check_run_output, export_all, export_plot, plots_of, svg_supported
from .lessons import LessonPanel
from .panel import ControlPanel
from .plots import LANE_COLOURS, DecisionRegions, DeltaPanel, ErrorCurves, NetworkView, present_plot, presenting, \
    set_presentation
from .report import save_png
from .summary import DeltaSummary
from .undo import RunUndoStack
from .views import LAYOUTS, ViewArea

__all__ = ["MainWindow", "RememberedOptions", "SHORTCUTS", "remembered_options", "saved_config"]

# Files listed under File ▸ Open recent, at most.
MAX_RECENT = 8
# How long a note in the status bar stays (ms), such as why the remembered options were not used.
NOTE_MS = 30_000
# The font size of every control in lecture mode, of its status bar, and of its readout of the
# live settings (the back row of a lecture hall reads that one).
LECTURE_FONT_PT = 15
LECTURE_STATUS_PT = 13
STATUS_MESSAGE_ROOM = 200  # px of the status bar left for its messages, in lecture mode
LECTURE_READOUT_PT = 24

# Redraws a second of each plot, at most: a little above the rate results arrive (30 a
# second), so that each batch is drawn once, soon after it comes.
REDRAW_HZ = 40
# The clock redraws one group of views per tick, so that no single paint blocks the GUI
# thread for long: each main group five times per cycle, the slow views once, apart.
SCHEDULE = (("curves", "deltas") * 2 + ("network",) + ("curves", "deltas") + ("tint",) + ("curves", "deltas")
            + ("regions",) + ("curves", "deltas") + ("side",))
# (The network, the decision regions, the other side views (the stability map, the delta
# summary) and the parameter list's sign-flip tint change slowly to the eye and cost most to
# draw: many pens, a forward pass over a grid, a whole run's epochs, every parameter's deltas.
# Once a SCHEDULE cycle each, on ticks of their own, so that no tick draws two of them:
# together they took 30-60 ms, a stall the eye sees.)


class MainWindow(QMainWindow):
    """Views take the controller; this window wires them and redraws them on its clock."""

    def __init__(self, controller: RunController, settings: QSettings | None = None,
                 lessons: tuple[list[Lesson], list[LessonProblem]] | None = None,
                 parent: QWidget | None = None) -> None:
        """``settings``: where the window keeps its layout, options and recent files between
        launches (None: nothing kept). ``lessons``: (lessons, files that did not load); by
        default the shipped ones and those of $MOMENTUM_LAB_LESSONS."""
        super().__init__(parent)
        self.controller = controller
        self.timer: QTimer | None = None
        self.sweeps: SweepController | None = None
        try:
            self._build(controller, settings, lessons)
        except BaseException:
            # The controller's thread runs: stop it before the error goes on, or the controller
            # dies with its thread running, and that aborts the process.
            self.shutdown()
            raise

    def _build(self, controller: RunController, settings: QSettings | None,
               lessons: tuple[list[Lesson], list[LessonProblem]] | None) -> None:
        self.settings = settings
        self._session_layouts: dict[str, str] = {}  # (saved layouts, when no settings store is kept)
        self.setWindowTitle("Momentum Lab")
        # The user's changes to the run, undoable (Edit ▸ Undo); the panel makes them through it.
        self.undo_stack = RunUndoStack(controller, self)
        self.panel = ControlPanel(controller, self.undo_stack)
        self.curves = ErrorCurves(controller)
        self.delta_panel = DeltaPanel(controller)
        self.network = NetworkView(controller)
        self.regions = DecisionRegions(controller)
        self.summary = DeltaSummary(controller, self.delta_panel.weights)
        self.stability = StabilityMap(controller)
        self.sweeps = SweepController(self)
        self.sweep_panel = SweepPanel(controller, self.sweeps)
        self.sweep_panel.restart = self.undo_stack.restart  # (a cell replayed: Ctrl+Z undoes it)
        self.lesson_panel = LessonPanel(controller, *(lessons if lessons is not None else load_lessons()))
        self.recent: list[str] = []

        dock = QDockWidget("Controls", self)
        dock.setObjectName("controls")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.dock = dock
        watch = self.watch_group = QGroupBox("Watch")
        watch_box = QVBoxLayout(watch)
        watch_box.addWidget(self.curves.log_scale)
        watch_box.addWidget(QLabel("Trace these parameters (Ctrl+click: several)"))
        watch_box.addWidget(self.delta_panel.weights, 1)
        self.panel.extra.addWidget(watch, 1)
        self.panel.extra.addStretch(0)  # takes the room when lecture mode hides the Watch group
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        # Never sideways: the dock is as wide as the panel needs (its labels and fields whole).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._controls_scroll = scroll
        dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self._fit_controls()
        lesson_dock = self.lesson_dock = QDockWidget("Lesson", self)
        lesson_dock.setObjectName("lessons")
        lesson_dock.setWidget(self.lesson_panel)
        # Below the controls, in the same column: a fourth column would leave the plots too narrow.
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, lesson_dock)
        self.splitDockWidget(dock, lesson_dock, Qt.Orientation.Vertical)
        lesson_dock.hide()
        self.lesson_panel.lesson_opened.connect(self._on_lesson_opened)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel { background: #B00020; color: white; font-size: 13pt; "
                                  "font-weight: bold; padding: 8px; }")
        self.banner.hide()
        # Lecture mode: the live settings of every run, large enough for the back row.
        self.readout = QLabel()
        self.readout.setObjectName("readout")
        self.readout.setWordWrap(True)
        self.readout.hide()
        self._readout_key: tuple | None = None  # (what the readout was last fitted for)
        # In a scroll area: its row of controls must not set the width of the whole column
        # (with lecture mode's large text it would take half the window).
        self.sweep_tab = QScrollArea()
        self.sweep_tab.setWidgetResizable(True)
        self.sweep_tab.setFrameShape(QScrollArea.Shape.NoFrame)
        self.sweep_tab.setWidget(self.sweep_panel)
        # The centre: the two views the product exists for. Every other view: a dock of the view area.
        core = QSplitter(Qt.Orientation.Vertical)
        core.addWidget(self.curves)
        core.addWidget(self.delta_panel)
        # The heatmap's dock holds its colour-scale chooser too (it is about the heatmap alone).
        heatmap = QWidget()
        heat_box = QVBoxLayout(heatmap)
        heat_box.setContentsMargins(0, 0, 0, 0)
        heat_box.addWidget(self.delta_panel.heat_view, 1)
        heat_box.addWidget(self.delta_panel.heat_scaling)
        # (Its longest choice must not set the area's width: Everything's columns were 140 and 357 px.)
        self.delta_panel.heat_scaling.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.delta_panel.heat_scaling.setMinimumContentsLength(12)
        self.views = ViewArea(self, {"accuracy": self.curves.acc_view, "heatmap": heatmap,
                                     "network": self.network, "regions": self.regions, "stability": self.stability,
                                     "sweep": self.sweep_tab, "summary": self.summary}, room=self._room,
                              lecture=presenting)
        # (The clock leaves the heatmap, the accuracy and the delta summary out of sight: drawn as
        # their tab is chosen. A tab's widgets stay "visible" to Qt: no show event tells them.)
        self.views.docks["accuracy"].visibilityChanged.connect(self.curves.show_accuracy)
        self.views.docks["heatmap"].visibilityChanged.connect(self.delta_panel.show_heatmap)
        for name, view in (("summary", self.summary), ("network", self.network), ("regions", self.regions),
                           ("stability", self.stability)):
            self.views.docks[name].visibilityChanged.connect(lambda on, view=view: on and view.refresh())
        self.views.docks["stability"].setToolTip(
            "Where lr × curvature and momentum stand against the rule's stable region (M or 5)")
        self.views.docks["sweep"].setToolTip(
            "Train a grid of learning rate × momentum from the same start; click a cell to replay it (S or 6)")
        self.views.apply("Explore")
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.banner)
        box.addWidget(self.readout)
        box.addWidget(core, 1)
        self.setCentralWidget(central)
        self._splitters = (core,)
        self._sized = False
        self._fit_asked = -1  # (the views' generation when lecture mode last asked for a fit)

        self.status_labels = {name: QLabel() for name in ("state", "progress", "speed", "stability", "loss",
                                                          "accuracy")}
        self.status_labels["stability"].setToolTip(
            "r = lr × gain × BS / 2, online training's stability readout: the rule's steady step (gain: look-back "
            "1 + m, heavy-ball and Nesterov 1 / (1 − m)) times the batch sharpness BS (each item's curvature "
            "along its own gradient, averaged), against plain SGD's 2. Unstable above 1, near the edge above "
            "0.5; the largest since lr or momentum last changed; a loss that has climbed to over twice its "
            "best takes over (see the README). The article loss too: its signal's curvature along itself. From "
            "√n items an update (full batch) r = lr × λ / the quadratic bound instead, λ the largest curvature")
        widest = {"state": "preparing", "progress": "epochs done 00,000 · step 0,000,000",
                  "stability": "⚠ near the edge: r 0.000",
                  "speed": "0.00M updates/s", "loss": "train loss 0.000e+00", "accuracy": "test accuracy 100.0%"}
        # While data are read in the background: Cancel (or Esc) stops it; the run on show stays.
        self.cancel_load_button = QPushButton("Cancel")
        self.cancel_load_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_load_button.setToolTip("Stop reading the data (Esc); the run on show goes on")
        self.cancel_load_button.hide()
        self.cancel_load_button.clicked.connect(self._on_cancel_load)
        self.statusBar().addPermanentWidget(self.cancel_load_button)
        self._widest = widest
        for name, label in self.status_labels.items():
            self.statusBar().addPermanentWidget(label)
        self._fit_status()
        # A note for the status bar kept until the run on show has started (its message would hide it).
        self._note: str | None = None
        self._tutorial: QDialog | None = None  # (made when first asked for)
        self._start_message = ""  # (the status bar's message of why the run on show began)
        self._shortcuts: QDialog | None = None
        self._build_menus()
        self._build_shortcuts()

        self._drawn = {name: -1 for name in SCHEDULE}
        self._tick = 0
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(round(1000 / (REDRAW_HZ * len(SCHEDULE) / SCHEDULE.count("curves"))))
        self.timer.timeout.connect(self._on_timer)
        self.timer.start()
        controller.state_changed.connect(self._on_state)
        controller.run_started.connect(self._on_run_started)
        controller.error.connect(self._on_error)
        controller.load_progress.connect(self._on_load_progress)
        controller.load_ended.connect(self._on_load_ended)
        self._on_state(controller.state)
        self._restore_settings()

    # -- layout ------------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._sized:  # first show: proportions; later the user's layout stays
            self._sized = True
            (core,) = self._splitters
            h = max(core.height(), 500)
            core.setSizes([h // 2, h // 2])
            if self.views.layout in ("", "Explore", "Lecture"):
                self.views.layout = self.views.layout or "Explore"
                self._fit_layout()  # (the mode's own: lecture mode may have come on before the show)
            else:
                self.views.apply(self.views.layout, keep_front=True)

    def _action(self, menu, text: str, handler, data) -> QAction:
        """A menu item made from data (a recent file, an export, a lesson, a layout): the handler
        reads ``data`` from self.sender(). (Commands are declared in actions.py.)"""
        action = QAction(text, self)
        action.setData(data)
        action.triggered.connect(handler)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")  # ("Undo lr 0.01 → 0.1")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        #: Every command's QAction (actions.COMMANDS): name -> action.
        self.commands = build_actions(self)
        build_menus(self, self.commands)
        self.lecture_action = self.commands["lecture"]
        log_scale = self.commands["log_scale"]
        log_scale.setChecked(self.curves.log_scale.isChecked())
        self.curves.log_scale.toggled.connect(log_scale.setChecked)
        for stem, (what, _) in plots_of(self).items():
            self._action(self.export_menu, f"{what} (PNG{', SVG' if svg_supported() else ''})…",
                         self._on_export_plot, stem)
        self.export_menu.addSeparator()
        for name, (text, _, _) in DATA_EXPORTS.items():
            self._action(self.export_menu, text, self._on_export_data, name)
        self.export_menu.addSeparator()
        self._action(self.export_menu, "&Everything, into a folder…", self._on_export_all, None)
        first = self.lesson_menu.actions()[0]
        for i, lesson in enumerate(self.lesson_panel.lessons):
            item = self._action(self.lesson_menu, f"&{i + 1}. {lesson.title}" if i < 9 else f"{i + 1}. {lesson.title}",
                                self._on_lesson_action, i)
            self.lesson_menu.insertAction(first, item)  # (above Previous / Next)
        self._show_layouts()

    def _build_shortcuts(self) -> None:
        """Every command's keys work wherever the focus is in the window, whether a menu lists it
        or not; the panel's run buttons trigger their commands."""
        self.addActions(list(self.commands.values()))
        self.panel.use_actions(self.commands)
        self.controller.state_changed.connect(self._show_run_actions)
        self.controller.preparing_changed.connect(self._show_run_actions)
        self._show_run_actions()

    @Slot()
    def _show_run_actions(self) -> None:
        """Start reads Pause while training runs (or a Start waits for the run being built); the
        steps wait for a run that is ready, and nothing trains a run that diverged."""
        c = self.controller
        start = self.commands["start"]
        start.setText("&Pause" if c.state == "running" or c.start_wanted else "&Start")
        start.setEnabled(c.state != "diverged")
        for name in ("step_item", "step_epoch"):
            self.commands[name].setEnabled(c.state not in ("diverged", "preparing"))

    @Slot()
    def _on_toggle(self) -> None:
        self.controller.toggle()

    @Slot()
    def _on_step_item(self) -> None:
        self.controller.step_item()

    @Slot()
    def _on_step_epoch(self) -> None:
        self.controller.step_epoch()

    @Slot()
    def _on_reset(self) -> None:
        self.controller.reset()

    # The spin boxes step as if the user had pressed their arrows: they show the value and forward it.
    @Slot()
    def _on_lr_up(self) -> None:
        self.panel.lr.stepBy(1)

    @Slot()
    def _on_lr_down(self) -> None:
        self.panel.lr.stepBy(-1)

    @Slot()
    def _on_momentum_up(self) -> None:
        self.panel.momentum.stepBy(1)

    @Slot()
    def _on_momentum_down(self) -> None:
        self.panel.momentum.stepBy(-1)

    @Slot()
    def _on_new_seed(self) -> None:
        self.undo_stack.restart(self.controller.new_seed)  # the panel shows the new seed on config_requested

    @Slot()
    def _on_add_run(self) -> None:
        if self.undo_stack.restart(self.controller.add_lane):
            keys = self.commands["undo"].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            self.note(f"{self.undo_stack.undoText()}: every run restarted ({keys} undoes it)")  # (short: it fits)

    @Slot(bool)
    def _on_log_scale(self, on: bool) -> None:
        self.curves.log_scale.setChecked(on)

    @Slot()
    def _on_show_stability(self) -> None:
        self.views.show("stability")
        self.stability.refresh()

    @Slot()
    def _on_show_sweep(self) -> None:
        self.views.show("sweep")

    def show_view(self, name: str) -> None:
        """A view's key: show it; again, bring it up big (or back)."""
        self.views.press(name)
        self.refresh()

    def apply_layout(self, name: str) -> None:
        """A named layout: one of LAYOUTS, or one the user saved."""
        if name in LAYOUTS:
            self.views.apply(name)
            own = len(LAYOUTS[name][0])
            if self.views.groups < own:  # (folded into fewer groups: see views.arrangement)
                # (Short: the status bar leaves a message 200 px in lecture mode. The View menu's
                # tip says why.)
                self.statusBar().showMessage(f"In {self.views.groups} tab groups", 6000)
        else:
            state = self._user_layouts().get(name)
            if state is not None:
                self.views.restore(QByteArray.fromBase64(state.encode("ascii")))
        self.refresh()

    def _user_layouts(self) -> dict[str, str]:
        """The layouts the user saved: name -> the window's state (base64)."""
        if self.settings is None:
            return dict(self._session_layouts)
        try:
            stored = json.loads(str(self.settings.value("layouts", "{}")))
        except ValueError:
            return {}
        return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(stored, dict) else {}

    def save_layout(self, name: str) -> None:
        """Keep the layout on show under ``name`` (View ▸ Layouts lists it)."""
        self.views.leave_big()
        layouts = self._user_layouts()
        layouts[name] = bytes(self.saveState().toBase64()).decode("ascii")
        if self.settings is None:
            self._session_layouts = layouts
        else:
            self.settings.setValue("layouts", json.dumps(layouts))
        self._show_layouts()

    @Slot()
    def _on_layout_action(self) -> None:
        self.apply_layout(str(self.sender().data()))

    @Slot()
    def _on_save_layout(self) -> None:
        name, ok = QInputDialog.getText(self, "Save this layout", "Name:")
        name = name.strip()
        if ok and name:
            if name in LAYOUTS:
                self._on_error(f"layout: '{name}' is a shipped layout's name; choose another")
                return
            self.save_layout(name[:60])

    def _show_layouts(self) -> None:
        menu = self.layouts_menu
        menu.clear()
        menu.setToolTipsVisible(True)
        for name in LAYOUTS:
            action = self._action(menu, name, self._on_layout_action, name)
            if name == "Everything":
                action.setToolTip("Every view beside the core two, in six groups of tabs; in a window too small "
                                  "for six readable views, in fewer (more tabs in each)")
        saved = self._user_layouts()
        if saved:
            menu.addSeparator()
            for name in sorted(saved):
                self._action(menu, name, self._on_layout_action, name)
        menu.addSeparator()
        self._action(menu, "Save this layout as…", self._on_save_layout, None)

    # -- lessons, scenarios, branches ------------------------------------------------------------

    def open_lesson(self, index_or_name) -> bool:
        """Open a lesson by its index in the list or its name; shows the lessons panel."""
        panel = self.lesson_panel
        index = panel.index_of(index_or_name) if isinstance(index_or_name, str) else index_or_name
        if index is None:
            return False
        self._show_lesson_dock()
        return panel.open(index)

    def _show_lesson_dock(self) -> None:
        if not self.lesson_dock.isVisible():
            self.lesson_dock.show()
            if presenting():
                self._fit_layout()  # (below the views)
                return
            # Most of the column's height to the lesson's text; the controls scroll.
            height = max(self.height(), 600)
            self.resizeDocks([self.dock, self.lesson_dock], [int(height * 0.4), int(height * 0.6)],
                             Qt.Orientation.Vertical)

    @Slot()
    def _on_lesson_action(self) -> None:
        self.open_lesson(int(self.sender().data()))

    @Slot()
    def _on_next_lesson(self) -> None:
        self._show_lesson_dock()
        self.lesson_panel.next()

    @Slot()
    def _on_previous_lesson(self) -> None:
        self._show_lesson_dock()
        self.lesson_panel.previous()

    @Slot()
    def _on_page_down(self) -> None:
        self._on_page_key(Qt.Key.Key_PageDown, self._on_next_lesson)

    @Slot()
    def _on_page_up(self) -> None:
        self._on_page_key(Qt.Key.Key_PageUp, self._on_previous_lesson)

    def _on_page_key(self, key: Qt.Key, handler) -> None:
        """PageDown / PageUp: the next / previous lesson (a presentation clicker's keys), unless a
        field or a text has the keyboard: then the key is theirs (a spin box steps, a text pages)."""
        focus = QApplication.focusWidget()
        down = key == Qt.Key.Key_PageDown
        while isinstance(focus, QLineEdit) and isinstance(focus.parent(), QAbstractSpinBox):
            focus = focus.parent()  # (a spin box's text field: the spin box)
        if isinstance(focus, QAbstractSpinBox):
            focus.stepBy(-10 if down else 10)  # what the key does there (the shortcut took it)
        elif isinstance(focus, QLineEdit):
            pass
        elif isinstance(focus, QAbstractScrollArea) and not isinstance(focus, (pg.GraphicsView, QScrollArea)):
            # (A text or a list pages; the scroll area around the controls, which a real display
            # gives the focus when the window opens, is no text: the key is the clicker's.)
            bar = focus.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() if down else bar.value() <= bar.minimum()
            if at_end and self.lesson_dock.isAncestorOf(focus):
                handler()  # (the lesson's text read to its end: a clicker goes on to the next lesson)
            else:
                bar.triggerAction(bar.SliderAction.SliderPageStepAdd if down else bar.SliderAction.SliderPageStepSub)
        else:
            handler()

    @Slot(object)
    def _on_lesson_opened(self, lesson: Lesson) -> None:
        self.undo_stack.forget()  # a lesson is a new start: the changes before it are not undone in it
        if lesson.tab is not None:
            self.views.show(lesson.tab)
        self.curves.log_scale.setChecked(lesson.log_scale)

    def open_scenario_file(self, path: str) -> bool:
        """Open a scenario file: it and its data are read in the background (Esc stops it), then its
        run replays to the step it was saved at, and pauses. A file that cannot be used is said in
        a message, and the run on show stays. False when the file is refused at once."""
        try:
            _check_regular(path, "scenario")
        except InputError as exc:
            self.controller.error.emit(str(exc))  # (a screenshot session says it and exits 2)
            return False
        name = Path(path).name

        def opened() -> None:
            self._add_recent(path)
            self.undo_stack.forget()  # a scenario is a new start (its own changes are in its file)

        return self.controller.open_scenario_file(
            path, lambda scenario: f"scenario {name}, replayed to step {scenario.steps or 0:,}", opened)

    def open_scenario(self, scenario: Scenario, path: str) -> bool:
        """Open a scenario already read from ``path`` (the command line's ``--scenario``): its run
        replays to the step it was saved at, and pauses (its data are read only if they are not the
        data on show)."""
        name = Path(path).name
        self._add_recent(path)
        self.undo_stack.forget()  # a scenario is a new start (its own changes are in its file)
        return self.controller.open_scenario(scenario, f"scenario {name}, replayed to step {scenario.steps or 0:,}")

    def save_scenario_file(self, path: str) -> bool:
        try:
            self.controller.scenario().save(path, "save")
        except InputError as exc:
            self._on_error(str(exc))
            return False
        self._add_recent(path)
        self.statusBar().showMessage(f"Saved the run to {path}: opening it replays it exactly", 6000)
        return True

    @Slot()
    def _on_open_scenario(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a scenario", "", "Scenarios (*.json);;All files (*)")
        if path:
            self.open_scenario_file(path)

    @Slot()
    def _on_save_scenario(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the run as a scenario", "momentum-lab-run.json",
                                              "Scenarios (*.json)")
        if path:
            self.save_scenario_file(path)

    @Slot()
    def _on_open_recent(self) -> None:
        path = str(self.sender().data())
        if path.lower().endswith(".json"):
            self.open_scenario_file(path)
        else:
            # (Read in the background; listed again once it runs.)
            self.undo_stack.restart(lambda: self.controller.apply(dataset=path))

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self.recent = [path] + [p for p in self.recent if p != path][: MAX_RECENT - 1]
        self._show_recent()

    def _show_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent:
            self._action(self.recent_menu, path, self._on_open_recent, path)
        self.recent_menu.setEnabled(bool(self.recent))

    @Slot()
    def _on_branch(self) -> None:
        c = self.controller
        if c.latest is None:
            return
        done = c.latest.step // c.steps_per_epoch
        epoch, ok = QInputDialog.getInt(self, "Branch here",
                                        "Rewind to the end of epoch (the curve so far stays, grey; then change "
                                        "the settings and Start):", done, 0, done)
        if ok and c.branch(epoch):
            self.undo_stack.forget()  # a branch replays the run so far: the changes before it are in it

    @Slot()
    def _on_clear_ghost(self) -> None:
        self.controller.clear_ghost()

    # -- export ------------------------------------------------------------------------------------

    def _export(self, write, path: str) -> bool:
        """Run one export; a failure is said in a message (an earlier file there is intact)."""
        try:
            write(path)
        except InputError as exc:
            self._on_error(str(exc))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 6000)
        return True

    @Slot()
    def _on_export_plot(self) -> None:
        stem = str(self.sender().data())
        what, item = plots_of(self)[stem]
        filters = "PNG picture (*.png);;SVG drawing (*.svg)" if svg_supported() else "PNG picture (*.png)"
        path, chosen = QFileDialog.getSaveFileName(self, f"Export {what.lower()}", f"{stem}.png", filters)
        if path:
            if not Path(path).suffix:
                path += ".svg" if chosen.startswith("SVG") else ".png"
            self.refresh()
            self._export(lambda p: export_plot(item, p, controller=self.controller), path)

    @Slot()
    def _on_export_data(self) -> None:
        name = str(self.sender().data())
        text, filters, write = DATA_EXPORTS[name]
        path, _ = QFileDialog.getSaveFileName(self, "Export: " + text.replace("&", "").rstrip("…"), name, filters)
        if path:
            self._export(lambda p: write(self.controller, p), path)

    @Slot()
    def _on_export_all(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export everything into a folder")
        if folder:
            self._export(lambda p: export_all(self, p), folder)

    # -- lecture mode --------------------------------------------------------------------------------

    @Slot()
    def _on_lecture_toggled(self) -> None:
        self.set_lecture_mode(self.lecture_action.isChecked())

    def set_lecture_mode(self, on: bool) -> None:
        """Large text, thick lines, black on white; only the live settings, the speed and the run
        buttons among the controls."""
        self.lecture_action.setChecked(on)
        set_presentation(on)
        # Large controls; the status bar stays as it is (its fields are sized for it).
        # (The lesson's text is read by the lecturer and at desks: a little larger, no more.)
        self.setStyleSheet(f"QWidget {{ font-size: {LECTURE_FONT_PT}pt; }} QLabel#caption {{ font-size: 12pt; }} "
                           f"QTextBrowser {{ font-size: 14pt; }} QLabel#readout {{ font-size: {LECTURE_READOUT_PT}pt; "
                           "font-weight: bold; padding: 2px 6px; }" if on else "")
        self.readout.setVisible(on)
        self._readout_key = None  # (the mode's font: measured again)
        self._show_readout()
        # (The updates per second are not for the room: their place goes to the status messages.)
        self.status_labels["speed"].setVisible(not on)
        self._fit_status()
        self.panel.show_advanced(not on)
        self.watch_group.setVisible(not on)  # (L still switches the log scale)
        self._fit_controls()
        # Once the docks have their new widths; unless a layout is put on show meanwhile.
        self._fit_asked = self.views.arranged
        QTimer.singleShot(0, self._fit_layout_asked)
        for _, item in plots_of(self).values():
            # (The heatmap's layer names on its left are sized by the delta panel, to what fits.)
            present_plot(item, left=item is not self.delta_panel.heat_plot)
        self.curves._legend_key = None  # pens and legend again, at the new width
        self.stability.restyle()  # its edges again, at the new width
        self.delta_panel.restyle()
        self.refresh()

    def _fit_status(self) -> None:
        """The status bar's fields as wide as their widest text, in the font now in use: in lecture
        mode, the largest size up to LECTURE_STATUS_PT at which they all fit the window's width
        with room left for a message (at 13 pt they took 1,285 px: at 1280×720 the last ones were
        cut, and a message was squeezed to "Less…" under them)."""
        bar = self.statusBar()
        pt = None
        if presenting():
            pt = LECTURE_STATUS_PT
            while pt > 10 and self._status_width(pt) > self.width() - STATUS_MESSAGE_ROOM:
                pt -= 1
        sheet = f"QLabel, QPushButton {{ font-size: {pt}pt; }}" if pt is not None else ""
        if bar.styleSheet() != sheet:
            bar.setStyleSheet(sheet)
        for name, label in self.status_labels.items():
            label.ensurePolished()
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(self._widest[name]) + 16)

    def _status_width(self, pt: int) -> int:
        """The width the status bar's fields take at ``pt`` points (with Qt's gaps between them)."""
        font = QFont(self.status_labels["state"].font())
        font.setPointSize(pt)
        fm = QFontMetrics(font)
        return sum(fm.horizontalAdvance(self._widest[name]) + 16 + 8 for name, label in self.status_labels.items()
                   if not label.isHidden())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if presenting():
            self._fit_status()

    def _show_readout(self) -> None:
        """Lecture mode's large readout: each run's rule, learning rate and momentum now in force,
        a line per run, at the largest size up to LECTURE_READOUT_PT at which the lines fit (two
        runs at 24 pt took four lines beside a lesson at 1280×720)."""
        if not presenting():
            return
        c = self.controller
        config = c.shown_config()
        lines = []
        for i, lane in enumerate(config.lanes):
            rule = RULE_SHORT[lane.rule].split(" (")[0]
            name = f"{RUN_NAMES[i]} " if c.comparing else ""
            lines.append(f"{name}{rule} · lr {lane.lr:g} · momentum {lane.momentum:g}")
        room = max(self.centralWidget().width() - 48, 200)  # (less the margins and the label's padding)
        key = (tuple(lines), room, c.comparing)
        if key == self._readout_key:  # (called at every redraw: measured again only when it changed)
            return
        self._readout_key = key
        font = QFont(self.readout.font())
        font.setBold(True)
        pt = LECTURE_READOUT_PT
        while pt > LECTURE_READOUT_PT * 2 // 3:
            font.setPointSize(pt)
            if max(QFontMetrics(font).horizontalAdvance(line) for line in lines) <= room:
                break
            pt -= 1
        # (In the run's colour, as on the curves; the text itself says which run, for print-outs.)
        parts = [f"<span style='color:{LANE_COLOURS[i]}'>{html.escape(line)}</span>" if c.comparing
                 else html.escape(line) for i, line in enumerate(lines)]
        self.readout.setText(f"<div style='font-size:{pt}pt'>" + "<br>".join(parts) + "</div>")

    def _fit_controls(self) -> None:
        """The controls dock as wide as its panel needs, so that it never scrolls sideways."""
        scroll = self._controls_scroll
        self.panel.adjustSize()
        width = self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 6
        scroll.setMinimumWidth(max(280, width))
        self.resizeDocks([self.dock], [max(280, width)], Qt.Orientation.Horizontal)

    def _room(self) -> int:
        """The width right of the left-hand docks (the controls, the lesson): the core two's and
        the view area's. (The controls as wide as they are asked to be: the dock's own width
        lags a lecture mode just switched.)"""
        left = 0
        for dock in (self.dock, self.lesson_dock):
            if not dock.isHidden() and not dock.isFloating() \
                    and self.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea:
                left = max(left, self._controls_scroll.minimumWidth() + 10 if dock is self.dock else dock.width())
        return max(self.width() - left - 12, 400)

    @Slot()
    def _fit_layout_asked(self) -> None:
        if self.views.arranged == self._fit_asked:
            self._fit_layout()

    @Slot()
    def _fit_layout(self) -> None:
        """The curves and deltas keep most of the width (lecture mode makes the controls wider):
        lecture mode has the Lecture layout (one view beside the core two), and leaving it the
        Explore layout, unless the user has arranged the views their own way."""
        views = self.views
        views.leave_big()
        self._place_lesson()
        if views.layout in ("Explore", "Lecture"):
            # (A view a lesson or the user brought to the front stays in front.)
            views.apply("Lecture" if presenting() else "Explore", keep_front=True)

    def _place_lesson(self) -> None:
        """The lesson's text below the controls; in lecture mode below the view area's views
        instead, where the core two's height is not shared with it and the views beside them
        keep half the height (so they may be wider: see views.BELOW_SHARE). A detached lesson
        stays where the user put it."""
        lesson = self.lesson_dock
        self.views.below = lesson if presenting() else None
        if lesson.isHidden() or lesson.isFloating():
            return
        left = self.dockWidgetArea(lesson) == Qt.DockWidgetArea.LeftDockWidgetArea
        if presenting() and left:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, lesson, Qt.Orientation.Vertical)
        elif not presenting() and not left:
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, lesson)
            self.splitDockWidget(self.dock, lesson, Qt.Orientation.Vertical)
        self._fit_controls()  # (the column the lesson left keeps its width otherwise)

    @Slot()
    def _on_slower(self) -> None:
        slider = self.panel.speed.slider
        slider.setValue(slider.value() - 1)

    @Slot()
    def _on_faster(self) -> None:
        slider = self.panel.speed.slider
        slider.setValue(slider.value() + 1)

    # -- persistence -----------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        """The layout, the recent files and the log scale of the last launch; what does not fit
        (a hand-edited or damaged file) is left out, never fatal."""
        s = self.settings
        if s is not None:
            for restore in (self._restore_layout, self._restore_recent, self._restore_log_scale):
                try:
                    restore(s)
                except Exception:  # noqa: BLE001 (a value of any type may be stored there)
                    pass
        self._show_recent()
        # (Lecture mode is not kept: it is for a lecture, F5 or --lecture turns it on.)

    def _restore_layout(self, s: QSettings) -> None:
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window_state")
        if isinstance(state, QByteArray):
            self.views.restore(state, str(s.value("layout", "")))
        sizes = s.value("splitters")
        if isinstance(sizes, str):
            sizes = json.loads(sizes)
            if isinstance(sizes, list) and len(sizes) == len(self._splitters) and all(
                    isinstance(size, list) and all(isinstance(v, int) and 0 <= v <= 100_000 for v in size)
                    for size in sizes):
                for splitter, size in zip(self._splitters, sizes):
                    splitter.setSizes(size)
                self._sized = True

    def _restore_recent(self, s: QSettings) -> None:
        recent = s.value("recent_files")
        if isinstance(recent, str):
            paths = json.loads(recent)
            if isinstance(paths, list):
                self.recent = [p for p in paths if isinstance(p, str) and "\0" not in p and os.path.exists(p)]
                self.recent = self.recent[:MAX_RECENT]

    def _restore_log_scale(self, s: QSettings) -> None:
        self.curves.log_scale.setChecked(s.value("log_scale", "true") == "true")

    def _remembers_options(self) -> bool:
        """Whether the run on show is one to open with next time: one the worker has built (not a
        configuration it refused), not a lesson's, and one a file can name."""
        c = self.controller
        config = c.config
        return (c.latest is not None and c.origin != "lesson" and not isinstance(config.dataset, tuple)
                and not isinstance(config.init_weights, dict))

    def save_settings(self) -> None:
        """Keep the layout, the options, the speed and the recent files for the next launch."""
        s = self.settings
        if s is None:
            return
        s.setValue("geometry", self.saveGeometry())
        # The layout as the user arranged it: not lecture mode's (lecture mode is not kept either),
        # and a view brought up big is put back first.
        if not presenting():
            s.setValue("window_state", self.views.big[1] if self.views.big is not None else self.saveState())
            s.setValue("layout", self.views.layout)  # ("": the user's own arrangement)
        s.setValue("splitters", json.dumps([sp.sizes() for sp in self._splitters]))
        s.setValue("recent_files", json.dumps(self.recent))
        s.setValue("log_scale", "true" if self.curves.log_scale.isChecked() else "false")
        if self._remembers_options():
            speed = self.controller.speed
            s.setValue("speed", "inf" if math.isinf(speed) else repr(float(speed)))
            c = self.controller
            # What the panel shows (a learning rate just typed, not yet in force, included).
            s.setValue("options", json.dumps(Scenario(c.config if c.busy else c.shown_config()).to_dict()))
        s.sync()

    # -- drawing -----------------------------------------------------------------------------

    @Slot()
    def _on_timer(self) -> None:
        group = SCHEDULE[self._tick]
        self._tick = (self._tick + 1) % len(SCHEDULE)
        if self._drawn[group] != self.controller.revision:
            self._redraw(group)

    def _redraw(self, group: str, everything: bool = False) -> None:
        """Redraw view ``group`` (see SCHEDULE): its views on screen, or ``everything``."""
        self._drawn[group] = self.controller.revision
        if group == "curves":
            self.curves.refresh(everything)
            self._show_status()
        elif group == "deltas":
            self.delta_panel.refresh(heatmap=everything or self.views.shown("heatmap"))
        elif group == "tint":
            if everything or self.delta_panel.weights.isVisible():
                self.delta_panel.tint()
            else:  # (the list hidden, F2 or --no-controls: tinted when it is seen again)
                self._drawn[group] = -1
        # (Views out of sight are drawn when they come into sight: refresh() then.)
        elif group == "network":
            if self.views.shown("network"):
                self.network.refresh()
        elif group == "regions":
            if self.views.shown("regions"):
                self.regions.refresh()
        else:
            if self.views.shown("stability"):
                self.stability.refresh()
            if self.views.shown("summary"):
                self.summary.refresh()

    def refresh(self) -> None:
        """Redraw every view now from the controller's buffers (the delta summary out of sight
        too: exports and screenshots find it drawn)."""
        for group in dict.fromkeys(SCHEDULE):
            self._redraw(group, everything=True)
        self.summary.refresh()

    def _show_status(self) -> None:
        c = self.controller
        b = c.latest
        labels = self.status_labels
        labels["state"].setText(f"<b>{c.state}</b> {c.preparing_text()}".rstrip())
        self._show_readout()
        self._show_banner()
        if b is None:
            for name in ("progress", "speed", "stability", "loss", "accuracy"):
                labels[name].setText("")
            return
        labels["progress"].setText(f"epochs done {b.epoch:,} · step {b.step:,}")
        ups = b.updates_per_second
        labels["speed"].setText(f"{ups / 1e6:.2f}M updates/s" if ups >= 1e5 else f"{ups:,.0f} updates/s"
                                if ups else "")
        labels["stability"].setText(self._stability_text(b))
        row = b.now if b.now is not None else c.history.latest_row  # the current weights
        if row is not None:
            labels["loss"].setText(f"train loss {row[1]:.4g}")
            labels["accuracy"].setText(f"test accuracy {row[4]:.1%}" if math.isfinite(row[4])
                                       else f"train accuracy {row[2]:.1%}")

    def _stability_text(self, b) -> str:
        """'stable: r 0.12', '⚠ near the edge: r 0.7' (amber) or '⚠ unstable: r 1.8' (red), r the
        readout for the run's batch size latched since the last change (a run that diverged: its
        last one, so that the warning stays on show when the run has ended)."""
        value, _ = self.controller.lanes[0].stability()
        label = self.status_labels["stability"]
        level = "unstable" if b.divergence is not None else stability_level(value)
        label.setStyleSheet({"unstable": "QLabel { color: #B00020; font-weight: bold; }",
                             "caution": "QLabel { color: #A15C00; font-weight: bold; }"}.get(level, ""))
        if not level:
            return ""
        text = {"stable": "stable", "caution": "⚠ near the edge", "unstable": "⚠ unstable"}[level]
        if b.divergence is not None:
            # (Not the last r before: measured on weights on their way out, it may look stable.)
            return f"{text}: diverged"
        return f"{text}: r {value:.3g}"

    # -- events ------------------------------------------------------------------------------

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self._show_status()
        # Why the run on show began ("Ready", "Lesson 3 opened") is stale once it has ended: a
        # finished screenshot said "Started" beside "finished".
        if state in ("finished", "diverged") and self.statusBar().currentMessage() == self._start_message:
            self.statusBar().clearMessage()

    def _show_banner(self) -> None:
        """A red banner for each run that diverged."""
        c = self.controller
        diverged = [(i, lane.latest.divergence) for i, lane in enumerate(c.lanes)
                    if lane.latest is not None and lane.latest.divergence is not None]
        if not diverged:
            text = ""
        elif not c.comparing:
            d = diverged[0][1]
            text = (f"Diverged during epoch {d.epoch}, at step {d.step:,}: {d.reason}. "
                    "Lower the learning rate or the momentum, then Reset (R).")
        else:
            text = " ".join(f"Run {c.lane_title(i)} diverged during epoch {d.epoch}, at step {d.step:,}."
                            for i, d in diverged)
            text += (" Every run diverged: lower the learning rates or momenta, then Reset (R)."
                     if len(diverged) == len(c.lanes) else " The other runs go on.")
        if text != self.banner.text():
            self.banner.setText(text)
            self.banner.setVisible(bool(text))

    @Slot(str)
    def _on_run_started(self, reason: str) -> None:
        cfg = self.controller.config
        self.setWindowTitle(f"Momentum Lab — {self.controller.dataset.name}, {cfg.rule} rule")
        if isinstance(cfg.dataset, (str, os.PathLike)) and str(cfg.dataset) not in DATASET_NAMES:
            self._add_recent(str(cfg.dataset))  # a CSV file
        if self._note is not None:
            self.statusBar().showMessage(self._note, NOTE_MS)
            self._note = None
        else:
            self._start_message = reason[:1].upper() + reason[1:]
            self.statusBar().showMessage(self._start_message, 6000)

    def note(self, text: str) -> None:
        """Say ``text`` in the status bar, for a while (if the run on show has not started yet, once
        it has: its own message would hide the note)."""
        text = text[:1].upper() + text[1:]
        if self.controller.latest is None or self.controller.busy:
            self._note = text
        self.statusBar().showMessage(text, NOTE_MS)

    @Slot(str, object, object)
    def _on_load_progress(self, what: str, done: int, total: int) -> None:
        verb = "Preparing" if what in DATASET_NAMES else "Reading"
        share = f": {min(100, int(done * 100 // total))} %" if total and total > 0 else ""
        self.statusBar().showMessage(f"{verb} {what}{share}… (Esc or the Cancel button to stop)")
        self.cancel_load_button.show()

    @Slot()
    def _on_load_ended(self) -> None:
        self.cancel_load_button.hide()
        self.statusBar().clearMessage()

    @Slot()
    def _on_escape(self) -> None:
        """Esc: stop reading data, else back from a view brought up big."""
        if self.controller.loading is None:
            self.views.leave_big()
        self._on_cancel_load()

    @Slot()
    def _on_cancel_load(self) -> None:
        what = self.controller.loading
        if what is not None and self.controller.cancel_load():
            self.statusBar().showMessage(f"Stopped reading {what}; the run on show goes on", 6000)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        QMessageBox.warning(self, "Momentum Lab", flag_spelling(message))

    @Slot()
    def _on_open_csv(self) -> None:
        index = self.panel.dataset.findText("Open CSV…")
        self.panel.dataset.setCurrentIndex(index)
        self.panel.dataset.activated.emit(index)

    @Slot()
    def _on_save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", "momentum-lab.png", "PNG (*.png)")
        if path:
            self._export(lambda p: self.save_screenshot(p, option="screenshot"), path)

    @Slot()
    def _on_show_shortcuts(self) -> None:
        """The keys of every command (F1), beside the window (it can stay open)."""
        if self._shortcuts is None:
            self._shortcuts = self._text_window("Keyboard shortcuts", (1040, 720))
        self._shortcuts.findChild(QTextBrowser).setHtml(shortcut_table(self.commands))
        self._shortcuts.show()

    def _text_window(self, title: str, size: tuple[int, int]) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        QVBoxLayout(dialog).addWidget(browser)
        dialog.resize(*size)
        return dialog

    @Slot()
    def _on_tutorial(self) -> None:
        """The tutorial (docs/tutorial.md, with its pictures) in a window of its own, beside this one."""
        path = doc_path("tutorial.md")  # (an installed copy carries it too)
        if path is None:
            QMessageBox.information(self, "Tutorial", "The tutorial, docs/tutorial.md, is missing from this copy "
                                    "of Momentum Lab (it comes with its source and with its wheel).")
            return
        if self._tutorial is None:
            self._tutorial = self._text_window("Momentum Lab tutorial", (900, 720))
            self._tutorial.findChild(QTextBrowser).setSource(QUrl.fromLocalFile(str(path)),
                                                             QTextDocument.ResourceType.MarkdownResource)
        self._tutorial.show()

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self, "About Momentum Lab",
                          "Momentum Lab: turn the learning rate and momentum while a small network trains "
                          "online, and watch the error and every weight's updates.")

    def save_screenshot(self, path: str, outputs=None, option: str = "--screenshot") -> None:
        """Write a PNG of the whole window, atomically (or staged into ``outputs``), never over one
        of the run's input files."""
        check_run_output(self.controller, path, option)
        self.refresh()
        # A view drawn for the first time just now (new axis labels, a new width) is laid out by
        # posted events: deliver them, or the picture shows the views before their layout.
        QApplication.sendPostedEvents()
        self.refresh()
        save_png(self.grab().toImage(), path, outputs, option)

    def shutdown(self) -> None:
        """Stop the clock, any sweep, any reading and the training, their threads waited for: safe
        to call more than once (closing does it; so does a window that failed to build)."""
        if self.timer is not None:
            self.timer.stop()
        if self.sweeps is not None:
            self.sweeps.shutdown()
        self.controller.shutdown()  # quit and wait for the training thread before anything dies

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        try:
            self.save_settings()
        finally:
            set_presentation(False)  # the mode is the plots' module's: the next window starts without it
            self.shutdown()
        super().closeEvent(event)


def _check_regular(path: str, kind: str) -> None:
    """Refuse, with the engine's message, a path that exists but is no regular file (a FIFO, a
    device, a folder): a reader that opened it could wait forever."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return  # the reader says what is wrong
    if not stat.S_ISREG(info.st_mode):
        handle, _ = open_input(path, kind)  # raises InputError
        handle.close()


@dataclass
class RememberedOptions:
    """What :func:`remembered_options` found: the options to open with (None: none usable), their
    data already loaded, the speed, and what could not be used, one line each."""

    config: RunConfig | None = None
    dataset: Dataset | None = None
    speed: float | None = None
    problems: list[str] = field(default_factory=list)


def remembered_options(settings: QSettings) -> RememberedOptions:
    """The options and speed the window had when it last closed, checked as the command line
    checks its options: the configuration read as a scenario is, its data loaded, a trainer built
    for each run. A stored value that fails is dropped (and forgotten), its reason in
    ``problems``; nothing here raises."""
    out = RememberedOptions()
    raw = settings.value("options")
    if raw is not None:
        try:
            out.config, out.dataset = _checked_options(raw)
        except Exception as exc:  # noqa: BLE001 (whatever is stored there, the window opens)
            message = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            out.problems.append("the remembered options could not be used: "
                                f"{flag_spelling(' '.join(message.split()))}; opened with the defaults")
            settings.remove("options")
    speed = settings.value("speed")
    if speed is not None:
        try:
            number = float(speed) if isinstance(speed, (str, int, float)) and not isinstance(speed, bool) \
                else math.nan
            out.speed = check_in_range("speed", number, "speed")
        except (ValueError, InputError):  # (InputError is a ValueError)
            out.problems.append(f"the remembered speed could not be used: {str(speed)[:40]!r} is not a number "
                                "of items a second > 0")
            out.speed = None
            settings.remove("speed")
    return out


def _checked_options(raw: object) -> tuple[RunConfig, Dataset]:
    if not isinstance(raw, str):
        raise InputError(f"expected the options as a text (JSON), got {type(raw).__name__}")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}") from None
    scenario, dataset = scenario_and_data(data, "the remembered options")  # its data read once
    config = scenario.config
    # The checks the command line makes before the window opens (cli._run_gui).
    for lane in range(len(config.lanes)):
        Trainer(dataset, config.lane(lane))
    return config, dataset


def saved_config(settings: QSettings) -> tuple[RunConfig | None, float | None]:
    """The options and speed the window had when it last closed (None where there are none or
    they cannot be used: see :func:`remembered_options`)."""
    remembered = remembered_options(settings)
    return remembered.config, remembered.speed

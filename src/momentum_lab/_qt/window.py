"""The main window: the control panel, the plots, the status bar, menus and shortcuts."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..engine import stability_bound
from .controller import RunController
from .explore import StabilityMap, SweepController, SweepPanel
from .panel import ControlPanel
from .plots import DecisionRegions, DeltaPanel, ErrorCurves, NetworkView
from .report import save_png

__all__ = ["MainWindow", "SHORTCUTS"]

# Redraws a second of each plot, at most: a little above the rate results arrive (30 a
# second), so that each batch is drawn once, soon after it comes.
REDRAW_HZ = 40
# The clock redraws one group of views per tick, so that no single paint blocks the GUI
# thread for long: each main group five times per cycle, the slow views once, apart.
SCHEDULE = ("curves", "deltas") * 3 + ("network",) + ("curves", "deltas") * 2 + ("tab",)
# (The network and the view in the tabs (decision regions or stability map) change slowly to
# the eye and cost most to draw: many pens, a forward pass over a grid. Once a SCHEDULE cycle
# each, on ticks of their own, so that no tick paints both.)

#: Keyboard shortcuts: (keys, what they do). The Help menu lists them.
SHORTCUTS = (
    ("Space", "Start / pause training"),
    ("N", "Step: train on one item"),
    ("E", "Step: train to the end of the epoch"),
    ("R", "Reset: same seed, same initial weights"),
    ("]", "Raise the learning rate (0.001 → 0.002 → 0.005 → 0.01 …)"),
    ("[", "Lower the learning rate"),
    ("'", "Raise the momentum"),
    (";", "Lower the momentum"),
    ("L", "Log scale on / off for the error"),
    ("M", "Show the stability map"),
    ("S", "Show the sweep (learning rate × momentum grid)"),
    ("F2", "Show / hide the controls (more room for the plots)"),
    ("F1", "This list"),
)


class MainWindow(QMainWindow):
    """Views take the controller; this window wires them and redraws them on its clock."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Momentum Lab")
        self.panel = ControlPanel(controller)
        self.curves = ErrorCurves(controller)
        self.delta_panel = DeltaPanel(controller)
        self.network = NetworkView(controller)
        self.regions = DecisionRegions(controller)
        self.stability = StabilityMap(controller)
        self.sweeps = SweepController(self)
        self.sweep_panel = SweepPanel(controller, self.sweeps)

        dock = QDockWidget("Controls", self)
        dock.setObjectName("controls")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.dock = dock
        watch = QGroupBox("Watch")
        watch_box = QVBoxLayout(watch)
        watch_box.addWidget(self.curves.log_scale)
        watch_box.addWidget(QLabel("Trace these parameters (Ctrl+click: several)"))
        watch_box.addWidget(self.delta_panel.weights, 1)
        self.panel.extra.addWidget(watch, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        scroll.setMinimumWidth(280)
        dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel { background: #B00020; color: white; font-size: 13pt; "
                                  "font-weight: bold; padding: 8px; }")
        self.banner.hide()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.network)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.regions, "Decision regions")
        self.tabs.addTab(self.stability, "Stability map")
        self.tabs.addTab(self.sweep_panel, "Sweep")
        self.tabs.setTabToolTip(1, "Where lr × curvature and momentum stand against the rule's stable region (M)")
        self.tabs.setTabToolTip(2, "Train a grid of learning rate × momentum from the same start; click a cell "
                                   "to replay it (S)")
        right.addWidget(self.tabs)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.curves)
        left.addWidget(self.delta_panel)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(right)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 1)
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.banner)
        box.addWidget(main, 1)
        self.setCentralWidget(central)
        self._splitters = (main, left, right)
        self._sized = False

        self.status_labels = {name: QLabel() for name in ("state", "progress", "speed", "stability", "loss",
                                                          "accuracy")}
        self.status_labels["stability"].setToolTip(
            "lr × λ, λ the largest curvature of the training loss now, against the largest value at which "
            "this rule at this momentum is stable on a quadratic (see the README)")
        widest = {"state": "preparing", "progress": "epochs done 000,000 · step 00,000,000",
                  "stability": "⚠ lr×λ 0.000 > stable 0.000",
                  "speed": "0.00M updates/s", "loss": "train loss 0.0000", "accuracy": "test accuracy 100.0%"}
        for name, label in self.status_labels.items():
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest[name]) + 16)
            self.statusBar().addPermanentWidget(label)
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
        self._on_state(controller.state)

    # -- layout ------------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._sized:  # first show: proportions; later the user's splitter positions stay
            self._sized = True
            main, left, right = self._splitters
            w, h = max(main.width(), 800), max(main.height(), 500)
            main.setSizes([int(w * 0.7), int(w * 0.3)])
            left.setSizes([h // 2, h // 2])
            right.setSizes([h // 2, h // 2])

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_csv = QAction("&Open CSV…", self)
        open_csv.setShortcut(QKeySequence.StandardKey.Open)
        open_csv.triggered.connect(self._on_open_csv)
        file_menu.addAction(open_csv)
        shot = QAction("Save a &screenshot…", self)
        shot.triggered.connect(self._on_save_screenshot)
        file_menu.addAction(shot)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.view_menu = self.menuBar().addMenu("&View")
        controls = self.dock.toggleViewAction()
        controls.setText("&Controls panel")
        controls.setShortcut(QKeySequence("F2"))
        view_menu.addAction(controls)
        help_menu = self.help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.setShortcut(QKeySequence("F1"))
        keys.triggered.connect(self._on_show_shortcuts)
        help_menu.addAction(keys)
        about = QAction("&About Momentum Lab", self)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    def _build_shortcuts(self) -> None:
        actions = {"Space": self._on_toggle, "N": self._on_step_item, "E": self._on_step_epoch,
                   "R": self._on_reset, "]": self._on_lr_up, "[": self._on_lr_down,
                   "'": self._on_momentum_up, ";": self._on_momentum_down, "L": self._on_log_scale,
                   "M": self._on_show_stability, "S": self._on_show_sweep}
        self._shortcuts = []
        for keys, handler in actions.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
            self._shortcuts.append(shortcut)

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
    def _on_log_scale(self) -> None:
        self.curves.log_scale.toggle()

    @Slot()
    def _on_show_stability(self) -> None:
        self.tabs.setCurrentWidget(self.stability)
        self.stability.refresh()

    @Slot()
    def _on_show_sweep(self) -> None:
        self.tabs.setCurrentWidget(self.sweep_panel)

    # -- drawing -----------------------------------------------------------------------------

    @Slot()
    def _on_timer(self) -> None:
        group = SCHEDULE[self._tick]
        self._tick = (self._tick + 1) % len(SCHEDULE)
        if self._drawn[group] != self.controller.revision:
            self._redraw(group)

    def _redraw(self, group: str) -> None:
        self._drawn[group] = self.controller.revision
        if group == "curves":
            self.curves.refresh()
            self._show_status()
        elif group == "deltas":
            self.delta_panel.refresh()
        elif group == "network":
            self.network.refresh()
        else:
            shown = self.tabs.currentWidget()
            if shown is self.regions:
                self.regions.refresh()
            elif shown is self.stability:
                self.stability.refresh()

    def refresh(self) -> None:
        """Redraw every view now from the controller's buffers."""
        for group in ("curves", "deltas", "network", "tab"):
            self._redraw(group)

    def _show_status(self) -> None:
        c = self.controller
        b = c.latest
        labels = self.status_labels
        labels["state"].setText(f"<b>{c.state}</b>")
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
        """'lr×λ 0.43 < stable 1.11', or a red warning when the settings lie outside."""
        if not math.isfinite(b.curvature):
            self.status_labels["stability"].setStyleSheet("")
            return ""
        value = b.lr * b.curvature
        bound = stability_bound(self.controller.config.rule, b.momentum)
        outside = value >= bound
        self.status_labels["stability"].setStyleSheet("QLabel { color: #B00020; font-weight: bold; }"
                                                      if outside else "")
        return (f"⚠ lr×λ {value:.3g} > stable {bound:.3g}" if outside else
                f"lr×λ {value:.3g} < stable {bound:.3g}")

    # -- events ------------------------------------------------------------------------------

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self._show_status()

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
        self.statusBar().showMessage(reason[:1].upper() + reason[1:], 6000)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        QMessageBox.warning(self, "Momentum Lab", message)

    @Slot()
    def _on_open_csv(self) -> None:
        index = self.panel.dataset.findText("Open CSV…")
        self.panel.dataset.setCurrentIndex(index)
        self.panel.dataset.activated.emit(index)

    @Slot()
    def _on_save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", "momentum-lab.png", "PNG (*.png)")
        if path:
            try:
                self.save_screenshot(path)
            except OSError as exc:
                self._on_error(f"cannot write '{path}': {exc.strerror or exc}")

    @Slot()
    def _on_show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>{what}</td></tr>" for k, what in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding=4>{rows}</table>")

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self, "About Momentum Lab",
                          "Momentum Lab: turn the learning rate and momentum while a small network trains "
                          "online, and watch the error and every weight's updates.")

    def save_screenshot(self, path: str) -> None:
        """Write a PNG of the whole window, atomically."""
        self.refresh()
        save_png(self.grab().toImage(), path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.timer.stop()
        self.sweeps.shutdown()
        self.controller.shutdown()  # quit and wait for the training thread before anything dies
        super().closeEvent(event)

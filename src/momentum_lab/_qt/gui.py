"""Opening the window: interactively, or to train N epochs and save a screenshot."""

from __future__ import annotations

import math
import signal
import sys

from PySide6.QtCore import QObject, QTimer, Slot

from ._app import ensure_app

__all__ = ["run_gui"]

# A screenshot run that has not finished by then saves what it has and says so.
SCREENSHOT_TIMEOUT_S = 600


class _SignalCloser(QObject):
    """Closes the window, in the GUI thread, after SIGINT or SIGTERM."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.wanted = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self.timer.start(200)

    def request(self, signum, frame) -> None:  # a Python signal handler: only note it
        self.wanted = True

    @Slot()
    def poll(self) -> None:
        if self.wanted:
            self.timer.stop()
            self.window.close()


class _ScreenshotSession(QObject):
    """Starts the run once it is ready, saves the window once it has finished (or diverged, or
    a scenario's replay has reached its step), then closes it."""

    def __init__(self, window, path: str, epochs: int, err, export: str | None = None,
                 replay_to: int | None = None) -> None:
        super().__init__(window)
        self.window, self.path, self.epochs, self.err = window, path, epochs, err
        self.export, self.replay_to = export, replay_to
        self.status = 0
        self.done = False
        self.started = False

    @Slot()
    @Slot(str)
    def begin(self, reason: str = "") -> None:
        """Start training when the run on show is the one wanted (no other is being prepared)."""
        c = self.window.controller
        if self.started or c.pending_run_id is not None:
            return
        self.started = True
        if self.replay_to is None:
            c.start()

    @Slot(str)
    def on_state(self, state: str) -> None:
        c = self.window.controller
        if state in ("finished", "diverged"):
            self._save()
        elif (state == "paused" and self.replay_to is not None and self.started and c.latest is not None
              and c.latest.step >= self.replay_to):
            self._save()

    @Slot(str)
    def on_error(self, message: str) -> None:
        """A run that cannot be built or a write that failed: said, and the exit status is 2."""
        print(f"momentum-lab: error: {message}", file=self.err)
        self.status = 2
        if not self.done:
            self.done = True
            self.window.close()

    @Slot()
    def on_timeout(self) -> None:
        if not self.done:
            print(f"momentum-lab: the run did not finish {self.epochs} epochs in {SCREENSHOT_TIMEOUT_S} s; "
                  "saving the window as it is", file=self.err)
            self._save()

    def _save(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.window.save_screenshot(self.path)
            if self.export is not None:
                from ..engine import InputError
                from .export import export_all

                try:
                    written = export_all(self.window, self.export)
                    print(f"Wrote {len(written)} files into {self.export}", file=self.err)
                except InputError as exc:
                    print(f"momentum-lab: error: {exc}", file=self.err)
                    self.status = 2
        except OSError as exc:
            print(f"momentum-lab: error: --screenshot: cannot write '{self.path}': {exc.strerror or exc}",
                  file=self.err)
            self.status = 2
        self.window.close()


def run_gui(config, *, epochs: int = 0, screenshot: str | None = None, size: tuple[int, int] = (1600, 1000),
            speed: float | None = None, controls: bool = True, err=None, lesson: str | None = None,
            scenario: str | None = None, lecture: bool = False, export: str | None = None,
            remember: bool = False, restore_options: bool = False) -> int:
    """Open the main window on ``config`` (a RunConfig); return the exit status.

    With ``screenshot``, train ``epochs`` epochs live through the worker (a scenario: replay
    it), save a PNG of the whole window there (and with ``export``, every plot and the run's
    data into that folder), and close. ``lesson`` (a name) or ``scenario`` (a file) opens one.
    ``speed`` None: the lesson's or scenario's, else flat out. ``remember``: keep the layout,
    options and recent files between launches (QSettings; screenshots never do), and with
    ``restore_options`` open on the options (and speed) of the last launch.
    """
    err = err or sys.stderr
    app = ensure_app()
    import pyqtgraph as pg  # after PySide6 (ensure_app imported it)

    from .controller import RunController
    from .window import MainWindow

    pg.setConfigOptions(antialias=True, background="w", foreground="#111")
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)

    from PySide6.QtCore import QSettings

    from .window import saved_config

    settings = QSettings("momentum-lab", "Momentum Lab") if remember and screenshot is None else None
    if settings is not None and restore_options and lesson is None and scenario is None:
        saved, saved_speed = saved_config(settings)
        config = saved or config
        if speed is None and saved_speed is not None:
            speed = saved_speed
    controller = RunController(config)
    window = MainWindow(controller, settings=settings)
    if settings is None or settings.value("geometry") is None:
        window.resize(*size)
    window.dock.setVisible(controls)
    if speed is None:
        speed = math.inf if screenshot is not None or (lesson is None and scenario is None) else None
    replay_to = None
    if lesson is not None:
        window.open_lesson(lesson)
    elif scenario is not None:
        from ..engine import load_scenario

        replay_to = load_scenario(scenario).steps  # None: trained like a lesson, to its epoch limit
        window.open_scenario_file(scenario)
    if speed is not None:  # given, or no lesson or scenario to set it
        controller.set_speed(speed)
        window.panel.speed.set_speed(speed)
    if epochs:
        controller.set_max_epochs(epochs)
    if lecture:
        window.set_lecture_mode(True)

    if screenshot is not None:
        session = _ScreenshotSession(window, screenshot, epochs, err, export, replay_to)
        controller.state_changed.connect(session.on_state)
        controller.run_started.connect(session.begin)
        controller.error.disconnect(window._on_error)  # no message box: the session says it and exits 2
        controller.error.connect(session.on_error)
        session.begin()
        QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, session.on_timeout)
    # Ctrl-C in the terminal (or a TERM signal) closes the window like its close button:
    # the training thread is stopped and waited for. Python only sees a signal when it
    # runs, so a timer lets it run a few times a second.
    closer = _SignalCloser(window)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, closer.request)
    window.show()
    app.exec()
    controller.shutdown()
    return session.status if screenshot is not None else 0

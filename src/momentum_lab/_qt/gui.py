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
    """Saves the window once the run has finished (or diverged), then closes it."""

    def __init__(self, window, path: str, epochs: int, err) -> None:
        super().__init__(window)
        self.window, self.path, self.epochs, self.err = window, path, epochs, err
        self.status = 0
        self.done = False

    @Slot(str)
    def on_state(self, state: str) -> None:
        if state in ("finished", "diverged"):
            self._save()

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
        except OSError as exc:
            print(f"momentum-lab: error: --screenshot: cannot write '{self.path}': {exc.strerror or exc}",
                  file=self.err)
            self.status = 2
        self.window.close()


def run_gui(config, *, epochs: int = 0, screenshot: str | None = None, size: tuple[int, int] = (1600, 1000),
            speed: float = math.inf, controls: bool = True, err=None) -> int:
    """Open the main window on ``config`` (a RunConfig); return the exit status.

    With ``screenshot``, train ``epochs`` epochs live through the worker, save
    a PNG of the whole window there, and close.
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

    controller = RunController(config)
    window = MainWindow(controller)
    window.resize(*size)
    window.dock.setVisible(controls)
    controller.set_speed(speed)
    window.panel.speed.set_speed(speed)
    if epochs:
        controller.set_max_epochs(epochs)

    if screenshot is not None:
        session = _ScreenshotSession(window, screenshot, epochs, err)
        controller.state_changed.connect(session.on_state)
        controller.start()
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

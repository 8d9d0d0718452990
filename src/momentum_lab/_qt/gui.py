"""Opening the window: interactively, or to train N epochs and save a screenshot."""

from __future__ import annotations

import math
import signal
import sys
import threading

from PySide6.QtCore import QObject, QTimer, Slot

from ._app import ensure_app, has_display

__all__ = ["run_gui"]

# A screenshot run that has not finished by then saves what it has and says so.
SCREENSHOT_TIMEOUT_S = 600
#: The epoch limit the window opens with (the command line's train trains as many); a lesson or a
#: scenario brings its own. The panel's "Stop at epoch" changes it (∞: none).
DEFAULT_EPOCHS = 100


#: The window's size where none is given (see first_size).
DEFAULT_SIZE = (1600, 1000)
#: What a window manager's frame adds to a window, about (pixels): a screen whose free area has
#: not that much more than DEFAULT_SIZE gets the window maximized.
FRAME_ALLOWANCE = (16, 48)


def first_size(free: tuple[int, int] | None) -> tuple[tuple[int, int], bool]:
    """The size a window opens at where none was given, on a screen whose free area (less panels
    and docks) is ``free`` (None: none known, as offscreen): :data:`DEFAULT_SIZE`, or the free area
    where that is smaller (a 1280×720 projector); and whether the window opens maximized (where
    the free area has not room for it and a window manager's frame: that fits the frame too)."""
    if free is None or all(room >= size + frame for room, size, frame in zip(free, DEFAULT_SIZE, FRAME_ALLOWANCE)):
        return DEFAULT_SIZE, False
    return (min(DEFAULT_SIZE[0], free[0]), min(DEFAULT_SIZE[1], free[1])), True


#: The exit status after Ctrl-C or a TERM signal (the command line's "interrupted").
EXIT_INTERRUPTED = 130


class _Interrupted(Exception):
    """A signal was noted while the screenshot's files were being staged: none is written."""


class _Interrupts:
    """Notes SIGINT and SIGTERM (a Python signal handler may only note them); installed before
    the window is built, so a signal during the build is noted too, and put back afterwards."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict = {}

    def request(self, signum, frame) -> None:
        self.signum = signum

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # (Python takes signal handlers in its main thread only)
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self.request)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()


class _SignalCloser(QObject):
    """Closes the window, in the GUI thread, once a signal has been noted."""

    def __init__(self, window, interrupts: _Interrupts | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.interrupts = interrupts or _Interrupts()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.poll)
        self.timer.start(200)

    @property
    def wanted(self) -> bool:
        return self.interrupts.signum is not None

    def request(self, signum, frame) -> None:  # a Python signal handler: only note it
        self.interrupts.request(signum, frame)

    @Slot()
    def poll(self) -> None:
        if self.wanted:
            self.timer.stop()
            self.window.close()


class _ScreenshotSession(QObject):
    """Starts the run once it is ready, saves the window once it has finished (or diverged, or
    a scenario's replay has reached its step), then closes it."""

    def __init__(self, window, path: str, epochs: int, err, export: str | None = None,
                 replay_to: int | None = None, interrupts: _Interrupts | None = None) -> None:
        super().__init__(window)
        self.window, self.path, self.epochs, self.err = window, path, epochs, err
        self.export, self.replay_to = export, replay_to
        self.interrupts = interrupts or _Interrupts()
        self.status = 0
        self.done = False
        self.started = False
        # Whether the screenshot was written (an interrupted session writes none and exits 130).
        self.saved = False

    @Slot()
    @Slot(str)
    def begin(self, reason: str = "") -> None:
        """Start training when the run on show is the one wanted (no other is being prepared)."""
        c = self.window.controller
        if self.started or c.busy:
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
        from ..engine import flag_spelling

        print(f"momentum-lab: error: {flag_spelling(message)}", file=self.err)
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
        if self.interrupts.signum is not None:
            self.window.close()  # interrupted: no screenshot (the closer would close it too)
            return
        from ..engine import InputError, Outputs, flag_spelling
        from .export import export_all

        try:
            # The screenshot and the exported files: all of them or none (see engine/_atomic.py).
            with Outputs() as outputs:
                self.window.save_screenshot(self.path, outputs)
                written = export_all(self.window, self.export, outputs) if self.export is not None else []
                if self.interrupts.signum is not None:  # noted while they were staged: write none
                    raise _Interrupted
            self.saved = True
            if written:
                print(f"Wrote {len(written)} files into {self.export}", file=self.err)
        except _Interrupted:
            pass  # run_gui exits 130
        except InputError as exc:
            print(f"momentum-lab: error: {flag_spelling(str(exc))}", file=self.err)
            self.status = 2
        finally:
            self.window.close()  # whatever happened: a window left open would never end the session


def run_gui(config, *, epochs: int | None = None, screenshot: str | None = None, size: tuple[int, int] | None = None,
            speed: float | None = None, controls: bool = True, err=None, lesson: str | None = None,
            scenario: str | None = None, lecture: bool = False, export: str | None = None,
            remember: bool = False, restore_options: bool = False, dataset=None, opened=None) -> int:
    """Open the main window on ``config`` (a RunConfig); return the exit status.

    The window opens paused, stopping at ``epochs`` epochs (None: :data:`DEFAULT_EPOCHS`, or a lesson's
    or scenario's own limit; 0: theirs, or none). ``size`` None: :func:`first_size` (a screenshot:
    :data:`DEFAULT_SIZE`), unless the window's remembered size is restored. With ``screenshot``, train ``epochs`` epochs live
    through the worker (a scenario: replay it), save a PNG of the whole window there (and with
    ``export``, every plot and the run's data into that folder), and close. ``lesson`` (a name) or
    ``scenario`` (a file) opens one. ``speed`` None: the lesson's or scenario's, else the remembered
    one, else :data:`~.widgets.DEFAULT_SPEED` (a screenshot: flat out). ``remember``: keep the layout,
    options and recent files between launches (QSettings; screenshots never do), and with
    ``restore_options`` open on the options (and speed) of the last launch. ``dataset``: ``config``'s
    data, already read; ``opened``: the scenario file ``scenario``, already read (with its data, the
    ``dataset``): neither is read again.
    """
    err = err or sys.stderr
    if epochs is None:
        epochs = DEFAULT_EPOCHS if lesson is None and scenario is None and opened is None else 0
    # Ctrl-C in the terminal (or a TERM signal) closes the window like its close button: the
    # threads are stopped and waited for, and the exit status is 130. Python only sees a signal
    # when it runs, so a timer lets it run a few times a second.
    interrupts = _Interrupts()
    interrupts.install()
    try:
        return _run_gui(config, interrupts, epochs=epochs, screenshot=screenshot, size=size, speed=speed,
                        controls=controls, err=err, lesson=lesson, scenario=scenario, lecture=lecture,
                        export=export, remember=remember, restore_options=restore_options, dataset=dataset,
                        opened=opened)
    finally:
        interrupts.restore()


def _run_gui(config, interrupts: _Interrupts, *, epochs: int, screenshot: str | None, size: tuple[int, int] | None,
             speed: float | None, controls: bool, err, lesson: str | None, scenario: str | None, lecture: bool,
             export: str | None, remember: bool, restore_options: bool, dataset, opened) -> int:
    app = ensure_app()
    import pyqtgraph as pg  # after PySide6 (ensure_app imported it)

    from .controller import RunController
    from .window import MainWindow

    pg.setConfigOptions(antialias=True, background="w", foreground="#111")
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)

    from PySide6.QtCore import QSettings

    from .window import remembered_options

    settings = QSettings("momentum-lab", "Momentum Lab") if remember and screenshot is None else None
    notes: list[str] = []
    if settings is not None and restore_options and lesson is None and scenario is None:
        # Checked like command-line options; what fails is dropped, said in the status bar.
        remembered = remembered_options(settings)
        if remembered.config is not None:
            config, dataset = remembered.config, remembered.dataset
        if speed is None and remembered.speed is not None:
            speed = remembered.speed
        notes = remembered.problems
    origin = "lesson" if lesson is not None else "scenario" if scenario is not None else "options"
    controller = RunController(config, dataset=dataset, origin=origin)  # its thread runs from here
    window = None
    try:
        window = MainWindow(controller, settings=settings)  # (stops the thread itself if it fails)
        session = _setup(window, controller, settings, epochs=epochs, screenshot=screenshot, size=size,
                         speed=speed, controls=controls, err=err, lesson=lesson, scenario=scenario,
                         lecture=lecture, export=export, interrupts=interrupts, opened=opened)
        if notes:
            window.note(". ".join(note[:1].upper() + note[1:] for note in notes))
        _SignalCloser(window, interrupts)
        # (A signal while the window was built, or a session that already failed: it never shows.)
        if interrupts.signum is None and not (session is not None and session.done):
            window.showMaximized() if getattr(window, "open_maximized", False) else window.show()
            app.exec()
    except BaseException:
        if window is not None:
            window.shutdown()
        else:
            controller.shutdown()
        raise
    window.shutdown()  # (closing did it; a window never shown is stopped here)
    if session is not None and session.saved:
        return session.status
    if interrupts.signum is not None:
        print("momentum-lab: interrupted" + ("; no screenshot was written" if screenshot else ""), file=err)
        return EXIT_INTERRUPTED
    return session.status if session is not None else 0


def _setup(window, controller, settings, *, epochs, screenshot, size, speed, controls, err, lesson, scenario,
           lecture, export, interrupts, opened=None):
    """Everything between building the window and showing it; the screenshot session, if any."""
    if settings is None or settings.value("geometry") is None:
        if size is None:
            screen = window.screen() if screenshot is None and has_display() else None
            free = screen.availableGeometry() if screen is not None else None
            size, window.open_maximized = first_size(None if free is None else (free.width(), free.height()))
            if window.open_maximized:
                window.move(free.topLeft())
        window.resize(*size)
    window.dock.setVisible(controls)
    if speed is None:
        if screenshot is not None:
            speed = math.inf  # a screenshot trains flat out
        elif lesson is None and scenario is None:
            from .widgets import DEFAULT_SPEED

            speed = DEFAULT_SPEED  # (else the lesson's or the scenario's)
    replay_to = None
    if scenario is not None and opened is None:
        from ..engine import load_scenario

        opened = load_scenario(scenario)
    if opened is not None:
        replay_to = opened.steps  # None: trained like a lesson, to its epoch limit
    session = None
    if screenshot is not None:  # first: what goes wrong from here on is the session's to say
        session = _ScreenshotSession(window, screenshot, epochs, err, export, replay_to, interrupts)
        controller.state_changed.connect(session.on_state)
        controller.run_started.connect(session.begin)
        controller.error.disconnect(window._on_error)  # no message box: the session says it and exits 2
        controller.error.connect(session.on_error)
    if lesson is not None:
        window.open_lesson(lesson)
    elif scenario is not None:
        window.open_scenario(opened, scenario)
    if speed is not None:  # given, or no lesson or scenario to set it
        controller.set_speed(speed)  # (the panel shows it)
    if epochs:
        controller.set_max_epochs(epochs)
    if lecture:
        window.set_lecture_mode(True)
    if session is not None:
        session.begin()
        QTimer.singleShot(SCREENSHOT_TIMEOUT_S * 1000, session.on_timeout)
    return session

"""Getting a QApplication, with or without a display."""

from __future__ import annotations

import os
import sys

__all__ = ["ensure_app", "has_display"]


def has_display() -> bool:
    """True where a window can be shown (X11 or Wayland on Linux; always elsewhere)."""
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def ensure_app():
    """The running QApplication, or a new one (offscreen when there is no display)."""
    if not has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # PySide6 first: pyqtgraph uses whichever binding is imported first.
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(_message)
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Momentum Lab")
    return app


# What Qt says that is no news to a user: the offscreen platform says this of every window.
_QUIET = ("This plugin does not support propagateSizeHints()",)


def _message(kind, context, text: str) -> None:
    """Qt's messages on stderr, as Qt prints them, less those in _QUIET."""
    if text not in _QUIET:
        print(text, file=sys.stderr)

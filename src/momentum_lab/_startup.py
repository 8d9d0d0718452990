"""Ctrl-C and TERM while the command starts.

Importing numpy, numba and the engine takes about a second; an interrupt in that time would end
the ``momentum-lab`` command with a traceback (or, TERM, with no word). When this package is
imported by the command (the console script, or ``python -m momentum_lab``), such an interrupt
ends it quietly with one line and exit status 130 — nothing has been read or written yet.
:func:`momentum_lab.cli.main` puts its own handlers in place when it starts. Imported as a
library, nothing changes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

__all__ = ["STARTING"]


def _interrupted_while_starting(signum, frame) -> None:
    os.write(2, b"momentum-lab: interrupted\n")
    os._exit(130)


def _by_the_command() -> bool:
    # sys.argv[0] is "-m" while ``python -m momentum_lab`` locates the package.
    return bool(sys.argv) and (os.path.basename(sys.argv[0]) == "momentum-lab" or sys.argv[0] == "-m")


#: True while the command's start-up handlers are in place (cli.main replaces them).
STARTING = threading.current_thread() is threading.main_thread() and _by_the_command()
if STARTING:
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, _interrupted_while_starting)

"""The window as ``momentum-lab gui --size WxH [--lecture]`` opens it, walked for what a person
would see cut or misplaced (issue 12; see ``layout_walk.py``): its first layout, none applied
since, as a screenshot shows it.

A module of its own: ``run_gui_and_look`` looks at the first main window on show, so no other
test's window may be open meanwhile (``test_layout_walk.py`` keeps its windows for a module).
"""

from __future__ import annotations

import pytest

from momentum_lab._qt.window import MainWindow

from layout_walk import known_open, walk
from test_gui import TIMEOUT, kernels_ready, run_gui_and_look  # noqa: F401 (fixture)
from test_layout_walk import MODES, SIZES, settle

pytestmark = pytest.mark.walk  # (make walk runs these: see the Makefile)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_window_as_the_command_opens_it_has_nothing_cut(monkeypatch, tmp_path, qtbot, size, mode):
    """The window as ``momentum-lab gui --size WxH [--lecture]`` shows it (its first layout, no
    other applied since): what a screenshot of it shows."""
    found: list[str] = []

    def look(window: MainWindow) -> None:
        # (Lecture mode's layout comes once the docks have their new widths: a moment later.)
        qtbot.waitUntil(lambda: window.views.layout == ("Lecture" if mode == "lecture" else "Explore"),
                        timeout=TIMEOUT)
        settle(window)
        found.extend(str(finding) for finding in walk(window) if not known_open(str(finding)))

    run_gui_and_look(monkeypatch, tmp_path / "settings.ini", look, size=SIZES[size], lecture=mode == "lecture")
    assert not found, f"{size} {mode} as opened, {len(found)} defects:\n" + "\n".join(found)

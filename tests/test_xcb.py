"""The window on a real X server (Qt's xcb platform under Xvfb), driven by keys the server delivers.

Offscreen, a test's key events go straight to a widget. Here xdotool types them through the X
server (its XTEST extension, as a keyboard does): they reach the window only through the server's
input focus, its keyboard map and Qt's xcb plugin, the way a person's keys do. `make test` runs
these after the offscreen suite, as ``xvfb-run -a env QT_QPA_PLATFORM=xcb pytest -m xcb``; without
Xvfb they are skipped, saying why, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from momentum_lab._qt.views import VIEWS
from test_gui import TIMEOUT, dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_quiet import same_code_env

pytestmark = pytest.mark.xcb


def x_problem() -> str | None:
    """Why these tests cannot run here; None when they can."""
    if os.environ.get("QT_QPA_PLATFORM") != "xcb" or not os.environ.get("DISPLAY"):
        if shutil.which("xvfb-run") is None:
            return "no X server: install Debian's xvfb, xauth and xdotool (make test then runs these under xvfb-run)"
        return "needs an X server: run `xvfb-run -a env QT_QPA_PLATFORM=xcb pytest -m xcb` (make test does)"
    if shutil.which("xdotool") is None:
        return "xdotool is missing (Debian's xdotool): it types the keys"
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@pytest.fixture
def x_server() -> None:
    """Skips the test where there is no X server to run it on; in CI, fails it."""
    problem = x_problem()
    if problem is not None:
        if in_ci():
            pytest.fail(f"CI must run the X smoke, but {problem}")
        pytest.skip(problem)


@pytest.fixture
def x_window(x_server, request):
    """open_window on the X server. (Asked for only once x_server has checked: Qt's application,
    made on the xcb platform without a display, aborts the process.)"""
    return request.getfixturevalue("open_window")


def press(window_id: int | str, *keys: str) -> None:
    """Give X window ``window_id`` the input focus and type ``keys`` (X key names) into it.

    Without a window manager nothing gives a new window the focus, and Qt's window shortcuts need
    their window active: keys typed, or sent to the window itself, were not seen. Setting the
    server's input focus first (``windowfocus --sync``) makes Qt activate the window.
    """
    subprocess.run(["xdotool", "windowfocus", "--sync", str(window_id), "key", *keys], check=True, timeout=30)


def test_space_starts_training_and_pauses_it_again(qtbot, x_window):
    w = x_window()
    c = w.controller
    assert c.state == "paused" and c.latest.step == 0
    press(int(w.winId()), "space")
    qtbot.waitUntil(lambda: c.state == "running" and c.latest.step > 0, timeout=TIMEOUT)
    press(int(w.winId()), "space")
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)


def test_page_down_and_page_up_open_the_next_and_the_previous_lesson(qtbot, x_window):
    w = x_window()
    lessons = w.lesson_panel
    assert w.open_lesson(0)
    press(int(w.winId()), "Next")  # (X's name of PageDown, what a presentation clicker sends)
    qtbot.waitUntil(lambda: lessons.current == 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.controller.config == lessons.lessons[1].scenario.config, timeout=TIMEOUT)
    press(int(w.winId()), "Prior")
    qtbot.waitUntil(lambda: lessons.current == 0, timeout=TIMEOUT)


def test_each_digit_key_brings_its_view_up_and_again_up_big(qtbot, x_window):
    w = x_window()
    area = w.views
    w.apply_layout("Lecture")  # the core two alone: every view comes up by its key
    assert not any(area.shown(name) for name in VIEWS)
    for name, (_, key) in VIEWS.items():
        press(int(w.winId()), key)
        qtbot.waitUntil(lambda name=name: area.shown(name), timeout=TIMEOUT)
        assert area.big is None
        press(int(w.winId()), key)  # again: up big, the other views out of the way
        qtbot.waitUntil(lambda name=name: area.big is not None and area.big[0] == name, timeout=TIMEOUT)
        assert [other for other in VIEWS if area.shown(other)] == [name]
        press(int(w.winId()), "Escape")
        qtbot.waitUntil(lambda: area.big is None, timeout=TIMEOUT)


def test_f5_turns_lecture_mode_on_and_off(qtbot, x_window):
    w = x_window()
    press(int(w.winId()), "F5")
    qtbot.waitUntil(w.lecture_action.isChecked, timeout=TIMEOUT)
    press(int(w.winId()), "F5")
    qtbot.waitUntil(lambda: not w.lecture_action.isChecked(), timeout=TIMEOUT)


def test_the_bare_command_opens_its_window_takes_keys_and_quits_quietly(x_server, tmp_path):
    """`make run`'s command on a display: the window opens, "]" raises the learning rate, Ctrl+Q
    quits; the settings it keeps on quitting say the rate it ended with (0.01 → 0.02)."""
    env = same_code_env(XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    app = subprocess.Popen([sys.executable, "-m", "momentum_lab"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        # (Its title names the data once the run is on show: the keys then act on it.)
        found = subprocess.run(["xdotool", "search", "--sync", "--all", "--onlyvisible", "--pid", str(app.pid),
                                "--name", "^Momentum Lab — iris"],
                               capture_output=True, text=True, check=True, timeout=120)
        press(found.stdout.split()[0], "bracketright", "ctrl+q")
        out, err = app.communicate(timeout=60)
    finally:
        app.kill()
        app.wait()
    assert (app.returncode, out, err) == (0, "", "")
    kept = QSettings(str(tmp_path / "momentum-lab" / "Momentum Lab.conf"), QSettings.Format.IniFormat)
    assert json.loads(kept.value("options"))["lr"] == 0.02


def test_on_a_1280_by_720_screen_the_bare_command_s_window_fits_it(x_server, tmp_path):
    """A projector's screen, its own X server: the window opens at its size (1600×1000 would
    leave the status bar and the delta plot's axis below the screen), and Ctrl+Q quits."""
    env = same_code_env(XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    script = tmp_path / "look.sh"
    script.write_text(
        f'"{sys.executable}" -m momentum_lab > out.txt 2> err.txt &\n'
        "app=$!\n"
        'id=$(xdotool search --sync --all --onlyvisible --pid $app --name "^Momentum Lab — iris" | head -1)\n'
        "xdotool getwindowgeometry --shell $id\n"
        "xdotool windowfocus --sync $id key ctrl+q\n"
        "wait $app\n"
        'echo "STATUS=$?"\n')
    done = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "bash", str(script)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=180)
    told = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    assert (told.get("WIDTH"), told.get("HEIGHT"), told.get("STATUS")) == ("1280", "720", "0"), done
    assert (tmp_path / "err.txt").read_text() == ""

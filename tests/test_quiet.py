"""A normal session prints nothing it does not mean to: no RuntimeWarning, no Qt message.

Each command of the session runs as its own process, as a user runs it, and its whole stderr is
read: what the command means to print there (train's and sweep's progress) is matched line by
line, and any other line fails the test. (The X smoke, tests/test_xcb.py, asks the same of the
window opened on a display.)
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import momentum_lab
from momentum_lab.engine import RunConfig, Trainer, activation_code, largest_curvature, load_dataset, loss_code

SIZE = ["--size", "1280x720"]
PROGRESS = {
    "train": re.compile(r"epoch +\d+/\d+  train loss \S+  train acc \S+%  test acc \S+%"),
    "sweep": re.compile(r"sweep: epoch \d+/\d+"),
}
#: A session: (what it is, the command's arguments).
SESSION = [
    ("a run", ["gui", "--epochs", "30", *SIZE, "--screenshot", "run.png"]),
    ("a compare", ["gui", "--epochs", "20", "--momentum", "0.9", "--compare", "classical", "--compare",
                   "nesterov:0.5", *SIZE, "--screenshot", "compare.png"]),
    ("a lesson that diverges", ["gui", "--lesson", "divergence-stability-map", *SIZE, "--screenshot", "lesson.png"]),
    ("lecture mode", ["gui", "--lesson", "momentum-early", "--lecture", *SIZE, "--screenshot", "lecture.png"]),
    ("train", ["train", "--epochs", "30", "--rule", "classical", "--lr", "0.5", "--momentum", "0.9"]),
    ("sweep", ["sweep", "--lr", "0.001:10:6", "--momentum", "0:0.95:4", "--epochs", "10", "--out", "sweep.csv",
               "--png", "sweep.png"]),
]


def same_code_env(**variables: str) -> dict[str, str]:
    """The environment plus ``variables``, for a process that imports the momentum_lab this test
    imported (a relative PYTHONPATH, such as src, would name another folder from the process's
    working directory)."""
    source = str(Path(momentum_lab.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, **variables)


@pytest.mark.slow
@pytest.mark.parametrize("args", [args for _, args in SESSION], ids=[what for what, _ in SESSION])
def test_a_command_of_a_normal_session_prints_on_stderr_only_what_it_means_to(args, tmp_path):
    done = subprocess.run([sys.executable, "-m", "momentum_lab", *args], cwd=tmp_path,
                          env=same_code_env(QT_QPA_PLATFORM="offscreen"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    meant = PROGRESS.get(args[0])
    noise = [line for line in done.stderr.splitlines() if meant is None or not meant.fullmatch(line)]
    assert noise == []


def test_the_curvature_of_a_saturated_network_is_measured_without_a_warning():
    """Classical momentum at lr 0.5, m 0.9 saturates Iris's tanh units by epoch 4: there the power
    iteration's start (the largest |eigenvalue|, a negative one) is exactly null for H + rho I,
    and the division by its length printed "invalid value encountered in divide" (the worker
    measures the curvature about once a second) and gave NaN."""
    t = Trainer(load_dataset("iris"), RunConfig("iris", rule="classical", lr=0.5, momentum=0.9))
    t.run(4 * 120)
    got = largest_curvature(t.params, t.layout, activation_code(t.activation), loss_code(t.loss),
                            t.dataset.x_train, t.dataset.y_train, iterations=20)
    assert math.isfinite(got) and got >= 0

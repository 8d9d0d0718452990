"""A plain (non-editable) install finds the shipped data from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (found,) = out.glob("momentum_lab-*.whl")
    return found


@pytest.mark.slow
def test_wheel_carries_the_resources_and_the_typing_marker(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "momentum_lab/resources/datasets/iris.csv" in names
    assert "momentum_lab/py.typed" in names
    assert not any(n.startswith(("tests/", "momentum_lab/tests")) for n in names)


@pytest.mark.slow
def test_installed_copy_runs_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                           str(target), str(wheel)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import momentum_lab, momentum_lab._resources as r;"
            "print(momentum_lab.__file__); print(r.resource_path('datasets', 'iris.csv'))")
    # The installed copy must come first, ahead of the editable source tree.
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    module_file, iris_path = proc.stdout.split()
    assert module_file.startswith(str(target)) and iris_path.startswith(str(target))
    proc = subprocess.run([sys.executable, "-m", "momentum_lab", "train", "--epochs", "2", "--quiet"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "2 epochs, 240 updates" in proc.stdout

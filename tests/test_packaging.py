"""A plain (non-editable) install finds the shipped data from any folder."""

from __future__ import annotations

import os
import re
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
    # Help ▸ The tutorial: the tutorial, the page it links and every picture it shows.
    tutorial = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((images/[^)]+|[\w-]+\.md)\)", tutorial))
    assert linked and {f"momentum_lab/docs/{name}" for name in linked | {"tutorial.md"}} <= set(names)
    assert not any(n.startswith(("tests/", "momentum_lab/tests")) for n in names)


@pytest.mark.slow
def test_a_fresh_venv_install_runs_from_another_folder(wheel, tmp_path):
    """``pip install`` of the wheel, with its dependencies, into a new venv; run from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           str(wheel)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    code = ("import momentum_lab, momentum_lab._resources as r;"
            "print(momentum_lab.__file__); print(r.resource_path('datasets', 'iris.csv')); print(r.doc_path('tutorial.md'))")
    proc = subprocess.run([str(python), "-c", code], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    module_file, iris_path, tutorial_path = proc.stdout.split()
    assert all(path.startswith(str(venv)) for path in (module_file, iris_path, tutorial_path))
    script = venv / "bin" / "momentum-lab"
    proc = subprocess.run([str(script), "train", "--epochs", "2", "--quiet", "--plot", "c.png"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "2 epochs, 240 updates" in proc.stdout
    assert (elsewhere / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Correct at fractional scaling (issue 12): laptops and projectors run at 125 % and 150 %
(``QT_SCALE_FACTOR``). At 1280×720 logical pixels (1600×900 and 1920×1080 device pixels), in
normal and lecture mode, nothing is cut (the layout walk) and no marker is drawn at another
pixel ratio than its view's (drawn at 1 and scaled up, it is blurred)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_quiet import same_code_env

pytestmark = pytest.mark.walk  # (make walk runs these, with the rest of the layout walk)

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("mode", ["normal", "lecture"])
@pytest.mark.parametrize("scale", ["1.25", "1.5"])
def test_at_a_fractional_scale_nothing_is_cut_and_no_marker_blurred(scale, mode, tmp_path):
    done = subprocess.run([sys.executable, str(HERE / "scaled_walk.py"), "1280x720", mode, "Explore", "Everything"],
                          cwd=tmp_path, env=same_code_env(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["scale"] == float(scale)  # (Qt applied it: else this tests nothing)
    assert result["markers"] >= 3 and result["blurred"] == []  # (network nodes, regions' items, map points)
    assert result["found"] == [], f"{len(result['found'])} defects at {scale}:\n" + "\n".join(result["found"])

"""Test settings: Qt offscreen, and shared fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/reference.py


@pytest.fixture(scope="session")
def iris():
    from momentum_lab.engine import load_dataset

    return load_dataset("iris")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)

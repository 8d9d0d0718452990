"""The bounded buffers behind the live plots (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from momentum_lab.engine import Change
from momentum_lab.engine._monitor import DeltaRing, HistoryLog


def rows_for(epochs):
    return np.array([[e, 1.0 / (e + 1), 0.5, np.nan, np.nan, 0.01, 0.5, 0.2] for e in epochs])


def test_history_keeps_everything_until_full():
    h = HistoryLog(capacity=16)
    h.extend(rows_for(range(10)))
    assert len(h) == 10 and h.stride == 1
    np.testing.assert_array_equal(h.column("epoch"), np.arange(10))


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_history_memory_stays_bounded_and_keeps_first_and_latest(chunk):
    h = HistoryLog(capacity=16)
    epochs = np.arange(100_000)
    for start in range(0, len(epochs), chunk):
        h.extend(rows_for(epochs[start:start + chunk]))
    assert len(h) <= 16
    kept = h.column("epoch").astype(int)
    assert kept[0] == 0 and kept[-1] == 99_999 and h.latest_row[0] == 99_999
    assert np.all(np.diff(kept) > 0)
    inner = kept[:-1]  # all but the provisional newest lie on the stride
    assert np.all(inner % h.stride == 0) and h.stride > 1
    # Evenly spread: no gap is more than twice the stride.
    assert np.diff(kept).max() <= 2 * h.stride


def test_history_clear():
    h = HistoryLog(capacity=8)
    h.extend(rows_for(range(50)))
    h.clear()
    assert len(h) == 0 and h.stride == 1 and h.latest_row is None


def test_delta_ring_keeps_the_latest_rows_in_order():
    ring = DeltaRing(capacity=5, n_params=2)
    ring.push(np.arange(6.0).reshape(3, 2), first_step=1)
    steps, rows = ring.latest()
    assert steps.tolist() == [1, 2, 3] and rows[:, 0].tolist() == [0, 2, 4]
    ring.push(np.arange(8.0).reshape(4, 2) + 100, first_step=10)  # a gap: steps 4..9 not sent
    steps, rows = ring.latest()
    assert steps.tolist() == [3, 10, 11, 12, 13]
    assert rows[:, 0].tolist() == [4, 100, 102, 104, 106]
    assert ring.total == 7 and len(ring) == 5
    steps, _ = ring.latest(2)
    assert steps.tolist() == [12, 13]
    ring.push(np.zeros((9, 2)), first_step=20)  # more than fits: only the last 5
    steps, _ = ring.latest()
    assert steps.tolist() == [24, 25, 26, 27, 28]
    ring.clear()
    assert len(ring) == 0


def test_setting_change_label():
    assert Change(12, "lr", 0.1, previous=0.01).label() == "lr 0.01 → 0.1"
    assert Change(12, "lr", 0.1, 1, previous=0.01).label(named=True) == "B: lr 0.01 → 0.1"


def test_history_keeps_the_stability_column():
    h = HistoryLog(capacity=16)
    h.extend(rows_for(range(3)))
    np.testing.assert_array_equal(h.column("stability"), [0.2, 0.2, 0.2])

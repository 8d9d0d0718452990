"""Bounded buffers for watching a run live: memory stays flat however long it trains.

No Qt here: the GUI draws from these, the worker thread fills batches for them.
"""

from __future__ import annotations

import numpy as np

from ._io import HISTORY_COLUMNS

__all__ = ["DeltaRing", "HistoryLog"]


class DeltaRing:
    """The most recent deltas of every parameter, in a preallocated ring.

    Parameters
    ----------
    capacity : int
        Steps kept.
    n_params : int

    Attributes
    ----------
    total : int
        Steps ever pushed (the ring holds the last ``min(total, capacity)``).
    """

    def __init__(self, capacity: int, n_params: int) -> None:
        self.capacity = int(capacity)
        self.n_params = int(n_params)
        self._rows = np.zeros((self.capacity, self.n_params))
        self._steps = np.zeros(self.capacity, dtype=np.int64)
        self._next = 0
        self.total = 0

    def clear(self) -> None:
        self._next = 0
        self.total = 0

    def push(self, deltas: np.ndarray, first_step: int) -> None:
        """Append rows of deltas (shape ``(n, n_params)``), the first being step ``first_step``.

        Steps need not follow on from the previous push (a fast run sends only
        the latest steps of each batch); each row keeps its own step number.
        """
        n = deltas.shape[0]
        steps = np.arange(first_step, first_step + n, dtype=np.int64)
        if n >= self.capacity:
            deltas, steps = deltas[-self.capacity:], steps[-self.capacity:]
            n = self.capacity
        end = self._next + n
        if end <= self.capacity:
            self._rows[self._next:end] = deltas
            self._steps[self._next:end] = steps
        else:
            first = self.capacity - self._next
            self._rows[self._next:] = deltas[:first]
            self._steps[self._next:] = steps[:first]
            self._rows[: n - first] = deltas[first:]
            self._steps[: n - first] = steps[first:]
        self._next = end % self.capacity
        self.total += n

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def latest(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The last ``n`` (default: all kept) rows, oldest first: (steps (n,), deltas (n, n_params))."""
        kept = len(self)
        n = kept if n is None else min(n, kept)
        idx = (self._next - n + np.arange(n)) % self.capacity
        return self._steps[idx], self._rows[idx]


class HistoryLog:
    """Per-epoch history rows with bounded memory.

    When ``capacity`` rows are stored, every other row is dropped (the first
    and the newest always stay) and from then on only every ``stride``-th epoch
    is kept, the stride doubling each time: an hour-long run keeps a curve of
    the whole hour at a fixed cost.
    """

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = int(capacity)
        self._rows = np.empty((self.capacity, len(HISTORY_COLUMNS)))
        self._n = 0
        self.stride = 1
        self.latest_row: np.ndarray | None = None
        self._provisional = False

    def clear(self) -> None:
        self._n = 0
        self.stride = 1
        self.latest_row = None
        self._provisional = False

    def extend(self, rows: np.ndarray) -> None:
        """Add history rows (shape ``(n, len(HISTORY_COLUMNS))``) in epoch order."""
        for row in rows:
            self.latest_row = row
            if self._provisional:  # the newest row stands in only until a newer one comes
                self._n -= 1
            if self._n == self.capacity:
                self.stride *= 2
                kept = self._rows[: self._n][self._rows[: self._n, 0].astype(np.int64) % self.stride == 0]
                self._n = kept.shape[0]
                self._rows[: self._n] = kept
            self._rows[self._n] = row
            self._n += 1
            self._provisional = int(row[0]) % self.stride != 0

    def __len__(self) -> int:
        return self._n

    @property
    def rows(self) -> np.ndarray:
        """The kept rows (a view; copy it to keep it)."""
        return self._rows[: self._n]

    def column(self, name: str) -> np.ndarray:
        return self._rows[: self._n, HISTORY_COLUMNS.index(name)]

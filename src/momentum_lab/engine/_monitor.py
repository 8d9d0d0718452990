"""Bounded buffers for watching a run live: memory stays flat however long it trains.

No Qt here: the GUI draws from these, the worker thread fills batches for them.
"""

from __future__ import annotations

import numpy as np

from ._io import HISTORY_COLUMNS

__all__ = ["DeltaRing", "DeltaStatsLog", "HistoryLog"]


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
        """Add history rows (shape ``(n, len(HISTORY_COLUMNS))``) in epoch order; a row of the
        newest row's epoch replaces it (a revision: see ``Lane.new_rows``)."""
        for row in rows:
            if self._n and row[0] == self._rows[self._n - 1, 0]:
                self._rows[self._n - 1] = row
                self.latest_row = row
                continue
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


class DeltaStatsLog:
    """Per-epoch delta statistics (see :class:`~momentum_lab.engine.DeltaStats`) with bounded memory.

    Each row holds the flip rate and mean |delta| of every parameter over ``stride`` epochs in a
    row (the newest row over as many as have come). When ``capacity`` rows are full, neighbouring
    rows are merged pairwise (their means averaged: every epoch has as many steps) and the stride
    doubles: the whole run stays covered, ever more coarsely, at a fixed cost of at most
    ``capacity`` rows x n_params x 8 bytes. Memory is taken as the rows fill, not all at once.

    Parameters
    ----------
    n_params : int
    capacity : int
        Rows kept at most (made even, at least 4).
    """

    def __init__(self, n_params: int, capacity: int) -> None:
        self.n_params = int(n_params)
        self.capacity = max(4, int(capacity) // 2 * 2)
        rows = min(self.capacity, 64)
        self._data = np.empty((rows, 2, self.n_params), dtype=np.float32)
        self._count = np.zeros(rows, dtype=np.int64)  # epochs in each row
        # The mean over the parameters of each row (the "all parameters" curve), kept as rows come.
        self._overall = np.empty((rows, 2))
        self._n = 0
        self.stride = 1

    def clear(self) -> None:
        self._n = 0
        self.stride = 1

    def __len__(self) -> int:
        return self._n

    @property
    def epochs(self) -> int:
        """Epochs taken in."""
        return int(self._count[: self._n].sum())

    def extend(self, stats: np.ndarray) -> None:
        """Add the statistics of the next epochs, shape ``(k, 2, n_params)`` (as StepReport.stats)."""
        i, k = 0, stats.shape[0]
        while i < k:
            last = self._n - 1
            if self._n and self._count[last] < self.stride:  # the newest row takes epochs up to the stride
                take = min(int(self.stride - self._count[last]), k - i)
                self._merge_into(last, stats[i:i + take].astype(np.float64).sum(axis=0), take)
                i += take
            elif self._n == self.capacity:
                self._coarsen()
            else:
                whole = min(self.capacity - self._n, (k - i) // self.stride)
                take = whole * self.stride if whole else k - i  # whole rows, else a newest row begun
                rows = max(whole, 1)
                block = stats[i:i + take].reshape(rows, take // rows, 2, self.n_params).mean(axis=1, dtype=np.float64)
                self._put(block, take // rows)
                i += take

    def _room(self, rows: int) -> None:
        """Room for ``rows`` rows (grown twofold at a time, to the capacity)."""
        if rows <= self._data.shape[0]:
            return
        size = min(self.capacity, max(rows, 2 * self._data.shape[0]))
        for name in ("_data", "_count", "_overall"):
            old = getattr(self, name)
            grown = np.empty((size, *old.shape[1:]), dtype=old.dtype)
            grown[: self._n] = old[: self._n]
            setattr(self, name, grown)

    def _put(self, block: np.ndarray, count: int) -> None:
        a, b = self._n, self._n + block.shape[0]
        self._room(b)
        self._data[a:b] = block
        self._count[a:b] = count
        self._overall[a:b] = block.mean(axis=2)
        self._n = b

    def _merge_into(self, row: int, total: np.ndarray, count: int) -> None:
        """Row ``row`` takes ``count`` more epochs whose statistics sum to ``total``."""
        before = int(self._count[row])
        merged = (self._data[row].astype(np.float64) * before + total) / (before + count)
        self._data[row] = merged
        self._count[row] = before + count
        self._overall[row] = merged.mean(axis=1)

    def _coarsen(self) -> None:
        """Every two neighbouring rows (all full) become one: the stride doubles."""
        half = self._n // 2
        pairs = self._data[: self._n].reshape(half, 2, 2, self.n_params)
        self._data[:half] = pairs.mean(axis=1, dtype=np.float64)
        self._overall[:half] = self._overall[: self._n].reshape(half, 2, 2).mean(axis=1)
        self._count[:half] = self._count[: self._n].reshape(half, 2).sum(axis=1)
        self._n = half
        self.stride *= 2

    @property
    def epoch(self) -> np.ndarray:
        """The last epoch (from 1) each row covers, shape (rows,)."""
        return np.cumsum(self._count[: self._n])

    @property
    def flip_rate(self) -> np.ndarray:
        """Shape (rows, n_params): a view (copy it to keep it)."""
        return self._data[: self._n, 0]

    @property
    def mean_abs(self) -> np.ndarray:
        """Shape (rows, n_params): a view (copy it to keep it)."""
        return self._data[: self._n, 1]

    @property
    def overall(self) -> np.ndarray:
        """The mean over every parameter of each row: (flip rate, mean |delta|), shape (rows, 2)."""
        return self._overall[: self._n]

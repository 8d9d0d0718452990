"""What a run gives back: its per-epoch :class:`History`, its per-epoch :class:`DeltaStats` and its
:class:`TrainResult`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._datasets import Dataset
from ._io import HISTORY_COLUMNS, write_history_csv
from ._trainer import Divergence

__all__ = ["DeltaStats", "History", "TrainResult"]


class History:
    """Per-epoch history of a run: one row per epoch, epoch 0 being the initial weights.

    A read-only mapping of column name to column, like a data frame: ``history["train_loss"]``
    is a column as an array (read-only), ``keys()`` the columns (``epoch, train_loss,
    train_accuracy, test_loss, test_accuracy, lr, momentum``), ``items()`` the pairs, ``dict(history)``
    a dict of arrays; ``len(history)`` is the number of rows (epochs + 1), as with a data frame.
    Test columns are NaN when there is no test split. :attr:`rows` holds every value, one row per
    epoch.
    """

    columns = HISTORY_COLUMNS

    def __init__(self, rows: np.ndarray) -> None:
        rows = np.array(rows, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))
        rows.flags.writeable = False
        self.rows = rows

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in HISTORY_COLUMNS:
            raise KeyError(f"no column {column!r}; columns are {', '.join(HISTORY_COLUMNS)}")
        col = self.rows[:, HISTORY_COLUMNS.index(column)]
        if column == "epoch":
            col = col.astype(np.int64)
            col.flags.writeable = False
        return col

    def __contains__(self, column: object) -> bool:
        return column in HISTORY_COLUMNS

    def __iter__(self) -> Iterator[str]:
        return iter(HISTORY_COLUMNS)

    def keys(self) -> tuple[str, ...]:
        """The column names."""
        return HISTORY_COLUMNS

    def values(self) -> list[np.ndarray]:
        """The columns, in the order of :meth:`keys`."""
        return [self[c] for c in HISTORY_COLUMNS]

    def items(self) -> list[tuple[str, np.ndarray]]:
        """(column name, column) pairs."""
        return [(c, self[c]) for c in HISTORY_COLUMNS]

    def get(self, column: str, default: Any = None) -> Any:
        return self[column] if column in HISTORY_COLUMNS else default

    def __len__(self) -> int:
        return self.rows.shape[0]

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the history as CSV, atomically."""
        write_history_csv(path, self.rows)

    def __repr__(self) -> str:
        if not len(self):
            return "History(empty)"
        last = dict(zip(HISTORY_COLUMNS, self.rows[-1]))
        return (f"History({len(self)} rows, last: epoch {int(last['epoch'])}, "
                f"train_loss {last['train_loss']:.4g}, train_accuracy {last['train_accuracy']:.3f})")


@dataclass(frozen=True, eq=False)
class DeltaStats:
    """Per-epoch statistics of every parameter's delta (the total change applied at a step, as
    ``deltas`` records it and the window's delta traces show it), over the whole run.

    Row ``r`` covers the epochs after the row before, up to ``epoch[r]``: one epoch a row unless
    the run was so long that rows were merged (see ``stride``). Only completed epochs count (one
    cut short by the stop or a divergence has no row, as in the history), so with ``stride`` 1
    row ``r`` is epoch ``r + 1``, and ``history`` row ``r + 1`` is the state at its end.

    Attributes
    ----------
    epoch : ndarray, shape (rows,), int64
        The last epoch (from 1) each row covers.
    flip_rate : ndarray, shape (rows, n_params), float32
        The share of the epoch's steps at which the parameter's delta d_t flipped sign:
        d_t * d_(t-1) < 0, counted across epoch boundaries too. The run's first step has no
        d_(t-1) and a zero delta has no sign: neither counts as a flip (so alternating signs
        give (n - 1) / n in epoch 1, n its updates, and 1 after it).
    mean_abs : ndarray, shape (rows, n_params), float32
        The mean |d_t| over the epoch's steps.
    stride : int
        Epochs a row covers (1, or 2, 4, … after merging; the newest row may cover fewer):
        rows are merged pairwise, means averaged, when the run would keep more than
        ``MAX_DELTA_STATS_BYTES`` of them (``capacity`` rows).

    The parameters are in the flat order of ``Layout.labels()`` (ih_weights, h_biases,
    ho_weights, o_biases).
    """

    epoch: np.ndarray
    flip_rate: np.ndarray
    mean_abs: np.ndarray
    stride: int = 1

    def __len__(self) -> int:
        return self.epoch.shape[0]

    def __repr__(self) -> str:
        if not len(self):
            return "DeltaStats(no epochs)"
        span = f", {self.stride} epochs a row" if self.stride > 1 else ""
        return (f"DeltaStats({len(self)} rows to epoch {int(self.epoch[-1])}{span}, last: flip rate "
                f"{float(self.flip_rate[-1].mean()):.3f}, mean |delta| {float(self.mean_abs[-1].mean()):.3g})")


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The result of :func:`train`.

    Attributes
    ----------
    history : History
        Per-epoch losses and accuracies, from epoch 0 (the initial weights).
    weights : dict of ndarray
        Final ``ih_weights`` (n_inputs, n_hidden), ``h_biases`` (n_hidden,),
        ``ho_weights`` (n_hidden, n_outputs), ``o_biases`` (n_outputs,).
    initial_weights : dict of ndarray
        The weights the run started from, same shapes.
    deltas : dict of ndarray or None
        With ``record_deltas`` (or a ``deltas`` path): ``ih_deltas`` (steps,
        n_inputs, n_hidden), ``h_bias_deltas`` (steps, n_hidden), ``ho_deltas``
        (steps, n_hidden, n_outputs), ``o_bias_deltas`` (steps, n_outputs):
        the total change applied to each parameter at each step.
    delta_stats : DeltaStats or None
        With ``delta_stats=True``: each epoch's sign-flip rate and mean |delta| of every
        parameter, over the whole run (gathered in the kernel; no step need be recorded).
    divergence : Divergence or None
        Where and why the run diverged, if it did.
    steps : int
        Updates applied.
    seconds : float
        Wall time spent training.
    compile_seconds : float
        Time spent compiling the training kernel for this network shape (the first run of a
        shape on a machine) or loading it from numba's cache (a fraction of a second).
    dataset : Dataset
    options : dict
        The options the run used.
    """

    history: History
    weights: dict[str, np.ndarray]
    initial_weights: dict[str, np.ndarray]
    deltas: dict[str, np.ndarray] | None
    delta_stats: DeltaStats | None
    divergence: Divergence | None
    steps: int
    seconds: float
    compile_seconds: float
    dataset: Dataset
    options: dict[str, Any] = field(repr=False)

    @property
    def diverged(self) -> bool:
        """True when the run stopped because it diverged."""
        return self.divergence is not None

    @property
    def updates_per_second(self) -> float:
        """Training speed of the run."""
        return self.steps / self.seconds if self.seconds > 0 else float("inf")

    def __repr__(self) -> str:
        state = str(self.divergence) if self.divergence else "finished"
        return f"TrainResult({self.dataset.name!r}, {self.steps} steps, {state}, {self.history!r})"



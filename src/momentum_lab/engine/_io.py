"""Files the engine reads and writes: weights, deltas and histories.

Every write is atomic (see :mod:`._atomic`).
"""

from __future__ import annotations

import csv
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from ._atomic import Outputs, atomic_write
from ._errors import InputError
from ._network import PARAM_NAMES, Layout

__all__ = ["DELTA_NAMES", "HISTORY_COLUMNS", "load_weights", "save_arrays", "save_deltas", "save_weights",
           "write_history_csv"]

#: The columns of a history row, as written to the history CSV.
HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "momentum")
#: Names of the recorded deltas in a deltas file, parallel to PARAM_NAMES.
DELTA_NAMES = ("ih_deltas", "h_bias_deltas", "ho_deltas", "o_bias_deltas")


def load_weights(path: str | os.PathLike[str], option: str = "--init-weights") -> dict[str, np.ndarray]:
    """Read a ``.npz`` weights file: its arrays by name (keys and shapes are checked by the trainer).

    Raises
    ------
    InputError
        When the file is missing or unreadable, or is not an ``.npz`` archive of
        plain numeric arrays.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{option}: cannot read '{p}': no such file")
    if p.is_dir():
        raise InputError(f"{option}: '{p}' is a folder, not a weights file")
    try:
        loaded = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{option}: '{p}' is not an .npz weights file ({type(exc).__name__})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise InputError(f"{option}: '{p}' is a single .npy array, not an .npz weights file")
    with loaded as archive:
        out = {}
        for name in archive.files:
            try:
                arr = archive[name]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise InputError(f"{option}: '{p}': {name} cannot be read ({type(exc).__name__})") from None
            if not isinstance(arr, np.ndarray):  # a member that is not an .npy array
                raise InputError(f"{option}: '{p}': {name} is not an array")
            if arr.dtype.kind not in "iuf":
                raise InputError(f"{option}: '{p}': {name} holds {arr.dtype} values, not real numbers")
            out[name] = arr.astype(np.float64)
        return out


def _staged(path: str | os.PathLike[str], mode: str, outputs: Outputs | None, option: str | None):
    """A handle to write ``path`` through: staged into ``outputs``, or atomically on its own."""
    return outputs.open(path, option, mode) if outputs is not None else atomic_write(path, mode, option)


def save_arrays(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], outputs: Outputs | None = None,
                option: str | None = None) -> None:
    """Write named arrays as an ``.npz`` file, atomically (or staged into ``outputs``)."""
    with _staged(path, "wb", outputs, option) as fh:
        np.savez(fh, **arrays)


def save_weights(path: str | os.PathLike[str], named: dict[str, np.ndarray], outputs: Outputs | None = None,
                 option: str | None = None) -> None:
    """Write the four named parameters to an ``.npz`` file, atomically (or staged into ``outputs``)."""
    save_arrays(path, {name: named[name] for name in PARAM_NAMES}, outputs, option)


def save_deltas(path: str | os.PathLike[str], layout: Layout, deltas: np.ndarray, outputs: Outputs | None = None,
                option: str | None = None) -> None:
    """Write recorded deltas (shape ``(steps, n_params)``) as four arrays with a leading step axis."""
    views = layout.views(deltas)
    save_arrays(path, {dname: views[pname] for dname, pname in zip(DELTA_NAMES, PARAM_NAMES)}, outputs, option)


def _cell(column: str, value: float) -> str:
    if column == "epoch":
        return str(int(value))
    if math.isnan(value):
        return ""  # e.g. test columns with no test split
    return repr(float(value))


def write_history_csv(path: str | os.PathLike[str], rows: np.ndarray, outputs: Outputs | None = None,
                      option: str | None = None) -> None:
    """Write history rows (columns HISTORY_COLUMNS) as CSV, atomically (or staged into ``outputs``);
    NaN becomes an empty cell."""
    with _staged(path, "w", outputs, option) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        for row in rows:
            writer.writerow([_cell(c, v) for c, v in zip(HISTORY_COLUMNS, row)])

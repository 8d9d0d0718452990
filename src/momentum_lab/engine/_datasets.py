"""The training data: the shipped Iris set, generated 2-D sets, a CSV file or arrays.

Every source ends as a :class:`Dataset`: a stratified, seeded train/test split
with integer class indices and features normalized with statistics of the
training split only.

Class labels are always ordered by their TEXT (Python string order, i.e. by
code point), whatever they look like: labels ``9`` and ``10`` in a CSV file
become the classes ``('10', '9')``. This keeps the class order of a file
independent of guessing whether a column "is" numeric.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._resources import resource_path
from ._errors import InputError
from ._options import check_in_range

__all__ = [
    "DATASET_NAMES",
    "GENERATED",
    "Dataset",
    "load_dataset",
    "make_blobs",
    "make_circles",
    "make_spirals",
    "make_xor",
    "read_csv",
]

GENERATED = ("xor", "circles", "spirals", "blobs")
DATASET_NAMES = ("iris",) + GENERATED

NORMALIZATIONS = ("zscore", "none")

_DEFAULT_SAMPLES = {"xor": 200, "circles": 200, "spirals": 300, "blobs": 200}
_DEFAULT_NOISE = {"xor": 0.15, "circles": 0.08, "spirals": 0.15, "blobs": 0.6}
_MAX_SHOWN = 40  # longest offending value quoted in a message


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set split into normalized training and test parts.

    Attributes
    ----------
    name : str
        ``"iris"``, a generated set's name, the CSV path as given, or ``"arrays"``.
    feature_names : tuple of str
        One name per input column.
    class_names : tuple of str
        ``class_names[i]`` is the name of class ``i``.
    x_train : ndarray, shape (n_train, n_inputs), float64, C-contiguous
        Normalized training inputs, in the source's row order.
    y_train : ndarray, shape (n_train,), int64
        Class indices of the training rows.
    x_test : ndarray, shape (n_test, n_inputs), float64, C-contiguous
        Normalized test inputs, in the source's row order (``n_test`` may be 0).
    y_test : ndarray, shape (n_test,), int64
        Class indices of the test rows.
    mean : ndarray, shape (n_inputs,), float64
        Subtracted from raw inputs (zeros when ``normalize="none"``).
    scale : ndarray, shape (n_inputs,), float64
        Divided into raw inputs after the mean (ones when ``normalize="none"``).
    """

    name: str
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @property
    def n_inputs(self) -> int:
        """Number of input features."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def n_train(self) -> int:
        """Number of training rows."""
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test rows."""
        return int(self.x_test.shape[0])

    def normalize(self, x: Any) -> np.ndarray:
        """Apply this set's normalization, ``(x - mean) / scale``, to raw feature rows.

        Parameters
        ----------
        x : array_like, shape (n, n_inputs) or (n_inputs,)
            Raw (un-normalized) inputs.

        Returns
        -------
        ndarray, same shape as ``x``, float64, C-contiguous

        Raises
        ------
        InputError
            When the rows do not have ``n_inputs`` numbers.
        """
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"normalize: inputs must be numbers ({exc})") from None
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_inputs:
            raise InputError(
                f"normalize: expected rows of {self.n_inputs} numbers, got shape {arr.shape}"
            )
        return np.ascontiguousarray((arr - self.mean) / self.scale)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, {self.n_inputs} inputs, {self.n_classes} classes, "
            f"{self.n_train} train / {self.n_test} test)"
        )


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #


def load_dataset(
    source: str | os.PathLike[str] | tuple[Any, Any],
    *,
    normalize: str = "zscore",
    test_fraction: float = 0.2,
    data_seed: int = 0,
    n_samples: int | None = None,
    noise: float | None = None,
    n_classes: int = 3,
) -> Dataset:
    """Load, split and normalize a data set.

    Parameters
    ----------
    source : str, os.PathLike or tuple (X, y)
        One of :data:`DATASET_NAMES`; otherwise a path to a CSV file (a string
        that is not a known name is a path); or a pair ``(X, y)`` with X of
        shape (n, n_inputs), numeric, and y of shape (n,), int or str labels.
    normalize : {"zscore", "none"}
        ``"zscore"`` uses the mean and standard deviation of the training
        split (a constant column gets scale 1.0).
    test_fraction : float
        In [0, 1): the share of each class held out for testing, rounded (halves up) per
        class, never the whole class.
    data_seed : int
        Seeds the generated sets and the split.
    n_samples, noise, n_classes
        Generated sets only (``n_classes`` for ``"blobs"`` only); the
        defaults depend on the set. Ignored for Iris, CSV files and arrays.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        For a bad option, an unreadable or malformed file, or bad arrays.
    """
    if not isinstance(normalize, str) or normalize not in NORMALIZATIONS:
        raise InputError(f"--normalize: must be 'zscore' or 'none', got {_show(normalize)}")
    test_fraction = check_in_range("test_fraction", test_fraction)
    data_seed = check_in_range("data_seed", data_seed)

    if isinstance(source, tuple):
        name = "arrays"
        x, labels, feature_names = _from_arrays(source)
        # Whole-number labels from arrays keep their numeric order (class 2
        # before class 10); CSV labels are ordered as text, as documented.
        numeric = all(_INTEGER_TEXT.fullmatch(label) for label in labels)
        class_names, y = _classes(labels, key=int if numeric else None)
    elif isinstance(source, str) and source in GENERATED:
        name = source
        rng = np.random.default_rng(data_seed)
        count = _DEFAULT_SAMPLES[source] if n_samples is None else n_samples
        sd = _DEFAULT_NOISE[source] if noise is None else noise
        if source == "blobs":
            x, y = make_blobs(count, sd, rng, n_classes)
        else:
            x, y = _GENERATORS[source](count, sd, rng)
        feature_names = ("x1", "x2")
        class_names = tuple(f"class {k}" for k in range(int(y.max()) + 1))
    elif isinstance(source, (str, os.PathLike)):
        if isinstance(source, str) and source == "iris":
            name, path = "iris", resource_path("datasets", "iris.csv")
        else:
            name, path = os.fspath(source), source
        x, labels, feature_names = read_csv(path)
        class_names, y = _classes(labels)
    else:
        raise InputError(
            "dataset: expected a data set name, a CSV path or an (X, y) pair, "
            f"got {type(source).__name__}"
        )

    train, test = _stratified_split(y, len(class_names), test_fraction, data_seed)
    x_train, x_test = x[train], x[test]
    n_inputs = x.shape[1]
    if normalize == "zscore":
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        # A constant column's std is 0 up to rounding: leave it unscaled.
        scale = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    else:
        mean, scale = np.zeros(n_inputs), np.ones(n_inputs)

    return Dataset(
        name=name,
        feature_names=tuple(feature_names),
        class_names=tuple(class_names),
        x_train=np.ascontiguousarray((x_train - mean) / scale, dtype=np.float64),
        y_train=np.ascontiguousarray(y[train], dtype=np.int64),
        x_test=np.ascontiguousarray((x_test - mean) / scale, dtype=np.float64),
        y_test=np.ascontiguousarray(y[test], dtype=np.int64),
        mean=np.asarray(mean, dtype=np.float64),
        scale=np.asarray(scale, dtype=np.float64),
    )


def _stratified_split(
    y: np.ndarray, n_classes: int, test_fraction: float, data_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Choose test rows per class; return sorted (train, test) row indices, int64."""
    rng = np.random.default_rng([data_seed, 7])
    chosen = []
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(y == c))
        # Halves round up (Python's round() would send 2.5 to 2 but 3.5 to 4).
        n_test = min(math.floor(test_fraction * len(members) + 0.5), len(members) - 1)
        chosen.append(members[: max(n_test, 0)])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(chosen).astype(np.int64)] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _classes(labels: np.ndarray, key=None) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted unique label text, and each row's index into it (shape (n,), int64)."""
    names = tuple(sorted(set(labels.tolist()), key=key))
    index = {name: i for i, name in enumerate(names)}
    return names, np.fromiter((index[s] for s in labels), dtype=np.int64, count=len(labels))


def _from_arrays(pair: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Validate an (X, y) pair; return X float64 (n, d), labels (n,) str, feature names."""
    if len(pair) != 2:
        raise InputError(f"dataset: expected a pair (X, y), got a tuple of {len(pair)} items")
    raw_x, raw_y = np.asarray(pair[0]), np.asarray(pair[1])
    if raw_x.ndim != 2:
        raise InputError(f"dataset: X must be 2-D (rows, features), got shape {raw_x.shape}")
    if raw_x.dtype.kind not in "biufO":
        raise InputError(f"dataset: X must be numeric, got dtype {raw_x.dtype}")
    try:
        x = np.array(raw_x, dtype=np.float64, order="C")
    except (TypeError, ValueError):
        raise InputError("dataset: X must be numeric") from None
    if raw_y.ndim != 1:
        raise InputError(f"dataset: y must be 1-D, got shape {raw_y.shape}")
    if x.shape[0] != raw_y.shape[0]:
        raise InputError(f"dataset: X has {x.shape[0]} rows but y has {raw_y.shape[0]} labels")
    if x.shape[1] < 1:
        raise InputError("dataset: X has no feature columns")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        i, j = (int(v) for v in bad[0])
        raise InputError(f"dataset: X[{i}, {j}] = {x[i, j]} is not a finite number")
    labels = np.empty(len(raw_y), dtype=object)
    for i, value in enumerate(raw_y.tolist()):
        labels[i] = _label_text(value, i)
    _check_rows_and_classes(labels, "dataset")
    return x, labels, tuple(f"x{j + 1}" for j in range(x.shape[1]))


def _label_text(value: Any, i: int) -> str:
    """The text of one array label (an int, a whole float or a string)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        raise InputError(f"dataset: y[{i}] = {value} is not a class label (use ints or strings)")
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InputError(f"dataset: y[{i}] is an empty label")
        return text
    raise InputError(
        f"dataset: y[{i}] is a {type(value).__name__}, not a class label (use ints or strings)"
    )


def _check_rows_and_classes(labels: np.ndarray, where: str) -> None:
    """Refuse fewer than 2 rows or a single class; ``where`` prefixes the message."""
    if len(labels) == 0:
        raise InputError(f"{where}: no data rows; at least 2 are needed")
    if len(labels) < 2:
        raise InputError(f"{where}: only 1 data row; at least 2 are needed")
    first = labels[0]
    if all(label == first for label in labels):
        raise InputError(
            f"{where}: only one class ('{_short(first)}'); at least two are needed"
        )


# --------------------------------------------------------------------------- #
# CSV
# --------------------------------------------------------------------------- #


def read_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read a labelled CSV file: a header row, numeric features, the class label last.

    The file is UTF-8 (a BOM is allowed), comma-separated; blank lines are
    skipped. Every column but the last must hold finite numbers; the last
    holds class labels (text or integers, kept as text). Empty header names
    become ``x1``, ``x2``, ... by column number; duplicates are kept.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    x : ndarray, shape (n, d), float64
        The feature values.
    labels : ndarray, shape (n,), object (str)
        The class label of each row, stripped of surrounding spaces.
    feature_names : tuple of str, length d

    Raises
    ------
    InputError
        One line naming the file (and line, column and value where they
        apply): missing, a folder, unreadable, empty, binary or not UTF-8,
        fewer than 2 columns, a ragged row, a bad or empty cell, fewer than
        2 data rows, or only one class.
    """
    shown = os.fspath(path)
    text = _read_text(path, shown)

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    rows_x: list[list[float]] = []
    labels: list[str] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            line = reader.line_num
            if header is None:
                header, header_line = [cell.strip() for cell in row], line
                if len(header) < 2:
                    raise InputError(
                        f"{shown}, line {line}: only 1 column; need at least one feature "
                        "column and the class label as the last column"
                    )
                if not header[-1]:
                    raise InputError(
                        f"{shown}, line {line}: the last column has no name; it must hold the "
                        "class label (does every line end with a comma?)"
                    )
                if all(_is_number(name) for name in header[:-1]):
                    raise InputError(
                        f"{shown}, line {line}: the first line looks like data, not a header "
                        f"(its columns are numbers: {_short(','.join(row))}); add a header line"
                    )
                header = [name or f"x{j + 1}" for j, name in enumerate(header[:-1])] + [header[-1]]
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{shown}, line {line}: {len(row)} fields, the header has {len(header)}"
                )
            rows_x.append([_number(row[j], shown, line, j, header[j]) for j in range(len(row) - 1)])
            label = row[-1].strip()
            if not label:
                raise InputError(
                    f"{shown}, line {line}, column {len(row)} ({_short(header[-1])}): "
                    "empty class label"
                )
            labels.append(label)
    except csv.Error as exc:
        raise InputError(f"{shown}, line {reader.line_num}: {exc}") from None

    if header is None:
        raise InputError(f"'{shown}' is empty")
    if not rows_x:
        raise InputError(f"'{shown}' has a header (line {header_line}) but no data rows")
    label_array = np.array(labels, dtype=object)
    _check_rows_and_classes(label_array, shown)
    x = np.array(rows_x, dtype=np.float64)
    return x, label_array, tuple(header[:-1])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_text(path: str | os.PathLike[str], shown: str) -> str:
    """The decoded text of the file at ``path``, or an InputError naming it."""
    if not shown.strip():
        raise InputError("--dataset: empty path")
    target = Path(path)
    if target.is_dir():
        raise InputError(f"cannot read '{shown}': it is a folder, not a file")
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        hint = ""
        if not any(sep in shown for sep in ("/", "\\", ".")):
            hint = f" (known data sets: {', '.join(DATASET_NAMES)})"
        raise InputError(f"cannot read '{shown}': no such file{hint}") from None
    except PermissionError:
        raise InputError(f"cannot read '{shown}': permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read '{shown}': {exc.strerror or exc}") from None

    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"'{shown}' is not a text CSV file (binary data at byte offset {nul})")
    skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skip
        raise InputError(
            f"'{shown}' is not UTF-8 text (byte 0x{data[offset]:02X} at byte offset {offset}); "
            "save it as UTF-8"
        ) from None


def _number(cell: str, shown: str, line: int, j: int, column: str) -> float:
    """Parse one feature cell (column index ``j``, 0-based) as a finite float."""
    text = cell.strip()
    where = f"{shown}, line {line}, column {j + 1} ({_short(column)})"
    if not text:
        raise InputError(f"{where}: empty cell, expected a number")
    try:
        # float() also takes "1_000"; a CSV number does not.
        if "_" in text:
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: '{_short(text)}' is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: '{_short(text)}' is not a finite number")
    return value


def _short(value: object) -> str:
    """``value`` as text, cut to about 40 characters with an ellipsis."""
    text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _show(value: object) -> str:
    """A value for a message: quoted if text, shortened either way."""
    if isinstance(value, str):
        return f"'{_short(value)}'"
    return _short(value if isinstance(value, numbers.Number) else repr(value))


# --------------------------------------------------------------------------- #
# Generated sets
# --------------------------------------------------------------------------- #


def _class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    """Balanced class sizes summing to ``n_samples``, shape (n_classes,)."""
    sizes = np.full(n_classes, n_samples // n_classes, dtype=np.int64)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _shuffled(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows in a random order, so that no class comes first in the file order."""
    order = rng.permutation(len(y))
    return np.ascontiguousarray(x[order], dtype=np.float64), y[order].astype(np.int64)


def make_xor(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at (+-1, +-1); class 0 where the signs agree, else class 1.

    Parameters
    ----------
    n_samples : int
        From 4 to 1,000,000 (``RANGES['samples']``); spread evenly over the four clusters.
    noise : float
        Standard deviation of each cluster, >= 0.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (n_samples, 2), float64
    y : ndarray, shape (n_samples,), int64, values in {0, 1}
    """
    n_samples = check_in_range("samples", n_samples)
    noise = check_in_range("noise", noise)
    cluster = np.repeat(np.arange(4), _class_sizes(n_samples, 4))
    sx = np.where(cluster % 2 == 0, 1.0, -1.0)
    sy = np.where(cluster < 2, 1.0, -1.0)
    centers = np.column_stack([sx, sy])
    x = centers + rng.normal(0.0, noise, size=(n_samples, 2))
    y = (sx * sy < 0).astype(np.int64)
    return _shuffled(x, y, rng)


def make_circles(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric rings: class 0 at radius 1, class 1 at radius 0.5.

    Parameters
    ----------
    n_samples : int
        From 4 to 1,000,000; half on each ring.
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate, >= 0.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (n_samples, 2), float64
    y : ndarray, shape (n_samples,), int64, values in {0, 1}
    """
    n_samples = check_in_range("samples", n_samples)
    noise = check_in_range("noise", noise)
    y = np.repeat(np.arange(2), _class_sizes(n_samples, 2))
    radius = np.where(y == 0, 1.0, 0.5)
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n_samples)
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    x += rng.normal(0.0, noise, size=(n_samples, 2))
    return _shuffled(x, y, rng)


def make_spirals(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms of 1.5 turns each, out to radius 2.

    The arms are half a turn apart, so neighbouring arms are 2/3 apart
    radially; the default noise (0.15) blurs but does not merge them.

    Parameters
    ----------
    n_samples : int
        From 4 to 1,000,000; half on each arm.
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate, >= 0.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (n_samples, 2), float64
    y : ndarray, shape (n_samples,), int64, values in {0, 1}
    """
    n_samples = check_in_range("samples", n_samples)
    noise = check_in_range("noise", noise)
    y = np.repeat(np.arange(2), _class_sizes(n_samples, 2))
    # sqrt spreads points evenly along the arm instead of crowding the centre.
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n_samples))
    angle = 3.0 * np.pi * t + np.pi * y
    radius = 2.0 * t
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    x += rng.normal(0.0, noise, size=(n_samples, 2))
    return _shuffled(x, y, rng)


def make_blobs(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` Gaussian clusters with centres evenly spaced on a circle.

    Neighbouring centres are 3 apart whatever the number of classes.

    Parameters
    ----------
    n_samples : int
        At least ``2 * n_classes``; spread evenly over the classes.
    noise : float
        Standard deviation of each cluster, >= 0.
    rng : numpy.random.Generator
    n_classes : int
        From 2 to 10.

    Returns
    -------
    x : ndarray, shape (n_samples, 2), float64
    y : ndarray, shape (n_samples,), int64, values in 0 .. n_classes - 1
    """
    n_classes = check_in_range("classes", n_classes)
    n_samples = check_in_range("samples", n_samples)
    if n_samples < 2 * n_classes:
        raise InputError(
            f"--samples: {n_classes} blobs need at least {2 * n_classes} samples, got {n_samples}"
        )
    noise = check_in_range("noise", noise)
    y = np.repeat(np.arange(n_classes), _class_sizes(n_samples, n_classes))
    ring = 1.5 / np.sin(np.pi / n_classes)  # chord between neighbours = 3
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes
    centers = ring * np.column_stack([np.cos(angle), np.sin(angle)])
    x = centers[y] + rng.normal(0.0, noise, size=(n_samples, 2))
    return _shuffled(x, y, rng)


_GENERATORS = {"xor": make_xor, "circles": make_circles, "spirals": make_spirals}

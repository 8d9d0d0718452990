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

import codecs
import csv
import io
import math
import numbers
import os
import re
import threading
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from .._resources import resource_path
from ._errors import InputError, LoadCancelled
from ._files import SIZE_CAPS, open_input, size_text
from ._options import check_in_range

__all__ = [
    "DATASET_NAMES",
    "GENERATED",
    "SHIPPED",
    "Dataset",
    "load_dataset",
    "make_blobs",
    "make_circles",
    "make_spirals",
    "make_xor",
    "read_csv",
]

GENERATED = ("xor", "circles", "spirals", "blobs")
#: The shipped data files, by name (resources/datasets/; its README says where each came from):
#: Iris, and the article program's own 120/30 split of it.
SHIPPED = {"iris": "iris.csv", "iris-article-train": "iris-article-train.csv",
           "iris-article-test": "iris-article-test.csv"}
DATASET_NAMES = tuple(SHIPPED) + GENERATED

NORMALIZATIONS = ("zscore", "none")

_DEFAULT_SAMPLES = {"xor": 200, "circles": 200, "spirals": 300, "blobs": 200}
_DEFAULT_NOISE = {"xor": 0.15, "circles": 0.08, "spirals": 0.15, "blobs": 0.6}
_MAX_SHOWN = 40  # longest offending value quoted in a message
#: A data set with more classes than this is refused (one output unit each).
MAX_CLASSES = 100
#: A CSV file with more feature columns than this is refused (one input unit each; 1.4 million
#: columns took 2.1 GB to read).
MAX_FEATURES = 10_000


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
    samples: int | None = None,
    noise: float | None = None,
    classes: int = 3,
    test_data: str | os.PathLike[str] | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
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
    samples, noise, classes
        Generated sets only (``classes`` for ``"blobs"`` only); the
        defaults depend on the set. Ignored for Iris, CSV files and arrays.
    test_data : str or os.PathLike, optional
        A test file (a CSV path or a shipped set's name) instead of a held-out split: the
        whole ``source`` (a file or a shipped set) is then the training set and
        ``test_fraction`` is not used. Its header must be the training file's (the same
        columns, named alike) and each of its labels one of the training file's classes (it
        need not hold all of them; one row is enough); it is normalized with the training
        set's statistics.
    cancel, progress
        CSV files (and Iris) only, passed to :func:`read_csv`: a ``threading.Event`` that
        stops the read with ``LoadCancelled`` once set, and a callable
        ``progress(bytes_read, total_bytes)`` called after every chunk read.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        For a bad option, an unreadable or malformed file, or bad arrays (feature values
        must be finite and at most :data:`MAX_MAGNITUDE`, 1e100, in magnitude, whatever
        ``normalize`` is).
    LoadCancelled
        When ``cancel`` was set during the read of a file.
    """
    if not isinstance(normalize, str) or normalize not in NORMALIZATIONS:
        raise InputError(f"normalize=: must be 'zscore' or 'none', got {_show(normalize)}")
    test_fraction = check_in_range("test_fraction", test_fraction)
    data_seed = check_in_range("data_seed", data_seed)

    if not (test_data is None or isinstance(test_data, (str, os.PathLike))):
        raise InputError(f"test_data=: expected a CSV path or a shipped set's name, got {type(test_data).__name__}")
    if isinstance(test_data, str) and test_data in GENERATED:  # (it is not a file: "no such file" said that)
        raise InputError(f"test_data=: '{test_data}' is a generated set, not a file; a test file is a CSV path or a "
                         f"shipped set ({', '.join(SHIPPED)})")
    if test_data is not None and (isinstance(source, tuple) or source in GENERATED):
        what = "arrays" if isinstance(source, tuple) else f"the generated set '{source}'"
        raise InputError(f"test_data=: goes with a data set read from a file (a CSV path or a shipped set), "
                         f"not {what}")
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
        count = _DEFAULT_SAMPLES[source] if samples is None else samples
        sd = _DEFAULT_NOISE[source] if noise is None else noise
        if source == "blobs":
            x, y = make_blobs(count, sd, rng, classes)
        else:
            x, y = _GENERATORS[source](count, sd, rng)
        feature_names = ("x1", "x2")
        class_names = tuple(f"class {k}" for k in range(int(y.max()) + 1))
    elif isinstance(source, (str, os.PathLike)):
        name, path = _file_of(source)
        x, codes, first_seen, header = _read_csv(path, cancel, progress)
        feature_names = header[:-1]
        # Classes in text order (see the module docstring); codes were in order of appearance.
        class_names = tuple(sorted(first_seen))
        rank = {label: i for i, label in enumerate(class_names)}
        y = np.array([rank[label] for label in first_seen], dtype=np.int64)[codes]
        del codes
        if test_data is not None:
            x, y, n_test_file = _with_test_file(x, y, test_data, (name, header, class_names), cancel, progress)
    else:
        raise InputError(
            "dataset: expected a data set name, a CSV path or an (X, y) pair, "
            f"got {type(source).__name__}"
        )

    if len(class_names) > MAX_CLASSES:
        hint = "" if isinstance(source, tuple) else _numeric_label_hint(x, class_names, feature_names)
        raise InputError(f"{name}: {len(class_names):,} classes (distinct labels in the last column, e.g. "
                         f"'{_short(class_names[0])}'); at most {MAX_CLASSES} are trained"
                         + (f"; {hint}" if hint else ": is the class label the last column?"))
    if test_data is not None:  # the rows of the test file are the last ones
        is_test = np.arange(len(y)) >= len(y) - n_test_file
    else:
        is_test = _stratified_split(y, len(class_names), test_fraction, data_seed)
    # x and y are this call's own arrays: their rows are reordered in place (train rows, then
    # test rows, each in source order) and normalized in place, so that no copy of the data
    # is made (a large CSV file's data set needs its arrays' size, not two or three times it).
    x_train, x_test = _split_in_place(x, is_test)
    y = np.ascontiguousarray(y, dtype=np.int64)
    y_train, y_test = _split_in_place(y, is_test)
    del is_test
    n_inputs = x.shape[1]
    if normalize == "zscore":
        mean, scale = _zscore_statistics(x_train, name, feature_names)
        x -= mean
        x /= scale
    else:
        mean, scale = np.zeros(n_inputs), np.ones(n_inputs)

    return Dataset(
        name=name,
        feature_names=tuple(feature_names),
        class_names=tuple(class_names),
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        mean=np.asarray(mean, dtype=np.float64),
        scale=np.asarray(scale, dtype=np.float64),
    )


def _file_of(source: str | os.PathLike[str]) -> tuple[str, str | os.PathLike[str]]:
    """The name and path of a data file: a shipped set's by its name, otherwise the path itself."""
    if isinstance(source, str) and source in SHIPPED:
        return source, resource_path("datasets", SHIPPED[source])
    return os.fspath(source), source


def _with_test_file(x: np.ndarray, y: np.ndarray, test_data: str | os.PathLike[str],
                    training: tuple[str, list[str], tuple[str, ...]], cancel: threading.Event | None,
                    progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, np.ndarray, int]:
    """The training rows ``x``, ``y`` with the rows of the test file after them, and how many
    those are (its header and classes checked against ``training``: the training file's name,
    header and classes)."""
    if not os.fspath(test_data).strip():
        raise InputError("test_data=: empty path")
    _, path = _file_of(test_data)
    x_test, codes, _, _ = _read_csv(path, cancel, progress, like=training)
    return np.concatenate([x, x_test]), np.concatenate([y, codes.astype(np.int64)]), len(codes)


def _split_in_place(a: np.ndarray, is_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the rows of the C-contiguous array ``a`` in place: the rows where ``is_test``
    is false, then those where it is true, each in their order; return the two parts (views).

    Only the test rows are copied aside; train rows move towards the front a block at a time
    (the rows written are never beyond the block read, so nothing is overwritten unread).
    """
    test = np.flatnonzero(is_test)
    n_train = len(a) - len(test)
    if len(test) and test[0] < n_train:  # otherwise the test rows are already the last ones
        aside = a[test]
        del test
        step = max(1, _MOVE_BYTES // max(1, a[:1].nbytes))
        start = write = int(np.argmax(is_test))
        for k in range(start, len(a), step):
            keep = a[k : k + step][~is_test[k : k + step]]
            a[write : write + len(keep)] = keep
            write += len(keep)
        a[n_train:] = aside
    return a[:n_train], a[n_train:]


def _column_std(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``x.std(axis=0)`` (``mean`` is ``x.mean(axis=0)``) without a temporary copy of ``x``:
    exactly numpy's for up to 16 MiB of rows, beyond that summed over blocks of that size."""
    rows = max(1, _STD_BYTES // max(1, x[:1].nbytes))
    if len(x) <= rows:
        return x.std(axis=0)
    squares = np.zeros(x.shape[1])
    for k in range(0, len(x), rows):
        deviation = x[k : k + rows] - mean
        deviation *= deviation
        squares += deviation.sum(axis=0)
    return np.sqrt(squares / len(x))


def _zscore_statistics(
    x_train: np.ndarray, name: str, feature_names: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale per column of the training rows (a constant column gets scale 1.0).

    Values are at most MAX_MAGNITUDE in magnitude, which keeps every sum and square finite;
    this is checked all the same, and a column whose statistics are not finite is refused.
    """
    with np.errstate(all="ignore"):
        mean = x_train.mean(axis=0)
        std = _column_std(x_train, mean)
    bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std)))
    if len(bad):  # not below MAX_MAGNITUDE: checked all the same
        j = int(bad[0])
        column = x_train[:, j]
        value = column[int(np.argmax(np.abs(column)))]
        raise InputError(
            f"{name}: column {j + 1} ({_short(feature_names[j])}) cannot be standardised: "
            f"its values (such as {float(value)!r}) are too large"
        )
    # A constant column's std is 0 up to rounding: leave it unscaled.
    scale = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    return mean, scale


def _stratified_split(
    y: np.ndarray, n_classes: int, test_fraction: float, data_seed: int
) -> np.ndarray:
    """Choose test rows per class; return the test rows as a mask, shape (n,), bool."""
    rng = np.random.default_rng([data_seed, 7])
    is_test = np.zeros(len(y), dtype=bool)
    for c in range(n_classes):
        members = rng.permutation(np.flatnonzero(y == c))
        # Halves round up (Python's round() would send 2.5 to 2 but 3.5 to 4).
        n_test = min(math.floor(test_fraction * len(members) + 0.5), len(members) - 1)
        is_test[members[: max(n_test, 0)]] = True
    return is_test


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
    big = np.argwhere(np.abs(x) > MAX_MAGNITUDE)
    if len(big):
        i, j = (int(v) for v in big[0])
        raise InputError(
            f"dataset: X[{i}, {j}] = {x[i, j]} is out of range (numbers may be at most "
            f"{_MAX_MAGNITUDE_TEXT} in magnitude)"
        )
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

#: The largest magnitude of a feature value that is read (from a file or from arrays). The
#: network's forward pass overflows on inputs beyond about 1e150; below this limit z-scoring
#: cannot overflow either (squares stay below 1e201).
MAX_MAGNITUDE = 1e100
_MAX_MAGNITUDE_TEXT = "1e100"

_CHUNK = 256 << 10  # bytes read at a time; progress and cancel are looked at after each
_MAX_LINE = 4 << 20  # characters in one line of a CSV file
_BLOCK_CELLS = 1 << 16  # cells parsed into numbers at a time
_MOVE_BYTES = 8 << 20  # rows moved at a time by the in-place split
_STD_BYTES = 16 << 20  # rows at a time in the standard deviation of a large set

# An ASCII number, as in the docstring of read_csv; spaces and tabs around it are allowed.
_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")
# Every character a number cell may hold, with "\n" (which joins a block's cells): a block of
# cells made only of these, each of which float() takes, is a block of _NUMBER cells.
_NUMBER_CHARS = b"0123456789+-.eE \t\n"
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


def read_csv(
    path: str | os.PathLike[str],
    *,
    cancel: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read a labelled CSV file: a header row, numeric features, the class label last.

    The file is UTF-8 (a BOM is allowed), comma-separated; blank lines are
    skipped. Every column but the last holds numbers; the last holds class
    labels (text or integers, kept as text). Empty header names become
    ``x1``, ``x2``, ... by column number; duplicates are kept.

    A number is written in ASCII: an optional sign, digits 0-9 with an optional
    decimal point, an optional exponent (``e`` or ``E``, optional sign,
    digits), with optional spaces or tabs around it; its magnitude may be at
    most :data:`MAX_MAGNITUDE` (1e100). Anything else is refused, among it
    other Unicode digits (``٣``, ``３``), ``nan``, ``inf``, ``1_000`` and
    ``1e400``. A cell (a label too) may not hold a line break, so a quote
    left open is reported at the line where it opened.

    The file is read in chunks of 256 KiB through
    :func:`momentum_lab.engine._files.open_input` (regular files of at most
    1 GiB), so memory stays near the size of the arrays built.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    cancel : threading.Event, optional
        Looked at after every chunk read: once set, the read stops with
        :class:`~momentum_lab.engine._errors.LoadCancelled`.
    progress : callable (bytes_read, total_bytes), optional
        Called after every chunk read (from the calling thread), the last
        time with ``bytes_read == total_bytes``.

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
        apply): missing, not a regular file, larger than 1 GiB, unreadable,
        empty, binary or not UTF-8, fewer than 2 columns, a ragged row, a bad,
        empty or out-of-range cell, a line break in a cell (an unclosed quote),
        a line longer than 4 Mi characters, fewer than 2 data rows, or only
        one class. A header separated by ';' or tabs is refused as such; when
        the last column cannot be the class label but another column looks like
        one, the message says so.
    LoadCancelled
        When ``cancel`` was set.
    """
    x, codes, names, header = _read_csv(path, cancel, progress)
    labels = np.empty(len(names), dtype=object)
    labels[:] = names
    return x, labels[codes], header[:-1]


class _SourceProblem(Exception):
    """Raised by :class:`_Lines` for bad bytes; ``read_csv`` turns it into an InputError."""


class _Lines:
    """The lines of a UTF-8 file read in chunks, each with its line break (as ``newline=""``).

    ``done`` turns true once the last line was asked for and none was left: a CSV record
    returned then ended at the end of the file, not at a line break.
    """

    def __init__(self, handle: BinaryIO, size: int, shown: str,
                 cancel: threading.Event | None, progress: Callable[[int, int], None] | None):
        self.handle, self.size, self.shown = handle, size, shown
        self.cancel, self.progress = cancel, progress
        self.done = False

    def __iter__(self) -> Iterator[str]:
        shown, cap = self.shown, SIZE_CAPS["data"]
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, tail, at_start = 0, "", True
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise LoadCancelled(f"reading '{shown}' was cancelled")
            try:
                chunk = self.handle.read(_CHUNK)
            except OSError as exc:
                raise _SourceProblem(f"cannot read '{shown}': {exc.strerror or exc}") from None
            start, offset = offset, offset + len(chunk)
            if offset > cap:
                raise _SourceProblem(f"'{shown}': the file grew past the {size_text(cap)} a data "
                                     "file may have while it was read")
            if self.progress is not None and chunk:
                self.progress(offset, max(self.size, offset))
            if self.cancel is not None and self.cancel.is_set():
                raise LoadCancelled(f"reading '{shown}' was cancelled")
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise _SourceProblem(
                    f"'{shown}' is not a text CSV file (binary data at byte offset {start + nul})"
                )
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                raise _SourceProblem(
                    f"'{shown}' is not UTF-8 text (byte 0x{data[exc.start]:02X} at byte offset "
                    f"{start - len(pending) + exc.start}); save it as UTF-8"
                ) from None
            if at_start and text:
                # A byte order mark opens the file (decoded from however many chunks).
                at_start = False
                if text[0] == "\ufeff":
                    text = text[1:]
            if tail:
                text = tail + text
            if not chunk:
                if text:
                    # A last line without a line break gets one, so that a quote left open on
                    # it leaves a line break in its cell, as on any other line.
                    if not text.endswith(("\n", "\r")):
                        text += "\n"
                    yield from io.StringIO(text, newline="")
                self.done = True
                return
            # Hand on every complete line; a "\r" at the very end may be half of a "\r\n".
            end = len(text) - (1 if text.endswith("\r") else 0)
            cut = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
            if cut:
                yield from io.StringIO(text[:cut], newline="")
                tail = text[cut:]
            else:
                tail = text
            if len(tail) > _MAX_LINE:
                raise _LongLine(tail)


class _LongLine(Exception):
    """A line longer than ``_MAX_LINE`` characters; its text is the argument."""


class _Classes(dict):
    """Class label -> index, numbered in order of first appearance."""

    def __missing__(self, key: str) -> int:
        code = self[key] = len(self)
        return code


def _read_csv(
    path: str | os.PathLike[str],
    cancel: threading.Event | None,
    progress: Callable[[int, int], None] | None,
    like: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Read a CSV data set: ``(x (n, d) float64, codes (n,) int32, class names in order of
    first appearance, the header)``; ``names[codes[i]]`` is row i's label.

    ``like``: a test file of the training file ``(name, header, classes)``: its header must be
    that header, and each label one of those classes (``codes`` index ``classes``); one row
    and one class are enough."""
    shown = os.fspath(path)
    if not shown.strip():
        raise InputError("dataset=: empty path")
    handle, size = _open(path, shown)
    with handle:
        lines = _Lines(handle, size, shown, cancel, progress)
        reader = csv.reader(lines)
        header: list[str] | None = None
        header_line = 0
        rows = _Rows(shown)
        previous = 0  # the last line of the previous record
        try:
            for row in reader:
                line = reader.line_num
                if line != previous + 1 or lines.done:
                    _check_line_breaks(row, previous + 1, line, lines.done, header, rows)
                previous = line
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                header, header_line = _header(row, shown, line), line
                if like is not None:
                    _check_like_header(header, like, shown, line)
                rows.start(header, None if like is None else like[2])
                break
            # The data rows: the loop every row of a large file goes through, kept lean.
            width = len(header) if header is not None else 0
            cells, row_lines, block = rows.cells, rows.lines, rows.block_rows
            add_cells, add_line, flush = cells.extend, row_lines.append, rows.flush
            for row in reader:
                line = reader.line_num
                if line != previous + 1 or lines.done:
                    _check_line_breaks(row, previous + 1, line, lines.done, header, rows)
                previous = line
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    flush()
                    separator = _other_separator(row[0]) if len(row) == 1 else ""
                    raise InputError(
                        f"{shown}, line {line}: {len(row)} fields, the header has {width}"
                        + (f" (this line's columns are separated by {separator}; Momentum Lab "
                           "reads comma-separated files)" if separator else "")
                    )
                add_cells(row)
                add_line(line)
                if len(row_lines) >= block:
                    flush()
        except csv.Error as exc:
            rows.flush()
            start = previous + 1
            limit = csv.field_size_limit()
            if "field limit" in str(exc) and reader.line_num > start:
                raise InputError(
                    f"{shown}, line {start}: a cell opened by a quote runs past line "
                    f"{reader.line_num} and over {limit:,} characters; is a closing quote missing?"
                ) from None
            if "field limit" in str(exc):
                raise InputError(
                    f"{shown}, line {start}: a cell longer than {limit:,} characters"
                ) from None
            raise InputError(f"{shown}, line {start}: {exc}") from None
        except _SourceProblem as exc:
            rows.flush()
            raise InputError(str(exc)) from None
        except _LongLine as exc:
            rows.flush()
            raise InputError(
                f"{shown}, line {reader.line_num + 1}: longer than {_MAX_LINE:,} characters "
                f"(it starts '{_short(exc.args[0])}')"
            ) from None
        rows.flush()

    if header is None:
        raise InputError(f"'{shown}' is empty")
    if rows.n == 0:
        raise InputError(f"'{shown}' has a header (line {header_line}) but no data rows")
    if rows.n < 2 and like is None:
        raise InputError(f"{shown}: only 1 data row; at least 2 are needed")
    names = tuple(rows.classes)
    if len(names) < 2 and like is None:
        raise InputError(f"{shown}: only one class ('{_short(names[0])}'); at least two are needed")
    x = np.frombuffer(rows.values, dtype=np.float64).reshape(rows.n, len(header) - 1)
    codes = np.frombuffer(rows.codes, dtype=np.int32)
    return x, codes, names, tuple(header)


def _check_like_header(header: list[str], like: tuple[str, tuple[str, ...], tuple[str, ...]], shown: str,
                       line: int) -> None:
    """A test file's header against the training file's: the same columns, named alike."""
    training, expected, _ = like
    if len(header) != len(expected):
        raise InputError(f"{shown}, line {line}: {len(header)} columns, the training file '{training}' has "
                         f"{len(expected)} ({', '.join(_short(name) for name in expected)})")
    for j, (name, wanted) in enumerate(zip(header, expected)):
        if name != wanted:
            raise InputError(f"{shown}, line {line}, column {j + 1}: '{_short(name)}' where the training file "
                             f"'{training}' has '{_short(wanted)}'")


def _open(path: str | os.PathLike[str], shown: str) -> tuple[BinaryIO, int]:
    """``open_input(path, "data")``, with the messages of a data set for a missing file (and
    the known data set names when the path looks like a misspelt one) or permission denied."""
    try:
        return open_input(path, "data", f"'{shown}'")
    except InputError:
        if not os.path.exists(path):
            hint = ""
            if not any(sep in shown for sep in ("/", "\\", ".")):
                hint = f" (known data sets: {', '.join(DATASET_NAMES)})"
            raise InputError(f"cannot read '{shown}': no such file{hint}") from None
        if os.path.isfile(path) and not os.access(path, os.R_OK):
            raise InputError(f"cannot read '{shown}': permission denied") from None
        raise


def _header(row: list[str], shown: str, line: int) -> list[str]:
    """The column names of a header row (checked), empty feature names filled in."""
    header = [cell.strip() for cell in row]
    if len(header) - 1 > MAX_FEATURES:
        raise InputError(
            f"{shown}, line {line}: {len(header) - 1:,} feature columns; at most {MAX_FEATURES:,} are "
            "trained (one input unit each)"
        )
    if len(header) < 2:
        separator = _other_separator(row[0])
        if separator:
            raise InputError(
                f"{shown}, line {line}: the columns are separated by {separator}; Momentum Lab "
                "reads comma-separated files (save it as CSV with commas)"
            )
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
    return [name or f"x{j + 1}" for j, name in enumerate(header[:-1])] + [header[-1]]


def _other_separator(cell: str) -> str:
    """How to name the separator of a line that the comma reader saw as the one ``cell``: "';'"
    or "tabs" when the line holds them (the more frequent of the two), else ""."""
    semicolons, tabs = cell.count(";"), cell.strip().count("\t")
    if not semicolons and not tabs:
        return ""
    return "';'" if semicolons >= tabs else "tabs"


def _check_line_breaks(row: list[str], start: int, end: int, at_eof: bool,
                       header: list[str] | None, rows: _Rows) -> None:
    """Refuse a record whose cell holds a line break: a quote that opened on line ``start``
    and closed on line ``end``, or never (``at_eof``)."""
    for j, cell in enumerate(row):
        if "\n" not in cell and "\r" not in cell:
            continue
        rows.flush()
        name = f" ({_short(header[j])})" if header is not None and j < len(header) else ""
        where = f"{rows.shown}, line {start}, column {j + 1}{name}"
        opened = _short('"' + cell.splitlines()[0] if cell.strip("\r\n") else '"')
        if at_eof:
            raise InputError(
                f"{where}: the quote that opens the cell '{opened}' is never closed (the cell "
                "runs to the end of the file); add the closing quote"
            )
        raise InputError(
            f"{where}: the cell '{opened}' holds a line break (its quote closes on line {end}); "
            "a cell may not span lines: is a closing quote missing?"
        )


class _Rows:
    """The data rows read so far: numbers in one growing float64 array, labels as class codes.

    The reader appends each row's cells to ``cells`` and its line to ``lines``, and calls
    ``flush`` every ``block_rows`` rows (and before it raises), which checks and converts them:
    at a time, about ``_BLOCK_CELLS`` cells at most are held as text.
    """

    def __init__(self, shown: str):
        self.shown = shown
        self.values = array("d")
        self.codes = array("i")
        self.classes = _Classes()
        self.n = 0
        #: The pending rows: all their cells (labels too) and the line of each.
        self.cells: list[str] = []
        self.lines: list[int] = []
        self.block_rows = 1
        self._header: list[str] = []
        self._known: tuple[str, ...] | None = None

    def start(self, header: list[str], known: tuple[str, ...] | None = None) -> None:
        """Rows of ``header``'s columns follow; ``known``: the only labels allowed (a test file's,
        the training file's classes), numbered in that order."""
        self._header = header
        self.block_rows = max(1, _BLOCK_CELLS // len(header))
        self._known = known
        if known is not None:
            self.classes.update((name, i) for i, name in enumerate(known))

    def flush(self) -> None:
        """Convert the pending rows, or raise the InputError of the first bad cell among them."""
        if not self.lines:
            return
        width = len(self._header)
        labels = [label.strip() for label in self.cells[width - 1 :: width]]
        del self.cells[width - 1 :: width]
        cells = self.cells
        values = None
        joined = "\n".join(cells)
        if joined.isascii() and not joined.encode("ascii").translate(None, _NUMBER_CHARS):
            try:
                values = array("d", map(float, cells))
            except ValueError:
                values = None
        if (values is None or "" in labels
                or not (np.abs(np.frombuffer(values, dtype=np.float64)) <= MAX_MAGNITUDE).all()):
            self._first_problem(cells, labels)
            raise AssertionError("a bad cell that _first_problem does not name")  # pragma: no cover
        if self._known is not None:
            self._check_known(labels)
        self.values.extend(values)
        self.codes.extend(map(self.classes.__getitem__, labels))
        self.n += len(self.lines)
        cells.clear()
        self.lines.clear()

    def _check_known(self, labels: list[str]) -> None:
        """Refuse the first label that is not one of the known classes (a test file's)."""
        known = self.classes
        for r, label in enumerate(labels):
            if label not in known:
                header = self._header
                raise InputError(
                    f"{self.shown}, line {self.lines[r]}, column {len(header)} ({_short(header[-1])}): class "
                    f"'{_short(label)}' is not one of the training file's ({', '.join(map(_short, self._known))})")

    def _first_problem(self, cells: list[str], labels: list[str]) -> None:
        """Raise the InputError of the first bad cell of the pending rows, in file order."""
        header, d = self._header, len(self._header) - 1
        for r, line in enumerate(self.lines):
            for j in range(d):
                try:
                    _number(cells[r * d + j], self.shown, line, j, header[j])
                except InputError as exc:
                    hint = _text_label_hint(cells[j::d], labels, j, header[j])
                    if hint:
                        raise InputError(f"{exc}; {hint}") from None
                    raise
            if not labels[r]:
                raise InputError(
                    f"{self.shown}, line {line}, column {d + 1} ({_short(header[-1])}): "
                    "empty class label"
                )


def _label_hint(j: int, column: str) -> str:
    """The hint that feature column ``j`` (0-based) is the class label, not the last column."""
    return (f"the class label must be the last column (column {j + 1} '{_short(column)}' looks "
            "like a label: move it last)")


def _text_label_hint(column: list[str], labels: list[str], j: int, name: str) -> str:
    """The hint of :func:`_label_hint` when a feature cell of column ``j`` is refused as not a
    number, or "": when the last column cannot be the label (numbers only, some not whole or
    more than MAX_CLASSES distinct) and column ``j`` can (text only, no more than MAX_CLASSES
    distinct values, some of them repeated). ``column`` and ``labels`` are the pending rows'
    cells of the two columns. Called on the error path only."""
    values = [cell.strip(" \t") for cell in column]
    if not all(values) or any(_NUMBER.fullmatch(v) or _NON_FINITE.fullmatch(v) for v in values):
        return ""
    if not all(_NUMBER.fullmatch(label) for label in labels):
        return ""
    whole = all(float(label).is_integer() for label in labels)
    if whole and len(set(labels)) <= MAX_CLASSES:
        return ""
    if not len(set(values)) <= min(MAX_CLASSES, len(values) - 1):
        return ""
    return _label_hint(j, name)


def _numeric_label_hint(x: np.ndarray, class_names: tuple[str, ...],
                        feature_names: tuple[str, ...]) -> str:
    """The hint of :func:`_label_hint` for a CSV file with more than MAX_CLASSES classes, or "":
    when every label is a number and a feature column holds only whole numbers, at most
    MAX_CLASSES distinct values of them, some repeated. Called on the error path only."""
    if not all(_NUMBER.fullmatch(label) for label in class_names):
        return ""
    for j in range(x.shape[1]):
        column = x[:, j]
        if not np.array_equal(column, np.round(column)):
            continue
        distinct = len(np.unique(column))
        if 2 <= distinct <= min(MAX_CLASSES, len(column) - 1):
            return _label_hint(j, feature_names[j])
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(cell: str, shown: str, line: int, j: int, column: str) -> float:
    """Parse one feature cell (column index ``j``, 0-based): an ASCII number of magnitude at
    most MAX_MAGNITUDE (see read_csv), or an InputError naming the line, column and value."""
    text = cell.strip(" \t")
    where = f"{shown}, line {line}, column {j + 1} ({_short(column)})"
    if not text:
        raise InputError(f"{where}: empty cell, expected a number")
    if _NUMBER.fullmatch(cell) is None:
        if _NON_FINITE.fullmatch(text):
            raise InputError(f"{where}: '{_short(text)}' is not a finite number")
        odd = next((c for c in text if not " " <= c <= "~"), None)
        if odd is not None:
            raise InputError(
                f"{where}: '{_short(text)}' is not a number (it holds the character "
                f"U+{ord(odd):04X}; numbers are written with the ASCII digits 0-9)"
            )
        raise InputError(f"{where}: '{_short(text)}' is not a number")
    value = float(cell)
    if not abs(value) <= MAX_MAGNITUDE:
        raise InputError(
            f"{where}: '{_short(text)}' is out of range (numbers may be at most "
            f"{_MAX_MAGNITUDE_TEXT} in magnitude)"
        )
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
            f"samples=: {n_classes} blobs need at least {2 * n_classes} samples, got {n_samples}"
        )
    noise = check_in_range("noise", noise)
    y = np.repeat(np.arange(n_classes), _class_sizes(n_samples, n_classes))
    ring = 1.5 / np.sin(np.pi / n_classes)  # chord between neighbours = 3
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes
    centers = ring * np.column_stack([np.cos(angle), np.sin(angle)])
    x = centers[y] + rng.normal(0.0, noise, size=(n_samples, 2))
    return _shuffled(x, y, rng)


_GENERATORS = {"xor": make_xor, "circles": make_circles, "spirals": make_spirals}

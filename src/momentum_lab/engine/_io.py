"""Files the engine reads and writes: weights, deltas and histories.

Every write is atomic (see :mod:`._atomic`).
"""

from __future__ import annotations

import csv
import math
import os
import reprlib
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._atomic import Outputs, staged
from ._errors import InputError
from ._files import SIZE_CAPS, open_input, size_text
from ._network import PARAM_NAMES, Layout

__all__ = ["DELTA_NAMES", "HISTORY_COLUMNS", "load_weights", "save_arrays", "save_deltas", "save_weights",
           "write_history_csv"]

#: The columns of a history row, as written to the history CSV.
#: ``stability``: the readout at the epoch's end for the next step's settings (see
#: ``_analysis.stability_value``: above 1 unstable, above 0.5 take care).
HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "momentum",
                   "stability")
#: Names of the recorded deltas in a deltas file, parallel to PARAM_NAMES.
DELTA_NAMES = ("ih_deltas", "h_bias_deltas", "ho_deltas", "o_bias_deltas")


#: A weights file holds at most this many arrays (one holds 4), in a zip directory of at most
#: this many bytes: zipfile reads the whole directory before anything else (1.4 million members in
#: 64 MiB took it 10 s and 640 MB).
MAX_WEIGHT_ARRAYS = 64
_MAX_ZIP_DIRECTORY = 64 << 10
# The .npy versions np.save writes for arrays of numbers (3.0 is for structured field names).
_NPY_VERSIONS = ((1, 0), (2, 0))
_NPY_MAX_DIMS = 32


def load_weights(path: str | os.PathLike[str], option: str = "init_weights=") -> dict[str, np.ndarray]:
    """Read a ``.npz`` weights file: its arrays by name, as float64 (keys and shapes are checked
    by the trainer).

    Nothing is inflated or allocated before it is known to fit: the file is opened through
    :func:`~momentum_lab.engine._files.open_input` (a regular file of at most 64 MiB); the zip
    directory (at most 64 KiB, :data:`MAX_WEIGHT_ARRAYS` members) gives each member's size,
    which must fit the cap, as must their sum; each member's ``.npy`` header must describe real
    numbers (no objects, no pickles) whose size is exactly what the member holds, all the arrays
    together at most the cap's worth of float64. Only then is each array read.

    Raises
    ------
    InputError
        When the file is missing or unreadable, or is not an ``.npz`` archive of plain numeric
        arrays that fit those limits.
    """
    p = Path(path)
    where = f"{option}: '{p}'"
    handle, size = open_input(p, "weights", where)
    cap = SIZE_CAPS["weights"]
    with handle:
        try:
            head = handle.read(6)
            if head == b"\x93NUMPY":
                raise InputError(f"{where} is a single .npy array, not an .npz weights file")
            directory = _zip_directory_size(handle, size)
            if directory is None:
                raise InputError(f"{where} is not an .npz weights file (not a zip archive)")
            if directory > _MAX_ZIP_DIRECTORY:
                raise InputError(f"{where}: its zip directory is {size_text(directory)}; a weights file's is at "
                                 f"most {size_text(_MAX_ZIP_DIRECTORY)} (it holds a few arrays)")
            handle.seek(0)
            archive = zipfile.ZipFile(handle)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - zipfile on hostile bytes: BadZipFile, struct.error, ...
            raise InputError(f"{where} is not an .npz weights file ({type(exc).__name__})") from None
        with archive:
            members = archive.infolist()
            if len(members) > MAX_WEIGHT_ARRAYS:
                raise InputError(f"{where} holds {len(members)} members; a weights file holds at most "
                                 f"{MAX_WEIGHT_ARRAYS} arrays")
            total = 0
            for info in members:
                if info.file_size > cap:
                    raise InputError(f"{where}: {_cut(info.filename)} inflates to {size_text(info.file_size)}; "
                                     f"a weights file may hold at most {size_text(cap)}")
                total += info.file_size
            if total > cap:
                raise InputError(f"{where}: its arrays inflate to {size_text(total)} together; a weights file may "
                                 f"hold at most {size_text(cap)}")
            out: dict[str, np.ndarray] = {}
            elements = 0
            for info in members:
                name = _cut(info.filename[:-4] if info.filename.endswith(".npy") else info.filename)
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                try:
                    array = _npz_member(archive, info, where, name, cap // 8 - elements, cap // 8)
                except InputError:
                    raise
                except Exception as exc:  # noqa: BLE001 - BadZipFile (a CRC), zlib.error, NotImplementedError...
                    raise InputError(f"{where}: {name} cannot be read ({type(exc).__name__})") from None
                elements += array.size
                with np.errstate(all="ignore"):  # a long double beyond float64 becomes inf (the trainer refuses it)
                    out[key] = array.astype(np.float64)
            return out


def _zip_directory_size(handle, size: int) -> int | None:
    """The size of a zip file's central directory, from its end record (and the ZIP64 one, if
    any), read before zipfile reads the whole directory; None: no end record (not a zip file)."""
    tail_size = min(size, 22 + 0xFFFF)  # the end record and a comment of at most 64 KiB
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) - end < 22:
        return None
    directory = struct.unpack("<L", tail[end + 12:end + 16])[0]
    # A ZIP64 end record (56 bytes) and its locator (20 bytes) come just before it.
    start = size - tail_size + end
    if start >= 76:
        handle.seek(start - 76)
        record = handle.read(76)
        if record[56:60] == b"PK\x06\x07" and record[:4] == b"PK\x06\x06":
            directory = max(directory, struct.unpack("<Q", record[40:48])[0])
    return directory


class _Counted:
    """A file's reads, counted (how long a member's .npy header was)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


def _cut(name: str) -> str:
    """A member's name for a message: at most 60 characters."""
    return name if len(name) <= 60 else name[:57] + "..."


def _npz_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, name: str, room: int,
                limit: int) -> np.ndarray:
    """One member of a weights file as an array, its header checked before its data is read:
    real numbers, a sane shape, exactly the bytes the member holds, at most ``room`` elements
    (of the ``limit`` a weights file may hold in all)."""
    if not info.filename.endswith(".npy") or info.is_dir():
        raise InputError(f"{where}: {name} is not an array (not an .npy member)")
    if info.flag_bits & 0x1:
        raise InputError(f"{where}: {name} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InputError(f"{where}: {name} is compressed with zip method {info.compress_type}; a weights file is "
                         "stored or deflated (np.savez, np.savez_compressed)")
    with archive.open(info) as raw:
        member = _Counted(raw)
        version = np.lib.format.read_magic(member)
        if version not in _NPY_VERSIONS:
            raise InputError(f"{where}: {name} is an .npy file of version {version[0]}.{version[1]}; arrays of "
                             "numbers are version 1.0 or 2.0")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy warns of a header written by Python 2, then reads it
                shape, fortran_order, dtype = read_header(member)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise  # the zip member's own errors, named by load_weights
        except Exception as exc:  # noqa: BLE001 - numpy, ast and tokenize on a hostile header raise many kinds
            raise InputError(f"{where}: {name} has no readable .npy header ({type(exc).__name__})") from None
        if dtype.kind not in "iuf" or dtype.fields is not None or dtype.subdtype is not None or dtype.hasobject:
            raise InputError(f"{where}: {name} holds {dtype} values, not real numbers")
        if len(shape) > _NPY_MAX_DIMS or any(n < 0 for n in shape):
            raise InputError(f"{where}: {name} has the shape {reprlib.repr(shape)}, not an array's")
        count = math.prod(shape)
        data_size = info.file_size - member.count
        if count * dtype.itemsize != data_size:
            raise InputError(f"{where}: {name} claims shape {reprlib.repr(shape)} of {dtype} "
                             f"({count * dtype.itemsize:,} bytes) but holds {max(data_size, 0):,} bytes of data")
        if count > room:
            raise InputError(f"{where}: {name} holds {count:,} numbers, more than the {limit:,} a weights file may "
                             "hold in all (its size cap's worth of float64)")
        data = bytearray()
        while len(data) < data_size:
            chunk = member.read(min(data_size - len(data), 1 << 20))
            if not chunk:
                raise InputError(f"{where}: {name} is truncated ({len(data):,} of {data_size:,} bytes of data)")
            data += chunk
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C")


def save_arrays(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], outputs: Outputs | None = None,
                option: str | None = None) -> None:
    """Write named arrays as an ``.npz`` file, atomically (or staged into ``outputs``)."""
    with staged(path, "wb", outputs, option) as fh:
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
    with staged(path, "w", outputs, option) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        for row in rows:
            writer.writerow([_cell(c, v) for c, v in zip(HISTORY_COLUMNS, row)])

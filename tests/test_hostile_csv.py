"""Hostile CSV input: files that are not files, unclosed quotes, odd numbers, huge values,
streaming boundaries, cancellation and progress, and fuzzing of the whole reader.

Every bad input must give one :class:`InputError` naming the file (and line, column and value),
never another exception, a warning or a hang.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from momentum_lab.engine import _datasets
from momentum_lab.engine._datasets import MAX_MAGNITUDE, Dataset, load_dataset, read_csv
from momentum_lab.engine._errors import InputError, LoadCancelled
from momentum_lab.engine._files import SIZE_CAPS

NOT_REGULAR = "not a regular file; Momentum Lab reads only regular files"


def _write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


def _error(source, **options) -> str:
    """The message of the InputError ``load_dataset(source)`` raises (one line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as info:
            load_dataset(source, **options)
    message = str(info.value)
    assert "\n" not in message
    return message


def _iris_lines() -> list[str]:
    from momentum_lab._resources import resource_path

    return resource_path("datasets", "iris.csv").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- #
# 1. Only regular files, never beyond the cap
# --------------------------------------------------------------------------- #


@pytest.mark.timeout(10)
def test_a_fifo_is_refused_at_once(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    assert _error(path) == f"'{path}': is a FIFO (named pipe), {NOT_REGULAR}"
    with pytest.raises(InputError):
        read_csv(path)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_at_once(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    assert _error(device) == f"'{device}': is a character device, {NOT_REGULAR}"


@pytest.mark.timeout(10)
def test_a_link_to_a_device_is_refused_by_its_name(tmp_path):
    link = tmp_path / "data.csv"
    link.symlink_to("/dev/zero")
    assert _error(link) == f"'{link}': is a character device, {NOT_REGULAR}"


def test_a_file_over_the_cap_is_refused_from_its_size(tmp_path, monkeypatch):
    path = _write(tmp_path, "a,label\n" + "1,x\n2,y\n" * 25)  # 208 bytes
    monkeypatch.setitem(SIZE_CAPS, "data", 100)
    assert _error(path) == f"'{path}': the file is 208 bytes; a data file may be at most 100 bytes"
    monkeypatch.setitem(SIZE_CAPS, "data", 208)
    assert load_dataset(path).n_train + load_dataset(path).n_test == 50


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path, monkeypatch):
    chunk = _datasets._CHUNK
    row = "1.5,x\n2.5,y\n"
    path = _write(tmp_path, "a,label\n" + row * (chunk // len(row) + 100))
    monkeypatch.setitem(SIZE_CAPS, "data", path.stat().st_size + 1000)

    def grow(done, total):
        if done <= chunk:  # after the first chunk: another writer appends
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(row * 1000)

    with pytest.raises(InputError) as info:
        read_csv(path, progress=grow)
    assert str(info.value) == (
        f"'{path}': the file grew past the {SIZE_CAPS['data'] / 1024:.3g} KiB a data file may "
        "have while it was read"
    )


def test_missing_files_keep_their_messages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _error("irsi") == "cannot read 'irsi': no such file (known data sets: " \
        "iris, iris-article-train, iris-article-test, xor, circles, spirals, blobs)"
    assert _error(tmp_path / "nope.csv") == f"cannot read '{tmp_path / 'nope.csv'}': no such file"
    dangling = tmp_path / "gone.csv"
    dangling.symlink_to(tmp_path / "never.csv")
    assert _error(dangling) == f"cannot read '{dangling}': no such file"
    assert _error(tmp_path) == f"'{tmp_path}': is a folder, {NOT_REGULAR}"


# --------------------------------------------------------------------------- #
# 2. Quotes and line breaks in cells
# --------------------------------------------------------------------------- #


def test_an_unclosed_quote_is_named_at_its_line_not_swallowing_the_file(tmp_path):
    lines = _iris_lines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ',"setosa'  # line 5 of the file
    path = _write(tmp_path, "\n".join(lines) + "\n")
    assert _error(path) == (
        f"{path}, line 5, column 5 (species): the quote that opens the cell '\"setosa' is never "
        "closed (the cell runs to the end of the file); add the closing quote"
    )


def test_a_quote_closed_lines_later_is_a_cell_with_a_line_break(tmp_path):
    lines = _iris_lines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ',"setosa'
    lines[11] = lines[11] + '"'  # closes on line 12
    path = _write(tmp_path, "\n".join(lines) + "\n")
    assert _error(path) == (
        f"{path}, line 5, column 5 (species): the cell '\"setosa' holds a line break (its quote "
        "closes on line 12); a cell may not span lines: is a closing quote missing?"
    )


@pytest.mark.parametrize(
    ("content", "where", "cell", "closes"),
    [
        ('a,b,label\n1,2,x\n"3\n4",5,y\n6,7,x\n', "line 3, column 1 (a)", '"3', 4),
        ('a,b,label\n1,2,x\n3,"4\r\n5",y\n6,7,x\n', "line 3, column 2 (b)", '"4', 4),
        ('a,b,label\n1,2,x\r\n3,4,"y\rz"\r6,7,x\n', "line 3, column 3 (label)", '"y', 4),
        ('a,b,label\n\n1,2,"x\n\n\n"\n6,7,y\n', "line 3, column 3 (label)", '"x', 6),
        ('a,"b\nc",label\n1,2,x\n', "line 1, column 2", '"b', 2),
    ],
)
def test_line_breaks_in_number_or_label_cells(tmp_path, content, where, cell, closes):
    path = _write(tmp_path, content)
    assert _error(path) == (
        f"{path}, {where}: the cell '{cell}' holds a line break (its quote closes on line "
        f"{closes}); a cell may not span lines: is a closing quote missing?"
    )


@pytest.mark.parametrize(
    ("content", "where", "cell"),
    [
        ('a,b,label\n1,2,x\n3,4,"y', "line 3, column 3 (label)", '"y'),  # no final line break
        ('a,b,label\n1,2,x\n3,4,"y\r\n', "line 3, column 3 (label)", '"y'),
        ('a,b,"label\n1,2,x\n3,4,y\n', "line 1, column 3", '"label'),
        ('a,b,label\n1,2,x\n"\n3,4,y\n', "line 3, column 1 (a)", '"'),
    ],
)
def test_unclosed_quotes_anywhere(tmp_path, content, where, cell):
    path = _write(tmp_path, content)
    assert _error(path) == (
        f"{path}, {where}: the quote that opens the cell '{cell}' is never closed (the cell runs "
        "to the end of the file); add the closing quote"
    )


def test_an_unclosed_quote_in_a_large_file_stops_at_the_field_limit(tmp_path):
    limit = __import__("csv").field_size_limit()
    row = "1.25,2.5,setosa\n"
    path = _write(tmp_path, 'a,b,label\n1,2,x\n3,"4,y\n' + row * (limit // len(row) + 10))
    # The cell holds "4,y\n" then whole rows: it passes the limit on this line.
    over = 3 + (limit - 4) // len(row) + 1
    assert _error(path) == (
        f"{path}, line 3: a cell opened by a quote runs past line {over} and "
        f"over {limit:,} characters; is a closing quote missing?"
    )


def test_quoted_cells_without_line_breaks_are_fine(tmp_path):
    path = _write(tmp_path, 'a,"b, c",label\n"1.5", 2 ,"setosa"\n3,"4e1"," x, y "\n')
    x, labels, names = read_csv(path)
    assert names == ("a", "b, c")
    np.testing.assert_array_equal(x, [[1.5, 2.0], [3.0, 40.0]])
    assert labels.tolist() == ["setosa", "x, y"]


def test_a_line_longer_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_datasets, "_MAX_LINE", 1000)
    monkeypatch.setattr(_datasets, "_CHUNK", 256)
    path = _write(tmp_path, "a,label\n1,x\n2,y\n" + "7" * 3000 + ",x\n")
    assert _error(path) == (
        f"{path}, line 4: longer than 1,000 characters (it starts '" + "7" * 39 + "…')"
    )
    # Just below the limit is fine.
    path = _write(tmp_path, "a,label\n1,x\n2,y\n" + " " * 900 + "7,x\n", name="ok.csv")
    assert read_csv(path)[0][2, 0] == 7.0


# --------------------------------------------------------------------------- #
# 3. Numbers: ASCII only
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("٣", "U+0663"),  # Arabic-Indic three
        ("３", "U+FF13"),  # full-width three
        ("१२", "U+0967"),  # Devanagari
        ("𝟑", "U+1D7D1"),  # mathematical bold three
        ("1٫5", "U+066B"),  # Arabic decimal separator
        ("\u00a01", "U+00A0"),  # a no-break space before the digit
        ("1\u2009", "U+2009"),  # a thin space after it
        ("\ufeff2", "U+FEFF"),  # a BOM that does not open the file
        ("1\x0b", "U+000B"),
    ],
)
def test_non_ascii_digits_and_spaces_are_refused(tmp_path, cell, code):
    path = _write(tmp_path, f"a,b,label\n1,2,x\n3,{cell},y\n")
    expected = (
        f"{path}, line 3, column 2 (b): '{cell}' is not a number (it holds the character "
        f"{code}; numbers are written with the ASCII digits 0-9)"
    )
    # An InputError is one line: Unicode spaces in it become plain spaces, and control and format
    # characters (U+FEFF) are shown escaped, hence the code.
    expected = " ".join(expected.split()).replace("\ufeff", "\\ufeff")
    assert _error(path) == expected


@pytest.mark.parametrize("cell", ["nan", "NaN", "-nan", "inf", "+inf", "-Infinity", "INFINITY"])
def test_non_finite_spellings_are_refused(tmp_path, cell):
    path = _write(tmp_path, f"a,b,label\n1,2,x\n{cell},3,y\n")
    assert _error(path) == f"{path}, line 3, column 1 (a): '{cell}' is not a finite number"


@pytest.mark.parametrize(
    "cell", ["1_000", "0x10", "1e", "e5", ".", "+", "-", "1..2", "1e5.5", "1 2", "--1", "1e+-2",
             "½", "infinit", "1,5"],
)
def test_other_non_numbers_are_refused(tmp_path, cell):
    quoted = f'"{cell}"' if "," in cell else cell
    path = _write(tmp_path, f"a,b,label\n1,2,x\n3,{quoted},y\n")
    message = _error(path)
    assert message.startswith(f"{path}, line 3, column 2 (b): '{cell}' is not a number")


@pytest.mark.parametrize(
    ("cell", "value"),
    [("+1", 1.0), ("-.5", -0.5), ("1.", 1.0), ("1E+3", 1000.0), (" 2 ", 2.0), ("\t3\t", 3.0),
     ("007", 7.0), ("-0", 0.0), ("1e-400", 0.0), ("1e100", 1e100), ("-1E100", -1e100),
     ("123456789012345678901234567890", 1.2345678901234568e29)],
)
def test_ascii_numbers_are_read(tmp_path, cell, value):
    path = _write(tmp_path, f"a,b,label\n1,2,x\n3,{cell},y\n")
    x, _, _ = read_csv(path)
    assert x[1, 1] == value


def test_empty_and_blank_cells(tmp_path):
    path = _write(tmp_path, "a,b,label\n1,2,x\n3,\t ,y\n")
    assert _error(path) == f"{path}, line 3, column 2 (b): empty cell, expected a number"


# --------------------------------------------------------------------------- #
# 4. Magnitudes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("normalize", ["zscore", "none"])
@pytest.mark.parametrize(
    ("rows", "where", "cell"),
    [
        ("1e308,1,x\n-1e308,2,y\n", "line 2, column 1 (big)", "1e308"),
        ("1,2,x\n3,-1e308,y\n", "line 3, column 2 (b)", "-1e308"),
        ("1,2,x\n3,1.0000001e100,y\n", "line 3, column 2 (b)", "1.0000001e100"),
        ("1,2,x\n1e400,1,y\n", "line 3, column 1 (big)", "1e400"),
    ],
)
def test_values_beyond_the_limit_are_refused(tmp_path, normalize, rows, where, cell):
    path = _write(tmp_path, "big,b,label\n" + rows)
    assert _error(path, normalize=normalize) == (
        f"{path}, {where}: '{cell}' is out of range (numbers may be at most 1e100 in magnitude)"
    )


def test_values_at_the_limit_standardise_without_overflow(tmp_path):
    path = _write(tmp_path, "a,b,label\n1e100,1,x\n-1e100,2,y\n5e99,3,x\n-1e100,4,y\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset(path, test_fraction=0.0)
        raw = load_dataset(path, test_fraction=0.0, normalize="none")
    assert np.all(np.isfinite(ds.x_train)) and np.all(np.isfinite(ds.scale))
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1.0)
    assert raw.x_train[0, 0] == 1e100 and MAX_MAGNITUDE == 1e100


def test_statistics_that_overflow_name_the_column(tmp_path, monkeypatch):
    # Below the limit they cannot overflow; with the limit lifted the check still holds.
    monkeypatch.setattr(_datasets, "MAX_MAGNITUDE", 1.7e308)
    path = _write(tmp_path, "a,huge,label\n1,1e308,x\n2,-1e308,y\n3,1e308,x\n4,-1e308,y\n")
    assert _error(path) == (
        f"{path}: column 2 (huge) cannot be standardised: its values (such as 1e+308) are too large"
    )


def test_arrays_beyond_the_limit_are_refused():
    x = np.array([[0.0, 1.0], [2.0, -1e308], [1.0, 1.0], [3.0, 4.0]])
    assert _error((x, [0, 1, 0, 1])) == (
        "dataset: X[1, 1] = -1e+308 is out of range (numbers may be at most 1e100 in magnitude)"
    )
    assert _error((x, [0, 1, 0, 1]), normalize="none").startswith("dataset: X[1, 1] = -1e+308")
    ok = load_dataset((np.clip(x, -1e100, 1e100), [0, 1, 0, 1]), test_fraction=0.0)
    assert np.all(np.isfinite(ok.x_train))


# --------------------------------------------------------------------------- #
# 5. Streaming: chunk and block boundaries, the in-place split
# --------------------------------------------------------------------------- #

TRICKY = (
    "\ufeffa,,b é,kind\r\n1,2,3,x\r\n\r\n4, 5 ,6e-1, y é \r\n\n\r"
    '"7","8",9,"z, w"\r\n' + "".join(f"{k}.5,-{k},{k}e-3,{'xyz'[k % 3]}\n" for k in range(60))
    + "1,2,3,ü"
)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize("block", [1, 5, 1 << 16])
def test_any_chunk_and_block_size_reads_the_same(tmp_path, monkeypatch, chunk, block):
    path = _write(tmp_path, TRICKY)
    want_x, want_labels, want_names = read_csv(path)
    assert want_names == ("a", "x2", "b é") and want_x.shape == (64, 3)
    assert want_labels[1] == "y é" and want_labels[2] == "z, w" and want_labels[-1] == "ü"
    monkeypatch.setattr(_datasets, "_CHUNK", chunk)
    monkeypatch.setattr(_datasets, "_BLOCK_CELLS", block)
    x, labels, names = read_csv(path)
    np.testing.assert_array_equal(x, want_x)
    assert labels.tolist() == want_labels.tolist() and names == want_names


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 18])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,label\n1,caf\xe9\n2,b\n", "not UTF-8 text (byte 0xE9 at byte offset 13)"),
        (b"\xef\xbb\xbfa,label\n\xff,x\n", "not UTF-8 text (byte 0xFF at byte offset 11)"),
        (b"a,label\n1,x\n2,\xe2\x82", "not UTF-8 text (byte 0xE2 at byte offset 14)"),
        (b"a,label\n1,\xe2\x82x\n", "not UTF-8 text (byte 0xE2 at byte offset 10)"),
        (b"a,label\n1,x\n\x00\x01\x02,y\n", "not a text CSV file (binary data at byte offset 12)"),
    ],
)
def test_byte_offsets_are_right_across_chunks(tmp_path, monkeypatch, chunk, content, message):
    monkeypatch.setattr(_datasets, "_CHUNK", chunk)
    path = _write(tmp_path, content)
    tail = "; save it as UTF-8" if "UTF-8" in message else ""
    assert _error(path) == f"'{path}' is {message}{tail}"


def test_the_first_bad_cell_in_file_order_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(_datasets, "_BLOCK_CELLS", 1 << 16)
    # A bad number on line 3, a ragged row on line 5, an empty label on line 4: line 3 wins
    # although the ragged row is met while line 3 is still pending in its block.
    path = _write(tmp_path, "a,b,label\n1,2,x\n1,zz,y\n1,2,\n1,2\n")
    assert _error(path) == f"{path}, line 3, column 2 (b): 'zz' is not a number"
    path = _write(tmp_path, "a,b,label\n1,2,x\n1,2,\n1,zz,y\n", name="label.csv")
    assert _error(path) == f"{path}, line 3, column 3 (label): empty class label"
    path = _write(tmp_path, 'a,b,label\n1,2,x\n1,1e200,y\n1,"2\n",y\n', name="quote.csv")
    assert _error(path).startswith(f"{path}, line 3, column 2 (b): '1e200' is out of range")
    # The bytes of a chunk are checked before its lines are read: within a chunk a bad byte
    # wins, in a later chunk the bad cell before it.
    path = _write(tmp_path, b"a,b,label\n1,2,x\n1,zz,y\n1,2,\xff\n", name="utf.csv")
    assert _error(path) == f"'{path}' is not UTF-8 text (byte 0xFF at byte offset 27); save it as UTF-8"
    monkeypatch.setattr(_datasets, "_CHUNK", 4)
    assert _error(path) == f"{path}, line 3, column 2 (b): 'zz' is not a number"


@settings(max_examples=150, deadline=None, database=None)
@given(
    mask=st.lists(st.booleans(), min_size=1, max_size=60),
    width=st.integers(min_value=1, max_value=4),
    move=st.sampled_from([1, 8, 40, 8 << 20]),
)
def test_the_in_place_split_is_the_fancy_indexed_one(mask, width, move):
    is_test = np.array(mask)
    for a in (np.arange(len(mask) * width, dtype=np.float64).reshape(-1, width),
              np.arange(len(mask), dtype=np.int64)):
        want_train, want_test = a[~is_test].copy(), a[is_test].copy()
        saved = _datasets._MOVE_BYTES
        _datasets._MOVE_BYTES = move
        try:
            train, test = _datasets._split_in_place(a, is_test)
        finally:
            _datasets._MOVE_BYTES = saved
        np.testing.assert_array_equal(train, want_train)
        np.testing.assert_array_equal(test, want_test)
        assert train.flags.c_contiguous and test.flags.c_contiguous


def test_the_block_standard_deviation(monkeypatch):
    x = np.random.default_rng(3).normal(5.0, 2.0, size=(1001, 3)) * [1.0, 1e90, 1e-5]
    mean = x.mean(axis=0)
    # Small sets: numpy's own, bit for bit.
    np.testing.assert_array_equal(_datasets._column_std(x, mean), x.std(axis=0))
    monkeypatch.setattr(_datasets, "_STD_BYTES", 24 * 7)
    np.testing.assert_allclose(_datasets._column_std(x, mean), x.std(axis=0), rtol=1e-13)


def test_a_dataset_is_split_and_normalized_without_copies(tmp_path):
    rows = "".join(f"{k},{k % 7},{'ab'[k % 2]}\n" for k in range(400))
    path = _write(tmp_path, "a,b,label\n" + rows)
    ds = load_dataset(path)
    x, labels, _ = read_csv(path)
    raw = load_dataset(path, normalize="none")
    # The same values as indexing a copy would give ...
    is_test = _datasets._stratified_split(
        np.array([ds.class_names.index(v) for v in labels.tolist()]), 2, 0.2, 0)
    np.testing.assert_array_equal(raw.x_train, x[~is_test])
    np.testing.assert_array_equal(raw.x_test, x[is_test])
    np.testing.assert_array_equal(ds.x_train, (x[~is_test] - ds.mean) / ds.scale)
    np.testing.assert_array_equal(ds.x_test, (x[is_test] - ds.mean) / ds.scale)
    # ... held in one buffer: train rows, then test rows.
    for part in (ds, raw):
        assert part.x_train.base is not None and part.x_test.base is part.x_train.base
        assert part.y_train.base is not None and part.y_test.base is part.y_train.base
        assert part.x_test.__array_interface__["data"][0] == (
            part.x_train.__array_interface__["data"][0] + part.x_train.nbytes)
    assert ds.x_train.flags.c_contiguous and ds.x_test.flags.c_contiguous


# --------------------------------------------------------------------------- #
# 6. Cancel and progress
# --------------------------------------------------------------------------- #


def _big(tmp_path: Path) -> Path:
    row = "5.1,3.5,1.4,0.2,setosa\n6.2,2.9,4.3,1.3,versicolor\n"
    return _write(tmp_path, "a,b,c,d,species\n" + row * 25_000)  # about 1.2 MB


@pytest.mark.parametrize("reader", [read_csv, load_dataset])
def test_progress_reports_each_chunk_up_to_the_size(tmp_path, reader):
    path = _big(tmp_path)
    size = path.stat().st_size
    calls = []
    reader(path, progress=lambda done, total: calls.append((done, total)))
    assert [total for _, total in calls] == [size] * len(calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == size
    assert len(calls) == -(-size // _datasets._CHUNK)
    assert all(b - a == _datasets._CHUNK for a, b in zip([0] + done, done[:-1]))


@pytest.mark.parametrize("reader", [read_csv, load_dataset])
def test_a_cancel_set_during_the_read_stops_it(tmp_path, reader):
    path = _big(tmp_path)
    cancel = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        cancel.set()

    with pytest.raises(LoadCancelled):
        reader(path, cancel=cancel, progress=progress)
    assert calls == [_datasets._CHUNK]
    assert not issubclass(LoadCancelled, InputError)


def test_a_cancel_set_before_reads_nothing(tmp_path):
    cancel = threading.Event()
    cancel.set()
    calls = []
    with pytest.raises(LoadCancelled):
        load_dataset(_big(tmp_path), cancel=cancel, progress=lambda *a: calls.append(a))
    assert calls == []
    # Sources that read no file ignore both.
    assert load_dataset("xor", cancel=cancel, progress=lambda *a: calls.append(a)).n_inputs == 2
    assert calls == []


@pytest.mark.timeout(30)
def test_cancel_from_another_thread(tmp_path):
    path = _big(tmp_path)
    cancel, started = threading.Event(), threading.Event()
    outcome = []

    def progress(done, total):
        started.set()
        cancel.wait(5)  # the window's thread sets it meanwhile

    def work():
        try:
            load_dataset(path, cancel=cancel, progress=progress)
            outcome.append("loaded")
        except LoadCancelled:
            outcome.append("cancelled")

    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(10)
    cancel.set()
    worker.join(10)
    assert outcome == ["cancelled"]


# --------------------------------------------------------------------------- #
# 7. Fuzzing
# --------------------------------------------------------------------------- #


def _load_or_error(path: Path) -> Dataset | InputError:
    """load_dataset(path), with every warning an error; an InputError is returned."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return load_dataset(path)
        except InputError as exc:
            return exc


def _check_outcome(path: Path, outcome: Dataset | InputError) -> None:
    if isinstance(outcome, InputError):
        message = str(outcome)
        assert "\n" not in message and str(path) in message
    else:
        assert outcome.n_train >= 1 and outcome.n_classes >= 2
        for part in (outcome.x_train, outcome.x_test, outcome.mean, outcome.scale):
            assert np.all(np.isfinite(part))
        assert np.all(np.abs(outcome.x_train) < 1e113)


FUZZ = settings(max_examples=250, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(content=st.binary(max_size=600))
@example(content=b"a,label\n1,x\n2,y\n")
@example(content=b'a,label\n"1,x\n2,y\n')
@example(content=b"\xef\xbb\xbf\xef\xbb\xbfa,label\n1,x\n2,y")
def test_fuzz_any_bytes(tmp_path, content):
    path = _write(tmp_path, content)
    _check_outcome(path, _load_or_error(path))


TOKENS = ["1", "-2.5", "3e4", "+.5", "1.", '"', '"1"', '""', "", " ", "-", "+", ".", "e", "nan",
          "inf", "-Infinity", "1e308", "-1e308", "1e100", "1e101", "1e400", "٣", "３", "1_0",
          "\ufeff", "\ufeff1", "\r", "\n", "\r\n", "x", "setosa", '"set\nosa"', '"a,b"', "\t7\t",
          "\u00a0", "0x1", "1e-400", "é", '"2"x', 'x"y']
LINE_ENDS = ["\n", "\r\n", "\r", ""]


@st.composite
def near_csv(draw) -> str:
    width = draw(st.integers(min_value=1, max_value=4))
    cells = st.sampled_from(TOKENS)
    header = draw(st.lists(st.sampled_from(["a", "b", "", "label", "1", '"h"', "\ufeffa"]),
                           min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cells, min_size=max(1, width - 1), max_size=width + 1),
                         min_size=0, max_size=8))
    labels = draw(st.lists(st.sampled_from(["x", "y", "z", "", '"x', "y "]), min_size=len(rows),
                           max_size=len(rows)))
    end = draw(st.sampled_from(LINE_ENDS[:3]))
    lines = [",".join(header)] + [",".join(row + [label]) for row, label in zip(rows, labels)]
    text = end.join(lines) + draw(st.sampled_from(LINE_ENDS))
    return ("\ufeff" if draw(st.booleans()) else "") + text


@FUZZ
@given(text=near_csv())
@example(text="a,label\n1,x\n2,y\n")
def test_fuzz_near_valid_csv(tmp_path, text):
    path = _write(tmp_path, text)
    _check_outcome(path, _load_or_error(path))


ASCII_NUMBER = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(min_value=-1e100, max_value=1e100, allow_nan=False).map(repr),
    st.builds(lambda s, a, b, e: f"{s}{a}.{b}e{e}", st.sampled_from(["", "+", "-"]),
              st.integers(0, 999), st.integers(0, 999), st.integers(-300, 97)),
)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=st.lists(st.tuples(ASCII_NUMBER, ASCII_NUMBER, st.sampled_from(["p", "q", "r s"])),
                   min_size=2, max_size=12),
    pad=st.sampled_from(["", " ", "\t", " \t "]),
    quote=st.booleans(),
    end=st.sampled_from(LINE_ENDS[:3]),
    chunk=st.sampled_from([3, 16, 1 << 18]),
)
def test_fuzz_valid_tables_read_exactly(tmp_path, table, pad, quote, end, chunk):
    q = '"' if quote else ""
    table = table + [("1", "2", "p"), ("3", "4", "q")]  # two classes at least
    lines = ["u,v,label"] + [f"{pad}{a}{pad},{q}{b}{q},{c}" for a, b, c in table]
    path = _write(tmp_path, end.join(lines) + end)
    saved = _datasets._CHUNK
    _datasets._CHUNK = chunk
    try:
        x, labels, names = read_csv(path)
    finally:
        _datasets._CHUNK = saved
    assert names == ("u", "v")
    np.testing.assert_array_equal(x, [[float(a), float(b)] for a, b, _ in table])
    assert labels.tolist() == [c for _, _, c in table]

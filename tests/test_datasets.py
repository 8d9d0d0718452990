"""Tests for the data sets: loading, splitting, normalizing, CSV errors, generated sets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from momentum_lab.engine._datasets import (
    DATASET_NAMES,
    GENERATED,
    Dataset,
    load_dataset,
    make_blobs,
    make_circles,
    make_spirals,
    make_xor,
    read_csv,
)
from momentum_lab.engine._errors import InputError

IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def _raw(ds: Dataset, x: np.ndarray) -> np.ndarray:
    """Undo the normalization of ``x``."""
    return x * ds.scale + ds.mean


def _write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _index_arrays(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """X whose only feature is the row number; y with ``sizes[c]`` rows of class c, interleaved."""
    y = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    y = y[np.random.default_rng(123).permutation(len(y))]
    x = np.arange(len(y), dtype=float)[:, None]
    return x, y


# --------------------------------------------------------------------------- #
# Iris and the split
# --------------------------------------------------------------------------- #


def test_names():
    assert DATASET_NAMES == ("iris", "iris-article-train", "iris-article-test", "xor", "circles", "spirals", "blobs")
    assert GENERATED == DATASET_NAMES[3:]


def test_iris_loads_with_a_stratified_split():
    ds = load_dataset("iris")
    assert ds.name == "iris"
    assert ds.class_names == IRIS_CLASSES
    assert ds.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert (ds.n_inputs, ds.n_classes, ds.n_train, ds.n_test) == (4, 3, 120, 30)
    assert ds.x_train.shape == (120, 4) and ds.x_test.shape == (30, 4)
    assert ds.x_train.dtype == np.float64 and ds.x_train.flags.c_contiguous
    assert ds.x_test.dtype == np.float64 and ds.x_test.flags.c_contiguous
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert np.bincount(ds.y_test).tolist() == [10, 10, 10]
    assert np.bincount(ds.y_train).tolist() == [40, 40, 40]
    assert repr(ds) == "Dataset('iris', 4 inputs, 3 classes, 120 train / 30 test)"


def test_iris_split_partitions_the_file_rows_in_file_order():
    x, labels, _ = read_csv(_iris_path())
    ds = load_dataset("iris", normalize="none")
    raw = np.concatenate([ds.x_train, ds.x_test])
    # Every file row appears exactly once (as a multiset of rows).
    assert sorted(map(tuple, raw.tolist())) == sorted(map(tuple, x.tolist()))
    # Train rows keep the file order: they are a subsequence of the file.
    assert _is_subsequence(ds.x_train, x)
    assert _is_subsequence(ds.x_test, x)


def _iris_path() -> Path:
    from momentum_lab._resources import resource_path

    return resource_path("datasets", "iris.csv")


def _is_subsequence(rows: np.ndarray, full: np.ndarray) -> bool:
    j = 0
    for row in rows:
        while j < len(full) and not np.array_equal(full[j], row):
            j += 1
        if j == len(full):
            return False
        j += 1
    return True


def test_same_seed_same_split_other_seed_other_split():
    a = load_dataset("iris", data_seed=3)
    b = load_dataset("iris", data_seed=3)
    c = load_dataset("iris", data_seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(_raw(a, a.x_test), _raw(c, c.x_test))


def test_zscore_uses_training_statistics_only():
    ds = load_dataset("iris")
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1.0, atol=1e-12)
    assert not np.allclose(ds.x_test.mean(axis=0), 0.0, atol=1e-12)
    raw = load_dataset("iris", normalize="none")
    np.testing.assert_allclose(ds.mean, raw.x_train.mean(axis=0))
    np.testing.assert_allclose(ds.scale, raw.x_train.std(axis=0))
    np.testing.assert_allclose(ds.x_test, (raw.x_test - ds.mean) / ds.scale)
    np.testing.assert_allclose(ds.normalize(raw.x_test), ds.x_test)
    np.testing.assert_allclose(ds.normalize(raw.x_test[0]), ds.x_test[0])


def test_normalize_none_leaves_values_unchanged():
    x, _, _ = read_csv(_iris_path())
    ds = load_dataset("iris", normalize="none", test_fraction=0.0)
    np.testing.assert_array_equal(ds.x_train, x)
    np.testing.assert_array_equal(ds.mean, np.zeros(4))
    np.testing.assert_array_equal(ds.scale, np.ones(4))
    np.testing.assert_array_equal(ds.normalize(x), x)


def test_normalize_method_refuses_the_wrong_width():
    ds = load_dataset("iris")
    with pytest.raises(InputError, match="4"):
        ds.normalize(np.zeros((2, 3)))


def test_test_fraction_zero_keeps_everything_in_train():
    ds = load_dataset("iris", test_fraction=0.0)
    assert ds.n_train == 150 and ds.n_test == 0
    assert ds.x_test.shape == (0, 4) and ds.y_test.shape == (0,)
    assert ds.x_test.dtype == np.float64 and ds.y_test.dtype == np.int64


def test_a_class_never_goes_entirely_to_test():
    x = np.arange(6, dtype=float)[:, None]
    y = np.array(["a", "b", "b", "b", "b", "b"])
    ds = load_dataset((x, y), test_fraction=0.9, normalize="none")
    assert 0 in ds.y_train.tolist()
    assert np.bincount(ds.y_test, minlength=2).tolist() == [0, 4]


def test_constant_column_gets_scale_one(tmp_path):
    path = _write(tmp_path, "a,b,c\n0.1,1,x\n0.1,2,y\n0.1,3,x\n0.1,4,y\n")
    ds = load_dataset(path, test_fraction=0.0)
    assert ds.scale[0] == 1.0
    assert np.all(np.isfinite(ds.x_train))
    np.testing.assert_allclose(ds.x_train[:, 0], 0.0, atol=1e-12)


@settings(max_examples=60, deadline=None, database=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=25), min_size=2, max_size=6),
    fraction=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
)
@example(sizes=[5, 7, 2], fraction=0.5, seed=0)  # halves: 2.5 -> 3, 3.5 -> 4, 1 -> 1
def test_split_partitions_rows_and_keeps_each_class_in_train(sizes, fraction, seed):
    x, y = _index_arrays(sizes)
    ds = load_dataset((x, y), test_fraction=fraction, data_seed=seed, normalize="none")
    train = ds.x_train[:, 0].astype(int)
    test = ds.x_test[:, 0].astype(int)
    assert sorted(train.tolist() + test.tolist()) == list(range(len(y)))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    # Labels were ints 0..k-1 with k <= 6, so text order is numeric order.
    np.testing.assert_array_equal(ds.y_train, y[train])
    np.testing.assert_array_equal(ds.y_test, y[test])
    for c, n in enumerate(sizes):
        assert np.count_nonzero(ds.y_train == c) >= 1
        # Rounded per class with halves up (not Python's round, which sends 2.5 to 2).
        assert np.count_nonzero(ds.y_test == c) == min(math.floor(fraction * n + 0.5), n - 1)


# --------------------------------------------------------------------------- #
# Labels and arrays
# --------------------------------------------------------------------------- #


def test_labels_are_ordered_by_text(tmp_path):
    path = _write(tmp_path, "f,label\n1,9\n2,10\n3,9\n4,2\n5,10\n")
    ds = load_dataset(path, test_fraction=0.0, normalize="none")
    assert ds.class_names == ("10", "2", "9")
    assert ds.y_train.tolist() == [2, 0, 2, 1, 0]
    assert ds.name == str(path)


def test_arrays_input():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    y = ["b", "a", "b", "a"]
    ds = load_dataset((x, y), test_fraction=0.0, normalize="none")
    assert ds.name == "arrays"
    assert ds.class_names == ("a", "b")
    assert ds.feature_names == ("x1", "x2")
    assert ds.y_train.tolist() == [1, 0, 1, 0]
    np.testing.assert_array_equal(ds.x_train, x)
    assert ds.x_train is not x
    ints = load_dataset((x.astype(int), np.array([1, 0, 1, 0])), test_fraction=0.0)
    assert ints.class_names == ("0", "1")
    assert ints.y_train.tolist() == [1, 0, 1, 0]


def test_halves_round_up_in_the_split():
    """Classes of 5 and 7 at 0.5: 2.5 -> 3 and 3.5 -> 4 test items (not banker's rounding)."""
    x = np.arange(24.0).reshape(12, 2)
    y = np.array([0] * 5 + [1] * 7)
    ds = load_dataset((x, y), test_fraction=0.5)
    assert np.bincount(ds.y_test).tolist() == [3, 4]


def test_integer_array_labels_keep_numeric_order():
    x = np.arange(8.0).reshape(4, 2)
    ds = load_dataset((x, np.array([10, 2, 10, 2])), test_fraction=0.0)
    assert ds.class_names == ("2", "10")
    assert ds.y_train.tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize(
    ("x", "y", "fragment"),
    [
        (np.zeros(4), [0, 1, 0, 1], "2-D"),
        (np.zeros((4, 0)), [0, 1, 0, 1], "no feature"),
        (np.zeros((4, 2)), [0, 1, 0], "4 rows but y has 3"),
        (np.array([[0.0], [np.nan], [1.0], [2.0]]), [0, 1, 0, 1], "X[1, 0] = nan"),
        (np.array([[0.0], [np.inf], [1.0], [2.0]]), [0, 1, 0, 1], "not a finite number"),
        (np.array([["a"], ["b"]]), [0, 1], "numeric"),
        (np.zeros((4, 2)), [1, 1, 1, 1], "only one class ('1')"),
        (np.zeros((1, 2)), [1], "only 1 data row"),
        (np.zeros((4, 2)), np.zeros((4, 1)), "1-D"),
        (np.zeros((4, 2)), [0.5, 1.0, 0.0, 1.0], "y[0] = 0.5"),
        (np.zeros((4, 2)), ["a", "", "a", "b"], "y[1] is an empty label"),
    ],
)
def test_bad_arrays(x, y, fragment):
    with pytest.raises(InputError) as info:
        load_dataset((x, y))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("dataset:")
    assert fragment in message


def test_bad_source_type():
    with pytest.raises(InputError, match="dataset"):
        load_dataset(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="dataset"):
        load_dataset((np.zeros((2, 1)), [0, 1], "extra"))


# --------------------------------------------------------------------------- #
# CSV files
# --------------------------------------------------------------------------- #


def test_csv_reads_bom_blank_lines_crlf_and_empty_header_names(tmp_path):
    text = "\ufeffa,,b,kind\r\n1,2,3,x\r\n\r\n4, 5 ,6e-1, y \r\n\r\n\r\n"
    path = _write(tmp_path, text)
    x, labels, names = read_csv(path)
    assert names == ("a", "x2", "b")
    np.testing.assert_array_equal(x, [[1.0, 2.0, 3.0], [4.0, 5.0, 0.6]])
    assert x.dtype == np.float64
    assert labels.tolist() == ["x", "y"]


def test_csv_keeps_duplicate_header_names(tmp_path):
    path = _write(tmp_path, "v,v,label\n1,2,a\n3,4,b\n")
    _, _, names = read_csv(path)
    assert names == ("v", "v")


def test_csv_accepts_str_and_pathlike(tmp_path):
    path = _write(tmp_path, "v,label\n1,a\n2,b\n")
    for source in (path, str(path)):
        ds = load_dataset(source, test_fraction=0.0)
        assert ds.name == str(path) and ds.n_train == 2


LONG = "z" * 100

# (file content, fragments the message must contain, given the file name)
CSV_ERRORS = {
    "empty": ("", ["is empty"]),
    "only blank lines": ("\n\n  \n", ["is empty"]),
    "header only": ("a,b,label\n", ["no data rows"]),
    "one column": ("label\nx\ny\n", ["line 1", "1 column"]),
    "ragged row": (
        "a,b,c,d,label\n1,2,3,4,x\n1,2,3,4,y\n1,2,3,4,x\n1,2,3,4,y\n1,2,3,4,x\n1,2,x\n",
        ["line 7: 3 fields, the header has 5"],
    ),
    "ragged after blank": ("a,b,label\n1,2,x\n\n1,2,3,y\n", ["line 4: 4 fields, the header has 3"]),
    "not a number": (
        "sepal_length,sepal_width,label\n1,2,a\n1,2,b\n1,2,a\n1,abc,b\n",
        ["line 5, column 2 (sepal_width): 'abc' is not a number"],
    ),
    "underscore number": ("a,label\n1_000,x\n2,y\n", ["line 2, column 1 (a): '1_000' is not a number"]),
    "nan": ("a,b,label\n1,nan,x\n2,3,y\n", ["line 2, column 2 (b): 'nan' is not a finite number"]),
    "inf": ("a,b,label\n1,2,x\ninf,3,y\n", ["line 3, column 1 (a): 'inf' is not a finite number"]),
    "-Infinity": (
        "a,b,label\n1,2,x\n2,-Infinity,y\n",
        ["line 3, column 2 (b): '-Infinity' is not a finite number"],
    ),
    "empty number": ("a,b,label\n1,2,x\n2, ,y\n", ["line 3, column 2 (b)", "empty cell"]),
    "empty label": ("a,b,species\n1,2,x\n2,3,\n", ["line 3, column 3 (species)", "empty class label"]),
    "one class": ("a,species\n1,setosa\n2,setosa\n3,setosa\n", ["only one class ('setosa')"]),
    "one row": ("a,species\n1,setosa\n", ["only 1 data row"]),
    "long value": ("a,label\n1,x\n" + LONG + ",y\n", ["line 3, column 1 (a): '" + "z" * 39 + "…'"]),
}


@pytest.mark.parametrize("case", sorted(CSV_ERRORS))
def test_csv_errors(tmp_path, case):
    content, fragments = CSV_ERRORS[case]
    path = _write(tmp_path, content, name="bad.csv")
    with pytest.raises(InputError) as info:
        read_csv(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    assert LONG not in message
    # load_dataset gives the same error.
    with pytest.raises(InputError) as again:
        load_dataset(path)
    assert str(again.value) == message


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"a,label\n1,x\n\x00\x01\x02,y\n", ["not a text CSV file", "byte offset 12"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["not a text CSV file", "byte offset 8"]),
        (b"a,label\n1,caf\xe9\n2,b\n", ["not UTF-8", "0xE9", "byte offset 13"]),
        (b"\xef\xbb\xbfa,label\n\xff,x\n", ["not UTF-8", "0xFF", "byte offset 11"]),
    ],
)
def test_csv_binary_or_not_utf8(tmp_path, content, fragments):
    path = _write(tmp_path, content, name="blob.csv")
    with pytest.raises(InputError) as info:
        read_csv(path)
    message = str(info.value)
    assert "\n" not in message
    assert f"'{path}'" in message
    for fragment in fragments:
        assert fragment in message


def test_csv_missing_file(tmp_path):
    path = tmp_path / "x.csv"
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == f"cannot read '{path}': no such file"


def test_unknown_name_is_a_missing_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        load_dataset("irsi")
    message = str(info.value)
    assert message.startswith("cannot read 'irsi': no such file")
    assert "iris" in message.removeprefix("cannot read 'irsi'")


def test_csv_folder(tmp_path):
    with pytest.raises(InputError) as info:
        read_csv(tmp_path)
    message = str(info.value)
    assert f"'{tmp_path}'" in message and "folder" in message


def test_csv_unreadable(tmp_path):
    path = _write(tmp_path, "a,label\n1,x\n2,y\n")
    path.chmod(0)
    try:
        if path.stat().st_mode & 0o777 != 0 or _can_read(path):
            pytest.skip("file permissions are not enforced here (root?)")
        with pytest.raises(InputError) as info:
            read_csv(path)
        assert str(info.value) == f"cannot read '{path}': permission denied"
    finally:
        path.chmod(0o644)


def _can_read(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


def test_csv_integer_labels_are_text(tmp_path):
    path = _write(tmp_path, "a,label\n1,1\n2,01\n3,1\n")
    _, labels, _ = read_csv(path)
    assert labels.tolist() == ["1", "01", "1"]
    assert load_dataset(path, test_fraction=0.0).class_names == ("01", "1")


# --------------------------------------------------------------------------- #
# Generated sets
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("name", "n", "k"), [("xor", 200, 2), ("circles", 200, 2), ("spirals", 300, 2), ("blobs", 200, 3)]
)
def test_generated_defaults(name, n, k):
    ds = load_dataset(name)
    assert ds.name == name
    assert ds.n_train + ds.n_test == n
    assert ds.n_inputs == 2 and ds.n_classes == k
    assert len(ds.class_names) == k and len(set(ds.class_names)) == k
    assert ds.feature_names == ("x1", "x2")
    assert set(ds.y_train.tolist()) == set(range(k))
    assert set(ds.y_test.tolist()) == set(range(k))


MAKERS = {"xor": make_xor, "circles": make_circles, "spirals": make_spirals}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_make_two_class_sets(name):
    make = MAKERS[name]
    x, y = make(101, 0.1, np.random.default_rng(5))
    assert x.shape == (101, 2) and x.dtype == np.float64 and x.flags.c_contiguous
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(y.tolist()) == {0, 1}
    assert abs(np.count_nonzero(y == 0) - np.count_nonzero(y == 1)) <= 1
    x2, y2 = make(101, 0.1, np.random.default_rng(5))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = make(101, 0.1, np.random.default_rng(6))
    assert not np.array_equal(x, x3)
    x4, _ = make(101, 0.3, np.random.default_rng(5))
    assert not np.allclose(x, x4)
    small_x, small_y = make(4, 0.0, np.random.default_rng(0))
    assert small_x.shape == (4, 2) and set(small_y.tolist()) == {0, 1}


def test_xor_geometry():
    x, y = make_xor(400, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(np.abs(x), 1.0)
    np.testing.assert_array_equal(y, (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(int))


def test_circles_geometry():
    x, y = make_circles(400, 0.0, np.random.default_rng(0))
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)


def test_spirals_arms_are_half_a_turn_apart():
    x, y = make_spirals(300, 0.0, np.random.default_rng(0))
    # Without noise, rotating arm 0 by half a turn lands on arm 1's curve:
    # radius r = 2t, angle 3*pi*t (+ pi for arm 1).
    for arm in (0, 1):
        pts = x[y == arm]
        r = np.hypot(pts[:, 0], pts[:, 1])
        angle = 1.5 * np.pi * r + np.pi * arm
        np.testing.assert_allclose(pts[:, 0], r * np.cos(angle), atol=1e-9)
        np.testing.assert_allclose(pts[:, 1], r * np.sin(angle), atol=1e-9)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_blobs(k):
    x, y = make_blobs(10 * k + 1, 0.2, np.random.default_rng(1), k)
    assert x.shape == (10 * k + 1, 2) and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(k))
    assert np.bincount(y).min() >= 10
    ds = load_dataset("blobs", classes=k, samples=10 * k, data_seed=2)
    assert ds.n_classes == k


def test_generated_determinism_and_options():
    a = load_dataset("spirals", data_seed=1, normalize="none")
    b = load_dataset("spirals", data_seed=1, normalize="none")
    c = load_dataset("spirals", data_seed=2, normalize="none")
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    noisy = load_dataset("spirals", data_seed=1, noise=0.5, normalize="none")
    assert not np.allclose(a.x_train, noisy.x_train)
    assert load_dataset("xor", samples=40).n_train + load_dataset("xor", samples=40).n_test == 40


def test_iris_ignores_generator_options():
    a = load_dataset("iris", samples=2, noise=-1.0, classes=99)
    assert a.n_train == 120


# --------------------------------------------------------------------------- #
# Option validation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("kwargs", "option", "value"),
    [
        ({"test_fraction": 1.0}, "test_fraction=", "1.0"),
        ({"test_fraction": -0.1}, "test_fraction=", "-0.1"),
        ({"test_fraction": math.nan}, "test_fraction=", "nan"),
        ({"test_fraction": "0.2"}, "test_fraction=", "'0.2'"),
        ({"normalize": "minmax"}, "normalize=", "'minmax'"),
        ({"normalize": None}, "normalize=", "None"),
        ({"data_seed": -1}, "data_seed=", "-1"),
        ({"data_seed": 1.5}, "data_seed=", "1.5"),
    ],
)
def test_option_errors(kwargs, option, value):
    with pytest.raises(InputError) as info:
        load_dataset("iris", **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(option + ":")
    assert message.endswith(value)


@pytest.mark.parametrize(
    ("name", "kwargs", "option", "value"),
    [
        ("xor", {"samples": 3}, "samples=", "3"),
        ("circles", {"samples": True}, "samples=", "True"),
        ("spirals", {"samples": 100.0}, "samples=", "100.0"),
        ("blobs", {"samples": 9, "classes": 5}, "samples=", "9"),
        ("xor", {"noise": -0.1}, "noise=", "-0.1"),
        ("circles", {"noise": math.inf}, "noise=", "inf"),
        ("spirals", {"noise": math.nan}, "noise=", "nan"),
        ("blobs", {"classes": 1}, "classes=", "1"),
        ("blobs", {"classes": 11}, "classes=", "11"),
    ],
)
def test_generator_option_errors(name, kwargs, option, value):
    with pytest.raises(InputError) as info:
        load_dataset(name, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(option + ":")
    assert message.endswith(value)


def test_make_functions_validate_too():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="^samples=:"):
        make_circles(2, 0.1, rng)
    with pytest.raises(InputError, match="^noise=:"):
        make_xor(10, -1.0, rng)
    with pytest.raises(InputError, match="^classes=:"):
        make_blobs(100, 0.1, rng, 0)


# --------------------------------------------------------------------------- #
# Hints: another separator, the class label in another column
# --------------------------------------------------------------------------- #

SEPARATOR_HINT = "Momentum Lab reads comma-separated files (save it as CSV with commas)"
LABEL_HINT = "the class label must be the last column (column 1 'species' looks like a label: move it last)"


def _cli_error(path: Path) -> str:
    """The one line the command prints for ``train --dataset path``, which must exit 2."""
    import io

    from momentum_lab.cli import main

    err = io.StringIO()
    assert main(["train", "--dataset", str(path), "--epochs", "1"], out=io.StringIO(), err=err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    return lines[0]


def _iris_species_first(tmp_path: Path, coded: bool = False) -> Path:
    """The shipped Iris file with its label column moved first (as codes 0, 1, 2 if ``coded``)."""
    from momentum_lab._resources import resource_path

    rows = [line.split(",") for line in Path(resource_path("datasets", "iris.csv")).read_text().split()]
    codes = {name: str(k) for k, name in enumerate(sorted({r[-1] for r in rows[1:]}))}
    lines = [",".join([r[-1] if i == 0 or not coded else codes[r[-1]]] + r[:-1])
             for i, r in enumerate(rows)]
    return _write(tmp_path, "\n".join(lines) + "\n", name="iris_first.csv")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("a;b;label\n1;2;x\n3;4;y\n", "';'"),
        ("a;b;label\n1,5;2,0;x\n3,1;4,2;y\n", "';'"),  # decimal commas
        ("a\tb\tlabel\n1\t2\tx\n3\t4\ty\n", "tabs"),
    ],
)
def test_another_separator_is_named(tmp_path, content, named):
    path = _write(tmp_path, content)
    expected = f"{path}, line 1: the columns are separated by {named}; {SEPARATOR_HINT}"
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == expected
    assert _cli_error(path) == f"momentum-lab: error: {expected}"


def test_a_data_line_with_another_separator_is_named(tmp_path):
    path = _write(tmp_path, "a,b,label\n1,2,x\n3;4;y\n")
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == (f"{path}, line 3: 1 fields, the header has 3 (this line's columns are "
                               "separated by ';'; Momentum Lab reads comma-separated files)")


def test_one_column_without_another_separator_keeps_its_message(tmp_path):
    path = _write(tmp_path, "label\nx\ny\n")
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert "only 1 column" in str(info.value) and "separated" not in str(info.value)


def test_a_text_label_in_the_first_column_is_named(tmp_path):
    path = _write(tmp_path, "species,sepal_length,petal_width\n"
                            "setosa,5.1,0.2\nversicolor,7.0,1.4\nsetosa,4.9,0.25\nversicolor,6.4,1.5\n")
    expected = f"{path}, line 2, column 1 (species): 'setosa' is not a number; {LABEL_HINT}"
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == expected
    assert _cli_error(path) == f"momentum-lab: error: {expected}"


def test_iris_with_the_species_first_is_named(tmp_path):
    path = _iris_species_first(tmp_path)
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == (f"{path}, line 2, column 1 (species): 'setosa' is not a number; "
                               f"{LABEL_HINT}")


def test_whole_number_labels_in_the_first_column_are_named(tmp_path):
    rng = np.random.default_rng(0)
    path = _write(tmp_path, "species,a,b\n" + "".join(
        f"{i % 3},{rng.normal():.6f},{rng.normal():.6f}\n" for i in range(300)))
    with pytest.raises(InputError) as info:
        load_dataset(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 300 classes (distinct labels in the last column, e.g. '")
    assert message.endswith(f"at most 100 are trained; {LABEL_HINT}")
    assert _cli_error(path) == f"momentum-lab: error: {message}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # The last column is text: it may well be the label; the first is a bad feature.
        ("name,a,label\nbob,1,x\nbob,2,y\n", "line 2, column 1 (name): 'bob' is not a number"),
        # The last column holds whole numbers: a label, as far as one can tell.
        ("name,a,label\nbob,1,0\nbob,2,1\n", "line 2, column 1 (name): 'bob' is not a number"),
        # The text column does not repeat: not a label either.
        ("name,a,b\nbob,1,0.5\nann,2,1.5\n", "line 2, column 1 (name): 'bob' is not a number"),
    ],
)
def test_no_label_hint_where_the_last_column_may_be_the_label(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value) == f"{path}, {message}"


def test_many_text_labels_keep_the_question(tmp_path):
    path = _write(tmp_path, "a,b,label\n" + "".join(f"{i % 3},{i},id{i}\n" for i in range(150)))
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert str(info.value).endswith("at most 100 are trained: is the class label the last column?")


def test_hint_checks_leave_good_files_alone(tmp_path):
    ds = load_dataset("iris")
    assert ds.class_names == IRIS_CLASSES and ds.n_inputs == 4
    path = _write(tmp_path, "a;b,c,label\n1,2,x\n3,4,y\n")  # a ';' inside a header name
    x, labels, names = read_csv(path)
    assert names == ("a;b", "c") and labels.tolist() == ["x", "y"]

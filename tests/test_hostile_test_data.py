"""Hostile input to ``--test-data``: a test file of one's own in place of a held-out split must
be the training file's like (its header and classes), else one line naming the file, line,
column and what differs, exit status 2, no traceback."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from momentum_lab._resources import resource_path
from momentum_lab.cli import main
from momentum_lab.engine import InputError, load_dataset


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def refused(*argv: object) -> str:
    """The one line of a command refused with exit status 2 (no traceback)."""
    code, out, err = cli(*argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and out == ""
    return err.strip()


def _own_split(tmp_path: Path, test_lines: list[str] | None = None, header: str | None = None) -> tuple[Path, Path]:
    train = tmp_path / "train.csv"
    train.write_text(resource_path("datasets", "iris-article-train.csv").read_text())
    lines = resource_path("datasets", "iris-article-test.csv").read_text().splitlines()
    test = tmp_path / "test.csv"
    test.write_text("\n".join([header or lines[0], *(lines[1:] if test_lines is None else test_lines)]) + "\n")
    return train, test


def test_a_users_own_split_trains_on_all_of_one_file_and_tests_on_the_other(tmp_path):
    train, test = _own_split(tmp_path, ["5.0,3.5,1.3,0.3,setosa"])  # one row, one class: enough
    data = load_dataset(train, test_data=test)
    assert (data.n_train, data.n_test) == (120, 1)
    # z-scored with the training file's statistics, the test row too.
    raw = np.loadtxt(train, delimiter=",", skiprows=1, usecols=range(4))
    np.testing.assert_allclose(data.x_test[0], ([5.0, 3.5, 1.3, 0.3] - raw.mean(axis=0)) / raw.std(axis=0))
    code, out, err = cli("train", "--dataset", train, "--test-data", test, "--test-fraction", "0.5",
                         "--epochs", "1", "-q")
    assert code == 0 and "--test-fraction is not used with --test-data" in err


@pytest.mark.parametrize(("lines", "header", "message"), [
    (None, "sepal_length,sepal_width,petal_len,petal_width,species",
     "test.csv, line 1, column 3: 'petal_len' where the training file '{train}' has 'petal_length'"),
    (None, "sepal_length,sepal_width,petal_length,species",
     "test.csv, line 1: 4 columns, the training file '{train}' has 5"),
    (["5.0,3.5,1.3,0.3,setosa", "6.1,2.8,4.7,1.2,versicolour"], None,
     "test.csv, line 3, column 5 (species): class 'versicolour' is not one of the training file's "
     "(setosa, versicolor, virginica)"),
    (["5.0,3.5,1.3,0.3,setosa", "6.1,2.8,x,1.2,versicolor"], None, "test.csv, line 3, column 3"),
    ([], None, "has a header (line 1) but no data rows"),
])
def test_a_test_file_unlike_the_training_file_is_refused_naming_what_differs(tmp_path, lines, header, message):
    train, test = _own_split(tmp_path, lines, header)
    line = refused("train", "--dataset", train, "--test-data", test, "--epochs", "1")
    assert line.startswith("momentum-lab: error: ") and message.format(train=train) in line
    with pytest.raises(InputError, match="test.csv"):
        load_dataset(train, test_data=test)


def test_a_missing_or_empty_or_misplaced_test_file_is_refused(tmp_path):
    assert "cannot read 'nope.csv': no such file" in refused("train", "--test-data", "nope.csv")
    assert "--test-data: empty path" in refused("train", "--test-data", " ")
    assert "goes with a data set read from a file" in refused("train", "--dataset", "xor", "--test-data", "iris")
    # The test file is an input: no output may overwrite it.
    train, test = _own_split(tmp_path)
    assert "test.csv" in refused("train", "--dataset", train, "--test-data", test, "--history", test)

"""Hostile input to ``--test-data``: a test file of one's own in place of a held-out split must
be the training file's like (its header and classes), else one line naming the file, line,
column and what differs, exit status 2, no traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

import momentum_lab as ml
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


def test_a_presets_test_file_goes_with_its_own_data_set_only(tmp_path):
    """``--preset article --dataset xor`` was refused naming ``--test-data``, which the user never
    gave; ``--dataset iris`` beside it trained on all 150 items, the article's 30 test items among
    them. Another data set given beside the preset is split as any is; a test file given too stays."""
    code, out, err = cli("train", "--preset", "article", "--dataset", "xor", "--epochs", "1", "-q")
    assert code == 0 and "1 epoch, 160 updates" in out, err  # xor: 200 items, 0.2 held out
    code, out, err = cli("train", "--preset", "article", "--dataset", "iris", "--epochs", "1", "-q")
    assert code == 0 and "1 epoch, 120 updates" in out, err  # not 150: Iris split, none tested on trained items
    code, out, err = cli("train", "--preset", "article", "--dataset", "iris", "--test-data", "iris-article-test",
                         "--epochs", "1", "-q")
    assert code == 0 and "1 epoch, 150 updates" in out, err  # asked for: all of Iris trains
    own = ml.train(**ml.preset("article", dataset="iris", epochs=1))
    assert (own.dataset.n_train, own.dataset.n_test, own.options["test_data"]) == (120, 30, None)
    assert ml.preset("article", epochs=1)["test_data"] == "iris-article-test"


def test_a_test_file_beside_a_generated_set_in_a_scenario_names_its_key(tmp_path):
    """In a scenario or a lesson file the message named ``--test-data`` (the engine's keyword turned
    into a flag no one typed): it names the file's key."""
    (tmp_path / "test.csv").write_text(resource_path("datasets", "iris-article-test.csv").read_text())
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "dataset": "xor", "test_data": "test.csv"}))
    line = refused("train", "--scenario", path)
    assert line == (f"momentum-lab: error: {path}: 'test_data': goes with a data set read from a file (a CSV path "
                    "or a shipped set), not the generated set 'xor'")
    weights = tmp_path / "w.npz"
    ml.train("xor", epochs=1, hidden=3, save_weights=weights)
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "init_weights": "w.npz"}))
    line = refused("train", "--scenario", path)
    assert f"{path}: 'init_weights' '{weights}': ih_weights has shape (2, 3), the network needs (4, 7)" in line
    assert "--" not in line.removeprefix("momentum-lab: error: ")


@pytest.mark.parametrize(("options", "message"), [
    (dict(test_data=5), "test_data=: expected a CSV path or a shipped set's name, got int"),
    (dict(test_data=b"test.csv"), "test_data=: expected a CSV path or a shipped set's name, got bytes"),
    (dict(test_data=(np.zeros((2, 4)), np.zeros(2))), "test_data=: expected a CSV path or a shipped set's name, "
                                                       "got tuple"),
    (dict(init_weights=5), "init_weights=: expected an .npz path or a dict of the four named arrays, got int"),
])
def test_the_api_refuses_a_test_file_that_is_no_path_naming_the_keyword(options, message):
    """These raised TypeError from deep inside the reader (os.fspath), naming nothing."""
    with pytest.raises(InputError) as info:
        ml.train("iris-article-train", epochs=1, **options)
    assert str(info.value) == message


def test_an_unknown_preset_of_any_kind_is_an_input_error():
    with pytest.raises(InputError, match=r"unknown preset \['article'\]"):  # (was TypeError: unhashable)
        ml.preset(["article"])


def test_a_generated_set_named_as_the_test_file_is_said_to_be_one():
    """It was "cannot read 'xor': no such file (known data sets: ..., xor, ...)": refused as missing
    by a list that names it."""
    line = refused("train", "--test-data", "xor", "--epochs", "1")
    assert line == ("momentum-lab: error: --test-data: 'xor' is a generated set, not a file; a test file is a CSV "
                    "path or a shipped set (iris, iris-article-train, iris-article-test)")
    with pytest.raises(InputError, match="^test_data=: expected a CSV path or a shipped set's name, got int$"):
        load_dataset("iris", test_data=5)  # the reader itself, not only the run's options


def test_the_note_on_test_fraction_names_where_the_test_file_came_from():
    """Beside --preset article it said "not used with --test-data", an option no one gave."""
    code, _, err = cli("train", "--preset", "article", "--test-fraction", "0.5", "--epochs", "1", "-q")
    assert code == 0 and err == ("momentum-lab: note: --test-fraction is not used with --preset article's own test "
                                 "file (the whole data set trains)\n")

"""Hostile batch sizes, on the command line, through the API and in scenario files.

Each bad value is refused as every option's is: exit status 2 and one line naming the option and
the value (no traceback, nothing written); the API and the readers raise InputError naming it.
A whole number beyond the training set is not refused: it is the whole set (as ``full``), as the
help says.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine import InputError, RunConfig, load_scenario, steps_per_epoch

pytestmark = pytest.mark.timeout(120)

# A value as typed, and as the message shows it (a whole number as a number, any other text quoted).
BAD = [("0", "got 0"), ("-3", "got -3"), ("2147483648", "got 2147483648"), ("1.5", "got '1.5'"),
       ("fulll", "got 'fulll'"), ("1e99", "got '1e99'"), ("", "got ''"), ("Full", "got 'Full'"),
       (" full", "got ' full'"), ("0x10", "got '0x10'"), ("nan", "got 'nan'"), ("inf", "got 'inf'"),
       ("9" * 5000, "got '999999")]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("value", "shown"), BAD)
def test_a_bad_batch_size_on_the_command_line_is_one_line_and_status_2(tmp_path, value, shown):
    history = tmp_path / "history.csv"
    code, out, err = run("train", "--epochs", "1", "--batch-size", value, "--history", str(history))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("momentum-lab: error: --batch-size: must be a whole number from 1 to 2147483647 "
                               "or 'full', got "), lines[0]
    assert lines[0].endswith(shown) or shown.startswith("got '9") and shown in lines[0], lines[0]
    assert len(lines[0]) < 200  # a 5,000-digit value is cut short
    assert not history.exists()


@pytest.mark.parametrize("command", [["sweep", "--out", "sweep.csv"], ["gui", "--screenshot", "shot.png"]])
def test_the_other_commands_refuse_it_alike(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*command, "--epochs", "1", "--batch-size", "fulll")
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "--batch-size: must be a whole number from 1 to 2147483647 or 'full', got 'fulll'" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [0, -3, 1.5, "fulll", 1e99, 10**99, True, None, "7", np.float64(7.0), [7]])
def test_the_api_refuses_it_naming_the_keyword(value):
    with pytest.raises(InputError) as info:
        ml.train("iris", epochs=1, batch_size=value)
    text = str(info.value)
    assert text.startswith("batch_size=: must be a whole number from 1 to 2147483647 or 'full', got ")
    assert "\n" not in text


def test_numpy_integers_are_whole_numbers():
    assert RunConfig(batch_size=np.int64(7)).batch_size == 7
    assert type(RunConfig(batch_size=np.int64(7)).batch_size) is int


def test_a_batch_beyond_the_training_set_is_the_whole_set():
    code, out, err = run("train", "--epochs", "2", "--batch-size", "121", "-q")  # Iris trains on 120 items
    assert code == 0 and "2 epochs, 2 updates" in out, err
    beyond = ml.train("iris", epochs=2, batch_size=2147483647)
    full = ml.train("iris", epochs=2, batch_size="full")
    np.testing.assert_array_equal(beyond.history.rows, full.history.rows)


@pytest.mark.parametrize(("value", "shown"), [(0, "got 0"), (-3, "got -3"), (1.5, "got 1.5"), ("fulll", "'fulll'"),
                                              (1e99, "1e+99"), (True, "True"), ([1], "[1]"), ({}, "{}"),
                                              (10**90, "got 1000000")])
def test_a_scenario_file_with_a_bad_batch_size_names_the_file_the_key_and_the_value(tmp_path, value, shown):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "batch_size": value}))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "'batch_size'" in text and "\n" not in text, text
    assert shown in text and "or 'full'" in text, text


def test_train_scenario_refuses_it_with_status_2(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "batch_size": "fulll"}))
    code, out, err = run("train", "--scenario", str(path))
    assert code == 2 and len(err.splitlines()) == 1, err
    assert str(path) in err and "'batch_size'" in err and "'fulll'" in err


def test_a_numpy_full_is_kept_as_the_plain_text():
    """np.str_("full") was kept as it came, and so was a run's batch_size option."""
    r = ml.train("iris", epochs=1, batch_size=np.str_("full"))
    assert type(RunConfig(batch_size=np.str_("full")).batch_size) is str
    assert type(r.options["batch_size"]) is str and r.steps == 1


@pytest.mark.parametrize(("batch", "epochs", "steps"), [("full", [0.5, 1.5, 2.5, 3.5], [1, 2, 3, 4]),
                                                         (7, [0.25, 0.75, 1.25], [5, 14, 23]),
                                                         (1, [0.5, 2], [60, 240])])
def test_a_change_at_a_fraction_of_an_epoch_lands_on_the_nearer_update_a_tie_on_the_later(tmp_path, batch, epochs,
                                                                                           steps):
    """Epoch E is E x (updates an epoch) updates in: at one update an epoch (full batch), 1.5 and 2.5
    both landed on update 2 (round() takes a tie to the even number), 0.5 on update 0."""
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "batch_size": batch,
                                "changes": [{"epoch": e, "setting": "lr", "value": 0.1 + i / 100}
                                            for i, e in enumerate(epochs)]}))
    assert [c.step for c in load_scenario(path).changes] == steps


@pytest.mark.parametrize("value", ["fulll", 0, -1, 1.5, None])
def test_the_epoch_length_of_a_bad_batch_size_is_an_input_error(value):
    """steps_per_epoch("fulll", 120) raised ValueError from int(); 0 and -1 counted as 1."""
    with pytest.raises(InputError, match="^batch_size=: must be a whole number from 1 to 2147483647 or 'full'"):
        steps_per_epoch(value, 120)
    assert [steps_per_epoch(b, 120) for b in ("full", np.int64(7), 7, 10**9)] == [1, 18, 18, 1]

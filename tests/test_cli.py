"""The ``momentum-lab`` command and the Python API's ``train``, held to the README's contract.

Most tests call ``main(argv, out, err)`` in-process; a few run a real process to check the exit
status, the ``python -m momentum_lab`` entry and the installed console script.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine._atomic import atomic_write

HEADER = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,lr,momentum,stability"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEIGHT_SHAPES = {"ih_weights": (4, 7), "h_biases": (7,), "ho_weights": (7, 3), "o_biases": (3,)}
DELTA_FOR = {"ih_weights": "ih_deltas", "h_biases": "h_bias_deltas", "ho_weights": "ho_deltas",
             "o_biases": "o_bias_deltas"}
N_TRAIN = 120  # Iris: 150 items, 0.2 of each class held out

# Heavy-ball momentum with a low weight limit: passes the limit a few epochs in (not in the first).
DIVERGE_KW = {"rule": "classical", "lr": 0.1, "momentum": 0.9, "weight_limit": 10.0, "epochs": 20}
DIVERGE_ARGS = ["--rule", "classical", "--lr", "0.1", "--momentum", "0.9", "--weight-limit", "10",
                "--epochs", "20"]


class Run(NamedTuple):
    code: int
    out: str
    err: str


class TTY(io.StringIO):
    """An error stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def run(*argv: object, tty: bool = False) -> Run:
    out, err = io.StringIO(), (TTY() if tty else io.StringIO())
    code = main([str(a) for a in argv], out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def temp_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]


def read_history(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    values = np.array([[float(c) if c else np.nan for c in row] for row in rows[1:]])
    return rows[0], values


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def random_weights(seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-0.5, 0.5, size=shape) for name, shape in WEIGHT_SHAPES.items()}


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------
# 1. A whole run through the command line
# --------------------------------------------------------------------------------------------


def test_train_writes_history_weights_deltas_and_plot(tmp_path):
    h, w, d, p = (tmp_path / n for n in ("h.csv", "w.npz", "d.npz", "p.png"))
    r = run("train", "--epochs", 5, "--history", h, "--save-weights", w, "--deltas", d, "--plot", p)
    assert r.code == 0, r.err

    # History: the README's header, rows for epochs 0..5, the run's settings in every row.
    assert h.read_text(encoding="utf-8").splitlines()[0] == HEADER
    header, rows = read_history(h)
    assert rows.shape == (6, 8)
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert np.all(rows[:, 5] == 0.01) and np.all(rows[:, 6] == 0.5)
    assert np.all(np.isfinite(rows[:, 1:5]))
    assert np.all((rows[:, [2, 4]] >= 0) & (rows[:, [2, 4]] <= 1))
    assert rows[-1, 1] < rows[0, 1]  # it learned something in 5 epochs

    # Weights: exactly the four parameters of a 4-7-3 network.
    weights = load_npz(w)
    assert {k: v.shape for k, v in weights.items()} == WEIGHT_SHAPES
    assert all(v.dtype == np.float64 and np.all(np.isfinite(v)) for v in weights.values())

    # Deltas: one row per update, 5 epochs x 120 items.
    deltas = load_npz(d)
    assert {k: v.shape for k, v in deltas.items()} == {
        "ih_deltas": (600, 4, 7), "h_bias_deltas": (600, 7), "ho_deltas": (600, 7, 3), "o_bias_deltas": (600, 3)}

    assert p.read_bytes().startswith(PNG_SIGNATURE)

    lines = r.out.splitlines()
    assert re.match(r"5 epochs, 600 updates in [\d.]+ s \([\d.]+M updates/s\)\.", lines[0]), lines[0]
    assert re.search(r"train loss [\d.e+-]+, accuracy [\d.]+%; test loss [\d.e+-]+, accuracy [\d.]+%\.", lines[0])
    for what, path in (("history", h), ("weights", w), ("deltas", d), ("error curves", p)):
        assert f"Wrote the {what} to {path}" in lines


def test_cli_files_match_the_python_api_and_deltas_add_up(tmp_path):
    h, w, d = tmp_path / "h.csv", tmp_path / "w.npz", tmp_path / "d.npz"
    assert run("train", "--epochs", 5, "--history", h, "--save-weights", w, "--deltas", d, "-q").code == 0
    result = ml.train("iris", epochs=5, record_deltas=True)

    _, rows = read_history(h)
    np.testing.assert_array_equal(rows, result.history.rows)  # the CSV keeps every bit
    weights, deltas = load_npz(w), load_npz(d)
    for name, delta_name in DELTA_FOR.items():
        np.testing.assert_array_equal(weights[name], result.weights[name])
        np.testing.assert_array_equal(deltas[delta_name], result.deltas[delta_name])
        # The delta is the total change applied at a step: they add up to final - initial.
        change = weights[name] - result.initial_weights[name]
        assert np.abs(change).max() > 1e-3
        np.testing.assert_allclose(deltas[delta_name].sum(axis=0), change, rtol=0, atol=1e-12)


def test_a_csv_dataset_trains_through_the_command_line(tmp_path):
    rng = np.random.default_rng(3)
    lines = ["x1,x2,kind"]
    for label, centre in (("north", (0, 3)), ("south", (0, -3)), ("east", (3, 0)), ("west", (-3, 0))):
        for _ in range(10):
            x = np.add(centre, rng.normal(0, 0.3, 2))
            lines.append(f"{float(x[0])!r},{float(x[1])!r},{label}")
    data = tmp_path / "points.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    w = tmp_path / "w.npz"
    r = run("train", "--dataset", data, "--hidden", 5, "--epochs", 3, "--save-weights", w)
    assert r.code == 0, r.err
    assert {k: v.shape for k, v in load_npz(w).items()} == {
        "ih_weights": (2, 5), "h_biases": (5,), "ho_weights": (5, 4), "o_biases": (4,)}
    assert r.out.startswith("3 epochs, 96 updates")  # 40 items, 2 of each class held out


def test_test_fraction_zero_leaves_the_test_columns_empty(tmp_path):
    h = tmp_path / "h.csv"
    r = run("train", "--epochs", 2, "--test-fraction", 0, "--history", h, "-q")
    assert r.code == 0, r.err
    with open(h, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    assert all(row["test_loss"] == "" and row["test_accuracy"] == "" and row["train_loss"] for row in rows)
    assert r.out.startswith("2 epochs, 300 updates")
    assert "test" not in r.out.splitlines()[0]


# --------------------------------------------------------------------------------------------
# 2. Weights round trip
# --------------------------------------------------------------------------------------------


def test_saved_weights_load_back_exactly(tmp_path):
    w, h1, h2 = tmp_path / "w.npz", tmp_path / "h1.csv", tmp_path / "h2.csv"
    assert run("train", "--epochs", 5, "--save-weights", w, "--history", h1, "-q").code == 0
    saved = load_npz(w)

    again = ml.train("iris", init_weights=w, epochs=1)
    assert set(again.initial_weights) == set(WEIGHT_SHAPES)
    for name in WEIGHT_SHAPES:
        np.testing.assert_array_equal(again.initial_weights[name], saved[name])

    # Through the command line: the second run's row 0 evaluates the first run's final weights.
    assert run("train", "--epochs", 1, "--init-weights", w, "--history", h2, "-q").code == 0
    _, first = read_history(h1)
    _, second = read_history(h2)
    np.testing.assert_array_equal(second[0, 1:7], first[-1, 1:7])
    # (The readout: the second run measures every item's curvature at its row 0; the first run's
    # last row holds them as measured at epoch 4 and after, some of them older.)
    assert second[0, 7] == pytest.approx(first[-1, 7], rel=0.5)
    assert second[0, 0] == 0


def test_init_weights_override_the_seed(tmp_path):
    w = tmp_path / "start.npz"
    np.savez(w, **random_weights())
    a = ml.train("iris", init_weights=w, epochs=2, seed=1)
    b = ml.train("iris", init_weights=w, epochs=2, seed=1)
    c = ml.train("iris", epochs=2, seed=1)
    np.testing.assert_array_equal(a.history.rows, b.history.rows)
    for name, value in random_weights().items():
        np.testing.assert_array_equal(a.initial_weights[name], value)
    assert not np.array_equal(a.history.rows, c.history.rows)


# --------------------------------------------------------------------------------------------
# 3. Determinism
# --------------------------------------------------------------------------------------------


def _history_bytes(tmp_path: Path, name: str, *options: object) -> bytes:
    path = tmp_path / name
    r = run("train", "--epochs", 3, "--history", path, "-q", *options)
    assert r.code == 0, r.err
    return path.read_bytes()


def test_same_options_give_identical_files(tmp_path):
    assert _history_bytes(tmp_path, "a.csv", "--seed", 4) == _history_bytes(tmp_path, "b.csv", "--seed", 4)
    for name in ("a", "b"):
        assert run("train", "--epochs", 3, "--seed", 4, "--save-weights", tmp_path / f"{name}.npz",
                   "--deltas", tmp_path / f"{name}-d.npz", "-q").code == 0
    for suffix in (".npz", "-d.npz"):
        first, second = load_npz(tmp_path / f"a{suffix}"), load_npz(tmp_path / f"b{suffix}")
        assert first.keys() == second.keys()
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])


@pytest.mark.parametrize("options", [("--seed", 1), ("--no-shuffle",), ("--data-seed", 1), ("--rule", "nesterov")],
                         ids=lambda o: " ".join(map(str, o)))
def test_other_options_give_other_histories(tmp_path, options):
    base = _history_bytes(tmp_path, "base.csv")
    assert _history_bytes(tmp_path, "other.csv", *options) != base


def test_shuffle_flag_is_the_default(tmp_path):
    assert _history_bytes(tmp_path, "a.csv") == _history_bytes(tmp_path, "b.csv", "--shuffle")


# --------------------------------------------------------------------------------------------
# 4. Divergence
# --------------------------------------------------------------------------------------------


def test_divergence_exits_3_keeps_history_and_not_the_weights(tmp_path):
    expected = ml.train("iris", **DIVERGE_KW).divergence
    assert expected is not None and expected.epoch >= 2  # the options must diverge, but not at once

    h, w, d, p = (tmp_path / n for n in ("h.csv", "w.npz", "d.npz", "p.png"))
    w.write_bytes(b"earlier weights")
    r = run("train", *DIVERGE_ARGS, "--history", h, "--save-weights", w, "--deltas", d, "--plot", p)
    assert r.code == 3
    assert f"diverged at epoch {expected.epoch}, step {expected.step}" in r.err
    assert "limit 10" in r.err
    assert "not saved" in r.err

    # The history holds the epochs completed before the divergence.
    _, rows = read_history(h)
    assert rows[:, 0].tolist() == list(range(expected.epoch))
    # The weights file is neither written nor replaced.
    assert w.read_bytes() == b"earlier weights"
    assert "Wrote the weights" not in r.out
    assert "Wrote the history" in r.out
    # The deltas up to the divergence, and the curves, are written.
    assert load_npz(d)["ih_deltas"].shape == (expected.step, 4, 7)
    assert p.read_bytes().startswith(PNG_SIGNATURE)
    assert temp_leftovers(tmp_path) == []


def test_divergence_without_an_earlier_weights_file_writes_none(tmp_path):
    w = tmp_path / "w.npz"
    r = run("train", "--activation", "relu", "--rule", "classical", "--lr", 50, "--momentum", 0.9,
            "--epochs", 20, "--save-weights", w, "-q")
    assert r.code == 3
    assert re.search(r"diverged at epoch 1, step \d+: \S+ = \S+ passed the limit 1e\+06", r.err), r.err
    assert not w.exists()
    assert files_under(tmp_path) == []


# --------------------------------------------------------------------------------------------
# 5. Bad input: exit 2, one line on stderr naming the option or file and the value, nothing written
# --------------------------------------------------------------------------------------------


@pytest.fixture
def bad_inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "blank.csv").write_text("", encoding="utf-8")
    (folder / "bad.csv").write_text("a,b,label\n1,2,x\n3,zz,y\n4,5,x\n6,7,y\n", encoding="utf-8")
    (folder / "garbage.csv").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)))
    (folder / "text.npz").write_text("ih_weights = 1\n", encoding="utf-8")
    good = random_weights()
    np.savez(folder / "missing_key.npz", **{k: v for k, v in good.items() if k != "o_biases"})
    np.savez(folder / "extra_key.npz", **good, bonus=np.zeros(3))
    np.savez(folder / "shape.npz", **{**good, "ho_weights": np.zeros((7, 4))})
    nan = {k: v.copy() for k, v in good.items()}
    nan["h_biases"][3] = np.nan
    np.savez(folder / "nan.npz", **nan)
    np.savez(folder / "strings.npz", **{**good, "o_biases": np.array(["a", "b", "c"])})
    np.save(folder / "single.npy", good["ih_weights"])
    with zipfile.ZipFile(folder / "with_notes.npz", "w") as z:  # an archive member that is no array
        for name, value in good.items():
            with z.open(f"{name}.npy", "w") as member:
                np.save(member, value)
        z.writestr("notes.txt", "not an array")
    np.savez(folder / "huge.npz", **{**good, "o_biases": np.array([0.0, 5e6, 0.0])})
    (folder / "no_header.csv").write_text("1,2,x\n3,4,y\n5,6,x\n7,8,y\n", encoding="utf-8")
    (folder / "trailing_comma.csv").write_text("a,b,c,\n1,2,x,\n3,4,y,\n", encoding="utf-8")
    (tmp_path / "out" / "adir").mkdir(parents=True)
    return tmp_path


ZERO = re.compile(r"(?<![\w.])0(?![\w.])")
BAD_INPUTS = {
    # option values
    "negative lr": (["--lr", "-0.5"], ["--lr", "-0.5"]),
    "nan lr": (["--lr", "nan"], ["--lr", "nan"]),
    "inf lr": (["--lr", "inf"], ["--lr", "inf"]),
    "text lr": (["--lr", "abc"], ["--lr", "abc"]),
    "momentum 1": (["--momentum", "1.0"], ["--momentum", "1.0"]),
    "negative momentum": (["--momentum", "-0.1"], ["--momentum", "-0.1"]),
    "zero epochs": (["--epochs", "0"], ["--epochs", ZERO]),
    "fractional epochs": (["--epochs", "1.5"], ["--epochs", "1.5"]),
    "zero hidden": (["--hidden", "0"], ["--hidden", ZERO]),
    "test fraction 1": (["--test-fraction", "1"], ["--test-fraction", re.compile(r"\b1(\.0)?\b")]),
    "negative test fraction": (["--test-fraction", "-0.1"], ["--test-fraction", "-0.1"]),
    "negative seed": (["--seed", "-3"], ["--seed", "-3"]),
    "zero init scale": (["--init-scale", "0"], ["--init-scale", re.compile(r"\b0(\.0)?\b")]),
    "nan weight limit": (["--weight-limit", "nan"], ["--weight-limit", "nan"]),
    "unknown rule": (["--rule", "sideways"], ["--rule", "sideways"]),
    "unknown activation": (["--activation", "wobbly"], ["--activation", "wobbly"]),
    "unknown loss": (["--loss", "hinge"], ["--loss", "hinge"]),
    "unknown option": (["--learning-rate", "0.1"], ["--learning-rate"]),
    "too many deltas": (["--epochs", "100000000", "--deltas", "{out}/d.npz"], ["--deltas", "100000000"]),
    "too many epochs": (["--epochs", str(10**20)], ["--epochs", str(10**20)]),
    # data sets
    "missing dataset": (["--dataset", "{in}/nope.csv"], ["nope.csv"]),
    "unknown dataset name": (["--dataset", "irsi"], ["irsi"]),
    "empty csv": (["--dataset", "{in}/blank.csv"], ["blank.csv", "empty"]),
    "non-numeric cell": (["--dataset", "{in}/bad.csv"], ["bad.csv", "line 3", "column 2", "zz"]),
    "binary file": (["--dataset", "{in}/garbage.csv"], ["garbage.csv"]),
    "csv without header": (["--dataset", "{in}/no_header.csv"], ["no_header.csv", "line 1", "header"]),
    "csv trailing commas": (["--dataset", "{in}/trailing_comma.csv"], ["trailing_comma.csv", "comma"]),
    "empty dataset path": (["--dataset", ""], ["--dataset", "empty path"]),
    "generator option": (["--dataset", "blobs", "--classes", "1"], ["--classes", "1"]),
    # initial weights
    "init weights missing": (["--init-weights", "{in}/none.npz"], ["--init-weights", "none.npz"]),
    "init weights text": (["--init-weights", "{in}/text.npz"], ["--init-weights", "text.npz"]),
    "init weights npy": (["--init-weights", "{in}/single.npy"], ["--init-weights", "single.npy"]),
    "init weights folder": (["--init-weights", "{in}"], ["--init-weights", "{in}"]),
    "init weights missing key": (["--init-weights", "{in}/missing_key.npz"],
                                 ["--init-weights", "missing_key.npz", "o_biases"]),
    "init weights extra key": (["--init-weights", "{in}/extra_key.npz"], ["--init-weights", "extra_key.npz", "bonus"]),
    "init weights wrong shape": (["--init-weights", "{in}/shape.npz"],
                                 ["--init-weights", "shape.npz", "ho_weights", "(7, 4)"]),
    "init weights nan": (["--init-weights", "{in}/nan.npz"], ["--init-weights", "nan.npz", "h_biases"]),
    "init weights member not an array": (["--init-weights", "{in}/with_notes.npz"],
                                         ["--init-weights", "with_notes.npz", "notes"]),
    "init weights beyond the limit": (["--init-weights", "{in}/huge.npz"], ["--init-weights", "5e+06", "1e+06"]),
    "init scale beyond the limit": (["--init-scale", "2", "--weight-limit", "1"], ["--init-scale", "--weight-limit"]),
    "init weights strings": (["--init-weights", "{in}/strings.npz"], ["--init-weights", "strings.npz", "o_biases"]),
    "init weights other hidden": (["--hidden", "5", "--init-weights", "{in}/nan.npz"],
                                  ["--init-weights", "nan.npz", "ih_weights"]),
    # outputs
    "history folder missing": (["--history", "{out}/nodir/h.csv"], ["--history", "nodir"]),
    "weights folder missing": (["--save-weights", "{out}/nodir/w.npz"], ["--save-weights", "nodir"]),
    "deltas folder missing": (["--deltas", "{out}/nodir/d.npz"], ["--deltas", "nodir"]),
    "plot folder missing": (["--plot", "{out}/nodir/p.png"], ["--plot", "nodir"]),
    "empty history path": (["--history", ""], ["--history", "empty path"]),
    "history and deltas one file": (["--deltas", "{out}/h.csv"], ["--deltas", "h.csv", "--history"]),
    "plot and history one file": (["--plot", "{out}/h.csv"], ["--plot", "h.csv", "--history"]),
    "history is a folder": (["--history", "{out}/adir"], ["--history", "adir"]),
    "weights is a folder": (["--save-weights", "{out}/adir"], ["--save-weights", "adir"]),
    "deltas is a folder": (["--deltas", "{out}/adir"], ["--deltas", "adir"]),
    "plot is a folder": (["--plot", "{out}/adir"], ["--plot", "adir"]),
}


def _fill(text: str, root: Path) -> str:
    return text.format(**{"in": root / "in", "out": root / "out"})


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(bad_inputs, capsys, case):
    root = bad_inputs
    extra, fragments = BAD_INPUTS[case]
    out_dir = root / "out"
    outputs = {"--history": out_dir / "h.csv", "--save-weights": out_dir / "w.npz",
               "--deltas": out_dir / "d.npz", "--plot": out_dir / "p.png"}
    argv = ["train", "--epochs", "2"]
    for option, path in outputs.items():
        argv += [option, str(path)]
    argv += [_fill(a, root) for a in extra]  # later options win
    before = files_under(root)

    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    captured = capsys.readouterr()
    stderr = err.getvalue() + captured.err

    assert code == 2
    assert len(stderr_lines(stderr)) == 1, stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n")
    line = stderr.strip()
    for fragment in fragments:
        if isinstance(fragment, re.Pattern):
            assert fragment.search(line), (fragment.pattern, line)
        else:
            assert _fill(fragment, root) in line, (fragment, line)
    assert out.getvalue() == "" and captured.out == ""
    assert files_under(root) == before
    assert not any(path.exists() for path in outputs.values())


def test_the_api_raises_input_error_and_writes_nothing(tmp_path):
    h = tmp_path / "h.csv"
    # The API names its keywords (the command line its flags).
    with pytest.raises(ml.InputError, match=r"^momentum=.*1\.5"):
        ml.train("iris", momentum=1.5, history=h)
    with pytest.raises(ValueError, match="^lr="):  # InputError is a ValueError
        ml.train("iris", lr=float("nan"), history=h)
    with pytest.raises(ml.InputError, match="^lr="):
        ml.train("iris", lr="0.1")  # the API does not parse strings
    assert files_under(tmp_path) == []
    assert issubclass(ml.InputError, ValueError)


def test_input_error_is_always_one_line():
    assert str(ml.InputError("first\nsecond\r\n  third")) == "first second third"


def test_usage_errors_are_returned_in_process(capsys):
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(["train", "--lr", "abc"], out=out, err=err)
    except SystemExit as exc:
        code = ("raised SystemExit", exc.code)
    capsys.readouterr()
    assert code == 2
    assert "--lr" in err.getvalue() and "abc" in err.getvalue()


@pytest.mark.parametrize("argv, fragments", [
    (["train", "--momentun", "0.9"],
     ["momentum-lab: error: train: unrecognized arguments: --momentun 0.9",
      "(--momentun: did you mean --momentum?)"]),
    (["train", "--momentun=0.9"],
     ["train: unrecognized arguments: --momentun=0.9", "(--momentun: did you mean --momentum?)"]),
    (["gui", "--screenshoot", "a.png"], ["gui: unrecognized arguments:", "did you mean --screenshot?"]),
    (["sweep", "--out", "s.csv", "--epoch", "5"], ["sweep: ", "did you mean --epochs?"]),
    (["demo", "--plots", "a.png"], ["demo: ", "did you mean --plot?"]),
    (["lessons", "--hepl"], ["lessons: ", "did you mean --help?"]),
    (["trian"], ["momentum-lab: error: argument COMMAND: invalid choice: 'trian'", "did you mean train?"]),
    (["train", "--rule", "lookbak"],
     ["momentum-lab: error: train: argument --rule: invalid choice: 'lookbak'", "did you mean lookback?"]),
])
def test_a_mistyped_option_command_or_choice_gets_a_suggestion(argv, fragments):
    result = run(*argv)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.endswith("\n"), result.err
    assert result.err.startswith("momentum-lab: error: ")
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)
    assert result.out == ""


@pytest.mark.parametrize("argv", [["train", "--zzzz"], ["train", "--zzzz=3"], ["xyzzy"],
                                  ["train", "--rule", "zzz"]])
def test_nothing_close_gets_no_suggestion(argv):
    result = run(*argv)
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("momentum-lab: error: ")
    assert "did you mean" not in result.err


def test_sweep_alone_prints_its_usage_and_an_example():
    result = run("sweep")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("usage: momentum-lab sweep ")
    assert "--out CSV" in " ".join(result.err.split())
    assert ("example: momentum-lab sweep --lr 0.001:1:10 --momentum 0:0.9:10 --epochs 50 "
            "--out sweep.csv --png sweep.png") in result.err
    assert result.err.rstrip().endswith("momentum-lab: error: sweep: the following arguments are required: --out")


def test_sweep_with_arguments_but_no_out_is_one_line():
    result = run("sweep", "--epochs", "5")
    assert result.code == 2
    assert result.err == "momentum-lab: error: sweep: the following arguments are required: --out\n"


@pytest.mark.parametrize("argv", [["train", "a\nb"], ["train", "a\x1b[2Jb"], ["train", "--lr", "1\n2"],
                                  ["train", "--rule", "look\nback"]])
def test_usage_errors_are_one_line_and_escaped_like_input_errors(argv):
    result = run(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("momentum-lab: error: train: "), result.err
    assert "\x1b" not in result.err and "\r" not in result.err


def test_the_training_flags_are_runconfigs_fields_with_their_defaults(capsys):
    from dataclasses import fields

    from momentum_lab.cli import _parser
    from momentum_lab.engine._config import options_of

    args = _parser().parse_args(["train"])
    assert {name: getattr(args, name) for name in options_of()} == \
        {f.name: f.default for f in fields(ml.RunConfig) if f.name != "compare"}
    assert run("train", "--help").code == 0
    text = " ".join(capsys.readouterr().out.split())
    for name, option in options_of().items():
        assert "--" + name.replace("_", "-") in text
        assert " ".join(option.help.split()[:3]) in text, name
    for fragment in ("(default iris)", "(default 0.2)", "(default per data set)", "(default 3)",
                     "(default 0.01)", "(default none)", "(default 1e+06)", "(default on)", "(default lookback)",
                     "{zscore,none}", "{uniform,glorot,article}", "[--shuffle | --no-shuffle]"):
        assert fragment in text, fragment
    assert "arrays" not in text and "Dataset" not in text  # (the API's data sources only)


def test_a_note_for_an_unused_option_given_even_at_its_default_value(tmp_path):
    result = run("train", "--epochs", "1", "--classes", "3", "--init", "glorot", "--init-scale=0.01", "-q")
    assert result.code == 0
    assert "note: --classes applies to 'blobs' only; ignored for 'iris'" in result.err
    assert "note: --init-scale applies to --init uniform and article only; ignored" in result.err
    assert "note" not in run("train", "--epochs", "1", "--init", "glorot", "-q").err


# --------------------------------------------------------------------------------------------
# 6. Atomic writes
# --------------------------------------------------------------------------------------------


def test_atomic_write_replaces_only_at_the_end(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as fh:
        fh.write("new: café\n")
        fh.flush()
        # While the body runs the old file is intact and the new text sits in a temporary file beside it.
        assert target.read_text(encoding="utf-8") == "old"
        others = [p for p in tmp_path.iterdir() if p != target]
        assert len(others) == 1 and others[0].name.startswith(".notes.txt.")
        assert others[0].read_bytes() == "new: café\n".encode()
    assert target.read_bytes() == "new: café\n".encode()  # UTF-8, \n kept as written
    assert files_under(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("mode", ["w", "wb"])
def test_atomic_write_failure_keeps_the_old_file(tmp_path, mode, exc_type):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old content")
    payload = "partial" if mode == "w" else b"partial"
    with pytest.raises(exc_type):
        with atomic_write(target, mode) as fh:
            fh.write(payload * 1000)
            raise exc_type("disk full")
    assert target.read_bytes() == b"old content"
    assert files_under(tmp_path) == ["data.bin"]


def test_atomic_write_failure_leaves_no_new_file(tmp_path):
    with pytest.raises(OSError):
        with atomic_write(tmp_path / "new.csv") as fh:
            fh.write("half")
            raise OSError("no space left")
    assert files_under(tmp_path) == []


def test_atomic_write_binary_and_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with atomic_write("plain.bin", "wb") as fh:
        fh.write(b"\x00\r\n\xff")
    assert (tmp_path / "plain.bin").read_bytes() == b"\x00\r\n\xff"
    assert files_under(tmp_path) == ["plain.bin"]


def test_failing_weights_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    w = tmp_path / "w.npz"
    w.write_bytes(b"earlier weights")

    def half_then_fail(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("simulated: no space left on device")

    monkeypatch.setattr(np, "savez", half_then_fail)
    err = io.StringIO()
    assert main(["train", "--epochs", "1", "--save-weights", str(w), "-q"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == (f"momentum-lab: error: --save-weights: cannot write '{w}': "
                              "simulated: no space left on device\n")
    assert w.read_bytes() == b"earlier weights"
    assert files_under(tmp_path) == ["w.npz"]


def test_failing_history_write_keeps_the_earlier_file(tmp_path, monkeypatch):
    h = tmp_path / "h.csv"
    h.write_text("earlier history\n", encoding="utf-8")

    def fail(fd):
        raise OSError("simulated: I/O error")

    monkeypatch.setattr(os, "fsync", fail)  # the rows are written; the flush to disk fails
    err = io.StringIO()
    assert main(["train", "--epochs", "1", "--history", str(h), "-q"], out=io.StringIO(), err=err) == 2
    assert err.getvalue().count("\n") == 1 and "--history: cannot write" in err.getvalue()
    assert h.read_text(encoding="utf-8") == "earlier history\n"
    assert files_under(tmp_path) == ["h.csv"]


def test_outputs_overwrite_earlier_files(tmp_path):
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    h.write_text("x" * 100_000, encoding="utf-8")
    w.write_bytes(b"y" * 100_000)
    assert run("train", "--epochs", 1, "--history", h, "--save-weights", w, "-q").code == 0
    assert h.read_text(encoding="utf-8").startswith(HEADER + "\n")
    assert len(h.read_text(encoding="utf-8").splitlines()) == 3  # header, epochs 0 and 1
    assert set(load_npz(w)) == set(WEIGHT_SHAPES)
    assert files_under(tmp_path) == ["h.csv", "w.npz"]


def test_outputs_get_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    h, w = tmp_path / "h.csv", tmp_path / "w.npz"
    assert run("train", "--epochs", 1, "--history", h, "--save-weights", w, "-q").code == 0
    for path in (h, w):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, (path.name, oct(path.stat().st_mode))


# --------------------------------------------------------------------------------------------
# 7. The bare command and the demonstration
# --------------------------------------------------------------------------------------------


def test_bare_command_writes_the_demo_png_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    r = run()
    assert r.code == 0, r.err
    png = tmp_path / "momentum-lab-curves.png"
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert files_under(tmp_path) == ["momentum-lab-curves.png"]
    assert "300 epochs, 36,000 updates" in r.out
    assert "Wrote the error curves to momentum-lab-curves.png" in r.out
    assert "epoch 300/300" in r.err


def test_demo_command_with_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "sub" / "curves.png"
    p.parent.mkdir()
    r = run("demo", "--epochs", 3, "--plot", p)
    assert r.code == 0, r.err
    assert p.read_bytes().startswith(PNG_SIGNATURE)
    assert files_under(tmp_path) == ["sub", "sub/curves.png"]
    assert "3 epochs, 360 updates" in r.out
    assert f"Wrote the error curves to {p}" in r.out
    assert "epoch 3/3" in r.err


def test_demo_bad_input_exits_2(tmp_path):
    r = run("demo", "--epochs", 0, "--plot", tmp_path / "p.png")
    assert r.code == 2
    assert len(stderr_lines(r.err)) == 1 and "--epochs" in r.err
    r = run("demo", "--epochs", 1, "--plot", tmp_path / "nodir" / "p.png")
    assert r.code == 2 and "--plot" in r.err
    assert files_under(tmp_path) == []


# --------------------------------------------------------------------------------------------
# 8. Progress
# --------------------------------------------------------------------------------------------


def test_progress_lines_on_a_pipe_and_none_when_quiet():
    loud = run("train", "--epochs", 5)
    assert loud.code == 0
    assert re.search(r"^epoch 5/5  train loss [\d.]+  train acc [\d.]+%  test acc [\d.]+%$", loud.err, re.M), loud.err
    assert "\r" not in loud.err
    assert "epoch 5/5" not in loud.out

    quiet = run("train", "--epochs", 5, "--quiet")
    assert quiet.code == 0
    assert quiet.err == ""
    # The summary is still printed, and is the same apart from the timing.
    timing = re.compile(r"in [\d.]+ s \([\d.]+M updates/s\)")
    assert timing.sub("", quiet.out) == timing.sub("", loud.out)
    assert quiet.out.startswith("5 epochs, 600 updates")


def test_progress_bar_on_a_terminal():
    r = run("train", "--epochs", 5, tty=True)
    assert r.code == 0
    assert r.err.startswith("\r[")
    assert "[" + "#" * 24 + "] epoch 5/5" in r.err
    assert r.err.endswith("\n")


def test_progress_is_silent_on_a_terminal_when_quiet():
    r = run("train", "--epochs", 5, "-q", tty=True)
    assert r.code == 0 and r.err == ""


def test_divergence_message_starts_its_own_line_on_a_terminal():
    r = run("train", *DIVERGE_ARGS, tty=True)
    assert r.code == 3
    assert "\nmomentum-lab: diverged at epoch" in r.err


def test_interrupt_exits_130_and_writes_nothing(tmp_path):
    class InterruptOnProgress(io.StringIO):
        def write(self, text):
            if text.startswith("epoch"):
                raise KeyboardInterrupt
            return super().write(text)

    out, err = io.StringIO(), InterruptOnProgress()
    h = tmp_path / "h.csv"
    code = main(["train", "--epochs", "3", "--history", str(h)], out=out, err=err)
    assert code == 130
    assert "interrupted" in err.getvalue()
    assert files_under(tmp_path) == []


# --------------------------------------------------------------------------------------------
# 9. The Python API
# --------------------------------------------------------------------------------------------


def test_train_on_arrays():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(-2, 0.5, (30, 2)), rng.normal(2, 0.5, (30, 2))])
    y = np.array(["neg"] * 30 + ["pos"] * 30)
    result = ml.train((X, y), hidden=4, lr=0.05, epochs=10)
    assert not result.diverged and result.divergence is None
    assert {k: v.shape for k, v in result.weights.items()} == {
        "ih_weights": (2, 4), "h_biases": (4,), "ho_weights": (4, 2), "o_biases": (2,)}
    assert result.deltas is None
    assert len(result.history) == 11
    assert result.history["epoch"].tolist() == list(range(11))
    assert result.steps == 10 * 48
    assert result.history["train_accuracy"][-1] == 1.0  # two well separated blobs
    with pytest.raises(KeyError, match="train_loss"):
        result.history["loss"]


def test_diverged_result_and_repr():
    result = ml.train("iris", record_deltas=True, **DIVERGE_KW)
    assert result.diverged
    d = result.divergence
    assert isinstance(d, ml.Divergence)
    assert (d.epoch - 1) * N_TRAIN < d.step <= d.epoch * N_TRAIN
    assert result.steps == d.step  # the update that passed the limit was applied
    assert "passed the limit 10" in d.reason
    assert str(d) == f"diverged at epoch {d.epoch}, step {d.step}: {d.reason}"
    assert len(result.history) == d.epoch
    assert result.deltas["ho_deltas"].shape == (d.step, 7, 3)
    for name, delta_name in DELTA_FOR.items():
        np.testing.assert_allclose(result.deltas[delta_name].sum(axis=0),
                                   result.weights[name] - result.initial_weights[name], rtol=0, atol=1e-12)
    assert np.abs(np.concatenate([v.ravel() for v in result.weights.values()])).max() > 10
    text = repr(result)
    assert text.startswith(f"TrainResult('iris', {d.step} steps, diverged at epoch {d.epoch}, step {d.step}")
    assert f"History({d.epoch} rows, last: epoch {d.epoch - 1}," in text


def test_finished_repr_is_readable():
    result = ml.train("iris", epochs=5)
    assert re.fullmatch(r"TrainResult\('iris', 600 steps, finished, History\(6 rows, last: epoch 5, "
                        r"train_loss [\d.]+, train_accuracy [\d.]+\)\)", repr(result)), repr(result)


def test_non_finite_loss_is_a_divergence():
    result = ml.train("iris", rule="classical", lr=1000.0, momentum=0.9, activation="relu", weight_limit=1e308,
                      epochs=3)
    assert result.diverged
    assert "not finite" in result.divergence.reason
    assert result.steps == result.divergence.step - 1  # found before the update was applied


# --------------------------------------------------------------------------------------------
# Real processes
# --------------------------------------------------------------------------------------------


def _process(args: list[str], cwd: Path, executable: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = (executable or [sys.executable, "-m", "momentum_lab"]) + args
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_process_exit_statuses(tmp_path):
    h = tmp_path / "h.csv"
    ok = _process(["train", "--epochs", "2", "--history", str(h)], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("2 epochs, 240 updates")
    assert h.read_text(encoding="utf-8").splitlines()[0] == HEADER

    diverged = _process(["train", *DIVERGE_ARGS, "-q"], tmp_path)
    assert diverged.returncode == 3
    assert "diverged at epoch" in diverged.stderr

    for bad, value in ((["--lr", "-1"], "-1"), (["--lr", "abc"], "abc")):
        w = tmp_path / "w.npz"
        result = _process(["train", *bad, "--save-weights", str(w)], tmp_path)
        assert result.returncode == 2
        assert len(stderr_lines(result.stderr)) == 1, result.stderr
        assert "--lr" in result.stderr and value in result.stderr
        assert result.stdout == ""
        assert not w.exists()
    assert files_under(tmp_path) == ["h.csv"]


def test_console_script_help_and_version(tmp_path):
    script = Path(sys.executable).parent / "momentum-lab"
    assert script.exists()
    helped = _process(["--help"], tmp_path, [str(script)])
    assert helped.returncode == 0
    assert "train" in helped.stdout and "demo" in helped.stdout
    versioned = _process(["--version"], tmp_path, [str(script)])
    assert versioned.returncode == 0
    assert versioned.stdout.strip() == f"momentum-lab {ml.__version__}"
    train_help = _process(["train", "--help"], tmp_path, [str(script)])
    assert train_help.returncode == 0
    for option in ("--lr", "--momentum", "--rule", "--history", "--save-weights", "--deltas", "--plot"):
        assert option in train_help.stdout
    assert files_under(tmp_path) == []

"""A scenario exported as a Python script (``scenario_script``, ``train --scenario F --script S.py``):
the script uses the public API only and trains the very runs the command replays."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine import Change, InputError, LaneSettings, RunConfig, Scenario, save_weights
from momentum_lab.engine._scenario import FORMAT_KEY


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def write_csv(path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = ["x1,x2,x3,label"]
    for i in range(60):
        label = i % 3
        x = rng.normal(label, 0.7, size=3)
        rows.append(",".join(f"{v:.6f}" for v in x) + f",{'abc'[label]}")
    path.write_text("\n".join(rows) + "\n")


def write_scenario(folder: Path, **keys) -> Path:
    """A scenario file in ``folder`` naming the data file relatively (as the window saves it)."""
    data = {FORMAT_KEY: 1, "dataset": "data.csv", "hidden": 5, "test_fraction": 0.25, "rule": "lookback",
            "lr": 0.03, "momentum": 0.5, "seed": 4,
            "compare": [{"rule": "classical", "lr": 0.02, "momentum": 0.9}],
            "changes": [{"step": 40, "run": "A", "setting": "lr", "value": 0.1},
                        {"step": 90, "run": "B", "setting": "momentum", "value": 0.3},
                        {"step": 100, "run": "A", "setting": "momentum", "value": 0.8}],
            **keys}
    path = folder / "scenario.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def lecture(tmp_path) -> Path:
    """A folder with a CSV data set (45 training items) and a scenario of two runs on it."""
    folder = tmp_path / "lecture"
    folder.mkdir()
    write_csv(folder / "data.csv")
    return folder


def history_of_the_script(script: Path, tmp_path: Path) -> tuple[bytes, str]:
    """Run ``script`` as a program (from another folder); its history file and its output."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, str(script), "H1.csv"], cwd=elsewhere, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return (elsewhere / "H1.csv").read_bytes(), done.stdout


@pytest.mark.parametrize("keys", [{"epochs": 7}, {"steps": 200}, {}], ids=["epochs", "steps", "neither"])
def test_the_script_writes_the_history_the_command_writes(lecture, tmp_path, keys):
    scenario = write_scenario(lecture, **keys)
    code, out, err = run("train", "--scenario", scenario, "--history", tmp_path / "H2.csv",
                         "--script", tmp_path / "S.py", "-q")
    assert code == 0, err
    assert f"Wrote the script to {tmp_path / 'S.py'}" in out
    assert "Run B (classical" in out  # the replay's own summary is still there
    history, printed = history_of_the_script(tmp_path / "S.py", tmp_path)
    assert history == (tmp_path / "H2.csv").read_bytes()
    assert printed.startswith("Run A: ") and "\nRun B: " in printed and "train loss" in printed


def test_epochs_given_with_the_scenario_stop_the_scripts_runs_there_too(lecture, tmp_path):
    scenario = write_scenario(lecture, steps=200)
    code, _, err = run("train", "--scenario", scenario, "--epochs", "3", "--history", tmp_path / "H2.csv",
                       "--script", tmp_path / "S.py", "-q")
    assert code == 0, err
    assert history_of_the_script(tmp_path / "S.py", tmp_path)[0] == (tmp_path / "H2.csv").read_bytes()


def test_a_scenario_with_initial_weights_from_a_file(lecture, tmp_path):
    rng = np.random.default_rng(11)
    shapes = {"ih_weights": (3, 5), "h_biases": (5,), "ho_weights": (5, 3), "o_biases": (3,)}
    save_weights(lecture / "start.npz", {k: rng.uniform(-0.3, 0.3, size=s) for k, s in shapes.items()})
    scenario = write_scenario(lecture, init_weights="start.npz", epochs=4, shuffle=False)
    code, _, err = run("train", "--scenario", scenario, "--history", tmp_path / "H2.csv",
                       "--script", tmp_path / "S.py", "-q")
    assert code == 0, err
    text = (tmp_path / "S.py").read_text()
    assert f"init_weights={str(lecture / 'start.npz')!r}".replace("'", '"') in text  # absolute
    assert "shuffle=False," in text
    assert history_of_the_script(tmp_path / "S.py", tmp_path)[0] == (tmp_path / "H2.csv").read_bytes()


def make_scenario(dataset: object = "blobs") -> Scenario:
    config = RunConfig(dataset, hidden=4, lr=0.1 + 0.2, momentum=0.9, weight_limit=250.0,
                       compare=(LaneSettings("nesterov", 1 / 3, 0.0), LaneSettings("classical", 0.05, 0.5)))
    changes = (Change(30, "lr", 0.07, 0), Change(60, "momentum", 0.25, 2))
    return Scenario(config, changes, steps=150)


def test_the_script_is_python_using_the_public_api_only():
    text = ml.scenario_script(make_scenario(), "/some/where/run.json")
    compile(text, "S.py", "exec")
    assert "momentum_lab.engine" not in text and "_qt" not in text and "ml.engine" not in text
    assert "import momentum_lab as ml" in text
    assert "ml.replay(" in text and "ml.Scenario(" in text and "ml.RunConfig(" in text
    assert text.startswith('"""') and "/some/where/run.json" in text and "HISTORY.csv" in text
    # Only what differs from the defaults; floats exactly (repr).
    assert "    lr=0.30000000000000004,\n" in text and "    weight_limit=250.0,\n" in text
    assert "seed=" not in text and "normalize=" not in text
    assert 'ml.LaneSettings("nesterov", lr=0.3333333333333333, momentum=0.0),  # run B' in text
    assert 'ml.Change(30, "lr", 0.07, 0),  # run A' in text
    assert 'ml.Change(60, "momentum", 0.25, 2),  # run C' in text
    assert "steps=150" in text


def test_the_scripts_config_and_changes_are_the_scenarios():
    scenario = make_scenario()
    names: dict = {}
    text = ml.scenario_script(scenario)
    head = text[:text.index("results = ")]  # (everything but the training)
    exec(compile(head, "S.py", "exec"), names)
    assert names["scenario"] == scenario


def test_a_path_cannot_break_out_of_its_string_or_the_docstring(tmp_path):
    odd = tmp_path / 'da"ta\'\n""" x\\.csv'
    write_csv(odd)
    source = '""" evil\n.json'
    text = ml.scenario_script(Scenario(RunConfig(str(odd))), source)
    names: dict = {}
    head = text[:text.index("results = ")]
    code = compile(head, "S.py", "exec")
    exec(code, names)
    assert names["config"].dataset == str(odd)
    assert names["__doc__"].count('""" evil') == 2  # (the file's name and the command's)
    assert names["__doc__"] == ast.get_docstring(ast.parse(text), clean=False)


def test_literals_evaluate_to_their_values():
    from momentum_lab.engine._script import _literal

    for value in (0.1 + 0.2, 1e-300, float("inf"), -float("inf"), 3, True, None, "a'b\"c\\d\n\x1b", "é"):
        assert eval(_literal(value)) == value and type(eval(_literal(value))) is type(value)
    assert _literal(np.float64(0.5)) == "0.5" and _literal(np.int64(7)) == "7"


def test_arrays_cannot_be_written_into_a_script(iris):
    with pytest.raises(InputError, match="arrays"):
        ml.scenario_script(Scenario(RunConfig((iris.x_train, iris.y_train))))
    with pytest.raises(InputError, match="arrays"):
        ml.scenario_script(Scenario(RunConfig(iris)))
    weights = ml.train("iris", epochs=1).weights
    with pytest.raises(InputError, match="arrays"):
        ml.scenario_script(Scenario(RunConfig(init_weights=weights)))


def test_scenario_script_is_exported():
    assert ml.scenario_script is ml.engine.scenario_script
    assert "scenario_script" in ml.__all__ and "scenario_script" in ml.engine.__all__


@pytest.mark.parametrize("target, message", [
    ("S.txt", "--script: 'S.txt': a Python script is written as .py, not '.txt'"),
    ("S", "--script: 'S': a Python script is written as .py, not 'no suffix'"),
    ("scenario.json", "--script: 'scenario.json' is the --scenario file, which would be replaced"),
    ("data.csv", "--script: 'data.csv' is the --dataset file, which would be replaced"),
    ("H.csv", "--script: 'H.csv' is also the --history file"),
])
def test_a_bad_script_target_is_refused_before_any_work(lecture, monkeypatch, target, message):
    write_scenario(lecture, epochs=2)
    monkeypatch.chdir(lecture)
    before = {p: p.read_bytes() for p in lecture.iterdir()}
    code, out, err = run("train", "--scenario", "scenario.json", "--history", "H.csv", "--script", target)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"momentum-lab: error: {message}"), err
    assert {p: p.read_bytes() for p in lecture.iterdir()} == before


def test_script_without_scenario_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("train", "--epochs", "1", "--script", "S.py")
    assert code == 2 and out == ""
    assert err == "momentum-lab: error: --script: goes with --scenario (it writes a scenario's runs as a " \
                  "Python script)\n"
    assert files_under(tmp_path) == []

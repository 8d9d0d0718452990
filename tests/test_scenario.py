"""Scenarios in the engine: the file format, its checks, and exact replays."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.engine import InputError, LaneSettings, RunConfig, Scenario, Change, Trainer
from momentum_lab.engine import replay
from momentum_lab.engine._scenario import FORMAT_KEY, load_scenario, scenario_from_dict
from momentum_lab.cli import main


def _scenario(**kw) -> Scenario:
    config = RunConfig(lr=0.02, momentum=0.5, compare=(LaneSettings("classical", 0.01, 0.9),))
    changes = (Change(130, "lr", 0.1, 0), Change(250, "momentum", 0.0, 1),
               Change(250, "lr", 0.05, 0))
    return Scenario(config, changes, **{"steps": 500, **kw})


def test_a_scenario_saved_and_read_back_is_the_same(tmp_path):
    scenario = _scenario(epochs=9, speed=20.0)
    path = tmp_path / "run.json"
    scenario.save(path)
    assert load_scenario(path) == scenario
    data = json.loads(path.read_text())
    assert data[FORMAT_KEY] == 1 and data["changes"][1] == {"step": 250, "run": "B", "setting": "momentum",
                                                            "value": 0.0}


def test_a_csv_data_set_is_kept_relative_to_the_scenario_file(tmp_path):
    folder = tmp_path / "lecture"
    folder.mkdir()
    data = folder / "points.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{'xy'[i % 2]}\n" for i in range(40)))
    Scenario(RunConfig(dataset=str(data))).save(folder / "s.json")
    assert json.loads((folder / "s.json").read_text())["dataset"] == "points.csv"
    moved = tmp_path / "moved"
    (folder).rename(moved)  # the folder travels with its files
    assert load_scenario(moved / "s.json").config.dataset == str(moved / "points.csv")


def test_train_applies_changes_at_their_exact_steps(iris):
    """Against a trainer stepped by hand, setting the lr and momentum between calls."""
    result = ml.train("iris", lr=0.02, momentum=0.5, epochs=3, changes=[(130, "lr", 0.1), (250, "momentum", 0.0)],
                      record_deltas=True)
    t = Trainer(iris, lr=0.02, momentum=0.5)
    hand = np.empty((360, t.layout.n_params))
    t.run(130, hand)
    t.lr = 0.1
    t.run(120, hand[130:])
    t.momentum = 0.0
    t.run(110, hand[250:])
    recorded = np.concatenate([v.reshape(360, -1) for v in result.deltas.values()], axis=1)
    np.testing.assert_array_equal(recorded, hand)
    np.testing.assert_array_equal(result.weights["ho_weights"], t.weights()["ho_weights"])
    np.testing.assert_array_equal(result.history["lr"], [0.02, 0.02, 0.1, 0.1])
    np.testing.assert_array_equal(result.history["momentum"], [0.5, 0.5, 0.5, 0.0])


def test_a_change_moves_the_run_off_its_unchanged_path():
    plain = ml.train("iris", epochs=3)
    changed = ml.train("iris", epochs=3, changes=[(200, "lr", 0.3)])
    np.testing.assert_array_equal(plain.history.rows[:2], changed.history.rows[:2])
    assert plain.history["train_loss"][3] != changed.history["train_loss"][3]


def test_train_stops_at_an_exact_step_mid_epoch():
    result = ml.train("iris", steps=250)
    assert result.steps == 250 and len(result.history) == 3  # epochs 0, 1, 2 complete


def test_replay_trains_every_run_with_its_own_changes():
    scenario = _scenario()
    a, b = replay(scenario)
    expect_a = ml.train("iris", lr=0.02, momentum=0.5, steps=500, changes=[(130, "lr", 0.1), (250, "lr", 0.05)])
    expect_b = ml.train("iris", rule="classical", lr=0.01, momentum=0.9, steps=500, changes=[(250, "momentum", 0.0)])
    np.testing.assert_array_equal(a.history.rows, expect_a.history.rows)
    np.testing.assert_array_equal(b.history.rows, expect_b.history.rows)
    assert a.steps == b.steps == 500


def test_until_keeps_the_changes_before_the_branch_point():
    branch = _scenario().until(250)
    assert branch.steps == 250 and [c.step for c in branch.changes] == [130]


@pytest.mark.parametrize("content, message", [
    ('{"lr": 0.1}', "not a Momentum Lab scenario (no 'momentum_lab_scenario' key)"),
    ('{"momentum_lab_scenario": 2}', "made by a newer Momentum Lab (scenario format 2; this version reads format 1)"),
    ('{"momentum_lab_scenario": 1, "lr": "fast"}', "'lr' must be a number, got 'fast'"),
    ('{"momentum_lab_scenario": 1, "learning_rate": 0.1}', "unknown key 'learning_rate'"),
    ('{"momentum_lab_scenario": 1, "rule": "adam"}', "'rule' must be one of lookback, classical, nesterov, got 'adam'"),
    ('{"momentum_lab_scenario": 1, "momentum": 1.5}', "'momentum': momentum must be in [0, 1), got 1.5"),
    ('{"momentum_lab_scenario": 1, "changes": [{"step": 5, "epoch": 1, "setting": "lr", "value": 1}]}',
     "'changes[0]': give either 'step' or 'epoch'"),
    ('{"momentum_lab_scenario": 1, "changes": [{"step": 5, "run": "B", "setting": "lr", "value": 1}]}',
     "'run' must be one of A (the runs of this scenario), got 'B'"),
    ('{"momentum_lab_scenario": 1, "changes": [{"step": 5, "setting": "speed", "value": 1}]}',
     "'setting' must be lr or momentum, got 'speed'"),
    ('{"momentum_lab_scenario": 1, "dataset": "gone.csv"}', "'dataset': no such file"),
    ('{"momentum_lab_scenario": 1,\n "lr": 0.1,,}', ":2:12: not valid JSON"),
])
def test_a_broken_scenario_gets_a_one_line_message_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    text = str(info.value)
    assert text.startswith(str(path)) and message in text and "\n" not in text


def test_epochs_in_a_change_become_steps_of_the_data_set():
    scenario = scenario_from_dict({"changes": [{"epoch": 2.5, "setting": "lr", "value": 0.2}]}, "x", versioned=False)
    assert scenario.changes == (Change(300, "lr", 0.2, 0),)  # Iris trains on 120 items an epoch


def test_a_failed_save_leaves_the_earlier_file_and_says_why(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    _scenario().save(path)
    before = path.read_bytes()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(InputError, match="cannot write .*No space left on device"):
        _scenario(steps=10).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary file left


def test_train_scenario_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "run.json"
    _scenario().save(path)
    history = tmp_path / "h.csv"
    assert main(["train", "--scenario", str(path), "--history", str(history), "-q"]) == 0
    out = capsys.readouterr().out
    assert "2 runs, 3 live changes" in out and "Run B (classical" in out
    written = np.genfromtxt(history, delimiter=",", names=True)
    np.testing.assert_array_equal(written["train_loss"], replay(_scenario())[0].history["train_loss"])


def test_train_scenario_refuses_training_options_and_broken_files(tmp_path, capsys):
    path = tmp_path / "run.json"
    _scenario().save(path)
    assert main(["train", "--scenario", str(path), "--lr", "0.5"]) == 2
    assert "leave out --lr" in capsys.readouterr().err
    path.write_text('{"momentum_lab_scenario": 7}')
    assert main(["train", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer Momentum Lab" in err


def test_every_run_option_is_a_scenario_key_and_round_trips(tmp_path):
    """The scenario file's keys come from RunConfig's fields: a config with every option off its
    default is saved and read back as the same config (a new option needs no second declaration)."""
    from dataclasses import fields

    from momentum_lab.engine import options_of

    weights = tmp_path / "w.npz"
    ml.train("blobs", hidden=3, classes=4, samples=60, epochs=1, save_weights=weights)
    # The blobs as a file and a test file of its own (a test file goes with a data file).
    blobs = ml.load_dataset("blobs", classes=4, samples=60, normalize="none", test_fraction=0)
    table = "x1,x2,label\n" + "".join(f"{float(x[0])!r},{float(x[1])!r},{y}\n"
                                       for x, y in zip(blobs.x_train, blobs.y_train))
    (tmp_path / "blobs.csv").write_text(table)
    (tmp_path / "test.csv").write_text(table)
    changed = RunConfig(str(tmp_path / "blobs.csv"), test_data=str(tmp_path / "test.csv"), order="article",
                        normalize="none", test_fraction=0.25, data_seed=3, samples=60, noise=0.7,
                        classes=4, hidden=3, activation="relu", loss="squared", init="glorot", init_scale=0.02,
                        init_weights=str(weights), weight_limit=1e5, seed=9, shuffle=False, batch_size=5,
                        rule="nesterov", lr=0.03, momentum=0.8, compare=(LaneSettings("classical", 0.02, 0.7),))
    default = RunConfig()
    assert all(getattr(changed, name) != getattr(default, name) for name in options_of())
    assert set(options_of()) | {"compare"} == {f.name for f in fields(RunConfig)}
    path = tmp_path / "s.json"
    Scenario(changed).save(path)
    assert load_scenario(path).config == changed

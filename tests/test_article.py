"""The article's own run: ``--preset article`` (its loss, initial weights, item order, data) held
to an independent re-doing of the article's program (tests/article_reference.py), and
``--test-data`` held to the hostile-input rules."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import article_reference as article
import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab._resources import resource_path
from momentum_lab.cli import main
from momentum_lab.engine import (PRESETS, InputError, RunConfig, Scenario, Trainer, largest_curvature, load_dataset,
                                 load_scenario, preset, sweep)
from momentum_lab.engine import _trainer
from momentum_lab.engine._network import activation_code, loss_code

# What the article's program prints (its error every 10 epochs, to 4 decimals) and its accuracies
# after 50 epochs, as the reference computes them: the figures the lesson's text quotes.
PRINTED = {0.0: ["0.2500", "0.0990", "0.1005", "0.0595", "0.0709"],
           0.75: ["0.1455", "0.0663", "0.0561", "0.0713", "0.0610"]}


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def history(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in rows[0]}


def refused(*argv: object) -> str:
    """The one line of a command refused with exit status 2 (no traceback)."""
    code, out, err = cli(*argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and out == ""
    return err.strip()


# -- the reference itself ----------------------------------------------------------------------


def test_the_reference_prints_what_the_lesson_quotes():
    for momentum, printed in PRINTED.items():
        errors = [row[0] for row in article.run(momentum)]
        assert [f"{e:.4f}" for e in errors[9::10]] == printed
    assert article.run(0.0)[-1][1:] == (112 / 120, 29 / 30)
    assert article.run(0.75)[-1][1:] == (115 / 120, 1.0)


def test_the_shipped_split_is_the_programs_files_converted():
    names = ("setosa", "versicolor", "virginica")
    for part in ("train", "test"):
        lines = resource_path("datasets", f"iris-article-{part}.csv").read_text().splitlines()
        assert lines[0] == "sepal_length,sepal_width,petal_length,petal_width,species"
        expected = [(x, names[t.index(1.0)]) for x, t in article.read(part)]
        got = [([float(v) for v in line.split(",")[:4]], line.split(",")[4]) for line in lines[1:]]
        assert got == expected
    data = load_dataset("iris-article-train", test_data="iris-article-test", normalize="none")
    assert (data.n_train, data.n_test, data.class_names) == (120, 30, names)
    # Raw inputs, in the files' row order.
    assert data.x_train[0].tolist() == article.read("train")[0][0]
    assert data.x_test[-1].tolist() == article.read("test")[-1][0]


# -- the preset against the reference, every epoch ------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 0.75])
def test_the_preset_reproduces_the_articles_run_at_every_epoch(tmp_path, momentum):
    path = tmp_path / "history.csv"
    argv = ["train", "--preset", "article", "--history", path, "-q"]
    if momentum != PRESETS["article"]["momentum"]:
        argv += ["--momentum", momentum]
    code, out, err = cli(*argv)
    assert code == 0, err
    h = history(path)
    expected = article.run(momentum)
    assert h["epoch"] == list(range(51)) and set(h["lr"]) == {0.05} and set(h["momentum"]) == {momentum}
    for epoch, (error, train_acc, test_acc) in enumerate(expected, start=1):
        assert h["train_loss"][epoch] == pytest.approx(error, abs=1e-12), epoch
        assert (h["train_accuracy"][epoch], h["test_accuracy"][epoch]) == (train_acc, test_acc), epoch
    assert [f"{e:.4f}" for e in h["train_loss"][10::10]] == PRINTED[momentum]


def test_momentum_075_is_the_presets_own_and_an_option_beside_it_wins(tmp_path):
    assert preset("article")["momentum"] == 0.75
    path = tmp_path / "h.csv"
    code, _, err = cli("train", "--preset", "article", "--lr", "0.02", "--epochs", "3", "--history", path, "-q")
    assert code == 0, err
    h = history(path)
    assert set(h["lr"]) == {0.02} and set(h["momentum"]) == {0.75} and h["epoch"][-1] == 3
    with pytest.raises(InputError, match="unknown preset 'nope'"):
        preset("nope")
    assert "invalid choice: 'articel'" in refused("train", "--preset", "articel")


def test_the_api_preset_is_the_same_run():
    result = ml.train(**ml.preset("article", momentum=0.0, epochs=20))
    assert result.history["train_loss"][1:].tolist() == pytest.approx([r[0] for r in article.run(0.0)[:20]],
                                                                       abs=1e-12)
    assert result.options["loss"] == "article" and result.options["order"] == "article"


# -- its parts, checked directly --------------------------------------------------------------------


def test_the_article_init_is_random_random_drawn_in_parameter_order():
    data = load_dataset("iris-article-train", test_data="iris-article-test", normalize="none")
    t = Trainer(data, hidden=5, init="article", seed=3)
    rnd = random.Random(3)
    first = -0.01 + (0.01 - -0.01) * rnd.random()
    second = -0.01 + (0.01 - -0.01) * rnd.random()
    w = t.initial_weights()
    assert w["ih_weights"][0, 0] == first and w["ih_weights"][0, 1] == second
    assert t.layout.flatten(w).tolist() == article.initial_weights(3)
    # init_scale is its ±R; another seed, other weights.
    wide = Trainer(data, hidden=5, init="article", seed=3, init_scale=0.5).initial_weights()
    assert wide["ih_weights"][0, 0] == -0.5 + (0.5 - -0.5) * random.Random(3).random()
    assert Trainer(data, hidden=5, init="article", seed=4).initial_weights()["ih_weights"][0, 0] != first


def test_one_items_update_is_the_articles_signal_times_the_learning_rate():
    data = load_dataset("iris-article-train", test_data="iris-article-test", normalize="none")
    t = Trainer(data, hidden=5, loss="article", init="article", order="article", seed=3, lr=0.05, momentum=0.75)
    w = t.initial_weights()
    deltas = np.empty((1, t.layout.n_params))
    t.run(1, deltas)
    # The first item: the article's generator after the 43 weights, one shuffle of 0..119.
    rnd = random.Random(3)
    for _ in range(43):
        rnd.random()
    order = list(range(120))
    rnd.shuffle(order)
    x, target = data.x_train[order[0]], int(data.y_train[order[0]])
    # By hand, from the formulas: forward, s_k = (1 - y_k) y_k (t_k - y_k), the hidden signal.
    h = np.tanh(x @ w["ih_weights"] + w["h_biases"])
    z = h @ w["ho_weights"] + w["o_biases"]
    y = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    t_k = np.eye(3)[target]
    s = (1 - y) * y * (t_k - y)
    hidden = (1 - h) * (1 + h) * (w["ho_weights"] @ s)
    expected = {"ih_weights": np.outer(x, hidden), "h_biases": hidden, "ho_weights": np.outer(h, s), "o_biases": s}
    got = t.layout.views(deltas[0])
    for name, signal in expected.items():
        # The first step: no previous delta, so the delta is lr * signal alone.
        np.testing.assert_allclose(got[name], 0.05 * signal, rtol=1e-12, atol=1e-18)
    # It is not the gradient of squared error through softmax, nor of cross-entropy.
    squared_gradient = (np.diag(y) - np.outer(y, y)) @ (y - t_k)
    assert not np.allclose(-s, squared_gradient, rtol=1e-3) and not np.allclose(-s, y - t_k, rtol=1e-3)
    # The loss it reports is the article's error: summed squared error, no half.
    outputs = t.predict_proba(data.x_train)
    assert t.evaluate()[0] == pytest.approx(np.mean(np.sum((outputs - np.eye(3)[data.y_train]) ** 2, axis=1)),
                                            rel=1e-12)


def test_the_article_order_continues_one_generator_across_blocks_and_chunks(monkeypatch):
    """Orders drawn two epochs at a time, trained in chunks of 777 items: the same run (the
    window's run of unlimited epochs draws its orders block after block, in chunks)."""
    monkeypatch.setattr(_trainer, "_ORDER_BLOCK_ITEMS", 240)
    config = RunConfig(**{k: v for k, v in PRESETS["article"].items() if k != "epochs"})
    data = ml.engine.load_data(config)
    t = Trainer(data, config)
    rows = []
    while t.epoch < 50:
        rows.append(t.run(min(777, 50 * 120 - t.step)).rows)
    errors = np.concatenate(rows)[:, 1]
    np.testing.assert_allclose(errors, [r[0] for r in article.run(0.75)], rtol=0, atol=1e-12)
    t.reset()  # the same generator again from the start
    np.testing.assert_array_equal(t.run(50 * 120).rows[:, 1], errors)


def test_the_article_order_with_other_weights_still_follows_the_weights_draws(tmp_path):
    """Whatever the init, the order is the generator's after the weights' draws."""
    data = load_dataset("iris-article-train", normalize="none", test_data="iris-article-test")
    a = Trainer(data, hidden=5, loss="article", order="article", init="article", seed=3, lr=0.05, momentum=0.0)
    weights = tmp_path / "w.npz"
    ml.engine.save_weights(weights, a.initial_weights())
    b = Trainer(data, hidden=5, loss="article", order="article", init_weights=str(weights), seed=3, lr=0.05,
                momentum=0.0)
    np.testing.assert_array_equal(a.run(240).rows, b.run(240).rows)


def test_a_sweep_cell_of_the_preset_is_the_presets_run():
    options = preset("article")
    epochs = options.pop("epochs")
    config = RunConfig(**options)
    result = sweep(config, lr="0.05:0.05:1", momentum="0.75:0.75:1", epochs=epochs)
    assert result.train_loss[0, 0, 1:].tolist() == ml.train(config, epochs=epochs).history["train_loss"][1:].tolist()


def test_the_article_loss_has_no_curvature_and_says_so(capsys):
    data = load_dataset("iris-article-train", normalize="none", test_data="iris-article-test")
    t = Trainer(data, hidden=5, loss="article")
    with pytest.raises(InputError, match="gradient of no loss"):
        largest_curvature(t.params, t.layout, activation_code("tanh"), loss_code("article"), data.x_train,
                          data.y_train)
    assert main(["train", "--help"]) == 0
    assert "is the gradient of no loss: the error it reports" in " ".join(capsys.readouterr().out.split())


def test_a_scenario_keeps_the_test_file_the_init_and_the_order(tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    (own / "test.csv").write_text(resource_path("datasets", "iris-article-test.csv").read_text())
    options = preset("article", test_data=str(own / "test.csv"))
    del options["epochs"]
    scenario = Scenario(RunConfig(**options), epochs=5)
    scenario.save(own / "run.json", "path=")
    assert '"test_data": "test.csv"' in (own / "run.json").read_text()  # relative to the scenario's folder
    loaded = load_scenario(own / "run.json")
    assert loaded.config.test_data == str(own / "test.csv")
    assert (loaded.config.init, loaded.config.order, loaded.config.loss) == ("article", "article", "article")
    (result,) = ml.replay(loaded)
    assert result.history["train_loss"][1:].tolist() == pytest.approx([r[0] for r in article.run(0.75)[:5]],
                                                                       abs=1e-12)


def test_the_defaults_are_unchanged():
    c = RunConfig()
    assert (c.loss, c.init, c.order, c.test_data) == ("cross-entropy", "uniform", "numpy", None)

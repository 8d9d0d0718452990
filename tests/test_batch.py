"""Batch size: online (1), mini-batches and the full batch, through the one kernel.

Against the numpy oracle (tests/reference.py) for every rule x batch size x momentum x loss x activation;
one full-batch step and two steps at B = 2 worked by hand;
the full batch as plain gradient descent on the mean loss; online bit for bit as it was before
batches existed; and a step counting updates everywhere (steps, deltas, changes, stops, sweeps).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math

import numpy as np
import pytest
import reference as ref

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine import (DELTA_NAMES, LOSSES, RULES, Dataset, LaneSettings, RunConfig, Session, Trainer,
                                 load_scenario, steps_per_epoch)

N_TRAIN = 120  # Iris: 150 items, 0.2 of each class held out


def orders_for(seed, n_items, n_epochs):
    """The documented item order: one seeded permutation per epoch, from one stream."""
    rng = np.random.default_rng([seed, 2])
    return np.array([rng.permutation(n_items) for _ in range(n_epochs)])


def test_an_epoch_is_ceil_n_train_over_b_updates():
    assert [steps_per_epoch(b, N_TRAIN) for b in (1, 7, 8, 50, 119, 120, 121, 10**6, "full")] == \
        [120, 18, 15, 3, 2, 1, 1, 1, 1]
    assert steps_per_epoch("full", 1) == steps_per_epoch(1, 1) == 1


# 8 divides 120; 7 and 50 do not (the epoch's last batch has 1 and 20 items); 200 is beyond the set.
@pytest.mark.parametrize("batch", [1, 7, 8, 50, "full", 200])
@pytest.mark.parametrize("rule", RULES)
def test_every_rule_and_batch_size_matches_the_oracle(iris, rule, batch):
    epochs = 3
    per_epoch = steps_per_epoch(batch, iris.n_train)
    total = epochs * per_epoch
    # A change mid-epoch and one at an epoch's start, in updates.
    changes = {per_epoch // 2 + 1: (0.1, 0.5), 2 * per_epoch: (0.02, 0.9)}
    t = Trainer(iris, rule=rule, lr=0.05, momentum=0.8, seed=4, init="glorot", batch_size=batch)
    w0 = t.initial_weights()
    buffer = np.empty((total, t.layout.n_params))
    rows, done = [], 0
    for at in [*sorted(changes), total]:
        report = t.run(at - done, buffer[done:])
        assert report.steps == at - done and report.divergence is None
        rows.append(report.rows)
        done = at
        if at in changes:
            t.lr, t.momentum = changes[at]
    w, deltas, ref_rows = ref.train(w0, iris.x_train, iris.y_train, 3, orders_for(4, iris.n_train, epochs),
                                    rule=rule, lr=0.05, momentum=0.8, x_test=iris.x_test, y_test=iris.y_test,
                                    changes=changes, batch=None if batch in ("full", 200) else batch)
    assert deltas["o_biases"].shape[0] == total == t.step
    for name in w:
        np.testing.assert_allclose(t.weights()[name], w[name], rtol=0, atol=1e-12)
    for name, recorded in t.layout.views(buffer).items():
        np.testing.assert_allclose(recorded, deltas[name], rtol=0, atol=1e-12)
    rows = np.concatenate(rows)
    np.testing.assert_allclose(rows[:, 1:5], ref_rows, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(rows[:, 0], [1, 2, 3])
    assert (t.epoch, t.position, t.epoch_step) == (3, 0, 0)


# The whole matrix through the public API (a Session, as the command line trains): 7 leaves the last
# batch of each of Iris's 120-item epochs one item; "full" is one update an epoch.
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("batch", [1, 2, 7, "full"])
@pytest.mark.parametrize("rule", RULES)
def test_every_rule_batch_size_momentum_loss_and_activation_matches_the_oracle(iris, rule, batch, momentum, loss,
                                                                                act):
    epochs = 2
    per_epoch = steps_per_epoch(batch, iris.n_train)
    assert iris.n_train == N_TRAIN and per_epoch == {1: 120, 2: 60, 7: 18, "full": 1}[batch]
    change = per_epoch + per_epoch // 2  # the learning rate raised in the second epoch (mid-epoch but at B = full)
    r = ml.train(iris, epochs=epochs, rule=rule, lr=0.05, momentum=momentum, loss=loss, activation=act, seed=4,
                 init="glorot", batch_size=batch, record_deltas=True, changes=[(change, "lr", 0.1)])
    assert r.divergence is None and r.steps == epochs * per_epoch
    w0 = r.initial_weights
    w, deltas, ref_rows = ref.train(w0, iris.x_train, iris.y_train, 3, orders_for(4, iris.n_train, epochs),
                                    act=act, loss=loss, rule=rule, lr=0.05, momentum=momentum,
                                    x_test=iris.x_test, y_test=iris.y_test, changes={change: (0.1, momentum)},
                                    batch=None if batch == "full" else batch)
    for name in w:
        np.testing.assert_allclose(r.weights[name], w[name], rtol=0, atol=1e-12)
    for name, delta_name in zip(w, DELTA_NAMES):
        assert r.deltas[delta_name].shape == deltas[name].shape == (epochs * per_epoch, *w[name].shape)
        np.testing.assert_allclose(r.deltas[delta_name], deltas[name], rtol=0, atol=1e-12)
    start = ref.evaluate(w0, iris.x_train, iris.y_train, 3, act, loss) + ref.evaluate(
        w0, iris.x_test, iris.y_test, 3, act, loss)
    history = np.column_stack([r.history[c] for c in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")])
    np.testing.assert_allclose(history, np.vstack([start, ref_rows]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.history["epoch"], np.arange(epochs + 1))
    # the lr column: each epoch's end, for the next step (the change came mid-way through epoch 2)
    np.testing.assert_array_equal(r.history["lr"], [0.05, 0.05, 0.1])


def test_a_run_in_batches_is_the_same_however_it_is_chunked(iris):
    """Mid-epoch stops, at every batch, in odd chunks: the same result bit for bit (B = 7 leaves a last
    batch of one item)."""
    options = dict(seed=2, rule="nesterov", momentum=0.9, batch_size=7, lr=0.1)
    n = 3 * 18 + 5
    one = Trainer(iris, **options)
    a_deltas = np.empty((n, one.layout.n_params))
    a_rows = one.run(n, a_deltas).rows
    other = Trainer(iris, **options)
    b_deltas = np.empty((n, other.layout.n_params))
    rows, done = [], 0
    for k in (1, 17, 1, 2, 30, n - 51):
        rows.append(other.run(k, b_deltas[done:]).rows)
        done += k
    np.testing.assert_array_equal(one.params, other.params)
    np.testing.assert_array_equal(a_deltas, b_deltas)
    np.testing.assert_array_equal(a_rows, np.concatenate(rows))
    assert (other.epoch, other.position, other.epoch_step, other.step) == (3, 35, 5, n)


def _tiny() -> tuple[Dataset, dict]:
    """A 1-1-2 network on two items, x = 1 (class 0) and x = -1 (class 1)."""
    x, y = np.array([[1.0], [-1.0]]), np.array([0, 1])
    data = Dataset("tiny", ("x",), ("a", "b"), x, y, np.empty((0, 1)), np.empty(0, dtype=np.int64),
                   np.zeros(1), np.ones(1))
    weights = {"ih_weights": np.array([[0.5]]), "h_biases": np.array([0.0]),
               "ho_weights": np.array([[1.0, -1.0]]), "o_biases": np.array([0.0, 0.0])}
    return data, weights


@pytest.mark.parametrize("rule", RULES)
def test_one_full_batch_step_worked_by_hand(rule):
    """Item 1: h = tanh(0.5), z = (h, -h), o = (1 - s, s) with s = 1 / (1 + e^(2h)); dE/dz = o - t = (-s, s).
    Item 2 is its mirror: h = -tanh(0.5), dE/dz = (s, -s). So the mean gradient is
    dE/d ho_weights = mean(h dE/dz) = h (-s, s);  dE/d o_biases = mean(dE/dz) = 0;
    dE/d ih_weights = mean(x (1 - h^2) ho . dE/dz) = mean(1 (1 - h^2)(-2s), -1 (1 - h^2)(2s)) = -2s (1 - h^2);
    dE/d h_biases = mean((1 - h^2)(-2s), (1 - h^2)(2s)) = 0.
    From a zero state every rule's first delta is -lr g (nesterov's is -lr g (1 + momentum))."""
    data, w0 = _tiny()
    lr, m = 0.1, 0.9
    t = Trainer(data, hidden=1, init_weights=w0, batch_size="full", rule=rule, lr=lr, momentum=m, shuffle=False)
    deltas = np.empty((1, t.layout.n_params))
    report = t.run(1, deltas)
    assert report.steps == 1 and (t.epoch, t.position) == (1, 0)  # one update is the whole epoch
    h = math.tanh(0.5)
    s = 1.0 / (1.0 + math.exp(2 * h))
    g = {"ih_weights": [[-2 * s * (1 - h * h)]], "h_biases": [0.0], "ho_weights": [[-h * s, h * s]],
         "o_biases": [0.0, 0.0]}
    scale = -lr * (1 + m) if rule == "nesterov" else -lr
    for name, view in t.layout.views(deltas[0]).items():
        np.testing.assert_allclose(view, scale * np.array(g[name]), rtol=0, atol=1e-15)
        np.testing.assert_allclose(t.weights()[name], w0[name] + scale * np.array(g[name]), rtol=0, atol=1e-15)


@pytest.mark.parametrize("n_items", [4, 3])
@pytest.mark.parametrize("rule", RULES)
def test_two_steps_at_batch_size_two_worked_by_hand(rule, n_items):
    """A 1-1-2 relu network, cross-entropy, items in file order x = 1, 2, 3, -1 of classes 0, 1, 0, 1
    (or the first three: the epoch's last batch is one item); ih = 1, h_bias = 0 (so h = relu(x) = 1,
    2, 3, 0), ho = o_biases = 0 (so o = (1/2, 1/2) at first). The engine and the numpy oracle both.

    Step 1, items 1 and 2: dE/dz = o - t = (-1/2, 1/2) and (1/2, -1/2); d ho = h dE/dz = (-1/2, 1/2) and
    (1, -1), mean (1/4, -1/4); d o_biases: mean 0; d h = ho . dE/dz = 0 (ho is 0), so ih and h_bias have
    none. Rule's first delta: -lr g (Nesterov's -lr g (1 + m)), so ho becomes (-c, c), c = lr/4 (x (1 + m)).
    Step 2, items 3 and 4 at those weights: item 3 has z = (-3c, 3c), o_1 = p = 1 / (1 + e^(-6c)),
    dE/dz = (1 - p - 1, p) = (-p, p); d ho = 3 (-p, p); d o_biases = (-p, p); d h = ho . dE/dz = 2cp, so
    d ih = x d h = 6cp and d h_bias = 2cp. Item 4 has h = 0 (relu's flat side): z = 0, o = (1/2, 1/2),
    dE/dz = (1/2, -1/2) = d o_biases and nothing else. Means: g ho = (-3p/2, 3p/2), g o_biases =
    ((1/2 - p)/2, (p - 1/2)/2), g ih = 3cp, g h_bias = cp. With three items, step 2 is item 3's alone
    (its gradient as it is, not halved)."""
    x, y = np.array([[1.0], [2.0], [3.0], [-1.0]])[:n_items], np.array([0, 1, 0, 1])[:n_items]
    data = Dataset("few", ("x",), ("a", "b"), x, y, np.empty((0, 1)), np.empty(0, dtype=np.int64), np.zeros(1),
                   np.ones(1))
    w0 = {"ih_weights": np.array([[1.0]]), "h_biases": np.array([0.0]), "ho_weights": np.array([[0.0, 0.0]]),
          "o_biases": np.array([0.0, 0.0])}
    lr, m = 0.4, 0.5
    t = Trainer(data, hidden=1, activation="relu", loss="cross-entropy", init_weights=w0, batch_size=2, rule=rule,
                lr=lr, momentum=m, shuffle=False)
    deltas = np.empty((2, t.layout.n_params))
    report = t.run(2, deltas)
    assert report.steps == 2 and (t.epoch, t.position, t.step) == (1, 0, 2)  # two updates are the epoch
    # flat order: ih, h_bias, ho (2), o_biases (2)
    g1 = np.array([0.0, 0.0, 0.25, -0.25, 0.0, 0.0])
    c = lr / 4 * (1 + m if rule == "nesterov" else 1)
    p = 1.0 / (1.0 + math.exp(-6 * c))
    if n_items == 4:
        g2 = np.array([3 * c * p, c * p, -1.5 * p, 1.5 * p, (0.5 - p) / 2, (p - 0.5) / 2])
    else:
        g2 = np.array([6 * c * p, 2 * c * p, -3 * p, 3 * p, -p, p])
    if rule == "lookback":  # d_t = -lr g_t + m (-lr g_(t-1))
        d1, d2 = -lr * g1, -lr * g2 + m * (-lr * g1)
    elif rule == "classical":  # v_t = m v_(t-1) - lr g_t, the delta
        d1, d2 = -lr * g1, m * (-lr * g1) - lr * g2
    else:  # v_1 = -lr g_1, d_1 = m v_1 - lr g_1; v_2 = m v_1 - lr g_2, d_2 = m v_2 - lr g_2
        v2 = m * (-lr * g1) - lr * g2
        d1, d2 = -lr * g1 * (1 + m), m * v2 - lr * g2
    np.testing.assert_allclose(deltas, [d1, d2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(t.params, t.layout.flatten(w0) + d1 + d2, rtol=0, atol=1e-15)
    assert d2[0] != 0 and d2[1] != 0  # the second step reached the first layer
    # The oracle's batches, held to the same hand-worked numbers.
    _, oracle, _ = ref.train(w0, x, y, 2, [np.arange(n_items)], act="relu", loss="cross-entropy", rule=rule, lr=lr,
                             momentum=m, batch=2)
    np.testing.assert_allclose(np.concatenate([oracle[k].reshape(2, -1) for k in ref.NAMES], axis=1), [d1, d2],
                               rtol=0, atol=1e-15)


def test_the_full_batch_is_plain_gradient_descent_on_the_mean_loss():
    """With no momentum every rule is w <- w - lr grad L(w), L the mean training loss: its gradient
    taken here by central differences of the engine's own evaluation of L."""
    data = ml.engine.load_dataset("blobs", samples=40, classes=3, test_fraction=0.25)
    lr = 0.5
    t = Trainer(data, hidden=3, batch_size="full", lr=lr, momentum=0.0, init="glorot", seed=1)
    w = t.params.copy()
    probe = Trainer(data, hidden=3, init="glorot", seed=1)

    def mean_loss(params):
        probe.params[:] = params
        return probe.evaluate()[0]

    losses = []
    for _ in range(5):
        grad = np.empty_like(w)
        for i in range(w.size):
            e = np.zeros_like(w)
            e[i] = 1e-6
            grad[i] = (mean_loss(w + e) - mean_loss(w - e)) / 2e-6
        w = w - lr * grad
        losses.append(mean_loss(w))
    rows = t.run(5).rows
    np.testing.assert_allclose(t.params, w, rtol=0, atol=1e-8)
    np.testing.assert_allclose(rows[:, 1], losses, rtol=1e-9)
    assert np.all(np.diff(rows[:, 1]) < 0)  # a small step down the mean loss lowers it every epoch
    assert t.step == 5


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:32]


# Computed on main before batches existed (its kernel had no batch size), on this machine's libm:
# online training must give these bytes still (the history's columns of then: the stability
# column came later).
BEFORE = 7
ONLINE_BEFORE_BATCHES = {"lookback": "732d16fc56fd8b8b33736487aaab3a9d",
                         "classical": "7760aa3cff906f9058dbb979a8404fe7",
                         "nesterov": "d639a4453e93cd95bb56c615374521cb",
                         "sweep": "e1aa922c15d6ef91110619284ef039da",
                         "session": "7f5c0f5c1bea1b5ff956873e84a40943"}


def test_online_training_is_bit_for_bit_what_it_was_before_batches():
    got = {}
    for rule in RULES:
        r = ml.train("iris", epochs=3, rule=rule, lr=0.05, momentum=0.8, seed=4, record_deltas=True,
                     delta_stats=True, changes=[(200, "lr", 0.1), (301, "momentum", 0.3)])
        got[rule] = _digest(r.history.rows[:, :BEFORE], *r.weights.values(), *r.deltas.values(), r.delta_stats.flip_rate,
                            r.delta_stats.mean_abs)
    s = ml.sweep("iris", lr=(0.01, 1.0, 3), momentum=(0.0, 0.9, 2), epochs=4, rule="nesterov")
    got["sweep"] = _digest(s.train_loss, s.train_accuracy)
    session = Session(RunConfig(dataset="xor", hidden=5, compare=(LaneSettings("classical", 0.3, 0.9),), lr=0.2),
                      stop_at=500, deltas="all")
    session.advance(500)
    got["session"] = _digest(*[x for r in session.results()
                               for x in (r.history.rows[:, :BEFORE], *r.weights.values(), *r.deltas.values())])
    assert got == ONLINE_BEFORE_BATCHES


def test_steps_deltas_and_stops_count_updates():
    r = ml.train("iris", epochs=3, batch_size=7, record_deltas=True)
    assert r.steps == 3 * 18 and r.deltas["o_bias_deltas"].shape == (54, 3)
    np.testing.assert_array_equal(r.history["epoch"], [0, 1, 2, 3])
    assert r.options["batch_size"] == 7
    mid = ml.train("iris", steps=20, batch_size=7)  # an epoch and two updates: one row, mid-epoch
    assert mid.steps == 20 and len(mid.history) == 2
    full = ml.train("iris", epochs=4, batch_size="full", record_deltas=True)
    assert full.steps == 4 and full.deltas["ih_deltas"].shape == (4, 4, 7)
    beyond = ml.train("iris", epochs=4, batch_size=10**6, record_deltas=True)
    np.testing.assert_array_equal(beyond.history.rows, full.history.rows)


def test_delta_statistics_are_per_update_of_the_epoch(iris):
    r = ml.train(iris, epochs=3, batch_size=7, rule="classical", momentum=0.9, lr=0.3, record_deltas=True,
                 delta_stats=True)
    flat = np.concatenate([d.reshape(54, -1) for d in r.deltas.values()], axis=1)
    flips = np.concatenate([np.zeros((1, flat.shape[1])), (flat[1:] * flat[:-1] < 0)])
    for epoch in range(3):
        rows = slice(18 * epoch, 18 * (epoch + 1))
        np.testing.assert_allclose(r.delta_stats.flip_rate[epoch], flips[rows].mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(r.delta_stats.mean_abs[epoch], np.abs(flat[rows]).mean(axis=0), rtol=1e-6)


def _poisoned() -> tuple[Dataset, dict]:
    """Six items in file order, and a 2-2-2 relu network's weights: item 4's input overflows the first
    layer (1e308 x 10 is inf) and so its loss."""
    x = np.array([[0.5, 1.0], [-0.5, 0.2], [1.0, -1.0], [0.1, 0.3], [1e308, 1.0], [-1.0, -0.4]])
    y = np.array([0, 1, 0, 1, 0, 1])
    data = Dataset("poisoned", ("a", "b"), ("0", "1"), x, y, np.empty((0, 2)), np.empty(0, dtype=np.int64),
                   np.zeros(2), np.ones(2))
    weights = {"ih_weights": np.array([[10.0, -10.0], [1.0, 1.0]]), "h_biases": np.zeros(2),
               "ho_weights": np.array([[1.0, -1.0], [-1.0, 1.0]]), "o_biases": np.zeros(2)}
    return data, weights


@pytest.mark.parametrize(("batch", "applied"), [(1, 4), (3, 1), (2, 2), ("full", 0)])
def test_a_non_finite_loss_in_any_item_of_a_batch_stops_before_its_update(batch, applied):
    data, weights = _poisoned()
    options = dict(activation="relu", hidden=2, init_weights=weights, shuffle=False, batch_size=batch, lr=0.01)
    t = Trainer(data, **options)
    report = t.run(10)
    assert report.steps == applied == t.step
    assert report.divergence is not None and "not finite" in report.divergence.reason
    assert report.divergence.step == applied + 1
    clean = Trainer(data, **options)
    clean.run(applied)  # the updates before the poisoned batch, and nothing of it
    np.testing.assert_array_equal(t.params, clean.params)
    assert np.all(np.isfinite(t.params))


def test_a_divergence_names_the_update(iris):
    t = Trainer(iris, rule="classical", lr=5.0, momentum=0.95, weight_limit=50.0, batch_size=10)
    d = t.run(100 * 12).divergence
    assert d is not None and d.step == t.step and d.epoch == t.epoch + 1
    assert (d.step - 1) // 12 == t.epoch  # 12 updates an epoch


def test_a_sweep_in_batches_equals_single_runs_bit_for_bit():
    s = ml.sweep("iris", lr=(0.05, 0.5, 2), momentum=(0.0, 0.9, 2), epochs=3, batch_size=25, rule="lookback")
    assert s.updates == 4 * 3 * 5  # four configurations, three epochs of ceil(120 / 25) updates
    for i, lr in enumerate(s.lrs):
        for j, m in enumerate(s.momenta):
            single = ml.train("iris", epochs=3, batch_size=25, lr=float(lr), momentum=float(m))
            np.testing.assert_array_equal(s.train_loss[i, j], single.history["train_loss"])


def test_a_scenario_counts_epochs_and_steps_in_updates(tmp_path):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"momentum_lab_scenario": 1, "batch_size": 7, "epochs": 4,
                                "changes": [{"epoch": 2, "setting": "lr", "value": 0.2},
                                            {"epoch": 2.5, "setting": "momentum", "value": 0.1}]}))
    scenario = load_scenario(path)
    assert scenario.config.batch_size == 7
    assert [c.step for c in scenario.changes] == [36, 45]  # epoch 2 starts at update 2 x 18
    results = ml.replay(scenario)
    assert results[0].steps == 4 * 18
    assert [c.step for c in results[0].options["changes"]] == [36, 45]
    full = tmp_path / "full.json"
    ml.Scenario(RunConfig(batch_size="full"), steps=3).save(full)
    assert json.loads(full.read_text())["batch_size"] == "full"
    again = load_scenario(full)
    assert again.config.batch_size == "full" and ml.replay(again)[0].steps == 3


def _cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_the_command_line_trains_in_batches(tmp_path):
    deltas = tmp_path / "deltas.npz"
    code, out, err = _cli("train", "--epochs", "2", "--batch-size", "50", "--deltas", str(deltas), "-q")
    assert code == 0, err
    assert "2 epochs, 6 updates" in out
    with np.load(deltas) as saved:
        assert saved["ih_deltas"].shape == (6, 4, 7)
    code, out, err = _cli("train", "--epochs", "3", "--batch-size", "full", "-q")
    assert code == 0 and "3 epochs, 3 updates" in out, err
    assert "--batch-size B|full" in _help("train")
    assert "--batch-size B|full" in _help("sweep")


def _help(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([command, "--help"]) == 0
    return " ".join(out.getvalue().split())

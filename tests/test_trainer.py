"""The trainer and its compiled kernel: against the numpy oracle, determinism, live changes, divergence."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import reference as ref

import momentum_lab as ml
from momentum_lab.engine import ACTIVATIONS, LOSSES, RULES, Dataset, InputError, Trainer, load_dataset
from momentum_lab.engine._network import activation_code, item_loss_and_gradient, loss_code


def orders_for(seed, n_items, n_epochs):
    """The documented item order: one seeded permutation per epoch, from one stream."""
    rng = np.random.default_rng([seed, 2])
    return np.array([rng.permutation(n_items) for _ in range(n_epochs)])


@pytest.mark.parametrize(("act", "loss", "rule"), list(itertools.product(ACTIVATIONS, LOSSES, RULES)))
def test_kernel_agrees_with_the_numpy_reference(iris, act, loss, rule):
    epochs = 3
    t = Trainer(iris, activation=act, loss=loss, rule=rule, lr=0.05, momentum=0.8, seed=4, init="glorot")
    w0 = t.initial_weights()
    buffer = np.empty((epochs * iris.n_train, t.layout.n_params))
    report = t.run(epochs * iris.n_train, buffer)
    w, deltas, rows = ref.train(w0, iris.x_train, iris.y_train, 3, orders_for(4, iris.n_train, epochs),
                                act=act, loss=loss, rule=rule, lr=0.05, momentum=0.8,
                                x_test=iris.x_test, y_test=iris.y_test)
    for name in w:
        np.testing.assert_allclose(t.weights()[name], w[name], rtol=0, atol=1e-12)
    for name, recorded in t.layout.views(buffer).items():
        np.testing.assert_allclose(recorded, deltas[name], rtol=0, atol=1e-12)
    np.testing.assert_allclose(report.rows[:, 1:5], rows, rtol=0, atol=1e-12)
    assert report.steps == epochs * iris.n_train
    np.testing.assert_array_equal(report.rows[:, 0], [1, 2, 3])
    # The deltas are the whole change: they add up to final minus initial weights.
    total = {k: w0[k] + v.sum(axis=0) for k, v in t.layout.views(buffer).items()}
    for name in w:
        np.testing.assert_allclose(total[name], t.weights()[name], atol=1e-12)


def test_kernel_agrees_with_the_reference_on_other_shapes_with_live_changes():
    """A 2-5-4 network on blobs, the settings changed twice in mid-epoch, every rule."""
    data = load_dataset("blobs", classes=4, samples=80, test_fraction=0.25)
    changes = {37: (0.2, 0.9), 101: (0.05, 0.0)}
    for rule in RULES:
        t = Trainer(data, hidden=5, rule=rule, lr=0.1, momentum=0.5, seed=8, init="glorot")
        w0 = t.initial_weights()
        buffer = np.empty((3 * data.n_train, t.layout.n_params))
        rows = []
        done = 0
        for at in [*changes, 3 * data.n_train]:
            rows.append(t.run(at - done, buffer[done:]).rows)
            done = at
            if at in changes:
                t.lr, t.momentum = changes[at]
        w, deltas, ref_rows = ref.train(w0, data.x_train, data.y_train, 4, orders_for(8, data.n_train, 3),
                                        rule=rule, lr=0.1, momentum=0.5, x_test=data.x_test,
                                        y_test=data.y_test, changes=changes)
        for name, recorded in t.layout.views(buffer).items():
            np.testing.assert_allclose(recorded, deltas[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.concatenate(rows)[:, 1:5], ref_rows, rtol=0, atol=1e-12)


def test_results_are_the_same_in_another_process_and_with_a_fresh_compile(tmp_path):
    """Bit for bit: in this process, in another one (cached kernel), and compiled from scratch."""
    code = ("import sys, momentum_lab as ml; r = ml.train('iris', epochs=3, rule='nesterov', momentum=0.8);"
            "sys.stdout.write(r.history.rows.tobytes().hex())")
    here = ml.train("iris", epochs=3, rule="nesterov", momentum=0.8).history.rows.tobytes().hex()
    cached = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                           env={**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)})
    assert cached.returncode == 0 and fresh.returncode == 0, cached.stderr + fresh.stderr
    assert cached.stdout == here
    assert fresh.stdout == here


def test_the_kernel_cache_key_covers_the_inlined_sources():
    """numba keys a cache on the function's own file; the kernel carries a digest of all three."""
    from momentum_lab.engine import _kernel

    closure = [cell.cell_contents for cell in _kernel.kernel_for(4, 7, 3).py_func.__closure__]
    assert _kernel._SOURCE_KEY in closure
    assert len(_kernel._SOURCE_KEY) == 16


def test_orders_follow_the_documented_stream(iris):
    t = Trainer(iris, seed=9)
    np.testing.assert_array_equal(t._orders_ahead(4), orders_for(9, iris.n_train, 4))


def run_in_chunks(dataset, chunks, **options):
    t = Trainer(dataset, **options)
    total = sum(chunks)
    deltas = np.empty((total, t.layout.n_params))
    rows, done = [], 0
    for n in chunks:
        rows.append(t.run(n, deltas[done:]).rows)
        done += n
    return t, deltas, np.concatenate(rows)


def test_chunking_does_not_change_anything_bit_for_bit(iris):
    n = 3 * iris.n_train + 17
    a = run_in_chunks(iris, [n], seed=2, rule="nesterov", momentum=0.9)
    b = run_in_chunks(iris, [1, 5, 119, 1, 200, n - 326], seed=2, rule="nesterov", momentum=0.9)
    np.testing.assert_array_equal(a[0].params, b[0].params)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert (a[0].epoch, a[0].position, a[0].step) == (b[0].epoch, b[0].position, b[0].step) == (3, 17, n)


def test_same_seed_same_result_other_seed_other_result():
    a = ml.train("iris", epochs=5, seed=1)
    b = ml.train("iris", epochs=5, seed=1)
    c = ml.train("iris", epochs=5, seed=2)
    np.testing.assert_array_equal(a.history.rows, b.history.rows)
    for k in a.weights:
        np.testing.assert_array_equal(a.weights[k], b.weights[k])
    assert not np.array_equal(a.weights["ih_weights"], c.weights["ih_weights"])


def test_no_shuffle_visits_items_in_file_order(iris):
    t = Trainer(iris, shuffle=False)
    np.testing.assert_array_equal(t._orders_ahead(2), np.tile(np.arange(iris.n_train), (2, 1)))


def test_reset_returns_to_the_same_weights_and_order(iris):
    t = Trainer(iris, seed=5, momentum=0.9)
    first = t.run(250).rows
    w = t.params.copy()
    t.reset()
    assert t.step == t.epoch == t.position == 0
    np.testing.assert_array_equal(t.params, t._initial)
    np.testing.assert_array_equal(t.state, 0.0)
    np.testing.assert_array_equal(t.run(250).rows, first)
    np.testing.assert_array_equal(t.params, w)


@pytest.mark.parametrize("rule", RULES)
def test_learning_rate_and_momentum_change_between_steps(iris, rule):
    """One step after a change is exactly the rule applied with the new values to that item's gradient."""
    t = Trainer(iris, rule=rule, lr=0.02, momentum=0.3, seed=3, shuffle=False)
    t.run(40)
    t.lr, t.momentum = 0.3, 0.85
    item = 40  # file order
    params, state = t.params.copy(), t.state.copy()
    _, g = item_loss_and_gradient(params, 4, 7, 3, activation_code("tanh"), loss_code("cross-entropy"),
                                  iris.x_train[item], iris.y_train[item])
    expected_deltas = ml.engine.update(rule, params, g, state, lr=0.3, momentum=0.85)
    deltas = np.empty((1, t.layout.n_params))
    t.run(1, deltas)
    np.testing.assert_allclose(deltas[0], expected_deltas, rtol=0, atol=1e-15)
    np.testing.assert_allclose(t.params, params, rtol=0, atol=1e-15)
    np.testing.assert_allclose(t.state, state, rtol=0, atol=1e-15)
    rows = t.run(iris.n_train).rows
    assert rows[-1, 5] == 0.3 and rows[-1, 6] == 0.85


@pytest.mark.parametrize(("attr", "value", "message"), [
    ("lr", -0.1, "lr="), ("lr", float("nan"), "lr="), ("lr", float("inf"), "lr="),
    ("momentum", 1.0, "momentum="), ("momentum", -0.01, "momentum="), ("lr", "0.1", "lr="),
])
def test_bad_live_settings_are_refused_and_the_old_value_kept(iris, attr, value, message):
    t = Trainer(iris)
    before = getattr(t, attr)
    with pytest.raises(InputError, match=message):
        setattr(t, attr, value)
    assert getattr(t, attr) == before


def test_divergence_is_found_at_the_first_weight_past_the_limit(iris):
    options = dict(rule="classical", lr=5.0, momentum=0.95, seed=0, weight_limit=50.0)
    t = Trainer(iris, **options)
    report = t.run(20 * iris.n_train)
    d = report.divergence
    assert d is not None and t.divergence is d
    assert "passed the limit 50" in d.reason
    assert report.steps == d.step == t.step
    assert d.epoch == t.epoch + 1
    # Replaying one step at a time: every weight is within the limit up to step - 1.
    replay = Trainer(iris, **options)
    replay.run(d.step - 1)
    assert np.abs(replay.params).max() <= 50.0
    replay.run(1)
    assert np.abs(replay.params).max() > 50.0
    # A diverged trainer does nothing more until reset.
    again = t.run(10)
    assert again.steps == 0 and again.divergence is d


def test_a_non_finite_weight_is_reported():
    # Inputs this large are refused by the loader; built directly, they make the first update overflow.
    x = np.array([[1e305, 1.0], [1e305, -1.0], [-1e305, 1.0], [-1e305, -1.0]])
    y = np.array([0, 1, 0, 1])
    data = Dataset("huge", ("a", "b"), ("0", "1"), x, y, np.empty((0, 2)), np.empty(0, dtype=np.int64),
                   np.zeros(2), np.ones(2))
    t = Trainer(data, activation="relu", lr=1e6, init="glorot", seed=1)
    report = t.run(8)
    assert report.divergence is not None
    assert "became" in report.divergence.reason and ("inf" in report.divergence.reason
                                                    or "nan" in report.divergence.reason)


def test_train_reports_divergence_and_keeps_the_history():
    result = ml.train("iris", rule="classical", lr=5.0, momentum=0.95, epochs=50, weight_limit=50.0)
    assert result.diverged
    assert len(result.history) == result.divergence.epoch  # epochs 0 .. epoch-1 completed
    assert np.all(np.isfinite(result.history["train_loss"]))


def test_initial_weights(iris):
    t = Trainer(iris, init="uniform", init_scale=0.01, seed=3)
    assert np.abs(t.params).max() <= 0.01 and np.abs(t.params).max() > 0.009
    g = Trainer(iris, init="glorot", seed=3, hidden=10)
    w = g.weights()
    assert np.all(w["h_biases"] == 0) and np.all(w["o_biases"] == 0)
    assert np.abs(w["ih_weights"]).max() <= np.sqrt(6 / 14)
    assert np.abs(w["ho_weights"]).max() <= np.sqrt(6 / 13)
    given = Trainer(iris, init_weights=t.weights())
    np.testing.assert_array_equal(given.params, t.params)


@pytest.mark.parametrize(("weights", "message"), [
    ({"ih_weights": np.zeros((4, 7))}, "wrong keys .*missing h_biases"),
    ("extra", "unexpected bonus"),
    ("shape", r"ho_weights has shape \(7, 2\), the network needs \(7, 3\)"),
    ("nan", "o_biases holds non-finite values"),
])
def test_bad_initial_weights(iris, weights, message):
    good = Trainer(iris).weights()
    if weights == "extra":
        weights = dict(good, bonus=np.zeros(1))
    elif weights == "shape":
        weights = dict(good, ho_weights=np.zeros((7, 2)))
    elif weights == "nan":
        weights = dict(good, o_biases=np.array([0.0, np.nan, 0.0]))
    with pytest.raises(InputError, match=message):
        Trainer(iris, init_weights=weights)


def test_history_starts_with_the_initial_weights():
    result = ml.train("iris", epochs=4, lr=0.02, momentum=0.7)
    h = result.history
    np.testing.assert_array_equal(h["epoch"], np.arange(5))
    assert h["train_loss"][0] == pytest.approx(np.log(3), abs=1e-3)  # tiny weights: uniform outputs
    assert np.all(h["lr"] == 0.02) and np.all(h["momentum"] == 0.7)
    assert h["train_loss"][-1] < h["train_loss"][0]
    with pytest.raises(KeyError, match="no column 'loss'"):
        h["loss"]
    assert "History(5 rows" in repr(h) and "TrainResult('iris'" in repr(result)


def test_the_articles_claims_hold_on_iris():
    """Small lr: slow but sure; momentum: faster early; large lr: oscillation."""
    slow = ml.train("iris", lr=0.001, momentum=0.0, epochs=30)
    base = ml.train("iris", lr=0.01, momentum=0.0, epochs=30)
    fast = ml.train("iris", lr=0.01, momentum=0.9, epochs=30)
    assert slow.history["train_loss"][-1] > base.history["train_loss"][-1] > fast.history["train_loss"][-1]
    assert np.all(np.diff(slow.history["train_loss"]) < 0)  # sure: it only goes down
    wild = ml.train("iris", lr=2.0, momentum=0.0, epochs=30, record_deltas=True)
    flips = np.mean(np.diff(np.sign(wild.deltas["o_bias_deltas"][-500:, 0])) != 0)
    assert flips > 0.3  # the bias's deltas keep changing sign


def test_the_engine_imports_no_qt():
    code = ("import sys, momentum_lab, momentum_lab.engine, momentum_lab.cli;"
            "momentum_lab.train('xor', epochs=2);"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'));"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr

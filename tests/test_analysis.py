"""Delta diagnostics on hand-made sequences, stability bounds against simulated quadratics, curvature."""

from __future__ import annotations

import math

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.engine import (
    RULES,
    Layout,
    StabilityLatch,
    Trainer,
    delta_diagnostics,
    gradient_steps,
    batch_sharpness,
    largest_curvature,
    load_dataset,
    loss_trend,
    loss_trends,
    online_bound,
    quadratic_applies,
    stability_bound,
    stability_level,
    stability_value,
    update,
)
from momentum_lab.engine._network import item_loss_and_gradient, loss_code


def test_pure_oscillation_and_steady_decay():
    steps = np.arange(40)
    oscillating = 0.3 * (-1.0) ** steps
    decaying = 0.3 * 0.9**steps
    d = np.column_stack([oscillating, decaying])
    diag = delta_diagnostics(d, d)  # no momentum: every delta is the gradient step
    assert diag["sign_flip_rate"].tolist() == [1.0, 0.0]
    assert diag["gradient_share"].tolist() == [1.0, 1.0]
    assert diag["momentum_share"].tolist() == [0.0, 0.0]
    assert diag["effective_step"].tolist() == [1.0, 1.0]


def test_zero_deltas_are_skipped_when_comparing_signs():
    d = np.array([[0.1, 0.1], [0.0, 0.0], [-0.1, 0.1], [0.0, 0.0], [0.2, 0.3]])
    # Column 0 flips at each non-zero delta after the first, column 1 never does.
    assert delta_diagnostics(d, d)["sign_flip_rate"].tolist() == [1.0, 0.0]
    assert np.isnan(delta_diagnostics(np.zeros((5, 1)), np.zeros((5, 1)))["sign_flip_rate"][0])


@pytest.mark.parametrize(("rule", "effective"), [("lookback", 1.5), ("classical", 2.0), ("nesterov", 2.0)])
def test_a_steady_slope_measured_through_the_rules(rule, effective):
    """A constant gradient: the effective step tends to 1+m (look-back) or 1/(1-m) (heavy-ball)."""
    w, state = np.zeros(1), np.zeros(1)
    deltas = np.array([update(rule, w, np.array([1.0]), state, lr=0.1, momentum=0.5) for _ in range(400)])
    s = gradient_steps(deltas, rule, 0.5)
    expected_s = -0.1 * (1.5 if rule == "nesterov" else 1.0)  # Nesterov's delta holds (1+m) gradient steps
    np.testing.assert_allclose(s, expected_s, rtol=1e-12)
    late = delta_diagnostics(deltas[-100:], s[-100:])
    assert late["effective_step"][0] == pytest.approx(effective * (1 / 1.5 if rule == "nesterov" else 1),
                                                      rel=1e-9)
    assert late["gradient_share"][0] + late["momentum_share"][0] == pytest.approx(1.0)


@pytest.mark.parametrize("rule", RULES)
def test_gradient_steps_are_recovered_exactly_from_a_real_run(rule):
    result = ml.train("iris", rule=rule, lr=0.05, momentum=0.7, epochs=1, record_deltas=True, shuffle=False)
    data = load_dataset("iris")
    t = Trainer(data, rule=rule, lr=0.05, momentum=0.7, shuffle=False)
    flat = np.concatenate([v.reshape(v.shape[0], -1) for v in result.deltas.values()], axis=1)
    recovered = gradient_steps(flat, rule, 0.7)
    # The first three steps' gradients, recomputed at the weights the run had then.
    for step in range(3):
        _, g = item_loss_and_gradient(t.params, 4, 7, 3, 0, 0, data.x_train[step], data.y_train[step])
        factor = 1.7 if rule == "nesterov" else 1.0
        np.testing.assert_allclose(recovered[step], -0.05 * factor * g, atol=1e-13)
        t.run(1)


@pytest.mark.parametrize("m", [0.0, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("rule", RULES)
def test_each_bound_separates_decay_from_growth_on_a_quadratic(rule, m):
    """Run the rule itself on E = w²/2 (curvature 1) just inside and just outside its bound."""
    bound = stability_bound(rule, m)

    def final_size(h):
        w, state = np.array([1.0]), np.zeros(1)
        for _ in range(3000):
            update(rule, w, w.copy(), state, lr=h, momentum=m)  # g = curvature * w with curvature 1
            if not np.isfinite(w[0]) or abs(w[0]) > 1e6:
                return np.inf
        return abs(w[0])

    assert final_size(0.98 * bound) < 1.0
    assert final_size(1.02 * bound) > 1.0


def test_the_bounds_differ_as_the_issue_says():
    assert stability_bound("lookback", 0.9) == pytest.approx(1 / 0.9)
    assert stability_bound("lookback", 0.2) == pytest.approx(2 / 0.8)
    assert stability_bound("classical", 0.9) == pytest.approx(3.8)
    assert stability_bound("nesterov", 0.0) == pytest.approx(2.0)
    assert stability_bound("lookback", 0.0) == 2.0


def _full_hessian_max(params, layout, x, y, loss=0):
    """Every eigenvalue of the mean loss's Hessian, built column by column from central
    differences of the gradient (item by item, through the one-item function)."""
    n_in, n_h, n_out = layout.n_inputs, layout.n_hidden, layout.n_outputs

    def mean_grad(p):
        return np.mean([item_loss_and_gradient(p, n_in, n_h, n_out, 0, loss, x[i], y[i])[1] for i in range(len(x))],
                       axis=0)

    eps = 1e-5
    hessian = np.array([(mean_grad(params + eps * e) - mean_grad(params - eps * e)) / (2 * eps)
                        for e in np.eye(layout.n_params)])
    return np.linalg.eigvalsh((hessian + hessian.T) / 2)


def test_largest_curvature_matches_a_full_hessian():
    """A small network: the power iteration against every eigenvalue of a finite-difference Hessian."""
    rng = np.random.default_rng(3)
    x = np.ascontiguousarray(rng.normal(size=(40, 2)))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    layout = Layout(2, 3, 2)
    params = rng.normal(scale=0.8, size=layout.n_params)
    eigenvalues = _full_hessian_max(params, layout, x, y)
    got = largest_curvature(params, layout, 0, 0, x, y, iterations=300)
    assert got == pytest.approx(eigenvalues.max(), rel=1e-3)


def test_largest_curvature_is_the_most_positive_even_when_a_negative_one_dominates():
    """Iris at the default initial weights (±0.01) sits at a saddle: the spectrum is about ±0.955."""
    data = load_dataset("iris")
    t = Trainer(data)
    eigenvalues = _full_hessian_max(t.params, t.layout, data.x_train, data.y_train)
    assert abs(eigenvalues.min()) > 0.99 * eigenvalues.max() > 0  # the case the shift is for
    got = largest_curvature(t.params, t.layout, 0, 0, data.x_train, data.y_train, iterations=300)
    assert got == pytest.approx(eigenvalues.max(), rel=1e-3)


@pytest.mark.parametrize(("loss", "lr", "epochs"), [
    ("cross-entropy", 1.0, 5),   # spectrum [-0.61, 0.00125]: power iteration said 0
    ("cross-entropy", 5.0, 1),   # [-0.98, 0.034]: it said 0.0018
    ("squared", 5.0, 1),         # [-0.0126, 0.0025]: it said 0.00019
    ("squared", 1.0, 50),
    ("cross-entropy", 0.1, 50),
])
def test_largest_curvature_along_real_runs(loss, lr, epochs):
    """Iris trained some way, where the negative end of the spectrum often dominates: the solver
    finds the most positive eigenvalue of the full Hessian."""
    data = load_dataset("iris")
    t = Trainer(data, loss=loss, lr=lr)
    t.run(epochs * data.n_train)
    code = loss_code(loss)
    eigenvalues = _full_hessian_max(t.params, t.layout, data.x_train, data.y_train, loss=code)
    got = largest_curvature(t.params, t.layout, 0, code, data.x_train, data.y_train, iterations=20)
    assert got == pytest.approx(eigenvalues.max(), rel=1e-3)



# -- the online stability readout --------------------------------------------------------------------


def _item_hessian(params, layout, x, y, loss=0, eps=1e-5):
    """One item's full Hessian, from central differences of its gradient (symmetrised)."""
    n_in, n_h, n_out = layout.n_inputs, layout.n_hidden, layout.n_outputs

    def grad(p):
        return item_loss_and_gradient(p, n_in, n_h, n_out, 0, loss, x, y)[1]

    h = np.array([(grad(params + eps * e) - grad(params - eps * e)) / (2 * eps) for e in np.eye(layout.n_params)])
    return (h + h.T) / 2, grad(params)


@pytest.mark.parametrize("loss", ["cross-entropy", "squared"])
def test_batch_sharpness_is_each_items_curvature_along_its_gradient(loss):
    """A tiny network: g_i' H_i g_i / |g_i|^2 from each item's full Hessian, averaged."""
    rng = np.random.default_rng(5)
    x = np.ascontiguousarray(rng.normal(size=(12, 2)))
    y = (x[:, 0] > x[:, 1]).astype(np.int64)
    layout = Layout(2, 3, 2)
    params = rng.normal(scale=1.2, size=layout.n_params)
    code = loss_code(loss)
    expected = []
    for i in range(len(x)):
        hessian, g = _item_hessian(params, layout, x[i], int(y[i]), code)
        expected.append(g @ hessian @ g / (g @ g))
    assert batch_sharpness(params, layout, 0, code, x, y) == pytest.approx(np.mean(expected), rel=1e-5)
    assert batch_sharpness(params, layout, 0, code, x, y, rows=[3, 7]) == pytest.approx(
        np.mean([expected[3], expected[7]]), rel=1e-5)


def test_the_readout_worked_by_hand():
    """r = lr * gain * BS / 2: look-back's gain 1 + m, heavy-ball's and Nesterov's 1 / (1 - m)."""
    assert stability_value("lookback", 0.4, 0.5, 2.0) == pytest.approx(0.4 * 1.5 * 2.0 / 2)  # 0.6: amber
    assert stability_value("classical", 0.4, 0.5, 2.0) == pytest.approx(0.4 * 2.0 * 2.0 / 2)  # 0.8
    assert stability_value("nesterov", 0.1, 0.9, 2.0) == pytest.approx(0.1 * 10 * 2.0 / 2)  # 1.0
    assert stability_value("lookback", 1.0, 0.0, 2.0) == pytest.approx(1.0)  # plain SGD's lr * BS < 2
    assert [stability_level(v) for v in (0.3, 0.6, 1.2, math.nan)] == ["stable", "caution", "unstable", ""]
    # A loss that has climbed takes over: at least the trend, whatever the curvature says.
    assert stability_value("lookback", 0.4, 0.5, 2.0, trend=3.0) == 3.0
    assert stability_value("lookback", 0.4, 0.5, 2.0, trend=0.9) == pytest.approx(0.6)
    # The whole set a batch: the full-batch quadratic bound, lr * lambda against the rule's.
    full = stability_value("classical", 0.5, 0.5, 2.0, batch_size=100, n_items=100, curvature=3.0)
    assert full == pytest.approx(0.5 * 3.0 / stability_bound("classical", 0.5))
    # Between: the nearer one on a log scale (online below sqrt(n), here 10).
    assert stability_value("classical", 0.4, 0.5, 2.0, batch_size=9, n_items=100, curvature=3.0) == pytest.approx(0.8)
    assert stability_value("classical", 0.5, 0.5, 2.0, batch_size=10, n_items=100, curvature=3.0) == pytest.approx(full)


def test_a_trainers_readout_is_the_one_of_its_batch_size():
    """Trainer.stability_now: online from the sharpness; a batch of the whole set from the largest
    curvature against the rule's quadratic bound (NaN without a curvature)."""
    data = ml.load_dataset("iris")
    online = ml.Trainer(data, rule="classical", lr=1.0, momentum=0.9)
    assert online.stability_now(2.0, curvature=3.0) == pytest.approx(1.0 * 10 * 2.0 / 2)
    full = ml.Trainer(data, rule="classical", lr=1.0, momentum=0.9, batch_size="full")
    assert full.stability_now(2.0, curvature=3.0) == pytest.approx(3.0 / stability_bound("classical", 0.9))
    assert math.isnan(full.stability_now(2.0))
def test_the_online_edge_and_where_the_quadratic_bound_takes_over():
    """The readout's edge r = 1 in lr × BS: 2 / gain (look-back 2 / (1 + m), heavy-ball and
    Nesterov 2 (1 - m)); the quadratic bound from sqrt(n) items a batch on."""
    assert online_bound("lookback", 0.9) == pytest.approx(2 / 1.9)
    assert online_bound("classical", 0.9) == pytest.approx(0.2)
    assert online_bound("nesterov", 0.5) == pytest.approx(1.0)
    assert online_bound("lookback", 0.0) == online_bound("classical", 0.0) == 2.0  # plain SGD's
    for rule in ("lookback", "classical", "nesterov"):  # r is 1 on the edge
        assert stability_value(rule, 0.5, 0.7, 2 * online_bound(rule, 0.7)) == pytest.approx(1.0)
    assert [quadratic_applies(b, 120) for b in (1, 10, 11, 120, 500)] == [False, False, True, True, True]
    assert not quadratic_applies(1, 1) and not quadratic_applies(50, None)


def test_the_loss_trend_flags_a_climb_not_a_fall():
    falling = [1.1, 0.6, 0.3, 0.2, 0.15, 0.1, 0.09, 0.08]
    assert np.nanmax(loss_trends(falling)) < 0.5
    # The best before the latest five epochs is 0.1: their median 0.5 is 2.5 times twice it.
    climbing = [1.1, 0.3, 0.1, 0.1, 0.1, 0.1, 0.4, 0.5, 0.6, 0.5, 0.7]
    assert loss_trend(climbing) == pytest.approx(0.5 / 0.2)
    assert loss_trends(climbing)[-1] == pytest.approx(loss_trend(climbing))
    # Carried in parts, the same values.
    np.testing.assert_allclose(loss_trends(climbing[6:], climbing[:6]), loss_trends(climbing)[6:])
    # Near zero loss a wobble is no alarm: the floor is a tenth of the first loss.
    assert loss_trend([1.0, 0.01, 1e-4, 1e-4, 1e-4, 1e-4, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]) == pytest.approx(0.01)
    assert loss_trend([1.0, 0.5, 0.4, 0.3, 0.2, 0.1, math.nan]) == math.inf


def test_the_latch_holds_the_maximum_until_a_setting_changes():
    latch = StabilityLatch()
    assert latch.update("lookback", 0.1, 0.5, 0.7) == 0.7
    assert latch.update("lookback", 0.1, 0.5, 0.2) == 0.7
    assert latch.update("lookback", 0.1, 0.5, math.nan) == 0.7
    assert latch.update("lookback", 0.2, 0.5, 0.3) == 0.3  # a new lr: again from the new value
    assert latch.update("classical", 0.2, 0.5, 0.1) == 0.1


def test_the_history_has_the_readout_at_each_epoch():
    """Row 0 at the initial weights; each row the readout for the next step's settings, from the
    batch sharpness of all items (each remeasured within SHARPNESS_EPOCHS epochs)."""
    data = load_dataset("iris")
    result = ml.train(data, epochs=12, lr=0.1, momentum=0.5, rule="classical")
    column = result.history["stability"]
    assert len(column) == 13 and np.all(np.isfinite(column))
    t = Trainer(data, lr=0.1, momentum=0.5, rule="classical")
    bs0 = batch_sharpness(t.params, t.layout, 0, 0, data.x_train, data.y_train)
    assert column[0] == pytest.approx(0.1 * 2.0 * bs0 / 2)
    t.run(12 * data.n_train)
    # After 12 epochs a part of the items was measured again, the rest is older: near, not equal.
    bs = batch_sharpness(t.params, t.layout, 0, 0, data.x_train, data.y_train)
    assert column[-1] == pytest.approx(0.1 * 2.0 * bs / 2, rel=0.5)
    # Iris at lr 50 thrashes (loss 100 or so): the curvature collapses, the trend takes over.
    hot = ml.train(data, epochs=30, lr=50.0)
    assert hot.history["train_loss"][-1] > 20 and hot.history["stability"][-1] > 10

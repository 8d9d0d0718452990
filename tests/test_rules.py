"""The update rules, checked against steps worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from momentum_lab.engine import InputError, RULES, update


def run_rule(rule, grads, lr, momentum, w0=0.0):
    """Apply ``rule`` to one scalar weight for a sequence of gradients; return weights and deltas."""
    w = np.array([w0])
    state = np.zeros(1)
    ws, ds = [], []
    for g in grads:
        d = update(rule, w, np.array([g]), state, lr=lr, momentum=momentum)
        ws.append(w[0])
        ds.append(d[0])
    return np.array(ws), np.array(ds)


class TestArticleWorkedExample:
    """w = 3.56, lr = 0.01, gradient term 2.70 (the article's sign: its gradient points downhill,
    so dE/dw = -2.70); with momentum 0.5 and a previous delta of 0.044."""

    def test_without_momentum(self):
        w = np.array([3.56])
        update("lookback", w, np.array([-2.70]), np.zeros(1), lr=0.01, momentum=0.0)
        assert w[0] == pytest.approx(3.587, abs=1e-12)

    def test_with_momentum(self):
        w = np.array([3.56])
        prev = np.array([0.044])
        delta = update("lookback", w, np.array([-2.70]), prev, lr=0.01, momentum=0.5)
        assert w[0] == pytest.approx(3.609, abs=1e-12)
        assert delta[0] == pytest.approx(0.027 + 0.022, abs=1e-12)
        # The rule stores the gradient step alone, not the total change.
        assert prev[0] == pytest.approx(0.027, abs=1e-15)


# lr 0.1, momentum 0.5, gradients 1, 2, -1 from w = 0, worked by hand:
#   lookback : d = -0.1, -0.2, +0.1;  deltas -0.1, -0.2 - 0.05 = -0.25, 0.1 - 0.1 = 0
#   classical: v = -0.1, -0.05 - 0.2 = -0.25, -0.125 + 0.1 = -0.025
#   nesterov : v as classical; deltas 0.5v - 0.1g = -0.15, -0.325, -0.0125 + 0.1 = 0.0875
HAND = {
    "lookback": ([-0.1, -0.25, 0.0], [-0.1, -0.35, -0.35]),
    "classical": ([-0.1, -0.25, -0.025], [-0.1, -0.35, -0.375]),
    "nesterov": ([-0.15, -0.325, 0.0875], [-0.15, -0.475, -0.3875]),
}


@pytest.mark.parametrize("rule", RULES)
def test_first_steps_by_hand(rule):
    ws, ds = run_rule(rule, [1.0, 2.0, -1.0], lr=0.1, momentum=0.5)
    np.testing.assert_allclose(ds, HAND[rule][0], atol=1e-15)
    np.testing.assert_allclose(ws, HAND[rule][1], atol=1e-15)


@pytest.mark.parametrize("rule", RULES)
def test_momentum_zero_is_plain_sgd(rule):
    grads = np.random.default_rng(1).normal(size=20)
    ws, ds = run_rule(rule, grads, lr=0.03, momentum=0.0)
    np.testing.assert_allclose(ds, -0.03 * grads, rtol=0, atol=1e-15)


@pytest.mark.parametrize(("rule", "factor"), [("lookback", 1 + 0.9), ("classical", 1 / (1 - 0.9)),
                                              ("nesterov", 1 / (1 - 0.9))])
def test_steady_step_on_a_constant_slope(rule, factor):
    """At m = 0.9 the look-back rule's step settles at 1.9 lr g, heavy-ball's at 10 lr g."""
    _, ds = run_rule(rule, np.ones(400), lr=0.01, momentum=0.9)
    assert ds[-1] == pytest.approx(-0.01 * factor, rel=1e-9)


def test_lookback_state_after_a_learning_rate_change():
    """The stored step was made with the old rate: the first step after a change carries it once."""
    w, state = np.array([0.0]), np.zeros(1)
    update("lookback", w, np.array([1.0]), state, lr=0.1, momentum=0.5)
    d = update("lookback", w, np.array([1.0]), state, lr=0.2, momentum=0.5)
    assert d[0] == pytest.approx(-0.2 + 0.5 * -0.1)
    d = update("lookback", w, np.array([1.0]), state, lr=0.2, momentum=0.5)
    assert d[0] == pytest.approx(-0.2 + 0.5 * -0.2)


def test_update_works_on_arrays_in_place():
    w = np.zeros((2, 3))
    state = np.zeros((2, 3))
    g = np.arange(6.0).reshape(2, 3)
    d = update("classical", w, g, state, lr=0.5, momentum=0.5)
    np.testing.assert_array_equal(w, -0.5 * g)
    np.testing.assert_array_equal(d, -0.5 * g)
    np.testing.assert_array_equal(state, -0.5 * g)


def test_update_refuses_unknown_rule_and_copies():
    with pytest.raises(InputError, match="rule=: unknown update rule 'adam'"):
        update("adam", np.zeros(1), np.zeros(1), np.zeros(1), lr=0.1, momentum=0.0)
    with pytest.raises(TypeError):
        update("lookback", np.zeros(3, dtype=np.float32), np.zeros(3), np.zeros(3), lr=0.1, momentum=0.0)

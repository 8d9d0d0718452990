"""The network's maths: gradients by central differences, against the numpy reference, and layout."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import reference as ref

from momentum_lab.engine import ACTIVATIONS, GRADIENT_LOSSES, LOSSES, InputError, Layout
from momentum_lab.engine._network import (
    activation_code,
    evaluate,
    forward_batch,
    item_loss_and_gradient,
    loss_code,
)

LAYOUT = Layout(4, 5, 3)
CASES = list(itertools.product(ACTIVATIONS, LOSSES))
# The losses trained on their gradient (the article's signal is the gradient of no loss).
GRADIENT_CASES = list(itertools.product(ACTIVATIONS, GRADIENT_LOSSES))


def random_point(rng, act):
    """Parameters and an item away from ReLU's kink (where the derivative is undefined)."""
    while True:
        params = rng.normal(scale=0.7, size=LAYOUT.n_params)
        x = rng.normal(size=LAYOUT.n_inputs)
        pre = x @ LAYOUT.views(params)["ih_weights"] + LAYOUT.views(params)["h_biases"]
        if act != "relu" or np.min(np.abs(pre)) > 1e-2:
            return params, x


def loss_and_grad(params, x, target, act, loss):
    return item_loss_and_gradient(params, 4, 5, 3, activation_code(act), loss_code(loss), x, target)


@pytest.mark.parametrize(("act", "loss"), GRADIENT_CASES)
def test_gradient_matches_central_differences(act, loss, rng):
    for trial in range(3):
        params, x = random_point(rng, act)
        target = trial % 3
        _, grads = loss_and_grad(params, x, target, act, loss)
        eps = 1e-6
        numeric = np.empty_like(params)
        for i in range(params.size):
            up, down = params.copy(), params.copy()
            up[i] += eps
            down[i] -= eps
            numeric[i] = (loss_and_grad(up, x, target, act, loss)[0]
                          - loss_and_grad(down, x, target, act, loss)[0]) / (2 * eps)
        np.testing.assert_allclose(grads, numeric, rtol=1e-6, atol=1e-8)
        assert np.abs(grads).max() > 1e-3  # a vanishing gradient would pass trivially


@pytest.mark.parametrize(("act", "loss"), CASES)
def test_gradient_and_loss_match_the_numpy_reference(act, loss, rng):
    params, x = random_point(rng, act)
    value, grads = loss_and_grad(params, x, 1, act, loss)
    w = LAYOUT.views(params)
    expected = ref.gradients(w, x, np.eye(3)[1], act, loss)
    np.testing.assert_allclose(grads, LAYOUT.flatten(expected), rtol=1e-12, atol=1e-14)
    _, o = ref.forward(w, x, act)
    assert value == pytest.approx(float(ref.loss_value(o, np.eye(3)[1], loss)), rel=1e-12)


@pytest.mark.parametrize(("act", "loss"), CASES)
def test_evaluate_is_the_mean_item_loss_and_accuracy(act, loss, rng):
    params = rng.normal(size=LAYOUT.n_params)
    xs = rng.normal(size=(300, 4))  # more than one evaluation block
    ys = rng.integers(0, 3, size=300)
    mean_loss, accuracy = evaluate(params, 4, 5, 3, activation_code(act), loss_code(loss), xs, ys)
    expected_loss, expected_acc = ref.evaluate(LAYOUT.views(params), xs, ys, 3, act, loss)
    assert mean_loss == pytest.approx(expected_loss, rel=1e-12)
    assert accuracy == expected_acc
    probs = forward_batch(params, 4, 5, 3, activation_code(act), xs)
    np.testing.assert_allclose(probs, ref.forward(LAYOUT.views(params), xs, act)[1], rtol=1e-12, atol=1e-15)


def test_evaluate_of_an_empty_set_is_nan():
    loss, acc = evaluate(np.zeros(LAYOUT.n_params), 4, 5, 3, 0, 0, np.empty((0, 4)), np.empty(0, np.int64))
    assert np.isnan(loss) and np.isnan(acc)


def test_cross_entropy_stays_finite_for_a_confident_wrong_answer():
    params = np.zeros(LAYOUT.n_params)
    LAYOUT.views(params)["o_biases"][:] = [900.0, 0.0, 0.0]  # exp(900) overflows; log-softmax does not
    value, grads = loss_and_grad(params, np.zeros(4), 2, "tanh", "cross-entropy")
    assert value == pytest.approx(900.0)
    assert np.all(np.isfinite(grads))


def test_cross_entropy_keeps_its_precision_for_huge_logits():
    """Equal logits of 1e17: the loss is log 3, which log(total) added to 1e17 would round away."""
    params = np.zeros(LAYOUT.n_params)
    LAYOUT.views(params)["o_biases"][:] = 1e17
    value, _ = loss_and_grad(params, np.zeros(4), 0, "tanh", "cross-entropy")
    assert value == pytest.approx(np.log(3), rel=1e-15)
    mean, _ = evaluate(params, 4, 5, 3, 0, 0, np.zeros((2, 4)), np.array([0, 2]))
    assert mean == pytest.approx(np.log(3), rel=1e-15)


def test_layout_views_flatten_and_labels():
    flat = np.arange(LAYOUT.n_params, dtype=float)
    views = LAYOUT.views(flat)
    assert {k: v.shape for k, v in views.items()} == {
        "ih_weights": (4, 5), "h_biases": (5,), "ho_weights": (5, 3), "o_biases": (3,)}
    assert views["h_biases"][0] == 20.0 and views["ho_weights"][0, 1] == 26.0
    views["o_biases"][2] = -1.0  # views write through
    assert flat[-1] == -1.0
    np.testing.assert_array_equal(LAYOUT.flatten(views), flat)
    stacked = np.stack([flat, flat])
    assert LAYOUT.views(stacked)["ih_weights"].shape == (2, 4, 5)
    labels = LAYOUT.labels()
    assert len(labels) == LAYOUT.n_params
    assert labels[7].startswith("ih_weights[1,2]") and "in 1 → hidden 2" in labels[7]
    assert labels[-1].startswith("o_biases[2]")
    assert repr(LAYOUT) == "Layout(4-5-3, 43 parameters)"


def test_unknown_activation_and_loss():
    with pytest.raises(InputError, match="activation=: unknown activation 'softplus'"):
        activation_code("softplus")
    with pytest.raises(InputError, match="loss=: unknown loss 'hinge'"):
        loss_code("hinge")

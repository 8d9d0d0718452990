"""A plain numpy implementation of online and batch training: the oracle for the compiled kernel.

Written independently of the engine, in the most direct form (matrices, one
item at a time, libm's tanh; a batch's gradient the mean of its items'), so
that agreement means something. The benchmark uses it as the "naive per-item
numpy loop" too.
"""

from __future__ import annotations

import numpy as np


def activation(name, a):
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    return np.maximum(a, 0.0)


def activation_slope(name, h):
    """d act / d a, from the activation's output h."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    return (h > 0.0).astype(float)


def forward(w, x, act):
    """Hidden outputs and softmax outputs of one item (or a batch)."""
    hidden = activation(act, x @ w["ih_weights"] + w["h_biases"])
    z = hidden @ w["ho_weights"] + w["o_biases"]
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return hidden, e / e.sum(axis=-1, keepdims=True)


def loss_value(outputs, target_onehot, loss):
    if loss == "cross-entropy":
        return -np.sum(target_onehot * np.log(outputs), axis=-1)
    if loss == "article":  # the article's error: the sum itself
        return np.sum((outputs - target_onehot) ** 2, axis=-1)
    return 0.5 * np.sum((outputs - target_onehot) ** 2, axis=-1)


def gradients(w, x, t, act, loss):
    """dE/dw of one item, as a dict shaped like the weights (for "article": its negated signal)."""
    hidden, o = forward(w, x, act)
    if loss == "cross-entropy":
        d_out = o - t
    elif loss == "article":
        # The article's signal (the softmax Jacobian's diagonal only), in descent form.
        d_out = -(1.0 - o) * o * (t - o)
    else:
        # Full softmax Jacobian J[k, j] = o_k (delta_kj - o_j); dE/dz = J^T (o - t).
        jac = np.diag(o) - np.outer(o, o)
        d_out = jac.T @ (o - t)
    d_hid = (w["ho_weights"] @ d_out) * activation_slope(act, hidden)
    return {
        "ih_weights": np.outer(x, d_hid),
        "h_biases": d_hid,
        "ho_weights": np.outer(hidden, d_out),
        "o_biases": d_out,
    }


NAMES = ("ih_weights", "h_biases", "ho_weights", "o_biases")


def train(w0, x_train, y_train, n_classes, orders, *, act="tanh", loss="cross-entropy", rule="lookback",
          lr=0.01, momentum=0.5, x_test=None, y_test=None, changes=None, batch=1):
    """Train over ``orders`` (one row of item indices per epoch), ``batch`` items an update.

    Each epoch's order is cut into consecutive batches of ``batch`` items (the
    last one may be smaller; ``None``: the whole epoch is one batch); an update
    uses the mean of its items' gradients (with one item, that item's gradient).
    ``changes`` maps a step (update) count to new ``(lr, momentum)``, used from
    the update after that many steps on.

    Returns the final weights, the deltas of every step (dict of arrays with a
    leading step axis) and per-epoch (train loss, train acc, test loss, test acc).
    """
    w = {k: np.array(v, dtype=float) for k, v in w0.items()}
    state = {k: np.zeros_like(v) for k, v in w.items()}
    eye = np.eye(n_classes)
    deltas = {k: [] for k in NAMES}
    rows = []
    done = 0
    for order in orders:
        size = len(order) if batch is None else batch
        for first in range(0, len(order), size):
            if changes and done in changes:
                lr, momentum = changes[done]
            done += 1
            each = [gradients(w, x_train[item], eye[y_train[item]], act, loss) for item in order[first:first + size]]
            g = each[0] if len(each) == 1 else {k: np.mean([e[k] for e in each], axis=0) for k in NAMES}
            for k in NAMES:
                if rule == "lookback":
                    step = -lr * g[k]
                    delta = step + momentum * state[k]
                    state[k] = step
                elif rule == "classical":
                    state[k] = momentum * state[k] - lr * g[k]
                    delta = state[k]
                else:  # nesterov
                    state[k] = momentum * state[k] - lr * g[k]
                    delta = momentum * state[k] - lr * g[k]
                w[k] = w[k] + delta
                deltas[k].append(delta)
        rows.append(evaluate(w, x_train, y_train, n_classes, act, loss)
                    + (evaluate(w, x_test, y_test, n_classes, act, loss) if x_test is not None
                       and len(x_test) else (np.nan, np.nan)))
    return w, {k: np.array(v) for k, v in deltas.items()}, np.array(rows)


def evaluate(w, x, y, n_classes, act, loss):
    _, o = forward(w, x, act)
    t = np.eye(n_classes)[y]
    return float(np.mean(loss_value(o, t, loss))), float(np.mean(np.argmax(o, axis=1) == y))

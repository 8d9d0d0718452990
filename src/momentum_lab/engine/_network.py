"""The network: inputs, one hidden layer, softmax outputs; one-item back-propagation.

All parameters live in one flat float64 vector, so that the optimizer state,
the gradient and the recorded deltas can be vectors parallel to it. The four
named parameters are views into it, in this order::

    ih_weights : ndarray, shape (n_inputs, n_hidden)   input -> hidden weights
    h_biases   : ndarray, shape (n_hidden,)            hidden-node biases
    ho_weights : ndarray, shape (n_hidden, n_outputs)  hidden -> output weights
    o_biases   : ndarray, shape (n_outputs,)           output-node biases

Forward pass for one item ``x`` (shape ``(n_inputs,)``)::

    hidden  = act(x @ ih_weights + h_biases)
    outputs = softmax(hidden @ ho_weights + o_biases)

The losses: ``cross-entropy`` and ``squared`` (half the summed squared error) train on their
exact gradients. ``article`` is the article's own program: its output signal uses only the
diagonal of the softmax's Jacobian, ``s_k = (1 - o_k) o_k (t_k - o_k)``, and it reports the
summed squared error without the half. That signal is the gradient of no loss (not of the
error it reports, nor of any other): the error reported is not what the steps descend, and
there is no Hessian, so :func:`~momentum_lab.engine.largest_curvature` refuses it.

The compiled functions here are the only implementation of this maths; the
training kernel calls them, and Python may call them too (tests do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._errors import InputError

__all__ = [
    "ACTIVATIONS",
    "GRADIENT_LOSSES",
    "LOSSES",
    "PARAM_NAMES",
    "Layout",
    "activation_code",
    "evaluate",
    "forward_batch",
    "item_loss_and_gradient",
    "loss_code",
]

#: Hidden-layer activations, in the order of their codes in compiled code.
ACTIVATIONS = ("tanh", "sigmoid", "relu")
#: Per-item losses, in the order of their codes in compiled code.
LOSSES = ("cross-entropy", "squared", "article")
#: The losses whose training signal is their gradient (``article``'s is not: see the module's text).
GRADIENT_LOSSES = ("cross-entropy", "squared")
#: The four parameters, in the order they sit in the flat vector.
PARAM_NAMES = ("ih_weights", "h_biases", "ho_weights", "o_biases")

TANH, SIGMOID, RELU = 0, 1, 2
CROSS_ENTROPY, SQUARED, ARTICLE = 0, 1, 2


def activation_code(name: str) -> int:
    """Map an activation name to its code; InputError naming ``activation=`` otherwise."""
    if name not in ACTIVATIONS:
        raise InputError(f"activation=: unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS.index(name)


def loss_code(name: str) -> int:
    """Map a loss name to its code; InputError naming ``loss=`` otherwise."""
    if name not in LOSSES:
        raise InputError(f"loss=: unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES.index(name)


@dataclass(frozen=True)
class Layout:
    """Where each named parameter sits in the flat parameter vector.

    Parameters
    ----------
    n_inputs, n_hidden, n_outputs : int
        Layer sizes.
    """

    n_inputs: int
    n_hidden: int
    n_outputs: int

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of each named parameter."""
        return {
            "ih_weights": (self.n_inputs, self.n_hidden),
            "h_biases": (self.n_hidden,),
            "ho_weights": (self.n_hidden, self.n_outputs),
            "o_biases": (self.n_outputs,),
        }

    @property
    def slices(self) -> dict[str, slice]:
        """Slice of the flat vector holding each named parameter."""
        out: dict[str, slice] = {}
        start = 0
        for name, shape in self.shapes.items():
            size = math.prod(shape)
            out[name] = slice(start, start + size)
            start += size
        return out

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return sum(math.prod(s) for s in self.shapes.values())

    def views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """The named parameters as views of ``flat`` (shape ``(..., n_params)``).

        A leading axis (e.g. steps, for recorded deltas) is kept.
        """
        lead = flat.shape[:-1]
        return {
            name: flat[..., sl].reshape(lead + self.shapes[name])
            for (name, sl) in self.slices.items()
        }

    def flatten(self, named: dict[str, np.ndarray]) -> np.ndarray:
        """Concatenate named parameters (exact shapes) into a new flat vector."""
        return np.concatenate([np.asarray(named[n], dtype=np.float64).ravel() for n in PARAM_NAMES])

    def labels(self, inputs=None, outputs=None, short: bool = False) -> list[str]:
        """A readable label per flat position, e.g. ``'ih_weights[2,0]  in 2 → hidden 0'``.

        ``inputs`` and ``outputs`` name the input and output nodes (feature and
        class names); ``short`` gives ``'ih[2,0]  petal_length→h0'``.
        """
        inputs = inputs or [f"in {i}" for i in range(self.n_inputs)]
        outputs = outputs or [f"out {k}" for k in range(self.n_outputs)]
        names = ("ih", "hb", "ho", "ob") if short else PARAM_NAMES
        arrow, hidden = ("→", "h") if short else (" → ", "hidden ")
        out = []
        for i in range(self.n_inputs):
            for j in range(self.n_hidden):
                out.append(f"{names[0]}[{i},{j}]  {inputs[i]}{arrow}{hidden}{j}")
        out += [f"{names[1]}[{j}]  bias{arrow}{hidden}{j}" for j in range(self.n_hidden)]
        for j in range(self.n_hidden):
            for k in range(self.n_outputs):
                out.append(f"{names[2]}[{j},{k}]  {hidden}{j}{arrow}{outputs[k]}")
        out += [f"{names[3]}[{k}]  bias{arrow}{outputs[k]}" for k in range(self.n_outputs)]
        return out

    def __repr__(self) -> str:
        return f"Layout({self.n_inputs}-{self.n_hidden}-{self.n_outputs}, {self.n_params} parameters)"


@njit(nogil=True, cache=True, inline="always")
def _forward(params, n_in, n_h, n_out, act, xs, row, hidden, logits, outputs):
    """Forward pass of item ``xs[row]``.

    Fills ``hidden`` (n_h), ``logits`` (n_out, the pre-softmax sums) and
    ``outputs`` (n_out, the softmax). Returns ``(zmax, total)``: the largest
    logit and sum(exp(logits - zmax)), so that log(outputs[k]) = logits[k] -
    zmax - log(total) ``zmax + total`` is finite
    exactly when the logits are all finite (training checks that instead of
    paying for a logarithm).

    The loops run along rows of the weight matrices (contiguous memory) and
    the activation is chosen once per layer, not once per unit.
    """
    off_hb = n_in * n_h
    off_ho = off_hb + n_h
    off_ob = off_ho + n_h * n_out
    for j in range(n_h):
        hidden[j] = params[off_hb + j]
    for i in range(n_in):
        xi = xs[row, i]
        base = i * n_h
        for j in range(n_h):
            hidden[j] += xi * params[base + j]
    if act == TANH:
        for j in range(n_h):
            # tanh through one exp: about three times faster than libm's tanh
            # and within 2.3e-16 of it (absolute) over the whole range.
            hidden[j] = 1.0 - 2.0 / (math.exp(2.0 * hidden[j]) + 1.0)
    elif act == SIGMOID:
        for j in range(n_h):
            hidden[j] = 1.0 / (1.0 + math.exp(-hidden[j]))
    else:
        for j in range(n_h):
            hidden[j] = hidden[j] if hidden[j] > 0.0 else 0.0
    for k in range(n_out):
        logits[k] = params[off_ob + k]
    for j in range(n_h):
        hj = hidden[j]
        base = off_ho + j * n_out
        for k in range(n_out):
            logits[k] += hj * params[base + k]
    # Data-dependent branches mispredict often here; selects do not.
    zmax = logits[0]
    for k in range(1, n_out):
        zmax = logits[k] if logits[k] > zmax else zmax
    total = 0.0
    for k in range(n_out):
        outputs[k] = math.exp(logits[k] - zmax)
        total += outputs[k]
    for k in range(n_out):
        outputs[k] /= total
    return zmax, total


@njit(nogil=True, cache=True, inline="always")
def _item_loss(logits, outputs, zmax, total, target, loss):
    """Loss of one item (class index ``target``) from :func:`_forward`'s results."""
    if loss == CROSS_ENTROPY:
        # E = -sum_k t_k log o_k with a one-hot t, and log o_k = z_k - zmax - log(total).
        # (zmax - z_target) first: adding log(total) to a huge zmax would round it away.
        return (zmax - logits[target]) + math.log(total)
    total = 0.0
    for k in range(outputs.shape[0]):
        diff = outputs[k] - (1.0 if k == target else 0.0)
        total += diff * diff
    # The article's error is the sum itself (no half).
    return total if loss == ARTICLE else 0.5 * total


@njit(nogil=True, cache=True, inline="always")
def _backprop(params, n_in, n_h, n_out, act, loss, xs, row, target, hidden, logits, outputs,
              d_out, d_hid, grads):
    """Gradient dE/dw of item ``xs[row]`` into ``grads`` (n_params), at the current weights.

    For the ``article`` loss, the article's signal in the same (descent) form instead: the
    negated signal, so that the rule's ``-lr * g`` is the article's ``lr * signal``.

    Returns ``(zmax, total)`` from the forward pass (see :func:`_forward`).
    """
    zmax, total = _forward(params, n_in, n_h, n_out, act, xs, row, hidden, logits, outputs)
    off_hb = n_in * n_h
    off_ho = off_hb + n_h
    off_ob = off_ho + n_h * n_out
    # d_out[k] = dE/dz_k, z the pre-softmax sums.
    if loss == CROSS_ENTROPY:
        # Softmax and cross-entropy together: dE/dz = o - t (the softmax
        # Jacobian's terms cancel the 1/o of the log).
        for k in range(n_out):
            d_out[k] = outputs[k]
        d_out[target] -= 1.0
    elif loss == ARTICLE:
        # The article's output signal s_k = (1 - o_k) o_k (t_k - o_k): the diagonal of the
        # softmax Jacobian only (the gradient of no loss), negated into the descent form.
        for k in range(n_out):
            t = 1.0 if k == target else 0.0
            d_out[k] = -((1.0 - outputs[k]) * outputs[k] * (t - outputs[k]))
    else:
        # Squared error through the full softmax Jacobian
        # do_k/dz_j = o_k (delta_kj - o_j):  dE/dz_j = o_j ((o_j - t_j) - sum_k (o_k - t_k) o_k).
        dot = -outputs[target]
        for k in range(n_out):
            dot += outputs[k] * outputs[k]
        for j in range(n_out):
            d_out[j] = outputs[j] * (outputs[j] - dot)
        d_out[target] -= outputs[target]
    for j in range(n_h):
        back = 0.0
        base = off_ho + j * n_out
        hj = hidden[j]
        for k in range(n_out):
            back += params[base + k] * d_out[k]
            grads[base + k] = hj * d_out[k]
        d_hid[j] = back
    if act == TANH:
        for j in range(n_h):
            d_hid[j] *= 1.0 - hidden[j] * hidden[j]
    elif act == SIGMOID:
        for j in range(n_h):
            d_hid[j] *= hidden[j] * (1.0 - hidden[j])
    else:
        for j in range(n_h):
            d_hid[j] = d_hid[j] if hidden[j] > 0.0 else 0.0
    for j in range(n_h):
        grads[off_hb + j] = d_hid[j]
    for k in range(n_out):
        grads[off_ob + k] = d_out[k]
    for i in range(n_in):
        xi = xs[row, i]
        base = i * n_h
        for j in range(n_h):
            grads[base + j] = xi * d_hid[j]
    return zmax, total


@njit(nogil=True, cache=True)
def item_loss_and_gradient(params, n_in, n_h, n_out, act, loss, x, target):
    """Loss and gradient of one item, allocating its own scratch (for tests and tools).

    Parameters
    ----------
    params : ndarray, shape (n_params,)
    n_in, n_h, n_out : int
        Layer sizes.
    act, loss : int
        Codes from :func:`activation_code` and :func:`loss_code`.
    x : ndarray, shape (n_in,)
    target : int
        Class index.

    Returns
    -------
    loss : float
    grads : ndarray, shape (n_params,)
        dE/dw, parallel to ``params`` (for the ``article`` loss, its negated signal: not the
        gradient of the loss returned).
    """
    hidden = np.empty(n_h)
    logits = np.empty(n_out)
    outputs = np.empty(n_out)
    d_out = np.empty(n_out)
    d_hid = np.empty(n_h)
    grads = np.empty(params.shape[0])
    xs = np.ascontiguousarray(x).reshape(1, n_in)
    zmax, total = _backprop(params, n_in, n_h, n_out, act, loss, xs, 0, target, hidden, logits, outputs,
                            d_out, d_hid, grads)
    return _item_loss(logits, outputs, zmax, total, target, loss), grads


# Items evaluated together: long enough loops to run fast, small enough for L1.
_BLOCK = 128


@njit(nogil=True, cache=True, inline="always")
def _logits_block(params, n_in, n_h, n_out, act, xs, start, count, x_t, a_t, z_t):
    """Logits of items ``xs[start:start+count]`` into ``z_t[:, :count]`` (n_out, _BLOCK).

    The same maths as :func:`_forward`, with the items as the innermost loop
    (transposed scratch ``x_t`` (n_in, _BLOCK) and ``a_t`` (n_h, _BLOCK)), which
    is several times faster for a whole data set than item after item.
    """
    off_hb = n_in * n_h
    off_ho = off_hb + n_h
    off_ob = off_ho + n_h * n_out
    for b in range(count):
        for i in range(n_in):
            x_t[i, b] = xs[start + b, i]
    for j in range(n_h):
        bias = params[off_hb + j]
        for b in range(count):
            a_t[j, b] = bias
    for i in range(n_in):
        for j in range(n_h):
            w = params[i * n_h + j]
            for b in range(count):
                a_t[j, b] += x_t[i, b] * w
    for j in range(n_h):
        if act == TANH:
            for b in range(count):
                a_t[j, b] = 1.0 - 2.0 / (math.exp(2.0 * a_t[j, b]) + 1.0)
        elif act == SIGMOID:
            for b in range(count):
                a_t[j, b] = 1.0 / (1.0 + math.exp(-a_t[j, b]))
        else:
            for b in range(count):
                a_t[j, b] = a_t[j, b] if a_t[j, b] > 0.0 else 0.0
    for k in range(n_out):
        bias = params[off_ob + k]
        for b in range(count):
            z_t[k, b] = bias
    for j in range(n_h):
        for k in range(n_out):
            w = params[off_ho + j * n_out + k]
            for b in range(count):
                z_t[k, b] += a_t[j, b] * w


@njit(nogil=True, cache=True)
def evaluate(params, n_in, n_h, n_out, act, loss, xs, ys):
    """Mean per-item loss and accuracy over a set; (nan, nan) when it is empty.

    For the ``article`` loss, the article's error: the summed squared error of each item
    (no half), averaged over the items.

    Parameters
    ----------
    xs : ndarray, shape (n_items, n_in)
    ys : ndarray, shape (n_items,)
        Class indices.
    """
    n = xs.shape[0]
    if n == 0:
        return math.nan, math.nan
    x_t = np.empty((n_in, _BLOCK))
    a_t = np.empty((n_h, _BLOCK))
    z_t = np.empty((n_out, _BLOCK))
    total = 0.0
    correct = 0
    for start in range(0, n, _BLOCK):
        count = min(_BLOCK, n - start)
        _logits_block(params, n_in, n_h, n_out, act, xs, start, count, x_t, a_t, z_t)
        for b in range(count):
            target = ys[start + b]
            # The first largest logit; selects, not branches (see _forward).
            best = 0
            zmax = z_t[0, b]
            for k in range(1, n_out):
                best = k if z_t[k, b] > zmax else best
                zmax = z_t[k, b] if z_t[k, b] > zmax else zmax
            correct += best == target
            norm = 0.0
            for k in range(n_out):
                norm += math.exp(z_t[k, b] - zmax)
            if loss == CROSS_ENTROPY:
                total += (zmax - z_t[target, b]) + math.log(norm)  # see _item_loss
            else:
                sq = 0.0
                for k in range(n_out):
                    diff = math.exp(z_t[k, b] - zmax) / norm - (1.0 if k == target else 0.0)
                    sq += diff * diff
                total += sq if loss == ARTICLE else 0.5 * sq
    return total / n, correct / n


@njit(nogil=True, cache=True)
def forward_batch(params, n_in, n_h, n_out, act, xs):
    """Output probabilities for many items.

    Parameters
    ----------
    xs : ndarray, shape (n_items, n_in)

    Returns
    -------
    ndarray, shape (n_items, n_out)
    """
    n = xs.shape[0]
    out = np.empty((n, n_out))
    x_t = np.empty((n_in, _BLOCK))
    a_t = np.empty((n_h, _BLOCK))
    z_t = np.empty((n_out, _BLOCK))
    for start in range(0, n, _BLOCK):
        count = min(_BLOCK, n - start)
        _logits_block(params, n_in, n_h, n_out, act, xs, start, count, x_t, a_t, z_t)
        for b in range(count):
            zmax = z_t[0, b]
            for k in range(1, n_out):
                zmax = z_t[k, b] if z_t[k, b] > zmax else zmax
            norm = 0.0
            for k in range(n_out):
                out[start + b, k] = math.exp(z_t[k, b] - zmax)
                norm += out[start + b, k]
            for k in range(n_out):
                out[start + b, k] /= norm
    return out

"""What the deltas say, and where each rule is stable.

Diagnostics of a weight's recent deltas
    * sign-flip rate: the share of consecutive deltas whose signs differ (oscillation);
    * gradient and momentum shares: how much of the step came from this step's gradient and how
      much from the momentum term;
    * effective step: the actual change relative to the plain gradient step ``lr * g`` — the
      article's "adaptive learning rate per weight", measured.

Stability on a quadratic ``E = lam * w**2 / 2`` (so ``g = lam * w``), with ``h = lr * lam``.
Each rule makes ``w`` follow a linear recurrence ``w_(t+1) = -a1 * w_t - a0 * w_(t-1)``; it
decays exactly when both roots of ``z**2 + a1 z + a0`` lie inside the unit circle, that is
when ``|a0| < 1``, ``1 + a1 + a0 > 0`` and ``1 - a1 + a0 > 0`` (Jury's conditions):

    lookback   w_(t+1) = (1 - h) w_t - m h w_(t-1)            h < min(1/m, 2/(1 - m))
    classical  w_(t+1) = (1 + m - h) w_t - m w_(t-1)          h < 2 + 2m
    nesterov   w_(t+1) = (1 + m)(1 - h) w_t - m(1 - h) w_(t-1)   h < (2 + 2m)/(1 + 2m)

(For Nesterov, ``|m (1 - h)| < 1`` allows h up to 1 + 1/m, above the third bound, so the third
decides.) With m = 0 all three give plain gradient descent's h < 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._errors import InputError
from ._network import ARTICLE, _backprop, item_loss_and_gradient
from ._rules import rule_code

__all__ = ["CAUTION", "StabilityLatch", "batch_sharpness", "delta_diagnostics", "gradient_steps", "largest_curvature",
           "item_sharpness", "loss_trend", "loss_trends", "nan_mean", "online_bound", "quadratic_applies",
           "remeasure", "sharpness_of", "sharpness_step", "stability_bound", "stability_level", "stability_value",
           "step_gain"]


def delta_diagnostics(deltas: np.ndarray, grad_steps: np.ndarray) -> dict[str, np.ndarray]:
    """Per-parameter diagnostics over a window of steps.

    Parameters
    ----------
    deltas : ndarray, shape (n_steps, n_params)
        The total change of each parameter at each step.
    grad_steps : ndarray, shape (n_steps, n_params)
        The part of each change that came from that step's gradient (``-lr * g`` for the
        look-back and classical rules; see :func:`gradient_steps`).

    Returns
    -------
    dict of ndarray, each shape (n_params,)
        ``sign_flip_rate`` in [0, 1]: the share of non-zero deltas whose sign differs from the
        previous non-zero delta's (NaN with fewer than two non-zero deltas);
        ``gradient_share`` and ``momentum_share`` (summing to 1; NaN if nothing moved);
        ``effective_step``: sum |delta| / sum |gradient step| (1 without momentum).
    """
    d = np.asarray(deltas, dtype=float)
    s = np.asarray(grad_steps, dtype=float)
    # Each non-zero delta is compared with the previous non-zero one (a zero step, a dead ReLU
    # unit's say, neither flips nor breaks a flip): carry the last non-zero sign forward.
    signs = np.sign(d)
    nonzero = signs != 0
    last = np.where(nonzero, np.arange(d.shape[0])[:, None], 0)
    np.maximum.accumulate(last, axis=0, out=last)
    carried = np.take_along_axis(signs, last, axis=0)
    pairs = nonzero[1:] & (carried[:-1] != 0)
    flips = pairs & (signs[1:] * carried[:-1] < 0)
    n_pairs = pairs.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        flip_rate = np.where(n_pairs > 0, flips.sum(axis=0) / np.maximum(n_pairs, 1), np.nan)
        grad = np.abs(s).sum(axis=0)
        mom = np.abs(d - s).sum(axis=0)
        total = grad + mom
        share = np.where(total > 0, grad / np.where(total > 0, total, 1), np.nan)
        effective = np.where(grad > 0, np.abs(d).sum(axis=0) / np.where(grad > 0, grad, 1), np.nan)
    return {"sign_flip_rate": flip_rate, "gradient_share": share, "momentum_share": 1 - share,
            "effective_step": effective}


def gradient_steps(deltas: np.ndarray, rule: str, momentum: float) -> np.ndarray:
    """The gradient's part of each delta, recovered from deltas recorded from a run's first step.

    Exact when the momentum stayed ``momentum`` throughout (the rules' state starts at 0):
    look-back ``s_t = d_t - m s_(t-1)``; classical ``s_t = d_t - m d_(t-1)``; Nesterov, whose
    delta carries ``(1 + m)`` gradient steps, ``s_t = (1 + m)(v_t - m v_(t-1))`` with
    ``v_t = (d_t + m v_(t-1)) / (1 + m)``.
    """
    rule_code(rule)
    d = np.asarray(deltas, dtype=float)
    m = float(momentum)
    out = np.empty_like(d)
    previous = np.zeros(d.shape[1:])
    for t in range(d.shape[0]):
        if rule == "lookback":
            out[t] = d[t] - m * previous
            previous = out[t]
        elif rule == "classical":
            out[t] = d[t] - m * previous
            previous = d[t]
        else:
            v = (d[t] + m * previous) / (1 + m)
            out[t] = (1 + m) * (v - m * previous)
            previous = v
    return out


def stability_bound(rule: str, momentum: float) -> float:
    """The largest stable ``lr * curvature`` for ``rule`` at ``momentum`` (see the module's text)."""
    rule_code(rule)
    m = float(momentum)
    if rule == "lookback":
        return min(1 / m if m > 0 else math.inf, 2 / (1 - m))
    if rule == "classical":
        return 2 + 2 * m
    return (2 + 2 * m) / (1 + 2 * m)


# Parameters up to this many: the whole Hessian from n products, and numpy's eigvalsh.
_DENSE_BELOW = 24


@njit(nogil=True, cache=True)
def _mean_gradient(params, n_in, n_h, n_out, act, loss, xs, ys, out):
    out[:] = 0.0
    for r in range(xs.shape[0]):
        out += item_loss_and_gradient(params, n_in, n_h, n_out, act, loss, xs[r], ys[r])[1]
    out /= xs.shape[0]


def largest_curvature(params: np.ndarray, layout, act: int, loss: int, xs: np.ndarray, ys: np.ndarray,
                      iterations: int = 30, seed: int = 0) -> float:
    """The largest (most positive) eigenvalue of the mean training loss's Hessian.

    Hessian-vector products come from central differences of the mean gradient (two passes
    over the data each); the eigenvalue from ARPACK's Lanczos solver
    (``scipy.sparse.linalg.eigsh(..., k=1, which="LA")``), which finds the algebraically
    largest eigenvalue even where the negative end of the spectrum is larger in magnitude (a
    saddle: small weights; a network trained some way), where power iteration wandered or
    came out low. ``iterations``: restarts of the solver at the most; a solver that has not
    converged by then gives its best estimate. Returns 0 when no curvature is positive.

    The ``article`` loss (code ``ARTICLE``) is refused with an InputError: its signal is the
    gradient of no loss, so there is no Hessian whose eigenvalue this would be (the
    central differences would measure the signal's Jacobian, which is not symmetric and whose
    eigenvalues may be complex), and no stability bound it could be compared with.
    """
    if loss == ARTICLE:
        raise InputError("loss=: the article's signal is the gradient of no loss, so it has no Hessian "
                         "and no largest curvature")
    n_in, n_h, n_out = layout.n_inputs, layout.n_hidden, layout.n_outputs
    p = np.ascontiguousarray(params, dtype=float)
    xs = np.ascontiguousarray(xs, dtype=float)
    ys = np.ascontiguousarray(ys, dtype=np.int64)
    g_plus, g_minus = np.empty_like(p), np.empty_like(p)
    eps = 1e-4 * max(1.0, float(np.linalg.norm(p))) / math.sqrt(p.size)

    def hessian_times(v: np.ndarray) -> np.ndarray:
        v = np.ravel(v)
        _mean_gradient(p + eps * v, n_in, n_h, n_out, act, loss, xs, ys, g_plus)
        _mean_gradient(p - eps * v, n_in, n_h, n_out, act, loss, xs, ys, g_minus)
        return (g_plus - g_minus) / (2 * eps)

    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh  # (0.2 s to import: when used)

    n = p.size
    if n <= _DENSE_BELOW:  # ARPACK needs k < n - 1 and is no faster here: the whole Hessian
        hessian = np.array([hessian_times(e) for e in np.eye(n)])
        top = float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])
    else:
        operator = LinearOperator((n, n), matvec=hessian_times, dtype=float)
        start = np.random.default_rng(seed).normal(size=n)
        try:
            top = float(eigsh(operator, k=1, which="LA", v0=start, maxiter=max(1, int(iterations)),
                              tol=1e-5, return_eigenvectors=False)[0])
        except ArpackNoConvergence as exc:
            top = float(exc.eigenvalues[0]) if len(exc.eigenvalues) else math.nan
        except ArpackError:  # "starting vector is zero": H v = 0 (saturated units: nothing curves)
            top = 0.0 if not np.any(hessian_times(start)) else math.nan
    return max(top, 0.0) if math.isfinite(top) else math.nan


# -- the stability readout of online training ----------------------------------------------------
#
# With one item an update, momentum does not widen the stable range of the learning rate the way
# the quadratic bounds above say (they are for the full-batch gradient): it multiplies the step.
# Measured on Iris and the synthetic sets (benchmarks/stability_corpus.py), look-back's critical
# lr is about plain SGD's at every momentum, heavy-ball's shrinks about like (1 - m). The readout
#
#     r = lr * gain * BS / 2
#
# compares the rule's steady step (``gain``: look-back 1 + m, classical and Nesterov 1 / (1 - m))
# times the *batch sharpness* BS (the mean over items of each item's curvature along its own
# gradient, g_i' H_i g_i / |g_i|^2) with plain gradient descent's bound 2: stable below 1.

#: Readout levels: amber above CAUTION, red above 1.
CAUTION = 0.5
#: The loss-trend takeover: the median of this many latest epoch losses ...
TREND_EPOCHS = 5
#: ... above this many times the best so far (and above TREND_FLOOR times the first) means a run
#: that thrashes, whatever the curvature says (saturated units: every curvature collapses).
TREND_FACTOR = 2.0
TREND_FLOOR = 0.1


@njit(nogil=True, cache=True, inline="always")
def item_sharpness(params, n_in, n_h, n_out, act, loss, xs, row, target, hidden, logits, outputs, d_out, d_hid,
                   g, g_plus, g_minus, shifted, h):
    """Item ``xs[row]``'s curvature along its own gradient, g' H g / |g|^2.

    From central differences of its gradient along u = g / |g| (three gradients):
    ``u' (g(w + h u) - g(w - h u)) / 2h``; it needs no loss, only the gradient (so it holds for
    any update direction). NaN when the gradient is 0 (no direction) or not finite. The
    arrays after ``target`` are scratch: ``hidden`` (n_h), ``logits``, ``outputs``, ``d_out``
    (n_out), ``d_hid`` (n_h), ``g``, ``g_plus``, ``g_minus``, ``shifted`` (n_params).
    """
    n_p = params.shape[0]
    _backprop(params, n_in, n_h, n_out, act, loss, xs, row, target, hidden, logits, outputs, d_out, d_hid, g)
    norm2 = 0.0
    for k in range(n_p):
        norm2 += g[k] * g[k]
    if not norm2 > 0.0 or not math.isfinite(norm2):
        return math.nan
    norm = math.sqrt(norm2)
    scale = h / norm
    for k in range(n_p):
        shifted[k] = params[k] + scale * g[k]
    _backprop(shifted, n_in, n_h, n_out, act, loss, xs, row, target, hidden, logits, outputs, d_out, d_hid, g_plus)
    for k in range(n_p):
        shifted[k] = params[k] - scale * g[k]
    _backprop(shifted, n_in, n_h, n_out, act, loss, xs, row, target, hidden, logits, outputs, d_out, d_hid, g_minus)
    along = 0.0
    for k in range(n_p):
        along += g[k] * (g_plus[k] - g_minus[k])
    return along / norm / (2.0 * h)


@njit(nogil=True, cache=True, inline="always")
def sharpness_step(params):
    """The difference step of :func:`item_sharpness`: 1e-4 of the weights' rms size (at least 1e-4)."""
    square = 0.0
    for k in range(params.shape[0]):
        square += params[k] * params[k]
    return 1e-4 * max(1.0, math.sqrt(square / params.shape[0]))


@njit(nogil=True, cache=True)
def sharpness_of(params, n_in, n_h, n_out, act, loss, xs, ys, rows, out):
    """Each item ``rows[j]``'s curvature along its gradient into ``out[rows[j]]`` (see
    :func:`item_sharpness`); returns their mean over the items of ``out`` that are not NaN
    (items with no gradient are left out), NaN when none is.

    Parameters
    ----------
    params : ndarray, shape (n_params,)
    xs : ndarray, shape (n_items, n_in);  ys : ndarray, shape (n_items,)
    rows : ndarray of int64, shape (k,)
    out : ndarray, shape (n_items,)
    """
    n_p = params.shape[0]
    hidden, d_hid = np.empty(n_h), np.empty(n_h)
    logits, outputs, d_out = np.empty(n_out), np.empty(n_out), np.empty(n_out)
    g, g_plus, g_minus, shifted = np.empty(n_p), np.empty(n_p), np.empty(n_p), np.empty(n_p)
    h = sharpness_step(params)
    for j in range(rows.shape[0]):
        r = rows[j]
        out[r] = item_sharpness(params, n_in, n_h, n_out, act, loss, xs, r, ys[r], hidden, logits, outputs, d_out,
                                d_hid, g, g_plus, g_minus, shifted, h)
    return nan_mean(out)


@njit(nogil=True, cache=True)
def remeasure(params, n_in, n_h, n_out, act, loss, xs, ys, sharp, cursor, count):
    """Measure the next ``count`` slots of ``sharp`` from ``cursor[0]`` on again (cyclically,
    ``cursor[0]`` moves on): slot j holds the curvature along its gradient of item
    ``j * n_items // len(sharp)``, evenly spread over the set (see :func:`item_sharpness`).
    Returns the mean of ``sharp`` (the training kernel's batch sharpness at an epoch's end)."""
    n_p = params.shape[0]
    n, slots = xs.shape[0], sharp.shape[0]
    hidden, d_hid = np.empty(n_h), np.empty(n_h)
    logits, outputs, d_out = np.empty(n_out), np.empty(n_out), np.empty(n_out)
    g, g_plus, g_minus, shifted = np.empty(n_p), np.empty(n_p), np.empty(n_p), np.empty(n_p)
    h = sharpness_step(params)
    for _ in range(min(count, slots)):
        j = cursor[0]
        r = j * n // slots
        sharp[j] = item_sharpness(params, n_in, n_h, n_out, act, loss, xs, r, ys[r], hidden, logits, outputs,
                                  d_out, d_hid, g, g_plus, g_minus, shifted, h)
        cursor[0] = (j + 1) % slots
    return nan_mean(sharp)


@njit(nogil=True, cache=True, inline="always")
def nan_mean(values):
    """The mean of the values that are not NaN; NaN when none is (an inf counts)."""
    total = 0.0
    count = 0
    for v in values:
        if v == v:
            total += v
            count += 1
    return total / count if count else math.nan


def batch_sharpness(params: np.ndarray, layout, act: int, loss: int, xs: np.ndarray, ys: np.ndarray,
                    rows: np.ndarray | None = None) -> float:
    """The batch sharpness ``mean_i g_i' H_i g_i / |g_i|^2`` over the items (``rows`` of them, or
    all); see :func:`sharpness_of`. About 0.15 ms for Iris's 120 items."""
    xs = np.ascontiguousarray(xs, dtype=float)
    ys = np.ascontiguousarray(ys, dtype=np.int64)
    rows = np.arange(xs.shape[0], dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    out = np.full(xs.shape[0], np.nan)
    return float(sharpness_of(np.ascontiguousarray(params, dtype=float), layout.n_inputs, layout.n_hidden,
                              layout.n_outputs, act, loss, xs, ys, rows, out))


def step_gain(rule: str, momentum: float) -> float:
    """How many gradient steps the rule's delta settles at in a steady slope: look-back
    ``1 + m`` (one step back), classical and Nesterov ``1 / (1 - m)`` (every step back)."""
    rule_code(rule)
    m = float(momentum)
    return 1 + m if rule == "lookback" else 1 / (1 - m)


def online_bound(rule: str, momentum: float) -> float:
    """The largest stable ``lr * sharpness`` online (the readout's edge r = 1): ``2 / step_gain``,
    look-back ``2 / (1 + m)``, classical and Nesterov ``2 (1 - m)``."""
    return 2 / step_gain(rule, momentum)


def quadratic_applies(batch_size: int, n_items: int | None) -> bool:
    """Whether the full-batch quadratic bound (``lr * curvature`` against :func:`stability_bound`)
    judges a run of ``batch_size`` items an update, rather than the online readout: for the
    whole set a batch, and, a guess (nothing is measured between the two), from sqrt(n_items)
    items on, where B is nearer the whole set than one item on a log scale."""
    return batch_size > 1 and n_items is not None and batch_size * batch_size >= n_items


def loss_trends(losses, before=(), best: float = math.inf, first: float | None = None) -> np.ndarray:
    """How far the loss has climbed, at each epoch of ``losses`` (per-epoch training losses,
    oldest first): the median of the latest :data:`TREND_EPOCHS` over ``TREND_FACTOR`` times the
    best loss before them (but at least ``TREND_FLOOR`` times the first loss, so that a run near
    zero loss that wobbles is no alarm). Above 1, the run thrashes; a loss that falls, however
    fast, stays below 1/2; NaN while there is no loss before the window; inf for a loss that is
    not finite.

    ``before``: the losses of the epochs before ``losses`` (its latest ``TREND_EPOCHS`` are
    enough), ``best`` the best of those older still, ``first`` the run's first loss (default: the
    first given). :meth:`Trainer._stability_column` carries these from call to call.
    """
    values = np.asarray(losses, dtype=float).ravel()
    earlier = np.asarray(before, dtype=float).ravel()
    joined = np.ascontiguousarray(np.concatenate([earlier, values]))
    out = np.empty(values.size)
    if values.size:
        first = float(joined[0]) if first is None else float(first)
        _trends(joined, earlier.size, float(best), first, TREND_EPOCHS, TREND_FACTOR, TREND_FLOOR, out)
    return out


@njit(nogil=True, cache=True)
def _trends(joined, start, best, first, w, factor, floor_share, out):
    """loss_trends' loop: out[j - start] for each j >= start of ``joined`` (see there)."""
    window = np.empty(w)
    for j in range(joined.size):
        if j - w >= 0:  # the loss that has just left the window is "before" it now
            best = min(best, joined[j - w])
        if j < start:
            continue
        value = joined[j]
        if not math.isfinite(value):
            out[j - start] = math.inf
            continue
        n = 0
        for k in range(max(0, j - w + 1), j + 1):
            window[n] = joined[k]
            n += 1
        ordered = np.sort(window[:n])
        recent = ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])
        floor = max(factor * best, floor_share * first)
        out[j - start] = recent / floor if math.isfinite(floor) and floor > 0 else math.nan


def loss_trend(losses, best: float = math.inf, first: float | None = None) -> float:
    """:func:`loss_trends` as of the last of ``losses``."""
    values = np.asarray(losses, dtype=float).ravel()
    if values.size == 0:
        return math.nan
    return float(loss_trends(values[-1:], values[:-1], best, first)[0])


def stability_value(rule: str, lr, momentum, sharpness, trend=math.nan, *, batch_size: int = 1,
                    n_items: int | None = None, curvature=math.nan):
    """The stability readout r: stable below 1, amber above :data:`CAUTION`, red above 1.

    Online (``batch_size`` 1): ``r = lr * step_gain(rule, m) * sharpness / 2``. The whole set a
    batch (``batch_size == n_items``): the full-batch quadratic bound, ``lr * curvature /
    stability_bound(rule, m)`` (``curvature``: :func:`largest_curvature`). In between there is
    no measured readout yet: the nearer of the two on a log scale of B (online while B <
    sqrt(n_items)). A loss ``trend`` (:func:`loss_trend`) above 1 takes over: r is then at
    least the trend. ``lr``, ``sharpness``, ``trend`` … may be arrays (one value an epoch).
    """
    if quadratic_applies(batch_size, n_items):
        value = np.asarray(lr, dtype=float) * curvature / stability_bound(rule, float(momentum))
    else:
        value = np.asarray(lr, dtype=float) * step_gain(rule, float(momentum)) * np.asarray(sharpness) / 2
    trend = np.asarray(trend, dtype=float)
    value = np.where(trend > 1, np.fmax(value, trend), value)
    return float(value) if value.ndim == 0 else value


def stability_level(value: float) -> str:
    """``"stable"``, ``"caution"`` (above CAUTION) or ``"unstable"`` (above 1); ``""`` for NaN."""
    if not value == value:
        return ""
    return "unstable" if value > 1 else "caution" if value > CAUTION else "stable"


@dataclass
class StabilityLatch:
    """The readout held at its maximum since the last change of rule, lr or momentum: a run whose
    settings are too large shows so even between two measures that happen to read low.

    ``update(rule, lr, momentum, value)`` returns the latched value (a NaN value changes
    nothing); a new (rule, lr, momentum) starts again from ``value``.
    """

    settings: tuple | None = None
    value: float = math.nan

    def update(self, rule: str, lr: float, momentum: float, value: float) -> float:
        key = (rule, float(lr), float(momentum))
        if key != self.settings:
            self.settings, self.value = key, math.nan
        if value == value and not (value <= self.value):
            self.value = float(value)
        return self.value

    def reset(self) -> None:
        self.settings, self.value = None, math.nan

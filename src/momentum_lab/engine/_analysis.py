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

import numpy as np
from numba import njit

from ._errors import InputError
from ._network import ARTICLE, item_loss_and_gradient
from ._rules import rule_code

__all__ = ["delta_diagnostics", "gradient_steps", "largest_curvature", "stability_bound"]


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
    over the data each). Plain power iteration finds the eigenvalue of largest magnitude,
    and near a saddle (small weights, say) the spectrum is about symmetric, ±rho, where its
    estimate wanders. So: first rho, the largest magnitude, from how much H stretches a
    vector (stable even for a ± pair); then power iteration on ``H + rho I``, whose
    eigenvalues all lie in [0, 2 rho] and whose largest is ``lambda_max + rho``.
    Returns 0 when no curvature is positive.

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
    g_plus, g_minus = np.empty_like(p), np.empty_like(p)
    eps = 1e-4 * max(1.0, float(np.linalg.norm(p))) / math.sqrt(p.size)

    def hessian_times(v: np.ndarray) -> np.ndarray:
        _mean_gradient(p + eps * v, n_in, n_h, n_out, act, loss, xs, ys, g_plus)
        _mean_gradient(p - eps * v, n_in, n_h, n_out, act, loss, xs, ys, g_minus)
        return (g_plus - g_minus) / (2 * eps)

    rng = np.random.default_rng(seed)
    v = rng.normal(size=p.size)
    v /= np.linalg.norm(v)
    rho = 0.0
    for _ in range(iterations):
        hv = hessian_times(v)
        rho = float(np.linalg.norm(hv))
        if rho == 0:
            return 0.0
        v = hv / rho
    value = 0.0
    for _ in range(iterations):
        hv = hessian_times(v) + rho * v
        value = float(v @ hv)
        norm = float(np.linalg.norm(hv))
        if norm > 0:
            v = hv / norm
        else:  # v lies where H is -rho (a saturated network: exactly), null for H + rho I: leave it
            v = rng.normal(size=p.size)
            v /= np.linalg.norm(v)
    return max(value - rho, 0.0)


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
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ._network import item_loss_and_gradient
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
    """
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
    return max(top, 0.0) if math.isfinite(top) else math.nan

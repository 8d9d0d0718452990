"""Update rules: how a gradient becomes a change of the weights.

Each rule keeps one state vector parallel to the parameters (``state``), and
writes the **delta** of each parameter, the total change applied to it at
this step, into ``deltas``. ``g`` is dE/dw at the current weights (descent
form: a step goes against the gradient).

``lookback`` (the article's rule, the default)
    ``d_t = -lr * g_t;  w += d_t + momentum * d_(t-1);  store d_t``.
    The state is the previous *gradient step* only, not the previous total
    change, so momentum looks back exactly one step. In a steady slope the
    delta settles at ``-lr * g * (1 + momentum)``: at momentum 0.9 that is
    1.9 times the plain step.
``classical`` (heavy-ball)
    ``v_t = momentum * v_(t-1) - lr * g_t;  w += v_t``.
    The state is the velocity, which remembers every earlier step with
    weights momentum, momentum², …; in a steady slope the delta settles at
    ``-lr * g / (1 - momentum)``: ten times the plain step at 0.9.
``nesterov``
    ``v_t = momentum * v_(t-1) - lr * g_t;  w += momentum * v_t - lr * g_t``.
    Heavy-ball with the look-ahead written in the form that needs no second
    gradient (as in scikit-learn and PyTorch): the applied change takes one
    more momentum-weighted velocity and one more gradient step.

With momentum 0 all three are plain SGD, ``w += -lr * g``.

When the learning rate or momentum changes between two steps, the state is
kept. For ``lookback`` the stored ``d_(t-1)`` was made with the old learning
rate, so one step after a change still carries ``momentum * (old step)``;
from then on only the new rate is in play. For ``classical`` and
``nesterov`` the velocity keeps everything it gathered at the old rate and
lets it decay geometrically with the (new) momentum.

Each rule is written once, as a compiled function of one parameter; the
training kernel inlines it, and :func:`update` applies it from Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._errors import InputError

__all__ = [
    "RULES",
    "RULE_SHORT",
    "RULE_TITLES",
    "apply_rule",
    "classical_step",
    "lookback_step",
    "nesterov_step",
    "rule_code",
    "rule_step",
    "update",
]

#: The update rules, in the order of their codes in compiled code.
RULES = ("lookback", "classical", "nesterov")
#: How the rules are named to people.
RULE_TITLES = {
    "lookback": "look-back momentum (the article's rule)",
    "classical": "classical (heavy-ball) momentum",
    "nesterov": "Nesterov momentum",
}
#: Short names, for menus and legends.
RULE_SHORT = {"lookback": "look-back (article)", "classical": "classical (heavy-ball)", "nesterov": "Nesterov"}
LOOKBACK, CLASSICAL, NESTEROV = 0, 1, 2


def rule_code(name: str) -> int:
    """Map a rule name to its code; InputError naming ``rule=`` otherwise."""
    if name not in RULES:
        raise InputError(f"rule=: unknown update rule {name!r}; choose one of {', '.join(RULES)}")
    return RULES.index(name)


@njit(nogil=True, cache=True, inline="always")
def lookback_step(w, g, prev_step, lr, momentum):
    """The article's rule: d_t = -lr*g_t; w += d_t + momentum*d_(t-1); store d_t.

    Returns
    -------
    (new w, new state d_t, delta applied to w)
    """
    step = -lr * g
    delta = step + momentum * prev_step
    return w + delta, step, delta


@njit(nogil=True, cache=True, inline="always")
def classical_step(w, g, velocity, lr, momentum):
    """Heavy-ball momentum: v_t = momentum*v_(t-1) - lr*g_t; w += v_t.

    Returns
    -------
    (new w, new state v_t, delta applied to w)
    """
    v = momentum * velocity - lr * g
    return w + v, v, v


@njit(nogil=True, cache=True, inline="always")
def nesterov_step(w, g, velocity, lr, momentum):
    """Nesterov momentum: v_t = momentum*v_(t-1) - lr*g_t; w += momentum*v_t - lr*g_t.

    Returns
    -------
    (new w, new state v_t, delta applied to w)
    """
    v = momentum * velocity - lr * g
    delta = momentum * v - lr * g
    return w + delta, v, delta


@njit(nogil=True, cache=True, inline="always")
def rule_step(rule, w, g, state, lr, momentum):
    """One parameter's step by rule code (0 lookback, 1 classical, 2 nesterov)."""
    if rule == LOOKBACK:
        return lookback_step(w, g, state, lr, momentum)
    if rule == CLASSICAL:
        return classical_step(w, g, state, lr, momentum)
    return nesterov_step(w, g, state, lr, momentum)


@njit(nogil=True, cache=True)
def apply_rule(rule, params, grads, state, lr, momentum, deltas):
    """Step every parameter in place; ``deltas`` receives the changes.

    Parameters
    ----------
    params, grads, state, deltas : ndarray, shape (n_params,)
    """
    for i in range(params.shape[0]):
        params[i], state[i], deltas[i] = rule_step(rule, params[i], grads[i], state[i], lr, momentum)


def update(rule: str, params, grads, state, lr: float, momentum: float) -> np.ndarray:
    """Apply one step of ``rule`` in place from Python; return the deltas.

    ``params`` and ``state`` must be float64 arrays (they change in place);
    the article's worked example, for instance::

        >>> w, prev = np.array([3.56]), np.array([0.044])
        >>> update("lookback", w, np.array([-2.70]), prev, lr=0.01, momentum=0.5)
        array([0.049])
        >>> w
        array([3.609])
    """
    p = np.asarray(params)
    s = np.asarray(state)
    for arr in (p, s):
        if arr.dtype != np.float64 or not arr.flags.c_contiguous:
            raise TypeError("params and state must be C-contiguous float64 arrays (they change in place)")
    g = np.ascontiguousarray(grads, dtype=np.float64).reshape(p.shape)
    deltas = np.empty_like(p)
    apply_rule(rule_code(rule), p.reshape(-1), g.reshape(-1), s.reshape(-1), float(lr), float(momentum),
               deltas.reshape(-1))
    return deltas

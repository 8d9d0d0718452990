"""The compiled training loop: the one training core, online or in batches.

:func:`train_steps` makes one update at a time from one item (online) or from the mean
gradient of a batch of items (compute every gradient at the current weights, then update
every parameter with the rule), evaluates the
network at every epoch's end, records deltas when asked, and stops at the
first sign of divergence. Asked to, it also gathers each epoch's delta
statistics (how often each parameter's delta flips sign, its mean size) as it
goes, so that no per-step array need leave it. It releases the GIL, so a GUI
thread stays free while it runs. The trainer, and through it the CLI, the Python API, the GUI
worker and sweeps, all train through this function.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numpy as np
from numba import njit, prange

from ._analysis import nan_mean, remeasure
from ._network import _backprop, evaluate
from ._rules import CLASSICAL, LOOKBACK, classical_step, lookback_step, nesterov_step

__all__ = ["NONFINITE_LOSS", "NONFINITE_WEIGHT", "OK", "WEIGHT_LIMIT", "kernel_for", "sweep_kernel_for"]

#: Status codes returned by :func:`train_steps`.
OK, NONFINITE_LOSS, NONFINITE_WEIGHT, WEIGHT_LIMIT = 0, 1, 2, 3


@njit(nogil=True, cache=True, inline="always")
def _train_steps(params, state, n_in, n_h, n_out, act, loss, rule, lr, momentum, weight_limit, batch,
                 x_train, y_train, x_test, y_test, orders, pos, max_steps, deltas, evals, last, tally, stats,
                 sharp, cursor, every):
    """Make up to ``max_steps`` updates, in place, each from ``batch`` items.

    Parameters
    ----------
    params, state : ndarray, shape (n_params,)
        Weights and the rule's state; both change in place.
    n_in, n_h, n_out, act, loss, rule : int
        Layer sizes and the codes of activation, loss and rule.
    lr, momentum, weight_limit : float
    batch : int
        Items an update takes, 1 to n_train: the gradient of one item used as it is (online), or
        the mean gradient of ``batch`` items (the epoch's last batch may be smaller). An epoch is
        ceil(n_train / batch) updates.
    x_train : ndarray, shape (n_train, n_in);  y_train : ndarray, shape (n_train,)
    x_test : ndarray, shape (n_test, n_in);  y_test : ndarray, shape (n_test,)
    orders : ndarray, shape (n_epochs, n_train)
        Item order of each epoch still to run; row 0 is the current epoch.
    pos : int
        How many items of row 0 are already done (a multiple of ``batch``).
    max_steps : int
        Stop after this many updates (or at the end of ``orders``).
    deltas : ndarray, shape (max_steps, n_params) or (0, n_params)
        Row s receives the deltas of this call's update s; zero rows: not recorded.
    evals : ndarray, shape (n_epochs, 5)
        Row r receives (train loss, train accuracy, test loss, test accuracy, batch sharpness)
        at the end of epoch row r, if reached (the sharpness NaN without ``sharp``).
    last : ndarray, shape (n_params,) or (0,)
        The previous step's deltas (zeros before a run's first step); changes in place. Zero
        length: no delta statistics are gathered (``tally`` and ``stats`` are not used).
    tally : ndarray, shape (2, n_params)
        The epoch in progress so far: sign flips (d_t * d_(t-1) < 0) and the sum of |d_t|
        of each parameter; changes in place, zeroed at each epoch's end.
    stats : ndarray, shape (>= epochs completed, 2, n_params), float32
        Row r receives (flip rate, mean |delta|) of each parameter over epoch row r, if
        reached: the tally divided by the epoch's updates.
    sharp : ndarray, shape (n_slots,) or (0,)
        The latest curvature along its own gradient of n_slots training items spread evenly over
        the set (see ``_analysis.remeasure``); changes in place. At each epoch's end the slots
        due are measured again, from ``cursor[0]`` on, cyclically, each once in ``every``
        epochs (and all of them at the run's epochs 1, 2, 4, 8, ...), and the mean of ``sharp``
        is the epoch's batch sharpness. Zero length: not measured.
    cursor : ndarray of int64, shape (3,)
        The next item to measure, the share of one carried from epoch to epoch (times
        ``every``), and the epochs completed in the run; change in place.

    Returns
    -------
    steps : int
        Updates done (a diverging update counts; a non-finite loss of any item of a
        batch is found before its update, which is then not applied nor counted).
    epochs : int
        Epochs completed (rows of ``evals`` written).
    pos : int
        Items done in the epoch now in progress.
    status : int
        OK, NONFINITE_LOSS, NONFINITE_WEIGHT or WEIGHT_LIMIT.
    """
    n_params = params.shape[0]
    n_train = x_train.shape[0]
    hidden = np.empty(n_h)
    logits = np.empty(n_out)
    outputs = np.empty(n_out)
    d_out = np.empty(n_out)
    d_hid = np.empty(n_h)
    grads = np.empty(n_params)
    # A batch's gradients are summed here (online, the one item's gradient is used as it is).
    total_grads = np.empty(n_params if batch > 1 else 0)
    per_epoch = (n_train + batch - 1) // batch  # updates in an epoch
    record = deltas.shape[0] > 0
    gather = last.shape[0] > 0
    measure = sharp.shape[0] > 0
    flips = tally[0]
    sizes = tally[1]
    # Without recording, each step's deltas go to one scratch row.
    dbuf = deltas if record else np.empty((1, n_params))
    steps = 0
    row = 0
    n_rows = orders.shape[0]
    status = OK
    while row < n_rows and steps < max_steps:
        take = min(batch, n_train - pos)
        finite = True
        for k in range(take):
            item = orders[row, pos + k]
            # Every gradient at the current weights first ...
            zmax, total = _backprop(params, n_in, n_h, n_out, act, loss, x_train, item, y_train[item],
                                    hidden, logits, outputs, d_out, d_hid, grads)
            # (the loss is finite exactly when zmax and total are; no log needed)
            if not math.isfinite(zmax + total):
                finite = False
                break
            if batch > 1:
                if k == 0:
                    for i in range(n_params):
                        total_grads[i] = grads[i]
                else:
                    for i in range(n_params):
                        total_grads[i] += grads[i]
        if not finite:
            status = NONFINITE_LOSS
            break
        if batch > 1:
            for i in range(n_params):
                grads[i] = total_grads[i] / take  # the batch's mean gradient
        # ... then every parameter's step (one loop per rule, so each is a
        # tight loop the compiler can vectorise).
        drow = steps if record else 0
        if rule == LOOKBACK:
            for i in range(n_params):
                params[i], state[i], dbuf[drow, i] = lookback_step(params[i], grads[i], state[i], lr, momentum)
        elif rule == CLASSICAL:
            for i in range(n_params):
                params[i], state[i], dbuf[drow, i] = classical_step(params[i], grads[i], state[i], lr, momentum)
        else:
            for i in range(n_params):
                params[i], state[i], dbuf[drow, i] = nesterov_step(params[i], grads[i], state[i], lr, momentum)
        # A branch-free limit check: NaN fails every comparison, so it counts too. Gathering
        # statistics, the same pass adds the deltas just stored to the epoch's (a zero delta flips
        # nothing); one loop or the other, so that a run without them pays nothing for them.
        outside = 0
        if gather:
            for i in range(n_params):
                outside += not (abs(params[i]) <= weight_limit)
                d = dbuf[drow, i]
                flips[i] += 1.0 if d * last[i] < 0.0 else 0.0
                sizes[i] += abs(d)
                last[i] = d
        else:
            for i in range(n_params):
                outside += not (abs(params[i]) <= weight_limit)
        steps += 1
        pos += take
        if outside:
            status = WEIGHT_LIMIT
            for i in range(n_params):
                if not math.isfinite(params[i]):
                    status = NONFINITE_WEIGHT
            break
        if pos == n_train:
            tl, ta = evaluate(params, n_in, n_h, n_out, act, loss, x_train, y_train)
            vl, va = evaluate(params, n_in, n_h, n_out, act, loss, x_test, y_test)
            evals[row, 0] = tl
            evals[row, 1] = ta
            evals[row, 2] = vl
            evals[row, 3] = va
            if measure:
                # every slot once in ``every`` epochs: this epoch's share, carried in cursor[1];
                # all of them at epochs 1, 2, 4, 8, ... (early on the weights move fast).
                slots = sharp.shape[0]
                cursor[1] += slots
                count = cursor[1] // every
                cursor[1] -= count * every
                cursor[2] += 1
                if cursor[2] & (cursor[2] - 1) == 0:
                    count = slots
                if count:  # (a call, not inlined: inlined, it made the training loop slower)
                    remeasure(params, n_in, n_h, n_out, act, loss, x_train, y_train, sharp, cursor, count)
                evals[row, 4] = nan_mean(sharp)
            else:
                evals[row, 4] = math.nan
            if gather:
                for i in range(n_params):
                    stats[row, 0, i] = flips[i] / per_epoch
                    stats[row, 1, i] = sizes[i] / per_epoch
                    flips[i] = 0.0
                    sizes[i] = 0.0
            row += 1
            pos = 0
    return steps, row, pos, status


@functools.cache
def kernel_for(n_in: int, n_h: int, n_out: int):
    """The training kernel compiled for one network shape.

    Returns a function ``kernel(params, state, act, loss, rule, lr, momentum,
    weight_limit, batch, x_train, y_train, x_test, y_test, orders, pos, max_steps,
    deltas, evals, last, tally, stats, sharp, cursor, every)`` with the arguments and result of
    :func:`_train_steps`.

    With the layer sizes fixed at compile time the compiler unrolls the small
    loops, which makes training about 1.4 times as fast as with sizes known
    only at run time. Each shape compiles once (a few seconds) and is then
    loaded from numba's on-disk cache.
    """
    source_key = _SOURCE_KEY

    @njit(nogil=True, cache=True)
    def kernel(params, state, act, loss, rule, lr, momentum, weight_limit, batch,
               x_train, y_train, x_test, y_test, orders, pos, max_steps, deltas, evals, last, tally, stats,
               sharp, cursor, every):
        if max_steps < 0:
            # Never true; it makes the source key part of the closure, and so of the cache key.
            raise ValueError(source_key)
        return _train_steps(params, state, n_in, n_h, n_out, act, loss, rule, lr, momentum, weight_limit, batch,
                            x_train, y_train, x_test, y_test, orders, pos, max_steps, deltas, evals, last, tally,
                            stats, sharp, cursor, every)

    return kernel


def _source_key() -> str:
    """A digest of the files compiled into the kernel.

    numba keys a cached function on its own file only, but the kernel carries
    compiled copies of functions from _network.py, _rules.py and _analysis.py too; without
    this, editing those files would leave the old maths in the cached kernel.
    """
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("_kernel.py", "_network.py", "_rules.py", "_analysis.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


_SOURCE_KEY = _source_key()


@functools.cache
def sweep_kernel_for(n_in: int, n_h: int, n_out: int):
    """The training kernel for many configurations at once, one per core, for one network shape.

    Returns ``sweep(params, states, lrs, momenta, act, loss, rule, weight_limit, batch, x_train,
    y_train, x_test, y_test, orders, evals, statuses, steps)``: configuration ``c`` trains
    ``params[c]`` and ``states[c]`` (rows of ``(n_configs, n_params)`` arrays, in place) with
    ``lrs[c]`` and ``momenta[c]`` over the epochs of ``orders`` (the same for all), ``batch``
    items an update, through
    :func:`_train_steps` — the very loop single runs use, so a configuration's result equals a
    single run's bit for bit. ``evals[c, r]`` receives epoch ``r``'s evaluation; a
    configuration whose ``statuses[c]`` is not OK (it diverged in an earlier chunk) is skipped,
    otherwise its status and update count are written to ``statuses[c]`` and ``steps[c]``.
    """
    source_key = _SOURCE_KEY

    @njit(parallel=True, nogil=True, cache=True)
    def sweep(params, states, lrs, momenta, act, loss, rule, weight_limit, batch, x_train, y_train, x_test, y_test,
              orders, evals, statuses, steps):
        if orders.shape[0] < 0:
            raise ValueError(source_key)  # never: the source key in the cache key, as in kernel_for
        n_epochs = orders.shape[0]
        per_epoch = (x_train.shape[0] + batch - 1) // batch
        no_deltas = np.empty((0, params.shape[1]))
        # A sweep gathers no delta statistics (a zero-length ``last``).
        no_last, no_tally, no_stats = np.empty(0), np.empty((2, 0)), np.empty((0, 2, 0), dtype=np.float32)
        # ... nor any sharpness (a zero-length ``sharp``).
        no_sharp, no_cursor = np.empty(0), np.zeros(3, dtype=np.int64)
        for c in prange(lrs.shape[0]):
            if statuses[c] != OK:
                continue
            ev = np.full((n_epochs, 5), np.nan)
            done, rows, pos, status = _train_steps(params[c], states[c], n_in, n_h, n_out, act, loss, rule,
                                                   lrs[c], momenta[c], weight_limit, batch, x_train, y_train,
                                                   x_test, y_test, orders, 0, n_epochs * per_epoch, no_deltas,
                                                   ev, no_last, no_tally, no_stats, no_sharp, no_cursor, 1)
            for r in range(n_epochs):
                for k in range(4):
                    evals[c, r, k] = ev[r, k]
            statuses[c] = status
            steps[c] += done

    return sweep

"""Sweeps: a grid of learning rate × momentum, every configuration from the same start.

Each configuration begins from the same initial weights and sees the items in the
same order (both come from the seed), and trains through the same compiled loop as
a single run, one configuration per core: a configuration's result equals
``train`` with the same options, bit for bit.
"""

from __future__ import annotations

import csv
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._atomic import Outputs, check_outputs, staged
from ._config import config_from, load_data
from ._errors import InputError
from ._files import size_text
from ._kernel import OK, sweep_kernel_for
from ._options import _shown, check_count, check_learning_rate, check_momentum, check_positive
from ._session import ChunkSizer
from ._trainer import Trainer, draw_orders, order_stream

__all__ = ["SWEEP_COLUMNS", "SweepResult", "parse_range", "sweep"]

#: The columns of a sweep's CSV, one row per configuration.
SWEEP_COLUMNS = ("rule", "lr", "momentum", "final_train_loss", "final_train_accuracy", "epochs_to_target",
                 "diverged_at_epoch")
# Each call of the compiled sweep takes about this long: progress shows, Ctrl-C answers.
_CHUNK_SECONDS = 0.2
# A sweep whose curves and states would need more memory than this is refused.
MAX_SWEEP_BYTES = 2 << 30
_ONE_SWEEP_AT_A_TIME = threading.Lock()
# Values on one axis of the grid at the most, and configurations in all.
MAX_GRID_VALUES = 1000
MAX_CONFIGURATIONS = 10_000


def parse_range(text: str, option: str, log: bool) -> tuple[float, float, int]:
    """``MIN:MAX:N`` as (min, max, n); InputError naming ``option`` otherwise."""
    parts = str(text).split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        low, high, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(f"{option}: expected MIN:MAX:N (e.g. 0.001:1:10), got {text!r}") from None
    return check_grid((low, high, n), option, log)


def check_grid(spec: tuple[float, float, int], option: str, log: bool) -> tuple[float, float, int]:
    try:
        low, high, n = spec
    except (TypeError, ValueError):  # one number (a preset's lr, say), or not three
        raise InputError(f"{option}: expected a grid (MIN, MAX, N) or 'MIN:MAX:N', got {_shown(spec)}") from None
    n = check_count(n, option)
    if n > MAX_GRID_VALUES:
        raise InputError(f"{option}: at most {MAX_GRID_VALUES} values on each axis of a grid, got N = {n}")
    if log:
        low, high = check_positive(low, option), check_learning_rate(high, option)
    else:
        low, high = check_momentum(low, option), check_momentum(high, option)
    if high < low:
        raise InputError(f"{option}: MAX {high:g} is below MIN {low:g}")
    if n == 1 and high != low:
        raise InputError(f"{option}: one value (N = 1) needs MIN = MAX, got {low:g}:{high:g}")
    return low, high, n


# A grid value is rounded to the fewest significant digits (at most _GRID_DIGITS) within
# this relative distance of the value computed.
_GRID_TOLERANCE = 1e-12
_GRID_DIGITS = 15


def grid_values(spec: tuple[float, float, int], log: bool) -> np.ndarray:
    """The grid ``MIN:MAX:N`` (log-spaced or evenly spaced) as the decimals it means.

    np.geomspace / np.linspace give 0.30000000000000004 for 0.3 and 0.09999999999999999
    for 0.1; each value inside the grid is rounded to the fewest significant digits (up to
    15) whose decimal is within 1e-12 of it, relatively, and within a quarter of the gap to
    its nearest neighbour (so a dense grid stays strictly increasing); a value no such
    decimal is near stays as computed. MIN and MAX are kept exactly as given.
    """
    low, high, n = spec
    if n == 1:
        return np.array([float(low)])
    raw = np.geomspace(low, high, n) if log else np.linspace(low, high, n)
    values = [float(low)]
    for i in range(1, n - 1):
        v = float(raw[i])
        gap = min(v - float(raw[i - 1]), float(raw[i + 1]) - v)
        values.append(_shortest_decimal(v, min(_GRID_TOLERANCE * abs(v), gap / 4)))
    values.append(float(high))
    return np.array(values)


def _shortest_decimal(value: float, tolerance: float) -> float:
    """The decimal of the fewest significant digits (at most _GRID_DIGITS) within ``tolerance``
    of ``value``; ``value`` itself if there is none."""
    for digits in range(1, _GRID_DIGITS + 1):
        rounded = float(f"{value:.{digits}g}")
        if abs(rounded - value) <= tolerance:
            return rounded
    return value


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A sweep's outcome; arrays are indexed ``[i, j]`` for ``lrs[i]``, ``momenta[j]``.

    Attributes
    ----------
    rule : str
    lrs : ndarray, shape (n_lr,)
        Log-spaced learning rates, as decimals (0.1, not 0.09999999999999999: see
        ``grid_values``); each configuration trains with exactly these values.
    momenta : ndarray, shape (n_momentum,)
        Evenly spaced momentum factors, likewise (0.3, not 0.30000000000000004).
    train_loss : ndarray, shape (n_lr, n_momentum, epochs + 1)
        Train loss per epoch (epoch 0: the shared initial weights); NaN after divergence.
    train_accuracy : ndarray, same shape
    final_train_loss, final_train_accuracy : ndarray, shape (n_lr, n_momentum)
        At the last completed epoch (for a diverged configuration, the one before it diverged).
    epochs_to_target : ndarray, shape (n_lr, n_momentum)
        The first epoch whose train loss is at most ``target_loss``; NaN if never (or no target).
    diverged_at_epoch : ndarray, shape (n_lr, n_momentum)
        The epoch (from 1) in which it diverged; NaN if it did not.
    target_loss : float or None
    updates : int
        Configuration-updates trained in all.
    seconds : float
    options : dict
        The options shared by every configuration.
    """

    rule: str
    lrs: np.ndarray
    momenta: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    final_train_loss: np.ndarray
    final_train_accuracy: np.ndarray
    epochs_to_target: np.ndarray
    diverged_at_epoch: np.ndarray
    target_loss: float | None
    updates: int
    seconds: float
    options: dict

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else float("inf")

    def rows(self) -> list[dict[str, Any]]:
        """One dict per configuration, learning rate major, with the CSV's columns."""
        out = []
        for i, lr in enumerate(self.lrs):
            for j, m in enumerate(self.momenta):
                out.append({"rule": self.rule, "lr": float(lr), "momentum": float(m),
                            "final_train_loss": float(self.final_train_loss[i, j]),
                            "final_train_accuracy": float(self.final_train_accuracy[i, j]),
                            "epochs_to_target": _whole(self.epochs_to_target[i, j]),
                            "diverged_at_epoch": _whole(self.diverged_at_epoch[i, j])})
        return out

    def best(self) -> dict[str, Any]:
        """The configuration with the lowest final train loss among those that did not diverge."""
        rows = [r for r in self.rows() if r["diverged_at_epoch"] is None]
        if not rows:
            raise ValueError("every configuration diverged")
        return min(rows, key=lambda r: r["final_train_loss"])

    def to_csv(self, path: str | os.PathLike[str], outputs: Outputs | None = None, option: str | None = None) -> None:
        """Write the table (SWEEP_COLUMNS), atomically (or staged into ``outputs``); an empty cell
        means "never" / "did not"."""
        with staged(path, "w", outputs, option) as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(SWEEP_COLUMNS)
            for row in self.rows():
                writer.writerow([_cell(row[c]) for c in SWEEP_COLUMNS])

    def __repr__(self) -> str:
        diverged = int(np.isfinite(self.diverged_at_epoch).sum())
        return (f"SweepResult({self.rule}, {len(self.lrs)} lr x {len(self.momenta)} momentum, "
                f"{diverged} diverged, {self.updates_per_second / 1e6:.1f}M configuration-updates/s)")


def _whole(value: float) -> int | None:
    return None if math.isnan(value) else int(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def sweep(
    dataset: Any = "iris",
    *,
    lr: tuple[float, float, int] | str = (0.001, 1.0, 10),
    momentum: tuple[float, float, int] | str = (0.0, 0.9, 10),
    target_loss: float | None = None,
    epochs: int = 100,
    out: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> SweepResult:
    """Train every (learning rate, momentum) of a grid from the same start; return the table.

    ``lr`` is ``(min, max, n)`` (log-spaced) or ``"MIN:MAX:N"``; ``momentum`` likewise,
    evenly spaced. ``dataset`` and ``options`` are :func:`train`'s (a :class:`RunConfig`, or the
    data and its fields; the configuration's own lr and momentum are the grid's). ``out`` writes
    the CSV.
    ``progress(epochs_done, epochs)`` is called as the sweep goes (first with 0, before the
    compile); an exception it raises stops the sweep and comes out of this call.

    Raises
    ------
    InputError
        For any bad option or input file, before anything trains.
    """
    config = config_from(dataset, options, "sweep")
    lr_spec = parse_range(lr, "lr=", log=True) if isinstance(lr, str) else check_grid(lr, "lr=", log=True)
    m_spec = (parse_range(momentum, "momentum=", log=False) if isinstance(momentum, str)
              else check_grid(momentum, "momentum=", log=False))
    if lr_spec[2] * m_spec[2] > MAX_CONFIGURATIONS:
        raise InputError(f"lr=: {lr_spec[2]} x {m_spec[2]} = {lr_spec[2] * m_spec[2]:,} configurations; at most "
                         f"{MAX_CONFIGURATIONS:,} (one epoch of them all is what Ctrl-C waits for)")
    epochs = check_count(epochs, "epochs=")
    if target_loss is not None:
        target_loss = check_positive(target_loss, "target_loss=")
    check_outputs({"out=": out}, config.input_paths())
    data = load_data(config)
    lrs, momenta = grid_values(lr_spec, log=True), grid_values(m_spec, log=False)
    # One trainer gives the shared start (weights, item order) and checks the options.
    config = replace(config, lr=float(lrs[0]), momentum=float(momenta[0]), compare=())
    start = Trainer(data, config)
    ly = start.layout
    kernel = sweep_kernel_for(ly.n_inputs, ly.n_hidden, ly.n_outputs)
    grid_lr, grid_m = (a.ravel() for a in np.meshgrid(lrs, momenta, indexing="ij"))
    n_cfg = grid_lr.size
    need = n_cfg * (2 * (epochs + 1) + 2 * ly.n_params + 6) * 8
    if need > MAX_SWEEP_BYTES:
        raise InputError(f"epochs=: {n_cfg} configurations x {epochs} epochs need {size_text(need)} of memory "
                         f"for their curves (the limit is {size_text(MAX_SWEEP_BYTES)}); sweep fewer epochs or a "
                         "smaller grid")
    params = np.tile(start.params, (n_cfg, 1))
    states = np.zeros_like(params)
    statuses = np.zeros(n_cfg, dtype=np.int64)
    steps = np.zeros(n_cfg, dtype=np.int64)
    history = np.full((n_cfg, epochs + 1, 2), np.nan)
    initial = start.evaluate()
    history[:, 0] = initial[:2]
    act, loss_code, rule_code = start._codes

    def run(orders: np.ndarray) -> np.ndarray:
        evals = np.full((n_cfg, orders.shape[0], 4), np.nan)
        kernel(params, states, grid_lr, grid_m, act, loss_code, rule_code, start.weight_limit, start.batch_size,
               data.x_train, data.y_train, data.x_test, data.y_test, orders, evals, statuses, steps)
        return evals

    if progress is not None:
        progress(0, epochs)  # before the compile: a caller can stop here (its hook raising)
    # numba's parallel layer must not be entered by two threads at once (its fallback layer
    # aborts the process): one sweep at a time in this process, whoever calls.
    with _ONE_SWEEP_AT_A_TIME:
        run(np.empty((0, data.n_train), dtype=np.int64))  # compile, or load from the cache: not timed
        rng = order_stream(config.seed, config.order, ly.n_params)
        began = time.perf_counter()
        done, sizer = 0, ChunkSizer(_CHUNK_SECONDS)  # in epochs of every configuration
        while done < epochs and np.any(statuses == OK):
            rows = min(sizer.items, epochs - done)
            orders = draw_orders(rng, rows, data.n_train, config.shuffle)
            t0 = time.perf_counter()
            evals = run(orders)
            took = time.perf_counter() - t0
            history[:, done + 1:done + 1 + rows] = evals[:, :, :2]
            done += rows
            sizer.measured(rows, took)
            if progress is not None:
                progress(done, epochs)
        seconds = time.perf_counter() - began

    loss_curves = history[:, :, 0]
    reached = np.isfinite(loss_curves)
    last = reached.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1)  # the last completed epoch
    final_loss = loss_curves[np.arange(n_cfg), last]
    final_acc = history[np.arange(n_cfg), last, 1]
    diverged = np.where(statuses != OK, last + 1.0, np.nan)
    if target_loss is None:
        to_target = np.full(n_cfg, np.nan)
    else:
        hit = reached & (loss_curves <= target_loss)
        to_target = np.where(hit.any(axis=1), np.argmax(hit, axis=1).astype(float), np.nan)
    shape = (lrs.size, momenta.size)
    updates = int(steps.sum())
    shared = {k: v for k, v in config.options().items() if k not in ("lr", "momentum")}
    result = SweepResult(config.rule, lrs, momenta, loss_curves.reshape(*shape, -1),
                         history[:, :, 1].reshape(*shape, -1), final_loss.reshape(shape), final_acc.reshape(shape),
                         to_target.reshape(shape), diverged.reshape(shape), target_loss, updates, seconds,
                         dict(shared, epochs=epochs, target_loss=target_loss))
    if out is not None:
        result.to_csv(out, option="out=")
    return result

"""The trainer: one network, one update rule and one data set, trained online or in batches.

A :class:`Trainer` owns the weights, the rule's state, the item order of each
epoch and the counters. It runs the compiled kernel in chunks of any size (in
updates: one item each online, ``batch_size`` items each in batches), so
the same object serves a whole run (``momentum_lab.train``), a GUI worker
that steps a few thousand updates at a time, and single-update stepping; the
result is identical bit for bit however the steps are chunked. Learning rate
and momentum may change between any two steps.

The trainer keeps no history itself: :meth:`Trainer.run` returns the rows of
the epochs it completed, with each one's delta statistics, and the caller
decides what to keep (a whole-run history, or a bounded buffer in the GUI).
"""

from __future__ import annotations

import functools
import math
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InputError
from ._files import size_text
from ._analysis import TREND_EPOCHS, loss_trends, nan_mean, remeasure, stability_value
from ._io import HISTORY_COLUMNS, load_weights
from ._kernel import NONFINITE_LOSS, NONFINITE_WEIGHT, OK, WEIGHT_LIMIT, kernel_for
from ._network import PARAM_NAMES, Layout, activation_code, evaluate, forward_batch, loss_code
from ._config import INITS, RunConfig, config_from
from ._options import batch_items, check_count, check_learning_rate, check_momentum, steps_per_epoch
from ._rules import rule_code

if TYPE_CHECKING:
    from ._datasets import Dataset

__all__ = ["DEFAULT_WEIGHT_LIMIT", "INITS", "ArticleOrders", "Divergence", "StepReport", "Trainer",
           "article_uniform"]

#: A weight whose magnitude passes this stops the run as diverged.
DEFAULT_WEIGHT_LIMIT = RunConfig.weight_limit
#: A network with more parameters than this is refused (the trainer keeps several copies).
MAX_PARAMS = 10_000_000
# Rows of item order generated at a time are capped at about this many items.
_ORDER_BLOCK_ITEMS = 1 << 20
# One kernel call's per-epoch delta statistics take at most about this many bytes (a call that
# could complete more epochs is cut into several): run(n) of a big network allocates no more.
_STATS_CALL_BYTES = 16 << 20
# The kernel's "gather no delta statistics" (a zero-length previous-deltas array).
_NO_LAST = np.empty(0)
#: The history's stability column measures every training item's curvature along its gradient
#: again once in this many epochs (a share of the items at each epoch's end), and all of them at
#: epochs 1, 2, 4, 8, ...: about 3 % of the training time (three gradients an item against one;
#: see benchmarks/bench_train.py).
SHARPNESS_EPOCHS = 100
#: ... on at most this many items x parameters (items spread evenly over the set), so that the
#: first measure and one at a power of two take a bounded time (a large network: fewer items).
SHARPNESS_BUDGET = 20_000_000


def article_uniform(seed: int, n_params: int, scale: float) -> np.ndarray:
    """The article's initial weights: ``lo + (hi - lo) * rnd.random()`` for each parameter in
    turn (the flat order: ih row by row, hidden biases, ho row by row, output biases), with
    ``rnd = random.Random(seed)``, ``lo = -scale``, ``hi = scale``."""
    rnd = random.Random(seed)
    lo, hi = -scale, scale
    return np.array([lo + (hi - lo) * rnd.random() for _ in range(n_params)])


class ArticleOrders:
    """The article's item orders: its one ``random.Random(seed)``, past the ``n_params`` draws of
    the initial weights (made whatever the run's init is), shuffles one list of the item indices
    in place at the start of every epoch; each epoch's order is that list as it then stands."""

    def __init__(self, seed: int, n_params: int) -> None:
        self._random = random.Random()
        self._random.setstate(_after_weights(seed, n_params))
        self._indices: list[int] = []

    def draw(self, rows: int, n_items: int, shuffle: bool) -> np.ndarray:
        if len(self._indices) != n_items:
            self._indices = list(range(n_items))
        block = np.empty((rows, n_items), dtype=np.int64)
        for r in range(rows):
            if shuffle:
                self._random.shuffle(self._indices)
            block[r] = self._indices
        return block


@functools.lru_cache(maxsize=16)
def _after_weights(seed: int, n_params: int) -> tuple:
    """The state of ``random.Random(seed)`` after the initial weights' ``n_params`` draws (kept:
    a reset of a large network need not draw them again)."""
    rnd = random.Random(seed)
    for _ in range(n_params):
        rnd.random()
    return rnd.getstate()


def order_stream(seed: int, order: str = "numpy", n_params: int = 0) -> np.random.Generator | ArticleOrders:
    """The random stream of a run's item orders: for ``numpy``, a stream apart from the initial
    weights'; for ``article``, the article's one generator, after the weights' draws."""
    if order == "article":
        return ArticleOrders(seed, n_params)
    return np.random.default_rng([seed, 2])


def draw_orders(rng: np.random.Generator | ArticleOrders, rows: int, n_items: int, shuffle: bool) -> np.ndarray:
    """The item orders of the next ``rows`` epochs, shape (rows, n_items).

    Row by row, in epoch order, from one stream: the orders are the same however the
    epochs are drawn in blocks (a test checks it), so a sweep and a single run agree.
    """
    if isinstance(rng, ArticleOrders):
        return rng.draw(rows, n_items, shuffle)
    block = np.tile(np.arange(n_items, dtype=np.int64), (rows, 1))
    return rng.permuted(block, axis=1) if shuffle else block


@dataclass(frozen=True)
class Divergence:
    """Where and why a run diverged.

    Attributes
    ----------
    epoch : int
        The epoch in progress, counted from 1.
    step : int
        The update at which it was found, counted from 1 over the whole run.
    reason : str
        E.g. ``"ho_weights[3,1] = 1.2e+06 passed the limit 1e+06"``.
    """

    epoch: int
    step: int
    reason: str

    def __str__(self) -> str:
        return f"diverged at epoch {self.epoch}, step {self.step}: {self.reason}"


@dataclass(frozen=True, eq=False)
class StepReport:
    """What one call of :meth:`Trainer.run` did.

    Attributes
    ----------
    steps : int
        Updates applied.
    rows : ndarray, shape (n_completed_epochs, len(HISTORY_COLUMNS))
        One history row per epoch completed during the call.
    divergence : Divergence or None
    stats : ndarray, shape (n_completed_epochs, 2, n_params), float32, or None
        With ``run(..., stats=True)``, each of those epochs' delta statistics: ``stats[:, 0]``
        the share of its steps at which each parameter's delta flipped sign, ``stats[:, 1]`` its
        mean |delta| (see :class:`~momentum_lab.engine.DeltaStats`).
    """

    steps: int
    rows: np.ndarray
    divergence: Divergence | None
    stats: np.ndarray | None = None


class Trainer:
    """Training of an inputs–hidden–softmax network, online or in batches.

    Parameters
    ----------
    dataset : Dataset
        Training and test items (already normalized).
    config : RunConfig, optional
        The network, rule, settings, seed and initial weights (its data fields are not used:
        the data are ``dataset``). See :class:`~momentum_lab.engine.RunConfig` for each option;
        ``init="uniform"`` draws every weight and bias from U(-init_scale, init_scale) (the
        article uses 0.01); ``glorot`` draws weights from U(-a, a) with a = sqrt(6 / (fan_in +
        fan_out)) and sets biases to 0; ``article`` draws every weight and bias from
        U(-init_scale, init_scale) as the article's program does (see :func:`article_uniform`);
        ``init_weights`` (four named arrays, or an ``.npz`` path) overrides ``init``.
        ``order="article"`` draws each epoch's order as the article's program does (see
        :class:`ArticleOrders`), ``numpy`` from a numpy stream of its own. ``batch_size`` items
        make an update (their mean gradient); :attr:`batch_size` is it resolved (``"full"``, or
        more than the training set: all of it), :attr:`steps_per_epoch` the updates an epoch.
    **options
        Fields of ``config`` to change (``Trainer(data, hidden=5, lr=0.1)``).

    ``lr`` and ``momentum`` may be changed at any time through the attributes of the same name.
    """

    def __init__(self, dataset: Dataset, config: RunConfig | None = None, **options: Any) -> None:
        config = config_from(RunConfig() if config is None else config, options, "Trainer")
        self.config = config
        hidden, activation, loss, rule = config.hidden, config.activation, config.loss, config.rule
        init, init_weights = config.init, config.init_weights
        self.dataset = dataset
        self.layout = Layout(dataset.n_inputs, hidden, dataset.n_classes)
        if self.layout.n_params > MAX_PARAMS:
            ly = self.layout
            raise InputError(f"hidden=: a {ly.n_inputs}-{ly.n_hidden}-{ly.n_outputs} network has "
                             f"{ly.n_params:,} parameters; at most {MAX_PARAMS:,} are trained (each copy of "
                             f"them takes {size_text(8 * ly.n_params)}): use fewer hidden units or inputs")
        self.activation = activation
        self.loss = loss
        self.rule = rule
        self._codes = (activation_code(activation), loss_code(loss), rule_code(rule))
        self.lr = config.lr
        self.momentum = config.momentum
        self.seed = config.seed
        self.shuffle = config.shuffle
        self.order = config.order
        self.init = init
        self.init_scale = config.init_scale
        self.weight_limit = config.weight_limit
        self.batch_size = batch_items(config.batch_size, dataset.n_train)
        self.steps_per_epoch = steps_per_epoch(config.batch_size, dataset.n_train)
        if isinstance(init_weights, dict):
            self._initial = self._checked_weights(init_weights)
        elif init_weights is not None:
            loaded = load_weights(init_weights)
            self._initial = self._checked_weights(loaded, f"init_weights= '{init_weights}'")
        else:
            self._initial = self._draw_weights()
        largest = float(np.abs(self._initial).max())
        if largest > self.weight_limit:
            source = "init_weights=" if init_weights is not None else "init_scale="
            raise InputError(f"{source}: the initial weights reach {largest:.3g}, beyond weight_limit= "
                             f"{self.weight_limit:g}; the run would count as diverged before it starts")
        self.reset()

    # -- settings that may change between any two steps ---------------------------------

    @property
    def lr(self) -> float:
        """Learning rate, applied from the next step on."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_learning_rate(value)

    @property
    def momentum(self) -> float:
        """Momentum factor in [0, 1), applied from the next step on."""
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        self._momentum = check_momentum(value)

    # -- state ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the initial weights, a zero rule state and epoch 0; same seed, same order."""
        n = self.layout.n_params
        self.params = self._initial.copy()
        self.state = np.zeros(n)
        self.epoch = 0
        self.position = 0
        self.step = 0
        self.divergence: Divergence | None = None
        # The previous step's deltas, and the epoch in progress's flips and sum of |delta|
        # (see _kernel._train_steps): carried from call to call, so any chunking counts alike.
        self._last_deltas = np.zeros(n)
        self._tally = np.zeros((2, n))
        self._order_rng = order_stream(self.seed, self.order, n)
        self._orders = np.empty((0, self.dataset.n_train), dtype=np.int64)
        self._orders_first = 0
        # The stability column's state: each training item's latest curvature along its gradient
        # (all measured at the first need), the next item to measure, and the loss trend's
        # latest epoch losses, best and first (see _analysis.loss_trends).
        slots = min(self.dataset.n_train, max(10, SHARPNESS_BUDGET // n))
        self._sharp = np.full(slots, np.nan)
        self._sharp_cursor = np.zeros(3, dtype=np.int64)
        self._sharp_ready = False
        self._trend: tuple[np.ndarray, float, float] | None = None

    @property
    def epoch_step(self) -> int:
        """Updates done in the epoch in progress (``position`` counts its items)."""
        return self.position // self.batch_size

    @property
    def views(self) -> dict[str, np.ndarray]:
        """The four named parameters as live views of :attr:`params`."""
        return self.layout.views(self.params)

    def weights(self) -> dict[str, np.ndarray]:
        """A copy of the four named parameters."""
        return {name: v.copy() for name, v in self.views.items()}

    def initial_weights(self) -> dict[str, np.ndarray]:
        """A copy of the weights the run started from (and :meth:`reset` returns to)."""
        return {name: v.copy() for name, v in self.layout.views(self._initial).items()}

    def evaluate(self) -> tuple[float, float, float, float]:
        """(train loss, train accuracy, test loss, test accuracy) at the current weights."""
        d = self.dataset
        a, l_, _ = self._codes
        n_in, n_h, n_out = self.layout.n_inputs, self.layout.n_hidden, self.layout.n_outputs
        tl, ta = evaluate(self.params, n_in, n_h, n_out, a, l_, d.x_train, d.y_train)
        vl, va = evaluate(self.params, n_in, n_h, n_out, a, l_, d.x_test, d.y_test)
        return tl, ta, vl, va

    def history_row(self, stability: bool = False) -> np.ndarray:
        """A history row for the current weights, e.g. epoch 0 before training; its stability
        column (the readout for the next step's settings) NaN unless ``stability`` (it costs three
        gradients an item the first time)."""
        row = np.array([self.epoch, *self.evaluate(), self.lr, self.momentum, math.nan])
        if stability:
            before, best, first = self._trend_state()
            trend = loss_trends(row[1:2], before, best, first)[0]
            row[7] = stability_value(self.rule, self._lr, self._momentum, self.sharpness(), trend)
        return row

    def stability_now(self, sharpness: float | None = None, curvature: float = math.nan) -> float:
        """The stability readout for the settings now in force at the current weights, with
        ``sharpness`` (default: the history's, :meth:`sharpness`) and the loss trend as of the
        last epoch completed (see ``engine.stability_value``); at this run's batch size, so that
        from sqrt(n) items an update on it is the quadratic bound's ``lr * curvature / bound``
        (``curvature``: ``largest_curvature`` at the weights now)."""
        return stability_value(self.rule, self._lr, self._momentum,
                               self.sharpness() if sharpness is None else sharpness, self.trend_now(),
                               batch_size=self.batch_size, n_items=self.dataset.n_train, curvature=curvature)

    def column_readout(self) -> float:
        """The history's ``stability`` column as it stands for the settings now in force, at the
        last epoch's end: the online readout with the history's sharpness and loss trend (what a
        setting changed at an epoch's end makes of that epoch's row: the column is the readout
        for the next step's settings)."""
        return stability_value(self.rule, self._lr, self._momentum, self.sharpness(), self.trend_now())

    def trend_now(self) -> float:
        """The loss trend (``engine.loss_trend``) as of the last epoch completed: above 1, the
        loss has climbed and takes the stability readout over."""
        before, best, first = self._trend_state()
        return float(loss_trends(before[-1:], before[:-1], best, first)[0])

    def sharpness(self) -> float:
        """The batch sharpness the history's stability column uses: the mean over training items
        (all, or ``SHARPNESS_BUDGET // n_params`` of them spread evenly over the set) of each
        one's curvature along its gradient, each measured within the last
        ``SHARPNESS_EPOCHS`` epochs and since the last power of two (all of them at the first
        call)."""
        if not self._sharp_ready:
            d, ly = self.dataset, self.layout
            remeasure(self.params, ly.n_inputs, ly.n_hidden, ly.n_outputs, self._codes[0], self._codes[1],
                      d.x_train, d.y_train, self._sharp, self._sharp_cursor, self._sharp.shape[0])
            self._sharp_ready = True
        return float(nan_mean(self._sharp))

    def _trend_state(self) -> tuple[np.ndarray, float, float]:
        """(latest epoch losses, the best of those before them, the first) of the loss trend, from
        the initial weights' loss (it is made before the first step)."""
        if self._trend is None:
            first = self.evaluate()[0] if self.step == 0 else math.nan
            self._trend = (np.array([first]), math.inf, first)
        return self._trend

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Output probabilities, shape (n_items, n_outputs), for normalized inputs ``x``."""
        xs = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, self.layout.n_inputs)
        ly = self.layout
        return forward_batch(self.params, ly.n_inputs, ly.n_hidden, ly.n_outputs, self._codes[0], xs)

    # -- training ---------------------------------------------------------------------------

    def prepare(self) -> float:
        """Compile the kernel for this network's shape, or load it from the cache; return seconds taken.

        Training calls this itself; call it first to keep the time out of a measurement or
        out of the first step a user sees.
        """
        start = time.perf_counter()
        d = self.dataset
        kernel = kernel_for(self.layout.n_inputs, self.layout.n_hidden, self.layout.n_outputs)
        kernel(self.params, self.state, *self._codes, self._lr, self._momentum, self.weight_limit, self.batch_size,
               d.x_train, d.y_train, d.x_test, d.y_test, np.empty((0, d.n_train), dtype=np.int64), 0, 0,
               np.empty((0, self.layout.n_params)), np.empty((0, 5)), _NO_LAST, self._tally, self._stats_buffer(0),
               self._sharp, self._sharp_cursor, SHARPNESS_EPOCHS)
        return time.perf_counter() - start

    def run(self, max_steps: int, deltas: np.ndarray | None = None, stats: bool = False) -> StepReport:
        """Make up to ``max_steps`` updates (fewer only if the run diverges).

        Parameters
        ----------
        max_steps : int
            Updates to make (``batch_size`` items each); epochs roll over as needed, and each
            completed epoch is evaluated.
        deltas : ndarray, shape (>= max_steps, n_params), optional
            C-contiguous float64 buffer; row s receives the deltas of update s.
        stats : bool
            Gather each completed epoch's delta statistics (``StepReport.stats``). Ask for them
            in every call of a run, or the flips across a call without them are not counted;
            they cost about 5 % of the speed of a small network (Iris 4-7-3), which is why
            they are asked for.

        Returns
        -------
        StepReport
        """
        if self.divergence is not None:
            return StepReport(0, np.empty((0, len(HISTORY_COLUMNS))), self.divergence,
                              self._stats_buffer(0) if stats else None)
        max_steps = check_count(max_steps, "steps", minimum=0)
        n_params = self.layout.n_params
        if deltas is None:
            deltas = np.empty((0, n_params))
        elif deltas.shape[0] < max_steps or deltas.shape[1:] != (n_params,) or deltas.dtype != np.float64:
            raise ValueError(f"deltas buffer must have shape (>= {max_steps}, {n_params}) and dtype float64")
        record = deltas.shape[0] > 0
        d = self.dataset
        kernel = kernel_for(self.layout.n_inputs, self.layout.n_hidden, self.layout.n_outputs)
        act, loss, rule = self._codes
        done = 0
        rows: list[np.ndarray] = []
        gathered: list[np.ndarray] = []
        most_epochs = max(1, _STATS_CALL_BYTES // (8 * n_params))
        self.sharpness()  # every item's, at the first call
        self._trend_state()  # from the initial weights' loss
        status = OK
        per_epoch = self.steps_per_epoch
        while done < max_steps and status == OK:
            at = self.epoch_step
            need_epochs = -(-(at + max_steps - done) // per_epoch)
            orders = self._orders_ahead(need_epochs)
            # Gathering statistics, this call's epochs: those it can complete, at most most_epochs.
            ends = min(orders.shape[0], need_epochs, most_epochs) if stats else orders.shape[0]
            evals = np.empty((orders.shape[0], 5))
            epoch_stats = self._stats_buffer(ends if stats else 0)
            buffer = deltas[done:] if record else deltas
            steps, epochs, pos, status = kernel(
                self.params, self.state, act, loss, rule, self._lr, self._momentum,
                self.weight_limit, self.batch_size, d.x_train, d.y_train, d.x_test, d.y_test, orders, self.position,
                min(max_steps - done, ends * per_epoch - at), buffer, evals,
                self._last_deltas if stats else _NO_LAST, self._tally, epoch_stats, self._sharp, self._sharp_cursor,
                SHARPNESS_EPOCHS)
            done += steps
            self.step += steps
            if epochs:
                block = np.empty((epochs, len(HISTORY_COLUMNS)))
                block[:, 0] = np.arange(self.epoch + 1, self.epoch + epochs + 1)
                block[:, 1:5] = evals[:epochs, :4]
                block[:, 5] = self._lr
                block[:, 6] = self._momentum
                block[:, 7] = self._stability_column(evals[:epochs, 0], evals[:epochs, 4])
                rows.append(block)
                if stats:
                    gathered.append(epoch_stats[:epochs])
            self.epoch += epochs
            self.position = pos
        if status != OK:
            self.divergence = self._divergence(status)
        out = np.concatenate(rows) if rows else np.empty((0, len(HISTORY_COLUMNS)))
        kept = (np.concatenate(gathered) if gathered else self._stats_buffer(0)) if stats else None
        return StepReport(done, out, self.divergence, kept)

    # -- internals -------------------------------------------------------------------------------

    def _stability_column(self, losses: np.ndarray, sharpness: np.ndarray) -> np.ndarray:
        """The readout at the end of each of these epochs (their training losses and batch
        sharpness), for the settings in force; the loss trend carried on."""
        before, best, first = self._trend_state()
        trends = loss_trends(losses, before, best, first)
        joined = np.concatenate([before, losses])
        keep = TREND_EPOCHS
        older = joined[:-keep] if joined.size > keep else joined[:0]
        self._trend = (joined[-keep:], float(np.fmin.reduce(older, initial=best)), first)
        return stability_value(self.rule, self._lr, self._momentum, sharpness, trends)

    def _stats_buffer(self, epochs: int) -> np.ndarray:
        """Room for ``epochs`` epochs' delta statistics (see StepReport.stats)."""
        return np.empty((epochs, 2, self.layout.n_params), dtype=np.float32)

    def _orders_ahead(self, need_epochs: int) -> np.ndarray:
        """Item orders from the current epoch on, at least one row, at most ``need_epochs`` new."""
        offset = self.epoch - self._orders_first
        if offset < self._orders.shape[0]:
            return self._orders[offset:]
        n = self.dataset.n_train
        rows = max(1, min(need_epochs, _ORDER_BLOCK_ITEMS // n))
        block = draw_orders(self._order_rng, rows, n, self.shuffle)
        self._orders = block
        self._orders_first = self.epoch
        return block

    def _draw_weights(self) -> np.ndarray:
        ly = self.layout
        if self.init == "article":
            return article_uniform(self.seed, ly.n_params, self.init_scale)
        rng = np.random.default_rng([self.seed, 1])
        if self.init == "uniform":
            return rng.uniform(-self.init_scale, self.init_scale, size=ly.n_params)
        flat = np.zeros(ly.n_params)
        views = ly.views(flat)
        for name, (fan_in, fan_out) in (("ih_weights", (ly.n_inputs, ly.n_hidden)),
                                         ("ho_weights", (ly.n_hidden, ly.n_outputs))):
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            views[name][...] = rng.uniform(-bound, bound, size=(fan_in, fan_out))
        return flat

    def _checked_weights(self, named: dict[str, np.ndarray], source: str = "init_weights=") -> np.ndarray:
        keys = set(named)
        expected = set(PARAM_NAMES)
        if keys != expected:
            missing = sorted(expected - keys)
            extra = sorted(keys - expected)
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if extra:
                parts.append("unexpected " + ", ".join(extra))
            raise InputError(f"{source}: wrong keys ({'; '.join(parts)}); expected {', '.join(PARAM_NAMES)}")
        for name, shape in self.layout.shapes.items():
            arr = np.asarray(named[name])
            if arr.shape != shape:
                raise InputError(f"{source}: {name} has shape {arr.shape}, the network needs {shape}")
            if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
                raise InputError(f"{source}: {name} holds {arr.dtype} values, not real numbers")
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{source}: {name} holds non-finite values")
        return self.layout.flatten(named)

    def _divergence(self, status: int) -> Divergence:
        labels = [label.split()[0] for label in self.layout.labels()]
        if status == NONFINITE_LOSS:
            return Divergence(self.epoch + 1, self.step + 1, "the loss is not finite")
        bad = ~np.isfinite(self.params) if status == NONFINITE_WEIGHT else np.abs(self.params) > self.weight_limit
        i = int(np.flatnonzero(bad)[0])
        value = self.params[i]
        if status == NONFINITE_WEIGHT:
            reason = f"{labels[i]} became {value}"
        else:
            assert status == WEIGHT_LIMIT
            reason = f"{labels[i]} = {value:.3g} passed the limit {self.weight_limit:g}"
        return Divergence(self.epoch + 1, self.step, reason)

    def __repr__(self) -> str:
        ly = self.layout
        batch = f", batch {self.batch_size}" if self.batch_size > 1 else ""
        return (f"Trainer({ly.n_inputs}-{ly.n_hidden}-{ly.n_outputs} {self.activation}, {self.loss}, "
                f"{self.rule} lr={self._lr:g} momentum={self._momentum:g}{batch}, epoch {self.epoch}, "
                f"step {self.step}{', diverged' if self.divergence else ''})")

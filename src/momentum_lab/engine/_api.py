"""``train``: a whole run from options to result, shared by the Python API and the CLI."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._atomic import Outputs, check_outputs
from ._datasets import DATASET_NAMES, Dataset, load_dataset
from ._errors import InputError
from ._io import DELTA_NAMES, HISTORY_COLUMNS, save_arrays, write_history_csv
from ._io import save_weights as _save_weights_file
from ._options import check_count, check_learning_rate, check_momentum
from ._trainer import DEFAULT_WEIGHT_LIMIT, Divergence, Trainer

__all__ = ["History", "TrainResult", "train"]

# Recorded deltas are held in memory; a run that would need more is refused.
MAX_DELTA_BYTES = 2 << 30
# Training runs in chunks of about this many seconds: progress shows and Ctrl-C answers that often.
_CHUNK_SECONDS = 0.05
# More updates than this in one run are refused (the step counters are 64-bit).
MAX_STEPS = 10**15


class History:
    """Per-epoch history of a run: one row per epoch, epoch 0 being the initial weights.

    Columns: ``epoch, train_loss, train_accuracy, test_loss, test_accuracy, lr,
    momentum``; ``history["train_loss"]`` gives a column as an array. Test
    columns are NaN when there is no test split.
    """

    columns = HISTORY_COLUMNS

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in HISTORY_COLUMNS:
            raise KeyError(f"no column {column!r}; columns are {', '.join(HISTORY_COLUMNS)}")
        col = self.rows[:, HISTORY_COLUMNS.index(column)]
        return col.astype(np.int64) if column == "epoch" else col

    def __len__(self) -> int:
        return self.rows.shape[0]

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the history as CSV, atomically."""
        write_history_csv(path, self.rows)

    def __repr__(self) -> str:
        if not len(self):
            return "History(empty)"
        last = dict(zip(HISTORY_COLUMNS, self.rows[-1]))
        return (f"History({len(self)} rows, last: epoch {int(last['epoch'])}, "
                f"train_loss {last['train_loss']:.4g}, train_accuracy {last['train_accuracy']:.3f})")


@dataclass(frozen=True, eq=False)
class TrainResult:
    """The result of :func:`train`.

    Attributes
    ----------
    history : History
        Per-epoch losses and accuracies, from epoch 0 (the initial weights).
    weights : dict of ndarray
        Final ``ih_weights`` (n_inputs, n_hidden), ``h_biases`` (n_hidden,),
        ``ho_weights`` (n_hidden, n_outputs), ``o_biases`` (n_outputs,).
    initial_weights : dict of ndarray
        The weights the run started from, same shapes.
    deltas : dict of ndarray or None
        With ``record_deltas`` (or a ``deltas`` path): ``ih_deltas`` (steps,
        n_inputs, n_hidden), ``h_bias_deltas`` (steps, n_hidden), ``ho_deltas``
        (steps, n_hidden, n_outputs), ``o_bias_deltas`` (steps, n_outputs):
        the total change applied to each parameter at each step.
    divergence : Divergence or None
        Where and why the run diverged, if it did.
    steps : int
        Updates applied.
    seconds : float
        Wall time spent training.
    compile_seconds : float
        Time spent compiling the training kernel for this network shape (the first run of a
        shape on a machine) or loading it from numba's cache (a fraction of a second).
    dataset : Dataset
    options : dict
        The options the run used.
    """

    history: History
    weights: dict[str, np.ndarray]
    initial_weights: dict[str, np.ndarray]
    deltas: dict[str, np.ndarray] | None
    divergence: Divergence | None
    steps: int
    seconds: float
    compile_seconds: float
    dataset: Dataset
    options: dict[str, Any] = field(repr=False)

    @property
    def diverged(self) -> bool:
        """True when the run stopped because it diverged."""
        return self.divergence is not None

    @property
    def updates_per_second(self) -> float:
        """Training speed of the run."""
        return self.steps / self.seconds if self.seconds > 0 else float("inf")

    def __repr__(self) -> str:
        state = str(self.divergence) if self.divergence else "finished"
        return f"TrainResult({self.dataset.name!r}, {self.steps} steps, {state}, {self.history!r})"


def train(
    dataset: str | os.PathLike[str] | tuple[np.ndarray, np.ndarray] = "iris",
    *,
    hidden: int = 7,
    activation: str = "tanh",
    loss: str = "cross-entropy",
    rule: str = "lookback",
    lr: float = 0.01,
    momentum: float = 0.5,
    epochs: int = 100,
    seed: int = 0,
    shuffle: bool = True,
    normalize: str = "zscore",
    test_fraction: float = 0.2,
    data_seed: int = 0,
    samples: int | None = None,
    noise: float | None = None,
    classes: int = 3,
    init: str = "uniform",
    init_scale: float = 0.01,
    init_weights: str | os.PathLike[str] | dict[str, np.ndarray] | None = None,
    weight_limit: float = DEFAULT_WEIGHT_LIMIT,
    save_weights: str | os.PathLike[str] | None = None,
    history: str | os.PathLike[str] | None = None,
    deltas: str | os.PathLike[str] | None = None,
    record_deltas: bool = False,
    changes: Sequence[tuple[int, str, float]] = (),
    steps: int | None = None,
    progress: Callable[[int, int, np.ndarray], None] | None = None,
) -> TrainResult:
    """Train a network online and return its history, weights and (optionally) deltas.

    The keyword arguments are the command line's options with dashes turned
    into underscores (``--test-fraction`` is ``test_fraction``). ``dataset`` is
    a shipped or generated set's name (``iris``, ``xor``, ``circles``,
    ``spirals``, ``blobs``), a CSV path, or a tuple ``(X, y)`` of arrays.

    ``save_weights``, ``history`` and ``deltas`` are paths to write (weights
    ``.npz``, per-epoch CSV, deltas ``.npz``); ``record_deltas`` keeps the deltas
    in the result without writing them.

    ``changes`` are live setting changes replayed at exact steps: ``(step, name, value)``
    sets ``name`` (``"lr"`` or ``"momentum"``) to ``value`` from the update after ``step``
    updates, as the window records them. ``steps`` stops after exactly that many updates
    (mid-epoch if need be) instead of after ``epochs`` epochs. ``progress(epoch, epochs, row)`` is
    called as epochs complete, ``row`` being the latest history row.

    Raises
    ------
    InputError
        For any bad option or input file, before training starts (nothing is
        written).
    """
    options = {k: v for k, v in locals().items() if k != "progress"}
    epochs = check_count(epochs, "epochs=")
    schedule = _checked_changes(changes)
    check_outputs({"save_weights=": save_weights, "history=": history, "deltas=": deltas},
                  input_paths(dataset, init_weights))
    data = load_dataset(dataset, normalize=normalize, test_fraction=test_fraction, data_seed=data_seed,
                        n_samples=samples, noise=noise, n_classes=classes)
    trainer = Trainer(data, hidden=hidden, activation=activation, loss=loss, rule=rule, lr=lr,
                      momentum=momentum, seed=seed, shuffle=shuffle, init=init, init_scale=init_scale,
                      init_weights=init_weights, weight_limit=weight_limit)
    keep_deltas = record_deltas or deltas is not None
    total = epochs * data.n_train if steps is None else check_count(steps, "steps=", minimum=0)
    if steps is not None:
        epochs = -(-total // data.n_train)
    if total > MAX_STEPS:
        check_epochs_fit(epochs, data.n_train)
    need = total * trainer.layout.n_params * 8
    if keep_deltas and need > MAX_DELTA_BYTES:
        raise InputError(f"deltas=: recording {epochs} epochs x {data.n_train} items x "
                         f"{trainer.layout.n_params} parameters needs {need / 2**30:.1f} GiB "
                         f"(the limit is {MAX_DELTA_BYTES / 2**30:.0f} GiB); record fewer epochs")
    buffer = np.empty((total if keep_deltas else 0, trainer.layout.n_params))
    rows = [trainer.history_row()[None, :]]
    compile_seconds = trainer.prepare()
    start = time.perf_counter()
    chunk = data.n_train  # then sized to take about _CHUNK_SECONDS, whatever the network's size
    pending = list(schedule)
    while trainer.step < total and trainer.divergence is None:
        while pending and pending[0][0] <= trainer.step:
            _, name, value = pending.pop(0)
            setattr(trainer, name, value)
        n = min(chunk, total - trainer.step, *(s - trainer.step for s, _, _ in pending[:1]))
        began = time.perf_counter()
        report = trainer.run(n, buffer[trainer.step:] if keep_deltas else None)
        took = time.perf_counter() - began
        chunk = max(1, min(4 * chunk, int(report.steps * _CHUNK_SECONDS / max(took, 1e-6))))
        if report.rows.shape[0]:
            rows.append(report.rows)
        if progress is not None:
            progress(trainer.epoch, epochs, rows[-1][-1])
    seconds = time.perf_counter() - start
    hist = History(np.concatenate(rows))
    recorded = None
    if keep_deltas:
        kept = buffer[: trainer.step]
        recorded = {dn: v for dn, v in zip(DELTA_NAMES, trainer.layout.views(kept).values())}
    result = TrainResult(hist, trainer.weights(), trainer.initial_weights(), recorded, trainer.divergence,
                         trainer.step, seconds, compile_seconds, data, options)
    with Outputs() as out:
        stage_outputs(out, result, history=history, deltas=deltas, save_weights=save_weights)
    return result


def check_epochs_fit(epochs: int, n_train: int, label: str = "epochs=") -> None:
    """Refuse ``epochs`` epochs of ``n_train`` items when they make more than MAX_STEPS updates."""
    if epochs * n_train > MAX_STEPS:
        raise InputError(f"{label}: {epochs} epochs of {n_train} items is more than {MAX_STEPS:.0e} updates; "
                         "ask for fewer")


def input_paths(dataset: Any = None, init_weights: Any = None, **more: Any) -> dict[str, Any]:
    """A run's input files, by option (for :func:`check_outputs`): the data set unless it is a
    shipped or generated set's name, the initial weights, and any ``more``."""
    named = isinstance(dataset, str) and dataset in DATASET_NAMES
    return {"dataset=": None if named else dataset, "init_weights=": init_weights, **more}


def stage_outputs(out: Outputs, result: TrainResult, *, history: Any = None, deltas: Any = None,
                  save_weights: Any = None) -> None:
    """Stage a result's files into ``out``: the history CSV, the deltas and (unless the run
    diverged: its weights are not finite or not useful, and any earlier file stays) the weights."""
    if deltas is not None:
        if result.deltas is None:
            raise ValueError("stage_outputs: the run recorded no deltas")
        save_arrays(deltas, {name: result.deltas[name] for name in DELTA_NAMES}, out, "deltas=")
    if history is not None:
        write_history_csv(history, result.history.rows, out, "history=")
    if save_weights is not None and result.divergence is None:
        _save_weights_file(save_weights, result.weights, out, "save_weights=")



def _checked_changes(changes: Sequence[tuple[int, str, float]]) -> list[tuple[int, str, float]]:
    """Scheduled setting changes, checked and in step order (a stable sort keeps same-step ones in order)."""
    checks = {"lr": check_learning_rate, "momentum": check_momentum}
    out = []
    for i, change in enumerate(changes):
        try:
            step, name, value = change
        except (TypeError, ValueError):
            raise InputError(f"changes[{i}]: expected (step, 'lr' or 'momentum', value), got {change!r}") from None
        if name not in checks:
            raise InputError(f"changes[{i}]: the setting must be 'lr' or 'momentum', got {name!r}")
        out.append((check_count(step, f"changes[{i}] step", minimum=0), name, checks[name](value, f"changes[{i}] {name}")))
    return sorted(out, key=lambda c: c[0])

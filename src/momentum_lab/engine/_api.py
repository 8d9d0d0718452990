"""``train`` and ``replay``: whole runs from options (or a scenario) to results, for the Python API
and the command line. Both train through a :class:`~momentum_lab.engine.Session`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._atomic import Outputs, check_outputs
from ._config import RunConfig, config_from, load_data
from ._datasets import Dataset
from ._io import DELTA_NAMES, save_arrays, write_history_csv
from ._io import save_weights as _save_weights_file
from ._options import check_count, steps_per_epoch
from ._results import History, TrainResult
from ._scenario import Scenario
from ._session import MAX_STEPS, Change, Session, check_epochs_fit, run_session

__all__ = ["History", "TrainResult", "replay", "train"]


def train(
    dataset: str | os.PathLike[str] | tuple[np.ndarray, np.ndarray] | Dataset | RunConfig = "iris",
    *,
    epochs: int = 100,
    steps: int | None = None,
    changes: Sequence[Change | tuple[int, str, float]] = (),
    save_weights: str | os.PathLike[str] | None = None,
    history: str | os.PathLike[str] | None = None,
    deltas: str | os.PathLike[str] | None = None,
    record_deltas: bool = False,
    delta_stats: bool = False,
    progress: Callable[[int, int, np.ndarray], None] | None = None,
    **options: Any,
) -> TrainResult:
    """Train a network (online, or in batches: ``batch_size``) and return its history, weights and
    (optionally) deltas.

    ``dataset`` is a :class:`RunConfig` (``train(config, epochs=200)``), or the data: a shipped
    or generated set's name (``iris``, ``xor``, ``circles``, ``spirals``, ``blobs``), a CSV path,
    a :class:`Dataset`, or a tuple ``(X, y)`` of arrays. ``options`` are :class:`RunConfig`'s
    fields, the command line's options with dashes turned into underscores (``--test-fraction``
    is ``test_fraction``); given with a RunConfig, they change its fields. Both spellings train
    the same run, bit for bit. A configuration's compared runs are not trained here (see
    :func:`replay` and :class:`Session`).

    ``save_weights``, ``history`` and ``deltas`` are paths to write (weights ``.npz``, per-epoch
    CSV, deltas ``.npz``); ``record_deltas`` keeps the deltas in the result without writing them.
    ``delta_stats`` keeps each epoch's sign-flip rate and mean |delta| of every parameter in the
    result's ``delta_stats`` (gathered in the kernel: no step is recorded).

    ``changes`` are setting changes replayed at exact steps: a :class:`Change`, or ``(step, name,
    value)``, sets ``name`` (``"lr"`` or ``"momentum"``) to ``value`` from the update after
    ``step`` updates, as the window records them. ``steps`` stops after exactly that many updates
    (mid-epoch if need be) instead of after ``epochs`` epochs. A step is an update: one item
    online, a batch of ``batch_size`` items otherwise (an epoch is
    :func:`~momentum_lab.engine.steps_per_epoch` updates). ``progress(epoch, epochs, row)`` is
    called as epochs complete, ``row`` being the latest history row.

    Raises
    ------
    InputError
        For any bad option or input file, before training starts (nothing is written).
    TypeError
        For an unknown keyword (with the nearest known one).
    """
    config = config_from(dataset, options, "train")
    config = config.lane(0) if config.compare else config
    epochs = check_count(epochs, "epochs=")
    outputs = dict(history=history, deltas=deltas, save_weights=save_weights)
    _check_outputs(config, outputs)
    data = load_data(config)
    per_epoch = steps_per_epoch(config.batch_size, data.n_train)
    if steps is not None:
        total = check_count(steps, "steps=", minimum=0)
        epochs = -(-total // per_epoch)
        if total > MAX_STEPS:
            check_epochs_fit(epochs, per_epoch)
    else:
        total = _epochs_fit(epochs, per_epoch)
    keep = record_deltas or deltas is not None
    return _run(config, data, changes, total, epochs, keep, progress, outputs, delta_stats, steps=steps)[0]


def replay(scenario: Scenario, *, epochs: int | None = None, dataset: Dataset | None = None,
           history: Any = None, save_weights: Any = None, deltas: Any = None, record_deltas: bool = False,
           delta_stats: bool = False, progress: Callable[[int, int, np.ndarray], None] | None = None
           ) -> list[TrainResult]:
    """Train every run of ``scenario`` side by side, its changes at their steps: a list of
    :class:`TrainResult`, the main run first.

    The runs stop at the scenario's ``steps`` (where it was saved), else at ``epochs`` (the
    argument, else the scenario's epoch limit, else 100). ``dataset``: the scenario's data already
    loaded. ``history``, ``save_weights`` and ``deltas`` write the main run's files, as with
    :func:`train`; ``record_deltas`` keeps every run's deltas in the results, ``delta_stats``
    their per-epoch delta statistics.
    """
    config = scenario.config
    outputs = dict(history=history, deltas=deltas, save_weights=save_weights)
    _check_outputs(config, outputs)
    data = dataset if dataset is not None else load_data(config)
    per_epoch = steps_per_epoch(config.batch_size, data.n_train)
    if epochs is not None:
        epochs = check_count(epochs, "epochs=")
        total = _epochs_fit(epochs, per_epoch)
    elif scenario.steps is not None:
        total = scenario.steps
        epochs = -(-total // per_epoch)
    else:
        epochs = scenario.epochs or 100
        total = _epochs_fit(epochs, per_epoch)
    keep = record_deltas or deltas is not None
    return _run(config, data, scenario.changes, total, epochs, keep, progress, outputs, delta_stats)


def _check_outputs(config: RunConfig, outputs: dict[str, Any]) -> None:
    """Before any work: the files to write can be written, and none is an input of the run."""
    check_outputs({f"{name}=": path for name, path in outputs.items()}, config.input_paths())


def _epochs_fit(epochs: int, per_epoch: int) -> int:
    """The updates of ``epochs`` epochs of ``per_epoch`` updates (refused beyond MAX_STEPS)."""
    check_epochs_fit(epochs, per_epoch)
    return epochs * per_epoch


def _run(config: RunConfig, data: Dataset, changes: Sequence[Any], total: int, epochs: int, keep: bool,
         progress: Any, outputs: dict[str, Any], delta_stats: bool, **options: Any) -> list[TrainResult]:
    """Train ``config``'s runs through a Session to step ``total``, every step's deltas kept if
    ``keep`` (and the per-epoch delta statistics if ``delta_stats``), and write the main run's
    ``outputs``, all or none; the results, the main run first."""
    session = Session(config, dataset=data, changes=changes, stop_at=total, deltas="all" if keep else None,
                      delta_stats=delta_stats)
    run_session(session, progress, epochs)
    results = session.results(epochs=epochs, **options)
    with Outputs() as out:
        stage_outputs(out, results[0], **outputs)
    return results


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

"""Momentum Lab: watch online back-propagation train while you turn the learning rate and momentum.

The Python API::

    import momentum_lab as ml
    result = ml.train("iris", lr=0.01, momentum=0.5, epochs=200)
    result.history["train_loss"]

    config = ml.RunConfig("iris", lr=0.01, momentum=0.5)      # the same run, as one value
    session = ml.Session(config)                             # runs side by side, changes at steps
    session.advance(1200); session.results()

    ml.train(**ml.preset("article", momentum=0.0))            # the article's own run

See :func:`train` and the README.
"""

from __future__ import annotations

from . import _startup  # first: the command's Ctrl-C and TERM while the imports below run

from .engine import (
    DATASET_NAMES,
    RULES,
    Change,
    Dataset,
    Divergence,
    History,
    InputError,
    LaneSettings,
    Trainer,
    SweepResult,
    TrainResult,
    RunConfig,
    Scenario,
    Session,
    load_dataset,
    load_scenario,
    preset,
    replay,
    scenario_script,
    sweep,
    train,
)

__version__ = "0.1.0"

__all__ = [
    "DATASET_NAMES",
    "RULES",
    "Change",
    "Dataset",
    "SweepResult",
    "Divergence",
    "History",
    "InputError",
    "LaneSettings",
    "RunConfig",
    "Scenario",
    "Session",
    "TrainResult",
    "Trainer",
    "__version__",
    "load_dataset",
    "load_scenario",
    "preset",
    "replay",
    "scenario_script",
    "sweep",
    "train",
]

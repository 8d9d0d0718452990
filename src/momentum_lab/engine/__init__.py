"""The training engine: network, losses, update rules, training loop and data sets.

Nothing here imports Qt (a test checks it): the engine serves the command
line, the Python API, the GUI worker and sweeps alike.
"""

from __future__ import annotations

from ._analysis import delta_diagnostics, gradient_steps, largest_curvature, stability_bound
from ._api import replay, train
from ._config import INITS, MAX_RUNS, RUN_NAMES, LaneSettings, RunConfig
from ._datasets import DATASET_NAMES, GENERATED, Dataset, load_dataset, read_csv
from ._errors import InputError
from ._io import DELTA_NAMES, HISTORY_COLUMNS, load_weights, save_deltas, save_weights, write_history_csv
from ._network import ACTIVATIONS, LOSSES, PARAM_NAMES, Layout
from ._rules import RULE_SHORT, RULE_TITLES, RULES, update
from ._results import History, TrainResult
from ._scenario import Scenario, load_scenario
from ._script import scenario_script
from ._session import Change, Session
from ._sweep import SWEEP_COLUMNS, SweepResult, sweep
from ._trainer import DEFAULT_WEIGHT_LIMIT, Divergence, StepReport, Trainer

__all__ = [
    "ACTIVATIONS",
    "Change",
    "MAX_RUNS",
    "RUN_NAMES",
    "DATASET_NAMES",
    "DEFAULT_WEIGHT_LIMIT",
    "DELTA_NAMES",
    "GENERATED",
    "HISTORY_COLUMNS",
    "INITS",
    "LOSSES",
    "PARAM_NAMES",
    "RULES",
    "RULE_SHORT",
    "RULE_TITLES",
    "Dataset",
    "Divergence",
    "History",
    "InputError",
    "LaneSettings",
    "Layout",
    "RunConfig",
    "Scenario",
    "Session",
    "SWEEP_COLUMNS",
    "StepReport",
    "SweepResult",
    "TrainResult",
    "Trainer",
    "delta_diagnostics",
    "gradient_steps",
    "largest_curvature",
    "load_dataset",
    "load_scenario",
    "replay",
    "load_weights",
    "read_csv",
    "save_deltas",
    "save_weights",
    "scenario_script",
    "stability_bound",
    "sweep",
    "train",
    "update",
    "write_history_csv",
]

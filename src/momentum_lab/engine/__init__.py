"""The training engine: network, losses, update rules, training loop and data sets.

Nothing here imports Qt (a test checks it): the engine serves the command
line, the Python API, the GUI worker and sweeps alike.
"""

from __future__ import annotations

from ._analysis import (CAUTION, StabilityLatch, batch_sharpness, delta_diagnostics, gradient_steps, largest_curvature,
                        loss_trend, loss_trends, online_bound, quadratic_applies, stability_bound, stability_level,
                        stability_value, step_gain)
from ._api import replay, train
from ._config import INITS, MAX_RUNS, ORDERS, PRESETS, RUN_NAMES, LaneSettings, RunConfig, preset
from ._datasets import DATASET_NAMES, GENERATED, SHIPPED, Dataset, load_dataset, read_csv
from ._errors import InputError
from ._io import DELTA_NAMES, HISTORY_COLUMNS, load_weights, save_deltas, save_weights, write_history_csv
from ._network import ACTIVATIONS, GRADIENT_LOSSES, LOSSES, PARAM_NAMES, Layout
from ._rules import RULE_SHORT, RULE_TITLES, RULES, update
from ._results import DeltaStats, History, TrainResult
from ._scenario import Scenario, load_scenario
from ._script import scenario_script
from ._session import Change, Session
from ._sweep import SWEEP_COLUMNS, SweepResult, sweep
from ._trainer import DEFAULT_WEIGHT_LIMIT, Divergence, StepReport, Trainer

# For the command line and the window (momentum_lab.cli and momentum_lab._qt import these, never
# the engine's private modules: a contract in pyproject.toml checks it).
from ._api import stage_outputs
from ._atomic import Outputs, check_outputs, check_writable_target, signals_held, staged
from ._config import input_paths, load_data, option_type, options_of
from ._errors import LoadCancelled
from ._files import open_input
from ._flags import flag_spelling
from ._io import save_arrays
from ._lessons import LESSONS_ENV, Lesson, LessonProblem, find_lesson, load_lessons
from ._monitor import DeltaRing, DeltaStatsLog, HistoryLog
from ._network import activation_code, forward_batch, loss_code
from ._options import (FULL_BATCH, RANGES, batch_items, check_in_range, check_learning_rate, check_momentum,
                       steps_per_epoch)
from ._scenario import load_scenario_and_data, scenario_and_data
from ._session import SETTINGS, ChunkSizer, Lane, check_epochs_fit

__all__ = [
    "ACTIVATIONS",
    "Change",
    "MAX_RUNS",
    "RUN_NAMES",
    "DATASET_NAMES",
    "DEFAULT_WEIGHT_LIMIT",
    "DELTA_NAMES",
    "GENERATED",
    "GRADIENT_LOSSES",
    "HISTORY_COLUMNS",
    "INITS",
    "LOSSES",
    "ORDERS",
    "PRESETS",
    "PARAM_NAMES",
    "RULES",
    "RULE_SHORT",
    "RULE_TITLES",
    "SHIPPED",
    "Dataset",
    "DeltaStats",
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
    "CAUTION",
    "StabilityLatch",
    "batch_sharpness",
    "delta_diagnostics",
    "gradient_steps",
    "largest_curvature",
    "load_data",
    "loss_trend",
    "loss_trends",
    "load_dataset",
    "load_scenario",
    "replay",
    "load_weights",
    "online_bound",
    "preset",
    "quadratic_applies",
    "read_csv",
    "save_deltas",
    "save_weights",
    "scenario_script",
    "stability_bound",
    "stability_level",
    "stability_value",
    "step_gain",
    "steps_per_epoch",
    "sweep",
    "train",
    "update",
    "write_history_csv",
    # for the command line and the window
    "FULL_BATCH",
    "LESSONS_ENV",
    "RANGES",
    "SETTINGS",
    "ChunkSizer",
    "DeltaRing",
    "DeltaStatsLog",
    "HistoryLog",
    "Lane",
    "Lesson",
    "LessonProblem",
    "LoadCancelled",
    "Outputs",
    "activation_code",
    "batch_items",
    "check_epochs_fit",
    "check_in_range",
    "check_learning_rate",
    "check_momentum",
    "check_outputs",
    "check_writable_target",
    "find_lesson",
    "flag_spelling",
    "forward_batch",
    "input_paths",
    "load_lessons",
    "load_scenario_and_data",
    "loss_code",
    "open_input",
    "option_type",
    "options_of",
    "save_arrays",
    "scenario_and_data",
    "signals_held",
    "stage_outputs",
    "staged",
]

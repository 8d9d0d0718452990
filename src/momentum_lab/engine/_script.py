"""A scenario as a Python script: the same runs, written with the public API only.

:func:`scenario_script` gives the text of a self-contained script (``import momentum_lab as
ml``) that trains a scenario's runs, its live changes at their steps, and prints a summary of
each: a run saved from the window or the command line, to read, change and rerun in a notebook.
``python script.py HISTORY.csv`` writes run A's history, the very file ``momentum-lab train
--scenario FILE --history HISTORY.csv`` writes.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import fields
from typing import Any

from ._config import RUN_NAMES, RunConfig
from ._datasets import DATASET_NAMES, Dataset
from ._errors import InputError
from ._scenario import Scenario

__all__ = ["scenario_script"]


def _literal(value: Any) -> str:
    """``value`` as Python source that evaluates to it exactly: floats by repr (so they round-trip),
    infinities as ``float("inf")``, strings escaped (a path cannot break out of its quotes)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isinf(value):
            return f'float("{"-" if value < 0 else ""}inf")'
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        if "'" not in value and '"' not in value:
            text = f'"{text[1:-1]}"'  # double quotes, the usual style
        return text
    raise TypeError(f"no literal for {value!r}")


def _in_docstring(text: str) -> str:
    """``text`` quoted, to stand inside a docstring: escaped, so that no quote or backslash ends it."""
    return repr(text).replace('"', '\\"')


def _path(value: Any) -> str:
    """A data or weights file's path, absolute (the script may run from any folder)."""
    return os.path.abspath(os.fspath(value))


def scenario_script(scenario: Scenario, source: str | None = None) -> str:
    """The text of a Python script that trains ``scenario``'s runs, using the public API only.

    The script lists the options that differ from the defaults (data and weights files by
    absolute path), the runs compared, the live changes, and where the runs stop; it replays
    them with :func:`~momentum_lab.replay` and prints each run's final train loss and accuracy
    (and divergence). Given a path as its argument, it writes run A's history there (CSV).
    ``source``: the scenario file it came from, named in the script's docstring.

    Raises
    ------
    InputError
        The scenario's data or initial weights are arrays (not a set's name or a file): a
        script can only name them.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario_script: expected a Scenario, got {type(scenario).__name__}")
    c = scenario.config
    if isinstance(c.dataset, (tuple, Dataset)) or isinstance(c.init_weights, dict):
        raise InputError("a script can name its data and initial weights only by name or file: "
                         "arrays given directly cannot be written into it")
    runs = len(c.lanes)
    lines = [*_docstring(scenario, source, runs), "", "import sys", "", "import momentum_lab as ml", ""]

    # The run's options: only those that differ from RunConfig's defaults.
    lines += ["# The run: the options that differ from the defaults (help(ml.RunConfig) lists them all).",
              "config = ml.RunConfig("]
    defaults = RunConfig()
    for f in fields(RunConfig):
        if f.name == "compare":
            continue
        value = getattr(c, f.name)
        if value == getattr(defaults, f.name) and type(value) is type(getattr(defaults, f.name)):
            continue
        if f.name in ("dataset", "test_data") and value is not None and not (isinstance(value, str)
                                                                           and value in DATASET_NAMES):
            value = _path(value)
        elif f.name == "init_weights" and value is not None:
            value = _path(value)
        lines.append(f"    {f.name}={_literal(value)},")
    if c.compare:
        lines.append("    # Runs trained beside run A: the same data, network and seed (so the same initial")
        lines.append("    # weights and item order), each with its own rule, learning rate and momentum.")
        lines.append("    compare=(")
        for i, lane in enumerate(c.compare, start=1):
            lines.append(f"        ml.LaneSettings({_literal(lane.rule)}, lr={_literal(lane.lr)}, "
                         f"momentum={_literal(lane.momentum)}),  # run {RUN_NAMES[i]}")
        lines.append("    ),")
    lines += [")", ""]

    # The live changes, each at its step.
    lines.append("# Live setting changes: ml.Change(step, setting, value, lane) sets the run's setting to value")
    lines.append("# from the update after `step` updates (lane 0 is run A, 1 run B, ...).")
    if scenario.changes:
        lines.append("changes = [")
        for ch in scenario.changes:
            lines.append(f"    ml.Change({ch.step}, {_literal(ch.setting)}, {_literal(ch.value)}, {ch.lane}),"
                         f"  # run {ch.run}: {ch.setting} {ch.value:g} after {ch.step:,} updates")
        lines.append("]")
    else:
        lines.append("changes = []  # none in this scenario")
    lines.append("")

    # How far the runs go, then the replay and the summary.
    if scenario.steps is not None:
        lines.append(f"# Train every run side by side to step {scenario.steps:,}, where the scenario was saved.")
    else:
        epochs = scenario.epochs or 100
        lines.append(f"# Train every run side by side for {epochs:,} epochs (an epoch: one pass over the "
                     "training items).")
    lines += [
        f"scenario = ml.Scenario(config, tuple(changes), steps={_literal(scenario.steps)}, "
        f"epochs={_literal(scenario.epochs)})",
        "# With a path as the argument (python this_script.py history.csv), run A's history is written there.",
        "results = ml.replay(scenario, history=sys.argv[1] if len(sys.argv) > 1 else None)",
        "",
        "# One line per run: where it ended. result.history holds every epoch (result.history[\"train_loss\"]).",
        f"for name, result in zip(\"{RUN_NAMES}\", results):",
        "    final = result.history.rows[-1]  # epoch, train loss, train accuracy, test loss, test accuracy, ...",
        "    print(f\"Run {name}: {result.steps:,} updates, train loss {final[1]:.4g}, \"",
        "          f\"train accuracy {final[2]:.1%}\")",
        "    if result.diverged:",
        "        print(f\"  it {result.divergence}\")",
        "",
    ]
    return "\n".join(lines)


def _docstring(scenario: Scenario, source: str | None, runs: int) -> list[str]:
    origin = (f"the scenario file {_in_docstring(os.fspath(source))}" if source is not None
              else "a Momentum Lab scenario")
    what = f"{runs} runs side by side" if runs > 1 else "one run"
    changes = len(scenario.changes)
    command = (f"momentum-lab train --scenario {_in_docstring(os.fspath(source))}" if source is not None
               else "momentum-lab train --scenario FILE")
    return [
        '"""Momentum Lab: a network trained online, as a script.',
        "",
        f"Made from {origin}: {what}, {changes} live setting change{'' if changes == 1 else 's'}.",
        f"It trains what `{command}` trains, bit for bit, with",
        "the public API only (import momentum_lab as ml): change a value below and run it again.",
        "",
        "Run it:",
        "",
        "    python this_script.py               # train and print a summary of each run",
        "    python this_script.py HISTORY.csv   # and write run A's per-epoch history there (CSV)",
        '"""',
    ]

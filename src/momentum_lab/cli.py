"""The ``momentum-lab`` command.

``momentum-lab train [options]`` trains headlessly; ``momentum-lab`` alone
runs a short demonstration on the shipped Iris data, printing progress and
writing its error curves to a PNG.

Exit status: 0 done, 2 bad input, 3 the run diverged, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import NoReturn, TextIO

import numpy as np

from .engine import (
    GENERATED,
    PRESETS,
    RULES,
    RUN_NAMES,
    SWEEP_COLUMNS,
    RANGES,
    InputError,
    LaneSettings,
    Outputs,
    RunConfig,
    TrainResult,
    check_in_range,
    check_learning_rate,
    check_momentum,
    flag_spelling,
    option_type,
    options_of,
    preset,
    signals_held,
    steps_per_epoch,
    train,
)
from . import _startup

__all__ = ["main"]

EXIT_OK, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 2, 3, 130
DEMO_PNG = "momentum-lab-curves.png"


class _UsageError(Exception):
    """A command-line usage error, reported by :func:`main` as one line with status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit status 2, from :func:`main`), and an
    option is spelled out whole (no abbreviations: ``--mom`` is not ``--momentum``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("momentum-lab").strip()
        # One line, escaped as an InputError's message is: an argument may hold a newline or an
        # escape sequence.
        raise _UsageError(str(InputError(f"momentum-lab: error: {command + ': ' if command else ''}{message}")))

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse's, but unrecognized arguments are reported by the command that was parsed,
        with the nearest of its options for each mistyped one."""
        argv = list(sys.argv[1:] if args is None else args)
        ns, extras = self.parse_known_args(argv, namespace)
        # The options given (not only those whose value differs from the default).
        ns.given = {token.split("=", 1)[0] for token in argv if token.startswith("--")}
        if extras:
            parser = self
            commands = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
            if commands is not None and getattr(ns, commands.dest, None) in commands.choices:
                parser = commands.choices[getattr(ns, commands.dest)]
            flags = [flag for action in parser._actions for flag in action.option_strings]
            hints = []
            for token in extras:
                name = token.split("=", 1)[0]
                if name.startswith("-") and not self._negative_number_matcher.match(name):
                    close = difflib.get_close_matches(name, flags, n=1)
                    if close and close[0] != name:
                        hints.append(f"{name}: did you mean {close[0]}?")
            parser.error(f"unrecognized arguments: {' '.join(extras)}"
                         + (f" ({'; '.join(hints)})" if hints else ""))
        return ns

    def _check_value(self, action, value) -> None:
        """As argparse's, but an invalid choice names the nearest valid one."""
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            choices = list(action.choices) if action.choices is not None else []
            close = (difflib.get_close_matches(value, choices, n=1)
                     if isinstance(value, str) and all(isinstance(c, str) for c in choices) else [])
            if not close:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}; did you mean {close[0]}?") from None


def _default_text(name: str, option) -> str:
    """The default as the help says it: the Option's text, else the field's default."""
    if option.default_text is not None:
        return option.default_text
    default = RunConfig.__dataclass_fields__[name].default
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"{default:g}" if isinstance(default, float) else str(default)


def _add_run_option(group: argparse._ArgumentGroup, name: str, option) -> None:
    """RunConfig field ``name`` as a flag: its help, metavar, choices and default from the field."""
    kind = option_type(name)
    text = f"{option.help} (default {_default_text(name, option)})".replace("%", "%%")  # (argparse formats it)
    more: dict = {"help": text,
                  "default": RunConfig.__dataclass_fields__[name].default}
    if kind is bool:
        more["action"] = argparse.BooleanOptionalAction
    else:
        if name in RANGES and RANGES[name].named:
            more["type"] = _number_or_name(kind, RANGES[name].named)
        elif kind is not str:
            more["type"] = kind
        if option.metavar is not None:
            more["metavar"] = option.metavar
        if option.choices is not None:
            more["choices"] = option.choices
    group.add_argument(_flag(name), **more)


def _number_or_name(kind: type, named: tuple[str, ...]):
    """An option's value type that also takes the range's names (``--batch-size full``): a name as it
    is, a number as ``kind``, anything else as the text, for RunConfig's check to refuse by name."""
    def convert(text: str):
        if text in named:
            return text
        try:
            return kind(text)
        except ValueError:
            return text

    convert.__name__ = kind.__name__  # (argparse names the type in its messages)
    return convert


def _add_train_options(p: argparse.ArgumentParser, gui: bool = False, sweep: bool = False) -> None:
    """The training options, generated from RunConfig's fields (each group in the fields' order,
    the training group's rule, lr and momentum first: what a compared run sets), then the
    command's own options."""
    groups = {name: p.add_argument_group(name) for name in ("data", "network", "training")}
    lane_settings = [f.name for f in dataclasses.fields(LaneSettings)]  # rule, lr, momentum
    options = options_of()
    names = list(options)
    order = sorted(names, key=lambda n: (list(groups).index(options[n].group), n not in lane_settings,
                                         names.index(n)))
    for name in order:
        option = options[name]
        tr = groups[option.group]
        if sweep and name in ("lr", "momentum"):
            if name == "lr":
                tr.add_argument("--lr", default="0.001:1:10", metavar="MIN:MAX:N",
                                help="learning rates: N log-spaced from MIN to MAX (default 0.001:1:10)")
            else:
                tr.add_argument("--momentum", default="0:0.9:10", metavar="MIN:MAX:N",
                                help="momentum factors: N evenly spaced from MIN to MAX (default 0:0.9:10)")
                tr.add_argument("--target-loss", type=float, default=None, metavar="X",
                                help="report the first epoch whose train loss is at most X")
        else:
            _add_run_option(tr, name, option)
        if name == lane_settings[-1]:  # after the settings: how long
            if gui:
                tr.add_argument("--epochs", type=int, default=None, metavar="N",
                                help="stop after N epochs (default 100, as train; with --lesson or --scenario: "
                                     "its own limit; the window's Stop at epoch changes it)")
            elif sweep:
                tr.add_argument("--epochs", type=int, default=100, metavar="N", help="epochs (default 100)")
            else:
                tr.add_argument("--epochs", type=int, default=None, metavar="N",
                                help="epochs (default 100; with --scenario: where the scenario was saved)")
    tr = groups["training"]
    if not sweep:
        tr.add_argument("--preset", default=None, choices=tuple(PRESETS), metavar="NAME",
                        help="start from a named run's options (any option given beside it wins; a --dataset beside "
                             "it is split as any, its test file going with its own data): article, the "
                             "article's own program (4-5-3 tanh, --loss article, lr 0.05, momentum 0.75, 50 "
                             "epochs, seed 3, raw inputs, its own train/test files, --init article, --order "
                             "article, the look-back rule)")

    if gui:
        return
    if sweep:
        out = p.add_argument_group("output")
        out.add_argument("--out", required=True, metavar="CSV", help="write the table here (required)")
        out.add_argument("--png", default=None, metavar="PNG", help="write a heatmap of the final train loss")
        out.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
        return
    tr.add_argument("--scenario", default=None, metavar="JSON",
                    help="replay a saved scenario (its options, its runs and its live changes at their steps) "
                         "instead of giving training options")
    out = p.add_argument_group("output")
    out.add_argument("--save-weights", default=None, metavar="PATH", help="write the final weights (.npz)")
    out.add_argument("--history", default=None, metavar="PATH", help="write the per-epoch history (CSV)")
    out.add_argument("--deltas", default=None, metavar="PATH",
                     help="write every step's deltas (.npz: ih_deltas, h_bias_deltas, ho_deltas, o_bias_deltas)")
    out.add_argument("--plot", default=None, metavar="PNG|SVG", help="write the error curves as a PNG (or SVG)")
    out.add_argument("--script", default=None, metavar="PY",
                     help="with --scenario: also write a Python script (.py) that trains the same runs with "
                          "the Python API (python PY HISTORY.csv writes run A's history)")
    out.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="momentum-lab",
                     description="Watch online back-propagation train while you turn the learning rate "
                                 "and momentum. Without a command: a short demonstration run on Iris.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"momentum-lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p_train = sub.add_parser("train", help="train headlessly and report",
                             description="Train a network online (one item at a time; or in batches: "
                                         "--batch-size) and report. "
                                         "Exit status: 0 done, 2 bad input, 3 diverged.")
    _add_train_options(p_train)
    p_gui = sub.add_parser("gui", help="open the window (what the bare command does where there is a display)",
                           description="Open Momentum Lab's window. With --screenshot: train --epochs live, "
                                       "save a PNG of the whole window, and exit (works without a display).")
    _add_train_options(p_gui, gui=True)
    view = p_gui.add_argument_group("window")
    view.add_argument("--screenshot", default=None, metavar="PNG",
                      help="train --epochs epochs, save a PNG of the window there, and exit")
    view.add_argument("--size", default=None, metavar="WxH",
                      help="window size (default 1600x1000, or the screen's free area where that is smaller)")
    view.add_argument("--no-controls", action="store_true",
                      help="hide the control panel (F2 shows it): more room for the plots")
    view.add_argument("--lesson", default=None, metavar="NAME",
                      help="open a lesson (its name or number; 'momentum-lab lessons' lists them)")
    view.add_argument("--scenario", default=None, metavar="JSON", help="open a saved scenario (it replays)")
    view.add_argument("--lecture", action="store_true",
                      help="lecture mode: large text, thick lines, only the controls a lecture needs (F5)")
    view.add_argument("--export", default=None, metavar="DIR",
                      help="with --screenshot's run: also write every plot (PNG, and SVG where the Qt stack "
                           "can), the history (CSV), the weights and the latest deltas (.npz) into DIR")
    view.add_argument("--speed", type=float, default=None, metavar="ITEMS",
                      help="items trained a second (default: flat out); 2 is slow motion for a class")
    view.add_argument("--compare", action="append", default=[], dest="compare_runs",
                      metavar="RULE[:LR[:MOMENTUM]]",
                      help="train another run beside the main one, from the same initial weights and item "
                           "order, with this rule (and learning rate and momentum; default the main run's). "
                           "Up to three times, e.g. --compare classical --compare nesterov:0.005")
    p_sweep = sub.add_parser("sweep", help="train a grid of learning rate x momentum from the same start",
                             description="Train every (learning rate, momentum) of a grid from the same initial "
                                         "weights and item order, on every core, and write a table "
                                         f"({', '.join(SWEEP_COLUMNS)}).")
    _add_train_options(p_sweep, sweep=True)
    sub.add_parser("lessons", help="list the lessons (gui --lesson NAME opens one)",
                   description="List the lessons: the shipped ones and those in the folder named by "
                               "$MOMENTUM_LAB_LESSONS. A lesson file that cannot be read is named, with "
                               "why, and the exit status is 2.")
    p_demo = sub.add_parser("demo", help="the headless demonstration (what the bare command runs "
                                         "without a display)")
    p_demo.add_argument("--plot", default=DEMO_PNG, metavar="PNG", help=f"where to write the curves "
                                                                        f"(default {DEMO_PNG})")
    p_demo.add_argument("--epochs", type=int, default=300, metavar="N", help="epochs (default 300)")
    return parser


class _Progress:
    """A progress bar on a terminal; otherwise a line now and then."""

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self.last_line = -math.inf
        self.open_line = False

    def describe(self, epoch: int, epochs: int, row) -> str:
        return (f"epoch {epoch:>{len(str(epochs))}}/{epochs}  train loss {row[1]:.4g}  "
                f"train acc {row[2]:.1%}" + (f"  test acc {row[4]:.1%}" if not math.isnan(row[4]) else ""))

    def __call__(self, epoch: int, epochs: int, row=None) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        text = self.describe(epoch, epochs, row)
        if self.tty:
            width = 24
            filled = round(width * epoch / epochs)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text} ")
            self.open_line = True
            self.stream.flush()
        elif now - self.last_line >= 1.0 or epoch >= epochs:
            self.last_line = now
            print(text, file=self.stream, flush=True)

    def end_line(self) -> None:
        """End an unfinished bar's line, so that what follows starts on a line of its own."""
        if self.tty and not self.quiet and self.open_line:
            self.stream.write("\n")
            self.stream.flush()
        self.open_line = False


def _summary(result: TrainResult) -> str:
    h = result.history
    last = h.rows[-1]
    epochs = int(last[0])
    parts = [f"{_count(epochs, ('completed ' if result.diverged else '') + 'epoch')}, "
             f"{_count(result.steps, 'update')} in {result.seconds:.2f} s "
             f"({result.updates_per_second / 1e6:.2f}M updates/s)."]
    label = "Initial weights" if epochs == 0 else "Last completed epoch" if result.diverged else "Final"
    parts.append(f"{label}: train loss {last[1]:.4g}, accuracy {last[2]:.1%}")
    if not math.isnan(last[3]):
        parts[-1] += f"; test loss {last[3]:.4g}, accuracy {last[4]:.1%}"
    parts[-1] += "."
    if result.compile_seconds > 1.0:
        parts.append(f"(First run for a {result.dataset.n_inputs}-{result.weights['h_biases'].size}-"
                     f"{result.dataset.n_classes} network here: {result.compile_seconds:.1f} s went to "
                     f"compiling the training kernel; later runs load it from the cache.)")
    return " ".join(parts)


def _count(n: int, noun: str) -> str:
    """``1 update``, ``2,000 updates``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _check_suffix(path: str, option: str, suffixes: tuple[str, ...]) -> None:
    """Before any work: ``path`` ends in one of ``suffixes`` (the format written is chosen by it)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        raise InputError(f"{option}: '{path}': the picture is written as {' or '.join(suffixes)}, not "
                         f"{suffix or 'no suffix'!r}")


def _import_qt() -> None:
    """Import the Qt stack (PySide6, pyqtgraph and the window's modules) with Ctrl-C and TERM held
    back until it is done: an interrupt that lands inside PySide6's import aborts the process
    (measured: "libshiboken/signature: could not initialize", SIGSEGV). Called before any work, by
    every command that will use Qt."""
    with signals_held():
        from ._qt import export, gui, report  # noqa: F401


def _check_plot_target(path: str) -> None:
    """Before training: --plot names a .png or .svg file (and SVG can be made)."""
    _check_suffix(path, "--plot", (".png", ".svg"))
    _import_qt()
    if path.lower().endswith(".svg"):
        from ._qt.export import svg_supported

        if not svg_supported():
            raise InputError(f"--plot: '{path}': SVG needs PySide6 6.10 (pyqtgraph 0.14 cannot write SVG with "
                             "later versions); write a .png")


def _write_files(outputs, result: TrainResult, args: argparse.Namespace, plot_title: str,
                 script: str | None = None) -> None:
    """Write every file asked for through ``outputs`` (an Outputs), all or none; ``script``: the
    text of --script's file."""
    from .engine import stage_outputs, staged

    with outputs:
        stage_outputs(outputs, result, history=args.history, deltas=args.deltas, save_weights=args.save_weights)
        if script is not None:
            with staged(args.script, "w", outputs, "--script") as handle:
                handle.write(script)
        if args.plot is not None:
            from ._qt.report import write_curves_png  # Qt only when a picture is wanted

            # Qt swallows an exception raised in the Python code it calls back while it draws:
            # an interrupt is held until the picture is made, then it stops the writing.
            with signals_held():
                write_curves_png(args.plot, result.history, title=plot_title, divergence=result.divergence,
                                 outputs=outputs, option="--plot")


_OUTPUT_FILES = (("history", "history"), ("weights", "save_weights"), ("deltas", "deltas"),
                 ("error curves", "plot"))


def _wrote(args: argparse.Namespace, result: TrainResult, out: TextIO, of: str = "") -> None:
    """Say which files were written."""
    for what, key in _OUTPUT_FILES:
        path = getattr(args, key)
        if path is not None and not (key == "save_weights" and result.diverged):
            print(f"Wrote the {what}{of} to {path}", file=out)


def _check_outputs(args: argparse.Namespace, **inputs) -> None:
    """Before any work: the output files can be written, are distinct, and are none of the inputs."""
    from .engine import check_outputs

    check_outputs({"--save-weights": args.save_weights, "--history": args.history, "--deltas": args.deltas,
                   "--plot": args.plot, "--script": args.script}, inputs)
    if args.script is not None:
        suffix = os.path.splitext(args.script)[1]
        if suffix != ".py":
            raise InputError(f"--script: '{args.script}': a Python script is written as .py, not "
                             f"{suffix or 'no suffix'!r}")
    if args.plot is not None:
        _check_plot_target(args.plot)


def _interrupted(progress: "_Progress", err: TextIO, outputs) -> int:
    progress.end_line()
    if outputs.committed:  # the interrupt was held back until every file was in place
        print("momentum-lab: interrupted, after every file was written whole", file=err)
    else:
        print("momentum-lab: interrupted; no file was written or changed", file=err)
    return EXIT_INTERRUPTED


def _after_notes(notes: list[str], err: TextIO, progress):
    """``progress``, saying the notes on ignored options first, once the run has passed its checks
    (a note followed by an error would be two lines for one mistake)."""
    def first(*args):
        while notes:
            print(f"momentum-lab: note: {notes.pop(0)}", file=err)
        progress(*args)

    return first


def _ignored_options(args: argparse.Namespace) -> list[str]:
    """Options given (typed, whatever their value) that the run will not use: said, not refused;
    their values are checked all the same, so that a wrong value is never accepted silently."""
    given = args.given
    for name in ("samples", "noise", "classes", "init_scale"):
        if _flag(name) in given:
            check_in_range(name, getattr(args, name), _flag(name))
    notes = []
    generated = args.dataset in GENERATED
    for option in ("--samples", "--noise"):
        if option in given and not generated:
            notes.append(f"{option} applies to the generated data sets only; ignored for '{args.dataset}'")
    if "--classes" in given and args.dataset != "blobs":
        notes.append(f"--classes applies to 'blobs' only; ignored for '{args.dataset}'")
    if "--init-scale" in given and (args.init == "glorot" or args.init_weights is not None):
        notes.append("--init-scale applies to --init uniform and article only; ignored")
    if "--test-fraction" in given and args.test_data is not None:
        given_by_preset = args.preset is not None and "--test-data" not in given
        source = f"--preset {args.preset}'s own test file" if given_by_preset else "--test-data"
        notes.append(f"--test-fraction is not used with {source} (the whole data set trains)")
    return notes


def _flag(name: str) -> str:
    """A RunConfig field's flag: ``test_fraction`` is ``--test-fraction``."""
    return "--" + name.replace("_", "-")


def _config(args: argparse.Namespace, **fields) -> RunConfig:
    """The RunConfig of the options parsed (their defaults are RunConfig's), with ``fields`` set."""
    return RunConfig(**{name: getattr(args, name) for name in options_of() if name not in fields}, **fields)


def _apply_preset(args: argparse.Namespace) -> None:
    """The options of ``--preset`` set where the command line did not give them (its test file
    only beside its own data set: see :func:`~momentum_lab.engine.preset`)."""
    if args.preset is None:
        return
    given = {name: getattr(args, name) for name in PRESETS[args.preset]
             if {_flag(name), "--no-" + name.replace("_", "-")} & args.given}  # (a switch: either spelling)
    for name, value in preset(args.preset, **given).items():
        setattr(args, name, value)


def _run_train(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .engine import input_paths

    if args.scenario is not None:
        return _run_scenario(args, out, err)
    if args.script is not None:
        raise InputError("--script: goes with --scenario (it writes a scenario's runs as a Python script)")
    _apply_preset(args)
    if args.epochs is None:
        args.epochs = 100
    _check_outputs(args, **input_paths(args.dataset, args.init_weights, args.test_data))
    notes = _ignored_options(args)
    config = _config(args)
    progress = _Progress(err, args.quiet)
    outputs = Outputs()
    try:
        result = train(config, epochs=args.epochs, record_deltas=args.deltas is not None,
                       progress=_after_notes(notes, err, progress))
        progress.end_line()
        print(_summary(result), file=out)
        _write_files(outputs, result, args, f"{result.dataset.name}: {args.rule} rule, lr {args.lr:g}, "
                                            f"momentum {args.momentum:g}")
    except KeyboardInterrupt:
        return _interrupted(progress, err, outputs)
    _wrote(args, result, out)
    if result.diverged:
        print(f"momentum-lab: {result.divergence}", file=err)
        if args.save_weights is not None:
            print("momentum-lab: the weights were not saved (the run diverged)", file=err)
        return EXIT_DIVERGED
    return EXIT_OK


# Options that say what to write or how to report: they go with --scenario; the rest come from the file.
_OUTPUT_OPTIONS = ("command", "scenario", "epochs", "save_weights", "history", "deltas", "plot", "script",
                   "quiet")


def _run_scenario(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``train --scenario FILE``: replay every run of a saved scenario, its changes at their steps."""
    from .engine import input_paths, load_scenario_and_data, replay

    given = _training_options_given(args, "train")
    if given:
        raise InputError(f"--scenario: the run's options come from the scenario file; leave out {given[0]}")
    if args.epochs is not None and args.epochs < 1:
        raise InputError(f"--epochs: must be at least 1, got {args.epochs}")
    scenario, data = load_scenario_and_data(args.scenario)  # its data read once, here
    c = scenario.config
    _check_outputs(args, **input_paths(c.dataset, c.init_weights, c.test_data, **{"--scenario": args.scenario}))
    script = None
    if args.script is not None:
        from dataclasses import replace

        from .engine import scenario_script

        # (--epochs replaces where the scenario stops: the script's runs stop there too)
        replayed = scenario if args.epochs is None else replace(scenario, steps=None, epochs=args.epochs)
        script = scenario_script(replayed, os.path.abspath(args.scenario))
    progress = _Progress(err, args.quiet)
    outputs = Outputs()
    try:
        try:
            results = replay(scenario, epochs=args.epochs, dataset=data, record_deltas=args.deltas is not None,
                             progress=progress)
        except InputError as exc:
            raise InputError(f"{args.scenario}: {exc}") from None
        progress.end_line()
        main = results[0]
        _write_files(outputs, main, args, f"{main.dataset.name}: scenario {args.scenario}, run A ({c.rule} rule)",
                     script)
    except KeyboardInterrupt:
        return _interrupted(progress, err, outputs)
    changes = len(scenario.changes)
    print(f"Replayed {args.scenario}: {_count(len(results), 'run')}, {_count(changes, 'live change')}.", file=out)
    for i, (lane, result) in enumerate(zip(c.lanes, results)):
        if len(results) > 1:
            print(f"Run {RUN_NAMES[i]} ({lane.rule}, lr {lane.lr:g}, momentum {lane.momentum:g} at the start):",
                  file=out)
        print(_summary(result), file=out)
        per_epoch = steps_per_epoch(result.options["batch_size"], result.dataset.n_train)
        if result.steps % per_epoch and not result.diverged:
            print(f"(It was saved mid-epoch, at step {result.steps:,}: the figures above are those of the "
                  "last completed epoch.)", file=out)
    _wrote(args, main, out, " of run A")
    if args.script is not None:
        print(f"Wrote the script to {args.script} (python {args.script} HISTORY.csv trains the same runs)", file=out)
    if main.diverged:
        print(f"momentum-lab: run A {main.divergence}", file=err)
        return EXIT_DIVERGED
    return EXIT_OK


def _run_lessons(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .engine import LESSONS_ENV, load_lessons

    lessons, problems = load_lessons()
    width = max((len(lesson.name) for lesson in lessons), default=0)
    for i, lesson in enumerate(lessons):
        print(f"{i + 1:>2}. {lesson.name:<{width}}  {lesson.title}", file=out)
    if lessons:
        print("Open one with: momentum-lab gui --lesson NAME (or its number). More lessons: put lesson "
              f"files in a folder and set {LESSONS_ENV} to it (see docs/lessons.md).", file=out)
    for problem in problems:
        print(f"momentum-lab: error: {problem.message}", file=err)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _run_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .engine import check_outputs, input_paths, sweep

    check_outputs({"--out": args.out, "--png": args.png},
                  input_paths(args.dataset, args.init_weights, args.test_data))
    if args.png is not None:
        _check_suffix(args.png, "--png", (".png",))
        _import_qt()
    notes = _ignored_options(args)
    config = _config(args, lr=RunConfig.lr, momentum=RunConfig.momentum)  # (the grid's, below)
    bar = _SweepProgress(err, args.quiet)
    outputs = Outputs()
    try:
        result = sweep(config, lr=args.lr, momentum=args.momentum, target_loss=args.target_loss,
                       epochs=args.epochs, progress=_after_notes(notes, err, bar))
        bar.end_line()
        with outputs:
            result.to_csv(args.out, outputs, "--out")
            if args.png is not None:
                from ._qt.report import write_sweep_png

                with signals_held():  # (as for --plot)
                    write_sweep_png(args.png, result, outputs=outputs, option="--png",
                                    title=f"{result.options['dataset']}: {result.rule} rule, {args.epochs} epochs")
    except KeyboardInterrupt:
        return _interrupted(bar, err, outputs)
    n = result.lrs.size * result.momenta.size
    diverged = int(np.isfinite(result.diverged_at_epoch).sum())
    print(f"{_count(n, 'configuration')} x {_count(args.epochs, 'epoch')}: {_count(result.updates, 'update')} in "
          f"{result.seconds:.2f} s ({result.updates_per_second / 1e6:.1f}M configuration-updates/s); "
          f"{diverged} diverged.", file=out)
    try:
        best = result.best()
        print(f"Lowest final train loss: {best['final_train_loss']:.4g} at lr {best['lr']:.4g}, "
              f"momentum {best['momentum']:.3g}.", file=out)
    except ValueError:
        print("Every configuration diverged.", file=out)
    print(f"Wrote the table to {args.out}", file=out)
    if args.png is not None:
        print(f"Wrote the heatmap to {args.png}", file=out)
    return EXIT_OK


class _SweepProgress(_Progress):
    """The same bar, for a sweep (every configuration is at the same epoch)."""

    def describe(self, epoch: int, epochs: int, row=None) -> str:  # noqa: ARG002
        return f"sweep: epoch {epoch}/{epochs}"


def _run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    print("Momentum Lab demonstration: a 4-7-3 network learns Iris online with the article's "
          "look-back momentum (lr 0.01, momentum 0.5).", file=out)
    ns = _parser().parse_args(["train", "--epochs", str(args.epochs), f"--plot={args.plot}"])
    return _run_train(ns, out, err)


def _parse_compare(text: str, lr: float, momentum: float):
    """``RULE[:LR[:MOMENTUM]]`` as LaneSettings, LR and MOMENTUM defaulting to the main run's."""
    from .engine import LaneSettings

    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or parts[0] not in RULES:
        raise InputError(f"--compare: expected RULE[:LR[:MOMENTUM]] with RULE one of {', '.join(RULES)} "
                         f"(e.g. classical:0.01:0.9), got {text!r}")
    try:
        values = [float(v) for v in parts[1:]]
    except ValueError:
        raise InputError(f"--compare: LR and MOMENTUM must be numbers, got {text!r}") from None
    values += [lr, momentum][len(values):]
    return LaneSettings(parts[0], check_learning_rate(values[0], "--compare"),
                        check_momentum(values[1], "--compare"))


def _run_gui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Check every option before the window opens; then open it."""
    _import_qt()
    from ._qt._app import has_display
    from .engine import Trainer, check_epochs_fit, check_outputs, input_paths, load_data

    if args.screenshot is None and not has_display():
        raise InputError("gui: there is no display here; add --screenshot FILE to save a picture of the "
                         "window, or run 'momentum-lab demo'")
    size = None
    if args.size is not None:
        try:
            size = tuple(int(v) for v in args.size.lower().split("x"))
            if len(size) != 2 or not (320 <= size[0] <= 10000 and 240 <= size[1] <= 10000):
                raise ValueError
        except ValueError:
            raise InputError(f"--size: expected WIDTHxHEIGHT between 320x240 and 10000x10000, got {args.size!r}") from None
    if args.speed is not None:
        check_in_range("speed", args.speed, "--speed")
    _apply_preset(args)
    epochs = args.epochs
    if epochs is None:
        epochs = 100  # as train (a lesson or a scenario: its own, below)
    elif epochs < 1:
        raise InputError(f"--epochs: must be at least 1, got {epochs}")
    if args.screenshot is not None:
        _check_suffix(args.screenshot, "--screenshot", (".png",))
    notes = _ignored_options(args)

    compare = tuple(_parse_compare(text, args.lr, args.momentum) for text in args.compare_runs)
    if len(compare) > 3:
        raise InputError(f"--compare: at most 3 runs beside the main one, got {len(compare)}")
    config = _config(args, compare=compare)
    lesson = scenario = data = None
    if args.lesson is not None and args.scenario is not None:
        raise InputError("--lesson and --scenario: open one or the other")
    if args.lesson is not None or args.scenario is not None:
        option = "--lesson" if args.lesson is not None else "--scenario"
        given = _training_options_given(args, "gui")
        if given:
            raise InputError(f"{option}: the run's options come from the "
                             f"{'lesson' if option == '--lesson' else 'scenario file'}; leave out {given[0]}")
    if args.lesson is not None:
        from .engine import find_lesson

        lesson = find_lesson(args.lesson)
        config = lesson.scenario.config
        if args.epochs is None:  # (0: the window takes the lesson's own)
            epochs = (lesson.scenario.epochs or 100) if args.screenshot is not None else 0
    if args.scenario is not None:
        from .engine import load_scenario_and_data

        scenario, data = load_scenario_and_data(args.scenario)  # read once: the window opens this
        config = scenario.config
        if scenario.steps is not None:
            if args.epochs is not None:
                raise InputError("--scenario: it replays to where it was saved; leave out --epochs")
            epochs = 0
        elif args.epochs is None:  # like train --scenario (0: the window takes the scenario's own)
            epochs = (scenario.epochs or 100) if args.screenshot is not None else 0
    inputs = input_paths(config.dataset, config.init_weights, config.test_data, **{"--scenario": args.scenario})
    if lesson is not None:
        inputs["--lesson"] = str(lesson.path)
    check_outputs({"--screenshot": args.screenshot}, inputs)
    # The same checks the worker will make, here, so that bad options get one line and status 2.
    if data is None:
        data = load_data(config)
    for lane in range(len(config.lanes)):
        Trainer(data, config.lane(lane))
    check_epochs_fit(epochs, steps_per_epoch(config.batch_size, data.n_train))

    if args.export is not None:
        if args.screenshot is None:
            raise InputError("--export: goes with --screenshot (the window's File ▸ Export menu does it "
                             "interactively)")
        from pathlib import Path

        if not Path(args.export).is_dir():
            raise InputError(f"--export: no such folder '{args.export}'")
        if not os.access(args.export, os.W_OK | os.X_OK):
            raise InputError(f"--export: cannot write in the folder '{args.export}' (permission denied)")
        from ._qt.export import export_targets

        # Every file it will write, before any work: none may be an input or the screenshot.
        check_outputs({"--screenshot": args.screenshot,
                       **{f"--export ({p.name})": p for p in export_targets(args.export)}}, inputs)

    from ._qt.gui import run_gui

    for note in notes:  # every check passed: now the notes on options it will not use
        print(f"momentum-lab: note: {note}", file=err)
    return run_gui(config, epochs=epochs, screenshot=args.screenshot, size=size, speed=args.speed,
                   controls=not args.no_controls, err=err, lesson=lesson.name if lesson else None,
                   scenario=args.scenario, opened=scenario, dataset=data, lecture=args.lecture, export=args.export,
                   remember=True, restore_options=not _options_given(args))


# Options of `gui` that are not training options.
_WINDOW_OPTIONS = ("command", "size", "no_controls", "speed", "lecture", "screenshot", "export", "lesson",
                   "scenario", "epochs")


def _training_options_given(args: argparse.Namespace, command: str) -> list[str]:
    """The training options given on the command line (whatever their value), as spelled there."""
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    skip = _WINDOW_OPTIONS if command == "gui" else _OUTPUT_OPTIONS
    given = getattr(args, "given", set())
    return [flag for action in commands.choices[command]._actions if action.dest not in skip
            for flag in action.option_strings if flag in given]


def _options_given(args: argparse.Namespace) -> bool:
    """Whether ``gui`` was given any training option (otherwise the window opens as it was left)."""
    return bool(_training_options_given(args, "gui"))


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit status. TERM is taken as Ctrl-C (exit status 130,
    nothing written): temporary files are removed either way."""
    out = out or sys.stdout
    err = err or sys.stderr
    import threading

    term = interrupt = None
    if threading.current_thread() is threading.main_thread():
        term = signal.signal(signal.SIGTERM, _interrupt)
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # the start-up handler
            interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(list(sys.argv[1:] if argv is None else argv), out, err)
    except KeyboardInterrupt:  # one that came outside the commands' own handling
        print("momentum-lab: interrupted", file=err)
        return EXIT_INTERRUPTED
    finally:
        if _startup.STARTING:
            # The command's process: its status is decided; an interrupt while Python shuts down
            # would only turn it into a death by signal.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            if term is not None:
                signal.signal(signal.SIGTERM, term)
            if interrupt is not None:
                signal.signal(signal.SIGINT, interrupt)


# What `momentum-lab sweep` alone prints below its usage.
_SWEEP_EXAMPLE = ("example: momentum-lab sweep --lr 0.001:1:10 --momentum 0:0.9:10 --epochs 50 "
                  "--out sweep.csv --png sweep.png")


def _main(argv: list[str], out: TextIO, err: TextIO) -> int:
    if argv == ["sweep"]:  # no arguments at all: how to call it, not only what is missing
        commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
        print(commands.choices["sweep"].format_usage().rstrip(), file=err)
        print(_SWEEP_EXAMPLE, file=err)
        print("momentum-lab: error: sweep: the following arguments are required: --out", file=err)
        return EXIT_BAD_INPUT
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(exc, file=err)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        if args.command == "train":
            return _run_train(args, out, err)
        if args.command is None:
            _import_qt()
            from ._qt._app import has_display

            if has_display():
                return _run_gui(_parser().parse_args(["gui"]), out, err)
            print("momentum-lab: no display here, so a headless run instead of the window "
                  "(momentum-lab gui --screenshot FILE takes a picture of the window)", file=err)
            args = _parser().parse_args(["demo"])
        if args.command == "demo":
            return _run_demo(args, out, err)
        if args.command == "gui":
            return _run_gui(args, out, err)
        if args.command == "sweep":
            return _run_sweep(args, out, err)
        if args.command == "lessons":
            return _run_lessons(args, out, err)
    except (InputError, _UsageError) as exc:
        text = str(exc) if isinstance(exc, _UsageError) else f"momentum-lab: error: {flag_spelling(str(exc))}"
        print(text, file=err)
        return EXIT_BAD_INPUT
    raise AssertionError(f"unhandled command {args.command!r}")

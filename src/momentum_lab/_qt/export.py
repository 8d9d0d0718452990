"""Taking results away: each plot as PNG or SVG, the history as CSV, weights and deltas as
``.npz``, the run as a Python script; every file written atomically (a failed write leaves an earlier file as it was).

Used by the window's File ▸ Export menu and by ``momentum-lab gui --export DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter

from ..engine import (PARAM_NAMES, Outputs, check_outputs, check_writable_target, input_paths, save_arrays,
                      save_weights, staged, write_history_csv)
from .report import save_bytes, save_png, svg_supported

__all__ = ["DATA_EXPORTS", "PLOTS", "PLOT_FORMATS", "check_run_output", "export_all", "export_plot", "export_targets",
           "plots_of", "save_deltas_ring", "save_history", "save_script", "save_weights_now", "svg_supported"]

#: The picture formats a plot can be saved in.
PLOT_FORMATS = ("png", "svg")


#: The window's plots: file-name stem -> what it shows (plots_of gives each its PlotItem).
PLOTS = {"error": "Error curves", "accuracy": "Accuracy", "delta-traces": "Delta traces",
         "delta-heatmap": "Delta heatmap", "network": "Network", "decision-regions": "Decision regions",
         "stability-map": "Stability map", "sweep": "Sweep heatmap"}


def plots_of(window) -> dict[str, tuple[str, pg.PlotItem]]:
    """The window's plots: file-name stem -> (what it shows, its PlotItem)."""
    items = {
        "error": window.curves.loss_plot,
        "accuracy": window.curves.acc_plot,
        "delta-traces": window.delta_panel.trace_plot,
        "delta-heatmap": window.delta_panel.heat_plot,
        "network": window.network.getPlotItem(),
        "decision-regions": window.regions.plot,
        "stability-map": window.stability.plot,
        "sweep": window.sweep_panel.plot,
    }
    return {stem: (PLOTS[stem], items[stem]) for stem in PLOTS}


def export_targets(folder: str | os.PathLike[str]) -> list[Path]:
    """The files :func:`export_all` writes into ``folder``, in the order it writes them."""
    formats = PLOT_FORMATS if svg_supported() else ("png",)
    return [Path(folder) / f"{stem}.{fmt}" for stem in PLOTS for fmt in formats] + \
        [Path(folder) / name for name in DATA_EXPORTS]


def check_run_output(controller, path: str | os.PathLike[str], option: str) -> None:
    """Before writing: ``path`` can be written and is none of the run's input files."""
    c = controller.config
    check_outputs({option: path}, input_paths(c.dataset, c.init_weights))


def export_plot(item: pg.PlotItem, path: str | os.PathLike[str], option: str = "export", controller=None,
                outputs: Outputs | None = None) -> None:
    """Write one plot as PNG or SVG (by the file's suffix), atomically (or staged into ``outputs``).

    Raises
    ------
    InputError
        An unknown suffix, SVG on a Qt stack where pyqtgraph cannot make it, a path that is one of
        the ``controller``'s run's inputs, or a failed write (the message names the file and why;
        an earlier file there is intact).
    """
    from ..engine import InputError

    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise InputError(f"{option}: '{path}': a plot is saved as .png or .svg, not {suffix or 'no suffix'!r}")
    if controller is not None:
        check_run_output(controller, path, option)
    else:
        check_writable_target(path, option)
    if suffix == "png":
        exporter = ImageExporter(item)
        # At least 1200 px wide: sharp on a slide or a handout.
        width = max(1200, int(item.sceneBoundingRect().width()))
        exporter.parameters()["width"] = width
        image = exporter.export(toBytes=True)
        if image is None or image.isNull():
            raise InputError(f"{option}: cannot write '{path}': the picture could not be drawn")
        save_png(image, path, outputs, option)
    else:
        if not svg_supported():
            import PySide6

            raise InputError(f"{option}: '{path}': SVG export needs PySide6 6.10 (pyqtgraph 0.14 cannot "
                             f"write SVG with {PySide6.__version__}); save a PNG instead")
        data = SVGExporter(item).export(toBytes=True)
        save_bytes(path, data if isinstance(data, bytes) else bytes(data), outputs, option)


def save_history(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                 option: str = "export") -> None:
    """The per-epoch history of run ``lane`` as kept by the window (see HistoryLog), as CSV."""
    check_run_output(controller, path, option)
    write_history_csv(path, controller.lanes[lane].history.rows, outputs, option)


def save_weights_now(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                     option: str = "export") -> None:
    """Run ``lane``'s current weights as ``.npz`` (ih_weights, h_biases, ho_weights, o_biases)."""
    from ..engine import InputError

    report = controller.lanes[lane].latest
    if report is None:
        raise InputError(f"{option}: no weights yet (the run is still being prepared)")
    check_run_output(controller, path, option)
    save_weights(path, {n: v.copy() for n, v in controller.layout.views(report.params).items()}, outputs, option)


def save_deltas_ring(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                     option: str = "export") -> None:
    """The deltas of run ``lane``'s latest steps the window keeps, as ``.npz``: ``step`` (k,) and
    ``ih_deltas``, ``h_bias_deltas``, ``ho_deltas``, ``o_bias_deltas`` with a leading step axis."""
    from ..engine import DELTA_NAMES

    check_run_output(controller, path, option)
    steps, rows = controller.lanes[lane].deltas.latest()
    views = controller.layout.views(np.ascontiguousarray(rows))
    arrays = {"step": steps.copy(), **{dn: views[pn].copy() for dn, pn in zip(DELTA_NAMES, PARAM_NAMES)}}
    save_arrays(path, arrays, outputs, option)


def save_script(controller, path: str | os.PathLike[str], lane: int = 0, outputs: Outputs | None = None,
                option: str = "export") -> None:
    """The run on show as a Python script using the public API only (see
    :func:`~momentum_lab.scenario_script`): ``python run.py HISTORY.csv`` trains the same runs, its
    live changes at their steps, to where the window is, and writes run A's history."""
    from ..engine import scenario_script

    check_run_output(controller, path, option)
    text = scenario_script(controller.scenario(), source="the Momentum Lab window (File ▸ Export)")
    with staged(path, "w", outputs, option) as handle:
        handle.write(text)


#: The run's data, as the window exports it: file name -> (menu text, file-dialog filter, writer).
DATA_EXPORTS = {
    "history.csv": ("&History (CSV)…", "CSV (*.csv)", save_history),
    "weights.npz": ("&Weights now (.npz)…", "NumPy (*.npz)", save_weights_now),
    "deltas.npz": ("Latest &deltas (.npz)…", "NumPy (*.npz)", save_deltas_ring),
    "run.py": ("The run as a &Python script…", "Python scripts (*.py)", save_script),
}


def export_all(window, folder: str | os.PathLike[str], outputs: Outputs | None = None) -> list[Path]:
    """Every plot (PNG, and SVG where supported), the history, the weights and the latest deltas
    of the main run, into ``folder``, all or none; returns the files written. With ``outputs``
    the files are staged there (the caller commits them with its own)."""
    if outputs is None:
        with Outputs() as own:
            return export_all(window, folder, own)
    window.refresh()
    plots = plots_of(window)
    targets = export_targets(folder)
    for path in targets:
        if path.name in DATA_EXPORTS:
            DATA_EXPORTS[path.name][2](window.controller, path, outputs=outputs, option="--export")
        else:
            export_plot(plots[path.stem][1], path, "--export", window.controller, outputs)
    return targets

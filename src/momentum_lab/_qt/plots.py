"""The plots: error curves, per-weight delta histories, the network, decision regions.

Each view takes the :class:`~momentum_lab._qt.controller.RunController` in its
``__init__`` and draws from its buffers when :meth:`refresh` is called (the
window calls it at most ~30 times a second). Few graphics items, image items
for dense data: drawing, not training, is what costs time here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSizeF, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGraphicsEllipseItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStyle,
    QStyleOptionComboBox,
    QVBoxLayout,
    QWidget,
)

from ..engine import HISTORY_COLUMNS, MAX_RUNS, RULE_SHORT, RUN_NAMES, delta_diagnostics, gradient_steps
from . import _pixelpaint
from .controller import RunController

_pixelpaint.install()  # (before any curve is made: PySide keeps the paint an item was made with)

__all__ = ["DecisionRegions", "DeltaPanel", "ErrorCurves", "HoverReadout", "LANE_COLOURS", "NetworkView", "PALETTE",
           "plot_text", "style_plot"]

TRAIN = "#0072B2"  # blue
TEST = "#D55E00"  # vermilion
GHOST = "#8C8C8C"  # a branch's original
MARK = "#6A3D9A"  # purple: live setting changes
#: Runs compared side by side: A blue, B vermilion, C green, D black (apart for colour-blind eyes too).
LANE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#000000")
# Distinct colours (Okabe–Ito and friends) for picked weights and classes.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "#882255", "#44AA99")
# Width (and strength of colour) classes of the network's edges.
EDGE_LEVELS = 6
# The network view draws at most this many edges, the strongest (a wide data set times 1,000
# hidden units has a million: a second a paint).
MAX_EDGES = 20_000
# The decision regions evaluate the network on a grid of at most GRID x GRID points, fewer for
# large networks: points x parameters stays under this many (a draw of about a tenth of a second).
REGIONS_BUDGET = 200_000_000
# Marks drawn at most (the newest), so a busy lecture stays readable.
MARKS_SHOWN = 12


def nice_ceil(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, … (times a power of ten) that is >= ``value`` > 0."""
    if not value > 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        if m * 10.0**exponent >= value * (1 - 1e-12):
            return m * 10.0**exponent
    return 10.0 ** (exponent + 1)


class StickyLimit:
    """A limit that moves in 1-2-5 jumps: up as soon as data passes it, down only when data
    falls below a quarter of it. An axis whose range does not change is not re-rendered,
    which is most of the cost of a frame."""

    def __init__(self) -> None:
        self.value: float | None = None

    def update(self, needed: float) -> bool:
        """Fit ``needed``; return whether the limit changed."""
        if self.value is not None and needed <= self.value and needed >= self.value / 4:
            return False
        new = nice_ceil(needed)
        changed = new != self.value
        self.value = new
        return changed


def nice_floor(value: float) -> float:
    """The largest of 1, 2, 5, 10, 20, … (times a power of ten) that is <= ``value`` > 0."""
    if not value > 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * 10.0**exponent <= value * (1 + 1e-12):
            return m * 10.0**exponent
    return 10.0 ** (exponent - 1)


#: An axis fitted with :func:`snug_ceil` ends at most 1/SNUG_PARTS past its data.
SNUG_PARTS = 25


def snug_ceil(value: float, span: float | None = None) -> float:
    """``value`` rounded up to a multiple of a 1-2-5 step of at most ``span``/SNUG_PARTS
    (``span`` defaults to ``value``): an axis end a few per cent past the data, which moves
    only every few per cent (an axis whose range moves re-renders its labels)."""
    if not value > 0:
        return 1.0
    step = nice_floor((span or value) / SNUG_PARTS)
    return math.ceil(value / step - 1e-9) * step


def nice_ceil_array(values: np.ndarray) -> np.ndarray:
    """:func:`nice_ceil` of each value (> 0; others give 1)."""
    v = np.where(np.isfinite(values) & (values > 0), values, 1.0)
    power = 10.0 ** np.floor(np.log10(v))
    m = v / power
    m = np.select([m <= 1 + 1e-12, m <= 2 + 1e-12, m <= 5 + 1e-12], [1.0, 2.0, 5.0], 10.0)
    return m * power


#: What an empty plot says (instead of showing an axis of no data).
NO_STEPS = "no steps yet"


class EmptyNote(pg.TextItem):
    """"no steps yet", centred in a plot's view box, shown while the plot has no data."""

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__(NO_STEPS, color="#666", anchor=(0.5, 0.5))
        self.setParentItem(plot.vb)
        self.setZValue(30)
        self._vb = plot.vb
        plot.vb.sigResized.connect(self._centre)
        self._centre()

    def _centre(self, *_) -> None:
        self.setPos(self._vb.rect().center())


def switch_empty(view, empty: bool) -> bool:
    """Show or hide ``view``'s "no steps yet" notes (``view.empty_notes``); False when it already
    was so (``view._empty``), and nothing else need change."""
    if empty == view._empty:
        return False
    view._empty = empty
    for note in view.empty_notes.values():
        note.setVisible(empty)
    return True


def blank_axes(plot: pg.PlotItem, blank: bool, sides: tuple[str, ...] = ("left", "bottom")) -> None:
    """No tick labels (blank) or pyqtgraph's own again: an empty plot shows no made-up range."""
    for side in sides:
        plot.getAxis(side).setTicks([[], []] if blank else None)


def fit_axis_width(axis: pg.AxisItem, strings: list[str]) -> None:
    """A left axis wide enough for these tick strings in its current font (pyqtgraph drops a
    label that does not fit its axis: lecture mode's large "-0.005" went missing)."""
    font = axis.style.get("tickFont") or axis.font()
    widest = max((QFontMetrics(font).horizontalAdvance(text) for text in strings), default=0)
    # (The label's own height: its HTML sets its size, not the item's font.)
    label = axis.label.boundingRect().height() + 2 if axis.label.isVisible() else 0
    width = int(widest + max(0, axis.style["tickLength"]) + axis.style["tickTextOffset"][0] + label + 8)
    if width != axis.width():
        axis.setWidth(width)


def widen_for_ticks(axis: pg.AxisItem) -> None:
    """A left axis made wider (never narrower) where the tick labels of its range now need more
    room than it has (see fit_axis_width): the same ticks pyqtgraph draws."""
    low, high = axis.range
    strings: list[str] = []
    for spacing, values in axis.tickValues(low, high, max(axis.height(), 1)):
        strings += axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    width = axis.width()
    fit_axis_width(axis, strings)
    if axis.width() < width:
        axis.setWidth(int(width))


#: Pixels kept between two tick labels side by side.
TICK_GAP_PX = 8


def thin_ticks(axis: pg.AxisItem, ticks: list[tuple[float, str]], shown: tuple[float, float],
               pixels: float) -> list[tuple[float, str]]:
    """Of a bottom axis's ``ticks`` (value, text), most important first, those whose labels in the
    axis's font fit its length and run into none kept before them; in order of value. ``shown``:
    the range on show; ``pixels``: the axis's length (the stability map's fixed ticks ran together
    in a narrow dock)."""
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    low, high = shown
    scale = pixels / (high - low) if high > low else 0.0
    kept: list[tuple[float, float, tuple[float, str]]] = []
    for value, text in ticks:
        centre, half = (value - low) * scale, metrics.horizontalAdvance(text) / 2 + TICK_GAP_PX / 2
        if centre - half >= -TICK_GAP_PX / 2 and centre + half <= pixels + TICK_GAP_PX / 2 and \
                all(centre + half <= a or centre - half >= b for a, b, _ in kept):
            kept.append((centre - half, centre + half, (value, text)))
    return sorted(tick for _, _, tick in kept)


#: The share of an axis's length at each end within which :func:`spread_ticks` puts a label.
END_SHARE = 0.25
#: The least distance (pixels) between two labels of :func:`spread_ticks` at a regular step, along
#: a horizontal and a vertical axis (closer, an axis reads as a row of numbers, not a scale).
SPREAD_PX = {False: 64, True: 26}


def tick_extent(metrics: QFontMetrics, text: str, vertical: bool) -> float:
    """A tick label's length along its axis as pyqtgraph lays it out: its width, or (vertical) its
    height at 0.8 (pyqtgraph's own measure: see ``AxisItem.generateDrawSpecs``)."""
    rect = metrics.boundingRect(QRect(0, 0, 2000, 2000), Qt.AlignmentFlag.AlignCenter, text)
    return rect.height() * 0.8 if vertical else rect.width()


def spread_ticks(axis: pg.AxisItem, text: Callable[[float], str] = lambda v: f"{v:g}",
                 shown: tuple[float, float] | None = None, pixels: float | None = None) -> list[tuple[float, str]]:
    """Tick labels for ``axis`` (showing ``shown``, by default its range, on ``pixels``, by default its
    length) in its font: at the finest 1-2-5 step (from 0 or from half a step) at which they are whole
    on the axis, do not run into each other and reach both ends (a label within END_SHARE of each
    end); where no step does all that (an axis a few labels long), the labels nearest the ends of
    the coarsest step that has such, and of the rest those that leave room; else one, the roundest.
    pyqtgraph's own ticks ran together on a short axis, and on a narrow one kept a single label in
    the middle (it drops those not whole on the axis)."""
    vertical = axis.orientation in ("left", "right")
    low, high = sorted(shown if shown is not None else axis.range)
    if pixels is None:
        pixels = axis.height() if vertical else axis.width()
    if not (high > low and pixels > 0):
        return []
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    scale = pixels / (high - low)

    def boxes(values) -> list[tuple[float, float, tuple[float, str]]]:
        """(start, end, tick) of those of ``values`` whose labels are whole on the axis."""
        out = []
        for value in values:
            label = text(value)
            centre, half = (value - low) * scale, tick_extent(metrics, label, vertical) / 2
            if centre - half >= 0 and centre + half <= pixels:
                out.append((centre - half, centre + half, (value, label)))
        return out

    def multiples(step: float, offset: float = 0.0):
        # (Rounded to the step's own digits: 0.1 * 3 is 0.30000000000000004, -0.5 + 0.5 may be 2e-16.)
        digits = max(0, 12 - math.floor(math.log10(step)))
        return (round(offset + k * step, digits) + 0.0 for k in range(math.ceil((low - offset) / step - 1e-9),
                                                                     math.floor((high - offset) / step + 1e-9) + 1))

    def reach(kept: list) -> bool:
        return kept[0][0] <= END_SHARE * pixels and kept[-1][1] >= (1 - END_SHARE) * pixels

    def apart(kept: list, gap: float) -> bool:
        return all(b[0] - a[1] >= gap for a, b in zip(kept, kept[1:]))

    single = None
    for gap in ((4, 2) if vertical else (TICK_GAP_PX, 4)):  # (closer only where no step fits)
        fallback = None
        step = nice_floor((high - low) / max(pixels / 8, 2))
        while step <= 2 * (high - low):
            for offset in (0.0, step / 2):  # (-300, -100 where -200 and 0 do not both fit)
                labels = boxes(multiples(step, offset))
                if len(labels) > 1 and apart(labels, gap) and step * scale >= SPREAD_PX[vertical] and reach(labels):
                    return [tick for _, _, tick in labels]
            labels = boxes(multiples(step))
            if labels:
                single = min(labels, key=lambda b: abs(b[0] + b[1] - pixels))[2]
            if len(labels) > 1 and reach(labels) and apart([labels[0], labels[-1]], gap):
                kept = [labels[0], labels[-1]]
                for box in sorted(labels[1:-1], key=lambda b: -_roundness(b[2][0] / step)):
                    if all(box[1] + gap <= a or box[0] >= b + gap for a, b, _ in kept):
                        kept.append(box)
                fallback = sorted(tick for _, _, tick in kept)
            step = nice_ceil(step * 1.5)
        if fallback is not None:
            return fallback
    return [single] if single is not None else []


def _roundness(multiple: float) -> int:
    """How round an integer ``multiple`` of a step is: 3 for a multiple of 10, 2 of 5, 1 of 2, else 0."""
    m = round(multiple)
    return 3 if m % 10 == 0 else 2 if m % 5 == 0 else 1 if m % 2 == 0 else 0


# Small enough that the window fits a 1024-pixel-wide screen: splitters never shrink a child
# below its minimum, and pyqtgraph's own minimum hints add up to more than that.
MIN_PLOT_SIZE = (140, 120)


# Lecture mode (see set_presentation): lines this many times thicker, text this large.
_PRESENTATION = {"on": False}
PRESENTATION_LINES = 2.0
PRESENTATION_TICK_PT, PRESENTATION_LABEL_PT, PRESENTATION_TITLE_PT = 14, 15, 14


def presenting() -> bool:
    return _PRESENTATION["on"]


def pen_width(width: float) -> float:
    """A line width, thicker in lecture mode."""
    return width * PRESENTATION_LINES if _PRESENTATION["on"] else width


#: Text drawn in the plots (legends, node and lane names, readouts): this large normally; in
#: lecture mode names take the tick labels' size, and the texts that share a plot's room with
#: others (legends, readouts, lane names, the heatmap's rows) a little less.
LABEL_PT = 9.0
PRESENTATION_ROWS_PT = PRESENTATION_TICK_PT - 2
PRESENTATION_LEGEND_PT = PRESENTATION_ROWS_PT


def mode_pt(normal: float, lecture: float = PRESENTATION_TICK_PT) -> float:
    """A text size for the mode on show: ``normal``, or ``lecture`` in lecture mode."""
    return lecture if _PRESENTATION["on"] else normal


def plot_text(text: str = "", pt: float = LABEL_PT, lecture_pt: float = PRESENTATION_TICK_PT,
              **options) -> pg.TextItem:
    """A text item at the mode's size (``pt``, or ``lecture_pt`` in lecture mode), which
    :func:`present_plot` resizes when the mode changes."""
    item = pg.TextItem(text, **options)
    item._sizes = (pt, lecture_pt)
    _size_text(item)
    return item


def _size_text(item: pg.TextItem) -> None:
    font = QFont(item.textItem.font())
    size = mode_pt(*item._sizes)
    if font.pointSizeF() != size:
        font.setPointSizeF(size)
        item.setFont(font)


def _present_texts(plot: pg.PlotItem) -> None:
    """The plot's own texts at the mode's size: those made by :func:`plot_text`, its note labels
    (LabelItems in its view box) and its legend."""
    vb = plot.vb
    for item in list(vb.childItems()) + list(vb.addedItems):
        if hasattr(item, "_sizes"):
            _size_text(item)
        elif isinstance(item, pg.LabelItem):
            if not hasattr(item, "_normal_pt"):
                item._normal_pt = float(str(item.opts.get("size") or f"{LABEL_PT}pt").rstrip("pt"))
            item.setText(item.text, size=f"{mode_pt(item._normal_pt)}pt")
    legend = plot.legend
    size = f"{mode_pt(LABEL_PT, PRESENTATION_LEGEND_PT):g}pt"
    if legend is not None and legend.opts["labelTextSize"] != size:
        legend.setLabelTextSize(size)  # (entries added from now on)
        for _, label in legend.items:
            label.setText(label.text)  # (pyqtgraph sets the size of those there, drawn at the next text)
        legend.updateSize()


#: A title's size normally, and the smallest a lecture-mode title shrinks to before it is shortened.
TITLE_PT = 11.5


def refit(plot: pg.PlotItem) -> None:
    """The plot as large as its view again, now that its contents need less room (a plot is never
    smaller than its contents need, and its view sets its size only when the view is resized)."""
    view = plot.getViewWidget()
    if view is not None and plot.geometry() != view.range:
        plot.setGeometry(view.range)


def data_width(plot: pg.PlotItem) -> float:
    """The width a plot's view leaves its data area (and its title, and its bottom axis's label):
    the view's width less the plot's other columns (axes, colour bar)."""
    view = plot.getViewWidget()
    if view is None or view.width() <= 0:
        return math.inf
    return view.width() - (plot.width() - plot.vb.width()) - 12


def fitted(text: str, sizes: tuple[float, ...], room: float, bold: bool = False) -> tuple[str, float]:
    """``text`` and the first of ``sizes`` (points) at which it is at most ``room`` pixels wide;
    else the last size, and the text shortened with "…" to fit."""
    font = QFont()
    font.setBold(bold)
    for size in sizes:
        font.setPointSizeF(size)
        if QFontMetrics(font).horizontalAdvance(text) <= room:
            return text, size
    return QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, int(max(room, 40))), size


def fit_axis_label(plot: pg.PlotItem, side: str) -> None:
    """The label of the plot's ``side`` axis ("left" or "bottom") in the mode's size where it fits
    its side of the data area, else smaller, else shortened with "…" and whole in the axis's tooltip
    (a label's text sets its plot's minimum size: the stability map's and the sweep's bottom labels
    made their plots wider than a narrow dock, which cut their right sides)."""
    axis = plot.getAxis(side)
    full = getattr(axis, "_full_label", axis.labelText)
    on = _PRESENTATION["on"]
    room = data_width(plot) if side == "bottom" else plot.vb.height() - 8 if plot.vb.height() > 0 else math.inf
    sizes = (PRESENTATION_LABEL_PT, PRESENTATION_ROWS_PT) if on else (QFont().pointSizeF(),)
    # (pyqtgraph draws "text units", a space after the text when there are no units: room for it.)
    font = QFont()
    font.setPointSizeF(sizes[0])
    text, size = fitted(full, sizes, room - QFontMetrics(font).horizontalAdvance(" "))
    key = (text, size, on)
    if getattr(axis, "_label_key", None) == key:
        return
    axis._label_key = key
    style = {"color": "#000" if on else "#111"}
    if on:
        style["font-size"] = f"{size:g}pt"
    axis.setLabel(text, **style)
    axis.resizeEvent()  # (pyqtgraph centres a label only when its axis is resized: a new size sat off centre)
    axis.setToolTip(full if text != full else "")


def fit_axis_words(plot: pg.PlotItem, side: str, wordings: list[str]) -> None:
    """The label of the plot's ``side`` axis in the first of ``wordings`` (the same, ever shorter)
    that fits whole (see :func:`fit_axis_label`), else the last shortened with "…"; the first, whole,
    in the axis's tooltip when another is shown. Call it again when the plot's size changes."""
    axis = plot.getAxis(side)
    for wording in wordings:
        if getattr(axis, "_full_label", None) != wording:
            axis._full_label = wording
            axis._label_key = None
            fit_axis_label(plot, side)
        if axis.labelText == wording:
            break
    axis.setToolTip(wordings[0] if axis.labelText != wordings[0] else "")


def set_axis_label(plot: pg.PlotItem, side: str, label: str) -> None:
    """The label of the plot's ``side`` axis, fitted (see :func:`fit_axis_label`) now and whenever
    the plot's size changes."""
    axis = plot.getAxis(side)
    axis._full_label = label
    axis._label_key = None
    fit_axis_label(plot, side)
    if not getattr(axis, "_fits_label", False):
        axis._fits_label = True
        plot.vb.sigResized.connect(lambda *_: fit_axis_label(plot, side))


def set_title(plot: pg.PlotItem, title: str) -> None:
    """The plot's title, in the mode's size where it fits the width its view leaves it, else smaller,
    else shortened with "…" (a title's text sets its plot's minimum width: a plot wider than its
    view has its right side cut, colour bar and ticks with it)."""
    plot._shown_title = title
    on = _PRESENTATION["on"]
    title, size = fitted_title(plot, title)
    html = f"<span style='font-size:{size}pt; font-weight:{'bold' if on else 'normal'}'>{title}</span>"
    if getattr(plot, "_title_html", None) != html:
        plot._title_html = html
        plot.setTitle(html, color="#000" if on else "#111")
        refit(plot)
    if not getattr(plot, "_fits_title", False):  # fitted again whenever the plot's size changes
        plot._fits_title = True
        plot.vb.sigResized.connect(lambda *_: set_title(plot, plot._shown_title))


def fitted_title(plot: pg.PlotItem, title: str) -> tuple[str, float]:
    """``title`` as :func:`set_title` would show it on ``plot`` now, and its size (see fitted)."""
    on = _PRESENTATION["on"]
    return fitted(title, (PRESENTATION_TITLE_PT, PRESENTATION_ROWS_PT, TITLE_PT) if on else (TITLE_PT,),
                  data_width(plot), bold=on)


def show_title_words(plot: pg.PlotItem, titles: list[str]) -> None:
    """The first of ``titles`` (the same title, ever shorter) that fits the plot whole (see
    set_title), else the last shortened with "…"; chosen again whenever the plot's size changes."""
    plot._title_words = titles
    title = next((t for t in titles if fitted_title(plot, t)[0] == t), titles[-1])
    show_title(plot, title)
    if not getattr(plot, "_fits_title_words", False):
        plot._fits_title_words = True
        plot.vb.sigResized.connect(lambda *_: show_title_words(plot, plot._title_words))


def set_presentation(on: bool) -> None:
    """Lecture mode on or off for plots styled from now on (see :func:`present_plot` for those on show)."""
    _PRESENTATION["on"] = bool(on)


def present_plot(plot: pg.PlotItem, left: bool = True) -> None:
    """Restyle a plot on show for the current mode: tick and label text (of the left axis
    too, with ``left``), title, line widths."""
    on = _PRESENTATION["on"]
    axes = [(side, plot.getAxis(side)) for side in (("left", "bottom") if left else ("bottom",))]
    # (A colour bar in the plot's layout: its axis too; its owner fits the axis's width to its ticks.)
    axes += [("bar", plot.layout.itemAt(i).axis) for i in range(plot.layout.count())
             if isinstance(plot.layout.itemAt(i), pg.ColorBarItem)]
    for side, axis in axes:
        if not hasattr(axis, "_normal_font"):
            axis._normal_font = QFont(axis.style.get("tickFont") or axis.font())
            axis._normal_size = (axis.fixedWidth, axis.fixedHeight)
        font = QFont(axis._normal_font)
        if on:
            font.setPointSizeF(PRESENTATION_TICK_PT)
        axis.setStyle(tickFont=font)
        # Larger text needs a wider left axis and a taller bottom one (labels are not re-measured).
        width, height = axis._normal_size
        grow = PRESENTATION_TICK_PT / max(axis._normal_font.pointSizeF(), 6.0)
        if side == "left":
            axis.setWidth(int((width or 48) * grow) if on else width)
        elif side == "bottom":
            axis.setHeight(int((height or 40) * grow) if on else height)
        axis.setPen(pg.mkPen("#000" if on else "#333", width=2 if on else 1))
        axis.setTextPen("#000" if on else "#111")
        if side == "bar":
            style = {"color": "#000" if on else "#111"}
            if on:
                style["font-size"] = f"{PRESENTATION_LABEL_PT}pt"
            axis.setLabel(axis.labelText, **style)
        else:
            fit_axis_label(plot, side)
    title = getattr(plot, "_shown_title", None)
    if title is not None:
        set_title(plot, title)
    _present_texts(plot)
    for item in plot.listDataItems():
        pen = item.opts.get("pen")
        if pen is None:
            continue
        pen = pg.mkPen(pen)
        base = getattr(item, "_normal_width", None)
        if base is None:
            base = item._normal_width = pen.widthF() / (PRESENTATION_LINES if getattr(item, "_presented", False)
                                                         else 1.0)
        item._presented = on
        pen.setWidthF(base * (PRESENTATION_LINES if on else 1.0))
        item.setPen(pen)


def run_a(controller: RunController, title: str) -> str:
    """A title for a view that shows the main run only: says so when runs are compared."""
    return f"{title} (run A)" if controller.comparing else title


def show_title(plot: pg.PlotItem, title: str) -> None:
    """Set the title only when it changes (a new title re-lays the plot out)."""
    if getattr(plot, "_shown_title", None) != title:
        plot._shown_title = title
        set_title(plot, title)


def style_plot(plot: pg.PlotItem, title: str, x: str, y: str, grid: bool = False) -> None:
    """Dark text on white, readable from the back of a room.

    No grid on the live plots: pyqtgraph's grid costs 3–5 ms a plot a frame, more
    than the curves; the ticks stay, and hovering gives exact values.
    """
    set_title(plot, title)
    for side, label in (("bottom", x), ("left", y)):
        axis = plot.getAxis(side)
        axis.setPen("#333")
        axis.setTextPen("#111")
        axis.enableAutoSIPrefix(False)  # "0.7", not "7·10² (x0.001)"
        # pyqtgraph 0.14 still computes a prefix scale in that call (from the current range)
        # and keeps it; undo that, or a second call can leave the ticks 1000 times too big.
        axis.autoSIPrefixScale = 1.0
        axis.labelUnitPrefix = ""
        set_axis_label(plot, side, label)
        axis.setStyle(maxTickLevel=1)
    plot.showGrid(x=grid, y=grid, alpha=0.2)
    view = plot.getViewWidget()
    if view is not None:
        view.setMinimumSize(*MIN_PLOT_SIZE)


class HoverReadout(QObject):
    """The values under the mouse, in one plot: ``describe(point)`` (the mouse in the plot's data
    coordinates) gives the text (or texts saying the same ever more compactly), or None where
    there is nothing to read.

    The readout stays inside the plot's data area (so it never covers a tick label): beside the
    mouse where it fits, else in the place nearest it clear of the plot's legend and labels (every
    other text in its view box: change marks, run and node names). Where it does not fit, the more
    compact text, then smaller type (down to the normal size: lecture mode's plots are small) are
    tried; where nothing fits, it is not shown rather than shown over a label. It follows the data
    while the mouse rests (``controller.changed``), and hides when the mouse leaves the plot, at a
    new run or a Reset (the controller's lane buffers replaced), and on :meth:`hide`.
    """

    #: Pixels between the mouse and the readout.
    GAP = 14
    #: Where no place beside the mouse is clear, places this far apart are tried.
    SCAN_PX = 12

    def __init__(self, plot: pg.PlotItem, describe: Callable[[QPointF], str | tuple[str, ...] | None],
                 controller: RunController | None = None) -> None:
        view = plot.scene().views()[0]
        super().__init__(view)
        self.plot = plot
        self.describe = describe
        self.controller = controller
        # (In lecture mode a little smaller than the ticks: four runs' readout must find room.)
        self.item = plot_text(lecture_pt=PRESENTATION_ROWS_PT, color="#111", anchor=(0, 0),
                              fill=pg.mkBrush(255, 255, 255, 235), border=pg.mkPen("#888"))
        self.item.setParentItem(plot.vb)  # (in the view box's pixels)
        self.item.setZValue(40)
        self.item.hide()
        self._scene_pos: QPointF | None = None
        self._lanes = controller.lanes if controller is not None else None
        plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        view.viewport().installEventFilter(self)
        if controller is not None:
            controller.changed.connect(self._on_changed)

    def hide(self) -> None:
        self._scene_pos = None
        self.item.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Leave:
            self.hide()
        return False

    @Slot(object)
    def _on_mouse_moved(self, pos: QPointF) -> None:
        self._scene_pos = QPointF(pos)
        self._show()

    @Slot()
    def _on_changed(self) -> None:
        if self.controller.lanes is not self._lanes:  # a new run or a Reset: nothing of it to read yet
            self._lanes = self.controller.lanes
            self.hide()
        elif self.item.isVisible():
            self._show()

    def _show(self) -> None:
        vb = self.plot.vb
        pos = self._scene_pos
        texts = None
        if pos is not None and vb.sceneBoundingRect().contains(pos):
            texts = self.describe(vb.mapSceneToView(pos))
        if not texts:
            self.item.hide()
            return
        texts = (texts,) if isinstance(texts, str) else texts
        mouse = vb.mapFromScene(pos)
        taken = self.taken()
        for size in sorted({mode_pt(*self.item._sizes), LABEL_PT}, reverse=True):
            for text in texts:
                font = QFont(self.item.textItem.font())
                if font.pointSizeF() != size:
                    font.setPointSizeF(size)
                    self.item.setFont(font)
                if self.item.toPlainText() != text:
                    self.item.setText(text)
                place = self._place(mouse, self.item.boundingRect().size(), taken)
                if place is not None:
                    self.item.setPos(place)
                    self.item.show()
                    return
        self.item.hide()  # no room clear of the labels: better none than one over them

    def taken(self) -> list[QRectF]:
        """The view box's other visible texts (legend, marks' labels, names), in its pixels."""
        vb = self.plot.vb
        out = []
        for item in list(vb.childItems()) + list(vb.addedItems):
            if item is not self.item and item.isVisible() and isinstance(
                    item, (pg.TextItem, pg.LabelItem, pg.LegendItem)):
                out.append(vb.mapRectFromItem(item, item.boundingRect()).adjusted(-2, -2, 2, 2))
        return out

    def _place(self, mouse: QPointF, size: QSizeF, taken: list[QRectF]) -> QPointF | None:
        """The readout's top left: below right of the mouse, or the other three ways round it, else
        the place nearest the mouse clear of the ``taken`` rectangles (None when there is none)."""
        area = self.plot.vb.boundingRect()
        w, h, gap = size.width(), size.height(), self.GAP
        if w > area.width() or h > area.height():
            return None

        def clear(x: float, y: float) -> bool:
            rect = QRectF(x, y, w, h)
            return area.contains(rect) and not any(rect.intersects(other) for other in taken)

        for x, y in ((mouse.x() + gap, mouse.y() + gap), (mouse.x() - gap - w, mouse.y() + gap),
                     (mouse.x() + gap, mouse.y() - gap - h), (mouse.x() - gap - w, mouse.y() - gap - h)):
            if clear(x, y):
                return QPointF(x, y)
        xs = np.arange(area.left(), area.right() - w + 1, self.SCAN_PX)
        ys = np.arange(area.top(), area.bottom() - h + 1, self.SCAN_PX)
        spots = sorted(((x - mouse.x()) ** 2 + (y - mouse.y()) ** 2, x, y) for x in xs for y in ys)
        for _, x, y in spots:
            if clear(x, y):
                return QPointF(x, y)
        return None


def nearest_index(values: np.ndarray, x: float) -> int:
    """The index of the value of sorted ``values`` (not empty) nearest ``x``."""
    i = int(np.clip(np.searchsorted(values, x), 0, len(values) - 1))
    if i > 0 and abs(values[i - 1] - x) <= abs(values[i] - x):
        i -= 1
    return i


def envelope(x: np.ndarray, y: np.ndarray, shown: tuple[float, float], columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of the line (``x`` increasing, ``y``) that draw it as it looks ``columns``
    pixels wide across the x range ``shown``: the points in view (and one either side), and where
    more than two fall to a pixel column, each column's lowest and highest point in their order
    (its last point as it is). Thousands of epochs a curve cost tens of ms a frame to hand to
    pyqtgraph and to stroke; a column's extremes draw the same pixels. A column whose points are
    all NaN stays a gap.
    """
    n = len(x)
    if n:
        lo = max(int(np.searchsorted(x, shown[0])) - 1, 0)
        hi = min(int(np.searchsorted(x, shown[1], side="right")) + 1, n)
        if lo > 0 or hi < n:
            x, y, n = x[lo:hi], y[lo:hi], hi - lo
    columns = max(int(columns), 1)
    if n <= 2 * columns + 2:
        return x, y
    k = -(-(n - 1) // columns)  # points a column (the last point is kept apart)
    body = (n - 1) // k * k
    bx, by = x[:body].reshape(-1, k), y[:body].reshape(-1, k)
    gap = np.isnan(by)
    lowest = np.argmin(np.where(gap, np.inf, by), axis=1)
    highest = np.argmax(np.where(gap, -np.inf, by), axis=1)
    rows = np.arange(bx.shape[0])[:, None]
    order = np.sort(np.stack([lowest, highest], axis=1), axis=1)
    return (np.concatenate([bx[rows, order].ravel(), x[body:]]),
            np.concatenate([by[rows, order].ravel(), y[body:]]))


def settle_ranges(*plots: pg.PlotItem) -> None:
    """The view boxes' transforms for their new ranges, now: pyqtgraph defers them to the next
    paint, whose items then change their bounds as it paints and ask for a second paint (each
    move of the error curves' x axis painted them twice, 8 ms each with four runs)."""
    for plot in plots:
        plot.vb.updateMatrix()


def rule_name(rule: str) -> str:
    """A rule's short name without its note: "look-back"."""
    return RULE_SHORT[rule].split(" (")[0]


class ErrorCurves(QWidget):
    """Train and test loss (log scale on demand) and accuracy per epoch; hover shows values.

    ``follow_latest`` (a checkable QAction, for a menu) shows only the latest
    ``follow_epochs`` epochs; otherwise the x axis runs from 0 to a few per cent past
    the newest epoch.
    """

    #: Epochs shown when following the latest (see follow_latest).
    FOLLOW_EPOCHS = 50

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.loss_view = pg.PlotWidget()
        self.acc_view = pg.PlotWidget()
        self.log_scale = QCheckBox("Error on a log scale")
        self.log_scale.setChecked(True)
        self.log_scale.setToolTip("Error on a logarithmic axis (L)")
        self.follow_epochs = self.FOLLOW_EPOCHS
        self.follow_latest = QAction(f"Follow the latest {self.follow_epochs} epochs", self)
        self.follow_latest.setCheckable(True)
        self.follow_latest.setToolTip("The error and accuracy plots show only the latest epochs")
        self.loss_plot = self.loss_view.getPlotItem()
        self.acc_plot = self.acc_view.getPlotItem()
        style_plot(self.loss_plot, "Error (loss per item)", "epoch", "mean loss")
        style_plot(self.acc_plot, "Accuracy", "epoch", "share correct")
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.getViewBox().setMouseEnabled(y=False)
        for plot in (self.loss_plot, self.acc_plot):
            plot.disableAutoRange()  # ranges move in steps (see StickyLimit): axes re-render rarely
        self._x_range: tuple | None = None
        self._loss_range: tuple | None = None
        self._seen_lanes = None  # the controller's lane buffers drawn: new ones are a new run (or Reset)
        self._empty: bool | None = None
        self.empty_notes = {"loss": EmptyNote(self.loss_plot), "accuracy": EmptyNote(self.acc_plot)}
        # One train and one test curve per run and plot; a run on its own draws train blue and
        # test vermilion, runs side by side each their own colour, test dashed.
        self.curves = {}
        self.legends = {}
        for plot, key in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            legend = plot.addLegend(offset=(-8, 8) if key == "loss" else (-8, -8), labelTextColor="#111",
                                    brush=pg.mkBrush(255, 255, 255, 210))
            legend.setZValue(10)
            self.legends[key] = legend
            for lane in range(MAX_RUNS):
                for side in ("train", "test"):
                    # Not antialiased: thousands of antialiased points cost tens of ms a frame.
                    # Thinned to the range shown by envelope() (pyqtgraph's own clipping and
                    # downsampling would redo it on every move of the x axis, for every curve).
                    curve = plot.plot(antialias=False)
                    curve.setZValue(-lane)  # run A on top
                    self.curves[(key, side, lane)] = curve
        # A branch's original (see RunController.branch): its train curves, grey, behind the rest.
        self.ghost_curves = {}
        for plot, key in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            curve = plot.plot(antialias=False, pen=pg.mkPen(GHOST, width=pen_width(3), style=Qt.PenStyle.DotLine))
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            curve.setZValue(-10)
            self.ghost_curves[key] = curve
        self._ghost_drawn: tuple | None = None
        self._legend_key: tuple | None = None
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.getAxis("left").setWidth(62)
        # (Wider for long tick labels: a diverged run's "5e+11" ran under the axis label.)
        self.loss_plot.vb.sigYRangeChanged.connect(lambda *_: widen_for_ticks(self.loss_plot.getAxis("left")))
        self.readouts = {key: HoverReadout(plot, self.describe, controller)
                         for key, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot))}
        self._mark_items: list[pg.InfiniteLine] = []
        # The marks' labels: children of the loss plot's view box, placed in its pixels (see
        # _place_mark_labels); each has .marks, the changes it tells of.
        self._mark_labels: list[pg.TextItem] = []
        self._drawn_marks: tuple = ()
        self._placed_key: tuple | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss_view)
        plots.addWidget(self.acc_view)
        box.addWidget(plots, 1)
        self.log_scale.toggled.connect(self._on_log_scale)
        self.follow_latest.toggled.connect(self._on_follow)
        self.loss_plot.vb.sigResized.connect(self._on_resized)
        self.loss_plot.vb.sigXRangeChanged.connect(self._place_mark_labels)
        self._plots = {"loss": self.loss_plot, "accuracy": self.acc_plot}
        # What each plot's curves were thinned for (see _thin_key; None: not drawn since new data).
        self._thinned: dict[str, tuple | None] = {}
        self.accuracy_shown = True  # (see show_accuracy)
        self._rethin_asked = False
        for plot in self._plots.values():
            plot.vb.sigXRangeChanged.connect(self._on_x_shown)
            plot.vb.sigResized.connect(self._on_x_shown)

    @Slot(bool)
    def _on_log_scale(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self._loss_range = None
        self._placed_key = None
        self.refresh()

    @Slot(bool)
    def _on_follow(self, on: bool) -> None:
        self.follow_latest.setText(f"Follow the latest {self.follow_epochs} epochs")
        self._x_range = None
        self._loss_range = None
        self.refresh()

    @Slot()
    def _on_resized(self) -> None:
        self._legend_key = None  # the legend's titles fitted again to the new width
        self._style_curves()
        self._place_mark_labels()

    def _lane_rows(self, index: int) -> np.ndarray:
        lane = self.controller.lanes[index]
        rows = lane.history.rows
        latest = lane.latest
        if latest is not None and latest.now is not None and len(rows) and latest.now[0] > rows[-1, 0]:
            # The epoch in progress, up to the current weights: slow motion and a divergence
            # show it, not only completed epochs.
            rows = np.vstack([rows, latest.now])
        return rows

    #: How many ways _titles has of shortening the legend's titles.
    TITLE_FITS = 4

    def _titles(self, n: int, fit: int) -> list[str]:
        """The runs' legend titles: whole, else on two lines, else the rule only ("A look-back"),
        else the run's letter only (a plot a few letters wide)."""
        c = self.controller
        whole = [c.lane_title(i) for i in range(n)]
        if fit == 0:
            return whole
        if fit == 1:
            return [t.replace(", lr", "<br>&nbsp;&nbsp;&nbsp;lr", 1) for t in whole]
        if fit == 2:
            return [t.split(",")[0] for t in whole]
        return list(RUN_NAMES[:n])

    def _style_curves(self) -> None:
        """Pens and legend entries, when the runs or their settings change (or the plot's width)."""
        c = self.controller
        n = len(c.lanes)
        key = (n,) if n == 1 else tuple(c.lane_title(i) for i in range(n))
        key += (c.ghost[1] if c.ghost is not None else None,)
        if key == self._legend_key:
            return
        self._legend_key = key
        room = self.loss_plot.vb.width() - 16
        for plot_key, legend in self.legends.items():
            for lane in range(MAX_RUNS):
                for side in ("train", "test"):
                    curve = self.curves[(plot_key, side, lane)]
                    if n == 1:
                        pen = pg.mkPen(TRAIN if side == "train" else TEST, width=pen_width(2.5))
                    else:
                        pen = pg.mkPen(LANE_COLOURS[lane], width=pen_width(2.5 if side == "train" else 1),
                                       style=Qt.PenStyle.SolidLine if side == "train" else Qt.PenStyle.DashLine)
                    curve.setPen(pen)
                    curve.setVisible(lane < n)  # unused curves: not painted, not in the bounds
                    if lane >= n:
                        curve.setData([], [])
            # Never wider than the plot: the titles whole, on two lines, or shortened.
            for fit in range(self.TITLE_FITS):
                legend.clear()
                if n == 1:
                    for side in ("train", "test"):
                        legend.addItem(self.curves[(plot_key, side, 0)], side)
                elif plot_key == "loss":  # one legend of the runs is enough; the accuracy plot is beside it
                    for lane, title in enumerate(self._titles(n, fit)):
                        legend.addItem(self.curves[(plot_key, "train", lane)], title)
                    legend.addItem(pg.PlotDataItem(pen=pg.mkPen("#555", width=1.8, style=Qt.PenStyle.DashLine)),
                                   "dashed: test" if fit < self.TITLE_FITS - 1 else "test")
                if c.ghost is not None and plot_key == "loss":
                    ghost = c.ghost[1] if fit < 2 else c.ghost[1][:24] + ("…" if len(c.ghost[1]) > 24 else "")
                    legend.addItem(self.ghost_curves[plot_key], f"train, {ghost}")
                legend.updateSize()
                if n == 1 or room <= 0 or (legend.width() <= room
                                           and legend.height() <= self.loss_plot.vb.height() - 16):
                    break
        self._placed_key = None

    def _check_run(self) -> None:
        """A new run or a Reset: ranges fitted afresh, not kept from the run before."""
        lanes = self.controller.lanes[0] if self.controller.lanes else None
        if lanes is not self._seen_lanes:
            self._seen_lanes = lanes
            self._x_range = None
            self._loss_range = None

    def _show_empty(self, empty: bool) -> None:
        if not switch_empty(self, empty):
            return
        blank_axes(self.acc_plot, empty)
        blank_axes(self.loss_plot, empty, ("bottom",))
        axis = self.loss_plot.getAxis("left")
        if empty:
            axis.setTicks([[], []])
        self._loss_range = None  # its ticks again (see _fit_ranges)

    def show_accuracy(self, on: bool) -> None:
        """Whether the accuracy plot is on screen: out of sight, refresh leaves its curves as
        they are (eight of sixteen with four runs); they are drawn as it comes into sight."""
        self.accuracy_shown = on
        if on and self._thinned.get("accuracy") is None:
            self.refresh()

    def refresh(self, everything: bool = False) -> None:
        """Draw the runs' curves (the accuracy plot's while it is on screen, see show_accuracy,
        or for ``everything``)."""
        accuracy = self.accuracy_shown or everything
        self._check_run()
        self._style_curves()
        c = self.controller
        # Before the first step (a run's first report is its start): no made-up axes, a note.
        self._show_empty(c.latest is None or c.latest.step == 0)
        every = [self._lane_rows(lane) for lane in range(len(self.controller.lanes))]
        ghost = self.controller.ghost
        rows = np.vstack(every + ([ghost[0]] if ghost is not None else []))
        if not self._empty:
            self._fit_ranges(rows[:, 0], rows)  # (first: the curves are thinned to the range shown)
            settle_ranges(*self._plots.values())
        self._thinned = {key: self._thin_key(key) if key == "loss" or accuracy else None for key in self._plots}
        plots = (("loss", ("train_loss", "test_loss")), ("accuracy", ("train_accuracy", "test_accuracy")))
        for lane, rows in enumerate(every):
            epochs = rows[:, 0]
            for key, columns_of in plots if accuracy else plots[:1]:
                for side, column in zip(("train", "test"), columns_of):
                    values = rows[:, HISTORY_COLUMNS.index(column)]
                    curve = self.curves[(key, side, lane)]
                    if len(values) and np.isfinite(values).any():
                        if key == "loss" and self.log_scale.isChecked():
                            values = np.where(values > 0, values, np.nan)
                        shown, columns = self._thinned[key]
                        curve.setData(*envelope(epochs, values, shown, columns), connect="finite")
                    else:
                        curve.setData([], [])
        # Drawn once per branch (or log-scale switch): it does not change while the run goes on.
        ghost_key = (id(ghost[0]) if ghost is not None else None, self.log_scale.isChecked())
        for key, column in (("loss", "train_loss"), ("accuracy", "train_accuracy")):
            curve = self.ghost_curves[key]
            if ghost_key == self._ghost_drawn:
                continue
            if ghost is None:
                curve.setData([], [])
                continue
            values = ghost[0][:, HISTORY_COLUMNS.index(column)]
            if key == "loss" and self.log_scale.isChecked():
                values = np.where(values > 0, values, np.nan)
            curve.setData(ghost[0][:, 0], values, connect="finite")
        self._ghost_drawn = ghost_key
        self._draw_marks()

    def _thin_key(self, key: str) -> tuple[tuple[float, float], int]:
        """The x range plot ``key`` shows and its width in pixels: what its curves are thinned
        for (see :func:`envelope`)."""
        vb = self._plots[key].vb
        left, right = vb.viewRange()[0]
        return (left, right), round(vb.width())

    @Slot()
    def _on_x_shown(self, *_) -> None:
        """A plot's x range or width changed (a zoom, a drag, a resize): its curves thinned again
        once the event is over, if what they were thinned for is not what is shown."""
        if not self._rethin_asked:
            self._rethin_asked = True
            QTimer.singleShot(0, self, self._rethin)

    @Slot()
    def _rethin(self) -> None:
        self._rethin_asked = False
        if any(self._thinned.get(key) not in (None, self._thin_key(key)) for key in self._plots):
            self.refresh()

    def _wanted_x(self, newest: float) -> tuple[float, float]:
        """From 0 (or, following, the latest follow_epochs) to a few per cent past the newest epoch."""
        newest = max(newest, 1.0)
        if self.follow_latest.isChecked() and newest > self.follow_epochs:
            right = snug_ceil(newest, self.follow_epochs)
            return right - self.follow_epochs, right
        return 0.0, snug_ceil(newest)

    def _fit_ranges(self, epochs: np.ndarray, rows: np.ndarray) -> None:
        wanted_x = self._wanted_x(float(np.nanmax(epochs)) if len(epochs) else 1.0)
        if wanted_x != self._x_range:
            self._x_range = wanted_x
            for plot in (self.loss_plot, self.acc_plot):
                plot.setXRange(*wanted_x, padding=0.01)
        if wanted_x[0] > 0:
            rows = rows[epochs >= wanted_x[0]]  # following: the y range fits what is shown
        losses = rows[:, [HISTORY_COLUMNS.index("train_loss"), HISTORY_COLUMNS.index("test_loss")]].ravel()
        losses = losses[np.isfinite(losses)]
        if self.log_scale.isChecked():
            losses = losses[losses > 0]
            if not losses.size:
                return
            low = 1.0 / nice_ceil(1.0 / losses.min())  # 1-2-5 steps below the smallest
            wanted = (math.log10(low), math.log10(max(nice_ceil(losses.max()), 2 * low)))
        else:
            if not losses.size:
                return
            limit = StickyLimit()
            limit.value = self._loss_range[1] if self._loss_range and self._loss_range[0] == 0 else None
            limit.update(float(losses.max()))
            wanted = (0, limit.value)
        if wanted != self._loss_range:
            self._loss_range = wanted
            self.loss_plot.setYRange(*wanted, padding=0.02)
            axis = self.loss_plot.getAxis("left")
            if self.log_scale.isChecked():
                # Labels at 1-2-5 values only: pyqtgraph's own log ticks crowd 0.2 … 0.9 together.
                values = [m * 10.0**e for e in range(math.floor(wanted[0]) - 1, math.ceil(wanted[1]) + 1)
                          for m in (1, 2, 5)]
                shown = [v for v in values if wanted[0] - 1e-9 <= math.log10(v) <= wanted[1] + 1e-9]
                axis.setTicks([[(math.log10(v), f"{v:g}") for v in shown], []])
            else:
                axis.setTicks(None)
            self._placed_key = None

    def _draw_marks(self) -> None:
        marks = tuple(self.controller.marks)[-MARKS_SHOWN:]
        if marks == self._drawn_marks:
            return
        for item in self._mark_items:
            item.getViewBox().removeItem(item) if item.getViewBox() else None
        self._mark_items = []
        per_epoch = self.controller.steps_per_epoch  # (a mark's step counts updates)
        for plot in (self.loss_plot, self.acc_plot):
            for mark in marks:
                line = pg.InfiniteLine(pos=mark.step / per_epoch, angle=90, pen=pg.mkPen(MARK, width=pen_width(1.5),
                                                                              style=Qt.PenStyle.DashLine))
                plot.addItem(line, ignoreBounds=True)
                self._mark_items.append(line)
        self._drawn_marks = marks
        self._placed_key = None
        self._place_mark_labels()

    #: Marks of one setting of one run this close together (pixels) share one label.
    MERGE_PX = 70

    def _mark_groups(self, marks: tuple, x_of) -> list[tuple]:
        """Marks in step order, those of one run's setting close together merged: [(marks, text)]."""
        named = self.controller.comparing
        groups: list[list] = []
        for mark in sorted(marks, key=lambda m: m.step):
            last = groups[-1] if groups else None
            if (last is not None and (last[-1].lane, last[-1].setting) == (mark.lane, mark.setting)
                    and x_of(mark) - x_of(last[-1]) < self.MERGE_PX):
                last.append(mark)
            else:
                groups.append([mark])
        out = []
        for group in groups:
            if len(group) == 1:
                text = group[0].label(named)
            else:
                first, last = group[0], group[-1]
                start = first.previous if first.previous is not None else first.value
                text = (f"{first.run + ': ' if named else ''}{first.setting} ×{len(group)} changes, "
                        f"{start:g} → {last.value:g}")
            out.append((tuple(group), text))
        return out

    def mark_label_rects(self) -> list[QRectF]:
        """The shown marks' labels, as scene rectangles (for tests and for placing)."""
        return [item.mapRectToScene(item.boundingRect()) for item in self._mark_labels if item.isVisible()]

    @Slot()
    def _place_mark_labels(self, *_) -> None:
        """The marks' labels in rows from the top of the error plot: none over another or over
        the legend; one run's setting changed again and again says so in one label."""
        vb = self.loss_plot.vb
        legend = self.legends["loss"]
        key = (self._drawn_marks, vb.width(), vb.height(), tuple(vb.viewRange()[0]), legend.width(),
               legend.height(), presenting())
        if key == self._placed_key:
            return
        self._placed_key = key
        for item in self._mark_labels:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self._mark_labels = []
        marks = self._drawn_marks
        if not marks or vb.width() <= 0:
            return
        per_epoch = self.controller.steps_per_epoch

        def x_of(mark) -> float:
            return vb.mapFromView(QPointF(mark.step / per_epoch, 0)).x()

        font = QFont(self.font())
        if presenting():
            font.setPointSizeF(PRESENTATION_TICK_PT - 2)
        taken = [legend.mapRectToItem(vb, legend.boundingRect()).adjusted(-2, -2, 2, 2)] if legend.isVisible() and \
            legend.items else []
        left_over = []
        # The newest first: they are the ones to read.
        for group, text in reversed(self._mark_groups(marks, x_of)):
            x = x_of(group[0]) if len(group) == 1 else x_of(group[-1])
            if x < 0 or x > vb.width():
                continue  # outside the x range shown (following the latest epochs)
            item = pg.TextItem(text, color=MARK, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 215))
            item.setFont(font)
            size = item.boundingRect().size()  # (unscaled: its parent, the view box, is in pixels)
            width, height = size.width() + 1, size.height() + 1
            left = x + 3 if x + 3 + width <= vb.width() else x - 3 - width
            rows = max(1, int((vb.height() - 4) // height))  # down the whole plot if need be
            for row in range(rows):
                rect = QRectF(max(left, 0.0), 2 + row * height, width, height)
                if not any(rect.intersects(other) for other in taken):
                    break
            else:
                left_over.extend(group)
                continue
            taken.append(rect)
            item.setParentItem(vb)
            item.setZValue(15)
            item.setPos(rect.topLeft())
            item.marks = group
            self._mark_labels.append(item)
        for line in self._mark_items:
            line.setToolTip("")
        if left_over:  # no room: said where the lines are, on hovering
            for line in self._mark_items:
                line.setToolTip("\n".join(m.label(self.controller.comparing) for m in left_over))

    def describe(self, point: QPointF) -> tuple[str, str] | None:
        """The hover readout at ``point``: the nearest epoch drawn, each run's losses and accuracies
        there and the settings in force (rule, lr, momentum); at length, and in a line per run."""
        c = self.controller
        rows = self._lane_rows(0) if c.lanes else np.empty((0, len(HISTORY_COLUMNS)))
        if not len(rows) or self._empty:
            return None
        epoch = rows[nearest_index(rows[:, 0], point.x()), 0]
        long, compact = [f"epoch {epoch:g}: loss / accuracy"], [f"epoch {epoch:g}: loss / accuracy"]
        for lane in range(len(c.lanes)):
            lane_rows = self._lane_rows(lane)
            found = np.flatnonzero(lane_rows[:, 0] == epoch)
            name = f"{RUN_NAMES[lane]}  " if c.comparing else ""
            if not found.size:
                long.append(f"{name}stopped before (diverged)")
                compact.append(long[-1])
                continue
            row = lane_rows[found[0]]
            rule = rule_name(c.config.lanes[lane].rule)
            values = f"train {row[1]:.4g} / {row[2]:.1%}"
            if np.isfinite(row[3]):
                values += f"   test {row[3]:.4g} / {row[4]:.1%}"
            long += [f"{name}{rule}, lr {row[5]:g}, momentum {row[6]:g}", f"{' ' * len(name)}{values}"]
            compact.append(f"{name}{rule}, lr {row[5]:g}, m {row[6]:g}: {values}")
        return "\n".join(long), "\n".join(compact)



#: What the parameter list's sign-flip tint says (its tooltips, the README's words).
FLIP_MEANING = ("high while a weight jitters around a settled value; it is not a stability warning: "
                "see the stability readout")
#: The tint at full strength: a pale grey-teal, no warning colour (and neither of the heatmap's
#: red + and blue -).
FLIP_TINT = QColor(168, 205, 200)
#: A flip rate of this or more tints a row fully (0.5: the sign of the next delta is a coin toss).
FLIP_FULL = 0.5


def flip_tint(rate: float) -> QColor:
    """A parameter row's background for its deltas' sign-flip rate: white at 0 (a weight still on
    its way, every step the same sign), towards :data:`FLIP_TINT` as the rate rises to
    :data:`FLIP_FULL`; white for NaN (no change)."""
    share = min(max(rate, 0.0), FLIP_FULL) / FLIP_FULL if rate == rate else 0.0
    return QColor(*(round(255 + (end - 255) * share) for end in FLIP_TINT.getRgb()[:3]))


class DeltaPanel(QWidget):
    """Every parameter's recent deltas as a heatmap, and the picked ones as traces.

    Runs side by side: the first picked parameter of each run, one lane per run (A on top),
    all lanes on one shared scale. The heatmap's colours scale as ``heat_scaling`` says
    (a QComboBox: one scale, a scale per group of parameters, or per parameter).
    """

    MAX_PICKS = 6
    #: heat_scaling's choices, in its order.
    HEAT_SCALES = ("one", "group", "parameter")
    #: Lanes' centres this many half-ranges apart (lane k spans its centre ± the limit).
    LANE_GAP = 2.5

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.weights = QListWidget()
        self.weights.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.weights.setToolTip("Pick up to 6 parameters to trace (Ctrl+click for several)")
        self.trace_view = pg.PlotWidget()
        self.trace_plot = self.trace_view.getPlotItem()
        style_plot(self.trace_plot, "Deltas, picked", "steps before the latest", "delta")
        self.trace_plot.addLegend(offset=(8, 4), labelTextColor="#111", brush=pg.mkBrush(255, 255, 255, 160),
                                  colCount=3)
        self.traces: list[pg.PlotDataItem] = []
        self._lane_items: list = []  # zero lines and run names of the lanes
        self.heat_view = pg.PlotWidget()
        self._heat_stale = False  # (left out by refresh since the latest deltas came)
        self._heat_text = ""  # (the caption's words on the heatmap's colours, as last drawn)
        self._steps_text = ""  # (the caption's words on the steps shown)
        self.heat_shown = True  # (see show_heatmap)
        self.heat_plot = self.heat_view.getPlotItem()
        style_plot(self.heat_plot, "Deltas, all", "steps before the latest", "")
        self.heat_plot.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        colours = pg.colormap.get("CET-D1")  # diverging blue–white–red
        self.image.setColorMap(colours)
        self.heat_plot.addItem(self.image)
        # The colour bar: in the heatmap's own plot (it goes where heat_view goes).
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=colours, interactive=False, width=12)
        self.colour_bar.axis.setStyle(maxTickLevel=1)
        self.colour_bar.axis.setTextPen("#111")
        self.colour_bar.axis.setPen("#333")
        self.heat_plot.layout.addItem(self.colour_bar, 2, 3)
        # (pyqtgraph draws a right axis's label a few pixels past the axis: room for it.)
        self.colour_bar.layout.setContentsMargins(0, 0, 8, 0)
        self.heat_scaling = QComboBox()
        self.heat_scaling.addItems(list(self.HEAT_SCALE_TEXTS[0]))
        self.heat_scaling.installEventFilter(self)  # (its texts fitted to its width: see eventFilter)
        self.heat_scaling.setToolTip("How the heatmap's colours are scaled: one scale for all deltas (the "
                                     "largest wash the rest out), or each group of parameters (or each "
                                     "parameter) to its own 97th percentile")
        self.heat_scaling.setCurrentIndex(1)
        for plot in (self.trace_plot, self.heat_plot):
            # Steps before the latest, in small 1-2-5 jumps: the axis re-renders rarely, and slow
            # motion's few steps fill the plot.
            plot.disableAutoRange(axis="x")
        self._steps_shown: float | None = None
        self.trace_plot.disableAutoRange(axis="y")
        self._trace_limit = StickyLimit()
        self._trace_key: tuple | None = None
        self._heat_limit = StickyLimit()
        self._group_limits: list[StickyLimit] = []
        self._heat_ticks: tuple | None = None
        self._heat_scales: list[float] | None = None  # the scales the rows' names give
        self._seen_lanes = None
        self.empty_notes = {"trace": EmptyNote(self.trace_plot), "heat": EmptyNote(self.heat_plot)}
        self._empty: bool | None = None
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        # self.weights, the list to pick from, is placed by the window (in the control dock).
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.trace_view)
        split.addWidget(self.heat_view)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(split, 1)
        row = QHBoxLayout()
        row.addWidget(self.caption, 1)
        row.addWidget(self.heat_scaling)
        box.addLayout(row)
        self._layout_key = None
        self._traced_lanes = 1
        # The deltas drawn last, each lane's (steps, rows), and the newest step: what the readouts read.
        self._kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._newest = 0
        # (The lanes' labels fitted again to a new height: the layout changes in lecture mode.)
        self.trace_plot.vb.sigResized.connect(lambda *_: self._fit_traces() if self._trace_key else None)
        self.trace_plot.vb.geometryChanged.connect(self._place_lane_names)
        self.trace_plot.vb.sigYRangeChanged.connect(self._place_lane_names)
        self.heat_plot.vb.sigResized.connect(self._on_heat_resized)
        self._step_ticks_key: tuple | None = None
        self.heat_plot.vb.sigXRangeChanged.connect(self._fit_heat_steps)
        self.heat_plot.getAxis("bottom").geometryChanged.connect(self._fit_heat_steps)
        self.colour_bar.axis.geometryChanged.connect(self._fit_bar_label)
        self.heat_plot.vb.sigYRangeChanged.connect(self._on_heat_resized)
        self.readouts = {"trace": HoverReadout(self.trace_plot, self.describe_trace, controller),
                         "heat": HoverReadout(self.heat_plot, self.describe_heat, controller)}
        self.weights.itemSelectionChanged.connect(self._on_pick)
        self.heat_scaling.currentIndexChanged.connect(self._on_heat_scaling)

    #: heat_scaling's texts, ever shorter: the longest that fit its width are shown.
    HEAT_SCALE_TEXTS = (("Heatmap: one colour scale", "Heatmap: a scale per group", "Heatmap: a scale per parameter"),
                        ("One colour scale", "A scale per group", "A scale per parameter"),
                        ("One scale", "Per group", "Per parameter"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.heat_scaling and event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange,
                                                             QEvent.Type.StyleChange, QEvent.Type.Show):
            fit_combo_texts(self.heat_scaling, self.HEAT_SCALE_TEXTS)
        return super().eventFilter(watched, event)

    def show_heatmap(self, on: bool) -> None:
        """Whether the heatmap is on screen (the window says, as its tab is chosen or left): the
        caption tells of its colours only then; it is drawn as it comes into sight if refresh
        left it out (see draw_stale_heatmap)."""
        self.heat_shown = on
        if on:
            self.draw_stale_heatmap()
        self._show_caption()

    def draw_stale_heatmap(self) -> None:
        """The heatmap from the latest deltas, if refresh left it out since they came."""
        if self._heat_stale and self._kept:
            self._heat_stale = False
            self._draw_heatmap(*self._kept[0])
            self._fit_heat_steps()
            self._show_caption()

    @property
    def heat_scale(self) -> str:
        """"one", "group" or "parameter" (see heat_scaling)."""
        return self.HEAT_SCALES[max(self.heat_scaling.currentIndex(), 0)]

    @Slot(int)
    def _on_heat_scaling(self, _index: int) -> None:
        self._heat_limit = StickyLimit()
        self._group_limits = []
        self._heat_ticks = None
        self.refresh()

    def _groups(self) -> tuple[np.ndarray, tuple[str, ...]]:
        layout = self.controller.layout
        starts = np.cumsum([0] + [int(np.prod(s)) for s in layout.shapes.values()])
        return starts, ("in→hidden", "hidden bias", "hidden→out", "out bias")

    #: The step axis's label, ever shorter (a narrow heatmap's).
    STEPS_WORDINGS = ["steps before the latest", "steps back", "steps"]
    #: The groups' names where the full ones leave the heatmap too little room (lecture mode's text).
    SHORT_GROUPS = ("in→h", "h bias", "h→out", "out bias")
    #: The least width (pixels) the heatmap's image keeps.
    HEAT_IMAGE_PX = 80

    def _rebuild_list(self) -> None:
        layout = self.controller.layout
        key = (layout.n_inputs, layout.n_hidden, layout.n_outputs)
        if key == self._layout_key:
            return
        self._layout_key = key
        d = self.controller.dataset
        self.weights.blockSignals(True)
        self.weights.clear()
        for label in layout.labels(d.feature_names, d.class_names, short=True):
            self.weights.addItem(QListWidgetItem(label))
        # A first weight of each layer and an output bias: a useful default to watch.
        n_ih = layout.n_inputs * layout.n_hidden
        defaults = [0, n_ih + layout.n_hidden, layout.n_params - 1]
        for i in defaults:
            self.weights.item(i).setSelected(True)
        self.weights.blockSignals(False)
        self._on_pick()
        starts, _ = self._groups()
        self._heat_ticks = None
        self._group_limits = []
        for item in getattr(self, "_group_lines", []):
            self.heat_plot.removeItem(item)
        self._group_lines = [self.heat_plot.addLine(y=s - 0.5, pen=pg.mkPen("#444", width=1)) for s in starts[1:-1]]
        self._set_group_ticks(None)

    def _set_group_ticks(self, scales: list[float] | None) -> None:
        """The heatmap's groups named on its left axis, each with its full-colour value when each
        group has its own: in the mode's size (a little smaller than other ticks in lecture mode: four
        long names share the heatmap's width), shortened, then their scales put under them, where they
        would leave the image too little of the view's width; the scales left out (said in the axis's
        tooltip), then the smaller groups' names, where the names would run into each other in a short
        heatmap. A name stands at its group's middle row, or as near as the others leave room for."""
        self._heat_scales = scales
        starts, names = self._groups()
        axis = self.heat_plot.getAxis("left")
        font = QFont(axis.font())
        font.setPointSizeF(mode_pt(font.pointSizeF(), PRESENTATION_ROWS_PT))
        metrics = QFontMetrics(font)
        # (The image at least as wide as two step labels and the room between, lecture mode's too.)
        steps = self.heat_plot.getAxis("bottom")
        step_label = QFontMetrics(steps.style.get("tickFont") or steps.font()).horizontalAdvance(
            f"{-(self._steps_shown or 1000):g}")
        image = max(self.HEAT_IMAGE_PX, 2 * step_label + 3 * TICK_GAP_PX)
        room = self.heat_view.width() - self.colour_bar.width() - image - 18
        length = self.heat_plot.vb.height()
        low, high = self.heat_plot.vb.viewRange()[1]
        middles = [(a + b - 1) / 2 for a, b in zip(starts[:-1], starts[1:])]
        # (The y axis runs down: its range's low end at the top.)
        wanted = [(m - low) / (high - low) * length if high > low else 0.0 for m in middles]
        wordings = [(names, " "), (self.SHORT_GROUPS, " "), (self.SHORT_GROUPS, "\n")]
        if scales is not None:
            wordings = [tuple(f"{n}{joint}±{s:.2g}" for n, s in zip(group, scales)) for group, joint in wordings]
            wordings += [names, self.SHORT_GROUPS]  # (the scales in the tooltip)
        else:
            wordings = [group for group, _ in wordings[:2]]
        wide = [w for w in wordings if self._names_width(metrics, w) <= room] or wordings[-1:]
        # The fewest names dropped, then the longest wording: the first that fits.
        shown, placed = wide[-1], None
        keep = list(range(len(names)))
        # (The ends' names kept longest: the axis labelled at both ends; then the larger groups.)
        order = sorted(range(1, len(names) - 1), key=lambda k: starts[k + 1] - starts[k])
        while placed is None:
            for wording in wide:
                placed = self._spread([wanted[k] for k in keep],
                                      [tick_extent(metrics, wording[k], True) for k in keep], length)
                if placed is not None:
                    shown = wording
                    break
            if placed is None:
                if not order or length <= 0:
                    placed = [wanted[k] for k in keep]  # (too short for them all: as they fall)
                    break
                keep.remove(order.pop(0))
        ticks = [(low + p / length * (high - low) if length > 0 else middles[k], shown[k])
                 for k, p in zip(keep, placed)]
        tip = ("Full colour of each group: " + ", ".join(f"{n} ±{s:.2g}" for n, s in zip(names, scales))
               if scales is not None and "±" not in shown[0] else "")
        key = (tuple(starts), tuple(round(v, 3) for v, _ in ticks), tuple(shown), presenting(), tip)
        if key == self._heat_ticks:
            return
        self._heat_ticks = key
        axis.setTicks([ticks, []])
        axis.setStyle(tickFont=font)
        axis.setToolTip(tip)
        # pyqtgraph widens an axis for its labels only after drawing them once; say it now.
        axis.setWidth(self._names_width(metrics, shown) + 18)
        refit(self.heat_plot)

    #: Pixels kept between two names on the heatmap's left axis.
    NAME_GAP_PX = 6

    @classmethod
    def _spread(cls, wanted: list[float], sizes: list[float], length: float) -> list[float] | None:
        """Centres for labels ``sizes`` long (in order down an axis ``length`` pixels long), each
        as near its ``wanted`` centre as the others leave it, none nearer the next than NAME_GAP_PX
        nor past an end; None where they cannot all fit."""
        if sum(sizes) + cls.NAME_GAP_PX * (len(sizes) - 1) > length:
            return None
        placed, edge = [], 0.0
        for centre, size in zip(wanted, sizes):  # down, each clear of the one above
            placed.append(max(centre, edge + size / 2))
            edge = placed[-1] + size / 2 + cls.NAME_GAP_PX
        edge = length
        for k in reversed(range(len(placed))):  # up, each clear of the one below
            placed[k] = min(placed[k], edge - sizes[k] / 2)
            edge = placed[k] - sizes[k] / 2 - cls.NAME_GAP_PX
        return placed

    @staticmethod
    def _names_width(metrics: QFontMetrics, names: tuple[str, ...]) -> int:
        """The widest line of the rows' names."""
        return max(metrics.horizontalAdvance(line) for name in names for line in name.split("\n"))

    @Slot()
    def _on_pick(self) -> None:
        self._build_traces()
        self.refresh()

    def restyle(self) -> None:
        """Traces again at the current line width (lecture mode on or off), the heatmap's row
        names and colour bar in the mode's text size."""
        self._build_traces()
        self._heat_ticks = None
        self._trace_key = None
        if getattr(self, "_bar_shown", None) is not None:
            self._show_bar(self._bar_shown)  # (its ticks and label in the mode's size)

    def _build_traces(self) -> None:
        """A trace per picked parameter; runs side by side: the first picked one in each run."""
        rows = sorted(self.weights.row(item) for item in self.weights.selectedItems())[: self.MAX_PICKS]
        for curve in self.traces:
            self.trace_plot.removeItem(curve)
        self.trace_plot.legend.clear()
        self.traces = []
        lanes = len(self.controller.lanes)
        self._traced_lanes = lanes
        if lanes > 1 and rows:
            name = self.weights.item(rows[0]).text().split("  ")[0]
            titles = [f"Deltas of {name}, one lane per run", f"Deltas of {name} by run", f"{name} by run"]
            picks = [(rows[0], lane, RUN_NAMES[lane], LANE_COLOURS[lane]) for lane in range(lanes)]
        else:
            titles = ["Deltas, picked"]
            picks = [(row, 0, self.weights.item(row).text().split("  ")[0], PALETTE[k % len(PALETTE)])
                     for k, row in enumerate(rows)]
        show_title_words(self.trace_plot, titles)
        show_title_words(self.heat_plot, ["Deltas, all (run A)", "Deltas (run A)", "Run A"] if self.controller.comparing
                         else ["Deltas, all", "Deltas"])
        for row, lane, name, colour in picks:
            # No antialiasing: 2,000-point traces antialiased cost ~16 ms a frame each.
            curve = self.trace_plot.plot(pen=pg.mkPen(colour, width=pen_width(1.5)), antialias=False)
            if lanes == 1:
                self.trace_plot.legend.addItem(curve, name)
            curve.row, curve.lane = row, lane
            self.traces.append(curve)
        self._trace_key = None

    @property
    def lanes_shown(self) -> int:
        """Lanes of the trace plot: one per run when runs are compared, else one."""
        return len({curve.lane for curve in self.traces}) or 1

    def lane_centre(self, lane: int) -> float:
        """The y of lane ``lane``'s zero line (A's at 0, the others below)."""
        return -lane * self.LANE_GAP * (self._trace_limit.value or 1.0)

    def _fit_traces(self) -> None:
        """The trace plot's y range, ticks and lanes, when the limit, lanes, x range or size change.

        Each lane's ± half limit labelled (the lanes share one scale), its 0 a tick; where lecture
        mode's large text leaves too little height for all of them, first the top lane's + and the
        bottom lane's - labels, then those that do not run into labels kept before them. The lanes'
        names stand right of the data (over it, they hid the traces' start)."""
        limit = self._trace_limit.value or 1.0
        n = self.lanes_shown
        plot = self.trace_plot
        titles = tuple(self.controller.lane_title(lane) if lane < len(self.controller.lanes) else RUN_NAMES[lane]
                       for lane in range(n)) if n > 1 else ()
        key = (limit, n, self._steps_shown, presenting(), round(plot.vb.height()), round(plot.vb.width()), titles,
               self.trace_view.width())
        if key == self._trace_key:
            return
        self._trace_key = key
        for item in self._lane_items:
            if getattr(item, "lane", None) is None:
                plot.removeItem(item)
            else:  # (a name: a child of the plot, beside its view box)
                item.setParentItem(None)
                if item.scene() is not None:
                    item.scene().removeItem(item)
        self._lane_items = []
        bottom = self.lane_centre(n - 1) - limit
        plot.setYRange(bottom, limit, padding=0.02)
        axis = plot.getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        # Labels this far apart (pixels) at least, or they run into each other.
        label_px = tick_extent(metrics, "0", True) + 2
        per_limit = max(plot.vb.height(), 1.0) / ((limit - bottom) * 1.04 / limit)  # (pixels a limit)
        major, minor = [], []
        if n == 1:
            values = (1, 0.5, 0, -0.5, -1) if label_px <= per_limit / 2 else (1, 0, -1)
            major += [(v * limit, f"{v * limit:g}") for v in values]
        else:
            wanted = [(0, 1), (n - 1, -1), (0, -1), (n - 1, 1)] + [(k, sign) for k in range(1, n - 1)
                                                                     for sign in (1, -1)]
            for lane, sign in wanted:
                value = self.lane_centre(lane) + sign * limit / 2
                clear = all(abs(value - other) / limit * per_limit >= label_px for other, _ in major)
                (major if clear else minor).append((value, f"{sign * limit / 2:g}"))
            minor += [(self.lane_centre(lane), "") for lane in range(n)]
        for lane in range(n):
            centre = self.lane_centre(lane)
            line = pg.InfiniteLine(pos=centre, angle=0, pen=pg.mkPen("#888", width=1))
            plot.addItem(line, ignoreBounds=True)
            self._lane_items.append(line)
            if lane:
                edge = pg.InfiniteLine(pos=centre + self.LANE_GAP * limit / 2, angle=0,
                                       pen=pg.mkPen("#bbb", width=1, style=Qt.PenStyle.DotLine))
                plot.addItem(edge, ignoreBounds=True)
                self._lane_items.append(edge)
        axis.setTicks([sorted(major), [(v, "") for v, _ in minor]])
        fit_axis_width(axis, [text for _, text in major])
        self._name_lanes(titles)

    #: The lanes' names take at most this share of the trace view's width (else shorter ones).
    LANE_NAMES_SHARE = 0.24

    def _name_lanes(self, titles: tuple[str, ...]) -> None:
        """Each lane's run named in its colour right of the data, level with its zero line: its
        title ("A look-back, lr 0.01, m 0.5"), else its letter and rule, else its letter, the longest
        that leave the data most of the width."""
        plot = self.trace_plot
        right = plot.getAxis("right")
        if not titles:
            plot.hideAxis("right")
            return
        room = self.LANE_NAMES_SHARE * self.trace_view.width()
        for names in (titles, tuple(t.split(",")[0] for t in titles), tuple(RUN_NAMES[:len(titles)])):
            items = [plot_text(name, lecture_pt=PRESENTATION_ROWS_PT, color=LANE_COLOURS[lane], anchor=(0, 0.5))
                     for lane, name in enumerate(names)]
            widest = max(item.boundingRect().width() for item in items)
            if widest <= room:
                break
        # (An axis of no values and no line: the room the names stand in, in the plot's layout.)
        plot.showAxis("right")
        right.setStyle(showValues=False, tickLength=0)
        right.setPen(pg.mkPen(None))
        right.setWidth(int(widest) + 2)
        for lane, item in enumerate(items):
            item.setParentItem(plot)
            item.lane = lane
            self._lane_items.append(item)
        self._place_lane_names()

    def _place_lane_names(self, *_) -> None:
        """The lanes' names level with their zero lines, right of the view box."""
        vb = self.trace_plot.vb
        right = vb.geometry().right()
        for item in self._lane_items:
            if getattr(item, "lane", None) is not None:
                centre = vb.mapToParent(vb.mapFromView(QPointF(0, self.lane_centre(item.lane))))
                item.setPos(right + 1, centre.y())

    def tint(self) -> None:
        """Tint each parameter by how often its deltas change sign (:func:`flip_tint`); the tooltip
        says more. A high rate is a weight jittering about a settled value, not instability (a run
        that thrashes saturates its units, and their deltas hardly flip: Iris at lr 50 flips under
        1 % of its steps, a converged look-back run some 30 %). (Apart from :meth:`refresh`: it
        takes some 7 ms for Iris's 2,000 steps, and the window gives it a tick of its own.)"""
        self._rebuild_list()
        ring = self.controller.deltas
        d = np.empty((0, 0))
        if len(ring):
            steps, rows = ring.latest()
            gaps = np.flatnonzero(np.diff(steps) > 1)
            d = rows[(gaps[-1] + 1 if gaps.size else 0):]  # the latest unbroken run of steps
        if d.shape[0] < 4:  # (a new run, a Reset: no tint of the run before)
            for i in range(self.weights.count()):
                self.weights.item(i).setBackground(QBrush())
                self.weights.item(i).setToolTip("")
            return
        latest = self.controller.latest
        cfg = self.controller.config
        diag = delta_diagnostics(d, gradient_steps(d, cfg.rule, latest.momentum if latest else cfg.momentum))
        for i in range(min(self.weights.count(), d.shape[1])):
            item = self.weights.item(i)
            rate = diag["sign_flip_rate"][i]
            item.setBackground(flip_tint(rate))
            item.setToolTip(
                f"Over the latest {d.shape[0]:,} steps: the delta changes sign {rate:.0%} of the time, "
                f"{FLIP_MEANING}; the actual change is {diag['effective_step'][i]:.2f} × lr × gradient "
                f"({diag['momentum_share'][i]:.0%} of it from momentum)." if np.isfinite(rate) else
                "No change in the latest steps.")

    def _show_empty(self, empty: bool) -> None:
        if not switch_empty(self, empty):
            return
        blank_axes(self.heat_plot, empty, ("bottom",))
        self._step_ticks_key = None  # (its labels again: see _fit_heat_steps)
        blank_axes(self.trace_plot, empty, ("bottom",))
        if empty:
            self.trace_plot.getAxis("left").setTicks([[], []])
            self._trace_key = None
        self.colour_bar.setVisible(not empty)

    def refresh(self, heatmap: bool = True) -> None:
        """Draw the latest deltas, and the heatmap if ``heatmap`` (the window leaves it out of
        sight and draws it as it comes into sight: see draw_stale_heatmap)."""
        self._rebuild_list()
        if len(self.controller.lanes) != self._traced_lanes:
            self._build_traces()
        lanes = self.controller.lanes[0] if self.controller.lanes else None
        if lanes is not self._seen_lanes:  # a new run or a Reset: ranges fitted afresh
            self._seen_lanes = lanes
            self._steps_shown = None
            self._trace_limit = StickyLimit()
            self._heat_limit = StickyLimit()
            self._group_limits = []
            self._trace_key = None
        ring = self.controller.deltas
        self._show_empty(not len(ring))
        self._kept = {}
        if not len(ring):
            for curve in self.traces:
                curve.setData([], [])
            self.image.clear()
            self._steps_text = ""
            self.caption.setText("No steps yet: press Start (Space) or Step (N).")
            return
        steps, rows = ring.latest()
        # Runs side by side stand at the same step, unless some diverged and stopped: the
        # x axis counts back from the newest step of any run.
        # (Each ring read once: a read gathers every kept row, about 1 MB for Iris.)
        kept = {0: (steps, rows)}
        for index, lane in enumerate(self.controller.lanes[1:], 1):
            if any(curve.lane == index for curve in self.traces):
                kept[index] = lane.deltas.latest()
        newest = max((int(s[-1]) for s, _ in kept.values() if s.size), default=0)
        self._kept, self._newest = kept, newest
        largest = 0.0
        data = []
        for curve in self.traces:
            lane_steps, lane_rows = kept[curve.lane]
            if not lane_steps.size:
                data.append(None)
                continue
            y = lane_rows[:, curve.row].copy()
            size = float(np.nanmax(np.abs(y))) if np.isfinite(y).any() else 0.0
            largest = max(largest, size if math.isfinite(size) else 0.0)
            if self.lanes_shown == 1:
                curve.setZValue(-size)  # the smallest on top: a big trace does not hide the others
            # A gap in the step numbers (flat out, steps between batches are not sent) breaks the lines.
            y[np.flatnonzero(np.diff(lane_steps) > 1)] = np.nan
            data.append(((lane_steps - newest).astype(float), y))
        gaps = np.flatnonzero(np.diff(steps) > 1)
        shown = snug_ceil(float(len(steps)))
        if shown != self._steps_shown:
            self._steps_shown = shown
            for plot in (self.trace_plot, self.heat_plot):
                plot.setXRange(-shown, 0, padding=0.01)
            self._on_heat_resized()
        self._trace_limit.update(largest or 1e-12)
        self._fit_traces()
        for curve, xy in zip(self.traces, data):
            if xy is None:
                curve.setData([], [])
            else:
                # Each run in its own lane: its deltas about its lane's zero line.
                curve.setData(xy[0], xy[1] + self.lane_centre(curve.lane) if self.lanes_shown > 1 else xy[1],
                              connect="finite")
        self._heat_stale = not heatmap
        if heatmap:
            self._draw_heatmap(steps, rows)
            self._fit_heat_steps()
        settle_ranges(self.trace_plot, self.heat_plot)
        self._steps_text = (f"Latest {len(steps):,} steps, to step {int(steps[-1]):,}"
                            + (" (flat out: the steps just before each redraw)" if len(gaps) else ""))
        self._show_caption()

    def _show_caption(self) -> None:
        """The caption: the steps shown, and the heatmap's colours while it is drawn (out of
        sight, the lecture layout's caption told of a heatmap no one saw)."""
        if not self._steps_text:
            return
        heat = self._heat_text and not self._heat_stale and self.heat_shown
        self.caption.setText(self._steps_text + (".  Heatmap: red +, blue −, " + self._heat_text if heat else "")
                             + ".")

    def _on_heat_resized(self, *_) -> None:
        """The narrow heatmap's step labels spread (see spread_ticks), its rows' names fitted."""
        self._fit_heat_steps()
        self._fit_bar_label()
        fit_axis_words(self.heat_plot, "bottom", self.STEPS_WORDINGS)
        if self._heat_ticks is not None:
            self._set_group_ticks(self._heat_scales)

    def _fit_heat_steps(self, *_) -> None:
        """The heatmap's step labels, whole, apart and at both ends (see spread_ticks), when its range,
        length or text size change."""
        axis = self.heat_plot.getAxis("bottom")
        if self._empty or not self._steps_shown:
            return
        font = axis.style.get("tickFont") or axis.font()
        key = (tuple(axis.range), axis.width(), font.pointSizeF())
        if key != self._step_ticks_key:
            self._step_ticks_key = key
            axis.setTicks([spread_ticks(axis), []])

    def _parameter(self, row: int) -> str:
        item = self.weights.item(row)
        return item.text() if item is not None else f"parameter {row}"

    def describe_trace(self, point: QPointF) -> str | None:
        """The hover readout of the traces: the trace nearest the mouse at its step (run, parameter,
        step, delta)."""
        best = None
        for curve in self.traces:
            steps, rows = self._kept.get(curve.lane, (np.empty(0), None))
            if not steps.size:
                continue
            k = nearest_index(steps - self._newest, point.x())
            value = float(rows[k, curve.row])
            drawn = value + self.lane_centre(curve.lane) if self.lanes_shown > 1 else value
            distance = abs(drawn - point.y()) if math.isfinite(drawn) else math.inf
            if best is None or distance < best[0]:
                best = (distance, curve, int(steps[k]), value)
        if best is None:
            return None
        _, curve, step, value = best
        run = f"run {RUN_NAMES[curve.lane]}: " if self.controller.comparing else ""
        return f"{run}{self._parameter(curve.row)}\nstep {step:,}\ndelta {value:.4g}"

    def describe_heat(self, point: QPointF) -> str | None:
        """The hover readout of the heatmap: the cell under the mouse (parameter, step, delta)."""
        steps, rows = self._kept.get(0, (np.empty(0), None))
        n = len(steps)
        k, row = math.floor(point.x() + n - 0.5), math.floor(point.y() + 0.5)
        if not (0 <= k < n and 0 <= row < rows.shape[1]):
            return None
        run = "run A: " if self.controller.comparing else ""
        return f"{run}{self._parameter(row)}\nstep {int(steps[k]):,}\ndelta {rows[k, row]:.4g}"

    def _draw_heatmap(self, steps: np.ndarray, rows: np.ndarray) -> None:
        # The 97th percentile: a few outliers do not wash the rest out to white.
        # (Every 4th step is enough to place the 97th percentile.)
        sample = np.abs(rows[::4])
        scale = self.heat_scale
        if scale == "one":
            self._heat_limit.update(float(np.percentile(sample, 97)) or 1e-12)
            limit = self._heat_limit.value
            image, levels = rows.T, (-limit, limit)
            self._set_group_ticks(None)
            self._heat_text = f"full colour at ±{limit:g}"
            bar = ("delta", levels)
        else:
            starts, _ = self._groups()
            if scale == "group":
                if len(self._group_limits) != len(starts) - 1:
                    self._group_limits = [StickyLimit() for _ in starts[1:]]
                limits = []
                for limit, a, b in zip(self._group_limits, starts[:-1], starts[1:]):
                    limit.update(float(np.percentile(sample[:, a:b], 97)) or 1e-12)
                    limits.append(limit.value)
                per_row = np.repeat(limits, np.diff(starts))
                self._set_group_ticks(limits)
                self._heat_text = "each group to its own full colour (on the left)"
            else:
                per_row = nice_ceil_array(np.percentile(sample, 97, axis=0))
                self._set_group_ticks(None)
                self._heat_text = "each parameter to its own 97th percentile (hover a row in the list)"
            image = rows.T / per_row[:, None]
            levels = (-1.0, 1.0)
            bar = ("× the row's scale", levels)
        self.image.setImage(image, autoLevels=False, levels=levels)
        self.image.setRect(-float(len(steps)) + 0.5, -0.5, float(len(steps)), float(rows.shape[1]))
        if getattr(self, "_bar_shown", None) != bar:
            self._show_bar(bar)

    def _show_bar(self, bar: tuple[str, tuple[float, float]]) -> None:
        """The colour bar's levels, ticks and label: ``bar`` is (label, levels)."""
        self._bar_shown = bar
        levels = bar[1]
        self.colour_bar.setLevels(levels)
        lo, hi = levels
        # (Lecture mode's large "-0.5" left the heatmap's image no width in a narrow dock.)
        ticks = [(v, f"{v:g}") for v in ((lo, 0.0, hi) if presenting() else (lo, lo / 2, 0.0, hi / 2, hi))]
        self.colour_bar.axis.setTicks([ticks, []])
        self._bar_ticks = [text for _, text in ticks]
        self._bar_label_key = None
        self._fit_bar_label()

    #: The colour bar's labels, each with its shorter wordings (for a short heatmap).
    BAR_LABELS = {"delta": ("delta",), "× the row's scale": ("× the row's scale", "× row's scale", "× scale")}

    def _fit_bar_label(self) -> None:
        """The colour bar's label in the mode's size where it fits the bar's length, else smaller, else
        in fewer words, else none (a bar a few lines long): the whole label in the bar's tooltip."""
        bar = getattr(self, "_bar_shown", None)
        if bar is None:
            return
        axis = self.colour_bar.axis
        full = bar[0]
        on = presenting()
        margin = 2 * axis.label.document().documentMargin() + 2
        room = axis.height() - margin if axis.height() > 0 else math.inf
        text, size = "", None
        for wording in self.BAR_LABELS.get(full, (full,)):
            shown, size = fitted(wording, (PRESENTATION_LABEL_PT, PRESENTATION_ROWS_PT) if on else
                                 (QFont().pointSizeF(),), room)
            if shown == wording:
                text = wording
                break
        key = (text, size, on)
        if getattr(self, "_bar_label_key", None) == key:
            return
        self._bar_label_key = key
        style = {"font-size": f"{size:g}pt"} if on else {}
        axis.setLabel(text, color="#000" if on else "#111", **style)
        axis.showLabel(bool(text))
        axis.setToolTip("" if text == full else f"Colours: {full}")
        fit_axis_width(axis, self._bar_ticks)  # (the label's room too, or none)


class NetworkView(pg.PlotWidget):
    """Nodes and edges; an edge's colour is its weight's sign, its width its magnitude."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        plot = self.getPlotItem()
        style_plot(plot, "Network (red +, blue −)", "", "")
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.showGrid(x=False, y=False)
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        # Edges in a few pen bins (sign x width), one "pairs" curve per bin: hundreds of edges
        # each with a pen of its own cost tens of ms a paint.
        self.edges = []
        for sign in (1, -1):
            for level in range(EDGE_LEVELS):
                curve = pg.PlotCurveItem(connect="pairs", antialias=True)  # (painted in pixels: _pixelpaint)
                curve.setZValue(level)
                plot.addItem(curve)
                self.edges.append((sign, level, curve))
        self.nodes = pg.ScatterPlotItem(size=13, pxMode=True, brush=pg.mkBrush("#f5f5f5"),
                                        pen=pg.mkPen("#222", width=1.5))
        self.nodes.setZValue(EDGE_LEVELS + 1)
        plot.addItem(self.nodes)
        self._labels: list[pg.TextItem] = []
        self._n_inputs = 0
        self._key = None
        # The edges drawn: node positions, each edge's source and target node, flat parameter and weight.
        self._edges: tuple[np.ndarray, ...] | None = None
        self._edge_names: list[str] | None = None  # the parameters' labels, made on the first hover
        self.readout = HoverReadout(plot, self.describe, controller)

    def _positions(self, n_in: int, n_h: int, n_out: int) -> np.ndarray:
        tallest = max(n_in, n_h, n_out)

        def column(x: float, n: int) -> list[tuple[float, float]]:
            # Every column spread over the same height: a short one is not squeezed in the middle.
            gap = min(tallest / n, 2.0)
            return [(x, gap * ((n - 1) / 2 - i)) for i in range(n)]

        return np.array(column(0, n_in) + column(1, n_h) + column(2, n_out))

    def refresh(self) -> None:
        c = self.controller
        latest = c.latest
        if latest is None:
            return
        ly = c.layout
        key = (ly.n_inputs, ly.n_hidden, ly.n_outputs, c.dataset.feature_names, c.dataset.class_names)
        if key != self._key:
            self._key = key
            self._edge_names = None
            self._place_labels(ly, c.dataset.feature_names, c.dataset.class_names)
        views = ly.views(latest.params)
        ih, ho = views["ih_weights"], views["ho_weights"]
        n_in, n_h = ly.n_inputs, ly.n_hidden
        pos = self._positions(n_in, n_h, ly.n_outputs)
        src = np.concatenate([np.repeat(np.arange(n_in), n_h), n_in + np.repeat(np.arange(n_h), ly.n_outputs)])
        dst = np.concatenate([n_in + np.tile(np.arange(n_h), n_in),
                              n_in + n_h + np.tile(np.arange(ly.n_outputs), n_h)])
        weights = np.concatenate([ih.ravel(), ho.ravel()])
        # (The flat parameters' order: the input→hidden weights, the hidden biases, hidden→output.)
        param = np.concatenate([np.arange(ih.size), ih.size + n_h + np.arange(ho.size)])
        title = "Network (red +, blue −)"
        if weights.size > MAX_EDGES:
            strongest = np.argpartition(np.abs(weights), weights.size - MAX_EDGES)[-MAX_EDGES:]
            title = f"Network (red +, blue −; the {MAX_EDGES:,} strongest of {weights.size:,} weights)"
            src, dst, param, weights = src[strongest], dst[strongest], param[strongest], weights[strongest]
        self._edges = (pos, src, dst, param, weights)
        show_title(self.getPlotItem(), run_a(c, title))
        largest = np.abs(weights).max() or 1.0
        level = np.minimum((np.abs(weights) / largest * EDGE_LEVELS).astype(int), EDGE_LEVELS - 1)
        # Antialiased wide lines are what costs (measured: 100 hidden units, 23 ms a paint with
        # antialiasing, 2.6 ms without): smooth edges for small networks only.
        smooth = weights.size <= 150
        for sign, lvl, curve in self.edges:
            curve.opts["antialias"] = smooth
            chosen = np.flatnonzero((np.sign(weights) >= 0 if sign > 0 else weights < 0) & (level == lvl))
            xy = np.empty((2 * chosen.size, 2))
            xy[0::2], xy[1::2] = pos[src[chosen]], pos[dst[chosen]]
            strength = (lvl + 1) / EDGE_LEVELS  # the heatmap's colours: red +, blue −
            colour = np.array((202, 0, 32) if sign > 0 else (33, 102, 172))
            # Faded towards the white background, opaque: a translucent wide pen is stroked as a
            # filled outline, ten times as slow a paint (measured: 49 edges, 3.3 ms against 0.4).
            alpha = (60 + 195 * strength) / 255
            faded = tuple(int(v) for v in np.rint(255 - (255 - colour) * alpha))
            curve.setPen(pg.mkPen(faded, width=pen_width(0.5 + 7.0 * strength)))
            curve.setData(xy[:, 0], xy[:, 1])
        self.nodes.setData(pos=pos)
        self._fit(max(n_in, n_h, ly.n_outputs))

    #: The mouse this close (pixels) to a node or an edge reads it.
    HOVER_PX = 6

    def describe(self, point: QPointF) -> str | None:
        """The hover readout: the node under the mouse (its name), else the nearest edge (its
        parameter and weight)."""
        if self._edges is None:
            return None
        pos, src, dst, param, weights = self._edges
        px, py = self.getPlotItem().vb.viewPixelSize()
        scale = np.array([px or 1.0, py or 1.0])
        mouse = np.array([point.x(), point.y()]) / scale
        nodes = pos / scale
        near = np.hypot(*(nodes - mouse).T)
        node = int(np.argmin(near))
        if near[node] <= self.HOVER_PX + 4:
            return self._node_name(node)
        a, b = nodes[src], nodes[dst]
        ab = b - a
        t = np.clip(((mouse - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
        gap = np.hypot(*(a + t[:, None] * ab - mouse).T)
        if not gap.size or gap.min() > self.HOVER_PX:
            return None
        edge = int(np.argmin(gap))
        if self._edge_names is None:
            d = self.controller.dataset
            self._edge_names = self.controller.layout.labels(d.feature_names, d.class_names, short=True)
        return f"{self._edge_names[param[edge]]}\nweight {weights[edge]:.4g}"

    def _node_name(self, node: int) -> str:
        ly, d = self.controller.layout, self.controller.dataset
        if node < ly.n_inputs:
            return f"input {d.feature_names[node]}"
        if node < ly.n_inputs + ly.n_hidden:
            return f"hidden unit h{node - ly.n_inputs}"
        return f"output {d.class_names[node - ly.n_inputs - ly.n_hidden]}"

    #: The most of the view's width the node labels take (the rest: the network).
    LABEL_SHARE = 0.75
    #: Pixels between a label and the plot's side or its node (its node's half included).
    LABEL_MARGIN = 24

    def _fit(self, tallest: int) -> None:
        """Leave the node labels exactly the room they need at this widget's width (names
        shortened, then smaller, where they would take more than LABEL_SHARE of it)."""
        width = max(self.getPlotItem().vb.width(), 1.0)
        left, right = self._fit_labels(self.LABEL_SHARE * width - 2 * self.LABEL_MARGIN)
        left, right = left + self.LABEL_MARGIN, right + self.LABEL_MARGIN
        share = min((left + right) / width, self.LABEL_SHARE)
        span = 2.0 / (1.0 - share)  # data units across: the nodes' 2 plus both margins
        self.getPlotItem().setRange(xRange=(-left / width * span, 2 + right / width * span),
                                    yRange=(-(tallest + 1) / 2, (tallest + 1) / 2), padding=0)

    def _fit_labels(self, room: float) -> tuple[float, float]:
        """The node names in the mode's size, else in the readable size, so that the widest input's
        and the widest output's together take at most ``room`` pixels; else each side its share
        of the room, its names shortened word by word ("sep_len"), then cut with "…". Returns
        the two sides' widths. Hovering a node names it whole."""
        sides = (self._names[: self._n_inputs], self._names[self._n_inputs:])
        on = presenting()
        font = QFont(self._labels[0].textItem.font()) if self._labels else QFont()
        margin = 2 * (self._labels[0].textItem.document().documentMargin() if self._labels else 0)

        def widest(names: list[str]) -> float:
            return max((metrics.horizontalAdvance(n) + margin for n in names), default=0.0)

        for pt in (PRESENTATION_TICK_PT, PRESENTATION_ROWS_PT) if on else (LABEL_PT,):
            font.setPointSizeF(pt)
            metrics = QFontMetrics(font)
            shown = sides
            if sum(map(widest, sides)) <= room:
                break
        else:
            whole = [widest(names) for names in sides]
            shown = [self._shortened(names, max(room, 0.0) * w / (sum(whole) or 1.0) - margin, metrics)
                     for names, w in zip(sides, whole)]
        for item, text in zip(self._labels, [*shown[0], *shown[1]]):
            item._sizes = (LABEL_PT, pt if on else PRESENTATION_TICK_PT)
            _size_text(item)
            if item.toPlainText() != text:
                item.setText(text)
        return widest(shown[0]), widest(shown[1])

    @staticmethod
    def _shortened(names: list[str], room: float, metrics: QFontMetrics) -> list[str]:
        """``names`` at most ``room`` pixels wide: their words cut to fewer letters while that is
        enough (and leaves at least three), else cut with "…"."""
        for letters in (None, 5, 4, 3):
            cut = [_abbreviate(n, letters) for n in names]
            if max((metrics.horizontalAdvance(n) for n in cut), default=0) <= room:
                return cut
        return [n if metrics.horizontalAdvance(n) <= room else
                metrics.elidedText(n, Qt.TextElideMode.ElideRight, int(max(room, 0))) for n in cut]

    def _place_labels(self, ly, features, classes) -> None:
        plot = self.getPlotItem()
        for item in self._labels:
            plot.removeItem(item)
        self._labels = []
        self._names = [_elide(name) for name in (*features, *classes)]
        pos = self._positions(ly.n_inputs, ly.n_hidden, ly.n_outputs)
        for i, name in enumerate(features):
            item = plot_text(_elide(name), color="#111", anchor=(1, 0.5))
            item.setPos(pos[i][0] - 0.1, pos[i][1])
            self._labels.append(item)
        for k, name in enumerate(classes):
            item = plot_text(_elide(name), color="#111", anchor=(0, 0.5))
            p = pos[ly.n_inputs + ly.n_hidden + k]
            item.setPos(p[0] + 0.1, p[1])
            self._labels.append(item)
        for item in self._labels:
            plot.addItem(item)
        self._n_inputs = len(features)


def _elide(name: str, most: int = 14) -> str:
    """Long feature or class names, shortened for node labels (the list shows them whole)."""
    return name if len(name) <= most else name[: most - 1] + "…"


def _wrapped(text: str, metrics: QFontMetrics, width: float) -> str:
    """``text`` broken at spaces onto lines at most ``width`` pixels wide where it can be."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def combo_field(box: QComboBox) -> int:
    """The width of a combo box's text field (the style's own measure, less the pixel the style
    leaves each side of the text)."""
    option = QStyleOptionComboBox()
    option.initFrom(box)
    option.editable = False
    option.frame = box.hasFrame()
    field = box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                       QStyle.SubControl.SC_ComboBoxEditField, box)
    return field.width() - 2


def fit_combo_texts(box: QComboBox, wordings: tuple[tuple[str, ...], ...]) -> None:
    """The combo box's items in the first of ``wordings`` (each a text per item, ever shorter) whose
    every text fits its field (else the last); a shortened item's whole text its tooltip."""
    room = combo_field(box)
    metrics = box.fontMetrics()
    texts = next((w for w in wordings if max(map(metrics.horizontalAdvance, w)) <= room), wordings[-1])
    for index, text in enumerate(texts):
        if box.itemText(index) != text:
            box.setItemText(index, text)
            box.setItemData(index, wordings[0][index] if text != wordings[0][index] else None,
                            Qt.ItemDataRole.ToolTipRole)


def _abbreviate(name: str, letters: int | None) -> str:
    """``name`` with each of its words ("_", "-" or " " apart) cut to ``letters`` letters (None: whole):
    "sepal_length" at 3 is "sep_len"; a name of one word stays whole (cut with "…", it reads better)."""
    if letters is None or not re.search(r"[_\- ]", name.strip("_- ")):
        return name
    return re.sub(r"[^_\- ]+", lambda word: word.group()[:letters], name)


class DecisionRegions(QWidget):
    """Each point of a plane coloured by the predicted class, with the items on it.

    The plane is spanned by two inputs, picked in two combo boxes under the plot (``x_input``,
    ``y_input``); the other inputs are held at their training mean. A data set opens on the pair
    :meth:`plane` finds separates the classes best. Under the plot's x axis, outside the data, a
    legend (``legend``) gives each class's colour and name and tells train items (filled markers)
    from test items (open ones).
    """

    GRID = 140
    #: The most inputs :meth:`plane` tries every pair of (the rest: those with the best single score).
    PLANE_CANDIDATES = 10
    #: The most training items :meth:`plane` scores a pair on.
    PLANE_ITEMS = 400
    #: Neighbours :meth:`plane` votes with.
    PLANE_NEIGHBOURS = 7
    #: How strongly the most confident region takes its class colour (the rest of the way: white).
    TINT = 0.55

    class Legend(pg.GraphicsWidget):
        """A row (or rows: it wraps to its width) of swatches and names, in its plot's layout."""

        GAP = 14

        def __init__(self) -> None:
            super().__init__()
            self.entries: list[tuple[str, QColor | None, str]] = []  # (name, colour, kind)
            self._items: list[tuple] = []
            self.setMinimumWidth(0)
            self.setPreferredWidth(0)

        def set_entries(self, entries: list[tuple[str, QColor | None, str]]) -> None:
            """``entries``: (text, colour, kind), kind "class" (a filled square), "train" (a filled
            dot), "test" (an open circle) or "note" (text alone, grey)."""
            for shapes in self._items:
                for shape in shapes:
                    if shape is not None:
                        shape.setParentItem(None)
                        if shape.scene() is not None:
                            shape.scene().removeItem(shape)
            self.entries = list(entries)
            self._items = []
            font = QFont()
            font.setPointSizeF(mode_pt(LABEL_PT, PRESENTATION_LEGEND_PT))
            self._font = font
            side = QFontMetrics(font).ascent() * 0.8
            for text, colour, kind in self.entries:
                label = QGraphicsSimpleTextItem(text, self)
                label.setFont(font)
                label.setBrush(pg.mkBrush("#555" if kind == "note" else "#111"))
                mark = None
                if kind == "class":
                    mark = QGraphicsRectItem(0, 0, side, side, self)
                    mark.setBrush(pg.mkBrush(colour))
                    mark.setPen(pg.mkPen("#333", width=0.8))
                elif kind in ("train", "test"):
                    mark = QGraphicsEllipseItem(0, 0, side, side, self)
                    mark.setBrush(pg.mkBrush("#555") if kind == "train" else pg.mkBrush(0, 0, 0, 0))
                    mark.setPen(pg.mkPen("#111", width=0.8) if kind == "train" else pg.mkPen("#555", width=1.6))
                self._items.append((mark, label))
            self._flow()

        def swatch(self, name: str) -> QGraphicsRectItem | None:
            """The square drawn for class ``name`` (None if there is no such class)."""
            for (text, _, kind), (mark, _) in zip(self.entries, self._items):
                if kind == "class" and text == name:
                    return mark
            return None

        def resizeEvent(self, event) -> None:
            super().resizeEvent(event)
            self._flow()

        #: Whether the note (an entry of kind "note") is shown: not where it would leave the data too
        #: little room (see DecisionRegions._fit_legend); the legend's tooltip gives it then.
        note_shown = True

        def show_note(self, on: bool) -> None:
            if on != self.note_shown:
                self.note_shown = on
                self._flow()

        def height_for(self, note: bool, width: float | None = None) -> float:
            """The legend's height at ``width`` (by default its own), with or without its note."""
            return self._flow(note, place=False, width=width)

        def columns(self) -> list[float]:
            """Widths of the legend as a column: its widest entry but the note (which wraps), and
            that or the last two entries side by side ("train", "test"), whichever is wider."""
            metrics = QFontMetrics(getattr(self, "_font", QFont()))
            side = metrics.ascent() * 0.8
            widths = [side + 4 + metrics.horizontalAdvance(text) for text, _, kind in self.entries if kind != "note"]
            if not widths:
                return [0.0]
            return sorted({max(widths) + 2, max(max(widths), sum(widths[-2:]) + self.GAP) + 2})

        def _flow(self, note: bool | None = None, place: bool = True, width: float | None = None) -> float:
            """Entries left to right, a new row when the next would pass the right edge; an entry
            wider than the legend on lines of their own ("2 other inputs" over "at their mean").
            Returns the height; with ``place``, puts the entries there and takes that height."""
            note = self.note_shown if note is None else note
            metrics = QFontMetrics(getattr(self, "_font", QFont()))
            line = metrics.height() + 3
            side = metrics.ascent() * 0.8
            row = metrics.lineSpacing()
            width = max(self.size().width() if width is None else width, 1.0)
            x = y = 0.0
            shown = 0
            notes = []
            for (text, _, kind), (mark, label) in zip(self.entries, self._items):
                if kind == "note" and not note:
                    label.setVisible(False)
                    notes.append(text)
                    continue
                shown += 1
                indent = side + 4 if mark is not None else 0
                wrapped = _wrapped(text, metrics, width - indent)
                lines = wrapped.split("\n")
                size = indent + max(map(metrics.horizontalAdvance, lines))
                if x > 0 and x + size > width:
                    x, y = 0.0, y + line
                if place:
                    label.setVisible(True)
                    label.setText(wrapped)
                    if mark is not None:
                        mark.setPos(x, y + (line - side) / 2)
                    label.setPos(x + indent, y + (line - label.boundingRect().height() / len(lines)) / 2)
                x += size + self.GAP
                y += (len(lines) - 1) * row  # (what follows goes under a wrapped entry's last line)
            height = (y + line + 2) if shown else 0.0
            if place:
                self.setToolTip("\n".join(notes))
                if abs(self.maximumHeight() - height) > 0.5:
                    self.setMinimumHeight(height)
                    self.setMaximumHeight(height)
            return height

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.view = pg.PlotWidget()
        self.plot = self.view.getPlotItem()
        style_plot(self.plot, "Decision regions", "x1", "x2")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#111", width=0.8))
        self.test_points = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(0, 0, 0, 0), symbol="o")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        # The legend: a row of the plot's own layout under the x axis (so it never covers the data,
        # is exactly the plot's width, and is in the plot's exported picture).
        self.legend = self.Legend()
        self._place_legend(0.0, True)
        self.x_input = QComboBox()
        self.y_input = QComboBox()
        for combo, axis in ((self.x_input, "x"), (self.y_input, "y")):
            combo.setToolTip(f"The input along the {axis} axis (the inputs not shown are held at their "
                             "training mean); picking the other axis's input swaps the two")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(2)
            combo.setMinimumWidth(40)  # (narrow: the dock keeps its minimum width)
        # The combo boxes side by side, or one under the other where side by side they would cut
        # their inputs' names (see _arrange_inputs).
        row = QGridLayout()
        row.setContentsMargins(2, 0, 2, 2)
        row.setHorizontalSpacing(3)
        row.setVerticalSpacing(2)
        self._input_labels = []
        for text, combo in (("x:", self.x_input), ("y:", self.y_input)):
            label = QLabel(text)
            label.setBuddy(combo)
            self._input_labels.append(label)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.view, 1)
        box.addLayout(row)
        self._row = row
        self._stacked: bool | None = None
        self._arrange_inputs(False)
        self._fit_minimum()
        self.colours: list[QColor] = []  # each class's colour: its markers, swatch and region tint
        self.pick: tuple[int, int] = (0, 0)
        self._data = None
        self._data_key = None
        self._legend_key = None
        self._drawn_step = -1
        self.readout = HoverReadout(self.plot, self.describe, controller)
        self.x_input.currentIndexChanged.connect(lambda index: self._on_input(0, index))
        self.y_input.currentIndexChanged.connect(lambda index: self._on_input(1, index))
        self._fit_key: tuple | None = None
        self.plot.vb.sigResized.connect(self._fit_axes)
        self.plot.vb.sigRangeChanged.connect(self._fit_axes)

    def _arrange_inputs(self, stacked: bool) -> None:
        """The combo boxes side by side, or (``stacked``) one under the other."""
        if stacked == self._stacked:
            return
        self._stacked = stacked
        for k, (label, combo) in enumerate(zip(self._input_labels, (self.x_input, self.y_input))):
            row, column = (k, 0) if stacked else (0, 2 * k)
            for widget, at in ((label, column), (combo, column + 1)):
                self._row.removeWidget(widget)
                self._row.addWidget(widget, row, at)
        for column in range(4):
            self._row.setColumnStretch(column, 1 if column in ((1,) if stacked else (1, 3)) else 0)
        self._fit_minimum()

    def _fit_inputs(self) -> None:
        """The combo boxes side by side where both show their inputs' names whole there, else one
        under the other (lecture mode's "petal_length" needed 126 px and had 65)."""
        spacing = self._row.horizontalSpacing()
        needs = [label.sizeHint().width() + spacing + combo.width() - combo_field(combo)
                 + combo.fontMetrics().horizontalAdvance(combo.currentText())
                 for label, combo in zip(self._input_labels, (self.x_input, self.y_input))]
        margins = self._row.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        self._arrange_inputs(sum(needs) + spacing > room)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_inputs()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_inputs()

    def _fit_axes(self, *_) -> None:
        """The axes' tick labels whole, apart and at both ends (see spread_ticks), and their labels
        (the inputs' names) fitted by words (see _fit_name), when the plot's size, range or text
        size change."""
        vb = self.plot.vb
        axes = {side: self.plot.getAxis(side) for side in ("bottom", "left")}
        key = (vb.width(), vb.height(), tuple(map(tuple, vb.viewRange())), presenting(),
               tuple(getattr(a, "_name", None) for a in axes.values()),
               tuple((a.style.get("tickFont") or a.font()).pointSizeF() for a in axes.values()))
        if key == self._fit_key:
            return
        self._fit_key = key
        self._fit_legend()
        for (side, axis), shown, pixels in zip(axes.items(), vb.viewRange(), (vb.width(), vb.height())):
            axis.setTicks([spread_ticks(axis, shown=tuple(shown), pixels=pixels), []])
            self._fit_name(side)

    def _fit_legend(self) -> None:
        """The legend under the plot, with its note ("2 other inputs at their mean") where the data
        keep room for two and a half rows of tick labels with it, else without; beside the plot, a column,
        where under it the data would keep less and beside it they keep that and a width of
        LEGEND_SIDE_PX (a short, wide dock); else under it without its note. (Without its note,
        the legend's tooltip gives it, and the combo boxes' tooltips say it too.)"""
        legend, plot = self.legend, self.plot
        axis, bottom = plot.getAxis("left"), plot.getAxis("bottom")
        least = 2.5 * (tick_extent(QFontMetrics(axis.style.get("tickFont") or axis.font()), "0", True) + 2)
        title = plot.titleLabel.height() if plot.titleLabel.isVisible() else 0.0
        high, wide = self.view.height() - title, self.view.width() - 4
        choices = [(0.0, True), (0.0, False)]  # (the legend's width beside the data, or 0: under; its note)
        choices += [(column, note) for column in legend.columns() for note in (True, False)]
        for column, note in choices + [(0.0, False)]:
            if not column and high - bottom.height() - legend.height_for(note, wide) >= least:
                break
            # (Beside: the data keep a width of LEGEND_SIDE_PX; the legend, as high as they and the x axis.)
            if column and wide - axis.width() - column - self.LEGEND_GAP_PX - 4 >= self.LEGEND_SIDE_PX and \
                    high - bottom.height() >= least and legend.height_for(note, column) <= high:
                break
        self._place_legend(column, note)

    #: Qt's largest widget size (QWIDGETSIZE_MAX): no maximum.
    NO_MAXIMUM = (1 << 24) - 1
    #: Pixels between the data and the legend beside them.
    LEGEND_GAP_PX = 6
    #: The least width (pixels) the data keep with the legend beside them.
    LEGEND_SIDE_PX = 120

    def _place_legend(self, column: float, note: bool) -> None:
        """The legend under the plot (``column`` 0: the whole plot's width) or beside it, ``column``
        wide, level with the data and the x axis; with its note or not."""
        legend = self.legend
        if column != getattr(self, "_legend_column", None):
            self._legend_column = column
            if legend.parentLayoutItem() is self.plot.layout:
                self.plot.layout.removeItem(legend)
            legend.setMinimumWidth(column)
            legend.setMaximumWidth(column or self.NO_MAXIMUM)
            # (Beside the data: a gap between them and the swatches.)
            self.plot.layout.setColumnSpacing(2, self.LEGEND_GAP_PX if column else 0)
            if column:
                self.plot.layout.addItem(legend, 2, 3, 2, 1)
            else:
                self.plot.layout.addItem(legend, 4, 0, 1, 2)  # (under the left axis too: more room)
        legend.show_note(note)

    def _fit_name(self, side: str) -> None:
        """The ``side`` axis's label, its input's name: whole where it fits, else its words shortened
        ("pet_wid"), else cut with "…" (see fit_axis_words)."""
        name = getattr(self.plot.getAxis(side), "_name", None)
        if name is not None:
            # (Then the whole name cut, "petal_w…": it reads better than "pe_wi".)
            fit_axis_words(self.plot, side, [name, _abbreviate(name, 3), name])

    def _fit_minimum(self) -> None:
        """The plot and the combo boxes together no taller than another plot's minimum (the
        window's smallest size stays what it was without the combo boxes)."""
        extra = self._row.sizeHint().height() + self.layout().spacing()
        self.view.setMinimumSize(MIN_PLOT_SIZE[0], max(40, MIN_PLOT_SIZE[1] - extra))

    @classmethod
    def plane(cls, dataset) -> tuple[int, int]:
        """The two inputs drawn first: both for 2-D data, else the pair that separates the classes best.

        "Best" is judged in the plane itself, not input by input: a pair's score is the balanced
        (mean per class) leave-one-out accuracy of a k-nearest-neighbour vote among the training
        items (standardised, at most PLANE_ITEMS of them) drawn in that pair's plane. A class
        boundary such as sign(a*b) (XOR), which no single input nor a linear fit shows (both of
        its class means sit at the centre), is found this way; a third, noise input is not picked.
        Scores within 0.01 count as a tie, settled by the inputs' between- to within-class
        variance ratio (so Iris keeps its two petal measures). With more than PLANE_CANDIDATES
        inputs, only the PLANE_CANDIDATES with the best ratio are paired (the pick stays quick).
        """
        if dataset.n_inputs <= 2:
            return 0, min(1, dataset.n_inputs - 1)
        x, y = np.asarray(dataset.x_train, dtype=float), np.asarray(dataset.y_train)
        present = [k for k in range(dataset.n_classes) if np.any(y == k)]
        means = np.array([x[y == k].mean(axis=0) for k in present])
        within = np.mean([x[y == k].var(axis=0) for k in present], axis=0)
        ratio = np.nan_to_num(means.var(axis=0) / (within + 1e-12))
        candidates = np.argsort(-ratio, kind="stable")[: cls.PLANE_CANDIDATES]
        if len(x) > cls.PLANE_ITEMS:
            keep = np.sort(np.random.default_rng(0).permutation(len(x))[: cls.PLANE_ITEMS])
            x, y = x[keep], y[keep]
        spread = x.std(axis=0)
        z = np.nan_to_num((x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0))
        k = min(cls.PLANE_NEIGHBOURS, len(z) - 1)
        labels = np.searchsorted(present, y)
        onehot = np.eye(len(present))[labels]
        best, best_key = (0, 1), None
        for a_index, i in enumerate(candidates):
            for j in candidates[a_index + 1:]:
                if k < 1:
                    score = 0.0
                else:
                    p = z[:, [i, j]]
                    d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2)
                    np.fill_diagonal(d2, np.inf)
                    near = np.argpartition(d2, k - 1, axis=1)[:, :k]
                    votes = onehot[near].sum(axis=1)
                    right = votes.argmax(axis=1) == labels
                    score = float(np.mean([right[labels == c].mean() for c in range(len(present))]))
                key = (round(score, 2), ratio[i] + ratio[j])
                if best_key is None or key > best_key:
                    best, best_key = (int(min(i, j)), int(max(i, j))), key
        return best

    @classmethod
    def grid_size(cls, n_params: int) -> int:
        """Points a side: GRID, fewer for a large network (see REGIONS_BUDGET), 16 at least."""
        return max(16, min(cls.GRID, math.isqrt(REGIONS_BUDGET // max(n_params, 1))))

    def set_pick(self, i: int, j: int) -> None:
        """Show inputs ``i`` (x) and ``j`` (y); the same input twice is refused (ValueError)."""
        n = self.x_input.count()
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"inputs {i}, {j}: there are {n}")
        if i == j and n > 1:
            raise ValueError("the x and y inputs must differ")
        for combo, index in ((self.x_input, i), (self.y_input, j)):
            combo.blockSignals(True)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        self._apply_pick((i, j))

    def _on_input(self, axis: int, index: int) -> None:
        """A combo box changed: the other axis gives up that input (takes this one's old one)."""
        if index < 0 or self._data is None:
            return
        pick = list(self.pick)
        other = 1 - axis
        if index == pick[other]:
            pick[other] = pick[axis]
            combo = (self.x_input, self.y_input)[other]
            combo.blockSignals(True)
            combo.setCurrentIndex(pick[other])
            combo.blockSignals(False)
        pick[axis] = index
        self._apply_pick(tuple(pick))

    def _apply_pick(self, pick: tuple[int, int]) -> None:
        if pick == self.pick:
            return
        self.pick = pick
        if self._data is not None:
            self._show_plane(self._data)
            self._drawn_step = -1
            self.refresh()

    def _reset_inputs(self, d) -> None:
        """A new data set: its inputs in the combo boxes, the pick :meth:`plane`'s."""
        self.pick = self.plane(d)
        for combo, index in ((self.x_input, self.pick[0]), (self.y_input, self.pick[1])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(d.feature_names))
            combo.setCurrentIndex(index)
            combo.setEnabled(d.n_inputs > 1)
            combo.blockSignals(False)

    def _bounds(self, d) -> tuple[np.ndarray, np.ndarray]:
        i, j = self.pick
        everything = np.vstack([d.x_train, d.x_test]) if d.n_test else d.x_train
        return everything[:, [i, j]].min(axis=0) - 0.5, everything[:, [i, j]].max(axis=0) + 0.5

    def _show_plane(self, d) -> None:
        """Axis labels, items and range for the pick on show; the legend."""
        i, j = self.pick
        names = d.feature_names
        style_plot(self.plot, "Decision regions", names[i], names[j])
        self.plot.getAxis("bottom")._name, self.plot.getAxis("left")._name = names[i], names[j]
        self._fit_key = None
        self._fit_axes()
        self._fit_inputs()
        self._fit_minimum()
        self.colours = [pg.mkColor(PALETTE[k % len(PALETTE)]) for k in range(d.n_classes)]
        self.train_points.setData(pos=d.x_train[:, [i, j]], brush=[pg.mkBrush(self.colours[k]) for k in d.y_train])
        self.test_points.setData(pos=d.x_test[:, [i, j]], pen=[pg.mkPen(self.colours[k], width=2) for k in d.y_test])
        lo, hi = self._bounds(d)
        self.plot.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
        self._show_legend(d)

    def _show_legend(self, d) -> None:
        others = d.n_inputs - (2 if len(set(self.pick)) == 2 else 1)
        key = (tuple(d.class_names), others, presenting())
        if key == self._legend_key:
            return
        self._legend_key = key
        entries = [(name, self.colours[k], "class") for k, name in enumerate(d.class_names)]
        entries += [("train", None, "train"), ("test", None, "test")]
        if others > 0:
            entries.append((f"{others} other input{'s' if others > 1 else ''} at "
                            f"{'their' if others > 1 else 'its'} mean", None, "note"))
        self.legend.set_entries(entries)
        self._fit_legend()

    def describe(self, point: QPointF) -> str | None:
        """The hover readout: the two inputs at the mouse and the class the network predicts there
        (the other inputs at their training mean, as drawn)."""
        c, d = self.controller, self._data
        if c.latest is None or d is None or d is not c.dataset:
            return None
        i, j = self.pick
        x = d.x_train.mean(axis=0)
        x[i], x[j] = point.x(), point.y()
        probs = c.predict_proba(x[None, :])[0]
        names = d.feature_names
        where = f"{names[i]} {point.x():.3g}, {names[j]} {point.y():.3g}"
        if not np.isfinite(probs).all():
            return f"{where}\nno class (the weights are no longer finite)"
        k = int(np.argmax(probs))
        return f"{where}\npredicted: {d.class_names[k]} ({probs[k]:.0%})"

    def refresh(self) -> None:
        c = self.controller
        d = c.dataset
        if self._data is d:
            self._show_legend(d)  # (again in lecture mode: larger text)
        if c.latest is None or ((c.run_id, c.latest.step) == self._drawn_step and self._data is d):
            return
        if self._data is not d:
            key = (d.name, tuple(d.feature_names), d.n_classes)
            if key != self._data_key:
                self._data_key = key
                self._reset_inputs(d)
            self._data = d
            self._show_plane(d)
        i, j = self.pick
        lo, hi = self._bounds(d)
        show_title_words(self.plot, ["Decision regions (run A)", "Regions (run A)", "Run A"] if c.comparing
                         else ["Decision regions", "Regions"])
        n = self.grid_size(c.layout.n_params)
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
        grid = np.tile(d.x_train.mean(axis=0), (gx.size, 1))
        grid[:, i], grid[:, j] = gx.ravel(), gy.ravel()
        probs = c.predict_proba(grid)
        cls = probs.argmax(axis=1)
        # Weights that are no longer finite (a run that diverged) give no class: white.
        conf = np.nan_to_num(probs.max(axis=1), nan=1 / d.n_classes)
        base = np.array([colour.getRgb()[:3] for colour in self.colours], dtype=float)
        # Confident regions take their class colour, uncertain ones fade to white.
        strength = ((conf - 1 / d.n_classes) / (1 - 1 / d.n_classes))[:, None] * self.TINT
        rgb = 255 * (1 - strength) + base[cls] * strength
        self.image.setImage(rgb.reshape(n, n, 3).astype(np.ubyte), autoLevels=False,
                            levels=(0, 255))
        self.image.setRect(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        self._drawn_step = (c.run_id, c.latest.step)

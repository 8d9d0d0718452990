"""The delta summary: every epoch's sign-flip rate and mean |delta| over the whole run.

The delta traces and the heatmap show the latest 2,000 steps; this view shows oscillation and
convergence over all of training, one point per epoch (the engine gathers the statistics inside
its kernel: see :class:`~momentum_lab.engine.DeltaStats`). Two plots share the epoch axis: the
share of steps at which a delta flipped sign (0 to 1), and the mean |delta| on a log axis. One
curve is the mean over every parameter; the others are the parameters picked in the delta
panel's list (runs side by side: each run's mean, and its first picked parameter dashed, in the
run's colour).

Readable at any size: two plots stacked where the dock is tall enough for two readable ones,
else side by side where it is wide enough, else one with a switch above it (the "Everything"
layout's dock at 1280×720 is about 180–230 px wide and 280 px tall). The legend is a line of
text above the plots, never over the data, and the caption says less where it would take more
than its share of the height (all of it in its tooltip). Titles, axis labels and the switch
take a shorter phrasing where the longer one does not fit, tick labels fewer values.

Cheap at any size: the controller keeps at most a few thousand rows a run (older epochs merged
pairwise, see :class:`~momentum_lab.engine.DeltaStatsLog`, with the mean over the parameters
kept as rows come), a refresh reads a column per curve, and pyqtgraph draws each curve
decimated to the plot's width (peak downsampling), not antialiased.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QFont, QFontMetrics, QTextDocument
from PySide6.QtWidgets import (QBoxLayout, QButtonGroup, QGridLayout, QLabel, QListWidget, QToolButton,
                               QVBoxLayout, QWidget)

from ..engine import RUN_NAMES
from .controller import RunController
from .plots import (LABEL_PT, LANE_COLOURS, MIN_PLOT_SIZE, NO_STEPS, PALETTE, PRESENTATION_LEGEND_PT,
                    PRESENTATION_ROWS_PT, TICK_GAP_PX, TITLE_PT, EmptyNote, blank_axes,
                    data_width, fit_axis_width,
                    fitted, mode_pt, nice_ceil, pen_width, presenting, set_axis_label, set_title, show_title,
                    settle_ranges, snug_ceil, style_plot, switch_empty, thin_ticks)

__all__ = ["DeltaSummary"]

#: The "all parameters" curve of a run on its own.
ALL_COLOUR = "#111111"
#: The legend's samples of the two line styles when runs are side by side (their colours tell the runs).
STYLE_COLOUR = "#555555"

#: The smallest plot that reads well, (width, height) in pixels, normally and in lecture mode: its
#: title, its axes with their labels and about 90 px of data. Two stacked where the room is as
#: tall as two, else side by side where it is as wide as two, else one and the switch.
READABLE_PLOT = {False: (170, 150), True: (190, 175)}

#: The least height of the view, normally and in lecture mode: one readable plot with the switch
#: and a legend of two lines above it.
ONE_PLOT_ROOM = {False: READABLE_PLOT[False][1] + 40, True: READABLE_PLOT[True][1] + 75}
#: The smallest a plot's widget may be made, (width, height) in pixels (see DeltaSummary.__init__).
SMALLEST_PART = (60, 60)

#: Each plot's title, left axis label and switch button, longest phrasing first: the first that
#: fits is shown (a phrasing shortened by words reads better than one cut with "…").
TITLES = {"flips": ("Sign flips of the deltas, per epoch", "Sign flips per epoch", "Sign flips"),
          "size": ("Mean |delta| per epoch", "Mean |delta|", "|delta|")}
LEFT_LABELS = {"flips": ("share of steps", "share"), "size": ("mean |delta|", "|delta|")}
SWITCH_TEXTS = {"flips": ("Sign flips", "Flips"), "size": ("Mean |delta|", "|delta|")}

#: The flip-rate axis's labelled values, most first: the first whose labels stand TICK_LINES apart.
FLIP_TICKS = ((0.0, 0.2, 0.4, 0.6, 0.8, 1.0), (0.0, 0.5, 1.0), (0.0, 1.0))
#: The epoch axis's steps, in whole epochs.
EPOCH_STEPS = tuple(m * 10 ** k for k in range(7) for m in (1, 2, 5))
#: Labels on a vertical axis stand at least this many of their lines apart (closer, they run together).
TICK_LINES = 1.4
#: At most six labelled decades on the |delta| axis, however tall.
MOST_DECADES = 6
#: The caption's share of the view's height (at least two lines): a longer text is said shorter.
CAPTION_SHARE = 0.15

#: The most of the view's width the legend takes beside one plot (else it goes above it).
LEGEND_BESIDE_SHARE = 0.4
#: Pixels of the side column's width besides its widest button or legend entry (its margins).
SIDE_MARGINS = 6
#: Pixels of a left axis's length its label leaves free (the label's own margins, and some air).
LABEL_MARGIN = 16
#: Pixels above a plot without its title (half a tick label juts out above the data).
TOP_MARGIN = 12

#: The legend's line samples: (dashed, heavy) -> characters.
SAMPLES = {(False, True): "━━", (False, False): "──", (True, True): "╍╍", (True, False): "╌╌"}


def _first_fitting(texts: tuple[str, ...], fits) -> str:
    """The first of ``texts`` for which ``fits(text)``, else the last."""
    return next((text for text in texts if fits(text)), texts[-1])


def _fit_text(label: QLabel, texts: tuple[str, ...], width: int, most: float) -> None:
    """``label`` showing the first of ``texts`` that, wrapped at ``width``, is at most ``most`` px
    high (else the last)."""
    for text in texts:
        if label.text() != text:
            label.setText(text)
        if label.heightForWidth(width) <= most:
            return


def _epoch_ticks(axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[tuple[float, str]]:
    """Whole epochs at a 1-2-5 step at which the labels in ``axis``'s font stand apart, those whose
    labels lie whole inside its ``pixels`` (pyqtgraph spaces ticks by the axis's length, not its
    font, and drops a label that juts out: 0..3 was labelled "2" alone). Fewer than two so, a
    finer step, or the same from the first whole epoch whose label fits (1 and 3 on 0..4)."""
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    room = metrics.horizontalAdvance(f"{high:.0f}") + TICK_GAP_PX
    widest = max(1.0, nice_ceil((high - low) * room / max(pixels, 1)))
    half = (room / 2) * (high - low) / max(pixels, 1)
    best: list[tuple[float, str]] = []
    # (Finer steps down to some 200 values on show: a pan or zoom fits the labels again.)
    for step in [widest] + [s for s in EPOCH_STEPS if widest > s >= (high - low) / 200][::-1]:
        for first in (math.ceil(low / step) * step, math.ceil(low + half)):
            ticks = thin_ticks(axis, [(float(v), f"{v:g}") for v in np.arange(first, high + 1e-9, step)],
                               (low, high), pixels)
            if len(ticks) >= 2:
                return ticks
            best = best or ticks
    return best


def _html_size(html: str, font: QFont, width: float | None = None) -> tuple[float, float]:
    """The width and height of ``html`` in ``font``: wrapped at ``width``, or unwrapped."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    if width is not None:
        doc.setTextWidth(max(width, 1))
    return doc.idealWidth(), doc.size().height()


def _hide_title(plot: pg.PlotItem) -> None:
    """No title over ``plot`` (a row of TOP_MARGIN px instead, for its top tick label's upper half)."""
    if plot.titleLabel.isVisible():
        plot.setTitle(None)
        plot.layout.setRowFixedHeight(0, TOP_MARGIN)


def _legend_html(entries: tuple[tuple[str, bool, bool, str], ...], column: bool = False) -> str:
    """Each (colour, dashed, heavy, name) as its line sample and name, kept together on a line;
    one entry a line with ``column``."""
    return ("<br>" if column else "&nbsp;&nbsp; ").join(
        f"<span style='color:{colour}'>{SAMPLES[(dashed, heavy)]}</span>&nbsp;{name.replace(' ', '&nbsp;')}"
        for colour, dashed, heavy, name in entries)


class DeltaSummary(QWidget):
    """Per-epoch sign-flip rate and mean |delta| of the whole run: all parameters, and the picked ones.

    Parameters
    ----------
    controller : RunController
    picks : QListWidget
        The delta panel's parameter list (``DeltaPanel.weights``): its selected rows, in list
        order, at most :attr:`MAX_PICKS`, are the parameters drawn.
    """

    MAX_PICKS = 6

    @contextlib.contextmanager
    def _exported(self, name: str) -> Iterator[None]:
        """Plot ``name`` as its export shows it: with its legend (on screen a line of text above
        the plots, which a plot's image does not hold) in the corner of the plot where it covers
        the fewest of the curves' points."""
        plot = self.plots[name]
        legend = pg.LegendItem(labelTextColor="#111", brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#999"),
                               colCount=2, verSpacing=-6)
        for colour, dashed, heavy, text in self._legend_entries[0]:
            pen = pg.mkPen(colour, width=2.5 if heavy else 1.5,
                           style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
            legend.addItem(pg.PlotDataItem([0.0, 1.0], [0.0, 0.0], pen=pen), text)
        legend.setParentItem(plot.vb)
        points = []
        for curve in plot.listDataItems():
            x, y = curve.getData()
            if x is not None and len(x) > 1 and curve.isVisible():
                # (Along the lines, not only at their corners: ten points a segment.)
                t = np.linspace(0.0, 1.0, 10, endpoint=False)
                xs = (x[:-1, None] + np.diff(x)[:, None] * t).ravel()
                ys = (y[:-1, None] + np.diff(y)[:, None] * t).ravel()
                points += [plot.vb.mapViewToScene(QPointF(a, b)) for a, b in zip(xs, ys) if a == a and b == b]

        def covered(corner: tuple[int, int]) -> int:
            offset = (8 if corner[0] == 0 else -8, 8 if corner[1] == 0 else -8)
            legend.anchor(itemPos=corner, parentPos=corner, offset=offset)
            rect = legend.sceneBoundingRect()
            return sum(rect.contains(point) for point in points)

        corners = [(1, 0), (0, 0), (1, 1), (0, 1)]
        counts = [covered(corner) for corner in corners]
        covered(corners[counts.index(min(counts))])
        try:
            yield
        finally:
            plot.scene().removeItem(legend)

    def __init__(self, controller: RunController, picks: QListWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.picks = picks
        self.flip_view = pg.PlotWidget()
        self.size_view = pg.PlotWidget()
        self.flip_plot = self.flip_view.getPlotItem()
        self.size_plot = self.size_view.getPlotItem()
        self.plots = {"flips": self.flip_plot, "size": self.size_plot}
        for name, plot in self.plots.items():  # (see export.plot_image)
            plot.export_extras = lambda name=name: self._exported(name)
        style_plot(self.flip_plot, TITLES["flips"][0], "", LEFT_LABELS["flips"][0])
        style_plot(self.size_plot, TITLES["size"][0], "epoch", LEFT_LABELS["size"][0])
        self.size_plot.setLogMode(y=True)
        self.flip_plot.setYRange(0, 1, padding=0.02)  # a share: the axis never moves
        for plot in self.plots.values():
            plot.disableAutoRange()  # ranges move in steps: axes re-render rarely
            plot.getViewBox().setMouseEnabled(y=False)
        # The view as small as one readable plot with the switch and legend may be (see _arrange);
        # its parts smaller, as its arrangement shares the room out (a minimum of two plots', or of
        # a plot and the legend beside it, would hold the dock at a size it was once given: the
        # arrangement changes as the room does).
        self.setMinimumSize(MIN_PLOT_SIZE[0], ONE_PLOT_ROOM[presenting()])
        for view in (self.flip_view, self.size_view):
            view.setMinimumSize(*SMALLEST_PART)
        self.curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem, int, int | None]] = []
        self.empty_notes = {"flips": EmptyNote(self.flip_plot), "size": EmptyNote(self.size_plot)}
        self._empty: bool | None = None
        self._built: tuple | None = None  # what the curves were built for (see _build_curves)
        self._drawn: tuple | None = None  # what was drawn last (see refresh)
        self._seen_lanes = None
        self._x_range: float | None = None
        self._size_range: tuple[int, int] | None = None
        self._ticks: dict[tuple[str, str], tuple] = {}  # (plot, side) -> its ticks as set (see _fit_plot)
        # The legend: a line of text above the plots (never over the data, whatever the size);
        # its phrasings, longest first (see _arrange).
        self.legend = QLabel()
        self.legend.setObjectName("legend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self._legend_entries: tuple[tuple, tuple] = ((), ())  # (whole, short): see _build_curves
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self._caption_texts: tuple[str, ...] = ("",)
        # One plot at a time where the room has space for one only: which, chosen here.
        self.switch = QWidget()
        self.switch_buttons = {name: QToolButton() for name in self.plots}
        self.shown = "flips"
        group = QButtonGroup(self)
        self.switch_row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self.switch)
        self.switch_row.setContentsMargins(2, 2, 2, 2)
        for name, button in self.switch_buttons.items():
            button.setCheckable(True)
            button.setToolTip(f"Show the plot of {TITLES[name][0][0].lower()}{TITLES[name][0][1:]} "
                              "(the dock has room for one of the two plots)")
            button.toggled.connect(lambda on, name=name: self._on_switch(name, on))
            group.addButton(button)
            self.switch_row.addWidget(button)
        self.switch_row.addStretch(1)
        self.switch_buttons[self.shown].setChecked(True)
        self.switch.setVisible(False)
        #: "stacked", "beside" or "one" (see _arrange).
        self.arrangement = "stacked"
        self._arranged: tuple | None = None
        self.plot_row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.plot_row.setSpacing(0)
        self.plot_row.addWidget(self.flip_view, 1)
        self.plot_row.addWidget(self.size_view, 1)
        # Beside one plot in a short room: a column with the switch and the legend.
        self.side = QWidget()
        self.side_box = QVBoxLayout(self.side)
        self.side_box.setContentsMargins(2, 4, 2, 0)
        self.side_box.setSpacing(6)
        self.side_box.addStretch(1)
        # Rows: the switch and the legend (above the plots), the plots with the side column, the caption.
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(0)
        self.grid.addLayout(self.plot_row, 2, 0)
        self.grid.addWidget(self.side, 2, 1)
        self.grid.addWidget(self.caption, 3, 0, 1, 2)
        self.grid.setRowStretch(2, 1)
        self.grid.setColumnStretch(0, 1)
        self.beside = True  # (moved above at once: see _place_head)
        self._place_head(False)
        for name, plot in self.plots.items():
            plot.vb.sigResized.connect(lambda *_, name=name: self._fit_plot(name))
            plot.vb.sigXRangeChanged.connect(lambda _, shown, name=name: self._on_x_range(name, shown))
        picks.itemSelectionChanged.connect(self._on_pick)

    # -- what is drawn -------------------------------------------------------------------------

    def picked(self) -> list[int]:
        """The picked parameters' indices, in list order (at most MAX_PICKS)."""
        return sorted(self.picks.row(item) for item in self.picks.selectedItems())[: self.MAX_PICKS]

    def _name(self, row: int) -> str:
        item = self.picks.item(row)
        return item.text().split("  ")[0] if item is not None else f"#{row}"

    def _wanted(self) -> tuple:
        """(lanes, picks with their names, lecture mode): the curves are built again when it changes."""
        rows = self.picked()
        return len(self.controller.lanes), tuple((row, self._name(row)) for row in rows), presenting()

    def _build_curves(self) -> None:
        """One curve a plot for each run's mean over every parameter and for each pick; runs side
        by side: each run's mean and its first pick (dashed), in the run's colour."""
        key = self._wanted()
        if key == self._built:
            return
        self._built = key
        lanes, picks, _ = key
        for flip, size, _, _ in self.curves:
            self.flip_plot.removeItem(flip)
            self.size_plot.removeItem(size)
        self.curves = []
        wanted: list[tuple[int, int | None, str, float, Qt.PenStyle]] = []
        # The legend, whole and short: (colour, dashed, heavy, name) each.
        whole: list[tuple[str, bool, bool, str]] = []
        short: list[tuple[str, bool, bool, str]] = []
        if lanes > 1:
            for lane in range(lanes):
                wanted.append((lane, None, LANE_COLOURS[lane], 2.5, Qt.PenStyle.SolidLine))
                if picks:
                    wanted.append((lane, picks[0][0], LANE_COLOURS[lane], 1.5, Qt.PenStyle.DashLine))
                whole.append((LANE_COLOURS[lane], False, True, f"run {RUN_NAMES[lane]}"))
                short.append((LANE_COLOURS[lane], False, True, RUN_NAMES[lane]))
            # The runs by colour, the curves by line: one entry a line style, not one a curve.
            whole.append((STYLE_COLOUR, False, True, "all parameters"))
            short.append((STYLE_COLOUR, False, True, "all"))
            if picks:
                whole.append((STYLE_COLOUR, True, False, picks[0][1]))
                short.append((STYLE_COLOUR, True, False, picks[0][1]))
        else:
            wanted.append((0, None, ALL_COLOUR, 2.5, Qt.PenStyle.SolidLine))
            whole.append((ALL_COLOUR, False, True, "all parameters"))
            short.append((ALL_COLOUR, False, True, "all"))
            # The traces' colours: a parameter is the same colour in the delta panel and here.
            for k, (row, name) in enumerate(picks):
                wanted.append((0, row, PALETTE[k % len(PALETTE)], 1.5, Qt.PenStyle.SolidLine))
                whole.append((PALETTE[k % len(PALETTE)], False, False, name))
            short += whole[1:]
        self._legend_entries = (tuple(whole), tuple(short))
        for z, (lane, row, colour, width, style) in enumerate(wanted):
            pair = []
            for plot in (self.flip_plot, self.size_plot):
                # Not antialiased, downsampled to the plot's width: thousands of epochs stay cheap.
                curve = plot.plot(pen=pg.mkPen(colour, width=pen_width(width), style=style), antialias=False)
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                curve.setZValue(-z)  # the mean over all parameters on top
                # (for present_plot: the width in normal mode, and that this one is drawn for the mode on)
                curve._normal_width, curve._presented = width, presenting()
                pair.append(curve)
            self.curves.append((pair[0], pair[1], lane, row))
        self._drawn = None
        # (The mode may have changed: present_plot set the axes' fonts and widths for it.)
        self._ticks = {}
        self._arranged = None
        self._arrange()

    def _on_x_range(self, name: str, shown: list[float]) -> None:
        """The other plot shows the same epochs (pyqtgraph's own link lines the plots up on screen:
        side by side, or one hidden, it showed others), and both their epochs labelled to fit."""
        other = "size" if name == "flips" else "flips"
        if list(self.plots[other].vb.viewRange()[0]) != list(shown):
            self.plots[other].setXRange(*shown, padding=0)
        self._fit_plot(name)

    @Slot()
    def _on_pick(self) -> None:
        self.refresh()

    def _show_empty(self, empty: bool, text: str) -> None:
        for note in self.empty_notes.values():
            note.setText(text)
        if not switch_empty(self, empty):
            return
        for plot in self.plots.values():
            blank_axes(plot, empty)
        if not empty:
            self._size_range = None  # its ticks again (see _fit_size)
            self._ticks = {}
        self.legend.setVisible(not empty)
        self._arranged = None
        self._arrange()

    # -- drawing -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Draw from the controller's per-epoch delta statistics (when they or the picks changed)."""
        c = self.controller
        self._build_curves()
        lanes = c.lanes[0] if c.lanes else None
        if lanes is not self._seen_lanes:  # a new run or a Reset: ranges fitted afresh
            self._seen_lanes = lanes
            self._x_range = None
            self._size_range = None
        logs = [lane.delta_stats for lane in c.lanes]
        key = (c.revision, self._built, id(lanes))
        if key == self._drawn:
            return
        self._drawn = key
        empty = not any(len(log) for log in logs)
        step = c.latest.step if c.latest is not None else 0
        self._show_empty(empty, NO_STEPS if step == 0 else "no epoch completed yet")
        if empty:
            for flip, size, _, _ in self.curves:
                flip.setData([], [])
                size.setData([], [])
            self._set_caption(("One point per epoch, over the whole run: press Start (Space).",))
            return
        smallest, largest = math.inf, 0.0
        for flip, size, lane, row in self.curves:
            log = logs[lane] if lane < len(logs) else None
            if log is None or not len(log) or (row is not None and row >= log.n_params):
                flip.setData([], [])
                size.setData([], [])
                continue
            x = log.epoch.astype(float)
            rate = log.overall[:, 0] if row is None else log.flip_rate[:, row]
            mean = log.overall[:, 1] if row is None else log.mean_abs[:, row].astype(float)
            flip.setData(x, rate, connect="finite")
            positive = mean[np.isfinite(mean) & (mean > 0)]
            if positive.size:
                smallest, largest = min(smallest, float(positive.min())), max(largest, float(positive.max()))
            size.setData(x, np.where(mean > 0, mean, np.nan), connect="finite")
        self._fit_x(max(int(log.epoch[-1]) for log in logs if len(log)))
        if largest > 0:
            self._fit_size(smallest, largest)
        settle_ranges(*self.plots.values())
        self._caption(logs)

    def _fit_x(self, newest: int) -> None:
        """From 0 to a few per cent past the newest epoch (in 1-2-5 steps of a 25th)."""
        right = snug_ceil(float(max(newest, 1)))
        if right != self._x_range:
            self._x_range = right
            self.flip_plot.setXRange(0, right, padding=0.01)  # (the other follows: see _on_x_range)

    def _fit_size(self, smallest: float, largest: float) -> None:
        """Whole decades around the data: the range moves only when a curve crosses one."""
        wanted = (math.floor(math.log10(smallest)), max(math.ceil(math.log10(largest)),
                                                        math.floor(math.log10(smallest)) + 1))
        if wanted == self._size_range:
            return
        self._size_range = wanted
        self.size_plot.setYRange(*wanted, padding=0.02)
        self._fit_plot("size")

    def _left_ticks_for(self, name: str, height: float) -> tuple:
        """The plot's left tick labels for an axis ``height`` px long: as many as stand TICK_LINES
        of their lines apart, one at each end of the range always."""
        axis = self.plots[name].getAxis("left")
        line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height() * TICK_LINES
        if name == "flips":
            values = _first_fitting(FLIP_TICKS, lambda ticks: height / (len(ticks) - 1) >= line)
            return (tuple((v, f"{v:g}") for v in values), ())
        if self._size_range is None:
            return ((), ())
        low, high = self._size_range
        # Every so many decades labelled (at most MOST_DECADES labels), the top and bottom ones always.
        every = max(1, math.ceil((high - low) / (MOST_DECADES - 1)), math.ceil(line * (high - low) / max(height, 1)))
        decades = sorted({*range(low, high + 1, every), high})
        if len(decades) > 2 and decades[-1] - decades[-2] < every:
            decades.pop(-2)  # (the top one always: not one crowded under it)
        # (pyqtgraph's own strings, as on the error plot's log axis: "0.001", "10⁻⁵".)
        major = tuple(zip(decades, axis.logTickStrings(decades, 1.0, 1.0)))
        minor = tuple((math.log10(m * 10.0 ** e), "") for e in range(low, high) for m in (2, 5)) if every == 1 else ()
        return major, minor

    def _fit_plot(self, name: str) -> None:
        """The plot's title, left axis label and tick labels in the phrasing and number that fit its
        size now (called as its view box is resized and its ranges change)."""
        plot = self.plots[name]
        on = presenting()
        if self.arrangement == "one":
            _hide_title(plot)  # (the switch names the plot on show)
        else:
            room = data_width(plot)
            show_title(plot, _first_fitting(TITLES[name], lambda t: fitted(t, (TITLE_PT,), room, bold=on)[0] == t))
        height, width = plot.vb.height(), plot.vb.width()
        if height <= 0 or width <= 0:
            return
        label_pt = PRESENTATION_ROWS_PT if on else QFont().pointSizeF()
        # (One plot on show: the switch names it, and where no label fits, or the plot is narrow,
        # none is shown: the data the width.)
        one = self.arrangement == "one"
        phrasings = LEFT_LABELS[name] + (("",) if one else ())
        if one and plot.width() < READABLE_PLOT[on][0]:
            phrasings = ("",)
        label = _first_fitting(phrasings, lambda t: fitted(t, (label_pt,), height - LABEL_MARGIN)[0] == t)
        axis = plot.getAxis("left")
        if getattr(axis, "_full_label", None) != label:
            set_axis_label(plot, "left", label)
        if axis.label.isVisible() != bool(label):
            axis.showLabel(bool(label))
        if self._empty:
            return  # (no tick labels: see _show_empty)
        low, high = plot.vb.viewRange()[0]
        ticks = {"left": self._left_ticks_for(name, height),
                 "bottom": (tuple(_epoch_ticks(plot.getAxis("bottom"), low, high, width)), ())}
        for side, wanted in ticks.items():
            if wanted != self._ticks.get((name, side)):
                self._ticks[(name, side)] = wanted
                plot.getAxis(side).setTicks([list(wanted[0]), list(wanted[1])])
        self._fit_left_widths()

    def _fit_left_widths(self) -> None:
        """Each left axis as wide as its tick labels need; stacked, both as wide as the wider (the
        epochs line up)."""
        axes = {name: plot.getAxis("left") for name, plot in self.plots.items()}
        for name, axis in axes.items():
            fit_axis_width(axis, [text for _, text in self._ticks.get((name, "left"), ((), ()))[0]])
        if self.arrangement == "stacked":
            widest = max(axis.fixedWidth or axis.width() for axis in axes.values())
            for axis in axes.values():
                if axis.fixedWidth != widest:
                    axis.setWidth(int(widest))

    def _caption(self, logs: list) -> None:
        log = logs[0]
        if not len(log):
            self._set_caption(("",))
            return
        span = (f"; {log.stride} epochs a point (older epochs merged to keep memory bounded)"
                if log.stride > 1 else "")
        short_span = f", {log.stride} a point" if log.stride > 1 else ""
        self._set_caption((f"{log.epochs:,} epochs{span}. Flips: the share of an epoch's steps at which a "
                           "delta changed sign; all: the mean over every parameter.",
                           f"{log.epochs:,} epochs{short_span}. Flips: the share of steps at which a delta "
                           "changed sign.",
                           f"{log.epochs:,} epochs{short_span}."))

    def _set_caption(self, texts: tuple[str, ...]) -> None:
        """The caption's phrasings, longest first (the whole one its tooltip): shown as fits (see _arrange)."""
        if texts != self._caption_texts:
            self._caption_texts = texts
            self.caption.setToolTip(texts[0] if len(texts) > 1 else "")
            self.legend.setToolTip(texts[0])
            self._arranged = None
            self._arrange()

    # -- arrangement ---------------------------------------------------------------------------

    def _arrange(self) -> None:
        """The legend and the caption in the phrasing that fits the width, then the plots in the
        room they leave: stacked where two readable plots fit its height, else side by side where
        they fit its width, else the one the switch picks (the legend beside it where it leaves
        the plot most of the width, and no caption where the plot would be too short)."""
        on = presenting()
        width, height = self.width(), self.height()
        key = (width, height, on, self._legend_entries, self._caption_texts, self._empty, self.shown)
        if key == self._arranged or width <= 0 or height <= 0:
            return
        self._arranged = key
        if self.minimumHeight() != ONE_PLOT_ROOM[on]:
            self.setMinimumHeight(ONE_PLOT_ROOM[on])
        sheet = f"font-size: {mode_pt(LABEL_PT, PRESENTATION_LEGEND_PT):g}pt"  # (the legends' size in the plots)
        for widget in (self.legend, *self.switch_buttons.values()):
            if widget.styleSheet() != sheet:
                widget.setStyleSheet(sheet)
            widget.ensurePolished()
        self.caption.ensurePolished()
        two_lines = 2 * self.legend.fontMetrics().lineSpacing() + 2
        # Above the plots: the legend whole where it takes two lines at most; the caption where
        # it takes its share of the height.
        font, margins = self.legend.font(), 6  # (the legend's margins above the plots: see _place_head)
        lines = [_legend_html(entries) for entries in self._legend_entries]
        line = _first_fitting(tuple(lines), lambda html: _html_size(html, font, width - margins)[1] <= two_lines)
        legend = 0 if self._empty else _html_size(line, font, width - margins)[1] + margins
        _fit_text(self.caption, self._caption_texts, width,
                  max(2 * self.caption.fontMetrics().lineSpacing() + 2, CAPTION_SHARE * height))
        caption = self.caption.heightForWidth(width) if self.caption.text() else 0
        least_w, least_h = READABLE_PLOT[on]
        if height - legend - caption >= 2 * least_h:
            self.arrangement = "stacked"
        elif width >= 2 * least_w and height - legend - caption >= least_h:
            self.arrangement = "beside"
        else:
            self.arrangement = "one"
        one = self.arrangement == "one"
        beside = False
        if one:
            switch = self._fit_switch(width)
            # The switch and the legend a column beside the plot, where they leave it most of the
            # width and fit its height: the plot the whole height.
            column = _legend_html(self._legend_entries[1], column=True)
            buttons = [button.sizeHint() for button in self.switch_buttons.values()]
            text_width, text_height = _html_size(column, font)
            side_width = max([text_width] + [size.width() for size in buttons]) + SIDE_MARGINS
            side_height = sum(size.height() for size in buttons) + text_height + 20
            beside = not self._empty and side_width <= LEGEND_BESIDE_SHARE * width and side_height <= height - caption
            if beside:
                line, legend, switch = column, 0, 0
            # Short of room even for one plot: the plot before the caption (whole in the legend's tooltip).
            if height - legend - caption - switch < least_h:
                self.caption.setText("")
        if self.legend.text() != line:
            self.legend.setText(line)
        self._place_head(beside)
        self.switch.setVisible(one)
        self.caption.setVisible(bool(self.caption.text()))
        self.plot_row.setDirection(QBoxLayout.Direction.LeftToRight if self.arrangement == "beside"
                                   else QBoxLayout.Direction.TopToBottom)
        self.flip_view.setVisible(not one or self.shown == "flips")
        self.size_view.setVisible(not one or self.shown == "size")
        # The epoch axis labelled under each plot, but once under two stacked.
        set_axis_label(self.flip_plot, "bottom", "" if self.arrangement == "stacked" else "epoch")
        for name, plot in self.plots.items():
            if not one and not plot.titleLabel.isVisible():  # (its title again, fitted: see _fit_plot)
                plot._title_html = None
                set_title(plot, plot._shown_title)
            self._fit_plot(name)

    def _place_head(self, beside: bool) -> None:
        """The switch and the legend above the plots (a row, and a line wrapped), or in a column
        beside them (one entry a line)."""
        if beside == self.beside:
            return
        self.beside = beside
        for widget in (self.switch, self.legend):
            self.grid.removeWidget(widget)
            self.side_box.removeWidget(widget)
        self.switch_row.setDirection(QBoxLayout.Direction.TopToBottom if beside else QBoxLayout.Direction.LeftToRight)
        self.legend.setWordWrap(not beside)
        if beside:
            self.legend.setContentsMargins(2, 0, 0, 0)
            self.side_box.insertWidget(0, self.switch)
            self.side_box.insertWidget(1, self.legend)
        else:
            self.legend.setContentsMargins(4, 2, 2, 2)
            self.grid.addWidget(self.switch, 0, 0, 1, 2)
            self.grid.addWidget(self.legend, 1, 0, 1, 2)
        self.side.setVisible(beside)

    def _fit_switch(self, width: int) -> int:
        """The switch's buttons named whole where both fit the width in a row and one fits the
        legend's column, else shortly (whole in their tooltips); the row's height."""
        for phrasing in range(2):
            for name, button in self.switch_buttons.items():
                button.setText(SWITCH_TEXTS[name][phrasing])
            sizes = [button.sizeHint() for button in self.switch_buttons.values()]
            if sum(size.width() for size in sizes) + 12 <= width and \
                    max(size.width() for size in sizes) + SIDE_MARGINS <= LEGEND_BESIDE_SHARE * width:
                break
        return max(size.height() for size in sizes) + 4

    def _on_switch(self, name: str, on: bool) -> None:
        if on and name != self.shown:
            self.shown = name
            self._arrange()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._drawn = None  # drawn again as it comes into sight (a tab chosen while paused)
        self.refresh()

"""Lecture mode scales every text of every plot (issue 12), and cuts none, at 1280×720 and 1920×1080.

Each view is brought to the front as a lecturer would (its key), in normal and in lecture mode;
what is measured is what pyqtgraph paints: the tick labels it draws (those that do not fit its
axis are dropped), the rectangles of legends, names and labels in the scene, and the pixel size
of each one's font.
"""
from __future__ import annotations

import itertools
import re

import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, QSize
from PySide6.QtGui import QFont, QFontInfo

import pyqtgraph as pg
from momentum_lab._qt.controller import LaneSettings, RunConfig
from momentum_lab._qt.explore import SweepRequest
from test_gui import dialogs, kernels_ready, open_window  # noqa: F401 (fixtures)
from test_hover import drawn_ticks, run_with_a_change, settle

#: The smallest text readable from the back row (pixels of the font's size; 12 pt at 96 dpi).
READABLE_PX = 16

TWO_RUNS = RunConfig(compare=(LaneSettings("classical", 0.02, 0.8),))


def pixels(font: QFont) -> int:
    return QFontInfo(font).pixelSize()


def css_pixels(size: str) -> int:
    """A CSS size such as '13pt' (pyqtgraph's LabelItem), in pixels."""
    font = QFont()
    font.setPointSizeF(float(re.match(r"[\d.]+", size).group()))
    return pixels(font)


def scene_rect(item) -> QRectF:
    return item.mapRectToScene(item.boundingRect())


def plot_texts(plot) -> list[tuple[str, int, QRectF, QRectF]]:
    """(what, font pixels, scene rectangle, the rectangle it must stay in) of every text of ``plot``."""
    view = plot.scene().views()[0]
    shown = view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-2, -2, 2, 2)
    data = plot.vb.sceneBoundingRect().adjusted(-2, -2, 2, 2)
    out = []
    axes = [(side, plot.getAxis(side)) for side in ("left", "bottom")]
    axes += [("colour bar", plot.layout.itemAt(i).axis) for i in range(plot.layout.count())
             if isinstance(plot.layout.itemAt(i), pg.ColorBarItem)]
    for side, axis in axes:
        if not axis.isVisible():
            continue
        font = axis.style.get("tickFont") or axis.font()
        for rect, text in drawn_ticks(axis):
            out.append((f"{side} tick {text}", pixels(font), rect, shown))
        if axis.label.isVisible() and side == "colour bar":
            out.append(("colour bar label", css_pixels(axis.labelStyle.get("font-size", "9pt")),
                        scene_rect(axis.label), shown))
    if plot.legend is not None and plot.legend.isVisible():
        for _, label in plot.legend.items:
            out.append((f"legend {label.text}", css_pixels(label.opts["size"]), scene_rect(label), data))
    for item in list(plot.vb.childItems()) + list(plot.vb.addedItems):
        if hasattr(item, "_sizes") and item.isVisible() and item.toPlainText():
            out.append((f"label {item.toPlainText()}", pixels(item.textItem.font()), scene_rect(item), data))
    return out


def view_texts(w, name: str) -> list[tuple[str, int, QRectF, QRectF]]:
    plots = {"curves": [w.curves.loss_plot], "accuracy": [w.curves.acc_plot], "deltas": [w.delta_panel.trace_plot],
             "heatmap": [w.delta_panel.heat_plot], "network": [w.network.getPlotItem()],
             "regions": [w.regions.plot], "stability": [w.stability.plot], "sweep": [w.sweep_panel.plot]}[name]
    out = [(f"{name}: {what}", px, rect, bounds) for plot in plots for what, px, rect, bounds in plot_texts(plot)]
    if name == "regions":
        legend = w.regions.legend
        view = w.regions.view
        shown = view.mapToScene(view.viewport().rect()).boundingRect().adjusted(-2, -2, 2, 2)
        for (text, _, _), (_, label) in zip(legend.entries, legend._items):
            out.append((f"regions: legend {text}", pixels(label.font()), scene_rect(label), shown))
    return out


def seen_size(widget) -> QSize:
    """The part of ``widget`` its ancestors leave on screen (a scrolling dock cuts a wide one)."""
    window = widget.window()
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(window.rect()).size()


def measure(w, lecture: bool) -> tuple[dict[str, list], list[str]]:
    """Each view's texts (see view_texts), and the views not wholly on screen."""
    w.set_lecture_mode(lecture)
    settle(w)
    seen, cut = {}, []
    for name in ("curves", "deltas", "accuracy", "heatmap", "network", "regions", "stability", "sweep"):
        if name not in ("curves", "deltas"):
            w.views.show(name)
        settle(w)
        seen[name] = view_texts(w, name)
        widget = {"curves": w.curves.loss_view, "deltas": w.delta_panel.trace_view, "accuracy": w.curves.acc_view,
                  "heatmap": w.delta_panel.heat_view, "network": w.network, "regions": w.regions.view,
                  "stability": w.stability, "sweep": w.sweep_panel.view}[name]
        if seen_size(widget) != widget.size():
            mode = "lecture" if lecture else "normal"
            cut.append(f"{mode}, {name}: {seen_size(widget)} of {widget.size()} on screen")
    return seen, cut


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_lecture_mode_enlarges_every_plot_text_and_cuts_none(qtbot, open_window, size):
    w = open_window(TWO_RUNS, size=size)
    c = w.controller
    run_with_a_change(qtbot, w, 6, 0.05, 2)
    sweeps = w.sweeps
    with qtbot.waitSignal(sweeps.finished, timeout=60_000):
        sweeps.start(SweepRequest(c.config, (0.001, 1.0, 6), (0.0, 0.9, 4), 2, 0.1, c.dataset))
    (normal, normal_cut), (lecture, lecture_cut) = measure(w, False), measure(w, True)
    problems = normal_cut + lecture_cut
    for name in normal:
        kinds = {}
        for mode, texts in (("normal", normal[name]), ("lecture", lecture[name])):
            assert texts, (name, mode)
            for what, px, rect, bounds in texts:
                if not bounds.contains(rect):
                    problems.append(f"{mode}, {what}: cut ({rect} outside {bounds})")
                kind = re.sub(r" (tick|legend|label) .*", r" \1", what, flags=re.DOTALL)  # (names of two lines too)
                kinds.setdefault(kind, {}).setdefault(mode, []).append(px)
            # Tick labels drawn side by side never run into each other.
            ticks = [(what, rect) for what, _, rect, _ in texts if " tick " in what]
            for (a, ra), (b, rb) in itertools.combinations(ticks, 2):
                if a.split(" tick ")[0] == b.split(" tick ")[0] and ra.intersects(rb):
                    problems.append(f"{mode}, {a} runs into {b}")
        for kind, modes in kinds.items():
            if set(modes) != {"normal", "lecture"}:
                problems.append(f"{kind}: drawn in {set(modes)} only")
                continue
            if not min(modes["lecture"]) > max(modes["normal"]):
                problems.append(f"{kind}: {modes['normal']} px normally, {modes['lecture']} px in lecture mode")
            if min(modes["lecture"]) < READABLE_PX:
                problems.append(f"{kind}: {min(modes['lecture'])} px in lecture mode")
    assert not problems, "\n".join(problems)


def test_a_long_lesson_title_is_elided_in_its_narrow_box_and_whole_in_its_tooltip(qtbot):
    """Lecture mode's lesson dock is narrow: the box shows "6. Divergence, and…" (Qt's styles
    would clip the title mid-letter), drawn as such, and the whole title in the list and tooltip."""
    from PySide6.QtWidgets import QComboBox

    from momentum_lab._qt.widgets import ElidingComboBox

    title = "6. Divergence, and the map that warns of it before the loss does"
    box = ElidingComboBox()
    qtbot.addWidget(box)
    box.addItems(["1. Short", title])
    box.setCurrentIndex(1)
    box.setToolTip(title)
    box.resize(160, box.sizeHint().height())
    shown = box.shown_text()
    assert shown.endswith("…") and title.startswith(shown[:-1]) and len(shown) > 6
    assert box.fontMetrics().horizontalAdvance(shown) <= 160
    assert box.itemText(1) == title  # (the list it opens)
    box.resize(box.fontMetrics().horizontalAdvance(title) + 80, box.height())
    assert box.shown_text() == title
    # It draws what it says it shows: the same pixels as a plain box holding the elided text.
    box.resize(160, box.height())
    plain = QComboBox()
    qtbot.addWidget(plain)
    plain.addItem(box.shown_text())
    plain.resize(box.size())
    drawn, expected = box.grab().toImage(), plain.grab().toImage()
    assert drawn == expected
    plain.setItemText(0, title)
    assert plain.grab().toImage() != drawn  # (a plain box clips the title instead)

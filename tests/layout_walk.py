"""A walk over the window's widget tree that finds what a person would see cut or misplaced.

Issue 12: cut text, widgets and tabs out of view, plot titles and legends that overflow their
plot, and axes labelled on one side only. Each check measures the text or the item itself (font
metrics and the style's own margins) against the room the widget has, so that a failure names
the widget and both figures ("needs 212 px, has 180 px"): what a developer needs to act on it.
The test that drives it is ``test_layout_walk.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from PySide6 import QtGui
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QStyleOptionGroupBox,
    QTabBar,
    QToolButton,
    QWidget,
)

import pyqtgraph as pg  # (after PySide6: pyqtgraph takes the binding imported first)

__all__ = ["Finding", "walk"]

#: Pixels of slack before a text counts as cut or a widget as out of its parent (rounding).
SLACK = 1
#: Pixels two tick labels' boxes may share before they count as drawn over each other (pyqtgraph
#: measures a label's box at 0.8 of its text's height: touching boxes read well).
CROWD = 3
#: The share of an axis's visible range its first (last) tick label may stand from the range's
#: start (end): more, and the axis reads as labelled on one side only.
END_GAP = 0.3
#: The qt_ names of the parts Qt draws itself and sizes itself (the dock's title buttons are
#: checked as the dock's title; a scroll area's viewport holds what scrolls by design).
_QT_PARTS = ("qt_scrollarea_viewport", "qt_scrollarea_hcontainer", "qt_scrollarea_vcontainer")


#: Defects found and still open, each a (check, where) pair: ``where`` is a view of the view area
#: (``views.docks['sweep']`` in a finding's path) or a part of the window named in the path; a
#: finding of that check there is excused. None is open now: every finding fails the test.
KNOWN_OPEN: set[tuple[str, str]] = set()


def known_open(finding: str) -> bool:
    """Whether ``finding`` (a :class:`Finding` as text) is one of :data:`KNOWN_OPEN` (none is, with
    ``LAYOUT_WALK_ALL=1`` in the environment: every finding reported, to see what is left)."""
    if os.environ.get("LAYOUT_WALK_ALL") == "1":
        return False
    check, _, rest = finding.partition(": ")
    docks = re.findall(r"views\.docks\['(\w+)'\]", rest)
    return any(check == known and (where in docks or where in rest.split(": ")[0]) for known, where in KNOWN_OPEN)


@dataclass(frozen=True)
class Finding:
    """One defect: which check found it, the widget or plot item, and the figures."""

    check: str
    where: str
    figures: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.figures}"


def walk(window: QMainWindow) -> list[Finding]:
    """Every defect of the widgets and plots on screen in ``window`` now."""
    names = _attribute_names(window)
    found: list[Finding] = []
    for widget in _on_screen(window):
        where = _path(widget, window, names)
        found += _text_findings(widget, where)
        found += _placement_findings(widget, where)
        if isinstance(widget, pg.GraphicsView):
            for plot in _plots(widget):
                found += _plot_findings(widget, plot, f"{where} › {_plot_name(plot)}")
    found += _stray_tab_bar_findings(window, names)
    found += _status_message_findings(window)
    return found


# -- which widgets, named how --------------------------------------------------------------------------


def _on_screen(window: QMainWindow) -> list[QWidget]:
    """The widgets a person can see: shown, with some part inside every ancestor (a dock behind
    another's tab is shown to Qt, moved out of the window)."""
    seen = []
    stack = [(window, window.rect())]
    while stack:
        widget, clip = stack.pop()
        seen.append(widget)
        for child in widget.children():
            if isinstance(child, QWidget) and not child.isWindow() and child.isVisible():
                inner = child.geometry().intersected(clip)  # (in the parent's coordinates)
                if not inner.isEmpty():
                    stack.append((child, inner.translated(-child.pos())))
    return seen


def _attribute_names(window: QMainWindow) -> dict[int, str]:
    """id(widget) -> the attribute that holds it (``panel.lr``): the name a developer greps for."""
    held = {name: value for name, value in vars(window).items() if isinstance(value, QWidget)}
    names = {id(value): name for name, value in held.items()}
    for name, value in held.items():  # (then what those hold: the window's own names win)
        for inner, item in vars(value).items():
            if isinstance(item, QWidget):
                names.setdefault(id(item), f"{name}.{inner}")
    for name, dock in getattr(getattr(window, "views", None), "docks", {}).items():
        names.setdefault(id(dock), f"views.docks[{name!r}]")
    return names


def _label(widget: QWidget, names: dict[int, str]) -> str:
    name = names.get(id(widget)) or widget.objectName()
    kind = type(widget).__name__
    text = _shown_text(widget) or (
        "|".join(widget.tabText(i) for i in range(widget.count())) if isinstance(widget, QTabBar) else "")
    text = f" {text[:40]!r}" if text else ""
    return f"{name} ({kind}{text})" if name and not name.startswith("qt_") else f"{kind}{text}"


def _path(widget: QWidget, window: QWidget, names: dict[int, str]) -> str:
    """The widget and its named ancestors (or titled ones: group boxes, docks), outermost first."""
    parts = [_label(widget, names)]
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if id(parent) in names or isinstance(parent, (QGroupBox, QDockWidget)):
            parts.append(_label(parent, names))
        parent = parent.parentWidget()
    return " › ".join(reversed(parts))


def _shown_text(widget: QWidget) -> str:
    if isinstance(widget, (QLabel, QAbstractButton, QLineEdit, QAbstractSpinBox)):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QGroupBox):
        return widget.title()
    if isinstance(widget, QDockWidget):
        return widget.windowTitle()
    return ""


# -- text --------------------------------------------------------------------------------------------


def _cut(where: str, needs: float, has: float, what: str = "text", axis: str = "wide") -> list[Finding]:
    if needs <= has + SLACK:
        return []
    return [Finding(f"cut {what}", where, f"needs {needs:.0f} px, has {has:.0f} px ({axis})")]


def _text_findings(widget: QWidget, where: str) -> list[Finding]:
    for kinds, check in _TEXT_CHECKS:
        if isinstance(widget, kinds):
            return check(widget, where)
    return []


def _elided(text: str, tip: str, where: str) -> list[Finding]:
    """A text cut short on purpose ("petal_len…") is cut unless its tooltip gives it whole."""
    if not text.endswith("…") or len(text) < 2:
        return []
    if text[:-1] in tip:
        return []
    return [Finding("elided text without a tooltip", where, f"{text!r} shows no whole text")]


def _label_findings(label: QLabel, where: str) -> list[Finding]:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return []
    room = label.contentsRect().adjusted(label.margin(), label.margin(), -label.margin(), -label.margin())
    # (PySide6 has mightBeRichText on QtGui's Qt.)
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text))
    found = _elided(_plain(text) if rich else text, label.toolTip(), where)
    if label.wordWrap():
        # Qt's own measure of the wrapped text at this width.
        return found + _cut(where, label.heightForWidth(label.width()), label.height(), axis="high, wrapped")
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        width, height = doc.idealWidth(), doc.size().height()
    else:
        metrics = label.fontMetrics()
        lines = text.split("\n")
        width = max(metrics.horizontalAdvance(line) for line in lines)
        height = metrics.height() * len(lines)
    return found + _cut(where, width, room.width()) + _cut(where, height, room.height(), axis="high")


def _plain(html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc.toPlainText()


def _button_findings(button: QPushButton, where: str) -> list[Finding]:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return []
    option = QStyleOptionButton()
    option.initFrom(button)
    option.iconSize = button.iconSize()
    option.icon = button.icon()
    # The style's margins around the text (an option with no text: no minimum width of 80 px).
    metrics = button.fontMetrics()
    text_size = QSize(metrics.horizontalAdvance(text), metrics.height())
    if not button.icon().isNull():
        text_size += QSize(button.iconSize().width() + 4, 0)
    needs = button.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, text_size, button)
    return _elided(text, button.toolTip(), where) + _cut(where, needs.width(), button.width())


def _tool_button_findings(button: QToolButton, where: str) -> list[Finding]:
    if not button.text() or button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly:
        return []
    return _cut(where, button.sizeHint().width(), button.width())


def _check_box_findings(box: QAbstractButton, where: str) -> list[Finding]:
    text = box.text().replace("&", "")
    if not text:
        return []
    style = box.style()
    radio = isinstance(box, QRadioButton)
    indicator = style.pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth if radio
                                  else QStyle.PixelMetric.PM_IndicatorWidth, None, box)
    spacing = style.pixelMetric(QStyle.PixelMetric.PM_RadioButtonLabelSpacing if radio
                                else QStyle.PixelMetric.PM_CheckBoxLabelSpacing, None, box)
    return _cut(where, indicator + spacing + box.fontMetrics().horizontalAdvance(text), box.width())


def _combo_findings(box: QComboBox, where: str) -> list[Finding]:
    if box.isEditable():
        return []  # (its line edit is walked)
    # (A box that elides its text itself says what it draws: ``shown_text``.)
    text = box.shown_text() if hasattr(box, "shown_text") else box.currentText()
    if not text:
        return []
    option = QStyleOptionComboBox()
    option.initFrom(box)
    option.editable = False
    option.frame = box.hasFrame()
    field = box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                       QStyle.SubControl.SC_ComboBoxEditField, box)
    icon = box.iconSize().width() + 4 if not box.itemIcon(box.currentIndex()).isNull() else 0
    # (The style draws the text 1 px in from each side of the field.)
    needs = box.fontMetrics().horizontalAdvance(text) + icon + 2
    return _elided(text, box.itemData(box.currentIndex(), Qt.ItemDataRole.ToolTipRole) or box.toolTip(),
                   where) + _cut(where, needs, field.width())


def _line_edit_findings(edit: QLineEdit, where: str) -> list[Finding]:
    text = edit.text() or edit.placeholderText()
    if not text or edit.echoMode() != QLineEdit.EchoMode.Normal:
        return []
    margins = edit.textMargins()
    frame = edit.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, edit) if edit.hasFrame() else 0
    # QLineEdit keeps 2 px of its own on each side of the text (QLineEditPrivate::horizontalMargin).
    room = edit.contentsRect().width() - margins.left() - margins.right() - 2 * frame - 2 * 2
    return _cut(where, edit.fontMetrics().horizontalAdvance(text), room)


def _tab_findings(bar: QTabBar, where: str) -> list[Finding]:
    found = []
    scrolls = bar.usesScrollButtons() and any(
        b.isVisible() for b in bar.findChildren(QToolButton))
    inside = bar.rect()
    for i in range(bar.count()):
        if not bar.isTabVisible(i):
            continue
        rect = bar.tabRect(i)
        tab = f"{where} › tab {bar.tabText(i)!r}"
        if bar.elideMode() != Qt.TextElideMode.ElideNone:
            needs = bar.fontMetrics().horizontalAdvance(bar.tabText(i)) + bar.style().pixelMetric(
                QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar)
            if needs > rect.width() + SLACK and bar.tabText(i) not in bar.tabToolTip(i):
                found.append(Finding("cut tab title", tab, f"needs {needs} px, has {rect.width()} px (wide)"))
        if not scrolls and (rect.left() < inside.left() - SLACK or rect.right() > inside.right() + SLACK):
            found.append(Finding("tab out of view", tab, f"tab spans x {rect.left()}..{rect.right()}, the bar "
                                 f"0..{inside.right()}, no scroll buttons"))
    return found


def _group_findings(box: QGroupBox, where: str) -> list[Finding]:
    if not box.title():
        return []
    option = QStyleOptionGroupBox()
    option.initFrom(box)
    option.text = box.title()
    option.subControls = QStyle.SubControl.SC_GroupBoxLabel
    option.lineWidth = 1
    label = box.style().subControlRect(QStyle.ComplexControl.CC_GroupBox, option,
                                       QStyle.SubControl.SC_GroupBoxLabel, box)
    needs = label.left() + box.fontMetrics().horizontalAdvance(box.title().replace("&", ""))
    return _cut(where, needs, box.width(), what="group title")


def _dock_title_findings(dock: QDockWidget, where: str) -> list[Finding]:
    """The title between the dock's left edge and its float and close buttons (the style elides it)."""
    if dock.titleBarWidget() is not None or not dock.windowTitle():
        return []
    buttons = [b for b in dock.findChildren(QAbstractButton, options=Qt.FindChildOption.FindDirectChildrenOnly)
               if b.isVisible()]
    right = min((b.geometry().left() for b in buttons), default=dock.width())
    margin = dock.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetTitleMargin, None, dock)
    needs = dock.fontMetrics().horizontalAdvance(dock.windowTitle()) + 2 * margin
    if dock.windowTitle() in dock.toolTip():
        return []
    return _cut(where, needs, right, what="dock title")


#: Each kind of widget with text and its check (the first that matches: a check box is a button too).
_TEXT_CHECKS = (
    (QLabel, _label_findings), ((QCheckBox, QRadioButton), _check_box_findings), (QPushButton, _button_findings),
    (QToolButton, _tool_button_findings), (QComboBox, _combo_findings), (QLineEdit, _line_edit_findings),
    (QTabBar, _tab_findings), (QGroupBox, _group_findings), (QDockWidget, _dock_title_findings),
)


# -- placement ---------------------------------------------------------------------------------------------


def _placement_findings(widget: QWidget, where: str) -> list[Finding]:
    """A widget partly outside its parent: Qt clips it there. A scroll area's contents may run
    past its viewport only where a scroll bar is shown to reach the rest."""
    parent = widget.parentWidget()
    if parent is None or widget.isWindow() or widget.objectName() in _QT_PARTS:
        return []
    inner, outer = widget.geometry(), parent.rect()
    area = parent.parentWidget()
    if parent.objectName() == "qt_scrollarea_viewport" and isinstance(area, QAbstractScrollArea):
        if area.horizontalScrollBar().isVisible():
            inner = QRect(outer.left(), inner.top(), outer.width(), inner.height())
        if area.verticalScrollBar().isVisible():
            inner = QRect(inner.left(), outer.top(), inner.width(), outer.height())
    elif parent.objectName() in _QT_PARTS:
        return []
    if _inside(inner, outer):
        return []
    return [Finding("out of its parent", where, f"spans {_span(widget.geometry())}, its parent "
                    f"{type(parent).__name__} {_span(outer)}")]


def _inside(inner: QRect | QRectF, outer: QRect | QRectF) -> bool:
    return (inner.left() >= outer.left() - SLACK and inner.top() >= outer.top() - SLACK
            and inner.right() <= outer.right() + SLACK and inner.bottom() <= outer.bottom() + SLACK)


def _span(rect: QRect | QRectF) -> str:
    return (f"x {rect.left():.0f}..{rect.left() + rect.width():.0f}, "
            f"y {rect.top():.0f}..{rect.top() + rect.height():.0f}")


def _stray_tab_bar_findings(window: QMainWindow, names: dict[int, str]) -> list[Finding]:
    """Each tab bar of the dock areas that is seen heads one of its docks (the tabs on top, as the
    view area puts them): a bar that heads none is left over from an earlier arrangement, seen in
    a gap between the parts or over them (a view, the controls, the live bar), as the stacking
    happens to fall. (Left over and hidden under another part, it is not counted: nobody sees it.
    Which part is seen where is Qt's ``childAt``.)"""
    parts = [w for w in window.children() if isinstance(w, QWidget) and not w.isWindow() and w.isVisible()]
    docks = [d for d in parts if isinstance(d, QDockWidget) and not d.isFloating()]
    found = []
    for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if not bar.isVisible() or not window.rect().intersects(bar.geometry()):
            continue
        tabs = {bar.tabText(i) for i in range(bar.count())}
        rect = bar.geometry()
        heads = [d for d in docks if d.windowTitle() in tabs and abs(d.geometry().top() - rect.bottom() - 1) <= 2
                 and min(d.geometry().right(), rect.right()) - max(d.geometry().left(), rect.left()) >= rect.width() // 2]
        seen = [point for point in _points(rect) if _part_at(window, point) is bar]
        if heads or not seen:
            continue
        under = [_label(w, names) for w in parts if w is not bar and any(w.geometry().contains(p) for p in seen)]
        found.append(Finding("stray tab bar", _label(bar, names),
                             f"at {_span(rect)}, above none of its docks, seen at {len(seen)} of 15 points"
                             + (f", over {', '.join(under)}" if under else "")))
    return found


def _points(rect: QRect) -> list[QPoint]:
    """Points spread over ``rect`` (5 across, 3 down), where to ask what is seen."""
    return [QPoint(rect.left() + rect.width() * (2 * x + 1) // 10, rect.top() + rect.height() * (2 * y + 1) // 6)
            for x in range(5) for y in range(3)]


def _part_at(window: QMainWindow, point: QPoint) -> QWidget | None:
    """The window's own child seen at ``point``."""
    widget = window.childAt(point)
    while widget is not None and widget.parentWidget() is not window:
        widget = widget.parentWidget()
    return widget


def _status_message_findings(window: QMainWindow) -> list[Finding]:
    """The status bar's message in the room its permanent fields leave."""
    bar = window.statusBar()
    message = bar.currentMessage()
    if not message or not bar.isVisible():
        return []
    fields = [w for w in bar.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
              if w.isVisible() and not w.isWindow()]
    room = min((w.geometry().left() for w in fields), default=bar.width()) - 8  # (Qt's margins)
    return _cut(f"statusBar() message {message[:40]!r}", bar.fontMetrics().horizontalAdvance(message), room,
                what="status message")


# -- plots ---------------------------------------------------------------------------------------------


def _plots(view: pg.GraphicsView) -> list[pg.PlotItem]:
    return [item for item in view.scene().items() if isinstance(item, pg.PlotItem) and item.isVisible()]


def _plot_name(plot: pg.PlotItem) -> str:
    title = getattr(plot, "_shown_title", None)
    return f"plot {title!r}" if title else f"{type(plot).__name__} (untitled)"


def _plot_findings(view: pg.GraphicsView, plot: pg.PlotItem, where: str) -> list[Finding]:
    seen = _seen_rect(view, plot)
    return (_plot_in_view_findings(view, plot, where) + _title_findings(plot, seen, where) + _legend_findings(view, plot, where)
            + _axis_findings(plot, where) + _text_item_findings(view, plot, where))


def _plot_in_view_findings(view: pg.GraphicsView, plot: pg.PlotItem, where: str) -> list[Finding]:
    """The whole plot in its view: a plot held wider or taller than its view (by its own minimum
    size) loses its far side, axes, legend and title with it."""
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    rect = plot.sceneBoundingRect()
    if _inside(rect, shown):
        return []
    return [Finding("plot out of its view", where, f"plot {rect.width():.0f}×{rect.height():.0f} px at {_span(rect)}, "
                    f"the view shows {_span(shown)}")]


def _seen_rect(view: pg.GraphicsView, item) -> QRectF:
    """The part of ``item`` (scene coordinates) the view's viewport shows."""
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    return item.sceneBoundingRect().intersected(shown)


def _title_findings(plot: pg.PlotItem, seen: QRectF, where: str) -> list[Finding]:
    """The title no wider than the plot, and where it stands whole on screen (a plot wider than
    its view centres its title past the view's edge)."""
    label = plot.titleLabel
    if not label.isVisible() or not label.text:
        return []
    needs = label.item.boundingRect().width()
    found = _cut(where, needs, min(seen.width(), plot.width()), what="plot title")
    text = label.item.sceneBoundingRect()
    margin = label.item.document().documentMargin()
    text = text.adjusted(margin, 0, -margin, 0)
    if not found and not (text.left() >= seen.left() - SLACK and text.right() <= seen.right() + SLACK):
        found.append(Finding("plot title out of view", where, f"title x {text.left():.0f}..{text.right():.0f}, "
                             f"the plot on screen x {seen.left():.0f}..{seen.right():.0f}"))
    return found


def _legend_findings(view: pg.GraphicsView, plot: pg.PlotItem, where: str) -> list[Finding]:
    """Each legend with entries inside its plot's view box (a legend of its own in the layout:
    inside the part of the plot on screen)."""
    found = []
    box = plot.vb.sceneBoundingRect()
    for item in view.scene().items():
        if not (isinstance(item, pg.LegendItem) or "Legend" in type(item).__name__) or not item.isVisible():
            continue
        if isinstance(item, pg.LegendItem) and not item.items:
            continue
        rect = item.sceneBoundingRect()
        anchored = isinstance(item, pg.LegendItem) and item.parentItem() is plot.vb
        if anchored:
            outer, name = box, "its view box"
        elif plot.sceneBoundingRect().contains(rect.center()):
            outer, name = _seen_rect(view, plot), "the plot on screen"
        else:
            continue
        if not _inside(rect, outer):
            found.append(Finding("legend out of its plot", f"{where} › {type(item).__name__}",
                                 f"legend {_span(rect)} ({rect.width():.0f}×{rect.height():.0f} px), "
                                 f"{name} {_span(outer)}"))
    return found


def _text_item_findings(view: pg.GraphicsView, plot: pg.PlotItem, where: str) -> list[Finding]:
    """Text drawn in the data (node names, notes) whole inside the part of the view box on screen."""
    found = []
    outer = _seen_rect(view, plot.vb)
    for item in plot.vb.allChildren():
        if isinstance(item, pg.TextItem) and item.isVisible() and item.textItem.toPlainText().strip():
            # (Less the text's document margin: the glyphs' own box.)
            margin = item.textItem.document().documentMargin()
            rect = item.sceneBoundingRect().adjusted(margin, margin, -margin, -margin)
            if rect.intersects(outer) and not _inside(rect, outer):
                text = item.textItem.toPlainText()
                found.append(Finding("text out of its plot", f"{where} › TextItem {text[:30]!r}",
                                     f"text {_span(rect)}, the view box on screen {_span(outer)}"))
    return found


def _axis_findings(plot: pg.PlotItem, where: str) -> list[Finding]:
    found = []
    labelled = {}
    has_data = any(_has_data(item) for item in plot.listDataItems()) or any(
        isinstance(item, pg.ImageItem) and item.isVisible() and item.image is not None for item in plot.vb.addedItems)
    for side in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(side)
        if not axis.isVisible():
            continue
        found += _axis_label_findings(axis, f"{where} › {side} axis")
        if not axis.style["showValues"]:
            continue
        labels = tick_labels(axis)
        labelled[side] = bool(labels)
        found += _crowded_findings(labels, f"{where} › {side} axis")
        if has_data:  # (an empty plot's range is a placeholder, its note says why)
            found += _axis_end_findings(axis, _tick_label_positions(axis, labels), f"{where} › {side} axis")
    horizontal = labelled.get("bottom", False) or labelled.get("top", False)
    vertical = labelled.get("left", False) or labelled.get("right", False)
    if has_data and horizontal != vertical:
        found.append(Finding("plot labelled on one axis", where,
                             f"tick labels on the {'x' if horizontal else 'y'} axis only"))
    return found


def _has_data(item) -> bool:
    """A data item drawn with two points or more (one point makes no range: the window's first
    row, before any step, with its "no steps yet" note)."""
    if not item.isVisible():
        return False
    x, _ = item.getData()
    return x is not None and len(x) > 1


def _axis_label_findings(axis: pg.AxisItem, where: str) -> list[Finding]:
    if not axis.label.isVisible() or not axis.labelText:
        return []
    length = axis.height() if axis.orientation in ("left", "right") else axis.width()
    return _cut(f"{where} label {axis.labelText!r}", axis.label.boundingRect().width(), length, what="axis label",
                axis="along the axis")


def tick_labels(axis: pg.AxisItem) -> list[tuple[QRectF, str]]:
    """The tick labels pyqtgraph draws on the axis now, each with its rectangle (the axis's own
    layout of them: it drops a label that does not fit)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _, text in specs[2] if re.search(r"\S", text)]


def _tick_label_positions(axis: pg.AxisItem, labels: list[tuple[QRectF, str]]) -> list[float]:
    """Where along the axis (0: the range's start, 1: its end) the labels stand."""
    vertical = axis.orientation in ("left", "right")
    length = axis.height() if vertical else axis.width()
    if length <= 0:
        return []
    return sorted(1 - rect.center().y() / length if vertical else rect.center().x() / length for rect, _ in labels)


def _crowded_findings(labels: list[tuple[QRectF, str]], where: str) -> list[Finding]:
    """Tick labels drawn over each other (the axis too short for its ticks)."""
    ordered = sorted(labels, key=lambda label: (label[0].top(), label[0].left()))
    clashes = [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1:]
               if a[0].intersected(b[0]).width() > CROWD and a[0].intersected(b[0]).height() > CROWD]
    if not clashes:
        return []
    (first, a), (second, b) = clashes[0]
    common = first.intersected(second)
    return [Finding("tick labels over each other", where,
                    f"{len(clashes)} pairs, e.g. {a!r} and {b!r} share {common.width():.0f}×{common.height():.0f} px")]


def _axis_end_findings(axis: pg.AxisItem, positions: list[float], where: str) -> list[Finding]:
    """The labels reach both ends of the range: neither end's unlabelled stretch is longer than
    ``END_GAP`` of the range or, when longer, than half as much again as the labels' own spacing
    (1 and 2 on 0..3 read as a whole axis; 0 and 0.01 on -0.01..0.01 do not)."""
    low, high = axis.range
    scale = " (log10)" if axis.logMode else ""
    if not positions:
        return [Finding("axis without tick labels", where, f"range {low:.3g}..{high:.3g}{scale}, no label drawn")]
    start, end = positions[0], 1 - positions[-1]
    spacing = max((b - a for a, b in zip(positions, positions[1:])), default=0.0)
    most = max(END_GAP, 1.5 * spacing)
    if start <= most and end <= most:
        return []
    value = (lambda p: low + p * (high - low))
    return [Finding("one-sided axis", where,
                    f"labels cover {value(positions[0]):.3g}..{value(positions[-1]):.3g} of {low:.3g}..{high:.3g}{scale}: "
                    f"{start:.0%} unlabelled at the start, {end:.0%} at the end (most {most:.0%})")]

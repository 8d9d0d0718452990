"""The view area: every view besides the two core ones, each in a dock of its own.

The error curves and the delta traces are the window's centre, the biggest things on screen in
every layout. Every other view (accuracy, the all-deltas heatmap, the network, the decision
regions, the stability map, the sweep, the per-epoch delta summary) is a dock of the right-hand
view area: tabbed there, side by side with the core two, detached (a dock's float button, or a
double-click on its title bar: a second screen), or brought up big (its number key twice, or a
double-click on the view).

Named layouts arrange the area ("Explore", "Lecture", "Everything"); the window keeps the
layout between launches and the user's own layouts under names of their choosing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QTabWidget, QWidget

__all__ = ["CELL", "LAYOUTS", "VIEWS", "ViewArea", "arrangement", "fold"]

#: The views of the area: name -> (title, key that shows it; pressed again: brings it up big).
VIEWS = {
    "accuracy": ("Accuracy", "1"),
    "heatmap": ("Delta heatmap", "2"),
    "network": ("Network", "3"),
    "regions": ("Decision regions", "4"),
    "stability": ("Stability map", "5"),
    "sweep": ("Sweep", "6"),
    "summary": ("Delta summary", "7"),
}
#: A dock's title (its tab's, and its title bar's), where the menu's name is longer: four tabs of a
#: 368 px column (Explore at 1280×720) fit with these, and the view's own title says the rest.
DOCK_TITLES = {"heatmap": "Heatmap", "summary": "Summary"}
#: The shipped layouts: name -> (groups of tabbed views, top to bottom then left to right; the share
#: of the room right of the controls the area takes; the number of columns; whether the area starts
#: closed). "Lecture" gives the core two the whole width: a view comes up, beside them, when its key
#: is pressed (and goes with the same key pressed twice more, or its close button).
#: The core two views are the biggest on screen: each has half the centre's height, so a view of a
#: column of r groups (c columns) stays smaller while the area's share s keeps s / c / r below
#: (1 - s) / 2, that is s < q / (1 + q) with q = c·r / 2: Explore 0.5, Lecture (one view, full
#: height) 0.33, Everything 0.75. The shares stay below, with room for the core's titles and the
#: lecture readout above them.
LAYOUTS = {
    "Explore": ((("network", "accuracy", "heatmap", "summary"), ("regions", "stability", "sweep")), 0.42, 1, False),
    "Lecture": ((("network", "regions", "stability", "sweep", "accuracy", "heatmap", "summary"),), 0.29, 1, True),
    # (Six groups, two columns of three: a seventh row made the window outgrow 1280×720; the
    # per-epoch summary shares its place with the accuracy, the other per-epoch view.)
    "Everything": ((("accuracy", "summary"), ("heatmap",), ("network",), ("regions",), ("stability",), ("sweep",)),
                   0.5, 2, False),
}
#: The least a view of a group needs to be read (width, height in pixels, besides its title and
#: tabs): in normal and in lecture mode. Where the room has not that much for each of a layout's
#: groups (Everything at 1280×720: six views of 220×110 px), :func:`arrangement` folds the
#: groups into fewer, each with more tabs.
CELL = {False: (250, 190), True: (330, 240)}
#: The width a column of docks loses to its frame and the splitter beside it.
COLUMN_CHROME = 8
#: The height of a group's dock title and tab bar.
GROUP_CHROME = 48
#: The share of its bound q / (1 + q) (see LAYOUTS) a folded layout's area takes: Explore's,
#: 0.42 of 0.5, margin left for the core's titles and the lecture readout.
SHARE_OF_BOUND = 0.84
# The share of the room a view brought up big takes.
BIG_SHARE = 0.62
# The share of the room the area takes with a dock kept below its views (lecture mode's lesson
# text): the views have at most half the height there, so they may be wider (see LAYOUTS).
BELOW_SHARE = 0.4


def fold(views: list[str], n: int) -> tuple[tuple[str, ...], ...]:
    """``views`` in order, in ``n`` groups of about the same size (the first ones larger)."""
    n = max(1, min(n, len(views)))
    size, extra = divmod(len(views), n)
    groups, start = [], 0
    for i in range(n):
        end = start + size + (i < extra)
        groups.append(tuple(views[start:end]))
        start = end
    return tuple(groups)


def arrangement(name: str, width: int, height: int, lecture: bool):
    """Layout ``name`` as it is put on show in a room ``width`` wide (right of the controls)
    and ``height`` high: (groups, share, columns, closed), as :data:`LAYOUTS` has them, with
    the groups folded into as many as the room has cells of :data:`CELL` for, and the share
    cut to keep the core two the biggest (see LAYOUTS) when fewer groups make each one larger."""
    groups, share, columns, closed = LAYOUTS[name]
    if len(groups) <= 1:
        return groups, share, columns, closed
    cell_width, cell_height = CELL[lecture]
    fit_columns = max(1, min(columns, int(width * share) // (cell_width + COLUMN_CHROME)))
    rows = -(-len(groups) // columns)
    fit_rows = max(1, min(rows, height // (cell_height + GROUP_CHROME)))
    if fit_columns * fit_rows >= len(groups):
        return groups, share, columns, closed
    q = fit_columns * fit_rows / 2
    views = [view for group in groups for view in group]
    return fold(views, fit_columns * fit_rows), min(share, round(SHARE_OF_BOUND * q / (1 + q), 2)), fit_columns, closed


class ViewArea(QObject):
    """The docks of the view area of ``window``, one per view of ``widgets`` (name -> widget);
    ``room()`` is the width right of the window's left-hand docks, which the core two and the area
    share."""

    def __init__(self, window: QMainWindow, widgets: dict[str, QWidget], room: Callable[[], int],
                 lecture: Callable[[], bool] = lambda: False) -> None:
        super().__init__(window)
        self.window = window
        self.room = room
        self.lecture = lecture
        self.docks: dict[str, QDockWidget] = {}
        window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        window.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                              | QMainWindow.DockOption.AllowNestedDocks)
        for name, (title, key) in VIEWS.items():
            dock = QDockWidget(DOCK_TITLES.get(name, title), window)
            dock.setObjectName(f"view-{name}")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            dock.setToolTip(f"{title}: {key} shows it, {key} again brings it up big; drag its title to move it, "
                            "double-click the title to detach it")
            dock.setWidget(widgets[name])
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            target = getattr(widgets[name], "viewport", None)
            (target() if callable(target) else widgets[name]).installEventFilter(self)
            self.docks[name] = dock
            # (Qt says so when the dock is shown, hidden, or its tab chosen or left: a tab behind
            # another is "visible" to isVisible(), moved off screen.)
            dock.visibilityChanged.connect(lambda on, name=name: self._on_visibility(name, on))
            # A view the user moves (to another place, into tabs, out as a window): the layout is
            # theirs now, and F5 or Ctrl+F5 no longer re-arranges it (see :attr:`layout`).
            dock.dockLocationChanged.connect(self._on_moved)
            dock.topLevelChanged.connect(self._on_moved)
        #: Which views are on screen.
        self._on_screen: dict[str, bool] = {name: False for name in VIEWS}
        #: The name of the view brought up big and the window's state before (None: none is).
        self.big: tuple[str, QByteArray] | None = None
        #: The layout last applied by name ("" after the user moved things, or restored a state).
        self.layout = ""
        self._arranging = 0  # (while the area arranges its docks itself: their moves are not the user's)
        #: How many times a layout or a state has been put on show (a generation: a deferred
        #: re-arrangement asked for before another was put on show is stale).
        self.arranged = 0
        self._size = window.size()  # (the size the window keeps: see _keep_size)
        self._share = 0.32
        self.groups = 0
        #: The docks of each column of the layout last applied, and the heights they share.
        self._heights: list[tuple[list[QDockWidget], list[int]]] = []
        #: The view last brought to the front on request (a lesson's, a key's), or None.
        self.front: str | None = None
        #: A dock of the window kept below the area's views by :meth:`apply` (lecture mode's
        #: lesson text), or None.
        self.below: QDockWidget | None = None

    # -- layouts -------------------------------------------------------------------------------------

    def apply(self, name: str, keep_front: bool = False) -> None:
        """Arrange the area as the shipped layout ``name``; with ``keep_front`` the view last brought
        to the front on request stays there (a lesson's stability map, when lecture mode comes on)."""
        with self.arranging():
            self._apply(name, keep_front)
        self.arranged += 1

    @contextlib.contextmanager
    def arranging(self) -> Iterator[None]:
        """The area's own moves of its docks (a layout, a state restored): not the user's."""
        self._arranging += 1
        try:
            yield
        finally:
            self._arranging -= 1

    def restore(self, state: QByteArray, layout: str = "") -> bool:
        """The window's docks as ``state`` has them (a layout the user saved, or the last launch's),
        named ``layout`` when a shipped layout is what it holds."""
        self.big = None
        with self.arranging():
            done = self.window.restoreState(state)
        if done:
            self.layout = layout if layout in LAYOUTS else ""
            self.arranged += 1
        QTimer.singleShot(0, self.tidy)
        return done

    @Slot()
    def _on_moved(self, *_) -> None:
        if not self._arranging:
            self.layout = ""

    def _apply(self, name: str, keep_front: bool) -> None:
        front = self.front if keep_front else None
        # (Re-adding the docks stacks them all for a moment: a window that grew meanwhile gets its size back.)
        size = self.window.size()
        window = self.window
        central = window.centralWidget()
        height = central.height() if central is not None else window.height()
        groups, share, columns, closed = arrangement(name, self.room(), height, self.lecture())
        self.groups = len(groups)  # (how many groups of tabs are on show: fewer than its own in a small room)
        self.big = None
        area = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in self.docks.values():  # each on its own (re-adding one takes it out of its tabs)
            if dock.isFloating():
                dock.setFloating(False)
            window.addDockWidget(area, dock, Qt.Orientation.Vertical)
            dock.show()
        # The groups' first views placed first (a split beside a tabbed dock would only add a tab),
        # then the others tabbed onto them.
        firsts = [self.docks[group[0]] for group in groups]
        for i, first in enumerate(firsts):
            if i >= columns:  # below the one above it in its column
                window.splitDockWidget(firsts[i - columns], first, Qt.Orientation.Vertical)
            elif i:  # a column beside the first
                window.splitDockWidget(firsts[i - 1], first, Qt.Orientation.Horizontal)
        for first, group in zip(firsts, groups):
            for other in group[1:]:
                window.tabifyDockWidget(first, self.docks[other])
            first.raise_()
        below = self._below()
        if below is not None and closed:  # (the area's last row: alone, until a view opens above it)
            window.addDockWidget(area, below, Qt.Orientation.Vertical)
        elif below is not None:  # (a tab of the last group, in front: a row more outgrew 1280×720)
            window.tabifyDockWidget(firsts[-1], below)
            below.raise_()
        top = firsts[:columns]
        window.resizeDocks(top, [int(self.room() * share / columns)] * len(top), Qt.Orientation.Horizontal)
        # Shares of the height between the menu and the status bar, less each group's tabs and
        # title (asked for more, the window would grow: a screenshot came out 13 px too tall).
        # Each column's: left to Qt, the second one's last view was 131 px high.
        columns_of = [firsts[c::columns] for c in range(columns)]
        self._heights = [(column, [max(60, (height - GROUP_CHROME * len(column)) // len(column))] * len(column))
                         for column in columns_of if len(column) > 1]
        self._share_height()
        self._keep_size(size)
        self.layout = name
        self._share = share
        if closed:
            for dock in self.docks.values():
                dock.hide()
        self.whole_tab_titles()
        self.front = None
        if front is not None:
            self.show(front)

    def _keep_size(self, size) -> None:
        """The window back at ``size`` if re-arranging its docks made it grow, now and once its
        layout has settled (until then, the docks' minimum heights may still add up)."""
        window = self.window
        if window.size() != size:
            window.resize(size)
            if window.isVisible():  # (before it is shown, its size is its caller's to set)
                self._size = size
                QTimer.singleShot(0, self._resize_back)

    def _share_height(self) -> None:
        for column, heights in self._heights:
            self.window.resizeDocks(column, heights, Qt.Orientation.Vertical)

    @Slot()
    def _resize_back(self) -> None:
        self.window.resize(self._size)
        # (A window shrunk back takes the height it grew by from each column's last view: the
        # sweep was 137 px high in Everything at 1920×1080.)
        self._share_height()

    def _below(self) -> QDockWidget | None:
        """The dock kept below the views, when it is open and docked."""
        below = self.below
        return below if below is not None and not below.isHidden() and not below.isFloating() else None

    def whole_tab_titles(self) -> None:
        """The dock area's tab bars show whole titles, scrolling when they do not fit (Qt cuts them
        to "N…" by default: unreadable in lecture mode); stray ones go (see :meth:`tidy`)."""
        for bar in self._tab_bars():
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
        QTimer.singleShot(0, self.tidy)  # (once the layout has placed them)

    def _tab_bars(self) -> list[QTabBar]:
        # (The dock areas' bars are the window's children; a view's own tabs keep theirs.)
        return [bar for bar in self.window.findChildren(QTabBar) if bar.parent() is self.window]

    @Slot()
    def tidy(self) -> None:
        """Hide the dock areas' stray tab bars. Re-arranged (a layout applied, a state restored),
        Qt's main window layout keeps tab bars of an earlier arrangement on screen where they
        were, over the plots or the controls: a bar that overlaps the window's centre or a dock
        that is not one of its own tabs is such a one. (Their docks' places are no guide: they
        lag a re-arrangement, and a bar hidden in use would not come back.)"""
        window = self.window
        central = window.centralWidget()
        for bar in self._tab_bars():
            if not bar.isVisible():
                continue
            g = bar.geometry()
            titles = {bar.tabText(i) for i in range(bar.count())}
            over = [d.geometry() for d in window.findChildren(QDockWidget)
                    if d.isVisible() and not d.isFloating() and d.windowTitle() not in titles]
            # (Nor over the status bar or the menu bar: a bar was left at the bottom, over the
            # status bar's fields, in lecture mode with lesson 6 at 1280×720.)
            over += [strip.geometry() for strip in (window.statusBar(), window.menuBar()) if strip.isVisible()]
            if central is not None and g.intersects(central.geometry()) or any(g.intersects(r) for r in over):
                bar.hide()

    # -- showing one -----------------------------------------------------------------------------------

    def shown(self, name: str) -> bool:
        """Whether view ``name`` is on screen (its dock open and, in tabs, the tab raised)."""
        return self._on_screen[name] and self.docks[name].isVisible()

    def _on_visibility(self, name: str, on: bool) -> None:
        self._on_screen[name] = on
        if not on and self.big is not None and self.big[0] == name:
            QTimer.singleShot(0, self, lambda: self._closed_big(name))  # (dropped if the window goes first)

    def _closed_big(self, name: str) -> None:
        """The view up big was closed (its close button): the others back as they were, without it."""
        dock = self.docks[name]
        if self.big is None or self.big[0] != name or not dock.isHidden():
            return
        self.restore(self.big[1], self.layout)
        dock.hide()

    def show(self, name: str) -> None:
        """Bring view ``name`` to the front: its dock opened and raised (its tab chosen)."""
        dock = self.docks[name]
        self.front = name
        opening = not any(not d.isHidden() for d in self.docks.values() if not d.isFloating())
        dock.show()
        if not dock.isFloating():  # (a floating one is a window: raising it is the platform's)
            dock.raise_()
        if opening:  # the area was closed (the Lecture layout): it opens at the layout's width
            size = self.window.size()
            below = self._below()
            share = self._share if below is None else max(self._share, BELOW_SHARE)
            self.window.resizeDocks([dock], [int(self.room() * share)], Qt.Orientation.Horizontal)
            if below is not None:  # (half the height each)
                half = max(60, (self.window.centralWidget().height() - 96) // 2)
                self.window.resizeDocks([dock, below], [half, half], Qt.Orientation.Vertical)
            self._keep_size(size)

    def press(self, name: str) -> None:
        """The view's key: show it; pressed again when it is on show, bring it up big (or back)."""
        if self.big is not None and self.big[0] == name:
            self.toggle_big(name)
        elif self.shown(name):
            self.toggle_big(name)
        else:
            self.show(name)

    def toggle_big(self, name: str) -> None:
        """View ``name`` big beside the core two (the other views out of the way), or back as it was."""
        window = self.window
        if self.big is not None:
            was, state = self.big
            self.restore(state, self.layout)
            if was == name:
                return
        self.big = (name, window.saveState())
        dock = self.docks[name]
        with self.arranging():
            dock.setFloating(False)
        for other, d in self.docks.items():
            if other != name:
                d.hide()
        dock.show()
        window.resizeDocks([dock], [int(self.room() * BIG_SHARE)], Qt.Orientation.Horizontal)
        QTimer.singleShot(0, self.tidy)

    def leave_big(self) -> bool:
        """Back from a view brought up big; False when none is."""
        if self.big is None:
            return False
        self.toggle_big(self.big[0])
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.MouseButtonDblClick:
            for name, dock in self.docks.items():
                widget = dock.widget()
                if watched is widget or watched is getattr(widget, "viewport", lambda: None)():
                    self.toggle_big(name)
                    return True
        return False

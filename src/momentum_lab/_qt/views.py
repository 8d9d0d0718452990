"""The view area: every view besides the two core ones, each in a dock of its own.

The error curves and the delta traces are the window's centre, the biggest things on screen in
every layout. Every other view (accuracy, the all-deltas heatmap, the network, the decision
regions, the stability map, the sweep, the per-epoch delta summary) is a dock of the right-hand view area: tabbed there, side
by side with the core two, detached (a dock's float button, or a double-click on its title bar:
a second screen), or brought up big (its number key twice, or a double-click on the view).

Named layouts arrange the area ("Explore", "Lecture", "Everything"); the window keeps the
layout between launches and the user's own layouts under names of their choosing.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QTabWidget, QWidget

__all__ = ["LAYOUTS", "VIEWS", "ViewArea"]

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
#: The shipped layouts: name -> (groups of tabbed views, top to bottom then left to right; the share
#: of the window's width the area takes; the number of columns; whether the area starts closed).
#: "Lecture" gives the core two the whole width: a view comes up, beside them, when its key is
#: pressed (and goes with the same key pressed twice more, or its close button).
LAYOUTS = {
    "Explore": ((("network", "accuracy", "heatmap", "summary"), ("regions", "stability", "sweep")), 0.32, 1, False),
    "Lecture": ((("network", "regions", "stability", "sweep", "accuracy", "heatmap", "summary"),), 0.25, 1, True),
    "Everything": ((("accuracy",), ("heatmap",), ("network",), ("regions",), ("stability",), ("sweep",),
                    ("summary",)), 0.5, 2, False),
}
# The share of the window's width a view brought up big takes.
BIG_SHARE = 0.62


class ViewArea(QObject):
    """The docks of the view area of ``window``, one per view of ``widgets`` (name -> widget)."""

    def __init__(self, window: QMainWindow, widgets: dict[str, QWidget]) -> None:
        super().__init__(window)
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        window.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        window.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                              | QMainWindow.DockOption.AllowNestedDocks)
        for name, (title, key) in VIEWS.items():
            dock = QDockWidget(title, window)
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
        #: Which views are on screen.
        self._on_screen: dict[str, bool] = {name: False for name in VIEWS}
        #: The name of the view brought up big and the window's state before (None: none is).
        self.big: tuple[str, QByteArray] | None = None
        #: The layout last applied by name ("" after the user moved things: saved in the state).
        self.layout = ""
        self._share = 0.32
        #: The view last brought to the front on request (a lesson's, a key's), or None.
        self.front: str | None = None

    # -- layouts -------------------------------------------------------------------------------------

    def apply(self, name: str, keep_front: bool = False) -> None:
        """Arrange the area as the shipped layout ``name``; with ``keep_front`` the view last brought
        to the front on request stays there (a lesson's stability map, when lecture mode comes on)."""
        front = self.front if keep_front else None
        # (Re-adding the docks stacks them all for a moment: a window that grew meanwhile gets its size back.)
        size = self.window.size()
        groups, share, columns, closed = LAYOUTS[name]
        self.big = None
        window = self.window
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
        width = max(window.width(), 800)
        top = firsts[:columns]
        window.resizeDocks(top, [int(width * share / columns)] * len(top), Qt.Orientation.Horizontal)
        rows = -(-len(groups) // columns)
        if rows > 1:
            # Shares of the height between the menu and the status bar, less each group's tabs and
            # title (asked for more, the window would grow: a screenshot came out 13 px too tall).
            central = window.centralWidget()
            height = (central.height() if central is not None else window.height()) - 48 * rows
            column = firsts[::columns]
            window.resizeDocks(column, [max(60, height // rows)] * len(column), Qt.Orientation.Vertical)
        if window.size() != size:
            window.resize(size)
        self.layout = name
        self._share = share
        if closed:
            for dock in self.docks.values():
                dock.hide()
        self.whole_tab_titles()
        self.front = None
        if front is not None:
            self.show(front)

    def whole_tab_titles(self) -> None:
        """The dock area's tab bars show whole titles, scrolling when they do not fit (Qt cuts them
        to "N…" by default: unreadable in lecture mode)."""
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is self.window:  # (the dock areas' bars; a view's own tabs keep theirs)
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)

    # -- showing one -----------------------------------------------------------------------------------

    def shown(self, name: str) -> bool:
        """Whether view ``name`` is on screen (its dock open and, in tabs, the tab raised)."""
        return self._on_screen[name] and self.docks[name].isVisible()

    def _on_visibility(self, name: str, on: bool) -> None:
        self._on_screen[name] = on

    def show(self, name: str) -> None:
        """Bring view ``name`` to the front: its dock opened and raised (its tab chosen)."""
        dock = self.docks[name]
        self.front = name
        opening = not any(not d.isHidden() for d in self.docks.values() if not d.isFloating())
        dock.show()
        if not dock.isFloating():  # (a floating one is a window: raising it is the platform's)
            dock.raise_()
        if opening:  # the area was closed (the Lecture layout): it opens at the layout's width
            self.window.resizeDocks([dock], [int(max(self.window.width(), 800) * self._share)],
                                    Qt.Orientation.Horizontal)

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
            self.big = None
            window.restoreState(state)
            if was == name:
                return
        self.big = (name, window.saveState())
        dock = self.docks[name]
        dock.setFloating(False)
        for other, d in self.docks.items():
            if other != name:
                d.hide()
        dock.show()
        window.resizeDocks([dock], [int(max(window.width(), 800) * BIG_SHARE)], Qt.Orientation.Horizontal)

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

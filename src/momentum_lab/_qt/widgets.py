"""Small widgets: the learning-rate and momentum spin boxes, the speed control, a combo box that
elides its text."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

from ..engine import RANGES
from .worker import FLAT_OUT

__all__ = ["DEFAULT_SPEED", "ElidingComboBox", "EpochLimitBox", "ExactSpinBox", "LearningRateSpinBox", "MomentumSpinBox", "SpeedControl", "shortest",
           "signals_blocked"]


@contextlib.contextmanager
def signals_blocked(obj: QObject) -> Iterator[None]:
    """Block an object's signals while code (not the user) changes it."""
    previous = obj.blockSignals(True)
    try:
        yield
    finally:
        obj.blockSignals(previous)


def _mantissa_steps(value: float) -> list[float]:
    """The 1-2-5 ladder around ``value``'s decade: ..., 0.001, 0.002, 0.005, 0.01, ..."""
    decade = math.floor(math.log10(value)) if value > 0 else -6
    return [m * 10.0 ** d for d in range(decade - 1, decade + 2) for m in (1, 2, 5)]


def shortest(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (250, not 250.0; 1e-13)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


class ElidingComboBox(QComboBox):
    """A combo box that draws its current text cut short with "…" when its field is too narrow
    (Qt's styles clip it mid-letter): a long lesson title in a narrow lecture-mode dock. The
    whole text belongs in its tooltip; the list it opens shows every item whole."""

    def _option(self) -> QStyleOptionComboBox:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return option

    def shown_text(self) -> str:
        """The current text as drawn: whole when it fits its field, else elided."""
        option = self._option()
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        # (The style draws the text 1 px in from each side of the field.)
        return self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight, field.width() - 2)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.isEditable():
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = self._option()
        option.currentText = self.shown_text()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class _UsualWidth:
    """A spin box as wide as a usual value needs (``usual``), not its range's longest text: Qt
    sizes a box for its minimum's and maximum's texts, so the momentum's 0.9999999999999999 made
    its field, and with it the whole controls panel, 273 px wide in lecture mode. A longer value
    still shows whole when the panel is wider, and scrolls in its field when not."""

    usual = "0.000001"

    def _narrowed(self, hint: QSize) -> QSize:
        # (Qt's own measure, from QAbstractSpinBox::sizeHint: each end's text cut to 18
        # characters, the special value's text, 2 px for the cursor.)
        fm = self.fontMetrics()
        ends = [self.textFromValue(v)[:18] + " " for v in (self.minimum(), self.maximum())]
        qt_text = max(fm.horizontalAdvance(t) for t in ends + [self.specialValueText()])
        return QSize(hint.width() - qt_text + fm.horizontalAdvance(self.usual + " "), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._narrowed(super().sizeHint())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._narrowed(super().minimumSizeHint())


class EpochLimitBox(_UsualWidth, QSpinBox):
    """The epoch limit: as wide as a six-digit limit needs (its range goes to 10^15)."""

    usual = "000000"


# Qt keeps a QDoubleSpinBox's value rounded to its decimals, at most this many. Still, every
# double below about 1e-306 loses digits that way: the box keeps the exact value beside Qt's.
_QT_MAX_DECIMALS = 323


def _qt_rounded(value: float) -> float:
    """What Qt stores of ``value`` at 323 decimals (QString::number(value, 'f', 323))."""
    return float(f"{value:.{_QT_MAX_DECIMALS}f}")


class ExactSpinBox(_UsualWidth, QDoubleSpinBox):
    """A spin box whose value is exactly the double it was given or the user typed: its range is
    an option's (``RANGES[option]``, an open end as the next double inside), Qt does not round
    it, and its text is the shortest that reads back as it.

    valueChanged carries Qt's copy (rounded below about 1e-306); read :meth:`value`."""

    _exact = 0.0  # (Qt may ask for the text before __init__ has set it)
    #: True while an arrow step (stepBy: a key, an arrow, the wheel) sets the value, so that a
    #: valueChanged handler can tell a step from a typed value (undo merges a run of steps).
    stepping = False

    def __init__(self, option: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        spec = RANGES[option]
        self.setDecimals(_QT_MAX_DECIMALS)
        self._exact = spec.widget_low
        self.setRange(spec.widget_low, spec.widget_high)
        self.setKeyboardTracking(False)
        self.setAccelerated(False)

    # Python callers (the panel, stepBy) reach these; Qt reaches setValue only through typing,
    # which goes through valueFromText first.
    def setValue(self, value: float) -> None:  # noqa: N802 (Qt's name)
        value = float(value)
        self._exact = min(max(value, self.minimum()), self.maximum()) if value == value else self._exact
        super().setValue(self._exact)

    def _step_to(self, value: float) -> None:
        self.stepping = True
        try:
            self.setValue(value)
        finally:
            self.stepping = False

    def value(self) -> float:
        shown = super().value()
        return self._exact if shown == _qt_rounded(self._exact) else shown

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return shortest(self._exact if value == _qt_rounded(self._exact) else value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            value = float(text.strip())
        except ValueError:
            return self.value()
        if math.isfinite(value) and self.minimum() <= value <= self.maximum():
            self._exact = value  # Qt sets its rounded copy next
        return value

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if stripped in ("", ".", "-", "+", "e", "E") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value) or not (self.minimum() <= value <= self.maximum()):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class LearningRateSpinBox(ExactSpinBox):
    """A learning rate (the range of ``--lr``): arrows step 0.001 → 0.002 → 0.005 → 0.01 …; a
    typed value is kept exactly."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("lr", parent)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            ladder = _mantissa_steps(value)
            if steps > 0:
                bigger = [v for v in ladder if v > value * (1 + 1e-9)]
                value = min(bigger) if bigger else value
            else:
                smaller = [v for v in ladder if v < value * (1 - 1e-9)]
                value = max(smaller) if smaller else value
        self._step_to(_clean(value))


def _clean(value: float) -> float:
    """1-2-5 values without binary noise (0.1 * 3 shows as 0.3, not 0.30000000000000004)."""
    return float(f"{value:.12g}")


class MomentumSpinBox(ExactSpinBox):
    """A momentum factor: it holds any value of ``--momentum`` ([0, 1), up to the largest double
    below 1); its arrows step by 0.05 (0.01 near the top) within [0, 0.999]."""

    #: The arrows' range.
    STEP_LOW, STEP_HIGH = 0.0, 0.999

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("momentum", parent)
        self.setSingleStep(0.05)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        start = value = self.value()
        for _ in range(abs(steps)):
            fine = value >= 0.9 - 1e-9 if steps > 0 else value > 0.9 + 1e-9
            step = 0.01 if fine else 0.05
            value = value + step if steps > 0 else value - step
        value = min(max(round(value, 3), self.STEP_LOW), self.STEP_HIGH)
        if (steps > 0 and value < start) or (steps < 0 and value > start):
            return  # above the arrows' range (typed, or from the command line): up leaves it
        self._step_to(value)

    def stepEnabled(self):  # noqa: N802
        value = self.value()
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if value < self.STEP_HIGH:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if value > self.STEP_LOW:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


# Speeds offered, in items a second, the last being "flat out".
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000, 1_000_000, FLAT_OUT)
#: The speed the window opens at (items a second): one Iris epoch (120 items) in about a second, slow
#: enough to follow the curves and the weights; the slider's far end is flat out.
DEFAULT_SPEED = 100.0


def _log_speed(speed: float) -> float:
    return math.log(1e12 if math.isinf(speed) else max(speed, 1e-3))


def speed_text(speed: float, unit: str = "item") -> str:
    """The speed exactly, in words: "1 item/s", "2.5 items/s", "10k items/s", "flat out". The
    window counts updates a second, an item each when training online; ``unit`` "update" says
    so for mini-batches ("5 updates/s")."""
    if math.isinf(speed):
        return "flat out"
    if 1000 <= speed < 1e9:
        thousands = shortest(speed / 1000)
        if float(thousands) * 1000 == speed:
            return f"{thousands}k {unit}s/s"
    return f"{shortest(speed)} {unit if speed == 1 else unit + 's'}/s"


class SpeedControl(QWidget):
    """A slider from slow motion (1 item a second) to flat out, with its value in words."""

    # Emitted when the user picks a speed (items a second; inf for flat out).
    speed_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(SPEEDS) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.label = QLabel()
        self.unit = "item"
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("1000k items/s"))
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.slider, 1)
        box.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider)
        self.set_speed(FLAT_OUT)

    def speed(self) -> float:
        """The speed on show (set_speed's, or the one picked on the slider since)."""
        return self._speed

    def set_speed(self, speed: float) -> None:
        """Show ``speed`` without emitting: the slider at the nearest offered one, the label the
        speed itself (the one the run uses)."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(_log_speed(SPEEDS[i]) - _log_speed(speed)))
        with signals_blocked(self.slider):
            self.slider.setValue(index)
        self._speed = float(speed)
        self.label.setText(speed_text(speed, self.unit))

    def set_unit(self, unit: str) -> None:
        """What one of the run's updates is: "item" (online) or "update" (a batch of items)."""
        if unit != self.unit:
            self.unit = unit
            self.label.setText(speed_text(self._speed, unit))

    @Slot(int)
    def _on_slider(self, index: int) -> None:
        self._speed = float(SPEEDS[index])
        self.label.setText(speed_text(SPEEDS[index], self.unit))
        self.speed_changed.emit(float(SPEEDS[index]))

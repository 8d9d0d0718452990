"""Small widgets: the learning-rate and momentum spin boxes, the speed control."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSlider, QWidget

from .worker import FLAT_OUT

__all__ = ["LearningRateSpinBox", "MomentumSpinBox", "SpeedControl", "signals_blocked"]


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


class LearningRateSpinBox(QDoubleSpinBox):
    """A learning rate: arrows step 0.001 → 0.002 → 0.005 → 0.01 …; a typed value is kept exactly."""

    MINIMUM, MAXIMUM = 0.0, 100.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)  # keeps typed values; the text shows them without trailing zeros
        self.setRange(self.MINIMUM, self.MAXIMUM)
        self.setKeyboardTracking(False)
        self.setAccelerated(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return f"{value:.12g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        return float(text.strip())

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if stripped in ("", ".", "-", "e", "E") or stripped.lower().endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value) or not (self.MINIMUM <= value <= self.MAXIMUM):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

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
        self.setValue(min(max(_clean(value), self.MINIMUM), self.MAXIMUM))


def _clean(value: float) -> float:
    """1-2-5 values without binary noise (0.1 * 3 shows as 0.3, not 0.30000000000000004)."""
    return float(f"{value:.12g}")


class MomentumSpinBox(QDoubleSpinBox):
    """A momentum factor in [0, 0.999], stepping by 0.05 (0.01 near the top)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(3)
        self.setRange(0.0, 0.999)
        self.setSingleStep(0.05)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            fine = value >= 0.9 - 1e-9 if steps > 0 else value > 0.9 + 1e-9
            step = 0.01 if fine else 0.05
            value = value + step if steps > 0 else value - step
        self.setValue(min(max(round(value, 3), 0.0), 0.999))


# Speeds offered, in items a second, the last being "flat out".
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000, 1_000_000, FLAT_OUT)


def _log_speed(speed: float) -> float:
    return math.log(1e12 if math.isinf(speed) else max(speed, 1e-3))


def speed_text(speed: float) -> str:
    if math.isinf(speed):
        return "flat out"
    if speed < 1000:
        return f"{speed:g} item/s" if speed == 1 else f"{speed:g} items/s"
    return f"{speed / 1000:g}k items/s"


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
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("1000k items/s"))
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.slider, 1)
        box.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider)
        self.set_speed(FLAT_OUT)

    def speed(self) -> float:
        return SPEEDS[self.slider.value()]

    def set_speed(self, speed: float) -> None:
        """Show ``speed`` (the nearest offered one) without emitting."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(_log_speed(SPEEDS[i]) - _log_speed(speed)))
        with signals_blocked(self.slider):
            self.slider.setValue(index)
        self.label.setText(speed_text(SPEEDS[index]))

    @Slot(int)
    def _on_slider(self, index: int) -> None:
        self.label.setText(speed_text(SPEEDS[index]))
        self.speed_changed.emit(float(SPEEDS[index]))

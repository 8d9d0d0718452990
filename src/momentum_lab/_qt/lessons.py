"""The Lessons panel: guided experiments, one at a time, with Previous, Next and Reset.

Opening a lesson starts its scenario's run (paused): its data, network, rules, settings,
seed, epoch limit, speed and timed changes. The text says what to do, what to watch and why.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from ..engine import Lesson, LessonProblem
from .controller import RunController
from .widgets import ElidingComboBox

__all__ = ["LessonPanel"]


class LessonPanel(QWidget):
    """The lesson list, the open lesson's text, and Previous / Restart (the lesson's run) / Next."""

    # Emitted when a lesson has been opened (its run requested): the window shows its tab.
    lesson_opened = Signal(object)

    def __init__(self, controller: RunController, lessons: list[Lesson], problems: list[LessonProblem],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.lessons = lessons
        self.problems = problems
        self.current: int | None = None
        self.choice = ElidingComboBox()
        for i, lesson in enumerate(lessons):
            self.choice.addItem(f"{i + 1}. {lesson.title}")
        self.choice.setToolTip("The lessons (files in resources/lessons; see docs/lessons.md)")
        # Long titles must not widen the dock: the plots need the room.
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(16)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.previous_button = QPushButton("◀ Previous")
        self.reset_button = QPushButton("Restart")
        self.next_button = QPushButton("Next ▶")
        self.previous_button.setToolTip("The previous lesson (Alt+Left)")
        self.next_button.setToolTip("The next lesson (Alt+Right)")
        self.reset_button.setToolTip("Start this lesson's run again from its beginning, as the lesson sets it "
                                     "(Lessons ▸ Reset this lesson)")
        self.problem_note = QLabel()
        self.problem_note.setWordWrap(True)
        self.problem_note.setStyleSheet("QLabel { color: #B00020; }")
        self.problem_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if problems:
            self.problem_note.setText("Not loaded: " + " · ".join(p.message for p in problems))
        else:
            self.problem_note.hide()
        buttons = QHBoxLayout()
        for b in (self.previous_button, self.reset_button, self.next_button):
            buttons.addWidget(b)
        box = QVBoxLayout(self)
        box.addWidget(self.choice)
        box.addWidget(self.text, 1)
        box.addLayout(buttons)
        box.addWidget(self.problem_note)
        self.choice.activated.connect(self._on_choice)
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        self.reset_button.clicked.connect(self.reset_lesson)
        self._show()

    def index_of(self, name: str) -> int | None:
        return next((i for i, lesson in enumerate(self.lessons) if lesson.name == name), None)

    def open(self, index: int) -> bool:
        """Open lesson ``index``: its run is started (paused) and its text shown."""
        if not 0 <= index < len(self.lessons):
            return False
        lesson = self.lessons[index]
        # (The run's reason, said in the status bar, is short: the panel shows the title, and the
        # status bar has room for no more beside its fields in lecture mode.)
        if not self.controller.open_scenario(lesson.scenario, f"lesson {index + 1} opened", replay=False,
                                             origin="lesson"):
            return False
        self.current = index
        self._show()
        self.lesson_opened.emit(lesson)
        return True

    @Slot()
    def previous(self) -> None:
        if self.current is not None and self.current > 0:
            self.open(self.current - 1)

    @Slot()
    def next(self) -> None:
        self.open(0 if self.current is None else self.current + 1)

    @Slot()
    def reset_lesson(self) -> None:
        if self.current is not None:
            self.open(self.current)

    @Slot(int)
    def _on_choice(self, index: int) -> None:
        self.open(index)

    def _show(self) -> None:
        n = len(self.lessons)
        i = self.current
        self.previous_button.setEnabled(i is not None and i > 0)
        self.next_button.setEnabled(n > 0 and (i is None or i + 1 < n))
        self.reset_button.setEnabled(i is not None)
        if i is None:
            self.choice.setCurrentIndex(-1)
            self.choice.setPlaceholderText("Choose a lesson…")
            self.text.setHtml("<p>Each lesson sets up a run that shows one idea: pick one above, or press "
                              "<b>Next</b>. Its text says what to do, what to watch, and why it happens.</p>"
                              if n else "<p>No lessons could be loaded.</p>")
            return
        lesson = self.lessons[i]
        self.choice.setCurrentIndex(i)
        # (A long title is elided in the narrow box: whole in its tooltip, and in the text below.)
        self.choice.setToolTip(f"{i + 1}. {lesson.title} (the lessons: files in resources/lessons; see "
                               "docs/lessons.md)")

        def part(heading: str, text: str) -> str:
            paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
            return f"<h3>{heading}</h3>{paragraphs}"

        self.text.setHtml(f"<h2>{i + 1}. {html.escape(lesson.title)}</h2>" + part("Do", lesson.do)
                          + part("Watch", lesson.watch) + part("Why", lesson.why))

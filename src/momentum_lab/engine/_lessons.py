"""Lessons: guided experiments, each a scenario with a short text (what to do, what to watch,
why it happens).

A lesson is a TOML file. The shipped ones are in ``resources/lessons/``; a lecturer can edit
them, or put more in a folder named by the ``MOMENTUM_LAB_LESSONS`` environment variable (a
lesson there replaces a shipped one of the same name). The file's name, less a leading
number, is the lesson's name: ``03-momentum-early.toml`` is ``momentum-early``; the files
are shown in file-name order. The format is documented in ``docs/lessons.md``::

    title = "A small learning rate: slow but sure"
    tab = "regions"            # optional: the tab to show (regions, stability, sweep)
    log_scale = false          # optional: the error on a log scale

    [text]
    do = "..."                 # what to do
    watch = "..."              # what to watch
    why = "..."                # why it happens

    [scenario]                 # the keys of a scenario file, without its version key
    dataset = "iris"
    lr = 0.002
    momentum = 0.0
    epochs = 150
    changes = [{epoch = 40, setting = "lr", value = 0.05}]
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .._resources import resource_path
from ._errors import InputError
from ._scenario import (MAX_DIGITS, Scenario, check_brackets, long_number, read_source, scenario_from_dict, shown,
                        shown_key)

__all__ = ["LESSONS_ENV", "Lesson", "LessonProblem", "find_lesson", "lesson_files", "load_lesson",
           "load_lessons"]

#: A folder of extra (or replacement) lesson files.
LESSONS_ENV = "MOMENTUM_LAB_LESSONS"
#: The tabs a lesson may show.
#: The views a lesson may bring to the front (the window's view area: its views.VIEWS, a test checks).
TABS = ("accuracy", "heatmap", "network", "regions", "stability", "sweep", "summary")
_TEXT_KEYS = ("do", "watch", "why")
#: A key (``a.b.c = 1``, ``[a.b.c]``) has at most this many parts: tomllib's work grows with the
#: square of a key's length (a 40 KB key of 20,000 parts took 12 s and 1.6 GB).
MAX_KEY_PARTS = 8

# What the pre-scan blanks out: TOML's strings (each kind; an unterminated one runs to the end of
# its line, or of the file for a multi-line one, so the scan stays linear) and comments.
_TOML_BLANKS = re.compile(
    rb'(?s:"""(?:[^\\]|\\.?)*?(?:"""|\Z))'
    rb"|(?s:\'\'\'.*?(?:\'\'\'|\Z))"
    rb'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"?'
    rb"|'[^'\n]*+'?"
    rb"|#[^\n]*+"
)
# A key of more than MAX_KEY_PARTS parts, in blanked-out text: as many dots between two of
# = [ ] { } , or a line's end (a value has at most one dot: 1.5, 07:32:00.5).
_LONG_KEY = re.compile(rb"(?:\.[^=\[\]{},\n.]*+){%d}" % MAX_KEY_PARTS)


@dataclass(frozen=True)
class Lesson:
    """A guided experiment: a name, a title, what to do/watch/why, and its scenario."""

    name: str
    title: str
    do: str
    watch: str
    why: str
    scenario: Scenario
    path: Path
    tab: str | None = None
    log_scale: bool = False


@dataclass(frozen=True)
class LessonProblem:
    """A lesson file that could not be read: its path and a one-line message."""

    path: Path
    message: str


def lesson_name(path: Path) -> str:
    return re.sub(r"^\d+[-_ ]*", "", path.stem) or path.stem


def lesson_files() -> list[Path]:
    """The lesson files in order: shipped ones, then (replacing by name) the extra folder's.
    (A folder named by $MOMENTUM_LAB_LESSONS that does not exist: see :func:`load_lessons`.)"""
    found: dict[str, Path] = {}
    folders = []
    try:
        folders.append(resource_path("lessons"))
    except FileNotFoundError:
        pass
    extra = _extra_folder()
    if extra is not None:
        folders.append(extra)
    for folder in folders:
        if _is_dir(folder):
            try:
                paths = sorted(folder.glob("*.toml"))
            except OSError:  # unreadable: load_lessons names the folder
                continue
            for path in paths:
                found[lesson_name(path)] = path
    return sorted(found.values(), key=lambda p: (p.name, str(p)))


def _extra_folder() -> Path | None:
    """The folder $MOMENTUM_LAB_LESSONS names, or None (unset, or a "~user" of no such user)."""
    extra = os.environ.get(LESSONS_ENV)
    if not extra:
        return None
    try:
        return Path(extra).expanduser()
    except RuntimeError:
        return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # permission denied on the way there, a NUL in the name
        return False


def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read and check one lesson file.

    Raises
    ------
    InputError
        Naming the file (with line and column for a TOML syntax error), the key and the
        offending value.
    """
    path = Path(path)
    raw, text = read_source(path, "lesson", "TOML")
    _prescan(path, raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except (RecursionError, ValueError, MemoryError, OverflowError) as exc:  # _prescan should prevent these
        raise InputError(f"{path}: cannot be read as TOML ({type(exc).__name__})") from None
    unknown = sorted(set(data) - {"title", "tab", "log_scale", "text", "scenario"})
    if unknown:
        raise InputError(f"{path}: unknown key '{shown_key(unknown[0])}'; the keys are title, tab, log_scale, text, "
                         "scenario")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError(f"{path}: 'title' must be a non-empty text, got {shown(title)}")
    tab = data.get("tab")
    if tab is not None and tab not in TABS:
        raise InputError(f"{path}: 'tab' must be one of {', '.join(TABS)}, got {shown(tab)}")
    log_scale = data.get("log_scale", False)
    if not isinstance(log_scale, bool):
        raise InputError(f"{path}: 'log_scale' must be true or false, got {shown(log_scale)}")
    text = data.get("text")
    if not isinstance(text, dict):
        raise InputError(f"{path}: a [text] table with do, watch and why is needed")
    for key in sorted(set(text) - set(_TEXT_KEYS)):
        raise InputError(f"{path}: unknown key 'text.{shown_key(key)}'; the keys are do, watch, why")
    for key in _TEXT_KEYS:
        if not isinstance(text.get(key), str) or not text[key].strip():
            raise InputError(f"{path}: 'text.{key}' must be a non-empty text, got {shown(text.get(key))}")
    if "scenario" not in data:
        raise InputError(f"{path}: a [scenario] table is needed (the keys of a scenario file)")
    scenario = scenario_from_dict(data["scenario"], f"{path} [scenario]", path.parent, versioned=False)
    return Lesson(lesson_name(path), title.strip(), *(_paragraphs(text[k]) for k in _TEXT_KEYS), scenario,
                  path, tab, log_scale)


def _prescan(path: Path, raw: bytes) -> None:
    """Refuse, before tomllib sees it, what would make it recurse, raise or take long: nesting
    deeper than MAX_DEPTH or more than MAX_CONTAINERS arrays and tables (see check_brackets), a
    key of more than MAX_KEY_PARTS parts, a number of more than MAX_DIGITS digits. One linear
    pass of regular expressions and numpy (a few ms for 256 KiB)."""
    stripped = _TOML_BLANKS.sub(lambda m: b'""' + b"\n" * m.group().count(b"\n"), raw)
    check_brackets(path, stripped, "{path}, line {line}: ")
    match = _LONG_KEY.search(stripped)
    if match is not None:
        line = stripped.count(b"\n", 0, match.start()) + 1
        raise InputError(f"{path}, line {line}: a key of more than {MAX_KEY_PARTS} dotted parts")
    line = long_number(stripped)
    if line is not None:
        raise InputError(f"{path}, line {line}: a number of more than {MAX_DIGITS} digits")


def _paragraphs(text: str) -> str:
    """Lines joined into paragraphs (a blank line separates them), as TOML's multi-line texts are written."""
    return "\n\n".join(" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()))


def load_lessons() -> tuple[list[Lesson], list[LessonProblem]]:
    """Every lesson that reads, and the files that do not (each with its message)."""
    lessons, problems = [], []
    extra = os.environ.get(LESSONS_ENV)
    if extra:
        folder = _extra_folder()
        if folder is None or not _is_dir(folder):
            problems.append(LessonProblem(Path(extra), f"{LESSONS_ENV}: no such folder '{extra}'"))
    for path in lesson_files():
        try:
            lessons.append(load_lesson(path))
        except InputError as exc:
            problems.append(LessonProblem(path, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a last resort: one broken file must not stop the window
            problems.append(LessonProblem(path, f"{path}: cannot be read ({type(exc).__name__}: {shown(str(exc))})"))
    return lessons, problems


def find_lesson(name: str) -> Lesson:
    """The lesson called ``name`` (or its number in the list, from 1).

    Raises
    ------
    InputError
        No such lesson (the message lists them), or its file is broken.
    """
    # Numbers as `momentum-lab lessons` and the Lessons menu count: the lessons that load.
    lessons, problems = load_lessons()
    if name.isdigit() and 1 <= int(name) <= len(lessons):
        return lessons[int(name) - 1]
    for lesson in lessons:
        if lesson.name == name:
            return lesson
    for problem in problems:
        if problem.path.suffix == ".toml" and lesson_name(problem.path) == name:
            raise InputError(problem.message)
    names = [lesson.name for lesson in lessons]
    raise InputError(f"--lesson: no lesson {name!r}; the lessons are {', '.join(names) or 'none'}")

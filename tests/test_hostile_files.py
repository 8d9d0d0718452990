"""Hostile files for the readers of scenarios (JSON) and lessons (TOML).

Every case asserts that the reader raises InputError (nothing else) with one line naming the
file and the offending key or value, and returns at once (``timeout``): FIFOs and devices,
files beyond their cap, nesting 10**5 deep, 5,000-digit numbers, 20,000-part TOML keys,
values beyond the range table. The fuzz tests at the end feed random bytes and near-valid
dicts to the readers.
"""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momentum_lab.engine import InputError
from momentum_lab.engine import _lessons, _scenario
from momentum_lab.engine._api import MAX_STEPS
from momentum_lab.engine._files import SIZE_CAPS
from momentum_lab.engine._lessons import LESSONS_ENV, Lesson, LessonProblem, load_lesson, load_lessons
from momentum_lab.engine._scenario import (
    FORMAT_KEY,
    MAX_CONTAINERS,
    MAX_DEPTH,
    MAX_DIGITS,
    Scenario,
    load_scenario,
    scenario_from_dict,
)

pytestmark = pytest.mark.timeout(10)

LESSON = '''title = "{title}"

[text]
do = "Press Space."
watch = "The error falls."
why = "Because."

[scenario]
dataset = "iris"
lr = 0.05
momentum = 0.0
epochs = 3
{extra}
'''


def lesson_text(title: str = "Fine", extra: str = "") -> str:
    return LESSON.format(title=title, extra=extra)


def scenario_json(**settings) -> str:
    return json.dumps({FORMAT_KEY: 1, **settings})


def refused(call, *fragments) -> str:
    """The one-line InputError ``call()`` raises; each fragment must be in it."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and len(message) < 600, message
    for fragment in fragments:
        assert str(fragment) in message, (fragment, message)
    return message


@pytest.fixture(autouse=True)
def no_lessons_folder(monkeypatch):
    monkeypatch.delenv(LESSONS_ENV, raising=False)


# -- files that are not regular files, or too large --------------------------------------------------


def test_a_fifo_as_a_scenario_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "run.json"
    os.mkfifo(fifo)
    refused(lambda: load_scenario(fifo), fifo, "FIFO")


def test_a_fifo_in_the_lessons_folder_is_a_problem_and_the_others_load(tmp_path, monkeypatch):
    (tmp_path / "80-fine.toml").write_text(lesson_text("Fine"), encoding="utf-8")
    os.mkfifo(tmp_path / "x.toml")
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))
    lessons, problems = load_lessons()
    assert [p.path.name for p in problems] == ["x.toml"]
    assert str(tmp_path / "x.toml") in problems[0].message and "FIFO" in problems[0].message
    assert lessons[-1].title == "Fine"


def test_a_scenario_naming_a_fifo_as_its_data_or_weights_is_refused(tmp_path):
    os.mkfifo(tmp_path / "points.csv")
    os.mkfifo(tmp_path / "w.npz")
    path = tmp_path / "run.json"
    path.write_text(scenario_json(dataset="points.csv"))
    refused(lambda: load_scenario(path), path, "'dataset'", "points.csv", "FIFO")
    path.write_text(scenario_json(init_weights="w.npz"))
    refused(lambda: load_scenario(path), path, "'init_weights'", "w.npz", "FIFO")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_a_scenario_or_lesson_is_refused(device):
    refused(lambda: load_scenario(device), device, "character device")
    refused(lambda: load_lesson(device), device, "character device")


def test_a_folder_is_refused(tmp_path):
    refused(lambda: load_scenario(tmp_path), tmp_path, "folder")
    refused(lambda: load_lesson(tmp_path), tmp_path, "folder")


def test_files_beyond_their_cap_are_refused_from_their_size(tmp_path, monkeypatch):
    scenario, lesson = tmp_path / "s.json", tmp_path / "l.toml"
    scenario.write_text(scenario_json(lr=0.1))
    lesson.write_text(lesson_text())
    assert load_scenario(scenario).config.lr == 0.1 and load_lesson(lesson).title == "Fine"
    for kind in ("scenario", "lesson"):
        monkeypatch.setitem(SIZE_CAPS, kind, 20)
    refused(lambda: load_scenario(scenario), scenario, "at most 20 bytes")
    refused(lambda: load_lesson(lesson), lesson, "at most 20 bytes")


def test_a_byte_order_mark_is_read_and_bad_utf8_is_named_with_its_offset(tmp_path):
    path = tmp_path / "run.json"
    path.write_bytes(b"\xef\xbb\xbf" + scenario_json(lr=0.2).encode())
    assert load_scenario(path).config.lr == 0.2
    path.write_bytes(b'{"x": "\xff"}')
    refused(lambda: load_scenario(path), path, "not a text file", "byte 7")
    lesson = tmp_path / "l.toml"
    lesson.write_bytes(b"\xef\xbb\xbf" + lesson_text().encode())
    assert load_lesson(lesson).title == "Fine"


# -- JSON and TOML that would make the parsers recurse, raise or take long ---------------------------


@pytest.mark.parametrize("content", [
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 100_000 + "1" + "}" * 100_000,
    scenario_json(changes=[]).replace("[]", "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)),
    "[" * 100_000,  # unclosed
])
def test_json_nested_too_deep_is_refused_before_parsing(tmp_path, content):
    path = tmp_path / "deep.json"
    path.write_text(content)
    refused(lambda: load_scenario(path), f"{path}:1:", f"nested more than {MAX_DEPTH} deep")


def test_brackets_inside_json_strings_do_not_count(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(scenario_json(rule='\\"' + "[{" * 10_000 + '"'))
    refused(lambda: load_scenario(path), path, "'rule' must be one of")
    path.write_text(scenario_json(changes=[{"step": 3, "setting": "lr", "value": 0.1}], compare=[{"lr": 0.1}],
                                  dataset="[" * (MAX_DEPTH + 1) + ".csv"))
    refused(lambda: load_scenario(path), path, "'dataset': no such file")


def test_too_many_containers_are_refused_before_parsing(tmp_path):
    path = tmp_path / "many.json"
    path.write_text("[" + "[]," * MAX_CONTAINERS + "[]]")
    refused(lambda: load_scenario(path), path, f"more than {MAX_CONTAINERS:,} lists and tables")


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 5000, "1." + "0" * 5000, "1e" + "9" * 5000])
def test_a_json_number_of_thousands_of_digits_is_refused(tmp_path, number):
    path = tmp_path / "big.json"
    path.write_text('{"momentum_lab_scenario": 1,\n "seed": ' + number + "}")
    refused(lambda: load_scenario(path), f"{path}:2:", f"more than {MAX_DIGITS} digits")


def test_a_number_of_100_digits_gets_to_the_range_check(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"momentum_lab_scenario": 1, "seed": 1' + "0" * 99 + "}")
    refused(lambda: load_scenario(path), path, "'seed'", "1" + "0" * 99)


def test_the_parsers_last_errors_become_input_errors(tmp_path, monkeypatch):
    path, lesson = tmp_path / "run.json", tmp_path / "l.toml"
    path.write_text(scenario_json())
    lesson.write_text(lesson_text())

    def recurse(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(_scenario.json, "loads", recurse)
    refused(lambda: load_scenario(path), path, "RecursionError")
    monkeypatch.setattr(_lessons.tomllib, "loads", recurse)
    refused(lambda: load_lesson(lesson), lesson, "RecursionError")


@pytest.mark.parametrize("content, fragments", [
    ("a" + ".a" * 20_000 + " = 1\n", ["line 1", "dotted parts"]),  # 40 KB: tomllib took 12 s and 1.6 GB
    ('title = "x"\n[a' + ".a" * 20_000 + "]\n", ["line 2", "dotted parts"]),
    ('"a"' + ' . "a"' * 20_000 + " = 1\n", ["line 1", "dotted parts"]),
    ("x = " + "[" * 100_000 + "]" * 100_000, ["line 1", f"nested more than {MAX_DEPTH} deep"]),
    ("x = " + "{a = " * 40_000 + "1" + "}" * 40_000, ["line 1", f"nested more than {MAX_DEPTH} deep"]),
    ('title = "x"\n\nseed = ' + "9" * 5000, ["line 3", f"more than {MAX_DIGITS} digits"]),
    (lesson_text(extra="seed = 0x" + "f" * 5000), ["'seed'", "digits or so"]),  # no digit limit for hex
    ("x = " + "[]" * (MAX_CONTAINERS + 1), [f"more than {MAX_CONTAINERS:,} lists and tables"]),
])
def test_toml_that_tomllib_would_choke_on_is_refused_first(tmp_path, content, fragments):
    path = tmp_path / "hostile.toml"
    path.write_text(content)
    refused(lambda: load_lesson(path), path, *fragments)


def test_a_key_of_eight_parts_is_read_and_one_of_nine_is_not(tmp_path):
    path = tmp_path / "l.toml"
    path.write_text("a.b.c.d.e.f.g.h = 1\n" + lesson_text())
    refused(lambda: load_lesson(path), path, "unknown key 'a'")  # read, then refused as a lesson's key
    path.write_text(lesson_text() + "\n[a . b.'c'.d.e.f.g.\"h\".i]\n")
    refused(lambda: load_lesson(path), path, "line 15", "more than 8 dotted parts")


def test_strings_and_comments_do_not_count_in_the_toml_scan(tmp_path):
    extra = ('# ' + "[" * 500 + " a.b.c.d.e.f.g.h.i.j.k " + "9" * 500 + "\n"
             "rule = 'lookback' # .......... [[[[[[[\n")
    text = lesson_text(title="A.b.c.d.e.f.g.h.i.j.k " + "[" * 200 + "9" * 300, extra=extra)
    text = text.replace('why = "Because."', 'why = """\nBecause [[[[[[[[ a.b.c.d.e.f.g.h.i.j\n\\"""."""')
    path = tmp_path / "l.toml"
    path.write_text(text)
    lesson = load_lesson(path)
    assert lesson.title.startswith("A.b.c.") and lesson.why.startswith("Because [[[")


def test_the_40_kb_dotted_key_is_refused_in_well_under_a_second(tmp_path):
    import time

    path = tmp_path / "dotted.toml"
    path.write_text("a" + ".a" * 20_000 + " = 1\n")
    start = time.perf_counter()
    refused(lambda: load_lesson(path), "dotted parts")
    assert time.perf_counter() - start < 1.0


# -- a lesson that raises anything else never stops load_lessons -------------------------------------


def test_load_lessons_turns_any_exception_into_a_problem(tmp_path, monkeypatch):
    (tmp_path / "81-odd.toml").write_text(lesson_text("Odd"), encoding="utf-8")
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))
    real = _lessons.tomllib.loads

    def parser(text):
        if "Odd" in text:
            raise TypeError("an unexpected bug")
        return real(text)

    monkeypatch.setattr(_lessons.tomllib, "loads", parser)
    lessons, problems = load_lessons()
    assert [p.path.name for p in problems] == ["81-odd.toml"]
    assert str(tmp_path / "81-odd.toml") in problems[0].message and "TypeError" in problems[0].message
    assert lessons and all(lesson.title != "Odd" for lesson in lessons)


def test_load_lessons_with_the_parser_recursing(tmp_path, monkeypatch):
    (tmp_path / "82-deep.toml").write_text(lesson_text("Deep"), encoding="utf-8")
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))

    def recurse(text):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(_lessons.tomllib, "loads", recurse)
    lessons, problems = load_lessons()
    assert lessons == [] and problems
    assert all(str(p.path) in p.message and "RecursionError" in p.message for p in problems)


@pytest.mark.parametrize("folder", ["~no-such-user-here/lessons", "{tmp}/missing"])
def test_a_lessons_folder_that_cannot_be_found_is_a_problem(tmp_path, monkeypatch, folder):
    monkeypatch.setenv(LESSONS_ENV, folder.format(tmp=tmp_path))
    lessons, problems = load_lessons()
    assert lessons and len(problems) == 1 and "no such folder" in problems[0].message


# -- values beyond the range table ---------------------------------------------------------------------


# A value of more than 100 digits is refused by the JSON reader's scan: such cases go in as dicts.
@pytest.mark.parametrize("settings, fragments", [
    ({"seed": 1e300}, ["'seed'", "1e+300"]),
    ({"seed": -1}, ["'seed'", "-1"]),
    ({"data_seed": 2**31}, ["'data_seed'", "2147483648"]),
    ({"hidden": 1e9}, ["'hidden'", "1000000000"]),
    ({"hidden": 0}, ["'hidden'", "got 0"]),
    ({"dataset": "moons", "samples": 1e10}, ["'samples'", "10000000000"]),
    ({"dataset": "moons", "noise": 1e9}, ["'noise'", "1000000000"]),
    ({"dataset": "blobs", "classes": 11}, ["'classes'", "11"]),
    ({"init_scale": 1e308}, ["'init_scale'", "1e+308"]),
    ({"weight_limit": 0}, ["'weight_limit'", "got 0"]),
    ({"test_fraction": 1.0}, ["'test_fraction'", "1.0"]),
    ({"speed": 0}, ["'speed'", "got 0"]),
    ({"lr": 1e7}, ["'lr'", "10000000.0"]),
    ({"momentum": 1.0}, ["'momentum'", "1.0"]),
    ({"compare": [{"lr": -1}]}, ["'compare[0]' lr", "-1"]),
    ({"compare": [{"momentum": 2}]}, ["'compare[0]' momentum", "2"]),
    ({"compare": [{}] * 4}, ["'compare' holds 4 runs"]),
    ({"steps": MAX_STEPS + 1}, ["'steps'", str(MAX_STEPS + 1)]),
    ({"steps": 1e300}, ["'steps'", "1e+300"]),
    ({"epochs": 0}, ["'epochs'", "got 0"]),
    ({"epochs": 10**14}, ["'epochs'", "100000000000000 epochs of 120 items", "more than 1e+15 updates"]),
    ({"changes": [{"step": 10**16, "setting": "lr", "value": 0.1}]}, ["'changes[0]'", "'step'", "10000000000000000"]),
    ({"changes": [{"epoch": 1e14, "setting": "lr", "value": 0.1}]}, ["'changes[0]'", "'epoch'", "100000000000000.0"]),
    ({"changes": [{"epoch": 10**400, "setting": "lr", "value": 0.1}]}, ["'changes[0]'", "'epoch'", "digits"]),
    ({"changes": [{"step": 1, "setting": "lr", "value": 10**400}]}, ["'changes[0]'", "'value'", "digits"]),
    ({"changes": [{"step": 1, "setting": "lr", "value": [[1]]}]}, ["'changes[0]'", "'value'", "[[1]]"]),
])
def test_values_beyond_their_range_name_the_file_the_key_and_the_value(tmp_path, settings, fragments):
    path = tmp_path / "run.json"
    text = scenario_json(**settings)
    path.write_text(text)
    if "9" * 101 in text or "0" * 101 in text:
        refused(lambda: scenario_from_dict({FORMAT_KEY: 1, **settings}, str(path)), path, *fragments)
    else:
        refused(lambda: load_scenario(path), path, *fragments)


@pytest.mark.parametrize("key", ["seed", "hidden", "samples", "steps", "epochs", "lr", "init_scale", "speed"])
def test_huge_ints_in_a_dict_are_refused_with_their_size(key):
    message = refused(lambda: scenario_from_dict({key: 10**5000}, "x.json", versioned=False), "x.json", f"'{key}'")
    assert "5001 digits or so" in message


@pytest.mark.parametrize("line, fragments", [
    ("seed = 1e300", ["'seed'", "1e+300"]),
    ("hidden = 1_000_000_000", ["'hidden'", "1000000000"]),
    ("init_scale = 1e308", ["'init_scale'", "1e+308"]),
    ("steps = 1_000_000_000_000_001", ["'steps'", "1000000000000001"]),
    ("noise = nan", ["'noise'", "nan"]),
])
def test_values_beyond_their_range_in_a_lesson(tmp_path, line, fragments):
    path = tmp_path / "l.toml"
    path.write_text(lesson_text(extra=line))
    refused(lambda: load_lesson(path), path, "[scenario]", *fragments)


def test_an_infinite_speed_is_flat_out(tmp_path):
    path = tmp_path / "l.toml"
    path.write_text(lesson_text(extra="speed = inf"))
    assert load_lesson(path).scenario.speed is None
    path.write_text(lesson_text(extra="speed = 20"))
    assert load_lesson(path).scenario.speed == 20.0


@pytest.mark.parametrize("value", ["~no-such-user-here/x.csv", "a\x00b.csv", "x" * 5000 + ".csv"])
def test_data_paths_that_cannot_exist_are_no_such_file(value):
    refused(lambda: scenario_from_dict({"dataset": value}, "x.json", versioned=False), "x.json", "'dataset'",
            "no such file")


# -- fuzz ------------------------------------------------------------------------------------------------

FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSON_ALPHABET = '{}[]",:.0123456789eE+- \n\t\\tfnrulaseiomentum_lab_scenario'
TOML_ALPHABET = "[]{}=\"'.,#\n 0123456789_+-eExo:TZabcdefginrstuwlmp\\"
GOOD_SCENARIO = scenario_json(lr=0.05, compare=[{"rule": "classical", "lr": 0.01, "momentum": 0.9}],
                              changes=[{"step": 5, "run": "B", "setting": "momentum", "value": 0.5}], steps=40)


def spliced(good: str, alphabet: str):
    """``good`` with a random piece cut out and random text put in its place."""
    return st.tuples(st.integers(0, len(good)), st.integers(0, 40), st.text(alphabet, max_size=40)).map(
        lambda t: good[: t[0]] + t[2] + good[t[0] + t[1]:])


@FUZZ
@given(content=st.one_of(
    st.binary(max_size=400),
    st.text(JSON_ALPHABET, max_size=400).map(str.encode),
    spliced(GOOD_SCENARIO, JSON_ALPHABET).map(str.encode),
))
@pytest.mark.timeout(120)
def test_any_bytes_as_a_scenario_give_a_scenario_or_an_input_error(tmp_path, content):
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    try:
        assert isinstance(load_scenario(path), Scenario)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))


@FUZZ
@given(content=st.one_of(
    st.binary(max_size=400),
    st.text(TOML_ALPHABET, max_size=400).map(str.encode),
    spliced(lesson_text(extra='changes = [{epoch = 1.5, setting = "lr", value = 0.01}]'), TOML_ALPHABET).map(
        str.encode),
))
@pytest.mark.timeout(120)
def test_any_bytes_as_a_lesson_give_a_lesson_or_an_input_error(tmp_path, content):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(content)
    try:
        assert isinstance(load_lesson(path), Lesson)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)


def _deep(n: int) -> list:
    out: list = []
    for _ in range(n):
        out = [out]
    return out


HOSTILE = [10**5000, 10**400, -(10**400), 2**63, 2**31, -1, 0, 1, 7, 1e308, -1e308, 1e-320, -0.0, 0.5,
           math.inf, -math.inf, math.nan, True, False, None, "nan", "inf", "NaN", "1e999", "", "x" * 100_000,
           "a\x00b", "~no-such-user-here/x", "iris", "moons", "lookback", "classical", "lr", "momentum", "A", "B",
           [], [[[]]], _deep(5000), {}, {"a": 1}, {"step": 1}, (1, 2), b"bytes", object()]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.floats(), st.integers(-10, 1000), st.text(max_size=8))
BASE = {"lr": 0.05, "momentum": 0.5, "hidden": 3, "seed": 1, "steps": 40, "epochs": 2, "speed": 20.0,
        "compare": [{"rule": "classical", "lr": 0.01, "momentum": 0.9}],
        "changes": [{"step": 5, "run": "B", "setting": "momentum", "value": 0.5},
                    {"epoch": 0.5, "run": "A", "setting": "lr", "value": 0.1}]}
# Where a mutation goes: a top-level key, a key of the compared run, a key of either change.
PLACES = ([(key,) for key in [*_scenario._KEYS, "compare", "changes", "unknown", 5]]
          + [("compare", 0, key) for key in ("rule", "lr", "momentum", "other")]
          + [("changes", i, key) for i in (0, 1) for key in ("step", "epoch", "run", "setting", "value", "other")])


def mutated(mutations: list) -> dict:
    """BASE with each (place, value) set; a value of DROP removes the key."""
    data = json.loads(json.dumps(BASE))
    for place, value in mutations:
        target = data
        for step in place[:-1]:
            target = target[step] if isinstance(target, (dict, list)) and step in (
                target if isinstance(target, dict) else range(len(target))) else {}
        if isinstance(target, dict):
            if value is DROP:
                target.pop(place[-1], None)
            else:
                target[place[-1]] = value
    return data


DROP = object()
SETTINGS = st.lists(st.tuples(st.sampled_from(PLACES), st.one_of(VALUES, st.just(DROP))), min_size=1,
                    max_size=3).map(mutated)


@FUZZ
@given(data=SETTINGS, versioned=st.booleans())
@pytest.mark.timeout(120)
def test_near_valid_scenario_dicts_give_a_scenario_or_an_input_error(data, versioned):
    if versioned and FORMAT_KEY not in data:
        data = {FORMAT_KEY: 1, **data}
    try:
        assert isinstance(scenario_from_dict(data, "x.json", versioned=versioned), Scenario)
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("x.json") and len(message) < 1000, message


def test_lesson_problem_type_is_what_load_lessons_returns(tmp_path, monkeypatch):
    (tmp_path / "83-broken.toml").write_bytes(b"\xff\xfe")
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))
    _, problems = load_lessons()
    assert problems and all(isinstance(p, LessonProblem) for p in problems)


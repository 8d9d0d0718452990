"""Hostile files for the readers of scenarios (JSON), lessons (TOML) and weights (.npz).

Every case asserts that the reader raises InputError (nothing else) with one line naming the
file and the offending key or value, and returns at once (``timeout``): FIFOs and devices,
files beyond their cap, nesting 10**5 deep, 5,000-digit numbers, 20,000-part TOML keys, npz
headers and zip directories that claim more than the file holds, values beyond the range
table. The fuzz tests at the end feed random bytes and near-valid dicts to the readers.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momentum_lab.engine import InputError
from momentum_lab.engine import _lessons, _scenario
from momentum_lab.engine._session import MAX_STEPS
from momentum_lab.engine._files import SIZE_CAPS
from momentum_lab.engine._io import MAX_WEIGHT_ARRAYS, load_weights, save_weights
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


def test_a_fifo_as_weights_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "w.npz"
    os.mkfifo(fifo)
    refused(lambda: load_weights(fifo), "init_weights=", fifo, "FIFO")


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
def test_a_device_as_a_scenario_lesson_or_weights_is_refused(device):
    refused(lambda: load_scenario(device), device, "character device")
    refused(lambda: load_lesson(device), device, "character device")
    refused(lambda: load_weights(device), device, "character device")


def test_a_folder_is_refused(tmp_path):
    refused(lambda: load_scenario(tmp_path), tmp_path, "folder")
    refused(lambda: load_lesson(tmp_path), tmp_path, "folder")
    refused(lambda: load_weights(tmp_path), tmp_path, "folder")


def test_files_beyond_their_cap_are_refused_from_their_size(tmp_path, monkeypatch):
    scenario, lesson, weights = tmp_path / "s.json", tmp_path / "l.toml", tmp_path / "w.npz"
    scenario.write_text(scenario_json(lr=0.1))
    lesson.write_text(lesson_text())
    np.savez(weights, a=np.zeros(10))
    assert load_scenario(scenario).config.lr == 0.1 and load_lesson(lesson).title == "Fine"
    for kind in ("scenario", "lesson", "weights"):
        monkeypatch.setitem(SIZE_CAPS, kind, 20)
    refused(lambda: load_scenario(scenario), scenario, "at most 20 bytes")
    refused(lambda: load_lesson(lesson), lesson, "at most 20 bytes")
    refused(lambda: load_weights(weights), weights, "at most 20 bytes")


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
    refused(lambda: load_scenario(path), path, "'seed'", "got 1" + "0" * 38 + "…")  # shown shortened


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


@pytest.mark.timeout(30)
def test_the_40_kb_dotted_key_is_refused_before_the_parser_sees_it(tmp_path):
    """tomllib took 12 s and 1.6 GB on it; the pre-scan's message shows the parser was not reached
    (speed itself is measured by benchmarks, not tests)."""
    path = tmp_path / "dotted.toml"
    path.write_text("a" + ".a" * 20_000 + " = 1\n")
    refused(lambda: load_lesson(path), "dotted parts")


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


# -- weights (.npz) ------------------------------------------------------------------------------------


def npy_header(descr: str, shape: str, fortran: str = "False") -> bytes:
    """A hand-made .npy 1.0 header: magic, version, length, the dict, padded to 64 bytes."""
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    text += " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def write_npz(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_a_header_claiming_a_trillion_floats_is_refused_before_any_allocation(tmp_path):
    path = write_npz(tmp_path / "w.npz", {"ih_weights.npy": npy_header("<f8", "(1000000000000,)") + bytes(16)})
    refused(lambda: load_weights(path), path, "ih_weights", "(1000000000000,)", "16 bytes")


def test_a_zip_bomb_is_refused_from_the_directory(tmp_path, monkeypatch):
    monkeypatch.setitem(SIZE_CAPS, "weights", 1 << 20)
    zeros = npy_header("<f8", "(1048576,)") + bytes(8 << 20)  # 8 MiB of zeros: deflates to 8 KB
    path = write_npz(tmp_path / "bomb.npz", {"ih_weights.npy": zeros}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 64 << 10
    refused(lambda: load_weights(path), path, "ih_weights.npy inflates to 8 MiB", "at most 1 MiB")


def test_members_that_inflate_beyond_the_cap_together_are_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(SIZE_CAPS, "weights", 1 << 20)
    member = npy_header("<f8", "(81920,)") + bytes(640 << 10)
    path = write_npz(tmp_path / "w.npz", {"a.npy": member, "b.npy": member}, zipfile.ZIP_DEFLATED)
    refused(lambda: load_weights(path), path, "together", "at most 1 MiB")


@pytest.mark.parametrize("claimed, fragments", [
    (200, ["BadZipFile"]),  # reading stops at the 200 bytes claimed, whose CRC is not the member's
    (100_000, ["(1000,)", "8,000 bytes", "99,872 bytes"]),  # the header's claim against the directory's
])
def test_a_directory_that_lies_about_a_members_size_is_caught(tmp_path, claimed, fragments):
    path = tmp_path / "w.npz"
    np.savez(path, ih_weights=np.ones(1000))
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")  # the one member's directory entry: its uncompressed size
    data[central + 24:central + 28] = struct.pack("<L", claimed)
    path.write_bytes(bytes(data))
    refused(lambda: load_weights(path), path, "ih_weights", *fragments)


def test_a_zip_directory_claiming_a_gigabyte_is_refused_before_zipfile_reads_it(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, 1, 1, 1 << 30, 0, 0))
    refused(lambda: load_weights(path), path, "zip directory is 1 GiB")


def test_more_numbers_than_the_caps_worth_of_float64_are_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(SIZE_CAPS, "weights", 1 << 20)  # 131,072 float64
    path = tmp_path / "w.npz"
    np.savez_compressed(path, ih_weights=np.zeros(100_000, dtype=np.int8), o_biases=np.zeros(40_000, dtype=np.int8))
    refused(lambda: load_weights(path), path, "o_biases holds 40,000 numbers", "131,072")


def test_a_zip_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, ih_weights=np.ones(3))
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 6] = 64  # "version needed to extract": 6.4 (zipfile: NotImplementedError)
    path.write_bytes(bytes(data))
    refused(lambda: load_weights(path), path, "not an .npz weights file", "NotImplementedError")


def test_too_many_members_are_refused(tmp_path):
    member = npy_header("<f8", "(1,)") + bytes(8)
    path = write_npz(tmp_path / "w.npz", {f"a{i}.npy": member for i in range(MAX_WEIGHT_ARRAYS + 1)})
    refused(lambda: load_weights(path), path, f"{MAX_WEIGHT_ARRAYS + 1} members")


@pytest.mark.parametrize("descr, shape, size, fragments", [
    ("|O", "(3,)", 24, ["object", "not real numbers"]),
    ("<c16", "(3,)", 48, ["complex128", "not real numbers"]),
    ("|b1", "(3,)", 3, ["bool", "not real numbers"]),
    ("<U3", "(3,)", 36, ["<U3", "not real numbers"]),
    ("<f8", "(-1,)", 8, ["(-1,)", "not an array's"]),
    ("<f8", "(3, 0, -2)", 0, ["(3, 0, -2)"]),
    ("<f8", "(" + "1, " * 40 + ")", 8, ["not an array's"]),
    ("<f8", "(4,)", 24, ["(4,)", "32 bytes", "24 bytes"]),
    ("<f8", "(2,)", 24, ["(2,)", "16 bytes", "24 bytes"]),
])
def test_npy_headers_that_are_not_plain_arrays_of_real_numbers_are_refused(tmp_path, descr, shape, size, fragments):
    path = write_npz(tmp_path / "w.npz", {"o_biases.npy": npy_header(descr, shape) + bytes(size)})
    refused(lambda: load_weights(path), path, "o_biases", *fragments)


def test_a_pickled_object_array_is_refused_without_unpickling(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    path = write_npz(tmp_path / "w.npz", {"o_biases.npy": buffer.getvalue()})
    refused(lambda: load_weights(path), path, "o_biases", "object")


@pytest.mark.parametrize("content, fragments", [
    (b"\x93NUMPY\x01\x00", ["single .npy"]),
    (b"ih_weights = 1\n", ["not an .npz weights file"]),
    (b"", ["not an .npz weights file"]),
    (b"PK\x05\x06" + bytes(10), ["not an .npz weights file"]),
])
def test_what_is_not_an_npz_is_named(tmp_path, content, fragments):
    path = tmp_path / "w.npz"
    path.write_bytes(content)
    refused(lambda: load_weights(path), path, *fragments)


def test_a_truncated_or_corrupt_npz_is_refused(tmp_path):
    path = tmp_path / "w.npz"
    np.savez_compressed(path, ih_weights=np.arange(5000.0))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    refused(lambda: load_weights(path), path, "not an .npz weights file")
    data = bytearray(whole)
    data[200:220] = bytes(20)  # inside the deflated data
    path.write_bytes(bytes(data))
    refused(lambda: load_weights(path), path, "ih_weights")


def test_weights_of_every_real_type_and_order_read_back_as_float64(tmp_path):
    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
              "c": np.array([-3, 4], dtype=np.int8), "d": np.array([7], dtype=">u4"), "e": np.zeros((0, 3))}
    for saver in (np.savez, np.savez_compressed):
        path = tmp_path / f"{saver.__name__}.npz"
        saver(path, **arrays)
        loaded = load_weights(path)
        assert set(loaded) == set(arrays)
        for name, array in arrays.items():
            assert loaded[name].dtype == np.float64
            np.testing.assert_array_equal(loaded[name], array)
    path = tmp_path / "w.npz"
    weights = {"ih_weights": np.ones((4, 7)), "h_biases": np.zeros(7), "ho_weights": np.ones((7, 3)),
               "o_biases": np.zeros(3)}
    save_weights(path, weights)
    assert {k: v.shape for k, v in load_weights(path).items()} == {k: v.shape for k, v in weights.items()}


def test_old_headers_and_long_doubles_give_no_warning(tmp_path):
    python2 = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }"
    python2 += b" " * (-(10 + len(python2) + 1) % 64) + b"\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(python2)) + python2 + np.arange(3.0).tobytes()
    path = write_npz(tmp_path / "old.npz", {"a.npy": member})
    huge = tmp_path / "huge.npz"
    np.savez(huge, a=np.array([np.finfo(np.longdouble).max]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(load_weights(path)["a"], [0.0, 1.0, 2.0])
        assert not np.isfinite(load_weights(huge)["a"]).any() or np.longdouble is np.float64


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
    ({"epochs": 10**14}, ["'epochs'", "100000000000000 epochs of 120 updates", "more than 1e+15 updates"]),
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


NPY_GOOD = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
NPY_ALPHABET = "{}[]'\"():,.<>|=fiuObcUVSM0123456789 -_\\Lshapedescrfortan_odTrueFalsNn"


@FUZZ
@given(header=spliced(NPY_GOOD, NPY_ALPHABET), data=st.integers(0, 64),
       version=st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x00\x00"]))
@pytest.mark.timeout(120)
def test_any_npy_header_gives_arrays_or_an_input_error(tmp_path, header, data, version):
    raw = header.encode("utf-8")
    length = struct.pack("<H" if version == b"\x01\x00" else "<I", len(raw))
    path = write_npz(tmp_path / "w.npz", {"a.npy": b"\x93NUMPY" + version + length + raw + bytes(data)})
    try:
        loaded = load_weights(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert loaded["a"].dtype == np.float64 and loaded["a"].nbytes <= 64 * 8


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 10**6)), compressed=st.booleans())
@pytest.mark.timeout(120)
def test_any_damage_to_an_npz_gives_arrays_or_an_input_error(tmp_path, edits, cut, compressed):
    path = tmp_path / "w.npz"
    (np.savez_compressed if compressed else np.savez)(path, ih_weights=np.arange(12.0).reshape(3, 4),
                                                      o_biases=np.ones(3, dtype=np.float32))
    data = bytearray(path.read_bytes())
    for position, value in edits:
        data[position % len(data)] = value
    path.write_bytes(bytes(data[:cut] if cut is not None else data))
    try:
        loaded = load_weights(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert all(array.dtype == np.float64 for array in loaded.values())


def test_a_huge_whole_number_option_is_refused_not_a_traceback():
    """(review) A whole-number option beyond any float: one line and 2, as before the fast path."""
    import io

    from momentum_lab.cli import main

    for flag in ("--seed", "--hidden", "--data-seed"):
        err = io.StringIO()
        assert main(["train", flag, "9" * 400, "--epochs", "1"], out=io.StringIO(), err=err) == 2
        (line,) = err.getvalue().splitlines()
        assert line.startswith(f"momentum-lab: error: {flag}: must be a whole number") and "Traceback" not in line


def test_a_numpy_bool_is_a_shuffle():
    import numpy as np

    import momentum_lab as ml

    assert ml.RunConfig(shuffle=np.False_).shuffle is False
    with pytest.raises(ml.InputError, match="shuffle="):
        ml.RunConfig(shuffle="yes")

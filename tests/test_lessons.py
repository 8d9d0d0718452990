"""The shipped lessons (each one's claim, checked headlessly) and the lesson loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab._resources import resource_path
from momentum_lab.engine import InputError, Trainer, batch_sharpness, load_dataset, online_bound
from momentum_lab.engine._lessons import (
    LESSONS_ENV,
    find_lesson,
    lesson_files,
    load_lesson,
    load_lessons,
)
from momentum_lab.engine._network import activation_code, loss_code
from momentum_lab.engine import replay

SHIPPED = sorted(resource_path("lessons").glob("*.toml"))
# The lessons the product promises, in this order (more may follow them).
EXPECTED = [
    "small-learning-rate",
    "large-learning-rate",
    "momentum-early",
    "adaptive-steps",
    "lookback-vs-classical",
    "divergence-stability-map",
    "from-trial-and-error-to-a-sweep",
]


@pytest.fixture(autouse=True)
def shipped_only(monkeypatch):
    """No lecturer's folder from the environment: each test sets its own."""
    monkeypatch.delenv(LESSONS_ENV, raising=False)


def shipped(name: str):
    return load_lesson(next(p for p in SHIPPED if p.stem.split("-", 1)[1] == name))


def lane_run(lesson, lane: int, **outputs) -> ml.TrainResult:
    """Run ``lane`` of a lesson's scenario on its own: its settings as the main run's, its changes."""
    sc = lesson.scenario
    changes = [ml.Change(ch.step, ch.setting, ch.value) for ch in sc.changes if ch.lane == lane]
    return ml.train(sc.config.lane(lane), changes=changes, epochs=sc.epochs, **outputs)


def flat_deltas(result) -> np.ndarray:
    """All parameters' deltas as one (steps, n_params) array."""
    return np.concatenate([v.reshape(v.shape[0], -1) for v in result.deltas.values()], axis=1)


def epochs_to(loss: np.ndarray, threshold: float) -> int:
    below = np.flatnonzero(loss <= threshold)
    assert below.size, f"never reached {threshold}"
    return int(below[0])


def rises(loss: np.ndarray) -> int:
    return int(np.sum(np.diff(loss) > 0))


def reversal_share(d: np.ndarray) -> float:
    """Of consecutive delta pairs, weighted by the product of their sizes, the share that
    change sign: about 1/2 for unrelated steps, near 1 for a zigzag."""
    weight = np.abs(d[1:]) * np.abs(d[:-1])
    return float((weight * (np.sign(d[1:]) != np.sign(d[:-1]))).sum() / weight.sum())


# -- every shipped lesson ------------------------------------------------------------------------


def test_the_promised_lessons_are_shipped_in_order_with_unique_names():
    lessons, problems = load_lessons()
    assert problems == []
    names = [lesson.name for lesson in lessons]
    assert len(names) == len(set(names)) == len(SHIPPED)
    assert names[: len(EXPECTED)] == EXPECTED
    assert [p.name for p in SHIPPED] == sorted(p.name for p in SHIPPED)
    assert all(p.stem[:2].isdigit() for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_lesson_loads_and_fits_a_class(path):
    lesson = load_lesson(path)
    assert lesson.title and lesson.do and lesson.watch and lesson.why
    assert "Space" in lesson.do  # says how to start it
    sc = lesson.scenario
    assert sc.epochs is not None and sc.steps is None
    if sc.speed is not None:  # a timed lesson runs well under two minutes in the window
        n_train = load_dataset(sc.config.dataset, **sc.config.dataset_options()).n_train
        assert sc.epochs * n_train / sc.speed <= 90
    assert len(replay(sc)) == 1 + len(sc.config.compare)


def test_lesson_texts_are_not_placeholders():
    for path in SHIPPED:
        lesson = load_lesson(path)
        for text in (lesson.do, lesson.watch, lesson.why):
            assert len(text.split()) >= 25, (path.name, text)
            assert "..." not in text


# -- each lesson's claim -------------------------------------------------------------------------


def test_small_learning_rate_is_slow_but_sure():
    lesson = shipped("small-learning-rate")
    a, b = replay(lesson.scenario)
    assert a.options["lr"] * 10 == pytest.approx(b.options["lr"])
    slow, fast = a.history["train_loss"], b.history["train_loss"]
    assert rises(slow) == 0  # never goes up
    assert slow[-1] < 0.5 * slow[0]  # it does learn
    assert slow[-1] > 0.3  # ... slowly
    assert fast[20] < slow[20] / 5
    assert rises(fast) >= 5  # the larger rate pays with bumps


def test_large_learning_rate_overshoots_after_its_change():
    lesson = shipped("large-learning-rate")
    (change,) = lesson.scenario.changes
    assert change.setting == "lr" and change.value >= 50 * lesson.scenario.config.lr
    (result,) = replay(lesson.scenario, record_deltas=True)
    assert result.divergence is None
    loss = result.history["train_loss"]
    e = change.step // result.dataset.n_train
    assert rises(loss[2 : e + 1]) == 0  # calm before the change
    assert loss[e + 1 :].max() > 5 * loss[e]  # overshoot ...
    assert rises(loss[e:]) >= 4  # ... and it keeps bouncing
    d = flat_deltas(result)
    before, after = d[change.step - 600 : change.step], d[change.step : change.step + 600]
    assert np.abs(after).mean() > 30 * np.abs(before).mean()
    assert reversal_share(before) < 0.6
    assert reversal_share(after) > 0.75  # big steps now zigzag


def test_momentum_speeds_up_early_training():
    lesson = shipped("momentum-early")
    runs = replay(lesson.scenario)
    momenta = [r.options["momentum"] for r in runs]
    assert momenta == sorted(momenta) and momenta[0] == 0
    assert len({r.options["lr"] for r in runs}) == 1  # only the momentum differs
    reach = [epochs_to(r.history["train_loss"], 0.3) for r in runs]
    assert reach == sorted(reach, reverse=True) and len(set(reach)) == len(reach)
    assert reach[-1] <= 0.7 * reach[0]


def test_deltas_shrink_as_training_converges():
    lesson = shipped("adaptive-steps")
    (result,) = replay(lesson.scenario, record_deltas=True)
    n = result.dataset.n_train
    loss = result.history["train_loss"]
    assert rises(loss[5:]) == 0 and loss[-1] < 0.01
    d = flat_deltas(result)
    early, late = np.abs(d[: 5 * n]).mean(axis=0), np.abs(d[-5 * n :]).mean(axis=0)
    assert early.mean() > 10 * late.mean()
    # The momentum part of the steps shrinks with them.
    grad = ml.engine.gradient_steps(d, lesson.scenario.config.rule, lesson.scenario.config.momentum)
    push = d - grad
    assert np.abs(push[: 5 * n]).mean() > 10 * np.abs(push[-5 * n :]).mean()
    # ... and not alike for every weight.
    ratio = late / early
    assert ratio.max() > 5 * ratio.min()


def test_lookback_against_classical_at_the_same_settings():
    lesson = shipped("lookback-vs-classical")
    c = lesson.scenario.config
    rules = [lane.rule for lane in c.lanes]
    assert rules == ["lookback", "classical", "classical"]
    assert c.compare[0].lr == c.lr and c.compare[0].momentum == c.momentum
    m = c.momentum
    assert c.compare[1].lr == pytest.approx(c.lr * (1 + m) * (1 - m))  # the matched steady step
    a, b, matched = (lane_run(lesson, i, record_deltas=True) for i in range(3))
    la, lb, lm = (r.history["train_loss"] for r in (a, b, matched))
    assert 2 * epochs_to(lb, 0.2) <= epochs_to(la, 0.2)  # heavy-ball is faster ...
    assert rises(lb) > 2 * rises(la)  # ... and bumpier
    n = a.dataset.n_train
    size = [np.abs(flat_deltas(r)[n : 3 * n]).mean() for r in (a, b)]
    assert size[1] > 1.5 * size[0]  # with larger steps
    # Classical at lr (1 + m)(1 - m) follows the look-back run closely.
    assert np.max(np.abs(lm[3:] - la[3:]) / la[3:]) < 0.1


def _sharpness(trainer: Trainer) -> float:
    """As the window measures it: on at most 500 training items (the map's x is lr times it online)."""
    d = trainer.dataset
    return batch_sharpness(trainer.params, trainer.layout, activation_code(trainer.activation),
                           loss_code(trainer.loss), d.x_train[:500], d.y_train[:500])


def test_divergence_comes_after_the_stability_map_says_so():
    lesson = shipped("divergence-stability-map")
    assert lesson.tab == "stability"
    sc = lesson.scenario
    c = sc.config
    change = {ch.lane: ch for ch in sc.changes}
    assert set(change) == {0, 1} and change[0].step == change[1].step
    step = change[0].step
    a, b = replay(sc)
    assert b.divergence is None  # the run kept inside the region survives
    assert a.divergence is not None and a.divergence.step > step
    # The class sees the warning for a while before the banner, but not for long.
    assert 1.0 <= (a.divergence.step - step) / sc.speed <= 10
    np.testing.assert_array_equal(a.history.rows[: step // a.dataset.n_train + 1, 1:5],
                                  b.history.rows[: step // a.dataset.n_train + 1, 1:5])
    # Where the map puts each run at the change (both runs have the same weights there).
    data = load_dataset(c.dataset, **c.dataset_options())
    trainer = Trainer(data, c)
    trainer.run(step)
    bs = _sharpness(trainer)
    bound = online_bound(c.rule, c.momentum)  # (online: the region the map shades)
    assert c.lr * bs < 0.1 * bound  # deep inside before
    assert change[0].value * bs > 1.2 * bound  # A: clearly outside
    assert change[1].value * bs < 0.5 * bound  # B: still inside
    # A stays outside until it blows up (the window measures BS about once a second, every
    # speed items), so the warning does not come and go before the banner.
    trainer.lr = change[0].value
    while trainer.step + 10 < a.divergence.step:
        trainer.run(10)
        assert trainer.lr * _sharpness(trainer) > bound, trainer.step
    assert trainer.divergence is None


def test_the_sweep_finds_what_trial_and_error_misses():
    lesson = shipped("from-trial-and-error-to-a-sweep")
    assert lesson.tab == "sweep"
    sc = lesson.scenario
    c = sc.config
    (start,) = replay(sc)
    # The sweep tab's grid as it opens: lr 0.001 to 1 (16, log-spaced), momentum 0 to 0.95 (12).
    result = ml.sweep(c, lr=(0.001, 1.0, 16), momentum=(0.0, 0.95, 12), epochs=sc.epochs, target_loss=0.1)
    loss = result.final_train_loss
    # The lesson's start is the grid's bottom-left cell, and the sweep agrees with the run.
    assert (result.lrs[0], result.momenta[0]) == (c.lr, c.momentum)
    assert loss[0, 0] == pytest.approx(start.history["train_loss"][-1], rel=1e-9)
    assert result.best()["final_train_loss"] < loss[0, 0] / 5
    # lr and momentum interact: momentum helps the smallest rate and hurts the largest ones.
    assert loss[0, -1] < 0.8 * loss[0, 0]
    assert loss[-1, -1] > 2 * loss[-1, 0] and loss[-2, -1] > 2 * loss[-2, 0]


# -- the loader ----------------------------------------------------------------------------------

GOOD = """\
title = "{title}"

[text]
do = "Press Space."
watch = \"\"\"
The error falls.
Steadily.

Then it stops.\"\"\"
why = "Because."

[scenario]
dataset = "iris"
lr = 0.05
momentum = 0.0
epochs = 3
changes = [{{epoch = 1.5, setting = "lr", value = 0.01}}]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lesson_file_reads_into_its_parts(tmp_path):
    lesson = load_lesson(write(tmp_path, "12-my-lesson.toml", GOOD.format(title="  Mine ")))
    assert (lesson.name, lesson.title, lesson.tab, lesson.log_scale) == ("my-lesson", "Mine", None, False)
    assert lesson.watch == "The error falls. Steadily.\n\nThen it stops."  # lines joined, paragraphs kept
    (change,) = lesson.scenario.changes
    assert (change.step, change.setting, change.value, change.lane) == (180, "lr", 0.01, 0)  # 1.5 x 120 items
    (result,) = replay(lesson.scenario)
    assert result.history["lr"].tolist() == [0.05, 0.05, 0.01, 0.01]


def test_broken_toml_names_the_file_line_and_column(tmp_path):
    path = write(tmp_path, "01-broken.toml", 'title = "x"\n[text]\ndo = "unfinished\n')
    with pytest.raises(InputError) as err:
        load_lesson(path)
    message = str(err.value)
    assert str(path) in message and "TOML" in message
    assert "line 3" in message and "column" in message


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace('title = "{title}"', 'title = "{title}"\ncolour = "red"'), ["'colour'", "keys are"]),
    (lambda t: t.replace('why = "Because."', 'why = "Because."\nhow = "so"'), ["'text.how'"]),
    (lambda t: t.replace("epochs = 3", "epochs = 3\nepoch = 3"), ["'epoch'"]),
    (lambda t: t.replace("lr = 0.05", "lr = -1"), ["'lr'", "-1"]),
    (lambda t: t.replace("momentum = 0.0", "momentum = 1.5"), ["'momentum'", "1.5"]),
    (lambda t: t.replace('dataset = "iris"', 'dataset = "nothere.csv"'), ["'dataset'", "nothere.csv"]),
    (lambda t: t.replace('setting = "lr"', 'setting = "speed"'), ["changes[0]", "'speed'"]),
    (lambda t: t.replace('title = "{title}"', 'title = "{title}"\ntab = "plots"'), ["'tab'", "'plots'"]),
    (lambda t: t.replace('title = "{title}"', 'title = "{title}"\nlog_scale = "yes"'), ["'log_scale'"]),
    (lambda t: t.replace('do = "Press Space."', 'do = "  "'), ["'text.do'"]),
    (lambda t: t.replace('why = "Because."', ""), ["'text.why'"]),
    (lambda t: t.replace('title = "{title}"', ""), ["'title'"]),
    (lambda t: t[: t.index("[text]")] + t[t.index("[scenario]"):], ["[text]"]),
    (lambda t: t[: t.index("[scenario]")], ["[scenario]"]),
])
def test_a_bad_lesson_names_the_file_and_the_problem(tmp_path, edit, words):
    path = write(tmp_path, "05-bad.toml", edit(GOOD).format(title="Bad"))
    with pytest.raises(InputError) as err:
        load_lesson(path)
    message = str(err.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert "\n" not in message


def test_a_relative_data_file_is_found_beside_the_lesson(tmp_path):
    rows = "a,b,label\n" + "".join(f"{i % 7},{(3 * i) % 5},{'xy'[i % 2]}\n" for i in range(20))
    write(tmp_path, "points.csv", rows)
    lesson = load_lesson(write(tmp_path, "01-own-data.toml",
                               GOOD.format(title="Own").replace('"iris"', '"points.csv"')))
    assert Path(lesson.scenario.config.dataset) == tmp_path / "points.csv"
    (result,) = replay(lesson.scenario)
    assert result.dataset.n_inputs == 2


def test_the_lessons_folder_adds_and_replaces_lessons(tmp_path, monkeypatch):
    write(tmp_path, "01-small-learning-rate.toml", GOOD.format(title="My own first lesson"))
    write(tmp_path, "99-extra.toml", GOOD.format(title="Extra"))
    write(tmp_path, "notes.txt", "not a lesson")
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))
    lessons, problems = load_lessons()
    assert problems == []
    names = [lesson.name for lesson in lessons]
    assert names[: len(EXPECTED)] == EXPECTED and names[-1] == "extra"
    assert len(names) == len(SHIPPED) + 1
    first = lessons[0]
    assert first.title == "My own first lesson" and first.path.parent == tmp_path
    assert find_lesson("extra").title == "Extra"
    assert find_lesson(str(len(names))).name == "extra"


def test_a_broken_file_is_listed_and_the_others_still_load(tmp_path, monkeypatch):
    write(tmp_path, "50-broken.toml", "title = \n")
    write(tmp_path, "51-fine.toml", GOOD.format(title="Fine"))
    monkeypatch.setenv(LESSONS_ENV, str(tmp_path))
    lessons, problems = load_lessons()
    assert [p.path.name for p in problems] == ["50-broken.toml"]
    assert "50-broken.toml" in problems[0].message and "line 1" in problems[0].message
    assert [lesson.name for lesson in lessons][-1] == "fine"
    assert len(lessons) == len(SHIPPED) + 1
    with pytest.raises(InputError, match="50-broken.toml"):
        find_lesson("broken")


def test_find_lesson_by_name_and_by_number():
    assert find_lesson("momentum-early").path == SHIPPED[2]
    assert find_lesson("3").name == "momentum-early"
    assert find_lesson("1").name == EXPECTED[0]
    assert find_lesson(str(len(SHIPPED))).path == SHIPPED[-1]
    assert lesson_files() == SHIPPED


@pytest.mark.parametrize("name", ["no-such-lesson", "0", str(len(SHIPPED) + 1), ""])
def test_an_unknown_lesson_lists_the_lessons(name):
    with pytest.raises(InputError) as err:
        find_lesson(name)
    message = str(err.value)
    for lesson_name in EXPECTED:
        assert lesson_name in message

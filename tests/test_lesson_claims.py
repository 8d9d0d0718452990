"""Every claim in a shipped lesson's Do and Watch text, checked on that lesson's own run.

One test per claim, with the tolerance its wording implies ("about 0.23": within rounding,
"about twice": 1.6 to 2.6, "roughly a hundred times": 50 to 200). The window's delta trace,
when runs are compared, shows the first picked parameter of each run (ih[0,0] unless the class
picks another) over the latest 2,000 steps; its heatmap shows run A only. A claim about the
traces is checked on the parameter the text names, over the steps the window shows then.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.engine import (Trainer, batch_sharpness, delta_diagnostics, gradient_steps, largest_curvature,
                                 load_dataset, load_lessons, online_bound, stability_bound, step_gain)
from momentum_lab.engine._lessons import LESSONS_ENV
from momentum_lab.engine._network import activation_code, loss_code

SHOWN = 2000  # the steps the delta views show (the latest ones)
IH = {(i, j): i * 7 + j for i in range(4) for j in range(7)}  # Iris, 7 hidden units: ih[i,j]'s column


@pytest.fixture(autouse=True)
def shipped_only(monkeypatch):
    monkeypatch.delenv(LESSONS_ENV, raising=False)


@cache
def lesson(name: str):
    import os
    saved = os.environ.pop(LESSONS_ENV, None)
    try:
        lessons, problems = load_lessons()
    finally:
        if saved is not None:
            os.environ[LESSONS_ENV] = saved
    assert problems == []
    return next(les for les in lessons if les.name == name)


@cache
def runs(name: str) -> tuple[ml.TrainResult, ...]:
    return tuple(ml.replay(lesson(name).scenario, record_deltas=True))


def loss(name: str, run: int = 0) -> np.ndarray:
    return runs(name)[run].history["train_loss"]


def flat(result) -> np.ndarray:
    return np.concatenate([v.reshape(v.shape[0], -1) for v in result.deltas.values()], axis=1)


def rises(curve: np.ndarray) -> int:
    return int(np.sum(np.diff(curve) > 0))


def first_below(curve: np.ndarray, threshold: float) -> int:
    below = np.flatnonzero(curve < threshold)
    assert below.size, f"never below {threshold}"
    return int(below[0])


def about(value: float, quoted: float, digits: int) -> bool:
    """``value`` reads as ``quoted`` to the digits quoted (0.3649 is "about 0.36")."""
    return abs(value - quoted) <= 0.5 * 10.0**-digits + 1e-12


def mean_size(result, column: int | None = None, steps: slice = slice(-SHOWN, None)) -> float:
    d = flat(result)[steps]
    return float(np.abs(d if column is None else d[:, column]).mean())


def text(name: str) -> str:
    return lesson(name).do + " " + lesson(name).watch


# -- 1. small-learning-rate ----------------------------------------------------------------------


def test_1_settings_and_length_are_as_the_do_text_says():
    a, b = runs("small-learning-rate")
    assert (a.options["lr"], a.options["momentum"]) == (0.002, 0.0)
    assert (b.options["lr"], b.options["momentum"]) == (0.02, 0.0)
    sc = lesson("small-learning-rate").scenario
    assert sc.epochs == 60 and sc.epochs * a.dataset.n_train / sc.speed == 12  # "about twelve seconds"


def test_1_a_stays_near_1_1_for_about_ten_epochs():
    assert np.all(np.abs(loss("small-learning-rate")[:11] - 1.1) < 0.05)
    assert loss("small-learning-rate")[14] < 1.05  # then it leaves


def test_1_a_never_goes_up_and_ends_about_0_36():
    a = loss("small-learning-rate")
    assert rises(a) == 0
    assert about(a[60], 0.36, 2)


def test_1_b_below_0_1_by_epoch_22_and_ends_near_0_06():
    b = loss("small-learning-rate", 1)
    assert first_below(b, 0.1) == 22
    assert about(b[-1], 0.06, 2)


def test_1_b_rises_in_about_a_dozen_epochs():
    assert 10 <= rises(loss("small-learning-rate", 1)) <= 14


def test_1_on_the_named_weight_a_deltas_are_about_a_tenth_of_b():
    assert "ih[0,2]" in text("small-learning-rate")
    a, b = runs("small-learning-rate")
    ratio = mean_size(b, IH[0, 2]) / mean_size(a, IH[0, 2])
    assert 7 <= ratio <= 14  # "about ten times smaller"
    # ... what the default trace, ih[0,0], does not show at the end: about the same there.
    same = mean_size(b, IH[0, 0]) / mean_size(a, IH[0, 0])
    assert 0.6 <= same <= 1.4


# -- 2. large-learning-rate ----------------------------------------------------------------------

JUMP = 1200  # 10 epochs of 120 items


def test_2_the_jump_is_from_0_02_to_1_5_at_epoch_10_without_momentum():
    (change,) = lesson("large-learning-rate").scenario.changes
    (r,) = runs("large-learning-rate")
    assert (change.step, change.setting, change.value) == (JUMP, "lr", 1.5)
    assert (r.options["lr"], r.options["momentum"]) == (0.02, 0.0)


def test_2_before_the_jump_the_error_falls_every_epoch_to_about_0_23():
    curve = loss("large-learning-rate")
    assert rises(curve[:11]) == 0
    assert about(curve[10], 0.23, 2)


def test_2_after_the_jump_it_leaps_to_about_4_7_and_does_not_settle():
    curve = loss("large-learning-rate")
    assert about(curve[11], 4.7, 1)
    after = np.diff(curve[11:])
    assert (after > 0).sum() >= 4 and (after < 0).sum() >= 4  # up and down
    assert curve[11:].min() > 2 * curve[10]  # never back to where it was
    assert runs("large-learning-rate")[0].divergence is None  # thrashes, does not blow up


def test_2_deltas_become_roughly_a_hundred_times_larger():
    (r,) = runs("large-learning-rate")
    before = mean_size(r, steps=slice(JUMP - 600, JUMP))
    after = mean_size(r, steps=slice(JUMP, JUMP + 600))
    assert 50 <= after / before <= 200


def test_2_the_largest_steps_are_mostly_followed_by_a_step_back():
    d = flat(runs("large-learning-rate")[0])
    after = d[JUMP:]
    size = np.abs(after[:-1])
    largest = size >= np.quantile(size, 0.999)  # the deepest colours of the heatmap
    back = np.sign(after[1:]) != np.sign(after[:-1])
    assert back[largest].mean() > 0.7
    # Weighted by size, the steps after the jump reverse; before it, about half do.
    def reversal(x):
        w = np.abs(x[1:]) * np.abs(x[:-1])
        return float((w * (np.sign(x[1:]) != np.sign(x[:-1]))).sum() / w.sum())
    assert reversal(after) > 0.8
    assert 0.4 <= reversal(d[JUMP - 600 : JUMP]) <= 0.6  # "said little about the next one"


def test_2_sign_flips_alone_hardly_change():
    d = flat(runs("large-learning-rate")[0])

    def rate(x):
        return float(np.nanmedian(delta_diagnostics(x, gradient_steps(x, "lookback", 0.0))["sign_flip_rate"]))

    before, after = rate(d[JUMP - 600 : JUMP]), rate(d[JUMP:])
    assert 0.35 <= before <= 0.5 and 0.35 <= after <= 0.5 and abs(after - before) < 0.05  # "some 40 %"
    rates = [delta_diagnostics(x, gradient_steps(x, "lookback", 0.0))["sign_flip_rate"]
             for x in (d[JUMP - 600 : JUMP], d[JUMP:])]
    assert (np.abs(rates[1] - rates[0]) < 0.1).mean() > 0.5  # "most weights flip about as often"


# -- 3. momentum-early ---------------------------------------------------------------------------


def test_3_three_runs_differ_only_in_momentum():
    rs = runs("momentum-early")
    assert [(r.options["rule"], r.options["lr"], r.options["momentum"]) for r in rs] == [
        ("lookback", 0.01, 0.0), ("lookback", 0.01, 0.5), ("lookback", 0.01, 0.9)]


def test_3_all_start_near_1_1_and_momentum_leaves_the_plateau_sooner():
    curves = [loss("momentum-early", k) for k in range(3)]
    assert all(abs(c[1] - 1.1) < 0.05 for c in curves)
    leave = [first_below(c, 1.0) for c in curves]
    assert leave[0] > leave[1] > leave[2]


def test_3_below_0_3_at_epochs_16_11_and_9():
    assert [first_below(loss("momentum-early", k), 0.3) for k in range(3)] == [16, 11, 9]


def test_3_at_epoch_20_c_about_0_11_and_a_0_23_and_the_gaps_narrow():
    a, c = loss("momentum-early", 0), loss("momentum-early", 2)
    assert about(c[20], 0.11, 2) and about(a[20], 0.23, 2)
    assert a[30] - c[30] < 0.75 * (a[20] - c[20])


# -- 4. adaptive-steps ---------------------------------------------------------------------------


def n4() -> int:
    return runs("adaptive-steps")[0].dataset.n_train


def test_4_settings_are_as_the_do_text_says():
    (r,) = runs("adaptive-steps")
    sc = lesson("adaptive-steps").scenario
    assert sc.config.dataset == "blobs" and sc.epochs == 40
    assert (r.options["lr"], r.options["momentum"]) == (0.02, 0.9)


def test_4_the_first_two_epochs_swing_widest():
    d = np.abs(flat(runs("adaptive-steps")[0]))
    n = n4()
    per_epoch = d[: 40 * n].reshape(40, n, -1).mean(axis=(1, 2))
    assert per_epoch[:2].mean() > 3 * per_epoch[3:6].mean()
    # From then on they keep shrinking (five-epoch blocks, each smaller than the one before).
    blocks = per_epoch[2:37].reshape(7, 5).mean(axis=1)
    assert np.all(np.diff(blocks) < 0)


def test_4_the_trace_axis_steps_down_twice():
    from momentum_lab._qt.plots import StickyLimit

    (r,) = runs("adaptive-steps")
    d = flat(r)
    n_in, n_h = r.deltas["ih_deltas"].shape[1:]
    picked = [0, n_in * n_h + n_h, d.shape[1] - 1]  # the default picks: ih[0,0], ho[0,0], the last output bias
    limit, shown = StickyLimit(), []
    for step in range(20, d.shape[0] + 1, 20):  # about as often as the window redraws
        limit.update(float(np.abs(d[max(0, step - SHOWN) : step, picked]).max()))
        if not shown or limit.value != shown[-1]:
            shown.append(limit.value)
    assert shown == pytest.approx([0.05, 0.02, 0.005])  # "steps down twice, from 0.05 to 0.02 and later to 0.005"


def test_4_last_five_epochs_about_twenty_times_smaller_and_error_about_0_003():
    d = np.abs(flat(runs("adaptive-steps")[0]))
    n = n4()
    early, late = d[: 5 * n].mean(axis=0), d[-5 * n :].mean(axis=0)
    assert 15 <= early.mean() / late.mean() <= 25
    curve = loss("adaptive-steps")
    assert rises(curve) == 0 and about(curve[-1], 0.003, 3)
    ratio = early / late
    assert 5 <= ratio.min() <= 7 and 80 <= ratio.max() <= 100  # "about six", "about ninety"


# -- 5. lookback-vs-classical --------------------------------------------------------------------


def test_5_settings_are_as_the_do_text_says():
    assert [(r.options["rule"], r.options["lr"], r.options["momentum"]) for r in runs("lookback-vs-classical")] == [
        ("lookback", 0.01, 0.9), ("classical", 0.01, 0.9), ("classical", 0.0019, 0.9)]


def test_5_b_under_0_2_by_epoch_3_a_needs_13():
    assert first_below(loss("lookback-vs-classical", 1), 0.2) == 3
    assert first_below(loss("lookback-vs-classical", 0), 0.2) == 13


def test_5_b_goes_up_in_about_17_epochs_a_in_5():
    assert rises(loss("lookback-vs-classical", 1)) == 17
    assert rises(loss("lookback-vs-classical", 0)) == 5


def test_5_b_deltas_about_twice_a_on_the_named_weight_half_on_ih00():
    assert "ih[0,2]" in text("lookback-vs-classical") and "ih[0,0]" in text("lookback-vs-classical")
    a, b, _ = runs("lookback-vs-classical")
    assert 1.6 <= mean_size(b, IH[0, 2]) / mean_size(a, IH[0, 2]) <= 2.6  # "about twice"
    assert 0.35 <= mean_size(b, IH[0, 0]) / mean_size(a, IH[0, 0]) <= 0.65  # "about half"
    # "Most weights": over all parameters, most move more in B.
    da, db = np.abs(flat(a)[-SHOWN:]).mean(axis=0), np.abs(flat(b)[-SHOWN:]).mean(axis=0)
    assert (db > da).mean() > 0.6


def test_5_c_starts_a_little_later_then_is_hard_to_tell_from_a():
    a, c = loss("lookback-vs-classical", 0), loss("lookback-vs-classical", 2)
    assert 0.05 <= c[2] - a[2] <= 0.15  # "at epoch 2 about 0.1 higher"
    assert np.max(np.abs(c[4:] - a[4:])) < 0.02  # under 2 % of the axis
    assert np.max(np.abs(c[4:] - a[4:]) / a[4:]) < 0.05  # ... and on the log scale


# -- 6. divergence-stability-map -----------------------------------------------------------------

SIX = "divergence-stability-map"
JUMP6 = 360  # 3 epochs of 120 items


@cache
def readouts(name: str) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Each run's (readout, train loss) before each of its updates, as the window measures the
    readout (the settings in force, the batch sharpness on at most 500 training items, the loss
    trend): step s is the state after s updates, with the changes due at s applied. NaN once the
    run has diverged. The window measures about once a second and at each change; measuring at
    every item covers whatever it happens to catch."""
    sc = lesson(name).scenario
    session = ml.Session(sc.config, changes=sc.changes)
    total = sc.epochs * session.steps_per_epoch
    out = [(np.full(total + 1, np.nan), np.full(total + 1, np.nan)) for _ in session.lanes]
    for step in range(total + 1):
        for k, lane in enumerate(session.lanes):
            t = lane.trainer
            if t.divergence is None:
                d = t.dataset
                bs = batch_sharpness(t.params, t.layout, activation_code(t.activation), loss_code(t.loss),
                                     d.x_train[:500], d.y_train[:500])
                out[k][0][step] = t.stability_now(bs)
                out[k][1][step] = t.evaluate()[0]
        if step < total:
            session.advance(1)
    return tuple(out)


def test_6_settings_are_as_the_do_text_says():
    sc = lesson(SIX).scenario
    assert sc.config.activation == "relu" and sc.speed == 20 and sc.epochs == 5
    assert [(lane.rule, lane.lr, lane.momentum) for lane in sc.config.lanes] == [("lookback", 0.05, 0.9)] * 2
    assert sorted((ch.lane, ch.step, ch.setting, ch.value) for ch in sc.changes) == [
        (0, JUMP6, "lr", 3.0), (1, JUMP6, "lr", 0.2)]


def test_6_for_three_epochs_both_learn_alike_and_read_green():
    (ra, la), (rb, lb) = readouts(SIX)
    np.testing.assert_array_equal(la[: JUMP6 + 1], lb[: JUMP6 + 1])
    assert np.all(ra[:JUMP6] < 0.5) and np.all(rb[:JUMP6] < 0.5)  # "well under 0.5", whenever measured
    # "About 0.07 at the end of epoch 3": the settings of before, at the weights of the jump.
    t = trainer_at(JUMP6)
    assert about(t.stability_now(sharpness(t)), 0.07, 2)


def test_6_at_the_jump_a_reads_about_4_while_its_error_is_still_0_17():
    (ra, la), _ = readouts(SIX)
    assert about(ra[JUMP6], 4, 0) and ra[JUMP6] > 1
    assert about(la[JUMP6], 0.17, 2) and la[JUMP6] == loss(SIX)[3]  # as low as it was: epoch 3's
    # The map marks A red at the same moment: its readout, and the full-batch reference too.
    t = trainer_at(JUMP6)
    assert 3.0 * curvature(t) > stability_bound("lookback", 0.9)


def test_6_a_climbs_above_1_after_two_items_near_100_after_four_and_runs_away_after_23():
    (ra, la), _ = readouts(SIX)
    assert la[JUMP6 + 1] < 1 < la[JUMP6 + 2]
    assert 50 < la[JUMP6 + 4] < 150  # "near 100"
    a = runs(SIX)[0]
    assert a.divergence is not None and a.divergence.step - JUMP6 == 23
    assert 1 < 23 / lesson(SIX).scenario.speed < 1.5  # "just over a second"
    # It reads red at every item up to its end: whenever the window measures, it warns.
    alive = ra[JUMP6 : a.divergence.step - 1]
    assert np.all(alive > 1)


def test_6_b_reads_about_0_26_never_0_4_and_trains_to_the_end():
    _, (rb, lb) = readouts(SIX)
    assert about(rb[JUMP6], 0.26, 2)
    assert np.nanmax(rb[JUMP6:]) < 0.4
    b = runs(SIX)[1]
    assert b.divergence is None and b.steps == 600 and len(b.history["train_loss"]) == 6


def test_6_b_jumps_about_some_ten_times_as_much_and_ends_at_0_27():
    _, (rb, lb) = readouts(SIX)
    before = np.abs(np.diff(lb[JUMP6 - 120 : JUMP6 + 1])).mean()
    after = np.abs(np.diff(lb[JUMP6 : JUMP6 + 121])).mean()
    assert 7 <= after / before <= 14  # "some ten times as much"
    curve = loss(SIX, 1)
    assert about(curve[5], 0.27, 2) and curve[5] > curve[3] and about(curve[3], 0.17, 2)


@cache
def trainer_at(steps: int) -> Trainer:
    """Run A (= B) of lesson 6 after ``steps`` updates at its starting settings."""
    c = lesson(SIX).scenario.config
    t = Trainer(load_dataset(c.dataset, **c.dataset_options()), c)
    t.run(steps)
    return t


def sharpness(t: Trainer) -> float:
    d = t.dataset
    return batch_sharpness(t.params, t.layout, activation_code(t.activation), loss_code(t.loss),
                           d.x_train[:500], d.y_train[:500])


def curvature(t: Trainer) -> float:
    d = t.dataset
    return largest_curvature(t.params, t.layout, activation_code(t.activation), loss_code(t.loss),
                             d.x_train[:500], d.y_train[:500], iterations=20)


def test_6_why_the_numbers_of_the_readout():
    t = trainer_at(JUMP6)
    bs = sharpness(t)
    assert about(bs, 1.4, 1) and step_gain("lookback", 0.9) == pytest.approx(1.9)
    for lr, quoted, digits in ((0.05, 0.07, 2), (0.2, 0.26, 2), (3.0, 4, 0)):
        assert about(lr * 1.9 * bs / 2, quoted, digits)
    assert about(stability_bound("lookback", 0.9), 1.11, 2) and about(curvature(t), 1.0, 1)


def test_6_the_map_s_points_at_the_jump_a_about_4_2_past_1_05_and_b_about_0_28_inside():
    bs = sharpness(trainer_at(JUMP6))  # (online, the map's x is lr times it; its shaded edge 2 / gain)
    edge = online_bound("lookback", 0.9)
    assert about(edge, 1.05, 2)
    assert about(3.0 * bs, 4.2, 1) and 3.0 * bs > 2 * edge
    assert about(0.2 * bs, 0.28, 2) and 0.2 * bs < edge


# -- 7. from-trial-and-error-to-a-sweep ----------------------------------------------------------


@cache
def grid():
    sc = lesson("from-trial-and-error-to-a-sweep").scenario
    return ml.sweep(sc.config, lr=(0.001, 1.0, 16), momentum=(0.0, 0.95, 12), epochs=sc.epochs, target_loss=0.1)


def test_7_the_first_try_ends_around_0_62_after_50_epochs():
    (r,) = runs("from-trial-and-error-to-a-sweep")
    assert (r.options["lr"], r.options["momentum"]) == (0.001, 0.0)
    assert len(r.history["train_loss"]) == 51 and about(r.history["train_loss"][-1], 0.62, 2)


def test_7_the_sweep_has_192_cells_and_a_dark_band_from_0_025_to_0_1():
    s = grid()
    loss_ = s.final_train_loss
    assert loss_.size == 192
    band = (s.lrs >= 0.025 * 0.99) & (s.lrs <= 0.1 * 1.01)
    assert band.sum() >= 4
    assert 0.054 <= loss_[band].min() and loss_[band].max() <= 0.075  # "between 0.055 and 0.07"
    assert loss_[s.lrs <= 0.0065].min() > loss_[band].max()  # lighter on the left
    assert (s.lrs[0], s.momenta[0]) == (0.001, 0.0)  # the first try: the bottom-left cell


def test_7_the_lightest_cells_are_on_the_far_right_worst_with_high_momentum():
    s = grid()
    loss_ = s.final_train_loss
    lightest = np.argsort(loss_, axis=None)[-5:]
    assert all(np.unravel_index(k, loss_.shape)[0] >= len(s.lrs) - 2 for k in lightest)
    i, j = np.unravel_index(np.argmax(loss_), loss_.shape)
    assert i == len(s.lrs) - 1 and s.momenta[j] >= 0.8


def test_7_a_clicked_cell_replays_to_the_number_the_sweep_showed():
    s = grid()
    sc = lesson("from-trial-and-error-to-a-sweep").scenario
    i, j = np.unravel_index(np.argmin(s.final_train_loss), s.final_train_loss.shape)
    cell = ml.train(sc.config.with_lane(0, lr=float(s.lrs[i]), momentum=float(s.momenta[j])), epochs=sc.epochs)
    assert cell.history["train_loss"][-1] == pytest.approx(s.final_train_loss[i, j], rel=1e-12)


# -- 8. article ----------------------------------------------------------------------------------


def test_8_the_runs_are_the_articles_program_without_and_with_momentum():
    import article_reference as article

    a, b = runs("article")
    assert (a.options["momentum"], b.options["momentum"]) == (0.0, 0.75)
    assert all(r.options[k] == v for r in (a, b) for k, v in ml.preset("article").items()
               if k not in ("momentum", "epochs"))
    assert len(loss("article")) == 51 and (a.dataset.n_train, a.dataset.n_test) == (120, 30)
    for run, momentum in enumerate((0.0, 0.75)):  # the program's own figures, every epoch
        np.testing.assert_allclose(loss("article", run)[1:], [r[0] for r in article.run(momentum)], atol=1e-12)


def test_8_the_watch_text_quotes_the_errors_every_10_epochs():
    import re

    watch = " ".join(lesson("article").watch.split())
    quoted = [float(v) for v in re.findall(r"0\.\d{4}", watch)]
    assert len(quoted) == 10
    for run in (0, 1):
        assert [f"{v:.4f}" for v in loss("article", run)[10::10]] == [f"{v:.4f}" for v in quoted[5 * run:5 * run + 5]]


def test_8_b_is_about_0_1_lower_at_epoch_10_and_neither_falls_every_epoch():
    a, b = loss("article"), loss("article", 1)
    assert about(a[10] - b[10], 0.1, 1)
    assert a[30] > a[20] and b[40] > b[30]


def test_8_the_accuracies_are_as_the_watch_text_says():
    a, b = runs("article")
    assert "112 of the 120 training items (93.3 %) and 29 of the 30" in " ".join(lesson("article").watch.split())
    assert (a.history["train_accuracy"][-1] * 120, a.history["test_accuracy"][-1] * 30) == (112, 29)
    assert (b.history["train_accuracy"][-1] * 120, b.history["test_accuracy"][-1] * 30) == (115, 30)


# -- 9. full-batch-bound -------------------------------------------------------------------------

NINE, TEN = "full-batch-bound", "online-readout"


@cache
def full_batch_readouts(name: str) -> tuple[np.ndarray, ...]:
    """Each run's readout at the start of each update (an epoch, at full batch), as the window
    measures it there: lr × λ over the rule's bound, λ on at most 500 items, 20 iterations."""
    sc = lesson(name).scenario
    session = ml.Session(sc.config)
    out = [np.full(sc.epochs + 1, np.nan) for _ in session.lanes]
    for step in range(sc.epochs + 1):
        for k, lane in enumerate(session.lanes):
            t = lane.trainer
            if t.divergence is None:
                out[k][step] = t.stability_now(sharpness(t), curvature(t))
        if step < sc.epochs:
            session.advance(1)
    return tuple(out)


def test_9_settings_are_as_the_do_text_says():
    sc = lesson(NINE).scenario
    a, b = runs(NINE)
    assert sc.config.batch_size == "full" and a.dataset.n_train == 120 and sc.config.activation == "tanh"
    assert [(lane.rule, lane.lr, lane.momentum) for lane in sc.config.lanes] == [
        ("classical", 1.0, 0.9), ("classical", 10.0, 0.9)]
    assert sc.epochs == 300 and sc.speed == 20 and a.steps == 300  # one update an epoch, 15 s
    assert sc.changes == ()


def test_9_a_reads_about_0_25_and_never_above_0_47():
    ra, _ = full_batch_readouts(NINE)
    t = Trainer(runs(NINE)[0].dataset, lesson(NINE).scenario.config)
    assert ra[0] == pytest.approx(1.0 * curvature(t) / stability_bound("classical", 0.9), rel=1e-12)
    assert about(ra[0], 0.25, 2) and np.nanmax(ra) < 0.47  # green: under 0.5 at every update


def test_9_a_falls_to_0_31_0_06_and_0_004_rising_only_by_ripples_between_18_and_51():
    a = loss(NINE)
    assert about(a[0], 1.1, 1) and about(a[10], 0.31, 2) and about(a[20], 0.06, 2) and about(a[300], 0.004, 3)
    rises = np.flatnonzero(np.diff(a) > 0) + 1
    assert rises.size and rises.min() >= 18 and rises.max() <= 51
    assert np.diff(a).max() < 0.01


def test_9_b_reads_about_2_5_falls_faster_at_first_then_thrashes():
    _, rb = full_batch_readouts(NINE)
    assert about(rb[0], 2.5, 1) and rb[0] > 1  # red from the start
    a, b = loss(NINE), loss(NINE, 1)
    assert np.all(b[1:4] < a[1:4])  # "at first B even falls faster"
    assert about(b[2], 0.64, 2) and about(a[2], 1.1, 1)
    assert about(b[4], 5.4, 1) and b[4] > 5 * b[3]  # the leap
    assert about(b[4:].min(), 0.15, 2) and about(b[4:].max(), 16, 0)
    assert rises(b[4:]) > 50  # up and down, not settling
    assert about(b[300], 0.75, 2) and runs(NINE)[1].divergence is None


def test_9_why_lambda_is_a_little_under_1_and_the_bound_is_3_8():
    t = Trainer(runs(NINE)[0].dataset, lesson(NINE).scenario.config)
    assert 0.9 < curvature(t) < 1.0 and about(stability_bound("classical", 0.9), 3.8, 1)
    ra, rb = full_batch_readouts(NINE)
    assert about(ra[0], 0.25, 2) and about(rb[0] / stability_bound("classical", 0.9) * 3.8, 2.5, 1)


# -- 10. online-readout --------------------------------------------------------------------------


def test_10_settings_are_lesson_9s_online():
    sc, nine = lesson(TEN).scenario, lesson(NINE).scenario
    assert sc.config.batch_size == 1 and sc.epochs == 30 and sc.speed == 360  # 10 s
    assert [(lane.rule, lane.lr, lane.momentum) for lane in sc.config.lanes] == [
        ("classical", 1.0, 0.9), ("classical", 0.03, 0.9)]
    assert sc.config.lanes[0] == nine.config.lanes[0]
    from dataclasses import replace
    assert replace(sc.config, compare=()) == replace(nine.config, compare=(), batch_size=1)


def test_10_a_reads_1_67_before_the_first_item_and_stays_red():
    (ra, _), _ = readouts(TEN)
    assert f"{ra[0]:.3g}" == "1.67"
    # Latched: the largest since the settings last changed (they never do), so red to the end.
    assert np.all(np.fmax.accumulate(ra) > 1) and runs(TEN)[0].divergence is None


def test_10_a_never_learns_6_2_34_above_1_1_up_to_40_and_9_6():
    a = loss(TEN)
    assert about(a[1], 6.2, 1) and about(a[2], 34, 0) and about(a[30], 9.6, 1)
    assert np.all(a[1:] > a[0]) and about(a[0], 1.1, 1) and about(a.max(), 40, 0)


def test_10_b_stays_green_under_0_35_and_its_error_is_as_told():
    _, (rb, _) = readouts(TEN)
    assert np.nanmax(rb) < 0.35 and np.nanmax(rb) > 0.3  # "never above 0.35"
    b = loss(TEN, 1)
    assert about(b[2], 0.11, 2) and about(b[4], 0.31, 2) and about(b[30], 0.13, 2)
    rest = np.delete(b[3:], 1)  # after epoch 2, but for epoch 4
    assert about(rest.min(), 0.05, 2) and about(rest.max(), 0.15, 2)
    assert runs(TEN)[1].divergence is None


def test_10_why_bs_about_0_33_edge_at_lr_0_6_and_the_full_batch_bound_still_says_0_25():
    t = Trainer(runs(TEN)[0].dataset, lesson(TEN).scenario.config)
    bs = sharpness(t)
    assert step_gain("classical", 0.9) == pytest.approx(10)
    assert about(bs, 0.33, 2) and about(2 / (10 * bs), 0.6, 1)
    assert about(1.0 * curvature(t) / stability_bound("classical", 0.9), 0.25, 2)

"""The Session (engine/_session.py): the one run orchestration, checked against independent
references.

The reference throughout is a bare :class:`Trainer` stepped by hand: ``Trainer(dataset, config)``,
``trainer.run(k)``, ``trainer.lr = …`` between runs. Every comparison is bit for bit (the bytes of
the arrays), never approximate.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.engine import DELTA_NAMES, HISTORY_COLUMNS, Change, InputError, LaneSettings, RunConfig, Trainer
from momentum_lab.engine._session import MAX_DELTA_BYTES, ChunkSizer, Session

# Small runs: iris has 120 training items, a 4-5-3 network.
N = 120
BASE = RunConfig("iris", hidden=5, lr=0.05, momentum=0.9)
TWO = RunConfig("iris", hidden=5, lr=0.05, momentum=0.9, compare=(LaneSettings("classical", 0.02, 0.5),))


# -- helpers ------------------------------------------------------------------------------------------

def same(a, b) -> bool:
    """Bit for bit: the same shape, dtype and bytes (NaN patterns included)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)


class Reference:
    """A bare Trainer stepped by hand, keeping its rows (row 0 first) and, optionally, its deltas."""

    def __init__(self, dataset, config, total: int | None = None, deltas: bool = False) -> None:
        self.t = Trainer(dataset, config)
        self.rows = [self.t.history_row(stability=True)[None, :]]
        self.deltas = np.empty((total, self.t.layout.n_params)) if deltas else None

    def run(self, k: int) -> "Reference":
        t = self.t
        buf = None if self.deltas is None else self.deltas[t.step:t.step + k]
        report = t.run(k, buf)
        self.rows.append(report.rows)
        return self

    def set(self, **settings) -> "Reference":
        for name, value in settings.items():
            setattr(self.t, name, value)
        held = [block for block in self.rows if len(block)]
        if self.t.epoch_step == 0:  # at an epoch's end: its row's readout for the new settings
            held[-1][-1, 7] = self.t.column_readout()
        return self

    @property
    def history(self) -> np.ndarray:
        return np.concatenate(self.rows)

    def recorded(self) -> np.ndarray:
        return self.deltas[: self.t.step]


def lane_state(lane):
    """What a lane is: its weights, rule state, counters, rows, deltas and applied changes."""
    t = lane.trainer
    deltas = lane.recorded_deltas()
    return dict(params=t.params.copy(), state=t.state.copy(), step=t.step, epoch=t.epoch, position=t.position,
                divergence=t.divergence, rows=lane.rows().copy(),
                deltas=None if deltas is None else {k: v.copy() for k, v in deltas.items()},
                applied=[(c, c.previous) for c in lane.applied], lr=t.lr, momentum=t.momentum)


def same_state(a: dict, b: dict) -> bool:
    for key in a:
        x, y = a[key], b[key]
        if key in ("params", "state", "rows"):
            if not same(x, y):
                return False
        elif key == "deltas":
            if (x is None) != (y is None) or (x is not None and not same_weights(x, y)):
                return False
        elif x != y:
            return False
    return True


def session_state(session):
    return [lane_state(lane) for lane in session.lanes]


def same_sessions(a, b) -> bool:
    sa, sb = session_state(a), session_state(b)
    return len(sa) == len(sb) and all(same_state(x, y) for x, y in zip(sa, sb))


def advance_in(session, sizes) -> None:
    for k in sizes:
        session.advance(k)


def random_sizes(total: int, seed: int, high: int = 150) -> list[int]:
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(rng.integers(0, high)))  # zero-sized advances included
    return sizes


def same_result(a, b) -> bool:
    """Two TrainResults hold the same run (history, weights, deltas, divergence, steps)."""
    if not (same(a.history.rows, b.history.rows) and same_weights(a.weights, b.weights)
            and same_weights(a.initial_weights, b.initial_weights)):
        return False
    if (a.deltas is None) != (b.deltas is None):
        return False
    if a.deltas is not None and not same_weights(a.deltas, b.deltas):
        return False
    return a.divergence == b.divergence and a.steps == b.steps


@pytest.fixture(scope="module")
def data():
    return ml.load_dataset("iris")


# A schedule whose steps fall inside chunks of 7 and of 120, for both lanes, with a same-step pair.
SCHEDULE = (
    Change(0, "momentum", 0.8),
    Change(13, "lr", 0.1),
    Change(250, "lr", 0.02),
    Change(250, "momentum", 0.5),
    Change(333, "lr", 0.2, lane=1),
    Change(400, "momentum", 0.95, lane=1),
    Change(401, "lr", 0.01),
)
TOTAL = 600


# -- 1. chunk invariance --------------------------------------------------------------------------

def _scheduled(data, deltas="all", history=True):
    return Session(TWO, dataset=data, changes=SCHEDULE, stop_at=TOTAL, deltas=deltas, history=history)


@pytest.mark.parametrize("sizes", [[1] * TOTAL, [7] * 90, [120] * 5, random_sizes(TOTAL, 1), random_sizes(TOTAL, 2, 40)],
                         ids=["1", "7", "120", "random", "random-small"])
def test_chunk_invariance_with_a_schedule(data, sizes):
    whole = _scheduled(data)
    assert whole.advance(TOTAL) == 2 * TOTAL
    chunked = _scheduled(data)
    advance_in(chunked, sizes)
    assert chunked.step == whole.step == TOTAL
    assert same_sessions(chunked, whole)
    for a, b in zip(chunked.results(), whole.results()):
        assert same_result(a, b)


def test_chunk_invariance_matches_the_hand_stepped_trainer(data):
    """The session with SCHEDULE equals a Trainer per lane stepped to each change by hand."""
    session = _scheduled(data)
    advance_in(session, random_sizes(TOTAL, 3))
    a = Reference(data, TWO.lane(0), TOTAL, deltas=True)
    a.set(momentum=0.8).run(13).set(lr=0.1).run(237).set(lr=0.02, momentum=0.5).run(151).set(lr=0.01).run(199)
    b = Reference(data, TWO.lane(1), TOTAL, deltas=True)
    b.run(333).set(lr=0.2).run(67).set(momentum=0.95).run(200)
    for lane, ref in zip(session.lanes, (a, b)):
        assert same(lane.trainer.params, ref.t.params)
        assert same(lane.rows(), ref.history)
        assert same(np.concatenate([v.reshape(TOTAL, -1) for v in lane.recorded_deltas().values()], axis=1),
                    np.concatenate([v.reshape(TOTAL, -1) for v in
                                    ref.t.layout.views(ref.recorded()).values()], axis=1))


def test_chunk_invariance_with_latest_deltas(data):
    whole = _scheduled(data, deltas=50)
    whole.advance(TOTAL)
    chunked = _scheduled(data, deltas=50)
    advance_in(chunked, random_sizes(TOTAL, 4))
    assert same_sessions(whole, chunked)


# -- 2. changes apply from the update after their step ------------------------------------------------

@pytest.mark.parametrize("s", [1, 119, 120, 130, 359])
def test_change_applies_from_the_update_after_its_step(data, s):
    session = Session(BASE, dataset=data, changes=[(s, "lr", 0.3)], stop_at=480, deltas="all")
    advance_in(session, [7] * 69)
    ref = Reference(data, BASE, 480, deltas=True).run(s).set(lr=0.3).run(480 - s)
    lane = session.lanes[0]
    assert same(lane.trainer.params, ref.t.params)
    assert same(lane.rows(), ref.history)
    assert same(lane._deltas, ref.deltas)
    assert lane.applied == [Change(s, "lr", 0.3)] and lane.applied[0].previous == 0.05
    # A change one step later gives another run: the step is exact.
    later = Reference(data, BASE).run(s + 1).set(lr=0.3).run(479 - s)
    assert not same(lane.trainer.params, later.t.params)


def test_two_settings_changed_at_the_same_step(data):
    session = Session(BASE, dataset=data, changes=[(170, "lr", 0.2), (170, "momentum", 0.3)], stop_at=360)
    session.advance(360)
    ref = Reference(data, BASE).run(170).set(lr=0.2, momentum=0.3).run(190)
    assert same(session.lanes[0].trainer.params, ref.t.params)
    assert same(session.lanes[0].rows(), ref.history)
    assert [(c.setting, c.step, c.previous) for c in session.lanes[0].applied] == [("lr", 170, 0.05),
                                                                                   ("momentum", 170, 0.9)]


def test_change_at_step_zero(data):
    session = Session(BASE, dataset=data, changes=[(0, "lr", 0.2)], stop_at=240)
    session.advance(240)
    rows = session.results()[0].history
    assert rows["lr"][0] == 0.05  # row 0: the state the run was built in
    assert rows["lr"][1] == 0.2 and rows["lr"][2] == 0.2
    ref = Reference(data, BASE).set(lr=0.2).run(240)
    assert same(session.lanes[0].trainer.params, ref.t.params)
    assert same(rows.rows, ref.history)


def test_changes_for_lane_b_leave_a_untouched(data):
    plain = Session(TWO, dataset=data, stop_at=360)
    plain.advance(360)
    changed = Session(TWO, dataset=data, stop_at=360,
                      changes=[Change(50, "lr", 0.3, lane=1), Change(50, "momentum", 0.0, lane=1)])
    changed.advance(360)
    assert same_state(lane_state(changed.lanes[0]), lane_state(plain.lanes[0]))
    assert changed.lanes[0].applied == []
    assert not same(changed.lanes[1].trainer.params, plain.lanes[1].trainer.params)
    ref = Reference(data, TWO.lane(1)).run(50).set(lr=0.3, momentum=0.0).run(310)
    assert same(changed.lanes[1].trainer.params, ref.t.params)


def test_a_change_to_the_same_value_is_not_recorded(data):
    session = Session(BASE, dataset=data, changes=[(10, "lr", 0.05)], stop_at=20)
    session.advance(20)
    assert session.lanes[0].applied == []
    assert session.change("momentum", 0.9) is None
    assert session.lanes[0].applied == []


# -- 3. a hand change after a planned one at the same step wins ------------------------------------------

@pytest.mark.parametrize("s", [0, 100])
def test_hand_change_after_planned_one_at_same_step_wins(data, s):
    session = Session(BASE, dataset=data, changes=[(s, "lr", 0.1)], stop_at=300)
    session.advance(s)
    assert session.step == s and session.lanes[0].trainer.lr == 0.1
    hand = session.change("lr", 0.2)
    assert hand == Change(s, "lr", 0.2) and hand.previous == 0.1
    session.advance(300)
    applied = session.lanes[0].applied
    assert applied == [Change(s, "lr", 0.1), Change(s, "lr", 0.2)]
    assert [c.previous for c in applied] == [0.05, 0.1]
    ref = Reference(data, BASE).run(s).set(lr=0.2).run(300 - s)
    assert same(session.lanes[0].trainer.params, ref.t.params)
    assert same(session.lanes[0].rows(), ref.history)
    assert session.results()[0].options["changes"] == tuple(applied)


def test_hand_change_bad_value_changes_nothing(data):
    session = Session(BASE, dataset=data)
    with pytest.raises(InputError):
        session.change("lr", -1.0)
    with pytest.raises(InputError):
        session.change("momentum", 1.0)
    with pytest.raises(InputError, match="setting"):
        session.change("speed", 1.0)
    t = session.lanes[0].trainer
    assert (t.lr, t.momentum) == (0.05, 0.9) and session.lanes[0].applied == []


# -- 4. lanes ----------------------------------------------------------------------------------------

def test_lanes_share_initial_weights_and_item_order(data):
    config = RunConfig("iris", hidden=5, lr=0.05, momentum=0.9,
                       compare=(LaneSettings("lookback", 0.05, 0.9), LaneSettings("classical", 0.05, 0.9),
                                LaneSettings("nesterov", 0.01, 0.5)))
    session = Session(config, dataset=data, stop_at=480)
    starts = [lane.trainer.params.copy() for lane in session.lanes]
    assert all(same(starts[0], p) for p in starts[1:])
    advance_in(session, random_sizes(480, 5))
    a, b, c, d = session.lanes
    assert same_state(lane_state(a), lane_state(b))  # same settings: the same run, bit for bit
    assert not same(a.trainer.params, c.trainer.params)
    for i, lane in enumerate(session.lanes):
        ref = Reference(data, config.lane(i)).run(480)
        assert same(lane.trainer.params, ref.t.params) and same(lane.rows(), ref.history)


def test_more_than_four_runs_is_refused():
    with pytest.raises(InputError, match="compare="):
        RunConfig("iris", compare=(LaneSettings("lookback", 0.01, 0.5),) * 4)


def test_each_lane_diverges_on_its_own(data):
    config = RunConfig("iris", hidden=5, lr=0.05, momentum=0.9,
                       compare=(LaneSettings("lookback", 1e4, 0.5), LaneSettings("classical", 0.05, 0.9)))
    session = Session(config, dataset=data, stop_at=600)
    advance_in(session, [7] * 100)
    a, b, c = session.lanes
    assert b.trainer.divergence is not None and not b.live
    assert a.live and c.live and a.trainer.step == c.trainer.step == 600
    assert session.step == 600 and session.done and not session.diverged
    ref = Reference(data, config.lane(1)).run(600)
    assert ref.t.divergence == b.trainer.divergence
    assert b.trainer.step == ref.t.step < 600
    assert same(b.trainer.params, ref.t.params) and same(b.rows(), ref.history)
    ref_a = Reference(data, config.lane(0)).run(600)
    assert same(a.trainer.params, ref_a.t.params)
    results = session.results()
    assert results[1].diverged and not results[0].diverged and results[1].steps == ref.t.step


def test_when_every_lane_diverged(data):
    config = RunConfig("iris", lr=1e4, momentum=0.5,
                       compare=(LaneSettings("lookback", 1e4, 0.9), LaneSettings("classical", 1e4, 0.5)))
    refs = [Reference(data, config.lane(i)).run(2400) for i in range(3)]
    steps = [r.t.step for r in refs]
    assert all(r.t.divergence is not None for r in refs) and len(set(steps)) == 3
    session = Session(config, dataset=data, stop_at=2400)
    advance_in(session, [5] * 20)
    assert session.diverged and session.done
    assert session.step == max(steps)
    assert session.advance(100) == 0 and session.step == max(steps)
    for lane, ref in zip(session.lanes, refs):
        assert lane.trainer.divergence == ref.t.divergence and same(lane.trainer.params, ref.t.params)
    # Without a stop step too.
    open_ended = Session(config, dataset=data)
    assert open_ended.advance(10**6) == sum(steps)
    assert open_ended.done and open_ended.diverged and open_ended.advance(1) == 0


# -- 5. stop_at ------------------------------------------------------------------------------------

def test_stop_at_is_never_passed_and_may_change(data):
    session = Session(TWO, dataset=data, stop_at=250, deltas=30)
    assert not session.done
    assert session.advance(100) == 200
    assert session.advance(1000) == 300  # 150 steps each, two lanes
    assert session.step == 250 and session.done
    assert session.advance(5) == 0 and session.step == 250
    session.stop_at = 400  # the window raises its epoch limit
    assert not session.done
    assert session.advance(1000) == 300 and session.step == 400 and session.done
    for i, lane in enumerate(session.lanes):
        ref = Reference(data, TWO.lane(i)).run(400)
        assert same(lane.trainer.params, ref.t.params) and same(lane.rows(), ref.history)
    session.stop_at = 300  # below the step reached: done, nothing more trains
    assert session.done and session.advance(10) == 0 and session.step == 400
    session.stop_at = None
    assert not session.done and session.advance(10) == 20


def test_stop_at_zero(data):
    session = Session(BASE, dataset=data, stop_at=0, deltas="all")
    assert session.done and session.advance(10) == 0
    result = session.results()[0]
    assert result.steps == 0 and len(result.history) == 1 and result.deltas["ih_deltas"].shape[0] == 0


def test_raising_stop_at_beyond_the_all_deltas_buffer_is_refused(data):
    """With deltas="all" the buffer is made for the stop given: a later stop cannot go beyond it."""
    session = Session(BASE, dataset=data, stop_at=240, deltas="all")
    session.stop_at = 120
    session.advance(1000)
    assert session.step == 120
    with pytest.raises(ValueError, match="stop_at"):
        session.stop_at = 241
    session.stop_at = 240
    session.advance(1000)
    ref = Reference(data, BASE, 240, deltas=True).run(240)
    assert same(session.lanes[0]._deltas[:240], ref.deltas)


# -- 6. reset --------------------------------------------------------------------------------------

def test_reset_without_schedule_keeps_the_settings_in_force(data):
    session = Session(TWO, dataset=data)
    initial = [lane.trainer.params.copy() for lane in session.lanes]
    session.advance(150)
    session.change("lr", 0.1)
    session.change("momentum", 0.8, lane=1)
    session.advance(50)
    session.reset()
    assert session.step == 0 and session.epoch == 0 and session.position == 0
    assert session.config.lr == 0.1 and session.config.momentum == 0.9
    assert session.config.compare == (LaneSettings("classical", 0.02, 0.8),)
    assert session.config.dataset == "iris" and session.config.hidden == 5
    for lane, start in zip(session.lanes, initial):
        assert same(lane.trainer.params, start) and lane.applied == [] and lane.live
        assert lane.start == session.config.lanes[lane.index]
    assert session.lanes[0].rows().shape[0] == 1 and session.lanes[0].rows()[0, 5] == 0.1
    advance_in(session, [7] * 50)
    fresh = Session(session.config, dataset=data)
    fresh.advance(350)
    assert same_sessions(session, fresh)
    ref = Reference(data, TWO.lane(0)).set(lr=0.1).run(350)
    assert same(session.lanes[0].trainer.params, ref.t.params)
    assert session.results()[0].options["lr"] == 0.1


def test_reset_with_schedule_replays_it(data):
    session = _scheduled(data)
    advance_in(session, random_sizes(TOTAL, 6))
    before = session_state(session)
    session.change("lr", 0.5)  # a hand change: undone by the reset
    session.reset()
    assert session.config == TWO
    assert [lane.settings for lane in session.lanes] == [LaneSettings("lookback", 0.05, 0.8),
                                                         TWO.lanes[1]]  # the step-0 change applied again
    advance_in(session, [120] * 5)
    after = session_state(session)
    assert all(same_state(x, y) for x, y in zip(before, after))


def test_reset_after_divergence(data):
    config = RunConfig("iris", lr=1e4, momentum=0.5, compare=(LaneSettings("lookback", 0.05, 0.9),))
    session = Session(config, dataset=data, stop_at=240)
    session.advance(240)
    first = session_state(session)
    assert session.lanes[0].trainer.divergence is not None
    session.reset()
    assert all(lane.live for lane in session.lanes) and session.step == 0
    session.advance(240)
    assert all(same_state(x, y) for x, y in zip(first, session_state(session)))


# -- 7. new_rows, new_changes, new_deltas ------------------------------------------------------------

@pytest.mark.parametrize("history", [True, False])
def test_new_rows_give_every_row_once(data, history):
    session = _scheduled(data, deltas=None, history=history)
    got = [[lane.new_rows()] for lane in session.lanes]  # row 0 first
    assert all(g[0].shape[0] == 1 for g in got)
    changes = [[] for _ in session.lanes]
    for k in random_sizes(TOTAL, 7):
        session.advance(k)
        for lane, g, ch in zip(session.lanes, got, changes):
            g.append(lane.new_rows())
            ch.extend(lane.new_changes())
    reference = _scheduled(data, deltas=None)
    reference.advance(TOTAL)
    for lane, ref, g, ch in zip(session.lanes, reference.lanes, got, changes):
        assert same(np.concatenate(g), ref.rows())
        assert ch == ref.applied and [c.previous for c in ch] == [c.previous for c in ref.applied]
        assert lane.new_rows().shape == (0, len(HISTORY_COLUMNS)) and lane.new_changes() == []
    if not history:
        with pytest.raises(ValueError, match="history=True"):
            session.results()


def test_new_deltas_latest_k(data):
    K = 50
    full = _scheduled(data)
    full.advance(TOTAL)
    for sizes, contiguous in ((random_sizes(TOTAL, 8, 300), False), (random_sizes(TOTAL, 9, K + 1), True)):
        session = _scheduled(data, deltas=K)
        reported = [[] for _ in session.lanes]
        for k in sizes:
            session.advance(k)
            for lane, rep in zip(session.lanes, reported):
                first, block = lane.new_deltas()
                assert block.shape[1] == lane.trainer.layout.n_params
                if block.shape[0]:
                    rep.append((first, block.copy()))
                    # the latest steps: they end at the lane's step
                    assert first + block.shape[0] - 1 == lane.trainer.step
                    assert block.shape[0] <= K
        for lane, ref, rep in zip(session.lanes, full.lanes, reported):
            steps = [s for first, block in rep for s in range(first, first + block.shape[0])]
            assert steps == sorted(set(steps))  # never a step twice
            for first, block in rep:
                assert same(block, ref._deltas[first - 1: first - 1 + block.shape[0]])
            if contiguous:  # chunks of at most K: every step, once
                assert steps == list(range(1, TOTAL + 1))
            first, block = lane.new_deltas()
            assert block.shape[0] == 0


def test_new_deltas_all_concatenate_to_the_result(data):
    session = _scheduled(data)
    got = [[] for _ in session.lanes]
    expected_first = [1, 1]
    for k in random_sizes(TOTAL, 10):
        session.advance(k)
        for i, lane in enumerate(session.lanes):
            first, block = lane.new_deltas()
            assert first == expected_first[i]
            expected_first[i] += block.shape[0]
            got[i].append(block.copy())
    for lane, g, result in zip(session.lanes, got, session.results()):
        flat = np.concatenate(g)
        assert flat.shape[0] == TOTAL
        views = lane.trainer.layout.views(flat)
        assert same_weights(dict(zip(DELTA_NAMES, views.values())), result.deltas)


# -- 8. results ------------------------------------------------------------------------------------

def test_results_equal_train_per_lane_and_replay(data):
    config = RunConfig("iris", hidden=5, lr=0.05, momentum=0.9,
                       compare=(LaneSettings("classical", 0.02, 0.5), LaneSettings("nesterov", 0.1, 0.0)))
    changes = (Change(30, "lr", 0.1), Change(200, "momentum", 0.3, lane=1), Change(200, "lr", 0.05, lane=2),
               Change(431, "lr", 0.02))
    total = 500  # mid-epoch
    session = Session(config, dataset=data, changes=changes, stop_at=total, deltas="all")
    advance_in(session, random_sizes(total, 11))
    results = session.results()
    assert len(results) == 3
    for i, result in enumerate(results):
        mine = [(c.step, c.setting, c.value) for c in changes if c.lane == i]
        alone = ml.train(config.lane(i), changes=mine, steps=total, record_deltas=True)
        assert same_result(result, alone), f"lane {i}"
        assert result.options["rule"] == config.lanes[i].rule and result.options["lr"] == config.lanes[i].lr
        assert [(c.step, c.setting, c.value) for c in result.options["changes"]] == mine
    replayed = ml.replay(ml.Scenario(config=config, changes=changes, steps=total), record_deltas=True)
    assert len(replayed) == 3
    assert all(same_result(a, b) for a, b in zip(replayed, results))


def test_results_with_latest_deltas_hold_none(data):
    session = Session(BASE, dataset=data, deltas=10)
    session.advance(130)
    result = session.results(epochs=2)[0]
    assert result.deltas is None and result.steps == 130 and result.options["epochs"] == 2


# -- 9. the API spellings agree ------------------------------------------------------------------------

def test_train_spellings_agree(data):
    a = ml.train(ml.RunConfig("iris", lr=0.05, momentum=0.9, hidden=5), epochs=20)
    b = ml.train("iris", lr=0.05, momentum=0.9, hidden=5, epochs=20)
    c = ml.train(ml.load_dataset("iris"), lr=0.05, momentum=0.9, hidden=5, epochs=20)
    d = ml.train(ml.RunConfig("iris"), lr=0.05, momentum=0.9, hidden=5, epochs=20)
    assert same_result(a, b) and same_result(a, c) and same_result(a, d)
    assert len(a.history) == 21 and a.steps == 20 * N
    ref = Reference(data, RunConfig("iris", lr=0.05, momentum=0.9, hidden=5)).run(20 * N)
    assert same(a.history.rows, ref.history)
    # A session made either way is the same too.
    s1 = Session(ml.RunConfig("iris", lr=0.05, momentum=0.9, hidden=5))
    s2 = Session("iris", lr=0.05, momentum=0.9, hidden=5)
    s1.advance(240), s2.advance(240)
    assert same_sessions(s1, s2)


def test_train_with_a_config_trains_its_main_run_only():
    a = ml.train(TWO, epochs=2)
    b = ml.train(TWO.lane(0), epochs=2)
    assert same_result(a, b)


def test_sweep_spellings_agree():
    grid = dict(lr=(0.01, 0.1, 2), momentum=(0.0, 0.5, 2), epochs=3)
    a = ml.sweep(ml.RunConfig("iris", hidden=5), **grid)
    b = ml.sweep("iris", hidden=5, **grid)
    c = ml.sweep(ml.load_dataset("iris"), hidden=5, **grid)
    for other in (b, c):
        assert same(a.lrs, other.lrs) and same(a.momenta, other.momenta)
        assert same(a.train_loss, other.train_loss) and same(a.train_accuracy, other.train_accuracy)


@pytest.mark.parametrize("call", [lambda: ml.train(momentun=0.5), lambda: ml.sweep(hiden=5),
                                  lambda: Session(momentun=0.5), lambda: Session(BASE, lrr=0.1)],
                         ids=["train", "sweep", "Session", "Session-config"])
def test_unknown_keyword_suggests_the_nearest(call):
    with pytest.raises(TypeError, match="did you mean '(momentum|hidden|lr)'"):
        call()


# -- 10. bad input ---------------------------------------------------------------------------------

def test_bad_changes_are_refused_naming_them():
    with pytest.raises(InputError, match=r"changes\[0\].*'lr' or 'momentum'"):
        Session(changes=[(5, "speed", 1)])
    with pytest.raises(InputError, match=r"changes\[1\]"):
        Session(changes=[(5, "lr", 0.1), (6, "lr")])
    with pytest.raises(InputError, match=r"changes\[0\]"):
        Session(changes=[Change(5, "lr", 0.1, lane=1)])  # no run B
    with pytest.raises(InputError, match=r"changes\[1\]"):
        Session(TWO, changes=[Change(5, "lr", 0.1, lane=1), Change(5, "lr", 0.1, lane=2)])
    with pytest.raises(InputError, match=r"changes\[0\]"):
        Session(changes=[Change(5, "lr", 0.1, lane=-1)])
    with pytest.raises(InputError, match=r"changes\[0\] step"):
        Session(changes=[(-1, "lr", 0.1)])
    with pytest.raises(InputError, match=r"changes\[0\] lr"):
        Session(changes=[(1, "lr", -0.1)])
    with pytest.raises(InputError, match=r"changes\[0\] momentum"):
        Session(changes=[(1, "momentum", 1.0)])


def test_bad_counts_are_refused(data):
    with pytest.raises(InputError, match="steps="):
        Session(BASE, dataset=data, stop_at=-1)
    session = Session(BASE, dataset=data)
    with pytest.raises(InputError, match="n_steps"):
        session.advance(-1)
    assert session.step == 0


def test_hand_change_lane_beyond_the_runs_raises(data):
    session = Session(BASE, dataset=data)
    with pytest.raises((InputError, IndexError)):
        session.change("lr", 0.1, lane=1)
    assert session.lanes[0].trainer.lr == 0.05


def test_hand_change_negative_lane_is_refused(data):
    session = Session(TWO, dataset=data)
    with pytest.raises(InputError):
        session.change("lr", 0.1, lane=-1)
    assert session.lanes[1].trainer.lr == 0.02


def test_hand_change_lane_beyond_is_an_input_error(data):
    session = Session(BASE, dataset=data)
    with pytest.raises(InputError):
        session.change("lr", 0.1, lane=1)


def test_all_deltas_need_stop_at_and_fit(data):
    with pytest.raises(ValueError, match="stop_at"):
        Session(BASE, dataset=data, deltas="all")
    with pytest.raises(InputError, match="deltas="):
        Session(BASE, dataset=data, deltas="all", stop_at=10**9)
    n_params = Trainer(data, BASE).layout.n_params
    fits = MAX_DELTA_BYTES // (8 * n_params)
    with pytest.raises(InputError, match="deltas=.*2 runs"):
        Session(TWO, dataset=data, deltas="all", stop_at=fits)  # fits for one run, not two
    for bad in (-1, "some", 1.5):
        with pytest.raises(ValueError, match="deltas"):
            Session(BASE, dataset=data, deltas=bad)


# -- 11. History ------------------------------------------------------------------------------------

def test_history_is_a_read_only_mapping(tmp_path):
    result = ml.train("iris", hidden=5, epochs=3)
    h = result.history
    assert tuple(h.keys()) == tuple(HISTORY_COLUMNS)
    assert list(h) == list(HISTORY_COLUMNS)
    assert "lr" in h and "train_loss" in h and "speed" not in h
    assert len(h) == 4 == h.rows.shape[0]
    as_dict = dict(h)
    assert list(as_dict) == list(HISTORY_COLUMNS)
    assert [name for name, _ in h.items()] == list(HISTORY_COLUMNS)
    for name, column in h.items():
        assert same(column, as_dict[name]) and column.shape == (4,)
        with pytest.raises(ValueError):
            column[0] = 1.0
    assert list(h["epoch"]) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        h.rows[0, 0] = 5.0
    with pytest.raises(KeyError):
        h["nope"]
    assert h.get("nope") is None
    path = tmp_path / "history.csv"
    h.to_csv(path)
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == list(HISTORY_COLUMNS) and len(lines) == 5
    assert np.allclose(np.array(lines[1:], dtype=float), h.rows)


# -- 12. ChunkSizer --------------------------------------------------------------------------------

def test_chunk_sizer():
    sizer = ChunkSizer(0.05, first=100)
    assert sizer.items == 100
    sizer.measured(100, 0.0001)  # would be 50,000: at most fourfold
    assert sizer.items == 400
    sizer.measured(400, 0.0001)
    assert sizer.items == 1600
    sizer.measured(1600, 0.1)  # aims at its seconds
    assert sizer.items == 800
    sizer.measured(800, 0.05)
    assert sizer.items == 800
    sizer.measured(10, 0.00001)  # too small a chunk to time
    assert sizer.items == 800
    sizer.measured(0, 1.0)
    sizer.measured(-5, 1.0)
    assert sizer.items == 800
    sizer.measured(800, 100.0)  # slow: shrinks, never below 1
    assert sizer.items == 1
    assert ChunkSizer(0.1, first=0).items == 1


def test_a_planned_change_for_a_diverged_lane_lapses(data):
    config = RunConfig("iris", lr=0.05, momentum=0.9, compare=(LaneSettings("lookback", 1e4, 0.5),))
    session = Session(config, dataset=data, changes=[Change(100, "lr", 0.1, lane=1)], stop_at=200)
    session.advance(200)
    b = session.lanes[1]
    assert b.trainer.divergence is not None and b.trainer.divergence.step < 100
    assert b.applied == [] and b.new_changes() == []  # (not recorded at the divergence step)


def test_all_deltas_keep_their_buffer_through_stop_changes_and_reset(data):
    """(review) With deltas="all" the stop may be lowered and raised again, across a reset, up to
    the buffer's; None is refused (the buffer has an end)."""
    session = Session(BASE, dataset=data, stop_at=240, deltas="all")
    session.stop_at = 100
    session.advance(1000)
    session.reset()
    session.stop_at = 240
    assert session.advance(1000) == 240
    with pytest.raises(ValueError, match="stop_at"):
        session.stop_at = None


def test_results_options_may_restate_a_field(data):
    session = Session(BASE, dataset=data, stop_at=10)
    session.advance(10)
    assert session.results(lr=1.0, epochs=1)[0].options["lr"] == 1.0


def test_a_bool_is_not_a_lane(data):
    with pytest.raises(InputError, match="changes\\[0\\]"):
        Session(TWO, dataset=data, changes=[Change(5, "lr", 0.1, lane=True)])


def test_a_change_at_an_epoch_s_end_makes_that_row_s_readout_the_next_step_s(data):
    """The history's stability column is the readout for the settings of the next step: at an
    epoch's end where lr changes, that row reads for the new lr (the readout is lr times the rest
    while the loss has not climbed: 4 times the row of the same weights at the old lr); a change
    at step 0 makes row 0 read for it. The lr column stays the epoch's own."""
    n = data.n_train
    plain = Session(BASE.with_lane(0, momentum=0.5), dataset=data, stop_at=2 * n, history=True)
    plain.advance(2 * n)
    changed = Session(BASE, dataset=data, changes=[(0, "momentum", 0.5), (n, "lr", 4 * BASE.lr)],
                      stop_at=2 * n, history=True)
    changed.advance(2 * n)
    (before,), (after,) = plain.results(), changed.results()
    column, base = after.history["stability"], before.history["stability"]
    assert column[0] == base[0]  # row 0: for momentum 0.5, as a run that started with it
    assert column[1] == pytest.approx(4 * base[1], rel=1e-12)  # epoch 1's end: for lr × 4
    assert after.history["lr"][1] == BASE.lr and after.history["lr"][2] == 4 * BASE.lr
    assert np.isfinite(column[2])


def test_a_row_already_given_comes_again_revised_and_a_history_log_takes_the_revision(data):
    """Without history (the window's session), a row the window has taken before a change at its
    epoch's end is given again, first, revised; a HistoryLog fed what new_rows gives holds what a
    session with history holds (the replay of the run), and a second change revises it again."""
    from momentum_lab.engine._monitor import HistoryLog

    n = data.n_train
    live = Session(BASE, dataset=data, stop_at=3 * n)
    log = HistoryLog()
    lane = live.lanes[0]
    live.advance(n)
    given = lane.new_rows()
    log.extend(given)
    assert given[:, 0].tolist() == [0, 1]
    live.change("lr", 4 * BASE.lr)
    live.change("momentum", 0.5)
    again = lane.new_rows()
    assert again.shape == (1, len(given[0])) and again[0, 0] == 1
    np.testing.assert_array_equal(again[0, :7], given[1, :7])  # the epoch's own lr and momentum
    assert again[0, 7] != given[1, 7] and np.isfinite(again[0, 7])
    log.extend(again)
    assert lane.new_rows().shape[0] == 0  # given once
    live.advance(2 * n)
    log.extend(lane.new_rows())
    replay = Session(BASE, dataset=data, changes=[(n, "lr", 4 * BASE.lr), (n, "momentum", 0.5)],
                     stop_at=3 * n, history=True)
    replay.advance(3 * n)
    (result,) = replay.results()
    np.testing.assert_array_equal(log.rows, result.history.rows)
    reference = Reference(data, BASE).run(n).set(lr=4 * BASE.lr, momentum=0.5).run(2 * n)
    np.testing.assert_array_equal(log.rows, reference.history)

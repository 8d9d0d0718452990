"""Per-epoch delta statistics (sign-flip rate, mean |delta|), gathered in the kernel: against the
full per-step deltas of the numpy oracle, for every rule, with runs side by side, a stop in
mid-epoch and any chunking; the bounded log's merging."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from test_trainer import orders_for

import momentum_lab as ml
from momentum_lab.engine import RULES, DeltaStatsLog, LaneSettings, RunConfig, Session, Trainer, load_dataset
from momentum_lab.engine import _session


def oracle_stats(deltas: np.ndarray, n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """(flip rate, mean |delta|) per completed epoch from every step's deltas, shape (steps, n_params):
    a flip is d_t * d_(t-1) < 0, across epoch boundaries; the first step has no d_(t-1)."""
    previous = np.vstack([np.zeros((1, deltas.shape[1])), deltas[:-1]])
    flips = (deltas * previous < 0).astype(float)
    epochs = deltas.shape[0] // n_train
    shaped = (epochs, n_train, deltas.shape[1])
    used = epochs * n_train
    return flips[:used].reshape(shaped).mean(axis=1), np.abs(deltas[:used]).reshape(shaped).mean(axis=1)


def flat(named: dict[str, np.ndarray]) -> np.ndarray:
    """The oracle's per-step deltas (by parameter name, a leading step axis) as one (steps,
    n_params) array in the flat order."""
    return np.concatenate([named[k].reshape(named[k].shape[0], -1) for k in ref.NAMES], axis=1)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_the_kernel_statistics_agree_with_the_oracle_deltas(iris, rule, act):
    """The numpy oracle's deltas (with relu, units that die: zero deltas, no sign)."""
    epochs = 4
    t = Trainer(iris, activation=act, rule=rule, lr=0.05, momentum=0.8, seed=4, init="glorot")
    report = t.run(epochs * iris.n_train, stats=True)
    _, deltas, _ = ref.train(t.initial_weights(), iris.x_train, iris.y_train, 3,
                             orders_for(4, iris.n_train, epochs), act=act, rule=rule, lr=0.05, momentum=0.8)
    rate, size = oracle_stats(flat(deltas), iris.n_train)
    assert report.stats.shape == (epochs, 2, t.layout.n_params) and report.stats.dtype == np.float32
    np.testing.assert_allclose(report.stats[:, 0], rate, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(report.stats[:, 1], size, rtol=1e-6, atol=1e-30)
    assert rate.max() > 0.05  # the test has flips to count
    if act == "relu":
        assert (flat(deltas) == 0).any()  # zero deltas were met


@pytest.mark.parametrize("rule", RULES)
def test_oscillating_deltas_against_every_recorded_step(iris, rule):
    """Large steps (the deltas oscillate; there the oracle's libm tanh and the kernel's part ways
    within a few epochs): the statistics of the steps the trainer itself recorded."""
    epochs = 4
    t = Trainer(iris, rule=rule, lr=0.3, momentum=0.8, seed=4, init="glorot")
    buffer = np.empty((epochs * iris.n_train, t.layout.n_params))
    report = t.run(epochs * iris.n_train, buffer, stats=True)
    rate, size = oracle_stats(buffer, iris.n_train)
    np.testing.assert_allclose(report.stats[:, 0], rate, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(report.stats[:, 1], size, rtol=1e-6, atol=1e-30)
    assert rate.max() > 0.2 and rate.min() < 0.9  # flips to count, and not at every step


def _session_run(config: RunConfig, stop: int, chunk: int, history: bool = True) -> Session:
    session = Session(config, stop_at=stop, deltas="all" if history else None, history=history, delta_stats=True)
    while not session.done:
        session.advance(chunk)
    return session


def test_side_by_side_runs_stopped_mid_epoch_any_chunking(iris):
    """Three runs (each rule), a stop 50 items into epoch 4 and a change at step 200: the same
    statistics advancing 1, 7 or 100 items at a time, each run's equal to its own deltas' oracle."""
    config = RunConfig("iris", lr=0.2, momentum=0.7, seed=3,
                       compare=(LaneSettings("classical", 0.05, 0.9), LaneSettings("nesterov", 0.1, 0.8)))
    stop = 3 * iris.n_train + 50
    changes = [(200, "lr", 0.4)]
    by_chunk = {}
    for chunk in (1, 7, 100):
        session = Session(config, stop_at=stop, deltas="all", changes=changes, delta_stats=True)
        while not session.done:
            session.advance(chunk)
        by_chunk[chunk] = session.results()
    for results in by_chunk.values():
        for result, first in zip(results, by_chunk[100]):
            np.testing.assert_array_equal(result.delta_stats.flip_rate, first.delta_stats.flip_rate)
            np.testing.assert_array_equal(result.delta_stats.mean_abs, first.delta_stats.mean_abs)
    for result in by_chunk[7]:
        stats = result.delta_stats
        assert len(stats) == 3 and stats.stride == 1
        np.testing.assert_array_equal(stats.epoch, [1, 2, 3])  # the epoch cut short has no row
        rate, size = oracle_stats(flat(_named(result.deltas)), iris.n_train)
        np.testing.assert_allclose(stats.flip_rate, rate, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(stats.mean_abs, size, rtol=1e-6, atol=1e-30)
    # The runs differ (each its own statistics, not run A's thrice).
    a, b, _ = by_chunk[7]
    assert not np.array_equal(a.delta_stats.flip_rate, b.delta_stats.flip_rate)


def _named(deltas: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A result's recorded deltas under the parameters' names (as ref.NAMES spells them)."""
    return dict(zip(ref.NAMES, (deltas[k] for k in ml.engine.DELTA_NAMES)))


def test_the_windows_feed_gives_each_epoch_once(iris):
    """Without history (the worker's session), new_delta_stats() hands over each epoch's rows once,
    in order: together they are the whole run's statistics."""
    config = RunConfig("iris", lr=0.2, momentum=0.7, seed=5, compare=(LaneSettings("classical", 0.05, 0.9),))
    stop = 5 * iris.n_train + 3
    whole = _session_run(config, stop, 1000).results()
    session = Session(config, stop_at=stop, deltas=30, history=False, delta_stats=True)
    taken = [[], []]
    while not session.done:
        session.advance(37)
        for lane, out in zip(session.lanes, taken):
            out.append(lane.new_delta_stats())
    for lane, out, result in zip(session.lanes, taken, whole):
        got = np.concatenate(out)
        assert got.shape == (5, 2, lane.trainer.layout.n_params)
        np.testing.assert_array_equal(got[:, 0], result.delta_stats.flip_rate)
        np.testing.assert_array_equal(got[:, 1], result.delta_stats.mean_abs)
        assert lane.new_delta_stats().shape[0] == 0
    for made in (dict(delta_stats=True), dict(history=False)):
        with pytest.raises(ValueError, match="delta_stats=True and history=False"):
            Session(config, stop_at=10, **made).lanes[0].new_delta_stats()


def test_reset_and_train_start_the_statistics_afresh(iris):
    """After a reset the first step flips nothing again: the same rows as a new session's."""
    config = RunConfig("iris", lr=0.3, momentum=0.8, seed=2)
    session = _session_run(config, 2 * iris.n_train, 50)
    first = session.results()[0].delta_stats
    session.reset()
    while not session.done:
        session.advance(77)
    np.testing.assert_array_equal(session.results()[0].delta_stats.flip_rate, first.flip_rate)
    result = ml.train(config, epochs=2, delta_stats=True)
    np.testing.assert_array_equal(result.delta_stats.flip_rate, first.flip_rate)
    np.testing.assert_array_equal(result.delta_stats.mean_abs, first.mean_abs)


def grouped(values: np.ndarray, stride: int) -> np.ndarray:
    """Means over consecutive groups of ``stride`` rows (the last group as many as are left)."""
    return np.array([values[i:i + stride].mean(axis=0) for i in range(0, len(values), stride)])


def test_the_log_merges_neighbouring_epochs_when_full():
    rng = np.random.default_rng(0)
    epochs = rng.random((101, 2, 5)).astype(np.float32)
    log = DeltaStatsLog(5, capacity=8)
    for a, b in ((0, 3), (3, 4), (4, 40), (40, 43), (43, 101)):  # in pieces of every size
        log.extend(epochs[a:b])
    # 101 epochs in at most 8 rows: 16 epochs a row (the newest row the 5 left over).
    assert log.stride == 16 and len(log) == 7 and log.epochs == 101
    np.testing.assert_array_equal(log.epoch, [16, 32, 48, 64, 80, 96, 101])
    np.testing.assert_allclose(log.flip_rate, grouped(epochs[:, 0], 16), rtol=1e-6)
    np.testing.assert_allclose(log.mean_abs, grouped(epochs[:, 1], 16), rtol=1e-6)
    np.testing.assert_allclose(log.overall, grouped(epochs.mean(axis=2), 16), rtol=1e-6)
    log.clear()
    log.extend(epochs[:3])
    assert log.stride == 1 and len(log) == 3


def test_a_long_run_keeps_its_statistics_within_the_cap(iris, monkeypatch):
    """Past MAX_DELTA_STATS_BYTES a run's rows are merged: the means over their epochs."""
    full = ml.train("iris", epochs=40, lr=0.2, seed=1, delta_stats=True).delta_stats
    n_params = full.flip_rate.shape[1]
    monkeypatch.setattr(_session, "MAX_DELTA_STATS_BYTES", 10 * 8 * n_params)  # 10 rows
    merged = ml.train("iris", epochs=40, lr=0.2, seed=1, delta_stats=True).delta_stats
    # 10 rows of 1 epoch, merged into 5 of 2 at epoch 11, those into 5 of 4 at epoch 21.
    assert merged.stride == 4 and len(merged) == 10
    np.testing.assert_array_equal(merged.epoch, np.arange(4, 41, 4))
    np.testing.assert_allclose(merged.flip_rate, grouped(full.flip_rate, 4), rtol=1e-5)
    np.testing.assert_allclose(merged.mean_abs, grouped(full.mean_abs, 4), rtol=1e-5)
    assert "10 rows to epoch 40, 4 epochs a row" in repr(merged)


def test_a_big_call_is_cut_to_bound_its_statistics(monkeypatch):
    """One run(n) of many epochs allocates statistics for a bounded number of epochs per kernel
    call, and gives the same rows as small calls."""
    from momentum_lab.engine import _trainer

    data = load_dataset("xor")
    small = Trainer(data, lr=0.5, momentum=0.5, seed=3)
    rows = np.concatenate([small.run(data.n_train, stats=True).stats for _ in range(30)])
    monkeypatch.setattr(_trainer, "_STATS_CALL_BYTES", 3 * 8 * small.layout.n_params)  # 3 epochs a call
    big = Trainer(data, lr=0.5, momentum=0.5, seed=3)
    np.testing.assert_array_equal(big.run(30 * data.n_train, stats=True).stats, rows)
    np.testing.assert_array_equal(big.params, small.params)


def test_statistics_are_asked_for_and_change_nothing_else(iris):
    """Without them (the default: they cost a little speed) none are kept; with them the run is
    the same bit for bit."""
    plain = ml.train("iris", epochs=3, lr=0.2, seed=6)
    assert plain.delta_stats is None
    assert Trainer(iris).run(500).stats is None
    gathered = ml.train("iris", epochs=3, lr=0.2, seed=6, delta_stats=True)
    np.testing.assert_array_equal(gathered.history.rows, plain.history.rows)
    for name, weights in plain.weights.items():
        np.testing.assert_array_equal(gathered.weights[name], weights)
    runs = ml.replay(ml.Scenario(RunConfig(compare=(LaneSettings("nesterov", 0.1, 0.5),)), steps=400),
                     delta_stats=True)
    assert [len(r.delta_stats) for r in runs] == [3, 3]

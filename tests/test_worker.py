"""The worker's logic, run synchronously in the test's thread (coverage cannot see another thread)."""

from __future__ import annotations

import numpy as np
import pytest

import math

from momentum_lab.engine import (InputError, LaneSettings, RunConfig, Trainer, activation_code, batch_sharpness,
                                 load_dataset, loss_code, stability_bound, stability_value)
from momentum_lab._qt.worker import TrainingWorker

LANE_KEYS = ("rule", "lr", "momentum")


def as_config(options) -> RunConfig:
    """A RunConfig from trainer options, or a list of them for runs side by side (their rule, lr
    and momentum each run's own; the other options shared)."""
    lanes = [options] if isinstance(options, dict) else list(options)
    shared = {k: v for lane in lanes for k, v in lane.items() if k not in LANE_KEYS}
    main = RunConfig(**shared, **{k: v for k, v in lanes[0].items() if k in LANE_KEYS})
    compare = tuple(LaneSettings(lane.get("rule", main.rule), lane.get("lr", RunConfig.lr),
                                 lane.get("momentum", RunConfig.momentum)) for lane in lanes[1:])
    return RunConfig(**dict(main.options(), compare=compare))


def configure(worker, run_id, dataset, options):
    """What the queued configure request and its zero-delay build do, here and now."""
    worker.configure(run_id, dataset, as_config(options), 50)
    worker._build_wanted()


@pytest.fixture
def worker(qtbot):
    w = TrainingWorker(delta_window=50)
    batches = []
    failures = []
    w.batch_ready.connect(batches.append)
    w.failed.connect(failures.append)
    w.setup()
    w.batches, w.failures = batches, failures
    yield w
    w.stop()


def test_configure_sends_the_initial_state(worker, iris):
    configure(worker, 3, iris, {"seed": 1})
    (b,) = worker.batches
    assert (b.run_id, b.state, b.step, b.epoch) == (3, "paused", 0, 0)
    assert b.rows.shape == (1, 8) and b.rows[0, 0] == 0
    np.testing.assert_array_equal(b.params, Trainer(iris, seed=1).params)


def test_a_bad_configuration_is_reported_and_the_old_run_stays(worker, iris):
    refused = []
    worker.configure_failed.connect(lambda run_id, message: refused.append((run_id, message)))
    configure(worker, 1, iris, {})
    configure(worker, 2, iris, {"init_scale": 900.0, "weight_limit": 1.0})  # (a bad lr cannot be a RunConfig)
    ((run_id, message),) = refused
    assert run_id == 2 and message.startswith("init_scale=: the initial weights reach")
    assert worker.run_id == 1 and worker.trainer is not None
    assert worker.batches[-1].run_id == 1  # the run on show is restated


def test_requests_that_come_while_one_builds_are_merged(worker, iris):
    worker.configure(1, iris, RunConfig(hidden=3), 50)
    worker.configure(2, iris, RunConfig(hidden=4), 50)
    worker.configure(3, iris, RunConfig(hidden=5), 50)
    worker._build_wanted()
    assert worker.run_id == 3 and worker.trainer.layout.n_hidden == 5
    assert [b.run_id for b in worker.batches] == [3]  # runs 1 and 2 were never built


def test_a_fixed_speed_the_machine_cannot_keep_does_not_pile_up(worker, iris):
    configure(worker, 1, iris, {})
    worker.set_speed(1e9)  # far beyond this machine
    worker.start()
    worker._sizer.items = 800
    worker._anchor = (worker._anchor[0] - 10.0, worker._anchor[1])  # ten seconds behind
    due = worker._items_due()
    assert due == 800  # one chunk's worth, not ten seconds' worth
    assert worker._items_due() <= due  # the backlog was dropped


def test_steps_are_exact_and_every_delta_is_sent(worker, iris):
    configure(worker, 1, iris, {})
    worker.step_items(7)
    b = worker.batches[-1]
    engine = Trainer(iris)
    deltas = np.empty((7, engine.layout.n_params))
    engine.run(7, deltas)
    assert b.step == 7 and b.delta_first_step == 1
    np.testing.assert_array_equal(b.deltas, deltas)
    np.testing.assert_array_equal(b.params, engine.params)
    worker.step_epoch()
    assert worker.batches[-1].epoch == 1 and worker.batches[-1].position == 0


def test_long_steps_send_only_the_latest_window(worker, iris):
    configure(worker, 1, iris, {})
    worker.step_items(500)
    b = worker.batches[-1]
    assert b.deltas.shape == (50, 59) and b.delta_first_step == 451
    assert b.rows[:, 0].tolist() == [1, 2, 3, 4]  # epochs completed during the step


def test_live_changes_are_recorded_where_they_happen(worker, iris):
    configure(worker, 1, iris, {})
    worker.step_items(30)
    worker.set_lr(0.2)
    b = worker.batches[-1]
    (change,) = b.changes
    assert (change.step, change.setting, change.previous, change.value) == (30, "lr", 0.01, 0.2)
    worker.set_lr(0.2)  # no change, no mark
    assert worker.batches[-1] is b
    worker.set_momentum(1.5)
    assert worker.failures and "momentum=" in worker.failures[-1]


def test_running_ticks_until_the_epoch_limit(worker, iris):
    configure(worker, 1, iris, {})
    worker.set_max_epochs(2)
    worker.start()
    assert worker.state == "running"
    while worker.state == "running":
        worker._tick()
    assert worker.state == "finished"
    assert worker.trainer.epoch == 2 and worker.trainer.step == 2 * iris.n_train
    worker.start()  # at the limit: finished again, nothing more runs
    assert worker.state == "finished" and worker.trainer.step == 2 * iris.n_train


def test_divergence_stops_the_run(worker):
    data = load_dataset("iris")
    configure(worker, 1, data, {"rule": "classical", "lr": 0.3, "momentum": 0.9, "weight_limit": 30.0})
    worker.start()
    while worker.state == "running":
        worker._tick()
    assert worker.state == "diverged" and worker.batches[-1].divergence is not None
    worker.start()
    assert worker.state == "diverged"


def test_reset_and_stop(worker, iris):
    configure(worker, 1, iris, {})
    worker.step_items(10)
    worker.reset(2)
    b = worker.batches[-1]
    assert (b.run_id, b.step) == (2, 0)
    worker.stop()
    assert worker.state == "stopped"
    worker.start()
    assert worker.state == "stopped"


# -- runs side by side ------------------------------------------------------------------------


def test_runs_side_by_side_start_alike_and_each_equals_a_run_of_its_own(worker, iris):
    options = [{"rule": "lookback"}, {"rule": "classical", "momentum": 0.9}, {"rule": "nesterov", "lr": 0.05},
               {"rule": "lookback"}]
    configure(worker, 1, iris, options)
    first = worker.batches[-1]
    assert len(first.lanes) == 4
    for lane in first.lanes[1:]:
        np.testing.assert_array_equal(lane.params, first.lanes[0].params)  # the same initial weights
    worker.step_items(2 * iris.n_train + 17)
    b = worker.batches[-1]
    for lane, opts in zip(b.lanes, options):
        alone = Trainer(iris, **opts)
        deltas = np.empty((50, alone.layout.n_params))
        alone.run(2 * iris.n_train + 17 - 50)
        alone.run(50, deltas)
        np.testing.assert_array_equal(lane.params, alone.params)
        np.testing.assert_array_equal(lane.deltas, deltas)
        assert lane.rule == opts["rule"]
    # The same settings give the same run: the same item order, step for step.
    np.testing.assert_array_equal(b.lanes[3].params, b.lanes[0].params)
    assert not np.array_equal(b.lanes[1].params, b.lanes[0].params)
    assert b.rows is b.lanes[0].rows and b.lr == b.lanes[0].lr  # the batch reads as the main run's


def test_a_run_that_diverges_stops_and_the_others_go_on(worker, iris):
    configure(worker, 1, iris, [{}, {"rule": "classical", "lr": 0.3, "momentum": 0.9, "weight_limit": 30.0}])
    worker.set_max_epochs(40)
    worker.start()
    while worker.state == "running":
        worker._tick()
    assert worker.state == "finished"  # the main run reached the limit
    b = worker.batches[-1]
    main, other = b.lanes
    assert main.divergence is None and other.divergence is not None
    assert b.epoch == 40 and worker.lanes[1].trainer.epoch < 40
    assert other.now[0] < 40  # it stopped where it diverged


def test_every_run_diverged_is_a_diverged_state(worker, iris):
    configure(worker, 1, iris, [{"rule": r, "lr": 0.3, "momentum": 0.9, "weight_limit": 30.0}
                                for r in ("classical", "nesterov")])
    worker.start()
    while worker.state == "running":
        worker._tick()
    assert worker.state == "diverged"
    assert all(lane.divergence is not None for lane in worker.batches[-1].lanes)


def test_live_settings_change_one_run_only(worker, iris):
    configure(worker, 1, iris, [{}, {"rule": "classical"}])
    worker.step_items(10)
    before = len(worker.batches)
    worker.set_lr(0.2, 1)
    worker.set_momentum(0.9, 0)
    b = worker.batches[-1]
    assert (b.lanes[0].lr, b.lanes[0].momentum) == (0.01, 0.9)
    assert (b.lanes[1].lr, b.lanes[1].momentum) == (0.2, 0.5)
    sent = worker.batches[before:]
    assert [(c.setting, c.value) for batch in sent for c in batch.lanes[0].changes] == [("momentum", 0.9)]
    assert [(c.setting, c.value) for batch in sent for c in batch.lanes[1].changes] == [("lr", 0.2)]
    worker.set_lr(0.3, 7)  # no such run: nothing happens
    assert worker.batches[-1] is b


def test_a_setting_changed_while_a_run_is_built_goes_into_it(worker, iris):
    worker.configure(1, iris, as_config([{}, {"rule": "classical"}]), 50)
    worker.set_lr(0.05, 1, 1)
    worker.set_lr(0.07, 0, 99)  # for another run: not this one
    worker._build_wanted()
    assert worker.lanes[1].trainer.lr == 0.05 and worker.lanes[0].trainer.lr == 0.01
    worker.configure(2, iris, as_config([{"rule": "nesterov"}]), 50)
    worker.set_momentum(0.8, 1, 1)  # run 1, still training while run 2 is built
    worker.set_momentum(0.3, 0, 2)
    assert worker.lanes[1].trainer.momentum == 0.8
    worker._build_wanted()
    assert len(worker.lanes) == 1 and worker.lanes[0].trainer.momentum == 0.3


def test_more_than_four_runs_are_refused():
    with pytest.raises(InputError, match="compare=: at most 3 runs beside the main one, got 4"):
        as_config([{}] * 5)


def test_when_every_run_has_diverged_the_batch_stands_at_the_furthest_step(worker, iris):
    """Run A diverges first, run B later: the run's extent (saved scenarios, branch) is B's."""
    configure(worker, 1, iris, [{"lr": 40.0, "weight_limit": 50.0}, {"lr": 4.0, "weight_limit": 50.0}])
    worker.step_items(20_000)
    a, b = (lane.trainer for lane in worker.lanes)
    assert a.divergence is not None and b.divergence is not None and a.step < b.step
    assert worker.batches[-1].state == "diverged" and worker.batches[-1].step == b.step


def _sharpness_now(worker):
    t = worker.trainer
    d = t.dataset
    return batch_sharpness(t.params, t.layout, activation_code(t.activation), loss_code(t.loss), d.x_train[:500],
                           d.y_train[:500])


def test_the_readout_is_the_online_one_for_the_settings_in_force(worker, iris):
    """r = lr * gain * BS / 2 at the weights now, measured at a pause; the sharpness sent too."""
    configure(worker, 1, iris, {"rule": "classical", "lr": 0.02, "momentum": 0.5})
    worker.step_items(240)
    b = worker.batches[-1]
    bs = _sharpness_now(worker)
    assert b.sharpness == pytest.approx(bs)
    assert b.stability == pytest.approx(0.02 * 2.0 * bs / 2)
    assert b.stability < 0.5


def test_at_full_batch_the_readout_is_the_quadratic_bound(worker, iris):
    """A batch of the whole set: r = lr * lambda / the rule's bound (lambda sent beside it), not the
    online readout, which would call heavy-ball at lr 1, m 0.9 unstable here (lesson 9's run A)."""
    configure(worker, 1, iris, {"rule": "classical", "lr": 1.0, "momentum": 0.9, "batch_size": "full"})
    b = worker.batches[-1]  # measured at the initial weights (paused)
    assert b.stability == pytest.approx(1.0 * b.curvature / stability_bound("classical", 0.9), rel=1e-12)
    assert 0 < b.stability < 0.5
    assert stability_value("classical", 1.0, 0.9, b.sharpness) > 1
    worker.set_lr(10.0)  # over the bound: flagged at the change
    assert worker.batches[-1].stability > 1


def test_a_jump_of_lr_into_instability_is_flagged_at_the_change(worker, iris):
    """Flagged in the batch of the change, before a single step at the new rate (the loss cannot
    show it yet); the readout is latched, and starts again at the next change."""
    configure(worker, 1, iris, {"rule": "classical", "lr": 0.02, "momentum": 0.9})
    worker.step_items(600)
    before = worker.batches[-1]
    assert before.stability < 0.5
    worker.set_lr(2.0)
    b = worker.batches[-1]
    assert b.step == before.step and b.lr == 2.0  # not a step taken yet
    # (The sharpness measured at the change, at the weights of step 600: the one before may date
    # from an earlier step, measured about once a second.)
    assert b.stability == pytest.approx(stability_value("classical", 2.0, 0.9, b.sharpness), rel=1e-12)
    assert b.stability > 1 and b.stability > 50 * before.stability
    # Latched: a lower measure at the same settings does not lower it.
    high = b.stability
    worker._latches[0].update("classical", 2.0, 0.9, 0.1)
    worker._flush()
    assert worker.batches[-1].stability == high
    worker.set_lr(0.01)
    assert worker.batches[-1].stability < 0.5


def test_a_run_that_thrashes_is_not_called_stable(worker, iris):
    """Iris at lr 50: the loss thrashes at 60 and more, the units saturate and every curvature
    collapses; the loss trend takes over, and the readout says unstable."""
    configure(worker, 1, iris, {"lr": 50.0, "momentum": 0.5})
    worker.step_items(40 * iris.n_train)
    b = worker.batches[-1]
    if b.divergence is None:
        assert b.now[1] > 10  # the loss now
        assert b.stability > 1
        assert stability_value("lookback", 50.0, 0.5, b.sharpness) < b.stability  # the curvature alone says less
    else:
        assert math.isnan(b.stability)


def test_flat_out_a_planned_change_is_measured_at_its_step(worker, iris):
    """A chunk ends at a planned change, and the batch after it measures the readout there, before
    a step at the new rate: flat out, lesson 6's jump and its divergence came inside one chunk,
    and the map kept A at lr 2 × the sharpness of the initial weights, inside the region."""
    from momentum_lab._qt.worker import FLAT_OUT, Plan
    from momentum_lab.engine import Change

    config = as_config({"rule": "classical", "lr": 0.02, "momentum": 0.9})
    worker.configure(1, iris, config, 50, Plan(changes=(Change(600, "lr", 2.0),)))
    worker._build_wanted()
    worker.set_speed(FLAT_OUT)
    worker.set_max_epochs(8)
    worker.start()
    while worker.state == "running":
        worker._tick()
    (b,) = [b for b in worker.batches if b.lr == 2.0 and b.step == 600]
    t = Trainer(iris, config)
    t.run(600)
    bs = batch_sharpness(t.params, t.layout, activation_code(t.activation), loss_code(t.loss), iris.x_train,
                         iris.y_train)
    assert b.sharpness == pytest.approx(bs, rel=1e-12)
    assert b.stability == pytest.approx(stability_value("classical", 2.0, 0.9, bs), rel=1e-12) and b.stability > 1


def test_the_readout_at_full_batch_is_the_quadratic_bounds(worker, iris):
    """From sqrt(n) items an update the readout is lr × λ / the quadratic bound (engine.stability_value),
    λ measured with the sharpness."""
    from momentum_lab.engine import stability_bound

    configure(worker, 1, iris, {"rule": "classical", "lr": 0.5, "momentum": 0.5, "batch_size": "full"})
    (b,) = worker.batches  # (at the initial weights: the first measure)
    assert math.isfinite(b.curvature) and b.curvature > 0
    assert b.stability == pytest.approx(0.5 * b.curvature / stability_bound("classical", 0.5), rel=1e-12)
    worker.step_items(3)  # (held at its largest since the settings: at least the one now)
    b = worker.batches[-1]
    assert b.stability >= 0.5 * b.curvature / stability_bound("classical", 0.5)


def test_garbage_is_collected_in_the_gui_thread_only_once_a_controller_runs(qtbot):
    """(A collection in the training thread deleted the GUI thread's Qt objects there and hung
    both threads: see _qt/_gc.) A controller turns the automatic collection off, and a timer in
    the GUI thread collects a cycle of garbage within a few seconds."""
    import gc
    import weakref

    from momentum_lab._qt.controller import RunConfig, RunController

    controller = RunController(RunConfig())
    try:
        assert not gc.isenabled()

        class Cycle:
            pass

        cycle = Cycle()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        for _ in range(800):  # past the first generation's threshold
            junk = [[]]
            junk[0].append(junk)
        del junk
        qtbot.waitUntil(lambda: gone() is None, timeout=10_000)
    finally:
        controller.shutdown()

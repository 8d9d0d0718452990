"""Sweeps: the same start for every configuration, and each one equal to a single run."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.cli import main
from momentum_lab.engine import SWEEP_COLUMNS, InputError
from momentum_lab.engine import _sweep


@pytest.fixture(scope="module")
def classical():
    """A grid where the large rates and momenta diverge (weight limit 30)."""
    return ml.sweep("iris", rule="classical", lr=(0.01, 1.0, 5), momentum=(0.0, 0.9, 4), epochs=12,
                    weight_limit=30.0, target_loss=0.2)


def test_every_configuration_starts_from_the_same_weights_and_order(classical):
    first = classical.train_loss[:, :, 0]
    assert np.all(first == first[0, 0])  # the same initial weights
    # The same item order too: with momentum 0, two grids' shared rates give the same curves.
    other = ml.sweep("iris", rule="classical", lr=(0.01, 0.1, 2), momentum=(0.0, 0.0, 1), epochs=12,
                     weight_limit=30.0)
    np.testing.assert_array_equal(other.train_loss[1, 0], classical.train_loss[2, 0])


@pytest.mark.parametrize(("i", "j"), [(0, 0), (2, 1), (4, 3), (3, 3), (1, 2)])
def test_a_configuration_equals_the_single_run_with_its_options(classical, i, j):
    lr, m = float(classical.lrs[i]), float(classical.momenta[j])
    single = ml.train("iris", rule="classical", lr=lr, momentum=m, epochs=12, weight_limit=30.0)
    curve = classical.train_loss[i, j]
    n = len(single.history)
    np.testing.assert_array_equal(curve[:n], single.history["train_loss"])  # bit for bit
    assert np.all(np.isnan(curve[n:]))
    assert classical.final_train_loss[i, j] == single.history["train_loss"][-1]
    assert classical.final_train_accuracy[i, j] == single.history["train_accuracy"][-1]
    if single.diverged:
        assert classical.diverged_at_epoch[i, j] == single.divergence.epoch
    else:
        assert np.isnan(classical.diverged_at_epoch[i, j])


def test_the_grid_has_divergences_and_targets_where_the_curves_say(classical):
    assert np.isfinite(classical.diverged_at_epoch).any() and np.isnan(classical.diverged_at_epoch).any()
    for (i, j), epoch in np.ndenumerate(classical.epochs_to_target):
        curve = classical.train_loss[i, j]
        hits = np.flatnonzero(curve <= 0.2)
        if hits.size:
            assert epoch == hits[0]
        else:
            assert np.isnan(epoch)
    assert classical.lrs.tolist() == pytest.approx([0.01, 0.01 * 10**0.5, 0.1, 0.1 * 10**0.5, 1.0])
    assert classical.momenta.tolist() == pytest.approx([0.0, 0.3, 0.6, 0.9])


def test_chunking_does_not_change_the_result(monkeypatch):
    whole = ml.sweep("xor", lr=(0.05, 0.5, 3), momentum=(0.0, 0.8, 3), epochs=9)
    monkeypatch.setattr(_sweep, "_CHUNK_SECONDS", 1e-9)  # one epoch a call
    calls = []
    chunked = ml.sweep("xor", lr=(0.05, 0.5, 3), momentum=(0.0, 0.8, 3), epochs=9,
                       progress=lambda done, total: calls.append(done))
    np.testing.assert_array_equal(whole.train_loss, chunked.train_loss)
    assert calls == list(range(0, 10))  # 0: before the compile


def test_the_csv_table(classical, tmp_path):
    path = tmp_path / "s.csv"
    classical.to_csv(path)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == SWEEP_COLUMNS and len(rows) == 20
    assert rows[0]["rule"] == "classical" and float(rows[0]["lr"]) == pytest.approx(0.01)
    diverged = [r for r in rows if r["diverged_at_epoch"]]
    assert diverged and all(int(r["diverged_at_epoch"]) >= 1 for r in diverged)
    never = [r for r in rows if not r["epochs_to_target"]]
    assert never  # an empty cell: never reached


def test_best_skips_diverged_configurations(classical):
    best = classical.best()
    assert best["diverged_at_epoch"] is None
    finals = classical.final_train_loss[np.isnan(classical.diverged_at_epoch)]
    assert best["final_train_loss"] == finals.min()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": "0.1:1"}, "lr=: expected MIN:MAX:N"),
    ({"lr": (0.0, 1.0, 3)}, "lr="),
    ({"lr": (1.0, 0.1, 3)}, "lr=: MAX 0.1 is below MIN 1"),
    ({"momentum": (0.0, 1.0, 3)}, "momentum="),
    ({"momentum": (0.2, 0.5, 1)}, "momentum=: one value"),
    ({"target_loss": -1.0}, "target_loss="),
    ({"epochs": 0}, "epochs="),
    # one number, as a preset gives it (sweep(**preset("article"))): TypeError "cannot unpack" before
    ({"lr": 0.05}, r"lr=: expected a grid \(MIN, MAX, N\) or 'MIN:MAX:N', got 0.05"),
    ({"momentum": (0.0, 0.9)}, r"momentum=: expected a grid \(MIN, MAX, N\) or 'MIN:MAX:N', got \(0.0, 0.9\)"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(InputError, match=message):
        ml.sweep("iris", **kwargs)


def test_the_sweep_command(tmp_path):
    table, png = tmp_path / "s.csv", tmp_path / "s.png"
    out, err = io.StringIO(), io.StringIO()
    code = main(["sweep", "--lr", "0.01:1:3", "--momentum", "0:0.9:2", "--epochs", "5", "--target-loss", "0.5",
                 "--out", str(table), "--png", str(png)], out=out, err=err)
    assert code == 0, err.getvalue()
    assert "6 configurations x 5 epochs" in out.getvalue()
    with table.open(encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) == 7
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "sweep: epoch 5/5" in err.getvalue()


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--lr", "abc"], "--lr"),
    (["--momentum", "0:1:3"], "--momentum"),
    (["--out", "{tmp}/nodir/s.csv"], "--out"),
    (["--png", "{tmp}/s.csv"], "--png"),
])
def test_the_sweep_command_refuses_bad_input(tmp_path, argv, fragment):
    argv = [a.format(tmp=tmp_path) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    full = ["sweep", "--epochs", "2", "--out", str(tmp_path / "s.csv"), *argv]
    assert main(full, out=out, err=err) == 2
    assert fragment in err.getvalue() and err.getvalue().count("\n") == 1
    assert not (tmp_path / "s.csv").exists()


def test_the_sweep_command_needs_an_output(tmp_path):
    err = io.StringIO()
    assert main(["sweep", "--epochs", "2"], out=io.StringIO(), err=err) == 2
    assert "--out" in err.getvalue()


def test_a_progress_hook_that_raises_stops_the_sweep_before_it_compiles(monkeypatch):
    compiled = []  # the kernel compiles (or loads) at its first call
    monkeypatch.setattr(_sweep, "sweep_kernel_for", lambda *shape: lambda *args: compiled.append(shape))

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    with pytest.raises(Stop):
        ml.sweep("xor", lr=(0.05, 0.5, 3), momentum=(0.0, 0.8, 3), epochs=9, progress=stop)
    assert compiled == []


# The grid's values are the decimals it means: np.linspace(0, 0.3, 4) gives 0.09999999999999999
# and np.geomspace(0.003, 0.3, 3) gives 0.03000000000000001; the sweep trains with 0.1 and 0.03.
@pytest.mark.parametrize(("spec", "log", "expected"), [
    ((0.001, 1.0, 4), True, [0.001, 0.01, 0.1, 1.0]),
    ((0.003, 0.3, 3), True, [0.003, 0.03, 0.3]),
    ((1e-5, 0.9, 3), True, [1e-5, 0.003, 0.9]),
    ((0.0, 0.9, 10), False, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
    ((0.0, 0.3, 4), False, [0.0, 0.1, 0.2, 0.3]),
    ((0.0, 0.9, 7), False, [0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9]),
    ((0.0, 0.5, 11), False, [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]),
    ((0.2, 0.2, 1), False, [0.2]),
])
def test_grid_values_are_the_decimals_the_grid_means(spec, log, expected):
    values = _sweep.grid_values(spec, log).tolist()
    assert values == expected  # exactly, not approximately
    assert [repr(v) for v in values] == [repr(v) for v in expected]


def test_a_log_grid_of_ten_has_the_decades_exactly_and_the_rest_within_a_tiny_tolerance():
    values = _sweep.grid_values((0.001, 1.0, 10), log=True)
    assert values[0] == 0.001 and values[3] == 0.01 and values[6] == 0.1 and values[9] == 1.0
    np.testing.assert_allclose(values, np.geomspace(0.001, 1.0, 10), rtol=1e-12, atol=0)
    assert all(len(repr(float(v))) <= 17 for v in values)  # e.g. 0.00215443469003, not 0.0021544346900318843


def test_min_and_max_are_kept_exactly_as_given():
    low, high = 0.30000000000000004, 0.7000000000000001  # as a caller typed them
    values = _sweep.grid_values((low, high, 5), log=False)
    assert values[0] == low and values[-1] == high
    values = _sweep.grid_values((0.0123456789012345678, 0.9876543210987654, 7), log=True)
    assert values[0] == 0.0123456789012345678 and values[-1] == 0.9876543210987654


@pytest.mark.parametrize(("spec", "log"), [
    ((0.5, 0.5000001, 1000), False),
    ((0.5, 0.5 + 1e-12, 1000), False),  # values 1e-15 apart: more digits, never merged
    ((0.1, 0.1000001, 1000), True),
    ((1e-6, 1.0, 1000), True),
    ((0.0, 0.999, 1000), False),
])
def test_a_dense_grid_stays_strictly_increasing(spec, log):
    values = _sweep.grid_values(spec, log)
    assert values.size == spec[2] and np.all(np.diff(values) > 0)
    raw = np.geomspace(*spec) if log else np.linspace(*spec)
    assert np.all(np.abs(values - raw) <= 1e-12 * np.abs(raw))


@pytest.fixture(scope="module")
def decimal_grid():
    """A grid whose computed values are 0.03000000000000001 and 0.09999999999999999."""
    return ml.sweep("iris", lr="0.003:0.3:3", momentum="0:0.3:4", epochs=6)


def test_the_result_rows_best_and_csv_show_the_decimals(decimal_grid, tmp_path):
    assert decimal_grid.lrs.tolist() == [0.003, 0.03, 0.3]
    assert decimal_grid.momenta.tolist() == [0.0, 0.1, 0.2, 0.3]
    rows = decimal_grid.rows()
    assert [(repr(r["lr"]), repr(r["momentum"])) for r in rows] == [
        (lr, m) for lr in ("0.003", "0.03", "0.3") for m in ("0.0", "0.1", "0.2", "0.3")]
    # best(): made to be the (0.03, 0.1) cell
    final = decimal_grid.final_train_loss.copy()
    final[1, 1] = final.min() - 1.0
    diverged = np.full_like(final, np.nan)
    best = dataclasses.replace(decimal_grid, final_train_loss=final, diverged_at_epoch=diverged).best()
    assert repr(best["lr"]) == "0.03" and repr(best["momentum"]) == "0.1"
    path = tmp_path / "s.csv"
    decimal_grid.to_csv(path)
    text = path.read_text(encoding="utf-8")
    cells = [line.split(",")[1:3] for line in text.splitlines()[1:]]
    assert cells == [[lr, m] for lr in ("0.003", "0.03", "0.3") for m in ("0.0", "0.1", "0.2", "0.3")]
    assert "0.0999" not in text and "0.0300000" not in text


def test_the_sweep_command_writes_the_decimals(tmp_path):
    table = tmp_path / "s.csv"
    out, err = io.StringIO(), io.StringIO()
    code = main(["sweep", "--lr", "0.003:0.3:3", "--momentum", "0:0.3:4", "--epochs", "2", "--out", str(table)],
                out=out, err=err)
    assert code == 0, err.getvalue()
    with table.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted({r["lr"] for r in rows}) == ["0.003", "0.03", "0.3"]
    assert sorted({r["momentum"] for r in rows}) == ["0.0", "0.1", "0.2", "0.3"]


@pytest.mark.parametrize(("i", "j", "lr", "momentum"), [(1, 1, 0.03, 0.1), (2, 3, 0.3, 0.3), (0, 2, 0.003, 0.2)])
def test_a_cell_equals_train_with_the_typed_decimals(decimal_grid, i, j, lr, momentum):
    single = ml.train("iris", lr=lr, momentum=momentum, epochs=6)
    curve = decimal_grid.train_loss[i, j]
    n = len(single.history)
    np.testing.assert_array_equal(curve[:n], single.history["train_loss"])  # bit for bit
    assert decimal_grid.final_train_loss[i, j] == single.history["train_loss"][-1]
    assert decimal_grid.final_train_accuracy[i, j] == single.history["train_accuracy"][-1]

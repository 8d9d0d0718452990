"""Hostile cases for what the command writes and the options it takes (issue 10).

Each case asserts the exit status, the one-line message (naming the option and the value) and
that no file appeared or changed. Readers of hostile files have their own modules
(test_hostile_csv.py, test_hostile_files.py); the window's, test_gui_hostile.py.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import momentum_lab as ml
from momentum_lab.cli import _summary, main
from momentum_lab.engine import _atomic
from momentum_lab.engine._atomic import Outputs, atomic_write

IRIS_CSV = Path(ml.__file__).parent.parent.parent / "resources" / "datasets" / "iris.csv"
QUICK = ["--epochs", "2", "-q"]


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry below ``folder`` (hidden ones too) with its kind, size and content digest."""
    out = {}
    for p in sorted(folder.rglob("*")):
        info = p.lstat()
        if stat.S_ISREG(info.st_mode):
            out[str(p.relative_to(folder))] = ("file", p.read_bytes())
        elif stat.S_ISLNK(info.st_mode):
            out[str(p.relative_to(folder))] = ("link", os.readlink(p))
        else:
            out[str(p.relative_to(folder))] = ("other", stat.S_IFMT(info.st_mode))
    return out


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("momentum-lab: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    p = tmp_path / "data.csv"
    p.write_bytes(IRIS_CSV.read_bytes())
    return p


# -- an output that is an input ----------------------------------------------------------------


@pytest.mark.parametrize("option", ["--history", "--deltas", "--save-weights", "--plot"])
def test_an_output_equal_to_the_data_set_is_refused(tmp_path, data_csv, option):
    target = data_csv
    if option == "--plot":  # the suffix check must not be what saves it: a CSV named .png
        target = data_csv.rename(tmp_path / "data.png")
    before = snapshot(tmp_path)
    code, out, err = run("train", "--dataset", target, option, target, *QUICK)
    assert code == 2
    line = one_error_line(err)
    assert option in line and "--dataset" in line and str(target) in line
    assert snapshot(tmp_path) == before


def test_an_output_reaching_an_input_through_a_link_is_refused(tmp_path, data_csv):
    (tmp_path / "soft.csv").symlink_to(data_csv)
    os.link(data_csv, tmp_path / "hard.csv")
    before = snapshot(tmp_path)
    for other in ("soft.csv", "hard.csv"):
        code, _, err = run("train", "--dataset", data_csv, "--history", tmp_path / other, *QUICK)
        assert code == 2 and "--dataset" in one_error_line(err)
    # and the other way round: the data set named through the link, the output by its own name
    code, _, err = run("train", "--dataset", tmp_path / "soft.csv", "--history", data_csv, *QUICK)
    assert code == 2 and "--history" in one_error_line(err)
    assert snapshot(tmp_path) == before


def test_sweep_out_equal_to_the_data_set_is_refused(tmp_path, data_csv):
    before = snapshot(tmp_path)
    code, _, err = run("sweep", "--dataset", data_csv, "--out", data_csv, "--lr", "0.01:0.1:2",
                       "--momentum", "0:0.5:2", "--epochs", "1", "-q")
    assert code == 2 and "--out" in one_error_line(err) and "--dataset" in err
    code, _, err = run("sweep", "--dataset", data_csv, "--out", tmp_path / "s.csv", "--png", data_csv,
                       "--lr", "0.01:0.1:2", "--momentum", "0:0.5:2", "--epochs", "1", "-q")
    assert code == 2 and "--png" in one_error_line(err)
    assert snapshot(tmp_path) == before


def test_init_weights_and_scenario_are_inputs_too(tmp_path, data_csv):
    weights = tmp_path / "w.npz"
    assert run("train", "--save-weights", weights, *QUICK)[0] == 0
    scenario = tmp_path / "s.json"
    ml.Scenario(ml.RunConfig(dataset=str(data_csv)), epochs=2).save(scenario)
    before = snapshot(tmp_path)
    code, _, err = run("train", "--init-weights", weights, "--save-weights", weights, *QUICK)
    assert code == 2 and "--init-weights" in one_error_line(err)
    for target, named in ((scenario, "--scenario"), (data_csv, "--dataset")):
        code, _, err = run("train", "--scenario", scenario, "--history", target, "-q")
        assert code == 2 and named in one_error_line(err)
    assert snapshot(tmp_path) == before


def test_the_screenshot_may_not_replace_an_input(tmp_path, data_csv):
    png_named_csv = data_csv.rename(tmp_path / "data.png")
    before = snapshot(tmp_path)
    code, _, err = run("gui", "--dataset", png_named_csv, "--screenshot", png_named_csv)
    assert code == 2 and "--screenshot" in one_error_line(err) and "--dataset" in err
    assert snapshot(tmp_path) == before


def test_the_api_refuses_an_output_equal_to_an_input(tmp_path, data_csv):
    before = snapshot(tmp_path)
    with pytest.raises(ml.InputError, match=r"^history=.*dataset="):
        ml.train(data_csv, epochs=1, history=data_csv)
    with pytest.raises(ml.InputError, match=r"^out=.*dataset="):
        ml.sweep(data_csv, lr=(0.01, 0.1, 2), momentum=(0, 0.5, 2), epochs=1, out=data_csv)
    assert snapshot(tmp_path) == before


def test_two_outputs_on_one_file_are_refused(tmp_path):
    code, _, err = run("train", "--history", tmp_path / "x", "--deltas", tmp_path / "x", *QUICK)
    assert code == 2 and "--deltas" in one_error_line(err) and "--history" in err
    assert snapshot(tmp_path) == {}


# -- what a target may be -----------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_devices_and_fifos_are_not_replaced_by_files(tmp_path):
    fifo = tmp_path / "pipe.png"  # the right suffix: only what it is refuses it
    os.mkfifo(fifo)
    for target in ("/dev/null", "/dev/full", fifo):
        for option in ("--history", "--plot"):
            path = f"{target}.png" if option == "--plot" and str(target).startswith("/dev") else target
            if option == "--plot" and str(path).endswith(".png") and not os.path.exists(path):
                continue  # /dev/null.png is no device; the point is the device itself
            code, _, err = run("train", option, path, *QUICK)
            assert code == 2, (option, target)
            line = one_error_line(err)
            assert option in line and str(target) in line
            if option != "--plot" or target == fifo:
                assert "not a regular file" in line
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    code, _, err = run("sweep", "--out", "/dev/null", "--epochs", "1", "-q")
    assert code == 2 and "--out" in one_error_line(err)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_symlinked_output_is_written_through(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (real_dir / "h.csv").write_text("old\n")
    (tmp_path / "h.csv").symlink_to(real_dir / "h.csv")
    (tmp_path / "new.csv").symlink_to(real_dir / "new.csv")  # dangling: made where it points
    code, _, _ = run("train", "--history", tmp_path / "h.csv", "--deltas", tmp_path / "d.npz", *QUICK)
    assert code == 0
    assert (tmp_path / "h.csv").is_symlink() and (real_dir / "h.csv").read_text().startswith("epoch,")
    assert run("train", "--history", tmp_path / "new.csv", *QUICK)[0] == 0
    assert (tmp_path / "new.csv").is_symlink() and (real_dir / "new.csv").read_text().startswith("epoch,")
    assert sorted(p.name for p in real_dir.iterdir()) == ["h.csv", "new.csv"]  # no temporary file left


def test_a_folder_target_and_a_missing_folder(tmp_path):
    code, _, err = run("train", "--history", tmp_path, *QUICK)
    assert code == 2 and "is a folder" in one_error_line(err)
    code, _, err = run("train", "--history", tmp_path / "no" / "h.csv", *QUICK)
    assert code == 2 and "does not exist" in one_error_line(err)


# -- all outputs or none ------------------------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch):
    """Make flushing any temporary file of a target ending in one of the given suffixes fail
    with ENOSPC, as a full disk does."""
    suffixes: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if any(f"{s}.momentum-lab-" in name for s in suffixes):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(_atomic.os, "fsync", fsync)
    return suffixes


@pytest.mark.parametrize("failing", [".csv", ".npz", ".png"])
def test_one_failed_write_leaves_every_output_as_it_was(tmp_path, full_disk, failing):
    full_disk.append(failing)
    (tmp_path / "h.csv").write_text("old history\n")
    before = snapshot(tmp_path)
    code, out, err = run("train", "--history", tmp_path / "h.csv", "--deltas", tmp_path / "d.npz",
                         "--save-weights", tmp_path / "w.npz", "--plot", tmp_path / "p.png", *QUICK)
    assert code == 2
    line = one_error_line(err)
    assert "No space left on device" in line and failing.lstrip(".") in line
    assert snapshot(tmp_path) == before  # nothing new, the old file intact, no temporary file
    assert "Wrote" not in out


def test_sweep_png_on_a_full_disk_writes_no_table(tmp_path, full_disk):
    full_disk.append(".png")
    code, out, err = run("sweep", "--out", tmp_path / "s.csv", "--png", tmp_path / "s.png",
                         "--lr", "0.01:0.1:2", "--momentum", "0:0.5:2", "--epochs", "1", "-q")
    assert code == 2 and "--png" in one_error_line(err) and "No space left" in err
    assert snapshot(tmp_path) == {}


def test_an_interrupt_during_the_renames_waits_for_the_last(tmp_path, monkeypatch):
    """Ctrl-C arriving right after the first rename: held back until every file is in place."""
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        real_replace(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    code, _, err = run("train", "--history", tmp_path / "h.csv", "--deltas", tmp_path / "d.npz",
                       "--save-weights", tmp_path / "w.npz", *QUICK)
    assert code == 130
    assert "after every file was written whole" in err
    assert len(calls) == 3 and sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "h.csv", "w.npz"]


def test_an_interrupt_before_the_renames_leaves_nothing(tmp_path, monkeypatch):
    real_open = Outputs.open
    opened = []

    def open_then_interrupt(self, path, option=None, mode="w"):
        opened.append(path)
        if len(opened) == 2:
            raise KeyboardInterrupt
        return real_open(self, path, option, mode)

    monkeypatch.setattr(Outputs, "open", open_then_interrupt)
    code, _, err = run("train", "--history", tmp_path / "h.csv", "--deltas", tmp_path / "d.npz", *QUICK)
    assert code == 130 and "no file was written or changed" in err
    assert snapshot(tmp_path) == {}


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)
    host = _atomic._HOST
    stale = tmp_path / f".h.csv.momentum-lab-{host}-{dead_pid}-0badc0de.tmp"
    stale_backup = tmp_path / f".h.csv.momentum-lab-{host}-{dead_pid}-0badc0de.bak"
    alive = tmp_path / f".h.csv.momentum-lab-{host}-{os.getppid()}-0badc0de.tmp"  # a process that runs
    elsewhere = tmp_path / f".h.csv.momentum-lab-otherhost-{dead_pid}-0badc0de.tmp"  # another host's
    other = tmp_path / ".h.csv.abc123.tmp"  # not ours: not touched
    for p in (stale, stale_backup, alive, elsewhere, other):
        p.write_text("half")
    with atomic_write(tmp_path / "h.csv") as fh:
        fh.write("new\n")
    assert not stale.exists() and not stale_backup.exists()
    assert alive.exists() and elsewhere.exists() and other.exists()
    assert (tmp_path / "h.csv").read_text() == "new\n"


def test_a_killed_run_leaves_only_a_temporary_file_the_next_run_removes(tmp_path):
    """SIGKILL while the outputs are staged: the targets are untouched; the next write cleans up."""
    script = textwrap.dedent(f"""
        import os, signal
        from momentum_lab.engine._atomic import Outputs
        out = Outputs()
        with out.open({str(tmp_path / 'h.csv')!r}, "--history") as fh:
            fh.write("partial")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".h.csv.momentum-lab-") and left[0].endswith(".tmp")
    assert run("train", "--history", tmp_path / "h.csv", *QUICK)[0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["h.csv"]


# -- options --------------------------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("argv", "option", "value"), [
    (["train", "--hidden", "1000000000"], "--hidden", "1000000000"),
    (["train", "--dataset", "xor", "--samples", "10000000000"], "--samples", "10000000000"),
    (["train", "--init-scale", "1e308"], "--init-scale", "1e+308"),
    (["train", "--seed", "2147483648"], "--seed", "2147483648"),
    (["train", "--data-seed", "-1"], "--data-seed", "-1"),
    (["train", "--lr", "1e7"], "--lr", "10000000.0"),
    (["train", "--epochs", "100000000000000"], "--epochs", "100000000000000"),
    (["train", "--deltas", "DELTAS", "--epochs", "100000"], "--deltas", "GiB"),
    (["sweep", "--out", "OUT", "--lr", "0.001:1:60", "--momentum", "0:0.9:60", "--epochs", "100000"],
     "--epochs", "GiB"),
    (["sweep", "--out", "OUT", "--lr", "0.001:1:100000000"], "--lr", "100000000"),
    (["gui", "--screenshot", "SHOT", "--speed", "0"], "--speed", "0"),
    (["gui", "--screenshot", "SHOT", "--seed", "2147483648"], "--seed", "2147483648"),
])
def test_sizes_that_cannot_be_had_are_refused_up_front(tmp_path, argv, option, value):
    names = {"DELTAS": tmp_path / "d.npz", "OUT": tmp_path / "s.csv", "SHOT": tmp_path / "s.png"}
    code, _, err = run(*[names.get(a, a) for a in argv])
    assert code == 2
    line = one_error_line(err)
    assert line.startswith(f"momentum-lab: error: {option}") or f"argument {option}" in line, line
    assert value in line
    assert snapshot(tmp_path) == {}


def test_pictures_are_written_only_under_their_own_suffix(tmp_path):
    code, _, err = run("gui", "--screenshot", tmp_path / "s.txt")
    assert code == 2 and "--screenshot" in one_error_line(err) and "'.txt'" in err
    code, _, err = run("sweep", "--out", tmp_path / "s.csv", "--png", tmp_path / "s.txt", "--epochs", "1")
    assert code == 2 and "--png" in one_error_line(err) and "'.txt'" in err
    code, _, err = run("train", "--plot", tmp_path / "p.jpg", *QUICK)
    assert code == 2 and "--plot" in one_error_line(err)
    assert snapshot(tmp_path) == {}


def test_one_prefix_for_every_error():
    # (a bare ``sweep`` prints its usage and an example before its error line: test_cli)
    for argv in (["train", "--lr", "abc"], ["trian"], ["train", "--lr", "-1"], ["sweep", "--epochs", "3"],
                 ["train", "--momentun", "0.5"]):
        code, _, err = run(*argv)
        assert code == 2
        one_error_line(err)


def test_counts_agree_with_their_nouns():
    result = ml.train("iris", steps=1)
    text = _summary(result)
    assert "1 update in" in text and "1 updates" not in text
    assert "1 completed epoch" not in text  # no epoch completed: 0 epochs
    assert "0 epochs" in text


def test_the_api_names_keywords_the_command_line_flags():
    with pytest.raises(ml.InputError, match=r"^init_scale=") as api:
        ml.train("iris", init_scale=1e308)
    assert "--" not in str(api.value)
    code, _, err = run("train", "--init-scale", "1e308")
    assert code == 2 and "--init-scale: must be" in err and "init_scale=" not in err
    with pytest.raises(ml.InputError, match=r"^hidden="):
        ml.Trainer(ml.load_dataset("iris"), hidden=0)


def test_a_diverging_run_prints_no_numpy_warning():
    """pytest turns every warning into an error here: a divergence must raise none."""
    code, _, err = run("train", "--rule", "classical", "--lr", "1e6", "--momentum", "0.99", "--weight-limit",
                       "1e300", "--epochs", "30", "-q")
    assert code in (0, 3)
    assert "Warning" not in err


@pytest.mark.timeout(120)
def test_two_sweeps_from_two_threads_do_not_abort_the_process(tmp_path):
    """numba's fallback threading layer aborts on concurrent entry: sweeps are serialised."""
    script = textwrap.dedent("""
        import threading
        import numpy as np
        import momentum_lab as ml
        results = {}
        def one(k):
            results[k] = ml.sweep("iris", lr=(0.01, 0.1, 3), momentum=(0.0, 0.5, 2), epochs=3)
        threads = [threading.Thread(target=one, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a, b, c = (results[k].final_train_loss for k in range(3))
        assert np.array_equal(a, b) and np.array_equal(b, c)
        print("ok")
    """)
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=110)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_a_rename_that_fails_after_others_puts_the_earlier_targets_back(tmp_path, monkeypatch):
    (tmp_path / "a").write_text("old a")
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # the third file's rename: a, b went in already
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    with pytest.raises(ml.InputError, match=r"^--c: cannot write .*Permission denied"), Outputs() as out:
        for name in "abc":
            out.write_bytes(tmp_path / name, f"--{name}", f"new {name}".encode())
    monkeypatch.setattr(_atomic.os, "replace", real_replace)
    assert snapshot(tmp_path) == {"a": ("file", b"old a")}  # a restored, b removed, no temporary file


def test_the_same_target_twice_in_one_command_is_refused(tmp_path):
    with pytest.raises(ml.InputError, match=r"^--export: .*also the --screenshot file"), Outputs() as out:
        out.write_bytes(tmp_path / "error.png", "--screenshot", b"screen")
        out.write_bytes(tmp_path / "error.png", "--export", b"plot")
    assert snapshot(tmp_path) == {}


def test_outputs_commit_and_discard_directly(tmp_path):
    (tmp_path / "a").write_text("old a")
    with pytest.raises(RuntimeError), Outputs() as out:
        out.write_bytes(tmp_path / "a", "--a", b"new a")
        out.write_bytes(tmp_path / "b", "--b", b"new b")
        raise RuntimeError("a later step failed")
    assert snapshot(tmp_path) == {"a": ("file", b"old a")}
    with Outputs() as out:
        out.write_bytes(tmp_path / "a", "--a", b"new a")
        out.write_bytes(tmp_path / "b", "--b", b"new b")
    assert out.committed and snapshot(tmp_path) == {"a": ("file", b"new a"), "b": ("file", b"new b")}
    # the mode of an existing file is kept
    os.chmod(tmp_path / "a", 0o640)
    with atomic_write(tmp_path / "a", "wb") as fh:
        fh.write(b"again")
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o640
    assert np.frombuffer((tmp_path / "a").read_bytes(), dtype=np.uint8).size == 5


def test_a_network_too_large_to_hold_is_refused_with_its_size():
    x = np.zeros((4, 20_000))
    x[:, 0] = [0.0, 1.0, 2.0, 3.0]
    data = ml.load_dataset((x, np.array([0, 1, 0, 1])), test_fraction=0)
    with pytest.raises(ml.InputError, match=r"^hidden=: a 20000-1000-2 network has 20,003,002 parameters"):
        ml.Trainer(data, hidden=1000)
    assert ml.Trainer(data, hidden=100).layout.n_params == 20_000 * 100 + 100 + 100 * 2 + 2


def test_a_label_per_row_is_refused_as_too_many_classes(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("x,id\n" + "".join(f"{i},row{i}\n" for i in range(300)))
    code, _, err = run("train", "--dataset", path, *QUICK)
    assert code == 2
    line = one_error_line(err)
    assert str(path) in line and "300 classes" in line and "at most 100" in line


def test_a_scenario_is_never_saved_over_its_own_data(tmp_path, data_csv):
    before = snapshot(tmp_path)
    with pytest.raises(ml.InputError, match=r"^path=: .*data\.csv.*dataset="):
        ml.Scenario(ml.RunConfig(dataset=str(data_csv))).save(data_csv)
    assert snapshot(tmp_path) == before
    ml.Scenario(ml.RunConfig(dataset=str(data_csv))).save(tmp_path / "s.json")
    assert ml.load_scenario(tmp_path / "s.json").config.dataset == str(data_csv)


def test_gui_export_names_are_checked_before_any_work(tmp_path):
    """`--screenshot DIR/error.png --export DIR` would have the error plot replace the screenshot;
    `--init-weights DIR/weights.npz --export DIR` would replace the weights the run started from."""
    export = tmp_path / "export"
    export.mkdir()
    code, _, err = run("gui", "--screenshot", export / "error.png", "--export", export)
    assert code == 2
    line = one_error_line(err)
    assert "--export (error.png)" in line and "--screenshot" in line
    weights = export / "weights.npz"
    assert run("train", "--save-weights", weights, *QUICK)[0] == 0
    before = snapshot(tmp_path)
    code, _, err = run("gui", "--screenshot", tmp_path / "s.png", "--export", export, "--init-weights", weights)
    assert code == 2
    line = one_error_line(err)
    assert "--export (weights.npz)" in line and "--init-weights" in line
    assert snapshot(tmp_path) == before


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_training_writes_nothing_and_leaves_no_temporary_file(tmp_path, signum):
    """TERM is taken as Ctrl-C: exit 130, one line, no output, no temporary file (it once died
    with 143 and left 113 MB of staged deltas)."""
    argv = [sys.executable, "-m", "momentum_lab", "train", "--epochs", "100000", "--history",
            str(tmp_path / "h.csv"), "--plot", str(tmp_path / "p.png")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    for line in proc.stderr:  # progress lines: the checks have passed and training runs
        if line.startswith("epoch"):
            break
    proc.send_signal(signum)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert "interrupted" in rest and "Traceback" not in rest
    assert snapshot(tmp_path) == {}


def test_minus_zero_noise_is_zero():
    assert ml.load_dataset("xor", noise=-0.0).n_train == ml.load_dataset("xor", noise=0.0).n_train
    code, _, err = run("train", "--dataset", "xor", "--noise", "-0", *QUICK)
    assert code == 0, err


def test_a_path_ending_in_a_slash_is_no_file(tmp_path):
    code, _, err = run("train", "--history", f"{tmp_path}/x/", *QUICK)
    assert code == 2 and "ends with '/'" in one_error_line(err)
    assert snapshot(tmp_path) == {}


def test_an_ignored_option_is_still_checked_and_a_note_never_precedes_an_error():
    code, _, err = run("train", "--samples", "-5", *QUICK)  # iris: --samples is ignored, but -5 is no size
    assert code == 2 and "--samples" in one_error_line(err)
    code, _, err = run("train", "--samples", "10", "--hidden", "0", *QUICK)
    assert code == 2 and "--hidden" in one_error_line(err)  # and no note line before it
    code, _, err = run("train", "--samples", "10", *QUICK)
    assert code == 0 and "note: --samples applies to the generated data sets only" in err


def test_scenario_refuses_training_options_even_at_their_defaults(tmp_path):
    scenario = tmp_path / "s.json"
    ml.Scenario(ml.RunConfig(dataset="xor", lr=0.05), epochs=1).save(scenario)
    for extra in (["--dataset", "iris"], ["--lr", "0.01"], ["--no-shuffle"], ["--shuffle"]):
        code, _, err = run("train", "--scenario", scenario, *extra)
        assert code == 2 and f"leave out {extra[0]}" in one_error_line(err)
    code, _, err = run("train", "--mom", "0.5")  # no abbreviations
    assert code == 2 and "--mom" in one_error_line(err)


def test_an_input_named_like_a_stale_temporary_file_is_kept(tmp_path, data_csv):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    trap = tmp_path / f".h.csv.momentum-lab-{_atomic._HOST}-{int(dead.stdout)}-0badc0de.tmp"
    trap.write_bytes(data_csv.read_bytes())
    assert run("train", "--dataset", trap, "--history", tmp_path / "h.csv", *QUICK)[0] == 0
    assert trap.read_bytes() == data_csv.read_bytes()


def test_values_from_files_cannot_steer_the_terminal(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"momentum_lab_scenario": 1, "\\u001b[2J\\u202eevil": 1}')
    code, _, err = run("train", "--scenario", path)
    line = one_error_line(err)
    assert code == 2 and "\x1b" not in line and "\u202e" not in line and "\\x1b" in line


def test_a_backup_by_copy_where_a_hard_link_cannot_be_made(tmp_path, monkeypatch):
    """A target that cannot be hard-linked (an immutable file, another file system) is backed up
    by copying it: a later failure still puts it back, never removes it."""
    (tmp_path / "a").write_text("old a")
    monkeypatch.setattr(_atomic.os, "link", lambda *a: (_ for _ in ()).throw(OSError(errno.EPERM, "no")))
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if Path(dst).name == "b" and Path(src).name.endswith(".tmp"):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        return real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", replace)
    with pytest.raises(ml.InputError, match="^--b: cannot write"), Outputs() as out:
        out.write_bytes(tmp_path / "a", "--a", b"new a")
        out.write_bytes(tmp_path / "b", "--b", b"new b")
    monkeypatch.setattr(_atomic.os, "replace", real_replace)
    assert snapshot(tmp_path) == {"a": ("file", b"old a")}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_command_starts_is_one_line_and_130(tmp_path, signum):
    """An interrupt during the second of imports (numpy, numba, Qt) once gave a traceback, or with
    TERM a death by signal, or inside PySide6's import a crash."""
    exe = Path(sys.executable).with_name("momentum-lab")
    for delay in (0.25, 0.6):
        proc = subprocess.Popen([str(exe), "train", "--plot", str(tmp_path / "p.png"), "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        try:
            proc.wait(timeout=delay)  # (a timeout: it is still starting)
        except subprocess.TimeoutExpired:
            pass
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 130), (delay, proc.returncode, err)
        assert "Traceback" not in err and "Fatal" not in err, err
        if proc.returncode == 130:
            assert err.strip().endswith("interrupted") or "no file was written" in err
            assert snapshot(tmp_path) == {}


def test_a_file_name_too_long_for_its_temporary_file_is_refused_before_training(tmp_path):
    code, out, err = run("train", "--history", tmp_path / ("a" * 240 + ".csv"), *QUICK)
    assert code == 2 and "is too long" in one_error_line(err) and out == ""
    assert snapshot(tmp_path) == {}

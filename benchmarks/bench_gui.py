"""GUI responsiveness while training flat out with every plot visible, offscreen.

Prints its figures; asserts nothing (speed is not a test). Targets (issues 3 and 12):
GUI-thread timer lateness p99 <= 20 ms at >= 25 redraws a second, and the
worker at >= 2M updates/s.

Opens the main window (as `momentum-lab gui` does), starts training flat out,
waits for the first batch of the running worker (compiling or loading the
kernel is not measured), then for --seconds measures:

- GUI-thread lateness: a 5 ms precise timer in the GUI thread records how
  much later than 5 ms after the previous one each timeout comes;
- redraws a second: the window redraws one group of views per tick of its
  clock; each group's redraws are counted and timed (the time the views take
  to take their new data; painting follows in paint events and shows up as
  lateness), and the rate of the least often redrawn main group is reported;
- worker updates a second: the training step count over the wall time.

    python benchmarks/bench_gui.py [--seconds S] [--size WxH] [--dataset NAME] [--hidden N]
                                   [--runs K] [--layout NAME] [--lecture]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

# Timer period of the lateness probe, in seconds.
PROBE_S = 0.005
# Without a running batch by then (a run that cannot start), stop waiting.
START_TIMEOUT_S = 300
TARGET_P99_MS = 20.0
TARGET_REDRAWS = 25.0
TARGET_UPDATES = 2e6


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1600x1000, not '{text}'") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"a size must be positive, not '{text}'")
    return w, h


def resident_mib() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def core_count() -> str:
    total = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = total
    return f"{total}" if usable == total else f"{total} ({usable} usable by this process)"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Bench:
    """Measures from the first running batch for ``seconds``, then closes the window."""

    def __init__(self, app, window, controller, seconds: float) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.app, self.window, self.controller, self.seconds = app, window, controller, seconds
        self.lateness: list[float] = []  # seconds
        self.refresh_times: list[float] = []  # seconds
        self.measuring = False
        self.finished = False
        self.t0 = self.t1 = 0.0
        self.step0 = self.step1 = 0
        self.batches = 0
        self.first_batch_wait = float("nan")
        self.launched = time.perf_counter()

        # Each view group's redraws are counted and timed (the window redraws one group a tick).
        original = window._redraw  # the bound method; _on_timer looks it up on the instance

        def counting_redraw(group: str) -> None:
            began = time.perf_counter()
            original(group)
            if self.measuring:
                self.refresh_times.append(time.perf_counter() - began)
                self.group_counts[group] = self.group_counts.get(group, 0) + 1

        self.group_counts: dict[str, int] = {}
        window._redraw = counting_redraw

        self.probe = QTimer()
        self.probe.setTimerType(Qt.TimerType.PreciseTimer)
        self.probe.setInterval(round(PROBE_S * 1000))
        self.probe.timeout.connect(self._on_probe)
        self._last_probe = 0.0
        # Precise: a coarse single shot may fire up to 5 % early.
        self.end_timer = QTimer()
        self.end_timer.setSingleShot(True)
        self.end_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.end_timer.timeout.connect(self._finish)
        controller.changed.connect(self._on_changed)
        QTimer.singleShot(round((START_TIMEOUT_S + seconds) * 1000), self._give_up)

    def _on_changed(self) -> None:
        latest = self.controller.latest
        if latest is None:
            return
        if self.measuring:
            self.batches += 1
        elif not self.finished and latest.state == "running":
            self._begin(latest.step)

    def _begin(self, step: int) -> None:
        self.first_batch_wait = time.perf_counter() - self.launched
        self.measuring = True
        self.step0 = step
        self.rss0 = resident_mib()
        self.t0 = self._last_probe = time.perf_counter()
        self.probe.start()
        self.end_timer.start(round(self.seconds * 1000))

    def _give_up(self) -> None:
        if not self.finished:
            print("the measurement did not start or end in time: giving up", file=sys.stderr)
            self.probe.stop()
            self.window.close()
            self.app.quit()

    def _on_probe(self) -> None:
        now = time.perf_counter()
        self.lateness.append(now - self._last_probe - PROBE_S)
        self._last_probe = now

    def _finish(self) -> None:
        self.t1 = time.perf_counter()
        self.rss1 = resident_mib()
        self.probe.stop()
        self.measuring = False
        self.finished = True
        latest = self.controller.latest
        self.step1 = latest.step if latest is not None else self.step0
        self.state = self.controller.state
        self.window.close()  # stops the redraw timer and shuts the training thread down
        self.app.quit()

    def report(self, args) -> None:
        elapsed = self.t1 - self.t0
        late_ms = [v * 1e3 for v in self.lateness]
        refresh_ms = [v * 1e3 for v in self.refresh_times]
        # A "redraw" is every plot redrawn: the rate of the least often redrawn main group
        # (error curves, deltas); the slow views (network, decision regions, the other side views)
        # are shown apart.
        rates = {g: self.group_counts.get(g, 0) / elapsed for g in ("curves", "deltas", "network", "regions", "side", "tint")}
        redraws = min(rates["curves"], rates["deltas"])
        updates = (self.step1 - self.step0) / elapsed
        p99 = pct(late_ms, 99)
        w, h = args.size
        print(f"GUI benchmark: {args.dataset}, {args.hidden} hidden units, {args.runs} run(s), window {w}x{h}"
              f"{', layout ' + args.layout if args.layout else ''}{', lecture mode' if args.lecture else ''}, "
              f"platform {os.environ.get('QT_QPA_PLATFORM')}, {core_count()} cores")
        print(f"first running batch after {self.first_batch_wait:.2f} s (compile or cache load; not measured)")
        print(f"measured {elapsed:.2f} s flat out; worker state at the end: {self.state}")
        worst = max(late_ms, default=float("nan"))
        print(f"  GUI-thread lateness (5 ms timer, {len(late_ms)} ticks): "
              f"p50 {pct(late_ms, 50):6.2f} ms   p99 {p99:6.2f} ms   max {worst:6.2f} ms")
        print(f"  redraws: {redraws:5.1f} /s of every plot (error curves {rates['curves']:.1f} /s, deltas "
              f"{rates['deltas']:.1f} /s; network {rates['network']:.1f} /s, decision regions "
              f"{rates['regions']:.1f} /s, stability map and summary {rates['side']:.1f} /s, the parameter list's "
              f"tint {rates['tint']:.1f} /s); "
              f"batches received {self.batches / elapsed:.1f} /s")
        print(f"  one group's refresh: {np.mean(refresh_ms) if refresh_ms else float('nan'):6.2f} ms   "
              f"p99 {pct(refresh_ms, 99):6.2f} ms   max {max(refresh_ms, default=float('nan')):6.2f} ms "
              f"(painting comes after, in paint events)")
        print(f"  worker: {updates / 1e6:5.2f}M updates/s ({self.step1 - self.step0:,} steps)")
        print(f"  resident memory: {self.rss0:.0f} MiB at the start, {self.rss1:.0f} MiB at the end "
              f"(bounded buffers: it should not grow with the run's length)")
        checks = ((f"lateness p99 <= {TARGET_P99_MS:g} ms", p99 <= TARGET_P99_MS),
                  (f">= {TARGET_REDRAWS:g} redraws/s", redraws >= TARGET_REDRAWS),
                  (f">= {TARGET_UPDATES / 1e6:g}M updates/s", updates >= TARGET_UPDATES))
        print("targets: " + "; ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in checks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time (default 10)")
    parser.add_argument("--size", type=parse_size, default=(1600, 1000), help="window size WxH (default 1600x1000)")
    parser.add_argument("--dataset", default="iris", help="data set (default iris)")
    parser.add_argument("--hidden", type=int, default=7, help="hidden units (default 7)")
    parser.add_argument("--runs", type=int, default=1, choices=range(1, 5),
                        help="runs side by side (default 1; more compare classical, Nesterov, look-back at 2 x lr)")
    parser.add_argument("--layout", default=None,
                        help="a named layout (Explore, Lecture, Everything; default: the window's own)")
    parser.add_argument("--lecture", action="store_true", help="in lecture mode")
    args = parser.parse_args()

    from momentum_lab._qt._app import ensure_app

    app = ensure_app()
    import pyqtgraph as pg  # after PySide6 (ensure_app imported it)

    from momentum_lab._qt.controller import LaneSettings, RunConfig, RunController
    from momentum_lab._qt.window import MainWindow

    # As run_gui sets the window up.
    pg.setConfigOptions(antialias=True, background="w", foreground="#111")
    font = app.font()
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)

    others = (LaneSettings("classical", 0.01, 0.5), LaneSettings("nesterov", 0.01, 0.5),
              LaneSettings("lookback", 0.02, 0.5))[: args.runs - 1]
    controller = RunController(RunConfig(dataset=args.dataset, hidden=args.hidden, compare=others))
    window = MainWindow(controller)
    window.resize(*args.size)
    if args.lecture:
        window.set_lecture_mode(True)
    if args.layout:
        window.apply_layout(args.layout)
    bench = Bench(app, window, controller, args.seconds)
    window.show()
    controller.start()  # queued: runs in the worker's thread once it has configured the run
    app.exec()
    controller.shutdown()  # already done by closeEvent; safe to repeat
    if not bench.finished:
        print("the run never started: no figures", file=sys.stderr)
        return 0
    bench.report(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

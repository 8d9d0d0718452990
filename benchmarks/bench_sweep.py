"""Learning-rate x momentum sweeps on Iris 4-7-3: configuration-updates a second, on every core.

Prints its figures; asserts nothing. Targets (issue 4): at least 6M configuration-updates/s on
2 cores, and a 20 x 20 grid x 100 epochs on Iris in at most 3 s.

    python benchmarks/bench_sweep.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numba

import momentum_lab as ml


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed sweeps (default 5)")
    args = parser.parse_args()
    grid = {"lr": (0.001, 3.0, 20), "momentum": (0.0, 0.95, 20), "epochs": 100}
    start = time.perf_counter()
    ml.sweep("iris", lr=(0.01, 0.1, 2), momentum=(0.0, 0.5, 2), epochs=1)  # compile or load the kernel
    print(f"first call (compile or cache load): {time.perf_counter() - start:.2f} s")
    walls, rates = [], []
    for _ in range(args.repeats):
        began = time.perf_counter()
        result = ml.sweep("iris", **grid)
        walls.append(time.perf_counter() - began)
        rates.append(result.updates / walls[-1])
    print(f"Iris 4-7-3, 20 x 20 grid x 100 epochs ({result.updates:,} configuration-updates), "
          f"{numba.get_num_threads()} threads on {os.cpu_count()} cores:")
    print(f"  wall time per sweep: median {statistics.median(walls):.2f} s, best {min(walls):.2f} s")
    print(f"  configuration-updates/s: median {statistics.median(rates) / 1e6:.2f}M, best {max(rates) / 1e6:.2f}M")
    ok_rate, ok_time = statistics.median(rates) >= 6e6, statistics.median(walls) <= 3.0
    print(f"targets: >= 6M configuration-updates/s {'met' if ok_rate else 'NOT met'}; "
          f"20 x 20 x 100 in <= 3 s {'met' if ok_time else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

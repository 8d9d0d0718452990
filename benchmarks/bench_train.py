"""Online updates per second on Iris 4-7-3 through the public API, beside a naive numpy loop.

Prints its figures; asserts nothing (speed is not a test). Targets (issue 2):
at least 3M updates/s, and at least 40 times the naive per-item numpy loop.

    python benchmarks/bench_train.py [--epochs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import reference  # noqa: E402  (the plain numpy oracle of the tests)

import momentum_lab as ml  # noqa: E402
from momentum_lab.engine import Trainer, load_dataset  # noqa: E402


def api_rate(epochs: int, repeats: int, **options) -> list[float]:
    """Updates per second of whole ``ml.train`` calls (wall time, setup included)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = ml.train("iris", hidden=7, epochs=epochs, **options)
        rates.append(result.steps / (time.perf_counter() - start))
    return rates


def naive_rate(epochs: int) -> float:
    """Updates per second of the per-item numpy loop in tests/reference.py (same work per epoch)."""
    data = load_dataset("iris")
    w0 = Trainer(data).initial_weights()
    orders = np.array([np.random.default_rng(0).permutation(data.n_train) for _ in range(epochs)])
    start = time.perf_counter()
    reference.train(w0, data.x_train, data.y_train, 3, orders, x_test=data.x_test, y_test=data.y_test)
    return epochs * data.n_train / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5000, help="epochs per timed API run (default 5000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed API runs (default 7)")
    args = parser.parse_args()

    start = time.perf_counter()
    ml.train("iris", epochs=1)  # compile, or load the compiled kernel from numba's cache
    print(f"first call (compile or cache load): {time.perf_counter() - start:.2f} s")

    plain = api_rate(args.epochs, args.repeats)
    recorded = api_rate(min(args.epochs, 2000), args.repeats, record_deltas=True)
    naive = naive_rate(20)
    best, median = max(plain), statistics.median(plain)
    print(f"ml.train, Iris 4-7-3, {args.epochs} epochs x 120 items, per-epoch evaluation included:")
    print(f"  compiled kernel:           median {median / 1e6:6.2f}M updates/s   best {best / 1e6:6.2f}M")
    print(f"  with every delta recorded: median {statistics.median(recorded) / 1e6:6.2f}M updates/s")
    print(f"  naive per-item numpy loop:        {naive / 1e3:6.1f}k updates/s")
    print(f"  ratio (median / naive):    {median / naive:6.1f}x")
    ok_speed, ok_ratio = median >= 3e6, median / naive >= 40
    print(f"targets: >= 3M updates/s {'met' if ok_speed else 'NOT met'}; "
          f">= 40x the naive loop {'met' if ok_ratio else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

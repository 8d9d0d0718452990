"""Time and peak memory of loading a large CSV data set through ``momentum_lab.load_dataset``.

Writes a numeric CSV of about the given size (Iris-like: ``--features`` columns of numbers and a
class label) into a temporary folder, loads it in a fresh Python process and prints the seconds the
load took and the child's peak resident memory (``ru_maxrss``) beside the file's size and the size
of the arrays built. Prints figures; asserts nothing (speed is not a test).

    python benchmarks/bench_csv.py [--mb 200] [--features 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
import momentum_lab
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
ds = momentum_lab.load_dataset(sys.argv[1])
seconds = time.perf_counter() - start
arrays = sum(a.nbytes for a in (ds.x_train, ds.x_test, ds.y_train, ds.y_test))
print(json.dumps({"seconds": seconds, "arrays": arrays, "base_kib": base,
                  "rows": ds.n_train + ds.n_test, "inputs": ds.n_inputs, "classes": ds.n_classes}))
"""

CLASSES = ("setosa", "versicolor", "virginica")


def write_csv(path: Path, megabytes: float, features: int, seed: int = 0) -> int:
    """Write about ``megabytes`` MB (10**6 bytes) of CSV to ``path``; return its size in bytes."""
    rng = np.random.default_rng(seed)
    target = int(megabytes * 1_000_000)
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        header = ",".join(f"f{j + 1}" for j in range(features)) + ",species\n"
        fh.write(header)
        written += len(header)
        while written < target:
            values = rng.normal(5.0, 2.0, size=(20_000, features))
            labels = rng.integers(0, len(CLASSES), size=20_000)
            lines = [",".join(f"{v:.4f}" for v in row) + "," + CLASSES[c] + "\n"
                     for row, c in zip(values.tolist(), labels.tolist())]
            block = "".join(lines)
            if written + len(block) > target:
                keep, size = [], written
                for line in lines:
                    if size >= target:
                        break
                    keep.append(line)
                    size += len(line)
                block = "".join(keep)
            fh.write(block)
            written += len(block)
    return os.path.getsize(path)


def load_in_child(path: Path) -> tuple[dict, int]:
    """Load ``path`` in a fresh interpreter: (its report, its peak RSS in bytes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"the child failed ({out.returncode}):\n{out.stderr}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib <= before:
        print("note: ru_maxrss of children did not grow past an earlier child's; figure is a bound")
    return json.loads(out.stdout.strip().splitlines()[-1]), peak_kib * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="file size in MB (default 200)")
    parser.add_argument("--features", type=int, default=4, help="numeric columns (default 4)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the CSV into this folder and keep it (default: a temp folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench_{args.mb:g}mb_{args.features}f.csv"
        if not path.exists():
            start = time.perf_counter()
            write_csv(path, args.mb, args.features)
            print(f"wrote {path.name} in {time.perf_counter() - start:.1f} s")
        size = path.stat().st_size
        report, peak = load_in_child(path)

    mib = 1 << 20
    base = report["base_kib"] * 1024
    print(f"file      {size / mib:9.1f} MiB  ({report['rows']:,} rows, {report['inputs']} inputs, "
          f"{report['classes']} classes)")
    print(f"arrays    {report['arrays'] / mib:9.1f} MiB  (x_train, x_test, y_train, y_test)")
    print(f"load      {report['seconds']:9.2f} s    ({size / mib / report['seconds']:.1f} MiB/s)")
    print(f"peak RSS  {peak / mib:9.1f} MiB  = {peak / size:.2f} x the file, "
          f"{peak / report['arrays']:.2f} x the arrays")
    print(f"  of which the interpreter and imports before the load: {base / mib:.1f} MiB; "
          f"above that {(peak - base) / size:.2f} x the file")
    return 0


if __name__ == "__main__":
    sys.exit(main())

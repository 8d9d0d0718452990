"""How well the stability readouts warn: runs that start stable and then have their lr raised.

Prints its figures; asserts nothing (a corpus, not a timed test). Each run trains Iris or a
built-in synthetic set for ``--before`` epochs at a small learning rate (the rule's steady step
``lr * gain`` at 0.05: stable everywhere here), then has its lr multiplied by a factor from 2 to
512 and trains ``--after`` epochs more. Over rules, momenta, factors, data sets and seeds.

Judged by the loss afterwards (the criterion, apart from either readout): a run is *unstable*
when it diverged (weights past the limit, or a loss not finite), or when the median training
loss of its last ten epochs is above 1.5 times the loss at the change and above a tenth of the
initial loss (a run near zero loss that wobbles is not counted); else *stable*.

The readouts, both at the change (the new lr, the weights as they are: before the loss can show
anything):
    new  r = lr * gain * BS / 2 (engine.stability_value; BS the batch sharpness of every
         training item): warned when r > 1 (red); also counted, warned at r > 0.5 (amber);
    old  lr * lambda against the rule's full-batch quadratic bound (lambda the largest
         curvature of the mean loss, by ARPACK): warned when above the bound.
And the history's stability column after the change (latched: its largest value over the
``--after`` epochs, with the loss-trend takeover), against the old readout at the run's end.

hit rate = warned | unstable, false alarms = warned | stable.

    python benchmarks/stability_corpus.py [--seeds N] [--before E] [--after E]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time

import numpy as np

from momentum_lab.engine import (RULES, Trainer, activation_code, batch_sharpness, largest_curvature, load_dataset,
                                 loss_code, stability_bound, stability_value, step_gain)

DATASETS = ("iris", "xor", "circles", "spirals", "blobs")
MOMENTA = (0.0, 0.5, 0.9, 0.99)
FACTORS = (2, 8, 32, 128, 512)
HIDDEN = (4, 10)
# The base learning rate: the rule's steady step lr * gain this large.
BASE_STEP = 0.05


def readouts(t: Trainer, lr: float) -> tuple[float, float]:
    """(new r, old lr * lambda / bound) for ``t``'s weights at learning rate ``lr``."""
    d, ly = t.dataset, t.layout
    act, loss = activation_code(t.activation), loss_code(t.loss)
    if not np.all(np.isfinite(t.params)):
        return math.nan, math.nan
    bs = batch_sharpness(t.params, ly, act, loss, d.x_train, d.y_train)
    lam = largest_curvature(t.params, ly, act, loss, d.x_train, d.y_train, iterations=20)
    return stability_value(t.rule, lr, t.momentum, bs), lr * lam / stability_bound(t.rule, t.momentum)


def one_run(data, rule: str, m: float, factor: float, hidden: int, seed: int, before: int, after: int) -> dict:
    lr0 = BASE_STEP / step_gain(rule, m)
    t = Trainer(data, rule=rule, lr=lr0, momentum=m, hidden=hidden, seed=seed)
    first = t.evaluate()[0]
    t.run(before * data.n_train)
    at_change = t.evaluate()[0]
    lr1 = lr0 * factor
    new, old = readouts(t, lr1)
    t.lr = lr1
    report = t.run(after * data.n_train)
    losses = report.rows[:, 1]
    column = report.rows[:, 7]
    if report.divergence is not None or not np.all(np.isfinite(losses)):
        unstable = True
    else:
        tail = float(np.median(losses[-10:]))
        unstable = tail > 1.5 * at_change and tail > 0.1 * first
    _, old_end = readouts(t, lr1) if report.divergence is None else (math.nan, math.nan)
    latched = float(np.nanmax(column)) if np.isfinite(column).any() else math.inf
    if report.divergence is not None:
        latched = max(latched, math.inf if not len(column) else latched)
    return {"unstable": unstable, "new": new, "old": old, "latched": latched, "old_end": old_end,
            "diverged": report.divergence is not None}


def rates(runs: list[dict], key: str, threshold: float) -> tuple[float, float]:
    """(hit rate, false-alarm rate) of ``key > threshold`` (NaN: not warned)."""
    warned = np.array([r[key] > threshold for r in runs])
    unstable = np.array([r["unstable"] for r in runs])
    hit = warned[unstable].mean() if unstable.any() else math.nan
    false = warned[~unstable].mean() if (~unstable).any() else math.nan
    return float(hit), float(false)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="seeds per setting (default 2)")
    parser.add_argument("--before", type=int, default=15, help="epochs before the change (default 15)")
    parser.add_argument("--after", type=int, default=30, help="epochs after it (default 30)")
    args = parser.parse_args()
    began = time.perf_counter()
    runs: list[dict] = []
    for name in DATASETS:
        data = load_dataset(name)
        for rule, m, factor, hidden, seed in itertools.product(RULES, MOMENTA, FACTORS, HIDDEN, range(args.seeds)):
            if rule != "lookback" and m == 0.0:
                continue  # plain SGD: once, as look-back at m = 0
            run = one_run(data, rule, m, factor, hidden, seed, args.before, args.after)
            run.update(dataset=name, rule=rule, momentum=m)
            runs.append(run)
    n_unstable = sum(r["unstable"] for r in runs)
    print(f"{len(runs)} runs ({n_unstable} unstable, {sum(r['diverged'] for r in runs)} of them diverged) "
          f"in {time.perf_counter() - began:.0f} s")
    print(f"{'readout':58s} {'hit rate':>9s} {'false alarms':>13s}")
    for label, key, threshold in (
            ("new r at the change, red (r > 1)", "new", 1.0),
            ("new r at the change, amber or red (r > 0.5)", "new", 0.5),
            ("old lr*lambda at the change, above the quadratic bound", "old", 1.0),
            ("history column after the change, latched, red", "latched", 1.0),
            ("old lr*lambda at the run's end, above the bound", "old_end", 1.0)):
        hit, false = rates(runs, key, threshold)
        print(f"{label:58s} {hit:9.0%} {false:13.0%}")
    print("by rule (new r > 1 at the change / old above the bound): hit rate, false alarms")
    for rule in RULES:
        part = [r for r in runs if r["rule"] == rule]
        (h1, f1), (h2, f2) = rates(part, "new", 1.0), rates(part, "old", 1.0)
        print(f"  {rule:10s} new {h1:4.0%} {f1:4.0%}   old {h2:4.0%} {f2:4.0%}   "
              f"({sum(r['unstable'] for r in part)} of {len(part)} unstable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

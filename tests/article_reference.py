"""The article's own program, re-done from its facts (/work/shared/reference/article-program.md)
in plain Python floats: an oracle for ``momentum-lab train --preset article``.

Written from that description alone, not from the engine: lists, ``math.tanh``, one
``random.Random(seed)`` for the weights and then every epoch's in-place shuffle, the update
``delta = lr * signal; w += delta; w += momentum * prev_delta``. Its data are the program's own
files as it reads them (tests/data/article-iris-*.txt: four measurements, then one-hot columns).
"""

from __future__ import annotations

import math
import random
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
N_IN, N_HIDDEN, N_OUT = 4, 5, 3


def read(part: str) -> list[tuple[list[float], list[float]]]:
    """The rows of article-iris-<part>.txt: (inputs, one-hot target)."""
    rows = []
    for line in (DATA / f"article-iris-{part}.txt").read_text().splitlines():
        if line.strip():
            values = [float(v) for v in line.split(",")]
            rows.append((values[:N_IN], values[N_IN:]))
    return rows


class Network:
    """ih[i][j], hb[j], ho[j][k], ob[k], and the previous deltas of each (the look-back rule)."""

    def __init__(self, rnd: random.Random, lo: float = -0.01, hi: float = 0.01) -> None:
        def draw() -> float:
            return lo + (hi - lo) * rnd.random()

        # The drawing order: ih row by row, hidden biases, ho row by row, output biases.
        self.ih = [[draw() for _ in range(N_HIDDEN)] for _ in range(N_IN)]
        self.hb = [draw() for _ in range(N_HIDDEN)]
        self.ho = [[draw() for _ in range(N_OUT)] for _ in range(N_HIDDEN)]
        self.ob = [draw() for _ in range(N_OUT)]
        self.prev_ih = [[0.0] * N_HIDDEN for _ in range(N_IN)]
        self.prev_hb = [0.0] * N_HIDDEN
        self.prev_ho = [[0.0] * N_OUT for _ in range(N_HIDDEN)]
        self.prev_ob = [0.0] * N_OUT

    def flat(self) -> list[float]:
        return ([w for row in self.ih for w in row] + list(self.hb) + [w for row in self.ho for w in row]
                + list(self.ob))

    def forward(self, x: list[float]) -> tuple[list[float], list[float]]:
        h = [math.tanh(sum(x[i] * self.ih[i][j] for i in range(N_IN)) + self.hb[j]) for j in range(N_HIDDEN)]
        z = [sum(h[j] * self.ho[j][k] for j in range(N_HIDDEN)) + self.ob[k] for k in range(N_OUT)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return h, [v / total for v in e]

    def signals(self, x: list[float], t: list[float]) -> dict[str, list]:
        """Every parameter's signal at the current weights (ascent form: lr * signal is added)."""
        h, y = self.forward(x)
        s = [(1 - y[k]) * y[k] * (t[k] - y[k]) for k in range(N_OUT)]
        hidden = [(1 - h[j]) * (1 + h[j]) * sum(s[k] * self.ho[j][k] for k in range(N_OUT)) for j in range(N_HIDDEN)]
        return {"ih": [[hidden[j] * x[i] for j in range(N_HIDDEN)] for i in range(N_IN)], "hb": hidden,
                "ho": [[s[k] * h[j] for k in range(N_OUT)] for j in range(N_HIDDEN)], "ob": s}

    def update(self, x: list[float], t: list[float], lr: float, momentum: float) -> None:
        g = self.signals(x, t)

        def step(w: float, prev: float, signal: float) -> tuple[float, float]:
            delta = lr * signal
            w += delta
            w += momentum * prev
            return w, delta

        for i in range(N_IN):
            for j in range(N_HIDDEN):
                self.ih[i][j], self.prev_ih[i][j] = step(self.ih[i][j], self.prev_ih[i][j], g["ih"][i][j])
        for j in range(N_HIDDEN):
            self.hb[j], self.prev_hb[j] = step(self.hb[j], self.prev_hb[j], g["hb"][j])
            for k in range(N_OUT):
                self.ho[j][k], self.prev_ho[j][k] = step(self.ho[j][k], self.prev_ho[j][k], g["ho"][j][k])
        for k in range(N_OUT):
            self.ob[k], self.prev_ob[k] = step(self.ob[k], self.prev_ob[k], g["ob"][k])

    def error(self, rows) -> float:
        """The program's "mean squared error": sum over outputs of (t - y)**2, mean over items."""
        total = 0.0
        for x, t in rows:
            y = self.forward(x)[1]
            total += sum((t[k] - y[k]) ** 2 for k in range(N_OUT))
        return total / len(rows)

    def accuracy(self, rows) -> float:
        right = 0
        for x, t in rows:
            y = self.forward(x)[1]
            right += y.index(max(y)) == t.index(max(t))
        return right / len(rows)


@cache
def run(momentum: float, epochs: int = 50, lr: float = 0.05, seed: int = 3) -> tuple[tuple[float, float, float], ...]:
    """(error, train accuracy, test accuracy) after each epoch of the program's run."""
    train, test = read("train"), read("test")
    rnd = random.Random(seed)
    net = Network(rnd)
    indices = list(range(len(train)))
    out = []
    for _ in range(epochs):
        rnd.shuffle(indices)  # the same list, shuffled again in place
        for i in indices:
            net.update(*train[i], lr, momentum)
        out.append((net.error(train), net.accuracy(train), net.accuracy(test)))
    return tuple(out)


def initial_weights(seed: int = 3) -> list[float]:
    return Network(random.Random(seed)).flat()

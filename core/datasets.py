"""Small datasets for examples, in plain Python (no NumPy, no scikit-learn).

``make_moons`` follows scikit-learn's ``sklearn.datasets.make_moons`` step by step (two half
circles from ``linspace(0, pi)``, shuffled, then Gaussian noise on every coordinate), so that
micrograd's demo can be reproduced without its dependencies. The random numbers come from Python's
``random`` module rather than NumPy's generator, so the points are the same *kind* of points, not
bit-for-bit sklearn's.
"""

from __future__ import annotations

import math
import random


def linspace(start: float, stop: float, count: int) -> list[float]:
    """``count`` evenly spaced numbers from ``start`` to ``stop`` inclusive, as ``numpy.linspace``.

    NumPy computes ``start + i * step`` and then pins the last element to ``stop``; doing the same
    keeps the floats identical to NumPy's.
    """
    if count <= 0:
        return []
    if count == 1:
        return [float(start)]
    step = (stop - start) / (count - 1)
    points = [start + i * step for i in range(count)]
    points[-1] = float(stop)
    return points


def make_moons(
    n_samples: int = 100,
    noise: float | None = None,
    *,
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> tuple[list[tuple[float, float]], list[int]]:
    """Two interleaving half circles: points ``X`` (pairs) and their classes ``y`` (0 or 1).

    The outer moon gets ``n_samples // 2`` points and class 0, the inner moon the rest and class 1.
    ``rng`` defaults to the ``random`` module's global generator, which is what a seeded script
    (``random.seed(1337)``) expects.
    """
    shuffle_in_place = rng.shuffle if rng is not None else random.shuffle
    gauss = rng.gauss if rng is not None else random.gauss
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = linspace(0.0, math.pi, n_out)
    inner = linspace(0.0, math.pi, n_in)
    xs = [math.cos(t) for t in outer] + [1.0 - math.cos(t) for t in inner]
    ys = [math.sin(t) for t in outer] + [1.0 - math.sin(t) - 0.5 for t in inner]
    labels = [0] * n_out + [1] * n_in
    order = list(range(n_samples))
    if shuffle:
        shuffle_in_place(order)
    points: list[tuple[float, float]] = []
    for i in order:
        x, y = xs[i], ys[i]
        if noise is not None:
            x += gauss(0.0, noise)
            y += gauss(0.0, noise)
        points.append((x, y))
    return points, [labels[i] for i in order]

"""Paired sign-flip (permutation) test over test speakers: is row A's metric different from row B's?

Under "no difference", which of the two rows produced a speaker's predictions is exchangeable, so
swapping A's and B's predictions for any set of speakers gives an equally likely statistic. The
statistic is the pooled metric difference ``metric(A) - metric(B)`` (per seed, averaged over seeds, as
the board reports it). With up to :data:`EXACT_MAX_SUBJECTS` speakers every one of the ``2^n`` swaps is
enumerated and the p-value is exact (never below ``2^(1-n)``: at two speakers it is at least 0.5);
beyond, :data:`PERMUTATIONS` random swaps estimate it, and the estimate's Monte-Carlo standard error
is reported with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .bootstrap import metric_from_confusions

#: Up to this many test speakers the 2^n sign flips are enumerated (2^19 distinct statistics at 20).
EXACT_MAX_SUBJECTS = 20
#: Random sign flips beyond EXACT_MAX_SUBJECTS: a p-value near 0.05 then has a Monte-Carlo SE of about 0.002.
PERMUTATIONS = 10_000
#: Metrics that are sums of per-speaker parts on fixed test clips (the true-class counts never change
#: under a swap), so the statistic of any swap follows from the swaps of single speakers.
LINEAR_METRICS = frozenset({"accuracy", "uar"})
_CHUNK = 1 << 15
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class SignFlipTest:
    """The two-sided p-value of a paired sign-flip test and how it was obtained."""

    p_value: float
    exact: bool
    flips: int          # swaps enumerated (exact) or drawn (Monte-Carlo)
    subjects: int
    floor: float        # the smallest p-value this test can give
    mc_error: float | None = None  # Monte-Carlo standard error of p (None when exact)

    @property
    def at_floor(self) -> bool:
        return self.p_value <= self.floor * (1 + 1e-9)

    def text(self) -> str:
        """``p=0.031 (exact)``, ``p=0.043 ± 0.002``, or at the Monte-Carlo floor ``p < 0.0003``."""
        if self.exact:
            return f"p={_fmt(self.p_value)} (exact)"
        if self.at_floor:
            return f"p < {_fmt(upper_bound_at_floor(self.flips))}"
        return f"p={_fmt(self.p_value)} ± {_fmt(self.mc_error or 0.0)}"

    def method(self) -> str:
        if self.exact:
            return f"exact sign-flip test over {self.subjects} test speakers (all {2 ** self.subjects} swaps)"
        return (f"Monte-Carlo sign-flip test over {self.subjects} test speakers ({self.flips} random swaps; "
                f"± is the Monte-Carlo SE)")


def upper_bound_at_floor(flips: int) -> float:
    """When no random swap is as extreme as the observed one: the 95% upper bound on p (rule of three), rounded up."""
    bound = 3 / flips
    digits = -math.floor(math.log10(bound))
    return math.ceil(bound * 10 ** digits) / 10 ** digits


def _fmt(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.3f}"


def paired_seeds(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seed i of A with seed i of B; rows with different seed counts are compared on their mean confusions
    (exact for accuracy and UAR, whose seed mean is the metric of the mean confusion on fixed test clips)."""
    if len(a) == len(b):
        return list(zip(a, b))
    return [(np.mean(a, axis=0), np.mean(b, axis=0))]


def swapped_statistic(pairs: Sequence[tuple[np.ndarray, np.ndarray]], swaps: np.ndarray, metric: str) -> np.ndarray:
    """``metric(A') - metric(B')`` averaged over seed pairs, for each row of ``swaps`` ([flip, subject], 1 = swap)."""
    out = np.zeros(swaps.shape[0])
    for a, b in pairs:
        subjects, k, _ = a.shape
        delta = (b - a).reshape(subjects, k * k)
        moved = (swaps @ delta).reshape(-1, k, k)
        out += metric_from_confusions(a.sum(axis=0) + moved, metric) - metric_from_confusions(b.sum(axis=0) - moved,
                                                                                              metric)
    return out / len(pairs)


def _statistics(pairs, swaps: np.ndarray, metric: str, observed: float, unit: np.ndarray | None) -> np.ndarray:
    if unit is not None:  # linear: the statistic of a set of swaps is the sum of the single swaps' changes
        return observed + swaps @ unit
    return swapped_statistic(pairs, swaps, metric)


def sign_flip_test(a: Sequence[np.ndarray], b: Sequence[np.ndarray], metric: str,
                   rng: np.random.Generator | None = None, permutations: int = PERMUTATIONS,
                   exact_max: int = EXACT_MAX_SUBJECTS) -> SignFlipTest:
    """Two-sided paired sign-flip test of ``metric(a) - metric(b)``; ``a``, ``b``: per seed ``[subject, true, pred]``.

    Only speakers with test clips count. Exact up to ``exact_max`` speakers; beyond, ``permutations``
    random swaps drawn from ``rng`` (``p = (hits + 1) / (permutations + 1)``).
    """
    pairs = paired_seeds(a, b)
    present = np.flatnonzero(sum(x.sum(axis=(1, 2)) for pair in pairs for x in pair) > 0)
    pairs = [(x[present], y[present]) for x, y in pairs]
    n = present.size
    if n == 0:
        return SignFlipTest(1.0, True, 1, 0, 1.0)
    observed = float(swapped_statistic(pairs, np.zeros((1, n)), metric)[0])
    unit = None
    if metric in LINEAR_METRICS:
        unit = swapped_statistic(pairs, np.eye(n), metric) - observed
    threshold = abs(observed) - _TOLERANCE
    if n <= exact_max:
        half = 1 << (n - 1)  # swapping every speaker negates the statistic: enumerate with the last speaker fixed
        hits = 0
        bits = np.arange(n - 1, dtype=np.int64)
        for start in range(0, half, _CHUNK):
            codes = np.arange(start, min(half, start + _CHUNK), dtype=np.int64)
            swaps = np.zeros((codes.size, n))
            swaps[:, : n - 1] = (codes[:, None] >> bits) & 1
            hits += int(np.sum(np.abs(_statistics(pairs, swaps, metric, observed, unit)) >= threshold))
        return SignFlipTest(hits / half, True, 2 ** n, n, 1 / half)
    rng = rng if rng is not None else np.random.default_rng(0)
    hits = 0
    for start in range(0, permutations, _CHUNK):
        swaps = rng.integers(0, 2, size=(min(permutations, start + _CHUNK) - start, n)).astype(np.float64)
        hits += int(np.sum(np.abs(_statistics(pairs, swaps, metric, observed, unit)) >= threshold))
    p = (hits + 1) / (permutations + 1)
    return SignFlipTest(p, False, permutations, n, 1 / (permutations + 1), math.sqrt(p * (1 - p) / permutations))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given): family-wise error held at the level chosen."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted

"""The speaker bootstrap: intervals that cover and shrink with speakers; paired tests that find real differences only."""

from __future__ import annotations

import time

import numpy as np
import pytest

from avbench.metrics.bootstrap import (
    group_rng, metric_from_confusions, paired_difference, percentile_interval, point_estimate, resample_counts,
    resampled_metric, subject_confusions,
)
from avbench.metrics.classification import METRICS

K = 4


def speakers(rng: np.random.Generator, n_subjects: int, clips: int = 16, accuracy: float = 0.6,
             spread: float = 0.15, truth: tuple | None = None):
    """Clips of ``n_subjects`` speakers whose own accuracy varies around ``accuracy`` (clips of a speaker correlate)."""
    subject = np.repeat(np.arange(n_subjects), clips)
    y = rng.integers(0, K, subject.size) if truth is None else truth[1]
    own = np.clip(accuracy + rng.normal(0, spread, n_subjects), 0.05, 0.95)
    correct = rng.random(subject.size) < own[subject]
    wrong = (y + rng.integers(1, K, subject.size)) % K
    return subject, y, np.where(correct, y, wrong)


def confusions(subject, y, p, n_subjects):
    return [subject_confusions(subject, y, p, n_subjects, K)]


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("metric", ["accuracy", "uar", "macro_f1"])
def test_metrics_from_confusion_counts_equal_scikit_learn(metric):
    rng = np.random.default_rng(1)
    for _ in range(20):
        y = rng.integers(0, K - 1, 30)  # one class never true, sometimes predicted (as scikit-learn warns)
        p = rng.integers(0, K, 30)
        counts = subject_confusions(np.zeros(30, dtype=int), y, p, 1, K).sum(axis=0)
        assert metric_from_confusions(counts, metric) == pytest.approx(METRICS[metric](y, p, K))


def test_the_interval_covers_the_true_accuracy_in_about_95_of_100_samples():
    rng = np.random.default_rng(7)
    covered = 0
    for trial in range(100):
        subject, y, p = speakers(rng, 20, accuracy=0.6)
        weights = resample_counts(20, 400, group_rng(0, f"trial {trial}"))
        low, high = percentile_interval(resampled_metric(confusions(subject, y, p, 20), weights, "accuracy"))
        covered += low <= 0.6 <= high
    assert covered >= 85, covered  # percentile bootstrap with 20 clusters: a little under 95


def test_the_interval_shrinks_as_speakers_are_added():
    rng = np.random.default_rng(3)
    widths = {}
    for n in (6, 24, 96):
        subject, y, p = speakers(rng, n)
        weights = resample_counts(n, 1000, group_rng(0, "widths"))
        low, high = percentile_interval(resampled_metric(confusions(subject, y, p, n), weights, "accuracy"))
        widths[n] = high - low
    assert widths[96] < 0.7 * widths[24] < 0.7 * 0.7 * widths[6], widths


def test_the_paired_test_finds_a_planted_20_point_difference():
    rng = np.random.default_rng(11)
    subject, y, good = speakers(rng, 24, accuracy=0.7)
    _, _, bad = speakers(rng, 24, accuracy=0.5, truth=(subject, y))
    weights = resample_counts(24, 1000, group_rng(0, "planted"))
    diff = paired_difference(confusions(subject, y, good, 24), confusions(subject, y, bad, 24), weights, "accuracy")
    assert diff.difference == pytest.approx(0.2, abs=0.06)
    assert diff.low > 0 and diff.p_value < 0.01


def test_the_paired_test_finds_no_difference_between_two_draws_of_one_system():
    rng = np.random.default_rng(6)
    p_values = []
    for trial in range(100):
        subject, y, a = speakers(rng, 24, accuracy=0.6, spread=0.0)
        _, _, b = speakers(rng, 24, accuracy=0.6, spread=0.0, truth=(subject, y))
        weights = resample_counts(24, 500, group_rng(0, f"null {trial}"))
        p_values.append(paired_difference(confusions(subject, y, a, 24), confusions(subject, y, b, 24), weights,
                                          "accuracy").p_value)
    assert p_values[0] >= 0.05
    assert np.median(p_values) > 0.3
    assert np.mean(np.array(p_values) < 0.05) <= 0.12  # false alarms near the 5% level, not a habit


def test_identical_predictions_are_tied_with_p_1():
    rng = np.random.default_rng(2)
    subject, y, p = speakers(rng, 10)
    weights = resample_counts(10, 200, group_rng(0, "same"))
    diff = paired_difference(confusions(subject, y, p, 10), confusions(subject, y, p, 10), weights, "uar")
    assert diff.difference == 0 and diff.p_value == 1.0


def test_seeds_are_scored_separately_and_averaged_never_pooled():
    rng = np.random.default_rng(4)
    subject, y, p0 = speakers(rng, 12, accuracy=0.8)
    _, _, p1 = speakers(rng, 12, accuracy=0.4, truth=(subject, y))
    seeds = confusions(subject, y, p0, 12) + confusions(subject, y, p1, 12)
    # UAR of the mean of two seeds is not the UAR of their clips pooled: check it is the former
    expected = np.mean([METRICS["uar"](y, p, K) for p in (p0, p1)])
    assert point_estimate(seeds, "uar") == pytest.approx(expected)
    ones = np.ones((1, 12))
    assert resampled_metric(seeds, ones, "uar")[0] == pytest.approx(expected)
    assert point_estimate(confusions(subject, y, p0, 12) * 2, "accuracy") == point_estimate(
        confusions(subject, y, p0, 12), "accuracy")


def test_a_group_draws_the_same_subjects_for_every_row_and_each_resample_draws_all_of_them():
    a = resample_counts(24, 50, group_rng(0, "ravdess/loso"))
    assert np.array_equal(a, resample_counts(24, 50, group_rng(0, "ravdess/loso")))
    assert not np.array_equal(a, resample_counts(24, 50, group_rng(0, "ravdess/holdout")))
    assert (a.sum(axis=1) == 24).all()


def test_1000_resamples_of_50_rows_take_seconds_not_minutes():
    rng = np.random.default_rng(0)
    n = 24
    weights = resample_counts(n, 1000, group_rng(0, "speed"))
    rows = []
    for _ in range(50):
        subject, y, p = speakers(rng, n, clips=60)
        rows.append([subject_confusions(subject, y, p, n, K) for _ in range(3)])  # three seeds
    start = time.perf_counter()
    for row in rows:
        for metric in ("accuracy", "uar", "macro_f1"):
            percentile_interval(resampled_metric(row, weights, metric))
    assert time.perf_counter() - start < 5

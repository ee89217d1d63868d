"""Comparisons that fit the sample: exact sign-flip p over few speakers, Holm-corrected ties, rank intervals,
no p-value below the minimum of test speakers, and no degenerate row named best. Predictions are constructed."""

from __future__ import annotations

import itertools
import json
from math import comb

import numpy as np
import polars as pl
import pytest

from avbench.leaderboard.breakdowns import breakdown_fields, breakdown_text
from avbench.leaderboard.markdown import metric_cell, rank_cell, versus_best_cell
from avbench.leaderboard.tables import RowPredictions
from avbench.leaderboard.uncertainty import MIN_TEST_SPEAKERS, TIE_LEVEL, TOO_FEW, annotate_groups
from avbench.metrics.bootstrap import metric_from_confusions, subject_confusions
from avbench.metrics.signflip import holm, sign_flip_test, upper_bound_at_floor

K = 4
CLIPS = 8  # per speaker: two of each class


def labels(n_speakers: int) -> tuple[np.ndarray, np.ndarray]:
    subject = np.repeat(np.arange(n_speakers), CLIPS)
    return subject, np.tile(np.arange(K).repeat(CLIPS // K), n_speakers)


def predictions_with(wrong_per_speaker: list[int]) -> np.ndarray:
    """Predictions with ``wrong_per_speaker[s]`` of speaker s's clips wrong (the first ones, into the next class)."""
    subject, y = labels(len(wrong_per_speaker))
    p = y.copy()
    for s, wrong in enumerate(wrong_per_speaker):
        idx = np.flatnonzero(subject == s)[:wrong]
        p[idx] = (y[idx] + 1) % K
    return p


def frame(predicted: np.ndarray, gender: str | None = "female", fold: str = "f") -> pl.DataFrame:
    subject, y = labels(predicted.size // CLIPS)
    return pl.DataFrame({"clip_id": [f"c{i}" for i in range(y.size)], "subject": [f"s{s:02d}" for s in subject],
                         "label_index": y, "predicted_index": predicted, "gender": [gender] * y.size,
                         "corpus": [None] * y.size, "fold": [fold] * y.size},
                        schema_overrides={"gender": pl.String, "corpus": pl.String})


def row(name: str, predicted: np.ndarray, **extra) -> dict:
    _, y = labels(predicted.size // CLIPS)
    return {"experiment": name, "protocol": "p", "dataset": "d", "classes": ["a", "b", "c", "d"], "status": "ok",
            "stale": False, "accuracy_pooled": float(np.mean(predicted == y)), **extra}


def annotate(rows_and_predictions: list[tuple[dict, np.ndarray]], resamples: int = 500) -> dict[str, dict]:
    rows = [r for r, _ in rows_and_predictions]
    preds = {(r["experiment"], "p"): RowPredictions(K, {0: frame(p)}) for r, p in rows_and_predictions}
    annotate_groups(rows, preds, ["accuracy", "uar"], resamples)
    return {r["experiment"]: r for r in rows}


def test_two_speakers_favouring_one_row_give_no_p_value_no_tie_and_a_range_over_speakers():
    best, other = predictions_with([1, 2]), predictions_with([2, 3])  # best wins on both speakers by one clip
    rows = annotate([(row("best", best), best), (row("other", other), other)])
    assert 2 < MIN_TEST_SPEAKERS
    assert rows["other"]["vs_best_p"] is None and rows["other"]["tied_with_best"] is None
    assert rows["other"]["rank_low"] is None and rows["best"]["too_few_speakers"]
    assert versus_best_cell(rows["other"]) == f"Δ -12.5; {TOO_FEW}"
    assert TOO_FEW in versus_best_cell(rows["best"]) and "**best**" not in versus_best_cell(rows["best"])
    # the interval is the range of the two speakers' accuracies (7/8 and 6/8), not a bootstrap percentile
    assert metric_cell(rows["best"], "accuracy") == "81.2 (speakers 75.0–87.5)"


def test_a_known_effect_over_12_speakers_gives_the_exact_sign_flip_p():
    n = 12  # ten speakers favour A by one clip, two favour B by one clip
    b_wrong = [2] * n
    a_wrong = [1] * 10 + [3] * 2
    subject, y = labels(n)
    a = [subject_confusions(subject, y, predictions_with(a_wrong), n, K)]
    b = [subject_confusions(subject, y, predictions_with(b_wrong), n, K)]
    test = sign_flip_test(a, b, "accuracy")
    # |sum of 12 random signs| >= 8 when ten or more (or two or fewer) are +: 2 * (C(12,10)+C(12,11)+C(12,12)) / 2^12
    assert test.exact and test.p_value == pytest.approx(2 * (comb(12, 10) + comb(12, 11) + 1) / 2 ** 12)
    assert test.text() == "p=0.039 (exact)"


@pytest.mark.parametrize("metric", ["accuracy", "uar", "macro_f1"])
def test_the_exact_test_equals_brute_force_enumeration_of_every_swap(metric):
    rng = np.random.default_rng(5)
    n = 7
    subject, y = labels(n)
    pa, pb = (np.where(rng.random(y.size) < q, y, rng.integers(0, K, y.size)) for q in (0.8, 0.6))
    a, b = [subject_confusions(subject, y, pa, n, K)], [subject_confusions(subject, y, pb, n, K)]

    def statistic(swap):
        ma, mb = pa.copy(), pb.copy()
        for s in np.flatnonzero(swap):
            idx = subject == s
            ma[idx], mb[idx] = pb[idx], pa[idx]
        return (metric_from_confusions(subject_confusions(subject, y, ma, n, K).sum(0), metric)
                - metric_from_confusions(subject_confusions(subject, y, mb, n, K).sum(0), metric))

    observed = abs(statistic(np.zeros(n)))
    brute = np.mean([abs(statistic(np.array(s))) >= observed - 1e-12 for s in itertools.product([0, 1], repeat=n)])
    assert sign_flip_test(a, b, metric).p_value == pytest.approx(brute)


def test_two_speakers_can_never_give_an_exact_p_below_one_half():
    subject, y = labels(2)
    a = [subject_confusions(subject, y, predictions_with([0, 0]), 2, K)]
    b = [subject_confusions(subject, y, predictions_with([8, 8]), 2, K)]
    assert sign_flip_test(a, b, "accuracy").p_value == 0.5


def test_beyond_20_speakers_the_p_is_monte_carlo_with_its_error_and_its_floor_prints_as_less_than():
    n = 24
    subject, y = labels(n)
    even = [subject_confusions(subject, y, predictions_with([2] * n), n, K)]
    clear = sign_flip_test([subject_confusions(subject, y, predictions_with([0] * n), n, K)], even, "accuracy",
                           np.random.default_rng(0))
    assert not clear.exact and clear.at_floor and clear.p_value == pytest.approx(1 / 10_001)
    assert clear.text() == f"p < {upper_bound_at_floor(10_000)}" == "p < 0.0003"
    mixed = sign_flip_test([subject_confusions(subject, y, predictions_with([1] * 15 + [3] * 9), n, K)], even,
                           "accuracy", np.random.default_rng(0))
    assert not mixed.exact and 0.1 < mixed.p_value < 0.5 and mixed.mc_error == pytest.approx(
        (mixed.p_value * (1 - mixed.p_value) / 10_000) ** 0.5)
    assert "±" in mixed.text()


def test_holm_turns_uncorrected_differences_into_ties_where_it_should():
    assert holm([0.0156, 0.0313, 0.0313]) == pytest.approx([0.0468, 0.0626, 0.0626])
    n = 12  # best wrong on 1 clip per speaker; others one clip worse on 7, 6 and 6 of the 12 speakers
    best = predictions_with([1] * n)
    others = {name: predictions_with([2] * k + [1] * (n - k)) for name, k in (("x", 7), ("y", 6), ("z", 6))}
    rows = annotate([(row("best", best), best)] + [(row(name, p), p) for name, p in others.items()])
    assert rows["best"]["is_best"]
    raw = {name: rows[name]["vs_best_p"] for name in others}
    assert raw == pytest.approx({"x": 2 / 2 ** 7, "y": 2 / 2 ** 6, "z": 2 / 2 ** 6})
    assert all(p < TIE_LEVEL for p in raw.values())  # uncorrected, every one would be "different"
    assert not rows["x"]["tied_with_best"] and rows["y"]["tied_with_best"] and rows["z"]["tied_with_best"]
    assert rows["y"]["vs_best_holm_p"] == pytest.approx(2 * 2 / 2 ** 6)
    assert "Holm p=0.062" in versus_best_cell(rows["y"]) and versus_best_cell(rows["y"]).startswith("tied (")


def test_rank_intervals_of_a_clearly_ordered_set_do_not_overlap():
    n = 24
    rows = annotate([(row(name, p), p) for name, p in
                     (("good", predictions_with([1] * n)), ("middle", predictions_with([3] * n)),
                      ("weak", predictions_with([5] * n)))])
    assert [(rows[n]["rank_low"], rows[n]["rank_high"]) for n in ("good", "middle", "weak")] == [(1, 1), (2, 2), (3, 3)]
    assert rank_cell(rows["middle"]) == "2"


def test_rank_intervals_of_close_rows_overlap():
    a, b = predictions_with([1, 3] * 12), predictions_with([3, 1] * 12)  # equal overall, each better on half
    rows = annotate([(row("a", a), a), (row("b", b), b)])
    assert rows["a"]["rank_low"] == rows["b"]["rank_low"] == 1 and rows["a"]["rank_high"] == rows["b"]["rank_high"] == 2
    assert rank_cell(rows["a"]) == "1–2"


def test_a_row_collapsed_to_one_class_is_never_named_best_even_when_its_accuracy_is_highest():
    n = 12
    subject, y = labels(n)
    y_major = np.where(np.arange(y.size) % 8 < 7, 0, y)  # seven of eight clips of class 0
    collapsed = np.zeros(y.size, dtype=int)  # always class 0: accuracy 7/8
    decent = np.where(np.arange(y.size) % 8 < 5, y_major, (y_major + 1) % K)  # accuracy 5/8, every class seen
    rows, preds = [], {}
    for name, p in (("collapsed", collapsed), ("decent", decent)):
        f = frame(p).with_columns(pl.Series("label_index", y_major))
        rows.append(row(name, p, accuracy_pooled=float(np.mean(p == y_major))))
        preds[(name, "p")] = RowPredictions(K, {0: f})
    annotate_groups(rows, preds, ["accuracy"], 300)
    by = {r["experiment"]: r for r in rows}
    assert by["collapsed"]["accuracy_pooled"] > by["decent"]["accuracy_pooled"]
    assert not by["collapsed"]["is_best"] and by["collapsed"]["not_best_reason"].startswith("collapsed: predicts 'a'")
    assert by["decent"]["is_best"]


def test_a_row_whose_interval_does_not_clear_chance_is_never_named_best():
    n = 12
    near_chance = predictions_with([6, 7, 5, 6, 7, 6, 5, 7, 6, 6, 7, 5])  # about 25% correct, 4 classes
    rows = annotate([(row("guess", near_chance), near_chance)])
    assert not rows["guess"]["is_best"] and rows["guess"]["not_best_reason"].startswith("not above chance")


def test_a_row_with_a_class_no_training_clip_has_is_not_ranked():
    n = 12
    good, weaker = predictions_with([0] * n), predictions_with([2] * n)
    rows = annotate([(row("untrained", good, untrained_classes=["d"]), good), (row("ok", weaker), weaker)])
    assert rows["ok"]["is_best"] and not rows["untrained"]["is_best"] and rows["untrained"]["vs_best_p"] is None


def test_a_breakdown_over_seeds_of_which_only_some_record_gender_is_refused_and_labelled():
    new = frame(predictions_with([1] * 6), gender="female")
    old = frame(predictions_with([3] * 6), gender=None)  # predictions stored before gender was recorded
    fields = breakdown_fields({0: old, 1: new, 2: old}, K)
    assert fields["accuracy_by_gender"] is None and fields["uar_by_gender"] is None
    assert fields["gender_breakdown_incomplete"] == "1 of 3 seeds (1 of 3 seed-folds) record gender"
    assert breakdown_text(fields, "gender") == "not pooled: only 1 of 3 seeds (1 of 3 seed-folds) record gender"
    complete = breakdown_fields({0: new, 1: new}, K)
    assert complete["gender_breakdown_incomplete"] is None
    assert json.loads(complete["accuracy_by_gender"]) == {"female": pytest.approx(7 / 8)}


def test_a_breakdown_with_one_fold_of_a_seed_lacking_gender_is_refused():
    seed = pl.concat([frame(predictions_with([1] * 3), gender="male", fold="f1"),
                      frame(predictions_with([1] * 3), gender=None, fold="f2")])
    fields = breakdown_fields({0: seed}, K)
    assert fields["accuracy_by_gender"] is None and "0 of 1 seeds (1 of 2 seed-folds)" in \
        fields["gender_breakdown_incomplete"]


def test_marks_kept_from_a_render_before_these_tests_are_cleared_and_current_ones_kept():
    base = {"experiment": "a", "protocol": "p", "dataset": "d", "classes": ["x"], "status": "ok", "stale": False}
    old_best = dict(base, is_best=True)
    old_other = dict(base, experiment="b", is_best=False, vs_best_p=0.002, tied_with_best=False)
    current_best = dict(old_best, too_few_speakers=False)
    current_other = dict(old_other, too_few_speakers=False, vs_best_p=0.2, tied_with_best=True)
    annotate_groups([old_best, old_other], {}, ["accuracy"])
    assert not old_best["is_best"] and old_other["vs_best_p"] is None and old_other["tied_with_best"] is None
    annotate_groups([current_best, current_other], {}, ["accuracy"])
    assert current_best["is_best"] and current_other["tied_with_best"] and current_other["vs_best_p"] == 0.2


def test_a_row_names_the_classes_some_fold_never_trained_on_from_its_records():
    from avbench.leaderboard.tables import untrained_classes

    records = [{"class_coverage": {"train": ["angry"], "test": ["angry", "boredom"]}},
               {"class_coverage": {"train": ["angry", "boredom"], "test": ["angry", "boredom"]}}, {}]
    assert untrained_classes(records, ["angry", "boredom"]) == ["boredom"]
    assert untrained_classes(records[1:], ["angry", "boredom"]) == []

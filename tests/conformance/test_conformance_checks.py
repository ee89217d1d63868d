"""Each conformance check passes a plugin that keeps its rule and fails (or skips) one that breaks it."""

from __future__ import annotations

import os

import pytest

from tests.conformance import conformance_samples as samples
from avbench.testing import check_plugin, check_names


def statuses(cls, *checks):
    return {r.check: r.status for r in check_plugin(cls, checks=checks or None)}


def reasons(cls, *checks):
    return {r.check: r.reason for r in check_plugin(cls, checks=checks or None)}


@pytest.mark.parametrize("cls", [samples.LevelStats, samples.FrameColour, samples.TableLookup, samples.Centroids,
                                 samples.SubjectKFold, samples.TinyCorpus, samples.MeanFusion, samples.Gain])
def test_a_conforming_plugin_passes_every_check(cls):
    failed = [r.line() for r in check_plugin(cls) if r.status != "passed"]
    assert failed == []


def test_audio_extractors_get_the_audio_edge_cases_and_video_extractors_the_video_ones():
    audio, video = set(check_names(samples.LevelStats)), set(check_names(samples.FrameColour))
    assert {"check_short_audio", "check_silent_audio", "check_long_audio"} <= audio
    assert not audio & {"check_video_without_face", "check_single_frame_video"}
    assert {"check_video_without_face", "check_single_frame_video"} <= video
    assert not video & {"check_short_audio", "check_silent_audio", "check_long_audio"}


@pytest.mark.parametrize("cls, check", [
    (samples.NoisyStats, "check_deterministic"),
    (samples.DoubleStats, "check_output_kind_shape_dtype"),
    (samples.NormalisedStats, "check_silent_audio"),
    (samples.FrameHungry, "check_short_audio"),
    (samples.CwdWriter, "check_writes_only_to_cache"),
    (samples.HomeWriter, "check_writes_only_to_cache"),
    (samples.LockHolder, "check_picklable"),
    (samples.EagerLoader, "check_init_is_lazy"),
    (samples.UnnormalisedScores, "check_fit_predict_proba"),
    (samples.SeenClassesOnly, "check_unseen_class_columns"),
    (samples.ClaimsCuda, "check_device_respected"),
    (samples.TorchOnMeta, "check_device_respected"),
    (samples.FixedLengthSequences, "check_variable_length_inputs"),
    (samples.ClipShuffle, "check_subjects_disjoint"),
    (samples.ForgivingCorpus, "check_reports_bad_files"),
    (samples.TreelessCorpus, "check_conformance_tree"),
    (samples.InPlaceGain, "check_input_unchanged"),
    (samples.AlwaysCentre, "check_no_face_no_box"),
    (samples.BadName, "check_declaration"),
])
def test_a_plugin_breaking_a_rule_fails_the_check_that_names_it(cls, check):
    assert statuses(cls, check) == {check: "failed"}


def test_the_reason_of_a_failure_says_what_was_wrong():
    assert "float64" in reasons(samples.DoubleStats, "check_output_kind_shape_dtype")["check_output_kind_shape_dtype"]
    assert "ClipError" in reasons(samples.FrameHungry, "check_short_audio")["check_short_audio"]
    assert "features.npy" in reasons(samples.CwdWriter, "check_writes_only_to_cache")["check_writes_only_to_cache"]


def test_an_edge_clip_rejected_with_a_clip_error_passes():
    assert statuses(samples.PoliteFrameHungry, "check_short_audio") == {"check_short_audio": "passed"}


def test_a_missing_resource_skips_with_the_reason():
    result = reasons(samples.NeedsModelFile, "check_output_kind_shape_dtype")
    assert statuses(samples.NeedsModelFile, "check_output_kind_shape_dtype") == {
        "check_output_kind_shape_dtype": "skipped"}
    assert "AVBENCH_MODELS" in result["check_output_kind_shape_dtype"]


def test_an_extractor_declaring_its_own_inputs_is_checked_on_them():
    # TableLookup only knows the ids its conformance_clips wrote: the generated media ids raise ClipError.
    assert statuses(samples.TableLookup, "check_output_kind_shape_dtype", "check_single_frame_video") == {
        "check_output_kind_shape_dtype": "passed", "check_single_frame_video": "passed"}


def test_a_dataset_without_a_tree_gets_one_failure_not_one_per_check():
    names = check_names(samples.TreelessCorpus)
    assert "check_conformance_tree" in names and "check_clips_valid" not in names


def test_checks_leave_the_callers_folder_and_environment_as_they_were(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before_env = dict(os.environ)
    check_plugin(samples.CwdWriter, checks=["check_writes_only_to_cache", "check_output_finite"])
    assert list(tmp_path.iterdir()) == []
    assert os.getcwd() == str(tmp_path)
    assert dict(os.environ) == before_env


def test_files_a_library_writes_once_per_process_are_not_blamed_on_the_plugin():
    assert statuses(samples.UsesCachingLibrary, "check_writes_only_to_cache") == {
        "check_writes_only_to_cache": "passed"}

"""Real media through the runner: CREMA-D MP3 and FLV sound, and the two RAVDESS audio-visual mp4s on both
branches. The mp4 without a sound track is bad media for the audio branch only; its video still extracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avbench.runner.run import RunSummary, run_benchmark

from .conftest import FER_MODEL, WITHOUT_AUDIO, require_models

pytestmark = [pytest.mark.real_data, pytest.mark.slow]

BENCHMARK = """
[benchmark]
name = "realmedia"
seeds = [0]
workers = 1
latency_clips = 1

[datasets.crema-d]
plugin = "crema-d"
root = "{crema_d}"
params = {{ audio_extensions = ["mp3"] }}

[datasets.ravdess]
plugin = "ravdess"
root = "{ravdess}"

[protocols.loso]
plugin = "loso"

[experiments.crema-mfcc]
dataset = "crema-d"
protocols = ["loso"]
[experiments.crema-mfcc.branches.audio]
extractor = "mfcc-stats"
model = "svm-rbf"

[experiments.ravdess-audio]
dataset = "ravdess"
protocols = ["loso"]
[experiments.ravdess-audio.branches.audio]
extractor = "egemaps"
model = {{ plugin = "knn", params = {{ k = 1 }} }}

[experiments.ravdess-fer]
dataset = "ravdess"
protocols = ["loso"]
[experiments.ravdess-fer.branches.video]
extractor = {{ plugin = "fer-mean-posteriors", params = {{ sampling = "equally_spaced", n_frames = 6 }} }}
model = {{ plugin = "knn", params = {{ k = 1 }} }}
"""


@pytest.fixture(scope="module")
def run(crema_d_root: Path, ravdess_video_tree: Path, tmp_path_factory) -> tuple[RunSummary, Path]:
    """One run of the benchmark above (about 15 s): its summary and its output folder."""
    require_models(FER_MODEL)
    folder = tmp_path_factory.mktemp("realmedia-run")
    path = folder / "benchmark.toml"
    path.write_text(BENCHMARK.format(crema_d=crema_d_root, ravdess=ravdess_video_tree))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AVBENCH_CACHE", str(folder / "cache"))
        for variable in ("AVBENCH_RAVDESS_ROOT", "AVBENCH_CREMA_D_ROOT"):  # they would win over the roots above
            patch.delenv(variable, raising=False)
        summary = run_benchmark(path, progress=False)
    return summary, folder / "runs" / "realmedia"


def fold_records(runs: Path, experiment: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((runs / experiment / "loso/seed-0").glob("*.json"))}


def test_crema_d_mp3_and_flv_sound_run_both_loso_folds(run):
    _, runs = run
    records = fold_records(runs, "crema-mfcc")
    assert sorted(records) == ["subject-1001", "subject-1002"]
    for record in records.values():
        assert record["status"] == "ok" and record["sizes"]["train"] == record["sizes"]["test"] == 6, record


def test_the_mp4_without_sound_is_one_bad_media_line_naming_it_not_a_crash(run):
    summary, runs = run
    errors = json.loads((runs / "clip-errors.json").read_text())["bad_media"]
    assert len(errors) == 1, errors
    (reason,) = errors.values()
    assert reason.endswith(f"{WITHOUT_AUDIO} has no audio stream") and "\n" not in reason
    assert not summary.failed_work or not any(summary.failed_work.values())


def test_two_clips_of_two_actors_cannot_make_loso_folds_that_train_on_every_class(run):
    """Each fold of the two RAVDESS clips would train on one emotion and test on the other: refused by name."""
    summary, runs = run
    errors = {e["experiment"]: e["error"] for e in summary.errors}
    for experiment in ("ravdess-audio", "ravdess-fer"):
        assert "have no training clip" in errors[experiment] and "fold 'subject-" in errors[experiment]
        assert not fold_records(runs, experiment)


def test_both_mp4s_feed_the_video_branch(run):
    _, runs = run
    diagnostics = json.loads((runs / "clip-diagnostics.json").read_text())
    counts = sorted((d["frames_in_clip"], d["frames_no_face"]) for d in diagnostics.values())
    assert counts == [(120, 0), (122, 0)]  # 640x480 H.264 and 720x720 MPEG-4 Part 2: a face in every frame

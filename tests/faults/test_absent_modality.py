"""An experiment reading a modality its dataset copy lacks is skipped as not configured, not failed clip by clip."""

from __future__ import annotations

from pathlib import Path

from .conftest import cli_env, run_cli, write_vector
from .test_planning_faults import RAVDESS_BENCHMARK

#: The planning faults' RAVDESS benchmark (experiment ``e`` reads audio), plus an experiment reading video.
BENCHMARK = RAVDESS_BENCHMARK + """
[experiments.video]
dataset = "ravdess"
protocols = ["loso"]
[experiments.video.branches.video]
extractor = "toy-video-extractor"
model = "toy-centroid"

[experiments.video-table]
dataset = "ravdess"
protocols = ["loso"]
[experiments.video-table.branches.video]
extractor = "probe-table-extractor"
model = "toy-centroid"
"""


def audio_only_tree(root: Path) -> Path:
    """3 actors x 3 emotions of the audio-only RAVDESS download (the files hold toy vectors)."""
    for actor in (1, 2, 3):
        for index, emotion in enumerate(("03", "04", "05")):
            write_vector(root / f"Actor_{actor:02d}" / f"03-01-{emotion}-01-01-01-{actor:02d}.wav", index, actor)
    return root


def test_a_video_experiment_on_an_audio_only_copy_is_skipped_not_failed(probe_plugins, tmp_path):
    path = tmp_path / "benchmark.toml"
    path.write_text(BENCHMARK.format(root=audio_only_tree(tmp_path / "ravdess")))
    result = run_cli(path, env=cli_env(tmp_path / "cache", AVBENCH_RAVDESS_ROOT=""))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED (not configured here) 1 experiment waits (video) for: dataset 'ravdess'" in result.stderr
    assert "has no video media (has: audio)" in result.stderr
    assert "failed extraction" not in result.stderr
    assert "video-table" not in result.stderr  # a video extractor that reads a table, not the video, runs
    assert len(list((tmp_path / "runs/faults/video-table/loso/seed-0").glob("*.json"))) == 3
    strict = run_cli(path, "--strict", env=cli_env(tmp_path / "cache", AVBENCH_RAVDESS_ROOT=""))
    assert strict.returncode == 2 and "NOT RUN (error) video" in strict.stderr  # --strict: as a config error

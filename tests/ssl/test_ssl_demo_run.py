"""Speech-encoder experiments end to end on the synthetic demo set; contamination flags in the leaderboard."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from avbench.config.loader import load_config
from avbench.leaderboard.contamination import contamination
from avbench.registry import get_registry
from avbench.runner.run import run_benchmark

DEMO_BENCHMARK = """
[benchmark]
name = "ssl"
seeds = [0]
stochastic_seeds = [0]
workers = 1
latency_clips = 2

[resources]
models = "{models}"

[datasets.demo]
plugin = "synthetic-av"
params = {{ actors = 4, clips_per_emotion = 2, classes = ["happy", "sad"] }}

[protocols.holdout]
plugin = "actor-holdout"
params = {{ test = [4], val = [3] }}

[experiments.demo-wavlm-superb]
dataset = "demo"
protocols = ["holdout"]
description = "every hidden state of a tiny WavLM -> SUPERB layer weighting, mean pooling"
[experiments.demo-wavlm-superb.branches.audio]
extractor = {{ plugin = "ssl-encoder-layers", params = {{ checkpoint = "wavlm", trained_on = {trained_on} }} }}
model = {{ plugin = "superb", params = {{ max_epochs = 2, projection_units = 8 }} }}

[experiments.demo-whisper-svm]
dataset = "demo"
protocols = ["holdout"]
description = "clip mean of the average of a tiny Whisper encoder's hidden states -> RBF SVM"
[experiments.demo-whisper-svm.branches.audio]
extractor = {{ plugin = "ssl-encoder", params = {{ checkpoint = "whisper", layer = "average" }} }}
model = "svm-rbf"

[experiments.demo-absent-encoder]
dataset = "demo"
protocols = ["holdout"]
description = "a checkpoint that is not in the models folder"
[experiments.demo-absent-encoder.branches.audio]
extractor = {{ plugin = "ssl-encoder", params = {{ checkpoint = "wavlm-base-plus" }} }}
model = "svm-rbf"
"""


def write_benchmark(folder: Path, models: Path, trained_on: str = "[]") -> Path:
    path = folder / "benchmark.toml"
    path.write_text(DEMO_BENCHMARK.format(models=models, trained_on=trained_on))
    return path


def test_encoder_experiments_run_end_to_end_and_an_absent_checkpoint_is_not_configured(tiny_models, tmp_path,
                                                                                       monkeypatch):
    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "cache"))
    path = write_benchmark(tmp_path, tiny_models, trained_on='["avbench synthetic-av demo"]')
    summary = run_benchmark(path, progress=False)
    assert (summary.done, summary.failed, summary.clip_errors.get("ssl-encoder", {})) == (2, 0, {})
    (absent,) = summary.errors
    assert absent["experiment"] == "demo-absent-encoder" and absent["unconfigured"]
    assert "wavlm-base-plus" in absent["error"] and "config.json" in absent["error"]
    assert summary.exit_code == 0
    rows = {r["experiment"]: r for r in pl.read_parquet(tmp_path / "leaderboards/ssl/results.parquet").to_dicts()}
    superb = rows["demo-wavlm-superb"]
    assert superb["status"] == "ok" and superb["test_clips"] == 4  # actor 4: 2 classes x 2 takes
    assert "ssl-encoder-layers (audio branch) was trained on avbench synthetic-av demo" in superb["contamination"]
    assert rows["demo-whisper-svm"]["status"] == "ok" and rows["demo-whisper-svm"]["contamination"] == ""
    assert rows["demo-absent-encoder"]["status"] == "not run"
    board = (tmp_path / "leaderboards/ssl/README.md").read_text()
    assert "demo-wavlm-superb ⚑ contaminated" in board and "demo-whisper-svm ⚑" not in board
    assert "contaminated: ssl-encoder-layers (audio branch) was trained on" in board


@pytest.mark.parametrize(("trained_on", "flagged"), [
    ('["narad/ravdess", "librispeech"]', ["narad/ravdess"]),
    ('["RAVDESS_speech"]', ["RAVDESS_speech"]),
    ('["librispeech", "CREMA_D"]', []),  # not a corpus this experiment reads
    ("[]", []),
])
def test_a_row_is_contaminated_when_its_encoder_trained_on_a_corpus_the_row_reads(tiny_models, tmp_path,
                                                                                   trained_on, flagged):
    text = write_benchmark(tmp_path, tiny_models, trained_on).read_text()
    text = text.replace('plugin = "synthetic-av"\nparams = { actors = 4, clips_per_emotion = 2, classes = '
                        '["happy", "sad"] }', 'plugin = "ravdess"')
    (tmp_path / "benchmark.toml").write_text(text)
    config = load_config(tmp_path / "benchmark.toml", get_registry())
    found = contamination(config, "demo-wavlm-superb")
    assert [f.split(" was trained on ")[1].split(",")[0] for f in found] == flagged
    assert all(f.endswith("this row reads demo") for f in found)
    assert contamination(config, "demo-whisper-svm") == []  # Whisper's data is not a corpus of the benchmark


def test_a_model_card_declaring_an_emotion_corpus_flags_the_row(tiny_models, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(tiny_models / "wavlm", models / "wavlm")
    (models / "wavlm" / "README.md").write_text("---\ndatasets:\n- xbgoose/ravdess\n---\nfine-tuned for emotion\n")
    text = write_benchmark(tmp_path, models).read_text().replace(", trained_on = []", "")
    text = text.replace('plugin = "synthetic-av"\nparams', 'plugin = "ravdess"\n# params')
    (tmp_path / "benchmark.toml").write_text(text)
    config = load_config(tmp_path / "benchmark.toml", get_registry())
    assert contamination(config, "demo-wavlm-superb") == [
        "ssl-encoder-layers (audio branch) was trained on xbgoose/ravdess, and this row reads demo"]

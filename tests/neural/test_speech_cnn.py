"""speech-cnn: a temporal log-Mel CNN with attention pooling, its augmentation, and that it learns."""

from __future__ import annotations

from importlib.metadata import entry_points

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from avbench.contract import OutputKind, RunContext
from avbench.registry import contract_problems, registry_with
from avbench_plugins.models.neural.speech_cnn import SpeechCnn, augment_log_mel

from . import synthetic

ENTRY_POINT = "avbench_plugins.models.neural.speech_cnn"
NO_AUGMENT = dict(freq_masks=0, freq_width=0, time_masks=0, time_width=0, max_shift=0, max_level=0.0,
                  mix_probability=0.0, mix_weight=0.0)


def test_speech_cnn_conforms_to_the_contract_and_is_installed():
    assert contract_problems(SpeechCnn) == []
    assert SpeechCnn.accepts == frozenset({OutputKind.SPECTROGRAM}) and SpeechCnn.stochastic
    assert registry_with([ENTRY_POINT]).info("speech-cnn", "model").cls is SpeechCnn
    assert ENTRY_POINT in {ep.value for ep in entry_points(group="avbench")}


def test_default_network_on_64_mel_3_s_maps_is_small_and_gives_one_logit_row_per_clip():
    model = SpeechCnn()
    model.fit_inputs([np.zeros((64, 151), np.float32)] * 2)
    network = model.build_network(8).eval()
    n_params = sum(p.numel() for p in network.parameters())
    assert 50_000 <= n_params <= 200_000
    assert network(torch.zeros(3, 64, 151)).shape == (3, 8)


def test_a_gru_widens_the_pooled_features_to_twice_its_units():
    model = SpeechCnn({"channels": (8, 8), "kernels": (3, 3), "strides": (2, 1), "gru_units": 5})
    trunk, width = model.build_trunk((12, 20))
    assert width == 10 and trunk(torch.zeros(2, 12, 20)).shape == (2, 10)


def test_blocks_must_give_one_kernel_and_stride_each():
    with pytest.raises(ValidationError, match="one value per block"):
        SpeechCnn({"channels": (8, 8), "kernels": (3,), "strides": (2, 2)})


def test_augmentation_with_every_option_off_is_the_identity():
    x = torch.randn(4, 12, 30)
    out = augment_log_mel(x, torch.Generator().manual_seed(0), **NO_AUGMENT)
    torch.testing.assert_close(out, x)


def test_masks_zero_whole_mel_bands_and_whole_frames_and_the_same_seed_repeats_them():
    x = torch.ones(3, 16, 40)
    options = dict(NO_AUGMENT, freq_masks=1, freq_width=4, time_masks=1, time_width=6)
    out = augment_log_mel(x, torch.Generator().manual_seed(3), **options)
    again = augment_log_mel(x, torch.Generator().manual_seed(3), **options)
    torch.testing.assert_close(out, again)
    zero = out == 0
    bands, frames = zero.all(dim=2), zero.all(dim=1)  # [N, F] bands masked over all time, [N, T] frames
    assert ((zero == (bands.unsqueeze(2) | frames.unsqueeze(1))).all())
    assert zero.any()


def test_time_shift_rolls_each_clip_and_mix_in_keeps_the_main_clip_dominant():
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)
    shifted = augment_log_mel(x, torch.Generator().manual_seed(1), **dict(NO_AUGMENT, max_shift=4))
    for clip, out in zip(x, shifted):
        assert any(torch.equal(torch.roll(clip, s, dims=1), out) for s in range(-4, 5))
    mixed = augment_log_mel(x, torch.Generator().manual_seed(1),
                            **dict(NO_AUGMENT, mix_probability=1.0, mix_weight=0.4))
    weight = (mixed - x) / (x.flip(0) - x)  # two clips: each one's partner is the other or itself
    finite = weight[torch.isfinite(weight)]
    assert ((finite >= 0) & (finite <= 0.4 + 1e-6)).all()


def test_fit_learns_separable_spectrograms_and_the_same_seed_gives_the_same_probabilities(tmp_path):
    y = synthetic.labels(36, 3)
    X = synthetic.spectrograms(y, bins=12, lengths=(20, 24))
    params = {"channels": (8, 8), "kernels": (3, 3), "strides": (2, 1), "max_epochs": 8, "val_fraction": 0.0,
              "lr": 1e-2, "batch_size": 12, "device": "cpu", "num_threads": 1, **NO_AUGMENT}
    probabilities = []
    for _ in range(2):
        model = SpeechCnn(params)
        model.setup(RunContext(cache_dir=tmp_path, seed=0))
        model.fit(X, y, n_classes=3)
        probabilities.append(model.predict_proba(X))
    assert (probabilities[0].argmax(axis=1) == y).mean() >= 0.8
    np.testing.assert_array_equal(probabilities[0], probabilities[1])


@pytest.mark.real_data
def test_the_benchmark_experiment_trains_on_one_real_actor_and_predicts_another(tmp_path):
    import os
    import tomllib
    from pathlib import Path

    from avbench.contract import Clip
    from avbench_plugins.extractors.audio.mel_maps import LogMel

    root = os.environ.get("AVBENCH_RAVDESS_ROOT")
    if not root:
        pytest.skip("AVBENCH_RAVDESS_ROOT is not set (folder of RAVDESS Actor_XX/03-01-*.flac or .wav files)")
    files = {actor: sorted(Path(root).rglob(f"Actor_{actor}/03-01-*"))[::15][:4] for actor in ("01", "02")}
    if min(len(f) for f in files.values()) < 4:
        pytest.skip(f"AVBENCH_RAVDESS_ROOT={root} holds too few Actor_01 / Actor_02 speech files (03-01-*)")
    config = tomllib.loads((Path(__file__).parents[2] / "benchmark.toml").read_text())
    branch = config["experiments"]["ravdess-logmel-speech-cnn"]["branches"]["audio"]
    extractor = LogMel(branch["extractor"]["params"])
    maps = {actor: [extractor.extract(Clip(clip_id=f.stem, subject=actor, label="neutral", media={"audio": str(f)}))
                    for f in fs] for actor, fs in files.items()}
    assert maps["01"][0].shape == (64, 151)
    labels = np.array([int(f.stem.split("-")[2]) - 1 for f in files["01"]])
    model = SpeechCnn({**branch["model"]["params"], "max_epochs": 2, "device": "cpu", "num_threads": 1})
    model.setup(RunContext(cache_dir=tmp_path, seed=0))
    probabilities = model.fit(maps["01"], labels, n_classes=8).predict_proba(maps["02"])
    assert probabilities.shape == (4, 8) and np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)

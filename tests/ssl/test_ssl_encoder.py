"""The speech-encoder extractors on tiny random checkpoints of every family: shapes, masking, files, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from avbench.cache.input_hashes import input_hashes
from avbench.contract import ClipError, ResourceMissingError, RunContext
from avbench_plugins.extractors.audio.decode import LoadedAudio
from avbench_plugins.extractors.audio.ssl import SslEncoder, SslEncoderLayers, SslEncoderSequence
from avbench_plugins.extractors.audio.ssl.tiny import write_tiny_checkpoint

from .conftest import RATE, VARIANTS, tone, wav_clip

WIDTH, HIDDEN_STATES = 16, 3  # the tiny checkpoints: width 16, front end + 2 layers


def make(cls, folder: Path, context: RunContext | None = None, **params):
    extractor = cls({"checkpoint": str(folder), "device": "cpu", **params})
    extractor.setup(context or RunContext())
    return extractor


def signal(samples: np.ndarray, name: str = "clip", rate: int = RATE) -> LoadedAudio:
    return LoadedAudio(samples, rate, clip_id=name, path=f"{name}.wav")


@pytest.mark.parametrize("variant", sorted(VARIANTS.values()))
def test_every_family_gives_the_declared_shapes_at_about_50_frames_per_second(tiny_models, variant, tmp_path):
    clip = wav_clip(tmp_path, "03-01-03-01-01-01-01", tone(1.5, 220))
    layers = make(SslEncoderLayers, tiny_models / variant).extract(clip)
    assert layers.dtype == np.float32 and layers.shape[1:] == (HIDDEN_STATES, WIDTH)
    assert 73 <= layers.shape[0] <= 75  # 1.5 s at 20 ms per frame (wav2vec-style: one frame less)
    vector = make(SslEncoder, tiny_models / variant, layer=1).extract(clip)
    np.testing.assert_allclose(vector, layers[:, 1].mean(axis=0), rtol=1e-5, atol=1e-6)  # the frames' mean
    everything = make(SslEncoder, tiny_models / variant, layer="all").extract(clip)
    np.testing.assert_allclose(everything, layers.mean(axis=0).reshape(-1), rtol=1e-5, atol=1e-6)
    sequence = make(SslEncoderSequence, tiny_models / variant, layer=-1).extract(clip)
    np.testing.assert_array_equal(sequence, layers[:, -1])
    pooled = make(SslEncoderLayers, tiny_models / variant, pool="mean").extract(clip)
    assert pooled.shape == (1, HIDDEN_STATES, WIDTH)
    for extractor in (make(SslEncoder, tiny_models / variant, layer="average"),
                      make(SslEncoderLayers, tiny_models / variant)):
        assert extractor.output_shape() in ((WIDTH,), (None, HIDDEN_STATES, WIDTH))


@pytest.mark.parametrize("variant", sorted(VARIANTS.values()))
def test_a_padded_batch_gives_each_clip_the_features_it_gets_alone(tiny_models, variant):
    clips = [signal(tone(seconds, 150 * (i + 1), seed=i), f"c{i}")
             for i, seconds in enumerate((1.0, 0.45, 1.7, 0.8, 1.0))]
    extractor = make(SslEncoderLayers, tiny_models / variant, batch_size=4)
    alone = [extractor.features(c) for c in clips]
    together = extractor.features_batch(clips)
    for a, b in zip(alone, together):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_models_that_cannot_mask_padding_batch_only_clips_of_equal_length(tiny_models):
    def encoder(variant):
        return make(SslEncoderLayers, tiny_models / variant).encoder()

    # group-normalised front end without a mask (wav2vec2-base), or data2vec-audio's positional conv stack
    for variant in ("wav2vec2-base-like", "data2vec-audio", "hubert"):
        assert not encoder(variant).pads_safely
        assert sorted(encoder(variant)._batches([100, 200, 100, 300, 200], 8)) == [[0, 2], [1, 4], [3]]
    for variant in ("wav2vec2-large-like", "wavlm", "whisper"):
        assert encoder(variant).pads_safely
        assert encoder(variant)._batches([100, 200, 100, 300, 200], 8) == [[0, 2, 1, 4, 3]]


def test_whisper_encodes_a_clip_longer_than_its_window_window_by_window(tiny_models):
    extractor = make(SslEncoderLayers, tiny_models / "whisper")  # the tiny Whisper's window is 1 s
    long = tone(2.5, 300)
    states = extractor.features(signal(long))
    assert states.shape == (50 + 50 + 25, HIDDEN_STATES, WIDTH)
    first_second = extractor.features(signal(long[:RATE]))
    np.testing.assert_allclose(states[:50], first_second, rtol=1e-5, atol=1e-6)


def test_audio_at_another_rate_is_resampled_to_the_checkpoints_rate(tiny_models, tmp_path):
    clip = wav_clip(tmp_path, "at-8k", tone(1.0, 200, rate=8000), rate=8000)
    extractor = make(SslEncoderSequence, tiny_models / "wavlm")
    loaded = extractor.load(clip)
    assert loaded.sample_rate == RATE and loaded.samples.size == RATE
    assert extractor.extract(clip).shape == (49, WIDTH)
    np.testing.assert_allclose(extractor.features(signal(tone(1.0, 200, rate=8000), rate=8000)),
                               extractor.features(loaded), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="sample_rate = 8000.*16000 Hz"):
        make(SslEncoderSequence, tiny_models / "wavlm", sample_rate=8000).input_files()


def test_a_clip_shorter_than_one_frame_is_a_clip_error_naming_it(tiny_models):
    with pytest.raises(ClipError) as err:
        make(SslEncoder, tiny_models / "wavlm").features(signal(tone(0.01, 200), "too-short"))
    assert err.value.clip_id == "too-short" and "shorter than one frame" in err.value.reason


def test_a_missing_checkpoint_folder_names_the_folder_and_the_files_to_put_there(tmp_path):
    extractor = make(SslEncoder, tmp_path / "wavlm-base-plus")
    with pytest.raises(ResourceMissingError) as err:
        extractor.input_files()
    message = str(err.value)
    assert str(tmp_path / "wavlm-base-plus") in message
    for needed in ("config.json", "model.safetensors", "preprocessor_config.json", "microsoft/wavlm-base-plus",
                   "downloads nothing"):
        assert needed in message


def test_a_bare_checkpoint_name_is_looked_up_in_the_models_folder(tiny_models, tmp_path, monkeypatch):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    with pytest.raises(ResourceMissingError, match="set AVBENCH_MODELS"):
        SslEncoder({"checkpoint": "wavlm"}).input_files()
    extractor = SslEncoder({"checkpoint": "wavlm", "device": "cpu"})
    extractor.setup(RunContext(resources={"models": str(tiny_models)}))
    assert extractor.input_files() == {"checkpoint": tiny_models / "wavlm"}
    monkeypatch.setenv("AVBENCH_MODELS", str(tmp_path))
    with pytest.raises(ResourceMissingError, match=f"{tmp_path / 'wavlm'} does not exist"):
        SslEncoder({"checkpoint": "wavlm"}).input_files()


def test_a_folder_without_weights_says_which_files_it_lacks(tiny_models, tmp_path):
    folder = tmp_path / "half"
    folder.mkdir()
    shutil.copy(tiny_models / "wavlm" / "config.json", folder)
    with pytest.raises(ResourceMissingError) as err:
        make(SslEncoder, folder).input_files()
    assert "lacks preprocessor_config.json, model.safetensors or pytorch_model.bin" in str(err.value)


def test_the_checkpoints_content_is_in_the_feature_key(tmp_path):
    folder = write_tiny_checkpoint(tmp_path / "enc", "hubert", seed=0)
    first = input_hashes(make(SslEncoder, folder))
    assert set(first) == {"checkpoint"} and input_hashes(make(SslEncoder, folder)) == first
    write_tiny_checkpoint(folder, "hubert", seed=1)  # same files, other weights
    assert input_hashes(make(SslEncoder, folder)) != first


def test_a_layer_the_checkpoint_lacks_is_refused_while_planning(tiny_models):
    make(SslEncoder, tiny_models / "wavlm", layer=-3).input_files()
    with pytest.raises(ValueError, match="layer = 3.*hidden states 0..2"):
        make(SslEncoder, tiny_models / "wavlm", layer=3).input_files()


def test_a_used_extractor_pickles_without_its_network_and_gives_the_same_features(tiny_models):
    import pickle

    extractor = make(SslEncoder, tiny_models / "data2vec-audio")
    clip = signal(tone(0.7, 440))
    before = extractor.features(clip)
    copy = pickle.loads(pickle.dumps(extractor))
    assert copy._encoder is None
    np.testing.assert_array_equal(copy.features(clip), before)


def test_training_data_comes_from_the_parameter_the_model_card_or_the_known_checkpoints(tiny_models, tmp_path):
    assert make(SslEncoder, tmp_path / "wavlm-base-plus").training_data() == ["libri-light", "gigaspeech",
                                                                              "voxpopuli"]
    assert make(SslEncoder, tiny_models / "wavlm").training_data() == []  # unknown name, no model card
    folder = tmp_path / "wav2vec2-base"
    shutil.copytree(tiny_models / "wav2vec2-base-like", folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ndatasets:\n- narad/ravdess\n- librispeech_asr\n"
                                      "---\n# an emotion fine-tune\n")
    assert make(SslEncoder, folder).training_data() == ["narad/ravdess", "librispeech_asr"]
    assert make(SslEncoder, folder, trained_on=["crema-d"]).training_data() == ["crema-d"]

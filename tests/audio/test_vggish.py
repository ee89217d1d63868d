"""VGGish: the release's log-mel front end, the network in the torchvggish state-dict layout, PCA, resources.

No VGGish weights exist on the test machines, so the network tests use a
random-initialised state dict the tests write in the expected layout.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import librosa
import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import torch

from audio_media import speechlike, tone
from avbench.cache.input_hashes import input_hashes
from avbench.contract import Clip, ClipError, ResourceMissingError, RunContext
from avbench.registry import contract_problems, discover
from avbench.testing import parametrize_with_checks
from avbench_plugins.extractors.audio.vggish import Vggish, VggishMean
from avbench_plugins.extractors.audio.vggish.frontend import (
    EXAMPLE_FRAMES, LOG_OFFSET, NUM_BANDS, log_mel, mel_matrix, stft_magnitude, waveform_to_examples)
from avbench_plugins.extractors.audio.vggish.network import VGGish
from avbench_plugins.extractors.audio.vggish.postprocess import PcaParams, load_pca_params, save_pca_params

RATE = 16000
#: The torchvggish layout (harritaylor/torchvggish, torchvggish/vggish.py): name -> weight shape.
PORT_WEIGHT_SHAPES = {
    "features.0.weight": (64, 1, 3, 3), "features.3.weight": (128, 64, 3, 3),
    "features.6.weight": (256, 128, 3, 3), "features.8.weight": (256, 256, 3, 3),
    "features.11.weight": (512, 256, 3, 3), "features.13.weight": (512, 512, 3, 3),
    "embeddings.0.weight": (4096, 12288), "embeddings.2.weight": (4096, 4096), "embeddings.4.weight": (128, 4096),
}


def random_state_dict(seed: int) -> dict[str, torch.Tensor]:
    """He-scaled random weights and zero biases in the port's layout (quicker than nn init)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in PORT_WEIGHT_SHAPES.items():
        fan_in = int(np.prod(shape[1:]))
        state[name] = torch.randn(shape, generator=g) * (2.0 / fan_in) ** 0.5
        state[name.replace(".weight", ".bias")] = torch.zeros(shape[0])
    return state


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "vggish-10086976.pth"
    torch.save(random_state_dict(seed=0), path)
    return path


@pytest.fixture(scope="module")
def wav_2_5s(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "03-01-05-01-01-01-01.wav"
    sf.write(str(path), speechlike(2.5, RATE), RATE)
    return path


@pytest.fixture(scope="module")
def raw_2_5s(weights, wav_2_5s) -> np.ndarray:
    """Embeddings of the 2.5 s clip with default parameters (shared: every load reads 288 MB)."""
    return make(weights=str(weights)).extract(clip_of(wav_2_5s))


def make(cls=Vggish, context: RunContext | None = None, **params):
    extractor = cls({"device": "cpu", **params})
    extractor.setup(context or RunContext())
    return extractor


def clip_of(path: Path):
    return Clip(clip_id=path.stem, subject="01", label="happy", media={"audio": str(path)})


# --- front end ------------------------------------------------------------------------------------

def test_stft_magnitude_is_periodic_hann_400_sample_frames_every_160_with_a_512_point_fft():
    x = speechlike(0.5, RATE).astype(np.float64)
    frames = librosa.util.frame(x, frame_length=400, hop_length=160, axis=0)
    expected = np.abs(np.fft.rfft(frames * scipy.signal.get_window("hann", 400, fftbins=True), n=512))
    got = stft_magnitude(x)
    assert got.shape == (1 + (x.size - 400) // 160, 257)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_mel_bands_peak_within_one_fft_bin_of_their_htk_centre_frequencies():
    weights = mel_matrix()
    bin_hz = np.linspace(0, RATE / 2, 257)
    centres = librosa.mel_frequencies(NUM_BANDS + 2, fmin=125.0, fmax=7500.0, htk=True)[1:-1]
    assert weights.shape == (257, NUM_BANDS)
    assert np.all(weights[0] == 0)  # no DC
    assert np.all(np.abs(bin_hz[weights.argmax(axis=0)] - centres) <= bin_hz[1])
    assert weights[bin_hz > 7500].max() == 0 and weights[bin_hz < 125].max() == 0


@pytest.mark.parametrize("freq", [500.0, 1000.0, 3000.0])
def test_a_sine_is_loudest_in_the_mel_band_whose_htk_centre_is_nearest(freq):
    centres = librosa.mel_frequencies(NUM_BANDS + 2, fmin=125.0, fmax=7500.0, htk=True)[1:-1]
    examples = waveform_to_examples(tone(freq, seconds=2.0, rate=RATE))
    assert int(examples.mean(axis=(0, 1)).argmax()) == int(np.abs(centres - freq).argmin())


def test_silence_gives_the_log_of_the_stabilising_offset_everywhere():
    examples = waveform_to_examples(np.zeros(RATE * 2, np.float32))
    np.testing.assert_allclose(examples, np.log(LOG_OFFSET), rtol=1e-6)


@pytest.mark.parametrize("seconds, n_examples", [(2.5, 2), (0.975, 1), (1.95, 2), (3.0, 3)])
def test_examples_are_non_overlapping_96_frame_patches_and_an_incomplete_last_one_is_dropped(seconds, n_examples):
    x = speechlike(seconds, RATE)
    examples = waveform_to_examples(x)
    assert examples.shape == (n_examples, EXAMPLE_FRAMES, NUM_BANDS) and examples.dtype == np.float32
    np.testing.assert_allclose(examples.reshape(-1, NUM_BANDS), log_mel(x)[:n_examples * EXAMPLE_FRAMES], rtol=1e-6)


def test_a_clip_shorter_than_one_example_is_zero_padded_to_exactly_one():
    x = speechlike(0.3, RATE)
    examples = waveform_to_examples(x)
    assert examples.shape == (1, EXAMPLE_FRAMES, NUM_BANDS)
    padded = np.concatenate([x, np.zeros(RATE, np.float32)])
    np.testing.assert_allclose(examples[0], log_mel(padded)[:EXAMPLE_FRAMES], rtol=1e-6)


# --- network and plugins ------------------------------------------------------------------------

def test_network_state_dict_has_the_torchvggish_layout():
    state = VGGish().state_dict()
    expected = {**PORT_WEIGHT_SHAPES,
                **{k.replace(".weight", ".bias"): (v[0],) for k, v in PORT_WEIGHT_SHAPES.items()}}
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


def test_conv_output_reaches_the_first_dense_layer_in_tensorflow_height_width_channel_order():
    """The converted TF weights of ``embeddings.0`` expect NHWC flattening, not torch's NCHW ``flatten``."""
    torch.manual_seed(0)
    net = VGGish().eval()
    seen = {}
    net.features.register_forward_hook(lambda m, i, o: seen.update(conv=o))
    net.embeddings[0].register_forward_pre_hook(lambda m, i: seen.update(dense=i[0]))
    with torch.no_grad():
        net(torch.randn(2, 1, 96, 64))
    assert seen["conv"].shape == (2, 512, 6, 4)
    torch.testing.assert_close(seen["dense"], seen["conv"].permute(0, 2, 3, 1).reshape(2, -1))


def test_plugins_are_declared_and_installed():
    assert contract_problems(Vggish) == [] and contract_problems(VggishMean) == []
    registry = discover()
    assert {"vggish", "vggish-mean"} <= set(registry.names())
    assert [p for p in registry.problems() if "vggish" in p] == []


def test_embeddings_of_2_5_s_are_two_finite_float32_rows_of_128_and_deterministic(raw_2_5s, weights, wav_2_5s):
    first = raw_2_5s
    again = make(weights=str(weights)).extract(clip_of(wav_2_5s))
    assert first.shape == (2, 128) and first.dtype == np.float32 and np.isfinite(first).all()
    assert np.abs(first).max() > 0  # the network ran, not a constant
    np.testing.assert_array_equal(first, again)


def test_vggish_mean_is_the_mean_over_examples(raw_2_5s, weights, wav_2_5s):
    rows = raw_2_5s
    mean = make(VggishMean, weights=str(weights)).extract(clip_of(wav_2_5s))
    assert mean.shape == (128,) and mean.dtype == np.float32
    np.testing.assert_allclose(mean, rows.mean(axis=0), rtol=1e-5, atol=1e-7)


def test_a_0_3_s_clip_gives_one_embedding(weights, write_audio, clip_for):
    path = write_audio("short.wav", speechlike(0.3, RATE))
    assert make(weights=str(weights)).extract(clip_for(path)).shape == (1, 128)


def test_final_relu_option_gives_the_rectified_pre_activation_embedding(raw_2_5s, weights, wav_2_5s):
    raw = raw_2_5s
    rectified = make(weights=str(weights), final_relu=True).extract(clip_of(wav_2_5s))
    assert (raw < 0).any()  # the release's embedding is pre-activation
    np.testing.assert_allclose(rectified, np.maximum(raw, 0), rtol=1e-5, atol=1e-6)


def test_audio_at_another_rate_is_resampled_to_16k_by_the_shared_decoder(weights, tmp_path):
    path = tmp_path / "a.wav"
    sf.write(str(path), speechlike(2.5, 44100), 44100)
    assert make(weights=str(weights)).extract(clip_of(path)).shape == (2, 128)
    with pytest.raises(Exception):
        Vggish(sample_rate=44100)  # VGGish is defined at 16 kHz only


def test_weights_found_by_bare_name_in_the_models_folder_or_env(raw_2_5s, weights, wav_2_5s, monkeypatch):
    monkeypatch.setenv("AVBENCH_MODELS", str(weights.parent / "elsewhere"))  # the run's resource wins
    by_resource = make(context=RunContext(resources={"models": str(weights.parent)})).extract(clip_of(wav_2_5s))
    np.testing.assert_array_equal(by_resource, raw_2_5s)
    monkeypatch.setenv("AVBENCH_MODELS", str(weights.parent))
    assert make().weights_path() == weights


def test_pickles_without_the_loaded_network_and_the_copy_gives_the_same_features(raw_2_5s, weights, wav_2_5s):
    extractor = make(weights=str(weights))
    extractor.network()
    data = pickle.dumps(extractor)
    assert len(data) < 100_000  # the 288 MB network is not in it
    np.testing.assert_array_equal(pickle.loads(data).extract(clip_of(wav_2_5s)), raw_2_5s)


def test_constructor_loads_nothing(monkeypatch):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    Vggish(pca=True)  # no weights anywhere, yet no error until they are needed


# --- PCA post-processing ------------------------------------------------------------------------

def random_pca(seed: int) -> PcaParams:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((128, 128)))
    return PcaParams(q * 3.0, rng.standard_normal((128, 1)) * 0.01)


def test_pca_params_round_trip_through_the_release_npz_layout(tmp_path):
    params = random_pca(1)
    save_pca_params(tmp_path / "vggish_pca_params.npz", params)
    with np.load(tmp_path / "vggish_pca_params.npz") as npz:
        assert set(npz.files) == {"pca_eigen_vectors", "pca_means"}
    loaded = load_pca_params(tmp_path / "vggish_pca_params.npz")
    np.testing.assert_array_equal(loaded.eigen_vectors, params.eigen_vectors)
    np.testing.assert_array_equal(loaded.means, params.means)


def test_quantisation_clips_to_plus_minus_2_and_truncates_to_0_255():
    identity = PcaParams(np.eye(128), np.zeros((128, 1)))
    values = np.array([-3.0, -2.0, 0.0, 1.0, 2.0, 5.0])
    embeddings = np.zeros((len(values), 128))
    embeddings[:, 0] = values
    out = identity.apply(embeddings)
    np.testing.assert_array_equal(out[:, 0], [0, 0, 127, 191, 255, 255])  # floor((x + 2) * 255 / 4)
    assert out.dtype == np.float32


def test_pca_plugin_output_is_the_whitened_raw_embedding(raw_2_5s, weights, wav_2_5s, tmp_path):
    params = random_pca(2)
    save_pca_params(tmp_path / "pca.npz", params)
    raw = raw_2_5s
    whitened = make(weights=str(weights), pca=True, pca_params=str(tmp_path / "pca.npz"),
                    quantize=False).extract(clip_of(wav_2_5s))
    np.testing.assert_allclose(whitened, (raw - params.means.T) @ params.eigen_vectors.T, rtol=1e-4, atol=1e-5)
    quantised = make(weights=str(weights), pca=True, pca_params=str(tmp_path / "pca.npz")).extract(clip_of(wav_2_5s))
    assert np.all(quantised == np.round(quantised)) and quantised.min() >= 0 and quantised.max() <= 255


# --- missing and wrong files ----------------------------------------------------------------------

def test_missing_weights_without_models_folder_names_the_file_the_variable_and_the_param(monkeypatch, wav_2_5s):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    extractor = make()
    with pytest.raises(ResourceMissingError) as err:
        extractor.extract(clip_of(wav_2_5s))
    message = str(err.value)
    assert "vggish-10086976.pth" in message and "AVBENCH_MODELS" in message and "weights" in message
    assert "torchvggish" in message  # where the file comes from


def test_missing_weights_in_the_models_folder_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_MODELS", str(tmp_path))
    with pytest.raises(ResourceMissingError, match="put vggish-10086976.pth .* in " + str(tmp_path)):
        make().input_files()


def test_missing_weights_path_names_the_path(tmp_path):
    with pytest.raises(ResourceMissingError, match="weights=.*nowhere.pth.* is not a file"):
        make(weights=str(tmp_path / "nowhere.pth")).input_files()


def test_missing_pca_file_names_it_and_its_param(weights, monkeypatch, wav_2_5s):
    monkeypatch.setenv("AVBENCH_MODELS", str(weights.parent))
    with pytest.raises(ResourceMissingError) as err:
        make(pca=True).extract(clip_of(wav_2_5s))
    assert "vggish_pca_params.npz" in str(err.value) and "pca_params" in str(err.value)


def test_a_state_dict_in_another_layout_is_refused_naming_the_keys(tmp_path, wav_2_5s):
    torch.save({"fc.weight": torch.zeros(2), "features.0.weight": torch.zeros(64, 1, 3)}, tmp_path / "other.pth")
    with pytest.raises(ResourceMissingError) as err:
        make(weights=str(tmp_path / "other.pth")).extract(clip_of(wav_2_5s))
    message = str(err.value)
    assert "unexpected fc.weight" in message and "missing features.0.bias" in message
    assert "features.0.weight has shape [64, 1, 3], expected [64, 1, 3, 3]" in message


def test_an_unreadable_audio_file_is_a_clip_error(weights, tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF0000WAVEnot audio")
    with pytest.raises(ClipError):
        make(weights=str(weights)).extract(clip_of(path))


# --- declared input files: their content is in the feature key ---------------------------------------

def test_the_input_hashes_follow_the_weights_file_content(tmp_path):
    path = tmp_path / "w.pth"  # the key hashes bytes; it does not need a loadable file
    path.write_bytes(b"first weights")
    first = input_hashes(make(weights=str(path)))
    assert set(first) == {"weights"}
    assert input_hashes(make(weights=str(path))) == first
    path.write_bytes(b"other weights, longer")
    assert input_hashes(make(weights=str(path))) != first


def test_the_pca_file_is_an_input_only_when_pca_is_on(tmp_path):
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"weights")
    pca = tmp_path / "pca.npz"
    save_pca_params(pca, random_pca(1))
    plain = input_hashes(make(weights=str(weights), pca_params=str(pca)))
    with_pca = input_hashes(make(weights=str(weights), pca=True, pca_params=str(pca)))
    save_pca_params(pca, random_pca(2))
    assert input_hashes(make(weights=str(weights), pca_params=str(pca))) == plain
    assert input_hashes(make(weights=str(weights), pca=True, pca_params=str(pca))) not in (plain, with_pca)


# --- the conformance kit, with the test weights ------------------------------------------------------

_CONFORMANCE_WEIGHTS: dict[str, str] = {}


class VggishWithTestWeights(Vggish):
    """``vggish`` reading the tests' random weights, so the kit's checks run instead of skipping."""

    @classmethod
    def conformance_params(cls, tmp_dir: Path) -> dict[str, str]:
        return {"weights": _CONFORMANCE_WEIGHTS["path"]}


@parametrize_with_checks([VggishWithTestWeights])
def test_vggish_passes_the_conformance_checks(avbench_check, weights):
    _CONFORMANCE_WEIGHTS["path"] = str(weights)
    avbench_check()


# --- real weights (only where the user has them) -----------------------------------------------

@pytest.mark.real_data
def test_real_weights_embed_a_ravdess_clip():
    models, root = os.environ.get("AVBENCH_MODELS"), os.environ.get("AVBENCH_RAVDESS_ROOT")
    if not models or not (Path(models) / "vggish-10086976.pth").is_file():
        pytest.skip("vggish-10086976.pth (harritaylor/torchvggish release) is not in AVBENCH_MODELS")
    if not root or not any(Path(root).rglob("03-01-*.*")):
        pytest.skip("AVBENCH_RAVDESS_ROOT is not set to the RAVDESS audio")
    path = sorted(Path(root).rglob("03-01-*.*"))[0]
    out = make().extract(clip_of(path))
    n_frames = 1 + (int(round(sf.info(str(path)).duration * RATE)) - 400) // 160
    assert out.shape == (max(1, n_frames // 96), 128) and np.isfinite(out).all()

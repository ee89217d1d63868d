"""The crema-d plugin on the corpus's own formats: VideoFlash (VP6 + MP3 in FLV), AudioMP3, AudioWAV.

Actor 1001 has FLV video and WAV audio, actor 1002 MP3 and WAV audio; every sample is sentence DFA at
level XX, one per emotion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avbench.contract import Clip
from avbench.registry import get_registry
from avbench_plugins.datasets.crema_d import CremaD
from avbench_plugins.extractors.audio.decode import decode_audio
from avbench_plugins.extractors.video.frame_sampling import VideoReader

from .conftest import FER_MODEL, LANDMARKER, require_models

pytestmark = pytest.mark.real_data

EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
AUDIO_EXTRACTORS = {"mfcc-stats": (160,), "egemaps": (88,), "log-mel": (128, None), "stft-spectrogram": (192, 120)}


def best_lag_correlation(a: np.ndarray, b: np.ndarray, max_lag: int) -> tuple[int, float]:
    """The shift of ``a`` against ``b`` (samples, |lag| <= max_lag) where they correlate best, and that correlation."""
    n = min(len(a), len(b)) - 2 * max_lag
    y = b[max_lag:max_lag + n] - b[max_lag:max_lag + n].mean()
    scores = []
    for lag in range(-max_lag, max_lag + 1):
        x = a[max_lag + lag:max_lag + lag + n]
        x = x - x.mean()
        scores.append(float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-12)))
    best = int(np.argmax(scores))
    return best - max_lag, scores[best]


@pytest.fixture(scope="module")
def mp3_clips(crema_d_root: Path) -> dict[str, Clip]:
    """The sample tree read with mp3 as the only audio file type: 1002 from AudioMP3, 1001 from its FLV's track."""
    return {clip.clip_id: clip for clip in CremaD(audio_extensions=["mp3"]).clips(crema_d_root)}


def test_the_sample_tree_reads_as_12_takes_of_two_actors_with_their_labels(crema_d_root):
    dataset = CremaD()
    clips = dataset.clips(crema_d_root)
    assert dataset.problems == []
    assert sorted(c.clip_id for c in clips) == sorted(f"{a}_DFA_{e}_XX" for a in (1001, 1002) for e in EMOTIONS)
    for clip in clips:
        actor, _, emotion, _ = clip.clip_id.split("_")
        assert (clip.subject, clip.label, clip.meta["actor"]) == (actor, EMOTIONS[emotion], int(actor))
        assert clip.meta["sentence"] == "DFA" and clip.meta["intensity"] == "unspecified"
        assert Path(clip.media["audio"]).parent.name == "AudioWAV"  # wav is preferred over mp3 and the flv's track
        assert ("video" in clip.media) == (actor == "1001")
        if actor == "1001":
            assert Path(clip.media["video"]).relative_to(crema_d_root).as_posix() == f"VideoFlash/{clip.clip_id}.flv"


def test_mp3_audio_comes_from_audiomp3_and_else_from_the_flv_sound_track(mp3_clips):
    assert len(mp3_clips) == 12
    for clip_id, clip in mp3_clips.items():
        folder = "AudioMP3" if clip_id.startswith("1002") else "VideoFlash"
        assert Path(clip.media["audio"]).parent.name == folder, clip.media


def test_an_mp3_decodes_to_the_same_speech_as_the_wav_of_its_take(crema_d_root):
    mp3 = decode_audio(crema_d_root / "AudioMP3/1002_DFA_ANG_XX.mp3", "1002_DFA_ANG_XX", 16000)
    wav, rate = sf.read(crema_d_root / "AudioWAV/1002_DFA_ANG_XX.wav", dtype="float32")
    assert rate == 16000 and abs(len(mp3.samples) - len(wav)) < 0.05 * rate
    # the MP3 decoder drops the encoder's start-up delay, which the WAV keeps: ~12 ms at most
    lag, r = best_lag_correlation(mp3.samples, wav, max_lag=400)
    assert r > 0.99, f"MP3 and WAV of one take correlate only {r:.3f} (best lag {lag})"


def test_the_flv_sound_track_decodes_to_the_same_speech_as_the_wav_of_its_take(crema_d_root):
    flv = decode_audio(crema_d_root / "VideoFlash/1001_DFA_HAP_XX.flv", "1001_DFA_HAP_XX", 16000)
    wav, _ = sf.read(crema_d_root / "AudioWAV/1001_DFA_HAP_XX.wav", dtype="float32")
    assert abs(len(flv.samples) - len(wav)) < 800
    lag, r = best_lag_correlation(flv.samples, wav, max_lag=400)
    assert r > 0.99, f"FLV track and WAV of one take correlate only {r:.3f} (best lag {lag})"


@pytest.mark.parametrize("extractor", sorted(AUDIO_EXTRACTORS))
@pytest.mark.parametrize("clip_id", ["1002_DFA_SAD_XX", "1001_DFA_SAD_XX"], ids=["mp3", "flv-track"])
def test_audio_extractors_give_finite_features_from_mp3_and_from_the_flv(extractor, clip_id, mp3_clips, context):
    out = get_registry().create(extractor, context=context).extract(mp3_clips[clip_id])
    expected = AUDIO_EXTRACTORS[extractor]
    assert out.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, out.shape))
    assert np.isfinite(out).all() and out.std() > 0


def test_opencv_decodes_every_frame_of_the_vp6_flv(crema_d_root):
    reader = VideoReader(crema_d_root / "VideoFlash/1001_DFA_NEU_XX.flv")
    frames = [frame for _, frame in reader.iter_frames(lambda i: True)]
    assert reader.reached_end and len(frames) == reader.count_frames() > 60  # 61 frames, ~2 s at 29.97 fps
    assert abs(reader.fps() - 29.97) < 0.01
    assert {f.shape for f in frames} == {(360, 480, 3)}
    # real picture content, not a grey or green error frame: the frames differ and have detail
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1 and frames[30].std() > 20


def test_opencv_and_pyav_decode_the_vp6_flv_to_the_same_pixels(crema_d_root):
    import av

    path = crema_d_root / "VideoFlash/1001_DFA_NEU_XX.flv"
    with av.open(str(path)) as container:
        pyav = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
    opencv = [frame for _, frame in VideoReader(path).iter_frames(lambda i: True)]
    assert len(pyav) == len(opencv)
    for index in range(0, len(opencv), 10):
        assert np.abs(pyav[index].astype(int) - opencv[index].astype(int)).mean() < 1.0, f"frame {index} differs"


def test_the_ristea2019_frame_stack_is_20_faces_of_98x80_from_the_flv(mp3_clips, context):
    extractor = get_registry().create({"plugin": "face-crops", "params": {
        "sampling": "equally_spaced", "n_frames": 20, "detector": "haar", "crop_height": 98, "crop_width": 80}},
        context=context)
    clip = mp3_clips["1001_DFA_ANG_XX"]
    out = extractor.extract(clip)
    assert out.shape == (20, 98, 80) and 0 <= out.min() and out.max() <= 1
    diagnostics = extractor.diagnostics(clip)
    assert diagnostics["frames_no_face"] == 0 and diagnostics["frames_in_clip"] > 60


def test_fer_posteriors_come_out_for_sampled_frames_of_the_flv(mp3_clips, context):
    require_models(FER_MODEL)
    extractor = get_registry().create({"plugin": "fer-posteriors", "params": {
        "sampling": "every", "stride": 4}}, context=context)
    clip = mp3_clips["1001_DFA_HAP_XX"]
    out = extractor.extract(clip)
    diagnostics = extractor.diagnostics(clip)
    assert out.shape == (-(-diagnostics["frames_in_clip"] // 4), 7) and diagnostics["frames_no_face"] == 0
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_blendshapes_come_out_for_sampled_frames_of_the_flv(mp3_clips, context):
    require_models(LANDMARKER)
    extractor = get_registry().create({"plugin": "blendshapes", "params": {"n_frames": 8}}, context=context)
    clip = mp3_clips["1001_DFA_FEA_XX"]
    out = extractor.extract(clip)
    assert out.shape == (8, 52) and np.isfinite(out).all()
    assert extractor.diagnostics(clip)["frames_no_face"] == 0 and (out.sum(axis=1) > 0).all()

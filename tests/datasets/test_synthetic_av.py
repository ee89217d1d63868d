"""The embedded synthetic demo set: deterministic, generated once, RAVDESS-shaped, learnable but not trivial."""

from __future__ import annotations

import collections
import hashlib
from pathlib import Path

import cv2
import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from avbench.contract import DatasetError
from avbench_plugins.datasets.naming.ravdess_names import LABELS, parse_ravdess_name
import avbench_plugins.datasets.synthetic_av as synthetic_av_module
from avbench_plugins.datasets.synthetic_av import SyntheticAV, generator
from avbench_plugins.datasets.synthetic_av.face import draw_face
from avbench_plugins.datasets.synthetic_av.styles import actor_traits, emotion_style

SMALL = {"actors": 2, "clips_per_emotion": 1, "seconds": 1.0, "fps": 10.0, "size": (64, 48)}


def read_video(path: str | Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return np.stack(frames)


def test_declares_an_embedded_synthetic_audio_visual_set_with_the_ravdess_labels():
    assert SyntheticAV.embedded and SyntheticAV.synthetic
    assert SyntheticAV.modalities == ("audio", "video")
    assert SyntheticAV.labels == LABELS == ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust",
                                            "surprised")
    assert "SYNTHETIC" in synthetic_av_module.__doc__


def test_generation_is_deterministic_down_to_samples_frames_and_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    SyntheticAV(SMALL).prepare(first)
    SyntheticAV(SMALL).prepare(second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".wav"]) == 16
    for rel in files:
        if rel.suffix == ".wav":
            np.testing.assert_array_equal(sf.read(first / rel)[0], sf.read(second / rel)[0])
        if rel.suffix == ".mp4":
            np.testing.assert_array_equal(read_video(first / rel), read_video(second / rel))
        assert hashlib.sha256((first / rel).read_bytes()).digest() == hashlib.sha256((second / rel).read_bytes()).digest()


def test_prepare_skips_a_folder_whose_marker_matches(tmp_path, monkeypatch):
    root = tmp_path / "demo"
    SyntheticAV(SMALL).prepare(root)

    def fail(*args, **kwargs):
        raise AssertionError("regenerated although the marker matched")

    monkeypatch.setattr(generator, "write_take", fail)
    SyntheticAV(SMALL).prepare(root)
    assert len(SyntheticAV(SMALL).clips(root)) == 16


def test_other_parameters_regenerate_the_set_in_place(tmp_path):
    root = tmp_path / "demo"
    SyntheticAV(SMALL).prepare(root)
    before = sf.read(root / "Actor_01" / "03-01-01-01-01-01-01.wav")[0]
    SyntheticAV({**SMALL, "seed": 1}).prepare(root)
    after = sf.read(root / "Actor_01" / "03-01-01-01-01-01-01.wav")[0]
    assert not np.array_equal(before, after)
    assert generator.read_marker(root)["params"]["seed"] == 1
    with pytest.raises(DatasetError, match="prepare"):
        SyntheticAV(SMALL).clips(root)


def test_failed_generation_leaves_neither_the_set_nor_a_partial_folder(tmp_path, monkeypatch):
    calls = []

    def fail_on_third(folder, settings, name):
        calls.append(name)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        original(folder, settings, name)

    original = generator.write_take
    monkeypatch.setattr(generator, "write_take", fail_on_third)
    with pytest.raises(RuntimeError):
        SyntheticAV(SMALL).prepare(tmp_path / "demo")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_generate_over_a_folder_of_other_files(tmp_path):
    root = tmp_path / "mine"
    root.mkdir()
    (root / "thesis.tex").write_text("keep me")
    with pytest.raises(DatasetError, match="refusing"):
        SyntheticAV(SMALL).prepare(root)
    assert (root / "thesis.tex").read_text() == "keep me"


def test_clips_before_prepare_say_to_prepare_first(tmp_path):
    with pytest.raises(DatasetError, match="prepare"):
        SyntheticAV().clips(tmp_path / "never-made")


def test_default_set_is_6_actors_x_8_emotions_x_4_takes_in_ravdess_naming(demo_set):
    dataset, root = demo_set
    clips = dataset.clips(root)
    assert len(clips) == 192
    assert {c.subject for c in clips} == {"01", "02", "03", "04", "05", "06"}
    assert collections.Counter(c.label for c in clips) == {label: 24 for label in LABELS}
    for clip in clips:
        audio, video = Path(clip.media["audio"]), Path(clip.media["video"])
        assert audio.parent.name == video.parent.name == f"Actor_{clip.subject}"
        assert parse_ravdess_name(audio.stem).modality == 3 and parse_ravdess_name(video.stem).modality == 1
        assert parse_ravdess_name(audio.stem).clip_id == parse_ravdess_name(video.stem).clip_id == clip.clip_id
        assert clip.meta["synthetic"] is True
        assert clip.meta["gender"] == ("male" if int(clip.subject) % 2 else "female")
    intensities = {(c.label, c.meta["intensity"]) for c in clips}
    assert ("neutral", "strong") not in intensities
    assert {("angry", "normal"), ("angry", "strong")} <= intensities
    takes = {(c.meta["statement"], c.meta["repetition"]) for c in clips if c.label == "sad" and c.subject == "01"}
    assert takes == {(1, 1), (1, 2), (2, 1), (2, 2)}


def test_media_are_16k_mono_wav_and_small_mp4_of_the_same_duration(demo_set):
    dataset, root = demo_set
    clip = dataset.clips(root)[37]
    samples, rate = sf.read(clip.media["audio"])
    assert rate == 16000 and samples.ndim == 1 and len(samples) == int(1.8 * 16000)
    assert 0.01 < np.sqrt(np.mean(samples ** 2)) < 0.5
    capture = cv2.VideoCapture(clip.media["video"])
    assert capture.get(cv2.CAP_PROP_FPS) == 25
    frames = read_video(clip.media["video"])
    assert frames.shape == (45, 120, 160, 3)


def test_class_filter_keeps_only_those_emotions(demo_set):
    _, root = demo_set
    clips = SyntheticAV(classes=["happy", "sad"]).clips(root)
    assert {c.label for c in clips} == {"happy", "sad"} and len(clips) == 48


def test_angry_is_louder_than_sad_and_surprised_higher_pitched_than_sad_for_every_actor(demo_set):
    dataset, root = demo_set
    rms, pitch = collections.defaultdict(list), collections.defaultdict(list)
    for clip in dataset.clips(root):
        if clip.label in ("angry", "sad", "surprised"):
            samples, rate = sf.read(clip.media["audio"], dtype="float32")
            rms[clip.subject, clip.label].append(np.sqrt(np.mean(samples ** 2)))
            f0 = librosa.yin(samples, fmin=60, fmax=600, sr=rate)
            pitch[clip.subject, clip.label].append(np.median(f0))
    for subject in {s for s, _ in rms}:
        assert np.mean(rms[subject, "angry"]) > np.mean(rms[subject, "sad"])
        assert np.mean(pitch[subject, "surprised"]) > np.mean(pitch[subject, "sad"])


def test_odd_male_actors_speak_lower_than_even_female_actors(demo_set):
    dataset, root = demo_set
    pitch = collections.defaultdict(list)
    for clip in dataset.clips(root):
        if clip.label == "neutral":
            samples, rate = sf.read(clip.media["audio"], dtype="float32")
            pitch[clip.meta["gender"]].append(np.median(librosa.yin(samples, fmin=60, fmax=600, sr=rate)))
    assert max(pitch["male"]) < min(pitch["female"])


def test_the_mouth_opens_with_the_voice_and_the_face_shows_the_emotion():
    actor = actor_traits(0, 1)
    frames = {}
    for emotion, opening in (("happy", 0.0), ("happy", 1.0), ("sad", 0.0)):
        frame = np.zeros((120, 160, 3), np.uint8)
        draw_face(frame, emotion_style(emotion, strong=False), actor, opening, (0.0, 0.0), 0.0)
        frames[emotion, opening] = frame
    mouth_dark = {k: int((f.max(axis=2) < 80)[70:, :].sum()) for k, f in frames.items()}
    assert mouth_dark["happy", 1.0] > mouth_dark["happy", 0.0]
    assert not np.array_equal(frames["happy", 0.0], frames["sad", 0.0])


def test_demo_is_learnable_from_mfcc_means_with_actors_held_out_but_not_trivially(demo_set):
    """Train on actors 01-04, test on 05-06: clearly above chance (12.5%), below perfect."""
    dataset, root = demo_set
    features, labels, subjects = [], [], []
    for clip in dataset.clips(root):
        samples, rate = sf.read(clip.media["audio"], dtype="float32")
        features.append(librosa.feature.mfcc(y=samples, sr=rate, n_mfcc=20).mean(axis=1))
        labels.append(clip.label)
        subjects.append(clip.subject)
    x, y = np.array(features), np.array(labels)
    train = np.isin(subjects, ["01", "02", "03", "04"])
    model = make_pipeline(StandardScaler(), SVC()).fit(x[train], y[train])
    accuracy = float(np.mean(model.predict(x[~train]) == y[~train]))
    print(f"synthetic-av MFCC-mean SVC accuracy, actors 05-06 held out: {accuracy:.3f}")
    assert 0.25 < accuracy < 1.0

"""The enterface reader: subject/emotion/sentence folders that must agree with the file name, and the avi's
audio track serving the audio branch."""

from __future__ import annotations

from pathlib import Path, PurePath

import numpy as np
import pytest
from pydantic import ValidationError

from avbench.contract import DatasetError
from avbench.testing import check_plugin
from avbench_plugins.datasets.enterface import Enterface
from avbench_plugins.datasets.naming.enterface_names import EnterfacePathError, parse_enterface_path
from avbench_plugins.extractors.audio.decode import load_clip_audio


def write_av_avi(path: Path, seconds: float = 0.5, rate: int = 16000) -> np.ndarray:
    """An avi as the corpus has it: MPEG-4 video frames and a PCM speech track; returns the samples written."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("pcm_s16le", rate=rate)
        audio.layout = "mono"
        for i in range(int(seconds * 25)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="rgb24")
            for packet in video.encode(frame):
                out.mux(packet)
        sound = av.AudioFrame.from_ndarray(samples[None], format="s16", layout="mono")
        sound.sample_rate = rate
        for stream, frame in ((audio, sound), (audio, None), (video, None)):
            for packet in stream.encode(frame):
                out.mux(packet)
    return samples.astype(np.float32) / 32767


@pytest.mark.parametrize("code, label", [("an", "angry"), ("di", "disgust"), ("fe", "fearful"), ("ha", "happy"),
                                         ("sa", "sad"), ("su", "surprised")])
def test_each_emotion_folder_and_code_maps_to_its_canonical_label(code, label):
    folder = {"an": "anger", "di": "disgust", "fe": "fear", "ha": "happiness", "sa": "sadness", "su": "surprise"}[code]
    name = parse_enterface_path(PurePath(f"subject 12/{folder}/sentence 3/s12_{code}_3.avi"))
    assert (name.subject, name.label, name.sentence, name.clip_id) == (12, label, 3, f"s12_{code}_3")


def test_folders_and_file_name_that_disagree_are_named_not_guessed():
    with pytest.raises(EnterfacePathError) as err:
        parse_enterface_path(PurePath("subject 2/anger/sentence 1/s3_di_4.avi"))
    message = str(err.value)
    assert "file says subject 3, folder says 2" in message and "file code 'di'" in message
    assert "file says sentence 4, folder says 1" in message


def test_clips_of_the_archive_layout_with_the_avi_serving_both_modalities(make_tree):
    root = make_tree(["enterface database/subject 1/anger/sentence 1/s1_an_1.avi",
                      "enterface database/subject 1/happiness/sentence 5/s1_ha_5.avi",
                      "enterface database/subject 10/sadness/sentence 2/s10_sa_2.avi"])
    clips = Enterface().clips(root)
    assert [(c.clip_id, c.subject, c.label) for c in clips] == [
        ("s10_sa_2", "10", "sad"), ("s1_an_1", "1", "angry"), ("s1_ha_5", "1", "happy")]
    assert all(c.media["audio"] == c.media["video"] and c.media["video"].endswith(".avi") for c in clips)
    assert clips[2].meta == {"subject": 1, "sentence": 5, "gender": "unknown"}


def test_filters_and_an_extracted_wav_preferred_for_audio(make_tree):
    root = make_tree(["video/subject 1/fear/sentence 1/s1_fe_1.avi", "audio/subject 1/fear/sentence 1/s1_fe_1.wav",
                      "video/subject 2/surprise/sentence 2/s2_su_2.avi"])
    first, second = Enterface().clips(root)
    assert first.media["audio"].endswith(".wav") and first.media["video"].endswith(".avi")
    assert [c.clip_id for c in Enterface(subjects=[2]).clips(root)] == ["s2_su_2"]
    assert [c.clip_id for c in Enterface(classes=["fearful"]).clips(root)] == ["s1_fe_1"]
    assert [c.clip_id for c in Enterface(sentences=[2]).clips(root)] == ["s2_su_2"]
    with pytest.raises(ValidationError, match="neutral"):
        Enterface(classes=["neutral"])


def test_bad_files_are_listed_and_the_good_takes_still_load(make_tree):
    root = make_tree(["subject 1/anger/sentence 1/s1_an_1.avi", "subject 1/anger/sentence 1/s1_an_1 (copy).avi",
                      "subject 1/joy/sentence 1/s1_jo_1.avi", "loose.avi"])
    dataset = Enterface()
    assert [c.clip_id for c in dataset.clips(root)] == ["s1_an_1"]
    joined = "\n".join(dataset.problems)
    assert len(dataset.problems) == 3, joined
    assert "(copy).avi" in joined and "folder 'joy'" in joined and "loose.avi" in joined


def test_missing_root_names_the_layout_and_variable(tmp_path):
    with pytest.raises(DatasetError, match="(?s)subject N/<emotion>.*AVBENCH_ENTERFACE_ROOT"):
        Enterface().clips(tmp_path / "absent")


def test_the_audio_branch_decodes_the_speech_track_of_the_avi(tmp_path):
    written = write_av_avi(tmp_path / "subject 4" / "sadness" / "sentence 2" / "s4_sa_2.avi")
    (clip,) = Enterface().clips(tmp_path)
    signal = load_clip_audio(clip, 16000)
    assert signal.sample_rate == 16000 and abs(len(signal.samples) - len(written)) <= 160
    n = min(len(signal.samples), len(written))
    assert np.allclose(signal.samples[:n], written[:n], atol=1e-3)


def test_enterface_passes_every_conformance_check():
    results = check_plugin(Enterface)
    assert [r.line() for r in results if r.status != "passed"] == []
    assert len(results) == 11

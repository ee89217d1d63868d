"""The ravdess reader on generated trees (empty files), plus one check against the real corpus."""

from __future__ import annotations

import collections
import itertools
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from avbench.contract import DatasetError
from avbench_plugins.datasets.ravdess import Ravdess
from tests.conftest import env_path


def speech_names(actors=(1, 2), modality="03", ext="wav", channel="01") -> list[str]:
    """Every take RAVDESS has for these actors (neutral normal only), as Actor_XX/... paths."""
    names = []
    for actor, emotion, statement, repetition in itertools.product(actors, range(1, 9), (1, 2), (1, 2)):
        for intensity in (1,) if emotion == 1 else (1, 2):
            names.append(f"Actor_{actor:02d}/{modality}-{channel}-{emotion:02d}-{intensity:02d}-"
                         f"{statement:02d}-{repetition:02d}-{actor:02d}.{ext}")
    return names


def test_labels_subjects_and_gender_come_from_the_names(make_tree):
    root = make_tree(speech_names(actors=(1, 2)))
    clips = Ravdess().clips(root)
    assert len(clips) == 2 * 60
    assert {c.subject for c in clips} == {"01", "02"}
    assert {c.meta["gender"] for c in clips if c.subject == "01"} == {"male"}
    assert {c.meta["gender"] for c in clips if c.subject == "02"} == {"female"}
    counts = collections.Counter(c.label for c in clips)
    assert counts["neutral"] == 8 and all(counts[label] == 16 for label in Ravdess.labels if label != "neutral")
    clip = next(c for c in clips if c.clip_id == "01-05-02-01-02-01")
    assert clip.label == "angry"
    assert clip.meta == {"actor": 1, "gender": "male", "vocal_channel": "speech", "intensity": "strong",
                         "statement": 1, "repetition": 2}
    assert Path(clip.media["audio"]).name == "03-01-05-02-01-02-01.wav"


def test_clips_are_sorted_by_clip_id(make_tree):
    root = make_tree(speech_names(actors=(2, 1)))
    ids = [c.clip_id for c in Ravdess().clips(root)]
    assert ids == sorted(ids)


def test_audio_file_and_av_video_of_a_take_join_on_one_clip(make_tree):
    root = make_tree(["Audio_Speech_Actors_01-24/Actor_03/03-01-04-01-02-01-03.flac",
                      "Video_Speech_Actor_03/Actor_03/01-01-04-01-02-01-03.mp4"])
    (clip,) = Ravdess().clips(root)
    assert clip.clip_id == "01-04-01-02-01-03"
    assert Path(clip.media["audio"]).suffix == ".flac"
    assert Path(clip.media["video"]).name == "01-01-04-01-02-01-03.mp4"


def test_av_video_serves_audio_when_a_take_has_no_audio_only_file(make_tree):
    root = make_tree(["Actor_03/01-01-04-01-02-01-03.mp4"])
    (clip,) = Ravdess().clips(root)
    assert clip.media == {"audio": clip.media["video"], "video": clip.media["video"]}
    (clip,) = Ravdess(audio_from=["audio-only"]).clips(root)
    assert set(clip.media) == {"video"}


def test_video_only_file_serves_video_but_never_audio(make_tree):
    root = make_tree(["Actor_03/02-01-04-01-02-01-03.mp4"])
    (clip,) = Ravdess().clips(root)
    assert set(clip.media) == {"video"}


def test_required_modalities_drop_takes_that_lack_them(make_tree):
    root = make_tree(["Actor_01/03-01-03-01-01-01-01.wav", "Actor_01/03-01-04-01-01-01-01.wav",
                      "Actor_01/01-01-04-01-01-01-01.mp4"])
    clips = Ravdess(require=["audio", "video"]).clips(root)
    assert [c.clip_id for c in clips] == ["01-04-01-01-01-01"]


def test_vocal_channel_filter_defaults_to_speech(make_tree):
    root = make_tree(["Actor_01/03-01-03-01-01-01-01.wav", "Actor_01/03-02-03-01-01-01-01.wav"])
    assert [c.meta["vocal_channel"] for c in Ravdess().clips(root)] == ["speech"]
    both = Ravdess(vocal_channels=["speech", "song"]).clips(root)
    assert sorted(c.meta["vocal_channel"] for c in both) == ["song", "speech"]


def test_intensity_actor_and_class_filters(make_tree):
    root = make_tree(speech_names(actors=(1, 2, 3)))
    strong = Ravdess(intensities=["strong"]).clips(root)
    assert strong and {c.meta["intensity"] for c in strong} == {"strong"}
    assert {c.subject for c in Ravdess(actors=[2, 3]).clips(root)} == {"02", "03"}
    subset = Ravdess(classes=["angry", "sad"]).clips(root)
    assert {c.label for c in subset} == {"angry", "sad"} and len(subset) == 3 * 2 * 8


def test_unknown_class_or_actor_in_params_is_refused():
    with pytest.raises(ValidationError, match="anger"):
        Ravdess(classes=["anger"])
    with pytest.raises(ValidationError, match="1-24"):
        Ravdess(actors=[25])


def test_every_malformed_or_unknown_name_is_listed_and_the_good_files_still_load(make_tree):
    root = make_tree(["Actor_01/03-01-03-01-01-01-01.wav",        # fine
                      "Actor_01/03-01-09-01-01-01-01.wav",        # emotion 09
                      "Actor_01/03-01-03-01-01.wav",              # five fields
                      "Actor_01/01-01-03-01-01-01-01.wav",        # AV modality but an audio file
                      "Actor_02/03-01-03-01-01-01-01.wav",        # actor 01 in folder Actor_02
                      "Actor_01/notes.txt"])                      # not media: ignored
    dataset = Ravdess()
    assert [c.clip_id for c in dataset.clips(root)] == ["01-03-01-01-01-01"]
    problems = dataset.problems
    assert len(problems) == 4
    joined = "\n".join(problems)
    assert "Actor_01/03-01-09-01-01-01-01.wav" in joined and "emotion 09" in joined
    assert "Actor_01/03-01-03-01-01.wav" in joined
    assert "Actor_01/01-01-03-01-01-01-01.wav" in joined and "expected mp4" in joined
    assert "Actor_02/03-01-03-01-01-01-01.wav" in joined and "Actor_02" in joined


def test_two_audio_files_of_one_take_are_a_problem_unless_one_is_excluded(make_tree):
    root = make_tree(["wav/Actor_01/03-01-03-01-01-01-01.wav", "flac/Actor_01/03-01-03-01-01-01-01.flac"])
    with pytest.raises(DatasetError, match="2 audio-only files"):
        Ravdess().clips(root)
    (clip,) = Ravdess(exclude=["wav/*"]).clips(root)
    assert clip.media["audio"].endswith(".flac")


def test_hidden_files_and_macos_forks_are_ignored(make_tree):
    root = make_tree(["Actor_01/03-01-03-01-01-01-01.wav", "Actor_01/._03-01-03-01-01-01-01.wav",
                      "__MACOSX/Actor_01/03-01-03-01-01-01-01.wav"])
    assert len(Ravdess().clips(root)) == 1


def test_folders_linked_into_the_root_are_followed(make_tree, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "Actor_05"
    elsewhere.mkdir(parents=True)
    (elsewhere / "03-01-03-01-01-01-05.wav").write_bytes(b"")
    root = make_tree(["Actor_01/03-01-03-01-01-01-01.wav"])
    (root / "Actor_05").symlink_to(elsewhere, target_is_directory=True)
    assert {c.subject for c in Ravdess().clips(root)} == {"01", "05"}


def test_missing_root_says_expected_layout_and_how_to_point_at_the_data(tmp_path):
    with pytest.raises(DatasetError) as err:
        Ravdess().clips(tmp_path / "nowhere")
    message = str(err.value)
    assert "does not exist" in message
    assert "MM-VC-EE-II-SS-RR-AA" in message
    assert "AVBENCH_RAVDESS_ROOT" in message and "--data ravdess=PATH" in message


def test_root_without_media_says_expected_layout(make_tree):
    root = make_tree(["README.md"])
    with pytest.raises(DatasetError, match="(?s)no RAVDESS media files.*AVBENCH_RAVDESS_ROOT"):
        Ravdess().clips(root)


def test_filters_that_leave_nothing_say_so(make_tree):
    root = make_tree(speech_names(actors=(1,)))
    with pytest.raises(DatasetError, match="none passes the filters"):
        Ravdess(actors=[5]).clips(root)


@pytest.mark.real_data
def test_real_speech_corpus_has_1440_clips_24_actors_and_8_emotions():
    root = env_path("AVBENCH_RAVDESS_ROOT")
    clips = Ravdess().clips(root)
    assert len(clips) == 1440
    assert {c.subject for c in clips} == {f"{a:02d}" for a in range(1, 25)}
    counts = collections.Counter(c.label for c in clips)
    assert set(counts) == set(Ravdess.labels)
    assert counts["neutral"] == 96
    assert all(counts[label] == 192 for label in Ravdess.labels if label != "neutral")
    genders = collections.Counter(c.meta["gender"] for c in clips)
    assert genders == {"male": 720, "female": 720}
    assert all(os.path.isfile(c.media["audio"]) for c in clips[:10])

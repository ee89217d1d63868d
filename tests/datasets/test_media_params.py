"""The parameters and reading steps the media-tree datasets share (``media_params``, ``tree``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from avbench_plugins.datasets.crema_d import CremaD
from avbench_plugins.datasets.enterface import Enterface
from avbench_plugins.datasets.iemocap import Iemocap
from avbench_plugins.datasets.naming.savee_names import SaveePathError, parse_savee_path
from avbench_plugins.datasets.ravdess import Ravdess
from avbench_plugins.datasets.rml import Rml
from avbench_plugins.datasets.savee import Savee
from avbench_plugins.datasets.tree import lacks_required, pick_media, read_named_takes

WITH_EXTENSIONS = [CremaD, Rml, Savee, Enterface]
ALL = [*WITH_EXTENSIONS, Ravdess, Iemocap]
CORPUS_NAMES = {CremaD: "CREMA-D", Rml: "RML", Savee: "SAVEE", Enterface: "eNTERFACE'05", Ravdess: "RAVDESS",
                Iemocap: "IEMOCAP"}


@pytest.mark.parametrize("dataset", WITH_EXTENSIONS, ids=lambda d: d.name)
def test_file_types_are_stored_lower_case_without_a_dot_in_every_media_tree_dataset(dataset):
    params = dataset(audio_extensions=[".WAV", "Flac"], video_extensions=[".MP4"]).get_params()
    assert (params["audio_extensions"], params["video_extensions"]) == (["wav", "flac"], ["mp4"])


@pytest.mark.parametrize("dataset", ALL, ids=lambda d: d.name)
def test_an_unknown_or_repeated_class_is_refused_naming_the_corpus(dataset):
    with pytest.raises(ValidationError, match=rf"{CORPUS_NAMES[dataset]} has no class\(es\) \['calm-ish'\]"):
        dataset(classes=["calm-ish"])
    with pytest.raises(ValidationError, match="lists a class twice"):
        dataset(classes=["angry", "angry"])
    assert dataset(classes=["angry"]).get_params()["classes"] == ["angry"]


@pytest.mark.parametrize("dataset", [d for d in ALL if d is not Iemocap], ids=lambda d: d.name)
def test_require_accepts_only_audio_and_video(dataset):
    assert dataset(require=["video", "audio"]).get_params()["require"] == ["video", "audio"]
    with pytest.raises(ValidationError, match="require"):
        dataset(require=["text"])


@pytest.mark.parametrize("dataset, audio, video, audio_help", [
    (CremaD, ["wav", "flac", "mp3"], ["flv", "mp4"], "audio file types, in order of preference"),
    (Rml, ["wav", "flac"], ["avi", "mp4"], "audio file types, in order of preference"),
    (Savee, ["wav", "flac"], ["avi", "mp4"], "audio file types, in order of preference"),
    (Enterface, ["wav", "flac"], ["avi", "mp4"], "extracted audio file types, in order of preference"),
], ids=lambda v: getattr(v, "name", ""))
def test_shared_fields_keep_each_datasets_published_defaults_and_descriptions(dataset, audio, video, audio_help):
    """These defaults enter result keys: the shared types must not change them."""
    props = dataset.Params.model_json_schema()["properties"]
    params = dataset().get_params()
    assert (params["audio_extensions"], params["video_extensions"]) == (audio, video)
    assert (params["audio_from_video"], params["require"], params["exclude"], params["classes"]) == (True, [], [], [])
    assert props["audio_extensions"]["description"] == audio_help
    assert props["video_extensions"]["minItems"] == 1
    assert props["exclude"]["description"] == "glob patterns of files to leave out"
    assert props["require"]["description"] == "drop takes lacking one of these"


def test_reading_named_takes_joins_files_by_clip_id_and_lists_bad_names_and_copies(make_tree):
    root = make_tree(["AudioData/DC/a01.wav", "AVIData/DC/a01.avi", "AudioData/DC/zz01.wav",
                      "AudioData/JE/n30.wav", "copy/JE/n30.wav", "AudioData/KL/notes.txt"])
    takes, names, problems = read_named_takes(root, ["wav", "avi"], [], parse_savee_path, SaveePathError)
    assert takes == {"DC_a01": {"avi": root / "AVIData/DC/a01.avi", "wav": root / "AudioData/DC/a01.wav"}}
    assert names["DC_a01"].speaker == "DC" and names["JE_n30"].label == "neutral"
    assert len(problems) == 2
    assert problems[0].startswith("AudioData/DC/zz01.wav: ")
    assert problems[1].startswith("take JE_n30 has 2 wav files: AudioData/JE/n30.wav, copy/JE/n30.wav")


def test_reading_named_takes_leaves_out_excluded_files_without_a_problem(make_tree):
    root = make_tree(["AudioData/JE/n30.wav", "copy/JE/n30.wav"])
    takes, _, problems = read_named_takes(root, ["wav"], ["copy/*"], parse_savee_path, SaveePathError)
    assert (list(takes), problems) == (["JE_n30"], [])


def test_media_are_picked_by_preference_and_the_video_serves_audio_only_when_allowed():
    files = {"flac": Path("t.flac"), "wav": Path("t.wav"), "mp4": Path("t.mp4")}
    assert pick_media(files, ["wav", "flac"], ["avi", "mp4"], True) == {"audio": "t.wav", "video": "t.mp4"}
    assert pick_media(files, ["flac", "wav"], ["avi"], True) == {"audio": "t.flac"}
    video_only = {"avi": Path("t.avi")}
    assert pick_media(video_only, ["wav"], ["avi"], True) == {"audio": "t.avi", "video": "t.avi"}
    assert pick_media(video_only, ["wav"], ["avi"], False) == {"video": "t.avi"}
    assert pick_media(video_only, ["wav"], ["mp4"], True) == {}


def test_a_take_without_media_or_without_a_required_modality_is_dropped():
    assert lacks_required({}, [])
    assert lacks_required({"video": "t.avi"}, ["audio"])
    assert not lacks_required({"video": "t.avi"}, [])
    assert not lacks_required({"audio": "t.wav", "video": "t.avi"}, ["audio", "video"])


@pytest.mark.parametrize("dataset, field, good, bad, message", [
    (CremaD, "actors", [1001, 1091], [1000, 1001, 24], "CREMA-D actors are 1001-1091, not [1000, 24]"),
    (CremaD, "sentences", ["IEO"], ["IEO", "ZZZ"], "not ['ZZZ']"),
    (Ravdess, "actors", [1, 24], [0, 25], "RAVDESS actors are 1-24, not [0, 25]"),
    (Iemocap, "sessions", [1, 5], [6], "IEMOCAP sessions are 1-5, not [6]"),
], ids=lambda v: getattr(v, "name", v if isinstance(v, str) and v.isidentifier() else ""))
def test_a_subset_outside_the_corpus_is_refused_naming_the_unknown_entries(dataset, field, good, bad, message):
    assert dataset(**{field: good}).get_params()[field] == good
    with pytest.raises(ValidationError) as err:
        dataset(**{field: bad})
    assert message in str(err.value) and field in str(err.value)

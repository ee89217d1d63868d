"""RAVDESS file-name parsing, shared by the ravdess reader and the synthetic demo."""

from __future__ import annotations

import pytest

from avbench_plugins.datasets.naming.ravdess_names import RavdessName, RavdessNameError, parse_ravdess_name


def test_all_seven_fields_are_read_from_the_name():
    name = parse_ravdess_name("02-01-06-01-02-01-12")
    assert name == RavdessName(modality=2, vocal_channel=1, emotion=6, intensity=1, statement=2,
                               repetition=1, actor=12)
    assert name.label == "fearful"
    assert name.subject == "12"
    assert name.gender == "female"
    assert name.meta() == {"actor": 12, "gender": "female", "vocal_channel": "speech", "intensity": "normal",
                           "statement": 2, "repetition": 1}


@pytest.mark.parametrize("code,label", [(1, "neutral"), (2, "calm"), (3, "happy"), (4, "sad"), (5, "angry"),
                                        (6, "fearful"), (7, "disgust"), (8, "surprised")])
def test_emotion_codes_map_to_canonical_labels(code, label):
    intensity = 1 if code == 1 else 2
    assert parse_ravdess_name(f"03-01-{code:02d}-{intensity:02d}-01-01-01").label == label


def test_odd_actors_are_male_and_even_actors_female():
    assert parse_ravdess_name("03-01-01-01-01-01-23").gender == "male"
    assert parse_ravdess_name("03-01-01-01-01-01-24").gender == "female"


def test_clip_id_drops_the_modality_field_so_audio_and_video_of_a_take_share_it():
    audio = parse_ravdess_name("03-01-05-02-01-02-12")
    video = parse_ravdess_name("01-01-05-02-01-02-12")
    assert audio.clip_id == video.clip_id == "01-05-02-01-02-12"
    assert audio.filename("flac") == "03-01-05-02-01-02-12.flac"


def test_every_wrong_field_is_named_in_one_error():
    with pytest.raises(RavdessNameError) as err:
        parse_ravdess_name("04-03-09-03-03-03-25")
    message = str(err.value)
    for field in ("modality 04", "vocal channel 03", "emotion 09", "intensity 03", "statement 03",
                  "repetition 03", "actor 25"):
        assert field in message


@pytest.mark.parametrize("stem", ["03-01-05-02-01-02", "03-01-05-02-01-02-12-01", "3-1-5-2-1-2-12", "readme",
                                  "03_01_05_02_01_02_12"])
def test_names_not_of_seven_two_digit_fields_are_rejected_with_the_expected_form(stem):
    with pytest.raises(RavdessNameError, match="MM-VC-EE-II-SS-RR-AA"):
        parse_ravdess_name(stem)


def test_neutral_with_strong_intensity_is_rejected():
    with pytest.raises(RavdessNameError, match="neutral"):
        parse_ravdess_name("03-01-01-02-01-01-01")


def test_song_with_disgust_is_rejected():
    with pytest.raises(RavdessNameError, match="song"):
        parse_ravdess_name("03-02-07-01-01-01-01")


def test_actor_range_can_be_opened_for_larger_synthetic_sets():
    with pytest.raises(RavdessNameError, match="actor 30"):
        parse_ravdess_name("03-01-01-01-01-01-30")
    assert parse_ravdess_name("03-01-01-01-01-01-30", known_actors=None).actor == 30

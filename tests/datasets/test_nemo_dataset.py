"""The nemo reader: names and table joined, disagreements named, the real release read whole."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from avbench.contract import DatasetError
from avbench_plugins.datasets.nemo import Nemo
from avbench_plugins.datasets.naming.nemo_names import NemoNameError, parse_nemo_name

HEADER = "file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage\n"


def write_table(root: Path, rows: list[tuple[str, str, str, str, int]]) -> None:
    lines = [f"{f}\t{e}\tTekst.\ttekst\t        {s}\t{g}\t{a}\n" for f, e, s, g, a in rows]
    (root / "data.tsv").write_text(HEADER + "".join(lines), encoding="utf-8")


def test_name_gives_speaker_and_canonical_label():
    name = parse_nemo_name("WR0_surprised_64")
    assert (name.speaker, name.label, name.number, name.clip_id) == ("WR0", "surprised", 64, "WR0_surprised_64")
    assert parse_nemo_name("EB0_happiness_3").label == "happy"
    with pytest.raises(NemoNameError, match="emotion 'joy'"):
        parse_nemo_name("EB0_joy_3")


def test_clips_take_gender_and_age_from_the_table_and_strip_its_padded_speaker_ids(make_tree):
    root = make_tree(["samples/EB0_anger_1.wav", "samples/WR0_fear_2.wav"])
    write_table(root, [("EB0_anger_1.wav", "anger", "EB0", "female", 27), ("WR0_fear_2.wav", "fear", "WR0", "male", 23)])
    first, second = Nemo().clips(root)
    assert (first.clip_id, first.subject, first.label, first.meta["gender"], first.meta["age"]) == (
        "EB0_anger_1", "EB0", "angry", "female", 27)
    assert (second.subject, second.label, second.meta["gender"]) == ("WR0", "fearful", "male")
    assert Nemo().problems == ()


def test_a_file_without_a_row_a_row_without_a_file_and_a_disagreeing_row_are_named_and_left_out(make_tree):
    root = make_tree(["samples/EB0_anger_1.wav", "samples/EB0_anger_2.wav", "samples/KS0_fear_1.wav"])
    write_table(root, [("EB0_anger_1.wav", "anger", "EB0", "female", 27), ("EB0_anger_9.wav", "anger", "EB0", "female", 27),
                       ("KS0_fear_1.wav", "fear", "WR0", "male", 23)])
    dataset = Nemo()
    (clip,) = dataset.clips(root)
    assert clip.clip_id == "EB0_anger_1"
    problems = "\n".join(dataset.problems)
    assert "samples/EB0_anger_2.wav: no row in data.tsv" in problems
    assert "EB0_anger_9 has no audio file" in problems
    assert "KS0_fear_1.wav names speaker KS0" in problems and "the row says WR0" in problems


def test_a_tree_without_the_table_is_an_error_naming_it(make_tree):
    root = make_tree(["samples/EB0_anger_1.wav"])
    with pytest.raises(DatasetError, match="no data.tsv"):
        Nemo().clips(root)


@pytest.mark.skipif(not os.environ.get("AVBENCH_NEMO_ROOT"),
                    reason="AVBENCH_NEMO_ROOT is not set (the nEMO release, e.g. a checkout of amu-cai/nEMO)")
def test_the_real_release_gives_every_clip_speaker_label_and_gender():
    dataset = Nemo()
    clips = dataset.clips(Path(os.environ["AVBENCH_NEMO_ROOT"]))
    assert len(clips) == Nemo.clip_count == 4481 and list(dataset.problems) == []
    assert Counter(c.label for c in clips) == {"angry": 749, "fearful": 736, "happy": 749, "neutral": 809,
                                              "sad": 769, "surprised": 669}
    genders = {c.subject: c.meta["gender"] for c in clips}
    assert len(genders) == Nemo.speakers == 9
    assert sorted(s for s, g in genders.items() if g == "female") == ["EB0", "IC0", "KD0", "MK0"]
    assert Counter(c.subject for c in clips)["MP0"] == 256

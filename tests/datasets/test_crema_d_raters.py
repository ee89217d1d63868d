"""CREMA-D's human reference figures from tabulatedVotes.csv: individual raters and crowd majority."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from avbench_plugins.datasets.crema_d_raters import VotesTableError, human_references

HEADER = '"","A","D","F","H","N","S","fileName","numResponses"\n'


def test_figures_are_counted_per_response_per_class_and_per_clip_with_ties_shared(tmp_path):
    table = tmp_path / "tabulatedVotes.csv"
    table.write_text(HEADER
                     + '"100001",6,0,0,0,4,0,"1001_DFA_ANG_XX",10\n'   # voice: 6 of 10 right, majority right
                     + '"100002",0,0,0,1,1,0,"1001_DFA_HAP_XX",2\n'    # voice: 1 of 2 right, tie H:N -> 1/2
                     + '"100003",0,0,0,0,5,5,"1001_DFA_NEU_XX",10\n'   # voice: 5 of 10, tie N:S -> 1/2
                     + '"200001",10,0,0,0,0,0,"1001_DFA_ANG_XX",10\n')  # face: all right
    refs = human_references(table)
    assert list(refs) == ["voice", "face"]
    voice = refs["voice"]
    assert (voice.clips, voice.responses, voice.tied_clips) == (3, 22, 2)
    assert voice.individual_accuracy == pytest.approx(12 / 22)
    assert voice.individual_uar == pytest.approx((6 / 10 + 1 / 2 + 5 / 10) / 3)
    assert voice.majority_accuracy == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert voice.majority_uar == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert refs["face"].individual_accuracy == 1.0


def test_a_row_of_no_presentation_is_an_error_naming_the_line(tmp_path):
    table = tmp_path / "tabulatedVotes.csv"
    table.write_text(HEADER + '"900001",1,0,0,0,0,0,"1001_DFA_ANG_XX",1\n')
    with pytest.raises(VotesTableError, match="line 2: row id '900001'"):
        human_references(table)


META = os.environ.get("AVBENCH_CREMA_D_META")


@pytest.mark.skipif(not META, reason="AVBENCH_CREMA_D_META is not set (CREMA-D's official metadata folder)")
def test_real_votes_come_within_a_point_of_the_published_individual_accuracy():
    refs = human_references(Path(META) / "tabulatedVotes.csv")
    published = {"voice": 0.409, "face": 0.582, "audiovisual": 0.636}  # Cao et al. 2014
    for presentation, value in published.items():
        ref = refs[presentation]
        assert ref.clips == 7442
        assert ref.individual_accuracy == pytest.approx(value, abs=0.01)
        assert ref.majority_accuracy > ref.individual_accuracy  # the crowd beats its members

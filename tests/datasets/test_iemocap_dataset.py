"""The iemocap reader: utterance wavs labelled from EmoEvaluation files, speakers per session, the 4-class task,
and the leave-one-session-out protocol on its clips."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from avbench.contract import Clip, DatasetError
from avbench.testing import check_plugin
from avbench_plugins.datasets.iemocap import Iemocap
from avbench_plugins.datasets.naming.iemocap_names import parse_utterance_id, read_evaluations
from avbench_plugins.protocols.leave_one_session_out import LeaveOneSessionOut

VAD = "[2.5000, 3.0000, 2.0000]"


def write_session(root: Path, session: int, dialog: str, codes: dict[str, str], wavs: list[str] | None = None) -> None:
    """One dialog in IEMOCAP's layout: an (empty) wav per utterance and its EmoEvaluation file."""
    wav_dir = root / f"Session{session}" / "sentences" / "wav" / dialog
    eval_dir = root / f"Session{session}" / "dialog" / "EmoEvaluation"
    wav_dir.mkdir(parents=True, exist_ok=True)
    eval_dir.mkdir(parents=True, exist_ok=True)
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for i, (turn, code) in enumerate(codes.items()):
        lines += [f"[{i}.2901 - {i + 1}.2357]\t{dialog}_{turn}\t{code}\t{VAD}", "C-E2:\tNeutral;\t()",
                  "A-F1:\tval 3; act 2; dom  2;\t()", ""]
    (eval_dir / f"{dialog}.txt").write_text("\n".join(lines))
    for turn in (codes if wavs is None else wavs):
        (wav_dir / f"{dialog}_{turn}.wav").write_bytes(b"")


def test_the_speaker_is_the_session_and_the_gender_of_the_last_part_not_the_dialog_letter():
    utterance = parse_utterance_id("Ses01F_impro01_M003")
    assert (utterance.session, utterance.dialog, utterance.subject) == (1, "Ses01F_impro01", "Ses01M")
    scripted = parse_utterance_id("Ses02M_script01_1_F012")
    assert (scripted.dialog, scripted.subject, scripted.improvised) == ("Ses02M_script01_1", "Ses02F", False)


def test_only_consensus_lines_are_read_and_a_malformed_one_is_named(tmp_path):
    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text(f"% header\n\n[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t{VAD}\nC-E2:\tNeutral;\t()\n"
                    "[8.5 - 9.0]\tSes01F_impro01_F001\tjoy\t[1, 2, 3]\n")
    found, problems = read_evaluations(path)
    assert list(found) == ["Ses01F_impro01_F000"]
    assert found["Ses01F_impro01_F000"].code == "neu" and found["Ses01F_impro01_F000"].start == 6.2901
    assert len(problems) == 1 and problems[0].startswith("line 5:") and "code one of neu" in problems[0]


def test_four_class_task_merges_excited_into_happy_and_counts_what_it_leaves_out(tmp_path):
    write_session(tmp_path, 1, "Ses01F_impro01", {"F000": "neu", "M000": "exc", "F001": "hap", "M001": "fru",
                                                  "F002": "xxx", "M002": "ang", "F003": "sad"})
    dataset = Iemocap()
    clips = dataset.clips(tmp_path)
    assert [(c.clip_id[-4:], c.subject, c.label) for c in clips] == [
        ("F000", "Ses01F", "neutral"), ("F001", "Ses01F", "happy"), ("F003", "Ses01F", "sad"),
        ("M000", "Ses01M", "happy"), ("M002", "Ses01M", "angry")]
    assert dataset.problems == []
    assert dataset.left_out == {"fru: not in the 4-class task": 1, "xxx: annotators did not agree": 1}
    first = clips[0]
    assert first.meta["session"] == 1 and first.meta["gender"] == "female" and first.meta["dialog_type"] == "improvised"
    assert (first.meta["valence"], first.meta["activation"], first.meta["dominance"]) == (2.5, 3.0, 2.0)
    assert Path(first.media["audio"]).name == "Ses01F_impro01_F000.wav" and set(first.media) == {"audio"}


def test_without_the_four_class_task_every_category_keeps_its_own_label(tmp_path):
    write_session(tmp_path, 2, "Ses02M_script01_1", {"F000": "exc", "M000": "fru", "F001": "oth", "M001": "xxx",
                                                     "F002": "sur"})
    dataset = Iemocap(four_class=False)
    assert [c.label for c in dataset.clips(tmp_path)] == ["excited", "other", "surprised", "frustration"]
    assert dataset.left_out == {"xxx: annotators did not agree": 1}


def test_filters_and_classes_outside_the_task_are_refused(tmp_path):
    write_session(tmp_path, 1, "Ses01F_impro01", {"F000": "neu", "M000": "sad"})
    write_session(tmp_path, 3, "Ses03M_script02_2", {"F000": "ang"})
    assert [c.clip_id for c in Iemocap(sessions=[3]).clips(tmp_path)] == ["Ses03M_script02_2_F000"]
    assert [c.label for c in Iemocap(classes=["sad"]).clips(tmp_path)] == ["sad"]
    assert [c.meta["session"] for c in Iemocap(dialog_types=["improvised"]).clips(tmp_path)] == [1, 1]
    with pytest.raises(ValidationError, match="four_class = false"):
        Iemocap(classes=["frustration"])
    assert Iemocap(four_class=False, classes=["frustration"]).params.classes == ["frustration"]


def test_a_wrapper_folder_above_the_sessions_is_read(tmp_path):
    write_session(tmp_path / "IEMOCAP_full_release", 4, "Ses04F_impro02", {"M010": "ang"})
    (clip,) = Iemocap().clips(tmp_path)
    assert (clip.subject, clip.label) == ("Ses04M", "angry")


def test_bad_and_unlabelled_wavs_are_named_and_the_rest_still_loads(tmp_path):
    write_session(tmp_path, 1, "Ses01F_impro01", {"F000": "neu"}, wavs=["F000", "F001"])
    folder = tmp_path / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
    (folder / "notes.wav").write_bytes(b"")
    (folder / "Ses02F_impro01_F000.wav").write_bytes(b"")
    dataset = Iemocap()
    assert [c.clip_id for c in dataset.clips(tmp_path)] == ["Ses01F_impro01_F000"]
    joined = "\n".join(dataset.problems)
    assert len(dataset.problems) == 3, joined
    assert "Session1/sentences/wav/Ses01F_impro01/notes.wav: name 'notes'" in joined
    assert "no line for Ses01F_impro01_F001 in Session1/dialog/EmoEvaluation/Ses01F_impro01.txt" in joined
    assert "Ses02F_impro01_F000.wav: utterance of session 2 under Session1" in joined


def test_missing_root_names_the_layout_and_variable(tmp_path):
    with pytest.raises(DatasetError, match="(?s)EmoEvaluation.*AVBENCH_IEMOCAP_ROOT"):
        Iemocap().clips(tmp_path / "absent")


def test_leave_one_session_out_tests_both_speakers_of_a_session_together(tmp_path):
    for session in (1, 2, 3):
        write_session(tmp_path, session, f"Ses0{session}F_impro01", {"F000": "neu", "M000": "ang", "F001": "sad"})
    clips = Iemocap().clips(tmp_path)
    folds = LeaveOneSessionOut().folds(clips)
    assert [f.name for f in folds] == ["session-1", "session-2", "session-3"]
    assert [f.test_subjects for f in folds] == [("Ses01F", "Ses01M"), ("Ses02F", "Ses02M"), ("Ses03F", "Ses03M")]
    subject = {c.clip_id: c.subject for c in clips}
    for fold in folds:
        assert {subject[i] for i in fold.test}.isdisjoint({subject[i] for i in fold.train})
        assert len(fold.train) + len(fold.test) == len(clips)
    with_val = LeaveOneSessionOut(val_groups=1).folds(clips)[2]
    assert {subject[i] for i in with_val.val} == {"Ses01F", "Ses01M"}


def test_leave_one_session_out_refuses_clips_without_the_group_or_a_subject_in_two_groups():
    def clip(i: int, subject: str, meta: dict) -> Clip:
        return Clip(f"c{i}", subject, "sad", {"audio": "unused.wav"}, meta)

    with pytest.raises(ValueError, match=r"clip c1 has no meta\['session'\]"):
        LeaveOneSessionOut().folds([clip(0, "a", {"session": 1}), clip(1, "b", {})])
    with pytest.raises(ValueError, match="subjects in more than one session: a in \\[1, 2\\]"):
        LeaveOneSessionOut().folds([clip(0, "a", {"session": 1}), clip(1, "a", {"session": 2}),
                                    clip(2, "b", {"session": 3})])


@pytest.mark.parametrize("plugin", [Iemocap, LeaveOneSessionOut])
def test_iemocap_and_its_protocol_pass_every_conformance_check(plugin):
    results = check_plugin(plugin)
    assert [r.line() for r in results if r.status != "passed"] == []

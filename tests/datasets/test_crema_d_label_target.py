"""crema-d's label_target: the crowd's majority label from summaryTable.csv, keyed only when it is set."""

from __future__ import annotations

import pytest

from avbench.contract import RunContext
from avbench.contract.errors import ResourceMissingError
from avbench.cache.input_hashes import input_hashes
from avbench_plugins.datasets.crema_d import CremaD

SUMMARY = ('"","FileName","VoiceVote","VoiceLevel","FaceVote","FaceLevel","MultiModalVote","MultiModalLevel"\n'
           '"1","1001_DFA_ANG_XX","N","60","A","70","A","80"\n'
           '"2","1001_DFA_HAP_XX","N:S","50","H","70","H","80"\n'
           '"3","1002_DFA_SAD_XX","S","60","N","70","S","80"\n')


@pytest.fixture
def tree(make_tree, tmp_path):
    root = make_tree(["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_DFA_HAP_XX.wav", "AudioWAV/1002_DFA_SAD_XX.wav"])
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "summaryTable.csv").write_text(SUMMARY)
    return root, RunContext(resources={"crema-d-meta": str(meta)})


def labels(dataset: CremaD, root, context) -> dict[str, str]:
    dataset.setup(context)
    return {c.clip_id: c.label for c in dataset.clips(root)}


def test_intended_is_the_default_and_reads_the_file_names(tree):
    root, context = tree
    assert labels(CremaD(), root, context) == {"1001_DFA_ANG_XX": "angry", "1001_DFA_HAP_XX": "happy",
                                               "1002_DFA_SAD_XX": "sad"}


@pytest.mark.parametrize("target,expected", [
    ("voice", {"1001_DFA_ANG_XX": "neutral", "1002_DFA_SAD_XX": "sad"}),  # the N:S tie is left out
    ("face", {"1001_DFA_ANG_XX": "angry", "1001_DFA_HAP_XX": "happy", "1002_DFA_SAD_XX": "neutral"}),
    ("audiovisual", {"1001_DFA_ANG_XX": "angry", "1001_DFA_HAP_XX": "happy", "1002_DFA_SAD_XX": "sad"})])
def test_a_crowd_target_labels_each_clip_by_that_presentations_majority(tree, target, expected):
    root, context = tree
    assert labels(CremaD(label_target=target), root, context) == expected


def test_classes_filter_the_crowd_label_and_meta_keeps_the_intended_one(tree):
    root, context = tree
    dataset = CremaD(label_target="voice", classes=["neutral"])
    dataset.setup(context)
    (clip,) = dataset.clips(root)
    assert (clip.clip_id, clip.label, clip.meta["intended"]) == ("1001_DFA_ANG_XX", "neutral", "angry")


def test_the_default_target_stays_out_of_the_parameters_so_existing_keys_stay():
    assert "label_target" not in CremaD().get_params()
    assert "label_target" not in CremaD(label_target="intended").get_params()
    assert CremaD(label_target="face").get_params()["label_target"] == "face"
    assert CremaD(CremaD(label_target="face").get_params()).get_params() == CremaD(label_target="face").get_params()


def test_a_crowd_target_keys_the_tables_content_and_needs_the_metadata_folder(tree, tmp_path, monkeypatch):
    monkeypatch.delenv("AVBENCH_CREMA_D_META", raising=False)
    _, context = tree
    dataset = CremaD(label_target="voice")
    dataset.setup(context)
    before = input_hashes(dataset)
    (tmp_path / "meta" / "summaryTable.csv").write_text(SUMMARY.replace('"S","60"', '"D","60"'))
    assert input_hashes(dataset) != before
    assert CremaD().input_files() == {}
    bare = CremaD(label_target="voice")
    bare.setup(RunContext(resources={}))
    with pytest.raises(ResourceMissingError, match="AVBENCH_CREMA_D_META"):
        bare.input_files()


def test_demographics_come_from_the_metadata_folder_when_the_root_lacks_them(tree, tmp_path):
    """(the fixture's context names the folder as the ``crema-d-meta`` resource, which wins over the variable)"""
    root, context = tree
    (tmp_path / "meta" / "VideoDemographics.csv").write_text(
        '"ActorID","Age","Sex","Race","Ethnicity"\n1001,51,"Male","Caucasian","Not Hispanic"\n')
    dataset = CremaD()
    dataset.setup(context)
    genders = {c.clip_id: c.meta["gender"] for c in dataset.clips(root)}
    assert genders == {"1001_DFA_ANG_XX": "male", "1001_DFA_HAP_XX": "male", "1002_DFA_SAD_XX": "unknown"}


def test_the_planner_keys_a_crowd_datasets_table_and_skips_it_where_the_table_is_not_configured(tree, tmp_path,
                                                                                              monkeypatch):
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.plan import load_dataset

    monkeypatch.delenv("AVBENCH_CREMA_D_META", raising=False)
    root, context = tree
    config_path = tmp_path / "bench.toml"
    config_path.write_text(f'''[benchmark]
name = "t"
[datasets.plain]
plugin = "crema-d"
root = "{root}"
[datasets.voice]
plugin = "crema-d"
root = "{root}"
params = {{ label_target = "voice" }}
[protocols.loso]
plugin = "loso"
[experiments.e]
dataset = "voice"
protocols = ["loso"]
[experiments.e.branches.audio]
extractor = "mfcc-stats"
model = "svm-rbf"
''')
    registry = get_registry()
    config = load_config(config_path, registry)
    plain = load_dataset("plain", config, registry, context, tmp_path, None)
    assert "inputs" not in plain.plugin.identity and "label_target" not in plain.plugin.params
    voice = load_dataset("voice", config, registry, context, tmp_path, None)
    assert voice.error is None and len(voice.clips) == 2
    assert set(voice.plugin.identity["inputs"]) == {"summaryTable.csv"} and voice.plugin.params["label_target"] == "voice"
    unset = load_dataset("voice", config, registry, RunContext(), tmp_path, None)
    assert unset.root is None and "AVBENCH_CREMA_D_META" in (unset.error or "")

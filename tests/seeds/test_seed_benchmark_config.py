"""benchmark.toml declares the five seed systems as their texts build them, with the texts' numbers as metadata."""

from __future__ import annotations

import pytest

from avbench.config.loader import load_config
from avbench.contract import Modality, PluginKind, RunContext
from avbench.registry import get_registry

from .seed_configs import BENCHMARK, SEED_KEYS, as_ref, nested_refs, read_benchmark, seed_experiments, seed_key

RAW = read_benchmark()
SEEDS = seed_experiments(RAW)
TEXT_NUMBER = {"cuny2020": "000", "demokritos2022": "001", "sapienza2024": "002", "ravdess-cnn": "003",
               "ristea2019": "004"}
AU_SUBSTITUTION = "OpenFace action units (clip means) stand in for the face branch: RAVDESS video not available"


def of_seed(key: str) -> dict[str, dict]:
    return {name: exp for name, exp in SEEDS.items() if seed_key(name) == key}


def modalities(exp: dict) -> set[Modality]:
    registry = get_registry()
    return {registry.info(as_ref(b["extractor"])["plugin"]).cls.modality for b in exp["branches"].values()}


def test_the_whole_benchmark_file_validates_against_the_installed_plugins():
    config = load_config(BENCHMARK, get_registry())
    assert set(SEEDS) <= set(config.experiments)


def test_plugins_named_inside_fusion_parameters_exist_and_take_their_parameters():
    """The loader checks branch plugins only; a fusion's model / meta_classifier is built at fit time."""
    registry = get_registry()
    checked = 0
    for name, exp in SEEDS.items():
        fusion = as_ref(exp.get("fusion", {"plugin": "early-concat"}))
        for ref in nested_refs(fusion["params"]):
            plugin = registry.create(ref, PluginKind.MODEL, RunContext())
            assert plugin.name == ref["plugin"], name
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize("key", SEED_KEYS)
def test_every_seed_system_has_audio_only_video_only_and_fused_rows(key):
    experiments = of_seed(key).values()
    singles = [modalities(e) for e in experiments if len(e["branches"]) == 1]
    fused = [e for e in experiments if len(e["branches"]) == 2 and "fusion" in e]
    assert {Modality.AUDIO} in singles and {Modality.VIDEO} in singles
    assert fused and all(modalities(e) == {Modality.AUDIO, Modality.VIDEO} for e in fused)


@pytest.mark.parametrize("name", list(SEEDS))
def test_every_seed_experiment_cites_its_text_and_reports_fractions(name):
    reported = SEEDS[name]["reported"]
    assert reported["source"] == f"{seed_key(name)} (text {TEXT_NUMBER[seed_key(name)]})"
    for metric in ("accuracy", "macro_f1"):
        if metric in reported:
            assert 0 < reported[metric] < 1
    if "accuracy" not in reported:
        assert reported["note"], "a row without a reported number says why"


@pytest.mark.parametrize("name", [n for n in SEEDS if seed_key(n) in ("cuny2020", "sapienza2024")])
def test_numbers_from_speaker_dependent_splits_say_so(name):
    reported = SEEDS[name]["reported"]
    if "accuracy" in reported:
        assert "speaker-dependent" in reported["note"]


def test_protocols_follow_each_text_and_are_speaker_independent():
    protocols = {key: {p for e in of_seed(key).values() for p in e["protocols"]} for key in SEED_KEYS}
    assert protocols == {"cuny2020": {"holdout"}, "demokritos2022": {"split-8-12-4"},
                         "sapienza2024": {"holdout", "rml-holdout"}, "ravdess-cnn": {"holdout"},
                         "ristea2019": {"loso"}}
    used = set().union(*protocols.values())
    assert {as_ref(RAW["protocols"][p])["plugin"] for p in used} <= {"actor-holdout", "loso", "fixed-split"}
    assert RAW["protocols"]["split-8-12-4"] == {"plugin": "fixed-split"}  # base 1-8, meta 9-20, test 21-24


def test_class_sets_follow_each_text():
    for name, exp in of_seed("demokritos2022").items():
        assert set(exp["classes"]) == {"angry", "fearful", "disgust", "happy", "sad"}, name
    for name, exp in of_seed("sapienza2024").items():
        assert set(exp["classes"]) == {"happy", "sad", "angry", "fearful", "disgust", "surprised"}, name
    for key in ("cuny2020", "ravdess-cnn", "ristea2019"):  # all of the dataset's classes: 8 (RAVDESS), 6 (CREMA-D)
        assert all("classes" not in exp for exp in of_seed(key).values()), key


def test_datasets_follow_each_text():
    datasets = {key: {e["dataset"] for e in of_seed(key).values()} for key in SEED_KEYS}
    assert datasets["ristea2019"] == {"crema-d"}
    assert datasets["demokritos2022"] == {"ravdess"}
    assert datasets["sapienza2024"] == {"ravdess", "rml"}
    assert datasets["ravdess-cnn"] == {"ravdess-speech-song"}
    assert "ravdess-speech-song" in datasets["cuny2020"]
    assert as_ref(RAW["datasets"]["ravdess-speech-song"])["params"]["vocal_channels"] == ["speech", "song"]


def test_sapienza_never_pools_ravdess_and_rml_and_says_so():
    fused = {n: e for n, e in of_seed("sapienza2024").items() if "fusion" in e}
    assert {e["dataset"] for e in fused.values()} == {"ravdess", "rml"}
    for name, exp in of_seed("sapienza2024").items():
        if "-au" not in name:
            assert "pooled" in exp["description"].lower(), name


@pytest.mark.parametrize("key", ["cuny2020", "demokritos2022", "sapienza2024"])
def test_real_data_au_variants_keep_the_audio_branch_and_fusion_and_state_the_substitution(key):
    experiments = of_seed(key)
    au = {n: e for n, e in experiments.items() if "openface-au" in {as_ref(b["extractor"])["plugin"]
                                                                    for b in e["branches"].values()}}
    assert any(len(e["branches"]) == 2 for e in au.values()), "a fused -au variant"
    assert any(len(e["branches"]) == 1 for e in au.values()), "a video-only -au row"
    for name, exp in au.items():
        assert name.endswith("-au") and exp["dataset"] == "ravdess"
        assert AU_SUBSTITUTION in exp["substitutions"]
        if "fusion" in exp:
            original = next(e for n, e in experiments.items() if "fusion" in e and n == name.removesuffix("-au"))
            assert as_ref(exp["fusion"])["plugin"] == as_ref(original["fusion"])["plugin"]
            assert exp["branches"]["audio"] == original["branches"]["audio"]


def test_rows_with_stand_in_networks_or_absent_weights_name_the_substitution():
    for name, exp in SEEDS.items():
        extractors = {as_ref(b["extractor"])["plugin"] for b in exp["branches"].values()}
        text = " ".join(exp.get("substitutions", []))
        if extractors & {"fer-embedding", "fer-mean-posteriors"}:
            assert "mini-Xception FER-2013" in text and "VGG19-FER" in text, name
        if extractors & {"vggish", "vggish-mean"}:
            assert "vggish-10086976.pth" in text and "AVBENCH_MODELS" in text, name
    assert any("VGG16" in s for e in of_seed("cuny2020").values() for s in e.get("substitutions", []))


def test_ravdess_cnn_augments_audio_and_balances_classes_to_four_times_the_majority():
    """The text ends with 1504 clips per class: 4 x 376, the largest RAVDESS speech+song class."""
    for name, exp in of_seed("ravdess-cnn").items():
        audio = exp["branches"].get("audio")
        if audio is not None:
            assert as_ref(audio["augment"]) == {"plugin": "audio-augment", "params": {"copies": 3, "balance": True}}
            assert as_ref(audio["extractor"])["plugin"] in ("log-mel", "mfcc-map")


def test_frame_sampling_and_crops_follow_each_text():
    def extractor(name: str, branch: str = "video") -> dict:
        return as_ref(SEEDS[name]["branches"][branch]["extractor"])

    assert extractor("cuny2020-video-face-cnn")["params"]["sampling"] == "middle"
    fer_frames = extractor("ravdess-cnn-video-fer")["params"]
    assert (fer_frames["sampling"], fer_frames["n_frames"]) == ("consecutive", 32)
    fer = extractor("demokritos2022-video-fer")["params"]
    assert (fer["sampling"], fer["detector"], fer["crop_width"], fer["crop_height"]) == ("every", "haar", 48, 48)
    ristea = extractor("ristea2019-video-cnn")["params"]
    assert (ristea["sampling"], ristea["n_frames"], ristea["crop_height"], ristea["crop_width"]) == \
        ("equally_spaced", 20, 98, 80)
    blend = extractor("sapienza2024-video-blendshape-lstm")["params"]
    assert blend == {"n_frames": 50, "drop_neutral": True}


def test_fusions_follow_each_text():
    def fusion(name: str) -> dict:
        return as_ref(SEEDS[name]["fusion"])

    assert fusion("ristea2019-av-joint") == {"plugin": "joint-trunks", "params": {
        "ratio": {"video": 4, "audio": 1}, "unit": 64, "hidden_units": [128]}}
    assert fusion("ravdess-cnn-av-joint") == {"plugin": "joint-trunks", "params": {}}
    assert fusion("demokritos2022-av-stacking")["params"]["meta_classifier"]["plugin"] == "random-forest"
    assert fusion("sapienza2024-av-stacking")["params"]["meta_classifier"]["plugin"] == "mlp"
    concat = fusion("cuny2020-av-concat")
    assert concat["plugin"] == "early-concat" and concat["params"]["model"]["plugin"] == "mlp"
    assert concat["params"]["pool_by_branch"] == {"audio": "mean", "video": "flatten"}

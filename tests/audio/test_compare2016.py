"""compare2016: openSMILE's ComParE 2016 functionals, 6373 per clip, with the extractors' error policy."""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from audio_media import speechlike
from avbench.contract import Clip, ClipError, OutputKind
from avbench.registry import contract_problems, registry_with
from avbench_plugins.extractors.audio.compare import N_FEATURES, Compare2016

ENTRY_POINT = "avbench_plugins.extractors.audio.compare"


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory) -> list[Clip]:
    import soundfile as sf

    folder = tmp_path_factory.mktemp("compare")
    clips = []
    for name, f0 in (("03-01-01-01-01-01-01", 120.0), ("03-01-05-01-01-01-01", 240.0)):
        path = folder / f"{name}.wav"
        sf.write(str(path), speechlike(1.5, 16000, f0=f0), 16000)
        clips.append(Clip(clip_id=name, subject="01", label="neutral", media={"audio": str(path)}))
    return clips


def test_compare2016_declares_a_valid_vector_plugin_installed_as_an_entry_point():
    assert contract_problems(Compare2016) == []
    assert Compare2016.output_kind is OutputKind.VECTOR and Compare2016().output_shape() == (6373,)
    assert registry_with([ENTRY_POINT]).info("compare2016", "extractor").cls is Compare2016
    assert ENTRY_POINT in {ep.value for ep in entry_points(group="avbench")}


def test_a_clip_gives_6373_finite_functionals_that_differ_between_voices(two_voices):
    low, high = (Compare2016().extract(clip) for clip in two_voices)
    assert low.shape == high.shape == (N_FEATURES,) and low.dtype == np.float32
    assert np.isfinite(low).all() and np.isfinite(high).all()
    assert not np.allclose(low, high)


def test_the_extractor_pickles_without_its_opensmile_handle_and_gives_the_same_features(two_voices):
    import pickle

    extractor = Compare2016()
    first = extractor.extract(two_voices[0])
    clone = pickle.loads(pickle.dumps(extractor))
    assert clone._smile is None
    np.testing.assert_array_equal(clone.extract(two_voices[0]), first)


def test_a_clip_too_short_to_analyse_raises_clip_error_naming_the_file(write_audio, clip_for):
    path = write_audio("tiny.wav", speechlike(0.01))
    with pytest.raises(ClipError) as info:
        Compare2016().extract(clip_for(path))
    assert info.value.clip_id == "tiny" and str(path) in info.value.reason


def test_opensmile_is_recorded_not_keyed_and_unknown_parameters_are_rejected():
    assert "opensmile" in Compare2016.libraries and Compare2016().cache_salt() == ""
    with pytest.raises(ValidationError):
        Compare2016({"feature_set": "eGeMAPSv02"})


@pytest.mark.real_data
def test_real_ravdess_clips_of_two_actors_give_finite_distinct_functionals():
    root = os.environ.get("AVBENCH_RAVDESS_ROOT")
    if not root:
        pytest.skip("AVBENCH_RAVDESS_ROOT is not set (folder of RAVDESS Actor_XX/03-01-*.flac or .wav files)")
    files = [f for actor in ("01", "02") for f in sorted(Path(root).rglob(f"Actor_{actor}/03-01-0[15]-*"))[:1]]
    if len(files) < 2:
        pytest.skip(f"AVBENCH_RAVDESS_ROOT={root} holds no Actor_01 / Actor_02 speech files (03-01-*)")
    clips = [Clip(clip_id=f.stem, subject=f.stem.split("-")[-1], label="neutral", media={"audio": str(f)})
             for f in files]
    features = np.stack([Compare2016().extract(clip) for clip in clips])
    assert features.shape == (2, N_FEATURES) and np.isfinite(features).all()
    assert not np.allclose(features[0], features[1])

"""OpenFace action units: the real RAVDESS clip-mean table, and generated per-frame FeatureExtraction CSVs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from avbench.contract import Clip, ClipError, ResourceMissingError, RunContext
from avbench_plugins.extractors.video.openface_au import (
    AU_INTENSITIES,
    AU_PRESENCES,
    OpenFaceAu,
    OpenFaceAuFramesMean,
    OpenFaceAuSequence,
    clip_id_of,
)


def clip(clip_id: str, **media) -> Clip:
    return Clip(clip_id, "01", "neutral", media or {"audio": f"03-{clip_id}.flac"})


def make(cls, tmp_path: Path, **params):
    extractor = cls(params)
    extractor.setup(RunContext(cache_dir=tmp_path / "cache"))
    return extractor


def write_clip_mean_csv(path: Path, names: list[str]) -> np.ndarray:
    columns = AU_INTENSITIES + AU_PRESENCES
    values = np.random.default_rng(0).uniform(0, 1, (len(names), len(columns))).round(4)
    lines = [";".join(columns + ("speech", "name", "path", "index"))]
    lines += [";".join([*map(str, row), "0.5", n, n, str(i)]) for i, (n, row) in enumerate(zip(names, values))]
    path.write_text("\n".join(lines) + "\n")
    return values


def write_openface_frames_csv(path: Path, values: np.ndarray, success: list[int], confidence: list[float]) -> None:
    """An OpenFace FeatureExtraction CSV: ', '-separated, every header after the first with a leading space."""
    header = ["frame", "face_id", "timestamp", "confidence", "success", "gaze_0_x", *AU_INTENSITIES, *AU_PRESENCES]
    lines = [", ".join(header)]
    for i, (row, ok, conf) in enumerate(zip(values, success, confidence)):
        lines.append(", ".join([str(i + 1), "0", f"{i / 30:.3f}", f"{conf:.2f}", str(ok), "0.1",
                                *(f"{v:.2f}" for v in row)]))
    path.write_text("\n".join(lines) + "\n")


def test_ravdess_names_map_to_clip_ids_without_the_modality_field():
    assert clip_id_of("01-01-05-02-01-02-12") == "01-05-02-01-02-12"
    assert clip_id_of("02-01-05-02-01-02-12.csv") == "01-05-02-01-02-12"
    assert clip_id_of("1001_DFA_ANG_XX") == "1001_DFA_ANG_XX"


def test_clip_mean_table_rows_are_found_by_clip_id(tmp_path: Path):
    csv = tmp_path / "au.csv"
    values = write_clip_mean_csv(csv, ["01-01-01-01-01-01-01", "01-01-03-02-01-01-01"])
    ext = make(OpenFaceAu, tmp_path, csv=str(csv))
    out = ext.extract(clip("01-03-02-01-01-01"))
    assert out.shape == (35,) and out.dtype == np.float32
    np.testing.assert_allclose(out, values[1], rtol=1e-6)


@pytest.mark.parametrize("aus, width, first", [("intensities", 17, "AU01_r"), ("presences", 18, "AU01_c")])
def test_the_au_set_selects_intensities_or_presences(tmp_path: Path, aus: str, width: int, first: str):
    csv = tmp_path / "au.csv"
    values = write_clip_mean_csv(csv, ["01-01-01-01-01-01-01"])
    out = make(OpenFaceAu, tmp_path, csv=str(csv), aus=aus).extract(clip("01-01-01-01-01-01"))
    assert out.shape == (width,)
    assert out[0] == pytest.approx(values[0][(AU_INTENSITIES + AU_PRESENCES).index(first)])


def test_a_clip_missing_from_the_table_is_a_clip_error(tmp_path: Path):
    csv = tmp_path / "au.csv"
    write_clip_mean_csv(csv, ["01-01-01-01-01-01-01"])
    with pytest.raises(ClipError) as err:
        make(OpenFaceAu, tmp_path, csv=str(csv)).extract(clip("01-08-02-02-02-24"))
    assert err.value.clip_id == "01-08-02-02-02-24"


def test_no_table_configured_says_which_variable_to_set(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("AVBENCH_OPENFACE_AU", raising=False)
    with pytest.raises(ResourceMissingError, match="AVBENCH_OPENFACE_AU"):
        make(OpenFaceAu, tmp_path).extract(clip("01-01-01-01-01-01"))


@pytest.mark.real_data
def test_the_real_ravdess_table_covers_all_1440_speech_clips():
    path = os.environ.get("AVBENCH_OPENFACE_AU")
    if not path or not Path(path).is_file():
        pytest.skip("AVBENCH_OPENFACE_AU is not set to clip_mean_action_units.csv")
    ext = OpenFaceAu()
    ids = [f"01-{e:02d}-{i:02d}-{s:02d}-{r:02d}-{a:02d}" for a in range(1, 25) for e in range(1, 9)
           for i in (1, 2) for s in (1, 2) for r in (1, 2) if not (e == 1 and i == 2)]
    assert len(ids) == 1440
    rows = np.stack([ext.extract(clip(c)) for c in ids])
    assert rows.shape == (1440, 35) and np.isfinite(rows).all()
    assert (rows[:, 17:] >= 0).all() and (rows[:, 17:] <= 1).all()  # presences are frame fractions
    assert rows[:, :17].std(axis=0).min() > 0  # every intensity varies across clips


def test_per_frame_csvs_give_the_tracked_frames_as_a_sequence(tmp_path: Path):
    folder = tmp_path / "openface"
    folder.mkdir()
    values = np.random.default_rng(1).uniform(0, 5, (6, 35)).round(2)
    write_openface_frames_csv(folder / "01-01-03-01-01-01-02.csv", values,
                              success=[1, 1, 0, 1, 1, 1], confidence=[0.9, 0.95, 0.0, 0.3, 0.9, 0.9])
    target = clip("01-03-01-01-01-02")
    seq = make(OpenFaceAuSequence, tmp_path, folder=str(folder)).extract(target)
    np.testing.assert_allclose(seq, values[[0, 1, 3, 4, 5]], atol=1e-6)
    confident = make(OpenFaceAuSequence, tmp_path, folder=str(folder), min_confidence=0.5).extract(target)
    np.testing.assert_allclose(confident, values[[0, 1, 4, 5]], atol=1e-6)
    mean = make(OpenFaceAuFramesMean, tmp_path, folder=str(folder)).extract(target)
    np.testing.assert_allclose(mean, values[[0, 1, 3, 4, 5]].mean(axis=0), atol=1e-5)


def test_the_sequence_can_be_resampled_to_a_fixed_length(tmp_path: Path):
    folder = tmp_path / "openface"
    folder.mkdir()
    values = np.arange(4 * 35, dtype=float).reshape(4, 35)
    write_openface_frames_csv(folder / "video7.csv", values, success=[1] * 4, confidence=[1.0] * 4)
    target = Clip("c7", "01", "happy", {"video": str(tmp_path / "video7.mp4")})
    seq = make(OpenFaceAuSequence, tmp_path, folder=str(folder), n_frames=6).extract(target)
    assert seq.shape == (6, 35)
    np.testing.assert_allclose(seq[:, 0], values[[0, 1, 2, 3, 3, 3], 0])


def test_a_clip_without_a_csv_or_without_tracked_frames_is_a_clip_error(tmp_path: Path):
    folder = tmp_path / "openface"
    folder.mkdir()
    write_openface_frames_csv(folder / "lost.csv", np.ones((3, 35)), success=[0, 0, 0], confidence=[0.0] * 3)
    ext = make(OpenFaceAuSequence, tmp_path, folder=str(folder))
    with pytest.raises(ClipError, match="no OpenFace CSV"):
        ext.extract(clip("nothing-here"))
    with pytest.raises(ClipError, match="tracked no face"):
        ext.extract(clip("lost"))


def test_a_per_frame_csv_without_au_columns_is_named_in_the_error(tmp_path: Path):
    folder = tmp_path / "openface"
    folder.mkdir()
    (folder / "odd.csv").write_text("frame, success, confidence\n1, 1, 0.9\n")
    with pytest.raises(ClipError, match=r"odd\.csv.*AU01_r"):
        make(OpenFaceAuSequence, tmp_path, folder=str(folder)).extract(clip("odd"))

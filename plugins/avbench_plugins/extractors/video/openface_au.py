"""Facial action units computed beforehand by OpenFace 2.0, read from its CSV output.

* ``openface-au``: one row per clip from a clip-mean table (the RAVDESS table
  published with Luna-Jimenez et al. 2022: ``;``-separated, 17 ``AUxx_r`` intensities,
  18 ``AUxx_c`` presences, clip name in column ``name``) -> VECTOR ``[35]``.
* ``openface-au-sequence``: OpenFace ``FeatureExtraction`` per-frame CSVs (one per
  video, headers often with a leading space, e.g. `` AU01_r``) -> SEQUENCE ``[T, 35]``
  over the frames OpenFace tracked (``success == 1``, ``confidence >= min_confidence``).
* ``openface-au-frames-mean``: the mean of those frames -> VECTOR ``[35]``.

``aus`` picks intensities (17), presences (18) or both (35, intensities first).
RAVDESS names ``MM-VC-EE-II-SS-RR-AA`` map to the avbench clip id without the
modality field, so the ``01-01-...`` rows join audio-only clips of the same take.
Each CSV is parsed once per process (cached by path and modification time).
"""

from __future__ import annotations

import csv
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, ClipError, Extractor, Modality, OutputKind, Params, ResourceMissingError

from ...datasets.naming.ravdess_names import NAME_PATTERN
from .frame_sampling import FrameSamplingParams, SamplingMode, plan_indices

AU_INTENSITIES = tuple(f"AU{n:02d}_r" for n in (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45))
AU_PRESENCES = tuple(f"AU{n:02d}_c" for n in (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45))
class AuSet(str, Enum):
    INTENSITIES = "intensities"
    PRESENCES = "presences"
    BOTH = "both"


def au_columns(aus: AuSet) -> tuple[str, ...]:
    return {AuSet.INTENSITIES: AU_INTENSITIES, AuSet.PRESENCES: AU_PRESENCES,
            AuSet.BOTH: AU_INTENSITIES + AU_PRESENCES}[AuSet(aus)]


def clip_id_of(name: str) -> str:
    """avbench clip id of a file name or stem: RAVDESS names lose their modality field, others stay."""
    stem = Path(name).stem if Path(name).suffix.lower() in {".mp4", ".csv", ".wav", ".flac", ".avi"} else name
    return stem.split("-", 1)[1] if NAME_PATTERN.match(stem) else stem


def _read_table(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=delimiter, skipinitialspace=True))
    if not rows:
        raise ValueError(f"{path}: empty CSV")
    return [h.strip() for h in rows[0]], [r for r in rows[1:] if r]


def _floats(path: Path, header: list[str], rows: list[list[str]], columns: tuple[str, ...]) -> np.ndarray:
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing} (has {header[:8]}...)")
    where = [header.index(c) for c in columns]
    try:
        return np.array([[float(r[i]) for i in where] for r in rows], dtype=np.float32).reshape(-1, len(columns))
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{path}: non-numeric or short row in the AU columns: {exc}") from None


_clip_tables: dict[tuple[str, int, str], dict[str, np.ndarray]] = {}
_frame_tables: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_folder_indexes: dict[tuple[str, int], dict[str, Path]] = {}


def clip_mean_table(path: Path, id_column: str = "name") -> dict[str, np.ndarray]:
    """clip id -> the 35 AU values (intensities then presences) of a clip-mean CSV; parsed once per process."""
    key = (str(path.resolve()), path.stat().st_mtime_ns, id_column)
    if key not in _clip_tables:
        header, rows = _read_table(path, ";")
        if id_column not in header:
            raise ValueError(f"{path}: no clip-name column {id_column!r} (columns: {header})")
        values = _floats(path, header, rows, AU_INTENSITIES + AU_PRESENCES)
        names = [r[header.index(id_column)].strip() for r in rows]
        _clip_tables[key] = {clip_id_of(n): v for n, v in zip(names, values)}
    return _clip_tables[key]


def frame_table(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(AU values [N, 35], success [N] bool, confidence [N])`` of one OpenFace per-frame CSV."""
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _frame_tables:
        header, rows = _read_table(path, ",")
        values = _floats(path, header, rows, AU_INTENSITIES + AU_PRESENCES)
        status = _floats(path, header, rows, ("success", "confidence"))
        _frame_tables[key] = (values, status[:, 0] > 0.5, status[:, 1])
    return _frame_tables[key]


def folder_index(folder: Path) -> dict[str, Path]:
    """File stem and clip id -> CSV path for a folder of per-frame CSVs (searched recursively, once)."""
    key = (str(folder.resolve()), folder.stat().st_mtime_ns)
    if key not in _folder_indexes:
        index: dict[str, Path] = {}
        for path in sorted(folder.rglob("*.csv")):
            index.setdefault(path.stem, path)
            index.setdefault(clip_id_of(path.stem), path)
        _folder_indexes[key] = index
    return _folder_indexes[key]


def _resource(context: Any, explicit: str | None, name: str, env: str, what: str, param: str) -> Path:
    path = Path(explicit).expanduser() if explicit else context.resource(name, env=env)
    if path is None:
        raise ResourceMissingError(f"{what}: set {env} (or resources.{name} in the benchmark config) "
                                   f"or the parameter {param!r}")
    if not path.exists():
        raise ResourceMissingError(f"{what}: {path} does not exist; set {env} or the parameter {param!r} "
                                   f"to the right place")
    return path


class OpenFaceClipMeanParams(Params):
    csv: str | None = Field(None, description="clip-mean CSV (default: $AVBENCH_OPENFACE_AU)")
    id_column: str = Field("name", description="column of the CSV holding the clip name")
    aus: AuSet = Field(AuSet.BOTH, description="action-unit columns: intensities (17), presences (18) or both")


class OpenFaceAu(Extractor):
    """Clip-mean OpenFace 2.0 action units looked up by clip id -> VECTOR (17 intensities + 18 presences)."""

    name = "openface-au"
    version = "1.0"
    cites = 'Baltrusaitis et al. 2018, "OpenFace 2.0: Facial Behavior Analysis Toolkit", IEEE FG 2018'
    modality: ClassVar[Modality] = Modality.VIDEO
    reads_media: ClassVar[bool] = False  # a table keyed by clip id: no video file needed
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR
    description = "OpenFace 2.0 action units, clip means from a precomputed table (AVBENCH_OPENFACE_AU)"
    Params: ClassVar[type[OpenFaceClipMeanParams]] = OpenFaceClipMeanParams

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        """For ``avbench check``: two RAVDESS takes and a tiny clip-mean table holding their rows."""
        names = ["01-01-03-01-01-01-01", "01-01-04-01-01-01-02"]
        header = ["name", *AU_INTENSITIES, *AU_PRESENCES]
        rows = [[n, *(f"{(i + k) % 5 * 0.25:.2f}" for k in range(len(header) - 1))] for i, n in enumerate(names)]
        with open(Path(tmp_dir) / "clip_mean_action_units.csv", "w", newline="") as out:
            csv.writer(out, delimiter=";").writerows([header, *rows])
        return [Clip(clip_id_of(n), n[-2:], "happy", {"video": str(Path(tmp_dir) / f"{n}.mp4")}) for n in names]

    @classmethod
    def conformance_params(cls, tmp_dir: Path) -> dict[str, Any]:
        return {"csv": str(Path(tmp_dir) / "clip_mean_action_units.csv")}

    def _csv(self) -> Path:
        return _resource(self.context, self.params.csv, "openface_au", "AVBENCH_OPENFACE_AU",
                         "openface-au needs the clip-mean action-unit CSV", "csv")

    def input_files(self) -> dict[str, Path]:
        """The clip-mean table: its content, not its path, keys the features."""
        return {"csv": self._csv()}

    def _table(self) -> dict[str, np.ndarray]:
        return clip_mean_table(self._csv(), self.params.id_column)

    def load(self, clip: Clip) -> np.ndarray:
        row = self._table().get(clip.clip_id)
        if row is None:
            raise ClipError(clip.clip_id, "no row for this clip in the OpenFace action-unit table")
        return row

    def features(self, raw: np.ndarray) -> np.ndarray:
        full = AU_INTENSITIES + AU_PRESENCES
        return np.asarray(raw, dtype=np.float32)[[full.index(c) for c in au_columns(self.params.aus)]]


class OpenFaceFramesParams(Params):
    folder: str | None = Field(None, description="folder of per-frame CSVs (default: $AVBENCH_OPENFACE_FRAMES)")
    aus: AuSet = Field(AuSet.BOTH, description="action-unit columns: intensities (17), presences (18) or both")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="drop frames OpenFace is less sure of")


class _OpenFaceFrames(Extractor):
    """Reads the clip's per-frame OpenFace CSV: the video's stem, else the clip id, names the file."""

    modality: ClassVar[Modality] = Modality.VIDEO
    reads_media: ClassVar[bool] = False  # CSVs named after the clip: the video file itself is not read

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        """For ``avbench check``: two takes and a folder of tiny per-frame CSVs named after their videos."""
        folder = Path(tmp_dir) / "openface-frames"
        folder.mkdir(exist_ok=True)
        header = ["frame", " success", " confidence", *(f" {c}" for c in AU_INTENSITIES + AU_PRESENCES)]
        clips = []
        for i, name in enumerate(["01-01-03-01-01-01-01", "01-01-04-01-01-01-02"]):
            rows = [[f, 1, 0.9, *((i + f + k) % 5 * 0.25 for k in range(len(header) - 3))] for f in range(1, 6)]
            with open(folder / f"{name}.csv", "w", newline="") as out:
                csv.writer(out).writerows([header, *rows])
            clips.append(Clip(clip_id_of(name), name[-2:], "happy", {"video": str(Path(tmp_dir) / f"{name}.mp4")}))
        return clips

    @classmethod
    def conformance_params(cls, tmp_dir: Path) -> dict[str, Any]:
        return {"folder": str(Path(tmp_dir) / "openface-frames")}

    def _folder(self) -> Path:
        return _resource(self.context, self.params.folder, "openface_frames", "AVBENCH_OPENFACE_FRAMES",
                         f"{self.name} needs the folder of OpenFace per-frame CSVs", "folder")

    def input_files(self) -> dict[str, Path]:
        """The folder of per-frame CSVs: every file's content keys the features."""
        return {"folder": self._folder()}

    def _csv(self, clip: Clip) -> Path:
        folder = self._folder()
        index = folder_index(folder)
        names = [Path(clip.media["video"]).stem] if "video" in clip.media else []
        for name in names + [clip.clip_id]:
            if name in index:
                return index[name]
        raise ClipError(clip.clip_id, f"no OpenFace CSV for this clip in {folder}")

    def load(self, clip: Clip) -> np.ndarray:
        """Tracked frames' AU values ``[T, 35]``; ClipError when OpenFace tracked none."""
        path = self._csv(clip)
        try:
            values, success, confidence = frame_table(path)
        except ValueError as exc:
            raise ClipError(clip.clip_id, str(exc)) from None
        keep = success & (confidence >= self.params.min_confidence)
        if not keep.any():
            raise ClipError(clip.clip_id, f"{path}: OpenFace tracked no face in any of {len(values)} frames")
        return values[keep]

    def _columns(self, raw: np.ndarray) -> np.ndarray:
        full = AU_INTENSITIES + AU_PRESENCES
        return np.asarray(raw, dtype=np.float32)[:, [full.index(c) for c in au_columns(self.params.aus)]]


class OpenFaceSequenceParams(OpenFaceFramesParams):
    n_frames: int | None = Field(None, gt=0, description="resample to this many equally spaced frames "
                                                         "(short clips padded with the last); None keeps all")


class OpenFaceAuSequence(_OpenFaceFrames):
    """Per-frame OpenFace 2.0 action units of tracked frames -> SEQUENCE ``[T, 35]``."""

    name = "openface-au-sequence"
    version = "1.0"
    cites = 'Baltrusaitis et al. 2018, "OpenFace 2.0: Facial Behavior Analysis Toolkit", IEEE FG 2018'
    output_kind: ClassVar[OutputKind] = OutputKind.SEQUENCE
    description = "OpenFace 2.0 per-frame action units from FeatureExtraction CSVs (AVBENCH_OPENFACE_FRAMES)"
    Params: ClassVar[type[OpenFaceSequenceParams]] = OpenFaceSequenceParams

    def features(self, raw: np.ndarray) -> np.ndarray:
        out = self._columns(raw)
        if self.params.n_frames:
            sampling = FrameSamplingParams(sampling=SamplingMode.EQUALLY_SPACED, n_frames=self.params.n_frames)
            out = out[plan_indices(len(out), sampling).indices]
        return out


class OpenFaceAuFramesMean(_OpenFaceFrames):
    """Mean over tracked frames of per-frame OpenFace 2.0 action units -> VECTOR ``[35]``."""

    name = "openface-au-frames-mean"
    version = "1.0"
    cites = 'Baltrusaitis et al. 2018, "OpenFace 2.0: Facial Behavior Analysis Toolkit", IEEE FG 2018'
    output_kind: ClassVar[OutputKind] = OutputKind.VECTOR
    description = "clip mean of OpenFace 2.0 per-frame action units (AVBENCH_OPENFACE_FRAMES)"
    Params: ClassVar[type[OpenFaceFramesParams]] = OpenFaceFramesParams

    def features(self, raw: np.ndarray) -> np.ndarray:
        return self._columns(raw).mean(axis=0)


@hookimpl
def avbench_plugins():
    return [OpenFaceAu, OpenFaceAuSequence, OpenFaceAuFramesMean]

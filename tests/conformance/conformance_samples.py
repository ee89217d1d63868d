"""Small plugins, each conforming or breaking one rule, to show that each check catches what it names."""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import (
    AudioSignal,
    Augmenter,
    Clip,
    ClipError,
    Dataset,
    DatasetError,
    Extractor,
    FaceBox,
    FaceDetector,
    Fold,
    Fusion,
    Modality,
    Model,
    OutputKind,
    Params,
    Protocol,
    ResourceMissingError,
    by_subject,
    stack,
)
from avbench.testing.stand_ins import CentroidModel


def read_wav(clip: Clip) -> AudioSignal:
    import soundfile

    samples, rate = soundfile.read(clip.path("audio"), dtype="float32", always_2d=True)
    if not samples.size:
        raise ClipError(clip.clip_id, "no samples")
    return AudioSignal(samples.mean(axis=1), rate)


# --- extractors ----------------------------------------------------------------------------

class LevelStats(Extractor):
    """Mean, std and peak of the absolute signal; caches features in the run's cache folder."""

    name = "level-stats"
    version = "1.0"
    modality = Modality.AUDIO
    output_kind = OutputKind.VECTOR

    def load(self, clip: Clip) -> AudioSignal:
        return read_wav(clip)

    def features(self, raw: AudioSignal) -> np.ndarray:
        a = np.abs(raw.samples)
        out = np.array([a.mean(), a.std(), a.max()], dtype=np.float32)
        np.save(self.context.cache_dir / "last.npy", out)
        return out


class NoisyStats(LevelStats):
    """Adds unseeded noise: not deterministic."""

    name = "noisy-stats"

    def features(self, raw: AudioSignal) -> np.ndarray:
        return super().features(raw) + np.random.random(3).astype(np.float32)


class DoubleStats(LevelStats):
    """Returns float64 instead of float32."""

    name = "double-stats"

    def features(self, raw: AudioSignal) -> np.ndarray:
        return super().features(raw).astype(np.float64)


class NormalisedStats(LevelStats):
    """Divides by the signal's std without a guard: NaN on silence."""

    name = "normalised-stats"

    def features(self, raw: AudioSignal) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (super().features(raw) / np.float32(raw.samples.std())).astype(np.float32)


class FrameHungry(LevelStats):
    """Indexes the 4000th sample: IndexError on 0.1 s audio."""

    name = "frame-hungry"

    def features(self, raw: AudioSignal) -> np.ndarray:
        return np.array([raw.samples[4000], 0.0, 0.0], dtype=np.float32)


class PoliteFrameHungry(LevelStats):
    """Rejects clips shorter than 0.25 s with a ClipError."""

    name = "polite-frame-hungry"

    def extract(self, clip: Clip) -> np.ndarray:
        raw = self.load(clip)
        if raw.duration < 0.25:
            raise ClipError(clip.clip_id, f"{raw.duration:.2f} s is shorter than 0.25 s")
        return self.features(raw)


class CwdWriter(LevelStats):
    """Saves features into the working directory instead of the cache."""

    name = "cwd-writer"

    def features(self, raw: AudioSignal) -> np.ndarray:
        out = super().features(raw)
        np.save("features.npy", out)
        return out


class HomeWriter(LevelStats):
    """Keeps state in a dot-folder of the user's home."""

    name = "home-writer"

    def features(self, raw: AudioSignal) -> np.ndarray:
        state = Path.home() / ".home-writer"
        state.mkdir(exist_ok=True)
        (state / "last.txt").write_text("seen")
        return super().features(raw)


_LIBRARY_WARMED = False


class UsesCachingLibrary(LevelStats):
    """Imports a 'library' that writes a cache file into the temp folder once per process, as matplotlib does."""

    name = "uses-caching-library"

    def features(self, raw: AudioSignal) -> np.ndarray:
        global _LIBRARY_WARMED
        if not _LIBRARY_WARMED:
            import tempfile

            Path(tempfile.gettempdir(), "library-font-cache.json").write_text("{}")
            _LIBRARY_WARMED = True
        return super().features(raw)


class LockHolder(LevelStats):
    """Keeps a lock: cannot be pickled for the executor."""

    name = "lock-holder"

    def setup(self, context: Any) -> None:
        super().setup(context)
        self.lock = threading.Lock()


class NeedsModelFile(LevelStats):
    """Needs a pretrained file that is never there."""

    name = "needs-model-file"

    def setup(self, context: Any) -> None:
        super().setup(context)
        raise ResourceMissingError("put tiny.onnx in $AVBENCH_MODELS (not available in these tests)")


class EagerLoader(LevelStats):
    """Loads its model file in the constructor."""

    name = "eager-loader"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raise ResourceMissingError("put tiny.onnx in $AVBENCH_MODELS")


class FrameColour(Extractor):
    """Mean BGR colour per frame: a [T, 3] sequence; ClipError when the video has no frames."""

    name = "frame-colour"
    version = "1.0"
    modality = Modality.VIDEO
    output_kind = OutputKind.SEQUENCE

    def load(self, clip: Clip) -> np.ndarray:
        import cv2

        capture = cv2.VideoCapture(str(clip.path("video")))
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame.mean(axis=(0, 1)))
        if not frames:
            raise ClipError(clip.clip_id, "no frames")
        return np.array(frames, dtype=np.float32)

    def features(self, raw: np.ndarray) -> np.ndarray:
        return raw / 255.0


class TableLookup(Extractor):
    """Features looked up by clip id in a CSV table (like OpenFace action units); ClipError for unknown ids."""

    name = "table-lookup"
    version = "1.0"
    modality = Modality.VIDEO
    output_kind = OutputKind.VECTOR

    class Params(Params):
        table: str = Field("", description="CSV with columns name,a,b")

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        with open(tmp_dir / "table.csv", "w", newline="") as out:
            csv.writer(out).writerows([["name", "a", "b"], ["take-1", "0.5", "1.5"], ["take-2", "0.25", "2.0"]])
        return [Clip(f"take-{i}", "01", "happy", {"video": str(tmp_dir / f"take-{i}.mp4")}) for i in (1, 2)]

    @classmethod
    def conformance_params(cls, tmp_dir: Path) -> dict[str, Any]:
        return {"table": str(tmp_dir / "table.csv")}

    def load(self, clip: Clip) -> str:
        return clip.clip_id

    def features(self, raw: str) -> np.ndarray:
        with open(self.params.table) as handle:
            rows = {r["name"]: r for r in csv.DictReader(handle)}
        if raw not in rows:
            raise ClipError(raw, "not in the action-unit table")
        return np.array([float(rows[raw]["a"]), float(rows[raw]["b"])], dtype=np.float32)


# --- models --------------------------------------------------------------------------------

class Centroids(CentroidModel):
    """The kit's own nearest-centroid model, registered under a name of its own."""

    name = "centroids"


class UnnormalisedScores(Centroids):
    """Returns raw scores that do not sum to one."""

    name = "unnormalised-scores"

    def predict_proba(self, X: Any) -> np.ndarray:
        return super().predict_proba(X) * 2.0


class SeenClassesOnly(Model):
    """Returns a column per class seen in training, not per ``n_classes``."""

    name = "seen-classes-only"
    version = "1.0"

    def fit(self, X: Any, y: np.ndarray, *, n_classes: int, X_val: Any = None, y_val: Any = None) -> "SeenClassesOnly":
        from sklearn.linear_model import LogisticRegression

        self.clf_ = LogisticRegression(max_iter=500).fit(stack(X), y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.clf_.predict_proba(stack(X))


class ClaimsCuda(Centroids):
    """Says it runs on CUDA whatever it is asked."""

    name = "claims-cuda"

    @property
    def device(self) -> str:
        return "cuda:0"


class TorchOnMeta(Model):
    """A torch linear layer placed on the 'meta' device instead of the requested CPU."""

    name = "torch-on-meta"
    version = "1.0"

    class Params(Params):
        device: str = "auto"

    def fit(self, X: Any, y: np.ndarray, *, n_classes: int, X_val: Any = None, y_val: Any = None) -> "TorchOnMeta":
        import torch

        self.n_classes_ = n_classes
        self.net_ = torch.nn.Linear(stack(X).shape[1], n_classes, device="meta")
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.full((len(X), self.n_classes_), 1.0 / self.n_classes_)


class FixedLengthSequences(Centroids):
    """Accepts sequences but stacks them, so different lengths break it."""

    name = "fixed-length-sequences"
    accepts = frozenset({OutputKind.SEQUENCE})

    @staticmethod
    def _flat(X: Any) -> np.ndarray:
        return stack(X).reshape(len(X), -1).astype(np.float64)


# --- other kinds ---------------------------------------------------------------------------

class SubjectKFold(Protocol):
    """Subjects in sorted order dealt into ``n_folds`` test groups."""

    name = "subject-kfold"
    version = "1.0"

    class Params(Params):
        n_folds: int = Field(4, ge=2)

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        subjects = sorted({c.subject for c in clips})
        folds = []
        for i in range(self.params.n_folds):
            test = set(subjects[i::self.params.n_folds])
            folds.append(Fold(f"fold-{i}", train=by_subject(clips, set(subjects) - test), test=by_subject(clips, test)))
        return folds


class ClipShuffle(SubjectKFold):
    """Splits clips, not subjects: the same subject ends up in train and test."""

    name = "clip-shuffle"

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        ids = [c.clip_id for c in clips]
        return [Fold("half", train=tuple(ids[::2]), test=tuple(ids[1::2]))]


class TinyCorpus(Dataset):
    """WAV files named SPEAKER_EMOTION_TAKE.wav."""

    name = "tiny-corpus"
    version = "1.0"
    labels: ClassVar[tuple[str, ...]] = ("neutral", "happy")

    def clips(self, root: Path) -> list[Clip]:
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(root, [f"{root}: no such folder"])
        clips, problems = [], []
        for path in sorted(root.glob("*.wav")):
            parts = path.stem.split("_")
            if len(parts) != 3 or parts[1] not in self.labels:
                problems.append(f"{path}: expected SPEAKER_EMOTION_TAKE.wav")
                continue
            clips.append(Clip(path.stem, parts[0], parts[1], {"audio": str(path)}))
        if problems:
            raise DatasetError(root, problems)
        return clips

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        from avbench.testing.media import speech_like, write_wav

        root = tmp_dir / "tiny"
        root.mkdir()
        for speaker in ("a1", "a2"):
            for label in cls.labels:
                write_wav(root / f"{speaker}_{label}_1.wav", speech_like(0.2))
        return root


class ForgivingCorpus(TinyCorpus):
    """Skips badly named files silently."""

    name = "forgiving-corpus"

    def clips(self, root: Path) -> list[Clip]:
        if not Path(root).is_dir():
            raise DatasetError(root, [f"{root}: no such folder"])
        return [Clip(p.stem, p.stem.split("_")[0], p.stem.split("_")[1], {"audio": str(p)})
                for p in sorted(Path(root).glob("*.wav")) if len(p.stem.split("_")) == 3]


class TreelessCorpus(TinyCorpus):
    """Provides no conformance tree."""

    name = "treeless-corpus"
    conformance_tree = None  # type: ignore[assignment]


class MeanFusion(Fusion):
    """Averages the branch models' probabilities."""

    name = "mean-fusion"
    version = "1.0"

    def fit(self, data: Any, models: Mapping[str, Model], factory: Any) -> "MeanFusion":
        self.models_ = dict(models)
        for branch, model in self.models_.items():
            model.fit(data.train.features[branch], data.train.y, n_classes=data.n_classes)
        return self

    def predict_proba(self, features: Mapping[str, Any]) -> np.ndarray:
        return np.mean([m.predict_proba(features[b]) for b, m in self.models_.items()], axis=0)


class Gain(Augmenter):
    """Scales the samples by a random gain."""

    name = "gain"
    version = "1.0"
    modality = Modality.AUDIO

    def augment(self, raw: AudioSignal, rng: np.random.Generator) -> AudioSignal:
        return AudioSignal((raw.samples * rng.uniform(0.5, 1.0)).astype(np.float32), raw.sample_rate)


class InPlaceGain(Gain):
    """Scales the caller's array in place."""

    name = "in-place-gain"

    def augment(self, raw: AudioSignal, rng: np.random.Generator) -> AudioSignal:
        raw.samples *= np.float32(rng.uniform(0.5, 1.0))
        return raw


class AlwaysCentre(FaceDetector):
    """Reports a face in the middle of every frame, found or not."""

    name = "always-centre"
    version = "1.0"

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        h, w = frame.shape[:2]
        return [FaceBox(w // 4, h // 4, w // 2, h // 2, 0.9)]


class BadName(LevelStats):
    """Breaks the naming rule."""

    name = "Bad Name"


@hookimpl
def avbench_plugins() -> list[type]:
    return [LevelStats, TinyCorpus, SubjectKFold, Centroids]

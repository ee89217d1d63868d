'''Source of the minimal working plugin module, per kind, for ``avbench new-plugin``.

Tokens replaced by the generator: ``__NAME__`` (plugin name), ``__CLASS__``
(class name), ``__DIST__`` (distribution name). Each plugin passes every
conformance check of its kind as generated.
'''

from __future__ import annotations

DATASET = '''"""__CLASS__: an avbench dataset plugin for a corpus of files named ``SPEAKER_EMO_TAKE.wav``.

Replace ``EMOTIONS`` and ``NAME_PATTERN`` with your corpus's naming scheme, and
``conformance_tree`` with a tiny tree in that scheme (the checks list it).
"""

from __future__ import annotations

import re
import wave
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Dataset, DatasetError, Params

#: Emotion codes in file names -> avbench's canonical emotion names.
EMOTIONS = {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry"}
NAME_PATTERN = re.compile(r"^(?P<speaker>[a-z]+[0-9]+)_(?P<emotion>[a-z]{3})_(?P<take>[0-9]{2})$")


class __CLASS__(Dataset):
    """Speakers reading sentences in four emotions, one WAV per take (SPEAKER_EMO_TAKE.wav)."""

    name = "__NAME__"
    version = "0.1.0"
    labels: ClassVar[tuple[str, ...]] = tuple(EMOTIONS.values())
    modalities: ClassVar[tuple[str, ...]] = ("audio",)

    class Params(Params):
        extension: str = Field(".wav", pattern=r"^\\.[A-Za-z0-9]+$", description="media files to list")

    def clips(self, root: Path) -> list[Clip]:
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(root, [f"{root}: no such folder; point the dataset root at the corpus"])
        clips, problems = [], []
        for path in sorted(root.rglob(f"*{self.params.extension}")):
            match = NAME_PATTERN.match(path.stem)
            if match is None or match["emotion"] not in EMOTIONS:
                problems.append(f"{path}: expected SPEAKER_EMO_TAKE{self.params.extension} "
                                f"with EMO one of {sorted(EMOTIONS)}")
                continue
            clips.append(Clip(clip_id=path.stem, subject=match["speaker"], label=EMOTIONS[match["emotion"]],
                              media={"audio": str(path)}, meta={"take": int(match["take"])}))
        if problems:
            raise DatasetError(root, problems)
        if not clips:
            raise DatasetError(root, [f"{root}: no {self.params.extension} files"])
        return clips

    @classmethod
    def conformance_tree(cls, tmp_dir: Path) -> Path:
        """A tiny corpus in this naming scheme for the conformance checks: 2 speakers x 4 emotions x 2 takes."""
        root = Path(tmp_dir) / "__NAME__-tiny"
        root.mkdir(parents=True, exist_ok=True)
        t = np.arange(8000) / 16000.0
        for s, speaker in enumerate(["spk1", "spk2"]):
            for e, code in enumerate(EMOTIONS):
                for take in (1, 2):
                    tone = 0.3 * np.sin(2 * np.pi * (140 + 40 * e + 15 * s + 5 * take) * t)
                    with wave.open(str(root / f"{speaker}_{code}_{take:02d}.wav"), "wb") as out:
                        out.setnchannels(1)
                        out.setsampwidth(2)
                        out.setframerate(16000)
                        out.writeframes((tone * 32767).astype("<i2").tobytes())
        return root


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

EXTRACTOR = '''"""__CLASS__: an avbench extractor: frame log-energy and zero-crossing statistics per clip."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import AudioSignal, Clip, ClipError, Extractor, Modality, OutputKind, Params


class __CLASS__(Extractor):
    """Mean and std over frames of log-energy and zero-crossing rate: a 4-d vector per clip."""

    name = "__NAME__"
    version = "0.1.0"
    modality = Modality.AUDIO
    output_kind = OutputKind.VECTOR

    class Params(Params):
        frame_seconds: float = Field(0.025, gt=0, description="analysis frame length")

    def load(self, clip: Clip) -> AudioSignal:
        import soundfile

        try:
            samples, rate = soundfile.read(clip.path("audio"), dtype="float32", always_2d=True)
        except (RuntimeError, OSError) as exc:
            raise ClipError(clip.clip_id, f"cannot read audio: {exc}") from None
        if samples.size == 0:
            raise ClipError(clip.clip_id, "the audio has no samples")
        return AudioSignal(samples.mean(axis=1), int(rate))

    def features(self, raw: AudioSignal) -> np.ndarray:
        n = max(1, int(round(self.params.frame_seconds * raw.sample_rate)))
        frames = np.resize(raw.samples, max(n, len(raw.samples) // n * n)).reshape(-1, n)  # short clips: one frame
        log_energy = np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-10)
        crossings = np.mean(np.abs(np.diff(np.signbit(frames).astype(np.int8), axis=1)), axis=1)
        return np.array([log_energy.mean(), log_energy.std(), crossings.mean(), crossings.std()], dtype=np.float32)


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

MODEL = '''"""__CLASS__: an avbench model. The template is a nearest-class-mean classifier, in numpy: replace its
``fit`` and ``predict_proba`` with your model (and its description with what it then is)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Features, Model, OutputKind, Params, stack


class __CLASS__(Model):
    """Nearest class mean: each class is the mean of its standardised training vectors; a clip's probabilities
    are a softmax of minus its squared distances to them. Deterministic; it also trains on X_val."""

    name = "__NAME__"
    version = "0.1.0"
    description = "nearest class mean on standardised vectors (the avbench model template: replace with yours)"
    accepts: ClassVar[frozenset[OutputKind]] = frozenset({OutputKind.VECTOR})

    class Params(Params):
        temperature: float = Field(1.0, gt=0, description="softmax temperature over squared distances")

    def fit(self, X: Features, y: np.ndarray, *, n_classes: int, X_val: Features | None = None,
            y_val: np.ndarray | None = None) -> "__CLASS__":
        X_all, y_all = stack(list(X)), np.asarray(y)
        if X_val is not None and y_val is not None and len(X_val):
            X_all, y_all = np.vstack([X_all, stack(list(X_val))]), np.concatenate([y_all, np.asarray(y_val)])
        self.mean_ = X_all.mean(axis=0)
        self.scale_ = np.where(X_all.std(axis=0) > 0, X_all.std(axis=0), 1.0)
        Z = (X_all - self.mean_) / self.scale_
        self.n_classes_ = n_classes
        self.present_ = np.unique(y_all)
        self.centroids_ = np.stack([Z[y_all == c].mean(axis=0) for c in self.present_])
        return self

    def predict_proba(self, X: Features) -> np.ndarray:
        Z = (stack(list(X)) - self.mean_) / self.scale_
        distances = ((Z[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2) / Z.shape[1]
        logits = -distances / self.params.temperature
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        proba = np.zeros((len(Z), self.n_classes_))
        # a class missing from training still gets its (zero) column: n_classes columns, always
        proba[:, self.present_] = weights / weights.sum(axis=1, keepdims=True)
        return proba


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

PROTOCOL = '''"""__CLASS__: an avbench protocol: subject-independent k-fold cross-validation."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Fold, Params, Protocol, by_subject


class __CLASS__(Protocol):
    """Subjects dealt in sorted order into ``n_folds`` groups; each group is the test set once."""

    name = "__NAME__"
    version = "0.1.0"

    class Params(Params):
        n_folds: int = Field(4, ge=2, description="number of folds (subject groups)")

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        subjects = sorted({c.subject for c in clips})
        k = self.params.n_folds
        if len(subjects) < k:
            raise ValueError(f"protocol {self.name!r}: n_folds={k} but the clips have {len(subjects)} subjects")
        folds = []
        for i in range(k):
            test = set(subjects[i::k])
            folds.append(Fold(f"fold-{i + 1}", train=by_subject(clips, set(subjects) - test),
                              test=by_subject(clips, test), test_subjects=tuple(sorted(test))))
        return folds


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

AUGMENTER = '''"""__CLASS__: an avbench augmenter: random gain and white noise at a random signal-to-noise ratio."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import AudioSignal, Augmenter, Modality, Params


class __CLASS__(Augmenter):
    """Scales by a random gain and adds white noise; draws every random number from the given rng."""

    name = "__NAME__"
    version = "0.1.0"
    modality = Modality.AUDIO

    class Params(Params):
        copies: int = Field(1, ge=0, description="augmented variants per training clip")
        max_gain_db: float = Field(6.0, ge=0)
        min_snr_db: float = Field(15.0, description="lowest signal-to-noise ratio; the highest is 15 dB above")

    def augment(self, raw: AudioSignal, rng: np.random.Generator) -> AudioSignal:
        gain = 10 ** (rng.uniform(-self.params.max_gain_db, self.params.max_gain_db) / 20)
        snr_db = rng.uniform(self.params.min_snr_db, self.params.min_snr_db + 15)
        power = float(np.mean(np.square(raw.samples, dtype=np.float64))) if len(raw.samples) else 0.0
        noise = rng.standard_normal(len(raw.samples)) * np.sqrt(power / 10 ** (snr_db / 10))
        samples = np.clip(gain * (raw.samples + noise), -1.0, 1.0).astype(np.float32)
        return AudioSignal(samples, raw.sample_rate)  # a new object: the clean input stays as it was


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

FUSION = '''"""__CLASS__: an avbench fusion: a weighted mean of the branches' class probabilities (late fusion)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import Features, Fusion, FusionData, Model, Params, PluginFactory


class __CLASS__(Fusion):
    """Each branch's model is trained on its own features; their probabilities are averaged with weights."""

    name = "__NAME__"
    version = "0.1.0"

    class Params(Params):
        weights: dict[str, float] = Field(default_factory=dict, description="weight per branch (default 1)")

    def fit(self, data: FusionData, models: Mapping[str, Model], factory: PluginFactory) -> "__CLASS__":
        self.models_ = {}
        for branch, model in models.items():
            val = data.val
            model.fit(data.train.features[branch], data.train.y, n_classes=data.n_classes,
                      X_val=val.features[branch] if val is not None else None,
                      y_val=val.y if val is not None else None)
            self.models_[branch] = model
        return self

    def predict_proba(self, features: Mapping[str, Features]) -> np.ndarray:
        weights = {b: float(self.params.weights.get(b, 1.0)) for b in self.models_}
        total = sum(w * np.asarray(self.models_[b].predict_proba(features[b])) for b, w in weights.items())
        return total / sum(weights.values())


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

FACE_DETECTOR = '''"""__CLASS__: an avbench face detector: OpenCV's bundled Haar cascade for frontal faces."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from avbench import hookimpl
from avbench.contract import FaceBox, FaceDetector, Params


class __CLASS__(FaceDetector):
    """Haar cascade (``haarcascade_frontalface_default.xml``); boxes largest first, all with score 1."""

    name = "__NAME__"
    version = "0.1.0"

    class Params(Params):
        scale_factor: float = Field(1.1, gt=1)
        min_neighbors: int = Field(5, ge=0)
        min_size: int = Field(30, ge=1, description="smallest face side in pixels")

    _cascade: Any = None  # loaded on first use, not in the constructor

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        import cv2

        if self._cascade is None:
            self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found = self._cascade.detectMultiScale(gray, scaleFactor=self.params.scale_factor,
                                               minNeighbors=self.params.min_neighbors,
                                               minSize=(self.params.min_size, self.params.min_size))
        boxes = [FaceBox(int(x), int(y), int(w), int(h), 1.0) for x, y, w, h in found]
        return sorted(boxes, key=lambda b: b.area, reverse=True)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_cascade", None)  # OpenCV objects do not pickle; workers reload it
        return state


@hookimpl
def avbench_plugins() -> list[type]:
    return [__CLASS__]
'''

PLUGIN_SOURCES = {
    "dataset": DATASET,
    "extractor": EXTRACTOR,
    "model": MODEL,
    "protocol": PROTOCOL,
    "augmenter": AUGMENTER,
    "fusion": FUSION,
    "face_detector": FACE_DETECTOR,
}

#: Runtime dependencies of each template beyond avbench itself.
DEPENDENCIES = {
    "dataset": ["numpy"],
    "extractor": ["numpy", "soundfile"],
    "model": ["numpy"],
    "protocol": [],
    "augmenter": ["numpy"],
    "fusion": ["numpy"],
    "face_detector": ["numpy", "opencv-python-headless"],
}

CLASS_SUFFIX = {
    "dataset": "Dataset", "extractor": "Extractor", "model": "Model", "protocol": "Protocol",
    "augmenter": "Augmenter", "fusion": "Fusion", "face_detector": "FaceDetector",
}

"""The plugin contract: what every kind of plugin declares and implements."""

from .base import NoParams, Params, Plugin, PluginKind, RunContext, default_cache_dir
from .dataset import Clip, Dataset
from .emotions import ALIASES, CANONICAL_EMOTIONS, UnknownEmotionError, canonical, is_canonical
from .errors import AvbenchError, ClipError, DatasetError, ResourceMissingError
from .face_detector import FaceBox, FaceDetector
from .extractor import OUTPUT_NDIM, Augmenter, Extractor, Modality, OutputKind
from .fusion import BranchBatch, Fusion, FusionData, PluginFactory
from .media import AudioSignal, VideoFrames
from .model import Features, Model, stack
from .protocol import Fold, Protocol, by_subject

__all__ = [
    "ALIASES", "CANONICAL_EMOTIONS", "UnknownEmotionError", "canonical", "is_canonical",
    "AudioSignal", "Augmenter", "AvbenchError", "BranchBatch", "Clip", "ClipError", "Dataset",
    "DatasetError", "Extractor", "FaceBox", "FaceDetector", "Features", "Fold", "Fusion", "FusionData", "Modality", "Model",
    "NoParams", "OUTPUT_NDIM", "OutputKind", "Params", "Plugin", "PluginFactory", "PluginKind",
    "Protocol", "ResourceMissingError", "RunContext", "VideoFrames", "by_subject", "default_cache_dir",
    "stack",
]

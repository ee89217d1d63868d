"""Where a speech encoder's checkpoint folder is, what it holds, and what it was trained on.

Nothing is ever downloaded: ``checkpoint`` names a folder holding a Hugging Face model
(``config.json``, ``model.safetensors`` or ``pytorch_model.bin``, ``preprocessor_config.json``).
A bare name (``wavlm-base-plus``) is looked up in the models folder (``AVBENCH_MODELS`` or
``[resources] models``); a value with a folder part (``/x/wavlm``, ``./wavlm``, ``~/wavlm``) is a path.

Reading ``config.json`` alone (no torch, no transformers) gives the family, the width and the
number of hidden states, so shapes and training data can be declared without loading the network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.contract import ResourceMissingError, RunContext

MODELS_ENV = "AVBENCH_MODELS"

#: ``config.json`` ``model_type`` -> the family's name in messages.
FAMILIES = {"wav2vec2": "wav2vec 2.0", "hubert": "HuBERT", "wavlm": "WavLM", "data2vec-audio": "data2vec-audio",
            "whisper": "Whisper (encoder)"}

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")

#: Well-known checkpoints (by folder name): their Hugging Face repo and the corpora they were pretrained on,
#: from their papers and model cards. A model card's ``datasets:`` or the ``trained_on`` parameter override this.
KNOWN_CHECKPOINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "wav2vec2-base": ("facebook/wav2vec2-base", ("librispeech",)),
    "wav2vec2-large-lv60": ("facebook/wav2vec2-large-lv60", ("libri-light",)),
    "hubert-base-ls960": ("facebook/hubert-base-ls960", ("librispeech",)),
    "hubert-large-ll60k": ("facebook/hubert-large-ll60k", ("libri-light",)),
    "wavlm-base": ("microsoft/wavlm-base", ("librispeech",)),
    "wavlm-base-plus": ("microsoft/wavlm-base-plus", ("libri-light", "gigaspeech", "voxpopuli")),
    "wavlm-large": ("microsoft/wavlm-large", ("libri-light", "gigaspeech", "voxpopuli")),
    "data2vec-audio-base": ("facebook/data2vec-audio-base", ("librispeech",)),
    "whisper-base": ("openai/whisper-base", ("whisper-680k-web-audio (undisclosed)",)),
    "whisper-small": ("openai/whisper-small", ("whisper-680k-web-audio (undisclosed)",)),
    "whisper-medium": ("openai/whisper-medium", ("whisper-680k-web-audio (undisclosed)",)),
    "whisper-large-v3": ("openai/whisper-large-v3", ("whisper-5m-hours-web-audio (undisclosed)",)),
}


@dataclass(frozen=True)
class CheckpointInfo:
    """What ``config.json`` says: the family, the hidden width and how many hidden states the encoder returns."""

    family: str
    width: int
    n_hidden_states: int  # the input embedding (CNN / conv front end output) plus one per transformer layer


def is_path(value: str) -> bool:
    """Whether a ``checkpoint`` value is a path (has a folder part) rather than a name in the models folder."""
    return Path(value).expanduser().is_absolute() or len(Path(value).parts) > 1 or value.startswith(("~", "."))


def origin_of(value: str) -> str:
    """Where the user gets the folder's files, for the error message."""
    repo = KNOWN_CHECKPOINTS.get(Path(value).name, (None,))[0]
    where = f"the Hugging Face repo {repo}" if repo else "the model's Hugging Face repo"
    return (f"config.json, model.safetensors (or pytorch_model.bin) and preprocessor_config.json from {where} "
            f"(fetched on a machine with internet, e.g. `huggingface-cli download {repo or 'ORG/MODEL'} "
            f"--local-dir {Path(value).name}`)")


def locate(context: RunContext, value: str, owner: str) -> Path:
    """The checkpoint folder named by ``checkpoint = value``, or ResourceMissingError saying what to put where."""
    nothing_fetched = "avbench downloads nothing"
    if is_path(value):
        folder = Path(value).expanduser()
    else:
        models = context.resource("models", env=MODELS_ENV)
        if models is None:
            raise ResourceMissingError(
                f"{owner} needs the checkpoint folder {value!r}: set {MODELS_ENV} (or resources.models in the "
                f"benchmark config) to the folder holding {value}/, or set the parameter checkpoint to the "
                f"folder's path. Put {origin_of(value)} in it; {nothing_fetched}")
        folder = models / value
    if not folder.is_dir():
        raise ResourceMissingError(f"{owner}: checkpoint folder {folder} does not exist. Put {origin_of(value)} "
                                   f"there, or set the parameter checkpoint to another folder; {nothing_fetched}")
    missing = [name for name in ("config.json", "preprocessor_config.json") if not (folder / name).is_file()]
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    if missing:
        raise ResourceMissingError(f"{owner}: checkpoint folder {folder} lacks {', '.join(missing)}. Put "
                                   f"{origin_of(value)} there; {nothing_fetched}")
    return folder


def read_info(folder: Path, owner: str) -> CheckpointInfo:
    """Family, width and number of hidden states from ``folder/config.json``; one clear line when it is not usable."""
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ResourceMissingError(f"{owner}: {path} is not readable JSON ({exc})") from None
    family = config.get("model_type")
    if family not in FAMILIES:
        raise ResourceMissingError(f"{owner}: {path} has model_type {family!r}; expected one of "
                                   f"{', '.join(sorted(FAMILIES))}")
    width_key, layers_key = ("d_model", "encoder_layers") if family == "whisper" else ("hidden_size",
                                                                                         "num_hidden_layers")
    try:
        return CheckpointInfo(family, int(config[width_key]), int(config[layers_key]) + 1)
    except (KeyError, TypeError, ValueError):
        raise ResourceMissingError(f"{owner}: {path} lacks an integer {width_key!r} or {layers_key!r}") from None


def model_card_datasets(folder: Path) -> list[str]:
    """The ``datasets:`` of the model card (``README.md`` front matter) in ``folder``; [] when there is none."""
    path = folder / "README.md"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.S)
    if not match:
        return []
    import yaml

    try:
        front: Any = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return []
    datasets = front.get("datasets") if isinstance(front, dict) else None
    if isinstance(datasets, str):
        datasets = [datasets]
    return [str(d) for d in datasets or [] if str(d).strip()]


def declared_training_data(context: RunContext, value: str, trained_on: list[str] | None) -> list[str]:
    """What the checkpoint was trained on: ``trained_on``, else its model card's datasets, else the known table.

    Never raises: a folder that is absent here still declares what the table knows by its name.
    """
    if trained_on is not None:
        return list(trained_on)
    try:
        folder = Path(value).expanduser() if is_path(value) else (context.resource("models", env=MODELS_ENV)
                                                                  or Path("/nonexistent")) / value
        card = model_card_datasets(folder) if folder.is_dir() else []
    except OSError:
        card = []
    if card:
        return card
    return list(KNOWN_CHECKPOINTS.get(Path(value).name, (None, ()))[1])

"""A loaded speech encoder: waveforms in, every hidden state of every clip out, batched with padding masks.

Families and how a batch is padded:

* wav2vec 2.0, HuBERT, WavLM, data2vec-audio: the checkpoint's ``Wav2Vec2FeatureExtractor``
  (per-clip normalisation when it says so), the base model with ``output_hidden_states``. Clips of
  different lengths share a batch only when padding cannot reach the real frames: the feature
  extractor returns an attention mask and the convolutional front end normalises per frame
  (``feat_extract_norm = "layer"``, as wav2vec2-large-lv60 or wavlm-large). Checkpoints like
  wav2vec2-base (group-normalised front end, no attention mask) are used as Hugging Face says,
  zero-padded without a mask, which changes a padded clip's output; data2vec-audio's stack of
  positional convolutions carries padding into the last real frames even with a mask. Those are
  batched only with clips of the same length, so a clip's features never depend on its batch-mates.
* Whisper: the encoder of ``WhisperModel`` with the ``WhisperFeatureExtractor``. Whisper's encoder
  only takes its full window (30 s for the released models): each clip is cut into windows of that
  length, the last zero-padded as in Whisper's training, and only the frames that cover real audio
  are kept (``ceil(mel frames / 2)`` per window, 50 per second), windows concatenated in time.

Each clip's result is ``[n_hidden_states, frames, width]`` float32: the front end's output then each
transformer layer's, its valid frames only. Loading never downloads (``local_files_only``, offline).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avbench.contract import ResourceMissingError

from .checkpoint import FAMILIES


def _transformers() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched, even by a library default
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import transformers
    except ImportError:
        raise ResourceMissingError("the speech encoders need Hugging Face transformers >= 4.40: "
                                   "pip install 'avbench-plugins[ssl]'") from None
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


class SpeechEncoder:
    """One checkpoint loaded on one device, in float32 and eval mode."""

    def __init__(self, folder: Path, device: str) -> None:
        import torch

        transformers = _transformers()
        self.folder = folder
        try:
            config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
            self.processor = transformers.AutoFeatureExtractor.from_pretrained(str(folder), local_files_only=True)
            model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ResourceMissingError(f"cannot load the checkpoint in {folder}: {type(exc).__name__}: "
                                       f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        self.family = config.model_type
        if self.family not in FAMILIES:
            raise ResourceMissingError(f"{folder}: model_type {self.family!r} is not one of {sorted(FAMILIES)}")
        self.model = (model.get_encoder() if self.family == "whisper" else model).to(device).eval()
        self.device = torch.device(device)
        self.sample_rate = int(self.processor.sampling_rate)
        self.pads_safely = self.family == "whisper" or (
            self.family != "data2vec-audio" and bool(getattr(self.processor, "return_attention_mask", False))
            and getattr(config, "feat_extract_norm", "group") == "layer")

    def frames(self, n_samples: int) -> int:
        """Frames of hidden states a clip of ``n_samples`` gives (0: too short for the front end)."""
        if self.family == "whisper":
            window, hop = self.processor.n_samples, self.processor.hop_length
            full, rest = divmod(n_samples, window)
            return full * math.ceil(window / hop / 2) + math.ceil(math.ceil(rest / hop) / 2)
        import torch

        return int(self.model._get_feat_extract_output_lengths(torch.tensor([n_samples]))[0].clamp(min=0))

    def hidden_states(self, clips: Sequence[np.ndarray], batch_size: int) -> list[np.ndarray]:
        """``[n_hidden_states, frames, width]`` per clip of mono float32 samples at :attr:`sample_rate`."""
        if self.family == "whisper":
            return self._whisper(clips, batch_size)
        out: list[np.ndarray | None] = [None] * len(clips)
        for batch in self._batches([len(c) for c in clips], batch_size):
            for index, states in zip(batch, self._wav2vec_batch([clips[i] for i in batch])):
                out[index] = states
        return out  # type: ignore[return-value]

    def _batches(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """Clip indices per forward pass: any lengths when padding is safe, else equal lengths only."""
        if self.pads_safely:
            order = sorted(range(len(lengths)), key=lambda i: lengths[i])  # little padding per batch
            return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        by_length: dict[int, list[int]] = {}
        for i, n in enumerate(lengths):
            by_length.setdefault(n, []).append(i)
        return [group[i:i + batch_size] for group in by_length.values() for i in range(0, len(group), batch_size)]

    def _wav2vec_batch(self, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        inputs = self.processor([np.asarray(c, np.float32) for c in clips], sampling_rate=self.sample_rate,
                                padding=True, return_attention_mask=True, return_tensors="pt")
        lengths = inputs["attention_mask"].sum(dim=1)
        kwargs = {"attention_mask": inputs["attention_mask"].to(self.device)} if self.pads_safely else {}
        with torch.inference_mode():
            result = self.model(inputs["input_values"].to(self.device), output_hidden_states=True, **kwargs)
            frames = self.model._get_feat_extract_output_lengths(lengths).tolist()
            stacked = torch.stack(result.hidden_states, dim=1).float().cpu().numpy()  # [B, L, T, D]
        return [np.ascontiguousarray(stacked[b, :, :n]) for b, n in enumerate(frames)]

    def _whisper(self, clips: Sequence[np.ndarray], batch_size: int) -> list[np.ndarray]:
        import torch

        window = int(self.processor.n_samples)
        pieces = [(i, c[start:start + window]) for i, c in enumerate(clips) for start in range(0, len(c), window)]
        per_clip: list[list[np.ndarray]] = [[] for _ in clips]
        for first in range(0, len(pieces), batch_size):
            batch = pieces[first:first + batch_size]
            inputs = self.processor([np.asarray(p, np.float32) for _, p in batch], sampling_rate=self.sample_rate,
                                    padding="max_length", return_attention_mask=True, return_tensors="pt")
            mel_frames = inputs["attention_mask"].sum(dim=1).tolist()
            with torch.inference_mode():
                result = self.model(inputs["input_features"].to(self.device), output_hidden_states=True)
                stacked = torch.stack(result.hidden_states, dim=1).float().cpu().numpy()  # [B, L, T, D]
            for (index, _), (b, n) in zip(batch, enumerate(mel_frames)):
                per_clip[index].append(stacked[b, :, :math.ceil(n / 2)])
        return [np.ascontiguousarray(np.concatenate(parts, axis=1)) for parts in per_clip]

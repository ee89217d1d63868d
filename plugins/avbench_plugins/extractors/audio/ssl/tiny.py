"""Tiny randomly initialised checkpoints of each encoder family, written with ``save_pretrained``.

They have the real architectures (the same code paths as wavlm-base-plus or whisper-large-v3, 50
frames per second) at width 16 and two layers, so the conformance kit and the tests run the
extractor on any machine in a second, without the real weights. Their outputs mean nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .encoder import _transformers

_WAV2VEC_FAMILIES = {"wav2vec2": "Wav2Vec2", "hubert": "Hubert", "wavlm": "WavLM", "data2vec-audio": "Data2VecAudio"}
FAMILY_NAMES = (*_WAV2VEC_FAMILIES, "whisper")


def write_tiny_checkpoint(folder: Path, family: str, *, seed: int = 0, attention_mask: bool | None = None,
                          whisper_seconds: int = 1) -> Path:
    """Write a tiny random ``family`` checkpoint (config, safetensors, preprocessor config) into ``folder``.

    ``attention_mask`` (wav2vec-style families): whether the feature extractor returns one and the front
    end is layer-normalised (True: like wavlm-large; False: like wav2vec2-base, group norm and no mask;
    None: the family's base-size default). Whisper's window is ``whisper_seconds`` long (30 s when released).
    """
    import torch

    transformers = _transformers()
    torch.manual_seed(seed)
    if family == "whisper":
        config = transformers.WhisperConfig(
            d_model=16, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
            encoder_ffn_dim=32, decoder_ffn_dim=32, num_mel_bins=80, max_source_positions=50 * whisper_seconds,
            max_target_positions=16, vocab_size=64, pad_token_id=0, bos_token_id=1, eos_token_id=2,
            decoder_start_token_id=1, suppress_tokens=[], begin_suppress_tokens=[])
        model = transformers.WhisperModel(config)
        processor = transformers.WhisperFeatureExtractor(feature_size=80, chunk_length=whisper_seconds)
    elif family in _WAV2VEC_FAMILIES:
        masked = family in ("wavlm", "data2vec-audio") if attention_mask is None else attention_mask
        prefix = _WAV2VEC_FAMILIES[family]
        options = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                       conv_dim=(8, 8, 8), conv_stride=(5, 8, 8), conv_kernel=(10, 8, 8), num_conv_pos_embeddings=8,
                       num_conv_pos_embedding_groups=2, hidden_dropout=0.0, attention_dropout=0.0)
        if family == "data2vec-audio":  # layer-normalised convolutions always; a stack of small positional convs
            options.update(num_conv_pos_embeddings=2, conv_pos_kernel_size=3)
        else:
            options["feat_extract_norm"] = "layer" if masked else "group"
        if family == "wavlm":
            options.update(num_buckets=16, max_bucket_distance=64)
        config = getattr(transformers, f"{prefix}Config")(**options)
        model = getattr(transformers, f"{prefix}Model")(config)
        processor = transformers.Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                                          do_normalize=True, return_attention_mask=masked)
    else:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILY_NAMES)}")
    folder.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(str(folder))
    processor.save_pretrained(str(folder))
    return folder


@lru_cache(maxsize=1)
def conformance_checkpoint() -> Path:
    """A tiny WavLM in the conformance kit's per-process media folder (removed at exit), written once."""
    from avbench.testing.media import media_dir

    return write_tiny_checkpoint(media_dir() / "tiny-wavlm", "wavlm")

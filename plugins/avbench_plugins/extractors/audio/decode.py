"""Audio decoding shared by every audio extractor: any file in, mono float32 at one rate out.

Why one module: every audio feature must see the same samples for the same clip
(same decoder, same mix-down, same resampler), and every way a file can be bad must
end in one :class:`~avbench.contract.ClipError` naming the file, never NaN features.

Decoders, in order:

1. ``soundfile`` (libsndfile) for what it reads natively: wav, flac, ogg, aiff...
   A file it recognises but cannot read fully (corrupt or truncated) is an error;
   it is not handed to another decoder.
2. PyAV (``pip install av``; its wheels bundle ffmpeg's libraries) for everything
   else, such as the audio track of mp4 / flv videos.
3. Only when PyAV is not installed: ``audioread`` (through librosa's dependency),
   which needs an ``ffmpeg`` program or GStreamer; when neither works the error says
   to install PyAV or ffmpeg.

Silence is not an error: an all-zero clip decodes to zeros, and every extractor
turns it into finite features. Non-finite samples, 0-byte files, files with no
samples and WAV files whose header announces more data than the file holds are.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from avbench.contract import AudioSignal, Clip, ClipError

#: libsndfile's own formats; anything else goes straight to PyAV.
_WAV_SUFFIXES = {".wav", ".wave"}


@dataclass
class LoadedAudio(AudioSignal):
    """An :class:`AudioSignal` that remembers which clip and file it came from.

    Extractors need the clip id to raise :class:`ClipError` from ``features``
    (which only receives the decoded media); augmenters keep these fields by
    building variants with :func:`dataclasses.replace`.
    """

    clip_id: str = "<unknown clip>"
    path: str = ""


def audio_path(clip: Clip) -> Path:
    """The file holding the clip's sound: its ``audio`` media, else the audio track of its ``video``."""
    for modality in ("audio", "video"):
        if modality in clip.media:
            return Path(clip.media[modality])
    raise ClipError(clip.clip_id, f"no audio or video media to take sound from (has: {sorted(clip.media)})")


def load_clip_audio(clip: Clip, sample_rate: int, duration: float | None = None,
                    offset: float = 0.0) -> LoadedAudio:
    """Decode ``clip``'s sound, mono at ``sample_rate``, optionally cut/padded to ``duration`` seconds."""
    return decode_audio(audio_path(clip), clip.clip_id, sample_rate, duration=duration, offset=offset)


def decode_audio(path: str | Path, clip_id: str, sample_rate: int, duration: float | None = None,
                 offset: float = 0.0) -> LoadedAudio:
    """Decode ``path`` to mono float32 at ``sample_rate``.

    ``offset`` seconds are skipped first; with ``duration`` the result is trimmed or
    zero-padded at the end to exactly ``round(duration * sample_rate)`` samples.
    Raises :class:`ClipError` (naming the file) for anything that is not usable audio.
    """
    path = Path(path)
    if not path.is_file():
        raise ClipError(clip_id, f"audio file not found: {path}")
    if path.stat().st_size == 0:
        raise ClipError(clip_id, f"{path} is empty (0 bytes)")
    samples, native_rate = _read_any(path, clip_id)
    if samples.ndim == 2:  # [n, channels] -> mono by averaging the channels
        samples = samples.mean(axis=1)
    if samples.size == 0:
        raise ClipError(clip_id, f"{path} holds no audio samples")
    if not np.isfinite(samples).all():
        raise ClipError(clip_id, f"{path} has non-finite (NaN or inf) samples")
    samples = samples.astype(np.float32, copy=False)
    if native_rate != sample_rate:
        samples = resample(samples, native_rate, sample_rate)
    if offset > 0:
        samples = samples[int(round(offset * sample_rate)):]
        if samples.size == 0:
            raise ClipError(clip_id, f"{path} is shorter than the {offset} s offset")
    if duration is not None:
        samples = fix_length(samples, int(round(duration * sample_rate)))
    return LoadedAudio(np.ascontiguousarray(samples, dtype=np.float32), int(sample_rate),
                       clip_id=clip_id, path=str(path))


def resample(samples: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Resample with soxr (librosa's default high-quality resampler)."""
    import librosa

    return librosa.resample(samples, orig_sr=orig_rate, target_sr=target_rate, res_type="soxr_hq")


def fix_length(samples: np.ndarray, n: int) -> np.ndarray:
    """Trim to, or zero-pad at the end to, exactly ``n`` samples."""
    if samples.shape[0] >= n:
        return samples[:n]
    return np.pad(samples, (0, n - samples.shape[0]))


def _read_any(path: Path, clip_id: str) -> tuple[np.ndarray, int]:
    try:
        handle = sf.SoundFile(str(path))
    except Exception as sf_exc:  # not a format libsndfile knows (mp4, flv...) or a broken header
        sf_reason = _short(sf_exc)
    else:
        with handle:
            return _read_soundfile(handle, path, clip_id)
    try:
        import av  # noqa: F401
    except ImportError:
        return _read_audioread(path, clip_id, sf_reason)
    return _read_pyav(path, clip_id, sf_reason)


def _read_soundfile(handle: sf.SoundFile, path: Path, clip_id: str) -> tuple[np.ndarray, int]:
    if path.suffix.lower() in _WAV_SUFFIXES:
        problem = wav_truncation(path)
        if problem:
            raise ClipError(clip_id, f"{path} is truncated: {problem}")
    try:
        samples = handle.read(dtype="float32", always_2d=True)
    except Exception as exc:
        raise ClipError(clip_id, f"{path} is corrupt or truncated ({_short(exc)})") from None
    if handle.frames > 0 and samples.shape[0] < handle.frames:
        raise ClipError(clip_id, f"{path} is truncated: header says {handle.frames} frames, "
                                 f"only {samples.shape[0]} could be read")
    return samples, int(handle.samplerate)


def wav_truncation(path: Path) -> str | None:
    """Why a RIFF/WAVE file is cut short (its ``data`` chunk claims more bytes than follow), or None.

    libsndfile silently shortens such files; a clip that lost its end must not pass
    as complete. Sizes 0 and 0xFFFFFFFF (streamed WAV with unknown length) are accepted.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                available = size - pos - 8
                if chunk_size not in (0, 0xFFFFFFFF) and chunk_size > available:
                    return f"data chunk declares {chunk_size} bytes, the file holds {available}"
                return None
            pos += 8 + chunk_size + (chunk_size & 1)
    return None


def _read_pyav(path: Path, clip_id: str, sf_reason: str) -> tuple[np.ndarray, int]:
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:
        raise ClipError(clip_id, f"cannot decode {path}: soundfile: {sf_reason}; PyAV: {_short(exc)}") from None
    with container:
        if not container.streams.audio:
            raise ClipError(clip_id, f"{path} has no audio stream")
        stream = container.streams.audio[0]
        # Keep the native rate and channels, only convert to planar float:
        # mix-down and resampling are done the same way for every decoder.
        converter = av.AudioResampler(format="fltp")
        chunks: list[np.ndarray] = []
        rate = None
        try:
            for frame in container.decode(stream):
                rate = rate or frame.sample_rate
                for out in converter.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in converter.resample(None):
                chunks.append(out.to_ndarray())
        except Exception as exc:
            raise ClipError(clip_id, f"{path} is corrupt or truncated (PyAV: {_short(exc)})") from None
    if not chunks or rate is None:
        raise ClipError(clip_id, f"{path} holds no audio samples")
    samples = np.concatenate(chunks, axis=1).T  # [n, channels]
    return samples, int(rate)


def _read_audioread(path: Path, clip_id: str, sf_reason: str) -> tuple[np.ndarray, int]:
    try:
        import librosa

        samples, rate = librosa.load(str(path), sr=None, mono=False)
    except Exception as exc:
        raise ClipError(clip_id, (f"cannot decode {path}: soundfile: {sf_reason}; audioread: {_short(exc)}. "
                                  "Decoding audio from video containers needs PyAV (pip install av) "
                                  "or an ffmpeg program on PATH")) from None
    samples = np.asarray(samples, dtype=np.float32)
    return (samples.T if samples.ndim == 2 else samples), int(rate)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()

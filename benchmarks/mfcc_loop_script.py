"""The plain script a researcher would write: MFCC statistics of audio files, one after another, with librosa.

The same features as avbench's ``mfcc-stats`` with its defaults (40 MFCCs from 64 mel bands, 32 ms
windows every 10 ms at 16 kHz, first deltas over 9 frames; mean then standard deviation over frames).
``runner_speed.py`` times it both inside its own, warmed process and as a program of its own, started
cold like avbench. Usage::

    python benchmarks/mfcc_loop_script.py PATHS.txt FEATURES.npy   # one audio path per line
"""

from __future__ import annotations

import sys

import librosa
import numpy as np


def mfcc_statistics(path: str) -> np.ndarray:
    """``[160]`` float32: mean and std over frames of 40 MFCCs and their first deltas."""
    y, sr = librosa.load(path, sr=16000, mono=True)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, n_mels=64, n_fft=512, hop_length=160)
    frames = np.concatenate([m, librosa.feature.delta(m, width=9, order=1)])
    return np.concatenate([frames.mean(axis=1), frames.std(axis=1)]).astype(np.float32)


def main(paths_file: str, out: str) -> None:
    with open(paths_file) as handle:
        paths = handle.read().splitlines()
    np.save(out, np.stack([mfcc_statistics(path) for path in paths]))


if __name__ == "__main__":
    main(*sys.argv[1:3])

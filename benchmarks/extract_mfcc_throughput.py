"""MFCC extraction throughput over the RAVDESS speech set: avbench's extraction stage vs a plain librosa loop.

Both sides compute the same features (``mfcc-stats`` with its defaults: 40 MFCCs +
deltas, mean and std, 16 kHz) for the same clips, in one run:

(a) avbench: the runner's parallel, cached extraction stage
    (``avbench.runner.worker.extract_chunk`` over ``avbench.runner.executor``, chunks
    of clips, features written to a fresh temporary feature cache, so the cache is
    cold), including the media content hashing the planner does for cache keys. When
    that stage is not importable, a plain process pool over the extractor stands in
    (the output says which).
(b) a sequential loop: ``librosa.load`` + ``librosa.feature.mfcc`` + deltas + mean/std.

Prints clips/s, times real time (audio seconds per wall second), CPU seconds (this
process and its workers: a figure that other load on the machine disturbs less than
wall time) and the speed ratio, and checks that both give the same vectors. Usage::

    AVBENCH_RAVDESS_ROOT=... python benchmarks/extract_mfcc_throughput.py --limit 200 --workers 2
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXTRACTOR = "mfcc-stats"


@dataclass
class Timing:
    label: str
    clips: int
    errors: int
    audio_seconds: float
    wall_seconds: float
    cpu_seconds: float
    compute_seconds: float | None = None  # wall time inside load + features, summed over workers

    def line(self) -> str:
        rate = self.clips / self.wall_seconds
        return (f"{self.label:<44} {self.clips:5d} clips {self.errors:3d} errors  {self.wall_seconds:8.2f} s  "
                f"{rate:8.1f} clips/s  {self.audio_seconds / self.wall_seconds:8.1f} x real time  "
                f"CPU {self.cpu_seconds:7.2f} s ({self.cpu_seconds / max(self.clips, 1) * 1000:.1f} ms/clip)")


def cpu_now() -> float:
    """CPU seconds of this process plus its finished (waited-for) child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ravdess_clips(root: Path, limit: int | None):
    """RAVDESS audio files under ``root`` as clips (clip id: the name without its modality field)."""
    from avbench.contract import Clip

    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in {".wav", ".flac"})
    if not files:
        sys.exit(f"no .wav/.flac files under {root} (set AVBENCH_RAVDESS_ROOT or --root)")
    files = files[:limit] if limit else files
    return [Clip(clip_id=p.stem.split("-", 1)[1], subject=p.stem.split("-")[-1], label=p.stem.split("-")[2],
                 media={"audio": str(p)}) for p in files]


def audio_seconds(clips) -> float:
    import soundfile as sf

    return sum(sf.info(c.media["audio"]).duration for c in clips)


def through_avbench(clips, workers: int, cache_dir: Path) -> tuple[Timing, dict[str, np.ndarray], str]:
    """(a): the runner's extraction stage when present, else a process pool over the extractor."""
    from avbench.contract import RunContext
    from avbench.registry import get_registry

    info = get_registry().info(EXTRACTOR)
    params = info.cls.Params().model_dump(mode="json")
    try:
        from avbench.cache.feature_cache import FeatureCache, feature_key
        from avbench.cache.file_hash import FileHashIndex
        from avbench.runner.executor import make_executor
        from avbench.runner.units import ExtractTask, PluginSpec
        from avbench.runner.worker import extract_chunk
    except ImportError as exc:
        print(f"avbench extraction stage not importable ({exc}); using a plain process pool", file=sys.stderr)
        return pooled(clips, workers)
    try:
        from avbench.runner.plan import CHUNK
    except ImportError:
        CHUNK = 16
    start, cpu = time.perf_counter(), cpu_now()
    spec = PluginSpec(EXTRACTOR, info.version, params)
    hashes = FileHashIndex(cache_dir)
    keys = [feature_key(spec.identity, {"audio": hashes.hash(c.media["audio"])}, c.clip_id) for c in clips]
    context = RunContext(cache_dir=cache_dir)
    tasks = [ExtractTask(spec, tuple(clips[i:i + CHUNK]), tuple(keys[i:i + CHUNK]), context)
             for i in range(0, len(clips), CHUNK)]
    executor = make_executor(workers)
    done, errors, media, compute = 0, 0, 0.0, 0.0
    try:
        for _task, outcome in executor.map_unordered(extract_chunk, tasks):
            if isinstance(outcome, BaseException):
                raise outcome
            done += len(outcome.done)
            errors += len(outcome.errors)
            media += outcome.media_seconds
            compute += outcome.seconds
    finally:
        executor.close()
    wall = time.perf_counter() - start
    cache = FeatureCache(cache_dir)
    features = {c.clip_id: cache.get(EXTRACTOR, k) for c, k in zip(clips, keys)}
    label = f"(a) avbench extraction stage, {workers} workers"
    return Timing(label, done, errors, media, wall, cpu_now() - cpu, compute), features, "avbench.runner (extract_chunk + executor)"


def _extract_one(clip):
    from avbench.contract import ClipError
    from avbench.registry import get_registry

    extractor = get_registry().create(EXTRACTOR)
    try:
        raw = extractor.load(clip)
        return clip.clip_id, extractor.features(raw), raw.duration
    except ClipError:
        return clip.clip_id, None, 0.0


def pooled(clips, workers: int) -> tuple[Timing, dict[str, np.ndarray], str]:
    start, cpu = time.perf_counter(), cpu_now()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_extract_one, clips, chunksize=16))
    wall = time.perf_counter() - start
    cpu = cpu_now() - cpu
    features = {cid: f for cid, f, _ in results}
    done = sum(f is not None for f in features.values())
    timing = Timing(f"(a) extractor in a process pool, {workers} workers", done, len(clips) - done,
                    sum(d for _, _, d in results), wall, cpu)
    return timing, features, "process pool fallback"


def plain_librosa(clips) -> tuple[Timing, dict[str, np.ndarray]]:
    """(b): the same MFCC statistics in a sequential librosa loop, no framework."""
    import librosa

    start, cpu = time.perf_counter(), cpu_now()
    features, media = {}, 0.0
    for clip in clips:
        y, sr = librosa.load(clip.media["audio"], sr=16000, mono=True)
        media += len(y) / sr
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, n_mels=64, n_fft=512, hop_length=160)
        frames = np.concatenate([m, librosa.feature.delta(m, width=9, order=1)])
        features[clip.clip_id] = np.concatenate([frames.mean(axis=1), frames.std(axis=1)]).astype(np.float32)
    wall = time.perf_counter() - start
    return Timing("(b) plain sequential librosa loop", len(clips), 0, media, wall, cpu_now() - cpu), features


def warm_up() -> None:
    """Compile librosa's numba kernels once in this process so (b) is not charged for it."""
    import librosa

    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    librosa.feature.delta(librosa.feature.mfcc(y=y, sr=16000, n_mfcc=40, n_mels=64, n_fft=512, hop_length=160))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.environ.get("AVBENCH_RAVDESS_ROOT"),
                        help="RAVDESS speech folder (default: $AVBENCH_RAVDESS_ROOT)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips (sorted by path)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="avbench worker processes")
    args = parser.parse_args(argv)
    if not args.root:
        parser.error("no dataset: set AVBENCH_RAVDESS_ROOT or pass --root")
    clips = ravdess_clips(Path(args.root), args.limit)
    print(f"{len(clips)} clips, {audio_seconds(clips):.1f} s of audio, {os.cpu_count()} CPUs, "
          f"{args.workers} avbench workers; extractor {EXTRACTOR} (defaults)")
    with tempfile.TemporaryDirectory(prefix="avbench-bench-") as tmp:
        a, fa, how = through_avbench(clips, args.workers, Path(tmp))
    warm_up()
    b, fb = plain_librosa(clips)
    print(f"(a) ran through: {how}; cold feature cache; worker start-up and hashing included")
    print(a.line())
    if a.compute_seconds is not None:
        print(f"    of which inside load+features+cache write, summed over workers: {a.compute_seconds:.2f} s "
              f"({a.compute_seconds / max(a.clips, 1) * 1000:.1f} ms/clip); the rest is worker start-up "
              f"(spawn, plugin discovery, numba compilation), hashing and scheduling")
    print(b.line())
    print(f"speed ratio (a)/(b): {(a.clips / a.wall_seconds) / (b.clips / b.wall_seconds):.2f}x")
    common = [cid for cid in fb if fa.get(cid) is not None]
    diffs = [float(np.max(np.abs(fa[c] - fb[c]) / (np.abs(fb[c]) + 1.0))) for c in common]
    diff = max(diffs) if diffs else float("nan")
    print(f"same features: {len(common)}/{len(fb)} clips compared, largest relative difference {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

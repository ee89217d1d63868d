"""Video throughput: decode + face detection + crop + FER through avbench, beside a plain OpenCV loop.

All sides compute the same thing for every frame of a real clip (by default the 640x480 H.264
RAVDESS sample in ``$AVBENCH_REAL_MEDIA/ravdess-video/``): OpenCV decoding, the Haar face detector
on a copy 320 pixels wide, the largest face cut out square and resized to 64x64 grayscale, and the
FER-2013 mini-Xception posteriors (``fer-posteriors`` with its defaults, on the CPU).

(a) avbench, one worker: the extractor in this process (``load`` = decode + detect + crop + the
    face-crop cache write, ``features`` = FER), model loading excluded (a warm-up clip pays it).
(b) avbench, the whole stage: the runner's extraction stage (``avbench.runner.worker.extract_chunk``
    over ``avbench.runner.executor``) with N worker processes, cold caches; worker start-up,
    plugin discovery, model loading and the feature-cache writes included.
(c) a plain sequential loop: ``cv2.VideoCapture`` + ``cv2.CascadeClassifier`` + the same crop +
    the same network, written out here without avbench's extractor code.

The clip is copied ``--copies`` times, each copy with a different ISO-BMFF ``free`` box appended
(ignored by every decoder), so that no copy's face crops come from another's cache. Prints frames/s
per side (and per worker), CPU seconds, the ratio to (c), and checks that (a), (b) and (c) give the
same posteriors. Usage::

    AVBENCH_REAL_MEDIA=... AVBENCH_MODELS=... python benchmarks/video_throughput.py --copies 8 --workers 2
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXTRACTOR = "fer-posteriors"
SAMPLE = ("ravdess-video", "01-01-07-02-02-01-01.mp4")
FER_MODEL = "fer2013_mini_XCEPTION.102-0.66.hdf5"
ISO_BMFF = {".mp4", ".m4v", ".mov"}


@dataclass
class Timing:
    label: str
    frames: int
    wall_seconds: float
    cpu_seconds: float
    workers: int = 1
    parts: str = ""

    @property
    def fps(self) -> float:
        return self.frames / self.wall_seconds

    def line(self, reference: "Timing | None" = None) -> str:
        ratio = f"  {self.fps / reference.fps:5.2f}x of (c)" if reference else ""
        return (f"{self.label:<46} {self.frames:6d} frames {self.wall_seconds:8.2f} s  {self.fps:7.1f} frames/s  "
                f"{self.fps / self.workers:7.1f} /worker  CPU {self.cpu_seconds:7.2f} s "
                f"({self.cpu_seconds / max(self.frames, 1) * 1000:5.1f} ms/frame){ratio}")


def cpu_now() -> float:
    """CPU seconds of this process plus its finished (waited-for) child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def distinct_copies(video: Path, count: int, folder: Path) -> list[Path]:
    """``count`` copies of ``video`` that differ only by a trailing ISO-BMFF ``free`` box naming the copy."""
    if video.suffix.lower() not in ISO_BMFF:
        sys.exit(f"{video}: copies are made distinct with an ISO-BMFF 'free' box; give an .mp4/.m4v/.mov clip")
    data = video.read_bytes()
    paths = []
    for index in range(count):
        payload = f"avbench throughput copy {index}".encode()
        path = folder / f"copy{index:03d}-{video.name}"
        path.write_bytes(data + struct.pack(">I4s", 8 + len(payload), b"free") + payload)
        paths.append(path)
    return paths


def clips_of(paths: list[Path]):
    from avbench.contract import Clip

    return [Clip(clip_id=p.stem, subject="01", label="disgust", media={"video": str(p)}) for p in paths]


def extractor_params() -> dict:
    """``fer-posteriors`` defaults (every frame, Haar, 64x64 grayscale) on the CPU."""
    return {"device": "cpu"}


def one_worker(clips, warm_up, cache_dir: Path) -> tuple[Timing, dict[str, np.ndarray]]:
    """(a): the extractor's ``load`` and ``features`` in this process, model already loaded."""
    from avbench.contract import RunContext
    from avbench.registry import get_registry

    extractor = get_registry().create({"plugin": EXTRACTOR, "params": extractor_params()},
                                      context=RunContext(cache_dir=cache_dir, device="cpu"))
    extractor.extract(warm_up)  # loads the detector and the network
    outputs, load_s, fer_s, frames = {}, 0.0, 0.0, 0
    start, cpu = time.perf_counter(), cpu_now()
    for clip in clips:
        t0 = time.perf_counter()
        raw = extractor.load(clip)
        t1 = time.perf_counter()
        outputs[clip.clip_id] = extractor.features(raw)
        fer_s += time.perf_counter() - t1
        load_s += t1 - t0
        frames += len(raw)
    timing = Timing("(a) avbench extractor, 1 worker (in process)", frames, time.perf_counter() - start,
                    cpu_now() - cpu, parts=f"load (decode+detect+crop+crop cache) {load_s:.2f} s, FER {fer_s:.2f} s")
    return timing, outputs


def whole_stage(clips, workers: int, cache_dir: Path) -> tuple[Timing, dict[str, np.ndarray], int]:
    """(b): the runner's extraction stage over ``workers`` processes, cold caches."""
    from avbench.cache.feature_cache import FeatureCache, feature_key
    from avbench.cache.file_hash import FileHashIndex
    from avbench.contract import RunContext
    from avbench.registry import get_registry
    from avbench.runner.executor import make_executor
    from avbench.runner.plan import CHUNK
    from avbench.runner.units import ExtractTask, PluginSpec
    from avbench.runner.worker import extract_chunk

    info = get_registry().info(EXTRACTOR)
    params = info.cls.Params(**extractor_params()).model_dump(mode="json")
    chunk = max(1, min(CHUNK, math.ceil(len(clips) / workers)))
    start, cpu = time.perf_counter(), cpu_now()
    spec = PluginSpec(EXTRACTOR, info.version, params)
    hashes = FileHashIndex(cache_dir)
    keys = [feature_key(spec.identity, {"video": hashes.hash(c.media["video"])}, c.clip_id) for c in clips]
    context = RunContext(cache_dir=cache_dir, device="cpu")
    tasks = [ExtractTask(spec, tuple(clips[i:i + chunk]), tuple(keys[i:i + chunk]), context)
             for i in range(0, len(clips), chunk)]
    executor = make_executor(workers)
    errors: dict[str, str] = {}
    try:
        for _task, outcome in executor.map_unordered(extract_chunk, tasks):
            if isinstance(outcome, BaseException):
                raise outcome
            errors.update(outcome.errors)
            errors.update(outcome.failed)
    finally:
        executor.close()
    wall, cpu = time.perf_counter() - start, cpu_now() - cpu
    if errors:
        sys.exit(f"the avbench stage failed on {len(errors)} clip(s): {next(iter(errors.values()))}")
    cache = FeatureCache(cache_dir)
    outputs = {c.clip_id: cache.get(EXTRACTOR, k) for c, k in zip(clips, keys)}
    frames = sum(len(v) for v in outputs.values())
    timing = Timing(f"(b) avbench extraction stage, {workers} workers", frames, wall, cpu, workers=workers)
    return timing, outputs, chunk


def plain_opencv(clips, models: Path) -> tuple[Timing, dict[str, np.ndarray]]:
    """(c): the same work in a plain sequential loop: VideoCapture, Haar, square crop, mini-Xception."""
    import cv2
    import torch

    from avbench_plugins.extractors.video.mini_xception import load_mini_xception

    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))
    net = load_mini_xception(models / FER_MODEL, "cpu")
    outputs, frames = {}, 0
    decode_s = detect_s = fer_s = 0.0
    start, cpu = time.perf_counter(), cpu_now()
    for clip in clips:
        cap = cv2.VideoCapture(clip.media["video"], cv2.CAP_FFMPEG)
        faces = []
        while True:
            t0 = time.perf_counter()
            ok, frame = cap.read()
            t1 = time.perf_counter()
            decode_s += t1 - t0
            if not ok:
                break
            faces.append(plain_face(frame, cascade))
            detect_s += time.perf_counter() - t1
        cap.release()
        t2 = time.perf_counter()
        with torch.no_grad():
            x = (torch.from_numpy(np.stack(faces).astype(np.float32))[:, None] / 255.0 - 0.5) * 2.0
            outputs[clip.clip_id] = torch.cat([torch.softmax(net.features(x[i:i + 256])[1], dim=1)
                                               for i in range(0, len(x), 256)]).numpy()
        fer_s += time.perf_counter() - t2
        frames += len(faces)
    timing = Timing("(c) plain OpenCV loop (sequential)", frames, time.perf_counter() - start, cpu_now() - cpu,
                    parts=f"decode {decode_s:.2f} s, detect+crop {detect_s:.2f} s, FER {fer_s:.2f} s")
    return timing, outputs


def plain_face(frame: np.ndarray, cascade) -> np.ndarray:
    """The largest Haar face of ``frame`` (found 320 px wide), square, 64x64 gray; the centre when none."""
    import cv2

    height, width = frame.shape[:2]
    scale = 320 / width if width > 320 else 1.0
    small = cv2.resize(frame, (320, round(height * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else frame
    rects, neighbours = cascade.detectMultiScale2(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), scaleFactor=1.1,
                                                  minNeighbors=5, minSize=(24, 24))
    boxes = []
    for (x, y, w, h), n in zip(np.asarray(rects).reshape(-1, 4), np.asarray(neighbours).ravel()):
        x0, y0 = max(0, round(x / scale)), max(0, round(y / scale))
        x1, y1 = min(width, round((x + w) / scale)), min(height, round((y + h) / scale))
        boxes.append((x0, y0, x1 - x0, y1 - y0, float(n)))
    if boxes:
        x, y, w, h, _ = max(boxes, key=lambda b: (b[2] * b[3], b[4]))
        side = max(w, h)
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        region = (x0, y0, x0 + side, y0 + side)
    else:
        side = min(width, height)
        region = ((width - side) // 2, (height - side) // 2, (width - side) // 2 + side, (height - side) // 2 + side)
    x0, y0, x1, y1 = region
    inside = frame[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    pad = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    if any(pad):
        inside = cv2.copyMakeBorder(inside, *pad, cv2.BORDER_REPLICATE)
    shrink = inside.shape[0] > 64 or inside.shape[1] > 64
    crop = cv2.resize(inside, (64, 64), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)


def largest_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        return float("inf")
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    media = os.environ.get("AVBENCH_REAL_MEDIA")
    parser.add_argument("--video", default=str(Path(media, *SAMPLE)) if media else None,
                        help="clip to time (default: $AVBENCH_REAL_MEDIA/ravdess-video/01-01-07-02-02-01-01.mp4)")
    parser.add_argument("--copies", type=int, default=8, help="distinct copies of the clip to process")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="(b): worker processes")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed posterior difference")
    args = parser.parse_args(argv)
    if not args.video or not Path(args.video).is_file():
        parser.error("no clip: set AVBENCH_REAL_MEDIA to the real-media-samples folder or pass --video")
    models = os.environ.get("AVBENCH_MODELS")
    if not models or not Path(models, FER_MODEL).is_file():
        parser.error(f"set AVBENCH_MODELS to the folder holding {FER_MODEL}")

    import cv2
    import torch

    torch.set_num_threads(1)  # (a) and (c) on one thread each, like one avbench worker
    cv2.setNumThreads(1)
    video = Path(args.video)
    cap = cv2.VideoCapture(str(video))
    size = f"{int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))}x{int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))}"
    cap.release()
    with tempfile.TemporaryDirectory(prefix="avbench-video-bench-") as tmp:
        tmp_dir = Path(tmp)
        copies = clips_of(distinct_copies(video, args.copies + 1, tmp_dir))
        warm_up, clips = copies[0], copies[1:]
        print(f"{video.name} ({size}), {len(clips)} distinct copies, {os.cpu_count()} CPUs; extractor {EXTRACTOR} "
              f"(every frame, haar at 320 px, 64x64 gray crop, mini-Xception on CPU)")
        a, out_a = one_worker(clips, warm_up, tmp_dir / "cache-a")
        b, out_b, chunk = whole_stage(clips, args.workers, tmp_dir / "cache-b")
        c, out_c = plain_opencv(clips, Path(models))
    print(a.line(c))
    print(f"    {a.parts}")
    print(b.line(c))
    print(f"    chunks of {chunk} clips; worker start-up, plugin discovery and model loading included")
    print(c.line())
    print(f"    {c.parts}")
    diff_ab, diff_ac = largest_difference(out_a, out_b), largest_difference(out_a, out_c)
    same = diff_ab <= args.tolerance and diff_ac <= args.tolerance
    print(f"same posteriors: {'yes' if same else 'NO'} ({len(out_a)} clips x {len(next(iter(out_a.values())))} "
          f"frames; largest difference (a)-(b) {diff_ab:.2e}, (a)-(c) {diff_ac:.2e}, tolerance {args.tolerance:g})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

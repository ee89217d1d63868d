"""avbench on a local Ray cluster against avbench on local workers, the same CPUs: extraction and fold stages.

A one-node Ray cluster (``ray start --head``, ``--num-cpus=WORKERS``, on loopback ``127.0.0.2``, token
authentication with a token that lives only in this process's environment) is started first and is not
timed. Then, per round and per side (local workers first, then Ray, each into its own fresh folder and
cold feature cache, ``mfcc-stats`` + ``svm-rbf`` C=10 under LOSO with two seeds over the first
``--actors`` RAVDESS actors), the run goes as ``avbench run`` goes: the executor is made and warms the
planned extractors while planning runs, then

1. the extraction stage is timed (``run_extraction``, workers possibly still warming, as in a real run);
2. the fold stage is timed (every fold through ``run_fold`` on the same executor);
3. the extraction stage again into a second cold cache, on the workers now warm.

Features (exactly) and fold predictions (the stored parquet bytes) are checked equal between the two
sides; the ratio printed is local seconds / Ray seconds (>= 1: Ray as fast or faster), best of
``--rounds``. Ray's worker processes are counted while the Ray side runs. Usage::

    AVBENCH_RAVDESS_ROOT=/work/shared/data/ravdess-speech-16k python benchmarks/ray_speed.py --record \\
        leaderboards/avbench/performance.json
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

IP = "127.0.0.2"  # loopback that Ray advertises as given (it rewrites 127.0.0.1 to the host's interface)
C = 10.0


def write_benchmark(folder: Path, root: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "benchmark.toml"
    path.write_text(f"""[benchmark]
name = "ray-speed"
seeds = [0, 1]
cache = "{folder / 'cache'}"

[datasets.ravdess]
plugin = "ravdess"
root = "{root}"

[protocols.loso]
plugin = "loso"

[experiments.mfcc-svm]
dataset = "ravdess"
protocols = ["loso"]
[experiments.mfcc-svm.branches.audio]
extractor = "mfcc-stats"
model = {{ plugin = "svm-rbf", params = {{ C = {C} }} }}
""")
    return path


def subset(root: Path, into: Path, actors: int) -> Path:
    """Links to the files of the first ``actors`` actors of ``root`` (RAVDESS names: the last field is the actor)."""
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in {".wav", ".flac"})
    chosen = sorted({f.stem.split("-")[-1] for f in files})[:actors]
    for file in (f for f in files if f.stem.split("-")[-1] in chosen):
        link = into / file.parent.name / file.name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(file)
    return into


def start_cluster(cpus: int) -> tuple[subprocess.Popen, str, Path]:
    """A one-node Ray cluster on loopback; its ``ray start --block`` process, address and temporary folder."""
    with socket.socket() as s:
        s.bind((IP, 0))
        port = s.getsockname()[1]
    temp = Path(tempfile.mkdtemp(prefix="avb-ray-", dir="/tmp"))
    ray = str(Path(sys.executable).with_name("ray"))
    log = open(temp / "start.log", "w")
    process = subprocess.Popen([ray, "start", "--block", "--head", f"--node-ip-address={IP}", f"--port={port}",
                                f"--num-cpus={cpus}", "--num-gpus=0", "--include-dashboard=false",
                                "--disable-usage-stats", f"--temp-dir={temp}"],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    while "Ray runtime started" not in (temp / "start.log").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the Ray cluster did not start:\n{(temp / 'start.log').read_text()[-2000:]}")
        time.sleep(0.3)
    return process, f"{IP}:{port}", temp


def ray_workers(head: int) -> dict[str, int]:
    """Ray's worker processes under the node of ``head`` (its ``ray start`` process): actors and idle ones."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            tree.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry.name))
    names, todo = [], [head]
    while todo:
        for child in tree.get(todo.pop(), []):
            todo.append(child)
            try:
                names.append(Path(f"/proc/{child}/comm").read_text().strip())
            except OSError:
                pass
    return {"avbench_actors": sum(n.startswith("ray::_Worker") for n in names),
            "idle": sum(n.startswith("ray::IDLE") for n in names)}


def run_side(kind: str, folder: Path, root: Path, workers: int, address: str | None,
             head: int | None) -> dict:
    """One side: executor made and warming while planning, then the two stages and the warm extraction, timed."""
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.bad_media import BadMediaMemory
    from avbench.runner.executor import make_executor
    from avbench.runner.plan import build_plan, fold_units
    from avbench.runner.run import run_extraction, warm_up_targets
    from avbench.runner.worker import run_fold

    registry = get_registry()
    overrides = {"ravdess": str(root)}
    config = load_config(write_benchmark(folder / "run", root), registry, overrides)
    executor = make_executor(workers, SimpleNamespace(executor=kind, ray_address=address, gpus_per_unit=1.0))
    processes: dict[str, int] = {}
    try:
        executor.warm(warm_up_targets(config, registry, None))
        plan = build_plan(config, registry, folder / "run", data_overrides=overrides, log=lambda m: None)
        start = time.perf_counter()
        extraction = run_extraction(plan, executor, False, BadMediaMemory(plan.output_dir / "clip-errors.json"))
        extract_wall = time.perf_counter() - start
        if head is not None:
            processes = ray_workers(head)
        if extraction.bad_media or extraction.failed:
            sys.exit(f"{kind}: extraction lost clips: {dict(extraction.bad_media) or dict(extraction.failed)}")
        units, errors = fold_units(plan, config, registry, extraction.bad_media, extraction.diagnostics)
        if errors:
            sys.exit(f"{kind}: folds could not be planned: {errors}")
        start = time.perf_counter()
        records = [record for _, record in executor.map_unordered(run_fold, units)]
        folds_wall = time.perf_counter() - start
        bad = [r for r in records if not isinstance(r, dict) or r.get("status") != "ok"]
        if bad:
            sys.exit(f"{kind}: {len(bad)} fold(s) failed, first: {bad[0]}")
        warm_config = load_config(write_benchmark(folder / "warm", root), registry, overrides)
        warm_plan = build_plan(warm_config, registry, folder / "warm", data_overrides=overrides, log=lambda m: None)
        start = time.perf_counter()
        run_extraction(warm_plan, executor, False, BadMediaMemory(warm_plan.output_dir / "clip-errors.json"))
        warm_wall = time.perf_counter() - start
    finally:
        executor.close()
    return {"plan": plan, "units": units, "extract": extract_wall, "folds": folds_wall, "warm": warm_wall,
            "processes": processes}


def same_outputs(local: dict, ray: dict) -> tuple[bool, bool]:
    """(features equal, predictions equal) between the two sides."""
    import numpy as np

    from avbench.cache.feature_cache import FeatureCache

    def features(side: dict) -> dict:
        exp = side["plan"].experiments["mfcc-svm"]
        (branch,) = exp.branches
        keys = [exp.keys[branch.name][c.clip_id] for c in exp.clips]
        return FeatureCache(side["plan"].context.cache_dir).load_many(branch.extractor.plugin, keys)

    mine, theirs = features(local), features(ray)
    same_features = mine.keys() == theirs.keys() and all(np.array_equal(mine[k], theirs[k]) for k in mine)

    def predictions(side: dict) -> dict:
        base = side["plan"].output_dir
        return {p.relative_to(base): p.read_bytes() for p in base.rglob("*.parquet")}

    local_predictions = predictions(local)
    return same_features, bool(local_predictions) and local_predictions == predictions(ray)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.environ.get("AVBENCH_RAVDESS_ROOT"),
                        help="RAVDESS speech folder (default: $AVBENCH_RAVDESS_ROOT)")
    parser.add_argument("--workers", type=int, default=2, help="CPUs of the Ray cluster and local worker processes")
    parser.add_argument("--actors", type=int, default=8, help="the first N actors of the dataset (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both sides; the best of each is kept")
    parser.add_argument("--record", type=Path, metavar="JSON",
                        help="merge the figures into this file (e.g. leaderboards/avbench/performance.json)")
    args = parser.parse_args(argv)
    if not args.root:
        parser.error("no dataset: set AVBENCH_RAVDESS_ROOT or pass --root")
    os.environ.pop("AVBENCH_CACHE", None)  # each side's own cold cache
    if "RAY_AUTH_MODE" not in os.environ:  # the cluster and this driver share a token no file holds
        os.environ.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)})

    process, address, temp = start_cluster(args.workers)
    best: dict[str, dict[str, float]] = {"local": {}, "ray": {}}
    equal = True
    processes: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="avbench-ray-speed-") as tmp:
            folder = Path(tmp)
            root = subset(Path(args.root).resolve(), folder / "subset", args.actors)
            for f in root.rglob("*.wav"):
                f.read_bytes()  # every side reads from the page cache
            for round_ in range(args.rounds):
                sides = {}
                for kind in ("local", "ray"):
                    sides[kind] = run_side(kind, folder / f"{kind}-{round_}", root, args.workers,
                                           address if kind == "ray" else None, process.pid if kind == "ray" else None)
                    for stage in ("extract", "folds", "warm"):
                        best[kind][stage] = min(best[kind].get(stage, float("inf")), sides[kind][stage])
                processes = sides["ray"]["processes"] or processes
                features_equal, predictions_equal = same_outputs(sides["local"], sides["ray"])
                equal = equal and features_equal and predictions_equal
                print(f"round {round_ + 1}: " + "   ".join(
                    f"{stage} local {sides['local'][stage]:.2f} s / ray {sides['ray'][stage]:.2f} s"
                    for stage in ("extract", "folds", "warm"))
                      + f"   same features: {features_equal}, same predictions: {predictions_equal}", flush=True)
            clips = sum(len(e.clips) for e in sides["local"]["plan"].experiments.values())
            folds = len(sides["local"]["units"])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)

    ratio = {stage: best["local"][stage] / best["ray"][stage] for stage in ("extract", "folds", "warm")}
    load = os.getloadavg()[0]
    print(f"{clips} clips, {folds} folds, {args.workers} CPUs on each side, {os.cpu_count()} on the machine, "
          f"load average {load:.1f}; Ray worker processes during extraction: {processes}")
    for stage, words in (("extract", "extraction stage (workers warming while planning)"),
                         ("folds", "fold stage (warm workers)"), ("warm", "extraction stage on warm workers")):
        print(f"{words:52s} local {best['local'][stage]:6.2f} s   ray {best['ray'][stage]:6.2f} s   "
              f"ray/local speed {ratio[stage]:.2f}x (want >= 0.9x)")
    print(f"same features and predictions: {'yes' if equal else 'NO'}")
    if args.record and equal:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from record import record

        record(args.record, "ray_speed", {
            "clips": clips, "folds": folds, "cpus_each_side": args.workers, "rounds_best_of": args.rounds,
            "load_average_during": round(load, 1), "ray_worker_processes": processes,
            **{name: {"local_s": round(best["local"][stage], 2), "ray_s": round(best["ray"][stage], 2),
                      "ray_vs_local": round(ratio[stage], 2)}
               for name, stage in (("extraction", "extract"), ("folds_stage", "folds"),
                                   ("extraction_warm_workers", "warm"))},
            "outputs_equal": True})
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())

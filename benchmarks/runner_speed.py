"""avbench's runner against plain Python on RAVDESS speech: extraction stage and fold stage, in one run.

Both stages run the real runner (``build_plan`` + ``run_extraction``, then ``fold_units`` +
``run_fold``) on one executor of ``--workers`` processes that stays warm from the first stage to
the second, over a temporary benchmark (``mfcc-stats`` defaults + ``svm-rbf`` C=10, seed 0) and
a fresh, cold feature cache:

1. extraction, three ways, each against the same sequential ``librosa`` loop
   (``mfcc_loop_script.py``, the plain script a researcher would write):

   a. cold programs: ``avbench``'s extraction as a program of its own (interpreter start, imports,
      plugin discovery, planning with hashing, worker start-up, the stage) against the loop script
      run as a program (interpreter start, ``import librosa``, the loop); each side pays its own
      start-up, timed from outside the process;
   b. in this process: planning plus the stage on workers started cold, against the loop in this
      process with librosa imported and its kernels loaded beforehand (the loop is charged for none of
      its start-up, avbench for all of its own: the strictest comparison);
   c. the stage again on the same workers, now warm, into a second cold cache, against the same
      warmed loop (both sides warm);

   every audio file is read once beforehand, so that no side pays for the disk; librosa's start-up in a
   fresh interpreter is timed too, which bounds what any runner of fresh worker processes can reach in
   a. and b. (each worker pays it once; the printed ceilings);
2. folds: the 31 folds of LOSO + actor 5-fold + actor holdout + split 8/12/4, each a Platt-scaled
   RBF SVM over the cached features, against ``joblib.Parallel(n_jobs=workers)`` fitting the same
   pipeline over the same folds on one in-memory feature matrix.

Outputs are checked equal (features allclose to the librosa loop's, every fold's predicted classes
equal to joblib's) and each speed ratio is printed. Usage::

    AVBENCH_RAVDESS_ROOT=/work/shared/data/ravdess-speech-16k python benchmarks/runner_speed.py
"""

from __future__ import annotations

import argparse
import os
import sys
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

PROTOCOLS = {"loso": "loso", "kfold5": "actor-kfold", "holdout": "actor-holdout", "split-8-12-4": "fixed-split"}
C = 10.0
SEED = 0
HERE = Path(__file__).resolve().parent


def write_benchmark(folder: Path, root: Path, workers: int) -> Path:
    protocols = "\n".join(f'[protocols.{key}]\nplugin = "{plugin}"\n' for key, plugin in PROTOCOLS.items())
    path = folder / "benchmark.toml"
    path.write_text(f"""[benchmark]
name = "runner-speed"
seeds = [{SEED}]
workers = {workers}
cache = "{folder / 'cache'}"

[datasets.ravdess]
plugin = "ravdess"
root = "{root}"

{protocols}
[experiments.mfcc-svm]
dataset = "ravdess"
protocols = {list(PROTOCOLS)!r}
[experiments.mfcc-svm.branches.audio]
extractor = "mfcc-stats"
model = {{ plugin = "svm-rbf", params = {{ C = {C} }} }}
""".replace("'", '"'))
    return path


def librosa_loop(paths: list[str]) -> tuple[float, dict[str, np.ndarray]]:
    """The same MFCC statistics as ``mfcc-stats`` (40 MFCCs + deltas, mean and std), one file after another."""
    from mfcc_loop_script import mfcc_statistics

    start = time.perf_counter()
    out = {path: mfcc_statistics(path) for path in paths}
    return time.perf_counter() - start, out


def loop_program(paths: list[str], folder: Path) -> tuple[float, dict[str, np.ndarray]]:
    """The loop script as a program of its own, timed from outside: interpreter start and imports included."""
    listing, out = folder / "paths.txt", folder / "loop-features.npy"
    listing.write_text("\n".join(paths))
    start = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "mfcc_loop_script.py"), str(listing), str(out)], check=True)
    wall = time.perf_counter() - start
    return wall, dict(zip(paths, np.load(out)))


def extraction_program(config: Path, root: Path) -> float:
    """avbench's extraction as a program of its own (``--extract-only``), timed from outside."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--extract-only", str(config), "--root", str(root)],
                   check=True)
    return time.perf_counter() - start


def extract_only(config_path: Path, root: Path) -> None:
    """What ``avbench run`` does up to the end of its extraction stage: discovery, config, plan, workers, stage."""
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.bad_media import BadMediaMemory
    from avbench.runner.executor import make_executor
    from avbench.runner.plan import build_plan
    from avbench.runner.run import run_extraction, warm_up_targets

    registry = get_registry()
    overrides = {"ravdess": str(root)}
    config = load_config(config_path, registry, overrides)
    executor = make_executor(config.benchmark.workers)
    try:
        if not os.environ.get("AVBENCH_SPEED_NO_WARM_UP"):  # as ``avbench run``: workers warm up while it plans
            executor.warm(warm_up_targets(config, registry, None))
        plan = build_plan(config, registry, config_path.parent, data_overrides=overrides, log=lambda m: None)
        result = run_extraction(plan, executor, False, BadMediaMemory(plan.output_dir / "clip-errors.json"))
    finally:
        executor.close()
    if result.bad_media or result.failed:
        sys.exit(f"the extraction program lost clips: {dict(result.bad_media) or dict(result.failed)}")


def start_up_of_librosa() -> float:
    """Seconds a fresh interpreter takes to import librosa and load its feature kernels (best of three)."""
    code = "import numpy, soundfile, librosa; librosa.feature.delta"
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def ceiling(loop: float, start_up: float, workers: int, charged: bool) -> float:
    """The best ratio any runner of ``workers`` fresh processes could reach: each pays ``start_up`` once, then
    shares the loop's work perfectly; the loop pays its own start-up only when ``charged``."""
    return (loop + (start_up if charged else 0.0)) / (start_up + loop / workers)


def read_once(paths: list[str]) -> None:
    """Read every file once, so that the page cache holds them for every side alike."""
    for path in paths:
        Path(path).read_bytes()


def warm_librosa() -> None:
    import librosa

    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    librosa.load  # noqa: B018 (imports the lazily loaded submodule)
    librosa.feature.delta(librosa.feature.mfcc(y=y, sr=16000, n_mfcc=40, n_mels=64, n_fft=512, hop_length=160))


def fit_predict(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, n_classes: int) -> np.ndarray:
    """One fold as svm-rbf computes it: standardise, Platt-scaled RBF SVM, probabilities over every class."""
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from avbench_plugins.models.classical import calibrated

    labels = y[train]
    final = (DummyClassifier(strategy="prior") if len(np.unique(labels)) == 1 else
             calibrated(SVC(kernel="rbf", C=C, gamma="scale", random_state=SEED), labels, SEED))
    pipeline = Pipeline([("scale", StandardScaler()), ("model", final)]).fit(X[train], labels)
    proba = np.zeros((len(test), n_classes))
    proba[:, pipeline.classes_.astype(int)] = pipeline.predict_proba(X[test])
    return proba.argmax(axis=1)


def subset(root: Path, into: Path, per_class: int) -> Path:
    """Links to the first ``per_class`` files of each actor and emotion of ``root`` (RAVDESS names)."""
    taken: dict[tuple[str, str], int] = {}
    for file in sorted(p for p in root.rglob("*") if p.suffix.lower() in {".wav", ".flac"}):
        fields = file.stem.split("-")
        group = (fields[-1], fields[2])
        if taken.get(group, 0) < per_class:
            taken[group] = taken.get(group, 0) + 1
            link = into / file.parent.name / file.name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(file)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.environ.get("AVBENCH_RAVDESS_ROOT"),
                        help="RAVDESS speech folder (default: $AVBENCH_RAVDESS_ROOT)")
    parser.add_argument("--workers", type=int, default=2, help="avbench worker processes and joblib jobs")
    parser.add_argument("--record", type=Path, metavar="JSON",
                        help="merge the figures into this file (e.g. leaderboards/avbench/performance.json)")
    parser.add_argument("--per-class", type=int, default=None,
                        help="a quick look: only the first N clips of each actor and emotion (default: all)")
    parser.add_argument("--extract-only", type=Path, metavar="CONFIG", help=argparse.SUPPRESS)  # the cold program
    args = parser.parse_args(argv)
    if args.extract_only:
        extract_only(args.extract_only, Path(args.root))
        return 0
    if not args.root:
        parser.error("no dataset: set AVBENCH_RAVDESS_ROOT or pass --root")
    os.environ.pop("AVBENCH_CACHE", None)  # the benchmark's own cold cache

    from joblib import Parallel, delayed
    import polars as pl

    from avbench.cache.feature_cache import FeatureCache
    from avbench.config.loader import load_config
    from avbench.registry import get_registry
    from avbench.runner.bad_media import BadMediaMemory
    from avbench.runner.executor import make_executor
    from avbench.runner.plan import build_plan, fold_units
    from avbench.runner.run import run_extraction, warm_up_targets
    from avbench.runner.worker import run_fold

    with tempfile.TemporaryDirectory(prefix="avbench-speed-") as tmp:
        folder = Path(tmp)
        root = Path(args.root).resolve()
        if args.per_class:
            root = subset(root, folder / "subset", args.per_class)
        path = write_benchmark(folder, root, args.workers)
        registry = get_registry()
        overrides = {"ravdess": str(root)}  # over $AVBENCH_RAVDESS_ROOT, which a subset must not follow
        config = load_config(path, registry, overrides)
        read_once(sorted(str(f) for f in root.rglob("*") if f.suffix.lower() in {".wav", ".flac"}))

        # ---- avbench: extraction stage (planning and hashing included), then the fold stage, one executor
        start = time.perf_counter()
        executor = make_executor(args.workers)
        try:
            executor.warm(warm_up_targets(config, registry, None))  # as ``avbench run`` does
            plan = build_plan(config, registry, folder, data_overrides=overrides, log=lambda m: None)
            planned = time.perf_counter() - start
            extraction = run_extraction(plan, executor, False, BadMediaMemory(plan.output_dir / "clip-errors.json"))
            extract_wall = time.perf_counter() - start
            units, errors = fold_units(plan, config, registry, extraction.bad_media, extraction.diagnostics)
            if errors:
                sys.exit(f"folds could not be planned: {errors}")
            start = time.perf_counter()
            records = [record for _, record in executor.map_unordered(run_fold, units)]
            folds_wall = time.perf_counter() - start
            # the extraction stage again, into a second cold cache, on the workers now warm (imports done)
            (folder / "warm").mkdir()
            warm_config = load_config(write_benchmark(folder / "warm", root, args.workers), registry, overrides)
            start = time.perf_counter()
            warm_plan = build_plan(warm_config, registry, folder / "warm", data_overrides=overrides, log=lambda m: None)
            warm = run_extraction(warm_plan, executor, False, BadMediaMemory(warm_plan.output_dir / "clip-errors.json"))
            warm_wall = time.perf_counter() - start
            if warm.bad_media or warm.failed:
                sys.exit(f"the warm extraction pass lost clips: {dict(warm.bad_media) or dict(warm.failed)}")
        finally:
            executor.close()
        bad = [r for r in records if not isinstance(r, dict) or r.get("status") != "ok"]
        if bad:
            sys.exit(f"{len(bad)} fold(s) failed, first: {bad[0] if not isinstance(bad[0], dict) else bad[0]['error']}")
        exp = plan.experiments["mfcc-svm"]
        (branch,) = exp.branches
        clips = [c for c in exp.clips if exp.keys[branch.name][c.clip_id] not in extraction.bad_media]
        loaded = FeatureCache(plan.context.cache_dir).load_many(
            branch.extractor.plugin, [exp.keys[branch.name][c.clip_id] for c in clips])
        features = {c.clip_id: loaded[exp.keys[branch.name][c.clip_id]] for c in clips}

        # ---- cold programs: avbench's extraction and the loop script, each a process of its own
        (folder / "cold").mkdir()
        program_wall = extraction_program(write_benchmark(folder / "cold", root, args.workers), root)
        script_wall, script_features = loop_program([c.media["audio"] for c in exp.clips], folder)
        librosa_start = start_up_of_librosa()

        # ---- plain Python: the librosa loop, then joblib over the same folds on one matrix
        warm_librosa()
        loop_wall, loop_features = librosa_loop([c.media["audio"] for c in exp.clips])
        classes = list(units[0].classes)
        row = {c.clip_id: i for i, c in enumerate(clips)}
        X = np.stack([features[c.clip_id] for c in clips])
        y = np.array([classes.index(c.label) for c in clips])
        folds = [(np.array([row[c] for c in u.fold.train if c in row]), np.array([row[c] for c in u.fold.test if c in row]))
                 for u in units]
        start = time.perf_counter()
        predicted = Parallel(n_jobs=args.workers)(delayed(fit_predict)(X, y, tr, te, len(classes)) for tr, te in folds)
        joblib_wall = time.perf_counter() - start

        # ---- equal outputs
        worst = max(float(np.max(np.abs(features[c.clip_id] - loop_features[c.media["audio"]])
                                 / (np.abs(loop_features[c.media["audio"]]) + 1.0))) for c in clips)
        same_features = all(np.allclose(features[c.clip_id], theirs[c.media["audio"]], rtol=1e-4, atol=1e-4)
                            for c in clips for theirs in (loop_features, script_features))
        mismatched = []
        for unit, mine in zip(units, predicted):
            frame = pl.read_parquet(unit.stem.with_suffix(".parquet"))
            order = {c: i for i, c in enumerate(frame["clip_id"].to_list())}
            theirs = frame["predicted_index"].to_numpy()[[order[c] for c in unit.fold.test if c in row]]
            if not np.array_equal(theirs, mine):
                mismatched.append(unit.fold.name)

    n = len(clips)
    print(f"{n} clips ({len(exp.clips) - n} bad media), {len(units)} folds, {args.workers} workers, "
          f"{os.cpu_count()} CPUs")
    print(f"extraction  a. cold programs: avbench extraction           {program_wall:7.2f} s   "
          f"loop script  {script_wall:7.2f} s   ratio {script_wall / program_wall:.2f}x (want >= 1.5x)")
    print(f"extraction  b. workers started cold (plan+hash {planned:.2f} s)    {extract_wall:7.2f} s   "
          f"warmed loop  {loop_wall:7.2f} s   ratio {loop_wall / extract_wall:.2f}x (only avbench pays start-up)")
    print(f"extraction  c. the stage on warm workers, cold cache         {warm_wall:7.2f} s   "
          f"warmed loop  {loop_wall:7.2f} s   ratio {loop_wall / warm_wall:.2f}x (want >= 1.5x)")
    print(f"            librosa's start-up in a fresh interpreter: {librosa_start:.2f} s; the best any runner of "
          f"{args.workers} fresh worker processes could do: a. {ceiling(loop_wall, librosa_start, args.workers, True):.2f}x"
          f", b. {ceiling(loop_wall, librosa_start, args.workers, False):.2f}x")
    print(f"folds       avbench ({len(units)} folds, warm workers)             {folds_wall:7.2f} s   "
          f"joblib({args.workers})   {joblib_wall:7.2f} s   ratio {joblib_wall / folds_wall:.2f}x (want >= 1.0x)")
    print(f"same features: {'yes' if same_features else 'NO'} (largest relative difference {worst:.2e}); "
          f"same predictions: {'yes' if not mismatched else 'NO, folds ' + ', '.join(mismatched)} "
          f"({len(units) - len(mismatched)}/{len(units)} folds)")
    equal = same_features and not mismatched
    if args.record and equal:
        from record import record

        record(args.record, "runner_speed", {
            "clips": n, "folds": len(units), "workers": args.workers,
            "extraction_cold_programs": {"avbench_s": round(program_wall, 2), "loop_script_s": round(script_wall, 2),
                                         "ratio": round(script_wall / program_wall, 2)},
            "extraction": {"avbench_s": round(extract_wall, 2), "librosa_loop_s": round(loop_wall, 2),
                           "ratio": round(loop_wall / extract_wall, 2)},
            "librosa_start_up_s": round(librosa_start, 2),
            "best_possible_ratio": {
                "cold_programs": round(ceiling(loop_wall, librosa_start, args.workers, True), 2),
                "workers_started_cold_vs_warmed_loop": round(ceiling(loop_wall, librosa_start, args.workers, False), 2)},
            "extraction_warm_workers": {"avbench_s": round(warm_wall, 2), "librosa_loop_s": round(loop_wall, 2),
                                        "ratio": round(loop_wall / warm_wall, 2)},
            "folds_stage": {"avbench_s": round(folds_wall, 2), "joblib_s": round(joblib_wall, 2),
                            "ratio": round(joblib_wall / folds_wall, 2)},
            "outputs_equal": True})
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())

"""``avbench compare A B``: is A different from B? A paired sign-flip test and speaker bootstrap on stored predictions.

Nothing is recomputed: both experiments' stored folds are read as the leaderboard reads them, the
test subjects are resampled with the draws the leaderboard uses for their table (and the config's
``bootstrap_resamples``), and the sign-flip test is the board's (:func:`~avbench.leaderboard.uncertainty.compare_rows`),
so the figures are the board's for the same pair, before the board's correction for the number of
comparisons in its table. Two rows can only be compared when they were scored on the same test
clips; otherwise the command says so.
A submitted row (folds imported with ``avbench import``) is named as on the leaderboard,
``<experiment>@<submitter>``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from avbench.config.loader import ConfigError
from avbench.metrics.bootstrap import (
    BOOTSTRAP_METRICS, DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, group_rng, resample_counts, subject_confusions,
)

if TYPE_CHECKING:
    from avbench.config.schema import BenchmarkConfig

EXIT_NOT_COMPARABLE = 1


def add_compare_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    """Add the ``compare`` sub-command; its handler is ``args.func`` (= :func:`run_compare`)."""
    parser = subparsers.add_parser(
        "compare", help="difference between two experiments on the same test clips, from stored predictions",
        description=__doc__)
    parser.add_argument("a", metavar="A", help="experiment name, or <experiment>@<submitter> for a submitted row")
    parser.add_argument("b", metavar="B", help="experiment name, or <experiment>@<submitter> for a submitted row")
    parser.add_argument("--file", default="benchmark.toml", help="benchmark file (default: benchmark.toml)")
    parser.add_argument("--protocol", help="protocol key (default: every protocol both experiments run)")
    parser.add_argument("--metric", default="accuracy", choices=BOOTSTRAP_METRICS)
    parser.add_argument("--resamples", type=int, default=None,
                        help="bootstrap resamples (default: the config's benchmark.bootstrap_resamples, as the board)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0, as the leaderboard)")
    parser.set_defaults(func=run_compare)
    return parser


def run_compare(args: argparse.Namespace) -> int:
    """Print each comparison; 0 when every one could be made, 1 when some pair was not comparable."""
    from avbench.config.loader import load_config
    from avbench.leaderboard.build import FoldSources, stored_rows
    from avbench.leaderboard.freshness import current_setups
    from avbench.leaderboard.submitted import submitted_rows
    from avbench.registry import get_registry

    if args.resamples is not None and args.resamples < 1:
        raise ConfigError([f"--resamples {args.resamples}: expected a positive number of resamples"])
    registry = get_registry()
    path = Path(args.file).resolve()
    config = load_config(path, registry)
    if args.resamples is None:
        args.resamples = config.benchmark.bootstrap_resamples or DEFAULT_RESAMPLES
    experiment = {name: configured_experiment(name, config) for name in (args.a, args.b)}
    for name, known in experiment.items():
        if known is None:
            raise ConfigError([f"{path.name}: no experiment {name!r} (expected an experiment of the config, or "
                               "<experiment>@<submitter> for a submitted row)"])
    shared = [p for p in config.experiments[experiment[args.a]].protocols
              if p in config.experiments[experiment[args.b]].protocols]
    if args.protocol:
        if args.protocol not in shared:
            raise ConfigError([f"--protocol {args.protocol}: not a protocol of both {args.a} and {args.b} "
                               f"(shared: {', '.join(shared) or 'none'})"])
        shared = [args.protocol]
    if not shared:
        raise ConfigError([f"{args.a} and {args.b} share no protocol: nothing to compare"])
    wanted = {(name, p) for name in (args.a, args.b) for p in shared}
    setups = current_setups(config, registry, path.parent, only={(experiment[n], p) for n, p in wanted})
    output_dir = path.parent / config.benchmark.output / config.benchmark.name
    board = path.parent / config.benchmark.leaderboards / config.benchmark.name
    sources = FoldSources.read(output_dir, board)  # computed here, and the board's committed evidence
    rows, predictions, bad_files = stored_rows(config, sources, setups, wanted)
    submitted, submitted_predictions = submitted_rows(config, sources, setups, bad_files, wanted)
    rows += submitted
    predictions.update(submitted_predictions)
    for file, error in sorted(bad_files.items()):
        print(f"warning: left out {file}: {error}")
    by_key = {(r["experiment"], r["protocol"]): r for r in rows}
    status = 0
    for protocol in shared:
        if not compare_one(args, protocol, by_key, predictions):
            status = EXIT_NOT_COMPARABLE
    return status


def configured_experiment(name: str, config: BenchmarkConfig) -> str | None:
    """The config's experiment ``name`` stands for: itself, or ``E`` of a submitted row ``E@submitter``."""
    if name in config.experiments:
        return name
    experiment, at, submitter = name.rpartition("@")
    return experiment if at and submitter and experiment in config.experiments else None


def compare_one(args: argparse.Namespace, protocol: str, rows: dict, predictions: dict) -> bool:
    """Print one comparison of A and B under ``protocol``; False when they cannot be compared."""
    from avbench.leaderboard.uncertainty import (
        MIN_TEST_SPEAKERS, TOO_FEW, compare_rows, group_key, pair_rng, row_interval,
    )

    a, b, metric = args.a, args.b, args.metric
    print(f"{a} vs {b}, protocol {protocol}, {metric}:")
    for name in (a, b):
        row = rows.get((name, protocol))
        if row is None or (name, protocol) not in predictions:
            _experiment, at, submitter = name.rpartition("@")
            if at:
                print(f"  {name}: no predictions submitted by {submitter} under {protocol}: import their bundle "
                      "with `avbench import`")
            else:
                print(f"  {name}: no stored predictions under {protocol}: run `avbench run --only {name}`")
            return False
        if row.get("stale"):
            print(f"  warning: {name}'s stored results are stale ({row.get('stale_reason')})")
        if row.get("status") == "partial":
            print(f"  warning: {name} is partial: {row.get('folds')} of {row.get('folds_expected') or '?'} folds")
    pa, pb = predictions[(a, protocol)], predictions[(b, protocol)]
    if pa.clip_ids != pb.clip_ids:
        print(f"  not scored on the same test clips ({len(pa.clip_ids)} vs {len(pb.clip_ids)} clips, "
              f"{len(pa.clip_ids ^ pb.clip_ids)} not in both): no paired comparison is possible")
        return False
    subjects = sorted(pa.subjects | pb.subjects)
    index = {s: i for i, s in enumerate(subjects)}
    key = group_key(rows[(a, protocol)])  # the leaderboard's draws for this table
    weights = resample_counts(len(subjects), args.resamples, group_rng(args.seed, json.dumps(key, default=str)))

    def confusions(pred) -> list:
        return [subject_confusions([index[s] for s in frame["subject"].to_list()], frame["label_index"].to_numpy(),
                                   frame["predicted_index"].to_numpy(), len(subjects), pred.n_classes)
                for _, frame in sorted(pred.seeds.items()) if frame.height]

    ca, cb = confusions(pa), confusions(pb)
    few = len(subjects) < MIN_TEST_SPEAKERS
    for name, c in ((a, ca), (b, cb)):
        low, high = row_interval(c, weights, metric, few)
        value = rows[(name, protocol)].get(f"{metric}_pooled")
        interval = f"(speakers {_pct(low)}–{_pct(high)})" if few else f"[{_pct(low)}, {_pct(high)}]"
        print(f"  {name}: {_pct(value)} {interval}  ({len(rows[(name, protocol)].get('seeds') or [])} seed(s))")
    result = compare_rows(ca, cb, weights, metric, pair_rng(args.seed, key, a, b))
    diff = result.difference
    if result.test is None:
        print(f"  {a} - {b}: {100 * diff.difference:+.1f} points; {TOO_FEW} ({len(subjects)} test subject(s), "
              f"fewer than {MIN_TEST_SPEAKERS}: no test can reach p < 0.05; intervals are the range over speakers)")
        return True
    test = result.test
    verdict = ("no difference shown at the 5% level" if test.p_value >= 0.05
               else f"{a} is {'better' if diff.difference > 0 else 'worse'} (p < 0.05)")
    print(f"  {a} - {b}: {100 * diff.difference:+.1f} points, {int(100 * DEFAULT_CONFIDENCE)}% CI "
          f"[{100 * diff.low:+.1f}, {100 * diff.high:+.1f}] (paired speaker bootstrap, {diff.resamples} resamples of "
          f"{len(subjects)} test subjects, {len(pa.clip_ids)} clips), {test.text()} (two-sided; {test.method()}): "
          f"{verdict}")
    print("  (the leaderboard corrects its comparisons with a table's best row for their number (Holm); this p is "
          "the uncorrected one)")
    return True


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"

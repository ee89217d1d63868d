"""What ``avbench run`` prints at the end: one compact table of counts, the clips it skipped, where results are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tabulate import tabulate

#: Skipped and failed clips named one per line up to this many per kind.
SHOWN_CLIPS = 20
HEADERS = ["folds run", "already done", "failed", "not run (error)", "not configured here", "bad-media clips",
           "failed extractions"]


def report_lines(summary: Any) -> list[str]:
    """The end-of-run report of a :class:`~avbench.runner.run.RunSummary`: counts, the rows computed, where."""
    from avbench.runner.run import iter_failed_work

    skipped_clips = sorted((exp, clip, reason) for exp, clips in summary.clip_errors.items()
                           for clip, reason in clips.items())
    failed_clips = list(iter_failed_work(summary))
    not_run = len(summary.experiment_errors)
    counts = [summary.done, summary.skipped, summary.failed, not_run, len(summary.errors) - not_run,
              len(skipped_clips), len(failed_clips)]
    lines = tabulate([counts], headers=HEADERS, tablefmt="simple").splitlines()
    lines += [f"  skipped clip {clip} ({exp}): {reason}" for exp, clip, reason in skipped_clips[:SHOWN_CLIPS]]
    if len(skipped_clips) > SHOWN_CLIPS:
        lines.append(f"  ... and {len(skipped_clips) - SHOWN_CLIPS} more skipped clip(s) (run-summary.json lists all)")
    lines += [f"  failed clip {clip} ({exp}): {cause} (not remembered: a rerun retries it)"
              for exp, clip, cause in failed_clips[:SHOWN_CLIPS]]
    if len(failed_clips) > SHOWN_CLIPS:
        lines.append(f"  ... and {len(failed_clips) - SHOWN_CLIPS} more failed clip(s) (run-summary.json lists all)")
    lines += result_lines(summary)
    if not summary.planned:
        lines.append("nothing ran: no fold was planned (every experiment was skipped or could not run)")
    lines.append(f"results: {summary.output_dir}")
    if summary.leaderboard:
        lines.append(f"leaderboard: {summary.leaderboard}")
        site = Path(summary.leaderboard).with_name("index.html")
        if site.exists():
            lines.append(f"site: {site}")
    return lines


RESULT_HEADERS = ["experiment", "protocol", "accuracy [95% CI]", "UAR", "vs best"]


def _pct(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if number != number else f"{100 * number:.1f}"


def _versus_best(row: dict[str, Any]) -> str:
    """``best``, ``tied with best (-1.2)`` or ``-4.5``: the row against its table's best, in points."""
    difference = _pct(row.get("vs_best_difference"))
    if row.get("too_few_speakers"):  # as on the board: no test can tell rows apart, so none is named best
        return "top: too few test speakers to compare" if row.get("is_best") else \
            (f"{float(difference):+.1f}: too few test speakers to compare" if difference else "")
    if row.get("is_best"):
        return "best"
    if row.get("tied_with_best"):
        return f"tied with best ({float(difference):+.1f})" if difference else "tied with best"
    return f"{float(difference):+.1f}" if difference else ""


def computed_rows(leaderboard: Path, computed: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The rendered board's rows (``results.parquet`` beside ``leaderboard``) of the pairs a run computed."""
    table = Path(leaderboard).with_name("results.parquet")
    if not computed or not table.is_file():
        return []
    import polars as pl

    rows = pl.read_parquet(table).to_dicts()
    return [r for r in rows if (r.get("experiment"), r.get("protocol")) in computed and not r.get("submitted_by")]


def result_lines(summary: Any) -> list[str]:
    """The rows this run computed, as the rendered board has them: accuracy with its interval, UAR, vs best.

    Nothing when the run rendered no board or computed no fold (every fold already done).
    """
    if not summary.leaderboard:
        return []
    rows = computed_rows(summary.leaderboard, getattr(summary, "computed", set()))
    if not rows:
        return []
    table = []
    for r in rows:
        accuracy = _pct(r.get("accuracy_pooled"))
        low, high = _pct(r.get("accuracy_ci_low")), _pct(r.get("accuracy_ci_high"))
        status = "stale" if r.get("stale") else r.get("status")
        if status not in ("ok", None) and not accuracy:
            accuracy = f"({status})"
        elif accuracy and low and high:
            accuracy = f"{accuracy} [{low}, {high}]"
        table.append([r["experiment"], r["protocol"], accuracy, _pct(r.get("uar_pooled")), _versus_best(r)])
    title = f"results of this run ({len(rows)} row{'s' if len(rows) != 1 else ''}, in %):"
    return ["", title, *tabulate(table, headers=RESULT_HEADERS, tablefmt="simple", disable_numparse=True).splitlines(), ""]

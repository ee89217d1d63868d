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
    """The end-of-run report of a :class:`~avbench.runner.run.RunSummary`."""
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
    if not summary.planned:
        lines.append("nothing ran: no fold was planned (every experiment was skipped or could not run)")
    lines.append(f"results: {summary.output_dir}")
    if summary.leaderboard:
        lines.append(f"leaderboard: {summary.leaderboard}")
        site = Path(summary.leaderboard).with_name("index.html")
        if site.exists():
            lines.append(f"site: {site}")
    return lines

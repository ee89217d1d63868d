"""The leaderboard's README.md: one table per dataset, class set and protocol, saying how sure each row is."""

from __future__ import annotations

import json
import math
from typing import Any

from tabulate import tabulate

from avbench.metrics.signflip import EXACT_MAX_SUBJECTS, PERMUTATIONS

from .breakdowns import BREAKDOWNS, breakdown_text
from .markdown_text import md, md_code
from .reported import reported_cell
from .uncertainty import MIN_TEST_SPEAKERS, NEAR_COLLAPSE, RANKING_METRIC, TOO_FEW, group_key

METRIC_LABELS = {"accuracy": "accuracy", "uar": "UAR", "macro_f1": "macro-F1"}


def _pct(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def metric_cell(row: dict[str, Any], metric: str) -> str:
    """``47.2 [43.0, 51.5]``: the pooled value and its 95% interval, in %; with too few test speakers
    ``30.0 (speakers 26.7–33.3)``, the range of the per-speaker values."""
    value = _pct(row.get(f"{metric}_pooled"))
    low, high = _pct(row.get(f"{metric}_ci_low")), _pct(row.get(f"{metric}_ci_high"))
    if not (value and low and high):
        return value
    if row.get("interval_kind") == "range over speakers":
        return f"{value} (speakers {low}–{high})"
    return f"{value} [{low}, {high}]"


def folds_cell(row: dict[str, Any]) -> str:
    expected = row.get("folds_expected")
    folds = row.get("folds") or 0
    if row.get("status") == "not run":
        return "0"
    if expected is None:
        return f"{folds} of ?"
    return str(folds) if folds == expected else f"{folds} of {expected}"


def seeds_cell(row: dict[str, Any]) -> str:
    seeds = list(row.get("seeds") or [])
    expected = list(row.get("seeds_expected") or [])
    shown = ", ".join(str(s) for s in seeds)
    if expected and set(seeds) != set(expected):
        return f"{len(seeds)} of {len(expected)} ({shown})" if seeds else f"0 of {len(expected)}"
    return f"{len(seeds)} ({shown})" if seeds else ""


def spread_cell(value: Any) -> str:
    return _pct(value)


def versus_best_cell(row: dict[str, Any], best: str = "**best**") -> str:
    """The row against the table's best: ``best`` itself, tied (with Δ), or Δ [CI], p and Holm-corrected p;
    with too few test speakers the difference only, and that it cannot be tested."""
    if row.get("too_few_speakers"):
        if row.get("is_best"):
            return f"top by {RANKING_METRIC}; {TOO_FEW}"
        if row.get("vs_best_difference") is not None:
            return f"Δ {100 * row['vs_best_difference']:+.1f}; {TOO_FEW}"
        return ""
    if row.get("is_best"):
        return best
    if row.get("vs_best_p") is None:
        return ""
    p_text = row.get("vs_best_p_text") or f"p={row['vs_best_p']:.3f}"
    holm = f", Holm p={row['vs_best_holm_p']:.3f}" if row.get("vs_best_holm_p") is not None else ""
    delta = (f"Δ {100 * row['vs_best_difference']:+.1f} [{100 * row['vs_best_ci_low']:+.1f}, "
             f"{100 * row['vs_best_ci_high']:+.1f}], {p_text}{holm}")
    return f"tied ({delta})" if row.get("tied_with_best") else delta


def rank_cell(row: dict[str, Any]) -> str:
    """``1–3``: the 95% interval of the row's rank over the speaker resamples; ``2`` when it never moves."""
    low, high = row.get("rank_low"), row.get("rank_high")
    if low is None or high is None:
        return ""
    return f"{int(low)}" if low == high else f"{int(low)}–{int(high)}"


def computed_with_cell(row: dict[str, Any]) -> str:
    commits = [c.strip() for c in (row.get("computed_commit") or "").split(",") if c.strip()]
    if not commits:
        return "not recorded"
    parts = [", ".join(_short_commit(c) for c in commits)]
    if row.get("computed_device"):
        parts.append(row["computed_device"])
    if row.get("computed_torch_threads"):
        parts.append(f"{row['computed_torch_threads']} thread(s)")
    return "; ".join(parts)


def _short_commit(commit: str) -> str:
    if commit.startswith("avbench "):  # an installed version (no git checkout), not a commit
        return commit
    dirty = commit.endswith("+dirty")
    return commit.removesuffix("+dirty")[:9] + ("+dirty" if dirty else "")


def notes(row: dict[str, Any]) -> str:
    out = []
    status = row.get("status")
    if row.get("submitted_by"):
        from .submitted import submitted_note

        out.append(submitted_note(row))
    if row.get("ablation_of"):
        out.append(row["ablation_of"])
    if row.get("transductive"):
        out.append("transductive: test speakers or corpora standardised by their own unlabelled test clips")
    if row.get("contamination"):
        out.append(f"contaminated: {row['contamination']}")
    if status == "partial":
        expected = row.get("folds_expected")
        out.append(f"partial: {row.get('folds', 0)} of {expected if expected is not None else '?'} folds"
                   + ("" if expected is not None else " (the planned folds were not recorded)")
                   + "; not ranked")
        if row.get("missing_folds"):
            missing = list(row["missing_folds"])
            more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
            out.append("missing " + ", ".join(missing[:6]) + more)
    if status not in ("ok", "partial", "stale") or (status == "partial" and row.get("error")):
        out.append(f"{status}: {row.get('error')}" if status != "partial" else f"failed: {row.get('error')}")
    if row.get("too_few_speakers"):
        out.append(f"{TOO_FEW}: {row.get('bootstrap_subjects')} test speaker(s), fewer than {MIN_TEST_SPEAKERS}; "
                   "intervals are the range over speakers")
    if row.get("untrained_classes"):
        out.append(f"not ranked: class(es) {', '.join(row['untrained_classes'])} have no training clip")
    if row.get("not_best_reason"):
        out.append(f"never named best: {row['not_best_reason']}")
    if row.get("test_clips") and row.get("predicted_classes", 0) <= 1:
        out.append("collapsed: predicts a single class")
    for branch, counts in json.loads(row.get("extraction_diagnostics") or "{}").items():
        if counts.get("frames_sampled"):
            out.append(f"{branch}: no face in {counts.get('frames_no_face', 0)} of {counts['frames_sampled']} "
                       "sampled frames")
    if row.get("skipped_test_clips"):
        out.append(f"{len(row['skipped_test_clips'])} test clip(s) skipped (bad media)")
    if row.get("unverified_folds"):
        out.append(f"{row['unverified_folds']} fold record(s) without checksums (older avbench): not verified")
    if row.get("lock_status") and row["lock_status"] != "computed under the current lock":
        out.append(row["lock_status"])
    if row.get("library_drift"):
        out.append(f"computed with other library versions than installed here: {row['library_drift']}")
    if row.get("kept_from_previous") and status != "not run":
        out.append("carried over from an earlier render: its folds are not in the board's evidence (computed "
                   "before the board kept it), so it is not compared or ranked")
    commits = [c for c in (row.get("computed_commit") or "").split(",") if c.strip()]
    if len(commits) > 1:
        out.append(f"folds computed at {len(commits)} commits")
    if row.get("compared_on", "") and str(row["compared_on"]).startswith("not compared"):
        out.append(row["compared_on"])
    out.extend(row.get("substitutions") or [])
    return "; ".join(out)


def is_cross_corpus(dataset: str) -> bool:
    """Whether a row's data names several corpora (``a -> b``, ``a + b + c``): its table says cross-corpus."""
    return " -> " in dataset or " + " in dataset


def breakdown_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A small table of accuracy / UAR per gender and per corpus under a group; none when no row has one."""
    columns = [c for c in BREAKDOWNS if any(breakdown_text(r, c) for r in rows)]
    table = [[md(r["experiment"]), *[md(breakdown_text(r, c)) for c in columns]] for r in rows
             if any(breakdown_text(r, c) for c in columns)]
    if not table:
        return []
    return ["Breakdowns: accuracy / UAR in % on the test clips of each group (n = test clips), pooled like "
            "the table (unknown groups left out):", "",
            tabulate(table, headers=["experiment", *[f"by {c}" for c in columns]], tablefmt="github",
                     disable_numparse=True), ""]


def environment_lines(rows: list[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    """Which rows were computed under the installed lock, re-verified under it (avbench verify --local), or not."""
    if not meta.get("lock"):
        return []
    statuses = [str(r.get("lock_status") or "") for r in rows if r.get("status") in ("ok", "partial")]
    current = sum(s == "computed under the current lock" for s in statuses)
    verified = sum(s.startswith("re-verified") for s in statuses)
    other = sum(s.startswith("computed under another lock") for s in statuses)
    carried = sum(1 for r in rows if r.get("kept_from_previous") and r.get("status") in ("ok", "partial"))
    return [f"**Environment.** Libraries are pinned by `requirements.lock` (sha256 `{meta['lock'][:12]}`) and "
            f"recorded with every fold, never keyed. Of {len(statuses)} rows with results, {current} were computed "
            f"under this lock, {verified} re-verified under it by `avbench verify --local` (recomputed folds "
            f"compared with the evidence; the result is in each row's notes), {other} not re-verified yet, "
            f"{carried} carried over from an earlier render without evidence.", ""]


def render_markdown(rows: list[dict[str, Any]], meta: dict[str, Any], metrics: list[str]) -> str:
    boot = meta.get("bootstrap") or {}
    lines = [f"# Leaderboard: {meta['benchmark']}", ""]
    if meta.get("description"):
        lines += [meta["description"], ""]
    lines += [
        f"Newest fold finished {meta['rendered']}; rendered by avbench {meta['avbench_version']} from the "
        "evidence in `evidence/` (every row's fold records and per-clip predictions; each row's *computed with* "
        "column gives the commit, lock, device and threads its folds were computed with). Regenerate with "
        "`avbench run` (computes what is missing) or `avbench leaderboard` (re-renders the stored results and "
        "the evidence, byte for byte).", "",
        *environment_lines(rows, meta),
        "**How to read a table.** One table per dataset, class set and protocol. Metrics in %: the value on "
        "all test clips pooled (the mean over seeds when there are several), then its 95% confidence interval "
        f"from a speaker-level bootstrap ({boot.get('resamples')} resamples of the test subjects, the same "
        "resamples for every row of a table). *SD over folds* and *SD over seeds* are spreads of the "
        f"{METRIC_LABELS.get(RANKING_METRIC, RANKING_METRIC)} (sample SD), not error bars. Rows are ranked by "
        f"{METRIC_LABELS.get(RANKING_METRIC, RANKING_METRIC)}; **best** is the top complete row that is neither "
        "transductive nor contaminated (those are compared with it, never named best over it), nor collapsed "
        f"(one class for {100 * NEAR_COLLAPSE:.0f}% or more of its test clips), nor at chance by its own interval "
        "(accuracy or UAR interval not above 1/number of classes). Each other row on the same test clips is "
        "compared with the best by a paired sign-flip test over test speakers (exact, all 2^n swaps, up to "
        f"{EXACT_MAX_SUBJECTS} speakers; else {PERMUTATIONS} random swaps, its p shown ± its Monte-Carlo error, "
        "and `p < x` when no swap was as extreme); Δ is the difference in points with its bootstrap interval. "
        "The p-values of a table's comparisons are corrected for their number (Holm), and *tied* means "
        "exactly: not distinguishable from the best after that correction (Holm p ≥ "
        f"{boot.get('tied_when_p_at_least', 0.05)}). *rank [95%]* is the "
        "range of ranks a row takes in 95% of the speaker resamples: rows whose rank intervals do not overlap are "
        f"separable. A table with fewer than {MIN_TEST_SPEAKERS} test speakers (where no test can reach p < 0.05) "
        f"shows no p-value, tie or rank interval: it says *{TOO_FEW}*, and its intervals are the range of the "
        "per-speaker values. Partial rows (k of n folds), stale rows, failed rows and rows with a class no training "
        "clip has are never ranked. A reported "
        "number stands on a row only under the text's own protocol and class set, with its caveat (⚠); "
        "other reported numbers are listed under the table. *⚑ contaminated*: a pretrained part of the row was "
        "trained on a corpus the row reads (its notes say which). Each row's versions, seeds, fingerprints and "
        "spreads of every metric are in `results.parquet`/`results.csv`.", ""]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(group_key(r), []).append(r)
    headers = ["experiment", "classes", "folds", "seeds",
               *[f"{METRIC_LABELS.get(m, m)} [95% CI]" for m in metrics],
               f"SD over folds ({METRIC_LABELS.get(RANKING_METRIC)})",
               f"SD over seeds ({METRIC_LABELS.get(RANKING_METRIC)})",
               "vs best", "rank [95%]", "reported", "latency p50/p95 ms", "computed with", "notes"]
    for (dataset, synthetic, classes, protocol), group in groups.items():
        kind = "SYNTHETIC demo data: not comparable with any published number" if synthetic else "real data"
        if is_cross_corpus(dataset):
            kind = f"cross-corpus, {kind}"
        lines += [f"## {md(dataset)} ({kind}) · {len(classes)} classes · protocol {md(protocol)}", "",
                  f"Classes: {md(', '.join(classes)) if classes else 'unknown'}.", ""]
        shown = [r for r in group if not r.get("stale")]
        table = []
        for r in shown:
            latency = (f"{r['latency_p50_ms']:.1f} / {r['latency_p95_ms']:.1f} ({r['latency_device']})"
                       if r.get("latency_p50_ms") is not None else "")
            name = r["experiment"] + (" ⚑ contaminated" if r.get("contamination") else "")
            cells = [name, r.get("n_classes") or len(r.get("classes") or []), folds_cell(r),
                     seeds_cell(r), *[metric_cell(r, m) for m in metrics],
                     spread_cell(r.get(f"{RANKING_METRIC}_fold_sd")),
                     spread_cell(r.get(f"{RANKING_METRIC}_seed_sd")), versus_best_cell(r), rank_cell(r),
                     reported_cell(r), latency, computed_with_cell(r) if r.get("status") != "not run" else "",
                     notes(r)]
            table.append([md(c) for c in cells])  # every cell: names, devices and notes may be a stranger's
        if table:
            lines += [tabulate(table, headers=headers, tablefmt="github", disable_numparse=True), ""]
        stale = [r for r in group if r.get("stale")]
        if stale:
            lines += ["Stale: computed under a setup the config no longer has; numbers withheld here (they stay in "
                      "`results.parquet` with `stale = true`). Rerun `avbench run` to recompute.", ""]
            lines += [f"- `{md_code(r['experiment'])}`: {md(r.get('stale_reason') or 'setup changed')}. Computed as: "
                      f"{md(r.get('description') or '(not recorded)')}" for r in stale]
            lines.append("")
        elsewhere = {}
        for r in group:
            if r.get("reported_elsewhere"):
                elsewhere.setdefault(r["experiment"], r["reported_elsewhere"])
        if elsewhere:
            lines += ["Reported numbers that belong to no row of this table:", ""]
            lines += [f"- `{md_code(exp)}`: {md(text)}" for exp, text in elsewhere.items()]
            lines.append("")
        lines += breakdown_lines(shown)
        figures = [r for r in shown if r.get("figure")]
        if figures:
            lines += ["Confusion matrices: " + ", ".join(f"[{md(r['experiment'])}]({md(r['figure'])})"
                                                         for r in figures), ""]
    if meta.get("bad_files"):
        lines += ["## Stored results that did not read back", "",
                  "These files were left out; the rows above use the rest (a missing fold makes its row partial).", ""]
        lines += [f"- `{md_code(b['file'])}`: {md(b['error'])}" for b in meta["bad_files"]]
        lines.append("")
    return "\n".join(lines)

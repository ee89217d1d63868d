"""Rows of submitted results: folds imported from another installation's bundle (:mod:`avbench.exchange`).

A submitted row is made like a local one (the same freshness check against the config, the same
metrics and bootstrap) from one submitter's folds only, and is named ``<experiment>@<submitter>``
with ``submitted_by`` and ``submission`` (bundle, dates, machine) beside it. Submitted and local folds
are kept apart, never pooled into one row, even under the same fingerprint: each row says who computed
it. A submitted row counts how many of its folds were also computed here with the same fingerprint
(``also_computed_here``), which ``avbench verify`` can compare clip by clip.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from avbench.config.schema import BenchmarkConfig

from .freshness import CurrentSetup, select_records
from .tables import RowPredictions, experiment_row

if TYPE_CHECKING:
    from .build import FoldSources


def submitted_rows(config: BenchmarkConfig, sources: "FoldSources", setups: dict[tuple[str, str], CurrentSetup],
                   bad_files: dict[str, str], wanted: set[tuple[str, str]] | None = None,
                   evidence_updates: dict | None = None,
                   ) -> tuple[list[dict[str, Any]], dict[tuple[str, str], RowPredictions]]:
    """One row per submitter, experiment and protocol of the config (from the run folder and the evidence).

    ``wanted``: only these (``<experiment>@<submitter>``, protocol) rows. ``evidence_updates`` collects the
    rows whose chosen folds were imported here (their evidence is then written anew).
    """
    from .build import experiment_metadata, note_evidence

    by_submitter = sources.submitted
    if not by_submitter:
        return [], {}
    local = {(r["experiment"], r["protocol"], r.get("fingerprint")) for r in sources.local
             if r.get("status") == "ok"}
    rows, predictions = [], {}
    for slug, records in sorted(by_submitter.items()):
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for record in records:
            groups.setdefault((record["experiment"], record["protocol"]), []).append(record)
        for (experiment, protocol), group in sorted(groups.items()):
            if experiment not in config.experiments or protocol not in config.experiments[experiment].protocols \
                    or (wanted is not None and (f"{experiment}@{slug}", protocol) not in wanted):
                continue
            current = setups.get((experiment, protocol))
            selection = select_records(group, current)
            row, row_predictions = experiment_row(selection, config.benchmark.metrics, bad_files, current)
            row.update(experiment_metadata(config, experiment, protocol, row))
            newest = max(selection.records, key=lambda r: r.get("finished", ""))
            name = f"{experiment}@{slug}"
            row.update(experiment=name, submitted_experiment=experiment, submitted_by=newest["submitted_by"],
                       submission=json.dumps(newest.get("submission") or {}, sort_keys=True),
                       unverified=any(not (r.get("submission") or {}).get("compared_with_data")
                                      for r in selection.records),
                       also_computed_here=sum((experiment, protocol, r.get("fingerprint")) in local
                                              for r in selection.records if r.get("status") == "ok"))
            rows.append(row)
            if row_predictions is not None:
                predictions[(name, protocol)] = row_predictions
            note_evidence(evidence_updates, slug, experiment, protocol, selection, row_predictions)
    return rows, predictions


def without_not_run_beside_submitted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` less the local "not run" row of an experiment x protocol that has a submitted row.

    The submitted row stands for that experiment here; why it was not run here is kept on it
    (``not_run_here``) and said in its note, so the Markdown and the site say the same.
    """
    submitted: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("submitted_by") and row.get("submitted_experiment"):
            submitted.setdefault((row["submitted_experiment"], row["protocol"]), []).append(row)
    kept = []
    for row in rows:
        beside = submitted.get((row["experiment"], row["protocol"]))
        if row.get("status") == "not run" and beside:
            for other in beside:
                other["not_run_here"] = str(row.get("error") or "no result here")
            continue
        kept.append(row)
    return kept


def submitted_note(row: dict[str, Any]) -> str:
    """``submitted by X (bundle of DATE, not recomputed here; ...)`` for a submitted row, else ''."""
    if not row.get("submitted_by"):
        return ""
    try:
        submission = json.loads(row.get("submission") or "{}")
    except ValueError:
        submission = {}
    created = str(submission.get("created") or "")[:10]
    parts = [f"bundle of {created}" if created else "", "not recomputed here"]
    if row.get("unverified"):
        parts.append("unverified: its data is not here to check its clips and folds against, so it is never "
                     "marked best or tied over a verified row")
    also = row.get("also_computed_here") or 0
    if also:
        parts.append(f"{also} fold(s) also computed here under the same fingerprint, shown apart")
    note = f"submitted by {row['submitted_by']} ({'; '.join(p for p in parts if p)})"
    return note + (f"; not run here: {row['not_run_here']}" if row.get("not_run_here") else "")

"""What the site's pages show, prepared from leaderboard rows: plain data for the Jinja2 templates.

The rows are the ones :func:`avbench.leaderboard.build.render_leaderboard` writes to ``results.parquet``;
grouping and the cell texts are those of the Markdown table (:mod:`..markdown`), so both say the same.
Every sort value is a number or a string, and every list is in a fixed order: same rows, same pages.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..markdown import (
    METRIC_LABELS, computed_with_cell, folds_cell, is_cross_corpus, metric_cell, notes, rank_cell, seeds_cell,
    versus_best_cell,
)
from ..reported import reported_cell
from ..uncertainty import RANKING_METRIC, group_key

#: ``demokritos2022 (text 001)``: a reported source naming one of the seed texts.
SEED_SOURCE = re.compile(r"^(\S+) \(text \d+\)$")
STATUS_ORDER = {"ok": 0, "partial": 1, "error": 2, "stale": 3, "not run": 4}
NO_SEED_SYSTEM = "none"


def page_name(experiment: str) -> str:
    """The file name of an experiment's page: its name, or when that is no safe file name (anything but
    ``A-Za-z0-9._-``, a leading dot) the safe part and a hash of the name, so two names never share a page."""
    if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", experiment):
        return experiment + ".html"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", experiment).lstrip(".")
    return f"{safe}-{hashlib.sha256(experiment.encode()).hexdigest()[:8]}.html"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def seed_system(row: dict[str, Any]) -> str:
    """The seed text an experiment rebuilds (``cuny2020``...), from its reported source; ``none`` otherwise."""
    match = SEED_SOURCE.match((row.get("reported_source") or "").strip())
    return match.group(1) if match else NO_SEED_SYSTEM


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and the value it sorts by (empty string: no value, always sorted last)."""

    text: str
    sort: str = ""


def _num_cell(text: str, value: Any) -> Cell:
    number = _number(value)
    return Cell(text, "" if number is None else repr(number))


@dataclass
class RowView:
    experiment: str
    page: str
    protocol: str
    dataset: str
    classes: str
    modality: str
    seed_system: str
    submitted_by: str
    description: str
    status: str
    status_text: str
    best: bool
    tied: bool
    cells: dict[str, Cell]
    notes: str


@dataclass
class Figure:
    src: str
    alt: str


@dataclass(frozen=True)
class Bar:
    """One bar of an overview chart: a row's ranking metric and its 95% interval, in % (0-100)."""

    experiment: str
    page: str
    value: float
    low: float | None
    high: float | None
    text: str
    mark: str  # "best" or "tied"


@dataclass
class GroupView:
    key: str
    title: str
    kind: str
    dataset: str
    protocol: str
    classes: str
    rows: list[RowView]
    elsewhere: list[tuple[str, str]]
    figures: list[Figure] = field(default_factory=list)
    not_run: list[RowView] = field(default_factory=list)  # shown collapsed under the table, with their reasons
    headline: bool = False  # real data under a speaker-independent LOSO or cross-corpus protocol
    synthetic: bool = False
    leaders: list[Bar] = field(default_factory=list)  # the best row and the rows tied with it, best first


def metric_columns(metrics: list[str]) -> list[tuple[str, str]]:
    """(column key, header) of each metric, in the config's order."""
    return [(m, f"{METRIC_LABELS.get(m, m)} [95% CI]") for m in metrics]


def status_text(row: dict[str, Any]) -> str:
    status = "stale" if row.get("stale") else (row.get("status") or "?")
    if row.get("is_best") and status == "ok":
        return "top (too few test speakers)" if row.get("too_few_speakers") else "best"
    if row.get("tied_with_best") and status == "ok":
        return "tied with best"
    if status == "ok":
        return "ranked"
    if status == "partial":
        return f"partial: {folds_cell(row)} folds"
    return status


def latency_text(row: dict[str, Any]) -> str:
    if _number(row.get("latency_p50_ms")) is None:
        return ""
    p95 = _number(row.get("latency_p95_ms"))
    return (f"{row['latency_p50_ms']:.1f} / {p95:.1f}" if p95 is not None else f"{row['latency_p50_ms']:.1f}") \
        + (f" ({row['latency_device']})" if row.get("latency_device") else "")


def row_notes(row: dict[str, Any]) -> str:
    """The Markdown's notes, and for a stale row why and how it was computed (its numbers are withheld)."""
    text = notes(row)
    if row.get("stale"):
        stale = (f"stale: {row.get('stale_reason') or 'setup changed'}; numbers withheld; computed as: "
                 f"{row.get('description') or '(not recorded)'}")
        text = f"{stale}; {text}" if text else stale
    return text


def row_view(row: dict[str, Any], metrics: list[str], modality: str) -> RowView:
    stale = bool(row.get("stale"))
    status = "stale" if stale else (row.get("status") or "?")
    cells: dict[str, Cell] = {}
    for m in metrics:
        cells[m] = Cell("", "") if stale else _num_cell(metric_cell(row, m), row.get(f"{m}_pooled"))
    cells["folds"] = _num_cell(folds_cell(row), row.get("folds") or 0)
    cells["seeds"] = _num_cell(seeds_cell(row), len(row.get("seeds") or []))
    cells["vs_best"] = Cell("", "") if stale else _num_cell(
        versus_best_cell(row, best="best"), 0.0 if row.get("is_best") else row.get("vs_best_difference"))
    cells["rank"] = Cell("", "") if stale else _num_cell(rank_cell(row), row.get("rank_low"))
    reported_value = next((row.get(f"reported_{m}") for m in ("accuracy", "uar", "macro_f1")
                           if row.get(f"reported_{m}") is not None), None)
    cells["reported"] = _num_cell(reported_cell(row), reported_value)
    cells["latency"] = Cell("", "") if stale else _num_cell(latency_text(row), row.get("latency_p50_ms"))
    cells["computed_with"] = Cell(computed_with_cell(row) if status != "not run" else "")
    cells["status"] = Cell(status_text(row), str(STATUS_ORDER.get(status, 5)))
    return RowView(
        experiment=row["experiment"], page="experiments/" + page_name(row["experiment"]), protocol=row["protocol"],
        dataset=row.get("dataset") or "?", classes=", ".join(sorted(row.get("classes") or [])), modality=modality,
        seed_system=seed_system(row), submitted_by=str(row.get("submitted_by") or ""),
        description=row.get("description") or "", status=status,
        status_text=status_text(row),
        best=bool(row.get("is_best")) and not stale and not row.get("too_few_speakers"),
        tied=bool(row.get("tied_with_best")) and not stale, cells=cells, notes=row_notes(row))


def group_id(key: tuple) -> str:
    dataset, _, classes, protocol = key
    digest = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:8]
    return f"{slug(dataset)}__{slug(protocol)}__{len(classes)}-classes-{digest}"


def group_views(rows: list[dict[str, Any]], metrics: list[str], modalities: dict[str, str]) -> list[GroupView]:
    """One view per table of the Markdown (dataset, class set, protocol), rows in the leaderboard's order."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(group_key(r), []).append(r)
    views = []
    for key, group in groups.items():
        dataset, synthetic, classes, protocol = key
        kind = "SYNTHETIC demo data: not comparable with any published number" if synthetic else "real data"
        if is_cross_corpus(dataset):
            kind = f"cross-corpus, {kind}"
        elsewhere: dict[str, str] = {}
        for r in group:
            if r.get("reported_elsewhere"):
                elsewhere.setdefault(r["experiment"], r["reported_elsewhere"])
        shown = [row_view(r, metrics, modalities.get(r["experiment"], "?")) for r in group]
        views.append(GroupView(
            key=group_id(key), title=f"{dataset} · {len(classes)} classes · protocol {protocol}", kind=kind,
            dataset=dataset, protocol=protocol, classes=", ".join(classes),
            rows=[v for v in shown if v.status != "not run"], not_run=[v for v in shown if v.status == "not run"],
            elsewhere=sorted(elsewhere.items()), synthetic=bool(synthetic),
            headline=not synthetic and (is_cross_corpus(dataset) or any(is_loso(r) for r in group)),
            leaders=leader_bars(group)))
    return ordered_groups(views)


#: Protocol plugins whose tables lead the site: every speaker (or corpus) is tested once, unseen.
HEADLINE_PROTOCOLS = frozenset({"loso", "leave-one-corpus-out"})


def is_loso(row: dict[str, Any]) -> bool:
    """Whether the row's protocol is leave-one-subject-out (or leave-one-corpus-out), by plugin or by name."""
    plugin = (_loads(row.get("setup"), {}).get("protocol") or {}).get("plugin")
    return plugin in HEADLINE_PROTOCOLS or row.get("protocol") in HEADLINE_PROTOCOLS


def ordered_groups(groups: list[GroupView]) -> list[GroupView]:
    """Tables as a reader wants them: real-data LOSO and cross-corpus first, other real data, then synthetic
    (demo) data; within each, tables with a ranked row before tables of rows that did not run. Stable."""
    return sorted(groups, key=lambda g: (g.synthetic, not g.headline, not g.leaders))


def leader_bars(rows: list[dict[str, Any]]) -> list[Bar]:
    """The table's best row and the rows tied with it, as bars of the ranking metric with their intervals."""
    def pct(value: Any) -> float | None:
        number = _number(value)
        return None if number is None else round(100 * number, 1)

    out = []
    for r in rows:
        if r.get("stale") or r.get("too_few_speakers") or not (r.get("is_best") or r.get("tied_with_best")):
            continue  # a table of too few test speakers names no best (its top row is not one)
        value = pct(r.get(f"{RANKING_METRIC}_pooled"))
        if value is None:
            continue
        out.append(Bar(experiment=r["experiment"], page="experiments/" + page_name(r["experiment"]), value=value,
                       low=pct(r.get(f"{RANKING_METRIC}_ci_low")), high=pct(r.get(f"{RANKING_METRIC}_ci_high")),
                       text=metric_cell(r, RANKING_METRIC), mark="best" if r.get("is_best") else "tied"))
    return sorted(out, key=lambda b: (b.mark != "best", -b.value, b.experiment))


def overview(groups: list[GroupView]) -> list[GroupView]:
    """The tables shown in the overview (those with a best row), in the page's order."""
    return [g for g in groups if g.leaders]


def filter_options(groups: list[GroupView]) -> list[tuple[str, str, list[str]]]:
    """(attribute, label, sorted values) of each filter of the index."""
    dims = [("dataset", "dataset"), ("protocol", "protocol"), ("classes", "class set"), ("modality", "modality"),
            ("seed_system", "seed system")]
    return [(attr, label, sorted({getattr(r, attr) for g in groups for r in [*g.rows, *g.not_run]}))
            for attr, label in dims]


# ---------------------------------------------------------------- experiment pages

def _loads(text: Any, default: Any) -> Any:
    if not isinstance(text, str) or not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def setup_components(setup: dict[str, Any]) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """A stored setup as (plugins: role, plugin, version, parameters, inputs) and (other settings)."""
    plugins, other = [], []

    def add(role: str, part: dict[str, Any]) -> None:
        plugins.append({"role": role, "plugin": str(part.get("plugin")), "version": str(part.get("version") or ""),
                        "params": _compact(part.get("params") or {}),
                        "inputs": _compact(part["inputs"]) if part.get("inputs") else "",
                        "salt": str(part.get("salt") or "")})

    for key in sorted(setup):
        value = setup[key]
        if key == "branches" and isinstance(value, list):
            for branch in value:
                for part in sorted(branch):
                    if isinstance(branch[part], dict) and "plugin" in branch[part]:
                        add(f"branch {branch.get('name', '?')}: {part}", branch[part])
                    elif part != "name" and branch[part] is not None:
                        other.append((f"branch {branch.get('name', '?')}: {part}", _compact(branch[part])))
        elif isinstance(value, dict) and "plugin" in value:
            add(key, value)
        elif value is not None:
            other.append((key, _compact(value)))
    return plugins, other


def confusion_view(row: dict[str, Any]) -> list[list[tuple[str, float]]]:
    """The confusion matrix as (count text, row share) cells, true classes as rows."""
    matrix = _loads(row.get("confusion"), None)
    if not matrix:
        return []
    out = []
    for line in matrix:
        total = sum(line)
        out.append([(f"{v:g}", round(v / total, 3) if total else 0.0) for v in line])
    return out


def experiment_sections(rows: list[dict[str, Any]], metrics: list[str], declared: str) -> list[dict[str, Any]]:
    """One section per protocol row of an experiment."""
    sections = []
    for row in rows:
        stale = bool(row.get("stale"))
        setup = _loads(row.get("setup"), {})
        plugins, other = setup_components(setup) if setup else ([], [])
        classes = list(row.get("classes") or [])
        recall = _loads(row.get("per_class_recall"), None) or []
        per_fold = _loads(row.get("per_fold"), [])
        sections.append({
            "protocol": row["protocol"], "dataset": row.get("dataset") or "?", "status": status_text(row),
            "stale": stale, "stale_reason": row.get("stale_reason") or "", "description": row.get("description") or "",
            "submitted_by": str(row.get("submitted_by") or ""),
            "notes": notes(row), "error": row.get("error") or "",  # a stale row's reason has its own line
            "metrics": [] if stale or all(row.get(f"{m}_pooled") is None for m in metrics) else [
                {"name": METRIC_LABELS.get(m, m), "pooled": metric_cell(row, m),
                 "fold_mean": _pct(row.get(f"{m}_mean")), "fold_sd": _pct(row.get(f"{m}_fold_sd")),
                 "seed_sd": _pct(row.get(f"{m}_seed_sd"))} for m in metrics],
            "versus_best": "" if stale else versus_best_cell(row, best="best"), "reported": reported_cell(row),
            "rank": "" if stale else rank_cell(row),
            "reported_elsewhere": row.get("reported_elsewhere") or "",
            "latency": "" if stale else latency_text(row), "folds": folds_cell(row), "seeds": seeds_cell(row),
            "test_clips": row.get("test_clips"), "test_subjects": row.get("test_subjects"),
            "fingerprints": [(k, str(row[k])) for k in ("config_fingerprint", "experiment_fingerprint") if row.get(k)],
            "plugins": plugins, "settings": other, "declared": "" if setup else declared,
            "plugin_versions": sorted(_loads(row.get("plugins"), {}).items()),
            "computed_with": computed_with_cell(row) if row.get("status") != "not run" else "",
            "computed_libraries": sorted(_loads(row.get("computed_libraries"), {}).items()),
            "classes": classes,
            "recall": [] if stale else [(c, _pct(v), v) for c, v in zip(classes, recall)],
            "per_fold": [] if stale else [
                {"fold": str(f.get("fold")), "seed": str(f.get("seed")), "clips": f.get("test_clips"),
                 "subjects": ", ".join(f.get("test_subjects") or []),
                 "values": [_pct(f.get(m)) for m in metrics]} for f in per_fold],
            "metric_names": [METRIC_LABELS.get(m, m) for m in metrics],
            "confusion": [] if stale else confusion_view(row),
            "figure": "" if stale else (row.get("figure") or ""),
            "substitutions": list(row.get("substitutions") or []),
            "missing_folds": list(row.get("missing_folds") or []),
            "skipped_test_clips": list(row.get("skipped_test_clips") or []),
        })
    return sections


def _pct(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"{100 * number:.1f}"


def ranking_label() -> str:
    return METRIC_LABELS.get(RANKING_METRIC, RANKING_METRIC)

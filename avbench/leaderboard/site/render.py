"""Write the static site beside the Markdown: ``index.html``, ``experiments/<name>.html``, ``static/``, SVGs.

It opens from ``file://`` with no server and fetches nothing: the script and style sheet are copied
from this package, the figures are files beside the pages. Everything is escaped (autoescape on). The
pages hold only what the rows and the benchmark's settings say (no render time, no rendering machine),
so the same stored results give the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from avbench.storage.atomic import write_bytes

from ..figures import latency_figure, recall_heatmap, scores_figure
from ..markdown import METRIC_LABELS
from ..uncertainty import RANKING_METRIC, comparison_metadata, group_key
from .view import (
    Figure, GroupView, experiment_sections, filter_options, group_id, group_views, metric_columns, overview,
    page_name, ranking_label, seed_system,
)

STATIC_FILES = ("site.css", "site.js")
FIGURES = "figures"


def environment() -> Environment:
    env = Environment(loader=PackageLoader("avbench.leaderboard.site", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


def render_site(rows: list[dict[str, Any]], meta: dict[str, Any], metrics: list[str], board: Path,
                modalities: dict[str, str], declared: dict[str, str]) -> Path:
    """Write the site into ``board`` from the leaderboard's rows (in their table order); returns index.html.

    ``modalities``: each experiment's modality label; ``declared``: each experiment's configuration as
    text, shown on the page of an experiment none of whose rows has a stored setup (not run).
    """
    env = environment()
    groups = group_views(rows, metrics, modalities)
    written: set[Path] = set()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_key.setdefault(_group_id(r), []).append(r)
    for group in groups:
        group.figures = _group_figures(group, by_key[group.key], metrics, board, written)
    site = {k: meta.get(k) for k in ("benchmark", "description", "avbench_version")}
    boot = {"resamples": "?", "seed": "?", **comparison_metadata(), **(meta.get("bootstrap") or {})}
    columns = metric_columns(metrics)
    show_submitted = any(r.get("submitted_by") for r in rows)
    index = env.get_template("index.html").render(
        site=site, boot=boot, groups=groups, overview=overview(groups), filters=filter_options(groups),
        metric_columns=columns,
        ranking=ranking_label(), show_submitted=show_submitted, bad_files=meta.get("bad_files") or [], root="")
    _write(board / "index.html", index, written)
    experiments: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        experiments.setdefault(r["experiment"], []).append(r)
    template = env.get_template("experiment.html")
    for name, exp_rows in sorted(experiments.items()):
        page = template.render(
            site=site, boot=boot, name=name, modality=modalities.get(name, "?"),
            seed_system=seed_system(exp_rows[0]),
            sections=experiment_sections(exp_rows, metrics, declared.get(name, "")), root="../")
        _write(board / "experiments" / page_name(name), page, written)
    for name in STATIC_FILES:
        source = Path(__file__).parent / "static" / name
        _write(board / "static" / name, source.read_text(), written)
    _remove_unwritten(board, written)
    return board / "index.html"


def _group_id(row: dict[str, Any]) -> str:
    return group_id(group_key(row))


def _write(path: Path, text: str, written: set[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if not path.exists() or path.read_bytes() != data:
        write_bytes(path, data)
    written.add(path)


def _remove_unwritten(board: Path, written: set[Path]) -> None:
    """Pages and SVGs of an earlier render that this one did not write (an experiment removed, say): only files
    the board's marker lists as avbench's own (:mod:`..board_folder`)."""
    from ..board_folder import remove_unwritten

    remove_unwritten(board, written)


def _label(row: dict[str, Any]) -> str:
    return row["experiment"] + ("" if row.get("status") == "ok" else f" ({row.get('status')})")


def _group_figures(group: GroupView, rows: list[dict[str, Any]], metrics: list[str], board: Path,
                   written: set[Path]) -> list[Figure]:
    """The group's charts: scores with intervals, score against latency, per-class recall."""
    measured = [r for r in rows if not r.get("stale") and r.get(f"{RANKING_METRIC}_pooled") is not None]
    if not measured:
        return []
    figures = []
    folder = board / FIGURES
    shown = [m for m in metrics if any(r.get(f"{m}_pooled") is not None for r in measured)]
    path = folder / f"{group.key}__scores.svg"
    scores_figure([_label(r) for r in measured],
                  {METRIC_LABELS.get(m, m): [(r.get(f"{m}_pooled") or 0.0, r.get(f"{m}_ci_low"), r.get(f"{m}_ci_high"))
                                             for r in measured] for m in shown},
                  path, title=group.title)
    written.add(path)
    figures.append(Figure(f"{FIGURES}/{path.name}", f"{group.title}: scores with 95% intervals"))
    timed = [r for r in measured if r.get("latency_p50_ms") is not None]
    if len(timed) > 1:  # one point shows no trade-off
        path = folder / f"{group.key}__latency.svg"
        latency_figure([_label(r) for r in timed], [r[f"{RANKING_METRIC}_pooled"] for r in timed],
                       [r["latency_p50_ms"] for r in timed], path, title=group.title, metric=ranking_label())
        written.add(path)
        figures.append(Figure(f"{FIGURES}/{path.name}", f"{group.title}: {ranking_label()} against latency"))
    recalled = [r for r in measured if r.get("per_class_recall")]
    if recalled:
        classes = list(recalled[0].get("classes") or [])
        matrix = []
        for r in recalled:  # a row may list the same classes in another order
            values = dict(zip(r.get("classes") or [], json.loads(r["per_class_recall"])))
            matrix.append([values.get(c, 0.0) for c in classes])
        path = folder / f"{group.key}__recall.svg"
        recall_heatmap([_label(r) for r in recalled], classes, matrix, path, title=group.title)
        written.add(path)
        figures.append(Figure(f"{FIGURES}/{path.name}", f"{group.title}: per-class recall"))
    return figures

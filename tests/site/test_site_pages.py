"""The static site written beside the Markdown: its tables, pages, figures and bytes (no browser needed)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import polars as pl

from avbench.leaderboard.site import render_site

from .conftest import cli


def site_files(board: Path) -> dict[str, bytes]:
    """Every file the site consists of, by path relative to the board."""
    paths = [*board.glob("index.html"), *(board / "experiments").glob("*.html"), *(board / "static").glob("*"),
             *(board / "figures").glob("*.svg")]
    return {str(p.relative_to(board)): p.read_bytes() for p in sorted(paths)}


def rows_of(board: Path) -> list[dict]:
    return pl.read_parquet(board / "results.parquet").to_dicts()


def test_the_index_has_one_table_per_markdown_table_holding_every_row(site_board):
    index = (site_board / "index.html").read_text()
    markdown = (site_board / "README.md").read_text()
    markdown_titles = re.findall(r"^## (\S+) \(.*\) · (\d+ classes) · (protocol \S+)$", markdown, re.M)
    site_titles = re.findall(r"<h2>(\S+) · (\d+ classes) · (protocol \S+) <span", index)
    # the same tables; the site puts the real-data LOSO and cross-corpus ones first (its overview leads)
    assert sorted(site_titles) == sorted(markdown_titles) and len(site_titles) == 4
    for row in rows_of(site_board):  # a row that did not run is listed, collapsed, under its table
        element = '<li ' if row["status"] == "not run" else '<tr class="[^"]*" '
        assert re.search(rf'{element}data-experiment="{re.escape(row["experiment"])}" '
                         rf'data-dataset="{re.escape(row["dataset"])}" data-protocol="{row["protocol"]}"', index), row


def test_each_row_shows_its_interval_best_mark_reported_number_with_caveat_latency_and_status(site_board):
    index = (site_board / "index.html").read_text()
    rows = {(r["experiment"], r["protocol"]): r for r in rows_of(site_board)}
    loso = rows[("centroid", "loso")]
    interval = f"{100 * loso['uar_pooled']:.1f} [{100 * loso['uar_ci_low']:.1f}, {100 * loso['uar_ci_high']:.1f}]"
    assert f'data-sort="{loso["uar_pooled"]!r}" class="num">{interval}</td>' in index
    best = next(key for key, r in rows.items() if r["is_best"] and key[1] == "loso")
    assert re.search(rf'<tr class="status-ok best" data-experiment="{best[0]}"[^>]*data-protocol="loso"', index)
    # six test speakers: each loso row has its rank interval; holdout (two test speakers) has none, and no best
    assert '<th data-type="number" data-key="rank"><button type="button">rank [95%]</button></th>' in index
    for key in (("centroid", "loso"), ("centroid-noisy", "loso")):
        low, high = rows[key]["rank_low"], rows[key]["rank_high"]
        text = str(low) if low == high else f"{low}–{high}"
        assert f'<td data-key="rank" data-label="rank [95%]" data-sort="{float(low)!r}">{text}</td>' in index
    holdout = rows[("centroid", "holdout")]
    assert holdout["too_few_speakers"] and holdout["rank_low"] is None and holdout["vs_best_p"] is None
    assert not re.search(r'<tr class="[^"]* best" data-experiment="[^"]*"[^>]*data-protocol="holdout"', index)
    assert "50.0 (nobody2020 (text 009)) ⚠ a made-up &lt;caveat&gt;" in index  # reported, beside measured
    timed = next(r for r in rows.values() if r["latency_p50_ms"] is not None)
    assert f'data-sort="{timed["latency_p50_ms"]!r}">{timed["latency_p50_ms"]:.1f} / {timed["latency_p95_ms"]:.1f} ' \
           f'({timed["latency_device"]})</td>' in index
    not_run = re.search(r'<li data-experiment="needs-absent".*?</li>', index, re.S).group(0)
    assert '<span class="status">not run</span>' in not_run
    assert "not run: dataset &#39;absent&#39; has no root: set AVBENCH_SITE_TEST_ABSENT_ROOT" in not_run


def test_markup_from_the_config_is_escaped_on_every_page(site_board):
    for name, data in site_files(site_board).items():
        if name.endswith(".html"):
            text = data.decode()
            assert "<script>alert" not in text and "<b>nearest" not in text and "<caveat>" not in text, name
    page = (site_board / "experiments" / "centroid.html").read_text()
    assert "&lt;b&gt;nearest&lt;/b&gt; centroid &amp; &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<li>toy vectors stand in for &lt;audio&gt;</li>" in page  # a substitution


def test_an_experiment_page_shows_setup_fingerprint_folds_recall_and_confusion(site_board):
    page = (site_board / "experiments" / "centroid.html").read_text()
    row = next(r for r in rows_of(site_board) if (r["experiment"], r["protocol"]) == ("centroid", "loso"))
    section = page[page.index('id="protocol-loso"'):]
    assert f'<code class="fingerprint">{row["config_fingerprint"]}</code>' in section
    assert re.search(r"<td>branch audio: model</td><td><code>toy-centroid</code></td><td>\d", section)
    per_fold = section[section.index('<table class="per-fold">'):]
    per_fold = per_fold[:per_fold.index("</table>")]
    assert re.findall(r"<tr><td>(subject-\d)</td>", per_fold) == [f"subject-{i}" for i in range(1, 7)]
    confusion = section[section.index('<table class="confusion">'):]
    counts = re.findall(r'--share: [\d.]+">([\d.]+)</td>', confusion[:confusion.index("</table>")])
    assert len(counts) == 9 and sum(float(c) for c in counts) == row["test_clips"]
    assert section.count('<table class="recall">') == 1
    not_run = (site_board / "experiments" / "needs-absent.html").read_text()
    assert '<pre class="declared">' in not_run and "&#34;toy-extractor&#34;" in not_run


def test_figures_are_svg_files_beside_the_pages_without_a_date(site_board):
    index = (site_board / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', index)
    # scores and recall of the three groups with measured rows; latency where a group has two timed rows
    assert sorted(s.rsplit("__", 1)[1] for s in sources) == ["latency.svg"] + ["recall.svg"] * 3 + ["scores.svg"] * 3
    for src in sources:
        svg = (site_board / src).read_bytes()
        ElementTree.fromstring(svg)  # well-formed
        assert b"<dc:date>" not in svg and b"matplotlib.org" not in svg
    scores = next(s for s in sources if "toy__loso" in s and s.endswith("__scores.svg"))
    text = (site_board / scores).read_text()
    assert "centroid-noisy" in text and "UAR" in text  # labels kept as text


def test_a_submitted_by_column_shows_only_when_a_row_has_one(site_board, tmp_path):
    meta = json.loads((site_board / "metadata.json").read_text())
    rows = rows_of(site_board)
    render_site(rows, meta, ["accuracy", "uar"], tmp_path / "plain", {}, {})
    assert "submitted by" not in (tmp_path / "plain" / "index.html").read_text()
    submitted = next(r for r in rows if r["status"] == "ok")  # a row shown in its table (not run: listed below)
    submitted["submitted_by"] = "Lab <X>"
    render_site(rows, meta, ["accuracy", "uar"], tmp_path / "imported", {}, {})
    index = (tmp_path / "imported" / "index.html").read_text()
    assert '<button type="button">submitted by</button>' in index
    assert '<td data-key="submitted_by" data-label="submitted by">Lab &lt;X&gt;</td>' in index
    page = (tmp_path / "imported" / "experiments" / f"{submitted['experiment']}.html").read_text()
    assert 'Submitted by: <span class="submitted-by">Lab &lt;X&gt;</span>' in page


def test_pages_and_figures_of_an_experiment_no_longer_shown_are_removed(site_board, tmp_path):
    board = tmp_path / "board"
    shutil.copytree(site_board, board)
    meta = json.loads((site_board / "metadata.json").read_text())
    rows = [r for r in rows_of(site_board) if r["experiment"] != "other-centroid"]
    render_site(rows, meta, ["accuracy", "uar"], board, {}, {})
    assert not (board / "experiments" / "other-centroid.html").exists()
    assert not list((board / "figures").glob("other-toy__*.svg"))
    assert (board / "experiments" / "centroid.html").exists()
    assert list((board / "figures").glob("*.png"))  # the Markdown's confusion matrices are not the site's


def test_avbench_leaderboard_writes_the_site_again_with_the_same_bytes(site_project, tmp_path):
    first = site_files(site_project / "leaderboards" / "site")
    copy = tmp_path / "copy"
    shutil.copytree(site_project, copy, ignore=shutil.ignore_patterns("cache"))
    board = copy / "leaderboards" / "site"
    for name in first:
        (board / name).unlink()
    result = cli(copy, "leaderboard", "benchmark.toml")
    assert result.returncode == 0, result.stderr
    assert site_files(board) == first  # no render time, no machine, no path: same results, same bytes


def test_no_page_or_figure_holds_a_path_of_the_rendering_machine(site_project, site_board):
    for name, data in site_files(site_board).items():
        text = data.decode()
        assert str(site_project) not in text and "/tmp/" not in text, name

"""Names map one to one to folders, look-alikes are refused, outputs are escaped, the board deletes only its own."""

from __future__ import annotations

import json
import re
import shutil

import polars as pl
import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.contract.errors import AvbenchError
from avbench.exchange.bundle import BundleError
from avbench.exchange.export import export_bundle
from avbench.exchange.import_bundle import import_bundle
from avbench.exchange.submitter_names import SubmitterError, submitter_name, submitter_slug
from avbench.leaderboard.build import render_leaderboard
from avbench.leaderboard.csv_cells import neutralised
from avbench.leaderboard.markdown import render_markdown
from tests.exchange.conftest import bundle_records, clone, reseal_manifest, reseal_record

INJECTED = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">', "cpu\n| forged | row |", "a\x00b"]


@pytest.mark.parametrize("name, why", [
    ("alice/", "holds U+002F"), ("\u0430lice", "holds U+0430"), ("a\x00b", "holds U+0000"), (42, "is a int"),
    (["alice"], "is a list"), ("x" * 65, "has 65 characters"), ("", "is empty"), (".hidden", "holds a leading"),
])
def test_an_unsafe_submitter_name_is_refused_not_rewritten(name, why):
    with pytest.raises(SubmitterError, match=re.escape(why)):
        submitter_name(name)


def test_names_are_normalised_and_map_to_their_own_folder():
    assert submitter_name("\uff21lice  ".rstrip()) == "Alice"  # fullwidth A, NFKC
    assert submitter_slug("Alice Liddell") == "Alice-Liddell" and submitter_slug("alice/") == ""
    long_a, long_b = "a" * 63 + "b", "a" * 63 + "c"  # once truncated to one slug, now two folders
    assert submitter_slug(long_a) != submitter_slug(long_b)


def test_a_confusable_or_folder_sharing_submitter_is_refused(submitter, toy_env, tmp_path):
    config, _data = submitter
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(export_bundle(config, tmp_path / "alice", submitter="alice").path, maintainer)
    for name, expected in (("A1ice", "reads like the stored submitter 'alice'"),
                           ("ALICE", "reads like the stored submitter 'alice'")):
        with pytest.raises(BundleError) as refused:
            import_bundle(export_bundle(config, tmp_path / name, submitter=name).path, maintainer)
        assert refused.value.lines == [f"submitter {name!r} {expected} (case, separators or look-alike characters); "
                                       "refused as confusable"]
    import_bundle(export_bundle(config, tmp_path / "jd", submitter="Jane Doe").path, maintainer)
    with pytest.raises(BundleError, match="its folder Jane-Doe holds submitter 'Jane Doe'"):
        import_bundle(export_bundle(config, tmp_path / "jd2", submitter="Jane-Doe").path, maintainer)
    assert sorted(p.name for p in (maintainer.parent / "runs/swap/submitted").iterdir()
                  if not p.name.startswith(".")) == ["Jane-Doe", "alice"]


def test_a_non_string_or_cyrillic_submitter_in_a_manifest_is_refused(submitter, toy_env, tmp_path):
    config, _data = submitter
    bundle = export_bundle(config, tmp_path / "b", submitter="alice").path
    for value, why in ((["alice"], "is a list"), ("\u0430lice", "holds U+0430")):
        manifest = json.loads((bundle / "manifest.json").read_text())
        (bundle / "manifest.json").write_text(json.dumps({**manifest, "submitter": value}))
        with pytest.raises(BundleError) as refused:
            import_bundle(bundle, clone(tmp_path / "maintainer", None))
        assert len(refused.value.lines) == 1 and why in refused.value.lines[0]


def test_injected_free_form_fields_are_refused_at_import_naming_the_field(submitter, toy_env, tmp_path):
    config, _data = submitter
    bundle = export_bundle(config, tmp_path / "b", submitter="alice").path
    record = bundle_records(bundle)[0]
    stored = json.loads(record.read_text())
    reseal_record(record, extraction_diagnostics={"audio\n| forged | row |": {"frames": 1}},
                  latency={**(stored.get("latency") or {}), "device": "<img src=x onerror=alert(1)>"},
                  computed_with={**stored["computed_with"], "device": "x" * 300})
    reseal_manifest(bundle)
    with pytest.raises(BundleError) as refused:
        import_bundle(bundle, clone(tmp_path / "maintainer", None))
    text = "\n".join(refused.value.lines)
    assert "computed_with.device: 300 characters, expected at most 200" in text
    assert "extraction_diagnostics: branch 'audio\\n| forged | row |': expected plain names" in text
    assert "latency.device: expected a device name such as cpu or cuda:0" in text


def injected_row() -> dict:
    script, image, newline, nul = INJECTED
    return {"experiment": "e@x", "protocol": "loso", "dataset": f"d{script}", "classes": ["a", "b"], "n_classes": 2,
            "status": "ok", "stale": False, "folds": 1, "folds_expected": 1, "submitted_by": f"mallory{script}",
            "submission": "{}", "computed_commit": "abc", "computed_device": image, "latency_p50_ms": 1.0,
            "latency_p95_ms": 2.0, "latency_device": newline, "accuracy_pooled": 0.5, "error": nul,
            "extraction_diagnostics": json.dumps({newline: {"frames_sampled": 3, "frames_no_face": 1}})}


def test_injected_strings_appear_escaped_in_the_markdown():
    meta = {"benchmark": "b", "rendered": "now", "avbench_version": "0", "bootstrap": {},
            "bad_files": [{"file": "x`y\nz", "error": INJECTED[0]}]}
    text = render_markdown([injected_row()], meta, ["accuracy"])
    assert "<script" not in text and "<img" not in text and "\x00" not in text
    assert "&lt;script>alert(1)&lt;/script>" in text and "&lt;img src=x onerror=" in text
    assert not any(line.startswith("| forged") or line.lstrip("| ").startswith("forged") for line in text.splitlines())
    assert "cpu \\| forged \\| row \\|" in text
    table = [line for line in text.splitlines() if line.startswith("| e@x")]
    header = next(line for line in text.splitlines() if line.startswith("| experiment"))
    assert table and all(line.count(" | ") == header.count(" | ") for line in table)  # no cell split or added


def test_csv_cells_that_could_start_a_formula_are_neutralised():
    frame = pl.DataFrame({"name": ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x")', "@SUM(A1)", "+1", "-2", "ok"],
                          "value": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    out = neutralised(frame)
    assert out["name"].to_list() == ["'=cmd|' /C calc'!A0", "'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+1", "'-2",
                                     "ok"]
    assert out["value"].to_list() == frame["value"].to_list()  # numbers stay numbers


def test_results_csv_of_a_render_holds_no_formula(submitter, toy_env, tmp_path):
    config, _data = submitter
    bundle = export_bundle(config, tmp_path / "b", submitter="alice").path
    for record in bundle_records(bundle):
        stored = json.loads(record.read_text())
        reseal_record(record, computed_with={**stored["computed_with"], "commit": "=HYPERLINK(\"http://x\")"})
    reseal_manifest(bundle)
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(bundle, maintainer)
    render_leaderboard(load_config(maintainer), maintainer.parent)
    cells = pl.read_csv(maintainer.parent / "leaderboards/swap/results.csv", infer_schema=False).rows()
    assert any("HYPERLINK" in str(c) for row in cells for c in row)
    assert not any(str(c).startswith(("=", "+", "@")) for row in cells for c in row if c is not None)


def test_the_board_refuses_a_folder_it_did_not_write_and_deletes_nothing(submitter, toy_env, tmp_path):
    project = tmp_path / "project"
    maintainer = clone(project, None)
    maintainer.write_text(maintainer.read_text().replace('name = "swap"', 'name = "docs"\nleaderboards = "."'))
    foreign = ["docs/static/theme.css", "docs/figures/architecture.svg", "docs/experiments/notes.html"]
    for name in foreign:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("mine")
    with pytest.raises(AvbenchError, match=r"docs: holds files avbench did not write \(no .avbench-board marker\)"):
        render_leaderboard(load_config(maintainer), project)
    assert all((project / name).read_text() == "mine" for name in foreign)
    assert sorted(p.name for p in (project / "docs").iterdir()) == ["experiments", "figures", "static"]


def test_a_foreign_file_put_into_an_avbench_board_is_never_deleted(submitter, toy_env, tmp_path):
    config, _data = submitter
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(export_bundle(config, tmp_path / "b", submitter="alice").path, maintainer)
    render_leaderboard(load_config(maintainer), maintainer.parent)
    board = maintainer.parent / "leaderboards/swap"
    (board / "static" / "theme.css").write_text("mine")
    (board / "figures" / "notes.svg").write_text("mine")
    page = next((board / "experiments").glob("*.html"))
    shutil.rmtree(maintainer.parent / "runs/swap/submitted/alice")  # the row goes (its folds and their copy in
    shutil.rmtree(board / "evidence/submitted/alice")  # the board's evidence): its page is avbench's, removed
    render_leaderboard(load_config(maintainer), maintainer.parent)
    assert (board / "static" / "theme.css").read_text() == "mine" and (board / "figures" / "notes.svg").exists()
    assert not page.exists()


@pytest.mark.parametrize("line, expected", [
    ("workers = 1000000", "workers = 1000000: more worker processes than this machine can run"),
    ("bootstrap_resamples = 1000000000", "less than or equal to 100000"),
])
def test_config_values_beyond_what_the_machine_can_hold_are_refused(tmp_path, toy_env, line, expected):
    config = clone(tmp_path / "c", None)
    text = config.read_text().replace("workers = 1\n", "").replace("bootstrap_resamples = 100\n", "")
    config.write_text(text.replace('name = "swap"\n', f'name = "swap"\n{line}\n'))
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert expected in "\n".join(refused.value.lines)


@pytest.mark.parametrize("value", ['"../../escaped"', '"/tmp/avbench-elsewhere"'])
@pytest.mark.parametrize("key", ["output", "leaderboards"])
def test_a_config_cannot_send_results_outside_the_project(tmp_path, toy_env, key, value):
    config = clone(tmp_path / "c", None)
    config.write_text(config.read_text().replace('name = "swap"\n', f'name = "swap"\n{key} = {value}\n'))
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    (line,) = [x for x in refused.value.lines if f"benchmark.{key}" in x]
    assert "outside the project folder" in line and "environment variable" in line


def test_a_folder_outside_the_project_can_be_chosen_through_the_environment(tmp_path, toy_env, monkeypatch):
    monkeypatch.setenv("AVBENCH_TEST_RUNS", str(tmp_path / "elsewhere"))
    config = clone(tmp_path / "c", None)
    config.write_text(config.read_text().replace('name = "swap"\n', 'name = "swap"\noutput = "$AVBENCH_TEST_RUNS"\n'))
    assert load_config(config).benchmark.output == str(tmp_path / "elsewhere")

"""``avbench compare`` reads submitted rows, named ``<experiment>@<submitter>`` as on the leaderboard."""

from __future__ import annotations

import re
import shutil

from avbench.cli.main import main
from avbench.exchange.export import export_bundle
from avbench.exchange.import_bundle import import_bundle

from .conftest import clone

DIFFERENCE = re.compile(r"(\S+) - (\S+): ([+-]\d+\.\d) points")


def test_compare_pairs_a_submitted_row_with_the_local_row_and_with_another_submitters(
        submitter, toy_env, tmp_path, capsys):
    config, _data = submitter
    maintainer = tmp_path / "maintainer"  # a clone that computed the same folds itself
    shutil.copytree(config.parent, maintainer, ignore=shutil.ignore_patterns("leaderboards"))
    toml = maintainer / "benchmark.toml"
    for who in ("alice", "bob"):
        import_bundle(export_bundle(config, tmp_path / who, submitter=who).path, toml)
    capsys.readouterr()
    for a, b in (("centroid@alice", "centroid"), ("centroid@alice", "centroid@bob")):
        assert main(["compare", a, b, "--file", str(toml), "--resamples", "100"]) == 0
        out = capsys.readouterr().out
        match = DIFFERENCE.search(out)
        assert match, out
        assert match.groups() == (a, b, "+0.0")  # the very same predictions
        assert "too few test speakers to compare (4 test subject(s)" in out  # 4 speakers: no test is shown


def test_compare_names_a_submitter_with_no_submitted_row_and_refuses_an_unknown_experiment(
        submitter, toy_env, tmp_path, capsys):
    config, _data = submitter
    maintainer = clone(tmp_path / "maintainer", None)
    import_bundle(export_bundle(config, tmp_path / "bundle", submitter="alice").path, maintainer)
    capsys.readouterr()
    assert main(["compare", "centroid@alice", "centroid@carol", "--file", str(maintainer)]) == 1
    assert ("centroid@carol: no predictions submitted by carol under loso: import their bundle with "
            "`avbench import`") in capsys.readouterr().out
    assert main(["compare", "centroid@alice", "nope@alice", "--file", str(maintainer)]) == 2
    assert "no experiment 'nope@alice'" in capsys.readouterr().err

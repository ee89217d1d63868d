"""A small leaderboard for the site tests: the toy plugins run by the real CLI, once per session.

Two toy corpora (two datasets to filter by), audio and video rows, a fused row, a reported number with
its caveat, a description full of markup (it must come out escaped) and an experiment that cannot run
(its dataset's variable is unset), so every kind of row the site shows is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

SITE_BENCHMARK = """
[benchmark]
name = "site"
seeds = [0]
stochastic_seeds = [0]
workers = 1
latency_clips = 2
bootstrap_resamples = 200

[datasets.toy]
plugin = "toy-dataset"
params = { subjects = 6 }

[datasets.other-toy]
plugin = "toy-dataset"
params = { offset = 0.5, subjects = 4 }

[datasets.absent]
plugin = "ravdess"
env = "AVBENCH_SITE_TEST_ABSENT_ROOT"

[protocols.holdout]
plugin = "actor-holdout"
params = { test = [3, 4], val = [2] }

[protocols.loso]
plugin = "loso"

[experiments.centroid]
dataset = "toy"
protocols = ["holdout", "loso"]
description = "<b>nearest</b> centroid & <script>alert('x')</script>"
reported = { accuracy = 0.5, source = "nobody2020 (text 009)", protocol = "loso", note = "a made-up <caveat>" }
substitutions = ["toy vectors stand in for <audio>"]
[experiments.centroid.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"

[experiments.centroid-noisy]
dataset = "toy"
protocols = ["loso"]
description = "nearest centroid on noisier toy vectors"
[experiments.centroid-noisy.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 0.5 } }
model = "toy-centroid"
augment = { plugin = "toy-noise", params = { copies = 1, amount = 6.0 } }

[experiments.centroid-video]
dataset = "toy"
protocols = ["holdout"]
description = "nearest centroid on the toy video vectors"
[experiments.centroid-video.branches.video]
extractor = "toy-video-extractor"
model = "toy-centroid"

[experiments.other-centroid]
dataset = "other-toy"
protocols = ["holdout"]
description = "nearest centroid on the other toy corpus"
[experiments.other-centroid.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"

[experiments.needs-absent]
dataset = "absent"
protocols = ["holdout"]
description = "a dataset that is not configured here"
[experiments.needs-absent.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """``avbench ARGS`` in a real process, in ``project``, with the toy plugins importable and a private cache."""
    env = {k: v for k, v in os.environ.items() if k != "AVBENCH_SITE_TEST_ABSENT_ROOT"}
    env.update(PYTHONPATH=os.pathsep.join([str(FIXTURES / "toy_plugins"), os.environ.get("PYTHONPATH", "")]),
               AVBENCH_CACHE=str(project / "cache"))
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def site_project(tmp_path_factory) -> Path:
    """A project folder whose ``leaderboards/site/`` holds the site of a finished toy run."""
    project = tmp_path_factory.mktemp("site-project")
    (project / "benchmark.toml").write_text(SITE_BENCHMARK)
    result = cli(project, "run", "benchmark.toml", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture(scope="session")
def site_board(site_project) -> Path:
    return site_project / "leaderboards" / "site"

"""benchmark.toml puts each reported number under the text's own protocol, or under none."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from avbench.config.schema import ReportedResult

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = tomllib.loads((ROOT / "benchmark.toml").read_text())["experiments"]
REPORTED = {name: exp["reported"] for name, exp in EXPERIMENTS.items() if "reported" in exp}
NUMBERS = ("accuracy", "macro_f1", "uar")


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_a_reported_protocol_is_one_the_experiment_runs(name):
    reported = ReportedResult(**REPORTED[name])
    assert not reported.protocol or reported.protocol in EXPERIMENTS[name]["protocols"]


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_numbers_from_speaker_dependent_or_pooled_evaluations_stand_on_no_row(name):
    reported = REPORTED[name]
    if any(w in reported.get("note", "") for w in ("speaker-dependent", "pooled", "not by actor")):
        assert not reported.get("protocol"), name


@pytest.mark.parametrize("name", sorted(n for n in REPORTED if n.split("-")[0] in ("demokritos2022", "ristea2019")
                                        or n.startswith("ravdess-cnn")))
def test_numbers_of_speaker_independent_texts_stand_on_their_protocols_row(name):
    reported = REPORTED[name]
    if any(m in reported for m in NUMBERS):
        assert reported.get("protocol") in EXPERIMENTS[name]["protocols"]


def test_docs_name_every_seed_systems_source():
    docs = (ROOT / "docs/seed-systems.md").read_text()
    for key in ("cuny2020", "demokritos2022", "sapienza2024", "ravdess-cnn", "ristea2019"):
        assert f"## {key}" in docs

"""Experiments whose output depends on the seed run several seeds by default; the others one."""

from __future__ import annotations

import pytest

from avbench.config.schema import BenchmarkSection
from avbench.registry import get_registry
from avbench.runner.run import run_benchmark
from avbench.runner.seeds import default_seeds, is_stochastic
from avbench.runner.units import BranchSpec, PluginSpec

SECTION = BenchmarkSection(name="x", seeds=[0], stochastic_seeds=[0, 1, 2])


def branch(model: str, augment: str | None = None) -> BranchSpec:
    return BranchSpec("audio", PluginSpec("mfcc-stats", "1", {}), PluginSpec(model, "1", {}),
                      PluginSpec(augment, "1", {}) if augment else None)


@pytest.mark.parametrize("model, stochastic", [
    ("sapienza-mfcc-cnn", True), ("cuny-lstm", True), ("random-forest", True), ("mlp", True),
    ("svm-rbf", False), ("logistic-regression", False), ("knn", False),
])
def test_the_model_class_declares_whether_it_is_stochastic(model, stochastic):
    assert is_stochastic([branch(model)], None, get_registry()) is stochastic
    assert default_seeds([branch(model)], None, SECTION, get_registry()) == ([0, 1, 2] if stochastic else [0])


def test_an_augmenter_makes_an_experiment_stochastic():
    assert is_stochastic([branch("svm-rbf", "audio-augment")], None, get_registry())


def test_a_fusion_is_stochastic_when_a_plugin_it_names_is():
    registry = get_registry()
    svms = [branch("svm-rbf")]
    forest = PluginSpec("stacking", "1", {"meta_classifier": {"plugin": "random-forest", "params": {}}})
    logreg = PluginSpec("stacking", "1", {"meta_classifier": {"plugin": "logistic-regression", "params": {}}})
    assert is_stochastic(svms, forest, registry)
    assert not is_stochastic(svms, logreg, registry)
    assert is_stochastic(svms, PluginSpec("joint-trunks", "1", {}), registry)


def test_the_runner_uses_stochastic_seeds_unless_the_experiment_names_its_own(toy_benchmark, tmp_path):
    path = toy_benchmark(extra="""
[experiments.noisy]
dataset = "toy"
protocols = ["holdout"]
[experiments.noisy.branches.audio]
extractor = "toy-extractor"
augment = "toy-noise"
model = "toy-centroid"

[experiments.noisy-pinned]
dataset = "toy"
protocols = ["holdout"]
seeds = [7]
[experiments.noisy-pinned.branches.audio]
extractor = "toy-extractor"
augment = "toy-noise"
model = "toy-centroid"
""")
    path.write_text(path.read_text().replace("seeds = [0]\n", "seeds = [0]\nstochastic_seeds = [0, 1]\n", 1))
    run_benchmark(path, progress=False, render=False)
    seeds = lambda exp: sorted(p.name for p in (tmp_path / f"runs/toy/{exp}/holdout").iterdir())  # noqa: E731
    assert seeds("centroid") == ["seed-0"]  # nothing stochastic: [benchmark] seeds
    assert seeds("noisy") == ["seed-0", "seed-1"]
    assert seeds("noisy-pinned") == ["seed-7"]

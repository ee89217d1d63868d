"""The dataset plugins are installed entry points that meet the contract (after a reinstall of ./plugins)."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from avbench.contract import PluginKind
from avbench.registry import discover

MODULES = {
    "synthetic-av": "avbench_plugins.datasets.synthetic_av",
    "ravdess": "avbench_plugins.datasets.ravdess",
    "crema-d": "avbench_plugins.datasets.crema_d",
    "rml": "avbench_plugins.datasets.rml",
    "savee": "avbench_plugins.datasets.savee",
    "iemocap": "avbench_plugins.datasets.iemocap",
    "enterface": "avbench_plugins.datasets.enterface",
    "nemo": "avbench_plugins.datasets.nemo",
    "ased": "avbench_plugins.datasets.ased",
}
AUDIO_ONLY = ("iemocap", "nemo", "ased")


@pytest.fixture(scope="module")
def dataset_registry():
    eps = [ep for ep in entry_points(group="avbench") if ep.value in MODULES.values()]
    return discover(eps)


def test_each_dataset_module_is_its_own_entry_point():
    declared = {ep.name: ep.value for ep in entry_points(group="avbench") if ep.value.startswith("avbench_plugins.datasets")}
    assert declared == MODULES


@pytest.mark.parametrize("name", sorted(MODULES))
def test_dataset_plugin_registers_without_problems(dataset_registry, name):
    assert dataset_registry.problems() == []
    info = dataset_registry.info(name, PluginKind.DATASET)
    assert info.module == MODULES[name]
    assert info.cls.labels and info.cls.modalities == (("audio",) if name in AUDIO_ONLY else ("audio", "video"))
    assert info.describe()["params"]["classes"] == []


def test_only_the_demo_is_embedded_and_synthetic(dataset_registry):
    flags = {n: (dataset_registry.info(n).cls.embedded, dataset_registry.info(n).cls.synthetic) for n in MODULES}
    assert flags == {"synthetic-av": (True, True), "ravdess": (False, False), "crema-d": (False, False),
                     "rml": (False, False), "savee": (False, False), "iemocap": (False, False),
                     "enterface": (False, False), "nemo": (False, False), "ased": (False, False)}

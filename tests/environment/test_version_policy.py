"""The version policy: configs, plugin versions and parameters, input hashes, device and threads are keyed;
library versions are pinned by the lock and recorded with every fold, never keyed."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from avbench.config.loader import load_config
from avbench.leaderboard.provenance import LIBRARIES
from avbench.registry import get_registry
from avbench.runner.determinism import result_libraries
from avbench.runner.plan import config_context, config_identity

ROOT = Path(__file__).resolve().parents[2]


def test_every_library_a_plugin_declares_is_recorded_with_every_fold():
    registry = get_registry()
    declared = {lib for info in registry.plugins.values() for lib in getattr(info.cls, "libraries", ())}
    assert declared, "no plugin declares its libraries: the audio extractors do"
    assert declared <= set(LIBRARIES), f"declared but not recorded: {sorted(declared - set(LIBRARIES))}"


def test_fold_records_name_the_installed_versions():
    recorded = result_libraries()
    for name in ("numpy", "scikit-learn", "librosa", "torch"):
        assert recorded[name] == metadata.version(name)


def identities(config, registry) -> dict:
    context = config_context(config, ROOT)
    out = {}
    for name, exp in config.experiments.items():
        for protocol in exp.protocols:
            try:
                out[(name, protocol)] = config_identity(config, name, protocol, registry, context)
            except Exception:  # a plugin whose files are not here: no identity to compare
                continue
    return out


def test_no_key_changes_when_a_library_version_changes(monkeypatch):
    registry = get_registry()
    config = load_config(ROOT / "benchmark.toml", registry)
    before = identities(config, registry)
    assert len(before) > 20
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "999.0+other" if name != "avbench" else real(name))
    after = identities(config, registry)
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert not changed, f"a library version reached the keys of {changed[:5]}"


def test_a_plugin_version_or_parameter_does_change_the_key():
    registry = get_registry()
    config = load_config(ROOT / "benchmark.toml", registry)
    context = config_context(config, ROOT)
    identity = config_identity(config, "ravdess-mfcc-svm", "loso", registry, context)
    branch = config.experiments["ravdess-mfcc-svm"].branches["audio"]
    branch.model.params = {**branch.model.params, "C": 123.0}
    assert config_identity(config, "ravdess-mfcc-svm", "loso", registry, context) != identity

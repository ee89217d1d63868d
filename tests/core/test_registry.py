"""Discovery: entry points load in isolation; broken and duplicate plugins are reported, not fatal."""

from __future__ import annotations

import json

import pytest

from avbench.cli.main import main
from avbench.registry import BrokenPluginError, UnknownPluginError, discover
from tests.conftest import FIXTURES

from .conftest import add_to_path


@pytest.fixture
def broken_installed(monkeypatch, toy_plugins):
    add_to_path(monkeypatch, FIXTURES / "broken_plugins")


def test_toy_package_is_discovered_through_its_entry_point(toy_plugins):
    registry = discover()
    info = registry.info("toy-centroid")
    assert info.source == "toy-avbench-plugins"
    assert info.kind.value == "model"


def test_broken_plugins_are_listed_and_all_others_keep_working(broken_installed):
    registry = discover()
    errors = " | ".join(registry.problems())
    assert "broken_import_plugin" in errors and "a_module_that_does_not_exist" in errors
    assert "this hook always fails" in errors
    assert "no-default-model" in errors and "no-version-model" not in registry.plugins
    # the sound class of the half-broken module and every other package still load
    assert "fine-model" in registry.plugins
    assert "toy-centroid" in registry.plugins and "actor-holdout" in registry.plugins


def test_using_a_broken_plugin_names_its_error(broken_installed):
    with pytest.raises(BrokenPluginError, match="Params must build with defaults"):
        discover().info("no-default-model")


def test_strict_discovery_refuses_broken_plugins(broken_installed):
    with pytest.raises(BrokenPluginError, match="--strict"):
        discover(strict=True)


def test_duplicate_names_are_an_error_naming_both_distributions(monkeypatch, toy_plugins):
    add_to_path(monkeypatch, FIXTURES / "duplicate_plugins")
    registry = discover()
    with pytest.raises(BrokenPluginError) as err:
        registry.info("toy-centroid")
    assert "toy-avbench-plugins" in str(err.value) and "dup-avbench-plugins" in str(err.value)


def test_unknown_name_suggests_the_closest(toy_plugins):
    with pytest.raises(UnknownPluginError, match="did you mean 'toy-centroid'"):
        discover().info("toy-centroid2")


def test_list_json_shows_plugins_and_broken_entries(broken_installed, capsys):
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = {p["name"]: p for p in listing["plugins"]}
    assert names["toy-extractor"]["modality"] == "audio"
    assert names["toy-extractor"]["output_kind"] == "vector"
    assert any("broken_import_plugin" in b["target"] for b in listing["broken"])


def test_list_strict_exits_2_on_broken_plugins(broken_installed, capsys):
    assert main(["list", "--strict"]) == 2
    assert "broken" in capsys.readouterr().err

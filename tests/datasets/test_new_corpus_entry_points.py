"""The corpora added with the open vocabulary are declared entry points in plugins/pyproject.toml that register.

The shared environment's installed metadata is only refreshed when the plugins are reinstalled,
so this reads the declarations from pyproject.toml, writes them as a dist-info on a temporary
path (as pip would) and discovers them from there.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import distributions
from pathlib import Path

import pytest

from avbench.contract import PluginKind
from avbench.registry import discover

PYPROJECT = Path(__file__).resolve().parents[2] / "plugins" / "pyproject.toml"
NEW = {"savee": ("avbench_plugins.datasets.savee", PluginKind.DATASET),
       "iemocap": ("avbench_plugins.datasets.iemocap", PluginKind.DATASET),
       "enterface": ("avbench_plugins.datasets.enterface", PluginKind.DATASET),
       "nemo": ("avbench_plugins.datasets.nemo", PluginKind.DATASET),
       "ased": ("avbench_plugins.datasets.ased", PluginKind.DATASET),
       "leave-one-session-out": ("avbench_plugins.protocols.leave_one_session_out", PluginKind.PROTOCOL)}


@pytest.fixture(scope="module")
def declared_registry(tmp_path_factory):
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"]["avbench"]
    assert {name: declared.get(name) for name in NEW} == {name: module for name, (module, _) in NEW.items()}
    site = tmp_path_factory.mktemp("site")
    info = site / "avbench_new_corpora-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: avbench-new-corpora\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[avbench]\n" + "".join(f"{n} = {m}\n" for n, (m, _) in NEW.items()))
    (dist,) = distributions(path=[str(site)])
    return discover([ep for ep in dist.entry_points if ep.group == "avbench"])


@pytest.mark.parametrize("name", sorted(NEW))
def test_each_new_plugin_is_declared_in_pyproject_and_registers_from_its_entry_point(declared_registry, name):
    assert declared_registry.problems() == []
    module, kind = NEW[name]
    info = declared_registry.info(name, kind)
    assert info.module == module
    assert not getattr(info.cls, "embedded", False) and not getattr(info.cls, "synthetic", False)

"""The complete example of docs/writing-a-plugin.md works as printed: it registers and passes every check."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from avbench.registry import Registry, new_manager
from avbench.testing import check_plugin

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"


def example_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    [source] = [b for b in blocks if "class Savee(Dataset)" in b and "def avbench_plugins" in b]
    return source


def test_the_documented_savee_plugin_registers_and_passes_every_check(tmp_path, monkeypatch):
    (tmp_path / "avbench_savee_doc_example.py").write_text(example_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    import avbench_savee_doc_example as module

    try:
        registry = Registry(new_manager())
        registry.register_module(module, "avbench-savee")
        assert registry.problems() == [] and registry.names() == ["savee"]
        results = check_plugin("savee", registry=registry)
        assert len(results) == 11
        assert [r.line() for r in results if r.status != "passed"] == []
    finally:
        sys.modules.pop("avbench_savee_doc_example", None)

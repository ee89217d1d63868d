"""torch is set up for a fold when the fold first imports it: an SVM-like fold never imports torch,
and a fold whose model imports torch late is seeded and deterministic all the same."""

from __future__ import annotations

import subprocess
import sys
import textwrap

RUN_FIRST_FOLD = """
import pickle
import sys
from pathlib import Path
from avbench.config.loader import load_config
from avbench.registry import get_registry
from avbench.runner.plan import build_plan, extraction_tasks, fold_units
from avbench.runner.worker import extract_chunk

path = Path(sys.argv[1])
registry = get_registry()
config = load_config(path, registry)
plan = build_plan(config, registry, path.parent, log=lambda m: None)
for task in extraction_tasks(plan):
    extract_chunk(task)
units, errors = fold_units(plan, config, registry, {})
Path(sys.argv[2]).write_bytes(pickle.dumps(units[0]))
"""

RUN_IN_A_FRESH_WORKER = """
import pickle, sys
from avbench.runner.worker import run_fold
record = run_fold(pickle.loads(open(sys.argv[1], "rb").read()))
assert record["status"] == "ok", record.get("error")
print(record["computed_with"]["device"], "torch" in sys.modules)
"""


def test_a_fold_that_never_uses_torch_never_imports_it(toy_benchmark, tmp_path):
    """As in a worker process: the unit arrives pickled, and only its own plugins' modules are imported."""
    path = toy_benchmark()
    unit = tmp_path / "unit.pkl"
    planned = subprocess.run([sys.executable, "-c", RUN_FIRST_FOLD, str(path), str(unit)], capture_output=True,
                             text=True, timeout=300)
    assert planned.returncode == 0, planned.stderr[-2000:]
    done = subprocess.run([sys.executable, "-c", RUN_IN_A_FRESH_WORKER, str(unit)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["cpu", "False"]


def test_torch_imported_after_the_fold_started_is_seeded_and_deterministic():
    script = textwrap.dedent("""
        import sys
        from avbench.runner.determinism import when_imported, _prepare_torch
        import functools
        assert "torch" not in sys.modules
        when_imported("torch", functools.partial(_prepare_torch, threads=1, seed=1234))
        import torch
        print(torch.initial_seed(), torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
        when_imported("torch", functools.partial(_prepare_torch, threads=1, seed=99))  # already imported: at once
        print(torch.initial_seed())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = done.stdout.splitlines()
    assert first.split() == ["1234", "True", "1"]
    assert second == "99"

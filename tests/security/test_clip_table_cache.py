"""A planted file in the shared cache runs no code; a clip table's digest is what it was with pickles."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from avbench.runner.clip_table import TABLES_DIR, ClipTable, load_clip_table
from avbench.runner.clip_table_format import ClipTableError, read_table_state
from tests.runner.test_clip_table import table_of

ROOT = Path(__file__).resolve().parents[2]

#: ``table_of().digest_through_data("head").hexdigest()`` as computed by the pickling clip table (main, 411e810).
DIGEST_BEFORE = "163a43f91dfe59906186524bc971372c22ae91263eda19eab85f110266c94cea"


class Planted:
    """Unpickling this creates the marker file: what a planted pickle would run."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant(path: Path, marker: Path) -> None:
    path.write_bytes(pickle.dumps({"clips": Planted(str(marker))}))


def test_a_planted_pickle_at_a_tables_name_runs_nothing_is_named_and_removed(tmp_path):
    path = table_of().save(tmp_path / "cache")
    marker = tmp_path / "ran"
    plant(path, marker)
    code = "import sys; from avbench.runner.clip_table import load_clip_table as l; l(sys.argv[1])"
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0 and not marker.exists()
    assert f"{path}: content does not hash to its name" in out.stderr and "removed, the next run" in out.stderr
    assert not path.exists()


def test_a_substituted_table_is_rewritten_by_the_next_save_and_named(tmp_path):
    table = table_of()
    path = table.save(tmp_path)
    intact = path.read_bytes()
    other = table_of(subjects=3).content()  # a real table of other clips, put under this name
    path.write_bytes(other)
    lines: list[str] = []
    assert table.save(tmp_path, log=lines.append) == path
    assert path.read_bytes() == intact
    assert lines == [f"{path}: content does not hash to its name (damaged or substituted); rewritten"]


def test_a_pickle_planted_in_the_cache_between_runs_runs_nothing_in_a_real_run(toy_benchmark, tmp_path, monkeypatch, capfd):
    from avbench.runner.run import run_benchmark

    monkeypatch.setenv("AVBENCH_CACHE", str(tmp_path / "cache"))
    config = toy_benchmark()
    assert run_benchmark(config, progress=False, log=lambda _l: None).exit_code == 0
    tables = tmp_path / "cache" / TABLES_DIR
    (path,) = tables.glob("*.json")
    marker = tmp_path / "ran"
    for planted in (path, path.with_suffix(".pkl")):  # the table's own name, and the name pickles had
        plant(planted, marker)
    (tmp_path / "runs").rename(tmp_path / "runs-before")  # every fold is computed again, reading the table
    summary = run_benchmark(config, progress=False, log=lambda _l: None)
    assert summary.exit_code == 0 and summary.done > 0
    assert not marker.exists()
    assert f"{path}: content does not hash to its name (damaged or substituted); rewritten" in capfd.readouterr().err


def test_a_tables_digest_and_fold_keys_are_those_of_the_pickling_table(tmp_path):
    table = table_of()
    assert table.digest_through_data("head").hexdigest() == DIGEST_BEFORE
    path = table.save(tmp_path)
    code = ("import sys; from avbench.runner.clip_table import load_clip_table as l; "
            "print(l(sys.argv[1]).digest_through_data('head').hexdigest())")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert out.stdout.strip() == DIGEST_BEFORE  # read back in another process: the same content
    loaded = ClipTable(**read_table_state(path))
    assert loaded.clips == table.clips and loaded.media_hashes == table.media_hashes
    assert {b: tuple(k) for b, k in loaded.feature_keys.items()} == dict(table.feature_keys)


def test_a_meta_value_that_json_cannot_hold_is_refused_naming_the_clip(tmp_path):
    from avbench.contract import Clip

    clip = Clip("c1", "s1", "happy", {"audio": "/x.wav"}, {"when": object()})
    table = ClipTable((clip,), ({"audio": "h"},), {"audio": ("k",)})
    with pytest.raises(ClipTableError, match=r"clip c1: meta: a object cannot be stored in a clip table"):
        table.save(tmp_path)
    tupled = ClipTable((Clip("c1", "s1", "happy", {"audio": "/x.wav"}, {"pair": (1, "a")}),), ({"audio": "h"},),
                       {"audio": ("k",)})
    assert load_clip_table(tupled.save(tmp_path / "t")).clips[0].meta == {"pair": (1, "a")}


UNSAFE = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|torch\.load\((?![^)]*weights_only\s*=\s*True)"
                    r"|joblib\.load\(|pd\.read_pickle|yaml\.load\((?![^)]*SafeLoader)")


def test_no_module_of_avbench_or_its_plugins_unpickles_what_it_reads():
    found = []
    for folder in ("avbench", "plugins", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if UNSAFE.search(line) and not line.lstrip().startswith("#"):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    allowed = ["avbench/testing/checks/common.py"]  # `avbench check` pickles a plugin and reads its own bytes back
    assert [f for f in found if not any(f.startswith(a) for a in allowed)] == []

"""Files written atomically get the mode ``open(path, "w")`` would give: 0o666 less the process umask."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

WRITE = """
import os, sys
from pathlib import Path
from avbench.storage.atomic import atomic_path, write_json
folder = Path(sys.argv[1])
write_json(folder / "record.json", {"ok": True})
with atomic_path(folder / "frame.parquet") as tmp:
    tmp.write_bytes(b"bytes")
with open(folder / "plain.txt", "w") as handle:
    handle.write("x")
print(os.umask(0o022) == int(sys.argv[2], 8))
"""


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_respect_the_umask_like_an_ordinary_open(tmp_path, umask):
    result = subprocess.run([sys.executable, "-c", WRITE, str(tmp_path), oct(umask)], capture_output=True,
                            text=True, preexec_fn=lambda: os.umask(umask), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # reading the umask at import left it as it was
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"record.json": 0o666 & ~umask, "frame.parquet": 0o666 & ~umask, "plain.txt": 0o666 & ~umask}

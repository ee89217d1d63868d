"""``avbench data verify``: a tree against a checksum list, run as a real process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from avbench.integrity.checksums import ManifestError, read_manifest


def avbench(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "avbench.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny CREMA-D-like tree and its LFS-style manifest (PATH sha256:HEX SIZE)."""
    root = tmp_path / "crema-d"
    (root / "AudioWAV").mkdir(parents=True)
    lines = []
    for i, name in enumerate(("1001_DFA_ANG_XX.wav", "1001_DFA_HAP_XX.wav", "1002_DFA_SAD_XX.wav")):
        data = bytes(range(256)) * (i + 3)
        (root / "AudioWAV" / name).write_bytes(data)
        lines.append(f"AudioWAV/{name} sha256:{hashlib.sha256(data).hexdigest()} {len(data)} \n")
    (root / "VideoDemographics.csv").write_text("not listed, not in a listed folder\n")
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("".join(lines))
    return root, manifest


def test_an_intact_tree_passes(tree):
    root, manifest = tree
    result = avbench("data", "verify", "crema-d", "--root", str(root), "--manifest", str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 listed, 3 present; 0 missing, 0 extra, 0 mismatched (OK" in result.stdout


def test_one_changed_byte_fails_naming_the_file(tree):
    root, manifest = tree
    target = root / "AudioWAV" / "1001_DFA_HAP_XX.wav"
    data = bytearray(target.read_bytes())
    data[100] ^= 1
    target.write_bytes(bytes(data))
    result = avbench("data", "verify", "crema-d", "--root", str(root), "--manifest", str(manifest))
    assert result.returncode == 1
    (line,) = [l for l in result.stdout.splitlines() if l.startswith("mismatch")]
    assert line.startswith("mismatch AudioWAV/1001_DFA_HAP_XX.wav: sha256 ")


def test_missing_and_extra_files_are_named_one_line_each(tree):
    root, manifest = tree
    (root / "AudioWAV" / "1002_DFA_SAD_XX.wav").unlink()
    (root / "AudioWAV" / "1003_DFA_SAD_XX.wav").write_bytes(b"x")
    (root / "AudioWAV" / "1001_DFA_ANG_XX.wav").write_bytes(b"short")
    result = avbench("data", "verify", "crema-d", "--root", str(root), "--manifest", str(manifest))
    assert result.returncode == 1
    lines = [l for l in result.stdout.splitlines() if not l.startswith("crema-d at")]
    assert lines == ["missing AudioWAV/1002_DFA_SAD_XX.wav", "extra AudioWAV/1003_DFA_SAD_XX.wav",
                     "mismatch AudioWAV/1001_DFA_ANG_XX.wav: size 5, expected 768"]


def test_the_root_comes_from_the_config_and_the_listed_folder_may_be_given_itself(tree, tmp_path):
    root, manifest = tree
    config = tmp_path / "bench.toml"
    config.write_text('[benchmark]\nname = "t"\n[datasets.crema-d]\nplugin = "crema-d"\n[protocols.loso]\n'
                      'plugin = "loso"\n[experiments.e]\ndataset = "crema-d"\nprotocols = ["loso"]\n'
                      '[experiments.e.branches.audio]\nextractor = "mfcc"\nmodel = "svm-rbf"\n')
    env = {**os.environ, "AVBENCH_CREMA_D_ROOT": str(root / "AudioWAV")}
    result = subprocess.run([sys.executable, "-m", "avbench.cli.main", "data", "verify", "crema-d", "--config",
                             str(config), "--manifest", str(manifest)], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"crema-d at {root}:" in result.stdout


def test_a_malformed_manifest_line_is_an_error_naming_file_and_line(tmp_path):
    manifest = tmp_path / "m.txt"
    manifest.write_text("AudioWAV/a.wav sha256:00 1\nnot a checksum line\n")
    with pytest.raises(ManifestError, match=r"m.txt line 2"):
        read_manifest(manifest)
    manifest.write_text("../etc/passwd sha256:00 1\n")
    with pytest.raises(ManifestError, match="not inside the dataset root"):
        read_manifest(manifest)


CREMA_D = os.environ.get("AVBENCH_CREMA_D_ROOT")
META = os.environ.get("AVBENCH_CREMA_D_META")


@pytest.mark.skipif(not (CREMA_D and META), reason="AVBENCH_CREMA_D_ROOT (the AudioWAV release) and "
                    "AVBENCH_CREMA_D_META (with AudioWAV_lfs_manifest.txt) are not both set")
def test_the_real_crema_d_tree_matches_the_official_checksums():
    result = avbench("data", "verify", "crema-d", "--root", CREMA_D, "--manifest",
                     str(Path(META) / "AudioWAV_lfs_manifest.txt"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "7442 listed, 7442 present; 0 missing, 0 extra, 0 mismatched (OK" in result.stdout

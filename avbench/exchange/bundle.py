"""The bundle format: a folder (or its ``.tar.gz``) with ``manifest.json``, ``folds.json`` and ``records/``.

``records/<experiment>/<protocol>/seed-N/<fold>.json`` and ``.parquet`` are the run folder's files,
byte for byte. ``folds.json`` gives, per experiment and protocol, the clips (subject, label, media
content hashes), the folds (clip ids of each side) and the clips skipped as bad media: with the
maintainer's config, everything a fold fingerprint is computed from. ``manifest.json`` names the
schema version, the submitter, the machine, and the sha256 of every other file.

The same folds give the same bytes: ``created`` is the finish time of the bundle's latest fold, not the
time of export, and the archive has sorted members with fixed times and owners and a gzip header without
a time.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from avbench.contract.errors import AvbenchError
from avbench.storage.fold_store import file_sha256

from .free_fields import machine_problems
from .limits import DEFAULT_LIMITS, BundleLimits, LimitError, human, read_json_bounded, unpacked_limit
from .submitter_names import SubmitterError, submitter_name, submitter_slug  # noqa: F401 (submitter_slug: API)

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
FOLDS = "folds.json"
RECORDS = "records"
MANIFEST_KEYS = ("schema_version", "submitter", "created", "avbench_version", "machine", "benchmark",
                 "experiments", "files")


class BundleError(AvbenchError):
    """A bundle cannot be made, read or accepted; ``lines`` holds one message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def default_submitter(where: Path) -> str | None:
    """``git config user.name`` at ``where``, or None when git does not say."""
    try:
        out = subprocess.run(["git", "config", "user.name"], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_details() -> dict[str, Any]:
    """Platform, CPU, GPU (when the NVIDIA driver names one) and library versions, without importing torch."""
    from avbench.leaderboard.provenance import library_versions

    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": _cpu_name() or platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "gpu": _gpu_names(), "libraries": library_versions()}


def _cpu_name() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _gpu_names() -> list[str]:
    names = []
    for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
        match = re.search(r"^Model:\s*(.+)$", info.read_text(errors="replace"), re.MULTILINE)
        if match:
            names.append(match.group(1).strip())
    return names


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def folds_date(records: list[dict[str, Any]]) -> str:
    """The latest ``finished`` time of ``records`` to the second (UTC ISO), or '' when none says: a bundle's date."""
    latest = ""
    for record in records:
        try:
            finished = datetime.fromisoformat(str(record.get("finished") or ""))
        except ValueError:
            continue
        if finished.tzinfo is None:
            finished = finished.replace(tzinfo=timezone.utc)
        latest = max(latest, finished.astimezone(timezone.utc).replace(microsecond=0).isoformat())
    return latest


def bundle_files(folder: Path) -> list[str]:
    """Every file of a bundle folder but the manifest, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                  and p.relative_to(folder).as_posix() != MANIFEST)


def write_manifest(folder: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` with ``fields`` and the sha256 of every other file of ``folder``."""
    manifest = {"schema_version": SCHEMA_VERSION, **fields,
                "files": {name: file_sha256(folder / name) for name in bundle_files(folder)}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def pack(folder: Path, target: Path) -> None:
    """``folder`` as a deterministic ``.tar.gz`` (sorted names, no owners, no times): same files, same bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in [MANIFEST, *bundle_files(folder)]:
            data = (folder / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
            tar.addfile(info, io.BytesIO(data))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buffer.getvalue())


def is_archive(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


@contextmanager
def opened(path: Path, limits: BundleLimits = DEFAULT_LIMITS) -> Iterator[Path]:
    """The bundle at ``path`` as a folder: itself, or its archive unpacked into a temporary folder.

    An archive is read as one stream: each member's name, type and declared size are checked against
    ``limits`` before any of it is written, and only plain files with relative names are unpacked; a
    folder's files are checked the same way (by ``lstat``). The temporary folder is always removed.
    """
    path = Path(path)
    if path.is_dir():
        problem = _folder_problem(path, limits)
        if problem:
            raise BundleError([f"{path}: {problem}"])
        yield path
        return
    if not path.exists():
        raise BundleError([f"{path}: no such bundle (expected a bundle folder or a .tar.gz)"])
    tmp = Path(tempfile.mkdtemp(prefix="avbench-bundle-"))
    try:
        try:
            _unpack(path, tmp, limits)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BundleError([f"{path}: not a readable bundle archive ({type(exc).__name__}: {exc})"]) from None
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unpack(path: Path, target: Path, limits: BundleLimits) -> None:
    """Stream the archive's members into ``target``, refusing the first one beyond a limit or not a plain file."""
    seen: set[str] = set()
    total = 0
    allowed, why = unpacked_limit(limits, path.stat().st_size)
    with tarfile.open(path, "r|*") as tar:
        for count, member in enumerate(tar, start=1):
            name = member.name
            if count > limits.members:
                raise BundleError([f"{path}: more than {limits.members} members (the limit)"])
            if member.isdir():
                continue
            if not member.isfile() or name.startswith("/") or ".." in Path(name).parts or "\0" in name:
                raise BundleError([f"{path}: member {name!r} is not a plain file inside the bundle"])
            if member.issparse() or any(k.startswith("GNU.sparse") for k in member.pax_headers):
                raise BundleError([f"{path}: member {name!r} is a sparse file; a bundle holds plain files only"])
            normal = Path(name).as_posix().removeprefix("./")
            if normal in seen:
                raise BundleError([f"{path}: member {name!r} appears twice (one file each, expected)"])
            seen.add(normal)
            if member.size > limits.member_bytes:
                raise BundleError([f"{path}: member {name!r} declares {human(member.size)}, above the limit of "
                                   f"{human(limits.member_bytes)} per file"])
            total += member.size
            if total > allowed:
                raise BundleError([f"{path}: members unpack to more than {human(allowed)} ({why}); "
                                   f"refused at {name!r}"])
            destination = target / normal
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            with open(destination, "xb") as out:
                left = member.size
                while left > 0:
                    chunk = source.read(min(left, 1 << 20))
                    if not chunk:
                        raise EOFError(f"member {name!r} is cut short")
                    out.write(chunk)
                    left -= len(chunk)


def _folder_problem(folder: Path, limits: BundleLimits) -> str | None:
    """The first limit a bundle folder breaks (members, per-file and total size, sparse files), or None."""
    total = count = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            count += 1
            if count > limits.members:
                return f"more than {limits.members} files (the limit)"
            info = os.lstat(os.path.join(root, name))
            relative = Path(root, name).relative_to(folder).as_posix()
            if info.st_size > limits.member_bytes:
                return f"{relative} is {human(info.st_size)}, above the limit of {human(limits.member_bytes)} per file"
            total += info.st_size
            if total > limits.total_bytes:
                return f"its files hold more than {human(limits.total_bytes)} (the limit)"
    return None


def read_manifest(folder: Path, label: str, limits: BundleLimits = DEFAULT_LIMITS
                  ) -> tuple[dict[str, Any] | None, list[str]]:
    """The manifest and one line per problem: schema, required keys, and every file against its sha256."""
    try:
        manifest = read_json_bounded(folder / MANIFEST, f"{label}/{MANIFEST}", limits.manifest_bytes, limits)
    except FileNotFoundError:
        return None, [f"{label}: no {MANIFEST} (expected a bundle made by `avbench export`)"]
    except LimitError as exc:
        return None, [str(exc)]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, [f"{label}/{MANIFEST}: does not read back as JSON ({type(exc).__name__})"]
    if not isinstance(manifest, dict):
        return None, [f"{label}/{MANIFEST}: expected a JSON object"]
    if manifest.get("schema_version") != SCHEMA_VERSION:
        return None, [f"{label}/{MANIFEST}: schema_version {manifest.get('schema_version')!r}, expected "
                      f"{SCHEMA_VERSION} (this avbench reads bundles of schema {SCHEMA_VERSION})"]
    problems = [f"{label}/{MANIFEST}: key {k!r} missing" for k in MANIFEST_KEYS if k not in manifest]
    files = manifest.get("files")
    if not isinstance(files, dict):
        return None, problems + [f"{label}/{MANIFEST}: 'files' must map each file to its sha256"]
    try:
        submitter_name(manifest.get("submitter"))
    except SubmitterError as exc:
        problems.append(f"{label}/{MANIFEST}: 'submitter' {exc}")
    problems += [f"{label}/{MANIFEST}: {line}" for line in machine_problems(manifest.get("machine"))]
    links = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_symlink())
    if links:
        return None, problems + [f"{label}/{name}: a link; a bundle holds plain files only" for name in links]
    present = set(bundle_files(folder))
    for name, digest in sorted(files.items()):
        if name not in present:
            problems.append(f"{label}/{name}: listed in the manifest but absent")
        elif file_sha256(folder / name) != digest:
            problems.append(f"{label}/{name}: sha256 does not match the manifest (edited or corrupt)")
    for name in sorted(present - set(files)):
        problems.append(f"{label}/{name}: not listed in the manifest")
    return manifest, problems

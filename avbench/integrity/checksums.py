"""A dataset tree against a published checksum list: missing, extra and mismatched files, one line each.

Two list formats are read: Git LFS manifests as CREMA-D publishes them (``PATH sha256:HEX SIZE``,
one file a line) and ``sha256sum`` output (``HEX  PATH``, or ``HEX *PATH``). Paths are relative to
the dataset root. *Extra* files are the files (not hidden) in a folder the list covers that it does
not name: files elsewhere in the root (other media, metadata) are not the list's business.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CHUNK = 1 << 20
_LFS = re.compile(r"^(?P<path>.+?)\s+(?P<algo>[a-z0-9_]+):(?P<hex>[0-9a-fA-F]+)\s+(?P<size>\d+)\s*$")
_SUMS = re.compile(r"^(?P<hex>[0-9a-fA-F]{64})\s[ *](?P<path>.+?)\s*$")


class ManifestError(ValueError):
    """A checksum list that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    """One listed file: its path under the root, algorithm, expected digest and (when listed) size."""

    path: str
    algorithm: str
    digest: str
    size: int | None = None


@dataclass
class Report:
    """What :func:`verify_tree` found; ``ok`` when nothing is missing, extra or mismatched."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)  # "PATH: what differs"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.mismatched)

    def lines(self) -> list[str]:
        """One line per problem, named by its file, sorted by kind then path."""
        return ([f"missing {p}" for p in self.missing] + [f"extra {p}" for p in self.extra]
                + [f"mismatch {p}" for p in self.mismatched])


def read_manifest(path: Path) -> list[Entry]:
    """The entries of a checksum list; ManifestError naming the file and line of anything else."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the checksum list: {exc}") from None
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        lfs, sums = _LFS.match(line), _SUMS.match(line)
        if lfs:
            entry = Entry(lfs["path"], lfs["algo"], lfs["hex"].lower(), int(lfs["size"]))
        elif sums:
            entry = Entry(sums["path"], "sha256", sums["hex"].lower())
        else:
            raise ManifestError(f"{path} line {number}: expected 'PATH sha256:HEX SIZE' or 'HEX  PATH', "
                                f"got {line[:80]!r}")
        relative = PurePosixPath(entry.path)
        if relative.is_absolute() or ".." in relative.parts:
            raise ManifestError(f"{path} line {number}: path {entry.path!r} is not inside the dataset root")
        if entry.algorithm not in hashlib.algorithms_available:
            raise ManifestError(f"{path} line {number}: unknown hash algorithm {entry.algorithm!r}")
        if entry.path in seen:
            raise ManifestError(f"{path} line {number}: {entry.path} is listed twice")
        seen.add(entry.path)
        entries.append(entry)
    if not entries:
        raise ManifestError(f"{path}: no checksum lines")
    return entries


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def listed_root(root: Path, entries: list[Entry]) -> Path:
    """``root``, or its parent when ``root`` is the one folder the list names every file in (``AudioWAV``)."""
    tops = {PurePosixPath(e.path).parts[0] for e in entries if len(PurePosixPath(e.path).parts) > 1}
    if len(tops) == 1 and root.name in tops and not (root / next(iter(tops))).exists():
        return root.parent
    return root


def verify_tree(root: Path, entries: list[Entry]) -> Report:
    """Compare every listed file under ``root`` (size first, then digest) and look for unlisted ones."""
    report = Report()
    listed = {e.path for e in entries}
    for entry in sorted(entries, key=lambda e: e.path):
        path = root / entry.path
        if not path.is_file():
            report.missing.append(entry.path)
            continue
        report.checked += 1
        size = path.stat().st_size
        if entry.size is not None and size != entry.size:
            report.mismatched.append(f"{entry.path}: size {size}, expected {entry.size}")
            continue
        found = file_digest(path, entry.algorithm)
        if found != entry.digest:
            report.mismatched.append(f"{entry.path}: {entry.algorithm} {found}, expected {entry.digest}")
    folders = sorted({PurePosixPath(p).parent for p in listed})
    for folder in folders:
        here = root / folder
        if not here.is_dir():
            continue
        for path in sorted(here.iterdir()):
            relative = (folder / path.name).as_posix()
            if path.is_file() and not path.name.startswith(".") and relative not in listed:
                report.extra.append(relative)
    return report

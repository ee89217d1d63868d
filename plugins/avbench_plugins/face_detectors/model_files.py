"""Finding pretrained files (explicit path param, else the ``models`` resource folder) and hashing them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from avbench.contract import ResourceMissingError, RunContext

MODELS_ENV = "AVBENCH_MODELS"

_digests: dict[tuple[str, int, int], str] = {}


def model_file(context: RunContext, explicit: str | None, default_name: str, param: str, owner: str) -> Path:
    """The pretrained file ``owner`` needs: ``explicit`` when given, else ``<models folder>/default_name``.

    Raises ResourceMissingError saying which file to put where and which variable or parameter to set.
    """
    how = (f"set {MODELS_ENV} (or resources.models in the benchmark config) to the folder holding "
           f"{default_name}, or give the file with the parameter {param!r}")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ResourceMissingError(f"{owner}: {param}={explicit!r} is not a file; put {default_name} "
                                       f"there or {how}")
        return path
    folder = context.resource("models", env=MODELS_ENV)
    if folder is None:
        raise ResourceMissingError(f"{owner} needs the pretrained file {default_name}: {how}")
    path = folder / default_name
    if not path.is_file():
        raise ResourceMissingError(f"{owner} needs {path}: put {default_name} in {folder} or {how}")
    return path


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content, remembered per (path, size, mtime) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _digests[key] = h.hexdigest()
    return _digests[key]

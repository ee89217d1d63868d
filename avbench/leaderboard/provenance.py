"""What produced a result: versions, commit, device, date."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

#: Recorded with every fold and on the board. Libraries are pinned by ``requirements.lock`` and never keyed;
#: every library a plugin declares (``Plugin.libraries``) must be here (tests/environment/test_version_policy.py).
LIBRARIES = ["numpy", "scipy", "scikit-learn", "torch", "transformers", "librosa", "soxr", "soundfile", "av",
             "numba", "opencv-contrib-python", "mediapipe", "opensmile", "pyAudioAnalysis", "h5py", "polars",
             "pydantic", "pluggy", "threadpoolctl", "avbench-plugins"]


def git_commit(where: Path) -> str:
    """The commit of the git checkout at ``where``, ``+dirty`` when tracked files differ from it; else ``unknown``."""
    from avbench.runner.determinism import source_revision

    revision = source_revision(where)
    if revision["commit"] == "unknown":
        return "unknown"
    return revision["commit"] + ("+dirty" if revision["dirty"] else "")


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "processor": platform.processor() or platform.machine()}
    try:
        import torch

        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        info["cuda"] = None
    return info


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()

"""GPU slots on one machine: which units want CUDA, which GPUs there are, and who holds each slot.

A unit wants CUDA when a plugin it runs said so at planning (:meth:`Plugin.wants_cuda`, carried as
``PluginSpec.cuda``). Each slot is a ``CUDA_VISIBLE_DEVICES`` value: with ``gpus_per_unit = 1`` one
slot per GPU; with a fraction (0.5) several slots share a GPU; with a whole number above 1 (2) a
slot holds that many GPUs. A slot runs one unit at a time.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from typing import Any, Sequence

#: The GPUs avbench may use: a count (``2``: GPUs 0 and 1) or a list of ids (``0,2``). It overrides
#: detection; on a machine without GPUs it gives virtual ones (tests of the scheduling).
GPUS_VARIABLE = "AVBENCH_GPUS"


def unit_wants_cuda(unit: Any) -> bool:
    """Whether a work unit runs a plugin on CUDA: an extraction chunk any of its extractor settings; a fold
    any of its plugins (a fold runs its extractors too: to time latency, or to redo a damaged cache entry)."""
    extractor = getattr(unit, "extractor", None)
    if extractor is not None:
        specs = getattr(unit, "specs", (extractor,))  # a chunk may carry several settings of one modality
        return any(getattr(spec, "cuda", False) for spec in specs)
    specs = [getattr(unit, "fusion", None)]
    for branch in getattr(unit, "branches", ()):
        specs += [branch.extractor, branch.model, branch.augment]
    return any(getattr(spec, "cuda", False) for spec in specs if spec is not None)


def parse_gpus(value: str, where: str = f"${GPUS_VARIABLE}") -> list[str]:
    """GPU ids from ``2`` (a count) or ``0,2`` (ids); one clear line when it is neither."""
    text = value.strip()
    if text.isdigit() and "," not in text:
        return [str(i) for i in range(int(text))]
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids or not all(i.isdigit() for i in ids):
        raise ValueError(f"{where} = {value!r}: expected a GPU count (2) or comma-separated GPU ids (0,2)")
    return ids


def visible_gpus() -> list[str]:
    """GPU ids this run may use: ``$AVBENCH_GPUS``, else ``$CUDA_VISIBLE_DEVICES``, else ``nvidia-smi -L``."""
    if os.environ.get(GPUS_VARIABLE, "").strip():
        return parse_gpus(os.environ[GPUS_VARIABLE])
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return [i.strip() for i in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if i.strip() and i.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    count = sum(line.startswith("GPU ") for line in listing.stdout.splitlines()) if listing.returncode == 0 else 0
    return [str(i) for i in range(count)]


def slot_devices(gpus: Sequence[str], gpus_per_unit: float) -> list[str]:
    """The ``CUDA_VISIBLE_DEVICES`` value of each slot, GPU by GPU."""
    if gpus_per_unit <= 0:
        raise ValueError(f"gpus_per_unit = {gpus_per_unit}: expected a positive number")
    if gpus_per_unit <= 1:
        per_gpu = max(1, math.floor(1 / gpus_per_unit + 1e-9))
        return [gpu for gpu in gpus for _ in range(per_gpu)]
    if gpus_per_unit != int(gpus_per_unit):
        raise ValueError(f"gpus_per_unit = {gpus_per_unit}: above 1 it must be a whole number of GPUs")
    size = int(gpus_per_unit)
    if gpus and size > len(gpus):
        raise ValueError(f"gpus_per_unit = {size} but only {len(gpus)} GPU(s) are visible ({','.join(gpus)})")
    return [",".join(gpus[i:i + size]) for i in range(0, len(gpus) - size + 1, size)]


class GpuSlots:
    """Free and held GPU slots; a unit that wants CUDA runs only once it holds one."""

    def __init__(self, gpus: Sequence[str], gpus_per_unit: float = 1.0) -> None:
        self.devices = slot_devices(list(gpus), gpus_per_unit)
        self._free = list(range(len(self.devices)))

    def __len__(self) -> int:
        return len(self.devices)

    def acquire(self) -> int | None:
        """A free slot's index (lowest first), now held; None when every slot is held."""
        return self._free.pop(0) if self._free else None

    def release(self, slot: int) -> None:
        if slot not in self._free:
            self._free.append(slot)
            self._free.sort()

    @property
    def free(self) -> int:
        return len(self._free)

"""The toy dataset with a gender per subject (for breakdown tests): odd subjects male, even female, the last unknown."""

from __future__ import annotations

from pathlib import Path

from toy_avbench_plugins import ToyDataset

from avbench import hookimpl
from avbench.contract import Clip


def gender_of(subject: str, subjects: int) -> str:
    number = int(subject)
    return "unknown" if number == subjects else ("male" if number % 2 else "female")


class GenderedToyDataset(ToyDataset):
    name = "gendered-toy-dataset"

    def clips(self, root: Path) -> list[Clip]:
        return [Clip(c.clip_id, c.subject, c.label, c.media,
                     {**c.meta, "gender": gender_of(c.subject, self.params.subjects)})
                for c in super().clips(root)]


@hookimpl
def avbench_plugins():
    return [GenderedToyDataset]

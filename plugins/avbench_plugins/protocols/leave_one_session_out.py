"""Leave-one-session-out: one fold per recording session (IEMOCAP's standard protocol).

IEMOCAP's sessions hold two speakers each and the field tests them together, so grouping by
speaker (``loso``) is not the standard. This protocol groups clips by a value of their ``meta``
(``group_by``, default ``session``) and tests each group once; every subject must lie in one
group only, so no speaker is ever on both sides of a fold.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from pydantic import Field

from avbench import hookimpl
from avbench.contract import Clip, Fold, Protocol

from .subjects import clips_of, spelled_as_in, subject_key
from .validation import ValidationParams, apply_val_in_training


def _order(value: Any) -> tuple[int, float, str]:
    return (0, float(value), "") if isinstance(value, (int, float)) else (1, 0.0, str(value))


class LeaveOneSessionOut(Protocol):
    """Each group of ``meta[group_by]`` (a session) is the test set once; ``val_groups`` next groups validate."""

    name = "leave-one-session-out"
    version = "1.0"

    class Params(ValidationParams):
        group_by: str = Field("session", min_length=1, description="the clip meta key that names the group")
        val_groups: int = Field(0, ge=0, description="groups after the test group kept for early stopping per fold")

    @classmethod
    def conformance_clips(cls, tmp_dir: Path) -> list[Clip]:
        """IEMOCAP-like clips: 6 sessions x a female and a male speaker x 4 emotions x 2 takes."""
        return [Clip(f"Ses{s:02d}{g}-{label}-{take}", f"Ses{s:02d}{g}", label,
                     {"audio": f"conformance-unused/Ses{s:02d}{g}-{label}-{take}.wav"},
                     {"session": s, "gender": "female" if g == "F" else "male"})
                for s in range(1, 7) for g in "FM" for label in ("neutral", "happy", "sad", "angry")
                for take in (1, 2)]

    def groups(self, clips: Sequence[Clip]) -> dict[Any, frozenset[str]]:
        """Group value -> its subjects (canonical keys); ValueError for a clip without the key or a split subject."""
        key = self.params.group_by
        members: dict[Any, set[str]] = defaultdict(set)
        where: dict[str, set[Any]] = defaultdict(set)
        for clip in clips:
            if key not in clip.meta:
                raise ValueError(f"protocol {self.name!r}: clip {clip.clip_id} has no meta[{key!r}] "
                                 f"(has: {sorted(clip.meta)}); set group_by to a key every clip has")
            value = clip.meta[key]
            members[value].add(subject_key(clip.subject))
            where[subject_key(clip.subject)].add(value)
        split = {s: sorted(v, key=_order) for s, v in where.items() if len(v) > 1}
        if split:
            shown = "; ".join(f"{s} in {v}" for s, v in sorted(split.items())[:5])
            raise ValueError(f"protocol {self.name!r}: subjects in more than one {key}: {shown}")
        return {value: frozenset(members[value]) for value in sorted(members, key=_order)}

    def folds(self, clips: Sequence[Clip]) -> list[Fold]:
        groups = self.groups(clips)
        values = list(groups)
        if len(values) < 2 + self.params.val_groups:
            raise ValueError(f"protocol {self.name!r} needs at least {2 + self.params.val_groups} values of "
                             f"meta[{self.params.group_by!r}], got {len(values)}")
        folds = []
        for i, held in enumerate(values):
            val = frozenset().union(*(groups[values[(i + k) % len(values)]]
                                      for k in range(1, self.params.val_groups + 1)))
            test = groups[held]
            train = frozenset().union(*groups.values()) - val - test
            fold = Fold(f"{self.params.group_by}-{held}", train=clips_of(clips, train), val=clips_of(clips, val),
                        test=clips_of(clips, test), test_subjects=spelled_as_in(clips, test))
            folds.append(apply_val_in_training(fold, self.params.val_in_training))
        return folds


@hookimpl
def avbench_plugins() -> list[type]:
    return [LeaveOneSessionOut]

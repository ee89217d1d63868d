"""Subject-id helpers shared by the protocols: configs name actors by number, clips carry strings."""

from __future__ import annotations

from typing import Iterable, Sequence

from avbench.contract import Clip


def subject_key(subject: str) -> str:
    """Canonical form of a subject id: ``"01"``, ``"1"`` and ``1`` all become ``"1"``."""
    text = str(subject).strip()
    return str(int(text)) if text.isdigit() else text


def subject_set(ids: Iterable[int | str]) -> frozenset[str]:
    return frozenset(subject_key(s) for s in ids)


def subjects_of(clips: Sequence[Clip]) -> list[str]:
    """Distinct subjects, canonical form (numeric ids sorted numerically)."""
    seen = {subject_key(c.subject) for c in clips}
    return sorted(seen, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s))


def spelled_as_in(clips: Sequence[Clip], subjects: Iterable[str]) -> tuple[str, ...]:
    """Canonical subject keys back in the clips' own spelling (``"1"`` -> ``"01"``), sorted."""
    spelling = {subject_key(c.subject): c.subject for c in clips}
    return tuple(sorted((spelling.get(s, s) for s in subjects), key=lambda s: (len(s), s)))


def clips_of(clips: Sequence[Clip], subjects: frozenset[str]) -> tuple[str, ...]:
    return tuple(c.clip_id for c in clips if subject_key(c.subject) in subjects)


def require_known(name: str, field: str, wanted: frozenset[str], present: Iterable[str]) -> None:
    """A protocol naming subjects the data lacks is a configuration error, said plainly."""
    missing = sorted(wanted - set(present))
    if missing:
        raise ValueError(f"protocol {name!r}: {field} names subjects not in the data: {', '.join(missing)}")

"""Protocol checks on a tiny clip list: folds well formed, subjects never on both sides, deterministic."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator, Sequence

from avbench.contract import Clip, Fold, Plugin, Protocol

from ..hooks import declared_clips, make_plugin
from ..sandbox import Workspace
from .common import Check, yield_common_checks

LABELS = ("neutral", "happy", "sad", "angry")


def default_clips() -> list[Clip]:
    """24 subjects ``01``..``24`` (RAVDESS-style ids; odd male, even female) x 4 emotions x 2 takes."""
    return [Clip(clip_id=f"{s:02d}-{label}-{take}", subject=f"{s:02d}", label=label,
                 media={"audio": f"conformance-unused/{s:02d}-{label}-{take}.wav"},
                 meta={"gender": "male" if s % 2 else "female", "take": take})
            for s in range(1, 25) for label in LABELS for take in (1, 2)]


def protocol_clips(cls: type[Protocol], ws: Workspace) -> list[Clip]:
    return declared_clips(cls, ws.data) or default_clips()


def folds_of(cls: type[Protocol], ws: Workspace, clips: Sequence[Clip], cache: str = "cache") -> list[Fold]:
    folds = make_plugin(cls, ws, cache=cache).folds(clips)  # type: ignore[attr-defined]
    assert isinstance(folds, list) and folds, f"folds() returned {type(folds).__name__} {folds!r:.80}, " \
                                              "expected a non-empty list of Fold"
    assert all(isinstance(f, Fold) for f in folds), "folds() must return Fold objects"
    return folds


def run(cls: type[Protocol], body: Callable[[Workspace, list[Clip]], None]) -> None:
    with Workspace() as ws:
        clips = protocol_clips(cls, ws)
        with ws.entered():
            body(ws, clips)


PARTS = ("train", "val", "meta", "test")


def check_folds_valid(cls: type[Protocol]) -> None:
    """Unique fold names; train and test non-empty; ids come from the input; no clip twice in one fold."""
    def body(ws: Workspace, clips: list[Clip]) -> None:
        folds = folds_of(cls, ws, clips)
        names = [f.name for f in folds]
        assert all(isinstance(n, str) and n for n in names), f"fold names must be non-empty strings: {names[:5]}"
        assert len(set(names)) == len(names), f"fold names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}"
        known = {c.clip_id for c in clips}
        subject = {c.clip_id: c.subject for c in clips}
        for fold in folds:
            assert fold.train and fold.test, f"fold {fold.name}: train and test must not be empty"
            ids = [i for part in PARTS for i in getattr(fold, part)]
            unknown = sorted(set(ids) - known)
            assert not unknown, f"fold {fold.name}: ids not in the input: {unknown[:5]}"
            assert len(set(ids)) == len(ids), f"fold {fold.name}: a clip appears twice across train/val/meta/test"
            if fold.test_subjects:
                actual = {subject[i] for i in fold.test}
                assert set(fold.test_subjects) == actual, (
                    f"fold {fold.name}: test_subjects {sorted(fold.test_subjects)} but test clips are of "
                    f"{sorted(actual)}")
    run(cls, body)


def check_subjects_disjoint(cls: type[Protocol]) -> None:
    """No test subject on the training side of its fold; the meta group shares no subject with train or val."""
    def body(ws: Workspace, clips: list[Clip]) -> None:
        subject = {c.clip_id: c.subject for c in clips}
        for fold in folds_of(cls, ws, clips):
            def subjects(*parts: str) -> set[str]:
                return {subject[i] for p in parts for i in getattr(fold, p) if i in subject}
            leaked = subjects("test") & subjects("train", "val", "meta")
            assert not leaked, f"fold {fold.name}: subjects {sorted(leaked)} are both in test and on the training side"
            shared = subjects("meta") & subjects("train", "val")
            assert not shared, f"fold {fold.name}: meta-group subjects {sorted(shared)} also train the base models"
    run(cls, body)


def check_deterministic(cls: type[Protocol]) -> None:
    """Two instances with the same seed make the same folds from the same clips."""
    def body(ws: Workspace, clips: list[Clip]) -> None:
        a = folds_of(cls, ws, clips, cache="cache-a")
        b = folds_of(cls, ws, clips, cache="cache-b")
        assert a == b, "folds differ between two runs with the same seed"
    run(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    clips = protocol_clips(cls, ws)  # type: ignore[arg-type]
    return lambda plugin: plugin.folds(clips)  # type: ignore[attr-defined]


def yield_checks(cls: type[Protocol]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload)
    yield "check_folds_valid", partial(check_folds_valid, cls)
    yield "check_subjects_disjoint", partial(check_subjects_disjoint, cls)
    yield "check_deterministic", partial(check_deterministic, cls)

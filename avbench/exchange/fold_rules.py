"""The rules local folds meet, applied to a bundle's fold definitions before anything is stored.

Locally the planner refuses a fold that puts a subject on both sides (:func:`avbench.runner.plan.
check_rows_no_leakage`). A bundle's folds are the submitter's word, so import applies the same rules
to ``folds.json``: every fold's clips are defined, no clip is on two sides, no subject is in both
training (train, val, meta) and test, and the folds are the ones the maintainer's protocol gives for
the bundle's clips (names and count), run here on those clips' subjects and labels.
"""

from __future__ import annotations

from typing import Any

from avbench.config.schema import BenchmarkConfig
from avbench.contract import Clip
from avbench.registry import Registry

SIDES = ("train", "val", "meta", "test")
SHOWN = 3


def definition_problems(entry: dict[str, Any], where: str) -> list[str]:
    """Leakage and shape problems of one experiment x protocol of ``folds.json`` (empty: it holds)."""
    clips = entry["clips"]
    problems = []
    bad_clips = [c for c, info in clips.items() if not isinstance(info, dict)
                 or not isinstance(info.get("subject"), str) or not isinstance(info.get("label"), str)]
    if bad_clips:
        return [f"{where}: {len(bad_clips)} clip(s) without a subject and a label (first: {bad_clips[0][:80]!r})"]
    for name, fold in sorted(entry["folds"].items()):
        if not isinstance(fold, dict) or not all(isinstance(fold.get(s, []), list) for s in SIDES):
            problems.append(f"{where}: fold {name!r}: expected lists of clip ids for {', '.join(SIDES)}")
            continue
        sides = {s: [c for c in fold.get(s, [])] for s in SIDES}
        unknown = sorted({c for ids in sides.values() for c in ids if not isinstance(c, str) or c not in clips},
                         key=str)
        if unknown:
            problems.append(f"{where}: fold {name!r}: {len(unknown)} clip id(s) not among the bundle's clips "
                            f"(first: {str(unknown[0])[:80]!r})")
            continue
        if not sides["test"]:
            problems.append(f"{where}: fold {name!r} has no test clip")
            continue
        counted = sum(len(ids) for ids in sides.values())
        if counted != len(set().union(*map(set, sides.values()))):
            problems.append(f"{where}: fold {name!r} puts a clip twice or on two sides")
            continue
        training = {clips[c]["subject"] for s in ("train", "val", "meta") for c in sides[s]}
        tested = {clips[c]["subject"] for c in sides["test"]}
        shared = sorted(training & tested)
        if shared:
            problems.append(f"{where}: fold {name!r} puts subject(s) {shared[:SHOWN]}"
                            + (f" and {len(shared) - SHOWN} more" if len(shared) > SHOWN else "")
                            + " in both train and test")
    return problems


def protocol_problems(config: BenchmarkConfig, registry: Registry, base, experiment: str, protocol_key: str,
                      entry: dict[str, Any], where: str) -> tuple[list[str], str | None]:
    """The maintainer's protocol run on the bundle's clips: (problems, a note when it cannot be run here)."""
    from avbench.runner.plan import config_context, protocol_ref

    try:
        protocol = registry.create(protocol_ref(config, experiment, protocol_key).model_dump(), "protocol",
                                   config_context(config, base))
        clips = [Clip(c, info["subject"], info["label"], {}, dict(info.get("meta") or {}))
                 for c, info in sorted(entry["clips"].items())]
        names = [f.name for f in protocol.folds(clips)]
    except Exception as exc:  # a protocol that needs what folds.json does not carry (a corpus, a gender)
        return [], (f"{experiment} / {protocol_key}: fold names not checked against the protocol here "
                    f"({type(exc).__name__}: {str(exc)[:120]})")
    given = sorted(entry["folds"])
    if sorted(names) != given:
        extra, absent = sorted(set(given) - set(names)), sorted(set(names) - set(given))
        return [f"{where}: {len(given)} fold(s), the protocol gives {len(names)} for these clips"
                + (f"; not the protocol's: {', '.join(map(repr, extra[:SHOWN]))}" if extra else "")
                + (f"; missing: {', '.join(map(repr, absent[:SHOWN]))}" if absent else "")], None
    return [], None

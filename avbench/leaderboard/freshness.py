"""Which stored folds a row may use: those of the current config, and whether they are all there.

The runner stores in each fold record the hash of the experiment's identity (``config_fingerprint``,
:func:`avbench.runner.plan.experiment_identity`), the protocol's fold names and the planned seeds. Here
the identity is recomputed from the config and the registry alone, so a row computed under another
setup is *stale* (never shown beside the new description), and a row missing folds or seeds is
*partial* ("k of n folds").

The device is set aside when comparing setups: a plugin that ran on CUDA has ``device: cuda`` in its
identity (so its features and folds never share keys with the CPU's), and the same config run on a GPU
machine is still the current config on one without. The row says which devices its folds ran on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avbench.cache.feature_cache import stable_hash
from avbench.config.schema import BenchmarkConfig
from avbench.registry import Registry


@dataclass(frozen=True)
class CurrentSetup:
    """The identity the config gives one experiment x protocol now, or why it cannot be known here."""

    fingerprint: str | None
    identity: dict[str, Any] | None
    unknown_because: str = ""


def current_setups(config: BenchmarkConfig, registry: Registry, base: Path,
                   only: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], CurrentSetup]:
    """Per (experiment, protocol) of the config (or of ``only``): its identity's hash, computed without any data."""
    from avbench.runner.plan import config_context, config_identity

    context = config_context(config, base)
    out = {}
    for name, exp in config.experiments.items():
        for protocol in exp.protocols:
            if only is not None and (name, protocol) not in only:
                continue
            try:
                identity = config_identity(config, name, protocol, registry, context)
            except Exception as exc:  # a plugin that cannot be set up here: freshness unknown, said so
                out[(name, protocol)] = CurrentSetup(None, None, f"{type(exc).__name__}: {exc}".splitlines()[0])
                continue
            out[(name, protocol)] = CurrentSetup(setup_fingerprint(identity), identity)
    return out


def _is_plugin_identity(value: dict[str, Any]) -> bool:
    """A plugin's identity inside an experiment's (``PluginSpec.identity``): where a ``device`` entry lives."""
    return "plugin" in value and "params" in value


def without_devices(identity: Any) -> Any:
    """``identity`` with every plugin's ``device`` entry left out (see the module's docstring)."""
    if isinstance(identity, dict):
        plugin = _is_plugin_identity(identity)
        return {k: without_devices(v) for k, v in identity.items() if not (plugin and k == "device")}
    if isinstance(identity, list):
        return [without_devices(v) for v in identity]
    return identity


#: A plugin salt that only lists library versions (``librosa=0.11.0 soxr=1.1.0``): keyed before the version policy.
_LIBRARY_SALT = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*=\S+( [A-Za-z][A-Za-z0-9_.-]*=\S+)*$")


def under_version_policy(identity: Any) -> Any:
    """An identity stored before library versions left the keys, as the version policy keys it now.

    Audio extractors once put library versions into their salt; libraries are now pinned by the lock and
    recorded, never keyed, so such a salt reads as empty. Nothing else is changed.
    """
    if isinstance(identity, dict):
        out = {k: under_version_policy(v) for k, v in identity.items()}
        if _is_plugin_identity(identity) and isinstance(identity.get("salt"), str) \
                and _LIBRARY_SALT.match(identity["salt"]):
            out["salt"] = ""
        return out
    if isinstance(identity, list):
        return [under_version_policy(v) for v in identity]
    return identity


def setup_fingerprint(identity: dict[str, Any]) -> str:
    """The hash setups are compared by: the identity's, devices set aside (unchanged for CPU-only setups)."""
    return stable_hash(without_devices(identity))


def record_config_fingerprint(record: dict[str, Any]) -> str | None:
    """The setup a record was computed under, as :func:`setup_fingerprint` (older records: their stored hash).

    A record whose stored setup does not hash to its ``config_fingerprint`` keeps that fingerprint, which
    then matches no config.
    """
    setup, stored = record.get("setup"), record.get("config_fingerprint")
    if setup and setup_devices(setup):  # run on CUDA: compared with its devices set aside, when honest
        return setup_fingerprint(setup) if not stored or stable_hash(setup) == stored else stored
    return stored or (stable_hash(setup) if setup else None)  # no device: its own hash is the setup's


def setup_devices(setup: Any) -> set[str]:
    """The devices a stored setup names for its plugins (``cuda``); empty for CPU-only setups."""
    if isinstance(setup, dict):
        own = {str(setup["device"])} if _is_plugin_identity(setup) and setup.get("device") else set()
        return own.union(*(setup_devices(v) for v in setup.values()))
    if isinstance(setup, list):
        return set().union(*(setup_devices(v) for v in setup))
    return set()


@dataclass
class Selection:
    """The records a row is made of, and what they claim to be."""

    records: list[dict[str, Any]]
    stale: bool
    stale_reason: str = ""
    expected_folds: list[str] | None = None
    expected_seeds: list[int] | None = None


def select_records(records: list[dict[str, Any]], current: CurrentSetup | None) -> Selection:
    """The records of one experiment x protocol a row may show.

    Records of the current config fingerprint if any (else the newest setup's, marked stale); among
    them the newest input data's; per seed and fold the newest record.
    """
    fingerprints = [record_config_fingerprint(r) for r in records]
    by_experiment_fp = {r.get("experiment_fingerprint"): fp for r, fp in zip(records, fingerprints) if fp}
    setups: dict[str | None, list[dict[str, Any]]] = {}
    for r, own in zip(records, fingerprints):  # a crashed-worker record carries no setup: it joins its experiment's
        fp = own or by_experiment_fp.get(r.get("experiment_fingerprint"))
        setups.setdefault(fp, []).append(r)
    current_fp = current.fingerprint if current else None
    if current_fp in setups:
        chosen, stale, reason = setups[current_fp], False, ""
    else:
        chosen = max(setups.values(), key=_newest)
        stale = current is not None and current.fingerprint is not None
        reason = stale_reason(chosen, current) if stale else ""
    data_of = {r.get("experiment_fingerprint"): r["data_fingerprint"] for r in chosen if r.get("data_fingerprint")}
    by_data: dict[str, list[dict[str, Any]]] = {}
    for r in chosen:
        data = r.get("data_fingerprint") or data_of.get(r.get("experiment_fingerprint")) \
            or r.get("experiment_fingerprint") or ""
        by_data.setdefault(data, []).append(r)
    chosen = max(by_data.values(), key=_newest)
    newest: dict[tuple[int, str], dict[str, Any]] = {}
    for r in chosen:
        key = (r["seed"], r["fold"])
        if key not in newest or r.get("finished", "") > newest[key].get("finished", ""):
            newest[key] = r
    described = max((r for r in newest.values() if r.get("protocol_folds")), key=lambda r: r.get("finished", ""),
                    default=None)
    selection = Selection(sorted(newest.values(), key=lambda r: (r["seed"], r["fold"])), stale, reason)
    if described is not None:
        selection.expected_folds = list(described["protocol_folds"])
        selection.expected_seeds = list(described.get("planned_seeds") or sorted({r["seed"] for r in chosen}))
        selection.records = [r for r in selection.records if r["fold"] in selection.expected_folds
                             and r["seed"] in selection.expected_seeds]
    return selection


def _newest(records: list[dict[str, Any]]) -> str:
    return max(r.get("finished", "") for r in records)


def stale_reason(records: list[dict[str, Any]], current: CurrentSetup | None) -> str:
    """What changed between the setup the records were computed with and the config's setup now."""
    stored = next((r["setup"] for r in records if r.get("setup")), None)
    if stored is None:
        return "computed by an older avbench that did not record its setup"
    if current is None or current.identity is None:
        return "setup not comparable"
    changes = setup_changes(stored, current.identity)
    if not changes:
        return "computed under another setup"
    shown = changes[:4] + ([f"{len(changes) - 4} more"] if len(changes) > 4 else [])
    return "setup changed since: " + "; ".join(shown)


def setup_changes(old: Any, new: Any, where: str = "") -> list[str]:
    """Differences between two JSON-like values as ``path: old -> new`` lines."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{where}.{key}" if where else str(key)
            if key not in old:
                out.append(f"{path}: added {_short(new[key])}")
            elif key not in new:
                out.append(f"{path}: removed")
            else:
                out.extend(setup_changes(old[key], new[key], path))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [c for i, (a, b) in enumerate(zip(old, new)) for c in setup_changes(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where or 'setup'}: {_short(old)} -> {_short(new)}"]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else stable_json(value)
    return text if len(text) <= 60 else text[:57] + "..."


def stable_json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)

"""The seed-system experiments of ``benchmark.toml``, and their copies pointed at the synthetic demo set.

A demo copy keeps each experiment's branches, fusion and classes as declared and changes only what
the demo cannot hold or what would take minutes: the dataset becomes the embedded synthetic set
(RAVDESS-named, 6 actors, every canonical emotion), the protocol a demo-sized actor split of the
same kind, and training budgets shrink (epochs, iterations, trees, augmented copies).
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, Iterable

from avbench.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "benchmark.toml"

SEED_KEYS = ("cuny2020", "demokritos2022", "sapienza2024", "ravdess-cnn", "ristea2019")

#: The demo set the copies run on: 6 actors x 8 emotions x 2 takes.
DEMO_PARAMS = {"actors": 6, "clips_per_emotion": 2}
#: Demo protocols: a holdout like `holdout` (test actors 5-6, validation 4) and a base/meta/test split
#: like `split-8-12-4` (base 1-2, meta 3-4, test 5-6).
DEMO_PROTOCOLS = {
    "demo-holdout": {"plugin": "actor-holdout", "params": {"test": [5, 6], "val": [4]}},
    "demo-split": {"plugin": "fixed-split", "params": {"base": [1, 2], "meta": [3, 4], "test": [5, 6]}},
}
DEMO_TEST_ACTORS = {"5", "6"}

#: Parameters lowered in demo copies (only where a plugin has them and its value is larger).
SHRINK = {"max_epochs": 1, "patience": 1, "max_iter": 30, "n_estimators": 10, "copies": 1, "n_splits": 2}
#: Extractor parameters lowered in demo copies, by plugin: the FER CNN and MediaPipe cost tens of ms per frame.
SHRINK_EXTRACTOR = {"blendshapes": {"n_frames": 8}, "fer-embedding": {"n_frames": 8},
                    "fer-mean-posteriors": {"max_frames": 8}, "fer-posteriors": {"max_frames": 8}}
#: Extractors that need pretrained files from AVBENCH_MODELS (the Haar cascade ships with OpenCV).
NEEDS_MODEL_FILES = ("fer-posteriors", "fer-mean-posteriors", "fer-embedding", "blendshapes")
VGGISH = ("vggish", "vggish-mean")


def read_benchmark(path: Path = BENCHMARK) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def seed_experiments(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The experiments whose name starts with a seed key, in file order."""
    return {name: exp for name, exp in raw["experiments"].items() if name.startswith(SEED_KEYS)}


def seed_key(name: str) -> str:
    return next(k for k in SEED_KEYS if name.startswith(k))


def as_ref(value: str | dict[str, Any]) -> dict[str, Any]:
    """A plugin reference in its long form ``{plugin, params}``."""
    return {"plugin": value, "params": {}} if isinstance(value, str) else {"params": {}, **value}


def extractor_names(exp: dict[str, Any]) -> set[str]:
    return {as_ref(b["extractor"])["plugin"] for b in exp["branches"].values()}


def needs_model_files(exp: dict[str, Any]) -> bool:
    return bool(extractor_names(exp) & set(NEEDS_MODEL_FILES))


def uses_vggish(exp: dict[str, Any]) -> bool:
    return bool(extractor_names(exp) & set(VGGISH))


def nested_refs(params: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Plugin references inside a fusion's parameters (``model``, ``meta_classifier``)."""
    for value in params.values():
        if isinstance(value, dict) and "plugin" in value:
            yield value


def shrink(ref: str | dict[str, Any], registry: Registry) -> dict[str, Any]:
    """``ref`` with its training budget lowered, recursing into the plugin references it holds."""
    ref = as_ref(ref)
    params = dict(ref["params"])
    fields = registry.info(ref["plugin"]).cls.Params.model_fields
    for key, small in SHRINK.items():
        if key in fields:
            current = params.get(key, fields[key].default)
            params[key] = small if current is None else min(current, small)
    for key, small in SHRINK_EXTRACTOR.get(ref["plugin"], {}).items():
        params[key] = small
    for key, value in params.items():
        if isinstance(value, dict) and "plugin" in value:
            params[key] = shrink(value, registry)
    if ref["plugin"] == "joint-trunks":
        params["training"] = {**params.get("training", {}), "max_epochs": 1}
    return {"plugin": ref["plugin"], "params": params}


def demo_copy(raw: dict[str, Any], names: Iterable[str], registry: Registry, *, demo_root: Path,
              au_csv: Path | None, models: str | None, name: str = "seeds-demo") -> dict[str, Any]:
    """A benchmark holding demo copies of experiments ``names`` of ``raw`` (a parsed benchmark.toml)."""
    experiments = {}
    for exp_name in names:
        exp = raw["experiments"][exp_name]
        protocols = sorted({"demo-split" if as_ref(raw["protocols"][p])["plugin"] == "fixed-split" else "demo-holdout"
                            for p in exp["protocols"]})
        branches = {}
        for branch_name, branch in exp["branches"].items():
            extractor = shrink(branch["extractor"], registry)
            if extractor["plugin"] == "openface-au" and au_csv is not None:
                extractor["params"]["csv"] = str(au_csv)
            copy = {"extractor": extractor}
            for part in ("model", "augment"):
                if part in branch:
                    copy[part] = shrink(branch[part], registry)
            branches[branch_name] = copy
        copy = {**exp, "dataset": "demo", "protocols": protocols, "branches": branches}
        if "fusion" in exp:
            copy["fusion"] = shrink(exp["fusion"], registry)
        experiments[exp_name] = copy
    benchmark = {"name": name, "seeds": [0], "stochastic_seeds": [0], "latency_clips": 1, "workers": 1,
                 "metrics": raw["benchmark"].get("metrics", ["accuracy", "uar", "macro_f1"])}
    return {"benchmark": benchmark, "resources": {"models": models} if models else {},
            "datasets": {"demo": {"plugin": "synthetic-av", "params": DEMO_PARAMS, "root": str(demo_root)}},
            "protocols": DEMO_PROTOCOLS, "experiments": experiments}


# ---- writing TOML (the standard library only reads it) ------------------------------------------------------
def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def to_toml(doc: dict[str, Any]) -> str:
    """``doc`` as TOML: one line per top-level key, nested tables inline."""
    return "\n".join(f"{json.dumps(key)} = {_value(value)}" for key, value in doc.items()) + "\n"

"""Read ``benchmark.toml``, validate it, and check every plugin name and parameter.

Every problem becomes one line ``FILE: key.path: what is wrong (did you mean ...)``;
all are collected before :class:`ConfigError` is raised, so a user fixes them in one go.
"""

from __future__ import annotations

import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError

from avbench.contract import PluginKind
from avbench.contract.errors import AvbenchError
from avbench.metrics.classification import METRICS
from avbench.registry import Registry, did_you_mean

from .ablation import expand_ablations
from .paths import UnsetVariableError, expand_path
from .schema import BenchmarkConfig, PluginRef


class ConfigError(AvbenchError):
    """The configuration is invalid; ``lines`` holds one message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def load_config(path: str | Path, registry: Registry | None = None,
                data_overrides: dict[str, str] | None = None) -> BenchmarkConfig:
    """Parse and validate ``path``; with a registry, also check plugins, parameters and references."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        config = BenchmarkConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([f"{path}: {line}" for line in format_validation_error(exc, BenchmarkConfig)]) from None
    config._source = path
    problems = outside_project(raw.get("benchmark") or {}, config, path)
    for name in data_overrides or {}:
        if name not in config.datasets:
            problems.append(f"--data {name}: no dataset {name!r} in the file{did_you_mean(name, config.datasets)}")
    if registry is not None:
        problems += check_against_registry(config, registry)
    if not problems:  # derived experiments of checked ones: their problems are already named
        problems += expand_ablations(config, registry)
    if problems:
        raise ConfigError([p if p.startswith("--data") else f"{path}: {p}" for p in problems])
    return config


#: Folders avbench writes its results into: never outside the project unless the person running it says so.
WRITTEN_FOLDERS = ("output", "leaderboards")


def outside_project(raw: dict[str, Any], config: BenchmarkConfig, path: Path) -> list[str]:
    """``output`` and ``leaderboards`` must lie in the config's folder, unless set through the environment.

    A config is data (a stranger's pull request, say): ``output = "../../.."`` or an absolute path would
    make avbench write elsewhere. A value that starts with an environment variable or ``~`` is the choice
    of whoever runs avbench (``output = "$RUNS"``), and is taken as given.
    """
    base = path.resolve().parent
    problems = []
    for key in WRITTEN_FOLDERS:
        given = raw.get(key)
        if not isinstance(given, str) or given.startswith(("$", "~")):
            continue
        folder = Path(getattr(config.benchmark, key))
        resolved = (folder if folder.is_absolute() else base / folder).resolve()
        if not resolved.is_relative_to(base):
            problems.append(f"benchmark.{key} = {given!r}: resolves to {resolved}, outside the project folder {base}; "
                            f"keep it inside, or name the folder through an environment variable "
                            f"({key} = \"$AVBENCH_{key.upper()}\") to write elsewhere on purpose")
    return problems


def check_against_registry(config: BenchmarkConfig, registry: Registry) -> list[str]:
    """Plugin names, kinds, parameters, cross references and branch compatibility."""
    problems: list[str] = []

    def check_ref(key: str, ref: PluginRef, kind: PluginKind) -> Any:
        try:
            info = registry.info(ref.plugin, kind)
        except AvbenchError as exc:
            problems.append(f"{key}.plugin: {exc}")
            return None
        try:
            info.cls.Params.model_validate(ref.params)
        except ValidationError as exc:
            problems.extend(f"{key}.params.{line}" for line in format_validation_error(exc, info.cls.Params))
        return info.cls

    for name, dataset in config.datasets.items():
        check_ref(f"datasets.{name}", dataset, PluginKind.DATASET)
    for name, protocol in config.protocols.items():
        check_ref(f"protocols.{name}", protocol, PluginKind.PROTOCOL)
    for metric in config.benchmark.metrics:
        if metric not in METRICS:
            problems.append(f"benchmark.metrics: unknown metric {metric!r}{did_you_mean(metric, METRICS)}"
                            f"; known: {', '.join(METRICS)}")
    for exp_name, exp in config.experiments.items():
        key = f"experiments.{exp_name}"
        dataset_classes = check_experiment_data(config, exp_name, registry, problems)
        dataset_cls = next(iter(dataset_classes.values()), None) if not exp.multi_corpus else None
        if exp.train is None:
            for i, protocol in enumerate(exp.protocols):
                if protocol not in config.protocols:
                    problems.append(f"{key}.protocols[{i}]: no protocol {protocol!r} declared"
                                    f"{did_you_mean(protocol, config.protocols)}")
        for branch_name, branch in exp.branches.items():
            bkey = f"{key}.branches.{branch_name}"
            extractor = check_ref(f"{bkey}.extractor", branch.extractor, PluginKind.EXTRACTOR)
            model = check_ref(f"{bkey}.model", branch.model, PluginKind.MODEL) if branch.model else None
            augmenter = check_ref(f"{bkey}.augment", branch.augment, PluginKind.AUGMENTER) if branch.augment else None
            if extractor is not None and model is not None and extractor.output_kind not in model.accepts:
                problems.append(f"{bkey}.model: {model.name!r} accepts "
                                f"{sorted(k.value for k in model.accepts)}, but extractor {extractor.name!r} "
                                f"gives {extractor.output_kind.value!r}")
            if extractor is not None and augmenter is not None and augmenter.modality is not extractor.modality:
                problems.append(f"{bkey}.augment: {augmenter.name!r} augments {augmenter.modality.value}, "
                                f"extractor {extractor.name!r} reads {extractor.modality.value}")
            for cls in dataset_classes.values():
                if extractor is not None and extractor.modality.value not in cls.modalities:
                    problems.append(f"{bkey}.extractor: {extractor.name!r} reads {extractor.modality.value}, "
                                    f"dataset plugin {cls.name!r} has {list(cls.modalities)}")
            if branch.normalise is not None and extractor is not None \
                    and extractor.output_kind.value not in ("vector", "sequence"):
                problems.append(f"{bkey}.normalise: standardises vector or sequence features; extractor "
                                f"{extractor.name!r} gives {extractor.output_kind.value!r}")
            if branch.normalise is not None and branch.normalise.scope == "corpus" and not exp.multi_corpus:
                problems.append(f"{bkey}.normalise.scope: 'corpus' needs several datasets (one corpus is "
                                f"scope 'global')")
            if (branch.normalise is not None and branch.normalise.scope == "corpus"
                    and not branch.normalise.transductive and exp.multi_corpus):
                unseen = exp.test or []  # `datasets` protocols are checked fold by fold when planning
                if unseen:
                    problems.append(f"{bkey}.normalise: per-corpus statistics of {', '.join(unseen)} would come "
                                    f"from test clips (a corpus seen only at test time has no training clips): "
                                    f"set transductive = true, or use scope 'global'")
        if exp.fusion is not None:
            check_ref(f"{key}.fusion", exp.fusion, PluginKind.FUSION)
    return problems


def check_experiment_data(config: BenchmarkConfig, exp_name: str, registry: Registry,
                          problems: list[str]) -> dict[str, Any]:
    """Datasets, label maps and classes of one experiment; returns its datasets' plugin classes by name."""
    exp = config.experiments[exp_name]
    key = f"experiments.{exp_name}"
    where = {name: "dataset" for name in [exp.dataset] if name}
    where.update({name: "datasets" for name in exp.datasets or []})
    where.update({name: "train" for name in exp.train or []})
    where.update({name: "test" for name in exp.test or []})
    classes: dict[str, Any] = {}
    for name, field in where.items():
        if name not in config.datasets:
            problems.append(f"{key}.{field}: no dataset {name!r} declared{did_you_mean(name, config.datasets)}")
        elif config.datasets[name].plugin in registry.plugins:
            classes[name] = registry.plugins[config.datasets[name].plugin].cls
    for name, mapping in exp.label_map.items():
        labels = classes[name].labels if name in classes else ()
        for label in mapping:
            if labels and label not in labels:
                problems.append(f"{key}.label_map.{name}.{label}: not a label of dataset plugin "
                                f"{classes[name].name!r}{did_you_mean(label, labels)}; labels: {', '.join(labels)}")
    if exp.classes:
        test_side = exp.test if exp.test is not None else exp.corpora
        for name in exp.corpora:
            cls = classes.get(name)
            if cls is None or not cls.labels:
                continue
            mapped = list(dict.fromkeys(m for m in (exp.mapped_label(name, l) for l in cls.labels) if m))
            for c in exp.classes if name in test_side else ():
                if c not in mapped:
                    after = " after label_map" if exp.label_map.get(name) else ""
                    hint = did_you_mean(c, cls.labels) if not after else ""
                    problems.append(f"{key}.classes: {c!r} is not a label of dataset plugin {cls.name!r}"
                                    f"{' (dataset ' + repr(name) + ', a test corpus)' if exp.multi_corpus else ''}"
                                    f"{after}{hint}; labels: {', '.join(mapped)}")
    return classes


def resolve_dataset_root(name: str, config: BenchmarkConfig, base: Path,
                         overrides: dict[str, str] | None = None) -> Path | None:
    """Where dataset ``name`` lives: ``--data``, then its environment variable, then the file; None if unset.

    The file's ``root`` was expanded when the file was read; the other two are expanded here, alike.
    """
    dataset = config.datasets[name]
    sources = [(f"--data {name}", (overrides or {}).get(name)),
               (f"${dataset.env_var(name)}", os.environ.get(dataset.env_var(name)))]
    where, value = next(((w, v) for w, v in sources if v), (None, dataset.root))
    if not value:
        return None
    if where is not None:
        try:
            value = expand_path(value)
        except UnsetVariableError as exc:
            raise ConfigError([f"{where}: {exc}"]) from None
    root = Path(value)
    return root if root.is_absolute() else (base / root)


def parse_data_overrides(items: Iterable[str]) -> dict[str, str]:
    """``NAME=PATH`` pairs from the command line."""
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError([f"--data {item!r}: expected NAME=PATH"])
        out[name] = path
    return out


def format_validation_error(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """pydantic errors as ``key.path: message``, with a suggestion for misspelt keys."""
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if error["type"] == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            hint = did_you_mean(loc[-1], allowed)
            known = f"; allowed: {', '.join(sorted(allowed))}" if allowed and not hint else ""
            lines.append(f"{'.'.join(loc)}: unknown key{hint}{known}")
        elif error["type"] == "missing":
            lines.append(f"{'.'.join(loc)}: required key is missing")
        else:
            value = error.get("input")
            message = plain_message(error["msg"])
            shown = f" (got {value!r})" if not isinstance(value, (dict, list)) and repr(value) not in message else ""
            lines.append(f"{'.'.join(loc) or '(top level)'}: {message}{shown}")
    return lines


def plain_message(message: str) -> str:
    """pydantic's message as a person would write it: no ``Value error, `` or ``Assertion failed, `` prefix."""
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _fields_at(model: Any, loc: list[str]) -> list[str]:
    """Field names of the model reached by following ``loc`` through nested models and dicts."""
    current: Any = model
    for part in loc:
        current = _inner_model(current, part)
        if current is None:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _inner_model(annotation: Any, part: str) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(annotation)
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    return None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` to ``X``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType")) and len(args) == 1:
        return args[0]
    return annotation

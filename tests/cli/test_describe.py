"""``avbench describe``: a plugin's parameters, output, files and citation, from its own declarations."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Literal

import pytest

from avbench.cli.describe_command import DOCS_COMMAND, type_name
from avbench.cli.main import main
from avbench.registry import discover

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = "avbench-plugins"


def describe_json(capsys, *names: str) -> dict:
    assert main(["describe", *names, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_describe_prints_each_parameter_with_type_default_bounds_and_description(capsys):
    assert main(["describe", "svm-linear"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("C "))
    assert line.split()[:4] == ["C", "float", "1.0", ">"] and "standardised" in line
    assert "accepts:    vector" in out and "stochastic: no" in out


def test_describe_json_gives_kind_accepts_stochastic_and_typed_bounded_parameters(capsys):
    d = describe_json(capsys, "random-forest")
    assert (d["kind"], d["accepts"], d["stochastic"]) == ("model", ["vector"], True)
    params = {p["name"]: p for p in d["parameters"]}
    assert params["n_estimators"] == {"name": "n_estimators", "type": "int", "default": 300, "bounds": {"ge": 1},
                                      "description": "trees in the forest"}
    assert params["max_depth"]["type"] == "int | None" and params["max_depth"]["default"] is None
    assert d["params_schema"]["properties"]["n_estimators"]["minimum"] == 1


def test_describe_extractor_gives_modality_output_kind_and_shape_for_its_parameters(capsys):
    d = describe_json(capsys, "mfcc-stats")
    assert (d["modality"], d["output_kind"], d["output_shape"]) == ("audio", "vector", [2 * 40 * 2])
    assert d["input_files"] == {"files": {}}


def test_describe_says_what_a_plugin_would_read_when_its_resource_is_not_configured(capsys, monkeypatch):
    monkeypatch.delenv("AVBENCH_MODELS", raising=False)
    d = describe_json(capsys, "fer-posteriors")
    assert "fer2013_mini_XCEPTION.102-0.66.hdf5" in d["input_files"]["missing"]
    assert "AVBENCH_MODELS" in d["input_files"]["missing"]
    assert "Arriaga" in d["cites"]


def test_describe_names_the_configured_file_a_plugin_reads(capsys, monkeypatch, tmp_path):
    model = tmp_path / "face_detection_yunet_2026may.onnx"
    model.write_bytes(b"not read by describe")
    monkeypatch.setenv("AVBENCH_MODELS", str(tmp_path))
    assert describe_json(capsys, "yunet")["input_files"] == {"files": {"model": str(model)}}


def test_describe_of_an_unknown_plugin_exits_2_with_a_suggestion(capsys):
    assert main(["describe", "svm-rbff"]) == 2
    assert "did you mean 'svm-rbf'" in capsys.readouterr().err


def test_list_json_carries_each_plugins_parameter_schema(capsys):
    assert main(["list", "--json"]) == 0
    plugins = {p["name"]: p for p in json.loads(capsys.readouterr().out)["plugins"]}
    c = plugins["svm-rbf"]["params_schema"]["properties"]["C"]
    assert c["exclusiveMinimum"] == 0 and c["default"] == 1.0 and c["description"]
    assert plugins["vggish"]["cites"].startswith("Hershey") and plugins["mlp"]["stochastic"] is True


def test_type_names_read_like_the_annotation():
    class Colour(str, enum.Enum):
        RED = "red"
        BLUE = "blue"

    assert type_name(int | None) == "int | None"
    assert type_name(Literal["max", "one"]) == '"max" | "one"'
    assert type_name(Colour) == '"red" | "blue"'
    assert type_name(dict[str, list[float]]) == "dict[str, list[float]]"
    assert type_name(tuple[int, ...]) == "tuple[int, ...]"


def test_every_first_party_parameter_has_a_description():
    registry = discover()
    first_party = [i for i in registry.plugins.values() if i.source == FIRST_PARTY]
    assert len(first_party) > 30
    missing = [f"{i.name}.{field}" for i in first_party
               for field, info in i.cls.Params.model_fields.items() if not (info.description or "").strip()]
    assert not missing, f"parameters without a description (Field(..., description=...)): {missing}"


def test_docs_plugins_md_is_what_the_plugins_declare(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AVBENCH_MODELS", str(tmp_path))  # this machine's set-up must not show in the page
    assert main(["describe", "--all", "--distribution", FIRST_PARTY, "--markdown"]) == 0
    generated = capsys.readouterr().out
    committed = (REPO / "docs" / "plugins.md").read_text()
    assert generated == committed, f"docs/plugins.md is out of date; regenerate it with: {DOCS_COMMAND}"
    for machine_path in {str(REPO), str(Path.home()), sys.prefix, str(tmp_path)}:
        assert machine_path not in generated
    assert "## svm-linear" in generated and "| `C` | `float` | `1.0` | > 0 |" in generated

"""benchmark.toml problems are one clear line each: file, key path, what is wrong, a suggestion; exit code 2."""

from __future__ import annotations

import pytest

from avbench.cli.main import main
from avbench.config.loader import ConfigError, load_config
from avbench.registry import discover


def errors_of(path, capsys) -> str:
    assert main(["run", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_unknown_key_names_file_path_and_suggestion(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace("seeds = [0]", "sedes = [0]"))
    err = errors_of(path, capsys)
    assert f"{path}: benchmark.sedes: unknown key (did you mean 'seeds'?)" in err


def test_unknown_plugin_name_suggests_the_closest(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace('plugin = "toy-centroid"', 'plugin = "toy-centriod"'))
    err = errors_of(path, capsys)
    assert "experiments.centroid.branches.audio.model.plugin: unknown model plugin 'toy-centriod' " \
           "(did you mean 'toy-centroid'?)" in err


def test_bad_plugin_parameter_value_names_its_key(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace("scale = 1.0", 'scale = "big"'))
    err = errors_of(path, capsys)
    assert "experiments.centroid.branches.audio.extractor.params.scale:" in err and "'big'" in err


def test_unknown_plugin_parameter_suggests_the_closest(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace("scale = 1.0", "scael = 1.0"))
    err = errors_of(path, capsys)
    assert "extractor.params.scael: unknown key (did you mean 'scale'?)" in err


def test_undeclared_protocol_reference(toy_benchmark, capsys):
    path = toy_benchmark()
    path.write_text(path.read_text().replace('protocols = ["holdout", "loso"]', 'protocols = ["holdot"]'))
    err = errors_of(path, capsys)
    assert "experiments.centroid.protocols[0]: no protocol 'holdot' declared (did you mean 'holdout'?)" in err


def test_model_that_cannot_take_the_extractor_output_is_refused(toy_plugins, tmp_path):
    path = tmp_path / "b.toml"
    path.write_text("""
[benchmark]
name = "x"
[datasets.toy]
plugin = "toy-dataset"
[protocols.loso]
plugin = "loso"
[experiments.e]
dataset = "toy"
protocols = ["loso"]
classes = ["happy", "sda"]
[experiments.e.branches.a]
extractor = "toy-extractor"
model = "toy-centroid"
[experiments.e.branches.b]
extractor = "toy-video-extractor"
model = "toy-centroid"
""")
    with pytest.raises(ConfigError) as err:
        load_config(path, discover())
    text = str(err.value)
    assert "experiments.e: 2 branches (a, b) need a fusion" in text


def test_every_problem_is_reported_at_once(toy_plugins, tmp_path):
    path = tmp_path / "b.toml"
    path.write_text("""
[benchmark]
name = "x"
metrics = ["acuracy"]
[datasets.toy]
plugin = "toy-dataset"
[protocols.loso]
plugin = "lsoo"
[experiments.e]
dataset = "toy"
protocols = ["loso"]
classes = ["happy", "sda"]
[experiments.e.branches.a]
extractor = "toy-extractor"
model = "toy-centroid"
""")
    with pytest.raises(ConfigError) as err:
        load_config(path, discover())
    lines = err.value.lines
    assert any("protocols.loso.plugin: unknown protocol plugin 'lsoo' (did you mean 'loso'?)" in l for l in lines)
    assert any("benchmark.metrics: unknown metric 'acuracy' (did you mean 'accuracy'?)" in l for l in lines)
    assert any("experiments.e.classes: 'sda' is not a label" in l and "did you mean 'sad'" in l for l in lines)
    assert all(l.startswith(str(path)) for l in lines)


def test_invalid_toml_is_one_line(tmp_path, capsys):
    path = tmp_path / "b.toml"
    path.write_text("[benchmark\nname=")
    err = errors_of(path, capsys)
    assert err.count("\n") == 1 and "not valid TOML" in err


def test_missing_file(tmp_path, capsys):
    err = errors_of(tmp_path / "nope.toml", capsys)
    assert "nope.toml: no such file" in err


def test_unknown_only_and_data_names(toy_benchmark, capsys):
    path = toy_benchmark()
    assert main(["run", str(path), "--only", "centriod"]) == 2
    assert "--only centriod: no experiment 'centriod' (did you mean 'centroid'?)" in capsys.readouterr().err
    assert main(["run", str(path), "--data", "tyo=/tmp"]) == 2
    assert "--data tyo: no dataset 'tyo' in the file (did you mean 'toy'?)" in capsys.readouterr().err


def test_dataset_root_from_flag_overrides_environment(toy_benchmark, tmp_path, monkeypatch):
    from avbench.config.loader import resolve_dataset_root

    path = toy_benchmark()
    config = load_config(path, discover())
    monkeypatch.setenv("AVBENCH_TOY_ROOT", str(tmp_path / "from-env"))
    assert resolve_dataset_root("toy", config, tmp_path) == tmp_path / "from-env"
    assert resolve_dataset_root("toy", config, tmp_path, {"toy": str(tmp_path / "flag")}) == tmp_path / "flag"

"""A benchmark.toml that would corrupt results is refused: the real CLI exits 2 with one line naming the key.

Problems of one validation stage are all reported at once, so each file below holds several
refusals and one CLI run serves the tests of that stage; every test checks its own line.
"""

from __future__ import annotations

import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.registry import discover

from .conftest import cli_env, error_lines, run_cli, write_vector

BRANCH = """
[experiments.{name}.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""

#: Schema refusals: duplicates, empty classes, seed ranges, lax types, unset path variables.
SCHEMA = """
[benchmark]
name = "toy"
seeds = [-1]
workers = true
latency_clips = 2.5
output = "${AVBENCH_TEST_UNSET_OUTPUT}/runs"
leaderboards = "$AVBENCH_TEST_UNSET_BOARDS/boards"
cache = "${AVBENCH_TEST_UNSET_CACHE}"

[resources]
models = "${AVBENCH_TEST_UNSET_MODELS}"

[datasets.toy]
plugin = "toy-dataset"
root = "${AVBENCH_TEST_UNSET_ROOT}/toy"

[protocols.loso]
plugin = "loso"

[experiments.twice]
dataset = "toy"
protocols = ["loso", "loso"]
classes = ["happy", "happy", "sad"]
seeds = [4294967296]
description = 5
reported = { accuracy = nan, macro_f1 = inf, uar = true }
""" + BRANCH.format(name="twice") + """
[experiments.empty]
dataset = "toy"
protocols = ["loso"]
classes = []
seeds = [1, 1]
""" + BRANCH.format(name="empty")

SCHEMA_REFUSALS = {
    "benchmark.seeds.0": "seed -1 is out of range: a seed is an integer from 0 to 4294967295",
    "experiments.twice.seeds.0": "seed 4294967296 is out of range",
    "experiments.empty.seeds": "seed(s) 1 listed twice",
    "benchmark.workers": "Input should be a valid integer (got True)",
    "benchmark.latency_clips": "Input should be a valid integer (got 2.5)",
    "experiments.twice.description": "Input should be a valid string (got 5)",
    "experiments.twice.reported.accuracy": "Input should be a finite number (got nan)",
    "experiments.twice.reported.macro_f1": "Input should be a finite number (got inf)",
    "experiments.twice.reported.uar": "Input should be a valid number (got True)",
    "experiments.twice.classes": "class(es) 'happy' listed twice",
    "experiments.empty.classes": 'an empty class list: leave the key out, or write classes = "all"',
    "experiments.twice.protocols": "protocol(s) 'loso' listed twice",
    "benchmark.output": "$AVBENCH_TEST_UNSET_OUTPUT is not set",
    "benchmark.leaderboards": "$AVBENCH_TEST_UNSET_BOARDS is not set",
    "benchmark.cache": "$AVBENCH_TEST_UNSET_CACHE is not set",
    "datasets.toy.root": "$AVBENCH_TEST_UNSET_ROOT is not set",
}

#: Table names that would put fold files outside the output folder.
SLUGS = """
[benchmark]
name = "toy"

[datasets."../toy"]
plugin = "toy-dataset"

[protocols."/srv/x"]
plugin = "loso"

[experiments."../../x"]
dataset = "../toy"
protocols = ["/srv/x"]
""" + BRANCH.format(name='"../../x"') + """
[experiments."a\\\\b"]
dataset = "../toy"
protocols = ["/srv/x"]
""" + BRANCH.format(name='"a\\\\b"') + """
[experiments."a..b"]
dataset = "../toy"
protocols = ["/srv/x"]
""" + BRANCH.format(name='"a..b"')

SLUG_REFUSALS = {
    "datasets": "'../toy': not a plain name",
    "protocols": "'/srv/x': not a plain name",
    "experiments": "'../../x', 'a\\\\b', 'a..b': not a plain name",
}

#: Plugin parameters pydantic's lax mode would bend.
PARAMS = """
[benchmark]
name = "toy"

[datasets.toy]
plugin = "toy-dataset"
params = { subjects = 6.0 }

[protocols.loso]
plugin = "loso"

[experiments.lax]
dataset = "toy"
protocols = ["loso"]
[experiments.lax.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = nan } }
model = { plugin = "toy-centroid", params = { sleep = true, fail = 1 } }
augment = { plugin = "toy-noise", params = { amount = inf, copies = "2" } }
"""

PARAM_REFUSALS = {
    "datasets.toy.params.subjects": "6.0 (a decimal number) where an integer belongs: write 6",
    "experiments.lax.branches.audio.extractor.params.scale": "nan where a finite number belongs",
    "experiments.lax.branches.audio.model.params.sleep": "true (a boolean) where a number belongs",
    "experiments.lax.branches.audio.model.params.fail": "1 (a number) where true or false belongs",
    "experiments.lax.branches.audio.augment.params.amount": "inf where a finite number belongs",
    "experiments.lax.branches.audio.augment.params.copies": "'2' (a string) where a number belongs",
}


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """Run the CLI once per file; the tests read their own line from the result."""
    results = {}

    def run(name: str, text: str):
        if name not in results:
            folder = tmp_path_factory.mktemp(name)
            path = folder / "benchmark.toml"
            path.write_text(text)
            results[name] = (path, run_cli(path, env=cli_env(folder / "cache")))
        return results[name]

    return run


def the_line(path, result, key: str) -> str:
    """The single line of a refused run that names ``key``."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in error_lines(result) if line.startswith(f"{path}: {key}: ")]
    assert len(lines) == 1, f"expected one line for {key} in:\n{result.stderr}"
    return lines[0]


@pytest.mark.parametrize("key", list(SCHEMA_REFUSALS))
def test_a_config_that_would_corrupt_results_is_refused_naming_the_key(refused, key):
    path, result = refused("schema", SCHEMA)
    assert SCHEMA_REFUSALS[key] in the_line(path, result, key)


def test_an_unset_variable_in_resources_leaves_the_resource_unset_instead(refused):
    path, result = refused("schema", SCHEMA)
    assert not [line for line in error_lines(result) if "resources" in line or "MODELS" in line]


@pytest.mark.parametrize("table", list(SLUG_REFUSALS))
def test_table_names_that_are_not_plain_slugs_are_refused(refused, table):
    path, result = refused("slugs", SLUGS)
    assert SLUG_REFUSALS[table] in the_line(path, result, table)


@pytest.mark.parametrize("key", list(PARAM_REFUSALS))
def test_plugin_parameters_are_taken_as_written(refused, key):
    path, result = refused("params", PARAMS)
    assert PARAM_REFUSALS[key] in the_line(path, result, key)


def test_a_declared_class_without_clips_in_the_dataset_is_refused_at_planning(tmp_path):
    root = tmp_path / "ravdess"
    for actor in (1, 2):
        for emotion, index in (("03", 0), ("04", 1)):  # happy and sad, no angry
            write_vector(root / f"Actor_{actor:02d}" / f"03-01-{emotion}-01-01-01-{actor:02d}.wav", index, actor)
    path = tmp_path / "benchmark.toml"
    path.write_text(f"""
[benchmark]
name = "toy"
[datasets.ravdess]
plugin = "ravdess"
root = "{root}"
[protocols.loso]
plugin = "loso"
[experiments.three]
dataset = "ravdess"
protocols = ["loso"]
classes = ["happy", "sad", "angry"]
""" + BRANCH.format(name="three"))
    result = run_cli(path, env=cli_env(tmp_path / "cache", AVBENCH_RAVDESS_ROOT=""))
    line = the_line(path, result, "experiments.three.classes")
    assert "class 'angry' has no clip in dataset 'ravdess'" in line and str(root) in line
    assert not (tmp_path / "runs").exists()


def test_valid_numbers_and_all_classes_still_load(toy_plugins, tmp_path):
    path = tmp_path / "benchmark.toml"
    path.write_text("""
[benchmark]
name = "toy"
seeds = [0, 4294967295]
[datasets.toy]
plugin = "toy-dataset"
[protocols.loso]
plugin = "loso"
[experiments.e]
dataset = "toy"
protocols = ["loso"]
classes = "all"
[experiments.e.branches.audio]
extractor = { plugin = "toy-extractor", params = { scale = 2 } }
model = { plugin = "toy-centroid", params = { sleep = 0, fail = false } }
""")
    config = load_config(path, discover())
    assert config.experiments["e"].classes is None  # every label of the dataset
    assert config.benchmark.seeds == [0, 4294967295]


def test_path_fields_expand_variables_and_home_alike(toy_plugins, tmp_path, monkeypatch):
    monkeypatch.setenv("AVBENCH_TEST_PLACE", str(tmp_path / "place"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "benchmark.toml"
    path.write_text("""
[benchmark]
name = "toy"
output = "${AVBENCH_TEST_PLACE}/runs"
leaderboards = "$AVBENCH_TEST_PLACE/boards"
cache = "~/cache"
[resources]
models = "$AVBENCH_TEST_PLACE/models"
[datasets.toy]
plugin = "toy-dataset"
root = "~/toy"
[protocols.loso]
plugin = "loso"
[experiments.e]
dataset = "toy"
protocols = ["loso"]
""" + BRANCH.format(name="e"))
    config = load_config(path, discover())
    place, home = tmp_path / "place", tmp_path / "home"
    assert (config.benchmark.output, config.benchmark.leaderboards) == (f"{place}/runs", f"{place}/boards")
    assert (config.benchmark.cache, config.datasets["toy"].root) == (f"{home}/cache", f"{home}/toy")
    from avbench.runner.plan import resolve_resources

    assert resolve_resources(config, tmp_path) == {"models": f"{place}/models"}
    monkeypatch.delenv("AVBENCH_TEST_PLACE")
    assert resolve_resources(config, tmp_path) == {}
    with pytest.raises(ConfigError, match=r"benchmark\.output: .*\$AVBENCH_TEST_PLACE is not set"):
        load_config(path, discover())

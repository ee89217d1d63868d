"""Planning never crashes on one file: a bad file is named and left out, the rest of the dataset runs.

Real faults on disk: a symlink loop, a FIFO, a folder where a file should be, a chmod-000 file
(skipped as root, who can read it anyway), a file with a bad name in a RAVDESS-named tree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from avbench.config.loader import ConfigError, load_config
from avbench.registry import discover
from avbench.runner.plan import build_plan, extraction_tasks, fold_units
from avbench.runner.run import run_benchmark

from .conftest import cli_env, error_lines, run_cli, write_vector

RAVDESS_BENCHMARK = """
[benchmark]
name = "faults"
workers = 1
latency_clips = 1

[datasets.ravdess]
plugin = "ravdess"
root = "{root}"

[protocols.loso]
plugin = "loso"

[experiments.e]
dataset = "ravdess"
protocols = ["loso"]
[experiments.e.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
"""

TOY_BENCHMARK = """
[benchmark]
name = "faults"
workers = 1
latency_clips = 1

[datasets.toy]
plugin = "toy-dataset"
root = "{root}"
params = {{ subjects = 3, per_label = 2 }}

[protocols.loso]
plugin = "loso"
""" + "".join(f"""
[experiments.{name}]
dataset = "toy"
protocols = ["loso"]
[experiments.{name}.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""" for name in ("first", "second"))


def ravdess_tree(root: Path) -> Path:
    """3 actors x happy, sad, angry, in RAVDESS naming (the files hold toy vectors), plus four bad entries."""
    for actor in (1, 2, 3):
        for index, emotion in enumerate(("03", "04", "05")):
            write_vector(root / f"Actor_{actor:02d}" / f"03-01-{emotion}-01-01-01-{actor:02d}.wav", index, actor)
    write_vector(root / "Actor_01" / "03-01-03-01-01.wav", 0, 9)                    # five fields
    loop = root / "Actor_02" / "03-01-04-01-02-01-02.wav"
    loop.symlink_to(loop.name)                                                       # a link to itself
    os.mkfifo(root / "Actor_03" / "03-01-05-01-02-01-03.wav")                        # opening it would block
    (root / "Actor_03" / "03-01-03-01-02-01-03.wav").mkdir()                         # a folder named like a clip
    return root


BAD_RAVDESS_ENTRIES = {
    "Actor_01/03-01-03-01-01.wav": "does not match MM-VC-EE-II-SS-RR-AA",
    "Actor_02/03-01-04-01-02-01-02.wav": "Too many levels of symbolic links",
    "Actor_03/03-01-05-01-02-01-03.wav": "not a regular file",
    "Actor_03/03-01-03-01-02-01-03.wav": "a folder named like a media file",
}


def test_bad_files_in_a_ravdess_tree_are_named_and_the_rest_of_the_dataset_runs(tmp_path):
    root = ravdess_tree(tmp_path / "ravdess")
    path = tmp_path / "benchmark.toml"
    path.write_text(RAVDESS_BENCHMARK.format(root=root))
    result = run_cli(path, env=cli_env(tmp_path / "cache", AVBENCH_RAVDESS_ROOT=""))
    assert result.returncode == 0, result.stderr
    assert "dataset ravdess: 9 clips at" in result.stderr and "4 file(s) left out" in result.stderr
    for entry, reason in BAD_RAVDESS_ENTRIES.items():
        (line,) = [l for l in result.stderr.splitlines() if f"dataset ravdess: left out: {entry}:" in l]
        assert reason in line
    records = sorted((tmp_path / "runs/faults/e/loso/seed-0").glob("*.json"))
    assert len(records) == 3 and all(json.loads(r.read_text())["status"] == "ok" for r in records)


def test_with_strict_bad_files_in_a_dataset_are_an_error(tmp_path):
    root = ravdess_tree(tmp_path / "ravdess")
    path = tmp_path / "benchmark.toml"
    path.write_text(RAVDESS_BENCHMARK.format(root=root))
    result = run_cli(path, "--strict", env=cli_env(tmp_path / "cache", AVBENCH_RAVDESS_ROOT=""))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = error_lines(result)
    for entry in BAD_RAVDESS_ENTRIES:
        assert any(line.startswith(f"dataset ravdess: {entry}:") for line in lines), result.stderr
    assert any("4 file(s) it cannot use (--strict)" in line for line in lines)
    assert not (tmp_path / "runs").exists()


def toy_root_with_unreadable_clips(root: Path) -> dict[str, str]:
    """A toy dataset folder where three clips' files cannot be read; returns clip id -> expected reason."""
    root.mkdir(parents=True)
    (root / "01-happy-9.npy").mkdir()                       # a folder where the file should be
    os.mkfifo(root / "02-sad-9.npy")                        # a FIFO: reading it would wait forever
    (root / "03-angry-9.npy").symlink_to("03-angry-9.npy")  # a symlink loop
    return {"01-happy-9": "it is a folder, not a regular file",
            "02-sad-9": "it is a FIFO, socket or device, not a regular file",
            "03-angry-9": "Too many levels of symbolic links"}


def plan_toy(path: Path, log: list[str] | None = None, strict: bool = False):
    registry = discover()
    config = load_config(path, registry)
    return config, registry, build_plan(config, registry, path.parent, log=(log if log is not None else []).append,
                                        strict=strict)


def test_unreadable_media_are_skipped_by_every_experiment_and_named(toy_plugins, tmp_path):
    root = tmp_path / "toy"
    expected = toy_root_with_unreadable_clips(root)
    path = tmp_path / "benchmark.toml"
    path.write_text(TOY_BENCHMARK.format(root=root))
    log: list[str] = []
    config, registry, plan = plan_toy(path, log)
    for exp in plan.experiments.values():
        assert set(exp.clip_errors) == set(expected)
        for clip_id, reason in expected.items():
            assert exp.clip_errors[clip_id] == f"cannot read {root / clip_id}.npy: {reason}"
        assert len(exp.clips) == 3 * 3 * 2 + 3  # still planned, so folds say which clips they lack
    for clip_id in expected:  # logged once, not once per experiment
        assert sum(f"clip {clip_id} skipped: cannot read" in line for line in log) == 1
    never_extracted = {c.clip_id for task in extraction_tasks(plan) for c in task.clips} & set(expected)
    assert not never_extracted
    units, errors = fold_units(plan, config, registry, skipped={})
    assert not errors
    for unit in units:
        assert {c: unit.skipped[c] for c in unit.skipped} == {c: plan.experiments[unit.experiment].clip_errors[c]
                                                              for c in unit.clips if c in expected}


def test_planning_errors_are_found_afresh_by_every_plan_and_never_remembered(toy_plugins, tmp_path):
    root = tmp_path / "toy"
    expected = toy_root_with_unreadable_clips(root)
    path = tmp_path / "benchmark.toml"
    path.write_text(TOY_BENCHMARK.format(root=root))
    summary = run_benchmark(path, registry=discover(), progress=False, render=False, log=lambda m: None)
    assert summary.failed == 0 and summary.done == 2 * 3
    for record in (tmp_path / "runs/faults/first/loso/seed-0").glob("*.json"):
        record = json.loads(record.read_text())
        assert record["status"] == "ok" and set(record["skipped_test_clips"]) <= set(expected)
    remembered = (tmp_path / "runs/faults/clip-errors.json")
    assert "cannot read" not in (remembered.read_text() if remembered.exists() else "")
    (root / "01-happy-9.npy").rmdir()  # the user fixes the files
    (root / "02-sad-9.npy").unlink()
    (root / "03-angry-9.npy").unlink()
    for index, clip_id in enumerate(expected):
        write_vector(root / f"{clip_id}.npy", index, 7)
    _, _, plan = plan_toy(path)
    assert all(not exp.clip_errors for exp in plan.experiments.values())


def test_with_strict_unreadable_media_are_an_error(toy_plugins, tmp_path):
    root = tmp_path / "toy"
    expected = toy_root_with_unreadable_clips(root)
    path = tmp_path / "benchmark.toml"
    path.write_text(TOY_BENCHMARK.format(root=root))
    registry = discover()
    with pytest.raises(ConfigError) as err:
        build_plan(load_config(path, registry), registry, tmp_path, log=lambda m: None, strict=True)
    assert [line.split(":")[1].strip() for line in err.value.lines] == [f"clip {c}" for c in sorted(expected)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod-000 file anyway (the FIFO and folder cases "
                                              "cover unreadable media for root)")
def test_a_chmod_000_media_file_is_skipped_and_named(toy_plugins, tmp_path):
    root = tmp_path / "toy"
    root.mkdir()
    locked = root / "01-sad-9.npy"
    np.save(locked, np.zeros(8, dtype=np.float32))
    locked.chmod(0)
    path = tmp_path / "benchmark.toml"
    path.write_text(TOY_BENCHMARK.format(root=root))
    try:
        _, _, plan = plan_toy(path)
    finally:
        locked.chmod(0o644)
    assert plan.experiments["first"].clip_errors == {"01-sad-9": f"cannot read {locked}: Permission denied"}


def ravdess_config(tmp_path: Path, root: str | None, monkeypatch) -> Path:
    monkeypatch.delenv("AVBENCH_RAVDESS_ROOT", raising=False)
    path = tmp_path / "benchmark.toml"
    text = RAVDESS_BENCHMARK.format(root=root or "")
    path.write_text(text if root else text.replace('root = ""\n', ""))
    return path


def test_a_configured_dataset_root_that_does_not_exist_is_a_skip_naming_it_and_an_error_when_strict(
        toy_plugins, tmp_path, monkeypatch):
    path = ravdess_config(tmp_path, str(tmp_path / "nowhere"), monkeypatch)
    _, _, plan = plan_toy(path)
    line = (f"dataset ravdess: root {tmp_path / 'nowhere'} does not exist (from {path}: datasets.ravdess.root): "
            f"point it at the data")
    assert plan.datasets["ravdess"].error == line and plan.datasets["ravdess"].wrong_root == tmp_path / "nowhere"
    with pytest.raises(ConfigError) as err:
        plan_toy(path, strict=True)
    assert err.value.lines == [f"{line} (--strict)"]
    monkeypatch.setenv("AVBENCH_RAVDESS_ROOT", str(tmp_path / "elsewhere"))
    with pytest.raises(ConfigError, match=r"root .*elsewhere does not exist \(from \$AVBENCH_RAVDESS_ROOT\)"):
        plan_toy(path, strict=True)


def test_a_dataset_root_that_is_a_file_is_a_skip_and_an_error_when_strict(toy_plugins, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    path = ravdess_config(tmp_path, str(tmp_path / "file"), monkeypatch)
    _, _, plan = plan_toy(path)
    assert "is not a folder" in plan.datasets["ravdess"].error
    with pytest.raises(ConfigError, match=r"dataset ravdess: root .*file is not a folder"):
        plan_toy(path, strict=True)


def test_an_unconfigured_root_is_a_skip_unless_strict(toy_plugins, tmp_path, monkeypatch):
    path = ravdess_config(tmp_path, None, monkeypatch)
    _, _, plan = plan_toy(path)
    assert "has no root: set AVBENCH_RAVDESS_ROOT" in plan.experiments["e"].error
    registry = discover()
    config = load_config(path, registry)
    with pytest.raises(ConfigError, match=r"dataset ravdess: no root configured \(--strict\)"):
        build_plan(config, registry, tmp_path, log=lambda m: None, strict=True)

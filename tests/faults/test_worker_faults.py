"""A dead, exiting or hung plugin costs one unit; a passing fault is retried, never remembered."""

from __future__ import annotations

import json

import pytest

from .conftest import board_numbers, run_cli, stored_predictions


@pytest.fixture
def clean(clean_fault_run):
    return clean_fault_run


DEATHS = {
    "segfault": "worker died (signal 11: SIGSEGV)",
    "exit": "worker exited with code 3",
    "sysexit": "plugin ended its process (SystemExit: 4)",
    "sigkill": "worker died (signal 9: SIGKILL; killed, out of memory?)",
}


def killing_experiments() -> str:
    """One experiment per way to die, each extractor killing its worker on its own clip."""
    out = []
    for i, fault in enumerate(DEATHS):
        out.append(f"""
[experiments.kill-{fault}]
dataset = "toy"
protocols = ["loso"]
[experiments.kill-{fault}.branches.audio]
extractor = {{ plugin = "probe-extractor", params = {{ fault = "{fault}", on_clips = ["0{i + 1}-sad-1"] }} }}
model = "toy-centroid"
""")
    return "".join(out)


def test_a_plugin_that_always_kills_its_worker_on_one_clip_costs_that_clip_only(fault_benchmark):
    path = fault_benchmark(extra=killing_experiments())
    first = run_cli(path)
    assert first.returncode == 1, first.stderr
    runs = path.parent / "runs/faults"
    for i, (fault, cause) in enumerate(DEATHS.items()):
        clip = f"0{i + 1}-sad-1"
        assert f"{cause} extracting clip {clip} with plugin 'probe-extractor'" in first.stdout + first.stderr
        records = {p.stem: json.loads(p.read_text()) for p in (runs / f"kill-{fault}/loso/seed-0").glob("*.json")}
        assert len(records) == 4 and all(r["status"] == "error" and clip in r["error"] for r in records.values())
    assert "RETRYING" not in first.stderr  # extraction retries the clip alone, silently, once
    # the experiments that share no dying plugin never noticed
    for name in ("steady", "probe"):
        records = [json.loads(p.read_text()) for p in (runs / f"{name}/loso/seed-0").glob("*.json")]
        assert len(records) == 4 and all(r["status"] == "ok" for r in records)
    # a dead worker is never a verdict on the clip's media
    assert json.loads((runs / "clip-errors.json").read_text())["bad_media"] == {}
    # a rerun retries those clips, finishes, and says the same
    second = run_cli(path)
    assert second.returncode == 1 and f"{DEATHS['segfault']} extracting clip 01-sad-1" in second.stdout


def test_a_passing_crash_is_retried_by_the_next_run_and_leaves_no_trace(fault_benchmark, clean, tmp_path):
    switch = tmp_path / "fault-on"
    switch.touch()
    path = fault_benchmark(extractor={"fault": "segfault", "switch_file": str(switch)}, workers=2)
    first = run_cli(path)
    assert first.returncode == 1
    assert "not remembered: a rerun retries it" in first.stdout
    switch.unlink()  # the cause passes
    second = run_cli(path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert stored_predictions(path.parent) == clean[0]
    assert board_numbers(path.parent) == clean[1]


def test_a_fold_whose_worker_dies_is_retried_once_then_recorded_and_the_run_goes_on(fault_benchmark):
    path = fault_benchmark(model={"fault": "segfault"}, workers=2)
    result = run_cli(path)
    assert result.returncode == 1
    assert result.stderr.count("RETRYING: worker died (signal 11: SIGSEGV)") == 4  # each of 4 folds, once
    records = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/probe/loso/seed-0").glob("*.json")]
    assert len(records) == 4
    for record in records:
        assert record["status"] == "error"
        assert record["error"].startswith("worker died (signal 11: SIGSEGV) running fold")
        assert "'probe-model'" in record["error"]
    steady = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/steady/loso/seed-0").glob("*.json")]
    assert [r["status"] for r in steady] == ["ok"] * 4


@pytest.mark.parametrize("where", ["extractor", "model"])
def test_a_unit_whose_worker_dies_once_passes_on_its_retry_in_the_same_run(fault_benchmark, clean, tmp_path, where):
    switch = tmp_path / "fault-on"
    switch.touch()
    probe = {"fault": "sigkill", "switch_file": str(switch), "one_shot": True}
    path = fault_benchmark(**{where: probe})
    result = run_cli(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not switch.exists(), "the fault never fired"
    assert result.stderr.count("RETRYING") == (1 if where == "model" else 0)
    assert stored_predictions(path.parent) == clean[0]
    assert board_numbers(path.parent) == clean[1]


def test_a_hung_extractor_is_killed_after_the_clip_timeout_and_named(fault_benchmark):
    path = fault_benchmark(extractor={"fault": "hang", "on_clips": ["01-happy-0"]}, clip_timeout=2)
    result = run_cli(path, timeout=120)
    assert result.returncode == 1
    assert ("timed out after 2 s extracting clip 01-happy-0 with plugin 'probe-extractor'"
            in result.stdout + result.stderr)
    steady = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/steady/loso/seed-0").glob("*.json")]
    assert [r["status"] for r in steady] == ["ok"] * 4


def test_a_hung_fold_is_killed_after_the_fold_timeout_and_named(fault_benchmark):
    path = fault_benchmark(model={"fault": "hang"}, fold_timeout=2, workers=2)
    result = run_cli(path, timeout=120)
    assert result.returncode == 1
    records = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/probe/loso/seed-0").glob("*.json")]
    assert len(records) == 4
    assert all(r["error"].startswith("timed out after 2 s running fold") for r in records)
    assert "RETRYING" not in result.stderr  # a hang is not retried: it would only hang again


@pytest.mark.parametrize("fault", ["enospc", "memory", "import"])
def test_environment_failures_are_failed_work_not_bad_media(fault_benchmark, clean, tmp_path, fault):
    switch = tmp_path / "fault-on"
    switch.touch()
    path = fault_benchmark(extractor={"fault": fault, "switch_file": str(switch)})
    first = run_cli(path)
    assert first.returncode == 1
    runs = path.parent / "runs/faults"
    assert json.loads((runs / "clip-errors.json").read_text())["bad_media"] == {}
    switch.unlink()
    second = run_cli(path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert stored_predictions(path.parent) == clean[0]


def test_a_plugin_may_start_processes_of_its_own_in_a_worker(fault_benchmark):
    path = fault_benchmark(model={"spawn_child": True})
    result = run_cli(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_clips_of_two_datasets_sharing_ids_get_their_own_verdicts(fault_benchmark):
    """Both land in one extraction chunk (same extractor setting, the second experiment's 8 sad clips
    follow the first's 24): the good clip is never judged by the bad one's failure, nor the other way."""
    path = fault_benchmark(extra="""
[datasets.other]
plugin = "toy-dataset"
root = "{root}-other"
params = {{ subjects = 4, per_label = 2, offset = 100.0 }}

[experiments.other-steady]
dataset = "other"
protocols = ["loso"]
classes = ["sad"]
[experiments.other-steady.branches.audio]
extractor = "toy-extractor"
model = "toy-centroid"
""".format(root=path_root(fault_benchmark)))
    path.write_text(path.read_text().replace("params = { subjects = 4, per_label = 2 }",
                                             'params = { subjects = 4, per_label = 2, bad_clips = ["03-sad-1"] }'))
    result = run_cli(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped clip 03-sad-1 (steady)" in result.stdout
    assert "(other-steady)" not in result.stdout
    other = [json.loads(p.read_text()) for p in (path.parent / "runs/faults/other-steady/loso/seed-0").glob("*.json")]
    assert len(other) == 4 and all(r["status"] == "ok" and not r["skipped_test_clips"] for r in other)


def path_root(fault_benchmark) -> str:
    """The toy data folder the fault benchmark uses (its ``root``)."""
    text = fault_benchmark("probe-root").read_text()
    return text.split('root = "', 1)[1].split('"', 1)[0]

"""The open emotion vocabulary: canonical names and aliases, and corpora with labels beyond RAVDESS's eight."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from avbench.contract import CANONICAL_EMOTIONS, UnknownEmotionError, canonical, is_canonical
from avbench.scaffold import new_plugin_package
from avbench.testing import check_plugin

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("alias, name", [("anger", "angry"), ("Happiness", "happy"), ("joy", "happy"),
                                         ("fear", "fearful"), ("disgusted", "disgust"), ("surprise", "surprised"),
                                         ("sadness", "sad"), ("bored", "boredom"), ("frustrated", "frustration"),
                                         ("excitement", "excited"), ("NEU", "neutral"), (" ang ", "angry"),
                                         ("exc", "excited"), ("fru", "frustration"), ("oth", "other")])
def test_aliases_map_to_their_canonical_name(alias, name):
    assert canonical(alias) == name


def test_ravdess_labels_and_the_wider_categories_are_canonical_and_map_to_themselves():
    for name in ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised",
                 "boredom", "contempt", "frustration", "excited", "other"):
        assert is_canonical(name) and canonical(name) == name
    assert not is_canonical("anger") and not is_canonical("Happy")


def test_an_unknown_label_is_refused_naming_it_and_the_canonical_names():
    with pytest.raises(UnknownEmotionError, match="(?s)'sarcastic'.*boredom.*extra_labels"):
        canonical("sarcastic")


def corpus_package(tmp_path: Path, name: str, emotions: dict[str, str], extra: dict[str, str] | None) -> Path:
    """A third-party dataset package from ``avbench new-plugin``, its emotions replaced, made importable
    from ``src`` with a dist-info declaring its entry point (as pip would)."""
    root = new_plugin_package("dataset", name, tmp_path)
    module = name.replace("-", "_")
    plugin = root / "src" / f"avbench_{module}" / "plugin.py"
    source = plugin.read_text()
    default = 'EMOTIONS = {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry"}'
    assert default in source
    source = source.replace(default, f"EMOTIONS = {emotions!r}")
    if extra is not None:
        labels_line = "    labels: ClassVar[tuple[str, ...]] = tuple(EMOTIONS.values())\n"
        source = source.replace(labels_line, labels_line + f"    extra_labels = {extra!r}\n")
    plugin.write_text(source)
    info = root / "src" / f"avbench_{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: avbench-{name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[avbench]\n{name} = avbench_{module}.plugin\n")
    return root / "src"


def test_a_corpus_with_boredom_and_a_declared_label_of_its_own_passes_avbench_check(tmp_path):
    src = corpus_package(tmp_path, "emodb-like",
                         {"neu": "neutral", "ang": "angry", "bor": "boredom", "anx": "anxiety"},
                         {"anxiety": "EmoDB's Angst: anxious worry, annotated apart from fear"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(REPO), str(REPO / "plugins")])}
    proc = subprocess.run([sys.executable, "-m", "avbench.cli.main", "check", "emodb-like", "-v"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED emodb-like::check_labels_canonical" in proc.stdout
    assert "PASSED emodb-like::check_clips_valid" in proc.stdout
    assert proc.stdout.rstrip().endswith("1 plugin(s), 11 check(s): 11 passed"), proc.stdout


def test_an_undeclared_label_fails_the_label_check_naming_it_and_the_way_out(tmp_path, monkeypatch):
    src = corpus_package(tmp_path, "odd-corpus", {"neu": "neutral", "srk": "sarcastic"}, None)
    monkeypatch.syspath_prepend(str(src))
    from avbench_odd_corpus.plugin import avbench_plugins

    try:
        (result,) = check_plugin(avbench_plugins()[0], checks=["check_labels_canonical"])
    finally:
        sys.modules.pop("avbench_odd_corpus.plugin", None)
        sys.modules.pop("avbench_odd_corpus", None)
    assert result.status == "failed"
    assert "label 'sarcastic' is not a canonical emotion name" in result.reason
    assert "extra_labels" in result.reason


@pytest.mark.parametrize("labels, extra, message", [
    (("neutral", "anger"), {}, "use the canonical name 'angry'"),
    (("neutral", "anger"), {"anger": "rage"}, "which is the canonical 'angry'"),
    (("neutral",), {"anxiety": "worry"}, "'anxiety', which is not one of labels"),
    (("neutral", "anxiety"), {"anxiety": " "}, "must be a one-line description"),
])
def test_declared_labels_must_be_used_described_and_not_canonical_in_disguise(labels, extra, message):
    from avbench.contract.emotions import label_problems

    assert any(message in line for line in label_problems(labels, extra)), label_problems(labels, extra)


def test_the_vocabulary_lists_each_canonical_name_with_a_description():
    assert list(CANONICAL_EMOTIONS)[:8] == ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust",
                                            "surprised"]
    assert all(description.strip() for description in CANONICAL_EMOTIONS.values())

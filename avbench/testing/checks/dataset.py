"""Dataset checks on a tiny tree the dataset writes in its own naming scheme (``conformance_tree``)."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

from avbench.contract import CANONICAL_EMOTIONS, Clip, Dataset, DatasetError, Plugin  # noqa: F401 (re-exported)
from avbench.contract.emotions import label_problems

from ..hooks import make_plugin
from ..sandbox import Workspace, guard_writes
from .common import Check, yield_common_checks

NO_TREE = ("a dataset plugin must provide a classmethod conformance_tree(tmp_dir) -> Path that writes a tiny "
           "tree in its own naming scheme (embedded datasets may rely on prepare instead); see "
           "docs/writing-a-plugin.md")


def tree(cls: type[Dataset], ws: Workspace) -> Path:
    """The root of a tiny tree: ``conformance_tree(ws.data)``, or a folder an embedded dataset prepares."""
    hook = getattr(cls, "conformance_tree", None)
    if hook is not None:
        root = hook(ws.data)
        assert root is not None and Path(root).is_dir(), f"conformance_tree returned {root!r}, not a folder"
        return Path(root)
    assert cls.embedded, NO_TREE
    return ws.root / "embedded"  # not a watched folder: prepare may write here


def prepared(plugin: Dataset, root: Path) -> list[Clip]:
    plugin.prepare(root)
    clips = plugin.clips(root)
    assert isinstance(clips, list) and clips, f"clips() of the conformance tree returned {clips!r:.80}; " \
                                              "expected a non-empty list of Clip"
    assert all(isinstance(c, Clip) for c in clips), "clips() must return Clip objects"
    return clips


def run(cls: type[Dataset], body: Callable[[Dataset, Path, Workspace], None]) -> None:
    with Workspace() as ws:
        root = tree(cls, ws)
        with ws.entered():
            body(make_plugin(cls, ws), root, ws)  # type: ignore[arg-type]


def check_clips_valid(cls: type[Dataset]) -> None:
    """Unique clip ids, subjects set, labels among the declared ones, media of declared modalities that exist."""
    def body(plugin: Dataset, root: Path, ws: Workspace) -> None:
        clips = prepared(plugin, root)
        ids = [c.clip_id for c in clips]
        assert len(set(ids)) == len(ids), f"clip ids repeat: {sorted({i for i in ids if ids.count(i) > 1})[:5]}"
        for clip in clips:
            assert isinstance(clip.subject, str) and clip.subject, f"{clip.clip_id}: empty subject {clip.subject!r}"
            assert clip.label in cls.labels, f"{clip.clip_id}: label {clip.label!r} not in labels {cls.labels}"
            assert clip.media, f"{clip.clip_id}: no media"
            for modality, path in clip.media.items():
                assert modality in cls.modalities, (
                    f"{clip.clip_id}: media {modality!r} not in declared modalities {cls.modalities}")
                assert Path(path).is_file(), f"{clip.clip_id}: {modality} file {path} does not exist"
    run(cls, body)


def check_labels_canonical(cls: type[Dataset]) -> None:
    """``labels`` are distinct, each a canonical emotion name or declared in ``extra_labels`` with a description."""
    problems = label_problems(tuple(cls.labels), dict(getattr(cls, "extra_labels", None) or {}))
    assert not problems, "; ".join(problems)


def check_deterministic(cls: type[Dataset]) -> None:
    """Listing the same tree twice gives the same clips in the same order."""
    def body(plugin: Dataset, root: Path, ws: Workspace) -> None:
        first = prepared(plugin, root)
        again = make_plugin(cls, ws, cache="cache-b").clips(root)  # type: ignore[attr-defined]
        assert first == again, "clips differ between two listings of the same tree"
    run(cls, body)


def check_reports_bad_files(cls: type[Dataset]) -> None:
    """A media file whose name breaks the naming scheme is named: in ``problems`` (and left out), or a DatasetError."""
    def body(plugin: Dataset, root: Path, ws: Workspace) -> None:
        clips = prepared(plugin, root)
        source = Path(next(iter(clips[0].media.values())))
        bad = source.with_name("not-a-valid-name" + source.suffix)
        shutil.copyfile(source, bad)
        try:
            listed = plugin.clips(root)
        except DatasetError as exc:
            assert bad.name in str(exc), f"DatasetError does not name the bad file {bad.name}: {exc}"
            return
        listed_paths = {str(Path(p).resolve()) for c in listed for p in c.media.values()}
        if str(bad.resolve()) not in listed_paths and any(bad.name in p for p in getattr(plugin, "problems", ())):
            return
        what = "listed it as a clip" if str(bad.resolve()) in listed_paths else "skipped it silently"
        raise AssertionError(f"a file named {bad.name} among the media {what}; leave it out and name it in "
                             f"problems, or raise DatasetError naming it")
    run(cls, body)


def check_missing_root(cls: type[Dataset]) -> None:
    """A root that does not exist raises DatasetError naming it (not an empty list or a traceback)."""
    def body(plugin: Dataset, root: Path, ws: Workspace) -> None:
        missing = ws.data / "no-such-dataset-root"
        try:
            clips = plugin.clips(missing)
        except DatasetError as exc:
            assert missing.name in str(exc), f"DatasetError does not name the missing root: {exc}"
            return
        except Exception as exc:
            raise AssertionError(f"raised {type(exc).__name__}: {exc}; expected DatasetError") from None
        raise AssertionError(f"returned {len(clips)} clip(s) for a missing root; expected DatasetError")
    run(cls, body)


def check_listing_writes_nothing(cls: type[Dataset]) -> None:
    """``clips`` leaves the dataset tree as it is (only ``prepare`` of an embedded dataset may write there)."""
    def body(plugin: Dataset, root: Path, ws: Workspace) -> None:
        plugin.prepare(root)
        found: list[str] = []
        with guard_writes([root], found):
            plugin.clips(root)
        assert not found, "clips() changed the dataset tree: " + "; ".join(found[:5])
    run(cls, body)


def workload(cls: type[Plugin], ws: Workspace) -> Callable[[Plugin], Any]:
    root = tree(cls, ws)  # type: ignore[arg-type]
    return lambda plugin: prepared(plugin, root)  # type: ignore[arg-type]


def has_tree(cls: type[Dataset]) -> bool:
    return getattr(cls, "conformance_tree", None) is not None or bool(cls.embedded)


def check_conformance_tree(cls: type[Dataset]) -> None:
    """The dataset can write a tiny tree of its own to be checked on."""
    assert has_tree(cls), NO_TREE


def yield_checks(cls: type[Dataset]) -> Iterator[tuple[str, Check]]:
    yield from yield_common_checks(cls, workload if has_tree(cls) else None)
    yield "check_labels_canonical", partial(check_labels_canonical, cls)
    if not has_tree(cls):  # one failure that says what to add, rather than one per tree-based check
        yield "check_conformance_tree", partial(check_conformance_tree, cls)
        return
    yield "check_clips_valid", partial(check_clips_valid, cls)
    yield "check_deterministic", partial(check_deterministic, cls)
    yield "check_reports_bad_files", partial(check_reports_bad_files, cls)
    yield "check_missing_root", partial(check_missing_root, cls)
    yield "check_listing_writes_nothing", partial(check_listing_writes_nothing, cls)

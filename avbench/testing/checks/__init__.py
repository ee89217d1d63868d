"""Every conformance check, by plugin kind, as ``(check_name, callable)`` pairs (like scikit-learn's
``_yield_all_checks``). A check passes by returning, fails by raising (AssertionError with the reason,
or any other error), and skips by raising :class:`~avbench.testing.results.CheckSkipped`.
"""

from __future__ import annotations

from typing import Callable, Iterator

from avbench.contract import Plugin, PluginKind
from avbench.registry import contract_problems

from . import augmenter, common, dataset, extractor, face_detector, fusion, model, protocol

KIND_CHECKS: dict[PluginKind, Callable[[type], Iterator[tuple[str, common.Check]]]] = {
    PluginKind.DATASET: dataset.yield_checks,
    PluginKind.EXTRACTOR: extractor.yield_checks,
    PluginKind.AUGMENTER: augmenter.yield_checks,
    PluginKind.MODEL: model.yield_checks,
    PluginKind.FUSION: fusion.yield_checks,
    PluginKind.PROTOCOL: protocol.yield_checks,
    PluginKind.FACE_DETECTOR: face_detector.yield_checks,
}


def yield_checks(cls: type[Plugin]) -> Iterator[tuple[str, common.Check]]:
    """The checks that apply to ``cls``; a class that breaks the declaration contract gets only that check."""
    if contract_problems(cls):
        yield "check_declaration", lambda: common.check_declaration(cls)
        return
    yield from KIND_CHECKS[cls.kind](cls)


def check_names(cls: type[Plugin]) -> list[str]:
    return [name for name, _ in yield_checks(cls)]


__all__ = ["KIND_CHECKS", "check_names", "yield_checks"]

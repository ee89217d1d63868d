"""Every hook avbench calls: the whole extension surface in one file.

A plugin package declares modules under the ``avbench`` entry-point group; each
module implements some of these hooks with ``@avbench.hookimpl``. The core calls
``avbench_plugins`` to learn what the module provides; the other hooks let a
package observe a run (logging, notifications) without changing results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from avbench.contract import Plugin

PROJECT = "avbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def avbench_plugins() -> "list[type[Plugin]]":
    """Return the plugin classes this module provides.

    Called once per module when the registry loads. Each class subclasses one of
    the kinds in :mod:`avbench.contract` (Dataset, Extractor, Augmenter, Model,
    Fusion, Protocol) and declares ``name``, ``version`` and ``Params``. A class
    that breaks the contract is listed as broken; the module's other classes and
    every other package keep working.
    """


@hookspec
def avbench_run_started(benchmark: str, units: "list[dict[str, Any]]") -> None:
    """Called in the main process once a run is planned, before any work.

    ``units`` describes each planned fold (experiment, protocol, fold, seed) and
    whether it will be skipped because a result with the same fingerprint exists.
    """


@hookspec
def avbench_fold_finished(record: "dict[str, Any]") -> None:
    """Called in the main process after a fold's result (or its error) is stored.

    ``record`` is the fold's stored metadata: experiment, protocol, fold, seed,
    status, fingerprint, timings and the path of its predictions.
    """


@hookspec
def avbench_run_finished(benchmark: str, summary: "dict[str, Any]") -> None:
    """Called in the main process when a run ends, with counts of done, skipped and failed folds."""

"""Run the checks of one plugin, of named installed plugins, or of a distribution's plugins."""

from __future__ import annotations

import re
import time
import traceback
from typing import Collection, Mapping

from avbench.contract import Plugin, ResourceMissingError
from avbench.registry import Registry, get_registry

from .checks import yield_checks
from .hooks import xfail_checks
from .results import CheckResult, CheckSkipped

ExpectedFailures = Mapping[str, str]


def describe_exception(exc: BaseException) -> str:
    """One line: the assertion message, or ``Type: message [file:line]`` for an unexpected error."""
    text = str(exc).strip()
    if isinstance(exc, AssertionError) and text:
        return text
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    suffix = f" [{where[0].filename}:{where[0].lineno}]" if where else ""
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else '(no message)'}{suffix}"


def expected_reason(plugin: str, check: str, cls: type[Plugin] | None,
                    expected_failures: ExpectedFailures | None) -> str | None:
    """Why ``check`` is expected to fail for ``plugin``: from the caller (``check`` or ``plugin:check`` keys),
    else from the class's ``_xfail_checks``; None when it is expected to pass."""
    given = dict(expected_failures or {})
    for key in (f"{plugin}:{check}", check):
        if key in given:
            return given[key]
    return xfail_checks(cls).get(check) if cls is not None else None


def run_check(plugin: str, check: str, fn, expected: str | None = None) -> CheckResult:
    """Run one check and turn its outcome into a :class:`CheckResult`."""
    start = time.perf_counter()
    try:
        fn()
    except (CheckSkipped, ResourceMissingError) as exc:
        return CheckResult(plugin, check, "skipped", str(exc) or type(exc).__name__, time.perf_counter() - start)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a plugin calling sys.exit is a failure too
        seconds = time.perf_counter() - start
        if expected is not None:
            return CheckResult(plugin, check, "xfail", f"{expected} (got: {describe_exception(exc)})", seconds)
        return CheckResult(plugin, check, "failed", describe_exception(exc), seconds)
    seconds = time.perf_counter() - start
    if expected is not None:
        return CheckResult(plugin, check, "passed",
                           f"declared expected failure ({expected}) passed; remove it from _xfail_checks", seconds)
    return CheckResult(plugin, check, "passed", "", seconds)


def resolve(cls_or_name: type[Plugin] | str, registry: Registry | None = None) -> type[Plugin]:
    if isinstance(cls_or_name, str):
        return (registry or get_registry()).info(cls_or_name).cls
    return cls_or_name


def plugin_label(cls: type[Plugin]) -> str:
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) and name else getattr(cls, "__name__", repr(cls))


def check_plugin(cls_or_name: type[Plugin] | str, expected_failures: ExpectedFailures | None = None,
                 registry: Registry | None = None, checks: Collection[str] | None = None) -> list[CheckResult]:
    """Every check that applies to one plugin class (or installed plugin name), in order.

    ``expected_failures`` maps a check name (or ``plugin:check``) to the reason it is
    expected to fail, on top of the class's own ``_xfail_checks``; ``checks``
    limits the run to those check names.
    """
    cls = resolve(cls_or_name, registry)
    label = plugin_label(cls)
    return [run_check(label, name, fn, expected_reason(label, name, cls, expected_failures))
            for name, fn in yield_checks(cls) if checks is None or name in checks]


def run_checks(names: list[str] | None = None, registry: Registry | None = None,
               expected_failures: ExpectedFailures | None = None, checks: Collection[str] | None = None,
               distribution: str | None = None) -> list[CheckResult]:
    """Check installed plugins by name (all of them when ``names`` is empty), as ``avbench check`` does.

    A name that is unknown or broken, and (when checking everything) every
    broken entry point, is one failed ``check_loads`` result with the registry's reason.
    ``distribution`` limits an all-plugins run to one installed distribution.
    """
    registry = registry or get_registry()
    results: list[CheckResult] = []
    if not names:
        names = [n for n in registry.names()
                 if distribution is None or same_distribution(registry.plugins[n].source, distribution)]
        for line in broken_lines(registry, distribution):
            results.append(CheckResult(line[0], "check_loads", "failed", line[1]))
    for name in names:
        try:
            info = registry.info(name)
        except Exception as exc:
            results.append(CheckResult(name, "check_loads", "failed", str(exc)))
            continue
        results.extend(check_plugin(info.cls, expected_failures, registry, checks))
    return results


def broken_lines(registry: Registry, distribution: str | None = None) -> list[tuple[str, str]]:
    """``(what, why)`` for every broken entry and duplicated name, limited to one distribution if given."""
    lines = [(b.name or b.target, f"{b.source}: {b.target}: {b.error}") for b in registry.broken
             if distribution is None or same_distribution(b.source, distribution)]
    for name, infos in registry.duplicates.items():
        if distribution is None or any(same_distribution(i.source, distribution) for i in infos):
            lines.append((name, "provided by " + " and ".join(f"{i.source} ({i.module})" for i in infos)))
    return lines


def same_distribution(a: str, b: str) -> bool:
    """Distribution names compare as pip compares them: case, '-', '_' and '.' do not matter."""
    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()
    return canonical(a) == canonical(b)


def plugins_of_distribution(distribution: str, registry: Registry | None = None) -> list[type[Plugin]]:
    """The working plugin classes an installed distribution provides through its entry points, by name."""
    registry = registry or get_registry()
    return [registry.plugins[n].cls for n in registry.names()
            if same_distribution(registry.plugins[n].source, distribution)]


"""pytest plugin (entry point ``pytest11``): each conformance check of a plugin becomes its own test.

Two ways to use it in a plugin package's tests::

    from avbench.testing import parametrize_with_checks
    from my_package.plugin import MyDataset

    @parametrize_with_checks([MyDataset], expected_failures={"check_long_audio": "why"})
    def test_conformance(avbench_check):
        avbench_check()

or, without importing anything, mark a test taking ``avbench_check``::

    @pytest.mark.avbench_plugins(["my-dataset"], distribution="avbench-mine")  # names, classes or both
    def test_conformance(avbench_check):
        avbench_check()

(or name the plugins once for the whole run with ``--avbench-plugins NAME,dist:DIST``
or the ini option ``avbench_plugins``). A check in the plugin's ``_xfail_checks`` or in
``expected_failures`` is marked ``xfail`` with its reason; a check that cannot run
here (a missing model file) is skipped with the reason.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import pytest

ARGNAME = "avbench_check"


class PluginCheck:
    """One check of one plugin class; call it inside a test (skips become pytest skips)."""

    def __init__(self, plugin: str, check: str, fn: Callable[[], None]) -> None:
        self.plugin = plugin
        self.check = check
        self.fn = fn

    def __call__(self) -> None:
        from avbench.contract import ResourceMissingError

        from .results import CheckSkipped

        try:
            self.fn()
        except (CheckSkipped, ResourceMissingError) as exc:
            pytest.skip(f"{self.plugin}::{self.check}: {exc}")

    def __repr__(self) -> str:
        return f"{self.plugin}-{self.check}"


def _load_error(spec: str, message: str) -> PluginCheck:
    def fail() -> None:
        raise AssertionError(message)
    return PluginCheck(spec, "check_loads", fail)


def check_params(plugins: Iterable[Any], expected_failures: Mapping[str, str] | None = None,
                 registry: Any = None) -> list[Any]:
    """``pytest.param`` per (plugin, check), xfail-marked where expected; ``plugins`` are classes, names or
    ``dist:DISTRIBUTION`` (all plugins of an installed distribution)."""
    from avbench.registry import get_registry

    from .checks import yield_checks
    from .runner import expected_reason, plugin_label, plugins_of_distribution

    params = []
    for spec in plugins:
        classes: list[Any]
        if isinstance(spec, str) and spec.startswith("dist:"):
            classes = plugins_of_distribution(spec[5:], registry)
            if not classes:
                params.append(pytest.param(_load_error(spec, f"distribution {spec[5:]!r} provides no working "
                                                             "avbench plugin (is it installed?)"), id=spec))
        elif isinstance(spec, str):
            try:
                classes = [(registry or get_registry()).info(spec).cls]
            except Exception as exc:
                params.append(pytest.param(_load_error(spec, str(exc)), id=f"{spec}-check_loads"))
                continue
        else:
            classes = [spec]
        for cls in classes:
            label = plugin_label(cls)
            for name, fn in yield_checks(cls):
                reason = expected_reason(label, name, cls, expected_failures)
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason is not None else []
                params.append(pytest.param(PluginCheck(label, name, fn), id=f"{label}-{name}", marks=marks))
    return params


def parametrize_with_checks(plugins: Iterable[Any], expected_failures: Mapping[str, str] | None = None,
                            registry: Any = None) -> Any:
    """A ``pytest.mark.parametrize`` over every check of ``plugins``, for a test taking ``avbench_check``.

    ``expected_failures`` maps a check name (or ``plugin:check``) to the reason it is
    expected to fail, on top of each class's ``_xfail_checks``.
    """
    return pytest.mark.parametrize(ARGNAME, check_params(list(plugins), expected_failures, registry))


# --- hooks ---------------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("avbench", "avbench plugin conformance")
    group.addoption("--avbench-plugins", action="append", default=[], metavar="NAMES",
                    help="plugins (names, or dist:DISTRIBUTION) whose checks parametrize tests taking "
                         "`avbench_check`; comma-separated, repeatable")
    parser.addini("avbench_plugins", type="linelist", default=[],
                  help="plugins (names, or dist:DISTRIBUTION) whose checks parametrize tests taking `avbench_check`")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "avbench_plugins([plugins], distribution=None, expected_failures=None): run every avbench "
                   "conformance check of these plugins (a list of classes or names) as the test's `avbench_check`")


def _already_parametrized(metafunc: pytest.Metafunc) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if ARGNAME in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if ARGNAME not in metafunc.fixturenames or _already_parametrized(metafunc):
        return
    marker = metafunc.definition.get_closest_marker("avbench_plugins")
    expected = None
    if marker is not None:  # a lone class argument would decorate it, so classes come in a list
        specs = [s for arg in marker.args for s in (arg if isinstance(arg, (list, tuple)) else [arg])]
        if marker.kwargs.get("distribution"):
            specs.append("dist:" + marker.kwargs["distribution"])
        expected = marker.kwargs.get("expected_failures")
    else:
        options = [s for value in metafunc.config.getoption("avbench_plugins") for s in value.split(",")]
        specs = [s.strip() for s in options + list(metafunc.config.getini("avbench_plugins")) if s.strip()]
    if not specs:
        params = [pytest.param(_load_error("avbench", "no plugins to check: mark the test with "
                                                      "@pytest.mark.avbench_plugins(...), or pass --avbench-plugins"),
                               id="no-plugins")]
    else:
        params = check_params(specs, expected)
    metafunc.parametrize(ARGNAME, params)

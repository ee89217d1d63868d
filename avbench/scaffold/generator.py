"""Write a minimal installable plugin package: ``avbench new-plugin KIND NAME``."""

from __future__ import annotations

import re
from pathlib import Path

from avbench.contract import PluginKind
from avbench.contract.errors import AvbenchError
from avbench.registry import NAME_PATTERN

from .package_templates import CHECK_SH, INIT, PYPROJECT, README, TEST, WORKFLOW
from .plugin_templates import CLASS_SUFFIX, DEPENDENCIES, PLUGIN_SOURCES

KINDS = tuple(PLUGIN_SOURCES)


class ScaffoldError(AvbenchError):
    """The plugin package cannot be generated as asked (bad kind or name, folder exists)."""


def names_for(kind: str, name: str) -> dict[str, str]:
    """Distribution, module and class names derived from the plugin ``name``."""
    if kind not in PLUGIN_SOURCES:
        raise ScaffoldError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not NAME_PATTERN.match(name) or not re.search(r"[a-z]", name):
        raise ScaffoldError(f"name {name!r}: use lower-case letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit (e.g. savee)")
    words = [w for w in re.split(r"[._-]+", name) if w]
    module = "avbench_" + "_".join(words)
    camel = "".join(w[:1].upper() + w[1:] for w in words)
    return {
        "__NAME__": name,
        "__DIST__": "avbench-" + "-".join(words),
        "__MODULE__": module,
        "__CLASS__": (camel if camel[:1].isalpha() else "P" + camel) + CLASS_SUFFIX[kind],
        "__KIND__": PluginKind(kind).value.replace("_", " "),
        "__DEPENDENCIES__": ", ".join(f'"{d}"' for d in ["avbench", *DEPENDENCIES[kind]]),
    }


def fill(template: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        template = template.replace(token, value)
    return template


def new_plugin_package(kind: str, name: str, dest: str | Path = ".", force: bool = False) -> Path:
    """Write ``dest/avbench-<name>/`` and return its path.

    The package holds the plugin module (``src/<module>/plugin.py``), a
    ``pyproject.toml`` declaring it under the ``avbench`` entry-point group,
    ``tests/test_conformance.py`` running every conformance check, a README and
    CI snippets (GitHub Actions and plain shell). Refuses to overwrite an existing
    folder unless ``force``.
    """
    tokens = names_for(kind, name)
    root = Path(dest) / tokens["__DIST__"]
    if root.exists() and not force:
        raise ScaffoldError(f"{root} already exists (use --force to overwrite it)")
    module = tokens["__MODULE__"]
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{module}/__init__.py": INIT,
        f"src/{module}/plugin.py": PLUGIN_SOURCES[kind],
        "tests/test_conformance.py": TEST,
        ".github/workflows/avbench-check.yml": WORKFLOW,
        "ci/check.sh": CHECK_SH,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fill(template, tokens))
    (root / "ci/check.sh").chmod(0o755)
    return root

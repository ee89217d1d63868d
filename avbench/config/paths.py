"""Path values of ``benchmark.toml`` (and ``--data``, ``AVBENCH_CACHE``): ``~``, ``$VAR`` and ``${VAR}`` expanded.

Every path field goes through :func:`expand_path`, so a variable means the same thing
wherever it is written. An unset (or empty) variable is an error naming it, never a
path with a literal ``$`` in it.
"""

from __future__ import annotations

import os
import re

#: ``$NAME`` or ``${NAME}``, as :func:`os.path.expandvars` reads them on POSIX.
VARIABLE = re.compile(r"\$(\w+)|\$\{([^}]*)\}")


class UnsetVariableError(ValueError):
    """A path names an environment variable that is not set."""

    def __init__(self, variable: str, value: str) -> None:
        super().__init__(f"${variable} is not set (the path {value!r} uses it)")
        self.variable = variable


def variables_in(value: str) -> list[str]:
    """The environment variables ``value`` refers to, in order."""
    return [m.group(1) or m.group(2) for m in VARIABLE.finditer(value)]


def expand_path(value: str) -> str:
    """``value`` with a leading ``~`` and every ``$VAR`` / ``${VAR}`` expanded; UnsetVariableError if one is unset."""
    for variable in variables_in(value):
        if not os.environ.get(variable):
            raise UnsetVariableError(variable, value)
    return os.path.expandvars(os.path.expanduser(value))

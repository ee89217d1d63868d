"""No machine's absolute paths in a leaderboard: paths become project-relative or ``$AVBENCH_*``-relative.

Errors and parameters recorded by a run can contain the paths of the machine that ran it. The
leaderboard is committed and read elsewhere, so every string it writes passes through a
:class:`PathScrubber`: a path under a configured ``AVBENCH_*`` variable is written with the
variable's name, a path inside the project relative to it, the home folder as ``~``, and any other
absolute path as ``…/`` and its last component.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

SEGMENT_END = r"(?![^/\s'\"`,;:()\[\]{}<>|])"
OTHER_ABSOLUTE = re.compile(r"(?<![\w.~$/:\\-])/(?:[^\s/'\"`,;:()\[\]{}<>|]+/)+[^\s/'\"`,;:()\[\]{}<>|]*")


class PathScrubber:
    """Rewrites absolute paths in strings (and in lists and dicts of strings)."""

    def __init__(self, base: Path, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        replacements: dict[str, str] = {}
        for name, value in environ.items():
            if name.startswith("AVBENCH_") and value and os.path.isabs(os.path.expanduser(value)):
                for form in _forms(Path(os.path.expanduser(value))):
                    replacements.setdefault(form, f"${name}")
        for form in _forms(Path(base)):
            replacements.setdefault(form, ".")
        home = environ.get("HOME")
        if home and os.path.isabs(home) and len(home) > 1:
            for form in _forms(Path(home)):
                replacements.setdefault(form, "~")
        # longest first: a variable's folder inside the project is written with the variable
        self._replacements = sorted(replacements.items(), key=lambda kv: -len(kv[0]))

    def text(self, value: str) -> str:
        for prefix, name in self._replacements:
            if prefix in value:  # the whole folder only: /data/x must not match inside /data/xy
                value = re.sub(re.escape(prefix) + SEGMENT_END, lambda m: name, value)
        value = re.sub(r"(?<![\w.])\./(?=\S)", "", value)  # project-relative: no leading ./
        return OTHER_ABSOLUTE.sub(lambda m: "…/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], value)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value


def _forms(path: Path) -> set[str]:
    """The spellings of a folder a message may contain: as given and fully resolved, without a trailing slash."""
    forms = {str(path).rstrip("/")}
    try:
        forms.add(str(path.resolve()).rstrip("/"))
    except OSError:
        pass
    return {f for f in forms if f and f != "/"}

"""Submitter names a maintainer can trust: normalised, plain, one folder each, never a look-alike of another.

A name is NFKC-normalised, then must be a string of ASCII letters, digits, spaces, ``.``, ``_`` and
``-``, starting with a letter or digit, at most :data:`MAX_LENGTH` characters. Its folder (slug) is the
name with spaces as ``-``; a name that is not a string, or holds anything else (a ``/``, a NUL, a
Cyrillic ``а``), is refused rather than rewritten, so two names never share a folder by accident and
what is shown is what is stored. A name whose *skeleton* (case, separators and look-alike characters
folded: ``0``/``o``, ``1``/``l``/``i``...) is that of another stored submitter is refused as confusable.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from avbench.contract.errors import AvbenchError

MAX_LENGTH = 64
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")
_LOOK_ALIKE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "2": "z", "8": "b"})


class SubmitterError(AvbenchError):
    """A submitter name that cannot be stored; the message says what was expected."""


def submitter_name(value: Any) -> str:
    """``value`` as a stored submitter name (NFKC, trimmed); SubmitterError when it is not a safe name."""
    if not isinstance(value, str):
        raise SubmitterError(f"is a {type(value).__name__}, expected a string naming who computed these results")
    name = unicodedata.normalize("NFKC", value).strip()
    if not name:
        raise SubmitterError("is empty; expected who computed these results")
    if len(name) > MAX_LENGTH:
        raise SubmitterError(f"has {len(name)} characters, expected at most {MAX_LENGTH}")
    if not SAFE_NAME.fullmatch(name) or "  " in name:
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in " ._-"))})
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad) or "a leading separator or a double space"
        raise SubmitterError(f"{name!r} holds {shown}; expected ASCII letters, digits, spaces, '.', '_' and '-', "
                             "starting with a letter or digit")
    return name


def submitter_slug(name: str) -> str:
    """The folder of a (valid) submitter name: ``Jane Doe`` -> ``Jane-Doe``; '' for a name that is not valid."""
    try:
        return submitter_name(name).replace(" ", "-")
    except SubmitterError:
        return ""


def skeleton(name: str) -> str:
    """What a reader sees: case, separators and look-alike characters folded (``A1ice`` ~ ``alice``)."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKE)
    folded = re.sub(r"[\s._-]+", "", folded)
    return folded.replace("rn", "m").replace("vv", "w")


def confusable_with(name: str, others: Iterable[str]) -> str | None:
    """An existing submitter name other than ``name`` that reads the same, or None."""
    mine = skeleton(name)
    return next((o for o in sorted(others) if o != name and skeleton(o) == mine), None)

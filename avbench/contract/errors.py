"""Errors plugins raise so the runner can record them precisely and go on."""

from __future__ import annotations


class AvbenchError(Exception):
    """Base of avbench's own errors: shown to users as one line, never a traceback."""


class ClipError(AvbenchError):
    """One clip cannot be processed (unreadable, empty, no usable frames...).

    The runner records it against the clip and carries on with the others.
    """

    def __init__(self, clip_id: str, reason: str) -> None:
        super().__init__(f"{clip_id}: {reason}")
        self.clip_id = clip_id
        self.reason = reason


class DatasetError(AvbenchError):
    """A dataset tree is unusable; ``problems`` names every offending file, not just the first."""

    def __init__(self, root: object, problems: list[str]) -> None:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{root}: {len(problems)} problem(s):\n  {shown}{more}")
        self.root = root
        self.problems = problems


class ResourceMissingError(AvbenchError):
    """A pretrained file or other resource is not where the configuration says; says what to put where."""


class UnfitConfigError(AvbenchError, ValueError):
    """A configuration that cannot run on this data (too few subjects or corpora for a protocol, say).

    Raised by a plugin with a message naming the parameter that changes it; the runner reports it as a
    configuration error before anything runs. A ``ValueError`` too, for callers that catch those.
    """

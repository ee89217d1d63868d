"""What one conformance check reports, and how a list of reports reads on a terminal."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Literal

Status = Literal["passed", "failed", "xfail", "skipped"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "xfail", "skipped")


class CheckSkipped(Exception):
    """Raised inside a check that cannot run here (a missing resource, an optional library); says why."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of one plugin.

    ``status`` is ``passed``, ``failed``, ``xfail`` (failed, but the plugin or the
    caller declared it expected, with ``reason``) or ``skipped`` (could not run,
    with ``reason``).
    """

    plugin: str
    check: str
    status: Status
    reason: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """``STATUS plugin::check: reason`` on one line."""
        reason = " ".join(self.reason.split())
        return f"{self.status.upper()} {self.plugin}::{self.check}" + (f": {reason}" if reason else "")


def format_results(results: Iterable[CheckResult], verbose: bool = False) -> tuple[list[str], int]:
    """Lines to print and the exit code (1 when any check failed, else 0).

    One line per failed check with its reason, then the expected failures and
    skips (with reasons, so a skip is never silent), then a summary line. With
    ``verbose`` the passed checks are listed too.
    """
    results = list(results)
    order = ("failed", "xfail", "skipped") + (("passed",) if verbose else ())
    lines = [r.line() for status in order for r in results if r.status == status]
    counts = Counter(r.status for r in results)
    plugins = len({r.plugin for r in results})
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    lines.append(f"{plugins} plugin(s), {len(results)} check(s): {summary or 'nothing to check'}")
    return lines, 1 if counts["failed"] else 0

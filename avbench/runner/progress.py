"""Progress of one stage of a run (extracting features, running folds) that does not mislead.

On a terminal: a tqdm bar. Workers load their plugins before their first unit, so the first units
take far longer than the rest; the bar says it is warming up until the first unit finishes, and its
rate and ETA count from there (work actually done), not from the start. Elsewhere (a log file, a
pipe): a plain line when the stage starts, about every tenth of the work or half a minute, and when
it ends, with the rate and an estimate of the time left from the same work.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Callable

from tqdm import tqdm

#: A plain progress line at least every this many seconds (when something finished), and every tenth of the work.
LINE_EVERY_SECONDS = 30.0
LINE_EVERY_SHARE = 0.1


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 10 s``, ``1 h 05 min``: a time for a person."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


class StageProgress:
    """Progress of ``total`` units of one stage; ``update(n)`` as units finish; use as a context manager.

    ``warming``: what the first units wait for (``"2 workers loading plugins"``), said once; ``None`` when
    the workers are known to be ready. ``enabled=False`` (``--no-progress``) shows nothing.
    """

    def __init__(self, desc: str, total: int, unit: str, *, enabled: bool = True, warming: str | None = None,
                 stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.desc, self.total, self.unit, self.warming = desc, total, unit, warming
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        self.clock = clock
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.n = 0
        self.started = clock()
        self.first_done: tuple[float, int] | None = None  # (time, units) when the first unit finished
        self._bar: Any = None
        self._last_line = (self.started, 0)

    def __enter__(self) -> "StageProgress":
        if not self.enabled:
            return self
        waiting = f"; warming up ({self.warming}): the first {self.unit}s take longest" if self.warming else ""
        if self.terminal:
            self._bar = tqdm(total=self.total, desc=f"{self.desc} (warming up)" if self.warming else self.desc,
                             unit=self.unit, file=self.stream,
                             bar_format="{desc}: {n_fmt}/{total_fmt} {unit}s [{elapsed}]" if self.warming else None)
            if self.warming:
                self._bar.write(f"{self.desc}: {self.total} {self.unit}(s){waiting}", file=self.stream)
        else:
            self._line(f"{self.desc}: {self.total} {self.unit}(s) to do{waiting}")
        return self

    def update(self, n: int = 1) -> None:
        if not self.enabled or n <= 0:
            self.n += max(n, 0)
            return
        self.n += n
        now = self.clock()
        if self.first_done is None:
            self.first_done = (now, self.n)
            if self._bar is not None and self.warming:  # a fresh bar: rate and ETA from here on
                self._bar.close()
                self._bar = tqdm(total=self.total, initial=self.n, desc=self.desc, unit=self.unit, file=self.stream)
                return
        if self._bar is not None:
            self._bar.update(n)
            return
        last_time, last_n = self._last_line
        if self.n >= self.total or now - last_time >= LINE_EVERY_SECONDS \
                or self.n - last_n >= max(1, LINE_EVERY_SHARE * self.total):
            self._last_line = (now, self.n)
            if self.n < self.total:
                self._line(f"{self.desc}: {self.n}/{self.total} {self.unit}s ({100 * self.n / self.total:.0f}%), "
                           f"{duration(now - self.started)} elapsed{self._left(now)}")

    def _left(self, now: float) -> str:
        """``, about 2 min 10 s left``: from the units finished since the first one (warm-up excluded)."""
        if self.first_done is None:
            return ""
        since, done_then = self.first_done
        done = self.n - done_then
        if done <= 0 or now <= since:
            return ""
        rate = done / (now - since)
        return f", {rate:.2g} {self.unit}s/s, about {duration((self.total - self.n) / rate)} left"

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        elif exc[0] is None:
            self._line(f"{self.desc}: {self.n}/{self.total} {self.unit}s done in {duration(self.clock() - self.started)}")

"""Remembered bad-media verdicts: which clip cannot be used with which extractor setting.

A verdict is keyed by feature key (extractor setting + the clip's media content + clip id), so it
clears itself when the file or the setting changes; a clip that extracts cleanly loses its verdict.
Only bad media is remembered, never failed work. Files of an older format are dropped whole: their
verdicts may hold passing failures, and a rerun is the safe way to tell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

from avbench.storage.atomic import write_json

FORMAT = 2


class BadMediaMemory:
    """``<run folder>/clip-errors.json``: ``{"format": 2, "bad_media": {feature_key: reason}, "clips": {...}}``.

    ``clips`` names the clip and extractor setting each verdict is about, so a verdict superseded by a
    new key for the same clip (its file or setting changed) is dropped instead of kept for good.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            stored = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError, OSError):
            stored = {}
        verdicts = stored.get("bad_media") if isinstance(stored, dict) and stored.get("format") == FORMAT else None
        self.verdicts: dict[str, str] = dict(verdicts) if isinstance(verdicts, dict) else {}
        clips = stored.get("clips") if verdicts is not None else None
        self.clips: dict[str, str] = {k: v for k, v in (clips or {}).items() if k in self.verdicts}
        self._dirty = False

    def forget_all(self) -> int:
        """Drop every verdict (``avbench run --retry-failed``); returns how many there were."""
        count = len(self.verdicts)
        if count:
            self.verdicts.clear()
            self.clips.clear()
            self._dirty = True
        return count

    def update(self, bad: Mapping[str, str], extracted: Iterable[str], planned: Mapping[str, str]) -> None:
        """Remember new verdicts; forget those of clips just extracted cleanly and those superseded.

        ``planned`` maps each feature key of this run to what it is about (extractor setting and clip):
        a stored verdict about the same thing under another key no longer applies.
        """
        for key in extracted:
            if self.verdicts.pop(key, None) is not None:
                self._dirty = True
        current = set(planned.values())
        for key in [k for k, label in self.clips.items() if k not in planned and label in current]:
            self.verdicts.pop(key, None)
            self._dirty = True
        for key, reason in bad.items():
            if self.verdicts.get(key) != reason:
                self.verdicts[key] = reason
                self._dirty = True
            if key in planned:
                self.clips[key] = planned[key]
        self.clips = {k: v for k, v in self.clips.items() if k in self.verdicts}

    def save(self) -> None:
        if self._dirty or not self.path.exists():
            write_json(self.path, {"format": FORMAT, "bad_media": self.verdicts, "clips": self.clips})
            self._dirty = False

"""Text that is not avbench's own, made safe for the Markdown leaderboard.

Names, notes, devices and errors can come from a stranger's bundle. In a GitHub table cell raw HTML
would render (``<script>``, ``<img onerror>``) and a ``|`` or a newline would end the cell or forge a row.
:func:`md` escapes ``&`` and ``<`` (no tag or entity can start; ``->`` stays readable) and pipes,
folds newlines and drops other control characters, so the text reads as written and does nothing else
(a backtick may open a code span: shown literally, harmless).
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"[\r\n\t]+")


def md(value: Any) -> str:
    """``value`` as inert Markdown inline text (for table cells, headings and list items)."""
    text = _NEWLINES.sub(" ", _CONTROL.sub("", str(value)))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")  # no tag or entity can open


def md_code(value: Any) -> str:
    """``value`` for inside a code span (shown literally): one line, no control characters, no backtick."""
    return _NEWLINES.sub(" ", _CONTROL.sub("", str(value))).replace("`", "'")

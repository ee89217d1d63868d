"""CSV cells that a spreadsheet cannot run: a text cell starting with ``= + - @`` (or a tab or carriage
return) is read as a formula by Excel, LibreOffice and Google Sheets, so it is written with a leading ``'``
(the OWASP advice). Numbers are numeric columns and are left alone."""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that could start a formula prefixed by ``'``."""
    pattern = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns([
        pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, dtype in frame.schema.items() if dtype == pl.String])

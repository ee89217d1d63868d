"""Where a seed text's reported number may stand: on a row only under the text's own protocol.

``reported.protocol`` names the config protocol that evaluates as the text did (same corpus, class
set and speaker split). A number goes on that row, with its caveat; on any other row of the
experiment, and for a text whose protocol no config protocol matches (speakers shared between train
and test, corpora pooled, other classes), it goes to a note under the table, caveat included.
"""

from __future__ import annotations

from typing import Any

from avbench.config.schema import BenchmarkConfig

REPORTED_METRICS = ("accuracy", "macro_f1", "uar")
METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "uar": "UAR"}


def reported_fields(config: BenchmarkConfig, experiment: str, protocol: str) -> dict[str, Any]:
    """The row's reported columns: numbers only where the row's protocol is the text's."""
    reported = config.experiments[experiment].reported if experiment in config.experiments else None
    fields: dict[str, Any] = {f"reported_{m}": None for m in REPORTED_METRICS}
    fields.update(reported_source="", reported_caveat="", reported_protocol="", reported_elsewhere="")
    if reported is None:
        return fields
    fields.update(reported_source=reported.source, reported_caveat=reported.note,
                  reported_protocol=reported.protocol or "")
    numbers = {m: getattr(reported, m) for m in REPORTED_METRICS if getattr(reported, m) is not None}
    if reported.protocol and reported.protocol == protocol:
        fields.update({f"reported_{m}": v for m, v in numbers.items()})
    elif numbers or reported.note:
        fields["reported_elsewhere"] = elsewhere_note(reported, numbers, config.experiments[experiment].protocols)
    return fields


def elsewhere_note(reported: Any, numbers: dict[str, float], protocols: list[str]) -> str:
    """One line for a reported number that belongs to no row of this table."""
    said = ", ".join(f"{METRIC_NAMES[m]} {100 * v:.1f}" for m, v in numbers.items())
    where = (f"under protocol {reported.protocol} (its row in that table)" if reported.protocol in protocols
             else "under its own protocol, which no protocol here matches")
    text = f"{reported.source or 'the text'} reported {said} {where}" if said else (reported.source or "the text")
    return text + (f": {reported.note}" if reported.note else "")


def reported_cell(row: dict[str, Any]) -> str:
    """The reported column of a Markdown row: number, source and caveat, or nothing."""
    numbers = [f"{100 * row[f'reported_{m}']:.1f}" + ("" if m == "accuracy" else f" {METRIC_NAMES[m]}")
               for m in REPORTED_METRICS if row.get(f"reported_{m}") is not None]
    if not numbers:
        return ""
    text = " / ".join(numbers)
    if row.get("reported_source"):
        text += f" ({row['reported_source']})"
    if row.get("reported_caveat"):
        text += f" ⚠ {row['reported_caveat']}"
    return text

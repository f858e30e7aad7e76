"""How an export's table is written out: as CSV or JSON, chunk by chunk as its rows come
from the database, and, for people, with headers and coded values in words.

JSON speaks in machine keys (``review_id``, level ``good``); CSV and workbooks are for
people and speak in the reader's language (``readable``): "Besøgsdato", level "God".

CSV is UTF-8 with a byte order mark, so Excel reads Danish letters right. With ``;`` as
the separator (Danish Excel's default) numbers have a decimal comma, as Danish Excel
expects; with ``,`` they have a decimal point. In CSV and Excel alike, a text that a
spreadsheet would run as a formula (it begins with "=", "+", "-" or "@") is written with a
leading apostrophe, so it stays text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date

from app.models import ProgramType, RaterKind
from app.services.exports import CHUNK_ROWS, RATING_COLUMNS, REVIEW_COLUMNS, Scope, Table, Value
from app.services.national_filters import Filters
from app.services.reports import cell_text


def csv_chunks(table: Table, *, sep: str = ";") -> Iterator[bytes]:
    """The table as CSV, UTF-8 with a byte order mark, in chunks of rows.

    Each line is the fields' texts joined by hand, every text already quoted as
    Python's csv module would quote it (``_text_for``), and remembered: a long export
    writes the same few values on row after row, and spent half its time in the csv
    module's quoting."""
    text, known = _text_for(sep)
    header = sep.join(text(column) for column in table.columns)
    parts: list[str] = ["\ufeff", header, "\r\n"]
    join, remembered = sep.join, known.get
    for count, row in enumerate(table.rows, start=1):
        try:  # every value's text already known: the dictionary answers in C
            line = join(map(remembered, row))  # type: ignore[arg-type]
        except TypeError:  # one was not (a None among the texts)
            line = join(map(text, row))
        parts.append(line)
        parts.append("\r\n")
        if count % CHUNK_ROWS == 0:
            yield "".join(parts).encode()
            parts.clear()
    yield "".join(parts).encode()


def _text_for(sep: str) -> tuple[Callable[[Value], str], dict[Value, str]]:
    """How a value is written in CSV: numbers without a trailing ".0", with a decimal
    comma when the separator is ";"; text guarded as in a workbook (``cell_text``) and
    quoted where it holds the separator, a quote or a line break (the csv module's
    minimal quoting).

    The same few values come again and again (a team's name, an item's key, a score),
    so each value's text is remembered: a long export spends its time here otherwise.
    Values are never booleans, so 1 and 1.0 (equal as keys) are written alike anyway.
    """
    comma = sep == ";"
    known: dict[Value, str] = {None: ""}
    special = (sep, '"', "\r", "\n")

    def written(value: Value) -> str:
        if isinstance(value, str):
            found = str(cell_text(value))  # "=…" stays text in a spreadsheet
            if any(mark in found for mark in special):
                return '"' + found.replace('"', '""') + '"'
            return found
        if isinstance(value, float):
            number = _number(value)
            return number.replace(".", ",") if comma else number
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def text(value: Value) -> str:
        found = known.get(value)
        if found is None:
            found = written(value)
            if len(known) >= 50_000:
                known.clear()
                known[None] = ""
            known[value] = found
        return found

    return text, known


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(round(value, 6))


def json_chunks(table: Table, *, filters: Filters) -> Iterator[bytes]:
    """The table as one JSON object: the filters, the columns, and the rows as objects."""
    head = {"export": table.name, "filters": filters.as_query(), "columns": table.columns}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [').encode()
    columns = table.columns
    parts: list[str] = []
    first = True
    for row in table.rows:
        record = {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in zip(columns, row, strict=True)
        }
        parts.append(("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False))
        first = False
        if len(parts) >= CHUNK_ROWS:
            yield "".join(parts).encode()
            parts.clear()
    parts.append("\n]}\n")
    yield "".join(parts).encode()


FIXED_LABELS = {
    name: f"export_col_{name}" for name in dict.fromkeys(REVIEW_COLUMNS + RATING_COLUMNS)
}


def readable(table: Table, *, scope: Scope, language: str, t: Callable[[str], str]) -> Table:
    """The table as a person reads it in a spreadsheet, in ``language``.

    Headers in words ("Besøgsdato", "Princip 3: ...", "Item 7: ..."), and levels, target
    groups and kinds of rater by their names. The machine keys stay in JSON (and in CSV
    and workbooks asked for with ``labels=keys``)."""
    titles: dict[str, str] = {}
    levels: dict[Value, Value] = {}
    for definition in scope.definitions.values():
        for section in definition.sections:
            titles.setdefault(f"section:{section.key}", section.title.get(language))
        for principle in definition.principles:
            titles.setdefault(
                f"principle:{principle.key}",
                f"{principle.number}. {principle.title.get(language)}",
            )
        for item in definition.items:
            titles.setdefault(f"item:{item.key}", f"{item.number}. {item.title.get(language)}")
        for band in definition.levels.bands:
            levels.setdefault(band.key, band.title.get(language))
    prefixes = {"section": t("section"), "principle": t("principle"), "item": t("item")}

    def header(column: str) -> str:
        if column in FIXED_LABELS:
            return t(FIXED_LABELS[column])
        kind, _, _ = column.partition(":")
        return f"{prefixes.get(kind, kind)} {titles.get(column, column)}"

    coded: dict[int, dict[Value, Value]] = {}
    for index, column in enumerate(table.columns):
        if column == "level":
            coded[index] = levels
        elif column == "program_type":
            coded[index] = {p.value: t(f"program_{p.value}") for p in ProgramType}
        elif column == "rater_kind":
            coded[index] = {k.value: t(f"rater_kind_{k.value}") for k in RaterKind}
    if not coded:
        return Table(table.name, [header(c) for c in table.columns], table.rows)

    def rows() -> Iterator[tuple[Value, ...]]:
        for row in table.rows:
            values = list(row)
            for index, names in coded.items():
                values[index] = names.get(values[index], values[index])
            yield tuple(values)

    return Table(table.name, [header(c) for c in table.columns], rows())

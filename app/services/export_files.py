"""An export as a file: which tables it holds, in what order and in whose words, written
as the format asks, row by row from a read connection so the first bytes leave at once.
The API's export routes and the national page's download buttons both send these files,
so a workbook from the page and one from a script are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from sqlalchemy import Connection
from sqlmodel import Session

from app.errors import Forbidden
from app.i18n import Translator, thousands_in
from app.services import (
    access,
    export_writers,
    exports,
    implementation_exports,
    national_filters,
    outcome_exports,
    xlsx,
)
from app.services.access import Principal
from app.services.exports import Scope

Kind = Literal[
    "reviews", "ratings", "implementation", "implementation_ratings", "outcomes", "workbook"
]
Format = Literal["json", "csv", "xlsx"]
Separator = Literal[";", ","]
Labels = Literal["words", "keys"]


def scope(
    session: Session, *, principal: Principal, filters: dict[str, str | None], timezone: str
) -> Scope:
    """What an export of ``filters`` holds, once the caller may export at all (the filters
    are checked against what exists, each refusal naming the allowed values)."""
    if not access.can_export(principal):
        raise Forbidden.of("err_export_forbidden")
    chosen = national_filters.parse_filters(session, **filters)
    versions = national_filters.chosen_versions(session, filters=chosen)
    return Scope.of(versions, chosen, timezone=timezone)


def chunks(
    connection: Connection,
    *,
    kind: Kind,
    scope: Scope,
    fmt: Format,
    sep: Separator,
    labels: Labels,
    t: Translator,
) -> Iterator[bytes]:
    """The export's bytes: JSON in machine keys; CSV and workbooks in the reader's
    language, or in machine keys with ``labels="keys"``."""
    if fmt == "xlsx":
        yield from xlsx.stream(_sheets(connection, kind=kind, scope=scope, labels=labels, t=t))
        return
    table = _read(connection, kind, scope)
    if fmt == "csv":
        yield from export_writers.csv_chunks(_for(connection, table, scope, labels, t), sep=sep)
    else:
        yield from export_writers.json_chunks(table, filters=scope.filters)


def _read(connection: Connection, kind: Kind, scope: Scope) -> exports.Table:
    """The table ``kind`` names, its rows not yet read."""
    match kind:
        case "ratings":
            return exports.ratings(connection, scope=scope)
        case "implementation":
            return implementation_exports.rounds(connection, scope=scope)
        case "implementation_ratings":
            return implementation_exports.ratings(connection, scope=scope)
        case "outcomes":
            return outcome_exports.outcomes(connection, scope=scope)
    return exports.reviews(connection, scope=scope)


def _for(
    connection: Connection, table: exports.Table, scope: Scope, labels: Labels, t: Translator
) -> exports.Table:
    """The table with its headers and levels in words, unless machine keys were asked for."""
    if labels == "keys":
        return table
    if table.name == "outcomes":
        return outcome_exports.readable(table, t=t)
    if table.name.startswith("implementation"):
        return implementation_exports.readable(
            table, connection=connection, language=t.language, t=t
        )
    return export_writers.readable(table, scope=scope, language=t.language, t=t)


def _sheets(
    connection: Connection, *, kind: Kind, scope: Scope, labels: Labels, t: Translator
) -> Iterator[xlsx.Sheet]:
    """A workbook's sheets: the tables asked for, the items, and the filters it was made
    with. Each table's query runs when its sheet's turn comes, not before."""
    parts: tuple[tuple[Kind, str], ...] = (
        ("reviews", "xlsx_reviews"),
        ("ratings", "xlsx_ratings"),
        ("implementation", "xlsx_implementation_rounds"),
        ("implementation_ratings", "xlsx_implementation_ratings"),
        ("outcomes", "xlsx_outcomes"),
    )
    for part, sheet_name in parts:
        if kind in (part, "workbook"):
            table = _for(connection, _read(connection, part, scope), scope, labels, t)
            yield xlsx.Sheet(t(sheet_name), table.columns, table.rows)
    columns, rows = (
        exports.item_rows(scope)
        if labels == "keys"
        else exports.item_rows(scope, language=t.language, t=t)
    )
    yield xlsx.Sheet(t("xlsx_items"), columns, rows)
    yield xlsx.Sheet(
        t("xlsx_filters"), [t("export_filter"), t("export_value")], filter_rows(scope, t=t)
    )


def filter_rows(scope: Scope, *, t: Translator) -> list[list[str]]:
    """The workbook's last sheet: the filters it was made with, and what happens to a
    table longer than a sheet holds."""
    chosen = scope.filters.as_query()
    rows = [
        [t(f"export_filter_{name}"), chosen.get(name) or t("export_filter_all")]
        for name in ("year", "region", "program_type", "scale")
    ]
    limit = thousands_in(xlsx.EXCEL_MAX_ROWS, t.language)  # 1.048.576 in Danish
    return [*rows, [], [t("export_about_sheets").format(rows=limit)]]

"""Writing an export's table: CSV quoted as Python's csv module reads it, with the decimal
mark the separator calls for and formulas kept as text."""

from __future__ import annotations

from datetime import date

from app.services import export_writers, exports
from tests.web.test_exports import read_csv


def test_csv_quotes_what_needs_quoting_as_the_csv_module_reads_it() -> None:
    tricky = [
        (1, 'Team "Nord"; Øst', 2.5, None, "line one\nline two", "=SUM(A1)", date(2025, 1, 2)),
        (2, "plain", 4.0, 3, "", "-3", date(2025, 1, 3)),
    ]
    for sep in (";", ","):
        table = exports.Table("t", ["a", "b;c", "d", "e", "f", "g", "h"], iter(tricky))
        rows = read_csv(b"".join(export_writers.csv_chunks(table, sep=sep)), sep)
        point = "," if sep == ";" else "."
        assert rows[0] == ["a", "b;c", "d", "e", "f", "g", "h"]
        assert rows[1] == [
            "1", 'Team "Nord"; Øst', f"2{point}5", "", "line one\nline two", "'=SUM(A1)",
            "2025-01-02",
        ]  # fmt: skip
        assert rows[2] == ["2", "plain", "4", "3", "", "'-3", "2025-01-03"]

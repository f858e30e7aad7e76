"""STAR's quarterly monitoring figures as a spreadsheet: a CSV or XLSX file read into
checked rows, with every row's problems named. No database: the municipalities and the
day it is are given.

Files come as Danish Excel writes them: a CSV separated by ``;`` (or ``,`` or tabs), in
UTF-8 with or without a BOM or in Windows-1252, with decimal commas and thousands dots;
or a workbook, whose first sheet is read (a cell formatted as a percentage holds 0.425
for 42.5 %). The first non-empty row names the columns, in Danish or English, in any
case and order; columns nobody asked for are listed, not read. A quarter may be written
2025K3, 2025-Q3, K3 2025, "3. kvartal 2025", a month ("juli 2025", "jul-25", 2025-07,
a date cell) or a quarter in one column and its year in another. A municipality is its
code (101, 0101) or its name ("København", "Københavns Kommune").
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.errors import Invalid
from app.models import MEASURES, ProgramType
from app.scales.figures import parse_number

MAX_FILE = 512 * 1024  # a preview re-posts the file; a quarter of the country is ~20 kB
MAX_ROWS = 5_000
MAX_UNPACKED = 20 * 1024 * 1024  # a workbook's parts unpacked
MAX_PEOPLE = 1_000_000  # more than the country's people in any effort: a slip

Cell = str | float | date | None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row (or the file): a catalogue key and its parameters,
    and the column it is about, if one."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
    column: str | None = None


@dataclass
class Row:
    """One row of the file as read: where it is (the line the spreadsheet shows), what
    it says, and what is wrong with it."""

    line: int
    municipality_code: int | None = None
    municipality_name: str | None = None
    target_group: str | None = None
    year: int | None = None
    quarter: int | None = None
    participants: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    shares: dict[str, float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def place(self) -> tuple[int, int, str, int, int]:
        """A clean row's year, quarter, target group, municipality and people."""
        if None in (self.year, self.quarter, self.target_group, self.participants):
            raise ValueError(f"line {self.line} is not clean")
        return (self.year, self.quarter, self.target_group, self.municipality_code or 0,
                self.participants)  # type: ignore[return-value]  # fmt: skip

    @property
    def period(self) -> str | None:
        return None if self.year is None else quarter_label(self.year, self.quarter or 0)


@dataclass
class Sheet:
    """A whole file read: its rows, and what is wrong with the file as a whole."""

    columns: dict[str, str]  # field → the header as written
    ignored: list[str]  # headers that are not read
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and all(not row.problems for row in self.rows)

    @property
    def problem_rows(self) -> int:
        return sum(1 for row in self.rows if row.problems)


def quarter_label(year: int, quarter: int) -> str:
    """2025K3: the way Danish statistics write a quarter."""
    return f"{year}K{quarter}"


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter."""
    month = quarter * 3
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# Reading the bytes ------------------------------------------------------------------------


def read_cells(raw: bytes) -> list[tuple[int, list[Cell]]]:
    """The file's rows (line number, cells), or Invalid when it is not a spreadsheet."""
    if len(raw) > MAX_FILE:
        raise Invalid.of("err_outcome_file_large", size=MAX_FILE // 1024)
    if not raw.strip():
        raise Invalid.of("err_outcome_file_empty")
    if raw.startswith(b"PK\x03\x04"):
        return _workbook_cells(raw)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid.of("err_outcome_file_xls")
    return _csv_cells(_decoded(raw))


def _decoded(raw: bytes) -> str:
    if b"\x00" in raw:
        raise Invalid.of("err_outcome_file_not_sheet")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV (semikolonsepareret)"
    if sum(1 for c in text[:2000] if not c.isprintable() and c not in "\r\n\t") > 5:
        raise Invalid.of("err_outcome_file_not_sheet")
    return text


def _csv_cells(text: str) -> list[tuple[int, list[Cell]]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";\t,", key=first.count)
    if first.count(delimiter) == 0:
        raise Invalid.of("err_outcome_file_not_sheet")
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            if len(rows) > MAX_ROWS:
                raise Invalid.of("err_outcome_file_rows", max=MAX_ROWS)
            rows.append((number, [cell.strip() or None for cell in cells]))
    except csv.Error as broken:
        raise Invalid.of("err_outcome_file_not_sheet") from broken
    return rows


def _workbook_cells(raw: bytes) -> list[tuple[int, list[Cell]]]:
    from xml.etree.ElementTree import ParseError  # noqa: PLC0415

    from openpyxl import load_workbook  # a workbook is rare beside CSV; load openpyxl then

    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as broken:
        raise Invalid.of("err_outcome_file_not_sheet") from broken
    if unpacked > MAX_UNPACKED:  # a small file that unpacks to an enormous one
        raise Invalid.of("err_outcome_file_large", size=MAX_FILE // 1024)
    broken_file = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, ParseError,
                   EOFError)  # fmt: skip
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except broken_file as broken:
        raise Invalid.of("err_outcome_file_not_sheet") from broken
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise Invalid.of("err_outcome_file_empty")
        rows: list[tuple[int, list[Cell]]] = []
        for number, cells in enumerate(sheet.iter_rows(), 1):
            if len(rows) > MAX_ROWS:
                raise Invalid.of("err_outcome_file_rows", max=MAX_ROWS)
            rows.append((number, [_cell(cell) for cell in cells]))
        return rows
    except broken_file as broken:  # a sheet cut off or damaged inside a sound archive
        raise Invalid.of("err_outcome_file_not_sheet") from broken
    finally:
        book.close()


def _cell(cell: Any) -> Cell:
    value = cell.value
    if value is None or isinstance(value, str):
        return value.strip() or None if isinstance(value, str) else None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", "") or ""):
            return round(float(value) * 100, 6)  # 0.425 shown as 42.5 %
        return float(value)
    return str(value)


# The columns ------------------------------------------------------------------------------

_HEADERS: dict[str, str] = {
    "kvartal": "quarter",
    "kvt": "quarter",
    "quarter": "quarter",
    "periode": "quarter",
    "period": "quarter",
    "måned": "quarter",
    "month": "quarter",
    "år": "year",
    "aar": "year",
    "year": "year",
    "kommune": "municipality",
    "kommunenavn": "municipality",
    "kommunekode": "municipality_code",
    "kommunenr": "municipality_code",
    "kommune nr": "municipality_code",
    "kommunenummer": "municipality_code",
    "municipality": "municipality",
    "municipality code": "municipality_code",
    "municipality name": "municipality",
    "målgruppe": "target_group",
    "maalgruppe": "target_group",
    "target group": "target_group",
    "indsats": "target_group",
    "indsatstype": "target_group",
    "borgere indsatsen": "participants",
    "borgere": "participants",
    "deltagere": "participants",
    "indsatsen": "participants",
    "participants": "participants",
    "people effort": "participants",
    "ordinære timer": "paid_hours",
    "ordinaere timer": "paid_hours",
    "paid hours": "paid_hours",
    "ordinary paid hours": "paid_hours",
    "beskæftigelse": "employment",
    "employment": "employment",
    "uddannelse": "education",
    "education": "education",
    "ordinære timer eller uddannelse": "work_or_education",
    "ordinaere timer eller uddannelse": "work_or_education",
    "timer eller uddannelse": "work_or_education",
    "paid hours or education": "work_or_education",
    "ordinary paid hours or education": "work_or_education",
}
_SHARE_WORDS = {"andel", "pct", "procent", "share", "percent", "%"}
_FILLER_WORDS = {"antal", "count", "number", "i", "in", "med", "with", "of", "the", "heraf"}


def column_of(header: str) -> tuple[str, bool] | None:
    """Which field a header names, and whether it holds a share (or a count)."""
    words = re.sub(r"[^\w%]+", " ", header.casefold().replace("%", " % ")).split()
    share = any(word in _SHARE_WORDS for word in words)
    key = " ".join(w for w in words if w not in _SHARE_WORDS and w not in _FILLER_WORDS)
    found = _HEADERS.get(key)
    if found is None:
        return None
    return found, share and found in MEASURES


def columns_of(
    header: list[Cell],
) -> tuple[dict[str, int], dict[str, str], list[str], list[Problem]]:
    """The header row read: the index of each field's column (``paid_hours`` for a
    count, ``paid_hours_share`` for a share), the header each came from, the headers
    not read, and what is wrong (a column twice, a required one missing)."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for position, cell in enumerate(header):
        if cell is None:
            continue
        title = str(cell).strip()
        found = column_of(title)
        if found is None:
            ignored.append(title)
            continue
        name = found[0] + ("_share" if found[1] else "")
        if name in index:
            problems.append(
                Problem("err_outcome_column_twice", {"first": written[name], "second": title})
            )
            continue
        index[name] = position
        written[name] = title
    if "municipality_code" in index and "municipality" not in index:
        index["municipality"] = index.pop("municipality_code")  # the code alone names it
        written["municipality"] = written.pop("municipality_code")
    required = {
        "quarter": "Kvartal",
        "municipality": "Kommune",
        "target_group": "Målgruppe",
        "participants": "Borgere i indsatsen",
    }
    missing = [said for name, said in required.items() if name not in index]
    if missing:
        problems.append(
            Problem(
                "err_outcome_columns_missing",
                {"missing": ", ".join(missing), "found": ", ".join(written.values()) or "–"},
            )
        )
    elif not any(name.removesuffix("_share") in MEASURES for name in index):
        problems.append(Problem("err_outcome_no_measure"))
    return index, written, ignored, problems


# The cells --------------------------------------------------------------------------------

_MONTHS = {
    "januar": 1, "jan": 1, "january": 1,
    "februar": 2, "feb": 2, "february": 2,
    "marts": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "maj": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_Q_YEAR = re.compile(r"^(\d{4})\s*[-/ ]?\s*[kq]\s*([1-4])$")  # 2025K3, 2025-Q3
_Q_FIRST = re.compile(r"^[kq]\s*([1-4])\s*[-/ ]?\s*(\d{4})$")  # K3 2025
_Q_WORD = re.compile(r"^([1-4])\s*\.?\s*(?:kvartal|kvt\.?|quarter|qtr\.?)\s*,?\s*(\d{4})$")
_WORD_Q = re.compile(r"^(?:kvartal|quarter)\s*([1-4])\s*,?\s*(\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")  # 2025-07, 2025-07-01
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-./](\d{4})$")  # 07-2025, 7/2025
_NAMED_MONTH = re.compile(r"^([a-zæøå]+)\.?\s*[-/ ]?\s*(\d{4}|\d{2})$")  # juli 2025, jul-25
_QUARTER_ONLY = re.compile(
    r"^(?:[kq]\s*([1-4])|([1-4])\s*\.?\s*(?:kvartal|kvt\.?|quarter)?|(?:kvartal|quarter)\s*([1-4]))$"
)


def read_quarter(cell: Cell, year: Cell = None) -> tuple[int, int] | None:
    """The (year, quarter) a cell names, with the year from its own column if given."""
    if isinstance(cell, date):
        return cell.year, (cell.month - 1) // 3 + 1
    if cell is None:
        return None
    text = _plain_number(cell).casefold().strip()
    for pattern, year_first in ((_Q_YEAR, True), (_Q_FIRST, False), (_Q_WORD, False),
                                (_WORD_Q, False)):  # fmt: skip
        found = pattern.match(text)
        if found:
            a, b = int(found.group(1)), int(found.group(2))
            return (a, b) if year_first else (b, a)
    month = _month_of(text)
    if month is not None:
        return month[0], (month[1] - 1) // 3 + 1
    only = _QUARTER_ONLY.match(text)
    if only and year is not None:
        the_year = _year_of(year)
        if the_year is not None:
            return the_year, int(next(g for g in only.groups() if g))
    return None


def _month_of(text: str) -> tuple[int, int] | None:
    found = _ISO_MONTH.match(text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
    elif found := _MONTH_YEAR.match(text):
        month, year = int(found.group(1)), int(found.group(2))
    elif (found := _NAMED_MONTH.match(text)) and found.group(1) in _MONTHS:
        month = _MONTHS[found.group(1)]
        year = int(found.group(2))
        year += 2000 if year < 100 else 0
    else:
        return None
    return (year, month) if 1 <= month <= 12 else None


def _year_of(cell: Cell) -> int | None:
    if isinstance(cell, date):
        return cell.year
    text = _plain_number(cell).strip() if cell is not None else ""
    return int(text) if re.fullmatch(r"\d{4}", text) else None


def _plain_number(cell: Cell) -> str:
    """A cell as text; a whole number from a workbook without its ".0"."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def read_count(cell: Cell) -> int | None:
    """A whole number of people, or None when the cell does not hold one."""
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if not isinstance(cell, str):
        return None
    value = parse_number(cell)
    return int(value) if value is not None and value.is_integer() else None


def read_share(cell: Cell) -> float | None:
    """A share in percent ("42,5", "42,5 %", a workbook's percentage cell)."""
    if isinstance(cell, float):
        return cell
    if not isinstance(cell, str):
        return None
    return parse_number(cell.replace("%", "").strip())


_GROUPS = {
    "ips": ProgramType.IPS,
    "ips star": ProgramType.IPS,
    "ips-lignende": ProgramType.IPS_LIGNENDE,
    "ips lignende": ProgramType.IPS_LIGNENDE,
    "ips_lignende": ProgramType.IPS_LIGNENDE,
    "ips-lignende indsats": ProgramType.IPS_LIGNENDE,
    "ips-lignende indsats star": ProgramType.IPS_LIGNENDE,
    "ips-like": ProgramType.IPS_LIGNENDE,
    "ips like": ProgramType.IPS_LIGNENDE,
}


def read_target_group(cell: Cell) -> str | None:
    """IPS or IPS-lignende, as STAR's person-group markers or the app's keys say it."""
    if not isinstance(cell, str):
        return None
    found = _GROUPS.get(re.sub(r"\s+", " ", cell.casefold().strip()))
    return None if found is None else found.value


def name_key(name: str) -> str:
    """A municipality's name as compared: folded, without "Kommune", å for aa."""
    key = re.sub(r"[\s\-]+", " ", name.casefold().strip())
    key = re.sub(r"\s+(regionskommune|kommune)$", "", key)
    return key.replace("aa", "å")


def read_municipality(
    cell: Cell, municipalities: Mapping[str, int], codes: Collection[int]
) -> int | None:
    """The municipality's code, by code or by name (``municipalities``: name_key → code)."""
    if cell is None:
        return None
    text = _plain_number(cell).strip()
    if re.fullmatch(r"\d{1,4}", text):
        code = int(text)
        return code if code in codes else None
    key = name_key(text)
    found = municipalities.get(key)
    if found is None and key.endswith("s"):
        found = municipalities.get(key[:-1])  # Københavns Kommune
    return found


# A whole file -----------------------------------------------------------------------------

FIRST_YEAR = 2010  # the first Danish IPS trials; an earlier quarter is a typing slip


def read_sheet(
    raw: bytes, *, municipalities: Mapping[str, int], codes: Collection[int], today: date
) -> Sheet:
    """Every row of the file read and checked (Invalid only when it is no spreadsheet).
    ``municipalities`` maps ``name_key`` of each name to its code."""
    lines = [
        (number, cells) for number, cells in read_cells(raw) if any(c is not None for c in cells)
    ]
    if not lines:
        raise Invalid.of("err_outcome_file_empty")
    (_, header), body = lines[0], lines[1:]
    index, written, ignored, problems = columns_of(header)
    sheet = Sheet(columns=written, ignored=ignored, rows=[], problems=problems)
    if problems:
        return sheet
    if not body:
        sheet.problems.append(Problem("err_outcome_no_rows"))
        return sheet
    seen: dict[tuple[int, str, int, int], int] = {}
    for number, cells in body:
        row = _row(number, cells, index, municipalities, codes, today)
        place = (row.municipality_code, row.target_group, row.year, row.quarter)
        if None not in place:
            first = seen.setdefault(place, row.line)  # type: ignore[arg-type]
            if first != row.line:
                row.problems.append(Problem("err_outcome_row_twice", {"line": first}))
        sheet.rows.append(row)
    return sheet


def _row(
    number: int,
    cells: list[Cell],
    index: Mapping[str, int],
    municipalities: Mapping[str, int],
    codes: Collection[int],
    today: date,
) -> Row:
    def cell(name: str) -> Cell:
        position = index.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    row = Row(line=number)
    said = cell("municipality")
    row.municipality_name = None if said is None else _plain_number(said)
    row.municipality_code = read_municipality(said, municipalities, codes)
    code = cell("municipality_code")  # the code rules; a name beside it must not differ
    if code is not None:
        by_code = read_municipality(code, {}, codes)
        if by_code is None or row.municipality_code not in (None, by_code):
            row.problems.append(
                Problem(
                    "err_outcome_municipality_code",
                    {"code": _short(code), "given": _short(said)},
                    "municipality",
                )
            )
        row.municipality_code = by_code
    elif said is None:
        row.problems.append(Problem("err_outcome_municipality_missing", column="municipality"))
    elif row.municipality_code is None:
        row.problems.append(
            Problem("err_outcome_municipality", {"given": _short(said)}, "municipality")
        )
    group = cell("target_group")
    row.target_group = read_target_group(group)
    if row.target_group is None:
        row.problems.append(Problem("err_outcome_group", {"given": _short(group)}, "target_group"))
    _period(row, cell("quarter"), cell("year"), today)
    _figures(row, cell)
    return row


def _period(row: Row, said: Cell, year: Cell, today: date) -> None:
    found = read_quarter(said, year)
    if found is None:
        row.problems.append(Problem("err_outcome_quarter", {"given": _short(said)}, "quarter"))
        return
    row.year, row.quarter = found
    label = quarter_label(*found)
    if row.year < FIRST_YEAR:
        row.problems.append(
            Problem("err_outcome_quarter_early", {"quarter": label, "year": FIRST_YEAR}, "quarter")
        )
    elif row.year > today.year or quarter_end(*found) >= today:  # (year 9999 has no end)
        row.problems.append(Problem("err_outcome_quarter_future", {"quarter": label}, "quarter"))


def _figures(row: Row, cell: Any) -> None:
    said = cell("participants")
    row.participants = read_count(said)
    if row.participants is None or row.participants < 0:
        key = "err_outcome_participants_missing" if said is None else "err_outcome_participants"
        row.problems.append(Problem(key, {"given": _short(said)}, "participants"))
        row.participants = None
    elif row.participants > MAX_PEOPLE:
        row.problems.append(
            Problem(
                "err_outcome_too_large", {"given": _short(said), "max": MAX_PEOPLE}, "participants"
            )  # fmt: skip
        )
        row.participants = None
    given = False
    for measure in MEASURES:
        count_cell, share_cell = cell(measure), cell(measure + "_share")
        if count_cell is not None:
            given = True
            count = read_count(count_cell)
            if count is not None and count > MAX_PEOPLE:
                row.problems.append(
                    Problem(
                        "err_outcome_too_large",
                        {"given": _short(count_cell), "max": MAX_PEOPLE},
                        measure,
                    )  # fmt: skip
                )
            elif count is None or count < 0:
                row.problems.append(
                    Problem("err_outcome_count", {"given": _short(count_cell)}, measure)
                )
            elif row.participants is not None and count > row.participants:
                row.problems.append(
                    Problem(
                        "err_outcome_count_above",
                        {"count": count, "participants": row.participants},
                        measure,
                    )
                )
            else:
                row.counts[measure] = count
        if share_cell is not None:
            given = True
            share = read_share(share_cell)
            if share is None or share < 0:
                row.problems.append(
                    Problem("err_outcome_share", {"given": _short(share_cell)}, measure + "_share")
                )
            elif share > 100:
                row.problems.append(
                    Problem(
                        "err_outcome_share_above", {"given": _short(share_cell)}, measure + "_share"
                    )  # fmt: skip
                )
            else:
                row.shares[measure] = round(share, 1)
    if not given and not row.problems:
        row.problems.append(Problem("err_outcome_row_empty"))
    _shares_from_counts(row)


def _shares_from_counts(row: Row) -> None:
    """Each count's share of the people in the effort; a share given beside a count must
    agree with it (to the half percent a rounded figure may differ by)."""
    if not row.participants:
        return
    for measure, count in row.counts.items():
        share = round(100 * count / row.participants, 1)
        given = row.shares.get(measure)
        if given is not None and abs(given - share) > 0.5:
            row.problems.append(
                Problem(
                    "err_outcome_share_count",
                    {"share": given, "count": count, "participants": row.participants},
                    measure + "_share",
                )
            )
        row.shares[measure] = share


def _short(cell: Cell) -> str:
    text = "" if cell is None else _plain_number(cell)
    return text if len(text) <= 40 else text[:39] + "…"


TEAM_FIELDS = ("quarter", "participants", *MEASURES)


def read_team_row(values: Mapping[str, str], *, today: date) -> Row:
    """A team's own quarter as typed in its form (quarter as 2025K3, the people in the
    effort and the counts), checked as a file's row is."""
    typed: dict[str, Cell] = {
        name: (values.get(name) or "").strip() or None for name in TEAM_FIELDS
    }
    row = Row(line=0)
    _period(row, typed["quarter"], None, today)
    _figures(row, typed.get)
    row.problems = [p for p in row.problems if p.key != "err_outcome_row_empty"]
    return row

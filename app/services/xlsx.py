"""Excel workbooks written as they are sent, never held whole.

An XLSX file is a ZIP archive of XML parts. This module writes that archive forward
only: each worksheet's XML is made row by row, compressed as it comes, and handed on in
chunks, so a download starts at once and the server's memory stays flat however many
rows there are. (openpyxl, in its write-only mode, also keeps memory flat, but the
archive exists only once the whole workbook is saved.) The standard library's
``zipfile`` writes to a stream that cannot seek by putting each member's sizes and
checksum after its data; the central directory, which a spreadsheet reads first, is
written last. A download that breaks off therefore never ends in a file that opens.

Order of the parts: the content types first (every ``.xml`` part defaults to a
worksheet, so they can be written before anyone knows how many sheets there will be),
then the worksheets, then the workbook that lists them and its relationships.

Excel holds at most 1,048,576 rows in a sheet (the header included). A longer table
goes on in a sheet of the same name and a number ("Ratings 2"), with the header again;
a sheet's XML is likewise cut before it could reach the 2 GiB a ZIP member can hold
without ZIP64 extensions, which not every spreadsheet reads.

Cells: numbers as numbers, dates as Excel dates shown as 2026-11-23, text inline
(``inlineStr``, so no table of every string has to be kept until the end), with
characters XML cannot hold left out and text that a spreadsheet would run as a formula
kept as text (``reports.cell_text``). The header row is bold and stays in view.
"""

from __future__ import annotations

import io
import itertools
import math
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from app.services.reports import cell_text

EXCEL_MAX_ROWS = 1_048_576  # a worksheet's rows, the header included
# A ZIP member holds under 2 GiB without ZIP64. The XML is counted in characters, at
# most 4 bytes each in UTF-8: a sheet ends before 500 million (Excel's row limit comes
# far sooner for any table of ours).
MAX_SHEET_CHARS = 500_000_000
MAX_CELL_TEXT = 32_767  # Excel's longest cell
ROWS_PER_CHUNK = 2_000
EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its leap-day bug included)
COMPRESS_LEVEL = 1  # a little larger than level 6, and three times as fast to write

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (
    XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    XML_HEAD + f'<Relationships xmlns="{PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
# Styles: 0 plain, 1 a date (2026-11-23), 2 bold (the header).
STYLES = (
    XML_HEAD + f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_HEAD = (
    XML_HEAD + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
)
FORBIDDEN_IN_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


class _Sink(io.RawIOBase):
    """Where the archive is written: it keeps what arrives until it is taken, and cannot
    seek, so ``zipfile`` writes every member forward (sizes after the data)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


def stream(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """The workbook of ``sheets``, in chunks as it is written. Each sheet's rows are
    read only when its turn comes."""
    sink = _Sink()
    archive = zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    )
    archive.writestr("[Content_Types].xml", CONTENT_TYPES)
    archive.writestr("_rels/.rels", ROOT_RELS)
    archive.writestr("xl/styles.xml", STYLES)
    written: list[str] = []
    for sheet in sheets:
        for title, part in _parts(sheet, written):
            number = len(written) + 1
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as member:
                for chunk in part:
                    member.write(chunk)
                    if taken := sink.take():
                        yield taken
            written.append(title)
    archive.writestr("xl/workbook.xml", _workbook(written))
    archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(written)))
    archive.close()
    yield sink.take()


def _parts(sheet: Sheet, taken: list[str]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The sheet as one or more worksheets, each (its title, its XML in chunks). A part
    ends when Excel's row limit or the member's size limit is reached; the next one
    begins with the header again. The caller writes each part (and adds its title to
    ``taken``) before asking for the next."""
    rows: Iterator[Sequence[Any]] = iter(sheet.rows)
    number = 1
    while True:
        title = _sheet_name(sheet.title if number == 1 else f"{sheet.title[:26]} {number}", taken)
        state = {"more": False}
        yield title, _worksheet(sheet.columns, rows, state)
        if not state["more"]:
            return
        following = next(rows, None)
        if following is None:
            return  # the rows ended exactly at the limit
        rows = itertools.chain([following], rows)
        number += 1


def _worksheet(
    columns: Sequence[str], rows: Iterator[Sequence[Any]], state: dict[str, bool]
) -> Iterator[bytes]:
    """One worksheet's XML: the header, then rows until the rows end or a limit is
    reached (``state["more"]`` then says the rows may go on).

    Cells carry no reference: a row's cells are its columns in order, an empty one
    written as ``<c/>``. So the same value always makes the same XML, which is kept:
    an export repeats a team's name, an item's key and a score on row after row."""
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{min(60, max(10, len(name) + 2))}" customWidth="1"/>'
        for i, name in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c t="inlineStr" s="2"><is><t>{_text(name)}</t></is></c>' for name in columns
    )
    head = f'{SHEET_HEAD}<cols>{widths}</cols><sheetData><row r="1">{header}</row>'
    size = len(head)
    yield head.encode()
    width = len(columns)
    known: dict[Any, str] = {}
    number = 1
    buffer: list[str] = []
    for row in rows:
        number += 1
        cells = []
        for value in row[:width]:
            cell = known.get(value) if type(value) is not bool else None
            if cell is None:
                cell = _cell(value)
                if type(value) is not bool:
                    if len(known) >= 50_000:
                        known.clear()
                    known[value] = cell
            cells.append(cell)
        line = f'<row r="{number}">{"".join(cells)}</row>'
        buffer.append(line)
        size += len(line)
        if number == EXCEL_MAX_ROWS or size > MAX_SHEET_CHARS:
            state["more"] = True
            break
        if len(buffer) >= ROWS_PER_CHUNK:
            yield "".join(buffer).encode()
            buffer.clear()
    buffer.append("</sheetData></worksheet>")
    yield "".join(buffer).encode()


def _cell(value: Any) -> str:
    """One cell's XML for a value (its place is its position in the row)."""
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "<c/>"
        return f"<c><v>{_number(value)}</v></c>"
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f'<c s="1"><v>{(day - EPOCH).days}</v></c>'
    return f'<c t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'


def _number(value: int | float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


def _text(value: str) -> str:
    """Text as a cell holds it, escaped for XML: no control characters, no formula, at
    most Excel's longest cell."""
    clean = str(cell_text(value))
    if len(clean) > MAX_CELL_TEXT:
        clean = clean[: MAX_CELL_TEXT - 1] + "…"
    return escape(clean)


def _sheet_name(title: str, taken: list[str]) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, not blank, and
    unlike the others in the workbook (case aside)."""
    name = " ".join(title.translate(FORBIDDEN_IN_NAMES).split())[:31].strip("'") or "Sheet"
    used = {existing.lower() for existing in taken}
    candidate, number = name, 1
    while candidate.lower() in used:
        number += 1
        candidate = f"{name[: 31 - len(str(number)) - 1]} {number}"
    return candidate


def _workbook(titles: list[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    return (
        f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>'
    )


def _workbook_rels(count: int) -> str:
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{REL}/styles" Target="styles.xml"/>'
    return f'{XML_HEAD}<Relationships xmlns="{PACKAGE_REL}">{links}{styles}</Relationships>'

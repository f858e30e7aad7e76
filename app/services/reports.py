"""A finalised review's report: the figures, strengths, summary and recommendations in
one place, as a printable page, a PDF made on the server and a score sheet workbook.

The PDF is the same HTML as the page, laid out by WeasyPrint (no browser and no print
dialog). WeasyPrint may only read the app's own static files: any other URL in the page
is refused, so a report can never make the server fetch something from elsewhere.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from sqlmodel import Session, col, select

from app.models import MeasurementRound, Review, Team, TeamComment
from app.scales.schema import Item
from app.services import action_plan, feedback, profiles, round_view
from app.services.access import Principal


@dataclass(frozen=True)
class ReportItem:
    item: Item
    result: profiles.ItemResult | None

    @property
    def score(self) -> float | None:
        return self.result.score if self.result else None


@dataclass(frozen=True)
class Report:
    team: Team
    review: Review
    result: profiles.ReviewResult
    comments: dict[str, TeamComment] = field(default_factory=dict)
    actions: list[action_plan.PlannedAction] = field(default_factory=list)
    # The year's measurement the review belongs to, when its implementation status is
    # confirmed; and the team's figures beside the reviewers' (kept on the review).
    implementation: round_view.RoundView | None = None

    @property
    def team_figures(self) -> list[tuple[Item, dict[str, Any]]]:
        stored = (self.review.result or {}).get("team_figures") or {}
        return [
            (item, stored[item.key]) for item in self.result.definition.items if item.key in stored
        ]

    @property
    def items(self) -> list[ReportItem]:
        return [
            ReportItem(item, self.result.items.get(item.key))
            for item in self.result.definition.items
        ]

    @property
    def recommendations(self) -> list[ReportItem]:
        return [entry for entry in self.items if entry.result and entry.result.recommendation]


def report_for(session: Session, *, principal: Principal, review_id: int) -> Report:
    """The finalised review's report, if ``principal`` may see it."""
    result = profiles.finalised_review(session, principal=principal, review_id=review_id)
    review = session.get(Review, review_id)
    team = session.get(Team, result.team_id)
    assert review is not None and team is not None
    actions = action_plan.review_actions(session, principal=principal, review_id=review_id)
    comments = feedback.comments_of(session, review_id=review_id)
    measurement = session.exec(
        select(MeasurementRound.id).where(
            MeasurementRound.review_id == review_id, col(MeasurementRound.assessed_at).is_not(None)
        )
    ).first()
    implementation = (
        round_view.round_view(
            session, principal=principal, round_id=measurement, today=date.today()
        )
        if measurement is not None
        else None
    )
    return Report(team, review, result, comments, actions, implementation)


DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def pdf(html: str, *, static_dir: Path) -> bytes:
    """The report page as a PDF (A4, from the page's print stylesheet)."""
    from weasyprint import HTML  # noqa: PLC0415 (slow to import; only reports need it)
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    static = static_dir.resolve()
    prefix = static.as_uri() + "/"

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        """Reads the app's static files and nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not inside(url, folder=static):
                raise ValueError(f"the report may not load {url}")
            return super().fetch(url, headers)

    fetcher = StaticOnly(allowed_protocols=("file",))
    document = HTML(string=html, base_url=prefix, url_fetcher=fetcher)
    return bytes(document.write_pdf())


def inside(url: str, *, folder: Path) -> bool:
    """Whether ``url`` is a file: URL naming a file within ``folder``, decoded the way the
    fetcher will decode it (so "%2e%2e" cannot climb out)."""
    parsed = urlparse(url)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return False
    path = Path(url2pathname(parsed.path)).resolve()
    return path.is_relative_to(folder)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: object) -> object:
    """A value as a spreadsheet cell: text that a spreadsheet would take for a formula
    (a recommendation starting with "=", say) is kept as text, and control characters
    a workbook cannot hold (a vertical tab pasted from a word processor) are left out."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def scoresheet(report: Report, *, language: str, t: Any) -> bytes:
    """The score sheet as an XLSX workbook: the items, then the sections and principles."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("xlsx_scoresheet")
    _items_sheet(sheet, report, language, t)
    _groups_sheet(book.create_sheet(t("xlsx_groups")), report, language, t)
    if report.implementation is not None:
        _implementation_sheet(
            book.create_sheet(t("xlsx_implementation")), report.implementation, language, t
        )
    if report.team_figures:
        _figures_sheet(book.create_sheet(t("xlsx_team_figures")), report, language, t)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _items_sheet(sheet: Any, report: Report, language: str, t: Any) -> None:
    """The review's facts above a row for each item: score, reason, recommendation."""
    result = report.result
    bold = Font(bold=True)
    facts = [
        (t("team"), report.team.name),
        (t("visit_date"), result.visit_date),
        (t("scale"), f"{result.definition.title.get(language)} {result.scale_version}"),
        (t("total"), result.total),
        (t("fidelity_level"), result.level.title.get(language) if result.level else t("no_level")),
    ]
    for label, value in facts:
        sheet.append([label, cell_text(value)])
        sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.cell(row=2, column=2).number_format = "yyyy-mm-dd"
    sheet.append([])
    header = [
        t("number"),
        t("item"),
        t("section"),
        t("score"),
        t("not_rated_reason"),
        t("recommendation"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sections = {section.key: section.title.get(language) for section in result.definition.sections}
    for entry in report.items:
        sheet.append(
            [
                entry.item.number,
                cell_text(entry.item.title.get(language)),
                cell_text(sections.get(entry.item.section, entry.item.section)),
                entry.score,
                cell_text(entry.result.not_rated_reason if entry.result else None),
                cell_text(entry.result.recommendation if entry.result else None),
            ]
        )
    for column, width in zip("ABCDEF", (6, 44, 16, 8, 30, 60), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=8):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _groups_sheet(groups: Any, report: Report, language: str, t: Any) -> None:
    """A row for each section and principle: total, mean, items rated of all."""
    result = report.result
    groups.append(
        [t("kind"), t("name"), t("total"), t("mean_score"), t("items_rated"), t("item_count")]
    )
    for cell in groups[1]:
        cell.font = Font(bold=True)
    for kind, found in ((t("section"), result.sections), (t("principle"), result.principles)):
        for group in found:
            groups.append(
                [
                    kind,
                    group.title.get(language, group.key),
                    group.total,
                    group.mean,
                    group.rated_count,
                    group.item_count,
                ]
            )
    groups.column_dimensions["B"].width = 50


def _implementation_sheet(sheet: Any, view: round_view.RoundView, language: str, t: Any) -> None:
    """The confirmed implementation status per element, then each point with the team's
    step beside the ambassadors' and their note."""
    bold = Font(bold=True)
    result = view.result
    sheet.append([t("impl_element"), t("impl_mean"), t("impl_status"), t("impl_points_rated")])
    for cell in sheet[1]:
        cell.font = bold
    if result is not None:
        for element in result.elements:
            sheet.append([
                cell_text(f"{element.number}. {element.title.get(language)}"),
                element.mean,
                cell_text(element.status.title.get(language) if element.status else None),
                element.rated_count,
            ])  # fmt: skip
        sheet.append([
            t("impl_overall"), result.mean,
            cell_text(result.status.title.get(language) if result.status else None),
            result.rated_count,
        ])  # fmt: skip
    sheet.append([])
    sheet.append([t("number"), t("item"), t("round_team_says"), t("round_part_assessment"),
                  t("round_our_note")])  # fmt: skip
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for point in view.points:
        sheet.append([
            point.item.number,
            cell_text(point.item.title.get(language)),
            point.team_level,
            point.ambassador_level,
            cell_text(point.ambassadors.description if point.ambassadors else None),
        ])  # fmt: skip
    for column, width in zip("ABCDE", (44, 12, 20, 16, 50), strict=True):
        sheet.column_dimensions[column].width = width


def _figures_sheet(sheet: Any, report: Report, language: str, t: Any) -> None:
    """Each banded item's figure as the team reported it beside the reviewers' own."""
    sheet.append([t("number"), t("item"), t("round_figure_reported"), t("report_reviewers_figure"),
                  t("score"), t("report_figure_taken")])  # fmt: skip
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item, kept in report.team_figures:
        taken = kept.get("accepted")
        sheet.append([
            item.number,
            cell_text(item.title.get(language)),
            cell_text(_figure_text(kept.get("team"))),
            cell_text(_figure_text(kept.get("reviewers"))),
            kept.get("score"),
            cell_text(t("yes") if taken is True else t("no") if taken is False else None),
        ])  # fmt: skip
    sheet.column_dimensions["B"].width = 44


def _figure_text(value: Any) -> str | None:
    """A figure, or one per consultant joined by semicolons."""
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(f"{v:g}" for v in value if v is not None)
    return f"{value:g}"

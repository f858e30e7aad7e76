"""Interface language: Danish first, English available.

The language comes from ``?lang=`` (which is then remembered in a cookie), else the
cookie, else the configured default. Interface strings live in one catalogue per
language below; scale texts carry both languages in the scale file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = ("da", "en")  # app.config reuses Language
COOKIE = "lang"

MESSAGES: dict[Language, dict[str, str]] = {
    "da": {
        "product": "IPS Fidelity",
        "tagline": "Kvalitetsmåling af kommunernes IPS-teams: fidelitetsskalaer, "
        "scoring på tablet, profiler og landsoverblik.",
        "skip_to_content": "Spring til indhold",
        "language": "Sprog",
        "published_scales": "Offentliggjorte skalaer",
        "no_published_scales": "Der er endnu ingen offentliggjorte skalaer. "
        "Offentliggør en med: fidelity scales publish NØGLE VERSION",
        "version": "Version",
        "items": "items",
        "item_count": "Antal items",
        "program_types": "Målgruppe",
        "program_ips": "IPS",
        "program_ips_lignende": "IPS-lignende indsats",
        "see_items": "Se items",
        "source": "Kilde og tilpasning",
        "levels": "Fidelitetsniveauer",
        "level": "Niveau",
        "total": "Total",
        "mean": "Gennemsnit",
        "range": "Interval",
        "recommendation_threshold": "Anbefaling gives ved score på højst",
        "principles": "Principper",
        "principle": "Princip",
        "sections": "Sektioner",
        "section": "Sektion",
        "group_by": "Gruppér efter",
        "group_section": "sektion",
        "group_principle": "princip",
        "items_behind": "items",
        "kind": "Type",
        "kind_anchored": "Beskrevne niveauer",
        "kind_banded": "Tal omsat til score",
        "kind_checklist": "Tjekliste",
        "per_consultant": "Pr. IPS-konsulent (gennemsnit)",
        "evidence": "Datakilder",
        "evidence_MIS": "Ledelsesinformation og sagstal",
        "evidence_DOC": "Dokumenter og journaler",
        "evidence_INT": "Interview",
        "evidence_OBS": "Observation",
        "evidence_ISP": "Individuelle planer",
        "anchors": "Niveauer",
        "score": "Score",
        "figure": "Tal",
        "up_to": "højst",
        "at_least": "mindst",
        "ticked": "Afkrydset",
        "checklist_entries": "Praksisser",
        "checklist_scores": "Antal afkrydsede praksisser og den score, det giver",
        "status_draft": "kladde",
        "status_published": "offentliggjort",
        "status_retired": "udgået",
        "back_to_scales": "Tilbage til skalaerne",
        "error_title": "Noget gik galt",
        "not_found": "Siden findes ikke.",
        "server_error": "Der opstod en fejl på serveren. Prøv igen om lidt; "
        "fortsætter den, så kontakt en administrator.",
        "home": "Forside",
    },
    "en": {
        "product": "IPS Fidelity",
        "tagline": "Fidelity reviews of municipal IPS teams: fidelity scales, "
        "tablet scoring, profiles and a national overview.",
        "skip_to_content": "Skip to content",
        "language": "Language",
        "published_scales": "Published scales",
        "no_published_scales": "No scale is published yet. "
        "Publish one with: fidelity scales publish KEY VERSION",
        "version": "Version",
        "items": "items",
        "item_count": "Items",
        "program_types": "Target group",
        "program_ips": "IPS",
        "program_ips_lignende": "IPS-like support",
        "see_items": "See items",
        "source": "Source and adaptation",
        "levels": "Fidelity levels",
        "level": "Level",
        "total": "Total",
        "mean": "Mean",
        "range": "Range",
        "recommendation_threshold": "A recommendation is due at a score of at most",
        "principles": "Principles",
        "principle": "Principle",
        "sections": "Sections",
        "section": "Section",
        "group_by": "Group by",
        "group_section": "section",
        "group_principle": "principle",
        "items_behind": "items",
        "kind": "Kind",
        "kind_anchored": "Described levels",
        "kind_banded": "Figure mapped to a score",
        "kind_checklist": "Checklist",
        "per_consultant": "Per IPS consultant (averaged)",
        "evidence": "Evidence sources",
        "evidence_MIS": "Management information and caseload data",
        "evidence_DOC": "Documents and case records",
        "evidence_INT": "Interviews",
        "evidence_OBS": "Observation",
        "evidence_ISP": "Individual plans",
        "anchors": "Levels",
        "score": "Score",
        "figure": "Figure",
        "up_to": "at most",
        "at_least": "at least",
        "ticked": "Ticked",
        "checklist_entries": "Practices",
        "checklist_scores": "Number of practices ticked and the score it gives",
        "status_draft": "draft",
        "status_published": "published",
        "status_retired": "retired",
        "back_to_scales": "Back to the scales",
        "error_title": "Something went wrong",
        "not_found": "There is no such page.",
        "server_error": "The server ran into an error. Try again in a moment; "
        "if it persists, contact an administrator.",
        "home": "Home",
    },
}


def resolve_language(query: str | None, cookie: str | None, default: str) -> Language:
    """The first of query, cookie and default that names a known language."""
    for candidate in (query, cookie, default):
        if candidate in LANGUAGES:
            return candidate
    return "da"


def translator(language: Language) -> Callable[[str], str]:
    """``t(key)``: the interface string in ``language``, the key itself if it has none."""
    catalogue = MESSAGES[language]

    def t(key: str) -> str:
        return catalogue.get(key, key)

    return t

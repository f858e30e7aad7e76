"""Interface language: Danish first, English available.

The language comes from ``?lang=`` (which a page then remembers in a cookie), else the
cookie, else the configured default. Scale texts carry both languages in the scale file
itself; interface strings live in one gettext catalogue per language,
``app/locale/<language>/LC_MESSAGES/messages.po``, compiled to ``messages.mo`` by
``make messages`` (README: Translations).

The catalogues are key-based: a msgid is a key the code names (``err_no_team``), its
msgstr the text, with ``{name}`` placeholders that the caller fills with ``str.format``.
A text that depends on a number has plural forms (msgid_plural is the same key), chosen
by the catalogue's plural rule: ``t.tn(key, n)``.

Templates speak through Jinja's i18n extension: ``_(key)`` (or ``gettext``) and
``ngettext(key, key, n)`` answer in the language of the page being rendered, which
``speaking`` sets around the render (``app.web.htmx.render``), so the macros a page
imports from ``templates/components/`` need no translator handed to them.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = ("da", "en")  # app.config reuses Language
COOKIE = "lang"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def resolve_language(query: str | None, cookie: str | None, default: str) -> Language:
    """The first of query, cookie and default that names a known language."""
    for candidate in (query, cookie, default):
        if candidate in LANGUAGES:
            return candidate
    return "da"


class _Catalogue(_gettext.GNUTranslations):
    # What GNUTranslations parsed: msgid -> text, and (msgid, form) -> text for plurals.
    _catalog: dict[str | tuple[str, int], str]


class Translator:
    """The interface strings of one language.

    ``t(key)`` is the string (the key itself if the catalogue has none), ``t.tn(key, n)``
    the form of a plural entry that goes with the number ``n``.
    """

    def __init__(self, language: Language) -> None:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        try:
            with path.open("rb") as file:
                self._catalogue = _Catalogue(file)
        except FileNotFoundError:
            raise RuntimeError(
                f"The compiled catalogue {path} is missing: run `make messages` "
                "(pybabel compile turns each messages.po into messages.mo)."
            ) from None
        self.language = language
        self._texts = self._catalogue._catalog

    def __call__(self, key: str) -> str:
        return self._catalogue.gettext(key)

    def tn(self, key: str, n: int) -> str:
        return self.ngettext(key, key, n)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """gettext's own signature (the templates' ``ngettext``); in these key-based
        catalogues ``singular`` and ``plural`` are the same key."""
        return self._catalogue.ngettext(singular, plural, n)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key != "" and (key in self._texts or self.is_plural(key))

    def is_plural(self, key: str) -> bool:
        return (key, 0) in self._texts

    def forms(self, key: str) -> list[str]:
        """A plural entry's forms in the catalogue's order (for Danish and English: the
        form for one, then the form for any other number)."""
        forms: list[str] = []
        while (key, len(forms)) in self._texts:
            forms.append(self._texts[key, len(forms)])
        return forms

    def keys(self) -> set[str]:
        return {key if isinstance(key, str) else key[0] for key in self._texts} - {""}


@cache
def translator(language: Language) -> Translator:
    """The catalogue of ``language``, read once per process."""
    return Translator(language)


# The language of the page being rendered. Jinja's i18n extension calls gettext and
# ngettext with the message alone, from the page and from the macros it imports (which
# see only the environment's globals, not the page's context), so the language travels
# beside the render instead of through it.
_speaking: ContextVar[Language] = ContextVar("speaking")


@contextmanager
def speaking(language: Language) -> Iterator[None]:
    """Within the block, ``gettext`` and ``ngettext`` answer in ``language``."""
    token = _speaking.set(language)
    try:
        yield
    finally:
        _speaking.reset(token)


def current() -> Translator:
    """The catalogue of the language being spoken (inside ``speaking``)."""
    try:
        return translator(_speaking.get())
    except LookupError:
        raise RuntimeError("no language is being spoken: render inside i18n.speaking()") from None


def gettext(key: str) -> str:
    """The text of ``key`` in the language being spoken (the templates' ``_``)."""
    return current()(key)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a plural entry for ``n``, in the language being spoken."""
    return current().ngettext(singular, plural, n)


# What the tablet's outbox (app/static/js/outbox.js) says, handed to it in every page. A
# plural entry goes as its list of forms; outbox.js picks one by the same rule as the
# catalogues (the first for one, the second for any other number).
OUTBOX_KEYS = (
    "saved_at",
    "saved_on_device",
    "on_device_short",
    "offline_short",
    "offline_see_items",
    "sending",
    "your_value",
    "stored_value",
    "dismiss",
    "keep_mine",
    "use_stored",
    "not_saved",
    "not_rated",
    "not_scored_value",
    "score",
    "note",
    "figure",
    "figure_suggests",
    "err_figure",
    "offline_online",
    "offline_offline",
    "offline_pending",
    "offline_all_sent",
    "offline_send_now",
    "offline_download",
    "offline_signin",
    "offline_signin_link",
    "offline_other_user",
    "offline_conflicts",
    "offline_refused",
    "offline_broken",
    "offline_persist_refused",
    "offline_no_storage",
    "offline_cached_page",
    "logout_unsent",
    "not_rated_needs_reason",
    "consensus_needs_rationale",
    "consensus_needs_recommendation",
    "impl_step",
    "impl_not_answered",
    "round_documents_chosen",
    "saved_plain",
    "round_submit_waiting",
    "round_assessment_waiting",
)


@cache
def outbox_strings(language: Language) -> dict[str, str | list[str]]:
    t = translator(language)
    return {key: t.forms(key) if t.is_plural(key) else t(key) for key in OUTBOX_KEYS}


def thousands_in(value: int, language: str | None) -> str:
    """A count as a reader of ``language`` writes it: 10.000 in Danish, 10,000 in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if language == "da" else text

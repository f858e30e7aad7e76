"""The interface catalogues, app/locale/<language>/LC_MESSAGES/messages.po: both languages
say everything, with the same placeholders and every plural form; every key the code and
the templates name is in them; and the compiled .mo files the app reads are current."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT
from app.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, OUTBOX_KEYS, translator

MAKEFILE = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")


def po_path(language: str) -> str:
    return str(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def catalogue(language: str) -> Catalog:
    with open(po_path(language), "rb") as file:
        return read_po(file)


def entries(language: str) -> dict[str, Message]:
    return {key_of(m): m for m in catalogue(language) if m.id}


def key_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def texts(message: Message) -> list[str]:
    said = message.string
    return [said] if isinstance(said, str) else list(said or ())


def fields(text: str) -> set[str]:
    """The names of a str.format text's placeholders ("{value!r}" is "value")."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_headers_name_the_language_and_its_plural_rule() -> None:
    # outbox.js picks a plural form by this same rule (the first for one), so it is fixed.
    for language in LANGUAGES:
        found = catalogue(language)
        assert found.locale_identifier == language
        assert found.plural_forms == "nplurals=2; plural=(n != 1);", language
        assert found.charset.lower() == "utf-8"
        assert not found.fuzzy


def test_every_key_has_a_text_in_both_languages() -> None:
    da, en = entries("da"), entries("en")
    assert sorted(da.keys() - en.keys()) == [], "only in da.po"
    assert sorted(en.keys() - da.keys()) == [], "only in en.po"
    for language, found in (("da", da), ("en", en)):
        empty = sorted(key for key, m in found.items() if not all(texts(m)) or not texts(m))
        assert empty == [], f"{language}.po: no text (or a plural form without one)"
        fuzzy = sorted(key for key, m in found.items() if m.fuzzy)
        assert fuzzy == [], f"{language}.po: fuzzy entries are left out of the .mo"
        retired = sorted(key_of(m) for m in catalogue(language).obsolete.values())
        assert retired == [], f"{language}.po: obsolete (#~) entries are left out of the .mo"


def test_a_plural_entry_has_every_form_in_both_languages() -> None:
    da, en = entries("da"), entries("en")
    for key, english in en.items():
        danish = da[key]
        assert english.pluralizable == danish.pluralizable, key
        if english.pluralizable:
            assert english.id == (key, key) and danish.id == (key, key), key
            assert len(texts(english)) == len(texts(danish)) == 2, key


# The English of these is also the API's and the log's detail, which names the record or
# the revisions; the Danish, said only on a page, leaves them out (no more, though).
FEWER_IN_DANISH = {"err_no_review", "err_no_team", "err_no_token", "err_no_user_id"}
FEWER_IN_DANISH |= {"err_stale_rating"}


def test_both_languages_fill_in_the_same_placeholders() -> None:
    """A placeholder only one language has fails there with a KeyError, or never shows.
    Within a plural entry, the form for one may write the number out ("1 item")."""
    da, en = entries("da"), entries("en")
    for key, english in en.items():
        pairs = zip(texts(english), texts(da[key]), strict=True)
        for form, (said_en, said_da) in enumerate(pairs):
            if key in FEWER_IN_DANISH:
                assert fields(said_da) < fields(said_en), (key, said_en, said_da)
            else:
                assert fields(said_en) == fields(said_da), (key, form, said_en, said_da)
        if english.pluralizable:
            one, other = (fields(text) for text in texts(english))
            assert one <= other and len(other - one) <= 1, (key, one, other)


def flagged_entries(language: str) -> Iterator[tuple[str, bool]]:
    """(key, has python-brace-format) as written in the file (Babel's reader drops the
    flag when the msgid itself has no braces, and here a msgid is a key)."""
    with open(po_path(language), encoding="utf-8") as file:
        blocks = file.read().split("\n\n")
    for block in blocks:
        lines = block.splitlines()
        key = next((line[7:-1] for line in lines if line.startswith('msgid "')), "")
        if key:
            flags = [line for line in lines if line.startswith("#,")]
            yield key, any("python-brace-format" in line for line in flags)


def test_a_text_with_placeholders_is_flagged_python_brace_format() -> None:
    found = entries("en")
    for language in LANGUAGES:
        for key, flagged in flagged_entries(language):
            has = any(fields(text) for text in texts(found[key]))
            assert flagged == has, (language, key)


def extracted(keywords: list[str]) -> dict[str, set[bool]]:
    """Each key the code and templates name with these keywords, and whether as a plural
    or not (Babel's own extractors, with babel.cfg, as `make messages-extract` runs them)."""
    with open(PROJECT_ROOT / "babel.cfg", encoding="utf-8") as file:
        methods, options = parse_mapping_cfg(file)
    found: dict[str, set[bool]] = {}
    for folder in ("app", "templates"):
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT / folder, methods, options, keywords=parse_keywords(keywords)
        ):
            key = message if isinstance(message, str) else message[0]
            found.setdefault(key, set()).add(not isinstance(message, str))
    return found


def test_every_key_the_code_names_is_in_the_catalogues() -> None:
    line = re.search(r"^MESSAGE_KEYWORDS := (.+)$", MAKEFILE, re.MULTILINE)
    assert line, "the Makefile names the extraction keywords"
    keywords = line.group(1).split()
    assert {"t", "tn:1,1", "_", "ngettext:1,2"} <= set(keywords)
    named = extracted(keywords)
    assert len(named) > 500, "the extractor found next to nothing"
    da, en = entries("da"), entries("en")
    missing = sorted(key for key in named if key not in en or key not in da)
    assert missing == [], "named in the code, in no catalogue: run `make messages-extract`"
    # t(key) or _(key) of a plural entry, or tn(key, n) or ngettext(key, key, n) of a
    # singular one, shows the bare key.
    asked = extracted(["t", "tn:1,1", "_", "gettext", "ngettext:1,2"])
    wrong = sorted(key for key, plural in asked.items() if plural != {en[key].pluralizable})
    assert wrong == [], "a singular call for a plural entry, or a plural call for a singular one"


def test_the_outbox_has_every_string_it_asks_for() -> None:
    for language in LANGUAGES:
        t = translator(language)
        assert [key for key in OUTBOX_KEYS if key not in t] == [], language
        assert all(len(t.forms(key)) == 2 for key in OUTBOX_KEYS if t.is_plural(key))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_current(language: str) -> None:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.name} for {language} is missing: run `make messages`"
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"{language}: run `make messages`"
    assert translator(language).keys() == entries(language).keys()


def test_make_and_the_image_compile_the_catalogues() -> None:
    for target in ("run", "test"):
        prerequisites = re.search(rf"^{target}: (.+)$", MAKEFILE, re.MULTILINE)
        assert prerequisites and "messages" in prerequisites.group(1).split(), target
    assert "pybabel -q compile -d app/locale -D messages" in DOCKERFILE

"""Keeps the interface catalogues in shape; `make messages-extract` runs it around pybabel.

python scripts/messages.py template app/locale/messages.pot
    After `pybabel extract`: adds to the template every key the base catalogue (en.po)
    already has. Many keys reach `t()` as values the extractor cannot see (an error's
    detail, a macro's argument, f"audit_action_{...}", the outbox's list), so the base
    file, not the extraction, says which keys exist: `pybabel update` then adds the
    keys new in the code and never retires one. A key is plural if the code asks for it
    with `tn()` or the base file has it plural (`X.of(key, count=n)` looks singular).

python scripts/messages.py sync
    After `pybabel update`: sorts both catalogues by key, flags every entry with a
    {placeholder} python-brace-format, and writes the English text above each Danish
    entry as an extracted comment ("#. en: ..."), for translators working in Poedit.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path("app/locale")
BASE = "en"
BRACES = "python-brace-format"


def path_of(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def save(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=0, sort_output=True)


def key_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def texts(message: Message | None) -> list[str]:
    said = message.string if message is not None else None
    return [said] if isinstance(said, str) else list(said or ())


def has_fields(text: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(text))


def template(pot: Path) -> None:
    catalog = load(pot)
    for message in load(path_of(BASE)):
        key = key_of(message)
        if not key:
            continue
        found = catalog.get(key)
        if found is None or (message.pluralizable and not found.pluralizable):
            if found is not None:
                del catalog[key]
            catalog.add((key, key) if message.pluralizable else key)
    save(pot, catalog)


def sync() -> None:
    languages = sorted(p.name for p in LOCALE_DIR.iterdir() if path_of(p.name).exists())
    catalogs = {language: load(path_of(language)) for language in languages}
    base = catalogs[BASE]
    for language, catalog in catalogs.items():
        for message in catalog:
            key = key_of(message)
            if not key:
                continue
            english = texts(base.get(key))
            said = english + [t for other in catalogs.values() for t in texts(other.get(key))]
            if any(has_fields(text) for text in said):
                message.flags.add(BRACES)
            else:
                message.flags.discard(BRACES)
            message.auto_comments = []
            if language != BASE and all(english):
                names = ["en", "en, plural"] if message.pluralizable else ["en"]
                message.auto_comments = [
                    f"{name}: {text}".replace("\n", "\\n")
                    for name, text in zip(names, english, strict=False)
                ]
        save(path_of(language), catalog)


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["template", pot]:
            template(Path(pot))
        case ["sync"]:
            sync()
        case _:
            sys.exit(__doc__)

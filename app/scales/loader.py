"""Reading scale files: YAML in, a validated definition or ``file:line`` problems out.

A file is a fidelity scale (:class:`ScaleDefinition`) unless it says
``kind: implementation``, which makes it an implementation-status instrument
(:class:`ImplementationDefinition`); both are checked the same way.

The YAML is read with ruamel's round-trip loader because it remembers where every key and
list entry stood, so each problem Pydantic or the scale rules report can point at its
line. The definition's fingerprint (sha256 of its canonical JSON) identifies its
content: two files that differ only in comments or layout have the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError

from app.scales.implementation import ImplementationDefinition
from app.scales.schema import Loc, ScaleDefinition

AnyDefinition = ScaleDefinition | ImplementationDefinition


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scale file, at a line a person can open."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ScaleFileError(Exception):
    """A scale file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def scale_files(scales_dir: Path) -> list[Path]:
    """Every ``<scale>/<version>.yaml`` under the scales folder, sorted."""
    return sorted(scales_dir.glob("*/*.yaml"))


def scale_file_path(scales_dir: Path, key: str, version: str) -> Path:
    return scales_dir / key / f"{version}.yaml"


def load_scale_file(path: Path) -> ScaleDefinition:
    """The fidelity scale defined in ``path``, or :class:`ScaleFileError` with every problem."""
    definition = load_definition_file(path)
    if not isinstance(definition, ScaleDefinition):
        raise ScaleFileError(
            [Problem(str(path), 1, "this is an implementation-status instrument, not a scale")]
        )
    return definition


def load_definition_file(path: Path) -> AnyDefinition:
    """The scale or instrument defined in ``path``, or :class:`ScaleFileError` with every
    problem."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScaleFileError([Problem(shown, 1, f"cannot read the file: {error}")]) from None
    return load_definition_text(text, shown=shown, path=path)


MoreRules = Callable[[AnyDefinition], list[tuple[Loc, str]]]


def load_definition_text(
    text: str, *, shown: str, path: Path | None = None, more_rules: MoreRules | None = None
) -> AnyDefinition:
    """The scale or instrument ``text`` defines (a file's contents, or an upload named
    ``shown`` in the problems), or :class:`ScaleFileError` with every problem. With a
    ``path``, the key and version must also match where the file lies; ``more_rules``
    are rules beyond the file itself (how it stands to the versions before it), asked
    only of a definition that is valid on its own, their problems placed at lines too."""
    try:
        tree = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = error.problem or error.context or "not valid YAML"
        raise ScaleFileError([Problem(shown, line, f"YAML: {what}")]) from None
    except ReaderError as error:
        # A character YAML does not take in a text (a control character such as \x07).
        line = text.count("\n", 0, max(error.position, 0)) + 1
        code = f"#x{error.character:04x}" if isinstance(error.character, int) else "?"
        raise ScaleFileError(
            [Problem(shown, line, f"YAML: the character {code} is not allowed in a scale file")]
        ) from None
    except (ValueError, RecursionError) as error:
        # A value YAML reads as something it cannot make (a date like 2020-13-45, a number
        # of thousands of digits), or nesting deeper than any scale file has.
        what = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ScaleFileError([Problem(shown, 1, f"YAML: {what}")]) from None
    if not isinstance(tree, CommentedMap):
        raise ScaleFileError([Problem(shown, 1, "a scale file must be a mapping of fields")])
    if _ALIAS.search(text) and _shares_nodes(tree):
        raise ScaleFileError(
            [Problem(shown, 1, "YAML anchors and aliases (& and *) are not used in scale files")]
        )
    if "<<" in text and _merges(tree):
        raise ScaleFileError(
            [Problem(shown, 1, "YAML merge keys (<<) are not used in scale files; spell it out")]
        )
    problems = _placement_problems(path, tree) if path is not None else []
    model: type[AnyDefinition] = (
        ImplementationDefinition if tree.get("kind") == "implementation" else ScaleDefinition
    )
    try:
        scale = model.model_validate(_plain(tree))
    except ValidationError as error:
        problems += _problems(shown, tree, error)
    else:
        for loc, message in more_rules(scale) if more_rules is not None else []:
            problems.append(Problem(shown, _line(tree, loc), message))
    if problems:
        raise ScaleFileError(sorted(problems, key=lambda problem: problem.line))
    return scale


def validate_scale_file(path: Path) -> list[Problem]:
    """Every problem in ``path``; an empty list means the file is a valid scale version."""
    try:
        load_definition_file(path)
    except ScaleFileError as error:
        return error.problems
    return []


def stated_form(scale: AnyDefinition) -> dict[str, Any]:
    """What the file itself states, as JSON data: the form that is fingerprinted.

    Fields the file does not mention are left out, so a field with a default added to
    the schema later does not make an unchanged, published file look different. (The
    database keeps the full definition, defaults included, so a default that changes
    later cannot change what a published version means.)
    """
    data: dict[str, Any] = scale.model_dump(mode="json", exclude_unset=True)
    return data


def canonical_json(scale: AnyDefinition) -> str:
    """The stated form as JSON with sorted keys."""
    return json.dumps(stated_form(scale), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def fingerprint(scale: AnyDefinition) -> str:
    return hashlib.sha256(canonical_json(scale).encode("utf-8")).hexdigest()


_ALIAS = re.compile(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]")


def _shares_nodes(tree: Any) -> bool:
    """Whether the file uses a YAML anchor: an alias is the same node met twice, and one
    expanded would repeat its content at every use, so a small file could stand for an
    enormous one. A scale file never needs one. (Only a text that could hold one, with
    "&" or "*" before a name, is walked.)"""
    seen: set[int] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                return True
            seen.add(id(node))
            pending.extend(node.values() if isinstance(node, dict) else node)
    return False


def _merges(tree: Any) -> bool:
    """Whether a mapping takes fields from another through a merge key (``<<``): its
    fields would have no line of their own, and a scale file spells its fields out."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, CommentedMap) and node.merge:
            return True
        if isinstance(node, dict | list):
            pending.extend(node.values() if isinstance(node, dict) else node)
    return False


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain dicts, lists, strings and numbers."""
    if isinstance(node, dict):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _line(tree: CommentedMap, loc: Loc) -> int:
    """The 1-based line of the deepest part of ``loc`` that exists in the file."""
    node: Any = tree
    line = 0
    for part in loc:
        if isinstance(node, CommentedMap):
            key = _map_key(node, part)
            if key is None:
                break
            line = node.lc.key(key)[0]
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0]
            node = node[part]
        else:
            break
    return line + 1


def _map_key(node: CommentedMap, part: str | int) -> Any:
    for candidate in (part, str(part)):
        if candidate in node:
            return candidate
    if isinstance(part, str) and part.lstrip("-").isdigit() and int(part) in node:
        return int(part)
    return None


def _problems(path: str, tree: CommentedMap, error: ValidationError) -> list[Problem]:
    return [Problem(path, _line(tree, loc), message) for loc, message in located_problems(error)]


def located_problems(error: ValidationError) -> list[tuple[Loc, str]]:
    """Every problem a validation found, each with the location of the field it concerns
    (where a file puts it on a line and a form beside a field)."""
    problems: list[tuple[Loc, str]] = []
    for detail in error.errors():
        loc: Loc = tuple(part for part in detail["loc"] if part != "[key]")
        if detail["type"] == "scale_rules":
            problems += [
                (tuple(rule_loc), message) for rule_loc, message in detail["ctx"]["problems"]
            ]
            continue
        where = _dotted(loc)
        if detail["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}" + (
                f" in {_dotted(loc[:-1])}" if loc[:-1] else ""
            )
        elif detail["type"] == "missing":
            message = f"missing field {where!r}"
        else:
            message = f"{where}: {detail['msg']}" if where else detail["msg"]
        problems.append((loc, message))
    return problems


def validate_data(
    data: dict[str, Any], *, more_rules: MoreRules | None = None
) -> tuple[AnyDefinition | None, list[tuple[Loc, str]]]:
    """A definition from plain data (a form's), checked exactly as a file is: the
    definition, or None and every problem at the location it concerns."""
    model: type[AnyDefinition] = (
        ImplementationDefinition if data.get("kind") == "implementation" else ScaleDefinition
    )
    try:
        definition = model.model_validate(data)
    except ValidationError as error:
        return None, located_problems(error)
    problems = more_rules(definition) if more_rules is not None else []
    return (None if problems else definition), problems


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _placement_problems(path: Path, tree: CommentedMap) -> list[Problem]:
    """The file must live at scales/<key>/<version>.yaml (checked even if fields are bad)."""
    problems = []
    key, version = tree.get("key"), tree.get("version")
    if isinstance(key, str) and path.parent.name != key:
        problems.append(
            Problem(
                str(path),
                _line(tree, ("key",)),
                f"key {key!r} does not match the folder {path.parent.name!r}; "
                "scale files live in scales/<key>/<version>.yaml",
            )
        )
    if isinstance(version, str) and path.stem != version:
        problems.append(
            Problem(
                str(path),
                _line(tree, ("version",)),
                f"version {version!r} does not match the file name {path.name!r}",
            )
        )
    return problems

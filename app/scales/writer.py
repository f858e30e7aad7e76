"""A definition written back as a scale file: the exchange format of the workshop.

What is written is the definition itself, in the schema's field order, without the
fields that are empty (``None``): reading the text back gives the same definition, and
writing that again gives the same text, byte for byte. Texts of several lines are written
as literal blocks (``|``) so a file stays readable and its diffs line by line; a whole
number is written without decimals even where the schema keeps a float.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from app.scales.loader import AnyDefinition


def definition_yaml(definition: AnyDefinition) -> str:
    """``definition`` as the text of a scale file."""
    data = _plain(definition.model_dump(mode="python", exclude_none=True))
    # A version such as 2026 must stay a string when read back (the dumper would quote
    # it anyway; double quotes are how the shipped files write it).
    data["version"] = DoubleQuotedScalarString(definition.version)
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # a text of one line stays on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(entry) for key, entry in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(entry) for entry in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    return value

"""Reading the lists operators edit in YAML (units, deadlines), each entry with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.nlp_cli import InputError


def read_yaml_list(
    path: Path, key: str, *, cannot_read: str, bad_format: str
) -> list[tuple[dict[str, Any], int | None]]:
    """The `key:` list of a YAML file as (fields, line it starts on) pairs.

    `cannot_read` and `bad_format` are the operator's messages ({path}, {error}); a non-mapping
    entry comes back as an empty mapping, for the validator to name by its line.
    """
    try:
        source = path.read_text(encoding="utf-8")
        root = yaml.compose(source)
        data = yaml.safe_load(source)
    # PyYAML composes nested collections recursively: "[[[[…" ends in a RecursionError.
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as error:
        raise InputError(cannot_read.format(path=path, error=error)) from error
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise InputError(bad_format.format(path=path))
    lines: list[int | None] = []
    assert root is not None  # safe_load gave a mapping, so there is a document
    for node_key, value in root.value:
        if node_key.value == key:
            lines = [node.start_mark.line + 1 for node in value.value]
    return [
        (fields if isinstance(fields, dict) else {}, lines[index] if index < len(lines) else None)
        for index, fields in enumerate(data[key])
    ]

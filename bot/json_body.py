"""Webhook bodies as JSON, with the nesting bounded: no channel sends more than a few levels,
and a hostile "[[[[…" must be a 400, not a RecursionError (a 500 the sender would retry)."""

from __future__ import annotations

import json
from typing import Any

# Telegram's deepest update (a reply to a message with entities in a group) is under 10 levels.
MAX_DEPTH = 32


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, raising ValueError for malformed JSON and for nesting past `max_depth`."""
    try:
        data = json.loads(raw)
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error
    if depth(data) > max_depth:
        raise ValueError("JSON nested too deeply")
    return data


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest

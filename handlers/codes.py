"""Reference codes residents type back: short, unambiguous, case-insensitive."""

from __future__ import annotations

import re
import secrets

PREFIX = "YK"
# No 0/O, 1/I/L, so a code read aloud or copied by hand survives.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6  # 31**6 ≈ 887 million: collisions stay rare at a national campaign's millions

_CODE_RE = re.compile(rf"^(?:{PREFIX})?[-\s]*([{ALPHABET}]{{{LENGTH}}})$")


def new_reference_code() -> str:
    """A fresh random code such as `YK-7F3Q9X`."""
    return f"{PREFIX}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def parse_reference_code(text: str) -> str | None:
    """The canonical code for what a resident typed (`yk 7f3q9x`, `7F3Q9X`), or None."""
    cleaned = text.strip().upper()
    match = _CODE_RE.match(cleaned)
    return f"{PREFIX}-{match.group(1)}" if match else None


def new_pseudonym() -> str:
    """A random internal identifier that reports may show instead of a channel id."""
    return "ND-" + secrets.token_hex(6).upper()


def split_code(args: str) -> tuple[str | None, str, str] | None:
    """`MÃ nội dung` as (code or None, the code as typed, the content); None without a code.

    A code may be typed with spaces ("YK 7F3Q9X", "YK - 7F3Q9X"), so the three and the two
    leading words are tried first.
    """
    for count in (3, 2):
        parts = args.split(maxsplit=count)
        joined = parse_reference_code(" ".join(parts[:count])) if len(parts) >= count else None
        if joined is not None:
            return joined, joined, parts[count].strip() if len(parts) > count else ""
    parts = args.split(maxsplit=1)
    if not parts:
        return None
    content = args.strip()[len(parts[0]) :].strip()
    return parse_reference_code(parts[0]), parts[0][:20], content

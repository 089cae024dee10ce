"""Diacritic-insensitive folding of Vietnamese text for matching and search."""

import re
import unicodedata

# The Combining Diacritical Marks blocks cover every Vietnamese tone and vowel mark (all in
# U+0300-U+036F after NFD) plus the rarer extended blocks, so a precomputed translate table
# avoids a per-character unicodedata.combining() call on every message.
_COMBINING_RANGES = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_STRIP_TABLE: dict[int, str | None] = {
    cp: None for start, end in _COMBINING_RANGES for cp in range(start, end + 1)
}
# Đ/đ have no decomposition. Legacy Vietnamese keyboards and encodings (VNI, TCVN3 fonts)
# often produce the look-alike eth Ð/ð instead, so it is folded the same way.
_STRIP_TABLE.update({ord("đ"): "d", ord("Đ"): "D", ord("ð"): "d", ord("Ð"): "D"})

# Anything that is neither a letter, a digit nor whitespace (punctuation, symbols, emoji,
# the underscore) separates words.
_NON_WORD = re.compile(r"[^\w\s]|_")


def strip_diacritics(text: str) -> str:
    """Return ``text`` without Vietnamese diacritics (đ becomes d), keeping case and spacing."""
    if text.isascii():
        return text
    stripped = unicodedata.normalize("NFD", text).translate(_STRIP_TABLE)
    return unicodedata.normalize("NFC", stripped)


def fold(text: str) -> str:
    """Return a lower-case, diacritic-free, punctuation-free, space-collapsed form of ``text``."""
    if text.isascii():
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    folded = unicodedata.normalize("NFD", text).lower().translate(_STRIP_TABLE)
    folded = " ".join(_NON_WORD.sub(" ", folded).split())
    # Non-Latin scripts (e.g. Hangul) were decomposed by NFD and must be recomposed.
    return folded if folded.isascii() else unicodedata.normalize("NFC", folded)

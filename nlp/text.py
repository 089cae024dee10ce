"""Diacritic-insensitive folding of Vietnamese text for matching and search."""

import re
import unicodedata

# The Combining Diacritical Marks blocks cover every Vietnamese tone and vowel mark (all in
# U+0300-U+036F after NFD) plus the rarer extended blocks, so a precomputed translate table
# avoids a per-character unicodedata.combining() call on every message.
COMBINING_RANGES = (
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_STRIP_TABLE: dict[int, str | None] = {
    cp: None for start, end in COMBINING_RANGES for cp in range(start, end + 1)
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


# --- Length-preserving folding --------------------------------------------------------------
# Rules that report spans run on a lower-case, diacritic-free copy of a message so that "sđt",
# "SDT" and "số điện thoại"/"so dien thoai" match one pattern. fold() collapses spaces and
# punctuation, which would break the offsets, so a one-char-to-one-char table is used instead
# (str.translate runs in C, which keeps the per-message cost low).
COMBINING_CHARS = frozenset(chr(c) for lo, hi in COMBINING_RANGES for c in range(lo, hi + 1))
FOLD_CHAR_TABLE: dict[int, str] = {}
for _cp in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
    _folded = strip_diacritics(chr(_cp)).lower()
    if len(_folded) == 1 and _folded != chr(_cp):
        FOLD_CHAR_TABLE[_cp] = _folded
FOLD_CHAR_TABLE[ord("ð")] = "d"
FOLD_CHAR_TABLE[ord("Ð")] = "d"
_COMBINING = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in COMBINING_RANGES) + "]")


def fold_keeping_offsets(text: str) -> tuple[str, list[int] | None]:
    """Fold case and diacritics character by character.

    Returns the folded text and, only when decomposed (NFD) input made it shorter, the index in
    ``text`` of every character kept; otherwise offsets are the same in both strings.
    """
    folded = text.translate(FOLD_CHAR_TABLE)
    if text.isascii() or not _COMBINING.search(folded):
        return folded, None
    kept = [i for i, ch in enumerate(folded) if not _COMBINING.match(ch)]
    return "".join(folded[i] for i in kept), kept

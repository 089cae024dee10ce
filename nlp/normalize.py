"""Text normalisation before classification: Unicode, tone marks, case, spacing, chat shorthand."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from underthesea.pipeline.text_normalize import token_normalize

# A token is a run of letters and digits (Vietnamese letters are \w); everything else is kept
# as it is, so punctuation and numbers survive for the character n-grams.
_TOKEN = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
# Letters stretched for emphasis ("quaaaa", "điiii") collapse to one: Vietnamese never writes a
# letter three times.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_CACHE_SIZE = 200_000


class Normalizer:
    """Turns a raw chat message into the canonical lower-case form the classifiers read."""

    def __init__(self, abbreviations: Mapping[str, str]) -> None:
        # Keys are matched lower-case; a multi-word expansion simply replaces the token.
        self._abbreviations = {key.lower(): value.lower() for key, value in abbreviations.items()}
        # Chat vocabulary is small and repetitive, so each distinct word is normalised once.
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        """Return ``text`` in NFC, with standard tone-mark placement, lower-cased, expanded."""
        text = unicodedata.normalize("NFC", text)
        text = _STRETCHED.sub(r"\1", text.lower())
        text = _TOKEN.sub(self._word, text)
        return _SPACES.sub(" ", text).strip()

    def _word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        normal = self._cache.get(word)
        if normal is None:
            # underthesea's token_normalize (offline, no model) moves tone marks to the standard
            # vowel ("hoá" -> "hóa", "thuỷ" -> "thủy") and fixes common misspellings.
            normal = token_normalize(word)
            normal = self._abbreviations.get(normal, normal)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[word] = normal
        return normal

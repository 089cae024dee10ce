"""Keyword rules deployers write in config/: phrases that settle a label the model is unsure of."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from nlp.text import fold


class KeywordRules:
    """Finds, per label, which of its phrases a text contains (ignoring case and diacritics)."""

    def __init__(self, phrases: Mapping[str, Sequence[str]]) -> None:
        self._patterns: dict[str, re.Pattern[str]] = {}
        for label, words in phrases.items():
            folded = sorted({fold(word) for word in words if fold(word)}, key=len, reverse=True)
            if folded:
                alternatives = "|".join(re.escape(word) for word in folded)
                self._patterns[label] = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

    def matches(self, text: str) -> dict[str, list[str]]:
        """Return the phrases found in ``text``, by label; labels with none are left out."""
        folded = fold(text)
        found = {label: pattern.findall(folded) for label, pattern in self._patterns.items()}
        return {label: hits for label, hits in found.items() if hits}

    def decide(self, text: str) -> tuple[str, str] | None:
        """Return (label, phrase) when exactly one label's phrases occur, else None."""
        found = self.matches(text)
        if len(found) != 1:
            return None
        ((label, hits),) = found.items()
        return label, hits[0]

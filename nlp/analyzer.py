"""The whole NLP pass over a submission: normalise, topic, kind, moderation flags, redaction."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlp.classifier import TextClassifier
from nlp.flags import Flag, FlagDetector
from nlp.normalize import Normalizer
from nlp.pii import find_pii, redact
from nlp.rules import KeywordRules

TOPIC = "topic"
KIND = "kind"


@dataclass(frozen=True)
class Label:
    """A label with the model's calibrated probability for it and what decided it."""

    code: str
    confidence: float
    source: str  # "model", or "rule:<phrase>" when a keyword rule settled an unsure model


@dataclass(frozen=True)
class Analysis:
    """Everything the NLP says about one text."""

    topic: Label
    kind: Label
    flags: tuple[Flag, ...]
    redacted: str
    needs_review: bool

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """The flag codes, in detection order."""
        return tuple(flag.code for flag in self.flags)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape `ykien nlp classify` prints."""
        return {
            "topic": self.topic.code,
            "kind": self.kind.code,
            "confidence": {
                "topic": round(self.topic.confidence, 4),
                "kind": round(self.kind.confidence, 4),
            },
            "flags": [flag.to_dict() for flag in self.flags],
            "redacted": self.redacted,
            "needs_review": self.needs_review,
            "decided_by": {"topic": self.topic.source, "kind": self.kind.source},
        }


@dataclass(frozen=True)
class Screening:
    """What moderation needs of a text without filing it by field: flags and redaction."""

    flags: tuple[Flag, ...]
    redacted: str

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """The flag codes, in detection order."""
        return tuple(flag.code for flag in self.flags)


class Analyzer:
    """Runs every NLP step; built once by the composition root and shared."""

    def __init__(
        self,
        *,
        normalizer: Normalizer,
        classifier: TextClassifier,
        topic_rules: KeywordRules,
        kind_rules: KeywordRules,
        flags: FlagDetector,
        review_threshold: float,
    ) -> None:
        missing = {TOPIC, KIND} - set(classifier.heads)
        if missing:
            raise ValueError(f"classifier lacks heads {sorted(missing)}")
        self._normalize = normalizer
        self._classifier = classifier
        self._rules = {TOPIC: topic_rules, KIND: kind_rules}
        self._flags = flags
        self.review_threshold = review_threshold

    def analyse(self, text: str, *, declared_kind: str | None = None) -> Analysis:
        """Analyse one text; ``declared_kind`` is the kind the resident chose, if any."""
        return self.analyse_batch([text], [declared_kind])[0]

    def analyse_batch(
        self, texts: Sequence[str], declared_kinds: Sequence[str | None] | None = None
    ) -> list[Analysis]:
        """Analyse many texts at once (one vectorised model call)."""
        kinds = list(declared_kinds) if declared_kinds is not None else [None] * len(texts)
        originals = [unicodedata.normalize("NFC", text) for text in texts]
        normalised = [self._normalize(text) for text in originals]
        classified = self._classifier.classify(normalised)
        topics = self._labels(TOPIC, *classified[TOPIC], normalised)
        predicted_kinds = self._labels(KIND, *classified[KIND], normalised)
        # A denunciation must be restricted whether the resident said so or the text shows it.
        flag_kinds = [
            "to_cao"
            if declared == "to_cao" or (kind.code == "to_cao" and not self._unsure(kind))
            else declared
            for declared, kind in zip(kinds, predicted_kinds, strict=True)
        ]
        pii = [find_pii(text) for text in originals]
        all_flags = self._flags.detect_batch(originals, flag_kinds, pii)
        return [
            Analysis(
                topic=topic,
                kind=kind,
                flags=tuple(flags),
                redacted=redact(original, spans),
                needs_review=self._unsure(topic) or self._unsure(kind),
            )
            for original, topic, kind, flags, spans in zip(
                originals, topics, predicted_kinds, all_flags, pii, strict=True
            )
        ]

    def screen(self, text: str) -> Screening:
        """Flags and redaction only (no topic or kind model): for a comment on a draft, which
        is filed under its section. A tenth of `analyse`'s cost: the linear models' feature
        extraction is most of it."""
        return self.screen_batch([text])[0]

    def screen_batch(self, texts: Sequence[str]) -> list[Screening]:
        """`screen` for many texts."""
        originals = [unicodedata.normalize("NFC", text) for text in texts]
        pii = [find_pii(text) for text in originals]
        all_flags = self._flags.detect_batch(originals, [None] * len(originals), pii)
        return [
            Screening(flags=tuple(flags), redacted=redact(original, spans))
            for original, flags, spans in zip(originals, all_flags, pii, strict=True)
        ]

    def _labels(
        self, head: str, best: np.ndarray, probabilities: np.ndarray, texts: Sequence[str]
    ) -> list[Label]:
        codes = self._classifier.heads[head]
        labels = []
        for row, text in enumerate(texts):
            index = int(best[row])
            label = Label(codes[index], float(probabilities[row, index]), "model")
            if label.confidence < self.review_threshold:
                decided = self._rules[head].decide(text)
                if decided is not None and decided[0] in codes:
                    code, phrase = decided
                    confidence = float(probabilities[row, codes.index(code)])
                    label = Label(code, confidence, f"rule:{phrase}")
            labels.append(label)
        return labels

    def _unsure(self, label: Label) -> bool:
        return label.source == "model" and label.confidence < self.review_threshold

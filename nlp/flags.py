"""Moderation flags for residents' messages: pii, xuc_pham, de_doa, khan_cap, to_cao, spam.

Every flag carries the evidence that raised it: character spans of the text given to
``FlagDetector.detect`` and the source that fired ("lexicon:xuc_pham", "model:vihos", ...).

Matching rules for the word lists (they live in ``config/moderation.py``, whose docstring is
the deployer's guide): case-insensitive, whole words, words of an entry match across spaces
or punctuation. An entry with Vietnamese diacritics matches that spelling only (on a
lower-cased copy); a plain-ASCII entry matches a folded copy (lower case, diacritics removed,
one character per character so offsets stay valid) and so any accented variant; an ASCII
entry prefixed with "=" matches those exact letters, only in texts typed with diacritics.
Vowel-less abbreviations ("dm", "vcl") also match with "." "-" "_" "*" between letters, the
last letter may be repeated ("đmmm"), and "..." inside an entry stands for up to three words.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from nlp.pii import PiiSpan, find_pii
from nlp.text import COMBINING_CHARS, COMBINING_RANGES, FOLD_CHAR_TABLE, fold_keeping_offsets

FLAG_CODES = ("pii", "xuc_pham", "de_doa", "khan_cap", "to_cao", "spam")

MODEL_SOURCE = "model:vihos"
DEFAULT_MODEL_MIN_SCORE = 0.9
"""A model span raises xuc_pham only from this probability (see FlagDetector)."""


@dataclass(frozen=True)
class Evidence:
    """What made a flag fire: a span of the text (offsets into the text given to detect)."""

    start: int
    end: int
    text: str
    source: str


@dataclass(frozen=True)
class Flag:
    """One moderation flag with all its evidence, sorted by position."""

    code: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"code": ..., "evidence": [{"start", "end", "text", "source"}]}."""
        return {
            "code": self.code,
            "evidence": [
                {"start": e.start, "end": e.end, "text": e.text, "source": e.source}
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class ModerationLexicons:
    """The editable word lists, built by the composition root from ``config/moderation.py``.

    The first five fields are required. The others refine the rules and default to empty
    (a detector without them flags more: past emergencies, scam reports, ...).
    """

    insults: tuple[str, ...]
    threats: tuple[str, ...]
    self_harm: tuple[str, ...]
    emergencies: tuple[str, ...]
    spam_phrases: tuple[str, ...]
    spam_hints: tuple[str, ...] = ()
    scam_report_context: tuple[str, ...] = ()
    not_current: tuple[str, ...] = ()
    allowed_phrases: tuple[str, ...] = ()
    model_ignored_words: tuple[str, ...] = ()

    @classmethod
    def from_module(cls, module: Any) -> ModerationLexicons:
        """Build from an object with upper-case attributes (``INSULTS``, ``THREATS``, ...).

        Required lists must be present; optional ones may be missing.
        """
        values: dict[str, tuple[str, ...]] = {}
        for field in fields(cls):
            name = field.name.upper()
            if hasattr(module, name):
                values[field.name] = tuple(getattr(module, name))
        return cls(**values)


class SpanPredictor(Protocol):
    """What the detector needs from nlp.offensive.OffensiveSpanModel."""

    def predict_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int, float]]]: ...


# --- Text views --------------------------------------------------------------------------
# Vietnamese letters with a diacritic (lower case, NFC) and đ: used to tell whether a message
# was typed with diacritics at all.
_MARKED = re.compile("[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]")
_WORD = re.compile(r"\w+")
_ACCENTED_RATIO = 0.4


class _View:
    """One text in the forms the matchers need, with offsets kept aligned.

    ``lowered`` is the text in lower case and ``folded`` also without diacritics, both one
    character per character of ``text``. Decomposed (NFD) input loses its combining marks in
    ``folded``; ``kept`` then maps folded offsets back to the text.
    """

    __slots__ = ("_accented", "clusters", "folded", "kept", "lowered", "maybe_mash", "text")

    def __init__(
        self,
        text: str,
        lowered: str,
        folded: str,
        maybe_mash: bool,
        kept: list[int] | None = None,
        clusters: list[tuple[int, int]] | None = None,
    ) -> None:
        self.text = text
        self.lowered = lowered
        self.folded = folded
        self.kept = kept
        self.clusters = clusters
        self.maybe_mash = maybe_mash
        self._accented: bool | None = None

    @property
    def accented(self) -> bool:
        """Whether the text was typed with diacritics (enough marked letters per word)."""
        if self._accented is None:
            words = len(_WORD.findall(self.folded))
            marks = len(_MARKED.findall(self.lowered))
            self._accented = words > 0 and marks >= _ACCENTED_RATIO * words
        return self._accented

    def span_from_lowered(self, start: int, end: int) -> tuple[int, int]:
        if self.clusters is None:
            return start, end
        return self.clusters[start][0], self.clusters[end - 1][1]

    def span_from_folded(self, start: int, end: int) -> tuple[int, int]:
        if self.kept is None:
            return start, end
        orig_start, orig_end = self.kept[start], self.kept[end - 1] + 1
        while orig_end < len(self.text) and self.text[orig_end] in COMBINING_CHARS:
            orig_end += 1
        return orig_start, orig_end


# Code-point tables for the whole batch at once (str.translate with a dict costs a dictionary
# look-up per character; NumPy does the batch in a few vectorised passes). Beyond the table,
# characters are kept as they are, exactly as nlp.text.FOLD_CHAR_TABLE does.
_TABLE_SIZE = 0x1F00  # up to Latin Extended Additional, where the precomposed Vietnamese are
_FOLD = np.array(
    [ord(FOLD_CHAR_TABLE.get(cp, chr(cp))) for cp in range(_TABLE_SIZE)], dtype=np.uint32
)
_SEPARATOR = "\n\n\n\n"
_SMALL_BATCH = 4
_VOWEL_CODES = np.array([ord(c) for c in "aeiouy"], dtype=np.uint32)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEYBOARD_RUNS = sorted(
    {
        run
        for row in _KEYBOARD_ROWS
        for i in range(len(row) - 3)
        for run in (row[i : i + 4], row[i : i + 4][::-1])
    }
)
_KEYBOARD_CODES = np.array(
    [sum((ord(ch) - 96) << (5 * k) for k, ch in enumerate(run)) for run in _KEYBOARD_RUNS],
    dtype=np.int64,
)


def _lower(text: str) -> str:
    """``text.lower()``, one character per character (the rare longer lowerings are skipped)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _view(text: str) -> _View:
    """The view of one text, without NumPy (cheaper than _views for a handful of texts)."""
    folded, kept = fold_keeping_offsets(text)
    maybe_mash = _MASH.search(folded) is not None
    if kept is not None:
        lowered, clusters = _composed_with_map(text)
        return _View(text, lowered, folded, maybe_mash, kept, clusters)
    lowered = _lower(text)
    return _View(text, lowered, folded, maybe_mash)


def _views(texts: Sequence[str]) -> list[_View]:
    """Build the views of a batch of texts with a few NumPy passes over all of them."""
    if len(texts) <= _SMALL_BATCH:
        return [_view(text) for text in texts]
    joined = _SEPARATOR.join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    small = codes < _TABLE_SIZE
    index = np.where(small, codes, 0)
    folded_codes = np.where(small, _FOLD[index], codes).astype(np.uint32)
    folded_all = folded_codes.tobytes().decode("utf-32-le")
    lowered_all = joined.lower()
    if len(lowered_all) != len(joined):
        lowered_all = _SEPARATOR.join(_lower(t) for t in texts)
    mash_texts = _mash_hints(folded_codes, texts)
    combining = np.zeros(codes.shape, dtype=bool)
    for lo, hi in COMBINING_RANGES:
        combining |= (codes >= lo) & (codes <= hi)
    decomposed = _text_indices(np.flatnonzero(combining), texts) if combining.any() else set()
    views = []
    pos = 0
    for i, text in enumerate(texts):
        end = pos + len(text)
        if i in decomposed:
            # Decomposed (NFD) input: folded drops the marks, lowered is recomposed (NFC) so
            # that entries with diacritics match; both keep maps back to the text. Rare, so
            # the slower single-text path does it.
            views.append(_view(text))
        else:
            views.append(_View(text, lowered_all[pos:end], folded_all[pos:end], i in mash_texts))
        pos = end + len(_SEPARATOR)
    return views


_CLUSTER = re.compile(
    ".[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in COMBINING_RANGES) + "]*", re.DOTALL
)


def _composed_with_map(text: str) -> tuple[str, list[tuple[int, int]]]:
    """NFC, lower-cased ``text`` and, per character, the span of ``text`` it comes from."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _CLUSTER.finditer(text):
        for ch in unicodedata.normalize("NFC", m.group()):
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
            spans.append(m.span())
    return "".join(out), spans


def _text_indices(positions: np.ndarray, texts: Sequence[str]) -> set[int]:
    """Which text of a batch joined with _SEPARATOR each position of the joined string is in."""
    starts = np.cumsum([0] + [len(t) + len(_SEPARATOR) for t in texts[:-1]])
    return {int(i) - 1 for i in np.searchsorted(starts, positions, side="right")}


def _mash_hints(folded: np.ndarray, texts: Sequence[str]) -> set[int]:
    """Indices of the texts that may hold keyboard mashing (a cheap superset of _MASH)."""
    n = folded.size
    if n < 4:
        return set(range(len(texts))) if n else set()
    letters = (folded >= 97) & (folded <= 122)
    consonant = letters & ~np.isin(folded, _VOWEL_CODES)
    # Four consonants in a row (Vietnamese has at most three: "ngh").
    hint = consonant[:-3] & consonant[1:-2] & consonant[2:-1] & consonant[3:]
    # One letter four times ("aaaa").
    same = folded[:-1] == folded[1:]
    hint |= letters[:-3] & same[:-2] & same[1:-1] & same[2:]
    # Two letters three times ("hahaha"), three letters three times ("abcabcabc").
    if n >= 6:
        p2 = letters[:-5] & letters[1:-4]
        for k in range(4):
            p2 &= folded[k : n - 5 + k] == folded[k + 2 : n - 3 + k]
        hint[: n - 5] |= p2
    if n >= 9:
        p3 = letters[:-8] & letters[1:-7] & letters[2:-6]
        for k in range(6):
            p3 &= folded[k : n - 8 + k] == folded[k + 3 : n - 5 + k]
        hint[: n - 8] |= p3
    # Four keys in a row of the keyboard ("asdf", "uiop").
    code = np.where(letters, folded.astype(np.int64) - 96, 0)
    grams = code[:-3] | (code[1:-2] << 5) | (code[2:-1] << 10) | (code[3:] << 15)
    hint |= np.isin(grams, _KEYBOARD_CODES)
    positions = np.flatnonzero(hint)
    return _text_indices(positions, texts) if positions.size else set()


# --- Phrase matching -----------------------------------------------------------------------
_VOWELS = frozenset("aeiouy")
_WORD_SEP = r"[\W_]{1,3}"  # between words of an entry: spaces or punctuation
_GAP = r"[\W_]{1,3}(?:\w+[\W_]{1,3}){0,3}"  # "...": up to three words
_LETTER_SEP = r"[.\-_*]?"  # between letters of a vowel-less abbreviation: "Đ.M", "v-c-l"


def _fold_entry(entry: str) -> str:
    folded, _ = fold_keeping_offsets(entry)
    return folded


def _entry_atoms(entry: str) -> tuple[str, ...]:
    """Regex fragments of one normalised entry, one per character/separator (for the trie)."""
    atoms: list[str] = []
    pending = ""
    for word in entry.split():
        if word in {"...", "…"}:
            pending = _GAP
            continue
        if atoms:
            atoms.append(pending or _WORD_SEP)
        pending = ""
        letters = [c for c in _fold_entry(word) if c.isalpha()]
        abbreviation = len(letters) >= 2 and not _VOWELS.intersection(letters)
        for i, ch in enumerate(word):
            atom = re.escape(ch)
            if abbreviation and i > 0:
                atom = _LETTER_SEP + atom
            atoms.append(atom)
    if atoms and entry[-1].isalnum():
        atoms[-1] += "+"  # elongation: "đmmm", "nguuu"
    return tuple(atoms)


def _trie_regex(entries: Iterable[tuple[str, ...]]) -> str:
    """Alternation of atom sequences with shared prefixes merged (fast to scan)."""
    trie: dict[str, Any] = {}
    for atoms in entries:
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [atom + emit(child) for atom, child in sorted(node.items()) if atom]
        if not branches:
            return ""
        if len(branches) == 1 and not end:
            return branches[0]
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if end else body

    return emit(trie)


class _Lexicon:
    """All word lists compiled together; see the module docstring for the matching rules.

    One scan of the folded text and one of the lower-cased text find the positions where
    any entry of any list matches; each list's own pattern is then tried at those few
    positions only, so adding lists costs little per message.
    """

    def __init__(self, lists: dict[str, Iterable[str]]) -> None:
        # By (folded text?, first character): the lists' patterns that can start with it, as
        # (list name, regex, only in texts with diacritics?).
        self._by_start: dict[tuple[bool, str], list[tuple[str, re.Pattern[str], bool]]] = {}
        every: dict[bool, set[tuple[str, ...]]] = {True: set(), False: set()}
        for name, entries in lists.items():
            groups: dict[tuple[bool, bool], set[str]] = {}
            for raw in entries:
                entry = " ".join(raw.split()).lower()
                needs_marks = entry.startswith("=")
                entry = entry.lstrip("=").strip()
                if entry:
                    on_folded = entry.isascii() and not needs_marks
                    groups.setdefault((on_folded, needs_marks), set()).add(entry)
            for (on_folded, needs_marks), group in groups.items():
                atoms = {_entry_atoms(entry) for entry in group}
                rx = re.compile("(?:" + _trie_regex(atoms) + r")(?!\w)")
                every[on_folded].update(atoms)
                for first in sorted({entry[0] for entry in group}):
                    self._by_start.setdefault((on_folded, first), []).append(
                        (name, rx, needs_marks)
                    )
        self._scan_folded = _scanner(every[True])
        self._scan_lowered = _scanner(every[False])

    def find(self, view: _View) -> dict[str, list[tuple[int, int]]]:
        """Spans (text offsets) of the matches of every list, by list name, sorted."""
        found: dict[str, list[tuple[int, int]]] = {}
        for scanner, on_folded in ((self._scan_folded, True), (self._scan_lowered, False)):
            if scanner is None:
                continue
            string = view.folded if on_folded else view.lowered
            for hit in scanner.finditer(string):
                pos = hit.start()
                for name, rx, needs_marks in self._by_start.get((on_folded, string[pos]), ()):
                    m = rx.match(string, pos)
                    if m is None or (needs_marks and not view.accented):
                        continue
                    if on_folded:
                        span = view.span_from_folded(pos, m.end())
                    else:
                        span = view.span_from_lowered(pos, m.end())
                    found.setdefault(name, []).append(span)
        for spans in found.values():
            spans.sort()
        return found


def _scanner(atoms: set[tuple[str, ...]]) -> re.Pattern[str] | None:
    """Zero-width matches at every word start where some entry matches."""
    if not atoms:
        return None
    return re.compile(r"(?<!\w)(?=(?:" + _trie_regex(atoms) + r")(?!\w))")


class _WordSet:
    """Single words compared like phrase entries: accented exactly, ASCII after folding."""

    def __init__(self, words: Iterable[str]) -> None:
        self._exact = frozenset(w.strip().lower() for w in words if not w.strip().isascii())
        self._folded = frozenset(w.strip().lower() for w in words if w.strip().isascii())

    def covers(self, lowered: str, folded: str) -> bool:
        """Whether every word of the span is in the set."""
        low_words = _WORD.findall(lowered)
        fold_words = _WORD.findall(folded)
        if not low_words or len(low_words) != len(fold_words):
            return False
        return all(
            lw in self._exact or fw in self._folded
            for lw, fw in zip(low_words, fold_words, strict=True)
        )


# --- Spam rules --------------------------------------------------------------------------
_URL = re.compile(
    r"(?<![\w@.])(?:https?://|www\.)[^\s]+"
    r"|(?<![\w@.\-])[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|net|org|vn|xyz|top|info|io|me"
    r"|club|online|site|bet|win|vip|shop|store|link|ly|cc|co|tk|ml|ga|live|fun|app)(?![\w.])"
    r"(?:/[^\s]*)?"
)
_MASH = re.compile(
    r"(?<![a-z])(?:"
    r"[a-z]*(?:" + "|".join(_KEYBOARD_RUNS) + r")[a-z]*"  # keyboard rows: "asdf", "hjkl"
    r"|[a-z]*[b-df-hj-np-tv-xz]{6,}[a-z]*"  # 6+ consonants in a row: "jfkdls"
    r"|([a-z])\1{3,}"  # one letter repeated: "aaaa", "kkkkk"
    r"|[a-z]?([a-z]{2,3})\2{2,}[a-z]?"  # a short unit repeated: "jdjdjd", "hahaha"
    r")(?![a-z])"
)
_LETTERS = re.compile(r"[a-z]+")
_MIN_GIBBERISH_LETTERS = 5
_GIBBERISH_SHARE = 0.6
_FLOOD_MIN_CHARS = 5
_FLOOD_MIN_REPEATS = 4
_SENTENCE_END = re.compile(r"[.!?;\n]")
_LISTS = (
    "insults",
    "threats",
    "self_harm",
    "emergencies",
    "spam_phrases",
    "spam_hints",
    "scam_report_context",
    "not_current",
    "allowed_phrases",
)


class FlagDetector:
    """Raise moderation flags from word lists, rules, personal-data detection and a model.

    ``offensive_model`` (optional) adds spans of offensive language found by
    nlp.offensive.OffensiveSpanModel; a model span raises xuc_pham only when its score is
    at least ``model_min_score`` and it holds a word that is not in
    ``lexicons.model_ignored_words`` (the model, trained on social-media comments, also
    marks pronouns and words such as "lũ" or "trộm" that are ordinary in civic messages).
    """

    def __init__(
        self,
        lexicons: ModerationLexicons,
        offensive_model: SpanPredictor | None = None,
        *,
        model_min_score: float = DEFAULT_MODEL_MIN_SCORE,
    ) -> None:
        self._lexicon = _Lexicon({name: getattr(lexicons, name) for name in _LISTS})
        self._model_ignored = _WordSet(lexicons.model_ignored_words)
        self._model = offensive_model
        self._model_min_score = model_min_score

    def detect(self, text: str, *, kind: str | None = None) -> list[Flag]:
        """Flags of one message (``text`` in NFC), in FLAG_CODES order."""
        return self.detect_batch([text], [kind])[0]

    def detect_batch(
        self,
        texts: Sequence[str],
        kinds: Sequence[str | None],
        pii: Sequence[list[PiiSpan]] | None = None,
    ) -> list[list[Flag]]:
        """Flags of many messages; the offensive-span model is called once for the batch.

        ``pii``: the spans `find_pii` gave for each text, when the caller already has them.
        """
        if len(texts) != len(kinds) or (pii is not None and len(pii) != len(texts)):
            raise ValueError("texts, kinds and pii must have the same length")
        known_pii = pii if pii is not None else [None] * len(texts)
        if self._model is not None and texts:
            model_spans = self._model.predict_spans(texts)
        else:
            model_spans = [[] for _ in texts]
        views = _views(texts) if texts else []
        return [
            self._detect_one(view, kind, spans, pii_spans)
            for view, kind, spans, pii_spans in zip(
                views, kinds, model_spans, known_pii, strict=True
            )
        ]

    # -- per message --------------------------------------------------------------------------
    def _detect_one(
        self,
        view: _View,
        kind: str | None,
        model_spans: list[tuple[int, int, float]],
        pii_spans: list[PiiSpan] | None,
    ) -> list[Flag]:
        found: dict[str, list[Evidence]] = {}
        pii = find_pii(view.text) if pii_spans is None else pii_spans
        if pii:
            found["pii"] = [Evidence(s.start, s.end, s.text, f"pii:{s.rule}") for s in pii]
        if view.text.strip():
            hits = self._lexicon.find(view)
            allowed = hits.get("allowed_phrases", [])

            def evidence(name: str, source: str) -> list[Evidence]:
                return _evidence(view, hits.get(name, ()), source, allowed)

            insults = evidence("insults", "lexicon:xuc_pham")
            _add(found, "xuc_pham", insults + self._model_evidence(view, model_spans, allowed))
            _add(found, "de_doa", evidence("threats", "lexicon:de_doa"))
            _add(found, "de_doa", evidence("self_harm", "lexicon:tu_hai"))
            _add(
                found, "khan_cap", _current(view, evidence("emergencies", "lexicon:khan_cap"), hits)
            )
            _add(found, "spam", _gibberish(view, insults))
            if "spam_phrases" in hits or "spam_hints" in hits:
                phrases = evidence("spam_phrases", "lexicon:spam")
                hints = evidence("spam_hints", "lexicon:spam_hint")
                if "scam_report_context" not in hits:
                    _add(found, "spam", _advert(view, phrases, hints, pii))
        if kind == "to_cao":
            found["to_cao"] = [Evidence(0, 0, "", "kind:to_cao")]
        return [Flag(code, _tidy(found[code])) for code in FLAG_CODES if found.get(code)]

    def _model_evidence(
        self,
        view: _View,
        model_spans: list[tuple[int, int, float]],
        allowed: Sequence[tuple[int, int]],
    ) -> list[Evidence]:
        strong = [
            (start, end)
            for start, end, score in model_spans
            if score >= self._model_min_score
            and not self._model_ignored.covers(
                _lower(unicodedata.normalize("NFC", view.text[start:end])),
                fold_keeping_offsets(view.text[start:end])[0],
            )
        ]
        return _evidence(view, strong, MODEL_SOURCE, allowed)


def _add(found: dict[str, list[Evidence]], code: str, evidence: list[Evidence]) -> None:
    if evidence:
        found.setdefault(code, []).extend(evidence)


def _tidy(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    """Sorted, without duplicates or lexicon spans inside a longer lexicon span."""
    unique = sorted(set(evidence), key=lambda e: (e.start, -e.end, e.source))
    out: list[Evidence] = []
    for e in unique:
        if e.source.startswith("lexicon:") and any(
            o.source.startswith("lexicon:") and o.start <= e.start and e.end <= o.end for o in out
        ):
            continue
        out.append(e)
    out.sort(key=lambda e: (e.start, e.end, e.source))
    return tuple(out)


def _evidence(
    view: _View,
    spans: Iterable[tuple[int, int]],
    source: str,
    allowed: Sequence[tuple[int, int]],
) -> list[Evidence]:
    """Evidence for ``spans``, leaving out those inside an allowed phrase."""
    return [
        Evidence(start, end, view.text[start:end], source)
        for start, end in spans
        if not any(a <= start and end <= b for a, b in allowed)
    ]


def _current(
    view: _View, emergencies: list[Evidence], hits: dict[str, list[tuple[int, int]]]
) -> list[Evidence]:
    """Emergencies not in a sentence holding a past/habitual/hypothetical marker."""
    markers = hits.get("not_current")
    if not emergencies or not markers:
        return emergencies
    ends = [m.end() for m in _SENTENCE_END.finditer(view.text)]

    def sentence(pos: int) -> int:
        return bisect.bisect_right(ends, pos)

    past = {sentence(start) for start, _ in markers}
    return [e for e in emergencies if sentence(e.start) not in past]


def _advert(
    view: _View, phrases: list[Evidence], hints: list[Evidence], pii: list[PiiSpan]
) -> list[Evidence]:
    """Advertising: two points, a phrase counting two and a hint, link or phone one each."""
    if not phrases and not hints:
        return []
    urls = []
    if "." in view.folded:
        for m in _URL.finditer(view.folded):
            start, end = view.span_from_folded(m.start(), m.end())
            urls.append(Evidence(start, end, view.text[start:end], "rule:spam_url"))
    phones = [Evidence(s.start, s.end, s.text, "rule:spam_phone") for s in pii if s.kind == "phone"]
    score = 2 * len(phrases) + len(hints) + bool(urls) + bool(phones)
    return phrases + hints + urls + phones if score >= 2 else []


def _gibberish(view: _View, insults: list[Evidence]) -> list[Evidence]:
    """Floods (one character or word repeated) and keyboard mashing."""
    text = view.text
    stripped = text.strip()
    if len(stripped) >= _FLOOD_MIN_CHARS and stripped.count(stripped[0]) + stripped.count(
        " "
    ) == len(stripped):
        start = text.index(stripped)
        return [Evidence(start, start + len(stripped), stripped, "rule:flood")]
    folded = view.folded
    words = folded.split()
    if (
        len(words) >= _FLOOD_MIN_REPEATS
        and words[0] == words[-1]
        and words.count(words[0]) == len(words)
    ):
        start = text.index(stripped)
        return [Evidence(start, start + len(stripped), stripped, "rule:flood")]
    if not view.maybe_mash:  # no trace of any _MASH pattern (checked for the whole batch)
        return []
    letters = sum(map(len, _LETTERS.findall(folded)))
    if letters < _MIN_GIBBERISH_LETTERS:
        return []
    out = []
    mashed = 0
    for m in _MASH.finditer(folded):
        start, end = view.span_from_folded(m.start(), m.end())
        if any(i.start <= start and end <= i.end for i in insults):
            continue  # "vcllll" is an insult, not keyboard mashing
        mashed += m.end() - m.start()
        out.append(Evidence(start, end, text[start:end], "rule:gibberish"))
    return out if mashed >= _GIBBERISH_SHARE * letters else []

"""Fuzzy matching of free-text commune/ward and province names against the 2025 unit list."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nlp.text import fold

# Below 80, greetings already match real names ("xin chao" ~ "Xã Sín Chải" scores 75).
MIN_SCORE = 80.0
"""Candidates scoring below this are not plausible and are never returned."""

# A head or tail of a query is read as a province only when this close to a name or alias.
_PROVINCE_CUTOFF = 85.0
# Loose pre-filter for rapidfuzz; MIN_SCORE decides what is plausible.
_RATIO_CUTOFF = 60.0
# Containment must be almost verbatim, otherwise short names are found in every message.
_PARTIAL_CUTOFF = 95.0
_PARTIAL_MIN_NAME_LEN = 4
_MAX_PROVINCE_WORDS = 5  # "thanh pho ho chi minh", "tinh ba ria vung tau"
_TYPE_MISMATCH_PENALTY = 8.0
# A pre-2025 province name points to the merged province but is not its name.
_LEGACY_PENALTY = 5.0
# Reading a type word as part of the name ("Xã Phương Bình") is the less likely reading.
_UNSTRIPPED_PENALTY = 5.0

_WARD_TYPES = frozenset({"phuong", "xa", "dac khu"})
_PROVINCE_TYPES = frozenset({"thanh pho", "tinh"})

# Folded type words and abbreviations residents put before a unit name. Districts and
# townships (quan, huyen, thi xa, thi tran) were abolished on 1 July 2025 but are still typed.
_TYPE_WORDS: dict[tuple[str, ...], str] = {
    ("phuong",): "phuong",
    ("p",): "phuong",
    ("xa",): "xa",
    ("x",): "xa",
    ("dac", "khu"): "dac khu",
    ("dk",): "dac khu",
    ("thi", "tran"): "thi tran",
    ("tt",): "thi tran",
    ("thi", "xa"): "thi xa",
    ("tx",): "thi xa",
    ("quan",): "quan",
    ("q",): "quan",
    ("huyen",): "huyen",
    ("h",): "huyen",
    ("thanh", "pho"): "thanh pho",
    ("tp",): "thanh pho",
    ("tinh",): "tinh",
}
# Inside a ward part these start the (obsolete) district or the province written after it.
_TRAILING_UNIT_WORDS = frozenset(
    {
        ("quan",),
        ("q",),
        ("huyen",),
        ("h",),
        ("tx",),
        ("thi", "xa"),
        ("tp",),
        ("thanh", "pho"),
        ("tinh",),
    }
)

# Well-known short forms of current provinces, by province code.
_PROVINCE_ALIASES: dict[int, tuple[str, ...]] = {
    1: ("hn", "tphn"),
    31: ("hp",),
    46: ("thua thien hue", "tth"),
    79: ("hcm", "tphcm", "hcmc", "sai gon", "saigon", "sg"),
}
# Provinces merged away on 1 July 2025 (Resolution 202/2025/QH15), by receiving province.
_LEGACY_PROVINCES: dict[int, tuple[str, ...]] = {
    8: ("ha giang",),
    15: ("yen bai",),
    19: ("bac kan", "bac can"),
    24: ("bac giang",),
    25: ("vinh phuc", "hoa binh"),
    31: ("hai duong",),
    33: ("thai binh",),
    37: ("ha nam", "nam dinh"),
    44: ("quang binh",),
    48: ("quang nam",),
    51: ("kon tum",),
    52: ("binh dinh",),
    56: ("ninh thuan",),
    66: ("phu yen",),
    68: ("dak nong", "binh thuan"),
    75: ("binh phuoc",),
    79: ("binh duong", "ba ria vung tau", "brvt"),
    80: ("long an",),
    82: ("tien giang",),
    86: ("ben tre", "tra vinh"),
    91: ("kien giang",),
    92: ("soc trang", "hau giang"),
    96: ("bac lieu",),
}

# The five Vietnamese tone marks. "Hoá" and "Hóa" (old and new tone placement) are the same
# syllable, so syllables are compared as (letters without tone, tone) rather than as strings.
_TONES = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))
_NON_WORD = re.compile(r"[^\w\s]|_")


def _syllable(word: str) -> str:
    """Key of a lower-case syllable that ignores where the tone mark is placed."""
    decomposed = unicodedata.normalize("NFD", word.replace("ð", "đ"))
    tones = "".join(ch for ch in decomposed if ord(ch) in _TONES)
    return unicodedata.normalize("NFC", decomposed.translate(_TONES)) + tones


def _words(text: str) -> list[str]:
    """Lower-case words of ``text``, diacritics kept."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFC", text).lower()).split()


def _marked_words(text: str) -> list[tuple[str, str]]:
    """(folded, syllable key) of each word of ``text``, or none if it has no diacritics."""
    words = _words(text)
    if all(word.isascii() for word in words):
        return []
    # Someone typing with diacritics means an unmarked word too ("Văn Lang", not "Văn Lăng").
    return [(fold(word), _syllable(word)) for word in words]


@dataclass(frozen=True)
class Locality:
    """A commune/ward/special zone or a province of the two-level administrative list."""

    code: str
    name: str
    province_code: str
    province_name: str
    level: str

    @property
    def label(self) -> str:
        """Human-readable name, with the province appended for a ward."""
        if self.level == "province":
            return self.name
        return f"{self.name}, {self.province_name}"


@dataclass(frozen=True)
class LocalityMatch:
    """A candidate locality for a query, with its similarity score (0..100)."""

    locality: Locality
    score: float
    exact: bool


@dataclass(frozen=True)
class _Unit:
    """Matching data of one locality."""

    locality: Locality
    unit_type: str
    province_code: int
    # Folded word -> syllable keys of the unit's and its province's names, to tell apart
    # "Tân Thành" and "Tân Thạnh" when the resident typed diacritics.
    syllables: dict[str, frozenset[str]]

    def accent_mismatches(self, marked: list[tuple[str, str]]) -> int:
        """How many query words spell a word of this unit's name with other diacritics."""
        return sum(
            1
            for folded, key in marked
            if folded in self.syllables and key not in self.syllables[folded]
        )


@dataclass
class _Candidate:
    """Best evidence found so far for one locality while a query is being matched."""

    unit: _Unit
    score: float
    # The query is exactly this unit's name: exact if no other candidate is.
    exact_hit: bool = False
    # The query is exactly a former name pointing here: makes others ambiguous, never exact.
    legacy_hit: bool = False


@dataclass(frozen=True)
class _ProvinceHit:
    """A province recognised in part of a query."""

    province_code: int
    similarity: float
    exact: bool
    length: int


@dataclass(frozen=True)
class _Segment:
    """The ward part of a query, its leading type word split off."""

    unit_type: str | None
    type_words: list[str]
    words: list[str]


def _split_type(words: list[str]) -> tuple[str | None, list[str], list[str]]:
    """Split a leading type word off ``words``: (type, type words, remaining words)."""
    for size in (2, 1):
        head = tuple(words[:size])
        if len(words) > size and head in _TYPE_WORDS:
            return _TYPE_WORDS[head], list(head), words[size:]
    return None, [], words


def _trailing_unit_index(words: list[str]) -> int | None:
    """Index of the first word, after the first, that starts a district or a province."""
    for index in range(1, len(words)):
        if (words[index],) in _TRAILING_UNIT_WORDS:
            return index
        if tuple(words[index : index + 2]) in _TRAILING_UNIT_WORDS:
            return index
    return None


def _type_penalty(query_type: str | None, unit: _Unit) -> float:
    """Penalty when the query's type word contradicts the unit's type."""
    if query_type in _WARD_TYPES and query_type != unit.unit_type:
        return _TYPE_MISMATCH_PENALTY
    if query_type in _PROVINCE_TYPES and unit.locality.level == "ward":
        return _TYPE_MISMATCH_PENALTY
    return 0.0


def _clean(name: str) -> str:
    """An official name with NFC and single spaces (the data has "Phường  Rạch Dừa")."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def _unit_type(locality: Locality) -> str:
    """Folded type word of a locality, read from its official name."""
    folded = fold(locality.name)
    for unit_type in ("phuong", "xa", "dac khu", "thanh pho"):
        if folded.startswith(unit_type + " "):
            return unit_type
    return "tinh" if locality.level == "province" else "xa"


class LocalityIndex:
    """Prebuilt folded names of all provinces and wards, matched with rapidfuzz."""

    def __init__(self, localities: Iterable[Locality]):
        """Index ``localities``; every ward's province must be among them."""
        localities = list(localities)
        self._by_code = {locality.code: locality for locality in localities}
        self._province_units: dict[int, _Unit] = {}
        # Same-named wards (13 fold to "xa tan thanh") share one choice string, so rapidfuzz
        # scores each distinct name once per query.
        self._wards_by_name: dict[str, list[_Unit]] = {}
        self._names_by_province: dict[int, list[str]] = {}
        self._aliases: dict[str, tuple[int, bool]] = {}

        for locality in localities:
            unit_type = _unit_type(locality)
            bare = fold(locality.name).removeprefix(unit_type + " ")
            province = self._by_code[locality.province_code]
            syllables: dict[str, set[str]] = {}
            for word in _words(f"{locality.name} {province.name}"):
                syllables.setdefault(fold(word), set()).add(_syllable(word))
            unit = _Unit(
                locality,
                unit_type,
                int(locality.province_code),
                {word: frozenset(keys) for word, keys in syllables.items()},
            )
            if locality.level == "province":
                self._province_units[unit.province_code] = unit
                aliases = (bare, bare.replace(" ", ""))
                for alias in aliases + _PROVINCE_ALIASES.get(unit.province_code, ()):
                    self._aliases[alias] = (unit.province_code, False)
                continue
            same_name = self._wards_by_name.setdefault(bare, [])
            if all(other.province_code != unit.province_code for other in same_name):
                self._names_by_province.setdefault(unit.province_code, []).append(bare)
            same_name.append(unit)
        for code, names in _LEGACY_PROVINCES.items():
            if code in self._province_units:
                for alias in names:
                    self._aliases.setdefault(alias, (code, True))

        self._names = list(self._wards_by_name)
        self._alias_keys = list(self._aliases)
        # Sorted by length so containment matching can cheaply take only the shorter names.
        self._names_by_length = sorted(
            (name for name in self._names if len(name) >= _PARTIAL_MIN_NAME_LEN), key=len
        )
        self._name_lengths = [len(name) for name in self._names_by_length]
        self._padded_by_length = [f" {name} " for name in self._names_by_length]

    @classmethod
    def from_vietnam_provinces(cls) -> LocalityIndex:
        """Build the index of the post-July-2025 list from the ``vietnam_provinces`` package."""
        from vietnam_provinces import Province, Ward

        provinces = {
            int(p.code): Locality(
                code=f"{int(p.code):02d}",
                name=_clean(p.name),
                province_code=f"{int(p.code):02d}",
                province_name=_clean(p.name),
                level="province",
            )
            for p in Province.iter_all()
        }
        wards = []
        for ward in Ward.iter_all():
            province = provinces[int(ward.province_code)]
            wards.append(
                Locality(
                    code=f"{int(ward.code):05d}",
                    name=_clean(ward.name),
                    province_code=province.code,
                    province_name=province.name,
                    level="ward",
                )
            )
        return cls([*provinces.values(), *wards])

    def get(self, code: str) -> Locality | None:
        """Return the locality with this zero-padded code (5 digits ward, 2 province)."""
        return self._by_code.get(code)

    def match(self, text: str, limit: int = 5) -> list[LocalityMatch]:
        """Return up to ``limit`` plausible localities for ``text``, best first."""
        words = fold(text).split()
        if not words or limit <= 0:
            return []
        query_type, type_words, rest = _split_type(words)
        candidates: dict[str, _Candidate] = {}

        self._match_provinces(rest, query_type, candidates)
        self._match_wards(_Segment(query_type, type_words, rest), None, candidates)
        total_length = len(" ".join(rest))
        for size in range(1, min(_MAX_PROVINCE_WORDS, len(rest) - 1) + 1):
            # Province after the ward ("tan thanh tay ninh") or before it ("tay ninh, tan thanh").
            for province_first in (False, True):
                if province_first:
                    province_words, ward_words = rest[:size], rest[size:]
                else:
                    province_words, ward_words = rest[-size:], rest[:-size]
                hit = self._find_province(province_words)
                if hit is None:
                    continue
                self._offer_province_mention(hit, total_length, query_type, candidates)
                if province_first:
                    # The leading type word was the province's; the ward may have its own.
                    segment = _Segment(*_split_type(ward_words))
                else:
                    segment = _Segment(query_type, type_words, ward_words)
                self._match_wards(segment, hit, candidates)
        return self._rank(candidates, _marked_words(text), limit)

    @staticmethod
    def _rank(
        candidates: dict[str, _Candidate], marked: list[tuple[str, str]], limit: int
    ) -> list[LocalityMatch]:
        """Order plausible candidates and decide whether the best one is exact."""
        mismatches = {code: c.unit.accent_mismatches(marked) for code, c in candidates.items()}
        ranked = sorted(
            (c for c in candidates.values() if c.score >= MIN_SCORE),
            # Diacritics typed by the resident only break ties between equally good readings;
            # on a full tie a province goes first, since a bare province name was most likely
            # meant as the province.
            key=lambda c: (
                -c.score,
                mismatches[c.unit.locality.code],
                c.unit.locality.level != "province",
                c.unit.locality.code,
            ),
        )
        if not ranked:
            return []
        named = [c for c in candidates.values() if c.exact_hit or c.legacy_hit]
        fewest = min((mismatches[c.unit.locality.code] for c in named), default=0)
        contenders = [c for c in named if mismatches[c.unit.locality.code] == fewest]
        best = ranked[0]
        best_exact = best.exact_hit and contenders == [best]
        return [
            LocalityMatch(
                locality=c.unit.locality,
                score=round(min(c.score, 100.0), 1),
                exact=c is best and best_exact,
            )
            for c in ranked[:limit]
        ]

    def _find_province(self, words: list[str]) -> _ProvinceHit | None:
        """Recognise ``words`` as a province name or alias, or return None."""
        _, _, name_words = _split_type(words)
        found = process.extractOne(
            " ".join(name_words),
            self._alias_keys,
            scorer=fuzz.ratio,
            score_cutoff=_PROVINCE_CUTOFF,
        )
        if found is None:
            return None
        alias, similarity, _ = found
        code, legacy = self._aliases[alias]
        exact = similarity == 100.0 and not legacy
        if legacy:
            similarity -= _LEGACY_PENALTY
        return _ProvinceHit(code, similarity, exact, len(" ".join(words)))

    def _match_provinces(
        self, words: list[str], query_type: str | None, candidates: dict[str, _Candidate]
    ) -> None:
        """Score the whole query as a province name or alias."""
        for alias, similarity, _ in process.extract(
            " ".join(words),
            self._alias_keys,
            scorer=fuzz.ratio,
            score_cutoff=_RATIO_CUTOFF,
            limit=10,
        ):
            code, legacy = self._aliases[alias]
            unit = self._province_units[code]
            score = similarity - (_LEGACY_PENALTY if legacy else 0.0)
            score -= _type_penalty(query_type, unit)
            named = similarity == 100.0
            exact = named and not legacy and query_type in (None, unit.unit_type)
            self._offer(candidates, unit, score, exact, legacy_hit=named and legacy)

    def _offer_province_mention(
        self,
        hit: _ProvinceHit,
        total_length: int,
        query_type: str | None,
        candidates: dict[str, _Candidate],
    ) -> None:
        """Offer a province named inside a longer query, discounted by the unexplained rest."""
        unit = self._province_units[hit.province_code]
        coverage = min(1.0, hit.length / max(total_length, 1))
        score = hit.similarity * (0.8 + 0.2 * coverage) - _type_penalty(query_type, unit)
        self._offer(candidates, unit, score, False)

    def _match_wards(
        self, segment: _Segment, province: _ProvinceHit | None, candidates: dict[str, _Candidate]
    ) -> None:
        """Score wards against ``segment``, only those of ``province`` when one was named."""
        if not segment.words:
            return
        if province is None:
            names = self._names
        else:
            names = self._names_by_province.get(province.province_code, [])
        text = " ".join(segment.words)
        province_length = province.length if province else 0
        province_similarity = province.similarity if province else 0.0

        def combine(similarity: float, explained: int, whole: int) -> tuple[float, float]:
            """Length-weighted ward and province similarity, and the share of query explained."""
            matched = explained + province_length
            score = (explained * similarity + province_length * province_similarity) / matched
            return score, matched / (whole + province_length)

        # Per distinct name: (score, type word this reading assumes, reading may be exact).
        evidence: dict[str, list[tuple[float, str | None, bool]]] = {}

        for name, similarity, _ in process.extract(
            text, names, scorer=fuzz.ratio, score_cutoff=_RATIO_CUTOFF, limit=50
        ):
            score, _ = combine(similarity, len(text), len(text))
            evidence.setdefault(name, []).append((score, segment.unit_type, similarity == 100.0))

        if segment.type_words:
            # The "type word" may belong to the name: "Xã Phương Bình", "Xã Quan Thành".
            unstripped = " ".join(segment.type_words + segment.words)
            for name, similarity, _ in process.extract(
                unstripped, names, scorer=fuzz.ratio, score_cutoff=_RATIO_CUTOFF, limit=10
            ):
                exact = similarity == 100.0
                score, _ = combine(similarity, len(unstripped), len(unstripped))
                score = score if exact else score - _UNSTRIPPED_PENALTY
                evidence.setdefault(name, []).append((score, None, exact))

        cut = _trailing_unit_index(segment.words)
        if cut is not None:
            # "tan thanh huyen thu thua": the ward comes first, the obsolete district after it,
            # so this reading beats a name merely contained further on.
            head = " ".join(segment.words[:cut])
            for name, similarity, _ in process.extract(
                head, names, scorer=fuzz.ratio, score_cutoff=_RATIO_CUTOFF, limit=20
            ):
                score, coverage = combine(similarity, len(head), len(text))
                score *= 0.85 + 0.15 * coverage
                evidence.setdefault(name, []).append((score, segment.unit_type, False))

        if len(segment.words) > 1:
            # A name inside a longer message ("toi o xa tan thanh"); the more it covers, the
            # better. Padding with spaces keeps alignments on word boundaries, so "uong bi" is
            # not found inside "duong bi ngap".
            if province is None:
                shorter = self._padded_by_length[
                    : bisect.bisect_left(self._name_lengths, len(text))
                ]
            else:
                shorter = [f" {n} " for n in names if _PARTIAL_MIN_NAME_LEN <= len(n) < len(text)]
            for padded, similarity, _ in process.extract(
                f" {text} ",
                shorter,
                scorer=fuzz.partial_ratio,
                score_cutoff=_PARTIAL_CUTOFF,
                limit=30,
            ):
                name = padded[1:-1]
                score, coverage = combine(similarity, len(name), len(text))
                score *= 0.78 + 0.2 * coverage
                evidence.setdefault(name, []).append((score, segment.unit_type, False))

        province_exact = province is None or province.exact
        for name, readings in evidence.items():
            for unit in self._wards_by_name[name]:
                if province is not None and unit.province_code != province.province_code:
                    continue
                for score, unit_type, exact in readings:
                    exact = exact and province_exact and unit_type in (None, unit.unit_type)
                    self._offer(candidates, unit, score - _type_penalty(unit_type, unit), exact)

    @staticmethod
    def _offer(
        candidates: dict[str, _Candidate],
        unit: _Unit,
        score: float,
        exact_hit: bool,
        legacy_hit: bool = False,
    ) -> None:
        """Keep the best score and every exact reading seen for ``unit``."""
        current = candidates.get(unit.locality.code)
        if current is None:
            candidates[unit.locality.code] = _Candidate(unit, score, exact_hit, legacy_hit)
            return
        current.score = max(current.score, score)
        current.exact_hit = current.exact_hit or exact_hit
        current.legacy_hit = current.legacy_hit or legacy_hit

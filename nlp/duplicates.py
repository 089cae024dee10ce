"""Near-duplicate detection: MinHash signatures, LSH band keys and a cluster scope.

Residents describe one problem in many ways ("Đường Nguyễn Trãi đoạn trước chợ ngập sâu mỗi khi
mưa", "duong nguyen trai truoc cho mua la ngap"). A text becomes the set of its content
syllables: the folded text (lower case, no diacritics, no punctuation) without function words,
teencode, words of place ("đoạn", "trước") and the stock phrases of complaints ("đề nghị", "xử
lý", "người dân"), with a few interchangeable words spelled one way (lụt = ngập, hư = hỏng).
Pairs of neighbouring syllables were tried as extra features and separated worse: they halve
the similarity of true paraphrases (word order varies) more than that of different problems.

The set is summarised by a MinHash signature of `NUM_PERM` unsigned 32-bit integers whose
agreement rate estimates the Jaccard similarity of two sets. `band_keys` cuts the signature into
`BANDS` bands of `ROWS` values; texts that share a band key are candidates, so a new text is
compared with a handful of earlier ones instead of all of them.

Everything here is deterministic across processes, machines and library versions (no `hash()`,
no random generator whose stream could change): signatures are stored in the database and must
stay comparable. Changing a parameter or a word list changes the signatures; bump
`SIGNATURE_VERSION` and recompute the stored ones (or start new scopes) if you do.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np

from nlp.text import fold

SIGNATURE_VERSION = 1
"""Identifies the feature extraction and hash functions that produced a signature."""

NUM_PERM = 128
"""Values per signature; the Jaccard estimate has a standard error of about 0.04 at J = 0.3."""

BANDS = 32
ROWS = 2
"""LSH banding over the first BANDS * ROWS values: two texts with Jaccard similarity J share at
least one band key with probability 1 - (1 - J**2)**32: 0.72 at J = 0.2, 0.95 at 0.3, 0.999 at
0.5, and 0.08 for unrelated texts at J = 0.05."""

SIMILAR = 0.3
"""A text joins a cluster when its mean estimated Jaccard similarity to a sample of the cluster's
members (the representative, the most recent ones and the one that shared most band keys)
reaches this value. Chosen on the hand-written paraphrases and other problems in
tests/unit/test_duplicates.py: at 0.34 some paraphrases already stay out. Higher values merge
fewer different places described in the same words ("thôn 3 mất điện" / "thôn 5 mất điện") and
miss more true repeats; `ykien bench dedup` shows the trade-off on synthetic data."""

EMPTY = 0xFFFFFFFF
"""The value of every position of the signature of a text without features."""

Signature = tuple[int, ...]
"""NUM_PERM unsigned 32-bit integers; `signature_to_bytes` gives 4 * NUM_PERM bytes."""

# Folded function words, pronouns, particles, teencode and words of place ("đoạn", "trước",
# "gần"): they say nothing about which problem a text is about and make unrelated texts look
# alike. Syllables that are content words in another reading stay out ("cho" is also chợ, "den"
# đèn, "hong" hỏng, "sau" sâu, "duong" đường, "lan" lấn, "hoi" hôi, "day" dây); some of them are
# dropped only inside a stock phrase (STOP_PHRASES). Single letters ("k", "j", "r", "e") are
# teencode and always dropped.
_STOPWORDS = """
    ah ai ak anh ay bac ban bi biet cac can canh chi chua chung co con cu cua cung da dang dc de
    di dk do doan duoc duoi em gan gi gio ha hay hoac hok hon huhu kh khi khong kia kinh ko
    la lai lam len luc luon ma minh mn moi mot mttq nao nay nen neu ngoai nhe nhi nhieu nhu
    nhung nua oi ok ong phai phia phuong qua ra rat roi sao se tai the thi thoi toi tren trong
    truoc tu tui ubmttq ubnd uh va van vang vao vay ve vi viec voi vs wa xa xin
"""
STOPWORDS = frozenset(_STOPWORDS.split())

# Stock phrases of a complaint, dropped as a whole (their syllables can be content elsewhere).
STOP_PHRASES = frozenset(
    tuple(phrase.split())
    for phrase in (
        "de nghi", "phan anh", "y kien", "cam on", "xin hoi", "kinh gui", "kinh mong",
        "mong muon", "giai quyet", "xu ly", "kiem tra", "xem xet", "chinh quyen", "co quan",
        "chuc nang", "nguoi dan", "ba con", "moi nguoi", "tinh trang", "khac phuc",
        "thuong xuyen", "nghiem trong", "kho khan", "anh huong", "keo dai", "khu vuc",
        "nhieu lan", "bao gio", "hien nay", "lau nay", "hang loat", "som nhat", "lanh dao",
        "dia phuong", "cac cap", "gay ra", "mat tran", "to quoc", "uy ban", "viet nam",
        "thuong truc", "khieu nai", "to cao", "kien nghi", "quyet dinh", "tra loi", "cho hoi",
        "cho biet", "trach nhiem", "tham quyen", "tran trong", "chu tich", "nhan dan",
    )
)  # fmt: skip

NUMBER_WEIGHT = 3
"""A number counts as this many syllables: in complaints it mostly says where ("thôn 3", "ngõ
12", "tổ 7"), so reports that differ only by it are less alike. Measured: fewer wrong merges
than 1 on synthetic data, and more weight made unrelated corpus messages sharing a number merge."""

# One spelling for words residents use interchangeably: teencode ("dg" đường), regional words
# (hư = hỏng; hẻm, kiệt, ngách = ngõ; cúp điện = mất điện) and near-synonyms (lụt = ngập).
SYNONYMS = {"dg": "duong", "hu": "hong", "hem": "ngo", "kiet": "ngo", "ngach": "ngo"}
SYNONYMS |= {"lut": "ngap", "cup": "mat"}


def features(text: str) -> frozenset[str]:
    """The feature set of a text: its content syllables, folded and normalised."""
    tokens = [SYNONYMS.get(token, token) for token in fold(text).split()]
    words: list[str] = []
    index = 0
    while index < len(tokens):
        here = tokens[index]
        if tuple(tokens[index : index + 2]) in STOP_PHRASES:
            index += 2
            continue
        if here.isdigit() and len(here) > 6:
            pass  # a phone, ID or account number: personal, not where or what
        elif here not in STOPWORDS and not (len(here) == 1 and here.isalpha()):
            words.append(here)
            if here.isdigit():
                words.extend(f"{here}#{copy}" for copy in range(1, NUMBER_WEIGHT))
        index += 1
    return frozenset(words)


def _coefficients(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed 64-bit (a, b) pairs for multiply-add-shift hashing, derived from blake2b."""
    a = np.empty(count, dtype=np.uint64)
    b = np.empty(count, dtype=np.uint64)
    for i in range(count):
        digest = hashlib.blake2b(f"ykien-minhash-{i}".encode(), digest_size=16).digest()
        a[i] = int.from_bytes(digest[:8], "little") | 1
        b[i] = int.from_bytes(digest[8:], "little")
    return a, b


_A, _B = _coefficients(NUM_PERM)
_A.setflags(write=False)
_B.setflags(write=False)
_SHIFT = np.uint64(32)
_EMPTY_SIGNATURE: Signature = (EMPTY,) * NUM_PERM


@functools.lru_cache(maxsize=1 << 16)
def _item_hashes(item: str) -> np.ndarray:
    """The NUM_PERM hash values of one item (syllables repeat, so they are cached)."""
    x = np.uint64(zlib.crc32(item.encode()))
    hashed = (_A * x + _B) >> _SHIFT  # uint64 arithmetic wraps modulo 2**64 by design
    hashed.setflags(write=False)  # shared by every caller through the cache
    return hashed


def minhash(items: Iterable[str]) -> Signature:
    """MinHash of a set of strings: per hash function h_i(x) = (a_i * x + b_i) mod 2**64 >> 32.

    x is the CRC-32 of the UTF-8 item, so every process computes the same values.
    """
    hashed = [_item_hashes(item) for item in set(items)]
    if not hashed:
        return _EMPTY_SIGNATURE
    return tuple(np.min(hashed, axis=0).tolist())


def signature(text: str) -> Signature:
    """The MinHash signature of a text's content syllables (see `features`).

    Give it the redacted text (`nlp.pii.redact`): a phone number written in groups
    ("0912 345 678") would otherwise count as three numbers of place.
    """
    return minhash(features(text))


_BAND_BYTES = 4 * ROWS
_EMPTY_BAND = EMPTY.to_bytes(4, "little") * ROWS


def band_keys(sig: Sequence[int]) -> list[str]:
    """LSH keys: band number and CRC-32 of the band's values, e.g. "07" + "9f3a0c11".

    A text without features has no keys (it is never anyone's candidate).
    """
    data = np.asarray(sig[: BANDS * ROWS], dtype="<u4").tobytes()
    keys = []
    for band in range(BANDS):
        values = data[band * _BAND_BYTES : (band + 1) * _BAND_BYTES]
        if values != _EMPTY_BAND:
            keys.append(f"{band:02x}{zlib.crc32(values):08x}")
    return keys


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two feature sets (0.0 when either has none)."""
    if len(a) != len(b):
        raise ValueError(f"signatures of different lengths: {len(a)} and {len(b)}")
    same = informative = 0
    for x, y in zip(a, b, strict=True):
        if x == EMPTY and y == EMPTY:
            continue
        informative += 1
        same += x == y
    return same / informative if informative else 0.0


def assignment(text: str) -> dict[str, Any]:
    """What storage's `Clusters.assign` needs of a (redacted) text besides the member, scope and
    time: its signature, band keys, and the similarity function and threshold to join by."""
    sig = signature(text)
    return {
        "signature": sig,
        "band_keys": band_keys(sig),
        "similarity": similarity,
        "threshold": SIMILAR,
    }


def signature_to_bytes(sig: Sequence[int]) -> bytes:
    """Little-endian unsigned 32-bit integers."""
    return np.asarray(sig, dtype="<u4").tobytes()


def signature_from_bytes(data: bytes) -> Signature:
    """The inverse of `signature_to_bytes`."""
    return tuple(np.frombuffer(data, dtype="<u4").tolist())


def cluster_scope(locality_code: str | None, province_code: str | None, local_date: date) -> str:
    """When and where duplicates are looked for: the month, and the commune/ward (else province).

    The month comes first so that scopes sort by month: the band keys of past months can be
    dropped with one range delete (`Clusters.forget_keys("2026-10")`).
    """
    return f"{local_date:%Y-%m}:{locality_code or province_code or '-'}"

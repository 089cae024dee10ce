"""Tests of nlp.text: folding and diacritic stripping of Vietnamese text."""

import unicodedata

import pytest

from nlp.text import fold, strip_diacritics

# Every Vietnamese vowel with every tone: 12 vowel letters x 6 tones, both cases.
_VOWELS = {"a": "a", "ă": "a", "â": "a", "e": "e", "ê": "e", "i": "i"}
_VOWELS |= {"o": "o", "ô": "o", "ơ": "o", "u": "u", "ư": "u", "y": "y"}
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_ALL_VOWELS = [
    (unicodedata.normalize("NFC", vowel + tone), base)
    for vowel, base in _VOWELS.items()
    for tone in _TONES
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phường Bến Thành", "phuong ben thanh"),
        ("ĐẮK LẮK", "dak lak"),
        ("Thanh Hoá", "thanh hoa"),
        ("Thanh Hóa", "thanh hoa"),
        ("P.Bến-Thành,  TP.HCM!", "p ben thanh tp hcm"),
        ("  nhiều   khoảng\ttrắng\n ", "nhieu khoang trang"),
        ("Ủy ban Mặt trận Tổ quốc", "uy ban mat tran to quoc"),
        ("Phường 1 Bảo Lộc", "phuong 1 bao loc"),
        ("Xã Ea H’leo", "xa ea h leo"),
        ("Phường Văn Miếu - Quốc Tử Giám", "phuong van mieu quoc tu giam"),
        ("xin chào 🙂👍", "xin chao"),
        ("snake_case", "snake case"),
        ("ÐÀ NẴNG", "da nang"),  # eth (U+00D0) typed by legacy keyboards instead of Đ
        ("plain ascii", "plain ascii"),
        ("", ""),
        ("!!! ...", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    """fold lowers, strips diacritics and punctuation, and collapses whitespace."""
    assert fold(text) == expected


def test_fold_accepts_decomposed_input() -> None:
    """Text typed as NFD (e.g. on macOS) folds like its NFC form."""
    composed = "Nguyễn Thị Ánh, Đồng Tháp"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert fold(decomposed) == fold(composed) == "nguyen thi anh dong thap"


@pytest.mark.parametrize(("letter", "base"), _ALL_VOWELS)
def test_fold_removes_every_vowel_and_tone_mark(letter: str, base: str) -> None:
    """Each of the 72 toned vowels, upper or lower case, folds to its bare ASCII vowel."""
    assert fold(letter) == base
    assert fold(letter.upper()) == base


def test_fold_maps_d_stroke() -> None:
    """Đ/đ have no Unicode decomposition and need their own mapping."""
    assert fold("Đđ") == "dd"


def test_fold_is_idempotent() -> None:
    """Folding an already folded text changes nothing."""
    text = "Xã Tân Thành, tỉnh Tây Ninh — “khiếu nại” #123"
    assert fold(fold(text)) == fold(text) == "xa tan thanh tinh tay ninh khieu nai 123"


def test_fold_keeps_other_scripts_composed() -> None:
    """Non-Latin letters survive in NFC form instead of being torn into jamo."""
    assert fold("한국 Ế") == "한국 e"
    assert unicodedata.is_normalized("NFC", fold("한국"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phường Bến Thành", "Phuong Ben Thanh"),
        ("ĐẮK LẮK!", "DAK LAK!"),
        ("Đà Nẵng, 2025", "Da Nang, 2025"),
        ("  spaces  kept ", "  spaces  kept "),
        ("Ưu tiên Ơn nghĩa", "Uu tien On nghia"),
        ("", ""),
    ],
)
def test_strip_diacritics_keeps_case_and_punctuation(text: str, expected: str) -> None:
    """strip_diacritics only removes marks; case, spacing and punctuation stay."""
    assert strip_diacritics(text) == expected


def test_strip_diacritics_accepts_decomposed_input() -> None:
    """Decomposed input loses its marks too and comes back composed."""
    assert strip_diacritics(unicodedata.normalize("NFD", "Hồ Chí Minh")) == "Ho Chi Minh"

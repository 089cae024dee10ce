"""Normalisation: Unicode, tone marks, case, spacing and chat shorthand."""

from __future__ import annotations

import unicodedata

import pytest

from config.nlp import ABBREVIATIONS
from nlp.normalize import Normalizer

normalise = Normalizer(ABBREVIATIONS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # old-style tone placement becomes the standard one
        ("Hoá đơn", "hóa đơn"),
        ("THUỶ LỢI", "thủy lợi"),
        ("xã Hoà Bình", "xã hòa bình"),
        # decomposed Unicode (as some keyboards send it) becomes NFC
        (unicodedata.normalize("NFD", "Đường ngập"), "đường ngập"),
        # spacing
        ("  mất   điện\n\tcả ngày  ", "mất điện cả ngày"),
        # stretched letters, but never digits
        ("quáaaaa", "quáa"),
        ("nợ 1000000 đồng", "nợ 1000000 đồng"),
        # teencode and chat shorthand, whole words only
        ("ko có nước", "không có nước"),
        ("k dc giải quyết", "không được giải quyết"),
        ("đc j đâu", "được gì đâu"),
        ("mn ơi", "mọi người ơi"),
        ("ng ta nói vs tôi ntn", "người ta nói với tôi như thế nào"),
        ("thẻ BHYT", "thẻ bảo hiểm y tế"),
        ("50k một ký", "50k một ký"),
        ("kho bạc", "kho bạc"),
    ],
)
def test_normalises(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_abbreviations_come_from_the_caller() -> None:
    assert Normalizer({"xyz": "thử nghiệm"})("xyz ko") == "thử nghiệm ko"


def test_repeated_calls_give_the_same_result() -> None:
    text = "Hoá đơn tiền điện tháng này tăng gấp đôi, ko hiểu vì sao"
    assert (
        normalise(text)
        == normalise(text)
        == "hóa đơn tiền điện tháng này tăng gấp đôi, không hiểu vì sao"
    )

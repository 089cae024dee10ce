"""Keyword rules from config/: whole phrases, any case, with or without diacritics."""

from __future__ import annotations

from config.nlp import KIND_KEYWORDS, TOPIC_KEYWORDS
from nlp.rules import KeywordRules

rules = KeywordRules({"dat_dai": ["sổ đỏ", "thu hồi đất"], "y_te": ["bảo hiểm y tế"], "khac": []})


def test_matches_ignore_case_and_diacritics() -> None:
    assert rules.matches("Chưa được cấp SỔ ĐỎ") == {"dat_dai": ["so do"]}
    assert rules.matches("chua duoc cap so do") == {"dat_dai": ["so do"]}


def test_only_whole_words_match() -> None:
    assert rules.matches("tôi so dòm mãi") == {}
    assert rules.matches("lo sổ đỏng") == {}


def test_decides_only_when_one_label_matches() -> None:
    assert rules.decide("thu hồi đất chưa bồi thường") == ("dat_dai", "thu hoi dat")
    assert rules.decide("sổ đỏ và thẻ bảo hiểm y tế") is None
    assert rules.decide("đường ngập") is None


def test_the_shipped_keywords_compile_and_cover_every_label() -> None:
    topic_rules = KeywordRules(TOPIC_KEYWORDS)
    kind_rules = KeywordRules(KIND_KEYWORDS)
    assert topic_rules.decide("hàng xóm lấn chiếm đất nhà tôi") == ("dat_dai", "lan chiem dat")
    assert kind_rules.decide("Tôi làm đơn này để tố cáo ông A") == ("to_cao", "to cao")
    assert all(phrases for code, phrases in TOPIC_KEYWORDS.items() if code != "khac")

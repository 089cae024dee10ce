"""The shipped analyzer, trained on the project's corpus: labels, flags, redaction, review."""

from __future__ import annotations

import copy

import pytest

from config import taxonomy
from nlp.analyzer import Analyzer
from nlp.text import strip_diacritics

# Messages written for this test, never in the corpus: two clear ones per field.
UNSEEN = [
    ("Nhà tôi bị thu hồi 200 m2 đất làm đường mà tiền bồi thường quá thấp", "dat_dai"),
    ("Xin hỏi làm lại sổ đỏ bị mất thì nộp hồ sơ ở đâu", "dat_dai"),
    ("Xưởng nhựa đầu thôn đốt rác thải ban đêm, khói đen mù mịt", "moi_truong"),
    ("Con kênh sau chợ nổi váng đen, cá chết hàng loạt vì nước thải", "moi_truong"),
    ("Mặt đường quốc lộ đoạn qua xã lún sụt, xe máy ngã liên tục", "giao_thong_ha_tang"),
    ("Đèn tín hiệu ở ngã tư trường học hỏng cả tháng nay", "giao_thong_ha_tang"),
    ("Khu tôi mất điện từ sáng tới tối mà không có thông báo", "dien_nuoc_vien_thong"),
    ("Nước máy mấy hôm nay có mùi clo nồng và màu vàng", "dien_nuoc_vien_thong"),
    ("Trạm y tế xã không có thuốc hạ sốt cho trẻ em", "y_te"),
    ("Đi khám bằng thẻ bảo hiểm y tế vẫn phải trả thêm tiền thuốc", "y_te"),
    ("Trường tiểu học thu tiền máy chiếu, máy lạnh đầu năm quá nhiều", "giao_duc"),
    ("Con tôi học lớp 9, cô giáo bắt đi học thêm ở nhà cô", "giao_duc"),
    ("Công ty nợ lương công nhân ba tháng và không đóng bảo hiểm xã hội", "lao_dong_an_sinh"),
    ("Mẹ tôi 82 tuổi sao chưa được nhận trợ cấp người cao tuổi", "lao_dong_an_sinh"),
    ("Giá heo hơi xuống thấp, nuôi bao nhiêu lỗ bấy nhiêu", "kinh_te_nong_nghiep"),
    ("Đại lý bán phân bón giả làm lúa cả cánh đồng chết vàng", "kinh_te_nong_nghiep"),
    ("Đêm nào cũng có nhóm thanh niên đua xe, nẹt pô ầm ĩ", "an_ninh_trat_tu"),
    ("Nhà tôi bị kẻ gian cạy cửa lấy mất xe máy", "an_ninh_trat_tu"),
    ("Làm giấy khai sinh cho con mà cán bộ bắt chờ ba tuần", "hanh_chinh_can_bo"),
    ("Nộp hồ sơ ở bộ phận một cửa bị hẹn đi hẹn lại nhiều lần", "hanh_chinh_can_bo"),
    ("Nhà văn hóa thôn xuống cấp, không có chỗ sinh hoạt cộng đồng", "van_hoa_xa_hoi"),
    ("Hàng xóm hát karaoke đến 1 giờ sáng, không ai ngủ được", "van_hoa_xa_hoi"),
]


def test_unseen_clear_messages_are_filed_correctly(analyzer: Analyzer) -> None:
    analyses = analyzer.analyse_batch([text for text, _ in UNSEEN])
    wrong = [
        (text, expected, a.topic.code)
        for (text, expected), a in zip(UNSEEN, analyses, strict=True)
        if a.topic.code != expected
    ]
    assert len(wrong) <= 2, wrong


def test_unaccented_text_is_filed_like_accented_text(analyzer: Analyzer) -> None:
    texts = [text for text, _ in UNSEEN]
    accented = analyzer.analyse_batch(texts)
    plain = analyzer.analyse_batch([strip_diacritics(text).lower() for text in texts])
    agree = sum(a.topic.code == p.topic.code for a, p in zip(accented, plain, strict=True))
    assert agree >= len(texts) - 2


def test_every_label_is_from_the_taxonomy(analyzer: Analyzer) -> None:
    analysis = analyzer.analyse("xin chào")
    assert analysis.topic.code in taxonomy.TOPICS
    assert analysis.kind.code in {**taxonomy.KINDS, **taxonomy.EXTRA_KINDS}
    assert 0.0 <= analysis.topic.confidence <= 1.0
    assert 0.0 <= analysis.kind.confidence <= 1.0


def test_the_json_shape(analyzer: Analyzer) -> None:
    result = analyzer.analyse("Gọi cho tôi 0912 345 678 về vụ sổ đỏ").to_dict()
    assert {"topic", "kind", "confidence", "flags", "redacted"} <= set(result)
    assert set(result["confidence"]) == {"topic", "kind"}
    assert result["redacted"] == "Gọi cho tôi [SĐT] về vụ sổ đỏ"
    (pii,) = [flag for flag in result["flags"] if flag["code"] == "pii"]
    assert pii["evidence"][0]["text"] == "0912 345 678"


def test_kinds_are_read_from_the_text(analyzer: Analyzer) -> None:
    cases = {
        "Cho tôi hỏi bao giờ thì được nhận tiền hỗ trợ?": "hoi_dap",
        "Chân thành cảm ơn các anh công an xã đã giúp tìm lại xe": "khen_ngoi",
        "Tôi làm đơn này tố cáo ông trưởng thôn nhận tiền của dân không trả": "to_cao",
    }
    analyses = analyzer.analyse_batch(list(cases))
    assert [a.kind.code for a in analyses] == list(cases.values())


def test_a_declared_denunciation_is_flagged_to_cao(analyzer: Analyzer) -> None:
    analysis = analyzer.analyse("Đường làng nhiều ổ gà", declared_kind="to_cao")
    assert "to_cao" in analysis.flag_codes
    assert "to_cao" not in analyzer.analyse("Đường làng nhiều ổ gà").flag_codes


def test_low_confidence_needs_review_unless_a_rule_decides(analyzer: Analyzer) -> None:
    unsure = _with_threshold(analyzer, 1.01)
    analysis = unsure.analyse("mọi chuyện dạo này thế nào")
    assert analysis.needs_review
    ruled = unsure.analyse("chưa được cấp sổ đỏ, hồ sơ nằm ở văn phòng đăng ký đất đai")
    assert ruled.topic.code == "dat_dai"
    assert ruled.topic.source.startswith("rule:")
    relaxed = _with_threshold(analyzer, 0.0)
    assert not relaxed.analyse("mọi chuyện dạo này thế nào").needs_review


def _with_threshold(analyzer: Analyzer, threshold: float) -> Analyzer:
    clone = copy.copy(analyzer)
    clone.review_threshold = threshold
    return clone


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "a" * 5000])
def test_odd_texts_do_not_fail(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyse(text)
    assert analysis.topic.code in taxonomy.TOPICS

"""Tests of nlp.flags: moderation flags with their evidence, on the default word lists."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pytest

from config import moderation
from nlp.flags import FLAG_CODES, Evidence, Flag, FlagDetector, ModerationLexicons


@pytest.fixture(scope="module")
def lexicons() -> ModerationLexicons:
    return ModerationLexicons.from_module(moderation)


@pytest.fixture(scope="module")
def detector(lexicons: ModerationLexicons) -> FlagDetector:
    return FlagDetector(lexicons)


def _codes(flags: list[Flag]) -> list[str]:
    return [f.code for f in flags]


def _flag(flags: list[Flag], code: str) -> Flag:
    matches = [f for f in flags if f.code == code]
    assert len(matches) == 1, f"{code} not raised exactly once: {_codes(flags)}"
    return matches[0]


def _check_evidence(text: str, flags: list[Flag]) -> None:
    for flag in flags:
        assert flag.code in FLAG_CODES
        assert list(flag.evidence) == sorted(
            flag.evidence, key=lambda e: (e.start, e.end, e.source)
        )
        for e in flag.evidence:
            assert text[e.start : e.end] == e.text


# --- xuc_pham ------------------------------------------------------------------------------
XUC_PHAM = [
    ("Đ.M bọn cán bộ làm ăn như vậy à", "Đ.M"),
    ("đm cái phường này", "đm"),
    ("dm thang chu tich", "dm"),
    ("ĐM", "ĐM"),
    ("đmmm lại mất điện", "đmmm"),
    ("dcm cúp nước cả tuần", "dcm"),
    ("chờ cả tháng vcl", "vcl"),
    ("chậm vl", "vl"),
    ("v.c.l thật sự", "v.c.l"),
    ("làm ăn như cc", "cc"),
    ("clgt vậy mấy ông", "clgt"),
    ("ngu như bò", "ngu như bò"),
    ("ngu nhu bo", "ngu nhu bo"),
    ("NGU NHƯ BÒ mà cũng làm cán bộ", "NGU NHƯ BÒ"),
    ("Ông tổ trưởng này ngu quá trời", "ngu"),
    ("bọn óc chó", "óc chó"),
    ("may thang oc cho", "oc cho"),
    ("đồ mất dạy", "mất dạy"),
    ("lũ súc vật", "súc vật"),
    ("lu suc vat", "suc vat"),
    ("con đĩ đó", "con đĩ"),
    ("đĩ", "đĩ"),
    ("đéo ai thèm giải quyết", "đéo ai"),
    ("đéo thèm", "đéo"),
    ("deo hieu sao lam vay", "deo hieu"),
    ("địt mẹ bọn nó", "địt mẹ"),
    ("địt", "địt"),
    ("đụ má", "đụ má"),
    ("cái lồn gì vậy", "lồn"),
    ("xạo lồn", "xạo lồn"),
    ("bố mày không sợ", "bố mày"),
    ("thằng khốn nạn", "khốn nạn"),
    ("câm mồm đi", "câm mồm"),
    ("bọn bê đê", "bê đê"),
]


@pytest.mark.parametrize(("text", "expected"), XUC_PHAM)
def test_xuc_pham_positives(detector: FlagDetector, text: str, expected: str) -> None:
    flags = detector.detect(text)
    flag = _flag(flags, "xuc_pham")
    assert expected in [e.text for e in flag.evidence]
    assert all(e.source == "lexicon:xuc_pham" for e in flag.evidence)
    _check_evidence(text, flags)


# Words that fold to the same letters as an insult, or contain its letters.
XUC_PHAM_NEGATIVES = [
    "Tôi đã nộp đủ hồ sơ rồi",  # đủ vs đụ
    "cảm ơn tấm lòng của các anh",  # lòng vs lồn
    "trận lũ lớn năm nay",  # lớn vs lồn
    "mua vài lon nước ngọt",  # lon
    "bộ máy nhà nước cồng kềnh",  # bộ máy vs bố mày
    "mẹ may áo cho con",  # mẹ may vs mẹ mày
    "nhà tôi không ngủ được vì tiếng ồn",
    "toi khong ngu duoc vi on",  # unaccented ngủ
    "đội ngũ cán bộ rất nhiệt tình",
    "con toi goi nhap ngu nam nay",
    "đeo khẩu trang khi ra đường",  # đeo vs đéo
    "deo khau trang",
    "các hộ dân đề nghị",  # các
    "buổi sáng họp tổ dân phố",  # buổi vs buồi
    "đi làm về muộn",  # đi vs đĩ
    "ngõ cụt không có đèn",  # cụt vs cút
    "mua trứng cút ở chợ",
    "trộm cắp làm mất dây điện",  # mất dây vs mất dạy
    "hoàn cảnh éo le quá",
    "nhà cc mini xây trái phép",
    "sổ hồng cc chưa được cấp",
    "số CCCD của tôi bị sai",
    "nuôi chó thả rông cắn người",
    "con chó nhà bên sủa cả đêm",
    "lò giết mổ gia súc gây ô nhiễm",
    "đường Nguyễn Du và nguồn nước",
    "Tôi ở thôn Phò Trạch, xã Phong Điền",  # place name
]


@pytest.mark.parametrize("text", XUC_PHAM_NEGATIVES)
def test_xuc_pham_negatives(detector: FlagDetector, text: str) -> None:
    assert "xuc_pham" not in _codes(detector.detect(text))


def test_entry_with_diacritics_is_exact(lexicons: ModerationLexicons) -> None:
    """An accented entry matches only its spelling; an ASCII one any diacritics."""
    detector = FlagDetector(ModerationLexicons(("đụ", "ngu nhu bo"), (), (), (), ()))
    assert _codes(detector.detect("ĐỤ")) == ["xuc_pham"]
    assert detector.detect("đủ") == []
    assert detector.detect("du") == []
    assert _codes(detector.detect("ngú nhừ bố")) == ["xuc_pham"]


def test_plain_entry_needs_accented_text() -> None:
    """ "=ngu" fires in text typed with diacritics, not in unaccented text."""
    detector = FlagDetector(ModerationLexicons(("=ngu",), (), (), (), ()))
    assert _codes(detector.detect("Ông ấy ngu thật")) == ["xuc_pham"]
    assert detector.detect("ong ay ngu that") == []
    assert detector.detect("Ông ấy ngủ thật") == []


def test_gap_entry() -> None:
    detector = FlagDetector(ModerationLexicons((), ("tao ... giết",), (), (), ()))
    flags = detector.detect("tao sẽ vào giết")
    assert _flag(flags, "de_doa").evidence[0].text == "tao sẽ vào giết"
    assert detector.detect("tao sẽ vào nhà xem rồi mới tính giết") == []  # more than 3 words


# --- de_doa --------------------------------------------------------------------------------
DE_DOA = [
    ("tao sẽ giết thằng chủ tịch xã", "tao sẽ giết", "lexicon:de_doa"),
    ("tao giet may", "giet may", "lexicon:de_doa"),
    ("gặp là chém chết", "chém chết", "lexicon:de_doa"),
    ("chem chet no", "chem chet", "lexicon:de_doa"),
    ("tao đốt nhà nó", "đốt nhà", "lexicon:de_doa"),
    ("dot nha ong to truong", "dot nha", "lexicon:de_doa"),
    ("cho nổ trụ sở", "cho nổ", "lexicon:de_doa"),
    ("sẽ xử đẹp ông cán bộ", "xử đẹp", "lexicon:de_doa"),
    ("cho nó biết tay", "biết tay", "lexicon:de_doa"),
    ("cho no biet tay", "biet tay", "lexicon:de_doa"),
    ("tôi sẽ tự tử trước cổng ủy ban", "tự tử", "lexicon:tu_hai"),
    ("tôi không muốn sống nữa", "không muốn sống nữa", "lexicon:tu_hai"),
    ("toi khong muon song nua", "khong muon song nua", "lexicon:tu_hai"),
    ("chắc phải uống thuốc chuột", "uống thuốc chuột", "lexicon:tu_hai"),
    ("ra nhảy cầu cho rồi", "nhảy cầu", "lexicon:tu_hai"),
    ("nợ quá chết cho xong", "chết cho xong", "lexicon:tu_hai"),
]


@pytest.mark.parametrize(("text", "expected", "source"), DE_DOA)
def test_de_doa_positives(detector: FlagDetector, text: str, expected: str, source: str) -> None:
    flags = detector.detect(text)
    flag = _flag(flags, "de_doa")
    assert Evidence(
        text.index(expected), text.index(expected) + len(expected), expected, source
    ) in (flag.evidence)
    _check_evidence(text, flags)


DE_DOA_NEGATIVES = [
    "từ từ rồi giải quyết",  # từ từ vs tự tử
    "xin tư vấn thủ tục",  # tư vấn vs tự vẫn
    "treo cờ Tổ quốc ngày lễ",  # treo cờ vs treo cổ
    "hàng xóm đốt rác gần nhà tôi",
    "lò giết mổ gia súc",
    "ai cũng biết tay nghề thợ xây ở đây tốt",  # biết tay nghề vs biết tay
]


@pytest.mark.parametrize("text", DE_DOA_NEGATIVES)
def test_de_doa_negatives(detector: FlagDetector, text: str) -> None:
    assert "de_doa" not in _codes(detector.detect(text))


# --- khan_cap ------------------------------------------------------------------------------
KHAN_CAP = [
    ("nhà bên đang cháy, cứu với", ["đang cháy", "cứu với"]),
    ("cháy lớn ở chợ xã", ["cháy lớn"]),
    ("cuu voi nha toi bi ngap", ["cuu voi"]),
    ("tai nạn ở ngã tư, có người bị thương", ["có người bị thương"]),
    ("nước đang lên rất nhanh ở thôn 3", ["nước đang lên"]),
    ("nuoc dang len", ["nuoc dang len"]),
    ("sạt lở đang xảy ra ở đầu dốc", ["sạt lở đang"]),
    ("cửa hàng đang bị cướp", ["đang bị cướp"]),
    ("có em bé đuối nước ở ao làng", ["bé đuối nước"]),
    ("cứu tôi với, kẹt trong nhà", ["cứu tôi với"]),
    ("rò rỉ gas ở chung cư", ["rò rỉ gas"]),
]


@pytest.mark.parametrize(("text", "expected"), KHAN_CAP)
def test_khan_cap_positives(detector: FlagDetector, text: str, expected: list[str]) -> None:
    flags = detector.detect(text)
    assert [e.text for e in _flag(flags, "khan_cap").evidence] == expected
    _check_evidence(text, flags)


KHAN_CAP_NEGATIVES = [
    "năm ngoái bị cháy lớn mà chưa được hỗ trợ",
    "đường hay ngập khi mưa",
    "mỗi khi mưa to là nước lên nhanh",
    "khu này có nguy cơ sạt lở, đề nghị di dời",
    "đề nghị tập huấn phòng cháy cho bà con",
    "nếu có hỏa hoạn thì xe cứu hỏa không vào được",
    "xe đang chạy thì bị công an dừng",  # đang chạy vs đang cháy
    "rác dưới nước bốc mùi",  # dưới nước vs đuối nước
    "cảm ơn anh công an đã cứu người",
    "do lúc cấp cứu tôi không mang theo thẻ BHYT",
    "Tháng trước đã xảy ra một vụ tai nạn làm một em học sinh bị thương nặng.",
    "Tối qua nhà kho gần chợ bốc cháy, nghi có người cố ý.",
    "Cần lớp sơ cấp cứu cho vùng sông nước, đuối nước nhiều quá.",
]


@pytest.mark.parametrize("text", KHAN_CAP_NEGATIVES)
def test_khan_cap_negatives(detector: FlagDetector, text: str) -> None:
    assert "khan_cap" not in _codes(detector.detect(text))


def test_past_marker_only_silences_its_sentence(detector: FlagDetector) -> None:
    text = "Năm ngoái cháy lớn một lần. Giờ lại đang cháy!"
    evidence = _flag(detector.detect(text), "khan_cap").evidence
    assert [e.text for e in evidence] == ["đang cháy"]


# --- spam ----------------------------------------------------------------------------------
SPAM = [
    ("Vay tiền nhanh, giải ngân trong ngày", ["Vay tiền nhanh", "giải ngân trong ngày"]),
    ("vay tien nhanh lai suat thap", ["vay tien nhanh", "lai suat thap"]),
    ("Kiếm tiền online tại nhà", ["Kiếm tiền online"]),
    ("Giảm giá sốc, inbox ngay", ["Giảm giá sốc", "inbox ngay"]),
    ("Khuyến mãi lớn, đặt hàng 0912345678", ["Khuyến mãi", "đặt hàng", "0912345678"]),
    ("nhà cái uy tín nhất, vào abc123.bet nhận thưởng", ["nhà cái uy tín", "abc123.bet"]),
    (
        "casino trực tuyến https://x.example.com/dk",
        ["casino trực tuyến", "https://x.example.com/dk"],
    ),
    ("asdfghjkl", ["asdfghjkl"]),
    ("qwertyuiop", ["qwertyuiop"]),
    ("jdjdjdjdjd", ["jdjdjdjdjd"]),
    ("aaaaaaaaaaa", ["aaaaaaaaaaa"]),
    ("!!!!!!!!!!!!", ["!!!!!!!!!!!!"]),
    ("alo alo alo alo alo", ["alo alo alo alo alo"]),
]


@pytest.mark.parametrize(("text", "expected"), SPAM)
def test_spam_positives(detector: FlagDetector, text: str, expected: list[str]) -> None:
    flags = detector.detect(text)
    assert [e.text for e in _flag(flags, "spam").evidence] == expected
    _check_evidence(text, flags)


SPAM_NEGATIVES = [
    "có người nhắn tin mời vay tiền nhanh lừa đảo",
    "co nguoi goi dien moi vay tien nhanh, toi bi lam phien suot",
    "Cảnh báo tin nhắn kiếm tiền online, giải ngân trong ngày",
    "den duong hong",
    "ko co nuoc",
    "ok",
    "Cảm ơn",
    "đề nghị giảm giá điện cho hộ nghèo, sđt 0912345678",
    "tôi đã inbox fanpage phường mà không ai trả lời",
    "xem bài báo https://vnexpress.net/abc về vụ ngập",
    "ở xóm tôi có tụ điểm cá độ bóng đá",
    "TPHCM",
    "ơiiiii",
    "hahaha cảm ơn xã đã sửa đường",
    "Tờ rơi vay tiền nhanh dán kín cột điện.",
    "Nên cấm quảng cáo cho vay tiền online trên mạng xã hội.",
]


@pytest.mark.parametrize("text", SPAM_NEGATIVES)
def test_spam_negatives(detector: FlagDetector, text: str) -> None:
    assert "spam" not in _codes(detector.detect(text))


# --- pii, to_cao, several flags --------------------------------------------------------------
def test_pii_evidence(detector: FlagDetector) -> None:
    text = "Số điện thoại của tôi là 0912 345 678"
    flag = _flag(detector.detect(text), "pii")
    assert [(e.text, e.source) for e in flag.evidence] == [("0912 345 678", "pii:phone.keyword")]


def test_to_cao_only_from_kind(detector: FlagDetector) -> None:
    text = "Tôi tố cáo ông chủ tịch xã nhận hối lộ"
    assert "to_cao" not in _codes(detector.detect(text))
    assert "to_cao" not in _codes(detector.detect(text, kind="phan_anh"))
    flag = _flag(detector.detect("đường hỏng", kind="to_cao"), "to_cao")
    assert flag.evidence == (Evidence(0, 0, "", "kind:to_cao"),)
    assert flag.to_dict() == {
        "code": "to_cao",
        "evidence": [{"start": 0, "end": 0, "text": "", "source": "kind:to_cao"}],
    }


def test_several_flags(detector: FlagDetector) -> None:
    text = "Đm thằng tổ trưởng ngu như bò, tao sẽ giết nó. Nhà nó đang cháy kìa! Gọi tôi 0912345678"
    flags = detector.detect(text, kind="to_cao")
    assert _codes(flags) == ["pii", "xuc_pham", "de_doa", "khan_cap", "to_cao"]
    assert [e.text for e in _flag(flags, "xuc_pham").evidence] == ["Đm", "ngu như bò"]
    assert [e.text for e in _flag(flags, "de_doa").evidence] == ["tao sẽ giết", "giết nó"]
    _check_evidence(text, flags)
    # Each code at most once, evidence sorted, to_dict is JSON-ready.
    assert len(set(_codes(flags))) == len(flags)
    for flag in flags:
        d = flag.to_dict()
        assert d["code"] == flag.code
        assert [x["text"] for x in d["evidence"]] == [e.text for e in flag.evidence]


def test_evidence_merges_repeated_hits(detector: FlagDetector) -> None:
    text = "vcl vcl, đm"
    flag = _flag(detector.detect(text), "xuc_pham")
    assert [(e.start, e.text) for e in flag.evidence] == [(0, "vcl"), (4, "vcl"), (9, "đm")]


# --- ordinary civic messages ----------------------------------------------------------------
CIVIC = [
    "Đèn đường ở ngõ 5 hỏng cả tháng nay.",
    "den duong hong",
    "ko co nuoc",
    "Xin hỏi thủ tục cấp lại sổ đỏ cần những giấy tờ gì ạ?",
    "xin hoi thu tuc cap lai so do",
    "Rác tồn đọng ở đầu chợ bốc mùi hôi thối.",
    "rac ton dong o dau cho boc mui",
    "Cảm ơn phường đã sửa cống kịp thời.",
    "Đề nghị xã làm lại cầu treo ở thôn 4, cầu đã xuống cấp nghiêm trọng.",
    "Điện mất liên tục vào buổi tối, đề nghị điện lực kiểm tra.",
    "Nước sinh hoạt có mùi clo nặng, trẻ con uống bị đau bụng.",
    "Hàng xóm mở karaoke đến 12 giờ đêm, cả xóm không ngủ được.",
    "hang xom hat karaoke den 12h dem ca xom ko ngu dc",
    "Con tôi học lớp 3, trường thu nhiều khoản ngoài quy định.",
    "Mẹ tôi 80 tuổi chưa được nhận trợ cấp người cao tuổi.",
    "Bố tôi là người có công, hồ sơ nộp từ năm ngoái vẫn chưa có kết quả.",
    "Đường vào thôn bị ngập mỗi khi mưa to, xe máy không đi được.",
    "duong vao thon bi ngap moi khi mua to",
    "Trạm bơm tiêu úng hỏng từ năm ngoái chưa ai sửa.",
    "Cán bộ một cửa làm việc rất nhanh, tôi rất hài lòng.",
    "Đề nghị tăng cường tuần tra vì dạo này hay mất trộm xe máy.",
    "Sau lũ, bà con cần giống lúa để gieo lại.",
    "Bãi chôn lấp rác cách khu dân cư 500 mét gây ô nhiễm.",
    "Xin hỏi bao giờ được cấp căn cước cho con tôi?",
    "Nhà tôi bị nứt tường do công trình bên cạnh đóng cọc.",
    "Chó thả rông trên đường rất nguy hiểm cho trẻ em.",
    "Đề nghị lắp thêm camera ở ngã tư vì hay xảy ra tai nạn.",
    "Trường mầm non thiếu giáo viên, mỗi lớp 40 cháu.",
    "Giá điện tháng này tăng gấp đôi, đề nghị kiểm tra công tơ.",
    "Tôi đề nghị hỗ trợ hộ nghèo sửa nhà trước mùa mưa bão.",
    "toi de nghi ho tro ho ngheo sua nha truoc mua mua bao",
    "Ủy ban xã chậm giải quyết đơn của dân, đề nghị Mặt trận giám sát.",
    "Khu tái định cư chưa có điện, nước, đường.",
    "Thanh niên trong xóm tụ tập đua xe mỗi tối, gây mất trật tự.",
    "Cháu tôi trúng tuyển nghĩa vụ quân sự, xin hỏi chế độ cho gia đình.",
    "Xin cảm ơn đội phòng cháy chữa cháy đã tập huấn cho bà con.",
    "Con đường bê tông làm chưa được 1 năm đã nứt, đề nghị kiểm tra chất lượng.",
    "Mọi người ơi, nhà văn hóa thôn xuống cấp quá, mái dột hết rồi.",
    "ok",
    "Cảm ơn",
    "Tôi muốn góp ý về dự thảo quy hoạch sử dụng đất của xã giai đoạn tới, cụ thể là khu "
    "đất trồng lúa ven sông nên giữ lại để bà con canh tác, không nên chuyển sang đất ở.",
]


def test_ordinary_civic_messages_raise_nothing(detector: FlagDetector) -> None:
    flagged = {
        t: _codes(f)
        for t, f in zip(CIVIC, detector.detect_batch(CIVIC, [None] * len(CIVIC)), strict=True)
    }
    assert {t: c for t, c in flagged.items() if c} == {}


def test_civic_messages_in_nfd_and_upper_case(detector: FlagDetector) -> None:
    for text in CIVIC[:10]:
        assert detector.detect(text.upper()) == []
    nfd = unicodedata.normalize("NFD", "Đm bọn này, nhà đang cháy")
    flags = detector.detect(nfd)
    assert _codes(flags) == ["xuc_pham", "khan_cap"]
    _check_evidence(nfd, flags)


# --- model ---------------------------------------------------------------------------------
class FakeModel:
    """Returns canned spans and records how it was called."""

    def __init__(self, spans: dict[str, list[tuple[int, int, float]]]) -> None:
        self.spans = spans
        self.calls: list[list[str]] = []

    def predict_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int, float]]]:
        self.calls.append(list(texts))
        return [self.spans.get(t, []) for t in texts]


def test_model_spans_join_the_lexicon(lexicons: ModerationLexicons) -> None:
    text = "bọn cán bộ khốn kiếp này"
    model = FakeModel({text: [(11, 20, 0.97)]})
    flags = FlagDetector(lexicons, model).detect(text)
    assert _flag(flags, "xuc_pham").evidence == (Evidence(11, 20, "khốn kiếp", "model:vihos"),)


def test_weak_model_spans_are_dropped(lexicons: ModerationLexicons) -> None:
    """Low scores, ignored words alone, and allowed phrases do not raise xuc_pham."""
    texts = [
        "bọn cán bộ khốn kiếp này",  # score below model_min_score
        "thằng cu nhà bên trốn học",  # "thằng" alone
        "Cảm ơn xã hỗ trợ giống sau lũ",  # "lũ"
        "toi goi nhap ngu nam nay",  # allowed phrase
    ]
    marked = ["khốn kiếp", "thằng", "lũ", "ngu"]
    model = FakeModel(
        {
            text: [(text.index(m), text.index(m) + len(m), 0.6 if i == 0 else 0.99)]
            for i, (text, m) in enumerate(zip(texts, marked, strict=True))
        }
    )
    detector = FlagDetector(lexicons, model, model_min_score=0.9)
    assert detector.detect_batch(texts, [None] * len(texts)) == [[], [], [], []]


def test_batch_calls_the_model_once(lexicons: ModerationLexicons) -> None:
    model = FakeModel({})
    detector = FlagDetector(lexicons, model)
    texts = ["đm", "đường hỏng", "cứu với"]
    result = detector.detect_batch(texts, ["to_cao", None, None])
    assert model.calls == [texts]
    assert [_codes(r) for r in result] == [["xuc_pham", "to_cao"], [], ["khan_cap"]]
    assert result == [
        detector.detect(t, kind=k) for t, k in zip(texts, ["to_cao", None, None], strict=True)
    ]


def test_batch_length_mismatch(detector: FlagDetector) -> None:
    with pytest.raises(ValueError):
        detector.detect_batch(["a"], [])
    assert detector.detect_batch([], []) == []


def test_empty_text(detector: FlagDetector) -> None:
    assert detector.detect("") == []
    assert detector.detect("   ") == []
    assert _codes(detector.detect("", kind="to_cao")) == ["to_cao"]


def test_from_module_requires_core_lists() -> None:
    class Partial:
        INSULTS = ("đm",)

    with pytest.raises(TypeError):
        ModerationLexicons.from_module(Partial)


def test_config_lists_are_tuples_of_strings() -> None:
    lex = ModerationLexicons.from_module(moderation)
    for name in ("insults", "threats", "self_harm", "emergencies", "spam_phrases"):
        values = getattr(lex, name)
        assert values and all(isinstance(v, str) and v.strip() for v in values)


def test_batch_equals_one_by_one(detector: FlagDetector) -> None:
    """The vectorised batch path and the single-text path give the same flags."""
    texts = [t for t, _ in XUC_PHAM] + [t for t, _ in KHAN_CAP] + [t for t, _ in SPAM]
    texts += [
        *CIVIC,
        unicodedata.normalize("NFD", "Đm, nhà đang cháy"),
        "İstanbul đm",  # "İ" lowers to two characters
        "🔥🔥 cháy lớn 🔥🔥",
        "ＤＭ fullwidth",
        "",
    ]
    kinds = ["to_cao" if i % 7 == 0 else None for i in range(len(texts))]
    batch = detector.detect_batch(texts, kinds)
    assert batch == [detector.detect(t, kind=k) for t, k in zip(texts, kinds, strict=True)]
    for text, flags in zip(texts, batch, strict=True):
        _check_evidence(text, flags)

"""The digest as a chat message; also the sample digests the report tests share."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from config.taxonomy import KINDS, TOPICS
from handlers.digest import CountRow, Digest, DigestItem, Period, Problem
from handlers.digest_text import change_words, digest_text, shorten, signed
from handlers.messages import split_text

UNIT = "Ủy ban MTTQ Việt Nam phường Ba Đình"
LAND_PROBLEM = "Đề nghị cấp giấy chứng nhận quyền sử dụng đất cho 20 hộ dân tổ 5, liên hệ [SĐT]."
WASTE_PROBLEM = "Rác thải ùn ứ ở ngõ 12 phố Đội Cấn {đã ba tuần} chưa được thu gom."
ROAD_PROBLEM = (
    "Mặt đường phố Giảng Võ đoạn từ số 1 đến số 48 xuất hiện nhiều ổ gà sâu, trời mưa ngập "
    "nước, xe máy đi qua rất nguy hiểm, nhất là giờ tan tầm; người dân đề nghị phường sớm "
    "báo cáo quận để sửa chữa trước mùa mưa bão năm sau."
)
LAND_ITEM = "Hồ sơ cấp sổ đỏ của gia đình tôi nộp từ tháng 5, gọi [SĐT] không ai nghe máy."
TREES_ITEM = "Đề nghị trồng thêm cây xanh và ghế đá ở vườn hoa Thủ Lệ cho người cao tuổi."
DENUNCIATION = "Tố cáo cán bộ địa chính Trần Văn Bính nhận tiền của dân khi làm hồ sơ."
THREAT = "Nếu không giải quyết tôi sẽ mang xăng đến đốt trụ sở phường."
FORMULA_ITEM = "=SUM(1,2) ổ gà trên phố Giảng Võ chưa được vá."


def _rows(names: dict[str, str], figures: dict[str, tuple[int, int]]) -> tuple[CountRow, ...]:
    """Every code of a mapping, zeros included, as storage returns them."""
    return tuple(CountRow(code, names[code], *figures.get(code, (0, 0))) for code in names)


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def sample_digest() -> Digest:
    """October 2026 in a ward: several topics, clusters, overdue and sensitive items."""
    topics = {
        "dat_dai": (12, 9),
        "moi_truong": (7, 10),
        "giao_thong_ha_tang": (5, 5),
        "y_te": (0, 4),
    }
    kinds = {"phan_anh": (14, 15), "gop_y": (6, 8), "khieu_nai": (2, 3), "to_cao": (2, 2)}
    localities = (
        CountRow("00001", "Phường Ba Đình", 10, 12),
        CountRow("00004", "Phường Ngọc Hà", 8, 9),
        CountRow("00008", "Phường Giảng Võ", 6, 7),
    )
    groups = (
        CountRow("nguoi_cao_tuoi", "Người cao tuổi", 5, 4),
        CountRow("cong_nhan", "Công nhân", 3, 2),
    )
    items = (
        DigestItem(
            code="YK-AAAA01",
            created_at=_at(10, 3, 2, 15),
            kind="phan_anh",
            topic="dat_dai",
            locality="Phường Ba Đình",
            group="nguoi_cao_tuoi",
            status="dang_xu_ly",
            text=LAND_ITEM,
            flags=("pii",),
            due_at=_at(10, 24, 10),
            overdue=True,
        ),
        DigestItem(
            code="YK-AAAA02",
            created_at=_at(10, 5, 8),
            kind="gop_y",
            topic="moi_truong",
            locality="Phường Ngọc Hà",
            group=None,
            status="da_tra_loi",
            text=TREES_ITEM,
            due_at=_at(10, 26, 10),
            answered_at=_at(10, 20, 3),
        ),
        DigestItem(
            code="YK-AAAA03",
            created_at=_at(10, 9, 14),
            kind="to_cao",
            topic="dat_dai",
            locality="Phường Ba Đình",
            group=None,
            status="dang_xu_ly",
            text=DENUNCIATION,
            flags=("to_cao",),
            due_at=_at(10, 28, 10),
            overdue=True,
        ),
        DigestItem(
            code="YK-AAAA04",
            created_at=_at(10, 12, 17, 45),
            kind="phan_anh",
            topic="giao_thong_ha_tang",
            locality="Phường Giảng Võ",
            group="cong_nhan",
            status="da_tiep_nhan",
            text=FORMULA_ITEM,
        ),
        DigestItem(
            code="YK-AAAA05",
            created_at=_at(10, 30, 16, 59),  # 23:59 in Hà Nội, still October
            kind="khieu_nai",
            topic="dat_dai",
            locality=None,
            group=None,
            status="da_tiep_nhan",
            text=THREAT,
            flags=("de_doa",),
        ),
    )
    return Digest(
        unit_name=UNIT,
        period=Period.month(2026, 10),
        generated_at=_at(11, 2, 1, 30),  # 08:30 on 2 November in Hà Nội
        total=24,
        previous_total=28,
        by_topic=_rows(TOPICS, topics),
        by_kind=_rows(KINDS, kinds),
        by_locality=localities,
        by_group=groups,
        problems=(
            Problem(3, "giao_thong_ha_tang", None, ROAD_PROBLEM),
            Problem(6, "dat_dai", "Phường Ba Đình", LAND_PROBLEM),
            Problem(4, "moi_truong", "Phường Ngọc Hà", WASTE_PROBLEM),
        ),
        awaiting_answer=5,
        overdue=2,
        sensitive=3,
        items=items,
    )


def empty_digest() -> Digest:
    """A quiet month: nothing this period, some the month before."""
    return Digest(
        unit_name=UNIT,
        period=Period.month(2026, 10),
        generated_at=_at(11, 2, 1, 30),
        total=0,
        previous_total=4,
        by_topic=_rows(TOPICS, {"y_te": (0, 4)}),
        by_kind=_rows(KINDS, {"phan_anh": (0, 4)}),
        by_locality=(),
        by_group=(),
        problems=(),
        awaiting_answer=0,
        overdue=0,
        sensitive=0,
    )


def week_digest() -> Digest:
    """The sample figures over the first week of October instead of the month."""
    return replace(sample_digest(), period=Period(date(2026, 10, 1), date(2026, 10, 8)))


@pytest.fixture
def message() -> str:
    return digest_text(sample_digest())


def test_title_unit_total_and_change(message: str) -> None:
    lines = message.splitlines()
    assert lines[0] == "TỔNG HỢP Ý KIẾN tháng 10/2026"
    assert lines[1] == f"Đơn vị: {UNIT}"
    assert lines[2] == "Tổng số: 24 ý kiến (-4 so với kỳ trước: 28)"


def test_topics_non_zero_largest_first_with_change(message: str) -> None:
    lines = message.splitlines()
    start = lines.index("Theo lĩnh vực:")
    assert lines[start + 1 : start + 4] == [
        "- Đất đai, nhà ở, quy hoạch: 12 (+3)",
        "- Tài nguyên, môi trường: 7 (-3)",
        "- Giao thông, hạ tầng đô thị: 5 (0)",
    ]
    assert lines[start + 4] == ""
    assert TOPICS["y_te"] not in message  # nothing this month
    assert TOPICS["giao_duc"] not in message


def test_kinds_and_localities(message: str) -> None:
    lines = message.splitlines()
    start = lines.index("Theo loại ý kiến:")
    assert lines[start + 1 : start + 5] == [
        "- Phản ánh, kiến nghị: 14 (-1)",
        "- Góp ý, đề xuất: 6 (-2)",
        "- Khiếu nại: 2 (-1)",
        "- Tố cáo: 2 (0)",
    ]
    start = lines.index("Địa bàn có nhiều ý kiến nhất:")
    assert lines[start + 1] == "- Phường Ba Đình: 10 (-2)"
    assert lines[start + 3] == "- Phường Giảng Võ: 6 (-1)"


def test_only_the_top_localities() -> None:
    many = tuple(CountRow(f"{n:05d}", f"Xã Số {n}", n, 0) for n in range(1, 9))
    text = digest_text(replace(sample_digest(), by_locality=many))
    shown = [line for line in text.splitlines() if line.startswith("- Xã Số ")]
    assert shown == [f"- Xã Số {n}: {n} (+{n})" for n in (8, 7, 6, 5, 4)]


def test_problems_largest_first_redacted_and_plain(message: str) -> None:
    lines = message.splitlines()
    start = lines.index("Vấn đề được phản ánh nhiều lần:")
    assert lines[start + 1] == f"1. 6 ý kiến - Phường Ba Đình: “{LAND_PROBLEM}”"
    assert "[SĐT]" in lines[start + 1]
    assert lines[start + 2] == (
        "2. 4 ý kiến - Phường Ngọc Hà: “Rác thải ùn ứ ở ngõ 12 phố Đội Cấn (đã ba tuần) "
        "chưa được thu gom.”"
    )
    road = lines[start + 3]
    assert road.startswith("3. 3 ý kiến: “Mặt đường phố Giảng Võ")
    assert road.endswith("…”")
    assert len(road) < len(ROAD_PROBLEM)
    assert "{" not in message and "}" not in message


def test_answers_and_sensitive_counted_only(message: str) -> None:
    assert "Chờ trả lời: 5; quá hạn: 2" in message.splitlines()
    assert "Ý kiến nhạy cảm (tố cáo, đang kiểm duyệt): 3, không nêu nội dung." in message
    for text in (DENUNCIATION, THREAT, "Trần Văn Bính", "đốt trụ sở"):
        assert text not in message


def test_no_markdown(message: str) -> None:
    for marker in ("*", "_", "`", "#"):
        assert marker not in message


def test_empty_period_says_so() -> None:
    text = digest_text(empty_digest())
    assert text == (
        "Trong tháng 10/2026 chưa có ý kiến, kiến nghị nào của Nhân dân gửi đến "
        f"{UNIT} (kỳ trước: 4). Xin cảm ơn quý đồng chí đã theo dõi."
    )


def test_empty_period_still_reports_answers_due() -> None:
    text = digest_text(replace(empty_digest(), awaiting_answer=3, overdue=1))
    assert text.splitlines()[-1] == "Chờ trả lời: 3; quá hạn: 1"


def test_a_week_is_labelled_with_its_dates() -> None:
    assert digest_text(week_digest()).splitlines()[0] == (
        "TỔNG HỢP Ý KIẾN kỳ 01/10/2026–07/10/2026"
    )


def test_splits_to_a_channel_limit_without_losing_words(message: str) -> None:
    chunks = split_text(message, 300)
    assert len(chunks) > 1
    assert all(len(chunk) <= 300 for chunk in chunks)
    assert " ".join(chunks).split() == message.split()


@pytest.mark.parametrize(
    ("number", "sign", "words"),
    [(3, "+3", "tăng 3"), (-2, "-2", "giảm 2"), (0, "0", "không thay đổi")],
)
def test_change_formats(number: int, sign: str, words: str) -> None:
    assert signed(number) == sign
    assert change_words(number) == words


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("một  hai\nba", 20) == "một hai ba"
    assert shorten("một hai ba bốn năm", 12) == "một hai ba…"
    assert shorten("x" * 30, 10) == "x" * 9 + "…"

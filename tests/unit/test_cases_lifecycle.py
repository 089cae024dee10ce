"""The answer loop's pure parts: the transition table, notices, rating buttons, status lines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from config import cases as config
from config import taxonomy
from handlers import cases, roles
from handlers.codes import split_code
from storage.records import FollowupRecord, SubmissionRecord

AT = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
CASE = SubmissionRecord(
    id=7,
    code="YK-7F3Q9X",
    person_id=3,
    kind="phan_anh",
    text="Đường ngập",
    channel="telegram",
    created_at=AT,
    status=config.RECEIVED,
    locality_code=None,
    locality_name=None,
    province_code=None,
    target_group=None,
    topic="moi_truong",
    topic_confidence=None,
    kind_confidence=None,
    predicted_kind=None,
    flags=[],
    cluster_id=None,
    needs_review=False,
)
EXPECTED = {
    ("da_tiep_nhan", "dang_xu_ly"),
    ("da_tiep_nhan", "da_tra_loi"),
    ("da_tiep_nhan", "chuyen_cap_tren"),
    ("da_tiep_nhan", "khong_thuoc_tham_quyen"),
    ("dang_xu_ly", "da_tra_loi"),
    ("dang_xu_ly", "chuyen_cap_tren"),
    ("dang_xu_ly", "khong_thuoc_tham_quyen"),
    ("da_tra_loi", "da_dong"),
    ("da_tra_loi", "dang_xu_ly"),
    ("chuyen_cap_tren", "dang_xu_ly"),
    ("chuyen_cap_tren", "da_tra_loi"),
    ("chuyen_cap_tren", "da_dong"),
}


def case(**fields: object) -> SubmissionRecord:
    return dataclasses.replace(CASE, **fields)  # type: ignore[arg-type]


def test_the_transition_table_is_the_issue_s_lifecycle() -> None:
    pairs = {(a, b) for a in taxonomy.STATUSES for b in taxonomy.STATUSES if cases.allowed(a, b)}
    assert pairs == EXPECTED
    # Every status named in the table is one residents can read.
    named = set(config.TRANSITIONS) | {
        s for targets in config.TRANSITIONS.values() for s in targets
    }
    assert named <= set(taxonomy.STATUSES)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("da_dong", "dang_xu_ly"),
        ("khong_thuoc_tham_quyen", "da_tra_loi"),
        ("da_tra_loi", "da_tra_loi"),
    ],
)
def test_a_forbidden_transition_names_the_current_status(current: str, new: str) -> None:
    refusal = cases.refusal(case(status=current), new)
    assert refusal == config.TRANSITION_REFUSED.format(
        code="YK-7F3Q9X", current=taxonomy.STATUSES[current], new=taxonomy.STATUSES[new]
    )
    assert cases.refusal(case(status="da_tiep_nhan"), "dang_xu_ly") is None


def test_every_status_command_leads_to_a_status_with_a_notice_and_usage() -> None:
    for command, status in config.STATUS_COMMANDS.items():
        assert command in roles.COMMANDS and status in taxonomy.STATUSES
        assert command in config.STATUS_USAGE[command]
        assert "{code}" in config.NOTICES[status]


def test_notices_quote_the_code_and_the_reason_and_where_to_go() -> None:
    for status in config.NOTICES:
        reason = "Tranh chấp dân sự | Tòa án nhân dân khu vực 1"
        text = cases.notice_text("YK-7F3Q9X", status, reason)
        assert "YK-7F3Q9X" in text
        if status in (config.NOT_COMPETENT, config.ESCALATED):
            assert "Tranh chấp dân sự" in text
    text = cases.notice_text("YK-7F3Q9X", config.NOT_COMPETENT, "Tranh chấp | Tòa án")
    assert "Lý do: Tranh chấp\n" in text and text.endswith("Bạn có thể gửi tới: Tòa án")
    # Without a note nothing dangles.
    assert cases.notice_text("YK-7F3Q9X", config.ESCALATED, None) == config.NOTICES[
        config.ESCALATED
    ].format(code="YK-7F3Q9X")


def test_rating_buttons_fit_telegram_and_come_back_as_ratings() -> None:
    ((*row,),) = cases.rating_buttons("YK-7F3Q9X")
    assert [payload for _, payload in row] == [f"rate:YK-7F3Q9X:{n}" for n in range(1, 6)]
    assert all(len(payload.encode()) <= 64 for _, payload in row)
    assert all(cases.is_rate_button(payload) for _, payload in row)
    assert not cases.is_rate_button("kind:phan_anh")


def test_status_details_show_the_reason_and_the_rating() -> None:
    assert cases.status_details(case()) == ""
    refused = case(status=config.NOT_COMPETENT, status_reason="Tranh chấp | Tòa án")
    assert cases.status_details(refused) == config.STATUS_NOT_COMPETENT.format(
        reason="Tranh chấp", where="Tòa án"
    )
    escalated = case(status=config.ESCALATED, status_reason="Đã gửi UBND thành phố")
    assert "Đã gửi UBND thành phố" in cases.status_details(escalated)
    rated = case(status=config.ANSWERED, rating=4)
    assert cases.status_details(rated) == config.STATUS_RATING.format(rating=4)


def test_my_data_lines_list_the_rating_and_only_this_case_s_follow_ups() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    followups = [
        FollowupRecord(1, 7, "YK-7F3Q9X", "Vẫn còn ngập", AT),
        FollowupRecord(2, 8, "YK-OTHER2", "Chuyện khác", AT),
    ]
    lines = cases.my_data_lines(case(rating=5), followups, tz)
    assert lines == [
        config.MY_DATA_RATING.format(rating=5),
        config.MY_DATA_FOLLOWUP.format(at="09:30 21/11/2026", text="Vẫn còn ngập"),
    ]


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        ("yk 7f3q9x 5", ("YK-7F3Q9X", "YK-7F3Q9X", "5")),
        ("YK-7F3Q9X  Vẫn ngập\nsau mưa", ("YK-7F3Q9X", "YK-7F3Q9X", "Vẫn ngập\nsau mưa")),
        ("YK - 7f3q9x cảm ơn", ("YK-7F3Q9X", "YK-7F3Q9X", "cảm ơn")),
        ("yk 7f3q9x", ("YK-7F3Q9X", "YK-7F3Q9X", "")),
        ("7F3Q9X", ("YK-7F3Q9X", "7F3Q9X", "")),
        ("nonsense 5", (None, "nonsense", "5")),
        ("   ", None),
    ],
)
def test_split_code(args: str, parsed: tuple[str | None, str, str] | None) -> None:
    assert split_code(args) == parsed

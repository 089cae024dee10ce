"""The review queue's pure parts: evidence highlighting without personal data, the reasons list,
typed labels, keyboards and payload sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from config import review as texts
from config import taxonomy
from handlers.review import (
    Review,
    highlight,
    label_keyboard,
    main_keyboard,
    match_label,
    reasons,
)
from storage.records import SubmissionRecord

PHONE = "0912 345 678"


def flag(code: str, text: str, *phrases: str) -> dict[str, object]:
    """A stored flag whose evidence is each phrase where it first occurs in `text`."""
    evidence = []
    for phrase in phrases:
        start = text.index(phrase)
        evidence.append(
            {"start": start, "end": start + len(phrase), "text": phrase, "source": "lexicon"}
        )
    return {"code": code, "evidence": evidence}


def record(text: str, flags: list[dict[str, object]], **fields: object) -> SubmissionRecord:
    values: dict[str, object] = {
        "id": 1,
        "code": "YK-ABCDEF",
        "person_id": 7,
        "kind": "phan_anh",
        "text": text,
        "channel": "telegram",
        "created_at": datetime(2026, 11, 21, 2, 30, tzinfo=UTC),
        "status": "da_tiep_nhan",
        "locality_code": None,
        "locality_name": None,
        "province_code": None,
        "target_group": None,
        "topic": "moi_truong",
        "topic_confidence": 0.9,
        "kind_confidence": 0.8,
        "predicted_kind": "phan_anh",
        "flags": flags,
        "cluster_id": None,
        "needs_review": False,
    }
    values.update(fields)
    return SubmissionRecord(**values)  # type: ignore[arg-type]


def test_evidence_is_marked_and_personal_data_replaced() -> None:
    text = f"Làm ăn như đm, gọi {PHONE} nhé, đồ vcl."
    flags = [flag("xuc_pham", text, "đm", "vcl"), flag("pii", text, PHONE)]
    assert highlight(text, flags) == "Làm ăn như «đm», gọi [SĐT] nhé, đồ «vcl»."


def test_a_mark_touching_personal_data_widens_and_shows_none_of_it() -> None:
    text = f"Tao sẽ giết mày, số {PHONE} đây."
    marked = flag("de_doa", text, f"số {PHONE[:4]}")  # evidence overlapping the phone number
    shown = highlight(text, [marked])
    assert shown == "Tao sẽ giết mày, «số [SĐT]» đây."
    assert "0912" not in shown


def test_overlapping_evidence_merges_into_one_mark() -> None:
    text = "Nhà bên cạnh đang cháy lớn, cứu với!"
    flags = [flag("khan_cap", text, "đang cháy", "cháy lớn", "cứu với")]
    assert highlight(text, flags) == "Nhà bên cạnh «đang cháy lớn», «cứu với»!"


def test_evidence_that_no_longer_matches_the_text_is_not_marked() -> None:
    flags = [{"code": "xuc_pham", "evidence": [{"start": 0, "end": 2, "text": "đm"}]}]
    assert highlight("Nội dung đã được xóa theo yêu cầu.", flags) == (
        "Nội dung đã được xóa theo yêu cầu."
    )


def test_a_long_text_is_cut_without_leaving_a_mark_open() -> None:
    text = "a " * 30 + "đm " + "b " * 30
    shown = highlight(text, [flag("xuc_pham", text, "đm")], limit=62)
    assert shown.endswith("»…") and shown.count("«") == shown.count("»") == 1
    assert len(shown) <= 64


def test_reasons_show_personal_data_types_never_the_data() -> None:
    text = f"Gọi tôi {PHONE}, cán bộ như đm."
    item = record(
        text,
        [flag("pii", text, PHONE), flag("xuc_pham", text, "đm")],
        needs_review=True,
        topic_confidence=0.42,
        kind_confidence=None,
    )
    assert reasons(item) == [
        "• Thông tin cá nhân: số điện thoại",
        "• Lời lẽ xúc phạm: «đm»",
        texts.LOW_CONFIDENCE_LINE.format(topic="42%", kind=texts.NONE),
    ]


def test_a_flag_without_a_span_is_named_alone() -> None:
    item = record(
        "Tôi tố cáo việc này.",
        [{"code": "to_cao", "evidence": [{"start": 0, "end": 0, "text": ""}]}],
    )
    assert reasons(item) == ["• Tố cáo"]


@pytest.mark.parametrize(
    ("field", "typed", "code"),
    [
        ("topic", "moi_truong", "moi_truong"),
        ("topic", "Môi trường", "moi_truong"),
        ("topic", "moi truong", "moi_truong"),
        ("topic", "y te", "y_te"),
        ("topic", "Y tế, an toàn thực phẩm", "y_te"),
        ("topic", "dat dai", "dat_dai"),
        ("kind", "kien_nghi", "phan_anh"),
        ("kind", "to cao", "to_cao"),
        ("kind", "khen ngoi", "khen_ngoi"),
        ("kind", "hoi_dap", "hoi_dap"),
        ("topic", "kien nghi", None),
        ("kind", "moi_truong", None),
        ("topic", "", None),
        ("topic", "vu tru", None),
    ],
)
def test_typed_labels(field: str, typed: str, code: str | None) -> None:
    assert match_label(field, typed) == code


def test_every_payload_fits_telegrams_64_bytes() -> None:
    code = "YK-ABCDEF"
    rows = [*main_keyboard(code), *label_keyboard(code, "topic"), *label_keyboard(code, "kind")]
    payloads = [button.payload for row in rows for button in row]
    assert max(len(p.encode()) for p in payloads) <= 64
    assert len(label_keyboard(code, "topic")) == len(taxonomy.TOPICS) + 1
    assert len(label_keyboard(code, "kind")) == 6 + 1


def test_the_rendered_message_fits_one_zalo_message() -> None:
    text = ("Cán bộ như đm, gọi tôi " + PHONE + ". ") * 200
    item = record(text[:5000], [flag("xuc_pham", text, "đm"), flag("pii", text, PHONE)])
    review = Review(display_tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert len(review.render(item, "zalo_bot")) <= 2000
    decided = review.render(item, "telegram", ("spam", "ND-1", item.created_at))
    assert decided.endswith(
        texts.DECIDED.format(icon="🗑", state="Spam", actor="ND-1", at="09:30 21/11/2026")
    )
    assert texts.COMMANDS_HINT.format(code=item.code) not in decided

"""Dialogue tables for the intake conversation, on SQLite and PostgreSQL, channel-neutral."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from config import taxonomy, texts
from handlers.intake import Engine
from storage import models
from storage.db import Database
from storage.records import SubmissionRecord
from tests.dialogue import NOTICE, RECEIPT, Match, Resident, ask_text, receipt_code, run_dialogue

FLOOD = "Đường Lê Lợi đoạn trước chợ ngập sâu mỗi khi mưa lớn, đề nghị nạo vét cống thoát nước."
BEN_THANH = "Phường Bến Thành, Thành phố Hồ Chí Minh"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# The whole flow with buttons: consent, kind, text, photo, location, locality, group, submit.
HAPPY_PATH = [
    (("cmd", "start"), [texts.WELCOME, NOTICE]),
    (("press", "consent:yes"), [texts.CHOOSE_KIND]),
    (("press", "kind:phan_anh"), [ask_text("phan_anh")]),
    (("say", FLOOD), [texts.ASK_ATTACHMENTS]),
    (("photo", "ảnh chụp sáng nay"), [texts.ATTACHMENT_PHOTO_ADDED.format(count=1, limit=5)]),
    (("location",), [texts.ATTACHMENT_LOCATION_ADDED]),
    (("press", "att:done"), [texts.ASK_LOCALITY]),
    (
        ("say", "phuong ben thanh"),
        [texts.LOCALITY_SET.format(label=BEN_THANH), texts.ASK_GROUP],
    ),
    (
        ("press", "grp:nong_dan"),
        [
            texts.SUMMARY.format(
                kind=taxonomy.KINDS["phan_anh"],
                text=FLOOD,
                attachments=texts.SUMMARY_ATTACHMENTS.format(
                    photos=1, location=texts.SUMMARY_WITH_LOCATION
                ),
                locality=BEN_THANH,
                group="Nông dân",
            )
        ],
    ),
    (("press", "confirm:submit"), [RECEIPT]),
]


async def count(db: Database, model: type[models.Base]) -> int:
    """Rows in a table."""
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def start_draft(resident: Resident, kind: str) -> None:
    """Consent and choose a kind; the bot then asks for the content."""
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    await resident.act(("press", f"kind:{kind}"))


async def skip_rest_and_submit(resident: Resident, db: Database) -> SubmissionRecord | None:
    """From the attachments step: skip what is optional, submit, and read the stored record."""
    await resident.act(("press", "att:done"))
    await resident.act(("press", "loc:skip"))
    await resident.act(("press", "grp:skip"))
    code = receipt_code(await resident.act(("press", "confirm:submit")))
    async with db.unit_of_work() as uow:
        return await uow.submissions.get_by_code(code)


async def submit_simple(resident: Resident, kind: str = "gop_y", text: str = FLOOD) -> str:
    """Consent and submit one plain submission; returns its code."""
    await start_draft(resident, kind)
    await resident.act(("say", text))
    await resident.act(("press", "att:done"))
    await resident.act(("press", "loc:skip"))
    await resident.act(("press", "grp:skip"))
    return receipt_code(await resident.act(("press", "confirm:submit")))


async def test_happy_path_stores_everything_once(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    code = receipt_code(await run_dialogue(resident, HAPPY_PATH))
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
        person = await uow.people.get_by_channel("test", "resident-1")
    assert stored is not None and person is not None
    assert (stored.kind, stored.text, stored.channel) == ("phan_anh", FLOOD, "test")
    assert (stored.locality_code, stored.province_code) == ("26743", "79")
    assert stored.locality_name == BEN_THANH
    assert stored.target_group == "nong_dan"
    assert stored.status == taxonomy.INITIAL_STATUS
    assert stored.person_id == person.id
    assert stored.created_at == engine.clock()
    # Received Saturday 21 November 2026; a petition has 15 working days, counted from Monday
    # 23 November and skipping Tuesday 24 November (Vietnam Culture Day): due Monday 14
    # December, i.e. by the end of that day in Vietnam.
    assert stored.answer_due_at == datetime(2026, 12, 15, tzinfo=VIETNAM)
    assert [a.kind for a in stored.attachments] == ["photo", "location"]
    assert stored.attachments[1].latitude == pytest.approx(10.7721)
    assert person.consent_version == texts.PRIVACY_NOTICE_VERSION
    assert person.consent_at == engine.clock()
    assert await count(db, models.Submission) == 1
    assert await count(db, models.AuditEntry) == 2  # consent given, submission created


async def test_numbers_and_labels_work_where_buttons_do(engine: Engine, db: Database) -> None:
    # Channels without buttons show numbered options; residents type a number or the label.
    resident = Resident(engine)
    table = [
        (("say", "xin chào"), [texts.WELCOME, NOTICE]),
        (("say", "1"), [texts.CHOOSE_KIND]),
        (("say", "khieu nai"), [texts.KIND_PROCEDURE["khieu_nai"], ask_text("khieu_nai")]),
        (("say", FLOOD), [texts.ASK_ATTACHMENTS]),
        (("say", "tiep tuc"), [texts.ASK_LOCALITY]),
        (("say", "1"), [texts.ASK_GROUP]),
        (("say", "11"), [plain_summary("khieu_nai")]),
        (
            ("say", "1"),
            [Match(RECEIPT.pattern + "\n\n" + re.escape(texts.KIND_PROCEDURE["khieu_nai"]))],
        ),
    ]
    await run_dialogue(resident, table)
    assert await count(db, models.Submission) == 1


def plain_summary(kind: str) -> str:
    """The summary of a FLOOD submission with nothing optional given."""
    return texts.SUMMARY.format(
        kind=taxonomy.KINDS[kind],
        text=FLOOD,
        attachments=texts.SUMMARY_NONE,
        locality=texts.SUMMARY_SKIPPED,
        group=texts.SUMMARY_SKIPPED,
    )


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        ("gop_y", date(2026, 12, 14)),  # 15 working days, as above
        ("khieu_nai", date(2026, 12, 21)),  # 30 days: 21 December is a Monday
        ("to_cao", date(2026, 12, 21)),
    ],
)
async def test_answer_deadline_follows_the_kind(
    engine: Engine, db: Database, kind: str, due: date
) -> None:
    resident = Resident(engine)
    code = await submit_simple(resident, kind)
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None and stored.answer_due_at is not None
    assert stored.answer_due_at.astimezone(VIETNAM) == datetime.combine(
        due + timedelta(days=1), datetime.min.time(), VIETNAM
    )


async def test_to_cao_states_its_procedure(engine: Engine) -> None:
    resident = Resident(engine)
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    got = await resident.act(("press", "kind:to_cao"))
    assert got == [texts.KIND_PROCEDURE["to_cao"], ask_text("to_cao")]


async def test_declining_stores_nothing(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await run_dialogue(
        resident,
        [
            (("cmd", "start"), [texts.WELCOME, NOTICE]),
            (("say", "gửi luôn được không"), [texts.CONSENT_REQUIRED, NOTICE]),
            (("press", "consent:no"), [texts.CONSENT_DECLINED]),
        ],
    )
    assert await count(db, models.Person) == 0
    assert await count(db, models.Conversation) == 0
    assert await count(db, models.Submission) == 0
    # Coming back later starts from the notice again.
    assert await resident.act(("say", "xin chào")) == [texts.WELCOME, NOTICE]


async def test_redelivered_update_changes_nothing(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await run_dialogue(resident, HAPPY_PATH[:-1])
    first = await resident.act(("press", "confirm:submit"))
    assert len(first) == 1
    assert await resident.redeliver() == []
    assert await count(db, models.Submission) == 1
    # A re-delivered earlier step does not move the conversation back either.
    await resident.act(("say", "hello"))
    assert await resident.redeliver() == []


async def test_double_press_submits_once(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await run_dialogue(resident, HAPPY_PATH[:-1])
    await resident.act(("press", "confirm:submit"))
    got = await resident.act(("press", "confirm:submit"))
    assert got == [texts.STALE_BUTTON, texts.CHOOSE_KIND]
    assert await count(db, models.Submission) == 1


async def test_text_length_limit(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await start_draft(resident, "gop_y")
    too_long = "a" * 5001
    assert await resident.act(("say", too_long)) == [
        texts.TEXT_TOO_LONG.format(length=5001, limit=5000)
    ]
    assert await resident.act(("say", "   ")) == [texts.TEXT_EMPTY]
    assert await resident.act(("say", "b" * 5000)) == [texts.ASK_ATTACHMENTS]
    # More text at the attachments step is appended, within the same limit.
    assert await resident.act(("say", "c")) == [texts.TEXT_TOO_LONG.format(length=5002, limit=5000)]
    assert await count(db, models.Submission) == 0


async def test_long_paste_split_by_the_channel_is_joined(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await start_draft(resident, "gop_y")
    await resident.act(("say", "phần một của nội dung"))
    assert await resident.act(("say", "phần hai")) == [texts.CONTENT_APPENDED]
    stored = await skip_rest_and_submit(resident, db)
    assert stored is not None and stored.text == "phần một của nội dung\nphần hai"


async def test_locality_candidates_not_found_and_choice(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await start_draft(resident, "gop_y")
    await resident.act(("say", FLOOD))
    await resident.act(("press", "att:done"))
    assert await resident.act(("say", "qwxz asdf")) == [
        texts.LOCALITY_NOT_FOUND.format(query="qwxz asdf")
    ]
    assert await resident.act(("say", "xa tan tien")) == [texts.LOCALITY_CHOOSE]
    options = resident.replies[0].flat_buttons
    assert len(options) == 6 and options[-1].payload == "loc:skip"
    assert all("Xã Tân Tiến" in b.label for b in options[:-1])
    chosen = options[2]
    assert await resident.act(("press", chosen.payload)) == [texts.ASK_GROUP]
    await resident.act(("press", "grp:skip"))
    code = receipt_code(await resident.act(("press", "confirm:submit")))
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None and stored.locality_name == chosen.label


async def test_editing_at_the_summary_returns_to_it(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await run_dialogue(resident, HAPPY_PATH[:-1])
    assert await resident.act(("press", "confirm:text")) == [ask_text("phan_anh")]
    new_text = "Cống thoát nước trên đường Lê Lợi bị tắc, nước tràn lên vỉa hè."
    got = await resident.act(("say", new_text))
    assert len(got) == 1 and got[0].startswith(texts.SUMMARY.split("\n")[0])
    assert new_text in got[0]
    assert await resident.act(("press", "confirm:kind")) == [texts.CHOOSE_KIND]
    got = await resident.act(("press", "kind:gop_y"))
    assert taxonomy.KINDS["gop_y"] in got[0]
    await resident.act(("press", "confirm:locality"))
    got = await resident.act(("press", "loc:skip"))
    assert f"Địa bàn: {texts.SUMMARY_SKIPPED}" in got[0]
    await resident.act(("press", "confirm:group"))
    got = await resident.act(("press", "grp:cong_nhan"))
    assert "Công nhân" in got[0]
    code = receipt_code(await resident.act(("press", "confirm:submit")))
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None
    assert (stored.text, stored.kind, stored.locality_code, stored.target_group) == (
        new_text,
        "gop_y",
        None,
        "cong_nhan",
    )


async def test_cancel_discards_the_draft(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await resident.act(("cmd", "start"))
    assert await resident.act(("cmd", "huy")) == [texts.NOTHING_TO_CANCEL]
    await resident.act(("press", "consent:yes"))
    await resident.act(("press", "kind:gop_y"))
    await resident.act(("say", FLOOD))
    assert await resident.act(("cmd", "huy")) == [texts.CANCELLED]
    assert await resident.act(("cmd", "huy")) == [texts.NOTHING_TO_CANCEL]
    assert await resident.act(("press", "att:done")) == [texts.STALE_BUTTON, texts.CHOOSE_KIND]
    assert await count(db, models.Submission) == 0
    await run_dialogue(resident, HAPPY_PATH[2:])  # the person is kept: straight to the kind
    assert await count(db, models.Submission) == 1


async def test_content_first_then_kind(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    assert await resident.act(("say", FLOOD)) == [texts.CHOOSE_KIND_FOR_TEXT]
    assert await resident.act(("press", "kind:phan_anh")) == [texts.ASK_ATTACHMENTS]
    assert await resident.act(("say", "chào")) == [texts.CONTENT_APPENDED]


async def test_status_only_for_own_submissions(engine: Engine) -> None:
    alice, bob = Resident(engine, "alice"), Resident(engine, "bob")
    code = await submit_simple(alice)
    await submit_simple(bob)
    got = await alice.act(("cmd", "trangthai", code.lower().replace("-", " ")))
    assert got == [
        texts.STATUS.format(
            code=code,
            kind=taxonomy.KINDS["gop_y"],
            created="09:30 21/11/2026",
            status=taxonomy.STATUSES[taxonomy.INITIAL_STATUS],
        )
    ]
    assert await bob.act(("cmd", "trangthai", code)) == [texts.STATUS_NOT_FOUND.format(code=code)]
    assert await alice.act(("cmd", "trangthai", "YK-XXXXXX")) == [
        texts.STATUS_NOT_FOUND.format(code="YK-XXXXXX")
    ]
    assert await alice.act(("cmd", "trangthai", "zzz")) == [
        texts.STATUS_NOT_FOUND.format(code="zzz")
    ]
    assert await alice.act(("cmd", "trangthai")) == [texts.STATUS_USAGE]
    stranger = Resident(engine, "stranger")
    assert await stranger.act(("cmd", "trangthai", code)) == [
        texts.STATUS_NOT_FOUND.format(code=code)
    ]


@pytest.mark.parametrize("kind", sorted(texts.UNSUPPORTED))
async def test_unsupported_messages_get_their_own_answer(
    engine: Engine, db: Database, kind: str
) -> None:
    resident = Resident(engine)
    await start_draft(resident, "gop_y")
    assert await resident.act(("unsupported", kind)) == [texts.UNSUPPORTED[kind]]
    # The conversation is where it was: the next text is the content.
    assert await resident.act(("say", FLOOD)) == [texts.ASK_ATTACHMENTS]


async def test_edited_group_unknown_and_misplaced_media(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    assert await resident.act(("group", "xin chào bot")) == [texts.GROUP_CHAT]
    assert await count(db, models.Conversation) == 0
    assert await resident.act(("edited",)) == [texts.EDITED_MESSAGE]
    await resident.act(("cmd", "start"))
    await resident.act(("press", "consent:yes"))
    assert await resident.act(("cmd", "xyz")) == [texts.UNKNOWN_COMMAND.format(command="/xyz")]
    assert await resident.act(("photo",)) == [texts.PHOTO_NOT_EXPECTED, texts.CHOOSE_KIND]
    assert await resident.act(("location",)) == [texts.LOCATION_NOT_EXPECTED, texts.CHOOSE_KIND]
    assert await resident.act(("say", "ừ")) == [texts.CHOOSE_FROM_OPTIONS, texts.CHOOSE_KIND]
    assert await resident.act(("cmd", "trogiup")) == [texts.HELP]
    assert await count(db, models.Submission) == 0


async def test_photo_limit_and_photo_with_caption_as_content(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    await start_draft(resident, "phan_anh")
    assert await resident.act(("photo", FLOOD)) == [texts.ASK_ATTACHMENTS]
    for number in range(2, 6):
        got = await resident.act(("photo",))
        assert got == [texts.ATTACHMENT_PHOTO_ADDED.format(count=number, limit=5)]
    assert await resident.act(("photo",)) == [texts.ATTACHMENT_LIMIT.format(limit=5)]
    stored = await skip_rest_and_submit(resident, db)
    assert stored is not None and stored.text == FLOOD
    assert len(stored.attachments) == 5


async def test_my_data_and_erasure(engine: Engine, db: Database) -> None:
    resident = Resident(engine)
    assert await resident.act(("cmd", "dulieucuatoi")) == [texts.MY_DATA_NONE]
    code = await submit_simple(resident)
    got = await resident.act(("cmd", "dulieucuatoi"))
    assert len(got) == 1 and code in got[0] and FLOOD in got[0]
    assert await resident.act(("cmd", "xoadulieu")) == [texts.ERASE_CONFIRM]
    assert await resident.act(("press", "erase:no")) == [texts.CANCELLED]
    await resident.act(("cmd", "xoadulieu"))
    assert await resident.act(("press", "erase:yes")) == [texts.ERASED]
    assert await count(db, models.Person) == 0
    assert await count(db, models.Conversation) == 0
    assert await count(db, models.Submission) == 1  # anonymous counts survive
    async with db.unit_of_work() as uow:
        stored = await uow.submissions.get_by_code(code)
    assert stored is not None
    assert stored.text == texts.ERASED_TEXT_PLACEHOLDER and stored.person_id is None
    assert await resident.act(("cmd", "dulieucuatoi")) == [texts.MY_DATA_NONE]


async def test_failure_mid_update_leaves_nothing_and_retry_works(
    engine: Engine, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = Resident(engine)
    await run_dialogue(resident, HAPPY_PATH[:-1])
    from storage.repositories import SqlAuditLog

    original = SqlAuditLog.add

    async def broken(self, **kwargs):  # fails after the submission row was flushed
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlAuditLog, "add", broken)
    with pytest.raises(RuntimeError):
        await resident.act(("press", "confirm:submit"))
    assert await count(db, models.Submission) == 0
    assert await count(db, models.InboundUpdate) == len(HAPPY_PATH) - 1
    monkeypatch.setattr(SqlAuditLog, "add", original)
    got = await resident.redeliver()
    assert len(got) == 1 and receipt_code(got)
    assert await count(db, models.Submission) == 1


async def test_two_residents_do_not_share_state(engine: Engine, db: Database) -> None:
    alice, bob = Resident(engine, "alice"), Resident(engine, "bob")
    await alice.act(("cmd", "start"))
    await alice.act(("press", "consent:yes"))
    await alice.act(("press", "kind:to_cao"))
    assert await bob.act(("say", "xin chào")) == [texts.WELCOME, NOTICE]
    assert await alice.act(("say", FLOOD)) == [texts.ASK_ATTACHMENTS]

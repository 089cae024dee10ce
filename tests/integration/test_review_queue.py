"""The moderators' review queue at the engine, on SQLite and PostgreSQL: what is queued and for
whom, each decision's effects with exactly one audit row, corrections, stale and refused
presses, the commands, urgent alerts and duty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config import review as review_texts
from config import taxonomy, texts
from handlers.intake import Engine
from nlp.locality import LocalityIndex
from storage import models
from storage.db import Database
from storage.digests import DigestQueries, DigestScope
from storage.records import SubmissionRecord
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.moderation import (
    CLEAN,
    FIRE,
    GROUP,
    INSULT,
    PHONE,
    THREAT,
    UNSURE,
    Moderator,
    ScriptedAnalyzer,
    audit_rows,
    corrections,
    outbox,
    payloads,
    staff,
    submit,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DECIDE_COMMANDS = ("/duyet", "/hanche", "/spam", "/sua")

EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(db: Database, localities: LocalityIndex, clock: FrozenClock) -> EngineFactory:
    """Engines over the test database with the scripted analyzer."""

    def make(**options: object) -> Engine:
        return Engine(db.unit_of_work, localities, clock, VIETNAM, ScriptedAnalyzer(), **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def engine(make_engine: EngineFactory) -> Engine:
    """Moderators in their own chats (no moderator chats configured)."""
    return make_engine()


async def stored(db: Database, code: str) -> SubmissionRecord:
    async with db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(code)
    assert submission is not None
    return submission


async def conversation(db: Database, channel: str, external_id: str) -> tuple[object, ...]:
    row = models.Conversation
    async with db.engine.connect() as conn:
        found = await conn.execute(
            select(row.state, row.data, row.updated_at).where(
                row.channel == channel, row.external_id == external_id
            )
        )
        return tuple(found.one())


# --- the queue ---------------------------------------------------------------------------------


async def test_a_flagged_item_goes_to_each_moderator_with_evidence_and_no_personal_data(
    engine: Engine, db: Database
) -> None:
    await staff(db, engine, "5001", "moderator", channel="telegram")
    await staff(db, engine, "zalo-mod", "moderator", channel="zalo_bot")
    await staff(db, engine, "admin-1", "admin")  # admins are not asked while moderators exist
    resident = Resident(engine, "resident-1", "telegram")
    code, _ = await submit(resident, INSULT)

    submission = await stored(db, code)
    assert submission.review_state == "cho_duyet"
    copies = await outbox(db, "review:")
    assert [(c.key, c.channel, c.chat_id) for c in copies] == [
        (f"review:{submission.id}:telegram:5001", "telegram", "5001"),
        (f"review:{submission.id}:zalo_bot:zalo-mod", "zalo_bot", "zalo-mod"),
    ]
    for copy in copies:
        assert copy.subject == code and copy.edit_key is None
        assert payloads(copy.buttons)[:4] == [f"mod:{a}:{code}" for a in ("ok", "hc", "sp", "up")]
        assert all(len(p.encode()) <= 64 for p in payloads(copy.buttons))
        text = copy.text
        assert text.startswith(review_texts.QUEUE_HEADER.format(code=code))
        assert "«đm»" in text and "[SĐT]" in text and "số điện thoại" in text
        assert PHONE not in text and "0912" not in text
        # The resident's identity never shows: neither their chat id nor their pseudonym.
        author = await resident_person(db, resident)
        assert "resident-1" not in text and author not in text
    # Button-less channels say what to type; Telegram shows buttons instead.
    hint = review_texts.COMMANDS_HINT.format(code=code)
    assert copies[1].text.endswith(hint) and hint not in copies[0].text
    (created,) = await audit_rows(db, "submission.created")
    assert created[3]["review_state"] == "cho_duyet"


async def resident_person(db: Database, resident: Resident) -> str:
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(resident.user.channel, resident.user.external_id)
    assert person is not None
    return person.pseudonym


async def test_an_unsure_classification_is_queued_and_a_clean_confident_one_is_not(
    engine: Engine, db: Database
) -> None:
    await staff(db, engine, "mod-1", "moderator")
    clean, _ = await submit(Resident(engine, "r-clean"), CLEAN)
    unsure, _ = await submit(Resident(engine, "r-unsure"), UNSURE)
    assert (await stored(db, clean)).review_state is None
    assert (await stored(db, unsure)).review_state == "cho_duyet"
    (copy,) = await outbox(db, "review:")
    assert copy.subject == unsure
    assert review_texts.LOW_CONFIDENCE_LINE.format(topic="30%", kind="30%") in copy.text
    assert UNSURE in copy.text  # nothing to hide or mark in it


async def test_without_moderators_the_admins_get_the_queue(engine: Engine, db: Database) -> None:
    await staff(db, engine, "admin-1", "admin")
    await staff(db, engine, "officer-1", "officer")
    code, _ = await submit(Resident(engine), INSULT)
    assert [(c.chat_id, c.subject) for c in await outbox(db, "review:")] == [("admin-1", code)]


async def test_configured_moderator_chats_replace_the_private_copies(
    make_engine: EngineFactory, db: Database
) -> None:
    engine = make_engine(moderator_chats=[("telegram", GROUP), ("zalo_bot", "zalo-group")])
    await staff(db, engine, "mod-1", "moderator")
    await submit(Resident(engine), INSULT)
    copies = await outbox(db, "review:")
    assert [(c.channel, c.chat_id) for c in copies] == [
        ("telegram", GROUP),
        ("zalo_bot", "zalo-group"),
    ]


# --- decisions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "state", "restricted", "status"),
    [
        ("ok", "duyet", False, "da_tiep_nhan"),
        ("hc", "han_che", True, "da_tiep_nhan"),
        ("sp", "spam", False, "da_dong"),
        ("up", "chuyen_cap_tren", False, "chuyen_cap_tren"),
    ],
)
async def test_each_decision_from_a_group_has_its_effects_and_one_audit_row(
    make_engine: EngineFactory,
    db: Database,
    clock: FrozenClock,
    action: str,
    state: str,
    restricted: bool,
    status: str,
) -> None:
    engine = make_engine(moderator_chats=[("telegram", GROUP), ("zalo_bot", "zalo-group")])
    lan = await staff(db, engine, "5001", "moderator", channel="telegram")
    resident = Resident(engine, "resident-1", "telegram")
    code, _ = await submit(resident, INSULT)
    clock.advance(minutes=5)
    before_audit = len(await audit_rows(db))
    before_outbox = await outbox(db)

    replies = await lan.press_in(f"mod:{action}:{code}", chat_id=GROUP, message_id="41")

    submission = await stored(db, code)
    assert (submission.review_state, submission.restricted, submission.status) == (
        state,
        restricted,
        status,
    )
    assert submission.reviewed_at == clock()
    new_audit = (await audit_rows(db))[before_audit:]
    actor = await moderator_pseudonym(db, lan)
    assert new_audit == [
        (
            actor,
            "review.decided",
            code,
            {
                "before": {
                    "review_state": "cho_duyet",
                    "status": "da_tiep_nhan",
                    "restricted": False,
                },
                "after": {"review_state": state, "status": status, "restricted": restricted},
            },
        )
    ]
    # The presser's copy is replaced at once: the decision, by whom, when; no buttons left.
    (reply,) = lan.replies
    decided = review_texts.DECIDED.format(
        icon=review_texts.DECISION_ICONS[state],
        state=review_texts.REVIEW_STATES[state],
        actor=actor,
        at="09:35 21/11/2026",
    )
    assert reply.chat_id == GROUP and reply.edit_message_id == "41" and not reply.buttons
    assert replies == [reply.text] and reply.text.endswith(decided)
    # Every copy is edited through the outbox (the group copy the reply edits stays out only
    # once the channel recorded its message id; here none was sent yet).
    new_rows = (await outbox(db))[len(before_outbox) :]
    edits = [row for row in new_rows if row.key.startswith("review:")]
    assert [(row.channel, row.chat_id, row.edit_key) for row in edits] == [
        ("telegram", GROUP, f"review:{submission.id}:telegram:{GROUP}"),
        ("zalo_bot", "zalo-group", f"review:{submission.id}:zalo_bot:zalo-group"),
    ]
    assert all(row.text.endswith(decided) and row.buttons == [] for row in edits)
    # Only an escalation tells the resident (the answer loop's notice, on their channel).
    to_resident = [row for row in new_rows if row.chat_id == "resident-1"]
    assert len(to_resident) == (1 if action == "up" else 0)
    if to_resident:
        assert code in to_resident[0].text


async def moderator_pseudonym(db: Database, moderator: Moderator) -> str:
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(moderator.user.channel, moderator.user.external_id)
    assert person is not None
    return person.pseudonym


async def test_a_press_on_a_decided_item_changes_nothing_and_says_who_decided(
    engine: Engine, db: Database, clock: FrozenClock
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    minh = await staff(db, engine, "mod-2", "moderator")
    code, _ = await submit(Resident(engine), INSULT)
    await lan.press_in(f"mod:hc:{code}")
    audit_before, outbox_before = await audit_rows(db), await outbox(db)
    clock.advance(hours=1)
    for payload in (f"mod:ok:{code}", f"mod:sp:{code}", f"mod:lt:{code}", f"mod:t:{code}:y_te"):
        assert await minh.press_in(payload) == [
            review_texts.STALE.format(
                code=code,
                actor=await moderator_pseudonym(db, lan),
                at="09:30 21/11/2026",
                state="Hạn chế",
            )
        ]
    assert await audit_rows(db) == audit_before and await outbox(db) == outbox_before
    submission = await stored(db, code)
    assert (submission.review_state, submission.topic) == ("han_che", "moi_truong")
    assert await corrections(db) == []


@pytest.mark.parametrize("role", [None, "resident", "officer"])
async def test_only_moderators_and_admins_may_press_or_type_decisions(
    engine: Engine, db: Database, role: str | None
) -> None:
    await staff(db, engine, "mod-1", "moderator")
    code, _ = await submit(Resident(engine), INSULT)
    someone = Moderator(engine, "someone")
    if role == "resident":
        await someone.act(("cmd", "start"))
        await someone.act(("press", "consent:yes"))
    elif role == "officer":
        someone = await staff(db, engine, "someone", "officer")
    audit_before, outbox_before = await audit_rows(db), await outbox(db)
    assert await someone.press_in(f"mod:ok:{code}", chat_id=GROUP) == [review_texts.REFUSED]
    assert await someone.command_in(GROUP, "duyet", code) == [
        texts.ROLE_REFUSED.format(command="duyet")
    ]
    assert await someone.act(("cmd", "sua", f"{code} linhvuc=y_te")) == [
        texts.ROLE_REFUSED.format(command="sua")
    ]
    assert (await stored(db, code)).review_state == "cho_duyet"
    assert await audit_rows(db) == audit_before and await outbox(db) == outbox_before


async def test_moderating_from_a_group_leaves_the_moderators_own_draft_alone(
    engine: Engine, db: Database
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    code, _ = await submit(Resident(engine), INSULT)
    await lan.act(("press", "kind:gop_y"))
    await lan.act(("say", "Một góp ý đang viết dở của chính kiểm duyệt viên, chưa gửi."))
    before = await conversation(db, "test", "mod-1")
    await lan.press_in(f"mod:lt:{code}", chat_id=GROUP)
    await lan.press_in(f"mod:t:{code}:y_te", chat_id=GROUP)
    await lan.command_in(GROUP, "truc", "bat")
    await lan.act(("cmd", "duyet", code))  # in their own chat, mid-draft
    assert await conversation(db, "test", "mod-1") == before
    assert (await stored(db, code)).review_state == "duyet"
    # The draft goes on where it was.
    assert await lan.act(("press", "att:done")) == [texts.ASK_LOCALITY]


async def test_spam_is_left_out_of_digests(
    engine: Engine, db: Database, clock: FrozenClock
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    code, _ = await submit(Resident(engine, "r-1"), INSULT)
    await submit(Resident(engine, "r-2"), CLEAN)
    queries = DigestQueries(db)
    start, end = clock() - timedelta(days=1), clock() + timedelta(days=1)
    assert (await queries.counts(DigestScope(), start, end, clock())).total == 2
    await lan.act(("cmd", "spam", code))
    assert (await queries.counts(DigestScope(), start, end, clock())).total == 1
    listed = [item.code async for item in queries.items(DigestScope(), start, end)]
    assert code not in listed and len(listed) == 1


# --- corrections -------------------------------------------------------------------------------


async def test_correcting_labels_by_buttons_keeps_the_review_open(
    engine: Engine, db: Database
) -> None:
    lan = await staff(db, engine, "5001", "moderator", channel="telegram")
    await staff(db, engine, "mod-2", "moderator", channel="zalo_bot")
    code, _ = await submit(Resident(engine), INSULT)

    await lan.press_in(f"mod:lt:{code}", message_id="9")
    (topics,) = lan.replies
    assert topics.edit_message_id == "9"
    assert topics.text == review_texts.CHOOSE_TOPIC.format(
        code=code, current=taxonomy.TOPICS["moi_truong"]
    )
    assert [b.payload for b in topics.flat_buttons] == [
        *(f"mod:t:{code}:{topic}" for topic in taxonomy.TOPICS),
        f"mod:back:{code}",
    ]
    await lan.press_in(f"mod:back:{code}", message_id="9")
    assert lan.replies[0].flat_buttons[0].payload == f"mod:ok:{code}"
    audit_before = len(await audit_rows(db))

    await lan.press_in(f"mod:t:{code}:y_te", message_id="9")
    submission = await stored(db, code)
    assert (submission.topic, submission.review_state) == ("y_te", "cho_duyet")
    assert await corrections(db) == [("topic", "moi_truong", "y_te")]
    actor = await moderator_pseudonym(db, lan)
    assert (await audit_rows(db))[audit_before:] == [
        (
            actor,
            "review.corrected",
            code,
            {
                "before": {"topic": "moi_truong", "restricted": False},
                "after": {"topic": "y_te", "restricted": False},
            },
        )
    ]
    (shown,) = lan.replies
    assert taxonomy.TOPICS["y_te"] in shown.text and shown.flat_buttons[0].label == "Duyệt"
    edits = [row for row in await outbox(db, "review:") if row.edit_key]
    assert {row.chat_id for row in edits} == {"5001", "mod-2"}
    assert all(taxonomy.TOPICS["y_te"] in row.text and row.buttons for row in edits)

    # A denunciation is restricted by rule.
    await lan.press_in(f"mod:lk:{code}", message_id="9")
    assert len(lan.replies[0].flat_buttons) == len(taxonomy.KINDS) + len(taxonomy.EXTRA_KINDS) + 1
    await lan.press_in(f"mod:k:{code}:to_cao", message_id="9")
    submission = await stored(db, code)
    assert (submission.kind, submission.restricted, submission.review_state) == (
        "to_cao",
        True,
        "cho_duyet",
    )
    assert (await corrections(db))[-1] == ("kind", "phan_anh", "to_cao")
    # The second edit of each copy replaces the first.
    second = [row for row in await outbox(db, "review:") if row.key.endswith(":edit:2")]
    assert {row.edit_key for row in second} == {
        f"review:{submission.id}:telegram:5001:edit:1",
        f"review:{submission.id}:zalo_bot:mod-2:edit:1",
    }


async def test_sua_accepts_codes_and_names_without_diacritics(engine: Engine, db: Database) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    code, _ = await submit(Resident(engine), INSULT)
    (reply,) = await lan.act(("cmd", "sua", f"{code.lower()} linhvuc=Y te loai=kien_nghi"))
    assert reply == "\n".join(
        [
            review_texts.CORRECTED.format(
                field="lĩnh vực",
                code=code,
                before=taxonomy.TOPICS["moi_truong"],
                after=taxonomy.TOPICS["y_te"],
            ),
            review_texts.CORRECTED_SAME.format(
                field="Loại", code=code, value=taxonomy.KINDS["phan_anh"]
            ),
        ]
    )
    assert await corrections(db) == [("topic", "moi_truong", "y_te")]
    assert len(await audit_rows(db, "review.corrected")) == 1
    (reply,) = await lan.act(("cmd", "sua", f"{code} loai=tố cáo"))
    assert reply.endswith(review_texts.RESTRICTED_BY_RULE)
    assert (await stored(db, code)).restricted


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", "usage"),
        ("YK-ABCDEF linhvuc=y_te", review_texts.NOT_FOUND.format(code="YK-ABCDEF")),
        ("không-phải-mã linhvuc=y_te", review_texts.NOT_FOUND.format(code="không-phải-mã")),
        ("{code}", "usage"),
        ("{code} chuyen sang y te", "usage"),
        ("{code} linhvuc=vu tru", "unknown:lĩnh vực:vu tru"),
        ("{code} linhvuc=y_te loai=kien", "unknown:loại:kien"),
    ],
)
async def test_sua_errors_change_nothing(
    engine: Engine, db: Database, args: str, expected: str
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    code, _ = await submit(Resident(engine), INSULT)
    audit_before = await audit_rows(db)
    (reply,) = await lan.act(("cmd", "sua", args.format(code=code)))
    usage = lan.engine.officers.review.fix_usage()
    if expected == "usage":
        assert reply == usage
    elif expected.startswith("unknown:"):
        _, field, value = expected.split(":")
        assert reply == review_texts.FIX_UNKNOWN.format(field=field, value=value) + "\n" + usage
    else:
        assert reply == expected
    assert await corrections(db) == [] and await audit_rows(db) == audit_before
    assert (await stored(db, code)).topic == "moi_truong"


# --- commands ----------------------------------------------------------------------------------


async def test_decision_commands_answer_clearly(
    engine: Engine, db: Database, clock: FrozenClock
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    flagged, _ = await submit(Resident(engine, "r-1"), INSULT)
    clean, _ = await submit(Resident(engine, "r-2"), CLEAN)
    assert await lan.act(("cmd", "duyet", "")) == [
        review_texts.DECIDE_USAGE.format(command="duyet")
    ]
    assert await lan.act(("cmd", "hanche", "YK-ABCDEF")) == [
        review_texts.NOT_FOUND.format(code="YK-ABCDEF")
    ]
    assert await lan.act(("cmd", "spam", clean)) == [
        review_texts.NOT_IN_QUEUE.format(code=clean, status="Đã tiếp nhận")
    ]
    assert await lan.act(("cmd", "hanche", flagged.replace("-", " "))) == [
        review_texts.DECISION_DONE.format(icon="🔒", code=flagged, state="Hạn chế")
    ]
    clock.advance(minutes=1)
    assert await lan.act(("cmd", "duyet", flagged)) == [
        review_texts.STALE.format(
            code=flagged,
            actor=await moderator_pseudonym(db, lan),
            at="09:30 21/11/2026",
            state="Hạn chế",
        )
    ]
    assert [row[1] for row in await audit_rows(db, "review.")] == ["review.decided"]
    assert (await stored(db, clean)).review_state is None


async def test_chuyen_typed_by_a_moderator_is_the_review_decision_while_awaiting(
    engine: Engine, db: Database
) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    flagged, _ = await submit(Resident(engine, "r-1"), INSULT)
    clean, _ = await submit(Resident(engine, "r-2"), CLEAN)
    assert await lan.act(("cmd", "chuyen", flagged)) == [
        review_texts.DECISION_DONE.format(icon="⬆️", code=flagged, state="Chuyển cấp trên")
    ]
    escalated = await stored(db, flagged)
    assert (escalated.review_state, escalated.status) == ("chuyen_cap_tren", "chuyen_cap_tren")
    # One decision, one audit row (the status change is inside it), not a second status row.
    assert [row[1] for row in await audit_rows(db, "review.")] == ["review.decided"]
    assert await audit_rows(db, "submission.status") == []
    # Not awaiting review: the answer loop's /chuyen, with its own audit row.
    await lan.act(("cmd", "chuyen", clean))
    assert (await stored(db, clean)).status == "chuyen_cap_tren"
    assert len(await audit_rows(db, "submission.status")) == 1


# --- urgent items and duty ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [FIRE, THREAT])
async def test_urgent_items_alert_moderators_and_tell_the_resident_whom_to_call(
    make_engine: EngineFactory, db: Database, text: str
) -> None:
    engine = make_engine(moderator_chats=[("telegram", GROUP)])
    on_duty = await staff(db, engine, "mod-on", "moderator")
    await staff(db, engine, "mod-off", "moderator")
    assert await on_duty.act(("cmd", "truc", "bat")) == [review_texts.DUTY_TURNED_ON]
    code, replies = await submit(Resident(engine), text)
    assert replies[-1].startswith(texts.EMERGENCY_ADVICE)
    for number in ("113", "114", "115"):
        assert number in texts.EMERGENCY_ADVICE
    submission = await stored(db, code)
    alerts = await outbox(db, "urgent:")
    assert [(a.key, a.chat_id) for a in alerts] == [
        (f"urgent:{submission.id}:telegram:{GROUP}", GROUP),
        (f"urgent:{submission.id}:test:mod-on", "mod-on"),
    ]
    flag = "khẩn cấp" if text == FIRE else "đe dọa"
    header = review_texts.URGENT_HEADER.format(code=code, flags=flag)
    assert all(a.text.startswith(header) and a.subject == code for a in alerts)
    # The queue still gets its copy, with buttons.
    assert [c.chat_id for c in await outbox(db, "review:")] == [GROUP]


async def test_when_nobody_is_on_duty_every_moderator_is_alerted(
    engine: Engine, db: Database
) -> None:
    await staff(db, engine, "mod-1", "moderator")
    await staff(db, engine, "mod-2", "moderator")
    await staff(db, engine, "admin-1", "admin")
    await submit(Resident(engine), FIRE)
    assert [a.chat_id for a in await outbox(db, "urgent:")] == ["mod-1", "mod-2"]


async def test_duty_is_shown_switched_and_audited(engine: Engine, db: Database) -> None:
    lan = await staff(db, engine, "mod-1", "moderator")
    assert await lan.act(("cmd", "truc", "")) == [review_texts.DUTY_IS_OFF]
    assert await lan.act(("cmd", "truc", "Bật")) == [review_texts.DUTY_TURNED_ON]
    assert await lan.act(("cmd", "truc", "on")) == [review_texts.DUTY_TURNED_ON]
    assert await lan.act(("cmd", "truc", "")) == [review_texts.DUTY_IS_ON]
    assert await lan.act(("cmd", "truc", "mai")) == [review_texts.DUTY_USAGE]
    assert await lan.act(("cmd", "truc", "off")) == [review_texts.DUTY_TURNED_OFF]
    rows = await audit_rows(db, "moderator.duty")
    assert [row[3] for row in rows] == [
        {"before": {"on_duty": False}, "after": {"on_duty": True}},
        {"before": {"on_duty": True}, "after": {"on_duty": False}},
    ]


def test_decide_commands_are_listed_in_the_usage_hint() -> None:
    hint = review_texts.COMMANDS_HINT.format(code="YK-ABCDEF")
    assert all(f"{command} YK-ABCDEF" in hint for command in DECIDE_COMMANDS)

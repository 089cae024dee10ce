"""Consultations on drafts through the real engine, on SQLite and PostgreSQL: listing, declaring
group and unit, browsing sections, positions with and without comments, changing them until the
close, the refusal after it, /gopy, the NLP on comments, subscriptions and announcements,
creation in chat, erasure, and the synthesis figures. Frozen clock: 09:30 21/11/2026."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.announcements import AnnouncementPlanner
from bot.consultation_reports import SynthesisPlanner
from config import consultation_chat as chat
from config import consultations as draft_texts
from config import review as review_texts
from config import texts
from config.consultations import STANCES
from handlers.consultation_setup import create_consultation
from handlers.intake import Engine
from handlers.messages import Attachment, Event, Incoming
from handlers.sections import DraftError, SplitDraft, split_text
from storage import models
from storage.consultation_records import ConsultationRecord, NewConsultation
from storage.db import Database
from storage.outbox import OutboxStore
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.integration.test_roles_chat import audit, consented, with_role
from tests.moderation import FIRE, outbox, staff

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DRAFT = """DỰ THẢO BÁO CÁO CHÍNH TRỊ
PHẦN THỨ NHẤT
ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020-2025
I. Về phát triển kinh tế
Kinh tế của phường tăng trưởng khá, thu ngân sách vượt kế hoạch. Hạ tầng đô thị được đầu tư.
II. Về văn hóa - xã hội
Công tác chăm lo người có công, hộ nghèo được quan tâm; tỷ lệ hộ nghèo giảm còn 0,5%.
PHẦN THỨ HAI
MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025-2030
I. Mục tiêu tổng quát
Xây dựng phường văn minh, hiện đại, nghĩa tình; nâng cao đời sống vật chất và tinh thần.
"""
pytestmark = pytest.mark.usefixtures("units")


async def new_consultation(
    db: Database, clock: FrozenClock, **overrides: object
) -> ConsultationRecord:
    """A consultation of Phường Bến Thành's committee, open since an hour, for two days."""
    fields: dict[str, object] = {
        "title": "Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường nhiệm kỳ 2025-2030",
        "issuer": "Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh",
        "unit_code": "hcm",
        "opens_at": clock.now - timedelta(hours=1),
        "closes_at": clock.now + timedelta(days=2),
        "created_by": "cli",
        "report_due": (clock.now + timedelta(days=5)).astimezone(VIETNAM).date(),
    }
    fields.update(overrides)
    async with db.unit_of_work() as uow:
        consultation = await create_consultation(
            uow,
            NewConsultation(**fields),  # type: ignore[arg-type]
            split_text(DRAFT).sections,
            clock.now,
            whole_label=chat.MENU_WHOLE,
        )
        await uow.commit()
    return consultation


async def comments(db: Database) -> list[Any]:
    """Every comment row (plain rows: they outlive the session), in id order."""
    table = models.ConsultationComment.__table__
    async with db.unit_of_work() as uow:
        return list(await uow.session.execute(select(table).order_by(table.c.id)))


def local(moment: object) -> str:
    return moment.astimezone(VIETNAM).strftime(texts.DATETIME_FORMAT)  # type: ignore[attr-defined]


async def enter(resident: Resident, consultation: ConsultationRecord, group: str) -> list[str]:
    """/duthao, choose the consultation, declare the group: returns the menu's replies."""
    listed = await resident.act(("cmd", "duthao"))
    assert listed == [chat.LIST]
    assert resident.replies[0].buttons[0][0].payload == f"gy:open:{consultation.id}"
    assert await resident.act(("press", f"gy:open:{consultation.id}")) == [chat.ASK_GROUP]
    return await resident.act(("press", f"gy:grp:{group}"))


async def test_position_with_comment_then_changed_before_the_close(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    consultation = await new_consultation(db, clock)
    resident = await consented(engine, "gy-1")
    menu = await enter(resident, consultation, "nong_dan")
    assert menu == [
        chat.MENU.format(
            title=consultation.title,
            issuer=consultation.issuer,
            closes=local(consultation.closes_at),
            given=0,
            total=6,  # the whole draft and the five headed sections
        )
    ]
    labels = [row[0].label for row in resident.replies[0].buttons[:5]]
    assert (
        labels
        == [
            chat.MENU_WHOLE,
            "PHẦN THỨ NHẤT. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020-2025",
            "I. Về phát triển kinh tế",
            "II. Về văn hóa - xã hội",
            "PHẦN THỨ HAI. MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025-2030",
        ][: len(labels)]
    )

    section = await resident.act(("press", "gy:sec:2"))
    assert "Kinh tế của phường tăng trưởng khá" in section[0]
    assert section[0].endswith(chat.ASK_STANCE)
    payloads = [b.payload for row in resident.replies[0].buttons for b in row]
    assert payloads[:3] == [f"gy:st:{code}" for code in STANCES]

    asked = await resident.act(("press", "gy:st:tan_thanh_mot_phan"))
    assert asked[0].startswith("Bạn chọn: Tán thành một phần.")
    comment = "Đề nghị bổ sung đánh giá về hạ tầng thoát nước, liên hệ tôi 0903 123 456."
    saved = await resident.act(("say", comment))
    assert saved[0] == chat.SAVED.format(
        label="I. Về phát triển kinh tế",
        stance="Tán thành một phần",
        comment=chat.WITH_COMMENT,
        closes=local(consultation.closes_at),
    )
    assert saved[1].startswith(chat.MENU.split("{")[0])  # back to the section list

    [row] = await comments(db)
    assert (row.stance, row.text, row.target_group) == ("tan_thanh_mot_phan", comment, "nong_dan")
    # A farmer commenting on the city committee's draft is counted under the farmers' union.
    assert row.unit_code == "hcm-hoi-nong-dan"
    assert "0903 123 456" not in (row.redacted or "") and "[SĐT]" in (row.redacted or "")
    assert "pii" in row.flags and row.restricted is False
    assert row.cluster_id is not None and row.channel == "test"

    # Changed before the close: the same row, the comment kept on request.
    section = await resident.act(("press", "gy:sec:2"))
    assert "Ý kiến hiện tại của bạn: Tán thành một phần" in section[0]
    await resident.act(("press", "gy:st:tan_thanh"))
    assert resident.replies[0].buttons[0][0].payload == "gy:keep"
    changed = await resident.act(("press", "gy:keep"))
    assert changed[0] == chat.CHANGED.format(
        label="I. Về phát triển kinh tế",
        stance="Tán thành",
        comment=chat.WITH_COMMENT,
        closes=local(consultation.closes_at),
    )
    [row] = await comments(db)
    assert (row.stance, row.text) == ("tan_thanh", comment)

    # A re-delivered update changes nothing and answers nothing.
    assert await resident.redeliver() == []
    assert len(await comments(db)) == 1

    # The whole draft: a position without a comment.
    await resident.act(("press", "gy:sec:0"))
    await resident.act(("press", "gy:st:khong_tan_thanh"))
    saved = await resident.act(("press", "gy:nocomment"))
    assert saved[0] == chat.SAVED.format(
        label=chat.MENU_WHOLE,
        stance="Không tán thành",
        comment="",
        closes=local(consultation.closes_at),
    )
    assert [(r.stance, r.text, r.cluster_id) for r in await comments(db)][1] == (
        "khong_tan_thanh",
        None,
        None,
    )
    done = await resident.act(("press", "gy:done"))
    assert done == [
        chat.DONE.format(title=consultation.title, given=2, closes=local(consultation.closes_at))
    ]


async def test_an_urgent_comment_alerts_the_moderators_at_once(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    consultation = await new_consultation(db, clock)
    on_duty = await staff(db, engine, "mod-on", "moderator")
    await staff(db, engine, "mod-off", "moderator")
    await on_duty.act(("cmd", "truc", "bat"))
    resident = await consented(engine, "gy-urgent")
    await enter(resident, consultation, "nong_dan")
    await resident.act(("press", "gy:sec:2"))
    await resident.act(("press", "gy:st:tan_thanh"))
    saved = await resident.act(("say", FIRE + " Gọi tôi 0903 123 456."))
    assert saved[0].startswith(texts.EMERGENCY_ADVICE)
    [row] = await comments(db)
    [alert] = await outbox(db, "urgent-comment:")
    assert (alert.key, alert.chat_id) == (f"urgent-comment:{row.id}:test:mod-on", "mod-on")
    header = review_texts.URGENT_COMMENT_HEADER.format(
        flags="khẩn cấp", title=consultation.title, section="I. Về phát triển kinh tế"
    )
    assert alert.text.startswith(header) and alert.subject == f"comment:{row.id}"
    assert "cháy lớn" in alert.text and "0903 123 456" not in alert.text  # redacted
    # Kept as it was: no second alert; an ordinary comment raises none.
    await resident.act(("press", "gy:sec:2"))
    await resident.act(("press", "gy:st:khong_tan_thanh"))
    await resident.act(("press", "gy:keep"))
    await resident.act(("press", "gy:sec:3"))
    await resident.act(("press", "gy:st:tan_thanh"))
    await resident.act(("say", "Đề nghị nói rõ hơn về chăm lo người có công."))
    assert len(await outbox(db, "urgent-comment:")) == 1


async def test_after_the_close_a_polite_refusal_and_nothing_stored(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    consultation = await new_consultation(db, clock)
    resident = await consented(engine, "gy-2")
    await enter(resident, consultation, "cong_nhan")
    await resident.act(("press", "gy:sec:3"))
    await resident.act(("press", "gy:st:tan_thanh"))
    clock.advance(days=3)
    closed = chat.CLOSED.format(title=consultation.title, closes=local(consultation.closes_at))
    assert await resident.act(("say", "Tôi đồng ý với phần này.")) == [closed]
    assert await comments(db) == []
    # Back to the ordinary conversation; /gopy and /duthao say the same or that none is open.
    assert await resident.act(("cmd", "gopy", f"{consultation.id} 3 1")) == [closed]
    assert await resident.act(("cmd", "duthao")) == [chat.NONE_OPEN]
    assert await comments(db) == []


async def test_not_yet_open_unknown_and_audience(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    later = await new_consultation(
        db, clock, opens_at=clock.now + timedelta(days=1), closes_at=clock.now + timedelta(days=3)
    )
    resident = await consented(engine, "gy-3")
    assert await resident.act(("cmd", "duthao", str(later.id))) == [
        chat.NOT_OPEN_YET.format(title=later.title, opens=local(later.opens_at))
    ]
    assert await resident.act(("cmd", "duthao", "999")) == [chat.NOT_FOUND.format(id=999)]
    veterans = await new_consultation(db, clock, audience_groups=("cuu_chien_binh",))
    assert await resident.act(("cmd", "duthao", str(veterans.id))) == [chat.ASK_GROUP_AUDIENCE]
    payloads = [b.payload for row in resident.replies[0].buttons for b in row]
    assert payloads == ["gy:grp:cuu_chien_binh", "gy:grp:-"]
    refused = await resident.act(("press", "gy:grp:-"))
    assert refused == [chat.NOT_IN_AUDIENCE.format(title=veterans.title, audience="Cựu chiến binh")]
    assert await comments(db) == []


async def test_quick_form_and_bad_input(db: Database, engine: Engine, clock: FrozenClock) -> None:
    consultation = await new_consultation(db, clock)
    resident = await consented(engine, "gy-4")
    for args in ("", "abc", f"{consultation.id} 2", f"{consultation.id} 2 maybe"):
        assert await resident.act(("cmd", "gopy", args)) == [chat.QUICK_USAGE]
    assert await resident.act(("cmd", "gopy", f"{consultation.id} 42 1")) == [
        chat.QUICK_NO_SECTION.format(title=consultation.title, position=42, id=consultation.id)
    ]
    too_long = "a" * (chat.COMMENT_MAX_CHARS + 1)
    assert await resident.act(("cmd", "gopy", f"{consultation.id} 2 1 {too_long}")) == [
        chat.COMMENT_TOO_LONG.format(length=len(too_long), limit=chat.COMMENT_MAX_CHARS)
    ]
    assert await comments(db) == []
    saved = await resident.act(("cmd", "gopy", f"{consultation.id} 2 khong tan thanh"))
    assert saved == [
        chat.SAVED.format(
            label="I. Về phát triển kinh tế",
            stance="Không tán thành",
            comment="",
            closes=local(consultation.closes_at),
        )
    ]
    saved = await resident.act(
        ("cmd", "gopy", f"{consultation.id} 2 3 Cần nói rõ hơn về nguồn lực.")
    )
    assert saved[0].startswith("Đã cập nhật ý kiến của bạn về «I. Về phát triển kinh tế»: Tán")
    [row] = await comments(db)
    assert (row.stance, row.text) == ("tan_thanh_mot_phan", "Cần nói rõ hơn về nguồn lực.")
    # Without a declared group the comment counts under the issuing unit.
    assert (row.target_group, row.unit_code) == (None, "hcm")


async def test_synthesis_counts_themes_and_restricted(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    consultation = await new_consultation(db, clock)
    flood = [
        "Đề nghị bổ sung giải pháp chống ngập đường Nguyễn Trãi mỗi khi mưa lớn",
        "De nghi bo sung giai phap chong ngap duong Nguyen Trai moi khi mua lon",
        "Đề nghị bổ sung giải pháp chống ngập đường Nguyễn Trãi khi mưa lớn kéo dài",
    ]
    for index, text in enumerate(flood):
        resident = await consented(engine, f"gy-s{index}")
        await resident.act(("cmd", "gopy", f"{consultation.id} 2 3 {text}"))
    insult = await consented(engine, "gy-s9")
    await insult.act(
        ("cmd", "gopy", f"{consultation.id} 2 2 Bọn cán bộ phường là lũ ăn hại, đồ khốn nạn")
    )
    rows = await comments(db)
    assert len(rows) == 4
    assert len({row.cluster_id for row in rows[:3]}) == 1
    assert rows[3].restricted is True

    async with db.unit_of_work() as uow:
        summary = await uow.consultations.summary(
            consultation.id,
            stances=tuple(STANCES),
            themes=5,
            min_theme_size=2,
            unit_names={},
            at=clock.now,
        )
    assert summary is not None
    assert (summary.participants, summary.comments, summary.with_text) == (4, 4, 4)
    assert summary.restricted == 1
    assert summary.stances == {"tan_thanh": 0, "khong_tan_thanh": 1, "tan_thanh_mot_phan": 3}
    section = next(s for s in summary.sections if s.section.position == 2)
    assert section.stances == summary.stances and section.with_text == 4
    [theme] = section.themes
    assert theme.size == 3 and theme.stances["tan_thanh_mot_phan"] == 3
    assert theme.representative == flood[0]
    assert section.by_unit == {"hcm": summary.stances}
    others = [s for s in summary.sections if s.section.position != 2]
    assert all(sum(s.stances.values()) == 0 and not s.themes for s in others)


async def test_subscriptions_and_the_announcement_queued_once(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    first, second, third = [await consented(engine, f"gy-a{i}") for i in range(3)]
    assert await first.act(("cmd", "dangky")) == [
        chat.SUBSCRIBED.format(place=chat.PLACE_EVERYWHERE, version=chat.NOTICE_VERSION)
    ]
    assert await first.act(("cmd", "dangky")) == [
        chat.ALREADY_SUBSCRIBED.format(place=chat.PLACE_EVERYWHERE)
    ]
    await second.act(("cmd", "dangky"))
    await third.act(("cmd", "dangky"))
    assert await third.act(("cmd", "huydangky")) == [chat.UNSUBSCRIBED]
    assert await third.act(("cmd", "huydangky")) == [chat.NOT_SUBSCRIBED]
    actions = [(action, details) for _, action, _, details in await audit(db)]
    assert (
        actions.count(
            ("consent.given", {"purpose": "announcements", "version": chat.NOTICE_VERSION})
        )
        == 3
    )
    assert [a for a, _ in actions].count("consent.withdrawn") == 1

    consultation = await new_consultation(
        db,
        clock,
        opens_at=clock.now + timedelta(hours=1),
        announcement="Mời bà con góp ý dự thảo.",
    )
    planner = AnnouncementPlanner(db, VIETNAM)
    outbox = OutboxStore(db)
    assert await planner.plan(clock.now, clock.now, outbox) == []  # not open yet
    clock.advance(hours=2)
    await planner.plan(clock.now, clock.now, outbox)
    await planner.plan(clock.now, clock.now, outbox)  # a second sweep queues nothing more
    async with db.unit_of_work() as uow:
        outbox_table = models.OutboxMessage.__table__
        rows = list(await uow.session.execute(select(outbox_table).order_by(outbox_table.c.id)))
    assert sorted(row.chat_id for row in rows) == ["gy-a0", "gy-a1"]
    assert rows[0].text == chat.ANNOUNCEMENT.format(
        title=consultation.title,
        announcement="Mời bà con góp ý dự thảo.",
        issuer=consultation.issuer,
        audience=chat.EVERYONE,
        closes=local(consultation.closes_at),
        id=consultation.id,
    )
    assert rows[0].buttons == [[[chat.BUTTON_ANNOUNCEMENT, f"gy:open:{consultation.id}"]]]
    # The button opens the consultation from any state, here in the middle of a submission.
    await first.act(("say", "Đường Lê Lợi bị ngập nặng mỗi khi mưa, đề nghị phường xử lý."))
    assert await first.act(("press", f"gy:open:{consultation.id}")) == [chat.ASK_GROUP]


async def test_the_announcement_says_who_asks_and_for_whom(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    resident = await consented(engine, "gy-aud")
    await resident.act(("cmd", "dangky"))
    consultation = await new_consultation(
        db,
        clock,
        opens_at=clock.now + timedelta(hours=1),
        audience_groups=("nong_dan",),
        audience_units=("hcm-ben-thanh", "gone-unit"),
        announcement="Mời hội viên nông dân góp ý.",
    )
    clock.advance(hours=2)
    await AnnouncementPlanner(db, VIETNAM).plan(clock.now, clock.now, OutboxStore(db))
    async with db.unit_of_work() as uow:
        table = models.OutboxMessage.__table__
        [row] = list(await uow.session.execute(select(table)))
    # Units by name; a code no longer in the unit tree as it is.
    assert row.text == chat.ANNOUNCEMENT.format(
        title=consultation.title,
        announcement="Mời hội viên nông dân góp ý.",
        issuer=consultation.issuer,
        audience="Nông dân, Ủy ban MTTQ Việt Nam Phường Bến Thành, gone-unit",
        closes=local(consultation.closes_at),
        id=consultation.id,
    )
    assert "\nĐối tượng: Nông dân, Ủy ban MTTQ Việt Nam Phường Bến Thành, gone-unit.\n" in row.text


async def subscription_rows(db: Database) -> list[Any]:
    """Every subscription row, by person."""
    table = models.Subscription.__table__
    async with db.unit_of_work() as uow:
        return list(await uow.session.execute(select(table).order_by(table.c.person_id)))


async def test_dangky_takes_a_place_and_refuses_an_unknown_one_storing_nothing(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    resident = await consented(engine, "gy-place")
    ben_thanh = engine.localities.get("26743")
    assert ben_thanh is not None
    at_ben_thanh = chat.PLACE_AT.format(label=ben_thanh.label)

    assert await resident.act(("cmd", "dangky", "Xyzzy Qwerty")) == [
        chat.PLACE_NOT_FOUND.format(query="Xyzzy Qwerty")
    ]
    assert await subscription_rows(db) == []

    assert await resident.act(("cmd", "dangky", "phường Bến Thành, Hồ Chí Minh")) == [
        chat.SUBSCRIBED.format(place=at_ben_thanh, version=chat.NOTICE_VERSION)
    ]
    [row] = await subscription_rows(db)
    assert (row.locality_code, row.province_code) == ("26743", "79")
    assert await resident.act(("cmd", "dangky", "Bến Thành")) == [
        chat.ALREADY_SUBSCRIBED.format(place=at_ben_thanh)
    ]

    # An ambiguous name offers the candidates; a typed number picks one, moving the place.
    assert await resident.act(("cmd", "dangky", "Sài Gòn")) == [chat.PLACE_CHOOSE]
    labels = [button.label for row in resident.replies[0].buttons for button in row]
    assert labels[-1] == chat.BUTTON_EVERYWHERE
    number = labels.index("Phường Sài Gòn, Thành phố Hồ Chí Minh") + 1
    sai_gon = chat.PLACE_AT.format(label="Phường Sài Gòn, Thành phố Hồ Chí Minh")
    assert await resident.act(("say", str(number))) == [chat.PLACE_CHANGED.format(place=sai_gon)]
    assert await resident.act(("cmd", "dangky")) == [
        chat.PLACE_CHANGED.format(place=chat.PLACE_EVERYWHERE)
    ]
    [row] = await subscription_rows(db)
    assert (row.locality_code, row.province_code, row.notice_version) == (
        None,
        None,
        chat.NOTICE_VERSION,
    )
    # One consent, however often the place moved.
    given = [d for _, a, _, d in await audit(db) if a == "consent.given"]
    assert [d.get("purpose") for d in given].count("announcements") == 1
    # The offer is gone once a place is chosen: its button is stale and changes nothing.
    assert (await resident.act(("press", "sub:loc:79")))[0] == texts.STALE_BUTTON
    assert [(r.locality_code, r.province_code) for r in await subscription_rows(db)] == [
        (None, None)
    ]


async def test_an_announcement_reaches_the_subscribers_of_its_area(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    places = {
        "everywhere": "",
        "ben-thanh": "phường Bến Thành, Hồ Chí Minh",
        "sai-gon": "phường Sài Gòn, Hồ Chí Minh",
        "hcm": "Hồ Chí Minh",
        "ba-dinh": "phường Ba Đình, Hà Nội",
    }
    for name, place in places.items():
        resident = await consented(engine, f"gy-area-{name}")
        [reply] = await resident.act(("cmd", "dangky", place))
        assert reply.startswith(chat.SUBSCRIBED.split("(")[0]), reply
    planner, outbox = AnnouncementPlanner(db, VIETNAM), OutboxStore(db)

    async def reached(**audience: object) -> list[str]:
        consultation = await new_consultation(
            db, clock, opens_at=clock.now, announcement="Mời bà con góp ý.", **audience
        )
        await planner.plan(clock.now, clock.now, outbox)
        table = models.OutboxMessage.__table__
        async with db.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(table.c.chat_id).where(table.c.subject == f"gy:{consultation.id}")
            )
        return sorted(row.chat_id.removeprefix("gy-area-") for row in rows)

    assert await reached(unit_code="hcm") == ["ben-thanh", "everywhere", "hcm", "sai-gon"]
    assert await reached(unit_code="hcm-ben-thanh") == ["ben-thanh", "everywhere"]
    # A member organisation carries its committee's area; audience units narrow the issuer's.
    assert await reached(unit_code="hcm-hoi-nong-dan") == [
        "ben-thanh",
        "everywhere",
        "hcm",
        "sai-gon",
    ]
    assert await reached(unit_code="hcm", audience_units=("hcm-sai-gon",)) == [
        "everywhere",
        "sai-gon",
    ]
    # A body without a locality (national), or none at all, reaches every subscriber.
    assert await reached(unit_code=None) == sorted(places)


async def test_officer_creates_in_chat_with_a_deadline(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    resident = await consented(engine, "gy-r")
    assert await resident.act(("cmd", "taoduthao")) == [
        texts.ROLE_REFUSED.format(command="taoduthao")
    ]
    officer = await with_role(db, engine, "gy-o", "officer", "hcm-ben-thanh")
    assert await officer.act(("cmd", "taoduthao")) == [chat.CREATE_FORM]
    bad = "Tiêu đề: Dự thảo X\nĐóng: 31/02/2026 17:00"
    assert await officer.act(("cmd", "taoduthao", bad)) == [
        chat.FORM_BAD_DATETIME.format(value="31/02/2026 17:00")
    ]
    past = "Tiêu đề: Dự thảo X\nĐóng: 01/11/2026 17:00"
    assert (await officer.act(("cmd", "taoduthao", past)))[0].startswith("Thời điểm đóng (")
    form = (
        "Tiêu đề: Dự thảo Báo cáo chính trị phường Bến Thành\n"
        "Đóng: 20/12/2026 17:00\nBáo cáo: 22/12/2026\nĐối tượng: nông dân, Thanh nien"
    )
    assert await officer.act(("cmd", "taoduthao", form)) == [
        chat.ASK_DRAFT.format(title="Dự thảo Báo cáo chính trị phường Bến Thành")
    ]
    half = len(DRAFT) // 2
    await officer.act(("say", DRAFT[:half]))
    await officer.act(("say", DRAFT[half:]))
    preview = await officer.act(("press", "gy:draft:done"))
    assert "được tách thành 5 phần" in preview[0]
    assert await comments(db) == []
    created = await officer.act(("press", "gy:create"))
    assert created[0].startswith("Đã tạo đợt lấy ý kiến số ")
    async with db.unit_of_work() as uow:
        [consultation] = await uow.consultations.list_all()
        sections = await uow.consultations.sections(consultation.id)
        deadline = await uow.deadlines.get_by_code(f"gop-y-{consultation.id}")
    assert consultation.unit_code == "hcm-ben-thanh"
    assert consultation.audience_groups == ("nong_dan", "thanh_nien")
    assert (
        consultation.closes_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") == "20/12/2026 17:00"
    )
    assert [s.position for s in sections] == list(range(len(sections)))
    assert sections[2].heading == "I. Về phát triển kinh tế"
    assert deadline is not None and deadline.unit_codes == ("hcm-ben-thanh",)
    assert deadline.due_date is not None and deadline.due_date.isoformat() == "2026-12-22"
    assert consultation.deadline_code == deadline.code


async def test_erasure_keeps_positions_and_drops_comments(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    consultation = await new_consultation(db, clock)
    resident = await consented(engine, "gy-e")
    await resident.act(
        ("cmd", "gopy", f"{consultation.id} 2 1 Tôi đồng ý, nhà tôi ở số 12 Lê Lợi.")
    )
    await resident.act(("cmd", "dangky"))
    mine = await resident.act(("cmd", "dulieucuatoi"))
    assert "Tôi đồng ý, nhà tôi ở số 12 Lê Lợi." in mine[0]
    assert (
        chat.MY_DATA_SUBSCRIBED.format(place=chat.PLACE_EVERYWHERE, version=chat.NOTICE_VERSION)
        in mine[0]
    )
    await resident.act(("cmd", "xoadulieu"))
    await resident.act(("press", "erase:yes"))
    [row] = await comments(db)
    assert (row.stance, row.person_id, row.text, row.redacted) == ("tan_thanh", None, None, None)
    async with db.unit_of_work() as uow:
        subscribed = await uow.session.scalar(select(func.count()).select_from(models.Subscription))
    assert subscribed == 0


class FakeDraftFiles:
    """handlers.ports.DraftFiles over documents kept by file id: their text, split as a file's
    would be, or the DraftError reading them raises. Records each read."""

    def __init__(self, files: dict[str, str | DraftError]) -> None:
        self.files = files
        self.reads: list[str] = []

    def accepts(self, channel: str) -> bool:
        return channel == "test"

    async def read(self, channel: str, attachment: Attachment) -> SplitDraft:
        assert attachment.file_id is not None
        self.reads.append(attachment.file_id)
        found = self.files[attachment.file_id]
        if isinstance(found, DraftError):
            raise found
        return split_text(found)


async def send_document(person: Resident, file_id: str, name: str) -> list[str]:
    """The person sends a document (as a channel adapter hands it to the engine)."""
    document = Attachment(kind="document", file_id=file_id, file_name=name, file_size=4096)
    return await person.send(
        Incoming(
            user=person.user,
            chat_id=person.user.external_id,
            update_id=f"doc-{uuid.uuid4().hex}",
            event=Event.DOCUMENT,
            received_at=person.engine.clock(),
            attachment=document,
        )
    )


async def conversation_of(db: Database, person: Resident) -> tuple[str, dict[str, Any]]:
    async with db.unit_of_work() as uow:
        found = await uow.conversations.get_for_update(person.user.channel, person.user.external_id)
    assert found is not None
    return found.state, found.data


async def test_officer_sends_the_draft_as_a_document(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    unreadable = DraftError(draft_texts.DRAFT_UNREADABLE.format(name="hong.pdf", kind="PDF"))
    files = FakeDraftFiles({"f-bad": unreadable, "f-good": DRAFT})
    engine.draft_files = files
    resident = await consented(engine, "gy-doc-r")
    # Anywhere but the draft step, a document gets the answer it always got.
    assert await send_document(resident, "f-good", "du-thao.docx") == [
        texts.UNSUPPORTED["document"]
    ]
    officer = await with_role(db, engine, "gy-doc-o", "officer", "hcm-ben-thanh")
    assert await send_document(officer, "f-good", "du-thao.docx") == [texts.UNSUPPORTED["document"]]
    assert files.reads == []

    title = "Dự thảo Báo cáo chính trị phường Bến Thành"
    form = f"Tiêu đề: {title}\nĐóng: 20/12/2026 17:00"
    asked = await officer.act(("cmd", "taoduthao", form))
    assert asked == [chat.ASK_DRAFT_FILE.format(title=title)]
    assert await officer.act(("press", "gy:draft:done")) == [chat.DRAFT_NOTHING_FILE]
    await officer.act(("say", "Phần dán tạm, sẽ được thay bằng tệp."))
    # A file that cannot be read: the reason, and the officer is still asked for the draft.
    assert await send_document(officer, "f-bad", "hong.pdf") == [str(unreadable)]
    assert (await conversation_of(db, officer))[0] == "consult_draft"

    preview = await send_document(officer, "f-good", "du-thao.docx")
    assert preview[0].startswith(chat.PREVIEW_FILE.format(name="du-thao.docx"))
    assert "được tách thành 5 phần" in preview[0]
    state, data = await conversation_of(db, officer)
    # The row keeps where the file is, not its text (nor the text pasted before it).
    assert state == "consult_confirm"
    assert data["create"]["file"]["attachment"]["file_id"] == "f-good"
    assert data["create"]["file"]["channel"] == "test"
    assert data["create"]["text"] == ""
    assert "Kinh tế của phường" not in json.dumps(data, ensure_ascii=False)

    # The file is read again on confirming: gone meanwhile, nothing is stored.
    files.files["f-good"] = unreadable
    assert await officer.act(("press", "gy:create")) == [str(unreadable)]
    async with db.unit_of_work() as uow:
        assert await uow.consultations.list_all() == []
    assert (await conversation_of(db, officer))[0] == "consult_draft"

    files.files["f-good"] = DRAFT
    await send_document(officer, "f-good", "du-thao.docx")
    created = await officer.act(("press", "gy:create"))
    assert created[0].startswith("Đã tạo đợt lấy ý kiến số ")
    assert files.reads == ["f-bad", "f-good", "f-good", "f-good", "f-good"]
    async with db.unit_of_work() as uow:
        [consultation] = await uow.consultations.list_all()
        sections = await uow.consultations.sections(consultation.id, with_body=True)
    assert consultation.title == title
    assert sections[2].heading == "I. Về phát triển kinh tế"
    assert [s.body for s in sections[1:]] == [s.body for s in split_text(DRAFT).sections]


async def test_without_a_file_reader_the_officer_pastes_the_draft(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    officer = await with_role(db, engine, "gy-doc-p", "officer", "hcm-ben-thanh")
    title = "Dự thảo Báo cáo chính trị phường Bến Thành"
    form = f"Tiêu đề: {title}\nĐóng: 20/12/2026 17:00"
    assert await officer.act(("cmd", "taoduthao", form)) == [chat.ASK_DRAFT.format(title=title)]
    assert await send_document(officer, "f-1", "du-thao.docx") == [chat.DRAFT_FILE_UNAVAILABLE]
    assert (await conversation_of(db, officer))[0] == "consult_draft"


async def test_the_synthesis_reaches_the_issuing_units_officers_on_the_close(
    db: Database, engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    consultation = await new_consultation(db, clock, unit_code="hcm-ben-thanh")
    officer = await with_role(db, engine, "gy-so", "officer", "hcm-ben-thanh")
    await with_role(db, engine, "gy-other", "officer", "hcm-sai-gon")  # another unit: nothing
    resident = await consented(engine, "gy-sr")
    await resident.act(("cmd", "gopy", f"{consultation.id} 2 1 Đồng ý, đề nghị thêm chỉ tiêu."))
    planner = SynthesisPlanner(db, VIETNAM, tmp_path)
    outbox = OutboxStore(db)
    assert await planner.plan(clock.now - timedelta(hours=24), clock.now, outbox) == []
    clock.advance(days=2, minutes=1)  # the close passes
    [message] = await planner.plan(clock.now - timedelta(hours=24), clock.now, outbox)
    assert (message.channel, message.chat_id) == ("test", officer.user.external_id)
    assert message.text == chat.SYNTHESIS_READY.format(
        id=consultation.id,
        title=consultation.title,
        closes=local(consultation.closes_at),
        count=1,
        due=chat.SYNTHESIS_DUE.format(due=consultation.report_due.strftime("%d/%m/%Y")),
    )
    docx, xlsx = (Path(name) for name in message.files)
    assert docx.suffix == ".docx" and xlsx.suffix == ".xlsx"
    paragraphs = [paragraph.text for paragraph in Document(str(docx)).paragraphs]
    assert "Tổng hợp ý kiến góp ý của Nhân dân vào dự thảo Báo cáo chính trị" in "\n".join(
        paragraphs
    )
    comments_sheet = list(load_workbook(xlsx, read_only=True)["Ý kiến"].values)
    assert len(comments_sheet) == 2 and "Đồng ý, đề nghị thêm chỉ tiêu." in comments_sheet[1]
    # Queued once: a later sweep in the grace window plans nothing more.
    await outbox.enqueue(
        key=message.key,
        channel=message.channel,
        chat_id=message.chat_id,
        text=message.text,
        due_at=message.due_at,
        now=clock.now,
        files=message.files,
    )
    assert await planner.plan(clock.now - timedelta(hours=24), clock.now, outbox) == []

"""Consultations on every channel, over the channels' real HTTP code, on SQLite and PostgreSQL:
a resident lists the open drafts, chooses one (a press on Telegram, a typed number elsewhere),
declares a group, pages through a section longer than the channel's page, gives a position
with a comment, changes it, and is refused after the close; an announcement queued for the
subscribers reaches them through the channel's sender (on Telegram with its "Góp ý ngay"
button). Every message a channel delivered fits in that channel's limit, and each page of a
section arrives as one message. Frozen clock: 09:30 21/11/2026."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.announcements import AnnouncementPlanner
from bot.draft_files import DOCX_MIME, ChannelDraftFiles, telegram_fetch, url_fetch
from bot.draft_import import SAMPLE_DRAFT, read_draft
from config import consultation_chat as chat
from config import consultations as draft_texts
from config import texts
from config.consultations import STANCES
from handlers.consultation_setup import create_consultation
from handlers.digest_text import shorten
from handlers.intake import Engine
from handlers.sections import pages, summary
from storage import models
from storage.consultation_records import ConsultationRecord, NewConsultation, NewSection
from storage.db import Database
from storage.outbox import OutboxStore
from tests.channels import (
    CHANNELS,
    NUMBERED_TAIL,
    Harness,
    TelegramResident,
    ZaloOaResident,
    channel_harness,
    without_choices,
)
from tests.conftest import FrozenClock

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# What each channel takes in one message (the shell is a terminal: no limit).
LIMITS = {"shell": None, "telegram": 4096, "zalo_bot": 2000, "zalo_oa": 2000}
# A section of the sample on the section list's second page, made long: a heading near the
# longest a heading can be (handlers.sections.HEADING_MAX_CHARS), and paragraphs longer than a
# page, so pages are cut at sentence ends and come near full: the longest messages there are.
SAMPLE_HEADING = "6. Về hoạt động của Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội"
LONG_HEADING = SAMPLE_HEADING + (
    " trong công tác tập hợp, đoàn kết Nhân dân và giám sát, phản biện xã hội"
)
EXTRA_PARAGRAPHS = [
    " ".join(
        f"Tổ dân phố số {paragraph * 20 + n} tổ chức hội nghị lắng nghe ý kiến của {30 + n} hộ "
        f"gia đình về an sinh xã hội."
        for n in range(1, 21)
    )
    for paragraph in range(3)
]
COMMENT = (
    "Đề nghị bổ sung đánh giá cụ thể về hạ tầng thoát nước và chống ngập ở các tuyến hẻm, vì "
    "mỗi khi mưa lớn nhiều hộ kinh doanh phải đóng cửa; đồng thời nêu rõ nguồn lực hỗ trợ hộ "
    "kinh doanh nhỏ chuyển đổi số và lộ trình thực hiện. Cần trao đổi thêm xin gọi 0903 123 456."
)
PHONE = "0903 123 456"


def long_draft(directory: Path) -> list[NewSection]:
    """The shipped sample draft with one section lengthened, read back from a file."""
    lines = SAMPLE_DRAFT.read_text(encoding="utf-8").splitlines()
    at = lines.index(SAMPLE_HEADING)
    lines[at] = LONG_HEADING
    at += 2  # after the heading and its first paragraph
    path = directory / "du_thao_dai.txt"
    path.write_text("\n".join(lines[:at] + EXTRA_PARAGRAPHS + lines[at:]), encoding="utf-8")
    return read_draft(path).sections


async def open_consultation(
    db: Database, clock: FrozenClock, title: str, sections: list[NewSection], **fields: Any
) -> ConsultationRecord:
    """A consultation of the city committee, open since an hour for two days (by default)."""
    values: dict[str, Any] = {
        "title": title,
        "issuer": "Ủy ban MTTQ Việt Nam Thành phố Hồ Chí Minh",
        "unit_code": "hcm",
        "opens_at": clock.now - timedelta(hours=1),
        "closes_at": clock.now + timedelta(days=2),
        "created_by": "cli",
        **fields,
    }
    async with db.unit_of_work() as uow:
        consultation = await create_consultation(
            uow, NewConsultation(**values), sections, clock.now, whole_label=chat.MENU_WHOLE
        )
        await uow.commit()
    return consultation


def local(moment: Any) -> str:
    return moment.astimezone(VIETNAM).strftime(texts.DATETIME_FORMAT)


@dataclass(frozen=True)
class Delivered:
    """One message as the channel delivered it, and the choices it offered (button labels on
    Telegram, the numbered lines elsewhere)."""

    text: str
    choices: list[str]


def _numbered(text: str) -> list[str]:
    tail = NUMBERED_TAIL.search(text)
    if tail is None:
        return []
    return [line.split(". ", 1)[1] for line in tail.group().strip().splitlines()]


class Chat:
    """A resident on one channel, and every message that channel delivered to them."""

    def __init__(self, harness: Harness, name: str) -> None:
        self.harness = harness
        self.resident = harness.resident(name)
        self.id = self.resident.user.external_id
        self._shell: list[str] = []
        if harness.channel == "shell":
            # The terminal prints the replies: keep them as printed, choices included.
            send = self.resident.send  # type: ignore[attr-defined]

            async def printed(update: Any) -> list[str]:
                lines = await send(update)
                self._shell.extend(lines)
                return lines

            self.resident.send = printed  # type: ignore[attr-defined]

    def delivered(self) -> list[Delivered]:
        """Every message sent to this resident so far, oldest first."""
        if self.harness.channel == "telegram":
            found = []
            for message in self.harness.telegram.sent:
                if str(message.get("chat_id")) != self.id:
                    continue
                markup = message.get("reply_markup") or {}
                labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
                found.append(Delivered(str(message["text"]), labels))
            return found
        shown = self._shell if self.harness.channel == "shell" else self.harness.received(self.id)
        return [Delivered(text, _numbered(text)) for text in shown]

    async def act(self, *action: str) -> list[str]:
        """One action; the replies without numbered choices (as the dialogue tables compare)."""
        return await self.resident.act(action)

    async def step(self, *action: str) -> tuple[list[str], list[Delivered]]:
        """One action; its replies, and the messages the channel delivered for it."""
        before = len(self.delivered())
        replies = await self.resident.act(action)
        return replies, self.delivered()[before:]

    async def consent(self) -> None:
        await self.act("cmd", "start")
        assert await self.act("press", "consent:yes") == [texts.CHOOSE_KIND]


async def comment_rows(db: Database) -> list[Any]:
    table = models.ConsultationComment.__table__
    async with db.unit_of_work() as uow:
        return list(await uow.session.execute(select(table).order_by(table.c.id)))


async def read_through(
    resident: Chat,
    consultation: ConsultationRecord,
    section: NewSection,
    chunks: list[str],
    current: str,
) -> None:
    """Open the long section, then "Đọc toàn văn" and "Đọc tiếp »" to its last page: each page
    is one message with its page number, and the next page is offered until the last."""
    label, title = section.label, f". {section.title}"
    ask = chat.QUICK_HINT.format(id=consultation.id, position=section.position) + chat.ASK_STANCE
    stances = list(STANCES.values())
    back = chat.BUTTON_BACK_TO_LIST
    shown, delivered = await resident.step("press", f"gy:sec:{section.position}")
    opening = chat.SECTION.format(
        label=label, title=title, text=summary(section.body, chat.SUMMARY_CHARS)
    )
    assert len(delivered) == 1, delivered
    assert shown == [opening.strip() + current + ask]
    assert delivered[0].choices == [*stances, chat.BUTTON_READ_ALL, back]
    for number, chunk in enumerate(chunks, start=1):
        shown, delivered = await resident.step("press", "gy:read")
        page = chunk + chat.SECTION_PAGE.format(page=number, pages=len(chunks))
        text = chat.SECTION.format(label=label, title=title, text=page).strip()
        assert shown == [text + current + ask], (number, shown)
        assert len(delivered) == 1, (number, [len(d.text) for d in delivered])
        more = [chat.BUTTON_READ_ON] if number < len(chunks) else []
        assert delivered[0].choices == [*stances, *more, back], number


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_position_paged_given_changed_and_refused_after_the_close(
    channel: str, engine: Engine, db: Database, clock: FrozenClock, units: None, tmp_path: Path
) -> None:
    sections = long_draft(tmp_path)
    [long] = [s for s in sections if f"{s.label}. {s.title}" == LONG_HEADING]
    assert long.position > chat.MENU_PAGE_SIZE - 1  # on the second page of the section list
    page_chars = chat.PAGE_CHARS.get(channel, chat.PAGE_CHARS_DEFAULT)
    chunks = pages(long.body, page_chars)
    assert len(chunks) >= 2 and all(len(chunk) <= page_chars for chunk in chunks)
    await open_consultation(
        db, clock, "Dự thảo Chương trình hành động của Ủy ban MTTQ phường", sections[:3]
    )
    consultation = await open_consultation(
        db, clock, "Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường Minh An", sections
    )
    closes = local(consultation.closes_at)

    async with channel_harness(channel, db, engine) as harness:
        resident = Chat(harness, "resident")
        await resident.consent()
        listed, delivered = await resident.step("cmd", "duthao")
        assert listed == [chat.LIST]
        assert len(delivered[0].choices) == 2  # both open drafts are offered
        assert await resident.act("press", f"gy:open:{consultation.id}") == [chat.ASK_GROUP]
        menu = chat.MENU.format(
            title=consultation.title,
            issuer=consultation.issuer,
            closes=closes,
            given="{given}",
            total=len(sections) + 1,  # and the whole draft
        )
        assert await resident.act("press", "gy:grp:nong_dan") == [menu.format(given=0)]

        await resident.act("press", "gy:page:next")
        await read_through(resident, consultation, long, chunks, current="")
        asked = await resident.act("press", "gy:st:tan_thanh_mot_phan")
        assert asked[0].startswith("Bạn chọn: Tán thành một phần.")
        assert await resident.act("say", COMMENT) == [
            chat.SAVED.format(
                label=LONG_HEADING,
                stance="Tán thành một phần",
                comment=chat.WITH_COMMENT,
                closes=closes,
            ),
            menu.format(given=1),
        ]

        # Changed before the close: the pages now carry the position given (the longest
        # messages of the flow), and the comment is kept on request.
        current = chat.CURRENT.format(
            stance="Tán thành một phần",
            comment=chat.CURRENT_COMMENT.format(text=shorten(COMMENT, chat.CURRENT_COMMENT_CHARS)),
            closes=closes,
        )
        assert len(COMMENT) > 200
        await read_through(resident, consultation, long, chunks, current=current)
        await resident.act("press", "gy:st:khong_tan_thanh")
        assert await resident.act("press", "gy:keep") == [
            chat.CHANGED.format(
                label=LONG_HEADING,
                stance="Không tán thành",
                comment=chat.WITH_COMMENT,
                closes=closes,
            ),
            menu.format(given=1),
        ]

        clock.advance(days=3)
        refusal = chat.CLOSED.format(title=consultation.title, closes=closes)
        assert await resident.act("say", "Tôi muốn đổi ý kiến về phần này.") == [refusal]
        assert await resident.act(
            "cmd", "gopy", f"{consultation.id} {long.position} 1 Đồng ý."
        ) == [refusal]

        # Everything the channel delivered (on Telegram, edits in place too) fits its limit.
        limit = LIMITS[channel]
        sent = [d.text for d in resident.delivered()] + harness.received(resident.id)
        assert sent and all(limit is None or len(text) <= limit for text in sent)

    [row] = await comment_rows(db)
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(channel, resident.id)
        section = await uow.consultations.section(consultation.id, long.position)
    assert person is not None and section is not None
    assert (row.consultation_id, row.section_id, row.person_id) == (
        consultation.id,
        section.id,
        person.id,
    )
    assert (row.stance, row.text, row.target_group, row.channel) == (
        "khong_tan_thanh",
        COMMENT,
        "nong_dan",
        channel,
    )
    assert row.redacted is not None and PHONE not in row.redacted and "[SĐT]" in row.redacted
    assert row.unit_code == "hcm-hoi-nong-dan"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_an_announcement_reaches_the_subscriber_and_opens_the_consultation(
    channel: str, engine: Engine, db: Database, clock: FrozenClock, units: None
) -> None:
    async with channel_harness(channel, db, engine) as harness:
        subscriber, bystander = Chat(harness, "subscriber"), Chat(harness, "bystander")
        await subscriber.consent()
        await bystander.consent()
        assert await subscriber.act("cmd", "dangky") == [
            chat.SUBSCRIBED.format(place=chat.PLACE_EVERYWHERE, version=chat.NOTICE_VERSION)
        ]
        consultation = await open_consultation(
            db,
            clock,
            "Dự thảo Báo cáo chính trị Đại hội Đảng bộ phường Minh An",
            read_draft(SAMPLE_DRAFT).sections,
            opens_at=clock.now + timedelta(hours=1),
            announcement="Mời bà con góp ý dự thảo Báo cáo chính trị.",
        )
        planner, outbox = AnnouncementPlanner(db, VIETNAM), OutboxStore(db)
        assert await planner.plan(clock.now, clock.now, outbox) == []
        assert await harness.deliver() == {"sent": 0, "failed": 0}  # not open yet
        clock.advance(hours=2)
        await planner.plan(clock.now, clock.now, outbox)
        before = len(harness.received(subscriber.id))
        elsewhere = len(harness.received(bystander.id))
        assert await harness.deliver() == {"sent": 1, "failed": 0}
        announcement = chat.ANNOUNCEMENT.format(
            title=consultation.title,
            announcement="Mời bà con góp ý dự thảo Báo cáo chính trị.",
            issuer=consultation.issuer,
            audience=chat.EVERYONE,
            closes=local(consultation.closes_at),
            id=consultation.id,
        )
        assert harness.received(subscriber.id)[before:] == [announcement]
        assert len(harness.received(bystander.id)) == elsewhere  # not subscribed
        await planner.plan(clock.now, clock.now, outbox)
        assert await harness.deliver() == {"sent": 0, "failed": 0}  # announced once

        if channel == "telegram":
            [message] = [m for m in harness.telegram.sent if m.get("text") == announcement]
            assert message["reply_markup"]["inline_keyboard"] == [
                [{"text": chat.BUTTON_ANNOUNCEMENT, "callback_data": f"gy:open:{consultation.id}"}]
            ]
            opened = await subscriber.act("press", f"gy:open:{consultation.id}")
        else:  # no button: the announcement says what to type
            opened = await subscriber.act("cmd", "duthao", str(consultation.id))
        assert opened == [chat.ASK_GROUP]
        menu = await subscriber.act("press", "gy:grp:cong_nhan")
        assert menu[0].startswith(f"📄 {consultation.title}\n")


# --- the draft sent as a document -------------------------------------------------------------

WORD_SECTIONS = [
    ("Chương I", "NHỮNG QUY ĐỊNH CHUNG", ""),
    ("Điều 1", "Phạm vi điều chỉnh", "Quy chế này quy định việc lấy ý kiến Nhân dân qua tin nhắn."),
    ("Điều 2", "Đối tượng áp dụng", "Công dân cư trú trên địa bàn phường."),
]
DRAFT_FORM_TITLE = "Dự thảo Quy chế lấy ý kiến Nhân dân của phường"


def word_draft() -> bytes:
    """A .docx in Word's heading styles, as python-docx writes it."""
    document = docx.Document()
    document.add_heading("DỰ THẢO QUY CHẾ LẤY Ý KIẾN NHÂN DÂN", level=0)
    document.add_paragraph("Căn cứ Luật Mặt trận Tổ quốc Việt Nam;")
    document.add_heading("Chương I. NHỮNG QUY ĐỊNH CHUNG", level=1)
    for label, title, body in WORD_SECTIONS[1:]:
        document.add_heading(f"{label}. {title}", level=2)
        document.add_paragraph(body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def officer_on(harness: Harness, db: Database, name: str) -> Chat:
    """A consented person on the harness's channel, an officer of Phường Bến Thành's unit."""
    officer = Chat(harness, name)
    await officer.consent()
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(harness.channel, officer.id)
        assert person is not None
        await uow.people.set_role(person.id, role="officer", unit_code="hcm-ben-thanh", topics=[])
        await uow.commit()
    form = f"Tiêu đề: {DRAFT_FORM_TITLE}\nĐóng: 20/12/2026 17:00"
    assert await officer.act("cmd", "taoduthao", form) == [
        chat.ASK_DRAFT_FILE.format(title=DRAFT_FORM_TITLE)
    ]
    return officer


async def stored_sections(db: Database) -> list[tuple[str, str, str]]:
    """(label, title, body) of the one consultation's sections, without the whole draft."""
    async with db.unit_of_work() as uow:
        [consultation] = await uow.consultations.list_all()
        sections = await uow.consultations.sections(consultation.id, with_body=True)
    assert consultation.title == DRAFT_FORM_TITLE
    return [(s.label, s.title, s.body) for s in sections if s.position > 0]


async def test_an_officer_sends_the_draft_as_a_word_file_on_telegram(
    engine: Engine, db: Database, units: None
) -> None:
    async with channel_harness("telegram", db, engine) as harness:
        telegram = harness.telegram
        files = ChannelDraftFiles()
        files.add("telegram", telegram_fetch(harness.telegram_adapter.bot))
        engine.draft_files = files
        officer = await officer_on(harness, db, "officer")
        sender = officer.resident
        assert isinstance(sender, TelegramResident)

        # Announced over the limit: refused before anything is fetched.
        too_big = 25 * 1024 * 1024
        assert await sender.document("du-thao.docx", b"PK", DOCX_MIME, file_size=too_big) == [
            draft_texts.DRAFT_TOO_LARGE.format(name="du-thao.docx", size="25,0", limit=20)
        ]
        assert telegram.calls_of("getFile") == [] and telegram.downloads == []
        # A damaged PDF: fetched, then refused with the reason.
        assert await sender.document("hong.pdf", b"%PDF-1.7\nhong", "application/pdf") == [
            draft_texts.DRAFT_UNREADABLE.format(name="hong.pdf", kind="PDF")
        ]
        assert len(telegram.downloads) == 1

        preview = await sender.document("du-thao.docx", word_draft(), DOCX_MIME)
        assert preview[0].startswith(chat.PREVIEW_FILE.format(name="du-thao.docx"))
        assert f"được tách thành {len(WORD_SECTIONS)} phần" in preview[0]
        created = await officer.act("press", "gy:create")
        assert created[0].startswith("Đã tạo đợt lấy ý kiến số ")
        assert len(telegram.downloads) == 3  # read again on confirming
        assert await stored_sections(db) == WORD_SECTIONS

        # A resident's document in the ordinary conversation: the answer it always got.
        resident = Chat(harness, "resident")
        await resident.consent()
        sent = resident.resident
        assert isinstance(sent, TelegramResident)
        assert await sent.document("don.pdf", b"%PDF-1.7", "application/pdf") == [
            texts.UNSUPPORTED["document"]
        ]
        assert len(telegram.downloads) == 3


async def test_an_officer_sends_the_draft_as_a_file_on_the_zalo_oa(
    engine: Engine, db: Database, units: None
) -> None:
    served: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        served.append(request.match_info["name"])
        return web.Response(body=word_draft(), content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/zalo-files/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with channel_harness("zalo_oa", db, engine) as harness:
            files = ChannelDraftFiles()
            files.add("zalo_oa", url_fetch(harness.session))
            engine.draft_files = files
            officer = await officer_on(harness, db, "officer")
            sender = officer.resident
            assert isinstance(sender, ZaloOaResident)

            async def send(event: dict[str, Any]) -> list[str]:
                return [without_choices(text) for text in await sender.send(event)]

            def file_event(name: str, size: int) -> dict[str, Any]:
                event = harness.zalo_oa.file_event(officer.id)
                payload = event["message"]["attachments"][0]["payload"]
                url = f"http://{host}:{port}/zalo-files/{name}"
                payload.update(url=url, name=name, size=str(size))
                return event

            too_big = file_event("lon.docx", 21 * 1024 * 1024)
            assert await send(too_big) == [
                draft_texts.DRAFT_TOO_LARGE.format(name="lon.docx", size="21,0", limit=20)
            ]
            assert served == []
            preview = await send(file_event("du-thao.docx", len(word_draft())))
            assert preview[0].startswith(chat.PREVIEW_FILE.format(name="du-thao.docx"))
            await officer.act("press", "gy:create")
            assert served == ["du-thao.docx", "du-thao.docx"]
            assert await stored_sections(db) == WORD_SECTIONS
    finally:
        await runner.cleanup()

"""`ykien demo`: residents' conversations run through the real engine, then what was stored.

Each line is what a resident types (the shell's syntax: `/lenh`, `!anh`, `!vitri LAT,LON`, a
number to pick an option); `<sticker>`, `<voice>`, `<edited>` and `<group>` stand for updates
a keyboard cannot type; `{code}` is the last reference code the bot gave.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.channels.shell_adapter import parse_line
from bot.consultation_cli import write_report
from bot.draft_import import SAMPLE_DRAFT, read_draft
from config import consultation_chat, texts
from handlers.consultation_setup import create_consultation
from handlers.intake import Engine
from handlers.messages import Event, Incoming, Outgoing, UserRef
from nlp.pii import redact
from storage.consultation_records import NewConsultation
from storage.db import Database
from storage.outbox import OutboxStore
from storage.records import SubmissionRecord

CHANNEL = "demo"
DEMO_COMMENTS = (
    "Đề nghị bổ sung giải pháp chống ngập cho các tuyến đường trong phường vào mùa mưa, "
    "có lộ trình và kinh phí cụ thể.",
    "De nghi bo sung giai phap chong ngap cho cac tuyen duong trong phuong vao mua mua, "
    "co lo trinh va kinh phi cu the.",
    "Cần nói rõ hơn việc hỗ trợ người lao động mất việc.",
)
SKIP_GROUP = "11"  # the group menu lists ten groups, then «Bỏ qua»

CONVERSATIONS: list[list[str]] = [
    [  # a flooded road, with a photo, locality typed without diacritics
        "/start",
        "1",
        "2",
        "Đường Lê Lợi đoạn trước chợ Bến Thành ngập sâu mỗi khi mưa lớn, xe máy chết máy "
        "giữa đường. Đề nghị nạo vét cống thoát nước trước mùa mưa.",
        "!anh Ảnh đoạn đường ngập chiều qua",
        "1",
        "phuong ben thanh",
        SKIP_GROUP,
        "1",
    ],
    [  # no diacritics and teencode, location shared
        "xin chao",
        "1",
        "2",
        "duong lien xa bi sut lun nghiem trong, xe tai cho cat chay suot ngay dem ma ko ai xu ly",
        "!vitri 11.3106,106.0983",
        "1",
        "xa dak mil",
        "1",
        "1",
    ],
    [  # complaint about land compensation: the bot states the legal procedure
        "/start",
        "1",
        "3",
        "Tôi khiếu nại quyết định bồi thường khi thu hồi đất số 125/QĐ-UBND vì đơn giá đất "
        "nông nghiệp thấp hơn nhiều so với giá thị trường, chưa tính cây trồng trên đất.",
        "1",
        "xa dien khanh",
        "1",
        "1",
    ],
    [  # denunciation of an official asking for money
        "/start",
        "1",
        "4",
        "Tôi tố cáo cán bộ địa chính xã đòi tiền khi làm hồ sơ cấp giấy chứng nhận quyền sử "
        "dụng đất cho gia đình tôi, có người làm chứng.",
        "1",
        "phuong nha trang",
        SKIP_GROUP,
        "1",
    ],
    [  # a question about health insurance, from an elderly resident
        "/start",
        "1",
        "5",
        "Cho tôi hỏi thẻ bảo hiểm y tế của người trên 80 tuổi hết hạn thì gia hạn ở đâu, "
        "có phải đóng tiền không?",
        "1",
        "Hoàn Kiếm, Hà Nội",
        "6",
        "1",
    ],
    [  # a proposal from a youth member
        "/start",
        "1",
        "1",
        "Đề xuất xã mở cửa nhà văn hóa buổi tối cho thanh niên sinh hoạt, lắp wifi miễn phí "
        "để các em học trực tuyến.",
        "1",
        "cam ranh",
        "5",
        "1",
    ],
    [  # declines the privacy notice: nothing is stored
        "/start",
        "2",
    ],
    [  # too long at first, then shortened
        "/start",
        "1",
        "2",
        "Khói bụi từ nhà máy gạch. " * 220,
        "Khói bụi từ lò gạch thủ công ở thôn 3 làm người dân ho, trẻ em viêm họng kéo dài.",
        "1",
        "xa dien khanh",
        "1",
        "1",
    ],
    [  # edits the text at the summary before sending
        "/start",
        "1",
        "2",
        "Đèn đường hỏng",
        "1",
        "phuong hai chau",
        SKIP_GROUP,
        "2",
        "Đèn đường trên đường Bạch Đằng hỏng cả tuần nay, buổi tối rất tối và nguy hiểm.",
        "1",
    ],
    [  # cancels half-way, then starts again and sends
        "/start",
        "1",
        "2",
        "Rác thải ùn ứ ở đầu hẻm",
        "/huy",
        "Rác thải ùn ứ ở đầu hẻm 12 đã ba ngày chưa được thu gom, bốc mùi hôi thối.",
        "2",
        "1",
        "phuong ben thanh",
        SKIP_GROUP,
        "1",
    ],
    [  # sends a sticker and a voice message first
        "/start",
        "1",
        "<sticker>",
        "<voice>",
        "5",
        "Hỏi: hồ sơ hưởng trợ cấp thất nghiệp nộp ở đâu sau khi sáp nhập xã?",
        "1",
        "Ninh Kiều, Cần Thơ",
        "2",
        "1",
    ],
    [  # writes the content first, kind afterwards
        "/start",
        "1",
        "Nước sạch mất liên tục ba ngày nay ở khu dân cư số 5, đề nghị công ty cấp nước "
        "thông báo lịch cấp nước và bố trí xe chở nước.",
        "2",
        "1",
        "phuong thanh khe da nang",
        SKIP_GROUP,
        "1",
    ],
    [  # a worker about unpaid wages, typed labels instead of numbers
        "/start",
        "Đồng ý",
        "Phản ánh, kiến nghị",
        "Công ty may ở khu công nghiệp nợ lương công nhân hai tháng, chưa đóng bảo hiểm xã "
        "hội cho người lao động.",
        "Tiếp tục",
        "phuong thu dau mot",
        "Công nhân",
        "Gửi ý kiến",
    ],
    [  # a veteran's proposal, then checks its status
        "/start",
        "1",
        "1",
        "Kiến nghị sớm giải quyết chế độ cho cựu chiến binh bị nhiễm chất độc da cam còn "
        "tồn đọng hồ sơ từ năm trước.",
        "1",
        "xa dak mil",
        "4",
        "1",
        "/trangthai {code}",
    ],
    [  # a religious dignitary about a festival
        "/start",
        "1",
        "1",
        "Đề nghị chính quyền phối hợp với ban trị sự tổ chức lễ hội đầu năm trang trọng, "
        "hạn chế hàng quán lấn chiếm lối đi.",
        "1",
        "phuong nha trang",
        "8",
        "1",
    ],
    [  # an ethnic-minority resident about electricity, no diacritics
        "/start",
        "1",
        "2",
        "ban toi chua co dien luoi quoc gia, nguoi dan phai dung may phat, de nghi keo dien ve",
        "1",
        "xa dak mil",
        "9",
        "1",
    ],
    [  # a women's association member
        "/start",
        "1",
        "1",
        "Đề xuất mở lớp kỹ năng phòng chống bạo lực gia đình và tư vấn pháp luật miễn phí "
        "cho chị em phụ nữ trong xã.",
        "1",
        "xa dien khanh",
        "3",
        "1",
    ],
    [  # pollution from a pig farm, locality with a typo, changes the group at the summary
        "/start",
        "1",
        "2",
        "Trại heo gần khu dân cư xả nước thải chưa qua xử lý ra kênh, mùi hôi nồng nặc.",
        "1",
        "phuong ben thnah",
        "1",
        "1",
        "5",
        "3",
        "1",
    ],
    [  # an edited message and a group chat are answered without storing anything
        "/start",
        "1",
        "<edited>",
        "<group>",
        "2",
        "Trường tiểu học thu nhiều khoản ngoài quy định đầu năm học, phụ huynh bức xúc.",
        "1",
        "cam ranh",
        "3",
        "1",
    ],
    [  # a farmer asks about rice prices; skips the locality
        "/start",
        "1",
        "5",
        "Giá lúa năm nay xuống thấp, xin hỏi có chính sách hỗ trợ nông dân vay vốn không?",
        "1",
        "1",
        "1",
        "1",
    ],
    [  # an intellectual comments; asks for help mid-way
        "/start",
        "1",
        "1",
        "/trogiup",
        "Góp ý: cần công khai quy hoạch sử dụng đất trên cổng thông tin điện tử của xã để "
        "người dân dễ tra cứu.",
        "1",
        "Phường Hoàn Kiếm",
        "7",
        "1",
    ],
    [  # fire safety in a boarding house
        "/start",
        "1",
        "2",
        "Khu nhà trọ ở hẻm 45 không có bình chữa cháy, dây điện câu móc chằng chịt, rất nguy hiểm.",
        "1",
        "phuong ben thanh",
        SKIP_GROUP,
        "1",
    ],
]


def _special(token: str, user: UserRef, engine: Engine) -> Incoming | None:
    base = parse_line("x", user, engine)
    if token == "<sticker>":
        return replace(base, event=Event.UNSUPPORTED, unsupported="sticker", text="")
    if token == "<voice>":
        return replace(base, event=Event.UNSUPPORTED, unsupported="voice", text="")
    if token == "<edited>":
        return replace(base, event=Event.EDITED, text="")
    if token == "<group>":
        return replace(base, is_private=False, text="xin chào cả nhóm")
    return None


async def run_conversation(
    engine: Engine, user: UserRef, lines: list[str], on_turn: Callable[[str, list[Outgoing]], None]
) -> None:
    """Play one resident's lines through the engine."""
    code = ""
    for line in lines:
        typed = line.replace("{code}", code)
        incoming = _special(typed, user, engine) or parse_line(typed, user, engine)
        replies = await engine.handle(incoming)
        for reply in replies:
            found = re.search(r"YK-[0-9A-Z]{6}", reply.text)
            if found and "/trangthai" in reply.text:
                code = found.group(0)
        on_turn(typed, replies)


async def run_demo(
    engine: Engine,
    db: Database,
    write: Callable[[str], None],
    *,
    verbose: bool = False,
    reports_dir: Path | None = None,
) -> list[SubmissionRecord]:
    """Run every sample conversation and print what was stored by this run."""
    run = uuid.uuid4().hex[:8]
    shown = 0

    def on_turn(typed: str, replies: list[Outgoing]) -> None:
        if verbose or shown == 0:
            preview = typed if len(typed) <= 120 else typed[:117] + "..."
            write(texts.DEMO_RESIDENT_LINE.format(text=preview))
            for reply in replies:
                write(
                    texts.DEMO_BOT_LINE.format(
                        text=reply.as_plain_text().replace("\n", "\n       ")
                    )
                )

    # Staff first: the review queue goes to the moderators there are when an item arrives.
    moderator = await _staff(engine, db, "moderator")
    officer = await _staff(engine, db, "admin")
    people: list[UserRef] = []
    for number, lines in enumerate(CONVERSATIONS, start=1):
        user = UserRef(CHANNEL, f"demo-{run}-{number:02d}")
        people.append(user)
        if verbose or shown == 0:
            write(texts.DEMO_CONVERSATION.format(number=number))
        await run_conversation(engine, user, lines, on_turn)
        shown += 1

    stored: list[SubmissionRecord] = []
    async with db.unit_of_work() as uow:
        for user in people:
            person = await uow.people.get_by_channel(user.channel, user.external_id)
            if person is not None:
                stored += await uow.submissions.list_by_person(person.id)
    write("")
    write(texts.DEMO_STORED.format(conversations=len(CONVERSATIONS), stored=len(stored)))
    for s in stored:
        # What an officer's digest would show: redacted text, the field, the flags' codes.
        text = redact(s.text)
        text = text if len(text) <= 60 else text[:57] + "..."
        flags = ",".join(flag["code"] for flag in s.flags) or "-"
        write(
            f"  {s.code}  {s.kind:<10} {s.topic or '-':<21} {flags:<14} "
            f"{s.locality_name or '-':<40} {text}"
        )
    await _staff_act(engine, db, write, stored, people, moderator, officer)
    if reports_dir is not None:
        await _consultation_act(engine, db, write, people, reports_dir)
    return stored


async def _staff(engine: Engine, db: Database, role: str) -> UserRef:
    """The demo's moderator or officer (an admin: no unit to set up), enrolled once per database."""
    user = UserRef(CHANNEL, f"demo-{role}")
    async with db.unit_of_work() as uow:
        person = await uow.people.get_by_channel(user.channel, user.external_id)
    if person is None:
        await engine.handle(parse_line("/start", user, engine))
        await engine.handle(parse_line("1", user, engine))
        async with db.unit_of_work() as uow:
            person = await uow.people.get_by_channel(user.channel, user.external_id)
            assert person is not None
            # What `ykien invite create` and `/thamgia` would do.
            await uow.people.set_role(person.id, role=role, unit_code=None, topics=())
            await uow.commit()
    return user


async def _staff_act(
    engine: Engine,
    db: Database,
    write: Callable[[str], None],
    stored: list[SubmissionRecord],
    residents: list[UserRef],
    moderator: UserRef,
    officer: UserRef,
) -> None:
    """A moderator decides one queued item; an officer works one case; its resident rates it."""

    async def say(user: UserRef, who: str, line: str) -> None:
        write(texts.DEMO_STAFF_LINE.format(who=who, text=line))
        for reply in await engine.handle(parse_line(line, user, engine)):
            write(texts.DEMO_BOT_LINE.format(text=reply.text.replace("\n", "\n       ")))

    store = OutboxStore(db)

    async def delivered(chat: str, codes: set[str]) -> None:
        """What the outbox holds for `chat` about these cases (the scheduler sends it)."""
        async with db.unit_of_work() as uow:
            for code in sorted(codes):
                for ref in await uow.outbox.find(code):
                    if ref.chat_id == chat:
                        text = await store.text_of(ref.key) or ""
                        write(texts.DEMO_OUTBOX_LINE.format(text=text.replace("\n", "\n       ")))

    queued = [s for s in stored if s.review_state == "cho_duyet" or s.flags or s.needs_review]
    write("")
    write(texts.DEMO_MODERATION.format(count=len(queued)))
    if queued:
        item = queued[0]
        await delivered(moderator.external_id, {item.code})
        await say(moderator, texts.DEMO_MODERATOR, f"/duyet {item.code}")
    case = stored[0] if stored else None
    if case is None:
        return
    write("")
    write(texts.DEMO_ANSWER_LOOP.format(code=case.code))
    await say(officer, texts.DEMO_OFFICER, f"/xuly {case.code}")
    await say(officer, texts.DEMO_OFFICER, f"/traloi {case.code} {texts.DEMO_ANSWER}")
    resident = residents[0]
    await delivered(resident.external_id, {case.code})
    await say(resident, texts.DEMO_RESIDENT, f"/danhgia {case.code} 5")


# A resident reads a section and gives a position with a comment by choosing from the lists;
# three more comment with /gopy (one message), two of them about the same thing.
CONSULTATION_CHAT = ["/duthao", "1", "1", "3", "3", DEMO_COMMENTS[0]]
CONSULTATION_QUICK = [
    "2 3 " + DEMO_COMMENTS[1],
    "2 3 " + DEMO_COMMENTS[2],
    "0 1",
]


async def _consultation_act(
    engine: Engine,
    db: Database,
    write: Callable[[str], None],
    residents: list[UserRef],
    reports_dir: Path,
) -> None:
    """A consultation on the shipped sample draft: residents comment; the synthesis is written."""
    now = engine.clock()
    draft = read_draft(SAMPLE_DRAFT)
    async with db.unit_of_work() as uow:
        consultation = await create_consultation(
            uow,
            NewConsultation(
                title=texts.DEMO_CONSULTATION_TITLE,
                issuer=texts.DEMO_CONSULTATION_ISSUER,
                unit_code=None,
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(days=14),
                created_by="demo",
                report_due=(now + timedelta(days=21)).astimezone(engine.display_tz).date(),
            ),
            draft.sections,
            now,
            whole_label=consultation_chat.MENU_WHOLE,
        )
        await uow.commit()
    write("")
    write(
        texts.DEMO_CONSULTATION.format(
            id=consultation.id, title=consultation.title, sections=len(draft.sections)
        )
    )

    async def say(user: UserRef, line: str) -> None:
        write(texts.DEMO_RESIDENT_LINE.format(text=line))
        for reply in await engine.handle(parse_line(line, user, engine)):
            write(texts.DEMO_BOT_LINE.format(text=reply.as_plain_text().replace("\n", "\n       ")))

    for line in CONSULTATION_CHAT:
        await say(residents[0], line.replace("{id}", str(consultation.id)))
    await say(residents[0], "/huy")
    for user, args in zip(residents[1:], CONSULTATION_QUICK, strict=False):
        await say(user, f"/gopy {consultation.id} {args}")
    docx_path, xlsx_path, count = await write_report(
        db, consultation.id, reports_dir / f"consultation-{consultation.id}", engine.display_tz
    )
    write(texts.DEMO_CONSULTATION_REPORT.format(count=count))
    write(f"  {docx_path}")
    write(f"  {xlsx_path}")

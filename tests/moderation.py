"""Helpers for the review-queue tests: a scripted analyzer with the real flags, moderators at the
engine, and readers of what the queue wrote (outbox rows, audit rows, label corrections)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from config import moderation
from handlers.intake import Engine
from handlers.messages import Event
from nlp.analyzer import Analysis, Label
from nlp.flags import FlagDetector, ModerationLexicons
from nlp.pii import redact
from storage import models
from storage.db import Database
from tests.dialogue import Resident, receipt_code

INSULT = "Cán bộ phường làm ăn như đm, gọi tôi 0912 345 678 để biết thêm chi tiết vụ việc."
PHONE = "0912 345 678"
CLEAN = "Đường Lê Lợi đoạn trước chợ ngập sâu mỗi khi mưa lớn, đề nghị nạo vét cống thoát nước."
UNSURE = "Tôi muốn hỏi về chuyện ở khu phố mình, không biết gửi ai cho đúng chỗ nữa."
FIRE = "Nhà bên cạnh đang cháy lớn, có người mắc kẹt bên trong, cứu với!"
THREAT = "Tao sẽ giết thằng tổ trưởng nếu nó còn thu tiền rác của nhà tao như vậy."
GROUP = "-1001234567890"


class ScriptedAnalyzer:
    """The shipped flag detection (word lists, personal data) with a scripted classification:
    topic moi_truong and the declared kind, confident unless the text is in `unsure`."""

    def __init__(self, unsure: tuple[str, ...] = (UNSURE,)) -> None:
        self.flags = FlagDetector(ModerationLexicons.from_module(moderation))
        self.unsure = set(unsure)

    def analyse(self, text: str, *, declared_kind: str | None = None) -> Analysis:
        """Flags of `text`; confidence 0.3 for an unsure text, else 0.95."""
        text = unicodedata.normalize("NFC", text)
        unsure = text in self.unsure
        confidence = 0.3 if unsure else 0.95
        return Analysis(
            topic=Label("moi_truong", confidence, "model"),
            kind=Label(declared_kind or "phan_anh", confidence, "model"),
            flags=tuple(self.flags.detect(text, kind=declared_kind)),
            redacted=redact(text),
            needs_review=unsure,
        )


async def submit(resident: Resident, text: str, kind: str = "phan_anh") -> tuple[str, list[str]]:
    """Consent (if needed) and submit `text`; the code and the receipt's replies."""
    await resident.act(("cmd", "start"))
    if (
        resident.replies
        and resident.replies[-1].flat_buttons[:1]
        and (resident.replies[-1].flat_buttons[0].payload == "consent:yes")
    ):
        await resident.act(("press", "consent:yes"))
    await resident.act(("press", f"kind:{kind}"))
    await resident.act(("say", text))
    await resident.act(("press", "att:done"))
    await resident.act(("press", "loc:skip"))
    await resident.act(("press", "grp:skip"))
    replies = await resident.act(("press", "confirm:submit"))
    return receipt_code(replies), replies


class Moderator(Resident):
    """A staff member at the engine: commands from their chat, presses from any chat."""

    async def press_in(
        self, payload: str, *, chat_id: str | None = None, message_id: str = "77"
    ) -> list[str]:
        """Press a button on message `message_id` of `chat_id` (their own chat by default)."""
        incoming = self._incoming(Event.BUTTON, payload=payload)
        chat = chat_id or self.user.external_id
        incoming = replace(incoming, chat_id=chat, is_private=chat == self.user.external_id)
        return await self.send(replace(incoming, message_id=message_id))

    async def command_in(self, chat_id: str, name: str, args: str = "") -> list[str]:
        """Type `/name args` in another chat (a moderators' group)."""
        incoming = self._incoming(Event.COMMAND, text=f"/{name} {args}".strip(), command=name)
        incoming = replace(incoming, args=args, chat_id=chat_id, is_private=False)
        return await self.send(incoming)


async def staff(
    db: Database, engine: Engine, external_id: str, role: str, channel: str = "test"
) -> Moderator:
    """A consented person with `role` (no unit), as an invite would make them."""
    person = Moderator(engine, external_id, channel)
    await person.act(("cmd", "start"))
    await person.act(("press", "consent:yes"))
    async with db.unit_of_work() as uow:
        record = await uow.people.get_by_channel(channel, external_id)
        assert record is not None
        await uow.people.set_role(record.id, role=role, unit_code=None, topics=[])
        await uow.commit()
    return person


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row as the tests read it."""

    key: str
    channel: str
    chat_id: str
    text: str
    buttons: list[Any]
    edit_key: str | None
    subject: str | None


async def outbox(db: Database, prefix: str = "") -> list[OutboxEntry]:
    """The outbox rows whose key starts with `prefix`, oldest first."""
    m = models.OutboxMessage
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(m.key, m.channel, m.chat_id, m.text, m.buttons, m.edit_key, m.subject)
            .where(m.key.startswith(prefix))
            .order_by(m.id)
        )
        return [OutboxEntry(*row) for row in rows]


async def audit_rows(db: Database, action_prefix: str = "") -> list[tuple[str, str, Any, Any]]:
    """(actor, action, subject, details) of the audit rows whose action starts with a prefix."""
    entry = models.AuditEntry
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            select(entry.actor, entry.action, entry.subject, entry.details)
            .where(entry.action.startswith(action_prefix))
            .order_by(entry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def corrections(db: Database) -> list[tuple[str, str | None, str]]:
    """(field, before, after) of every label correction, oldest first."""
    row = models.LabelCorrection
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(row.field, row.before, row.after).order_by(row.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def payloads(buttons: list[Any]) -> list[str]:
    """The payloads of stored outbox buttons ([[label, payload], ...] rows)."""
    return [payload for row in buttons for _, payload in row]

"""Setting up a consultation: validating its form, storing it with its report deadline, and
the officers' /taoduthao conversation (the header form, then the draft pasted or sent as a
file, a preview of the sections, and the confirmation). The CLI (bot.consultation_cli) shares
the validation and `create_consultation`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from config import calendar as calendar_config
from config import consultation_chat as chat
from config import taxonomy, texts
from handlers.deadlines import parse_day
from handlers.digest_text import shorten
from handlers.messages import Attachment, Button, Event
from handlers.ports import UnitOfWork
from handlers.sections import DraftError, SplitDraft, check_length, split_text
from handlers.states import State
from nlp.text import fold
from storage.consultation_records import ConsultationRecord, NewConsultation, NewSection
from storage.deadline_records import ONCE, NewDeadline
from storage.records import PersonRecord, UnitRecord

if TYPE_CHECKING:  # handlers.intake imports this module
    from handlers.intake import _Turn

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = 500
PREVIEW_SECTIONS = 15
# Officers and admins create consultations in chat.
CREATORS = frozenset({"officer", "admin"})


async def create_consultation(
    uow: UnitOfWork,
    new: NewConsultation,
    sections: Sequence[NewSection],
    now: datetime,
    *,
    whole_label: str,
) -> ConsultationRecord:
    """Store a consultation; with a report date, a one-off deadline reminds the issuing unit's
    officers (or the admins, when no unit issued it). Audited."""
    consultation = await uow.consultations.add(new, sections, whole_label, now)
    if consultation.report_due is not None:
        consultation = await schedule_report(uow, consultation, now)
    await uow.audit.add(
        actor=new.created_by,
        action="consultation.created",
        subject=f"consultation:{consultation.id}",
        at=now,
        details={
            "sections": len(sections),
            "unit": new.unit_code,
            "opens_at": new.opens_at.isoformat(),
            "closes_at": new.closes_at.isoformat(),
            "deadline": consultation.deadline_code,
        },
    )
    return consultation


async def schedule_report(
    uow: UnitOfWork, consultation: ConsultationRecord, now: datetime
) -> ConsultationRecord:
    """Put the synthesis report's due date on the deadlines (created, or moved and renamed):
    reminders go to the issuing unit's officers, or to the admins when no unit issued it."""
    assert consultation.report_due is not None
    code = f"gop-y-{consultation.id}"
    await uow.deadlines.upsert(
        [
            NewDeadline(
                code=code,
                title=chat.DEADLINE_TITLE.format(title=shorten(consultation.title, 200)),
                recurrence=ONCE,
                due_date=consultation.report_due,
                unit_codes=(consultation.unit_code,) if consultation.unit_code else (),
                offsets=calendar_config.REMINDER_OFFSETS,
                roles=() if consultation.unit_code else ("admin",),
            )
        ],
        now,
    )
    await uow.consultations.update(consultation.id, now, deadline_code=code)
    found = await uow.consultations.get(consultation.id)
    assert found is not None
    return found


# --- the officers' form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationForm:
    """The header of /taoduthao, validated (the draft's text comes next)."""

    title: str
    opens_at: datetime
    closes_at: datetime
    report_due: date | None
    groups: tuple[str, ...]
    units: tuple[str, ...]
    announcement: str | None


class FormError(ValueError):
    """A /taoduthao header that cannot be used; str() says why, in Vietnamese."""


def parse_datetime(value: str, tz: tzinfo) -> datetime:
    """ "20/12/2026 17:00" (or a date alone: its start) in the display zone."""
    match = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?\s*", value)
    if not match:
        raise FormError(chat.FORM_BAD_DATETIME.format(value=value.strip()[:40]))
    day, month, year, hour, minute = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError as error:
        raise FormError(chat.FORM_BAD_DATETIME.format(value=value.strip()[:40])) from error
    return moment.replace(tzinfo=tz)


def parse_date(value: str) -> date:
    """ "22/12/2026" (or ISO) as a date."""
    try:
        return parse_day(value)
    except ValueError as error:
        raise FormError(chat.FORM_BAD_DATE.format(value=value.strip()[:40])) from error


def parse_groups(value: str) -> tuple[str, ...]:
    """Target groups by code or name, comma-separated, with or without diacritics."""
    by_name = {fold(name): code for code, name in taxonomy.TARGET_GROUPS.items()}
    found: list[str] = []
    for part in value.split(","):
        word = part.strip()
        if not word:
            continue
        code = word if word in taxonomy.TARGET_GROUPS else by_name.get(fold(word))
        if code is None:
            groups = ", ".join(taxonomy.TARGET_GROUPS.values())
            raise FormError(chat.FORM_UNKNOWN_GROUP.format(group=word[:40], groups=groups))
        if code not in found:
            found.append(code)
    return tuple(found)


def parse_form(
    text: str, tz: tzinfo, now: datetime, known_units: Iterable[str]
) -> ConsultationForm:
    """The /taoduthao header lines ("Mục: nội dung"); FormError names the first problem."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise FormError(chat.FORM_BAD_LINE.format(line=line[:60]))
        key = chat.FORM_FIELDS.get(" ".join(fold(name).split()))
        if key is None:
            raise FormError(chat.FORM_UNKNOWN_FIELD.format(field=name.strip()[:40]))
        fields[key] = value.strip()
    for key, label in chat.FORM_REQUIRED.items():
        if not fields.get(key):
            raise FormError(chat.FORM_MISSING.format(field=label))
    title = fields["title"]
    if len(title) > TITLE_MAX_CHARS:
        raise FormError(chat.FORM_TITLE_TOO_LONG.format(limit=TITLE_MAX_CHARS))
    opens_at = parse_datetime(fields["opens"], tz) if fields.get("opens") else now
    closes_at = parse_datetime(fields["closes"], tz)
    check_window(opens_at, closes_at, now, tz)
    report_due = parse_date(fields["report_due"]) if fields.get("report_due") else None
    check_report_due(report_due, closes_at, tz)
    known = set(known_units)
    units = tuple(u.strip() for u in fields.get("units", "").split(",") if u.strip())
    for unit in units:
        if unit not in known:
            raise FormError(chat.FORM_UNKNOWN_UNIT.format(unit=unit[:40]))
    return ConsultationForm(
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        report_due=report_due,
        groups=parse_groups(fields.get("groups", "")),
        units=units,
        announcement=fields.get("announcement") or None,
    )


def check_window(opens_at: datetime, closes_at: datetime, now: datetime, tz: tzinfo) -> None:
    """The close must follow the opening and lie ahead."""
    if closes_at <= now:
        shown = closes_at.astimezone(tz).strftime(texts.DATETIME_FORMAT)
        raise FormError(chat.FORM_CLOSES_PAST.format(closes=shown))
    if closes_at <= opens_at:
        raise FormError(chat.FORM_CLOSES_BEFORE_OPENS)


def check_report_due(report_due: date | None, closes_at: datetime, tz: tzinfo) -> None:
    """The synthesis report cannot be due before the comments stop."""
    if report_due is not None and report_due < closes_at.astimezone(tz).date():
        raise FormError(chat.FORM_REPORT_BEFORE_CLOSE.format(due=report_due.strftime("%d/%m/%Y")))


# --- the conversation -----------------------------------------------------------------------------


class DraftCreation:
    """The /taoduthao steps of one turn; `turn` is handlers.intake._Turn."""

    def __init__(self, turn: _Turn) -> None:
        self.turn = turn
        self.uow = turn.uow
        self.now = turn.now
        self.tz = turn.engine.display_tz

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime(texts.DATETIME_FORMAT)

    async def on_input(self, choice: str | None) -> None:
        """Advance the step the officer is at."""
        if self.turn.state is State.CONSULT_DRAFT:
            await self.on_draft(choice)
        else:
            await self.on_confirm(choice)

    async def reprompt(self) -> None:
        """Show the current step again (after a stale button)."""
        if self.turn.state is State.CONSULT_DRAFT:
            nothing = chat.DRAFT_NOTHING_FILE if self.takes_files() else chat.DRAFT_NOTHING
            self.turn.ask(nothing, self.draft_buttons())
        else:
            await self.preview()

    async def start_creating(self, args: str) -> None:
        """/taoduthao with the header lines: checked, then the draft (file or text) is asked for."""
        turn = self.turn
        person = turn.person
        if person is None or person.role not in CREATORS:
            turn.say(texts.ROLE_REFUSED.format(command="taoduthao"))
            return
        if not args.strip():
            turn.say(chat.CREATE_FORM)
            return
        issuer = await self.issuer_of(person)
        if issuer is None:
            turn.say(chat.FORM_NO_UNIT)
            return
        units = [unit.code for unit in await self.uow.units.list_all()]
        try:
            form = parse_form(args, self.tz, self.now, units)
        except FormError as error:
            turn.say(str(error))
            return
        turn.clear_draft()
        turn.data["create"] = {
            "title": form.title,
            "opens_at": form.opens_at.isoformat(),
            "closes_at": form.closes_at.isoformat(),
            "report_due": form.report_due.isoformat() if form.report_due else None,
            "groups": list(form.groups),
            "units": list(form.units),
            "announcement": form.announcement,
            "text": "",
        }
        turn.state = State.CONSULT_DRAFT
        ask = chat.ASK_DRAFT_FILE if self.takes_files() else chat.ASK_DRAFT
        turn.ask(ask.format(title=form.title), self.draft_buttons())

    def takes_files(self) -> bool:
        """Whether the officer's channel can send the draft as a document."""
        files = self.turn.engine.draft_files
        return files is not None and files.accepts(self.turn.incoming.user.channel)

    def draft_buttons(self) -> list[list[Button]]:
        return [
            [
                Button(chat.BUTTON_DONE, "gy:draft:done"),
                Button(texts.BUTTON_CANCEL, "gy:draft:cancel"),
            ]
        ]

    async def issuer_of(self, person: PersonRecord) -> UnitRecord | None:
        """The unit a person creates consultations for: their own."""
        return await self.uow.units.get(person.unit_code) if person.unit_code else None

    async def on_draft(self, choice: str | None) -> None:
        turn = self.turn
        form = turn.data.get("create") or {}
        nothing = chat.DRAFT_NOTHING_FILE if self.takes_files() else chat.DRAFT_NOTHING
        if choice == "gy:draft:cancel":
            turn.clear_draft()
            turn.state = State.IDLE
            turn.say(texts.CANCELLED)
            return
        if choice == "gy:draft:done":
            if not form.get("text", "").strip():
                turn.ask(nothing, self.draft_buttons())
                return
            await self.preview()
            return
        if turn.incoming.event is Event.DOCUMENT:
            await self.take_file(form)
            return
        if turn.incoming.event is not Event.TEXT or not turn.incoming.text.strip():
            turn.ask(nothing, self.draft_buttons())
            return
        text = (form.get("text", "") + "\n" + turn.incoming.text).strip()
        try:
            check_length(len(text))  # the same limit as a draft file's
        except DraftError as error:
            turn.ask(str(error), self.draft_buttons())
            return
        form["text"] = text
        turn.ask(chat.DRAFT_APPENDED.format(chars=len(text)), self.draft_buttons())

    async def take_file(self, form: dict[str, Any]) -> None:
        """The draft sent as a document: read at once and previewed (no «Xong» needed)."""
        turn = self.turn
        files = turn.engine.draft_files
        attachment = turn.incoming.attachment
        channel = turn.incoming.user.channel
        if files is None or attachment is None or not files.accepts(channel):
            turn.ask(chat.DRAFT_FILE_UNAVAILABLE, self.draft_buttons())
            return
        try:
            draft = await files.read(channel, attachment)
        except DraftError as error:
            turn.ask(str(error), self.draft_buttons())
            return
        # One file replaces the text pasted so far. The conversation row keeps where the file
        # is, never its text: confirming reads it again.
        form["text"] = ""
        form["file"] = {"channel": channel, "attachment": attachment.to_dict()}
        logger.info("draft file read in chat: %d sections", len(draft.sections))
        await self.preview(draft)

    async def draft_of(self, form: dict[str, Any]) -> SplitDraft:
        """The draft being created: the file sent (read again) or the text pasted."""
        file = form.get("file")
        if not file:
            return split_text(form["text"])
        files = self.turn.engine.draft_files
        if files is None:
            raise DraftError(chat.DRAFT_FILE_UNAVAILABLE)
        return await files.read(file["channel"], Attachment.from_dict(file["attachment"]))

    def refuse_draft(self, error: DraftError) -> None:
        """Back to sending the draft, with the reason; a file that failed is forgotten."""
        self.turn.data["create"].pop("file", None)
        self.turn.state = State.CONSULT_DRAFT
        self.turn.ask(str(error), self.draft_buttons())

    async def preview(self, draft: SplitDraft | None = None) -> None:
        turn = self.turn
        form = turn.data["create"]
        if draft is None:
            try:
                draft = await self.draft_of(form)
            except DraftError as error:
                self.refuse_draft(error)
                return
        shown = [
            f"{s.position}. {s.label}{'. ' + s.title if s.title else ''}"
            for s in draft.sections[:PREVIEW_SECTIONS]
        ]
        if len(draft.sections) > PREVIEW_SECTIONS:
            shown.append(chat.PREVIEW_MORE.format(count=len(draft.sections) - PREVIEW_SECTIONS))
        report_due = form.get("report_due")
        report = (
            chat.PREVIEW_REPORT.format(due=date.fromisoformat(report_due).strftime("%d/%m/%Y"))
            if report_due
            else ""
        )
        audience = ", ".join(
            [taxonomy.TARGET_GROUPS.get(g, g) for g in form["groups"]] + list(form["units"])
        )
        text = chat.PREVIEW.format(
            title=form["title"],
            count=len(draft.sections),
            sections="\n".join(shorten(line, 100) for line in shown),
            opens=self.local(datetime.fromisoformat(form["opens_at"])),
            closes=self.local(datetime.fromisoformat(form["closes_at"])),
            report=report,
            audience=audience or chat.EVERYONE,
        )
        name = (form.get("file") or {}).get("attachment", {}).get("file_name")
        if name:
            text = chat.PREVIEW_FILE.format(name=shorten(name, 100)) + text
        turn.state = State.CONSULT_CONFIRM
        turn.ask(
            text,
            [
                [
                    Button(chat.BUTTON_CREATE, "gy:create"),
                    Button(texts.BUTTON_CANCEL, "gy:draft:cancel"),
                ]
            ],
        )

    async def on_confirm(self, choice: str | None) -> None:
        turn = self.turn
        person = turn.person
        form = turn.data.get("create")
        if choice == "gy:draft:cancel" or not form:
            turn.clear_draft()
            turn.state = State.IDLE
            turn.say(texts.CANCELLED)
            return
        if choice != "gy:create":
            turn.say(texts.CHOOSE_FROM_OPTIONS)
            await self.preview()
            return
        assert person is not None
        if person.role not in CREATORS:
            # The gate again where it counts: the role may have changed since /taoduthao.
            turn.clear_draft()
            turn.state = State.IDLE
            turn.say(texts.ROLE_REFUSED.format(command="taoduthao"))
            return
        issuer = await self.issuer_of(person)
        closes_at = datetime.fromisoformat(form["closes_at"])
        try:
            if issuer is None:
                raise FormError(chat.FORM_NO_UNIT)
            check_window(datetime.fromisoformat(form["opens_at"]), closes_at, self.now, self.tz)
        except FormError as error:  # time passed while the officer pasted the draft
            turn.clear_draft()
            turn.state = State.IDLE
            turn.say(str(error))
            return
        try:
            draft = await self.draft_of(form)
        except DraftError as error:  # the file sent is gone or changed since the preview
            self.refuse_draft(error)
            return
        report_due = date.fromisoformat(form["report_due"]) if form.get("report_due") else None
        consultation = await create_consultation(
            self.uow,
            NewConsultation(
                title=form["title"],
                issuer=issuer.name,
                unit_code=issuer.code,
                opens_at=datetime.fromisoformat(form["opens_at"]),
                closes_at=closes_at,
                created_by=person.pseudonym,
                audience_groups=tuple(form["groups"]),
                audience_units=tuple(form["units"]),
                report_due=report_due,
                announcement=form.get("announcement"),
            ),
            draft.sections,
            self.now,
            whole_label=chat.MENU_WHOLE,
        )
        text = chat.CREATED.format(id=consultation.id, title=consultation.title)
        if report_due is not None:
            text += chat.CREATED_DEADLINE.format(due=report_due.strftime("%d/%m/%Y"))
        turn.clear_draft()
        turn.state = State.IDLE
        turn.say(text)

"""Consultations on draft documents in chat: residents list open drafts, declare who they are,
browse sections, give a position on each (Tán thành / Không tán thành / Tán thành một phần)
with an optional comment, and change it until the close; officers create one with /taoduthao.

The conversation engine (handlers.intake) hands the consultation states and commands to
`ConsultationChat`, which talks through the turn's `say`/`ask` and keeps its place in the
conversation data under "gy".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from config import consultation_chat as chat
from config import taxonomy, texts
from config.consultations import STANCES
from handlers.messages import Attachment, Button, Event
from handlers.ports import UnitOfWork
from handlers.sections import DraftError, SplitDraft, pages, split_text, summary
from handlers.states import State
from nlp import duplicates
from nlp.text import fold
from storage.consultation_records import (
    WHOLE_DRAFT,
    CommentRecord,
    ConsultationRecord,
    NewConsultation,
    NewSection,
    SectionRecord,
)
from storage.deadline_records import ONCE, NewDeadline
from storage.records import SENSITIVE_FLAGS, PersonRecord, UnitRecord

if TYPE_CHECKING:  # handlers.intake imports this module
    from handlers.intake import _Turn

logger = logging.getLogger(__name__)

OPEN_PREFIX = "gy:open:"  # an announcement's button: valid in any state
URGENT_FLAGS = frozenset({"khan_cap", "de_doa"})
TITLE_MAX_CHARS = 500
DRAFT_MAX_CHARS = 1_000_000
PREVIEW_SECTIONS = 15
# Officers and admins create consultations in chat.
CREATORS = frozenset({"officer", "admin"})
# The reminders of the report deadline: working days before it (as the deadlines file's default).
REPORT_REMINDER_OFFSETS = (5, 2, 0)


# --- pure helpers ---------------------------------------------------------------------------------


def parse_stance(word: str) -> str | None:
    """A typed position ("1", "tán thành", "khong", …) as its code; None when unknown."""
    folded = " ".join(fold(word).split())
    for code, words in chat.STANCE_WORDS.items():
        if folded in words:
            return code
    return None


def parse_quick(args: str) -> tuple[int, int, str, str | None] | None:
    """`SỐ PHẦN Ý_KIẾN [nội dung]` as (consultation, section, stance, comment); the position
    may take several words ("khong tan thanh"), the longest match wins."""
    words = list(re.finditer(r"\S+", args))
    if len(words) < 3 or not words[0].group().isdigit() or not words[1].group().isdigit():
        return None
    for count in range(min(4, len(words) - 2), 0, -1):
        last = words[1 + count]
        stance = parse_stance(args[words[2].start() : last.end()])
        if stance is not None:
            comment = args[last.end() :].strip() or None
            return int(words[0].group()), int(words[1].group()), stance, comment
    return None


def attribute_unit(
    issuer_code: str | None, group: str | None, units: Sequence[UnitRecord]
) -> str | None:
    """The unit a comment is counted under when the audience names none: the member
    organisation serving the resident's group under the issuing unit (nearest first), else
    the issuing unit itself — as the seeds' member organisations each gather their members'."""
    if issuer_code is None:
        return None
    children: dict[str, list[UnitRecord]] = {}
    for unit in units:
        if unit.parent_code:
            children.setdefault(unit.parent_code, []).append(unit)
    if group:
        queue = [issuer_code]
        while queue:
            level = sorted(children.get(queue.pop(0), []), key=lambda u: u.code)
            for unit in level:
                if unit.target_group == group:
                    return unit.code
            queue.extend(unit.code for unit in level)
    return issuer_code


def audience_phrase(
    consultation: ConsultationRecord, unit_names: dict[str, str] | None = None
) -> str:
    """Who a consultation is for, as residents read it."""
    parts = [taxonomy.TARGET_GROUPS.get(g, g) for g in consultation.audience_groups]
    parts += [(unit_names or {}).get(u, u) for u in consultation.audience_units]
    return ", ".join(parts) or chat.EVERYONE


def section_heading(section: SectionRecord) -> str:
    """ "Điều 5. Quyền của công dân", or the label alone."""
    if section.position == WHOLE_DRAFT:
        return chat.MENU_WHOLE
    return f"{section.label}. {section.title}" if section.title else section.label


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
    deadline_code = None
    if new.report_due is not None:
        deadline_code = f"gop-y-{consultation.id}"
        await uow.deadlines.upsert(
            [
                NewDeadline(
                    code=deadline_code,
                    title=chat.DEADLINE_TITLE.format(title=_cut(new.title, 200)),
                    recurrence=ONCE,
                    due_date=new.report_due,
                    unit_codes=(new.unit_code,) if new.unit_code else (),
                    offsets=REPORT_REMINDER_OFFSETS,
                    roles=() if new.unit_code else ("admin",),
                )
            ],
            now,
        )
        await uow.consultations.update(consultation.id, now, deadline_code=deadline_code)
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
            "deadline": deadline_code,
        },
    )
    found = await uow.consultations.get(consultation.id)
    assert found is not None
    return found


async def consultation_lines(uow: UnitOfWork, person: PersonRecord) -> list[str]:
    """What /dulieucuatoi shows of a person's positions on drafts and their subscription."""
    lines = []
    given = await uow.consultations.comments_of_person(person.id)
    if given:
        lines.append(chat.MY_DATA_COMMENTS.format(count=len(given)))
    for comment in given:
        section = await uow.consultations.section(comment.consultation_id, comment.section_position)
        label = section_heading(section) if section else str(comment.section_position)
        lines.append(
            chat.MY_DATA_COMMENT.format(
                id=comment.consultation_id,
                label=label,
                stance=STANCES.get(comment.stance, comment.stance),
                comment=chat.CURRENT_COMMENT.format(text=comment.text) if comment.text else "",
            )
        )
    if await uow.consultations.subscribed(person.id):
        lines.append(chat.MY_DATA_SUBSCRIBED.format(version=chat.NOTICE_VERSION))
    return lines


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
    """ "22/12/2026" as a date."""
    match = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", value)
    try:
        if not match:
            raise ValueError(value)
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
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
    for key, label in (("title", "Tiêu đề"), ("closes", "Đóng")):
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


# --- the conversation ---------------------------------------------------------------------------


class ConsultationChat:
    """The consultation steps of one turn; `turn` is handlers.intake._Turn."""

    def __init__(self, turn: _Turn) -> None:
        self.turn = turn
        self.uow = turn.uow
        self.now = turn.now
        self.tz = turn.engine.display_tz
        self._given: dict[int, list[CommentRecord]] = {}

    async def given(self, consultation_id: int) -> list[CommentRecord]:
        """The person's positions on a consultation (read once per turn, until one changes)."""
        assert self.turn.person is not None
        if consultation_id not in self._given:
            self._given[consultation_id] = await self.uow.consultations.comments_of(
                consultation_id, self.turn.person.id
            )
        return self._given[consultation_id]

    @property
    def place(self) -> dict[str, Any]:
        """Where the resident is: consultation id, menu page, section, reading page, stance."""
        return self.turn.data.setdefault("gy", {})

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime(texts.DATETIME_FORMAT)

    async def on_input(self, choice: str | None) -> None:
        """Advance the consultation step the person is at."""
        steps = {
            State.CONSULT_LIST: self.on_list,
            State.CONSULT_GROUP: self.on_group,
            State.CONSULT_UNIT: self.on_unit,
            State.CONSULT_MENU: self.on_menu,
            State.CONSULT_SECTION: self.on_section,
            State.CONSULT_COMMENT: self.on_comment,
            State.CONSULT_DRAFT: self.on_draft,
            State.CONSULT_CONFIRM: self.on_confirm,
        }
        await steps[self.turn.state](choice)

    async def reprompt(self) -> None:
        """Show the current step again (after a stale button)."""
        if self.turn.state is State.CONSULT_LIST:
            await self.list_or_open("")
        elif self.turn.state is State.CONSULT_DRAFT:
            nothing = chat.DRAFT_NOTHING_FILE if self.takes_files() else chat.DRAFT_NOTHING
            self.turn.ask(nothing, self.draft_buttons())
        elif self.turn.state is State.CONSULT_CONFIRM:
            await self.preview()
        else:
            await self.on_input(None)

    async def on_list(self, choice: str | None) -> None:
        if choice and choice.startswith(OPEN_PREFIX) and choice[len(OPEN_PREFIX) :].isdigit():
            await self.open(int(choice[len(OPEN_PREFIX) :]))
        else:
            self.turn.say(texts.CHOOSE_FROM_OPTIONS)
            await self.list_or_open("")

    # --- commands -------------------------------------------------------------------------------

    async def list_or_open(self, args: str) -> None:
        """/duthao [SỐ]: the open consultations, or straight into one."""
        turn = self.turn
        if turn.person is None:
            turn.say(chat.CONSENT_FIRST)
            turn.goto(State.AWAIT_CONSENT)
            return
        word = args.strip()
        if word.isdigit():
            await self.open(int(word))
            return
        found = await self.uow.consultations.list_open(self.now)
        if not found:
            turn.say(chat.NONE_OPEN)
            return
        turn.clear_draft()
        turn.state = State.CONSULT_LIST
        rows = [
            [
                Button(
                    _cut(
                        chat.LIST_ITEM.format(title=c.title, closes=self.local(c.closes_at)),
                        chat.BUTTON_CHARS,
                    ),
                    f"{OPEN_PREFIX}{c.id}",
                )
            ]
            for c in found
        ]
        turn.ask(chat.LIST, rows)

    async def subscribe(self) -> None:
        """/dangky: consent to announcements, stored with the notice's version."""
        turn = self.turn
        if turn.person is None:
            turn.say(chat.CONSENT_FIRST)
            turn.goto(State.AWAIT_CONSENT)
            return
        if not await self.uow.consultations.subscribe(
            turn.person.id, chat.NOTICE_VERSION, self.now
        ):
            turn.say(chat.ALREADY_SUBSCRIBED)
            return
        await self.uow.audit.add(
            actor=turn.person.pseudonym,
            action="consent.given",
            at=self.now,
            details={"purpose": "announcements", "version": chat.NOTICE_VERSION},
        )
        turn.say(chat.SUBSCRIBED.format(version=chat.NOTICE_VERSION))

    async def unsubscribe(self) -> None:
        """/huydangky: withdraw that consent."""
        turn = self.turn
        if turn.person is None or not await self.uow.consultations.unsubscribe(turn.person.id):
            turn.say(chat.NOT_SUBSCRIBED)
            return
        await self.uow.audit.add(
            actor=turn.person.pseudonym,
            action="consent.withdrawn",
            at=self.now,
            details={"purpose": "announcements"},
        )
        turn.say(chat.UNSUBSCRIBED)

    async def quick(self, args: str) -> None:
        """/gopy SỐ PHẦN Ý_KIẾN [nội dung]: a position (and comment) in one message."""
        turn = self.turn
        if turn.person is None:
            turn.say(chat.CONSENT_FIRST)
            turn.goto(State.AWAIT_CONSENT)
            return
        parsed = parse_quick(args)
        if parsed is None:
            turn.say(chat.QUICK_USAGE)
            return
        consultation_id, position, stance, comment = parsed
        consultation = await self.usable(consultation_id)
        if consultation is None:
            return
        section = await self.uow.consultations.section(consultation.id, position)
        if section is None:
            turn.say(
                chat.QUICK_NO_SECTION.format(
                    title=consultation.title, position=position, id=consultation.id
                )
            )
            return
        if comment is not None and self.too_long(comment):
            return
        group, unit = await self.known_profile(consultation)
        await self.save(consultation, section, stance, comment, group, unit)

    # --- entering a consultation ----------------------------------------------------------------

    async def usable(self, consultation_id: int) -> ConsultationRecord | None:
        """The consultation if it takes comments now; otherwise say why and return None."""
        turn = self.turn
        consultation = await self.uow.consultations.get(consultation_id)
        if consultation is None:
            turn.say(chat.NOT_FOUND.format(id=consultation_id))
        elif self.now < consultation.opens_at:
            turn.say(
                chat.NOT_OPEN_YET.format(
                    title=consultation.title, opens=self.local(consultation.opens_at)
                )
            )
        elif self.now >= consultation.closes_at:
            turn.say(
                chat.CLOSED.format(
                    title=consultation.title, closes=self.local(consultation.closes_at)
                )
            )
        else:
            return consultation
        if turn.state in (
            State.CONSULT_LIST,
            State.CONSULT_GROUP,
            State.CONSULT_UNIT,
            State.CONSULT_MENU,
            State.CONSULT_SECTION,
            State.CONSULT_COMMENT,
        ):
            turn.clear_draft()
            turn.state = State.IDLE
        return None

    async def open(self, consultation_id: int) -> None:
        """Enter a consultation: who the resident is (once), then the section list."""
        turn = self.turn
        if turn.person is None:
            turn.say(chat.CONSENT_FIRST)
            turn.goto(State.AWAIT_CONSENT)
            return
        consultation = await self.usable(consultation_id)
        if consultation is None:
            return
        turn.clear_draft()
        self.place["id"] = consultation.id
        given = await self.given(consultation.id)
        if given:
            # Declared on an earlier visit: the latest position carries it.
            latest = max(given, key=lambda c: c.updated_at)
            self.place.update(group=latest.target_group, unit=latest.unit_code)
            await self.show_menu(consultation)
            return
        self.prompt_group(consultation)

    async def known_profile(
        self, consultation: ConsultationRecord
    ) -> tuple[str | None, str | None]:
        """The group and unit declared on this consultation before (for /gopy)."""
        assert self.turn.person is not None
        given = await self.given(consultation.id)
        if given:
            latest = max(given, key=lambda c: c.updated_at)
            return latest.target_group, latest.unit_code
        return None, await self.derived_unit(consultation, None)

    def prompt_group(self, consultation: ConsultationRecord) -> None:
        groups = consultation.audience_groups or tuple(taxonomy.TARGET_GROUPS)
        buttons = [Button(taxonomy.TARGET_GROUPS.get(g, g), f"gy:grp:{g}") for g in groups]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        if consultation.audience_groups:
            rows.append([Button(chat.BUTTON_NOT_IN_AUDIENCE, "gy:grp:-")])
            text = chat.ASK_GROUP_AUDIENCE
        else:
            rows.append([Button(texts.BUTTON_SKIP, "gy:grp:")])
            text = chat.ASK_GROUP
        self.turn.state = State.CONSULT_GROUP
        self.turn.ask(text, rows)

    async def on_group(self, choice: str | None) -> None:
        consultation = await self.current()
        if consultation is None:
            return
        if not choice or not choice.startswith("gy:grp:"):
            self.turn.say(texts.CHOOSE_FROM_OPTIONS)
            self.prompt_group(consultation)
            return
        group = choice[len("gy:grp:") :]
        if group == "-":
            names = await self.unit_names(consultation.audience_units)
            self.turn.say(
                chat.NOT_IN_AUDIENCE.format(
                    title=consultation.title, audience=audience_phrase(consultation, names)
                )
            )
            self.turn.clear_draft()
            self.turn.state = State.IDLE
            return
        self.place["group"] = group or None
        if len(consultation.audience_units) > 1:
            await self.prompt_unit(consultation)
            return
        if consultation.audience_units:
            self.place["unit"] = consultation.audience_units[0]
        else:
            self.place["unit"] = await self.derived_unit(consultation, group or None)
        await self.show_menu(consultation)

    async def derived_unit(self, consultation: ConsultationRecord, group: str | None) -> str | None:
        if len(consultation.audience_units) == 1:
            return consultation.audience_units[0]
        return attribute_unit(consultation.unit_code, group, await self.uow.units.list_all())

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        names = {}
        for code in codes:
            unit = await self.uow.units.get(code)
            names[code] = unit.name if unit else code
        return names

    async def prompt_unit(self, consultation: ConsultationRecord) -> None:
        names = await self.unit_names(consultation.audience_units)
        rows = [
            [Button(_cut(names[code], chat.BUTTON_CHARS), f"gy:unit:{code}")]
            for code in consultation.audience_units
        ]
        self.turn.state = State.CONSULT_UNIT
        self.turn.ask(chat.ASK_UNIT, rows)

    async def on_unit(self, choice: str | None) -> None:
        consultation = await self.current()
        if consultation is None:
            return
        unit = choice[len("gy:unit:") :] if choice and choice.startswith("gy:unit:") else None
        if unit not in consultation.audience_units:
            self.turn.say(texts.CHOOSE_FROM_OPTIONS)
            await self.prompt_unit(consultation)
            return
        self.place["unit"] = unit
        await self.show_menu(consultation)

    async def current(self) -> ConsultationRecord | None:
        """The consultation the resident is in, if it still takes comments."""
        consultation_id = self.place.get("id")
        if not isinstance(consultation_id, int):
            self.turn.clear_draft()
            self.turn.state = State.IDLE
            self.turn.say(chat.NONE_OPEN if consultation_id is None else texts.CANCELLED)
            return None
        return await self.usable(consultation_id)

    # --- the section list -----------------------------------------------------------------------

    async def show_menu(self, consultation: ConsultationRecord) -> None:
        turn = self.turn
        assert turn.person is not None
        sections = await self.uow.consultations.sections(consultation.id)
        given = {c.section_position for c in await self.given(consultation.id)}
        size = chat.MENU_PAGE_SIZE
        last_page = max(0, (len(sections) - 1) // size)
        page = min(max(int(self.place.get("page", 0)), 0), last_page)
        self.place["page"] = page
        rows = []
        for section in sections[page * size : (page + 1) * size]:
            mark = chat.MARK_GIVEN if section.position in given else ""
            label = _cut(mark + section_heading(section), chat.BUTTON_CHARS)
            rows.append([Button(label, f"gy:sec:{section.position}")])
        nav = []
        if page > 0:
            nav.append(Button(chat.BUTTON_PREVIOUS, "gy:page:prev"))
        if page < last_page:
            nav.append(Button(chat.BUTTON_NEXT, "gy:page:next"))
        if nav:
            rows.append(nav)
        rows.append([Button(chat.BUTTON_DONE, "gy:done")])
        turn.state = State.CONSULT_MENU
        turn.ask(
            chat.MENU.format(
                title=consultation.title,
                issuer=consultation.issuer,
                closes=self.local(consultation.closes_at),
                given=len(given),
                total=len(sections),
            ),
            rows,
        )

    async def on_menu(self, choice: str | None) -> None:
        consultation = await self.current()
        if consultation is None:
            return
        turn = self.turn
        if choice in ("gy:page:prev", "gy:page:next"):
            self.place["page"] = int(self.place.get("page", 0)) + (
                1 if choice.endswith("next") else -1
            )
            await self.show_menu(consultation)
        elif choice == "gy:done":
            await self.finish(consultation)
        elif choice and choice.startswith("gy:sec:"):
            self.place["section"] = int(choice[len("gy:sec:") :])
            self.place["read"] = 0
            await self.show_section(consultation)
        else:
            if turn.incoming.event is not Event.TEXT:
                turn.say(chat.TEXT_ONLY)
            else:
                turn.say(texts.CHOOSE_FROM_OPTIONS)
            await self.show_menu(consultation)

    async def finish(self, consultation: ConsultationRecord) -> None:
        turn = self.turn
        assert turn.person is not None
        given = await self.given(consultation.id)
        if given:
            turn.say(
                chat.DONE.format(
                    title=consultation.title,
                    given=len(given),
                    closes=self.local(consultation.closes_at),
                )
            )
        else:
            turn.say(chat.DONE_NOTHING)
        turn.clear_draft()
        turn.state = State.IDLE

    # --- one section ----------------------------------------------------------------------------

    def page_chars(self) -> int:
        return chat.PAGE_CHARS.get(self.turn.incoming.user.channel, chat.PAGE_CHARS_DEFAULT)

    async def show_section(self, consultation: ConsultationRecord) -> None:
        """The section's heading, its summary (read: 0) or a page of its text, the position the
        resident gave, and the three positions to choose from."""
        turn = self.turn
        assert turn.person is not None
        position = int(self.place.get("section", WHOLE_DRAFT))
        section = await self.uow.consultations.section(consultation.id, position)
        if section is None:
            await self.show_menu(consultation)
            return
        read = int(self.place.get("read", 0))
        chunks = pages(section.body, self.page_chars()) if section.body.strip() else []
        if position == WHOLE_DRAFT:
            body = chat.SECTION_WHOLE.format(title=consultation.title)
        elif not chunks:
            body = chat.SECTION_EMPTY
        elif read == 0:
            body = summary(section.body, chat.SUMMARY_CHARS)
        else:
            read = min(read, len(chunks))
            body = chunks[read - 1] + chat.SECTION_PAGE.format(page=read, pages=len(chunks))
        heading = "" if position == WHOLE_DRAFT else section.label
        title = f". {section.title}" if section.title and heading else section.title
        text = chat.SECTION.format(label=heading, title=title, text=body).strip()
        mine = await self.comment_on(consultation, position)
        if mine is not None:
            comment = chat.CURRENT_COMMENT.format(text=_cut(mine.text, 200)) if mine.text else ""
            text += chat.CURRENT.format(
                stance=STANCES.get(mine.stance, mine.stance),
                comment=comment,
                closes=self.local(consultation.closes_at),
            )
        text += chat.QUICK_HINT.format(id=consultation.id, position=position) + chat.ASK_STANCE
        rows = [[Button(name, f"gy:st:{code}")] for code, name in STANCES.items()]
        more = []
        if chunks and position != WHOLE_DRAFT:
            if read == 0 and (
                len(chunks) > 1 or summary(section.body, chat.SUMMARY_CHARS) != chunks[0]
            ):
                more.append(Button(chat.BUTTON_READ_ALL, "gy:read"))
            elif 0 < read < len(chunks):
                more.append(Button(chat.BUTTON_READ_ON, "gy:read"))
        if more:
            rows.append(more)
        rows.append([Button(chat.BUTTON_BACK_TO_LIST, "gy:menu")])
        self.place["read"] = read
        turn.state = State.CONSULT_SECTION
        turn.ask(text, rows)

    async def comment_on(
        self, consultation: ConsultationRecord, position: int
    ) -> CommentRecord | None:
        assert self.turn.person is not None
        for comment in await self.given(consultation.id):
            if comment.section_position == position:
                return comment
        return None

    async def on_section(self, choice: str | None) -> None:
        consultation = await self.current()
        if consultation is None:
            return
        turn = self.turn
        if choice == "gy:menu":
            await self.show_menu(consultation)
        elif choice == "gy:read":
            self.place["read"] = int(self.place.get("read", 0)) + 1
            await self.show_section(consultation)
        elif choice and choice.startswith("gy:st:") and choice[len("gy:st:") :] in STANCES:
            self.place["stance"] = choice[len("gy:st:") :]
            await self.prompt_comment(consultation)
        else:
            typed = parse_stance(turn.incoming.text) if turn.incoming.event is Event.TEXT else None
            if typed is not None:
                self.place["stance"] = typed
                await self.prompt_comment(consultation)
                return
            turn.say(
                chat.TEXT_ONLY
                if turn.incoming.event is not Event.TEXT
                else texts.CHOOSE_FROM_OPTIONS
            )
            await self.show_section(consultation)

    async def prompt_comment(self, consultation: ConsultationRecord) -> None:
        position = int(self.place.get("section", WHOLE_DRAFT))
        section = await self.uow.consultations.section(consultation.id, position)
        assert section is not None
        mine = await self.comment_on(consultation, position)
        rows = [[Button(chat.BUTTON_NO_COMMENT, "gy:nocomment")]]
        if mine is not None and mine.text:
            rows.insert(0, [Button(chat.BUTTON_KEEP_COMMENT, "gy:keep")])
        rows.append([Button(chat.BUTTON_BACK, "gy:back")])
        stance = str(self.place.get("stance"))
        self.turn.state = State.CONSULT_COMMENT
        self.turn.ask(
            chat.ASK_COMMENT.format(
                stance=STANCES.get(stance, stance),
                label=section_heading(section),
                limit=chat.COMMENT_MAX_CHARS,
            ),
            rows,
        )

    def too_long(self, comment: str) -> bool:
        if len(comment) > chat.COMMENT_MAX_CHARS:
            self.turn.say(
                chat.COMMENT_TOO_LONG.format(length=len(comment), limit=chat.COMMENT_MAX_CHARS)
            )
            return True
        return False

    async def on_comment(self, choice: str | None) -> None:
        consultation = await self.current()
        if consultation is None:
            return
        turn = self.turn
        position = int(self.place.get("section", WHOLE_DRAFT))
        section = await self.uow.consultations.section(consultation.id, position)
        stance = self.place.get("stance")
        if section is None or stance not in STANCES:
            await self.show_menu(consultation)
            return
        if choice == "gy:back":
            await self.show_section(consultation)
            return
        if choice == "gy:keep":
            mine = await self.comment_on(consultation, position)
            comment = mine.text if mine is not None else None
        elif choice == "gy:nocomment":
            comment = None
        elif turn.incoming.event is Event.TEXT and turn.incoming.text.strip():
            comment = turn.incoming.text.strip()
            if self.too_long(comment):
                await self.prompt_comment(consultation)
                return
        else:
            turn.say(chat.TEXT_ONLY)
            await self.prompt_comment(consultation)
            return
        await self.save(
            consultation, section, stance, comment, self.place.get("group"), self.place.get("unit")
        )
        self.place.pop("stance", None)
        await self.show_menu(consultation)

    # --- storing ------------------------------------------------------------------------------

    async def save(
        self,
        consultation: ConsultationRecord,
        section: SectionRecord,
        stance: str,
        comment: str | None,
        group: str | None,
        unit: str | None,
    ) -> None:
        """Store (or change) the position, run the comment through the NLP like a submission
        (flags, redaction, near-duplicate grouping within the section), and confirm."""
        turn = self.turn
        assert turn.person is not None
        uow, now = self.uow, self.now
        before = await self.comment_on(consultation, section.position)
        analysis = turn.engine.analyzer.screen(comment) if comment else None
        flags = analysis.flag_codes if analysis else ()
        comment_id, created = await uow.consultations.put_comment(
            consultation_id=consultation.id,
            section_id=section.id,
            person_id=turn.person.id,
            stance=stance,
            text=comment,
            redacted=analysis.redacted if analysis else None,
            flags=flags,
            restricted=bool(set(flags) & set(SENSITIVE_FLAGS)),
            target_group=group,
            unit_code=unit,
            channel=turn.incoming.user.channel,
            at=now,
        )
        self._given.pop(consultation.id, None)
        text_changed = created or before is None or before.text != comment
        if text_changed and not created:
            await uow.comment_clusters.release(comment_id, now)
        if text_changed and analysis is not None:
            signature = duplicates.signature(analysis.redacted)
            await uow.comment_clusters.assign(
                submission_id=comment_id,
                scope=f"gy:{consultation.id}:{section.position}",
                signature=signature,
                band_keys=duplicates.band_keys(signature),
                similarity=duplicates.similarity,
                threshold=duplicates.SIMILAR,
                at=now,
            )
        logger.info(
            "comment %s on consultation %s %s (flags: %s)",
            comment_id,
            consultation.id,
            "stored" if created else "changed",
            ",".join(flags) or "-",
        )
        receipt = (chat.SAVED if created else chat.CHANGED).format(
            label=section_heading(section),
            stance=STANCES[stance],
            comment=chat.WITH_COMMENT if comment else "",
            closes=self.local(consultation.closes_at),
        )
        if URGENT_FLAGS & set(flags):
            receipt = texts.EMERGENCY_ADVICE + "\n\n" + receipt
        turn.say(receipt)

    # --- officers: /taoduthao -------------------------------------------------------------------

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
        if len(text) > DRAFT_MAX_CHARS:
            turn.ask(
                texts.TEXT_TOO_LONG.format(length=len(text), limit=DRAFT_MAX_CHARS),
                self.draft_buttons(),
            )
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
            sections="\n".join(_cut(line, 100) for line in shown),
            opens=self.local(datetime.fromisoformat(form["opens_at"])),
            closes=self.local(datetime.fromisoformat(form["closes_at"])),
            report=report,
            audience=audience or chat.EVERYONE,
        )
        name = (form.get("file") or {}).get("attachment", {}).get("file_name")
        if name:
            text = chat.PREVIEW_FILE.format(name=_cut(name, 100)) + text
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

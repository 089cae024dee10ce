"""Consultations on draft documents in chat: residents list open drafts, declare who they are,
browse sections, give a position on each (Tán thành / Không tán thành / Tán thành một phần)
with an optional comment, and change it until the close. Setting one up (the CLI's and
/taoduthao's) is handlers.consultation_setup's.

The conversation engine (handlers.intake) hands the consultation states and commands to
`ConsultationChat`, which talks through the turn's `say`/`ask` and keeps its place in the
conversation data under "gy".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from config import consultation_chat as chat
from config import taxonomy, texts
from config.consultations import STANCES
from handlers.digest_text import shorten
from handlers.messages import Button, Event
from handlers.ports import UnitOfWork
from handlers.review import URGENT_FLAGS
from handlers.roles import Scope, descendants, scope_for
from handlers.sections import pages, summary
from handlers.states import CONSULTING, State
from nlp import duplicates
from nlp.locality import Locality, LocalityIndex
from nlp.text import fold
from storage.consultation_records import (
    WHOLE_DRAFT,
    CommentRecord,
    ConsultationRecord,
    Place,
    SectionRecord,
)
from storage.records import SENSITIVE_FLAGS, PersonRecord, UnitRecord

if TYPE_CHECKING:  # handlers.intake imports this module
    from handlers.intake import _Turn

logger = logging.getLogger(__name__)

OPEN_PREFIX = "gy:open:"  # an announcement's button: valid in any state
PLACE_PREFIX = "sub:loc:"  # a place /dangky offers: valid in any state while on offer
EVERYWHERE = "*"
# A typed consultation or section number: 9 digits fit the smallest id column (a 32-bit int).
MAX_NUMBER_DIGITS = 9


# --- pure helpers ---------------------------------------------------------------------------------


def parse_stance(word: str) -> str | None:
    """A typed position ("1", "tán thành", "khong", …) as its code; None when unknown."""
    folded = " ".join(fold(word).split())
    for code, words in chat.STANCE_WORDS.items():
        if folded in words:
            return code
    return None


def typed_number(word: str) -> int | None:
    """A consultation or section number as typed; None unless decimal digits ("²" passes
    str.isdigit but not int()) few enough for the database's integer columns."""
    return int(word) if word.isdecimal() and len(word) <= MAX_NUMBER_DIGITS else None


def parse_quick(args: str) -> tuple[int, int, str, str | None] | None:
    """`SỐ PHẦN Ý_KIẾN [nội dung]` as (consultation, section, stance, comment); the position
    may take several words ("khong tan thanh"), the longest match wins."""
    words = list(re.finditer(r"\S+", args))
    if len(words) < 3:
        return None
    consultation_id, position = typed_number(words[0].group()), typed_number(words[1].group())
    if consultation_id is None or position is None:
        return None
    for count in range(min(4, len(words) - 2), 0, -1):
        last = words[1 + count]
        stance = parse_stance(args[words[2].start() : last.end()])
        if stance is not None:
            comment = args[last.end() :].strip() or None
            return consultation_id, position, stance, comment
    return None


def attribute_unit(
    issuer_code: str | None, group: str | None, units: Sequence[UnitRecord]
) -> str | None:
    """The unit a comment is counted under when the audience names none: the member
    organisation serving the resident's group under the issuing unit (nearest first), else
    the issuing unit itself — as the seeds' member organisations each gather their members'."""
    if issuer_code is None:
        return None
    if group:
        for unit in descendants(units, issuer_code):  # breadth first: the nearest first
            if unit.target_group == group:
                return unit.code
    return issuer_code


def audience_phrase(
    consultation: ConsultationRecord, unit_names: dict[str, str] | None = None
) -> str:
    """Who a consultation is for, as residents read it."""
    parts = [taxonomy.TARGET_GROUPS.get(g, g) for g in consultation.audience_groups]
    parts += [(unit_names or {}).get(u, u) for u in consultation.audience_units]
    return ", ".join(parts) or chat.EVERYONE


def chosen_place(payload: str | None) -> str | None:
    """The locality code (or EVERYWHERE) a /dangky choice names; None for any other payload."""
    if payload and payload.startswith(PLACE_PREFIX):
        return payload[len(PLACE_PREFIX) :]
    return None


def announcement_scopes(
    consultation: ConsultationRecord, units: Sequence[UnitRecord]
) -> list[Scope]:
    """Where a consultation is announced: its audience units' areas, else its issuing unit's.

    An area is an officer's (handlers.roles.scope_for): a province, or a ward with the wards
    below it; a unit without a locality, or one no longer in the tree, reaches everyone.
    """
    by_code = {unit.code: unit for unit in units}
    codes = consultation.audience_units or (
        (consultation.unit_code,) if consultation.unit_code else ()
    )
    scopes = []
    for code in codes:
        unit = by_code.get(code)
        if unit is None:
            return [Scope()]
        scopes.append(scope_for(unit, descendants(units, code), ()))
    return scopes or [Scope()]


def reaches(place: Place | None, scopes: Sequence[Scope]) -> bool:
    """Whether an announcement for these areas goes to a subscriber of `place` (None: all)."""
    return place is None or any(
        scope.covers_place(place.locality_code, place.province_code) for scope in scopes
    )


def place_phrase(place: Place | None, localities: LocalityIndex) -> str:
    """Where a subscriber's announcements come from, as the resident reads it."""
    if place is None:
        return chat.PLACE_EVERYWHERE
    locality = localities.get(place.locality_code)
    return chat.PLACE_AT.format(label=locality.label if locality else place.locality_code)


def opened_consultation(payload: str) -> int | None:
    """The consultation an "open" button (a list's, an announcement's) names; None otherwise."""
    number = payload[len(OPEN_PREFIX) :] if payload.startswith(OPEN_PREFIX) else ""
    return typed_number(number)


async def consultation_lines(
    uow: UnitOfWork, person: PersonRecord, localities: LocalityIndex
) -> list[str]:
    """What /dulieucuatoi shows of a person's positions on drafts and their subscription."""
    lines = []
    given = await uow.consultations.comments_of_person(person.id)
    if given:
        lines.append(chat.MY_DATA_COMMENTS.format(count=len(given)))
    for comment in given:
        section = await uow.consultations.section(comment.consultation_id, comment.section_position)
        label = section.heading if section else str(comment.section_position)
        lines.append(
            chat.MY_DATA_COMMENT.format(
                id=comment.consultation_id,
                label=label,
                stance=STANCES.get(comment.stance, comment.stance),
                comment=chat.CURRENT_COMMENT.format(text=comment.text) if comment.text else "",
            )
        )
    subscribed, place = await uow.consultations.subscription(person.id)
    if subscribed:
        lines.append(
            chat.MY_DATA_SUBSCRIBED.format(
                place=place_phrase(place, localities), version=chat.NOTICE_VERSION
            )
        )
    return lines


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
        }
        await steps[self.turn.state](choice)

    async def reprompt(self) -> None:
        """Show the current step again (after a stale button)."""
        if self.turn.state is State.CONSULT_LIST:
            await self.list_or_open("")
        else:
            await self.on_input(None)

    async def on_list(self, choice: str | None) -> None:
        consultation_id = opened_consultation(choice or "")
        if consultation_id is not None:
            await self.open(consultation_id)
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
        number = typed_number(args.strip())
        if number is not None:
            await self.open(number)
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
                    shorten(
                        chat.LIST_ITEM.format(title=c.title, closes=self.local(c.closes_at)),
                        chat.BUTTON_CHARS,
                    ),
                    f"{OPEN_PREFIX}{c.id}",
                )
            ]
            for c in found
        ]
        turn.ask(chat.LIST, rows)

    async def subscribe(self, args: str = "") -> None:
        """/dangky [xã/phường]: consent to announcements (stored with the notice's version)
        from everywhere, or only from the consultations meant for one place."""
        turn = self.turn
        if turn.person is None:
            turn.say(chat.CONSENT_FIRST)
            turn.goto(State.AWAIT_CONSENT)
            return
        query = args.strip()
        if not query:
            await self.store_subscription(None)
            return
        localities = turn.engine.localities
        matches = localities.match(query, limit=turn.limits.locality_candidates)
        if not matches:
            turn.say(chat.PLACE_NOT_FOUND.format(query=query[:100]))
        elif matches[0].exact:
            await self.store_subscription(matches[0].locality)
        else:
            rows = [[Button(m.locality.label, f"{PLACE_PREFIX}{m.locality.code}")] for m in matches]
            everywhere = Button(chat.BUTTON_EVERYWHERE, PLACE_PREFIX + EVERYWHERE)
            turn.ask(chat.PLACE_CHOOSE, [*rows, [everywhere]])

    async def choose_place(self, code: str) -> None:
        """A place /dangky offered, pressed or typed by its number."""
        self.turn.drop_options()
        if code == EVERYWHERE:
            await self.store_subscription(None)
        elif (locality := self.turn.engine.localities.get(code)) is not None:
            await self.store_subscription(locality)
        else:  # a place dropped from the administrative list since it was offered
            self.turn.say(texts.STALE_BUTTON)

    async def store_subscription(self, locality: Locality | None) -> None:
        """Subscribe the resident, or move their subscription to another place."""
        turn = self.turn
        assert turn.person is not None
        place = Place(locality.code, locality.province_code) if locality else None
        phrase = place_phrase(place, turn.engine.localities)
        outcome = await self.uow.consultations.subscribe(
            turn.person.id, chat.NOTICE_VERSION, self.now, place
        )
        if outcome == "same":
            turn.say(chat.ALREADY_SUBSCRIBED.format(place=phrase))
            return
        if outcome == "changed":
            turn.say(chat.PLACE_CHANGED.format(place=phrase))
            return
        await self.uow.audit.add(
            actor=turn.person.pseudonym,
            action="consent.given",
            at=self.now,
            details={"purpose": "announcements", "version": chat.NOTICE_VERSION},
        )
        turn.say(chat.SUBSCRIBED.format(place=phrase, version=chat.NOTICE_VERSION))

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
        if turn.state in CONSULTING:
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
        if await self.given(consultation.id):
            group, unit = await self.known_profile(consultation)
            self.place.update(group=group, unit=unit)
            await self.show_menu(consultation)
            return
        self.prompt_group(consultation)

    async def known_profile(
        self, consultation: ConsultationRecord
    ) -> tuple[str | None, str | None]:
        """The group and unit declared on this consultation before (the latest position carries
        them); without any, no group and the unit the comment would count under."""
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
        self.place["unit"] = await self.derived_unit(consultation, group or None)
        await self.show_menu(consultation)

    async def derived_unit(self, consultation: ConsultationRecord, group: str | None) -> str | None:
        """The unit a comment counts under when the resident does not choose one."""
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
            [Button(shorten(names[code], chat.BUTTON_CHARS), f"gy:unit:{code}")]
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
            label = shorten(mark + section.heading, chat.BUTTON_CHARS)
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
            comment = (
                chat.CURRENT_COMMENT.format(text=shorten(mine.text, chat.CURRENT_COMMENT_CHARS))
                if mine.text
                else ""
            )
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
                label=section.heading,
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
        text_changed = before is None or before.text != comment
        if text_changed and before is not None:
            await uow.comment_clusters.release(comment_id, now)
        if text_changed and analysis is not None:
            await uow.comment_clusters.assign(
                submission_id=comment_id,
                scope=f"gy:{consultation.id}:{section.position}",
                at=now,
                **duplicates.assignment(analysis.redacted),
            )
        logger.info(
            "comment %s on consultation %s %s (flags: %s)",
            comment_id,
            consultation.id,
            "stored" if created else "changed",
            ",".join(flags) or "-",
        )
        receipt = (chat.SAVED if created else chat.CHANGED).format(
            label=section.heading,
            stance=STANCES[stance],
            comment=chat.WITH_COMMENT if comment else "",
            closes=self.local(consultation.closes_at),
        )
        if set(URGENT_FLAGS) & set(flags):
            receipt = texts.EMERGENCY_ADVICE + "\n\n" + receipt
        if text_changed and comment:
            await turn.engine.officers.review.alert_comment(
                uow,
                comment_id=comment_id,
                where=(consultation.title, section.heading),
                text=comment,
                flags=flags,
                now=now,
            )
        turn.say(receipt)

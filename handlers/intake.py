"""Residents' intake conversation: consent, kind, content, attachments, locality, group, receipt.

State lives in our own table (not in process memory), so any bot process can take the next
update of any resident. One inbound update is one unit of work: the update is claimed, the
conversation advances, and everything commits together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from time import perf_counter
from typing import Any

from config import calendar as calendar_config
from config import consultation_chat, taxonomy, texts
from handlers import cases, roles
from handlers.calendar import WorkingCalendar, answer_due
from handlers.codes import new_pseudonym, new_reference_code, parse_reference_code
from handlers.consultation_setup import DraftCreation
from handlers.consultations import (
    ConsultationChat,
    chosen_place,
    consultation_lines,
    opened_consultation,
)
from handlers.messages import Attachment, Button, Event, Incoming, Outgoing
from handlers.ports import (
    Clock,
    Digests,
    DraftFiles,
    TextAnalyzer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from handlers.review import COMMANDS as REVIEW_COMMANDS
from handlers.review import PREFIX as REVIEW_PREFIX
from handlers.review import URGENT_FLAGS
from handlers.states import CONSULTING, DRAFTING, State
from nlp import duplicates
from nlp.locality import LocalityIndex
from nlp.text import fold
from storage.records import AttachmentRecord, NewSubmission, PersonRecord

logger = logging.getLogger(__name__)

# The host's own terminal and the demo: never rate limited.
LOCAL_CHANNELS = frozenset({"shell", "demo"})
# A submission from someone who flooded within this time is flagged spam, with this evidence.
FLOOD_MEMORY = timedelta(hours=1)
FLOOD_FLAG = {"code": "spam", "evidence": [{"start": 0, "end": 0, "text": "", "source": "flood"}]}
# Consultations on drafts (handlers.consultations).
CONSULTATION_COMMANDS = ("duthao", "gopy", "dangky", "huydangky", "taoduthao")


@dataclass(frozen=True)
class IntakeLimits:
    """Bounds on what one submission may carry."""

    max_text_chars: int = 5000
    max_photos: int = 5
    # A first message at least this long is taken as the content itself, not as a greeting.
    min_content_chars: int = 20
    locality_candidates: int = 5


class Engine:
    """Runs each inbound update through the conversation in its own unit of work."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        localities: LocalityIndex,
        clock: Clock,
        display_tz: tzinfo,
        analyzer: TextAnalyzer,
        limits: IntakeLimits | None = None,
        calendar: WorkingCalendar | None = None,
        digests: Digests | None = None,
        bootstrap_admin: str | None = None,
        moderator_chats: Sequence[tuple[str, str]] = (),
        draft_files: DraftFiles | None = None,
        rate_limit: int | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        # Updates one resident may send per minute (None: no limit).
        self.rate_limit = rate_limit
        # Reads a consultation's draft sent as a document; None: officers paste the text.
        self.draft_files = draft_files
        # Called after an update that queued outbox messages commits (bot.scheduler kicks).
        self.on_queued: Callable[[], None] | None = None
        # Called after each update with (channel, seconds, whether it was handled without an
        # error); bot.metrics counts them. `in_flight` is the updates being handled right now.
        self.on_handled: Callable[[str, float, bool], None] | None = None
        self.in_flight = 0
        self.analyzer = analyzer
        self.localities = localities
        self.clock = clock
        self.display_tz = display_tz
        self.limits = limits or IntakeLimits()
        # Answer deadlines count working days: weekends, public holidays, the deployer's days off.
        self.calendar = calendar or WorkingCalendar(
            calendar_config.EXTRA_DAYS_OFF,
            calendar_config.MAKEUP_WORKING_DAYS,
            language=calendar_config.HOLIDAY_NAMES_LANGUAGE,
        )
        # Enrollment and officer commands (bootstrap_admin: "channel:external_id").
        self.officers = roles.Officers(
            display_tz=display_tz,
            digests=digests,
            bootstrap_admin=bootstrap_admin,
            calendar=self.calendar,
            moderator_chats=moderator_chats,
        )

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Process one update; a re-delivered update returns no replies and changes nothing."""
        started = perf_counter()
        self.in_flight += 1
        handled = False
        try:
            replies = await self._handle(incoming)
            handled = True
            return replies
        finally:
            self.in_flight -= 1
            if self.on_handled is not None:
                self.on_handled(incoming.user.channel, perf_counter() - started, handled)

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        now = self.clock()
        async with self.uow_factory() as uow:
            if not await uow.updates.claim(incoming.user.channel, incoming.update_id, now):
                logger.info(
                    "update %s/%s already processed", incoming.user.channel, incoming.update_id
                )
                return []
            replies = await _Turn(self, uow, incoming, now).run()
            await uow.commit()
            queued = uow.outbox.queued
        if queued and self.on_queued is not None:
            self.on_queued()  # an answer, an alert or a review item: send it now, not in 5 s
        return replies


class _Turn:
    """One update's pass through the conversation; collects the replies to send."""

    def __init__(self, engine: Engine, uow: UnitOfWork, incoming: Incoming, now: datetime):
        self.engine = engine
        self.uow = uow
        self.incoming = incoming
        self.now = now
        self.limits = engine.limits
        self.replies: list[Outgoing] = []
        self.person: PersonRecord | None = None
        self.state = State.AWAIT_CONSENT
        self.data: dict[str, Any] = {}
        self.forget = False

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def draft(self) -> dict[str, Any]:
        return self.data.setdefault("draft", {})

    def say(self, text: str) -> None:
        """Reply without changing the choices on offer."""
        self.replies.append(Outgoing(self.incoming.chat_id, text))

    def ask(self, text: str, rows: list[list[Button]] | None = None) -> None:
        """Reply with choices; a typed number or label then resolves against exactly these."""
        rows = rows or []
        self.replies.append(
            Outgoing(self.incoming.chat_id, text, tuple(tuple(row) for row in rows))
        )
        self.data["options"] = [[b.payload, b.label] for row in rows for b in row]

    def drop_options(self) -> None:
        """Withdraw the choices on offer: a later number or label is read as typed text."""
        self.data["options"] = []

    def goto(self, state: State) -> None:
        """Enter a state and show its prompt."""
        self.state = state
        self.prompt()

    def prompt(self) -> None:
        """Show the prompt of the current state again."""
        prompts = {
            State.AWAIT_CONSENT: self.prompt_consent,
            State.IDLE: self.prompt_kind,
            State.AWAIT_KIND: self.prompt_kind,
            State.AWAIT_TEXT: self.prompt_text,
            State.AWAIT_ATTACHMENTS: self.prompt_attachments,
            State.AWAIT_LOCALITY: self.prompt_locality,
            State.AWAIT_GROUP: self.prompt_group,
            State.CONFIRM: self.prompt_confirm,
            State.CONFIRM_ERASE: self.prompt_erase,
        }
        if self.state is State.IDLE:
            self.state = State.AWAIT_KIND
        prompts[self.state]()

    def clear_draft(self) -> None:
        self.data = {}

    def resolve_choice(self) -> str | None:
        """The payload chosen by a button, a typed number or a typed label; None for free input."""
        options: list[list[str]] = self.data.get("options", [])
        if self.incoming.event is Event.BUTTON:
            payloads = [payload for payload, _ in options]
            return self.incoming.payload if self.incoming.payload in payloads else ""
        if self.incoming.event is Event.TEXT and options:
            typed = self.incoming.text.strip()
            # isdecimal, not isdigit: "²" is a digit that int() refuses (and so are 4,301 digits).
            if typed.isdecimal() and len(typed) < 10 and 1 <= int(typed) <= len(options):
                return options[int(typed) - 1][0]
            folded = fold(typed)
            for payload, label in options:
                if folded and folded == fold(label):
                    return payload
        return None

    # --- entry ------------------------------------------------------------------------------

    async def run(self) -> list[Outgoing]:
        incoming = self.incoming
        if self.is_moderation():
            await self.moderate()
            return self.replies
        if not incoming.is_private:
            self.say(texts.GROUP_CHAT)
            return self.replies
        if incoming.event is Event.EDITED:
            self.say(texts.EDITED_MESSAGE)
            return self.replies
        user = incoming.user
        self.person = await self.uow.people.get_by_channel(user.channel, user.external_id)
        conversation = await self.uow.conversations.get_for_update(user.channel, user.external_id)
        if conversation is not None:
            self.state = State(conversation.state)
            self.data = conversation.data
        if self.person is None and self.state is not State.AWAIT_CONSENT:
            self.state, self.data = State.AWAIT_CONSENT, {}
        elif self.person is not None and conversation is None:
            self.state = State.IDLE
        if self.person is not None:
            self.person = await self.engine.officers.bootstrap(self.uow, self.person, self.now)
        if await self.flooded():
            return self.replies  # consumed: claimed, nothing else stored

        if incoming.event is Event.COMMAND:
            await self.on_command()
        elif incoming.event is Event.UNSUPPORTED:
            self.say(texts.UNSUPPORTED.get(incoming.unsupported, texts.UNSUPPORTED["other"]))
        elif incoming.event is Event.DOCUMENT and self.state is not State.CONSULT_DRAFT:
            # A document is taken only as the draft of a consultation being created.
            self.say(texts.UNSUPPORTED["document"])
        elif incoming.event is Event.BUTTON and cases.is_rate_button(incoming.payload):
            # A rating under a relayed answer: valid in any state, the draft left as it is.
            self.say(await cases.rate_button(self.uow, self.person, incoming.payload, self.now))
        elif (
            incoming.event is Event.BUTTON
            and (opened := opened_consultation(incoming.payload)) is not None
            and self.person is not None
        ):
            # An announcement's "Góp ý ngay": valid in any state.
            await ConsultationChat(self).open(opened)
        else:
            choice = self.resolve_choice()
            if choice == "":
                self.say(texts.STALE_BUTTON)
                if self.state in CONSULTING:
                    await self.consultation_step().reprompt()
                else:
                    self.prompt()
            elif (place := chosen_place(choice)) is not None and self.person is not None:
                # A place /dangky offered: in any state, the state's own input left as it is.
                await ConsultationChat(self).choose_place(place)
            elif self.state in CONSULTING:
                await self.consultation_step().on_input(choice)
            else:
                await self.on_input(choice)
        await self.persist()
        return self.replies

    def consultation_step(self) -> ConsultationChat | DraftCreation:
        """Who takes a consultation state: an officer setting one up, or a resident in one."""
        if self.state in (State.CONSULT_DRAFT, State.CONSULT_CONFIRM):
            return DraftCreation(self)
        return ConsultationChat(self)

    async def flooded(self) -> bool:
        """Whether this update is over the sender's per-minute limit; the first one over it
        gets a polite notice (and an audit row), the rest of the minute is dropped silently.

        Counted in the database, so the limit holds across worker processes. Staff are not
        limited (a moderator works a queue fast), nor the host's own terminal and demo.
        """
        limit = self.engine.rate_limit
        user = self.incoming.user
        if limit is None or user.channel in LOCAL_CHANNELS:
            return False
        if self.person is not None and self.person.role in roles.STAFF:
            return False
        window = self.now.replace(second=0, microsecond=0)
        count = await self.uow.rate_windows.hit(user.channel, user.external_id, window)
        if count <= limit:
            return False
        if count == limit + 1:
            wait = 60 - (self.now - window).seconds
            self.say(texts.RATE_LIMITED.format(limit=limit, seconds=wait))
            await self.uow.rate_windows.mark_limited(user.channel, user.external_id, self.now)
            await self.uow.audit.add(
                actor=self.person.pseudonym if self.person else "anonymous",
                action="flood.limited",
                at=self.now,
                details={"channel": user.channel, "limit": limit},
            )
            logger.warning("sender over %d updates/min on %s: dropped", limit, user.channel)
        return True

    async def flooded_lately(self) -> bool:
        """Whether the sender went over the rate limit within FLOOD_MEMORY."""
        user = self.incoming.user
        since = self.now - FLOOD_MEMORY
        return await self.uow.rate_windows.limited_since(user.channel, user.external_id, since)

    def is_moderation(self) -> bool:
        """A review-queue button or command: taken from any chat, a moderators' group too."""
        incoming = self.incoming
        if incoming.event is Event.BUTTON:
            return incoming.payload.startswith(REVIEW_PREFIX)
        return incoming.event is Event.COMMAND and incoming.command in REVIEW_COMMANDS

    async def moderate(self) -> None:
        """Answer a moderator without loading or saving their own conversation (their draft
        stays as it was); anyone else is refused politely."""
        user, officers = self.incoming.user, self.engine.officers
        person = await self.uow.people.get_by_channel(user.channel, user.external_id)
        if self.incoming.event is Event.BUTTON:
            self.replies += await officers.review.press(self.uow, person, self.incoming, self.now)
        else:
            command, args = self.incoming.command, self.incoming.args
            self.say(await officers.run(self.uow, person, command, args, self.now))

    async def persist(self) -> None:
        user = self.incoming.user
        if self.forget:
            await self.uow.conversations.delete(user.channel, user.external_id)
        else:
            await self.uow.conversations.save(
                user.channel, user.external_id, self.state.value, self.data, self.now
            )

    async def on_input(self, choice: str | None) -> None:
        handlers = {
            State.AWAIT_CONSENT: self.on_consent,
            State.IDLE: self.on_idle,
            State.AWAIT_KIND: self.on_kind,
            State.AWAIT_TEXT: self.on_text,
            State.AWAIT_ATTACHMENTS: self.on_attachments,
            State.AWAIT_LOCALITY: self.on_locality,
            State.AWAIT_GROUP: self.on_group,
            State.CONFIRM: self.on_confirm,
            State.CONFIRM_ERASE: self.on_erase,
        }
        await handlers[self.state](choice)

    def media_not_expected(self) -> bool:
        """Answer a photo or location sent at a step that does not take one."""
        if self.incoming.event is Event.PHOTO:
            self.say(texts.PHOTO_NOT_EXPECTED)
        elif self.incoming.event is Event.LOCATION:
            self.say(texts.LOCATION_NOT_EXPECTED)
        else:
            return False
        self.prompt()
        return True

    # --- commands ---------------------------------------------------------------------------

    async def on_command(self) -> None:
        command = self.incoming.command
        if command == roles.JOIN_COMMAND or (command == "start" and self.incoming.args.strip()):
            await self.join()
        elif command in roles.COMMANDS:
            args = self.incoming.args
            self.say(await self.engine.officers.run(self.uow, self.person, command, args, self.now))
        elif command == "start":
            if self.person is None:
                self.say(texts.WELCOME)
                self.goto(State.AWAIT_CONSENT)
            else:
                self.clear_draft()
                self.say(texts.WELCOME_BACK)
                self.goto(State.AWAIT_KIND)
        elif command in ("trogiup", "help"):
            self.say(texts.HELP)
            if self.person is not None and self.person.role != "resident":
                self.say(texts.STAFF_HELP)
        elif command in CONSULTATION_COMMANDS:
            consultation = ConsultationChat(self)
            args = self.incoming.args
            if command == "duthao":
                await consultation.list_or_open(args)
            elif command == "gopy":
                await consultation.quick(args)
            elif command == "dangky":
                await consultation.subscribe(args)
            elif command == "huydangky":
                await consultation.unsubscribe()
            else:
                await DraftCreation(self).start_creating(args)
        elif command in ("huy", "cancel") and self.state in CONSULTING:
            self.clear_draft()
            self.state = State.IDLE
            self.say(consultation_chat.LEFT)
        elif command in ("huy", "cancel"):
            if self.person is not None and self.state in DRAFTING:
                self.clear_draft()
                self.state = State.IDLE
                self.say(texts.CANCELLED)
            else:
                self.say(texts.NOTHING_TO_CANCEL)
        elif command == "trangthai":
            await self.show_status()
        elif command == "dulieucuatoi":
            await self.show_my_data()
        elif command == "danhgia":
            self.say(await cases.rate_command(self.uow, self.person, self.incoming.args, self.now))
        elif command == "bosung":
            self.say(
                await cases.follow_up(
                    self.uow,
                    self.person,
                    self.incoming.args,
                    self.now,
                    max_chars=self.limits.max_text_chars,
                )
            )
        elif command == "xoadulieu":
            if self.person is None:
                self.say(texts.MY_DATA_NONE)
            else:
                self.goto(State.CONFIRM_ERASE)
        else:
            self.say(texts.UNKNOWN_COMMAND.format(command="/" + command))

    async def join(self) -> None:
        """`/thamgia CODE` or `/start TOKEN`: before consent the invite waits (hashed) for it."""
        hashes = roles.invite_hashes(self.incoming.args)
        if not hashes:
            self.say(texts.INVITE_USAGE)
        elif self.person is None:
            self.data = {"invite": hashes}
            self.say(texts.INVITE_CONSENT_FIRST)
            self.goto(State.AWAIT_CONSENT)
        else:
            self.person, text = await self.engine.officers.redeem(
                self.uow, self.person, hashes, self.now
            )
            self.say(text)

    async def show_status(self) -> None:
        if not self.incoming.args.strip():
            self.say(texts.STATUS_USAGE)
            return
        code = parse_reference_code(self.incoming.args)
        shown = code or self.incoming.args.strip()[:20]
        submission = await self.uow.submissions.get_by_code(code) if code else None
        # Someone else's code gets the same answer as a missing one: existence is not disclosed.
        if submission is None or self.person is None or submission.person_id != self.person.id:
            self.say(texts.STATUS_NOT_FOUND.format(code=shown))
            return
        self.say(
            texts.STATUS.format(
                code=submission.code,
                kind=taxonomy.kind_name(submission.kind),
                created=self.local_time(submission.created_at),
                status=taxonomy.STATUSES.get(submission.status, submission.status),
            )
            + cases.status_details(submission)
        )

    async def show_my_data(self) -> None:
        if self.person is None:
            self.say(texts.MY_DATA_NONE)
            return
        submissions = await self.uow.submissions.list_by_person(self.person.id)
        lines = [
            texts.MY_DATA.format(
                pseudonym=self.person.pseudonym,
                channel=self.person.channel,
                consent_version=self.person.consent_version,
                consent_at=self.local_time(self.person.consent_at),
                count=len(submissions),
            )
        ]
        followups = await self.uow.cases.followups_of_person(self.person.id)
        for s in submissions:
            lines.append(
                texts.MY_DATA_ITEM.format(
                    code=s.code,
                    kind=taxonomy.kind_name(s.kind),
                    created=self.local_time(s.created_at),
                    status=taxonomy.STATUSES.get(s.status, s.status),
                    text=s.text,
                )
            )
            lines += cases.my_data_lines(s, followups, self.engine.display_tz)
        lines += await consultation_lines(self.uow, self.person, self.engine.localities)
        self.say("\n".join(lines))

    def local_time(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.engine.display_tz).strftime(texts.DATETIME_FORMAT)

    # --- consent ----------------------------------------------------------------------------

    def prompt_consent(self) -> None:
        self.ask(
            texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION),
            [
                [
                    Button(texts.BUTTON_CONSENT_YES, "consent:yes"),
                    Button(texts.BUTTON_CONSENT_NO, "consent:no"),
                ]
            ],
        )

    async def on_consent(self, choice: str | None) -> None:
        if choice == "consent:yes":
            user = self.incoming.user
            self.person = await self.uow.people.add(
                pseudonym=new_pseudonym(),
                channel=user.channel,
                external_id=user.external_id,
                consent_version=texts.PRIVACY_NOTICE_VERSION,
                at=self.now,
            )
            await self.uow.audit.add(
                actor=self.person.pseudonym,
                action="consent.given",
                at=self.now,
                details={"version": texts.PRIVACY_NOTICE_VERSION},
            )
            pending = self.data.get("invite")
            self.person = await self.engine.officers.bootstrap(self.uow, self.person, self.now)
            if pending:
                self.person, text = await self.engine.officers.redeem(
                    self.uow, self.person, pending, self.now
                )
                self.say(text)
            self.clear_draft()
            self.goto(State.AWAIT_KIND)
        elif choice == "consent:no":
            self.forget = True
            self.say(texts.CONSENT_DECLINED)
        else:
            if not self.data.get("options"):
                self.say(texts.WELCOME)
            else:
                self.say(texts.CONSENT_REQUIRED)
            self.prompt_consent()

    # --- kind and content -------------------------------------------------------------------

    def prompt_kind(self) -> None:
        text = texts.CHOOSE_KIND
        if self.draft.get("text") and not self.draft.get("kind"):
            text = texts.CHOOSE_KIND_FOR_TEXT
        self.ask(text, [[Button(name, f"kind:{code}")] for code, name in taxonomy.KINDS.items()])

    async def on_idle(self, choice: str | None) -> None:
        self.state = State.AWAIT_KIND
        await self.on_kind(choice)

    async def on_kind(self, choice: str | None) -> None:
        if self.media_not_expected():
            return
        if choice and choice.startswith("kind:") and choice[5:] in taxonomy.KINDS:
            kind = choice[5:]
            self.draft["kind"] = kind
            if kind in texts.KIND_PROCEDURE:
                self.say(texts.KIND_PROCEDURE[kind])
            # The content may have come first, before the kind was chosen.
            self.advance(State.AWAIT_ATTACHMENTS if self.draft.get("text") else State.AWAIT_TEXT)
            return
        typed = self.incoming.text.strip()
        if not self.draft.get("text") and len(typed) >= self.limits.min_content_chars:
            if self.accept_text(typed):
                self.prompt_kind()
            return
        if self.data.get("options"):
            self.say(texts.CHOOSE_FROM_OPTIONS)
        self.prompt_kind()

    def prompt_text(self) -> None:
        kind = taxonomy.kind_name(self.draft.get("kind", ""))
        self.ask(texts.ASK_TEXT.format(kind=kind, limit=self.limits.max_text_chars))

    def accept_text(self, text: str, *, append: bool = False) -> bool:
        """Store content if it is within bounds; otherwise say why and store nothing."""
        text = text.strip()
        if append and self.draft.get("text"):
            text = self.draft["text"] + "\n" + text
        if not text:
            self.say(texts.TEXT_EMPTY)
            return False
        if len(text) > self.limits.max_text_chars:
            self.say(texts.TEXT_TOO_LONG.format(length=len(text), limit=self.limits.max_text_chars))
            return False
        self.draft["text"] = text
        return True

    async def on_text(self, choice: str | None) -> None:
        event = self.incoming.event
        if event in (Event.PHOTO, Event.LOCATION):
            self.add_attachment(self.incoming.attachment)
            caption = self.incoming.text.strip()
            if caption and self.accept_text(caption):
                self.advance(State.AWAIT_ATTACHMENTS)
            elif not caption:
                self.prompt_text()
            return
        if self.accept_text(self.incoming.text):
            self.advance(State.AWAIT_ATTACHMENTS)

    def advance(self, natural_next: State) -> None:
        """Go to the next step, or back to the summary when the resident was editing."""
        if self.data.get("editing"):
            self.data.pop("editing")
            self.goto(State.CONFIRM)
        else:
            self.goto(natural_next)

    # --- attachments ------------------------------------------------------------------------

    def prompt_attachments(self) -> None:
        self.ask(texts.ASK_ATTACHMENTS, [[Button(texts.BUTTON_CONTINUE, "att:done")]])

    def add_attachment(self, attachment: Attachment | None) -> bool:
        if attachment is None:
            return False
        if attachment.kind == "location":
            self.draft["location"] = attachment.to_dict()
            return True
        photos = self.draft.setdefault("photos", [])
        if len(photos) >= self.limits.max_photos:
            return False
        photos.append(attachment.to_dict())
        return True

    async def on_attachments(self, choice: str | None) -> None:
        event = self.incoming.event
        continue_row = [[Button(texts.BUTTON_CONTINUE, "att:done")]]
        if choice == "att:done":
            self.goto(State.AWAIT_LOCALITY)
        elif event is Event.PHOTO:
            if self.add_attachment(self.incoming.attachment):
                count = len(self.draft["photos"])
                message = texts.ATTACHMENT_PHOTO_ADDED.format(
                    count=count, limit=self.limits.max_photos
                )
            else:
                message = texts.ATTACHMENT_LIMIT.format(limit=self.limits.max_photos)
            self.ask(message, continue_row)
        elif event is Event.LOCATION:
            self.add_attachment(self.incoming.attachment)
            self.ask(texts.ATTACHMENT_LOCATION_ADDED, continue_row)
        elif event is Event.TEXT and self.incoming.text.strip():
            # Telegram splits a long paste into several messages: treat more text as more content.
            if self.accept_text(self.incoming.text, append=True):
                self.ask(texts.CONTENT_APPENDED, continue_row)
        else:
            self.ask(texts.ATTACHMENT_HINT, continue_row)

    # --- locality ---------------------------------------------------------------------------

    def prompt_locality(self) -> None:
        self.ask(texts.ASK_LOCALITY, [[Button(texts.BUTTON_SKIP, "loc:skip")]])

    async def on_locality(self, choice: str | None) -> None:
        if self.media_not_expected():
            return
        if choice == "loc:skip":
            self.draft["locality"] = None
            self.advance(State.AWAIT_GROUP)
            return
        if choice and choice.startswith("loc:"):
            locality = self.engine.localities.get(choice[4:])
            if locality is not None:
                self.set_locality(locality.code)
                self.advance(State.AWAIT_GROUP)
                return
        query = self.incoming.text.strip()
        matches = self.engine.localities.match(query, limit=self.limits.locality_candidates)
        skip = [Button(texts.BUTTON_SKIP, "loc:skip")]
        if not matches:
            self.ask(texts.LOCALITY_NOT_FOUND.format(query=query[:100]), [skip])
        elif matches[0].exact:
            self.set_locality(matches[0].locality.code)
            self.say(texts.LOCALITY_SET.format(label=matches[0].locality.label))
            self.advance(State.AWAIT_GROUP)
        else:
            rows = [[Button(m.locality.label, f"loc:{m.locality.code}")] for m in matches]
            self.ask(texts.LOCALITY_CHOOSE, [*rows, skip])

    def set_locality(self, code: str) -> None:
        locality = self.engine.localities.get(code)
        assert locality is not None
        self.draft["locality"] = {
            "code": locality.code,
            "label": locality.label,
            "province_code": locality.province_code,
        }

    # --- target group -----------------------------------------------------------------------

    def prompt_group(self) -> None:
        buttons = [Button(name, f"grp:{code}") for code, name in taxonomy.TARGET_GROUPS.items()]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        self.ask(texts.ASK_GROUP, [*rows, [Button(texts.BUTTON_SKIP, "grp:skip")]])

    async def on_group(self, choice: str | None) -> None:
        if self.media_not_expected():
            return
        if choice and choice.startswith("grp:"):
            group = choice[4:]
            self.draft["group"] = group if group in taxonomy.TARGET_GROUPS else None
            self.advance(State.CONFIRM)
            return
        self.say(texts.CHOOSE_FROM_OPTIONS)
        self.prompt_group()

    # --- summary and submission -------------------------------------------------------------

    def prompt_confirm(self) -> None:
        draft = self.draft
        text = draft.get("text", "")
        preview_limit = texts.SUMMARY_TEXT_PREVIEW_CHARS
        preview = text if len(text) <= preview_limit else text[:preview_limit] + "…"
        photos = len(draft.get("photos", []))
        has_location = bool(draft.get("location"))
        if photos:
            where = texts.SUMMARY_WITH_LOCATION if has_location else ""
            attachments = texts.SUMMARY_ATTACHMENTS.format(photos=photos, location=where)
        elif has_location:
            attachments = texts.SUMMARY_ONLY_LOCATION
        else:
            attachments = texts.SUMMARY_NONE
        locality = draft.get("locality")
        group = draft.get("group")
        summary = texts.SUMMARY.format(
            kind=taxonomy.kind_name(draft.get("kind", "")),
            text=preview,
            attachments=attachments,
            locality=locality["label"] if locality else texts.SUMMARY_SKIPPED,
            group=taxonomy.TARGET_GROUPS[group] if group else texts.SUMMARY_SKIPPED,
        )
        self.ask(
            summary,
            [
                [Button(texts.BUTTON_SUBMIT, "confirm:submit")],
                [
                    Button(texts.BUTTON_EDIT_TEXT, "confirm:text"),
                    Button(texts.BUTTON_EDIT_KIND, "confirm:kind"),
                ],
                [
                    Button(texts.BUTTON_EDIT_LOCALITY, "confirm:locality"),
                    Button(texts.BUTTON_EDIT_GROUP, "confirm:group"),
                ],
                [Button(texts.BUTTON_CANCEL, "confirm:cancel")],
            ],
        )

    async def on_confirm(self, choice: str | None) -> None:
        edits = {
            "confirm:text": State.AWAIT_TEXT,
            "confirm:kind": State.AWAIT_KIND,
            "confirm:locality": State.AWAIT_LOCALITY,
            "confirm:group": State.AWAIT_GROUP,
        }
        if choice == "confirm:submit":
            await self.submit()
        elif choice == "confirm:cancel":
            self.clear_draft()
            self.state = State.IDLE
            self.say(texts.CANCELLED)
        elif choice in edits:
            self.data["editing"] = True
            self.goto(edits[choice])
        else:
            if not self.media_not_expected():
                self.say(texts.CHOOSE_FROM_OPTIONS)
                self.prompt_confirm()

    def answer_due_at(self, kind: str) -> datetime:
        """The end (local midnight) of the day the answer to a `kind` received now is due."""
        received = self.now.astimezone(self.engine.display_tz).date()
        due = answer_due(received, kind, calendar_config.ANSWER_DEADLINES, self.engine.calendar)
        return datetime.combine(due + timedelta(days=1), time(), tzinfo=self.engine.display_tz)

    async def submit(self) -> None:
        assert self.person is not None
        draft = self.draft
        code = new_reference_code()
        while await self.uow.submissions.code_exists(code):
            code = new_reference_code()
        attachments = [AttachmentRecord(**photo) for photo in draft.get("photos", [])]
        if draft.get("location"):
            attachments.append(AttachmentRecord(**draft["location"]))
        locality = draft.get("locality") or {}
        analysis = self.engine.analyzer.analyse(draft["text"], declared_kind=draft["kind"])
        flags = [flag.to_dict() for flag in analysis.flags]
        if not any(flag["code"] == "spam" for flag in flags) and await self.flooded_lately():
            flags.append(FLOOD_FLAG)  # a flood is a spam signal: the moderators see it
        submission = await self.uow.submissions.add(
            NewSubmission(
                code=code,
                person_id=self.person.id,
                kind=draft["kind"],
                text=draft["text"],
                channel=self.incoming.user.channel,
                created_at=self.now,
                status=taxonomy.INITIAL_STATUS,
                locality_code=locality.get("code"),
                locality_name=locality.get("label"),
                province_code=locality.get("province_code"),
                target_group=draft.get("group"),
                attachments=tuple(attachments),
                topic=analysis.topic.code,
                topic_confidence=analysis.topic.confidence,
                predicted_kind=analysis.kind.code,
                kind_confidence=analysis.kind.confidence,
                flags=tuple(flags),
                needs_review=analysis.needs_review,
                answer_due_at=self.answer_due_at(draft["kind"]),
            )
        )
        # Redacted: a phone number written in groups would otherwise read as house numbers.
        cluster = await self.uow.clusters.assign(
            submission_id=submission.id,
            scope=duplicates.cluster_scope(
                locality.get("code"),
                locality.get("province_code"),
                self.now.astimezone(self.engine.display_tz).date(),
            ),
            at=self.now,
            **duplicates.assignment(analysis.redacted),
        )
        # Flagged or unsure: into the moderators' queue (urgent ones alert them at once).
        review_state = await self.engine.officers.review.queue(self.uow, submission, self.now)
        await self.uow.audit.add(
            actor=self.person.pseudonym,
            action="submission.created",
            subject=submission.code,
            at=self.now,
            details={
                "review_state": review_state,
                "kind": submission.kind,
                "channel": submission.channel,
                "topic": submission.topic,
                "flags": [flag["code"] for flag in flags],
                "cluster": cluster.id,
                "cluster_size": cluster.size,
            },
        )
        logger.info(
            "submission %s stored (%s, %s, flags: %s)",
            submission.code,
            submission.kind,
            submission.topic,
            ",".join(flag["code"] for flag in flags) or "-",
        )
        topic = taxonomy.TOPICS.get(analysis.topic.code, analysis.topic.code)
        receipt = texts.RECEIPT.format(code=submission.code, topic=topic)
        if set(URGENT_FLAGS) & set(analysis.flag_codes):
            receipt = texts.EMERGENCY_ADVICE + "\n\n" + receipt
        if submission.kind in texts.KIND_PROCEDURE:
            receipt += "\n\n" + texts.KIND_PROCEDURE[submission.kind]
        self.clear_draft()
        self.state = State.IDLE
        self.say(receipt)

    # --- erasure ----------------------------------------------------------------------------

    def prompt_erase(self) -> None:
        self.ask(
            texts.ERASE_CONFIRM,
            [
                [
                    Button(texts.BUTTON_ERASE_YES, "erase:yes"),
                    Button(texts.BUTTON_CANCEL, "erase:no"),
                ]
            ],
        )

    async def on_erase(self, choice: str | None) -> None:
        assert self.person is not None
        if choice == "erase:yes":
            count = await self.uow.submissions.anonymise_person(
                self.person.id, texts.ERASED_TEXT_PLACEHOLDER, self.now
            )
            # Positions on drafts stay counted, anonymous; their comments go.
            await self.uow.consultations.erase_person(self.person.id, self.now)
            await self.uow.people.delete(self.person.id)
            await self.uow.audit.add(
                actor=self.person.pseudonym,
                action="person.erased",
                at=self.now,
                details={"submissions": count},
            )
            self.forget = True
            self.say(texts.ERASED)
        elif choice == "erase:no":
            self.clear_draft()
            self.state = State.IDLE
            self.say(texts.CANCELLED)
        else:
            self.say(texts.CHOOSE_FROM_OPTIONS)
            self.prompt_erase()

"""The moderators' review queue in chat: queue messages, decisions, label corrections, urgent
alerts and duty (`/truc`).

A flagged or unsure submission gets one queue message per moderator chat, through the outbox
(key `review:{id}:{channel}:{chat}`, subject the case code). The first decision wins: storage
records it with one conditional UPDATE, and only the winner writes the audit row and queues an
edit of every copy; anyone later gets the current state, as for any stale button.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from config import review as config
from config import taxonomy
from config.reports import FLAG_NAMES
from handlers.cases import change_status
from handlers.codes import parse_reference_code, split_code
from handlers.messages import Button, Incoming, Outgoing
from handlers.ports import UnitOfWork
from nlp.pii import PiiSpan, find_pii, redact
from nlp.text import fold, strip_diacritics
from storage.records import SENSITIVE_KIND, PersonRecord, SubmissionRecord

logger = logging.getLogger(__name__)

PREFIX = "mod:"
MODERATORS = frozenset({"moderator", "admin"})
COMMANDS = ("duyet", "hanche", "spam", "sua", "truc")
# Channels that show inline buttons; elsewhere the queue message lists the commands to type.
BUTTON_CHANNELS = frozenset({"telegram"})
URGENT_FLAGS = ("de_doa", "khan_cap")
AWAITING = config.AWAITING
# Button codes (payloads stay well under Telegram's 64 bytes) and typed commands → decisions.
DECISIONS = {"ok": "duyet", "hc": "han_che", "sp": "spam", "up": "chuyen_cap_tren"}
COMMAND_DECISIONS = {"duyet": "duyet", "hanche": "han_che", "spam": "spam"}
# Spam is closed without an answer; an escalated item takes the escalated status.
SPAM_STATUS = "da_dong"
ESCALATED_STATUS = "chuyen_cap_tren"
LABELS = {"topic": taxonomy.TOPICS, "kind": taxonomy.KIND_NAMES}
_FIX_ARG = re.compile(r"(linh_?vuc|loai)\s*=\s*(.*?)(?=\s+(?:linh_?vuc|loai)\s*=|$)")


def flag_codes(submission: SubmissionRecord) -> list[str]:
    """The codes of a submission's stored flags, in order."""
    return [
        flag.get("code", "") if isinstance(flag, dict) else str(flag) for flag in submission.flags
    ]


def needs_review(submission: SubmissionRecord) -> bool:
    """Whether a submission goes to the moderators: any flag, or an unsure classification."""
    return bool(submission.flags) or submission.needs_review


def match_label(field: str, typed: str) -> str | None:
    """The code of a topic or kind typed as its code or name, with or without diacritics.

    A name may also be typed as one of its comma-separated parts ("kien nghi" for "Phản ánh,
    kiến nghị"); a value matching more than one label matches none.
    """
    wanted = _plain(typed)
    if not wanted:
        return None
    found = set()
    for code, name in LABELS[field].items():
        parts = [_plain(code), _plain(name), *(_plain(part) for part in name.split(","))]
        if wanted in parts:
            found.add(code)
    return found.pop() if len(found) == 1 else None


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", fold(text)).split())


def highlight(text: str, flags: Sequence[Any], limit: int = config.QUEUE_TEXT_CHARS) -> str:
    """The text with personal data replaced by placeholders and the flags' evidence in «…».

    A mark that touches personal data widens to cover it, so no part of it shows.
    """
    text = unicodedata.normalize("NFC", text)
    pii = find_pii(text)
    marks = []
    for flag in flags:
        if not isinstance(flag, dict) or flag.get("code") == "pii":
            continue
        for evidence in flag.get("evidence", []):
            start, end = int(evidence.get("start", 0)), int(evidence.get("end", 0))
            # An erased or edited text no longer holds the evidence where it was.
            if end > start and text[start:end] == evidence.get("text"):
                marks.append([start, end])
    for mark in marks:
        for span in pii:
            if span.start < mark[1] and mark[0] < span.end:
                mark[0], mark[1] = min(mark[0], span.start), max(mark[1], span.end)
    merged: list[list[int]] = []
    for start, end in sorted(marks):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, pos = [], 0
    for start, end in merged:
        parts += [
            _redact_part(text, pii, pos, start),
            "«",
            _redact_part(text, pii, start, end),
            "»",
        ]
        pos = end
    parts.append(_redact_part(text, pii, pos, len(text)))
    shown = "".join(parts)
    if len(shown) > limit:
        shown = shown[:limit].rstrip()
        if shown.count("«") > shown.count("»"):
            shown += "»"
        shown += "…"
    return shown


def _redact_part(text: str, pii: Sequence[PiiSpan], start: int, end: int) -> str:
    """`text[start:end]` redacted with the spans inside it (marks never cut a span)."""
    inside = [
        replace(span, start=span.start - start, end=span.end - start)
        for span in pii
        if start <= span.start and span.end <= end
    ]
    return redact(text[start:end], inside)


def _flag_names(codes: Sequence[str]) -> str:
    """Flags as an alert names them: "khẩn cấp, đe dọa"."""
    return ", ".join(FLAG_NAMES.get(code, code).lower() for code in codes)


def reasons(submission: SubmissionRecord) -> list[str]:
    """Why a submission is in the queue: each flag with its evidence, and an unsure label."""
    text = unicodedata.normalize("NFC", submission.text)
    pii = find_pii(text)
    lines = []
    for flag in submission.flags:
        if not isinstance(flag, dict):
            continue
        code = flag.get("code", "")
        name = FLAG_NAMES.get(code, code)
        if code == "pii":
            kinds = dict.fromkeys(config.PII_TYPES.get(span.kind, span.kind) for span in pii)
            evidence = ", ".join(kinds)
        else:
            snippets = []
            for item in flag.get("evidence", [])[: config.EVIDENCE_PER_FLAG]:
                start, end = int(item.get("start", 0)), int(item.get("end", 0))
                if end <= start or text[start:end] != item.get("text"):
                    continue
                snippet = _redact_part(text, _clipped(pii, start, end), start, end)
                snippets.append(config.EVIDENCE.format(text=snippet[: config.EVIDENCE_CHARS]))
            evidence = ", ".join(dict.fromkeys(snippets))
        line = config.FLAG_LINE if evidence else config.FLAG_LINE_BARE
        lines.append(line.format(name=name, evidence=evidence))
    if submission.needs_review:
        lines.append(
            config.LOW_CONFIDENCE_LINE.format(
                topic=_percent(submission.topic_confidence),
                kind=_percent(submission.kind_confidence),
            )
        )
    return lines


def _clipped(pii: Sequence[PiiSpan], start: int, end: int) -> list[PiiSpan]:
    """Personal-data spans cut to [start, end), for redacting a piece of evidence."""
    return [
        replace(span, start=max(span.start, start), end=min(span.end, end))
        for span in pii
        if span.start < end and start < span.end
    ]


def _percent(value: float | None) -> str:
    if value is None:
        return config.NONE
    return config.CONFIDENCE.format(percent=round(value * 100))


def _kind_name(code: str | None) -> str:
    return taxonomy.kind_name(code) if code else config.NONE


def main_keyboard(code: str) -> tuple[tuple[Button, ...], ...]:
    """The decisions and the two corrections."""
    return (
        (
            Button(config.BUTTON_APPROVE, f"mod:ok:{code}"),
            Button(config.BUTTON_RESTRICT, f"mod:hc:{code}"),
        ),
        (
            Button(config.BUTTON_SPAM, f"mod:sp:{code}"),
            Button(config.BUTTON_ESCALATE, f"mod:up:{code}"),
        ),
        (
            Button(config.BUTTON_FIX_TOPIC, f"mod:lt:{code}"),
            Button(config.BUTTON_FIX_KIND, f"mod:lk:{code}"),
        ),
    )


def label_keyboard(code: str, field: str) -> tuple[tuple[Button, ...], ...]:
    """One button per topic (or kind), then back to the decisions."""
    letter = "t" if field == "topic" else "k"
    rows = [
        (Button(name, f"mod:{letter}:{code}:{value}"),) for value, name in LABELS[field].items()
    ]
    return (*rows, (Button(config.BUTTON_BACK, f"mod:back:{code}"),))


def _rows(buttons: tuple[tuple[Button, ...], ...]) -> list[list[tuple[str, str]]]:
    return [[(b.label, b.payload) for b in row] for row in buttons]


class Review:
    """The review queue, in the caller's unit of work."""

    def __init__(
        self, *, display_tz: tzinfo, moderator_chats: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.display_tz = display_tz
        self.moderator_chats = list(moderator_chats)

    # --- rendering ------------------------------------------------------------------------------

    def local_time(self, moment: datetime | None) -> str:
        """A moment as moderators read it."""
        if moment is None:
            return config.NONE
        return moment.astimezone(self.display_tz).strftime("%H:%M %d/%m/%Y")

    def body(self, submission: SubmissionRecord) -> str:
        """The item as a moderator sees it: labels, reasons, the redacted text with evidence."""
        predicted = submission.predicted_kind
        return config.QUEUE_BODY.format(
            kind=_kind_name(submission.kind),
            predicted=config.PREDICTED_KIND.format(kind=_kind_name(predicted))
            if predicted and predicted != submission.kind
            else "",
            topic=taxonomy.TOPICS.get(submission.topic or "", config.NONE),
            confidence=_percent(submission.topic_confidence),
            locality=submission.locality_name or config.NONE,
            group=taxonomy.TARGET_GROUPS.get(submission.target_group or "", config.NONE),
            created=self.local_time(submission.created_at),
            reasons="\n".join(reasons(submission)),
            text=highlight(submission.text, submission.flags),
        )

    def render(
        self,
        submission: SubmissionRecord,
        channel: str,
        decided: tuple[str, str, datetime | None] | None = None,
    ) -> str:
        """The queue message for a chat on `channel`; with the decision (state, actor, when)."""
        header = config.QUEUE_HEADER if decided is None else config.QUEUE_HEADER_DECIDED
        text = header.format(code=submission.code) + "\n" + self.body(submission)
        if decided is not None:
            state, actor, at = decided
            line = config.DECIDED.format(
                icon=config.DECISION_ICONS.get(state, ""),
                state=config.REVIEW_STATES.get(state, state),
                actor=actor,
                at=self.local_time(at),
            )
            return f"{text}\n\n{line}"
        if channel not in BUTTON_CHANNELS:
            text += "\n\n" + config.COMMANDS_HINT.format(code=submission.code)
        return text

    async def current(self, uow: UnitOfWork, submission: SubmissionRecord) -> str:
        """What a late decider is told: who decided, when, and what."""
        if submission.review_state is None:
            status = taxonomy.STATUSES.get(submission.status, submission.status)
            return config.NOT_IN_QUEUE.format(code=submission.code, status=status)
        actor = await uow.review.decided_by(submission.code)
        values = {
            "code": submission.code,
            "at": self.local_time(submission.reviewed_at),
            "state": config.REVIEW_STATES.get(submission.review_state, submission.review_state),
        }
        if actor is None:
            return config.STALE_NO_ACTOR.format(**values)
        return config.STALE.format(actor=actor, **values)

    async def _decided(
        self, uow: UnitOfWork, submission: SubmissionRecord
    ) -> tuple[str, str, datetime | None] | None:
        if submission.review_state in (None, AWAITING):
            return None
        actor = await uow.review.decided_by(submission.code) or config.NONE
        return submission.review_state, actor, submission.reviewed_at

    # --- the queue ------------------------------------------------------------------------------

    async def _chats(self, uow: UnitOfWork, *, urgent: bool) -> list[tuple[str, str]]:
        """Who gets queue messages: the moderator chats, else every moderator (the admins when
        there is none). Urgent alerts: the moderator chats and whoever is on duty (everyone,
        as above, when nobody is)."""
        on_duty = await uow.review.chats_of(sorted(MODERATORS), on_duty=True) if urgent else []
        chats = list(self.moderator_chats)
        if urgent or not chats:
            chats += (
                on_duty
                or await uow.review.chats_of(["moderator"])
                or (await uow.review.chats_of(["admin"]))
            )
        return list(dict.fromkeys(chats))

    async def queue(
        self, uow: UnitOfWork, submission: SubmissionRecord, now: datetime
    ) -> str | None:
        """Open a review for a flagged or unsure submission and send it to the moderators;
        alert them at once on a threat or an emergency. Returns the review state."""
        if not needs_review(submission):
            return None
        await uow.review.open(submission.id, now)
        submission = replace(submission, review_state=AWAITING)
        for channel, chat in await self._chats(uow, urgent=False):
            await uow.outbox.enqueue(
                key=f"review:{submission.id}:{channel}:{chat}",
                channel=channel,
                chat_id=chat,
                text=self.render(submission, channel),
                due_at=now,
                now=now,
                buttons=_rows(main_keyboard(submission.code)),
                subject=submission.code,
            )
        urgent = [code for code in flag_codes(submission) if code in URGENT_FLAGS]
        if urgent:
            names = _flag_names(urgent)
            header = config.URGENT_HEADER.format(code=submission.code, flags=names)
            for channel, chat in await self._chats(uow, urgent=True):
                text = f"{header}\n\n{self.body(submission)}"
                if channel not in BUTTON_CHANNELS:
                    text += "\n\n" + config.COMMANDS_HINT.format(code=submission.code)
                await uow.outbox.enqueue(
                    key=f"urgent:{submission.id}:{channel}:{chat}",
                    channel=channel,
                    chat_id=chat,
                    text=text,
                    due_at=now,
                    now=now,
                    subject=submission.code,
                )
            logger.info("urgent item %s: moderators alerted", submission.code)
        return AWAITING

    async def alert_comment(
        self,
        uow: UnitOfWork,
        *,
        comment_id: int,
        where: tuple[str, str],
        text: str,
        flags: Sequence[str],
        now: datetime,
    ) -> bool:
        """Alert the moderators at once to a comment on a draft that signals a threat or an
        emergency (`where`: the consultation's title and the section); True when it did.

        Comments have no review queue of their own; an emergency must not wait for the
        synthesis. One alert per comment and chat, whatever later edits say.
        """
        urgent = [code for code in flags if code in URGENT_FLAGS]
        if not urgent:
            return False
        names = _flag_names(urgent)
        title, section = where
        header = config.URGENT_COMMENT_HEADER.format(flags=names, title=title, section=section)
        for channel, chat in await self._chats(uow, urgent=True):
            await uow.outbox.enqueue(
                key=f"urgent-comment:{comment_id}:{channel}:{chat}",
                channel=channel,
                chat_id=chat,
                text=f"{header}\n\n{highlight(text, ())}",  # redacted, as in the queue
                due_at=now,
                now=now,
                subject=f"comment:{comment_id}",
            )
        logger.info("urgent comment %s: moderators alerted", comment_id)
        return True

    async def _refresh_copies(
        self,
        uow: UnitOfWork,
        submission: SubmissionRecord,
        now: datetime,
        skip: tuple[str, str, str] | None = None,
    ) -> None:
        """Queue an edit of every copy of the queue message (but the one `skip` names:
        (channel, chat, message id) of the copy the engine's reply edits at once)."""
        decided = await self._decided(uow, submission)
        chains: dict[str, list[Any]] = {}
        for ref in await uow.outbox.find(submission.code, "review:"):
            chains.setdefault(ref.key.split(":edit:")[0], []).append(ref)
        for original, chain in chains.items():
            if skip is not None and any(
                (ref.channel, ref.chat_id, str(ref.message_id)) == skip for ref in chain
            ):
                continue
            channel, chat = chain[0].channel, chain[0].chat_id
            await uow.outbox.enqueue(
                key=f"{original}:edit:{len(chain)}",
                channel=channel,
                chat_id=chat,
                text=self.render(submission, channel, decided),
                due_at=now,
                now=now,
                buttons=() if decided else _rows(main_keyboard(submission.code)),
                # The newest message of the chain is the one shown now.
                edit_key=chain[-1].key,
                subject=submission.code,
            )

    # --- decisions ------------------------------------------------------------------------------

    async def decide(
        self,
        uow: UnitOfWork,
        person: PersonRecord,
        submission: SubmissionRecord,
        state: str,
        now: datetime,
        skip: tuple[str, str, str] | None = None,
    ) -> SubmissionRecord | None:
        """Record a decision if it is the first; the updated item, or None for a late one."""
        escalate = state == ESCALATED_STATUS
        status = SPAM_STATUS if state == "spam" else None
        won = await uow.review.decide(
            submission.id, state=state, at=now, restricted=state == "han_che", status=status
        )
        if not won:
            return None
        after_status = status or submission.status
        if escalate:
            # The answer loop changes the status and tells the resident; the audit row is ours.
            changed = await change_status(
                uow, submission, ESCALATED_STATUS, actor=person, now=now, audit=False
            )
            after_status = ESCALATED_STATUS if changed else submission.status
        after = replace(
            submission,
            review_state=state,
            reviewed_at=now,
            status=after_status,
            restricted=submission.restricted or state == "han_che",
        )
        await uow.audit.add(
            actor=person.pseudonym,
            action="review.decided",
            subject=submission.code,
            at=now,
            details={
                "before": _review_fields(submission),
                "after": _review_fields(after),
            },
        )
        await self._refresh_copies(uow, after, now, skip)
        logger.info("review of %s decided: %s", submission.code, state)
        return after

    async def correct(
        self,
        uow: UnitOfWork,
        person: PersonRecord,
        submission: SubmissionRecord,
        changes: dict[str, str],
        now: datetime,
        skip: tuple[str, str, str] | None = None,
    ) -> SubmissionRecord:
        """Set corrected labels (kept for training), one audit row, and refresh the copies."""
        changes = {f: v for f, v in changes.items() if getattr(submission, f) != v}
        if not changes:
            return submission
        restrict = changes.get("kind") == SENSITIVE_KIND and not submission.restricted
        for field, value in changes.items():
            await uow.review.set_label(
                submission.id,
                field=field,
                before=getattr(submission, field),
                after=value,
                person_id=person.id,
                at=now,
                restrict=restrict,
            )
        after = replace(submission, **changes, restricted=submission.restricted or restrict)
        fields = [*changes, "restricted"]
        await uow.audit.add(
            actor=person.pseudonym,
            action="review.corrected",
            subject=submission.code,
            at=now,
            details={
                "before": {f: getattr(submission, f) for f in fields},
                "after": {f: getattr(after, f) for f in fields},
            },
        )
        await self._refresh_copies(uow, after, now, skip)
        return after

    # --- buttons --------------------------------------------------------------------------------

    async def press(
        self, uow: UnitOfWork, person: PersonRecord | None, incoming: Incoming, now: datetime
    ) -> list[Outgoing]:
        """A moderator's press on a queue message, from any chat (a group too)."""
        chat = incoming.chat_id
        edit_id = incoming.message_id or None

        def say(text: str) -> list[Outgoing]:
            return [Outgoing(chat, text)]

        def show(text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> list[Outgoing]:
            return [Outgoing(chat, text, buttons, edit_message_id=edit_id)]

        if person is None or person.role not in MODERATORS:
            return say(config.REFUSED)
        parts = incoming.payload.split(":")
        code = parse_reference_code(parts[2]) if len(parts) >= 3 else None
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None:
            return say(config.BAD_BUTTON)
        if submission.review_state != AWAITING:
            return say(await self.current(uow, submission))
        action, channel = parts[1], incoming.user.channel
        skip = (channel, chat, incoming.message_id) if incoming.message_id else None
        if action in DECISIONS:
            after = await self.decide(uow, person, submission, DECISIONS[action], now, skip)
            if after is None:
                return say(await self.current(uow, await self._reload(uow, submission)))
            return show(self.render(after, channel, await self._decided(uow, after)))
        if action in ("lt", "lk"):
            field = "topic" if action == "lt" else "kind"
            template = config.CHOOSE_TOPIC if field == "topic" else config.CHOOSE_KIND
            current = LABELS[field].get(getattr(submission, field) or "", config.NONE)
            prompt = template.format(code=submission.code, current=current)
            return show(prompt, label_keyboard(submission.code, field))
        if action == "back":
            return show(self.render(submission, channel), main_keyboard(submission.code))
        field = {"t": "topic", "k": "kind"}.get(action)
        if field is not None and len(parts) == 4 and parts[3] in LABELS[field]:
            after = await self.correct(uow, person, submission, {field: parts[3]}, now, skip)
            return show(self.render(after, channel), main_keyboard(submission.code))
        return say(config.BAD_BUTTON)

    async def _reload(self, uow: UnitOfWork, submission: SubmissionRecord) -> SubmissionRecord:
        return await uow.submissions.get_by_code(submission.code) or submission

    # --- commands -------------------------------------------------------------------------------

    async def command(
        self, uow: UnitOfWork, person: PersonRecord, command: str, args: str, now: datetime
    ) -> str:
        """`/duyet`, `/hanche`, `/spam`, `/sua` and `/truc` (the role gate came before)."""
        if command == "truc":
            return await self.duty(uow, person, args, now)
        usage = (
            self.fix_usage() if command == "sua" else config.DECIDE_USAGE.format(command=command)
        )
        parsed = split_code(args)
        if parsed is None:
            return usage
        code, shown, rest = parsed
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None:
            return config.NOT_FOUND.format(code=shown)
        if command == "sua":
            return await self.fix(uow, person, submission, rest, now)
        if submission.review_state != AWAITING:
            return await self.current(uow, submission)
        state = COMMAND_DECISIONS[command]
        after = await self.decide(uow, person, submission, state, now)
        if after is None:
            return await self.current(uow, await self._reload(uow, submission))
        return config.DECISION_DONE.format(
            icon=config.DECISION_ICONS[state],
            code=submission.code,
            state=config.REVIEW_STATES[state],
        )

    async def escalate_awaiting(
        self, uow: UnitOfWork, person: PersonRecord, args: str, now: datetime
    ) -> str | None:
        """`/chuyen CODE` by a moderator on an item awaiting review: the review's "Chuyển cấp
        trên" (one decision, the copies updated); None when the item is not awaiting review,
        so the answer loop's /chuyen handles it."""
        parsed = split_code(args)
        code = parsed[0] if parsed else None
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None or submission.review_state != AWAITING:
            return None
        after = await self.decide(uow, person, submission, ESCALATED_STATUS, now)
        if after is None:
            return await self.current(uow, await self._reload(uow, submission))
        return config.DECISION_DONE.format(
            icon=config.DECISION_ICONS[ESCALATED_STATUS],
            code=submission.code,
            state=config.REVIEW_STATES[ESCALATED_STATUS],
        )

    def fix_usage(self) -> str:
        """How to type `/sua`, with the values it takes."""
        return config.FIX_USAGE.format(
            topics=", ".join(taxonomy.TOPICS), kinds=", ".join(taxonomy.KIND_NAMES)
        )

    async def fix(
        self,
        uow: UnitOfWork,
        person: PersonRecord,
        submission: SubmissionRecord,
        args: str,
        now: datetime,
    ) -> str:
        """`/sua MÃ linhvuc=… loai=…`: every value must be known, or nothing changes."""
        typed = strip_diacritics(args.strip()).lower()
        found = _FIX_ARG.findall(typed)
        if not found or _FIX_ARG.sub("", typed).strip():
            return self.fix_usage()
        changes: dict[str, str] = {}
        for key, value in found:
            field = "kind" if key == "loai" else "topic"
            code = match_label(field, value)
            if code is None:
                name = config.FIELD_KIND if field == "kind" else config.FIELD_TOPIC
                unknown = config.FIX_UNKNOWN.format(field=name, value=value.strip()[:40])
                return unknown + "\n" + self.fix_usage()
            changes[field] = code
        after = await self.correct(uow, person, submission, changes, now)
        lines = []
        for field, value in changes.items():
            name = config.FIELD_KIND if field == "kind" else config.FIELD_TOPIC
            before, new = getattr(submission, field), LABELS[field][value]
            if before == value:
                lines.append(
                    config.CORRECTED_SAME.format(
                        field=name.capitalize(), code=submission.code, value=new
                    )
                )
            else:
                lines.append(
                    config.CORRECTED.format(
                        field=name,
                        code=submission.code,
                        before=LABELS[field].get(before or "", config.NONE),
                        after=new,
                    )
                )
        if after.restricted and not submission.restricted:
            lines.append(config.RESTRICTED_BY_RULE)
        return "\n".join(lines)

    async def duty(self, uow: UnitOfWork, person: PersonRecord, args: str, now: datetime) -> str:
        """`/truc`: show the duty; `/truc bat` / `/truc tat` switch it (audited)."""
        word = fold(args.strip())
        if not word:
            return config.DUTY_IS_ON if person.on_duty else config.DUTY_IS_OFF
        if word in config.DUTY_ON_WORDS:
            wanted = True
        elif word in config.DUTY_OFF_WORDS:
            wanted = False
        else:
            return config.DUTY_USAGE
        if wanted != person.on_duty:
            await uow.review.set_on_duty(person.id, wanted)
            await uow.audit.add(
                actor=person.pseudonym,
                action="moderator.duty",
                at=now,
                details={"before": {"on_duty": person.on_duty}, "after": {"on_duty": wanted}},
            )
        return config.DUTY_TURNED_ON if wanted else config.DUTY_TURNED_OFF


def _review_fields(submission: SubmissionRecord) -> dict[str, object]:
    return {
        "review_state": submission.review_state,
        "status": submission.status,
        "restricted": submission.restricted,
    }

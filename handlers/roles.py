"""Roles, the unit tree and officers' scopes; enrollment by invite; the officer commands' gate.

Pure logic (scopes, validation of a unit tree, invite secrets) sits beside `Officers`, which the
conversation engine calls for `/thamgia`, `/start <token>` and the officer commands, inside the
update's unit of work.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from config import roles as roles_config
from config import schedules as schedules_config
from config import taxonomy, texts
from handlers.calendar import WorkingCalendar
from handlers.codes import parse_reference_code
from handlers.deadlines import DeadlineCommands
from handlers.digest import Period
from handlers.ports import Digests, UnitOfWork
from nlp.pii import redact
from nlp.text import fold
from storage.records import (
    SENSITIVE_FLAGS,
    SENSITIVE_KIND,
    PersonRecord,
    SubmissionRecord,
    UnitRecord,
)

logger = logging.getLogger(__name__)

RESIDENT = "resident"
ROLES = tuple(roles_config.ROLE_NAMES)
STAFF = frozenset({"officer", "moderator", "admin"})
# Every officer command and the roles that may use it; anyone else gets a polite refusal.
COMMANDS: dict[str, frozenset[str]] = {
    "baocao": STAFF,
    "tuan": STAFF,
    "xem": STAFF,
    "tim": STAFF,
    "traloi": STAFF,
    "hanchot": STAFF,
    "xong": STAFF,
}
# Commands already gated but not built yet: the authorised get a "not yet" answer.
NOT_YET: frozenset[str] = frozenset()
JOIN_COMMAND = "thamgia"
# Who may read the text of a sensitive submission (the others see that it exists).
SEES_SENSITIVE = frozenset({"moderator", "admin"})
# /traloi: the status an answered submission takes, and the longest answer relayed (Zalo's
# message limit is the tightest of our channels, and the template adds the code).
ANSWERED_STATUS = "da_tra_loi"
ANSWER_MAX_CHARS = 1800
# /tim: results shown, and how much of each (redacted) text.
SEARCH_LIMIT = 10
SEARCH_SNIPPET_CHARS = 160
SEARCH_MAX_WORDS = 8

UNIT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EXPIRES_RE = re.compile(r"^\s*(\d{1,4})\s*([dhm])\s*$")
_EXPIRES_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


# --- scopes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which submissions an officer sees; mirrors storage.digests.DigestScope field by field."""

    province_code: str | None = None
    locality_codes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def covers(self, submission: SubmissionRecord) -> bool:
        """Whether a submission falls within the scope (the digest's SQL filter, in Python)."""
        if self.province_code and submission.province_code != self.province_code:
            return False
        if self.locality_codes and submission.locality_code not in self.locality_codes:
            return False
        return not self.topics or submission.topic in self.topics


def is_province(locality_code: str) -> bool:
    """Province codes have 2 digits, commune and ward codes 5."""
    return len(locality_code) <= 2


def descendants(units: Iterable[UnitRecord], code: str) -> list[UnitRecord]:
    """Every unit below `code` in the tree, breadth first (a cycle cannot loop forever)."""
    children: dict[str, list[UnitRecord]] = {}
    for unit in units:
        if unit.parent_code:
            children.setdefault(unit.parent_code, []).append(unit)
    found: list[UnitRecord] = []
    seen = {code}
    queue = [code]
    while queue:
        for child in children.get(queue.pop(0), []):
            if child.code not in seen:
                seen.add(child.code)
                found.append(child)
                queue.append(child.code)
    return found


def scope_for(unit: UnitRecord, below: Iterable[UnitRecord], topics: Sequence[str]) -> Scope:
    """An officer's scope: their unit's province, or its ward with the wards below it.

    A member organisation carries its parent committee's locality (inherited when loaded); a
    unit without a locality (a national body) sees everything. Topics limit any of these.
    """
    chosen = tuple(topics)
    locality = unit.locality_code
    if not locality:
        return Scope(topics=chosen)
    if is_province(locality):
        return Scope(province_code=locality, topics=chosen)
    wards = {locality}
    wards.update(
        other.locality_code
        for other in below
        if other.locality_code and not is_province(other.locality_code)
    )
    return Scope(locality_codes=tuple(sorted(wards)), topics=chosen)


def is_sensitive(submission: SubmissionRecord) -> bool:
    """Whether only those allowed may read the submission's text."""
    if submission.kind == SENSITIVE_KIND:
        return True
    codes = {flag.get("code") if isinstance(flag, dict) else flag for flag in submission.flags}
    return bool(codes & set(SENSITIVE_FLAGS))


# --- the unit tree ------------------------------------------------------------------------------


class UnitError(ValueError):
    """A unit definition that cannot be stored; `str()` is the message for the operator."""

    def __init__(self, code: str, problem: str, line: int | None = None) -> None:
        self.code, self.problem, self.line = code, problem, line
        if line is None:
            message = texts.UNIT_ERROR_NO_LINE.format(code=code, problem=problem)
        else:
            message = texts.UNIT_ERROR.format(line=line, code=code, problem=problem)
        super().__init__(message)


@dataclass(frozen=True)
class UnitEntry:
    """One unit as written in YAML or on the command line, before validation."""

    fields: Mapping[str, Any]
    line: int | None = None


def _text(value: Any) -> str | None:
    """A YAML scalar as text (an unquoted locality 79 arrives as an int); None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _digest_schedule(
    fields: Mapping[str, Any], stored: UnitRecord | None, code: str, line: int | None
) -> tuple[str, int]:
    """A unit's `digest` and `digest_weekday`; a field left out keeps the stored value.

    Keeping (rather than resetting to the default) lets `units add` change a unit's name
    without silently switching its officers back to monthly digests.
    """
    raw_digest = fields.get("digest")
    # YAML 1.1 reads an unquoted `off` as false.
    digest = schedules_config.DIGEST_OFF if raw_digest is False else _text(raw_digest)
    if digest is None:
        digest = stored.digest if stored else schedules_config.DEFAULT_DIGEST
    digest = digest.lower()
    if digest not in schedules_config.DIGEST_SCHEDULES:
        choices = ", ".join(schedules_config.DIGEST_SCHEDULES)
        problem = schedules_config.UNIT_BAD_DIGEST.format(digest=digest, choices=choices)
        raise UnitError(code, problem, line)
    raw = fields.get("digest_weekday")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return digest, stored.digest_weekday if stored else schedules_config.DEFAULT_DIGEST_WEEKDAY
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or not 0 <= int(text) <= 6:
        raise UnitError(code, schedules_config.UNIT_BAD_WEEKDAY.format(weekday=raw), line)
    return digest, int(text)


def validate_units(
    entries: Sequence[UnitEntry],
    existing: Iterable[UnitRecord],
    locality_exists: Callable[[str], bool],
) -> list[UnitRecord]:
    """Check new or changed units against the stored ones; return them parents first.

    Raises UnitError naming the first bad entry: a missing or malformed field, an unknown kind,
    locality, target group or parent, a duplicate, or a parent chain that loops. A unit without
    a locality inherits its parent's (member organisations serve their committee's area).
    """
    stored = {unit.code: unit for unit in existing}
    parsed: dict[str, tuple[UnitEntry, UnitRecord]] = {}
    for index, entry in enumerate(entries, 1):
        line = entry.line
        if not isinstance(entry.fields, Mapping) or _text(entry.fields.get("code")) is None:
            raise UnitError(f"#{index}", texts.UNIT_MISSING_FIELD.format(field="code"), line)
        code = str(_text(entry.fields.get("code")))
        if not UNIT_CODE_RE.match(code):
            raise UnitError(code, texts.UNIT_BAD_CODE, line)
        if code in parsed:
            raise UnitError(code, texts.UNIT_DUPLICATE, line)
        name = _text(entry.fields.get("name"))
        if name is None:
            raise UnitError(code, texts.UNIT_MISSING_FIELD.format(field="name"), line)
        kind = _text(entry.fields.get("kind"))
        if kind not in roles_config.UNIT_KINDS:
            kinds = ", ".join(roles_config.UNIT_KINDS)
            raise UnitError(code, texts.UNIT_BAD_KIND.format(kind=kind or "", kinds=kinds), line)
        locality = _text(entry.fields.get("locality"))
        if locality is not None and not locality_exists(locality):
            raise UnitError(code, texts.UNIT_UNKNOWN_LOCALITY.format(locality=locality), line)
        group = _text(entry.fields.get("target_group"))
        if group is not None and group not in taxonomy.TARGET_GROUPS:
            groups = ", ".join(taxonomy.TARGET_GROUPS)
            raise UnitError(code, texts.UNIT_UNKNOWN_GROUP.format(group=group, groups=groups), line)
        digest, weekday = _digest_schedule(entry.fields, stored.get(code), code, line)
        unit = UnitRecord(
            code=code,
            name=name[:200],
            kind=kind,
            parent_code=_text(entry.fields.get("parent")),
            locality_code=locality,
            target_group=group,
            digest=digest,
            digest_weekday=weekday,
        )
        parsed[code] = (entry, unit)

    merged = {**stored, **{code: unit for code, (_, unit) in parsed.items()}}
    for code, (entry, unit) in parsed.items():
        if unit.parent_code is not None and unit.parent_code not in merged:
            problem = texts.UNIT_UNKNOWN_PARENT.format(parent=unit.parent_code)
            raise UnitError(code, problem, entry.line)
        path = [code]
        parent = unit.parent_code
        while parent is not None:
            if parent in path:
                cycle = " → ".join([*path[path.index(parent) :], parent])
                raise UnitError(code, texts.UNIT_CYCLE.format(path=cycle), entry.line)
            path.append(parent)
            parent = merged[parent].parent_code

    ordered: list[UnitRecord] = []
    placed: set[str] = set()

    def place(code: str) -> None:
        """Put a unit after its parent (parents first), inheriting the parent's locality."""
        if code in placed or code not in parsed:
            return
        unit = parsed[code][1]
        if unit.parent_code:
            place(unit.parent_code)
        if unit.locality_code is None and unit.parent_code:
            parent = merged[unit.parent_code]
            unit = UnitRecord(**{**unit.__dict__, "locality_code": parent.locality_code})
            merged[code] = unit
        placed.add(code)
        ordered.append(unit)

    for code in parsed:
        place(code)
    return ordered


# --- invites ------------------------------------------------------------------------------------


def new_invite_secrets() -> tuple[str, str]:
    """A deep-link token (32 URL-safe characters) and a short code for typing."""
    token = secrets.token_urlsafe(24)
    code = "".join(
        secrets.choice(roles_config.INVITE_CODE_ALPHABET)
        for _ in range(roles_config.INVITE_CODE_LENGTH)
    )
    return token, code


def secret_hash(secret: str) -> str:
    """The sha256 (hex) under which an invite secret is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(text: str) -> str:
    """A typed short code as issued: upper case, without spaces or dashes."""
    return re.sub(r"[\s-]+", "", text).upper()


def invite_hashes(typed: str) -> list[str]:
    """The hashes to look an invite up by: the text as a token, and as a short code."""
    typed = typed.strip()
    if not typed:
        return []
    hashes = [secret_hash(normalise_code(typed))]
    if TOKEN_RE.match(typed):
        hashes.append(secret_hash(typed))
    return hashes


def parse_expires(text: str) -> timedelta:
    """`7d`, `12h` or `30m` as a duration; ValueError when malformed, zero or too long."""
    match = _EXPIRES_RE.match(text)
    if not match:
        raise ValueError(text)
    duration = timedelta(**{_EXPIRES_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < duration <= timedelta(days=roles_config.INVITE_MAX_DAYS):
        raise ValueError(text)
    return duration


def deep_link(bot_username: str, token: str) -> str:
    """The Telegram link that opens the bot and sends `/start <token>`."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


def parse_identity(value: str | None) -> tuple[str, str] | None:
    """A "channel:external_id" setting as a pair; None when unset or malformed."""
    channel, _, external_id = (value or "").strip().partition(":")
    if not channel or not external_id:
        return None
    return channel.strip(), external_id.strip()


def topics_phrase(topics: Sequence[str]) -> str:
    """ " (lĩnh vực: …)" for an officer limited to topics, "" for one who sees all."""
    if not topics:
        return ""
    names = ", ".join(taxonomy.TOPICS.get(topic, topic) for topic in topics)
    return texts.INVITE_TOPICS.format(topics=names)


# --- the engine's side: enrollment and officer commands ----------------------------------------


def _kind_name(code: str) -> str:
    return taxonomy.KINDS.get(code) or taxonomy.EXTRA_KINDS.get(code, code)


class Officers:
    """Enrollment, the bootstrap admin and officer commands, in the caller's unit of work."""

    def __init__(
        self,
        *,
        display_tz: tzinfo,
        digests: Digests | None = None,
        bootstrap_admin: str | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.display_tz = display_tz
        self.digests = digests
        self.bootstrap_identity = parse_identity(bootstrap_admin)
        # /hanchot and /xong count working days (default: the deployment's calendar).
        self.deadlines = DeadlineCommands(display_tz, calendar)

    # --- roles ----------------------------------------------------------------------------------

    async def bootstrap(self, uow: UnitOfWork, person: PersonRecord, now: datetime) -> PersonRecord:
        """Make the identity named by the bootstrap setting an admin (once, audited)."""
        identity = (person.channel, person.external_id)
        if identity != self.bootstrap_identity or person.role == "admin":
            return person
        promoted = await uow.people.set_role(
            person.id, role="admin", unit_code=person.unit_code, topics=person.topics
        )
        await uow.audit.add(
            actor=person.pseudonym,
            action="role.bootstrap_admin",
            at=now,
            details={"previous": person.role},
        )
        logger.info("person %s is the bootstrap admin", person.pseudonym)
        return promoted

    async def redeem(
        self, uow: UnitOfWork, person: PersonRecord, hashes: Sequence[str], now: datetime
    ) -> tuple[PersonRecord, str]:
        """Use an invite for `person`: one answer for wrong, used and expired alike."""
        invite = await uow.invites.find(hashes)
        unit = await uow.units.get(invite.unit_code) if invite else None
        usable = (
            invite is not None
            and unit is not None
            and invite.used_at is None
            and invite.expires_at > now
            and await uow.invites.mark_used(invite.id, person.id, now)
        )
        if not usable or invite is None or unit is None:
            await uow.audit.add(
                actor=person.pseudonym,
                action="invite.refused",
                at=now,
                subject=f"invite:{invite.id}" if invite else None,
            )
            return person, texts.INVITE_INVALID
        person = await uow.people.set_role(
            person.id, role=invite.role, unit_code=invite.unit_code, topics=invite.topics
        )
        await uow.audit.add(
            actor=person.pseudonym,
            action="invite.redeemed",
            at=now,
            subject=f"invite:{invite.id}",
            details={"role": invite.role, "unit": invite.unit_code, "topics": list(invite.topics)},
        )
        # The bootstrap admin stays admin whatever the invite says.
        person = await self.bootstrap(uow, person, now)
        role = roles_config.ROLE_NAMES.get(person.role, person.role)
        text = texts.INVITE_ACCEPTED.format(
            role=role, unit=unit.name, topics=topics_phrase(person.topics)
        )
        return person, text

    async def scope_of(self, uow: UnitOfWork, person: PersonRecord) -> tuple[Scope, str] | None:
        """The person's scope and unit name; None for an officer without a (known) unit."""
        if person.unit_code is None:
            if person.role in ("admin", "moderator"):
                return Scope(topics=person.topics), texts.DIGEST_ALL_UNITS
            return None
        unit = await uow.units.get(person.unit_code)
        if unit is None:
            return None
        below = descendants(await uow.units.list_all(), unit.code)
        return scope_for(unit, below, person.topics), unit.name

    # --- commands -------------------------------------------------------------------------------

    async def run(
        self,
        uow: UnitOfWork,
        person: PersonRecord | None,
        command: str,
        args: str,
        now: datetime,
    ) -> str:
        """Answer one officer command; the gate comes first, whatever the arguments."""
        role = person.role if person is not None else RESIDENT
        if role not in COMMANDS[command]:
            return texts.ROLE_REFUSED.format(command=command)
        assert person is not None  # only residents may lack a person row
        if command in NOT_YET:
            return texts.ROLE_NOT_YET.format(command=command)
        if command in ("hanchot", "xong"):
            return await self.deadlines.run(uow, person, command, args, now)
        found = await self.scope_of(uow, person)
        if found is None:
            return texts.ROLE_NO_UNIT
        scope, unit_name = found
        if command == "xem":
            return await self.view(uow, person, scope, args)
        if command == "tim":
            return await self.search(uow, person, scope, args)
        if command == "traloi":
            return await self.answer(uow, person, scope, args, now)
        today = now.astimezone(self.display_tz).date()
        if command == "tuan":
            period = Period(today - timedelta(days=6), today + timedelta(days=1))
        elif args.strip():
            try:
                period = Period.parse_month(args)
            except ValueError:
                return texts.ROLE_REPORT_BAD_PERIOD.format(period=args.strip()[:20])
        else:
            period = Period.month(today.year, today.month).previous()
        if self.digests is None:
            return texts.ROLE_REPORT_UNAVAILABLE
        return await self.digests.text(scope, period, unit_name)

    async def view(self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str) -> str:
        """One submission within scope; outside it reads the same as a missing code."""
        if not args.strip():
            return texts.ROLE_VIEW_USAGE
        code = parse_reference_code(args)
        shown = code or args.strip()[:20]
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None or not scope.covers(submission):
            return texts.ROLE_VIEW_NOT_FOUND.format(code=shown)
        hidden = is_sensitive(submission) and person.role not in SEES_SENSITIVE
        due = submission.answer_due_at
        return texts.ROLE_VIEW.format(
            code=submission.code,
            kind=_kind_name(submission.kind),
            created=submission.created_at.astimezone(self.display_tz).strftime(
                texts.DATETIME_FORMAT
            ),
            topic=taxonomy.TOPICS.get(submission.topic or "", texts.DIGEST_NO_TOPIC),
            locality=submission.locality_name or texts.ROLE_VIEW_NONE,
            group=taxonomy.TARGET_GROUPS.get(submission.target_group or "", texts.ROLE_VIEW_NONE),
            status=taxonomy.STATUSES.get(submission.status, submission.status),
            # answer_due_at is the local midnight ending the due day: show that day.
            due=(due.astimezone(self.display_tz) - timedelta(seconds=1)).strftime("%d/%m/%Y")
            if due
            else texts.ROLE_VIEW_NONE,
            text=texts.DIGEST_HIDDEN_TEXT if hidden else redact(submission.text),
        )

    async def search(self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str) -> str:
        """`/tim từ khóa`: the newest submissions in scope containing every word.

        Words match without regard to case or diacritics. Officers search only texts they may
        read: a sensitive text matching would tell them what it says.
        """
        words = fold(args[:200]).split()[:SEARCH_MAX_WORDS]
        if not words:
            return texts.SEARCH_USAGE
        sees_sensitive = person.role in SEES_SENSITIVE
        found = await uow.submissions.search(
            words,
            province_code=scope.province_code,
            locality_codes=scope.locality_codes,
            topics=scope.topics,
            include_sensitive=sees_sensitive,
            limit=SEARCH_LIMIT,
        )
        shown_words = " ".join(args.split())[:60]
        if not found:
            return texts.SEARCH_NONE.format(words=shown_words)
        lines = [texts.SEARCH_HEADER.format(words=shown_words, count=len(found))]
        for submission in found:
            hidden = is_sensitive(submission) and not sees_sensitive
            lines.append(
                texts.SEARCH_ITEM.format(
                    code=submission.code,
                    date=submission.created_at.astimezone(self.display_tz).strftime("%d/%m/%Y"),
                    topic=taxonomy.TOPICS.get(submission.topic or "", texts.DIGEST_NO_TOPIC),
                    status=taxonomy.STATUSES.get(submission.status, submission.status),
                    text=texts.DIGEST_HIDDEN_TEXT if hidden else _snippet(redact(submission.text)),
                )
            )
        return "\n".join(lines)

    async def answer(
        self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str, now: datetime
    ) -> str:
        """`/traloi MÃ nội dung`: store the answer and queue it for the resident's own chat.

        The engine answers only the chat an update came from, so the relay goes through the
        outbox (in this update's transaction; the scheduler's sweep sends it). The key is the
        answer's id: a retried send never duplicates it, and a re-delivered update is dropped
        by the engine before it gets here.
        """
        parsed = _split_code(args)
        if parsed is None:
            return texts.ANSWER_USAGE
        code, shown, content = parsed
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None or not scope.covers(submission):
            return texts.ANSWER_NOT_FOUND.format(code=shown)
        if submission.kind == SENSITIVE_KIND and person.role not in SEES_SENSITIVE:
            return texts.ANSWER_SENSITIVE_REFUSED.format(code=submission.code)
        if not content:
            return texts.ANSWER_USAGE
        if len(content) > ANSWER_MAX_CHARS:
            return texts.ANSWER_TOO_LONG.format(length=len(content), limit=ANSWER_MAX_CHARS)
        answer_id = await uow.answers.add(
            submission_id=submission.id,
            person_id=person.id,
            text=content,
            status=ANSWERED_STATUS,
            at=now,
        )
        recipient = await uow.answers.recipient(submission.id)
        if recipient is not None:
            channel, chat_id = recipient
            await uow.outbox.enqueue(
                key=f"answer:{answer_id}",
                channel=channel,
                chat_id=chat_id,
                text=texts.ANSWER_TO_RESIDENT.format(code=submission.code, text=content),
                due_at=now,
                now=now,
            )
        await uow.audit.add(
            actor=person.pseudonym,
            action="submission.answered",
            subject=submission.code,
            at=now,
            details={"answer": answer_id, "relayed": recipient is not None},
        )
        if recipient is None:
            return texts.ANSWER_NOT_RELAYED.format(code=submission.code)
        return texts.ANSWER_SENT.format(code=submission.code)


def _split_code(args: str) -> tuple[str | None, str, str] | None:
    """`MÃ nội dung` as (code or None, the code as typed, the content); None without a code.

    A code may be typed with a space ("YK 7F3Q9X"), so two leading words are tried too.
    """
    parts = args.split(maxsplit=2)
    if not parts:
        return None
    if len(parts) >= 2:
        joined = parse_reference_code(f"{parts[0]} {parts[1]}")
        if joined is not None:
            return joined, joined, parts[2].strip() if len(parts) > 2 else ""
    content = args.strip()[len(parts[0]) :].strip()
    return parse_reference_code(parts[0]), parts[0][:20], content


def _snippet(text: str) -> str:
    """A text on one line, cut at a word near SEARCH_SNIPPET_CHARS."""
    flat = " ".join(text.split())
    if len(flat) <= SEARCH_SNIPPET_CHARS:
        return flat
    cut = flat[:SEARCH_SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + "…"

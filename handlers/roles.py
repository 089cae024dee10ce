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

from config import cases as cases_config
from config import restricted as restricted_config
from config import roles as roles_config
from config import schedules as schedules_config
from config import taxonomy, texts
from handlers import cases, review
from handlers.calendar import WorkingCalendar
from handlers.codes import parse_reference_code, split_code
from handlers.deadlines import DeadlineCommands
from handlers.digest import Period
from handlers.ports import Digests, UnitOfWork
from handlers.review import Review
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
    # Gated here to staff; only designated officers (in scope) and admins get an answer.
    "nguoigui": STAFF,
    # The answer loop's status changes (handlers.cases).
    "xuly": STAFF,
    "dong": STAFF,
    "chuyen": STAFF,
    "khongthuoc": STAFF,
    # The review queue (handlers.review), typed where buttons are missing, or from anywhere.
    **dict.fromkeys(review.COMMANDS, review.MODERATORS),
}
# Commands already gated but not built yet: the authorised get a "not yet" answer.
NOT_YET: frozenset[str] = frozenset()
JOIN_COMMAND = "thamgia"
# Who may read the text of a sensitive submission (the others see that it exists).
SEES_SENSITIVE = frozenset({"moderator", "admin"})
# /traloi: the longest answer; a relay longer than a channel's message limit is split on
# delivery (Telegram 4096, Zalo 2000 characters), so an answer is never refused for that.
ANSWER_MAX_CHARS = 4000
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
        return self.covers_place(submission.locality_code, submission.province_code) and (
            not self.topics or submission.topic in self.topics
        )

    def covers_place(self, locality_code: str | None, province_code: str | None) -> bool:
        """Whether a place (a ward and its province, or a province twice) lies in the scope."""
        if self.province_code and province_code != self.province_code:
            return False
        return not self.locality_codes or locality_code in self.locality_codes


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
    if submission.restricted or submission.kind == SENSITIVE_KIND:
        return True
    codes = {flag.get("code") if isinstance(flag, dict) else flag for flag in submission.flags}
    return bool(codes & set(SENSITIVE_FLAGS))


def reads_restricted(person: PersonRecord) -> bool:
    """Whether a person may read restricted texts at all (a designated officer: in scope)."""
    return person.role in SEES_SENSITIVE or (person.role == "officer" and person.designated)


def may_read(person: PersonRecord, submission: SubmissionRecord, scope: Scope) -> bool:
    """Whether `person`, whose scope is `scope`, may read the submission's full text.

    The one rule for every surface: staff read the ordinary items of their scope; a restricted
    one only moderators, admins and the designated officers whose scope covers it.
    """
    if not scope.covers(submission):
        return False
    return not is_sensitive(submission) or reads_restricted(person)


async def audit_restricted_read(
    uow: UnitOfWork, person: PersonRecord, codes: Sequence[str], command: str, now: datetime
) -> None:
    """Record that `person` was shown the text of restricted submissions (by code, never text)."""
    await uow.audit.add(
        actor=person.pseudonym,
        action="restricted.read",
        at=now,
        subject=codes[0] if len(codes) == 1 else None,
        details={"command": command, "codes": list(codes)},
    )


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
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if isinstance(raw, bool) or not text.isdecimal() or not 0 <= int(text) <= 6:
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


class Officers:
    """Enrollment, the bootstrap admin and officer commands, in the caller's unit of work."""

    def __init__(
        self,
        *,
        display_tz: tzinfo,
        digests: Digests | None = None,
        bootstrap_admin: str | None = None,
        calendar: WorkingCalendar | None = None,
        moderator_chats: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.display_tz = display_tz
        self.digests = digests
        self.bootstrap_identity = parse_identity(bootstrap_admin)
        # The moderators' review queue; moderator_chats: (channel, chat id) pairs.
        self.review = Review(display_tz=display_tz, moderator_chats=moderator_chats)
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
        valid = (
            invite is not None
            and unit is not None
            and invite.used_at is None
            and invite.expires_at > now
        )
        if valid and invite is not None and person.role == "admin" and invite.role != "admin":
            # Opening it would silently demote the admin; its intended holder can still use it.
            role = roles_config.ROLE_NAMES.get(invite.role, invite.role)
            return person, texts.INVITE_KEEPS_ADMIN.format(role=role)
        usable = (
            valid and invite is not None and await uow.invites.mark_used(invite.id, person.id, now)
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
            person.id,
            role=invite.role,
            unit_code=invite.unit_code,
            topics=invite.topics,
            designated=invite.designated and invite.role == "officer",
        )
        await uow.audit.add(
            actor=person.pseudonym,
            action="invite.redeemed",
            at=now,
            subject=f"invite:{invite.id}",
            details={
                "role": invite.role,
                "unit": invite.unit_code,
                "topics": list(invite.topics),
                "designated": person.designated,
            },
        )
        # The bootstrap admin stays admin whatever the invite says.
        person = await self.bootstrap(uow, person, now)
        role = roles_config.ROLE_NAMES.get(person.role, person.role)
        text = texts.INVITE_ACCEPTED.format(
            role=role, unit=unit.name, topics=topics_phrase(person.topics)
        )
        if person.designated:
            text += "\n" + restricted_config.INVITE_DESIGNATED
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
        if command in review.COMMANDS:
            return await self.review.command(uow, person, command, args, now)
        if command == "chuyen" and role in review.MODERATORS:
            # Typed where there are no buttons: the review queue's "Chuyển cấp trên".
            decided = await self.review.escalate_awaiting(uow, person, args, now)
            if decided is not None:
                return decided
        found = await self.scope_of(uow, person)
        if found is None:
            return texts.ROLE_NO_UNIT
        scope, unit_name = found
        if command == "xem":
            return await self.view(uow, person, scope, args, now)
        if command == "tim":
            return await self.search(uow, person, scope, args, now)
        if command == "traloi":
            return await self.answer(uow, person, scope, args, now)
        if command in cases_config.STATUS_COMMANDS:
            return await cases.officer_command(
                uow, person, scope, command, args, now, lambda s: may_read(person, s, scope)
            )
        if command == "nguoigui":
            return await self.reveal(uow, person, scope, args, now)
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

    async def view(
        self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str, now: datetime
    ) -> str:
        """One submission within scope; outside it reads the same as a missing code."""
        if not args.strip():
            return texts.ROLE_VIEW_USAGE
        code = parse_reference_code(args)
        shown = code or args.strip()[:20]
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None or not scope.covers(submission):
            return texts.ROLE_VIEW_NOT_FOUND.format(code=shown)
        hidden = not may_read(person, submission, scope)
        due = submission.answer_due_at
        shown_case = texts.ROLE_VIEW.format(
            code=submission.code,
            kind=taxonomy.kind_name(submission.kind),
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
        details = await cases.view_details(uow, submission, hidden=hidden, tz=self.display_tz)
        if not hidden and is_sensitive(submission):
            await audit_restricted_read(uow, person, [submission.code], "xem", now)
        return shown_case + details

    async def search(
        self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str, now: datetime
    ) -> str:
        """`/tim từ khóa`: the newest submissions in scope containing every word.

        Words match without regard to case or diacritics. Officers search only texts they may
        read: a restricted text matching would tell them what it says. The search is already
        limited to the scope, so for a designated officer "restricted included" is exactly the
        restricted items of their scope.
        """
        words = fold(args[:200]).split()[:SEARCH_MAX_WORDS]
        if not words:
            return texts.SEARCH_USAGE
        found = await uow.submissions.search(
            words,
            province_code=scope.province_code,
            locality_codes=scope.locality_codes,
            topics=scope.topics,
            include_sensitive=reads_restricted(person),
            limit=SEARCH_LIMIT,
        )
        shown_words = " ".join(args.split())[:60]
        if not found:
            return texts.SEARCH_NONE.format(words=shown_words)
        lines = [texts.SEARCH_HEADER.format(words=shown_words, count=len(found))]
        restricted_shown = []
        for submission in found:
            # The search left out what they may not read; the rule is checked all the same.
            hidden = not may_read(person, submission, scope)
            if not hidden and is_sensitive(submission):
                restricted_shown.append(submission.code)
            lines.append(
                texts.SEARCH_ITEM.format(
                    code=submission.code,
                    date=submission.created_at.astimezone(self.display_tz).strftime("%d/%m/%Y"),
                    topic=taxonomy.TOPICS.get(submission.topic or "", texts.DIGEST_NO_TOPIC),
                    status=taxonomy.STATUSES.get(submission.status, submission.status),
                    text=texts.DIGEST_HIDDEN_TEXT if hidden else _snippet(redact(submission.text)),
                )
            )
        if restricted_shown:
            await audit_restricted_read(uow, person, restricted_shown, "tim", now)
        return "\n".join(lines)

    async def answer(
        self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str, now: datetime
    ) -> str:
        """`/traloi MÃ nội dung`: store the answer and queue it for the resident's own chat.

        The engine answers only the chat an update came from, so the relay goes through the
        outbox (in this update's transaction; the scheduler's sweep sends it). The key is the
        answer's id: a retried send never duplicates it, and a re-delivered update is dropped
        by the engine before it gets here. The status change is handlers.cases's.
        """
        parsed = split_code(args)
        if parsed is None:
            return texts.ANSWER_USAGE
        code, shown, content = parsed
        submission = await uow.submissions.get_by_code(code) if code else None
        if submission is None or not scope.covers(submission):
            return texts.ANSWER_NOT_FOUND.format(code=shown)
        if not may_read(person, submission, scope):
            return texts.ANSWER_SENSITIVE_REFUSED.format(code=submission.code)
        if not content:
            return texts.ANSWER_USAGE
        if len(content) > ANSWER_MAX_CHARS:
            return texts.ANSWER_TOO_LONG.format(length=len(content), limit=ANSWER_MAX_CHARS)
        return await cases.answer(uow, person, submission, content, now)

    async def reveal(
        self, uow: UnitOfWork, person: PersonRecord, scope: Scope, args: str, now: datetime
    ) -> str:
        """`/nguoigui MÃ lý do`: who sent a submission, for a designated officer or an admin.

        Every attempt writes exactly one audit row: "identity.revealed" (who, when, the reason)
        or "identity.refused" (why not); an attempt is worth knowing even when refused.
        """
        parsed = split_code(args)
        code, shown, reason = parsed if parsed is not None else (None, "", "")
        reason = reason[: restricted_config.REVEAL_REASON_MAX_CHARS]
        submission = await uow.submissions.get_by_code(code) if code else None
        min_chars = restricted_config.REVEAL_REASON_MIN_CHARS
        refusal: str | None
        if not shown:
            refusal, answer = "usage", restricted_config.REVEAL_USAGE.format(min_chars=min_chars)
        elif submission is None or not scope.covers(submission):
            # Outside the scope reads the same as a missing code.
            refusal, answer = "not_found", texts.ROLE_VIEW_NOT_FOUND.format(code=shown)
        elif not (person.role == "admin" or (person.role == "officer" and person.designated)):
            refusal, answer = "not_designated", restricted_config.REVEAL_REFUSED
        elif len(reason) < min_chars:
            refusal = "no_reason"
            answer = restricted_config.REVEAL_REASON_REQUIRED.format(
                code=submission.code, min_chars=min_chars
            )
        else:
            refusal, answer = None, ""
        if refusal is not None or submission is None:
            await uow.audit.add(
                actor=person.pseudonym,
                action="identity.refused",
                subject=code,
                at=now,
                details={"refusal": refusal, "reason": reason},
            )
            return answer
        sender = await uow.people.get(submission.person_id) if submission.person_id else None
        await uow.audit.add(
            actor=person.pseudonym,
            action="identity.revealed",
            subject=submission.code,
            at=now,
            details={"reason": reason, "erased": sender is None},
        )
        logger.info("sender of %s shown to %s", submission.code, person.pseudonym)
        if sender is None:
            return restricted_config.REVEAL_ERASED.format(code=submission.code)
        return restricted_config.REVEAL_RESULT.format(
            code=submission.code,
            pseudonym=sender.pseudonym,
            channel=sender.channel,
            external_id=sender.external_id,
        )


def _snippet(text: str) -> str:
    """A text on one line, cut at a word near SEARCH_SNIPPET_CHARS."""
    flat = " ".join(text.split())
    if len(flat) <= SEARCH_SNIPPET_CHARS:
        return flat
    cut = flat[:SEARCH_SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + "…"

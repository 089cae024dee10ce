"""Every chat command under every role, on SQLite and PostgreSQL: one table, one cell per test.

A row is a command the bot dispatches (handlers.intake) with the roles allowed to run it. In an
allowed cell the command answers as it should and changes exactly what the row says; in a
refused cell the person reads the refusal config/ gives and nothing is stored (or, for the
audited attempts, only the audit row). `test_the_table_covers_every_dispatched_command` reads
the dispatch itself, so a new command without a row fails.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sql_inspect

from bot import units_cli
from bot.digests import ChatDigests
from config import calendar as calendar_config
from config import cases as cases_config
from config import consultation_chat as chat
from config import restricted as restricted_config
from config import review as review_config
from config import roles as roles_config
from config import taxonomy, texts
from config.consultations import STANCES
from handlers import intake, roles
from handlers.consultation_setup import create_consultation
from handlers.digest import Period
from handlers.intake import Engine
from handlers.sections import split_text
from handlers.states import State
from nlp.locality import LocalityIndex
from storage import models
from storage.consultation_records import NewConsultation
from storage.db import Database
from storage.deadline_records import ONCE, NewDeadline
from storage.records import UnitRecord
from tests.conftest import FrozenClock
from tests.dialogue import NOTICE, Match, NoAnalyzer, Resident
from tests.integration.test_roles_chat import (
    BEN_THANH_NAME,
    VIETNAM,
    audit,
    consented,
    make_invite,
    person_of,
    seed,
    with_role,
)

# The columns: config/roles.py's roles, and someone who never accepted the privacy notice.
UNCONSENTED = "unconsented"
COLUMNS = (UNCONSENTED, "resident", "officer", "moderator", "admin")
CONSENTED = frozenset(COLUMNS[1:])
EVERYONE = frozenset(COLUMNS)
STAFF = frozenset({"officer", "moderator", "admin"})
MODERATORS = frozenset({"moderator", "admin"})
ADMIN = frozenset({"admin"})
CREATORS = frozenset({"officer", "admin"})
UNIT = "hcm-ben-thanh"  # every staff actor's unit; seeded cases lie in its ward
WARD = "26743"
CASE_TEXT = "Rác ùn ứ đầu hẻm 12 Lê Thánh Tôn nhiều ngày chưa thu gom."
CASE_AT = datetime(2026, 10, 5, 3, tzinfo=UTC)  # received; its answer due on 25/10 (local)
CASE = {
    "text": CASE_TEXT,
    "kind": "phan_anh",
    "topic": "moi_truong",
    "created_at": CASE_AT,
    "answer_due_at": datetime(2026, 10, 25, 17, tzinfo=UTC),  # local midnight ending 25/10
    "locality_code": WARD,
    "locality_name": "Phường Bến Thành, Thành phố Hồ Chí Minh",
    "province_code": "79",
}
REVEAL_REASON = "Xác minh đơn theo yêu cầu của cơ quan điều tra"
FORM_TITLE = "Dự thảo quy chế dân chủ ở cơ sở của phường"
FORM = f"Tiêu đề: {FORM_TITLE}\nĐóng: 20/12/2026 17:00"  # /taoduthao's header lines
DRAFT = "Điều 1. Phạm vi điều chỉnh\nQuy chế này quy định việc lấy ý kiến.\nĐiều 2. Đối tượng\n"
DRAFT += "Người dân cư trú trên địa bàn phường."
# Not counted: every update writes these whoever sends it (the claim, where the person is);
# the audit log is compared entry by entry.
UNCOUNTED = frozenset({"conversations", "inbound_updates", "rate_windows", "audit_log"})


# --- a quick, isolated database per cell --------------------------------------------------------


@pytest.fixture(scope="session")
def shipped_units(localities: LocalityIndex) -> list[UnitRecord]:
    """config/units.yaml, validated once (units_cli.store_units rebuilds the locality index)."""
    entries = units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE)
    return roles.validate_units(entries, [], lambda code: localities.get(code) is not None)


@pytest.fixture
async def db(database_url: str, shipped_units: list[UnitRecord]) -> AsyncIterator[Database]:
    """conftest's `db` with the shipped units, emptied by DELETE rather than TRUNCATE.

    TRUNCATE of every table costs PostgreSQL about 0.5 s; this table has ~175 cells per engine.
    Every table is emptied all the same (children first); identities are not restarted, which
    no cell relies on.
    """
    database = Database(database_url)
    if not database.is_sqlite:
        async with database.engine.begin() as conn:
            present = set(await conn.run_sync(lambda sync: sql_inspect(sync).get_table_names()))
            known = [t for t in reversed(models.Base.metadata.sorted_tables) if t.name in present]
            unknown = present - {t.name for t in known} - {"alembic_version"}
            assert not unknown, f"tables without a model: {unknown}"
            for table in known:
                await conn.execute(table.delete())
    async with database.unit_of_work() as uow:
        await uow.units.upsert(shipped_units)
        await uow.commit()
    yield database
    await database.dispose()


@pytest.fixture
def engine(db: Database, localities: LocalityIndex, clock: FrozenClock) -> Engine:
    """The conversation engine with chat digests; nobody submits (NoAnalyzer)."""
    digests = ChatDigests(db, VIETNAM, clock)
    return Engine(db.unit_of_work, localities, clock, VIETNAM, NoAnalyzer(), digests=digests)


# --- one cell -----------------------------------------------------------------------------------


@dataclass
class Cell:
    """One command run by one role: the actor, and what the row's setup stored."""

    db: Database
    engine: Engine
    clock: FrozenClock
    role: str
    actor: Resident
    tables: set[str] = field(default_factory=set)  # those the database has
    values: dict[str, Any] = field(default_factory=dict)
    # Seeded submissions to watch, by name: "case" (someone's, in scope), "own" (the actor's).
    watched: dict[str, str] = field(default_factory=dict)

    @property
    def consented(self) -> bool:
        return self.role != UNCONSENTED

    @property
    def staff(self) -> bool:
        return self.role in STAFF

    def local(self, moment: datetime) -> str:
        return moment.astimezone(VIETNAM).strftime(texts.DATETIME_FORMAT)


Setup = Callable[[Cell], Awaitable[None]]
# The replies expected (awaited when they are read from the database, as a digest is).
Replies = Callable[[Cell], "list[str | Match] | Awaitable[list[str | Match]]"]
Effect = Callable[[Cell], "set[str]"]


async def nothing(cell: Cell) -> None:
    """No setup."""


def no_effect(cell: Cell) -> set[str]:
    return set()


def effect(*labels: str) -> Effect:
    """The same changes whoever runs the command."""
    return lambda cell: set(labels)


def role_refused(command: str) -> Replies:
    """The officers' gate's refusal."""
    return lambda cell: [texts.ROLE_REFUSED.format(command=command)]


def shaped(template: str, **known: object) -> Match:
    """`template` with the `known` fields filled in; any other field matches some text."""
    parts = []
    for part in re.split(r"(\{\w+\})", template):
        name = part[1:-1] if re.fullmatch(r"\{\w+\}", part) else None
        if name is None:
            parts.append(re.escape(part))
        else:
            parts.append(re.escape(str(known[name])) if name in known else ".+?")
    return Match("".join(parts))


@dataclass(frozen=True)
class Row:
    """A command, who may run it, and what it answers and changes either way."""

    command: str  # as dispatched, without the slash
    allowed: frozenset[str]
    reply: Replies  # the answer in an allowed cell
    args: str = ""  # formatted with the cell's values
    setup: Setup = nothing
    changes: Effect = no_effect  # what an allowed run changes
    refusal: Replies | None = None  # default: the officers' gate's refusal
    refusal_changes: Effect = no_effect  # an audited attempt changes the audit log
    name: str = ""  # the id, when it is not "/command"

    @property
    def label(self) -> str:
        return self.name or f"/{self.command}"

    async def expected(self, cell: Cell) -> tuple[list[str | Match], set[str]]:
        """The replies and the changes of this row in `cell`: allowed or refused."""
        if cell.role in self.allowed:
            replies, changes = self.reply(cell), self.changes(cell)
        else:
            refusal = self.refusal or role_refused(self.command)
            replies, changes = refusal(cell), self.refusal_changes(cell)
        return (await replies if inspect.isawaitable(replies) else replies), changes


# --- setups -------------------------------------------------------------------------------------


async def case(cell: Cell, **fields: object) -> None:
    """A resident's case in the staff's ward (October 2026), watched as "case"."""
    code = await seed(cell.db, **{**CASE, **fields})
    cell.values["code"] = code
    cell.watched["case"] = code


async def case_received(cell: Cell) -> None:
    await case(cell)


async def case_this_week(cell: Cell) -> None:
    await case(cell, created_at=datetime(2026, 11, 20, 3, tzinfo=UTC))


async def case_answered(cell: Cell) -> None:
    await case(cell, status=cases_config.ANSWERED)


async def case_awaiting_review(cell: Cell) -> None:
    await case(cell)
    async with cell.db.unit_of_work() as uow:
        submission = await uow.submissions.get_by_code(cell.values["code"])
        assert submission is not None
        await uow.review.open(submission.id, cell.clock.now)
        await uow.commit()


async def own_case(cell: Cell, status: str = cases_config.RECEIVED) -> None:
    """The actor's own case ("own"); the unconsented get someone else's code to try."""
    person = await person_of(cell.db, cell.actor)
    owner = {"person_id": person.id} if person is not None else {}
    code = await seed(cell.db, **CASE, status=status, **owner)
    cell.values["own"] = code
    cell.watched["own"] = code


async def own_answered_case(cell: Cell) -> None:
    await own_case(cell, cases_config.ANSWERED)


async def invite(cell: Cell) -> None:
    """An officer's invite to Bến Thành's committee."""
    token, code = await make_invite(cell.db, cell.clock, role="officer", unit=UNIT)
    cell.values.update(token=token, invite=code)


async def deadline(cell: Cell) -> None:
    """A one-off deadline of the staff's unit."""
    new = NewDeadline(
        code="bao-cao-thang-11",
        title="Báo cáo tình hình tháng 11",
        recurrence=ONCE,
        due_date=date(2026, 11, 30),
        unit_codes=(UNIT,),
        offsets=(3,),
    )
    async with cell.db.unit_of_work() as uow:
        (stored,) = await uow.deadlines.upsert([new], cell.clock.now)
        await uow.commit()
    cell.values.update(deadline=stored.id, deadline_title=stored.title)


async def consultation(cell: Cell) -> None:
    """A consultation open since an hour, for two more days, with two sections."""
    now = cell.clock.now
    async with cell.db.unit_of_work() as uow:
        stored = await create_consultation(
            uow,
            NewConsultation(
                title=FORM_TITLE,
                issuer=BEN_THANH_NAME,
                unit_code=UNIT,
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(days=2),
                created_by="cli",
            ),
            split_text(DRAFT).sections,
            now,
            whole_label=chat.MENU_WHOLE,
        )
        section = await uow.consultations.section(stored.id, 1)
        await uow.commit()
    assert section is not None
    cell.values.update(consultation=stored.id, section=section.heading, closes=stored.closes_at)


async def subscribed(cell: Cell) -> None:
    """The actor subscribed to announcements (when there is an actor to subscribe)."""
    person = await person_of(cell.db, cell.actor)
    if person is not None:
        async with cell.db.unit_of_work() as uow:
            assert await uow.consultations.subscribe(person.id, chat.NOTICE_VERSION, cell.clock())
            await uow.commit()


async def drafting(cell: Cell) -> None:
    """A submission being written: the kind chosen, the text awaited."""
    if cell.consented:
        await cell.actor.act(("press", "kind:phan_anh"))


# --- what allowed cells answer ------------------------------------------------------------------


def scope_digest(period: Period) -> Replies:
    """The digest of Bến Thành's ward over `period`, as /baocao and /tuan must answer."""

    async def text(cell: Cell) -> list[str | Match]:
        digests = ChatDigests(cell.db, VIETNAM, cell.clock)
        scope = roles.Scope(locality_codes=(WARD,))
        return [await digests.text(scope, period, BEN_THANH_NAME)]

    return text


def status_changed(status: str) -> Replies:
    return lambda cell: [
        cases_config.STATUS_CHANGED.format(
            code=cell.values["code"], status=taxonomy.STATUSES[status]
        )
    ]


def decided(state: str) -> Replies:
    return lambda cell: [
        review_config.DECISION_DONE.format(
            icon=review_config.DECISION_ICONS[state],
            code=cell.values["code"],
            state=review_config.REVIEW_STATES[state],
        )
    ]


def help_texts(cell: Cell) -> list[str | Match]:
    return [texts.HELP, texts.STAFF_HELP] if cell.staff else [texts.HELP]


def consent_first(cell: Cell) -> list[str | Match]:
    return [chat.CONSENT_FIRST, NOTICE]


def not_your_case(key: str) -> Replies:
    return lambda cell: [texts.STATUS_NOT_FOUND.format(code=cell.values[key])]


def invite_accepted(cell: Cell) -> list[str | Match]:
    name = roles_config.ROLE_NAMES["officer"]
    return [texts.INVITE_ACCEPTED.format(role=name, unit=BEN_THANH_NAME, topics="")]


def invite_changes(cell: Cell) -> set[str]:
    """Redeeming the officer's invite: the role and unit it gives, the invite used, audited."""
    changes = {"audit invite.redeemed", "+1 used invites"}
    if cell.role != "officer":
        changes.add("actor.role=officer")
    if not cell.staff:
        changes.add(f"actor.unit_code={UNIT}")
    return changes


def invite_refused(cell: Cell) -> list[str | Match]:
    """Before consent the invite waits for it; an admin keeps the role and the invite its use."""
    if cell.role == "admin":
        return [texts.INVITE_KEEPS_ADMIN.format(role=roles_config.ROLE_NAMES["officer"])]
    return [texts.INVITE_CONSENT_FIRST, NOTICE]


def my_data(cell: Cell) -> list[str | Match]:
    return [
        shaped(
            texts.MY_DATA,
            channel="test",
            consent_version=texts.PRIVACY_NOTICE_VERSION,
            consent_at=cell.local(cell.clock.now),
            count=0,
        )
    ]


def deadlines_listing(cell: Cell) -> list[str | Match]:
    unit = texts.DEADLINES_ALL_UNITS if cell.role == "admin" else BEN_THANH_NAME
    return [texts.DEADLINES_NONE.format(unit=unit)]


def search_result(cell: Cell) -> list[str | Match]:
    header = texts.SEARCH_HEADER.format(words="rác", count=1)
    item = texts.SEARCH_ITEM.format(
        code=cell.values["code"],
        date=CASE_AT.astimezone(VIETNAM).strftime("%d/%m/%Y"),
        topic=taxonomy.TOPICS[CASE["topic"]],
        status=taxonomy.STATUSES[cases_config.RECEIVED],
        text=CASE_TEXT,
    )
    return [f"{header}\n{item}"]


def case_view(cell: Cell) -> list[str | Match]:
    return [
        texts.ROLE_VIEW.format(
            code=cell.values["code"],
            kind=taxonomy.KINDS[CASE["kind"]],
            created=cell.local(CASE_AT),
            topic=taxonomy.TOPICS[CASE["topic"]],
            locality=CASE["locality_name"],
            group=texts.ROLE_VIEW_NONE,
            status=taxonomy.STATUSES[cases_config.RECEIVED],
            due="25/10/2026",
            text=CASE_TEXT,
        )
    ]


def own_status(cell: Cell) -> list[str | Match]:
    return [
        texts.STATUS.format(
            code=cell.values["own"],
            kind=taxonomy.KINDS[CASE["kind"]],
            created=cell.local(CASE_AT),
            status=taxonomy.STATUSES[cases_config.RECEIVED],
        )
    ]


# --- the policy table ---------------------------------------------------------------------------

CASE_ARGS = "{code}"

ROWS: tuple[Row, ...] = (
    # Officers' reports and reading (handlers.roles): staff only, nothing stored.
    Row(
        "baocao",
        STAFF,
        args="10/2026",
        setup=case_received,
        reply=scope_digest(Period.month(2026, 10)),
    ),
    Row(
        "tuan",
        STAFF,
        setup=case_this_week,
        reply=scope_digest(Period(date(2026, 11, 15), date(2026, 11, 22))),
    ),
    Row("xem", STAFF, args=CASE_ARGS, setup=case_received, reply=case_view),
    Row("tim", STAFF, args="rác", setup=case_received, reply=search_result),
    # The answer loop: staff change a case's status; the resident is told (outbox); audited.
    Row(
        "traloi",
        STAFF,
        args="{code} Đã thu gom xong, cảm ơn bạn.",
        setup=case_received,
        reply=lambda cell: [texts.ANSWER_SENT.format(code=cell.values["code"])],
        changes=effect(
            f"case.status={cases_config.ANSWERED}",
            "+1 answers",
            "+1 outbox",
            "audit submission.answered",
        ),
    ),
    Row(
        "xuly",
        STAFF,
        args=CASE_ARGS,
        setup=case_received,
        reply=status_changed(cases_config.IN_PROGRESS),
        changes=effect(
            f"case.status={cases_config.IN_PROGRESS}", "+1 outbox", "audit submission.status"
        ),
    ),
    Row(
        "dong",
        STAFF,
        args=CASE_ARGS,
        setup=case_answered,
        reply=status_changed(cases_config.CLOSED),
        changes=effect(
            f"case.status={cases_config.CLOSED}", "+1 outbox", "audit submission.status"
        ),
    ),
    Row(
        "chuyen",
        STAFF,
        args="{code} Đã chuyển UBND phường",
        setup=case_received,
        reply=status_changed(cases_config.ESCALATED),
        changes=effect(
            f"case.status={cases_config.ESCALATED}", "+1 outbox", "audit submission.status"
        ),
    ),
    Row(
        "khongthuoc",
        STAFF,
        args="{code} Tranh chấp dân sự | Tòa án nhân dân khu vực",
        setup=case_received,
        reply=status_changed(cases_config.NOT_COMPETENT),
        changes=effect(
            f"case.status={cases_config.NOT_COMPETENT}", "+1 outbox", "audit submission.status"
        ),
    ),
    # Who sent a case: an admin (or a designated officer); every staff attempt is audited.
    Row(
        "nguoigui",
        ADMIN,
        args=f"{{code}} {REVEAL_REASON}",
        setup=case_received,
        reply=lambda cell: [
            restricted_config.REVEAL_RESULT.format(
                code=cell.values["code"], pseudonym="ND-SEED", channel="seed", external_id="author"
            )
        ],
        changes=effect("audit identity.revealed"),
        refusal=lambda cell: [
            restricted_config.REVEAL_REFUSED
            if cell.staff
            else texts.ROLE_REFUSED.format(command="nguoigui")
        ],
        refusal_changes=lambda cell: {"audit identity.refused"} if cell.staff else set(),
    ),
    # Deadlines: staff list theirs and mark them done; only admins add one.
    Row("hanchot", STAFF, reply=deadlines_listing),
    Row(
        "hanchot",
        ADMIN,
        args="them 15/12/2026 Báo cáo tổng kết năm",
        reply=lambda cell: [
            shaped(
                texts.DEADLINE_ADDED,
                title="Báo cáo tổng kết năm",
                due="15/12/2026",
                offsets=", ".join(str(days) for days in calendar_config.REMINDER_OFFSETS),
            )
        ],
        changes=effect("+1 deadlines", "audit deadline.added"),
        refusal=lambda cell: [
            texts.DEADLINE_ADD_ADMIN_ONLY
            if cell.staff
            else texts.ROLE_REFUSED.format(command="hanchot")
        ],
        name="/hanchot them",
    ),
    Row(
        "xong",
        STAFF,
        args="{deadline}",
        setup=deadline,
        reply=lambda cell: [
            shaped(
                texts.DEADLINE_MARKED,
                unit=BEN_THANH_NAME,
                title=cell.values["deadline_title"],
                due="30/11/2026",
            )
        ],
        changes=effect("+1 deadline_done", "audit deadline.done"),
    ),
    # The review queue (handlers.review): moderators and admins only.
    Row(
        "duyet",
        MODERATORS,
        args=CASE_ARGS,
        setup=case_awaiting_review,
        reply=decided("duyet"),
        changes=effect("case.review_state=duyet", "audit review.decided"),
    ),
    Row(
        "hanche",
        MODERATORS,
        args=CASE_ARGS,
        setup=case_awaiting_review,
        reply=decided("han_che"),
        changes=effect("case.review_state=han_che", "case.restricted=True", "audit review.decided"),
    ),
    Row(
        "spam",
        MODERATORS,
        args=CASE_ARGS,
        setup=case_awaiting_review,
        reply=decided("spam"),
        changes=effect(
            "case.review_state=spam",
            f"case.status={cases_config.CLOSED}",
            "audit review.decided",
        ),
    ),
    Row(
        "sua",
        MODERATORS,
        args="{code} linhvuc=dat_dai",
        setup=case_awaiting_review,
        reply=lambda cell: [
            review_config.CORRECTED.format(
                field=review_config.FIELD_TOPIC,
                code=cell.values["code"],
                before=taxonomy.TOPICS[CASE["topic"]],
                after=taxonomy.TOPICS["dat_dai"],
            )
        ],
        changes=effect("case.topic=dat_dai", "+1 label_corrections", "audit review.corrected"),
    ),
    Row(
        "truc",
        MODERATORS,
        args="bat",
        reply=lambda cell: [review_config.DUTY_TURNED_ON],
        changes=effect("actor.on_duty=True", "audit moderator.duty"),
    ),
    # Enrollment: anyone who consented redeems an invite; before consent it waits for it. An
    # admin is not demoted by an officer's invite.
    Row(
        "thamgia",
        CONSENTED - {"admin"},
        args="{invite}",
        setup=invite,
        reply=invite_accepted,
        changes=invite_changes,
        refusal=invite_refused,
    ),
    Row(
        "start",
        CONSENTED - {"admin"},
        args="{token}",
        setup=invite,
        reply=invite_accepted,
        changes=invite_changes,
        refusal=invite_refused,
        name="/start token",
    ),
    Row(
        "start",
        EVERYONE,
        reply=lambda cell: (
            [texts.WELCOME_BACK, texts.CHOOSE_KIND] if cell.consented else [texts.WELCOME, NOTICE]
        ),
    ),
    Row("trogiup", EVERYONE, reply=help_texts),
    Row("help", EVERYONE, reply=help_texts),
    # Consultations on drafts (handlers.consultations, handlers.consultation_setup).
    Row(
        "duthao",
        CONSENTED,
        setup=consultation,
        reply=lambda cell: [chat.LIST],
        changes=effect(f"state={State.CONSULT_LIST}"),
        refusal=consent_first,
    ),
    Row(
        "gopy",
        CONSENTED,
        args="{consultation} 1 1",
        setup=consultation,
        reply=lambda cell: [
            chat.SAVED.format(
                label=cell.values["section"],
                stance=STANCES["tan_thanh"],
                comment="",
                closes=cell.local(cell.values["closes"]),
            )
        ],
        changes=effect("+1 consultation_comments"),
        refusal=consent_first,
    ),
    Row(
        "dangky",
        CONSENTED,
        reply=lambda cell: [
            chat.SUBSCRIBED.format(place=chat.PLACE_EVERYWHERE, version=chat.NOTICE_VERSION)
        ],
        changes=effect("+1 subscriptions", "audit consent.given"),
        refusal=consent_first,
    ),
    Row(
        "huydangky",
        CONSENTED,
        setup=subscribed,
        reply=lambda cell: [chat.UNSUBSCRIBED],
        changes=effect("-1 subscriptions", "audit consent.withdrawn"),
        refusal=lambda cell: [chat.NOT_SUBSCRIBED],
    ),
    Row(
        "taoduthao",
        CREATORS,
        args=FORM,
        reply=lambda cell: [chat.ASK_DRAFT.format(title=FORM_TITLE)],
        changes=effect(f"state={State.CONSULT_DRAFT}"),
    ),
    # The resident's own commands: anyone who consented; before consent there is nothing.
    Row(
        "huy",
        CONSENTED,
        setup=drafting,
        reply=lambda cell: [texts.CANCELLED],
        changes=effect(f"state={State.IDLE}"),
        refusal=lambda cell: [texts.NOTHING_TO_CANCEL],
    ),
    Row(
        "cancel",
        CONSENTED,
        setup=drafting,
        reply=lambda cell: [texts.CANCELLED],
        changes=effect(f"state={State.IDLE}"),
        refusal=lambda cell: [texts.NOTHING_TO_CANCEL],
    ),
    Row(
        "trangthai",
        CONSENTED,
        args="{own}",
        setup=own_case,
        reply=own_status,
        refusal=not_your_case("own"),
    ),
    Row(
        "danhgia",
        CONSENTED,
        args="{own} 5",
        setup=own_answered_case,
        reply=lambda cell: [cases_config.RATE_THANKS.format(code=cell.values["own"], rating=5)],
        changes=effect("own.rating=5", "audit submission.rated"),
        refusal=not_your_case("own"),
    ),
    Row(
        "bosung",
        CONSENTED,
        args="{own} Rác vẫn chưa được thu gom.",
        setup=own_case,
        reply=lambda cell: [cases_config.FOLLOWUP_ADDED.format(code=cell.values["own"])],
        changes=effect("+1 followups", "audit submission.followup"),
        refusal=not_your_case("own"),
    ),
    Row(
        "dulieucuatoi",
        CONSENTED,
        reply=my_data,
        refusal=lambda cell: [texts.MY_DATA_NONE],
    ),
    Row(
        "xoadulieu",
        CONSENTED,
        reply=lambda cell: [texts.ERASE_CONFIRM],
        changes=effect(f"state={State.CONFIRM_ERASE}"),
        refusal=lambda cell: [texts.MY_DATA_NONE],
    ),
)


# --- the state a cell may change ----------------------------------------------------------------


async def snapshot(cell: Cell) -> dict[str, Any]:
    """Row counts of every table (but UNCOUNTED), the audit trail, the watched cases, the
    actor's person row and where the actor is in the conversation."""
    found: dict[str, Any] = {}
    async with cell.db.unit_of_work() as uow:
        session = uow.session
        for table in models.Base.metadata.sorted_tables:
            if table.name not in UNCOUNTED and table.name in cell.tables:
                count = await session.scalar(select(func.count()).select_from(table))
                found[f"rows {table.name}"] = count
        invites = models.Invite.__table__
        used = select(func.count()).select_from(invites).where(invites.c.used_at.is_not(None))
        found["rows used invites"] = await session.scalar(used)
        audit = models.AuditEntry.__table__
        found["audit"] = list(
            (await session.execute(select(audit.c.action).order_by(audit.c.id))).scalars()
        )
        for name, code in cell.watched.items():
            submission = await uow.submissions.get_by_code(code)
            assert submission is not None
            for attribute in ("status", "review_state", "restricted", "topic", "kind", "rating"):
                found[f"{name}.{attribute}"] = getattr(submission, attribute)
        user = cell.actor.user
        person = await uow.people.get_by_channel(user.channel, user.external_id)
        for attribute in ("role", "unit_code", "on_duty", "designated"):
            found[f"actor.{attribute}"] = getattr(person, attribute, None)
        conversations = models.Conversation.__table__
        found["state"] = await session.scalar(
            select(conversations.c.state).where(
                conversations.c.channel == user.channel,
                conversations.c.external_id == user.external_id,
            )
        )
    return found


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The differences as labels: "+1 answers", "audit review.decided", "case.status=…"."""
    labels: set[str] = set()
    assert after["audit"][: len(before["audit"])] == before["audit"], "audit rows went missing"
    labels.update(f"audit {action}" for action in after["audit"][len(before["audit"]) :])
    for key, value in after.items():
        if key == "audit" or before.get(key) == value:
            continue
        if key.startswith("rows "):
            labels.add(f"{value - before[key]:+d} {key[5:]}")
        else:
            labels.add(f"{key}={value}")
    return labels


async def actor_for(engine: Engine, db: Database, role: str) -> Resident:
    """Someone of `role`: staff are placed in Bến Thành's committee, as an invite would."""
    if role == UNCONSENTED:
        newcomer = Resident(engine, "actor")
        await newcomer.act(("say", "xin chào"))  # the notice shown, never accepted
        return newcomer
    if role == "resident":
        return await consented(engine, "actor")
    return await with_role(db, engine, "actor", role, UNIT)


# --- the tests ----------------------------------------------------------------------------------


CELLS = [pytest.param(role, row, id=f"{role}-{row.label}") for row in ROWS for role in COLUMNS]


@pytest.mark.parametrize(("role", "row"), CELLS)
async def test_command_by_role(
    role: str, row: Row, db: Database, engine: Engine, clock: FrozenClock
) -> None:
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: sql_inspect(sync).get_table_names())
    cell = Cell(db, engine, clock, role, await actor_for(engine, db, role), set(tables))
    await row.setup(cell)
    before = await snapshot(cell)

    got = await cell.actor.act(("cmd", row.command, row.args.format(**cell.values)))

    expected, changes = await row.expected(cell)
    assert len(got) == len(expected), got
    for text, want in zip(got, expected, strict=True):
        assert want.matches(text) if isinstance(want, Match) else text == want, text
    assert changed(before, await snapshot(cell)) == changes


def test_the_table_covers_every_dispatched_command() -> None:
    """A row for every command handlers.intake dispatches, a column for every role."""
    assert {row.command for row in ROWS} == dispatched_commands()
    assert set(COLUMNS) == {UNCONSENTED, *roles_config.ROLE_NAMES}
    assert all(row.allowed <= EVERYONE for row in ROWS)
    assert len({row.label for row in ROWS}) == len(ROWS)


async def test_a_draft_begun_before_a_role_change_is_not_created(
    db: Database, engine: Engine, clock: FrozenClock
) -> None:
    """/taoduthao's gate holds at the confirmation too: an officer made a moderator meanwhile
    (an invite redeemed in the middle of the draft) does not create the consultation."""
    officer = await with_role(db, engine, "creator", "officer", UNIT)
    assert await officer.act(("cmd", "taoduthao", FORM)) == [
        chat.ASK_DRAFT.format(title=FORM_TITLE)
    ]
    _, code = await make_invite(db, clock, role="moderator", unit=UNIT)
    await officer.act(("cmd", "thamgia", code))
    await officer.act(("say", DRAFT))
    await officer.act(("press", "gy:draft:done"))
    refused = [texts.ROLE_REFUSED.format(command="taoduthao")]
    assert await officer.act(("press", "gy:create")) == refused
    async with db.unit_of_work() as uow:
        assert await uow.consultations.list_open(clock.now) == []
    assert "consultation.created" not in [action for _, action, _, _ in await audit(db)]


# --- the dispatch, read from handlers.intake -------------------------------------------------


def dispatched_commands() -> set[str]:
    """Every command name `_Turn.on_command` and `_Turn.is_moderation` compare against."""
    found: set[str] = set()
    for method in (intake._Turn.on_command, intake._Turn.is_moderation):
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and _is_command(node.left):
                for comparator in node.comparators:
                    found.update(_names(_value(comparator)))
    assert found, "no command dispatch found in handlers.intake"
    return found


def _is_command(node: ast.expr) -> bool:
    """`command` or `….command` (the incoming update's command name)."""
    if isinstance(node, ast.Name):
        return node.id == "command"
    return isinstance(node, ast.Attribute) and node.attr == "command"


def _value(node: ast.expr) -> object:
    """A literal, or a name the intake module can see (roles.COMMANDS, …)."""
    if isinstance(node, ast.Name):
        return getattr(intake, node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_value(node.value), node.attr)
    return ast.literal_eval(node)


def _names(value: object) -> Iterable[str]:
    if isinstance(value, str):
        return [value]
    assert isinstance(value, Iterable), value
    return [str(name) for name in value]

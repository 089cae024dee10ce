"""`ykien units load|list|add|remove` and `ykien invite create`; officers' chat digests.

Every command validates everything before it writes, and writes in one unit of work: a file
with one bad unit stores nothing. Invite secrets are printed once, to standard output, and
never logged or stored (the database keeps their sha256).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import config
from bot.nlp_cli import InputError
from bot.yaml_lists import read_yaml_list
from config import restricted as restricted_config
from config import roles as roles_config
from config import schedules as schedules_config
from config import taxonomy, texts
from config.settings import Settings
from handlers import roles
from handlers.ports import Clock
from nlp.locality import LocalityIndex
from storage.db import Database
from storage.records import UnitRecord

logger = logging.getLogger(__name__)

DEFAULT_UNITS_FILE = Path(config.__file__).parent / "units.yaml"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `units load|list|add|remove` and `invite create`."""
    units = sub.add_parser("units", help="the unit tree (Front committees, member organisations)")
    units_sub = units.add_subparsers(dest="units_command", required=True)
    load = units_sub.add_parser("load", help="add or update units from a YAML file")
    load.add_argument("file", nargs="?", type=Path, default=DEFAULT_UNITS_FILE)
    units_sub.add_parser("list", help="print the unit tree")
    add = units_sub.add_parser("add", help="add or change one unit")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, help=", ".join(roles_config.UNIT_KINDS))
    add.add_argument("--parent")
    add.add_argument("--locality", help="administrative code (default: the parent's)")
    add.add_argument("--target-group", help="for a member organisation")
    add.add_argument(
        "--digest",
        choices=tuple(schedules_config.DIGEST_SCHEDULES),
        help="scheduled digests (default: monthly, or the unit's current schedule)",
    )
    add.add_argument(
        "--digest-weekday", type=int, help="weekly digest day, 0 = Monday … 6 = Sunday"
    )
    remove = units_sub.add_parser("remove", help="remove a unit nobody belongs to")
    remove.add_argument("code")

    invite = sub.add_parser("invite", help="enrol officers, moderators and admins")
    invite_sub = invite.add_subparsers(dest="invite_command", required=True)
    create = invite_sub.add_parser("create", help="print a single-use invite link and code")
    create.add_argument("--role", required=True, help=", ".join(roles_config.INVITABLE_ROLES))
    create.add_argument("--unit", required=True, help="a unit code (see `ykien units list`)")
    create.add_argument("--topics", default="", help="comma-separated topic codes (default: all)")
    create.add_argument("--expires", default=roles_config.INVITE_DEFAULT_EXPIRES)
    create.add_argument(
        "--designated",
        action="store_true",
        help="an officer who reads the unit's restricted items (denunciations…)",
    )


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    say: Callable[[str], None] = print,
    clock: Clock = lambda: datetime.now(UTC),
) -> None:
    """Dispatch a `units` or `invite` subcommand (InputError: the operator's mistake)."""

    async def main() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.upgrade()
            if args.command == "invite":
                await create_invite(db, args, settings, say, clock())
            elif args.units_command == "load":
                await load_units(db, args.file, say)
            elif args.units_command == "list":
                await list_units(db, say)
            elif args.units_command == "add":
                await add_unit(db, args, say)
            else:
                await remove_unit(db, args.code, say)
        finally:
            await db.dispose()

    asyncio.run(main())


def _locality_exists() -> Callable[[str], bool]:
    index = LocalityIndex.from_vietnam_provinces()
    return lambda code: index.get(code) is not None


def read_units_file(path: Path) -> list[roles.UnitEntry]:
    """The `units:` list of a YAML file, each entry with the line it starts on."""
    pairs = read_yaml_list(
        path, "units", cannot_read=texts.UNITS_CANNOT_READ, bad_format=texts.UNITS_BAD_FORMAT
    )
    return [roles.UnitEntry(fields, line) for fields, line in pairs]


async def store_units(db: Database, entries: list[roles.UnitEntry]) -> list[UnitRecord]:
    """Validate `entries` against the stored tree and upsert them, all or nothing."""
    exists = _locality_exists()
    async with db.unit_of_work() as uow:
        try:
            units = roles.validate_units(entries, await uow.units.list_all(), exists)
        except roles.UnitError as error:
            raise InputError(str(error)) from error
        await uow.units.upsert(units)
        await uow.audit.add(
            actor="cli",
            action="units.stored",
            at=datetime.now(UTC),
            details={"codes": [unit.code for unit in units]},
        )
        await uow.commit()
    return units


async def load_units(db: Database, path: Path, say: Callable[[str], None]) -> None:
    """`units load`: upsert every unit of a YAML file."""
    units = await store_units(db, read_units_file(path))
    say(texts.UNITS_LOADED.format(count=len(units), path=path))


def tree_lines(units: list[UnitRecord]) -> list[str]:
    """The tree, each unit indented under its parent, siblings by code."""
    children: dict[str | None, list[UnitRecord]] = {}
    codes = {unit.code for unit in units}
    for unit in units:
        parent = unit.parent_code if unit.parent_code in codes else None
        children.setdefault(parent, []).append(unit)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.code):
            lines.append(
                texts.UNIT_LINE.format(
                    indent="  " * depth,
                    code=unit.code,
                    name=unit.name,
                    kind=unit.kind,
                    locality=f", {unit.locality_code}" if unit.locality_code else "",
                    group=f", {unit.target_group}" if unit.target_group else "",
                )
                + schedule_phrase(unit)
            )
            walk(unit.code, depth + 1)

    walk(None, 0)
    return lines


def schedule_phrase(unit: UnitRecord) -> str:
    """ " · tổng hợp: hằng tuần (Thứ Hai)" and the like, for `units list`."""
    name = schedules_config.DIGEST_SCHEDULES.get(unit.digest, unit.digest)
    if unit.digest in (schedules_config.DIGEST_WEEKLY, schedules_config.DIGEST_BOTH):
        weekday = schedules_config.WEEKDAY_NAMES[unit.digest_weekday % 7]
        return schedules_config.UNIT_SCHEDULE_WEEKLY.format(digest=name, weekday=weekday)
    return schedules_config.UNIT_SCHEDULE.format(digest=name)


async def list_units(db: Database, say: Callable[[str], None]) -> None:
    """`units list`: the tree."""
    async with db.unit_of_work() as uow:
        units = await uow.units.list_all()
    say("\n".join(tree_lines(units)) if units else texts.UNITS_EMPTY)


async def add_unit(db: Database, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    """`units add`: one unit, validated like a file entry."""
    fields: dict[str, Any] = {
        "code": args.code,
        "name": args.name,
        "kind": args.kind,
        "parent": args.parent,
        "locality": args.locality,
        "target_group": args.target_group,
        "digest": getattr(args, "digest", None),
        "digest_weekday": getattr(args, "digest_weekday", None),
    }
    (unit,) = await store_units(db, [roles.UnitEntry(fields)])
    say(texts.UNIT_ADDED.format(code=unit.code, name=unit.name))


async def remove_unit(db: Database, code: str, say: Callable[[str], None]) -> None:
    """`units remove`: refused while child units, people or invites belong to the unit."""
    async with db.unit_of_work() as uow:
        if await uow.units.get(code) is None:
            raise InputError(texts.UNIT_NOT_FOUND.format(code=code))
        usage = await uow.units.usage(code)
        if usage.children or usage.people or usage.invites:
            raise InputError(
                texts.UNIT_IN_USE.format(
                    code=code, children=usage.children, people=usage.people, invites=usage.invites
                )
            )
        await uow.units.delete(code)
        await uow.audit.add(actor="cli", action="unit.removed", at=datetime.now(UTC), subject=code)
        await uow.commit()
    say(texts.UNIT_REMOVED.format(code=code))


def parse_topics(text: str) -> tuple[str, ...]:
    """`a,b` as topic codes, each checked against the taxonomy."""
    topics = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    for topic in topics:
        if topic not in taxonomy.TOPICS:
            known = ", ".join(taxonomy.TOPICS)
            raise InputError(texts.INVITE_UNKNOWN_TOPIC.format(topic=topic, topics=known))
    return topics


async def create_invite(
    db: Database,
    args: argparse.Namespace,
    settings: Settings,
    say: Callable[[str], None],
    now: datetime,
) -> None:
    """`invite create`: store the hashes, print the link and the code once."""
    if args.role not in roles_config.INVITABLE_ROLES:
        known = ", ".join(roles_config.INVITABLE_ROLES)
        raise InputError(texts.INVITE_BAD_ROLE.format(role=args.role, roles=known))
    designated = bool(getattr(args, "designated", False))
    if designated and args.role != "officer":
        raise InputError(restricted_config.INVITE_DESIGNATED_OFFICERS_ONLY)
    topics = parse_topics(args.topics)
    try:
        expires_at = now + roles.parse_expires(args.expires)
    except ValueError as error:
        raise InputError(
            texts.INVITE_BAD_EXPIRES.format(
                value=args.expires, max_days=roles_config.INVITE_MAX_DAYS
            )
        ) from error
    token, code = roles.new_invite_secrets()
    async with db.unit_of_work() as uow:
        unit = await uow.units.get(args.unit)
        if unit is None:
            raise InputError(texts.INVITE_UNKNOWN_UNIT.format(unit=args.unit))
        invite = await uow.invites.add(
            token_hash=roles.secret_hash(token),
            code_hash=roles.secret_hash(code),
            role=args.role,
            unit_code=unit.code,
            topics=topics,
            expires_at=expires_at,
            at=now,
            designated=designated,
        )
        await uow.audit.add(
            actor="cli",
            action="invite.created",
            at=now,
            subject=f"invite:{invite.id}",
            details={
                "role": invite.role,
                "unit": invite.unit_code,
                "topics": list(topics),
                "expires_at": expires_at.isoformat(),
                "designated": designated,
            },
        )
        await uow.commit()
    logger.info("invite %d created (%s, %s)", invite.id, invite.role, invite.unit_code)
    tz = ZoneInfo(settings.timezone)
    username = (settings.telegram_bot_username or "").strip().lstrip("@")
    link = roles.deep_link(username, token) if username else texts.INVITE_NO_BOT_USERNAME
    created = texts.INVITE_CREATED.format(
        role=roles_config.ROLE_NAMES[invite.role],
        unit=unit.name,
        expires=expires_at.astimezone(tz).strftime(texts.DATETIME_FORMAT),
        link=link,
        code=code,
    )
    if invite.designated:
        created += "\n" + restricted_config.INVITE_CREATED_DESIGNATED
    say(created)

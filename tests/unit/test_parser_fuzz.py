"""Property-based fuzzing of every parser of user- or file-supplied input.

Each parser gets generated input, random and shaped like what it reads (commands, forms, drafts,
webhook updates, files), and must either return what its contract promises or raise its own
documented error: never another exception. `@example`s pin the inputs that once crashed one.
"""

from __future__ import annotations

import io
import json
import re
import string
import tempfile
import unicodedata
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock
from zoneinfo import ZoneInfo

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot import json_body
from bot.audit_cli import parse_since
from bot.channels import telegram_adapter, zalo_bot, zalo_oa
from bot.channels.shell_adapter import parse_line
from bot.draft_import import read_draft_bytes
from bot.evaluation import DatasetError, _labelled
from bot.nlp_cli import InputError
from bot.units_cli import parse_topics
from bot.web import UPDATE_PARSE_ERRORS
from bot.yaml_lists import read_yaml_list
from config import cases as cases_config
from config import consultations as consultation_texts
from config import roles as roles_config
from config import schedules as schedules_config
from config import taxonomy
from config.consultation_chat import STANCE_WORDS
from config.nlp import ABBREVIATIONS
from handlers import cases
from handlers.codes import ALPHABET, parse_reference_code, split_code
from handlers.consultation_setup import (
    TITLE_MAX_CHARS,
    FormError,
    parse_datetime,
    parse_form,
    parse_groups,
)
from handlers.consultations import (
    MAX_NUMBER_DIGITS,
    OPEN_PREFIX,
    ConsultationChat,
    opened_consultation,
    parse_quick,
    parse_stance,
)
from handlers.deadlines import (
    DEADLINE_CODE_RE,
    MAX_OFFSET,
    MAX_TITLE,
    DeadlineCommands,
    DeadlineError,
    parse_day,
    validate_deadline,
)
from handlers.digest import Period
from handlers.intake import _Turn
from handlers.messages import Attachment, Event, Incoming, UserRef
from handlers.messages import split_text as split_message
from handlers.review import LABELS, Review, match_label
from handlers.roles import (
    UNIT_CODE_RE,
    Scope,
    UnitEntry,
    UnitError,
    invite_hashes,
    parse_expires,
    parse_identity,
    validate_units,
)
from handlers.sections import (
    DraftError,
    check_length,
    clean,
    join_wrapped_lines,
    pages,
    split_text,
    summary,
)
from handlers.states import State
from nlp.locality import LocalityIndex
from nlp.normalize import Normalizer
from nlp.pii import PLACEHOLDERS, find_pii, redact
from nlp.text import FOLD_CHAR_TABLE, fold, fold_keeping_offsets, strip_diacritics
from storage.records import PersonRecord, SubmissionRecord, UnitRecord


def fuzz(examples: int) -> Any:
    """Settings for one property: `examples` generated inputs, no per-example deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)  # 09:30 on 21/11/2026 in Vietnam
TODAY = NOW.astimezone(TZ).date()
CODE_RE = re.compile(rf"YK-[{ALPHABET}]{{6}}")
# Digits str.isdigit accepts but int() refuses, and digits of other scripts int() reads.
ODD_DIGITS = ["²", "³", "¹", "①", "٣", "੩", "𝟘", "٠١"]
# Text that commands and forms are made of, to mix with random text.
TOKENS = [
    *ODD_DIGITS,
    *[
        "0",
        "1",
        "2",
        "12",
        "007",
        "99999999999",
        "-1",
        "1.5",
        "YK",
        "yk-",
        "YK-7F3Q9X",
        "7f3q9x",
        "|",
        ":",
        "=",
        "/",
        "them",
        "khong",
    ],
    *["linhvuc=", "loai=", "I.", "1.2", "Đ", "ð", "x̃", "🙂"],
    *["9" * 25, "YK 7F3Q9X", "tán thành", "một phần", "linh_vuc =", "Điều 5.", "PHẦN THỨ NHẤT"],
    *["\n", "\t", "\u200b", "\ufeff", "\x00"],
]
tokens_text = st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=10).map(" ".join)
any_text = st.text(max_size=60) | tokens_text
# A resident or officer, enough for the handlers' checks.
PERSON = PersonRecord(
    id=7,
    pseudonym="ND-7",
    channel="telegram",
    external_id="42",
    role="admin",
    consent_version="v1",
    consent_at=NOW,
    created_at=NOW,
)


def submission(code: str, **fields: Any) -> SubmissionRecord:
    base: dict[str, Any] = {
        "id": 1,
        "code": code,
        "person_id": PERSON.id,
        "kind": "phan_anh",
        "text": "Đường ngập nước.",
        "channel": "telegram",
        "created_at": NOW,
        "status": "da_tiep_nhan",
        "locality_code": None,
        "locality_name": None,
        "province_code": None,
        "target_group": None,
        "topic": None,
        "topic_confidence": None,
        "kind_confidence": None,
        "predicted_kind": None,
        "flags": [],
        "cluster_id": None,
        "needs_review": False,
    }
    return SubmissionRecord(**{**base, **fields})


def fake(**methods: Any) -> SimpleNamespace:
    """A repository whose methods are AsyncMocks returning the given values."""
    return SimpleNamespace(
        **{name: AsyncMock(return_value=value) for name, value in methods.items()}
    )


# === handlers.codes ===============================================================================

code_bodies = st.text(alphabet=ALPHABET, min_size=6, max_size=6)
spellings = st.sampled_from(["{p}-{c}", "{p} {c}", "{p}{c}", "{c}", " {p} - {c} ", "{p}--{c}"])


@fuzz(100)
@given(body=code_bodies, spelling=spellings, lower=st.booleans())
def test_a_reference_code_is_read_however_it_is_typed(
    body: str, spelling: str, lower: bool
) -> None:
    typed = spelling.format(p="YK", c=body)
    typed = typed.lower() if lower else typed
    assert parse_reference_code(typed) == f"YK-{body}"


@fuzz(200)
@given(text=any_text)
@example(text="ſſſſſſ")  # upper() turns the long s into an S of the alphabet
def test_a_parsed_reference_code_is_canonical(text: str) -> None:
    code = parse_reference_code(text)
    if code is not None:
        assert CODE_RE.fullmatch(code)
        assert parse_reference_code(code) == code


@fuzz(200)
@given(args=any_text)
def test_split_code_returns_the_code_and_the_rest(args: str) -> None:
    parsed = split_code(args)
    if not args.split():
        assert parsed is None
        return
    assert parsed is not None
    code, shown, content = parsed
    assert code is None or (CODE_RE.fullmatch(code) and parse_reference_code(code) == code)
    assert 0 < len(shown) <= 20
    assert content == content.strip()
    assert content in args


@fuzz(120)
@given(
    body=code_bodies,
    spelling=st.sampled_from(["{p}-{c}", "{p} {c}", "{p}{c}", "{c}", "{p}--{c}", "{p} - {c}"]),
    content=any_text,
)
def test_split_code_round_trips(body: str, spelling: str, content: str) -> None:
    typed = spelling.format(p="YK", c=body)
    assert split_code(f"{typed} {content}") == (
        f"YK-{body}",
        f"YK-{body}" if " " in typed else typed[:20],
        content.strip(),
    )


# === handlers.sections ============================================================================

HEADING_LABELS = [
    *["PHẦN THỨ NHẤT", "Phần thứ mười hai", "PHAN THU HAI", "Phần I", "CHƯƠNG II", "Chương 2"],
    *["Mục 1", "Điều 5", "Điều 5a", "ĐIỀU 12"],
    *["I", "IV", "XIII", "1", "1.2", "2.3.1", "a)", "12", "C"],
]
heading_lines = st.builds(
    lambda label, sep, title: f"{label}{sep}{title}",
    st.sampled_from(HEADING_LABELS),
    st.sampled_from([".", ":", " - ", " – ", " ", "", ") ", ". "]),
    st.sampled_from(["", "NHỮNG QUY ĐỊNH CHUNG", "Quy định chung", "của Luật này;", "x̃ ǅ"])
    | st.text(max_size=20),
)
draft_lines = st.lists(heading_lines | st.text(max_size=40) | tokens_text, max_size=25)


def _alnum(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


@fuzz(200)
@given(lines=draft_lines, newline=st.sampled_from(["\n", "\r\n", "\u2028"]))
@example(lines=["Điều 5. x̃", "ǅ"], newline="\n")
def test_split_text_covers_every_character_of_the_draft(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    try:
        draft = split_text(text)
    except DraftError:
        assert not any(clean(line) for line in text.splitlines())
        return
    sections = draft.sections
    assert [s.position for s in sections] == list(range(1, len(sections) + 1))
    assert all(s.level >= 1 and s.label for s in sections)
    kept = draft.preamble + "".join(s.label + s.title + s.body for s in sections)
    if sections[0].label == consultation_texts.WHOLE_TEXT_LABEL:
        kept = kept.replace(consultation_texts.WHOLE_TEXT_LABEL, "", 1)
    # Headings lose only their separators and spaces: every letter and digit is kept.
    assert _alnum(kept) == sum(_alnum(clean(line)) for line in text.splitlines())


@fuzz(60)
@given(chars=st.integers(min_value=-1, max_value=3 * consultation_texts.DRAFT_MAX_CHARS))
@example(chars=consultation_texts.DRAFT_MAX_CHARS)
@example(chars=consultation_texts.DRAFT_MAX_CHARS + 1)
def test_check_length_refuses_exactly_the_drafts_over_the_limit(chars: int) -> None:
    if chars > consultation_texts.DRAFT_MAX_CHARS:
        with pytest.raises(DraftError):
            check_length(chars)
    else:
        check_length(chars)


def _letters(text: str) -> str:
    return "".join(text.split())


@fuzz(200)
@given(text=st.text(max_size=300) | draft_lines.map("\n".join), limit=st.integers(1, 120))
def test_pages_cut_only_at_whitespace_and_within_the_limit(text: str, limit: int) -> None:
    pieces = pages(text, limit)
    assert all(piece and piece == piece.strip() and len(piece) <= limit for piece in pieces)
    assert "".join(_letters(piece) for piece in pieces) == _letters(text)
    line = summary(text, limit)
    assert len(line) <= limit
    assert "\n" not in line


@fuzz(120)
@given(lines=draft_lines)
def test_joining_wrapped_pdf_lines_keeps_every_character(lines: list[str]) -> None:
    paragraphs = join_wrapped_lines(lines)
    assert all(paragraphs)
    assert _letters("".join(paragraphs)) == _letters("".join(clean(line) for line in lines))


@fuzz(120)
@given(text=st.text(max_size=300), limit=st.integers(1, 80))
def test_split_message_keeps_every_character_within_the_limit(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert chunks
    assert all(len(chunk) <= limit for chunk in chunks)
    assert all(chunks) or (chunks == [""] and not text.strip())  # no empty message sent
    assert _letters("".join(chunks)) == _letters(text)


# === handlers.consultation_setup ==================================================================

form_names = st.sampled_from(
    [
        "Tiêu đề",
        "tieu de",
        "TIÊU  ĐỀ",
        "Mở",
        "mo",
        "Đóng",
        "DONG",
        "Báo cáo",
        "bao cao",
        "Đối tượng",
        "Đơn vị",
        "Thông báo",
        "Khác",
        "",
        "Tiêu-đề",
    ]
)
datetimes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
datetime_texts = st.builds(
    lambda moment, pattern: moment.strftime(pattern).replace("0001", "1"),
    datetimes,
    st.sampled_from(
        ["%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %Hh%M", "%Y-%m-%d", "%d/%m/%Y  %H:%M"]
    ),
)
group_texts = st.lists(
    st.sampled_from([*taxonomy.TARGET_GROUPS, *taxonomy.TARGET_GROUPS.values(), "", "x"]),
    max_size=4,
).map(", ".join)
KNOWN_UNITS = ("hcm", "hcm-phuong-1")
form_values = (
    datetime_texts
    | group_texts
    | st.sampled_from([*KNOWN_UNITS, "hcm, hcm-phuong-1", "khong-co", "31/02/2027", "24:00"])
    | any_text
)
form_lines = st.one_of(
    st.builds(lambda name, value: f"{name}: {value}", form_names, form_values),
    st.builds(lambda name, value: f"{name}:{value}", form_names, form_values),
    any_text,
)


def _check_form(text: str) -> None:
    try:
        form = parse_form(text, TZ, NOW, KNOWN_UNITS)
    except FormError as error:
        assert str(error)
        return
    assert form.title and form.title == form.title.strip()
    assert len(form.title) <= TITLE_MAX_CHARS
    assert form.opens_at.tzinfo is not None and form.closes_at.tzinfo is not None
    assert form.closes_at > NOW and form.opens_at < form.closes_at
    assert form.report_due is None or form.report_due >= form.closes_at.astimezone(TZ).date()
    assert set(form.groups) <= set(taxonomy.TARGET_GROUPS)
    assert len(set(form.groups)) == len(form.groups)
    assert set(form.units) <= set(KNOWN_UNITS)


@fuzz(200)
@given(lines=st.lists(form_lines, max_size=8))
@example(lines=["Tiêu đề: x", "Đóng: 31/12/9999 23:59", "Báo cáo: 1/1/1"])
@example(lines=["Tiêu đề: x", "Đóng: ²/12/2027"])
def test_parse_form_returns_a_usable_form_or_a_form_error(lines: list[str]) -> None:
    _check_form("\n".join(lines))


title_texts = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=80
).filter(lambda title: title.strip())


@fuzz(120)
@given(
    title=title_texts,
    opens=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    length=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=3000)),
    report_after=st.none() | st.integers(0, 400),
    groups=st.lists(st.sampled_from(list(taxonomy.TARGET_GROUPS)), unique=True, max_size=3),
    by_name=st.booleans(),
    units=st.lists(st.sampled_from(KNOWN_UNITS), unique=True),
)
def test_a_well_formed_form_is_read_back(
    title: str,
    opens: datetime,
    length: timedelta,
    report_after: int | None,
    groups: list[str],
    by_name: bool,
    units: list[str],
) -> None:
    opens = opens.replace(second=0, microsecond=0)
    closes = (opens + length).replace(second=0, microsecond=0)
    assume(closes > opens and closes.replace(tzinfo=TZ) > NOW)
    due = None if report_after is None else closes.date() + timedelta(days=report_after)
    named = [taxonomy.TARGET_GROUPS[g] if by_name else g for g in groups]
    lines = [
        f"Tiêu đề: {title}",
        f"Mở: {opens:%d/%m/%Y %H:%M}",
        f"đóng : {closes:%d/%m/%Y %H:%M}",
        f"Báo cáo: {due:%d/%m/%Y}" if due else "",
        f"Đối tượng: {', '.join(named)}",
        f"Đơn vị: {', '.join(units)}",
    ]
    form = parse_form("\n".join(lines), TZ, NOW, KNOWN_UNITS)
    assert form.title == title.strip()
    assert (form.opens_at, form.closes_at) == (opens.replace(tzinfo=TZ), closes.replace(tzinfo=TZ))
    assert form.report_due == due
    assert form.groups == tuple(groups)
    assert form.units == tuple(units)


@fuzz(120)
@given(moment=datetimes, value=any_text | datetime_texts)
@example(moment=datetime(2026, 1, 1), value="²/12/2026")
def test_parse_datetime_reads_what_it_shows(moment: datetime, value: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    assume(moment.year >= 1000)
    assert parse_datetime(f"{moment:%d/%m/%Y %H:%M}", TZ) == moment.replace(tzinfo=TZ)
    try:
        parsed = parse_datetime(value, TZ)
    except FormError:
        return
    assert parsed.tzinfo is TZ


@fuzz(100)
@given(value=group_texts | any_text)
def test_parse_groups_names_known_groups_once(value: str) -> None:
    try:
        groups = parse_groups(value)
    except FormError:
        return
    assert set(groups) <= set(taxonomy.TARGET_GROUPS)
    assert len(set(groups)) == len(groups)


# === handlers.deadlines: dates, the YAML fields, /hanchot them and /xong =========================

yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.dates()
    | st.datetimes()
    | any_text
    | st.sampled_from(ODD_DIGITS)
)
yaml_values = yaml_scalars | st.lists(yaml_scalars, max_size=3)


@fuzz(200)
@given(value=yaml_values | datetime_texts, day=st.dates(min_value=date(1000, 1, 1)))
@example(value="²/12/2026", day=date(2026, 1, 1))
@example(value=datetime(2026, 1, 1), day=date(2026, 1, 1))
def test_parse_day_reads_both_spellings_and_refuses_the_rest(value: Any, day: date) -> None:
    assert parse_day(f"{day:%d/%m/%Y}") == day
    assert parse_day(f" {day.isoformat()} ") == day
    assert parse_day(day) == day
    try:
        parsed = parse_day(value)
    except ValueError:
        return
    assert type(parsed) is date


UNITS = [
    UnitRecord(code="hcm", name="Ủy ban MTTQ TP.HCM", kind="mttq"),
    UnitRecord(code="hcm-phuong-1", name="Phường 1", kind="mttq", parent_code="hcm"),
]
deadline_fields = st.fixed_dictionaries(
    {},
    optional={
        "code": st.sampled_from(["bao-cao-thang", "A", "x" * 70, ""]) | yaml_scalars,
        "title": st.sampled_from(["Báo cáo tháng", " "]) | yaml_scalars,
        "day": st.sampled_from(["5", " 31 ", "32", "0", *ODD_DIGITS]) | yaml_scalars,
        "date": datetime_texts | yaml_scalars,
        "units": st.sampled_from(["hcm", "hcm, hcm-phuong-1", "khong-co"]) | yaml_values,
        "kinds": st.sampled_from(["mttq", "doan_the", "x"]) | yaml_values,
        "roles": st.sampled_from(["officer", "admin, moderator", "resident"]) | yaml_values,
        "offsets": st.sampled_from(["7,3,1", "0", "61", "²", "-1", ""]) | yaml_values,
    },
)


@fuzz(250)
@given(fields=deadline_fields, line=st.none() | st.integers(1, 500))
@example(fields={"code": "a", "title": "t", "day": "²", "units": "hcm"}, line=3)
def test_validate_deadline_raises_only_deadline_errors(
    fields: dict[str, Any], line: int | None
) -> None:
    try:
        new = validate_deadline(fields, UNITS, TODAY, line)
    except DeadlineError as error:
        assert error.line == line
        return
    assert DEADLINE_CODE_RE.match(new.code)
    assert new.title and len(new.title) <= MAX_TITLE
    assert (new.day_of_month is None) != (new.due_date is None)
    assert new.day_of_month is None or 1 <= new.day_of_month <= 31
    assert new.due_date is None or new.due_date >= TODAY
    assert new.unit_codes or new.unit_kinds or new.roles
    assert list(new.offsets) == sorted(set(new.offsets), reverse=True)
    assert all(0 <= offset <= MAX_OFFSET for offset in new.offsets)


class _Stored(Exception):
    """Raised by the fake upsert, carrying what /hanchot them would store."""


def _deadline_uow() -> SimpleNamespace:
    def upsert(new: list[Any], now: datetime) -> None:
        raise _Stored(new[0])

    return SimpleNamespace(
        deadlines=SimpleNamespace(
            get=AsyncMock(return_value=None),
            get_by_code=AsyncMock(return_value=None),
            list_all=AsyncMock(return_value=[]),
            done_keys=AsyncMock(return_value=set()),
            upsert=AsyncMock(side_effect=upsert),
        ),
        units=fake(get=None, list_all=[]),
        audit=fake(add=None),
    )


@fuzz(150)
@given(command=st.sampled_from(["xong", "hanchot"]), args=any_text)
@example(command="xong", args="²")
@example(command="xong", args="[99999999999999999999999]")
def test_deadline_commands_never_fail_on_their_arguments(command: str, args: str) -> None:
    uow = _deadline_uow()
    answer = _run(DeadlineCommands(TZ).run(uow, PERSON, command, args, NOW))
    assert isinstance(answer, str) and answer
    for call in uow.deadlines.get.await_args_list:
        assert 0 <= call.args[0] < 2**63
    for call in uow.deadlines.get_by_code.await_args_list:
        assert len(call.args[0]) <= 64


@fuzz(150)
@given(
    day=st.dates(min_value=date(1000, 1, 1)),
    spelling=st.sampled_from(["{d:%d/%m/%Y}", "{d.day}/{d.month}/{d:%Y}"]),
    title=any_text,
)
@example(day=date(2026, 12, 1), spelling="{d:%d/%m/%Y}", title="²")
def test_hanchot_them_reads_the_date_and_the_title(day: date, spelling: str, title: str) -> None:
    uow = _deadline_uow()
    args = f"them {spelling.format(d=day)} {title}"
    try:
        answer = _run(DeadlineCommands(TZ).run(uow, PERSON, "hanchot", args, NOW))
    except _Stored as stored:
        new = stored.args[0]
        assert title.split() and day >= TODAY
        assert new.due_date == day
        assert new.title == " ".join(title.split())[:MAX_TITLE]
        assert new.code.startswith(f"{day:%Y%m%d}-")
        return
    assert not title.split() or day < TODAY, answer


def _run(coroutine: Any) -> Any:
    """Run a handler coroutine to its end (the fakes never suspend)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("a fake suspended")


# === handlers.review: /sua's arguments and the labels it takes ====================================

LABEL_SPELLINGS = [
    (field, code, typed)
    for field, labels in LABELS.items()
    for code, name in labels.items()
    for typed in dict.fromkeys(
        [code, name, strip_diacritics(name), name.upper(), f"  {name.lower()} "]
    )
]


@pytest.mark.parametrize(("field", "code", "typed"), LABEL_SPELLINGS)
def test_every_label_is_matched_however_it_is_spelt(field: str, code: str, typed: str) -> None:
    assert match_label(field, typed) == code


@fuzz(200)
@given(field=st.sampled_from(list(LABELS)), typed=any_text)
def test_match_label_finds_a_known_code_or_nothing(field: str, typed: str) -> None:
    code = match_label(field, typed)
    assert code is None or code in LABELS[field]


class _FixReview(Review):
    """Review whose correction only records what /sua asked for."""

    def __init__(self) -> None:
        super().__init__(display_tz=TZ)
        self.changes: dict[str, str] | None = None

    async def correct(
        self,
        uow: Any,
        person: PersonRecord,
        submission: SubmissionRecord,
        changes: dict[str, str],
        now: datetime,
        skip: tuple[str, str, str] | None = None,
    ) -> SubmissionRecord:
        self.changes = dict(changes)
        return replace(submission, **changes)


fix_keys = st.sampled_from(["linhvuc", "linh_vuc", "LINHVUC", "loai", "Loại", "loai "])
fix_values = st.sampled_from([typed for _, _, typed in LABEL_SPELLINGS]) | any_text
fix_args = st.lists(
    st.builds(
        lambda key, sep, value: f"{key}{sep}{value}",
        fix_keys,
        st.sampled_from(["=", " = "]),
        fix_values,
    )
    | any_text,
    max_size=4,
).map(" ".join)


@fuzz(200)
@given(args=fix_args)
@example(args="linhvuc=")
@example(args="loai=²")
def test_sua_changes_only_known_labels(args: str) -> None:
    review = _FixReview()
    answer = _run(review.fix(SimpleNamespace(), PERSON, submission("YK-7F3Q9X"), args, NOW))
    assert isinstance(answer, str) and answer
    if review.changes is not None:
        assert review.changes
        for field, code in review.changes.items():
            assert code in LABELS[field]


@fuzz(120)
@given(
    topic=st.none() | st.sampled_from([s for s in LABEL_SPELLINGS if s[0] == "topic"]),
    kind=st.none() | st.sampled_from([s for s in LABEL_SPELLINGS if s[0] == "kind"]),
    kind_first=st.booleans(),
)
def test_sua_reads_back_what_was_typed(
    topic: tuple[str, str, str] | None, kind: tuple[str, str, str] | None, kind_first: bool
) -> None:
    parts = [f"linhvuc={topic[2]}"] if topic else []
    parts += [f"loai = {kind[2]}"] if kind else []
    parts = parts[::-1] if kind_first else parts
    review = _FixReview()
    _run(review.fix(SimpleNamespace(), PERSON, submission("YK-7F3Q9X"), " ".join(parts), NOW))
    expected = {field: code for field, code, _ in (s for s in (topic, kind) if s)}
    assert review.changes == (expected or None)


# === handlers.roles: invites, identities and the unit tree ========================================


@fuzz(120)
@given(
    text=any_text
    | st.builds(lambda n, u: f"{n}{u}", st.integers(-5, 99999), st.sampled_from("dhmx")),
    amount=st.integers(1, 9999),
    unit=st.sampled_from(["days", "hours", "minutes"]),
)
@example(text="²d", amount=1, unit="days")
def test_parse_expires_gives_a_duration_within_the_limit(text: str, amount: int, unit: str) -> None:
    limit = timedelta(days=roles_config.INVITE_MAX_DAYS)
    wanted = timedelta(**{unit: amount})
    typed = f" {amount} {unit[0]} "
    if wanted <= limit:
        assert parse_expires(typed) == wanted
    else:
        with pytest.raises(ValueError):
            parse_expires(typed)
    try:
        duration = parse_expires(text)
    except ValueError:
        return
    assert timedelta(0) < duration <= limit


@fuzz(120)
@given(value=st.none() | any_text)
def test_parse_identity_gives_two_stripped_parts_or_none(value: str | None) -> None:
    parsed = parse_identity(value)
    if parsed is not None:
        channel, external_id = parsed
        assert channel and channel == channel.strip()
        assert external_id and external_id == external_id.strip()
    hashes = invite_hashes(value or "")
    assert (not hashes) == (not (value or "").strip()) and len(hashes) <= 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


unit_fields = st.fixed_dictionaries(
    {},
    optional={
        "code": st.sampled_from(["hcm", "q1", "q1-pn", "Q1", "-x", "a" * 40]) | yaml_scalars,
        "name": st.sampled_from(["Quận 1", " "]) | yaml_scalars,
        "kind": st.sampled_from(list(roles_config.UNIT_KINDS)) | yaml_scalars,
        "parent": st.sampled_from(["hcm", "q1", "q1-pn", "khong-co"]) | yaml_scalars,
        "locality": st.sampled_from(["79", "26743", "00000", 79]) | yaml_scalars,
        "target_group": st.sampled_from(list(taxonomy.TARGET_GROUPS)) | yaml_scalars,
        "digest": st.sampled_from([*schedules_config.DIGEST_SCHEDULES, False, "WEEKLY"])
        | yaml_scalars,
        "digest_weekday": st.sampled_from(["0", "6", "7", " 3 ", *ODD_DIGITS]) | yaml_scalars,
    },
)


@fuzz(200)
@given(
    entries=st.lists(
        st.tuples(unit_fields | yaml_values, st.none() | st.integers(1, 99)), max_size=4
    )
)
@example(entries=[({"code": "q1", "name": "Q1", "kind": "mttq", "digest_weekday": "²"}, 2)])
def test_validate_units_raises_only_unit_errors(entries: list[tuple[Any, int | None]]) -> None:
    existing = [UnitRecord(code="hcm", name="TP.HCM", kind="mttq", locality_code="79")]
    try:
        units = validate_units(
            [UnitEntry(fields, line) for fields, line in entries],
            existing,
            lambda code: code in ("79", "26743"),
        )
    except UnitError as error:
        assert str(error)
        return
    placed = {unit.code for unit in existing}
    for unit in units:
        assert UNIT_CODE_RE.match(unit.code) and unit.kind in roles_config.UNIT_KINDS
        assert unit.parent_code is None or unit.parent_code in placed  # parents first
        assert unit.digest in schedules_config.DIGEST_SCHEDULES
        assert 0 <= unit.digest_weekday <= 6
        placed.add(unit.code)


# === handlers.cases: /danhgia, rating buttons, /xuly /dong /chuyen /khongthuoc ====================


@fuzz(150)
@given(args=any_text, command=st.sampled_from(list(cases_config.STATUS_COMMANDS)))
@example(args="YK-7F3Q9X ²", command="xuly")
def test_case_commands_never_fail_on_their_arguments(args: str, command: str) -> None:
    def uow_for(status: str) -> SimpleNamespace:
        found = AsyncMock(side_effect=lambda code: submission(code, status=status))
        return SimpleNamespace(submissions=SimpleNamespace(get_by_code=found))

    # A rating of a case not answered yet is refused after the value was read.
    rated = _run(cases.rate_command(uow_for("da_tiep_nhan"), PERSON, args, NOW))
    pressed = _run(cases.rate_button(uow_for("da_tiep_nhan"), PERSON, f"rate:{args}", NOW))
    # A restricted case is refused after the arguments were read, before any change.
    changed = _run(
        cases.officer_command(
            uow_for("da_tiep_nhan"), PERSON, Scope(), command, args, NOW, lambda _: False
        )
    )
    assert all(isinstance(answer, str) and answer for answer in (rated, pressed, changed))


@fuzz(100)
@given(value=st.integers(-3, 12).map(str) | st.sampled_from(ODD_DIGITS) | any_text)
@example(value="²")
@example(value="9" * 5000)
def test_a_rating_is_taken_only_from_one_to_five(value: str) -> None:
    # A case not answered yet: a rating read as valid is refused for that reason instead.
    found = AsyncMock(side_effect=lambda code: submission(code, status="da_tiep_nhan"))
    uow = SimpleNamespace(submissions=SimpleNamespace(get_by_code=found))
    assume(":" not in value)
    stripped = value.strip()
    answer = _run(cases.rate_button(uow, PERSON, f"rate:YK-7F3Q9X:{value}", NOW))
    refused = answer == cases_config.RATE_BAD_VALUE.format(value=stripped[:10])
    if stripped in {str(n) for n in range(1, 6)}:
        assert not refused
    if not stripped.isdecimal():
        assert refused


# === handlers.consultations: /gopy, /duthao and the open buttons ==================================

stance_spellings = st.sampled_from([word for words in STANCE_WORDS.values() for word in words])


@fuzz(200)
@given(args=any_text | st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join))
@example(args="² 1 1")
@example(args="1 ³ tan thanh")
@example(args="99999999999 1 1")
def test_parse_quick_gives_small_numbers_and_a_known_stance(args: str) -> None:
    parsed = parse_quick(args)
    if parsed is None:
        return
    consultation_id, position, stance, comment = parsed
    assert 0 <= consultation_id < 10**MAX_NUMBER_DIGITS and 0 <= position < 10**MAX_NUMBER_DIGITS
    assert stance in STANCE_WORDS
    assert comment is None or (comment and comment == comment.strip())


@fuzz(120)
@given(
    consultation_id=st.integers(0, 10**MAX_NUMBER_DIGITS - 1),
    position=st.integers(0, 999),
    word=stance_spellings,
    upper=st.booleans(),
    comment=any_text,
)
def test_parse_quick_reads_back_what_was_typed(
    consultation_id: int, position: int, word: str, upper: bool, comment: str
) -> None:
    typed = word.upper() if upper else word
    parsed = parse_quick(f"{consultation_id} {position} {typed} {comment}")
    assert parsed is not None
    assert parsed[:2] == (consultation_id, position)
    # A comment may begin with words that lengthen the stance ("khong" + "tan thanh").
    assert parsed[2] == parse_stance(word) or comment.split()


@fuzz(100)
@given(payload=st.builds(lambda tail: OPEN_PREFIX + tail, any_text) | any_text)
@example(payload=OPEN_PREFIX + "²")
@example(payload=OPEN_PREFIX + "9" * 30)
def test_opened_consultation_gives_a_small_number_or_none(payload: str) -> None:
    number = opened_consultation(payload)
    assert number is None or 0 <= number < 10**MAX_NUMBER_DIGITS


@fuzz(120)
@given(args=any_text | st.sampled_from(ODD_DIGITS))
@example(args="²")
@example(args="1 ² tan thanh")
@example(args="12345678901234567890")
def test_duthao_and_gopy_never_fail_on_their_arguments(args: str) -> None:
    said: list[str] = []
    uow = SimpleNamespace(consultations=fake(get=None, list_open=[]))
    turn = SimpleNamespace(
        uow=uow,
        now=NOW,
        engine=SimpleNamespace(display_tz=TZ),
        person=PERSON,
        state=State.IDLE,
        say=said.append,
        ask=lambda text, rows=None: said.append(text),
        goto=lambda state: None,
        clear_draft=lambda: None,
    )
    chat = ConsultationChat(turn)  # type: ignore[arg-type]
    _run(chat.list_or_open(args))
    _run(chat.quick(args))
    assert said
    for call in uow.consultations.get.await_args_list:
        assert 0 <= call.args[0] < 2**31


# === handlers.intake: a typed choice ==============================================================


@fuzz(120)
@given(typed=any_text | st.integers(-2, 12).map(str), count=st.integers(0, 9))
@example(typed="²", count=3)
@example(typed="9" * 5000, count=3)
def test_a_typed_choice_is_an_offered_payload_or_none(typed: str, count: int) -> None:
    incoming = Incoming(
        user=UserRef("telegram", "42"),
        chat_id="42",
        update_id="1",
        event=Event.TEXT,
        received_at=NOW,
        text=typed,
    )
    turn = _Turn(SimpleNamespace(limits=None), None, incoming, NOW)  # type: ignore[arg-type]
    options = [[f"p{i}", f"Lựa chọn {i}"] for i in range(1, count + 1)]
    turn.data["options"] = options
    choice = turn.resolve_choice()
    assert choice is None or choice in [payload for payload, _ in options]
    if typed.strip() in {str(n) for n in range(1, count + 1)}:
        assert choice == f"p{typed.strip()}"


# === handlers.digest: a period typed by an officer ================================================


@fuzz(120)
@given(
    text=any_text
    | st.builds(
        lambda y, m, s: s.format(y=y, m=m),
        st.integers(1990, 2110),
        st.integers(0, 13),
        st.sampled_from(["{y}-{m}", "{m}/{y}", "{m:02d}/{y}", " {y} - {m} "]),
    ),
)
@example(text="²/2026")
def test_parse_month_gives_a_month_or_a_value_error(text: str) -> None:
    try:
        period = Period.parse_month(text)
    except ValueError:
        return
    assert period.is_month and 2000 <= period.start.year <= 2100
    assert Period.parse_month(period.label) == period


# === nlp: folding, normalisation, personal data, localities =======================================

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
)
vietnamese_text = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " .,0123456789", max_size=60)


@fuzz(200)
@given(text=st.text(max_size=80) | vietnamese_text)
@example(text="İ")
def test_fold_is_a_stable_key(text: str) -> None:
    folded = fold(text)
    assert folded == " ".join(folded.split())
    assert fold(folded) == folded
    kept, offsets = fold_keeping_offsets(text)
    if offsets is None:
        assert len(kept) == len(text)
    else:
        assert len(offsets) == len(kept)
        assert offsets == sorted(set(offsets)) and all(0 <= i < len(text) for i in offsets)
        assert all(kept[i] == text[j].translate(FOLD_CHAR_TABLE) for i, j in enumerate(offsets))


@fuzz(120)
@given(text=vietnamese_text)
def test_stripping_diacritics_keeps_vietnamese_text_aligned(text: str) -> None:
    stripped = strip_diacritics(text)
    assert len(stripped) == len(text) and stripped.isascii()
    assert fold(stripped) == fold(text)


@cache
def normalise() -> Normalizer:
    return Normalizer(ABBREVIATIONS)


@fuzz(200)
@given(text=st.text(max_size=80) | vietnamese_text | tokens_text)
def test_normalised_text_is_single_spaced_nfc(text: str) -> None:
    normal = normalise()(text)
    assert normal == " ".join(normal.split())
    assert unicodedata.is_normalized("NFC", normal) or not unicodedata.is_normalized("NFC", text)


PHONES = [
    "0912345678",
    "0912 345 678",
    "091.234.5678",
    "091-234-5678",
    "0 912 345 678",
    "+84 912 345 678",
    "+84912345678",
    "(+84) 912345678",
    "84 912 345 678",
    "0243 826 1234",
    "02438261234",
]
filler = st.lists(
    st.sampled_from(
        [
            "gọi",
            "SĐT",
            "số",
            "zalo",
            "nhà",
            "đường",
            "Lê",
            "Lợi",
            "phố",
            "Huế",
            "ngõ",
            "em",
            "stk",
            "ngày",
            "tháng",
            "km",
            "đồng",
            "cccd",
            "lh",
            ",",
            ".",
            "!",
            "(",
            ")",
        ]
    )
    | st.text(alphabet=string.ascii_letters + "àđươ ,.!?()", max_size=8),
    max_size=6,
).map(" ".join)


@fuzz(250)
@given(before=filler, phone=st.sampled_from(PHONES), after=filler)
@example(before="gọi", phone="0912 345 678", after="đường Lê Lợi")
def test_an_embedded_phone_number_never_survives_redaction(
    before: str, phone: str, after: str
) -> None:
    text = f"{before} {phone} {after}"
    redacted = redact(text)
    assert not any(ch.isdigit() for ch in redacted), (text, redacted)


@fuzz(200)
@given(
    text=st.text(max_size=120)
    | tokens_text
    | st.builds(lambda a, p, b: f"{a}{p}{b}", filler, st.sampled_from(PHONES), any_text)
)
def test_personal_data_spans_are_ordered_and_redacted(text: str) -> None:
    spans = find_pii(text)
    end = 0
    for span in spans:
        assert end <= span.start < span.end <= len(text)
        assert span.text == text[span.start : span.end]
        assert span.kind in PLACEHOLDERS
        end = span.end
    assert redact(text) == redact(text, spans)


@fuzz(100)
@given(text=st.text(max_size=60) | vietnamese_text | tokens_text, limit=st.integers(-1, 8))
def test_locality_matching_takes_any_string(
    localities: LocalityIndex, text: str, limit: int
) -> None:
    matches = localities.match(text, limit)
    assert len(matches) <= max(limit, 0)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    assert sum(m.exact for m in matches) <= 1
    assert all(localities.get(m.locality.code) == m.locality for m in matches)


# === bot: the channels' update parsers ============================================================

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right type, sometimes any JSON value."""
    return st.one_of(strategy, strategy, json_leaves)


telegram_user = st.fixed_dictionaries(
    {
        "id": maybe(st.integers()),
        "is_bot": maybe(st.booleans()),
        "first_name": maybe(st.text(max_size=8)),
    }
)
telegram_chat = st.fixed_dictionaries(
    {"id": maybe(st.integers()), "type": maybe(st.sampled_from(["private", "group", "channel"]))}
)
photo_size = st.fixed_dictionaries(
    {
        "file_id": maybe(st.text(max_size=8)),
        "file_unique_id": maybe(st.text(max_size=8)),
        "width": maybe(st.integers()),
        "height": maybe(st.integers()),
    },
    optional={"file_size": maybe(st.integers())},
)
telegram_message = st.fixed_dictionaries(
    {
        "message_id": maybe(st.integers()),
        # Any type, but a number within time_t: a huge one is the known gap tested below.
        "date": st.one_of(
            st.integers(0, 2**32), st.floats(0, 2**32), st.none(), st.text(max_size=4)
        ),
        "chat": maybe(telegram_chat),
    },
    optional={
        "from": maybe(telegram_user),
        "text": maybe(st.text(max_size=12) | st.sampled_from(["/start", "/gopy@bot 1 2 3"])),
        "caption": maybe(st.text(max_size=8)),
        "photo": maybe(st.lists(photo_size, max_size=3)),
        "location": maybe(
            st.fixed_dictionaries({"latitude": maybe(st.floats()), "longitude": maybe(st.floats())})
        ),
        "document": maybe(
            st.fixed_dictionaries(
                {
                    "file_id": maybe(st.text(max_size=8)),
                    "file_unique_id": maybe(st.text(max_size=8)),
                },
                optional={
                    "file_name": maybe(st.text(max_size=8)),
                    "file_size": maybe(st.integers()),
                    "mime_type": maybe(st.text(max_size=8)),
                },
            )
        ),
        "sticker": json_leaves,
        "voice": json_leaves,
    },
)
telegram_updates = st.fixed_dictionaries(
    {"update_id": st.integers()},
    optional={
        "message": maybe(telegram_message),
        "edited_message": maybe(telegram_message),
        "callback_query": maybe(
            st.fixed_dictionaries(
                {
                    "id": maybe(st.text(max_size=8)),
                    "from": maybe(telegram_user),
                    "chat_instance": maybe(st.text(max_size=8)),
                },
                optional={"data": maybe(st.text(max_size=12)), "message": maybe(telegram_message)},
            )
        ),
    },
)


def check_incoming(incoming: Incoming) -> None:
    """The shape every channel promises the engine."""
    assert isinstance(incoming.event, Event)
    for name in ("chat_id", "update_id", "text", "command", "args", "payload", "unsupported"):
        assert isinstance(getattr(incoming, name), str), name
    assert incoming.user.external_id and incoming.chat_id and incoming.update_id
    assert isinstance(incoming.user.external_id, str) and isinstance(incoming.is_private, bool)
    assert incoming.command == incoming.command.lower()
    assert incoming.message_id == "" or incoming.message_id.lstrip("-").isdecimal()
    attachment = incoming.attachment
    if attachment is None:
        return
    assert isinstance(attachment, Attachment)
    for name in ("file_id", "file_unique_id", "file_name", "mime_type"):
        assert getattr(attachment, name) is None or isinstance(getattr(attachment, name), str)
    for name in ("width", "height", "file_size"):
        value = getattr(attachment, name)
        assert value is None or (isinstance(value, int) and not isinstance(value, bool))
    if attachment.kind == "location":
        assert attachment.latitude is not None and -90 <= attachment.latitude <= 90
        assert attachment.longitude is not None and -180 <= attachment.longitude <= 180
    json.dumps(attachment.to_dict(), allow_nan=False)  # it goes into the conversation's JSON


@fuzz(300)
@given(data=telegram_updates)
@example(
    data={
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "a"},
            "text": 5,
        },
    }
)
@example(
    data={
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "a"},
            "photo": [{"file_id": "a", "file_unique_id": "b", "width": "x", "height": "y"}],
        },
    }
)
@example(
    data={
        "update_id": 1,
        "callback_query": {
            "id": "q",
            "chat_instance": "c",
            "from": {"id": 1, "is_bot": False, "first_name": "a"},
            "data": {"a": 1},
            "message": {"message_id": "m", "date": 0, "chat": {"id": 1, "type": "private"}},
        },
    }
)
def test_telegram_updates_parse_or_are_refused(data: dict[str, Any]) -> None:
    try:
        update = Update.de_json(data, None)
    except UPDATE_PARSE_ERRORS:
        return
    incoming = telegram_adapter.to_incoming(update, NOW)
    if incoming is not None:
        check_incoming(incoming)
        assert incoming.user.external_id.lstrip("-").isdecimal()


@pytest.mark.parametrize("when", [9.3e18, 6.8e16, 2**63, float("inf")])
def test_a_date_past_time_t_is_refused_like_any_malformed_update(when: float) -> None:
    data = {"update_id": 1, "message": {"message_id": 1, "date": when, "chat": {"id": 1}}}
    with pytest.raises(UPDATE_PARSE_ERRORS):
        Update.de_json(data, None)


zalo_ids = maybe(st.text(max_size=8) | st.integers())
zalo_bot_updates = st.fixed_dictionaries(
    {
        "event_name": maybe(
            st.sampled_from(
                [
                    zalo_bot.EVENT_TEXT,
                    zalo_bot.EVENT_IMAGE,
                    zalo_bot.EVENT_STICKER,
                    zalo_bot.EVENT_VOICE,
                    "x",
                ]
            )
        )
    },
    optional={
        "message": maybe(
            st.fixed_dictionaries(
                {
                    "from": maybe(st.fixed_dictionaries({"id": zalo_ids})),
                    "chat": maybe(
                        st.fixed_dictionaries(
                            {"id": zalo_ids},
                            optional={
                                "chat_type": maybe(st.sampled_from(["PRIVATE", "GROUP", ""]))
                            },
                        )
                    ),
                    "message_id": zalo_ids,
                },
                optional={
                    "text": maybe(st.text(max_size=12) | st.just("/Start@bot x")),
                    "caption": maybe(st.text(max_size=8)),
                    **{
                        name: maybe(
                            st.text(max_size=8)
                            | st.lists(
                                st.fixed_dictionaries({"url": maybe(st.text(max_size=8))}),
                                max_size=2,
                            )
                        )
                        for name in zalo_bot.IMAGE_URL_FIELDS
                    },
                },
            )
        )
    },
)
zalo_bot_bodies = (
    zalo_bot_updates
    | st.fixed_dictionaries({"ok": maybe(st.just(True)), "result": maybe(zalo_bot_updates)})
    | json_leaves
)


@fuzz(250)
@given(body=zalo_bot_bodies)
def test_zalo_bot_updates_parse_or_are_ignored(body: Any) -> None:
    unwrapped = zalo_bot.unwrap(body)
    assert unwrapped is None or isinstance(unwrapped.get("event_name"), str)
    incoming = zalo_bot.to_incoming(body, NOW) if isinstance(body, dict) else None
    if incoming is not None:
        check_incoming(incoming)
        assert incoming.user.external_id == incoming.user.external_id.strip()


oa_payloads = st.fixed_dictionaries(
    {},
    optional={
        "url": maybe(st.text(max_size=8)),
        "name": maybe(st.text(max_size=8)),
        "size": maybe(
            st.text(max_size=6) | st.sampled_from(["1024", " 12 ", *ODD_DIGITS, "9" * 5000])
        ),
        "coordinates": maybe(
            st.fixed_dictionaries(
                {
                    "latitude": maybe(st.floats() | st.text(max_size=6)),
                    "longitude": maybe(st.floats() | st.text(max_size=6)),
                }
            )
        ),
    },
)
zalo_oa_events = st.fixed_dictionaries(
    {
        "event_name": maybe(
            st.sampled_from([*zalo_oa.USER_MESSAGE_EVENTS, "follow", "unfollow", "x"])
        )
    },
    optional={
        "sender": maybe(st.fixed_dictionaries({"id": zalo_ids})),
        "follower": maybe(st.fixed_dictionaries({"id": zalo_ids})),
        "timestamp": maybe(st.text(max_size=6) | st.integers()),
        "message": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "text": maybe(st.text(max_size=12) | st.just("/Gopy 1 2 3")),
                    "msg_id": zalo_ids,
                    "attachments": maybe(
                        st.lists(
                            maybe(st.fixed_dictionaries({"payload": maybe(oa_payloads)})),
                            max_size=2,
                        )
                    ),
                },
            )
        ),
    },
)


@fuzz(250)
@given(event=zalo_oa_events)
@example(
    event={
        "event_name": "user_send_file",
        "sender": {"id": "1"},
        "message": {"attachments": [{"payload": {"url": "u", "size": "²"}}]},
    }
)
@example(
    event={
        "event_name": "user_send_file",
        "sender": {"id": "1"},
        "message": {"attachments": [{"payload": {"url": "u", "size": "9" * 5000}}]},
    }
)
def test_zalo_oa_events_parse_or_are_ignored(event: dict[str, Any]) -> None:
    incoming = zalo_oa.to_incoming(event, NOW)
    if incoming is not None:
        check_incoming(incoming)
    zalo_oa.message_id(event)


SHELL_LINES = [
    "/Start x",
    "!anh chú thích",
    "!ANH",
    "!vitri 10.5,106.7",
    "!vitri x",
    "!vitri nan,inf",
]


@fuzz(120)
@given(line=st.sampled_from(SHELL_LINES) | any_text)
def test_shell_lines_parse(line: str) -> None:
    engine = SimpleNamespace(clock=lambda: NOW)
    incoming = parse_line(line, UserRef("shell", "me"), engine)  # type: ignore[arg-type]
    assert isinstance(incoming.event, Event) and isinstance(incoming.text, str)
    assert incoming.command == incoming.command.lower()
    if incoming.attachment is not None and incoming.attachment.kind == "location":
        assert (
            incoming.attachment.latitude is not None and incoming.attachment.longitude is not None
        )
        assert abs(incoming.attachment.latitude) <= 90 and abs(incoming.attachment.longitude) <= 180


# === bot: files and bodies ========================================================================


@cache
def sample_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Chương I", level=1)
    document.add_paragraph("Điều 1. Phạm vi điều chỉnh").runs[0].bold = True
    document.add_paragraph("Nội dung của điều này.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "STT", "Nội dung"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@cache
def sample_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_compression(False)  # so that mutations hit the text operators, not a zlib stream
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Chuong I\nDieu 1. Pham vi\nNoi dung cua dieu nay.\n- 3 -")
    return bytes(pdf.output())


def mutate(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    """`data` with each edit's bytes written at its offset (modulo the length), maybe cut."""
    out = bytearray(data)
    for offset, patch in edits:
        at = offset % max(len(out), 1)
        out[at : at + len(patch)] = patch
    return bytes(out if cut is None else out[: cut % (len(out) + 1)])


def rezip(data: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    """The .docx `data` with its document.xml edited and the archive rebuilt (valid CRCs)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/document.xml":
                content = mutate(content, edits, None)
            target.writestr(info.filename, content)
    return buffer.getvalue()


edits = st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=4)), max_size=6)
file_names = st.sampled_from(
    ["du_thao.docx", "du_thao.pdf", "du_thao.txt", "DU_THAO.PDF", "x.doc", "docx", ""]
)


@fuzz(200)
@given(
    name=file_names,
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(str.encode),
        st.builds(mutate, st.builds(sample_docx), edits, st.none() | st.integers(0, 10**6)),
        st.builds(rezip, st.builds(sample_docx), edits),
        st.builds(mutate, st.builds(sample_pdf), edits, st.none() | st.integers(0, 10**6)),
    ),
)
@example(name="a.txt", data=b"\xff\xfe")
@example(name="a.pdf", data=b"%PDF-1.4\n")
def test_a_draft_file_is_split_or_refused_with_a_draft_error(name: str, data: bytes) -> None:
    try:
        draft = read_draft_bytes(data, name)
    except DraftError as error:
        assert str(error)
        return
    assert draft.sections
    assert [s.position for s in draft.sections] == list(range(1, len(draft.sections) + 1))


DEEP = b"[" * 50_000 + b"]" * 50_000


@fuzz(200)
@given(
    raw=st.binary(max_size=200)
    | st.recursive(json_leaves, lambda children: st.lists(children, max_size=3), max_leaves=40).map(
        lambda value: json.dumps(value).encode()
    )
    | st.integers(1, 80).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth)
)
@example(raw=DEEP)
@example(raw=b"\xef\xbb\xbf{}")
@example(raw=b"1" * 5000)
def test_json_bodies_load_or_raise_value_error(raw: bytes) -> None:
    for body in (raw, raw.decode("utf-8", "replace")):
        try:
            data = json_body.loads(body)
        except ValueError:
            continue
        assert json_body.depth(data) <= json_body.MAX_DEPTH


YAML_LINES = ["units:", "deadlines:", "- code: a", "  name: b", "  - x", "  kind: mttq", "<<: *a"]
YAML_LINES += [
    "!!python/object:os.system",
    "? x",
    "---",
    "...",
    *["-", "[", "]", "{", "}", "&a", "*a", "'", '"'],
    "\t",
]
yaml_texts = st.lists(st.sampled_from(YAML_LINES) | st.text(max_size=10), max_size=12).map(
    "\n".join
)


@fuzz(120)
@given(source=yaml_texts | st.binary(max_size=50).map(lambda b: b.decode("latin-1")))
@example(source="units: " + "[" * 5000)
@example(source="units:\n- &a {code: x}\n- *a\n")
def test_yaml_lists_load_or_raise_input_error(source: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.yaml"
        path.write_text(source, encoding="utf-8", errors="surrogatepass")
        try:
            entries = read_yaml_list(
                path, "units", cannot_read="{path}: {error}", bad_format="{path}"
            )
        except InputError:
            return
    for fields, line in entries:
        assert isinstance(fields, dict)
        assert line is None or line >= 1


csv_texts = st.lists(
    st.sampled_from(["text,label", "a,0", "b,1", "c,2", '"x\ny",1', "d,²", "e,-1", "f", ",,", '"'])
    | st.text(max_size=12),
    max_size=6,
).map("\n".join)


@fuzz(100)
@given(source=csv_texts)
@example(source="text,label\nĐường ngập,²")
def test_dataset_csv_files_load_or_raise_dataset_error(source: str) -> None:
    names = ("phan_anh", "kien_nghi")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.csv"
        path.write_text(source, encoding="utf-8", errors="surrogatepass")
        try:
            texts, labels = _labelled(path, "text", "label", names, ("text", "label"))
        except DatasetError as error:
            assert str(error)
            return
    assert len(texts) == len(labels) and set(labels) <= set(names)


@fuzz(100)
@given(
    text=any_text
    | st.lists(st.sampled_from([*taxonomy.TOPICS, "x", " "]), max_size=4).map(",".join)
)
def test_cli_arguments_parse_or_raise_input_error(text: str) -> None:
    try:
        topics = parse_topics(text)
    except InputError:
        pass
    else:
        assert set(topics) <= set(taxonomy.TOPICS) and len(set(topics)) == len(topics)
    try:
        since = parse_since(text, TZ)
    except InputError:
        return
    assert since.tzinfo is TZ and since.time() == time()

"""Roles: scopes from the unit tree (an officer's, an announcement's), unit validation, invite
secrets, the command table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import units_cli
from config import roles as roles_config
from config import texts
from handlers import roles
from handlers.consultations import announcement_scopes, reaches
from handlers.roles import Scope, UnitEntry, UnitError, descendants, scope_for, validate_units
from nlp.locality import LocalityIndex
from storage.consultation_records import ConsultationRecord, Place
from storage.digests import DigestScope
from storage.records import SENSITIVE_FLAGS, PersonRecord, SubmissionRecord, UnitRecord

HCM = UnitRecord("hcm", "MTTQ TP.HCM", "mttq", None, "79")
BEN_THANH = UnitRecord("hcm-ben-thanh", "MTTQ Bến Thành", "mttq", "hcm", "26743")
SAI_GON = UnitRecord("hcm-sai-gon", "MTTQ Sài Gòn", "mttq", "hcm", "26740")
NONG_DAN = UnitRecord("hcm-hnd", "Hội Nông dân", "hoi_nong_dan", "hcm", "79", "nong_dan")
# A ward-level member organisation and a residential group below Bến Thành.
BT_DOAN = UnitRecord("bt-doan", "Đoàn phường", "doan_tn", "hcm-ben-thanh", "26743", "thanh_nien")
TREE = [HCM, BEN_THANH, SAI_GON, NONG_DAN, BT_DOAN]
KNOWN = {"79", "26743", "26740", "01"}


def exists(code: str) -> bool:
    return code in KNOWN


def submission(**fields: object) -> SubmissionRecord:
    base: dict[str, object] = {
        "id": 1,
        "code": "YK-ABCDEF",
        "person_id": None,
        "kind": "phan_anh",
        "text": "x",
        "channel": "test",
        "created_at": datetime(2026, 10, 5, tzinfo=UTC),
        "status": "da_tiep_nhan",
        "locality_code": "26743",
        "locality_name": "Phường Bến Thành",
        "province_code": "79",
        "target_group": None,
        "topic": "moi_truong",
        "topic_confidence": None,
        "kind_confidence": None,
        "predicted_kind": None,
        "flags": [],
        "cluster_id": None,
        "needs_review": False,
    }
    base.update(fields)
    return SubmissionRecord(**base)  # type: ignore[arg-type]


# --- tree and scope ----------------------------------------------------------------------------


def test_descendants_walk_the_whole_subtree() -> None:
    assert {u.code for u in descendants(TREE, "hcm")} == {
        "hcm-ben-thanh",
        "hcm-sai-gon",
        "hcm-hnd",
        "bt-doan",
    }
    assert [u.code for u in descendants(TREE, "hcm-ben-thanh")] == ["bt-doan"]
    assert descendants(TREE, "hcm-sai-gon") == []


def test_descendants_survive_a_cycle_in_stored_data() -> None:
    looped = [UnitRecord("a", "A", "mttq", "b"), UnitRecord("b", "B", "mttq", "a")]
    assert [u.code for u in descendants(looped, "a")] == ["b"]


def test_scope_of_a_province_unit_is_the_province() -> None:
    assert scope_for(HCM, descendants(TREE, "hcm"), []) == Scope(province_code="79")


def test_scope_of_a_ward_unit_is_its_ward_and_the_wards_below() -> None:
    ward = UnitRecord("ward", "W", "mttq", "hcm", "26743")
    below = [UnitRecord("sub", "S", "mttq", "ward", "26740"), BT_DOAN]
    assert scope_for(ward, below, []) == Scope(locality_codes=("26740", "26743"))
    assert scope_for(BEN_THANH, descendants(TREE, "hcm-ben-thanh"), []) == Scope(
        locality_codes=("26743",)
    )


def test_scope_of_a_member_organisation_is_its_parent_locality_and_topics_limit() -> None:
    assert scope_for(NONG_DAN, [], ["dat_dai", "moi_truong"]) == Scope(
        province_code="79", topics=("dat_dai", "moi_truong")
    )


def test_scope_without_locality_sees_everything() -> None:
    national = UnitRecord("tw", "Trung ương", "mttq")
    assert scope_for(national, TREE, ["y_te"]) == Scope(topics=("y_te",))


def test_scope_mirrors_the_digest_scope_and_covers_like_its_sql_filter() -> None:
    assert set(Scope.__dataclass_fields__) == set(DigestScope.__dataclass_fields__)
    ward = Scope(locality_codes=("26743",), topics=("moi_truong",))
    assert ward.covers(submission())
    assert not ward.covers(submission(locality_code="26740"))
    assert not ward.covers(submission(topic="dat_dai"))
    assert Scope(province_code="79").covers(submission(locality_code=None))
    assert not Scope(province_code="01").covers(submission())
    assert Scope().covers(submission(province_code=None, locality_code=None))


def test_sensitive_rule_matches_the_digest_queries() -> None:
    assert roles.SENSITIVE_FLAGS == SENSITIVE_FLAGS
    assert roles.is_sensitive(submission(kind="to_cao"))
    assert roles.is_sensitive(submission(flags=[{"code": "de_doa", "evidence": []}]))
    assert not roles.is_sensitive(submission(flags=[{"code": "khan_cap", "evidence": []}]))
    assert roles.is_sensitive(submission(restricted=True))


def person(role: str, designated: bool = False) -> PersonRecord:
    at = datetime(2026, 9, 1, tzinfo=UTC)
    return PersonRecord(1, "CB-1", "test", "1", role, "v", at, at, "x", (), designated=designated)


@pytest.mark.parametrize(
    ("role", "designated", "in_scope", "ordinary", "restricted"),
    [
        ("officer", False, True, True, False),
        ("officer", True, True, True, True),
        ("officer", True, False, False, False),  # the designated officer of another unit
        ("officer", False, False, False, False),
        ("moderator", False, True, True, True),
        ("admin", False, True, True, True),
        ("admin", False, False, False, False),  # outside a scope nobody reads anything
        ("resident", True, True, True, False),  # a stray flag gives a resident nothing
    ],
)
def test_may_read_is_the_one_rule(
    role: str, designated: bool, in_scope: bool, ordinary: bool, restricted: bool
) -> None:
    reader = person(role, designated)
    scope = Scope(locality_codes=("26743",) if in_scope else ("26740",))
    assert roles.may_read(reader, submission(), scope) is ordinary
    for item in (
        submission(kind="to_cao"),
        submission(restricted=True),
        submission(flags=[{"code": "xuc_pham", "evidence": []}]),
    ):
        assert roles.may_read(reader, item, scope) is restricted, item


# --- unit validation ---------------------------------------------------------------------------


def entry(line: int, **fields: object) -> UnitEntry:
    return UnitEntry(fields, line)


def test_valid_units_come_back_parents_first_with_inherited_locality() -> None:
    units = validate_units(
        [
            entry(10, code="hnd", name="Hội Nông dân", kind="hoi_nong_dan", parent="hcm"),
            entry(5, code="hcm", name="MTTQ", kind="mttq", locality=79),
        ],
        [],
        exists,
    )
    assert [u.code for u in units] == ["hcm", "hnd"]
    assert units[0].locality_code == "79"  # an unquoted YAML number is a code
    assert units[1].locality_code == "79" and units[1].parent_code == "hcm"


def test_a_parent_may_already_be_stored() -> None:
    (unit,) = validate_units(
        [entry(1, code="x", name="X", kind="mttq", parent="hcm")], TREE, exists
    )
    assert unit.locality_code == "79"


@pytest.mark.parametrize(
    ("entries", "line", "code", "problem"),
    [
        ([entry(3, name="X", kind="mttq")], 3, "#1", texts.UNIT_MISSING_FIELD.format(field="code")),
        ([entry(3, code="Bến", name="X", kind="mttq")], 3, "Bến", texts.UNIT_BAD_CODE),
        (
            [entry(4, code="x", kind="mttq")],
            4,
            "x",
            texts.UNIT_MISSING_FIELD.format(field="name"),
        ),
        (
            [entry(4, code="x", name="X", kind="hoi")],
            4,
            "x",
            texts.UNIT_BAD_KIND.format(kind="hoi", kinds=", ".join(roles_config.UNIT_KINDS)),
        ),
        (
            [entry(1, code="x", name="X", kind="mttq"), entry(7, code="x", name="Y", kind="mttq")],
            7,
            "x",
            texts.UNIT_DUPLICATE,
        ),
        (
            [entry(2, code="x", name="X", kind="mttq", locality="99999")],
            2,
            "x",
            texts.UNIT_UNKNOWN_LOCALITY.format(locality="99999"),
        ),
        (
            [entry(2, code="x", name="X", kind="hoi_ccb", target_group="ccb")],
            2,
            "x",
            None,
        ),
        (
            [
                entry(1, code="ok", name="OK", kind="mttq"),
                entry(6, code="x", name="X", kind="mttq", parent="ghost"),
            ],
            6,
            "x",
            texts.UNIT_UNKNOWN_PARENT.format(parent="ghost"),
        ),
    ],
)
def test_bad_units_name_their_line_and_problem(
    entries: list[UnitEntry], line: int, code: str, problem: str | None
) -> None:
    with pytest.raises(UnitError) as raised:
        validate_units(entries, TREE, exists)
    error = raised.value
    assert (error.line, error.code) == (line, code)
    if problem is not None:
        assert error.problem == problem
    assert str(error) == texts.UNIT_ERROR.format(line=line, code=code, problem=error.problem)


def test_a_cycle_is_refused_within_the_file_and_through_stored_units() -> None:
    with pytest.raises(UnitError) as raised:
        validate_units(
            [
                entry(1, code="a", name="A", kind="mttq", parent="b"),
                entry(5, code="b", name="B", kind="mttq", parent="a"),
            ],
            [],
            exists,
        )
    assert raised.value.line == 1
    assert raised.value.problem == texts.UNIT_CYCLE.format(path="a → b → a")
    # Re-parenting the stored root under its own grandchild loops through stored rows.
    with pytest.raises(UnitError, match="vòng lặp"):
        validate_units(
            [entry(1, code="hcm", name="MTTQ", kind="mttq", parent="bt-doan")], TREE, exists
        )


def test_the_shipped_units_file_is_valid(localities: LocalityIndex) -> None:
    entries = units_cli.read_units_file(units_cli.DEFAULT_UNITS_FILE)
    units = validate_units(entries, [], lambda code: localities.get(code) is not None)
    by_code = {unit.code: unit for unit in units}
    assert {unit.kind for unit in units} == set(roles_config.UNIT_KINDS)
    assert by_code["hcm"].locality_code == "79" and by_code["hcm"].parent_code is None
    assert localities.get(by_code["hcm-ben-thanh"].locality_code or "").name == "Phường Bến Thành"
    assert localities.get(by_code["hcm-sai-gon"].locality_code or "").name == "Phường Sài Gòn"
    members = [unit for unit in units if unit.kind != "mttq"]
    assert all(u.parent_code == "hcm" and u.locality_code == "79" for u in members)
    assert by_code["hcm-hoi-nong-dan"].target_group == "nong_dan"


def test_the_units_file_reader_reports_lines(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("# c\nunits:\n  - code: a\n    name: A\n\n  - code: b\n", encoding="utf-8")
    assert [e.line for e in units_cli.read_units_file(path)] == [3, 6]
    path.write_text("units: nope\n", encoding="utf-8")
    with pytest.raises(units_cli.InputError, match="units"):
        units_cli.read_units_file(path)


# --- invites -----------------------------------------------------------------------------------


def test_invite_secrets_fit_a_deep_link_and_typing() -> None:
    tokens = set()
    for _ in range(50):
        token, code = roles.new_invite_secrets()
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
        assert re.fullmatch(f"[{roles_config.INVITE_CODE_ALPHABET}]{{8}}", code)
        tokens.add(token)
    assert len(tokens) == 50
    assert roles.deep_link("@ykien_bot", "abc-_1") == "https://t.me/ykien_bot?start=abc-_1"


def test_typed_codes_are_normalised_before_hashing() -> None:
    _, code = roles.new_invite_secrets()
    typed = f" {code[:4].lower()}-{code[4:].lower()} "
    assert roles.secret_hash(code) in roles.invite_hashes(typed)
    token = "Ab_-9" * 6
    assert roles.secret_hash(token) in roles.invite_hashes(token)
    assert roles.invite_hashes("   ") == []
    assert len(roles.secret_hash(token)) == 64 and token not in roles.secret_hash(token)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), (" 30m ", timedelta(minutes=30))],
)
def test_expiry_durations(text: str, expected: timedelta) -> None:
    assert roles.parse_expires(text) == expected


@pytest.mark.parametrize("text", ["", "7", "0d", "91d", "1w", "-1d", "d7"])
def test_bad_expiry_durations(text: str) -> None:
    with pytest.raises(ValueError):
        roles.parse_expires(text)


def test_bootstrap_identity_setting() -> None:
    assert roles.parse_identity("telegram:123456789") == ("telegram", "123456789")
    assert roles.parse_identity(" zalo_bot:abc ") == ("zalo_bot", "abc")
    assert roles.parse_identity("telegram") is None
    assert roles.parse_identity(None) is None


def test_every_officer_command_is_staff_only() -> None:
    moderation = {"duyet", "hanche", "spam", "sua", "truc"}
    assert set(roles.COMMANDS) == {
        *("baocao", "tuan", "xem", "tim", "traloi", "hanchot", "xong"),
        "nguoigui",
        *("xuly", "dong", "chuyen", "khongthuoc"),
        *moderation,
    }
    for command, allowed in roles.COMMANDS.items():
        assert "resident" not in allowed
        if command in moderation:
            assert allowed == {"moderator", "admin"}
        else:
            assert allowed == {"officer", "moderator", "admin"}
    assert set(roles.COMMANDS) > roles.NOT_YET


def test_an_announcement_reaches_the_places_of_its_audience_or_else_its_issuer() -> None:
    def consultation(issuer: str | None, *audience: str) -> ConsultationRecord:
        moment = datetime(2026, 11, 1, tzinfo=UTC)
        return ConsultationRecord(
            1, "T", "I", issuer, moment, moment, "cli", moment, audience_units=audience
        )

    ben_thanh, sai_gon = Place("26743", "79"), Place("26740", "79")
    province, ba_dinh = Place("79", "79"), Place("00004", "01")

    def reached(record: ConsultationRecord) -> list[Place | None]:
        scopes = announcement_scopes(record, TREE)
        return [p for p in (None, ben_thanh, sai_gon, province, ba_dinh) if reaches(p, scopes)]

    assert reached(consultation("hcm")) == [None, ben_thanh, sai_gon, province]
    assert reached(consultation("hcm-ben-thanh")) == [None, ben_thanh]
    assert reached(consultation("hcm", "hcm-sai-gon", "bt-doan")) == [None, ben_thanh, sai_gon]
    # No issuing unit, or a unit since removed from the tree: every subscriber rather than none.
    everyone = [None, ben_thanh, sai_gon, province, ba_dinh]
    assert reached(consultation(None)) == everyone
    assert reached(consultation("hcm", "gone")) == everyone

"""Tests of nlp.locality: matching free-text communes/wards and provinces (2025 list)."""

import dataclasses

import pytest

from nlp.locality import MIN_SCORE, Locality, LocalityIndex, LocalityMatch
from nlp.text import fold

BEN_THANH = "26743"  # Phường Bến Thành, Thành phố Hồ Chí Minh
HOAN_KIEM = "00070"  # Phường Hoàn Kiếm, Thành phố Hà Nội
TAN_THANH_TAY_NINH = "25534"  # Xã Tân Thành, Tây Ninh
PHU_QUOC = "31078"  # Đặc khu Phú Quốc, An Giang
SAI_GON_WARD = "26740"  # Phường Sài Gòn, Thành phố Hồ Chí Minh
HCM, HA_NOI, TAY_NINH = "79", "01", "80"


@pytest.fixture(scope="module")
def index() -> LocalityIndex:
    """The real administrative list, built once for this module."""
    return LocalityIndex.from_vietnam_provinces()


def codes(matches: list[LocalityMatch]) -> list[str]:
    """Codes of the matched localities, best first."""
    return [m.locality.code for m in matches]


def top_tier(matches: list[LocalityMatch]) -> list[LocalityMatch]:
    """The matches tied with the best score."""
    return [m for m in matches if m.score == matches[0].score]


# --- building and lookup -------------------------------------------------------------------


def test_index_holds_the_2025_list(index: LocalityIndex) -> None:
    """All 34 provinces and 3,321 wards are reachable by code, with consistent fields."""
    provinces = [index.get(f"{code:02d}") for code in range(100)]
    wards = [index.get(f"{code:05d}") for code in range(100_000)]
    provinces = [p for p in provinces if p is not None]
    wards = [w for w in wards if w is not None]
    assert len(provinces) == 34
    assert len(wards) == 3321
    assert {p.level for p in provinces} == {"province"}
    assert {w.level for w in wards} == {"ward"}
    province_names = {p.code: p.name for p in provinces}
    assert all(province_names[w.province_code] == w.province_name for w in wards)
    assert all(len(w.code) == 5 and len(w.province_code) == 2 for w in wards)


@pytest.mark.parametrize(
    ("code", "name", "province_name", "level", "label"),
    [
        (
            BEN_THANH,
            "Phường Bến Thành",
            "Thành phố Hồ Chí Minh",
            "ward",
            "Phường Bến Thành, Thành phố Hồ Chí Minh",
        ),
        (HOAN_KIEM, "Phường Hoàn Kiếm", "Thành phố Hà Nội", "ward", None),
        (PHU_QUOC, "Đặc khu Phú Quốc", "An Giang", "ward", "Đặc khu Phú Quốc, An Giang"),
        (HCM, "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh", "province", None),
        (TAY_NINH, "Tây Ninh", "Tây Ninh", "province", "Tây Ninh"),
    ],
)
def test_get_and_label(
    index: LocalityIndex, code: str, name: str, province_name: str, level: str, label: str | None
) -> None:
    """get() returns the unit by zero-padded code; label appends the province to a ward."""
    locality = index.get(code)
    assert locality is not None
    assert (locality.code, locality.name, locality.province_name) == (code, name, province_name)
    assert locality.level == level
    expected = label or (name if level == "province" else f"{name}, {province_name}")
    assert locality.label == expected


@pytest.mark.parametrize("code", ["70", "1", "99999", "", "xx", " 26743"])
def test_get_unknown_or_unpadded_code(index: LocalityIndex, code: str) -> None:
    """Codes must be exactly zero-padded; anything else is unknown."""
    assert index.get(code) is None


def test_official_names_are_cleaned(index: LocalityIndex) -> None:
    """The source data's double space ("Phường  Rạch Dừa") does not reach labels."""
    locality = index.get("26536")
    assert locality is not None
    assert locality.name == "Phường Rạch Dừa"


def test_results_are_immutable(index: LocalityIndex) -> None:
    """Localities and matches are frozen, so they can be shared and cached."""
    match = index.match("ben thanh")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.score = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.locality.name = "x"  # type: ignore[misc]


def test_small_custom_index() -> None:
    """The index also works on a hand-made list, e.g. for callers' tests."""
    province = Locality("80", "Tây Ninh", "80", "Tây Ninh", "province")
    ward = Locality("25534", "Xã Tân Thành", "80", "Tây Ninh", "ward")
    index = LocalityIndex([province, ward])
    assert codes(index.match("tan thanh")) == ["25534"]
    assert codes(index.match("tay ninh")) == ["80"]
    assert index.match("tan thanh")[0].exact


# --- wards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "phuong ben thanh",
        "Phường Bến Thành",
        "P. Bến Thành",
        "p.ben thanh",
        "ben thanh",
        "BẾN THÀNH",
    ],
)
def test_ben_thanh_spellings_are_exact(index: LocalityIndex, query: str) -> None:
    """With or without type word, diacritics or case, Bến Thành is found and exact."""
    matches = index.match(query)
    assert codes(matches)[0] == BEN_THANH
    assert matches[0].exact
    assert matches[0].score == 100.0


@pytest.mark.parametrize("query", ["phuong ben thnah", "phuong ben tanh", "Phường Bến Thàn"])
def test_ben_thanh_with_typos_is_first_but_not_exact(index: LocalityIndex, query: str) -> None:
    """Typos still put Bến Thành first, but the caller must confirm it."""
    matches = index.match(query)
    assert codes(matches)[0] == BEN_THANH
    assert not matches[0].exact
    assert MIN_SCORE <= matches[0].score < 100.0
    assert len(top_tier(matches)) == 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("hoan kiem", HOAN_KIEM),
        ("phuong hoan kiem", HOAN_KIEM),
        ("p hoan kiem", HOAN_KIEM),
        ("Hoàn Kiếm", HOAN_KIEM),
        ("dac khu phu quoc", PHU_QUOC),
        ("đặc khu Phú Quốc", PHU_QUOC),
        ("dk phu quoc", PHU_QUOC),
        ("phu quoc", PHU_QUOC),
        ("xa dien khanh", "22651"),
        ("x. Diên Khánh", "22651"),
        ("van mieu quoc tu giam", "00196"),
        ("Phường Văn Miếu - Quốc Tử Giám", "00196"),
        ("ha giang 1", "00694"),
    ],
)
def test_type_word_is_optional(index: LocalityIndex, query: str, code: str) -> None:
    """The type word (phường/p., xã/x., đặc khu/dk) may be given, abbreviated or left out."""
    matches = index.match(query)
    assert codes(matches)[0] == code
    assert matches[0].exact


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("phuong binh", "31426"),  # Xã Phương Bình: "phuong" is part of the name
        ("quan thanh", "17569"),  # Xã Quan Thành: "quan" is not a district here
        ("xa xa phien", "31495"),  # Xã Xà Phiên
    ],
)
def test_name_that_starts_like_a_type_word(index: LocalityIndex, query: str, code: str) -> None:
    """A name beginning with a type word is still found exactly."""
    matches = index.match(query)
    assert codes(matches)[0] == code
    assert matches[0].exact


@pytest.mark.parametrize(
    "query",
    [
        "xa tan thanh, tay ninh",
        "tan thanh tay ninh",
        "Tan Thanh - Tay Ninh",
        "tay ninh, xa tan thanh",
        "x tan thanh tinh tay ninh",
        "tinh tay ninh xa tan thanh",
    ],
)
def test_ward_with_province_without_diacritics(index: LocalityIndex, query: str) -> None:
    """The province narrows the ward; folded, Tân Thành and Tân Thạnh of Tây Ninh tie."""
    matches = index.match(query)
    assert codes(matches)[0] == TAN_THANH_TAY_NINH
    tied = top_tier(matches)
    assert {m.locality.province_code for m in tied} == {TAY_NINH}
    assert {fold(m.locality.name) for m in tied} == {"xa tan thanh"}
    assert len(tied) == 2
    assert not any(m.exact for m in matches)


@pytest.mark.parametrize(
    "query", ["Tân Thành - Tây Ninh", "Xã Tân Thành, tỉnh Tây Ninh", "tây ninh, xã tân thành"]
)
def test_ward_with_province_and_diacritics_is_exact(index: LocalityIndex, query: str) -> None:
    """Typed diacritics tell Tân Thành from Tân Thạnh, so the answer is unambiguous."""
    matches = index.match(query)
    assert codes(matches)[0] == TAN_THANH_TAY_NINH
    assert matches[0].exact
    assert matches[1].locality.name == "Xã Tân Thạnh"
    assert not matches[1].exact


def test_same_named_wards_without_province(index: LocalityIndex) -> None:
    """All 13 wards folding to "xa tan thanh" come first, labelled by province, none exact."""
    matches = index.match("xa tan thanh", limit=20)
    same = matches[:13]
    assert {fold(m.locality.name) for m in same} == {"xa tan thanh"}
    assert len({m.locality.label for m in same}) == 13
    assert all(m.locality.label.startswith(m.locality.name + ", ") for m in same)
    assert {m.score for m in same} == {100.0}
    assert all(fold(m.locality.name) != "xa tan thanh" for m in matches[13:])
    assert all(m.score < 100.0 for m in matches[13:])
    assert not any(m.exact for m in matches)
    assert TAN_THANH_TAY_NINH in codes(same)


def test_same_named_wards_with_diacritics(index: LocalityIndex) -> None:
    """Typed "Xã Tân Thành" puts the 7 wards of exactly that name before Tân Thanh/Thạnh."""
    matches = index.match("Xã Tân Thành", limit=13)
    assert [m.locality.name for m in matches[:7]] == ["Xã Tân Thành"] * 7
    assert all(m.locality.name != "Xã Tân Thành" for m in matches[7:])
    assert len({m.locality.province_code for m in matches[:7]}) == 7
    assert not any(m.exact for m in matches)


def test_default_limit_keeps_only_same_named(index: LocalityIndex) -> None:
    """With the default limit the candidates offered are all same-named wards."""
    matches = index.match("xa tan thanh")
    assert len(matches) == 5
    assert {fold(m.locality.name) for m in matches} == {"xa tan thanh"}


def test_type_word_ranks_matching_type_first(index: LocalityIndex) -> None:
    """ "phuong tan thanh" prefers the two Phường Tân Thành over the Xã of that name."""
    matches = index.match("phuong tan thanh", limit=10)
    assert [m.locality.name for m in matches[:2]] == ["Phường Tân Thành"] * 2
    xa = [m for m in matches if m.locality.name.startswith("Xã Tân Th")]
    assert xa and all(m.score < matches[0].score for m in xa)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("phuong tan thanh tp hcm", "26725"),
        ("hoàn kiếm, hà nội", HOAN_KIEM),
        ("ha noi hoan kiem", HOAN_KIEM),
        ("ben thanh hcm", BEN_THANH),
        ("Phường Phú Thọ, Phú Thọ", "07942"),
        ("Phường Vũng Tàu, Thành phố Hồ Chí Minh", "26506"),  # 5-word province after ward
    ],
)
def test_ward_with_province_exact(index: LocalityIndex, query: str, code: str) -> None:
    """Ward plus province (name or alias) is exact when it identifies one unit."""
    matches = index.match(query)
    assert codes(matches)[0] == code
    assert matches[0].exact


def test_every_ward_is_found_by_name_and_province(index: LocalityIndex) -> None:
    """Each of the 3,321 official "ward, province" labels matches itself first and exactly."""
    wards = [index.get(f"{code:05d}") for code in range(100_000)]
    failures = []
    for ward in (w for w in wards if w is not None):
        matches = index.match(ward.label)
        if not matches or matches[0].locality != ward or not matches[0].exact:
            failures.append(ward.label)
    assert failures == []


# --- provinces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("tp hcm", HCM),
        ("TP.HCM", HCM),
        ("hcm", HCM),
        ("tphcm", HCM),
        ("Hồ Chí Minh", HCM),
        ("thanh pho ho chi minh", HCM),
        ("ha noi", HA_NOI),
        ("Hà Nội", HA_NOI),
        ("hn", HA_NOI),
        ("da nang", "48"),
        ("tp. Cần Thơ", "92"),
        ("thanh pho can tho", "92"),
        ("tinh tay ninh", TAY_NINH),
        ("Đắk Lắk", "66"),
        ("dak lak", "66"),
        ("hue", "46"),
        ("thua thien hue", "46"),
        ("ca mau", "96"),
        ("Thanh Hoá", "38"),  # old tone placement
        ("Thanh Hóa", "38"),
    ],
)
def test_province_names_and_aliases(index: LocalityIndex, query: str, code: str) -> None:
    """A query naming only a province returns the province first, as an exact match."""
    matches = index.match(query)
    assert matches[0].locality.level == "province"
    assert matches[0].locality.code == code
    assert matches[0].exact


@pytest.mark.parametrize(
    ("query", "ward_code"),
    [
        ("sai gon", SAI_GON_WARD),
        ("Sài Gòn", SAI_GON_WARD),
        ("phu tho", "07942"),
        ("quang tri", "19360"),
    ],
)
def test_province_name_shared_by_a_ward(index: LocalityIndex, query: str, ward_code: str) -> None:
    """The province goes first when a ward has the same name, but it is not exact."""
    matches = index.match(query)
    assert matches[0].locality.level == "province"
    assert not matches[0].exact
    assert ward_code in codes(top_tier(matches))


def test_ward_type_word_prefers_the_ward(index: LocalityIndex) -> None:
    """ "phuong phu tho" is a ward, so the wards of that name outrank the province."""
    matches = index.match("phuong phu tho")
    assert {m.locality.level for m in top_tier(matches)} == {"ward"}
    province = [m for m in matches if m.locality.level == "province"]
    assert province and province[0].score < matches[0].score


def test_every_province_is_found_by_name(index: LocalityIndex) -> None:
    """Each official province name matches that province first."""
    for code in range(100):
        province = index.get(f"{code:02d}")
        if province is not None:
            assert index.match(province.name)[0].locality == province, province.name


@pytest.mark.parametrize(
    ("query", "code"), [("ba ria vung tau", HCM), ("dak nong", "68"), ("kien giang", "91")]
)
def test_former_provinces_point_to_the_merged_one(
    index: LocalityIndex, query: str, code: str
) -> None:
    """A province merged away in 2025 leads to its new province, never as an exact match."""
    matches = index.match(query)
    assert matches[0].locality.code == code
    assert not any(m.exact for m in matches)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("thu thua, long an", "28036"),  # Xã Thủ Thừa, now in Tây Ninh
        ("Xã Thủ Thừa, Long An", "28036"),
        ("di an binh duong", "25942"),  # Phường Dĩ An, now in Thành phố Hồ Chí Minh
    ],
)
def test_ward_with_former_province(index: LocalityIndex, query: str, code: str) -> None:
    """A ward given with its pre-2025 province is found, but the caller must confirm it."""
    matches = index.match(query)
    assert codes(matches)[0] == code
    assert not matches[0].exact


def test_former_province_sharing_a_ward_name_is_ambiguous(index: LocalityIndex) -> None:
    """ "long an" is Phường Long An but also the old province, now Tây Ninh: not exact."""
    matches = index.match("long an")
    assert matches[0].locality.name == "Phường Long An"
    assert TAY_NINH in codes(matches)
    assert not matches[0].exact


# --- longer messages, old districts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("xa tan thanh huyen thu thua long an", TAN_THANH_TAY_NINH),
        ("toi song o phuong hoan kiem ha noi", HOAN_KIEM),
        ("ben thanh quan 1", BEN_THANH),
        ("phuong ben thanh, quan 1, tp hcm", BEN_THANH),
        ("ấp 3, xã Tân Thành, Tây Ninh", TAN_THANH_TAY_NINH),
    ],
)
def test_extra_words_and_old_districts(index: LocalityIndex, query: str, code: str) -> None:
    """Surrounding words and abolished districts do not hide the ward, but are not exact."""
    matches = index.match(query)
    assert codes(matches)[0] == code
    assert not matches[0].exact


def test_contained_names_respect_word_boundaries(index: LocalityIndex) -> None:
    """ "duong bi ngap" (road flooded) does not contain Phường Uông Bí."""
    assert index.match("duong bi ngap nuoc") == []
    assert codes(index.match("uong bi"))[0] == "06811"


@pytest.mark.parametrize("query", ["quan 1", "q.1", "Quận 1", "huyen", "quan"])
def test_districts_do_not_crash(index: LocalityIndex, query: str) -> None:
    """Districts no longer exist; their names give no confident answer."""
    matches = index.match(query)
    assert all(isinstance(m, LocalityMatch) for m in matches)
    assert not any(m.exact for m in matches)


def test_old_district_name_finds_the_commune_of_that_name(index: LocalityIndex) -> None:
    """ "huyen cu chi" finds Xã Củ Chi, but "huyện" is not its type, so it is not exact."""
    matches = index.match("huyen cu chi")
    assert matches[0].locality.name == "Xã Củ Chi"
    assert not matches[0].exact


# --- nothing plausible, threshold, limit ---------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "asdfgh qwerty",
        "12345",
        "🙂🙂🙂",
        "???",
        "zzzz",
        "hello world",
        "xin chao",
        "toi muon phan anh",
        "quan 1",
    ],
)
def test_nonsense_returns_nothing(index: LocalityIndex, query: str) -> None:
    """Text that names no unit returns an empty list."""
    assert index.match(query) == []


def test_threshold_boundary(index: LocalityIndex) -> None:
    """ "xin chao" is 75 away from "Xã Sín Chải": below MIN_SCORE (80), so not offered."""
    assert MIN_SCORE == 80.0
    assert index.match("xin chao") == []
    assert index.match("sin chai")[0].locality.name == "Xã Sín Chải"


@pytest.mark.parametrize(
    "query", ["phuong ben thnah", "xa tan thanh", "tan thanh tay ninh", "phu tho", "cam ranh"]
)
def test_scores_are_bounded_and_sorted(index: LocalityIndex, query: str) -> None:
    """Scores lie in [MIN_SCORE, 100], best first; only the first match may be exact."""
    matches = index.match(query, limit=20)
    scores = [m.score for m in matches]
    assert matches
    assert scores == sorted(scores, reverse=True)
    assert all(MIN_SCORE <= s <= 100.0 for s in scores)
    assert not any(m.exact for m in matches[1:])
    assert len({m.locality.code for m in matches}) == len(matches)


@pytest.mark.parametrize("limit", [0, 1, 3, 13])
def test_limit(index: LocalityIndex, limit: int) -> None:
    """At most ``limit`` matches are returned."""
    assert len(index.match("xa tan thanh", limit=limit)) == limit


def test_negative_limit(index: LocalityIndex) -> None:
    """A negative limit returns nothing instead of slicing from the end."""
    assert index.match("ben thanh", limit=-1) == []

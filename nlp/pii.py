"""Detection and redaction of personal data (phones, IDs, e-mails, bank accounts, addresses)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nlp.text import COMBINING_CHARS, fold_keeping_offsets

PLACEHOLDERS = {
    "phone": "[SĐT]",
    "id_number": "[CCCD]",
    "email": "[EMAIL]",
    "bank_account": "[STK]",
    "address": "[ĐỊA CHỈ]",
}


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data found in a text, with offsets into the original string."""

    kind: str
    start: int
    end: int
    text: str
    rule: str


# --- Building blocks -------------------------------------------------------------------------
_S = r"[ .\-]?"  # at most one separator between two digits: "0912 345 678", "091-234-5678"


def _digits(low: int, high: int | None = None) -> str:
    """Regex for ``low``..``high`` ASCII digits, each pair optionally separated once."""
    high = low if high is None else high
    return rf"[0-9](?:{_S}[0-9]){{{low - 1},{high - 1}}}"


# A number must not continue a word, a longer number, a date ("12/03/…"), a decimal or a code
# such as "YK-123…"; and it must not be continued by a digit, a letter ("1.200.000đ") or
# another number part ("45/2023").
_LB = r"(?<![\w+])(?<![0-9][.,/\-:])(?<![a-z][\-/])"
_RB = r"(?!\w|[.,/\-:][0-9])"

_BANKS = (
    r"vietcombank|vcb|agribank|agr|bidv|vietinbank|viettinbank|vietin|ctg|techcombank|tcb"
    r"|mb ?bank|mb|quan doi|acb|tp ?bank|tpb|sacombank|stb|vp ?bank|vpb|shb|hd ?bank|hdb|ocb"
    r"|msb|maritime ?bank|vib|sea ?bank|eximbank|eib|scb|lienvietpostbank|lpbank|lpb|nam a ?bank"
    r"|bac a ?bank|ab ?bank|pvcombank|viet ?a ?bank|ocean ?bank|baoviet ?bank|kienlong ?bank"
    r"|saigonbank|ncb|pg ?bank|shinhan(?: ?bank)?|cake|timo|uob|hsbc|standard chartered"
    r"|vietbank|dong a ?bank|gpbank|vrb|bvbank|co-?opbank"
)

_PHONE_WORDS = (
    r"so dien thoai|so dt|sdt|dtdd|dt|dien thoai|di dong|didong|zalo|lh|lien he|lien lac"
    r"|hotline|tel|phone|mobile|sms|goi|nhan tin|so may"
)
_ID_WORDS = (
    r"cccd|cmnd|cmt|can cuoc(?: cong dan)?|the can cuoc|chung minh(?: nhan dan| thu)?"
    r"|so dinh danh(?: ca nhan)?|ma dinh danh|dinh danh(?: ca nhan)?"
)
_ACCOUNT_WORDS = r"so tai khoan|tai khoan(?: ngan hang)?|so tk|stk|tknh|tk|account|acc"

# Little words that may sit between a keyword and the number: "SĐT của tôi là: 09…".
_FILLER = (
    r"(?:\s*[:.\-=]\s*|\s+)"
    r"(?:(?:la|so|cua|toi|em|minh|anh|chi|ong|ba|nha|ca nhan)\s*[:.\-]?\s*)*"
)


def _kw(words: str) -> str:
    return rf"(?<![a-z])(?:{words})(?![a-z])"


_Rule = tuple[str, str, re.Pattern[str], int, Callable[[str, re.Match[str]], bool] | None]

# Words that, right before a bare number, make it money, a date, a count or a document number.
_BARE_NUMBER_CONTEXT = re.compile(
    r"(?:tien|gia|phi|luong|von|tri|thu|nop|no|vay|chuyen|tra|ngay|thang|nam|luc|hom|ma|hieu"
    r"|don|so ho so|ho so|hoa don|van ban|cong van|dinh|thua|to|do|km|dien tich|dt|luong"
    r"|khoang|tong|tong cong|gom|co|hon|tren|duoi|dan so|ho|nguoi|code|id|ref)\W*$"
)
# Units that, right after a number, make it an amount or a quantity.
_UNIT_AFTER = re.compile(
    r"\s*(?:d|dong|vnd|trieu|ty|nghin|ngan|k|usd|%|m2|m|m3|km|ha|ho|nguoi|kg|tan|lit|cai"
    r"|chiec|lan|nam|thang|ngay|phut|gio)(?![a-z])"
)


def _not_money_or_date(folded: str, m: re.Match[str]) -> bool:
    start, end = m.span("v")
    if _UNIT_AFTER.match(folded, end):
        return False
    return not _BARE_NUMBER_CONTEXT.search(folded, max(0, start - 20), start)


def _bare_id_ok(folded: str, m: re.Match[str]) -> bool:
    value = m.group("v")
    # Dot-grouped thousands ("123.456.789") is how amounts are written, never an ID.
    if re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", value):
        return False
    return _not_money_or_date(folded, m)


def _not_unit(folded: str, m: re.Match[str]) -> bool:
    return not _UNIT_AFTER.match(folded, m.end("v"))


def _phone_digits_ok(folded: str, m: re.Match[str]) -> bool:
    digits = re.sub(r"[^0-9]", "", m.group("v"))
    if digits.startswith("84") and len(digits) >= 11:
        digits = digits[2:]
    digits = digits.removeprefix("0")
    # 9 national digits for mobiles, 10 for landlines (2x) and the old 01x mobiles.
    return len(digits) == 9 or (len(digits) == 10 and digits[0] in "12")


def _account_ok(folded: str, m: re.Match[str]) -> bool:
    return 6 <= len(re.sub(r"[^0-9]", "", m.group("v"))) <= 19 and _not_unit(folded, m)


_ACCOUNT_NUMBER = rf"(?P<v>{_digits(6, 19)})"
_INTL = r"(?:\(\s*\+?\s*84\s*\)|\+\s*84|84)"

# Each rule: (name, kind, pattern with a "v" group for the span, priority, validator).
# Priority only breaks ties between spans of equal length: a number after "STK" is an
# account even if it also looks like a phone number.
_RULES: list[_Rule] = [
    (
        "email.address",
        "email",
        re.compile(
            r"(?<![\w.%+\-])(?P<v>[a-z0-9][a-z0-9._%+\-]*@"
            r"[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,})(?![\w\-])"
        ),
        50,
        None,
    ),
    (
        "phone.keyword",
        "phone",
        re.compile(
            rf"{_kw(_PHONE_WORDS)}{_FILLER}"
            rf"(?P<v>(?:{_INTL}{_S}\(?0?\)?{_S}|0{_S})?[1-9](?:{_S}[0-9]){{7,9}}){_RB}"
        ),
        40,
        _phone_digits_ok,
    ),
    (
        "phone.vn_mobile",
        "phone",
        re.compile(rf"{_LB}(?P<v>0{_S}[35789](?:{_S}[0-9]){{8}}){_RB}"),
        30,
        None,
    ),
    (
        "phone.vn_old_mobile",
        "phone",
        re.compile(rf"{_LB}(?P<v>0{_S}1{_S}[2-9](?:{_S}[0-9]){{8}}){_RB}"),
        30,
        None,
    ),
    (
        "phone.vn_landline",
        "phone",
        re.compile(rf"{_LB}(?P<v>0{_S}2(?:{_S}[0-9]){{8,9}}){_RB}"),
        30,
        None,
    ),
    (
        "phone.intl",
        "phone",
        re.compile(
            rf"(?<![\w+])(?<![0-9][.,/\-])(?P<v>{_INTL}{_S}(?:\(?0\)?{_S})?"
            rf"(?:[35789](?:{_S}[0-9]){{8}}|2(?:{_S}[0-9]){{8,9}}|1{_S}[2-9](?:{_S}[0-9]){{7}})){_RB}"
        ),
        30,
        None,
    ),
    (
        "id_number.keyword",
        "id_number",
        re.compile(rf"{_kw(_ID_WORDS)}{_FILLER}(?P<v>{_digits(12)}|{_digits(9)}){_RB}"),
        40,
        None,
    ),
    (
        "id_number.cccd_bare",
        "id_number",
        re.compile(rf"{_LB}(?P<v>0(?:{_S}[0-9]){{2}}{_S}[0-3](?:{_S}[0-9]){{8}}){_RB}"),
        20,
        _bare_id_ok,
    ),
    (
        "id_number.cmnd_bare",
        "id_number",
        re.compile(rf"{_LB}(?P<v>{_digits(9)}){_RB}"),
        10,
        _bare_id_ok,
    ),
    (
        "bank_account.keyword",
        "bank_account",
        re.compile(
            rf"{_kw(_ACCOUNT_WORDS)}{_FILLER}(?:(?:ngan hang|nh)\s+)?(?:(?:{_BANKS})(?![a-z])"
            rf"\s*[:.\-]?\s*(?:(?:so|la)\s*[:.\-]?\s*)*)?{_ACCOUNT_NUMBER}{_RB}"
        ),
        45,
        _account_ok,
    ),
    (
        "bank_account.bank_before",
        "bank_account",
        re.compile(
            rf"{_kw(_BANKS)}\s*[:.\-–]?\s*(?:(?:so|stk|tk|la|so tk|so tai khoan)\s*[:.\-]?\s*)*"
            rf"{_ACCOUNT_NUMBER}{_RB}"
        ),
        45,
        _account_ok,
    ),
    (
        "bank_account.bank_after",
        "bank_account",
        re.compile(
            rf"{_LB}{_ACCOUNT_NUMBER}{_RB}\s*[\-–(,]?\s*(?:(?:tai|o|cua)\s+)?"
            rf"(?:(?:ngan hang|nh)\s+)?{_kw(_BANKS)}"
        ),
        45,
        _account_ok,
    ),
]


# --- Addresses -----------------------------------------------------------------------------
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STREET = r"duong|pho|ngo|ngach|hem|kiet|hxh|dai lo"
_ADDRESS_HEAD = re.compile(
    r"(?<![\w/.,\-])(?:"
    r"(?P<prefixed>(?:(?:nha|can ho|can)\s+)?(?:so\s+nha|so|sn|nha\s+so|nha)\s*[:.]?\s*"
    r"[0-9]{1,4}[a-z]?(?:\s?/\s?[0-9]{1,4}[a-z]?){0,3})"
    r"|(?P<bare>[0-9]{1,4}[a-z]?(?:/[0-9]{1,4}[a-z]?){0,3})"
    rf")(?![\w/])\s*,?\s+(?:{_STREET})(?![a-z])"
)
_STREET_NUMBER = re.compile(r"\s+(?:so\s+)?[0-9]{1,4}[a-z]?(?:/[0-9]{1,4}[a-z]?)*(?![\w/])")
_NEXT_STREET = re.compile(rf"\s*,?\s+(?:{_STREET})(?![a-z])")
_NAME_WORD = re.compile(r" +([a-z0-9]+)(?![\w])")
# Words that end a street name when people type without capitals ("so 12 duong le loi bi
# ngap"), or that start the administrative part after it ("phường 3", "quận 1").
_NAME_STOP = _wordset(
    "bi da dang co khong thi la va nhung o tai cua phuong p quan q xa huyen tp thanh tinh "
    "to khu ap thon xom ben gan canh doi dien rat nhieu lau nay do kia vao tu den cho voi nen "
    "roi luc ngay hom sang toi em anh chi nha hay can xin de duoc khi mot bi dau cuoi gan "
    "thuoc nhu ma moi"
)
# With capitals the name ends at the administrative part only: "Tô Hiến Thành", "Điện Biên
# Phủ" or "Nguyễn Thị Minh Khai" contain words that end a lower-case name.
_CAPS_NAME_STOP = _wordset("phuong p quan q huyen tp tinh thon ap xom")
# Nouns that follow "đường"/"phố" in ordinary speech: "2 đường dây điện" is not an address.
_COMMON_AFTER_STREET = _wordset(
    "day ong dien nuoc ray bo truc giao di vao ra cong hoa sat bang thoat mon may lon nho chinh "
    "xa pho nhua dat lang hem ngo"
)
# A house number never follows these: "ngày 5/7", "ngõ 34 phố Huế" (a lane, not a house),
# "quyết định số 12", "có 2 đường", "thửa đất số 123", "km 12".
_ADDRESS_PREV_STOP = _wordset(
    "ngay thang nam luc hom km to tuyen lan khoang co gom hon tren duoi cac nhung thua dat "
    "do dinh ban van hieu quyet nghi thong tu muc dieu khoan diem phong lo duong pho ngo "
    "ngach hem kiet so"
)
_PREV_WORD = re.compile(r"([a-z0-9]+)\W*$")


def _address_spans(text: str, folded: str) -> list[tuple[int, int, str]]:
    """House number + street word + lane numbers and/or a street name, as (start, end, rule)."""
    found: list[tuple[int, int, str]] = []
    for m in _ADDRESS_HEAD.finditer(folded):
        prev = _PREV_WORD.search(folded, max(0, m.start() - 15), m.start())
        if prev and prev.group(1) in _ADDRESS_PREV_STOP:
            continue
        pos, end, numbered = m.end(), m.end(), False
        while True:
            num = _STREET_NUMBER.match(folded, pos)
            if not num:
                break
            pos = end = num.end()
            numbered = True
            # Another street word after the number ("ngõ 34 phố Huế"): keep walking the chain.
            nxt = _NEXT_STREET.match(folded, pos)
            if not nxt:
                break
            pos = nxt.end()
        words: list[re.Match[str]] = []
        for w in _NAME_WORD.finditer(folded, pos):
            if w.start() != (words[-1].end() if words else pos):
                break
            words.append(w)
            if len(words) == 5:
                break
        name_end = _name_end(text, words, bool(m.group("bare")) and not numbered)
        if name_end is not None:
            end = name_end
        if numbered or name_end is not None:
            found.append((m.start(), end, "address.house_street"))
    return found


def _name_end(text: str, words: list[re.Match[str]], strict: bool) -> int | None:
    """End offset of the street name in ``words``, or None when there is no name."""
    if not words:
        return None
    first = words[0]
    if text[first.start(1)].isupper():
        end = None
        for w in words:
            ch = text[w.start(1)]
            if not (ch.isupper() or ch.isdigit()) or w.group(1) in _CAPS_NAME_STOP:
                break
            end = w.end()
        return end
    if strict or first.group(1) in _NAME_STOP:
        # A bare number plus a lower-case word ("2 đường dây") is too often not an address;
        # lower-case names are only trusted after "số"/"số nhà"/"12/3".
        return None
    if first.group(1) in _COMMON_AFTER_STREET:
        return None
    end = None
    for w in words[:4]:
        if w.group(1) in _NAME_STOP:
            break
        end = w.end()
    return end


# Every rule needs a digit, and e-mails need "@": most messages skip all regexes.
_MAYBE_PII = re.compile(r"[0-9@]")


def find_pii(text: str) -> list[PiiSpan]:
    """Return the personal data in ``text``, sorted by start and non-overlapping: the longest
    wins, widened over any shorter one that sticks out of it."""
    if not _MAYBE_PII.search(text):
        return []
    folded, kept = fold_keeping_offsets(text)
    candidates: list[tuple[int, int, int, str, str]] = []
    for name, kind, pattern, priority, check in _RULES:
        for m in pattern.finditer(folded):
            if check is None or check(folded, m):
                candidates.append((m.start("v"), m.end("v"), priority, kind, name))
    # Capitals in the original tell where a street name ends; NFD input is re-aligned first.
    cased = text if kept is None else "".join(text[i] for i in kept)
    for start, end, name in _address_spans(cased, folded):
        candidates.append((start, end, 35, "address", name))
    candidates.sort(key=lambda c: (c[0] - c[1], -c[2], c[0]))
    chosen: list[tuple[int, int, int, str, str]] = []
    for cand in candidates:
        overlapping = [c for c in chosen if cand[0] < c[1] and c[0] < cand[1]]
        if not overlapping:
            chosen.append(cand)
            continue
        # A shorter candidate sticking out of a longer one ("0912 345 678 đường Lê Lợi": a phone
        # and an address from "678") widens it, so that no part of either shows; the longest
        # (the first chosen) gives the kind.
        start = min(cand[0], *(c[0] for c in overlapping))
        end = max(cand[1], *(c[1] for c in overlapping))
        chosen = [c for c in chosen if c not in overlapping]
        chosen.append((start, end, *overlapping[0][2:]))
    chosen.sort()
    spans = []
    for start, end, _, kind, name in chosen:
        if kept is not None:
            start, end = _original_span(text, kept, start, end)
        spans.append(PiiSpan(kind, start, end, text[start:end], name))
    return spans


def _original_span(text: str, kept: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a span of the mark-free folded text back onto the original (NFD) text."""
    orig_start, orig_end = kept[start], kept[end - 1] + 1
    while orig_end < len(text) and text[orig_end] in COMBINING_CHARS:
        orig_end += 1
    return orig_start, orig_end


def redact(text: str, spans: list[PiiSpan] | None = None) -> str:
    """Return ``text`` with every personal-data span replaced by its placeholder."""
    if spans is None:
        spans = find_pii(text)
    parts: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < pos:
            continue  # overlapping spans from a caller: the earlier one already covers it
        parts.append(text[pos : span.start])
        parts.append(PLACEHOLDERS[span.kind])
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)

"""Splitting a draft document into sections by its headings, and cutting section text for chat.

Headings are recognised as Vietnamese Party and State drafts write them, with or without
diacritics, in any case:

- keyword headings: "PHẦN THỨ NHẤT", "Phần I", "Phần 1" (level 1), "CHƯƠNG I", "Chương 2"
  (level 2), "Mục 1" (level 3), "Điều 5." / "Điều 5:" / "Điều 5a" (level 4);
- numbered headings: "I.", "II -" (upper-case roman numerals I, V and X only, so that initials
  such as "C. Mác" stay text; level 5) and "1.", "1.1.", "2.3.1" (level 5 + depth: "1." is 6,
  "1.2" is 7). A single number needs its dot ("1 Title" is not a heading); "1)" and "a)" are
  list items, never headings.

The heading's number is the label, kept as written ("Điều 5", "PHẦN THỨ NHẤT", "1.2"); the words
after it, past a separator (". : - –") or a space, are the title. A label alone on its line takes
the next line as title when that line is short (<= HEADING_MAX_CHARS), not a heading itself, not
ending with punctuation (". ; , :"), and written in capitals, bold or in a Word heading style
("PHẦN THỨ NHẤT" / "ĐÁNH GIÁ KẾT QUẢ ...").

Text before the first heading is the preamble (the draft's title, its basis); a draft without any
heading is one section, WHOLE_TEXT_LABEL, with all its text. A heading without text under it is
still a section (body ""). Over DRAFT_MAX_CHARS characters or DRAFT_MAX_SECTIONS sections, or
without any text, a draft is refused with a DraftError.

False headings. A body line can start like a heading ("1. Tăng trưởng bình quân 7%/năm.",
"Điều 5 của Luật này quy định ..."), so outside Word heading styles a line is a heading only if:

- it is at most HEADING_MAX_CHARS characters and does not end with ";" or "," (list items and
  clauses do);
- a title that follows the number with only a space starts with a capital letter or a digit
  ("Điều 5 của Luật ..." is text);
- for numbered headings: the title starts with a capital letter or a digit, and does not end
  with "." unless the paragraph is bold (headings of these drafts carry no full stop; numbered
  sentences in a list do);
- numbered headings are never recognised under an "Điều": its numbered paragraphs are clauses
  (khoản) and belong to its body.

A paragraph in a Word heading style is a heading whatever its text: its label and title come
from the patterns when they match (their level too), otherwise its text is the label, its title
is empty and the style gives the level.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from config import consultations as texts
from handlers.digest_text import shorten
from nlp.text import strip_diacritics
from storage.consultation_records import NewSection

HEADING_MAX_CHARS = 150

LEVEL_PART, LEVEL_CHAPTER, LEVEL_SECTION, LEVEL_ARTICLE, LEVEL_ROMAN = 1, 2, 3, 4, 5
_KEYWORD_LEVELS = {
    "phan": LEVEL_PART,
    "chuong": LEVEL_CHAPTER,
    "muc": LEVEL_SECTION,
    "dieu": LEVEL_ARTICLE,
}

# Matched on the diacritic-free form (strip_diacritics keeps case and, on NFC text, length).
_ROMAN = r"(?=[ivxlcdm])m{0,3}(?:c[md]|d?c{0,3})(?:x[cl]|l?x{0,3})(?:i[xv]|v?i{0,3})"
_DIGIT_WORDS = "mot|hai|ba|bon|tu|lam|nam|sau|bay|tam|chin"
_ORDINAL = rf"thu\s+(?:nhat|hai|ba|tu|nam|sau|bay|tam|chin|muoi(?:\s+(?:{_DIGIT_WORDS}))?)"
_KEYWORD = re.compile(
    rf"(?P<label>(?P<kw>phan|chuong|muc|dieu)\s+(?:{_ORDINAL}|{_ROMAN}|\d{{1,3}}[a-z]?))"
    r"(?:\s*(?P<sep>[.:\-–—])|(?=\s)|$)\s*(?P<title>.*)",
    re.IGNORECASE,
)
_ROMAN_HEADING = re.compile(
    r"(?P<label>(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3}))\s*(?P<sep>[.:\-–—])\s*(?P<title>.*)"
)
_ARABIC_HEADING = re.compile(r"(?P<label>\d{1,2}(?:\.\d{1,2})*)(?P<sep>\.)?(?:\s+(?P<title>.*))?")

# Sentence ends, for summaries and page cuts: a stop, then optional closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")
# What a wrapped PDF line ends a paragraph with.
_PARAGRAPH_END = (".", "!", "?", ":", ";", "…", '"', "”", ")")
# A list item or bullet at the start of a line starts a new paragraph.
_LIST_ITEM = re.compile(r"(?:[a-zđ]\)|\d{1,2}\)|[-+•*–—])\s", re.IGNORECASE)
# Zero-width characters and the byte-order mark that Word and PDFs leave in text.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


class DraftError(Exception):
    """A draft that cannot be imported; str() is the Vietnamese message to show."""


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a draft as read from the file."""

    text: str
    heading_level: int | None = None  # from a Word heading style ("Heading 2" -> 2)
    bold: bool = False


@dataclass(frozen=True)
class SplitDraft:
    """A draft split into sections: the text before the first heading, then the sections."""

    preamble: str
    sections: list[NewSection]


@dataclass(frozen=True)
class _Heading:
    label: str
    title: str
    level: int
    kind: str  # the keyword ("dieu", …), "roman", "arabic", or "style" for a Word style only

    @property
    def numbered(self) -> bool:
        """Roman or arabic numbered: the forms that body text most often starts with."""
        return self.kind in ("roman", "arabic")


@dataclass
class _Open:
    heading: _Heading
    body: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    """NFC text without invisible characters, whitespace runs collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_INVISIBLE).split())


def _parse(text: str) -> tuple[_Heading, bool] | None:
    """The heading `text` is written as, and whether a separator follows its number."""
    key = strip_diacritics(text)
    # strip_diacritics keeps the length of NFC text; if not, read the label off the key.
    source = text if len(key) == len(text) else key
    for pattern in (_KEYWORD, _ROMAN_HEADING, _ARABIC_HEADING):
        match = pattern.fullmatch(key)
        if match is None:
            continue
        label = " ".join(source[: match.end("label")].split())
        title = source[match.start("title") :].strip() if match.group("title") else ""
        has_sep = match.group("sep") is not None
        if pattern is _KEYWORD:
            keyword = match.group("kw").lower()
            return _Heading(label, title, _KEYWORD_LEVELS[keyword], keyword), has_sep
        if pattern is _ROMAN_HEADING:
            return _Heading(label, title, LEVEL_ROMAN, "roman"), has_sep
        depth = label.count(".") + 1
        if depth == 1 and not has_sep:
            return None  # "12 hộ dân ..." is a count, not a heading
        return _Heading(label, title, LEVEL_ROMAN + depth, "arabic"), has_sep
    return None


def _starts_upper(title: str) -> bool:
    return not title or title[0].isupper() or title[0].isdigit()


def _heading(paragraph: Paragraph, in_article: bool) -> _Heading | None:
    """The heading `paragraph` is, under the rules of the module docstring, or None."""
    text = paragraph.text
    parsed = _parse(text)
    if paragraph.heading_level is not None:
        if parsed is not None:
            return parsed[0]
        return _Heading(text, "", max(1, paragraph.heading_level), "style")
    if parsed is None or len(text) > HEADING_MAX_CHARS or text.endswith((";", ",")):
        return None
    heading, has_sep = parsed
    if not has_sep and not _starts_upper(heading.title):
        return None
    if heading.numbered:
        if in_article or not _starts_upper(heading.title):
            return None
        if heading.title.endswith(".") and not paragraph.bold:
            return None
    return heading


def _is_title_line(paragraph: Paragraph) -> bool:
    """Whether `paragraph` is the title of the label-only heading just before it."""
    text = paragraph.text
    if len(text) > HEADING_MAX_CHARS or text.endswith((".", ";", ",", ":")) or _parse(text):
        return False
    capitals = any(ch.isalpha() for ch in text) and text == text.upper()
    return capitals or paragraph.bold or paragraph.heading_level is not None


def split_sections(paragraphs: Sequence[Paragraph]) -> SplitDraft:
    """Split a draft's paragraphs into preamble and sections (positions 1..n); see the module."""
    cleaned = [
        Paragraph(text, p.heading_level, p.bold) for p in paragraphs if (text := clean(p.text))
    ]
    if not cleaned:
        raise DraftError(texts.DRAFT_EMPTY)
    check_length(sum(len(p.text) for p in cleaned))
    preamble: list[str] = []
    opened: list[_Open] = []
    in_article = False
    index = 0
    while index < len(cleaned):
        paragraph = cleaned[index]
        index += 1
        heading = _heading(paragraph, in_article)
        if heading is None:
            (opened[-1].body if opened else preamble).append(paragraph.text)
            continue
        if not heading.title and index < len(cleaned) and _is_title_line(cleaned[index]):
            heading = _Heading(heading.label, cleaned[index].text, heading.level, heading.kind)
            index += 1
        in_article = heading.kind == "dieu"
        opened.append(_Open(heading))
        if len(opened) > texts.DRAFT_MAX_SECTIONS:
            raise DraftError(
                texts.DRAFT_TOO_MANY_SECTIONS.format(limit=_number(texts.DRAFT_MAX_SECTIONS))
            )
    if not opened:
        whole = NewSection(1, texts.WHOLE_TEXT_LABEL, "", "\n".join(preamble), LEVEL_PART)
        return SplitDraft(preamble="", sections=[whole])
    sections = [
        NewSection(position, o.heading.label, o.heading.title, "\n".join(o.body), o.heading.level)
        for position, o in enumerate(opened, start=1)
    ]
    return SplitDraft(preamble="\n".join(preamble), sections=sections)


def check_length(chars: int) -> None:
    """Raise a DraftError when a draft of `chars` characters is over the limit."""
    if chars > texts.DRAFT_MAX_CHARS:
        raise DraftError(texts.DRAFT_TOO_LONG.format(limit=_number(texts.DRAFT_MAX_CHARS)))


def split_text(text: str) -> SplitDraft:
    """Split plain or pasted text, one paragraph per line, into preamble and sections."""
    return split_sections([Paragraph(line) for line in text.splitlines()])


def join_wrapped_lines(lines: Iterable[str]) -> list[str]:
    """Paragraphs from the wrapped lines of a PDF's text layer.

    A line continues the paragraph before it (joined with a space) unless it is blank, looks
    like a heading or a list item, or the paragraph before ends a sentence. After a heading, only
    a line in small letters, or a line in capitals after a heading in capitals, continues it.
    """
    paragraphs: list[str] = []
    open_paragraph = False  # whether the last paragraph may continue on the next line
    after_heading = False
    for raw in lines:
        line = clean(raw)
        if not line:
            open_paragraph = False
            continue
        heading = _looks_like_heading(line)
        if open_paragraph and not heading and not _LIST_ITEM.match(line):
            previous = paragraphs[-1]
            if not after_heading or line[0].islower() or (_capitals(previous) and _capitals(line)):
                paragraphs[-1] = f"{previous} {line}"
                open_paragraph = not line.endswith(_PARAGRAPH_END)
                continue
        paragraphs.append(line)
        after_heading = heading
        open_paragraph = heading or not line.endswith(_PARAGRAPH_END)
    return paragraphs


def _looks_like_heading(line: str) -> bool:
    """Whether `line` starts like a heading (or a numbered clause), whatever its length."""
    parsed = _parse(line)
    return parsed is not None and (parsed[1] or _starts_upper(parsed[0].title))


def _capitals(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _number(value: int) -> str:
    """An integer with Vietnamese thousands separators: 1.000.000."""
    return f"{value:,}".replace(",", ".")


def summary(body: str, limit: int) -> str:
    """The first sentences of `body` that fit in `limit` characters, else its start cut at a word
    with "…"; one line."""
    text = " ".join(body.split())
    if len(text) <= limit:
        return text
    end = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit:
            break
        end = match.end()
    return text[:end] if end else shorten(text, limit)


def pages(text: str, limit: int) -> list[str]:
    """`text` cut into pieces of at most `limit` characters, none for blank text.

    Cuts fall at the last paragraph break, else sentence end, else space that leaves a piece of
    at least half the limit (else the last of any of them, else exactly at the limit). Only the
    whitespace at each cut is dropped: joining the pieces gives back every other character.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    start = _skip_space(text, 0)
    while len(text) - start > limit:
        window = text[start : start + limit + 1]  # a cut may fall on the character after
        cut = _cut(window, limit)
        piece = text[start : start + cut].rstrip()
        if piece:
            pieces.append(piece)
        start = _skip_space(text, start + cut)
    if tail := text[start:].rstrip():
        pieces.append(tail)
    return pieces


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _cut(window: str, limit: int) -> int:
    """Where to cut `window` (at most `limit` characters kept before the cut)."""
    candidates = [
        window.rfind("\n", 1, limit + 1),
        max((m.end() for m in _SENTENCE_END.finditer(window, 0, limit + 1)), default=-1),
        next((i for i in range(limit, 0, -1) if window[i].isspace()), -1),
    ]
    for cut in candidates:
        if cut >= limit // 2:
            return cut
    best = max(candidates)
    return best if best > 0 else limit

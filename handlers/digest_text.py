"""The digest as one plain-text chat message (the caller splits it with `split_text`).

Plain text on purpose: Telegram is sent without a parse mode and Zalo rejects stray braces,
so residents' words are quoted with their braces replaced. Only cluster representatives are
quoted, and those are already redacted; sensitive items are only counted.
"""

from __future__ import annotations

from collections.abc import Iterable

from config import cases as cases_texts
from config import reports as texts
from handlers.digest import CountRow, Digest, Period

_BRACES = str.maketrans({"{": "(", "}": ")"})


def period_phrase(period: Period) -> str:
    """The period in words: "tháng 10/2026", or "kỳ 01/10/2026–07/10/2026" for other spans."""
    template = texts.PERIOD_MONTH if period.is_month else texts.PERIOD_SPAN
    return template.format(label=period.label)


def signed(number: int) -> str:
    """A change as "+3", "-2" or "0"."""
    return f"{number:+d}" if number else "0"


def change_words(number: int) -> str:
    """A change in words: "tăng 3", "giảm 2", "không thay đổi"."""
    if number > 0:
        return texts.CHANGE_UP.format(n=number)
    if number < 0:
        return texts.CHANGE_DOWN.format(n=-number)
    return texts.CHANGE_SAME


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word boundary with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return line[:cut].rstrip(" ,.;:") + "…"


def quotable(text: str, limit: int) -> str:
    """A resident's text fit to quote in plain text: one line, shortened, no braces."""
    return shorten(text, limit).translate(_BRACES)


def active_rows(rows: Iterable[CountRow]) -> list[CountRow]:
    """Rows with something now or before, largest first (then the biggest change)."""
    kept = [row for row in rows if row.current or row.previous]
    return sorted(kept, key=lambda row: (-row.current, -abs(row.change), row.label))


def _rows(title: str, rows: list[CountRow]) -> list[str]:
    if not rows:
        return []
    lines = ["", title]
    for row in rows:
        label = row.label.translate(_BRACES)
        lines.append(
            texts.CHAT_ROW.format(label=label, current=row.current, change=signed(row.change))
        )
    return lines


def average_text(average: float) -> str:
    """A mean rating as Vietnamese write it: one decimal, a decimal comma ("4,5")."""
    return f"{average:.1f}".replace(".", ",")


def _tail(digest: Digest) -> list[str]:
    lines = []
    if digest.awaiting_answer or digest.overdue:
        lines += [
            "",
            texts.CHAT_ANSWERS.format(awaiting=digest.awaiting_answer, overdue=digest.overdue),
        ]
    if digest.ratings and digest.rating_average is not None:
        average = average_text(digest.rating_average)
        lines += ["", cases_texts.SATISFACTION_CHAT.format(average=average, count=digest.ratings)]
    if digest.sensitive:
        lines += ["", texts.CHAT_SENSITIVE.format(count=digest.sensitive)]
    return lines


def digest_text(digest: Digest) -> str:
    """The chat message: figures, changes, top problems, answers due, the sensitive count."""
    period = period_phrase(digest.period)
    unit = digest.unit_name.translate(_BRACES)
    if digest.total == 0:
        lines = [texts.CHAT_EMPTY.format(period=period, unit=unit, previous=digest.previous_total)]
        return "\n".join(lines + _tail(digest))
    lines = [
        texts.CHAT_TITLE.format(period=period),
        texts.CHAT_UNIT.format(unit=unit),
        texts.CHAT_TOTAL.format(
            total=digest.total, change=signed(digest.change), previous=digest.previous_total
        ),
    ]
    lines += _rows(texts.CHAT_BY_TOPIC, [r for r in active_rows(digest.by_topic) if r.current])
    lines += _rows(texts.CHAT_BY_KIND, [r for r in active_rows(digest.by_kind) if r.current])
    localities = [r for r in active_rows(digest.by_locality) if r.current]
    lines += _rows(texts.CHAT_BY_LOCALITY, localities[: texts.CHAT_TOP_LOCALITIES])
    problems = sorted(digest.problems, key=lambda p: -p.size)[: texts.CHAT_TOP_PROBLEMS]
    if problems:
        lines += ["", texts.CHAT_PROBLEMS]
        for index, problem in enumerate(problems, 1):
            where = (
                texts.CHAT_PROBLEM_WHERE.format(place=problem.locality.translate(_BRACES))
                if problem.locality
                else ""
            )
            text = quotable(problem.text, texts.CHAT_SNIPPET_CHARS)
            lines.append(
                texts.CHAT_PROBLEM.format(index=index, size=problem.size, where=where, text=text)
            )
    return "\n".join(lines + _tail(digest))

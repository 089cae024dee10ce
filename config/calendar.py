"""Working days and deadlines: extra days off, make-up working days, answer deadlines. Edit freely.

The composition root builds ``handlers.calendar.WorkingCalendar(EXTRA_DAYS_OFF,
MAKEUP_WORKING_DAYS, language=HOLIDAY_NAMES_LANGUAGE)``. Public holidays themselves (Tết and
Giỗ Tổ Hùng Vương by the lunar calendar, observed days, the swaps the government announced)
come from the ``holidays`` package (``holidays.VN``); list here only what it does not know.

Every year the government moves days (Thủ tướng's decision on the Tết and National Day breaks,
announced by the Ministry of Home Affairs for public servants). When it does:

* a weekday that becomes a day off → add it to ``EXTRA_DAYS_OFF`` with a name;
* a Saturday that becomes a working day → add it to ``MAKEUP_WORKING_DAYS``;
* a swap the package announces that did not happen → put the package's weekday off in
  ``MAKEUP_WORKING_DAYS`` and its working Saturday in ``EXTRA_DAYS_OFF`` (ours win).

Check what the package knows with::

    .venv/bin/python -c "import holidays; print(sorted(holidays.VN(years=2026).items()))"
"""

from datetime import date

# Language of the package's holiday names in messages ("vi" or "en_US").
HOLIDAY_NAMES_LANGUAGE = "vi"

# Days off the package does not list, with the name officers see.
#
# Checked against holidays 0.109: for Tết 2025 and Tết 2026 the package already lists every
# WEEKDAY of the official break, so the days below are the break's weekends. They change no
# deadline; they are listed so the calendar names the whole break as the decision does.
# The break dates are the widely reported ones; the decisions' numbers were not checked here.
EXTRA_DAYS_OFF: dict[date, str] = {
    # Tết Ất Tỵ 2025: public servants off Saturday 25/01 to Sunday 02/02/2025 (9 days, the
    # Prime Minister's decision announced by the Ministry of Labour, Invalids and Social
    # Affairs). The package lists 27/01-01/02.
    date(2025, 1, 25): "Nghỉ Tết Nguyên đán Ất Tỵ",
    date(2025, 1, 26): "Nghỉ Tết Nguyên đán Ất Tỵ",
    date(2025, 2, 2): "Nghỉ Tết Nguyên đán Ất Tỵ",
    # Tết Bính Ngọ 2026: off Saturday 14/02 to Sunday 22/02/2026, i.e. 27 tháng Chạp to mùng 6
    # tháng Giêng (9 days, the Prime Minister's decision on the Tết 2026 break). The package
    # lists the five Tết days 16/02-20/02 (Monday-Friday).
    date(2026, 2, 14): "Nghỉ Tết Nguyên đán Bính Ngọ",
    date(2026, 2, 15): "Nghỉ Tết Nguyên đán Bính Ngọ",
    date(2026, 2, 21): "Nghỉ Tết Nguyên đán Bính Ngọ",
    date(2026, 2, 22): "Nghỉ Tết Nguyên đán Bính Ngọ",
    # National Day 2025 (off 30/08-02/09/2025): the package already has Monday 01/09 and
    # Tuesday 02/09, the two legal days, so there was no bridge day to add.
    #
    # UNVERIFIED, kept as the package says: National Day 2026 off Monday 31/08 with Saturday
    # 22/08/2026 worked instead. If that swap is not decided, cancel it as explained above.
}

# Saturdays declared working days that the package does not already know. It knows the
# announced swaps (e.g. Saturday 26/04/2025 worked for Friday 02/05/2025); we know of no other.
MAKEUP_WORKING_DAYS: tuple[date, ...] = ()

# Answer deadline per kind of submission: (amount, "working_days" | "days").
# Petitions: 15 working days from receipt (seed 003); complaints and denunciations: 30 days,
# extended to the next working day when the 30th is a day off (Civil Code 2015, art. 148).
ANSWER_DEADLINES: dict[str, tuple[int, str]] = {
    "gop_y": (15, "working_days"),
    "phan_anh": (15, "working_days"),
    "hoi_dap": (15, "working_days"),
    "khen_ngoi": (15, "working_days"),
    "khieu_nai": (30, "days"),
    "to_cao": (30, "days"),
}

# The monthly report ("báo cáo tháng") is due before this day of every month, moved to the
# nearest working day when it is a day off (the earlier one when two are equally near).
MONTHLY_REPORT_DAY = 15

# Reminders this many working days before a deadline (0 = on the day).
REMINDER_OFFSETS: tuple[int, ...] = (5, 2, 0)

# When the monthly digest of the previous month goes out: "first_working_day" (of the month),
# or a day of the month (1-31) moved to the nearest working day.
DIGEST_DAY: int | str = "first_working_day"

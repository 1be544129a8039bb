"""Working days (no weekends, no bank holidays of a UK nation) and the report-sharing deadlines.

Bank holidays come from the maintained `holidays` library, so a new or moved bank holiday (a
coronation, a jubilee) arrives with an upgrade instead of a hand-kept list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays

# The nations of the UK a root may name, and the library's code for each.
REGIONS = {
    "England": "ENG",
    "Wales": "WLS",
    "Scotland": "SCT",
    "Northern Ireland": "NIR",
}
DEFAULT_REGION = "England"
DEFAULT_SHARING_DAYS_INITIAL = 3  # initial and pre-birth conferences
DEFAULT_SHARING_DAYS_REVIEW = 5  # review conferences
SATURDAY = 5


@dataclass(frozen=True)
class SharingRules:
    """How many working days before a conference its report should reach the parents, and where.

    `region` is one of REGIONS; it decides which bank holidays are not working days.
    """

    region: str = DEFAULT_REGION
    initial_days: int = DEFAULT_SHARING_DAYS_INITIAL  # initial and pre-birth conferences
    review_days: int = DEFAULT_SHARING_DAYS_REVIEW


def region_named(text: str) -> str | None:
    """The region as REGIONS spells it, whatever the case and spacing, or None when unknown."""
    wanted = " ".join(text.split()).casefold()
    return next((region for region in REGIONS if region.casefold() == wanted), None)


@cache
def _bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    found = holidays.country_holidays("GB", subdiv=REGIONS[region], years=year)
    return frozenset(found)


def is_working_day(day: dt.date, region: str = DEFAULT_REGION) -> bool:
    """True on a weekday that is not a bank holiday in the region."""
    return day.weekday() < SATURDAY and day not in _bank_holidays(region, day.year)


def bank_holiday_name(day: dt.date, region: str = DEFAULT_REGION) -> str:
    """The bank holiday's name on that day in the region, or "" when it is none."""
    found = holidays.country_holidays("GB", subdiv=REGIONS[region], years=day.year)
    return str(found.get(day) or "")


def working_days_before(day: dt.date, count: int, region: str = DEFAULT_REGION) -> dt.date:
    """The working day `count` working days before `day` (`day` itself when count is 0).

    Shared on that day or earlier, a report reached the parents `count` working days before.
    """
    found = day
    try:
        for _ in range(count):
            found -= dt.timedelta(days=1)
            while not is_working_day(found, region):
                found -= dt.timedelta(days=1)
    except OverflowError:  # a date typed in the year 1: nothing is before it
        return dt.date.min
    return found


def working_days_between(start: dt.date, end: dt.date, region: str = DEFAULT_REGION) -> int:
    """How many working days from `start` (counted) up to `end` (not counted); 0 if none."""
    days = 0
    day = start
    while day < end:
        days += is_working_day(day, region)
        day += dt.timedelta(days=1)
    return days

"""Working days (no weekends, no bank holidays of a UK nation) and the report-sharing deadlines.

Bank holidays come from the maintained `holidays` library, so a new or moved bank holiday (a
coronation, a jubilee) arrives with an upgrade instead of a hand-kept list.

The library is loaded the first time a bank holiday is asked for, not when sos-docs starts: a
process that never counts working days (`--help`, the service's main process) never pays for
it. And only its United Kingdom module is loaded (`_united_kingdom`), not all of its countries.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from sos_docs.loading import loading

if TYPE_CHECKING:
    from holidays import HolidayBase

log = logging.getLogger(__name__)

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


# The library's module of the United Kingdom's holidays, and its class. `holidays.countries`,
# the package it is in, imports the modules of all 250 countries (80 to 160 ms) before it gives
# one, so the module is loaded from the library's own file without that package. When it is not
# there or does not load so (another version of the library, laid out otherwise) the library's
# documented `country_holidays("GB")` is used instead. tests/test_working_days.py checks both give the
# same days with the same names in every region.
UNITED_KINGDOM_MODULE = "holidays.countries.united_kingdom"
UNITED_KINGDOM_CLASS = "UnitedKingdom"
_loading = threading.Lock()


@cache
def _united_kingdom() -> Callable[..., HolidayBase]:
    """The library's United Kingdom holidays (called with subdiv= and years=), loaded once."""
    with _loading, loading():  # two threads at once must not both run the module
        return _load_united_kingdom()


def _load_united_kingdom() -> Callable[..., HolidayBase]:
    """The UnitedKingdom class from the library's own file, or `country_holidays("GB")`."""
    import holidays

    documented = partial(holidays.country_holidays, "GB")
    module = sys.modules.get(UNITED_KINGDOM_MODULE)  # already loaded (the usual way, or here)
    if module is None:
        path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
        spec = importlib.util.spec_from_file_location(UNITED_KINGDOM_MODULE, path)
        if spec is None or spec.loader is None or not path.is_file():
            return documented
        module = importlib.util.module_from_spec(spec)
        # Registered under its own name, as an import would: a later `import holidays.countries`
        # then finds this module, so there is one UnitedKingdom class, not two.
        sys.modules[UNITED_KINGDOM_MODULE] = module
        try:
            spec.loader.exec_module(module)
        except Exception:  # a library this way does not fit: its documented way, then
            del sys.modules[UNITED_KINGDOM_MODULE]
            log.warning("holidays' %s could not be loaded alone", path, exc_info=True)
            return documented
    found = getattr(module, UNITED_KINGDOM_CLASS, None)
    if isinstance(found, type) and issubclass(found, holidays.HolidayBase):
        return found
    return documented


@cache
def _bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    return frozenset(_united_kingdom()(subdiv=REGIONS[region], years=year))


def is_working_day(day: dt.date, region: str = DEFAULT_REGION) -> bool:
    """True on a weekday that is not a bank holiday in the region."""
    return day.weekday() < SATURDAY and day not in _bank_holidays(region, day.year)


def bank_holiday_name(day: dt.date, region: str = DEFAULT_REGION) -> str:
    """The bank holiday's name on that day in the region, or "" when it is none."""
    found = _united_kingdom()(subdiv=REGIONS[region], years=day.year)
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

"""Tests for sos_docs.working_days: weekends and each UK nation's bank holidays are not working days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs.working_days import (
    REGIONS,
    bank_holiday_name,
    is_working_day,
    region_named,
    working_days_before,
    working_days_between,
)


@pytest.mark.parametrize(
    ("day", "region", "working"),
    [
        (dt.date(2026, 11, 27), "England", True),  # a Friday
        (dt.date(2026, 11, 28), "England", False),  # a Saturday
        (dt.date(2026, 12, 28), "England", False),  # Boxing Day (observed)
        (dt.date(2026, 11, 30), "England", True),
        (dt.date(2026, 11, 30), "Scotland", False),  # St Andrew's Day
        (dt.date(2026, 7, 13), "Northern Ireland", False),  # Battle of the Boyne (observed)
        (dt.date(2026, 8, 3), "Scotland", False),  # Scotland's summer bank holiday
        (dt.date(2026, 8, 3), "Wales", True),
    ],
)
def test_working_days_skip_weekends_and_the_regions_bank_holidays(
    day: dt.date, region: str, working: bool
) -> None:
    """Each nation's own bank holidays, from the holidays library, are not working days."""
    assert is_working_day(day, region) is working


def test_a_bank_holiday_has_its_name() -> None:
    """The library names the day, for messages."""
    assert "Christmas" in bank_holiday_name(dt.date(2026, 12, 25))
    assert bank_holiday_name(dt.date(2026, 12, 23)) == ""


def test_three_working_days_before_a_friday_is_the_tuesday() -> None:
    """Counting back over a week, and over Christmas, to the deadline."""
    assert working_days_before(dt.date(2026, 11, 27), 3) == dt.date(2026, 11, 24)
    assert working_days_before(dt.date(2026, 12, 29), 3) == dt.date(2026, 12, 22)
    assert working_days_before(dt.date(2026, 11, 24), 0) == dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "region"),
    [("england", "England"), (" northern  IRELAND ", "Northern Ireland"), ("France", None)],
)
def test_a_region_is_named_in_any_case(text: str, region: str | None) -> None:
    """Region names are matched whatever their case and spacing."""
    assert region_named(text) == region


@given(
    meeting=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    days=st.integers(min_value=0, max_value=20),
    region=st.sampled_from(sorted(REGIONS)),
)
def test_the_deadline_is_exactly_that_many_working_days_before(
    meeting: dt.date, days: int, region: str
) -> None:
    """Shared on the deadline counts `days` working days; a day later counts fewer."""
    deadline = working_days_before(meeting, days, region)
    assert working_days_between(deadline, meeting, region) == days
    if days:
        assert is_working_day(deadline, region)
        assert working_days_between(deadline + dt.timedelta(days=1), meeting, region) < days


def test_a_deadline_before_the_first_day_there_is_stops_at_it() -> None:
    """A meeting typed in the year 1 (03/01/0001) has no working days before it: the deadline
    is the first date there is, never an OverflowError that stops the workbook."""
    assert working_days_before(dt.date(1, 1, 3), 5) == dt.date.min

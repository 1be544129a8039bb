"""Tests for sos_docs.working_days: weekends and each UK nation's bank holidays are not working days."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs import working_days
from sos_docs.working_days import (
    REGIONS,
    UNITED_KINGDOM_MODULE,
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


YEARS = range(1950, 2081)


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_the_united_kingdom_module_gives_the_librarys_documented_bank_holidays(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded on its own (without the library's other countries), the United Kingdom's module
    gives exactly the days and names `holidays.country_holidays("GB")` gives."""
    monkeypatch.delitem(sys.modules, UNITED_KINGDOM_MODULE, raising=False)  # loaded from its file
    loaded = working_days._load_united_kingdom()
    assert isinstance(loaded, type) and issubclass(loaded, holidays.HolidayBase)
    ours = loaded(subdiv=REGIONS[region], years=YEARS)
    theirs = holidays.country_holidays("GB", subdiv=REGIONS[region], years=YEARS)
    assert len(theirs) > 8 * len(YEARS)
    assert dict(ours) == dict(theirs)


def test_without_the_module_file_the_documented_entry_point_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A library laid out otherwise (no countries/united_kingdom.py where it was) is asked
    through `country_holidays("GB")`: the same bank holidays, never none."""
    monkeypatch.delitem(sys.modules, UNITED_KINGDOM_MODULE, raising=False)
    monkeypatch.setattr(holidays, "__file__", str(tmp_path / "__init__.py"))
    loaded = working_days._load_united_kingdom()
    assert not isinstance(loaded, type)  # the documented entry point, not the class
    found = loaded(subdiv="SCT", years=2026)
    assert dict(found) == dict(holidays.country_holidays("GB", subdiv="SCT", years=2026))
    assert dt.date(2026, 11, 30) in found  # St Andrew's Day


def test_a_module_that_does_not_load_alone_is_asked_the_documented_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A United Kingdom module that fails when loaded without its package is not an error:
    `country_holidays("GB")` gives the bank holidays."""
    (tmp_path / "countries").mkdir()
    (tmp_path / "countries" / "united_kingdom.py").write_text("raise RuntimeError('no')\n")
    monkeypatch.delitem(sys.modules, UNITED_KINGDOM_MODULE, raising=False)
    monkeypatch.setattr(holidays, "__file__", str(tmp_path / "__init__.py"))
    loaded = working_days._load_united_kingdom()
    assert not isinstance(loaded, type)
    assert dt.date(2026, 12, 25) in loaded(subdiv="ENG", years=2026)


def test_counting_working_days_loads_no_other_country(tmp_path: Path) -> None:
    """In a new process, importing sos-docs loads no bank holidays, and counting working days
    loads the United Kingdom's alone, not the library's 250 countries (some 80 ms)."""
    code = (
        "import sys, datetime as dt\n"
        "from sos_docs import working_days\n"
        "assert 'holidays' not in sys.modules\n"
        "assert not working_days.is_working_day(dt.date(2026, 12, 28))\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "['holidays.countries.united_kingdom']"


def test_the_library_imported_later_has_the_same_united_kingdom_class(tmp_path: Path) -> None:
    """The module loaded alone is registered under its own name: a later import of the
    library's countries finds it, so there is one UnitedKingdom class (a holidays object made
    here is one the library's own code recognises), and every country is still there."""
    code = (
        "import datetime as dt, pickle\n"
        "from sos_docs import working_days\n"
        "assert not working_days.is_working_day(dt.date(2026, 12, 28))\n"
        "import holidays\n"
        "from holidays.countries import UnitedKingdom, France\n"
        "assert working_days._united_kingdom() is UnitedKingdom\n"
        "assert isinstance(holidays.country_holidays('GB', subdiv='ENG'), UnitedKingdom)\n"
        "days = working_days._united_kingdom()(subdiv='SCT', years=2026)\n"
        "assert pickle.loads(pickle.dumps(days)) == days\n"
        "assert dt.date(2026, 7, 14) in France(years=2026)\n"
        "print('one class')\n"
    )
    result = subprocess.run(
        [sys.executable, "-P", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "one class", result.stderr

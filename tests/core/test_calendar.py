"""The business-day calendar (core.calendar).

# RULE CAT-1 processing time is counted in business days.
# RULE ORD-4 the ship-by deadline is payment + processing time in business days.
Business days skip Saturdays, Sundays and the holidays of core.Holiday (or an
explicit holidays= set); day boundaries and wall times are those of
settings.BUSINESS_TIME_ZONE (America/Chicago by default).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import add_business_days, business_days_between, is_business_day
from core.models import Holiday

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
NO_HOLIDAYS: frozenset[dt.date] = frozenset()


def chicago(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def _chicago(settings):
    settings.BUSINESS_TIME_ZONE = "America/Chicago"


# --- is_business_day -----------------------------------------------------------------


def test_weekdays_are_business_days_and_weekends_are_not():
    monday = dt.date(2026, 3, 2)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    assert [is_business_day(d, NO_HOLIDAYS) for d in days] == [True] * 5 + [False, False]


def test_a_listed_holiday_is_not_a_business_day():
    christmas = dt.date(2026, 12, 25)  # a Friday
    assert is_business_day(christmas, NO_HOLIDAYS)
    assert not is_business_day(christmas, {christmas})


@pytest.mark.django_db
def test_holiday_rows_are_read_when_no_set_is_given():
    Holiday.objects.create(date=dt.date(2026, 7, 3), name="Independence Day (observed)")
    assert not is_business_day(dt.date(2026, 7, 3))
    assert is_business_day(dt.date(2026, 7, 2))


# --- add_business_days: the rule examples ----------------------------------------------


def test_rule_ord_4_friday_plus_one_is_monday_same_wall_time():
    friday = chicago(2026, 3, 13, 15, 30)
    assert add_business_days(friday, 1, holidays=NO_HOLIDAYS) == chicago(2026, 3, 16, 15, 30)


def test_rule_cat_1_default_processing_of_seven_days_spans_one_weekend():
    wednesday = chicago(2026, 4, 1, 9, 0)
    # Thu, Fri, Mon, Tue, Wed, Thu, Fri → the Friday of the next week.
    assert add_business_days(wednesday, 7, holidays=NO_HOLIDAYS) == chicago(2026, 4, 10, 9, 0)


def test_result_is_returned_in_utc():
    result = add_business_days(chicago(2026, 4, 1, 9, 0), 1, holidays=NO_HOLIDAYS)
    assert result.utcoffset() == dt.timedelta(0)
    assert result == dt.datetime(2026, 4, 2, 14, 0, tzinfo=UTC)  # 09:00 CDT = 14:00 UTC


def test_start_in_utc_is_read_in_the_business_zone():
    # Saturday 03:00 UTC is still Friday 22:00 in Chicago: a business day, kept as is.
    start = dt.datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
    assert add_business_days(start, 1, holidays=NO_HOLIDAYS) == chicago(2026, 3, 16, 22, 0)


@pytest.mark.parametrize("start", [chicago(2026, 3, 14, 15, 0), chicago(2026, 3, 15, 23, 59)],
                         ids=["saturday", "sunday"])
def test_weekend_start_moves_to_midnight_of_monday_then_counts(start):
    assert add_business_days(start, 0, holidays=NO_HOLIDAYS) == chicago(2026, 3, 16, 0, 0)
    assert add_business_days(start, 1, holidays=NO_HOLIDAYS) == chicago(2026, 3, 17, 0, 0)
    assert add_business_days(start, 5, holidays=NO_HOLIDAYS) == chicago(2026, 3, 23, 0, 0)


def test_n_zero_on_a_business_day_is_the_start_itself():
    start = chicago(2026, 3, 11, 10, 15, 42)
    assert add_business_days(start, 0, holidays=NO_HOLIDAYS) == start


def test_explicit_holidays_are_skipped():
    thursday = chicago(2026, 12, 24, 12, 0)
    holidays = {dt.date(2026, 12, 25), dt.date(2026, 12, 28)}  # Friday and Monday
    assert add_business_days(thursday, 1, holidays=holidays) == chicago(2026, 12, 29, 12, 0)


def test_start_on_a_holiday_moves_to_the_next_business_day():
    christmas = chicago(2026, 12, 25, 18, 0)  # Friday, a holiday
    result = add_business_days(christmas, 1, holidays={dt.date(2026, 12, 25)})
    assert result == chicago(2026, 12, 29, 0, 0)  # Mon 28 is the first day, Tue 29 00:00


@pytest.mark.django_db
def test_holiday_rows_are_skipped():
    Holiday.objects.create(date=dt.date(2026, 11, 26), name="Thanksgiving")
    Holiday.objects.create(date=dt.date(2026, 11, 27), name="Day after Thanksgiving")
    wednesday = chicago(2026, 11, 25, 16, 0)
    assert add_business_days(wednesday, 1) == chicago(2026, 11, 30, 16, 0)


@pytest.mark.django_db
def test_explicit_holidays_replace_the_rows():
    Holiday.objects.create(date=dt.date(2026, 11, 26), name="Thanksgiving")
    wednesday = chicago(2026, 11, 25, 16, 0)
    assert add_business_days(wednesday, 1, holidays=set()) == chicago(2026, 11, 26, 16, 0)


def test_month_end():
    friday = chicago(2026, 7, 31, 8, 0)
    assert add_business_days(friday, 2, holidays=NO_HOLIDAYS) == chicago(2026, 8, 4, 8, 0)


def test_february_in_a_leap_year():
    friday = chicago(2028, 2, 25, 8, 0)
    assert add_business_days(friday, 3, holidays=NO_HOLIDAYS) == chicago(2028, 3, 1, 8, 0)


def test_year_end_with_new_year_holiday():
    wednesday = chicago(2026, 12, 30, 17, 45)
    result = add_business_days(wednesday, 2, holidays={dt.date(2027, 1, 1)})
    # Thu 31 Dec, (Fri 1 Jan holiday, weekend), Mon 4 Jan.
    assert result == chicago(2027, 1, 4, 17, 45)


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="zero or positive"):
        add_business_days(chicago(2026, 3, 11, 10, 0), -1, holidays=NO_HOLIDAYS)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_days(dt.datetime(2026, 3, 11, 10, 0), 1, holidays=NO_HOLIDAYS)


# --- DST in the business zone ------------------------------------------------------------


def test_fall_back_keeps_the_local_wall_time():
    # 2026-11-01 (Sunday) Chicago falls back from CDT (UTC-5) to CST (UTC-6).
    friday = chicago(2026, 10, 30, 10, 0)
    result = add_business_days(friday, 1, holidays=NO_HOLIDAYS)
    assert result.astimezone(CHICAGO).replace(tzinfo=None) == dt.datetime(2026, 11, 2, 10, 0)
    assert friday.astimezone(UTC) == dt.datetime(2026, 10, 30, 15, 0, tzinfo=UTC)
    assert result == dt.datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    # So the deadline is 73 hours after the start, not 72.
    assert result - friday == dt.timedelta(hours=73)


def test_spring_forward_keeps_the_local_wall_time():
    # 2026-03-08 (Sunday) Chicago springs forward from CST (UTC-6) to CDT (UTC-5).
    friday = chicago(2026, 3, 6, 10, 0)
    result = add_business_days(friday, 1, holidays=NO_HOLIDAYS)
    assert result == dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 10:00 CDT
    assert result.astimezone(CHICAGO).hour == 10
    assert result - friday == dt.timedelta(hours=71)


def test_weekend_start_on_the_dst_sunday_lands_on_monday_midnight():
    during_gap_day = chicago(2026, 3, 8, 12, 0)
    result = add_business_days(during_gap_day, 0, holidays=NO_HOLIDAYS)
    assert result == dt.datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # 00:00 CDT


def test_business_time_zone_setting_decides_the_day(settings):
    # Friday 23:30 in Chicago is already Saturday in Bangkok.
    start = chicago(2026, 3, 13, 23, 30)
    assert add_business_days(start, 0, holidays=NO_HOLIDAYS) == start
    settings.BUSINESS_TIME_ZONE = "Asia/Bangkok"
    bangkok = ZoneInfo("Asia/Bangkok")
    assert add_business_days(start, 0, holidays=NO_HOLIDAYS) == dt.datetime(
        2026, 3, 16, 0, 0, tzinfo=bangkok
    )


# --- business_days_between ---------------------------------------------------------------


def test_between_counts_the_half_open_range():
    friday, monday = dt.date(2026, 3, 13), dt.date(2026, 3, 16)
    assert business_days_between(friday, monday, holidays=NO_HOLIDAYS) == 1
    assert business_days_between(friday, friday, holidays=NO_HOLIDAYS) == 0
    assert business_days_between(monday, friday, holidays=NO_HOLIDAYS) == 0
    assert business_days_between(dt.date(2026, 3, 1), dt.date(2026, 3, 31),
                                 holidays=NO_HOLIDAYS) == 22


def test_between_skips_holidays():
    holidays = {dt.date(2026, 12, 25), dt.date(2027, 1, 1)}
    count = business_days_between(dt.date(2026, 12, 24), dt.date(2027, 1, 4), holidays=holidays)
    # (24 Dec, 4 Jan]: 25 holiday, 26-27 weekend, 28-31, 1 Jan holiday, 2-3 weekend, 4.
    assert count == 5


@pytest.mark.django_db
def test_between_reads_holiday_rows():
    Holiday.objects.create(date=dt.date(2026, 3, 16), name="Staff day")
    assert business_days_between(dt.date(2026, 3, 13), dt.date(2026, 3, 17)) == 1


# --- properties ----------------------------------------------------------------------------

ZONES = ["America/Chicago", "Europe/Paris", "Asia/Bangkok", "Australia/Sydney", "UTC"]
starts = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 12, 31),
    timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
)
holiday_sets = st.frozensets(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2091, 6, 30)), max_size=30
)


def first_business_day_from(day: dt.date, holidays) -> dt.date:
    while not is_business_day(day, holidays):
        day += dt.timedelta(days=1)
    return day


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=400), holidays=holiday_sets)
def test_property_result_is_a_business_day_n_business_days_later(start, n, holidays):
    result = add_business_days(start, n, holidays=holidays)
    assert result.tzinfo is not None
    assert result >= start
    local_start = start.astimezone(CHICAGO)
    local_result = result.astimezone(CHICAGO)
    assert is_business_day(local_result.date(), holidays)
    first = first_business_day_from(local_start.date(), holidays)
    assert business_days_between(first, local_result.date(), holidays=holidays) == n
    if first == local_start.date():
        # The wall time is kept (except inside a DST gap, which no weekday has here).
        assert local_result.time() == local_start.time()
    else:
        assert local_result.time() == dt.time(0, 0)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=60), holidays=holiday_sets)
def test_property_more_days_never_give_an_earlier_deadline(start, n, holidays):
    assert add_business_days(start, n + 1, holidays=holidays) > add_business_days(
        start, n, holidays=holidays
    )

"""ISO 8601 repeating intervals read the way Chronos (Joda-Time) reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.models.schedules import (
    INFINITE,
    Period,
    ScheduleError,
    add_period,
    check_zone,
    parse_period,
    parse_schedule,
    read_schedule,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_with_a_zone_the_wall_clock_counts_and_the_written_offset_is_dropped_like_chronos():
    schedule = parse_schedule("R/2026-12-01T02:00:00Z/P1D", "Europe/Madrid", NOW)
    assert schedule.iso() == "R/2026-12-01T02:00:00.000+01:00/P1D"
    assert schedule.zone == "Europe/Madrid" and schedule.count == INFINITE


def test_without_a_zone_the_written_offset_counts_and_the_job_runs_in_utc():
    schedule = parse_schedule("R3/2026-12-01T02:00:00+01:00/PT6H", None, NOW)
    assert schedule.iso() == "R3/2026-12-01T01:00:00.000Z/PT6H" and schedule.zone == "UTC"


def test_a_daily_period_keeps_local_wall_time_across_daylight_saving():
    schedule = parse_schedule("R/2026-10-24T02:30:00/P1D", "Europe/Madrid", NOW)
    runs = schedule.upcoming(datetime(2026, 10, 1, tzinfo=UTC), 3)
    assert [r.strftime("%H:%M%z") for r in runs] == ["02:30+0200", "02:30+0200", "02:30+0100"]


def test_a_24_hour_period_is_elapsed_time_so_the_wall_time_moves_at_daylight_saving():
    schedule = parse_schedule("R/2026-10-24T02:30:00/PT24H", "Europe/Madrid", NOW)
    runs = schedule.upcoming(datetime(2026, 10, 1, tzinfo=UTC), 3)
    assert [r.strftime("%H:%M%z") for r in runs] == ["02:30+0200", "02:30+0200", "01:30+0100"]


def test_a_monthly_period_clamps_to_the_end_of_shorter_months_like_joda():
    start = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)
    assert add_period(start, Period(months=1)) == datetime(2026, 2, 28, 2, 0, tzinfo=UTC)
    assert add_period(start, Period(months=2)) == datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    assert add_period(start, Period(years=1, months=1)) == datetime(2027, 2, 28, 2, 0, tzinfo=UTC)


def test_a_local_time_the_clocks_skip_is_refused():
    with pytest.raises(ScheduleError, match="does not exist"):
        parse_schedule("R/2026-03-29T02:30:00/P1D", "Europe/Madrid", NOW)


def test_next_run_is_the_start_while_it_is_ahead_and_a_past_start_is_due_now():
    ahead = parse_schedule("R/2026-12-01T02:00:00Z/P1D", "Europe/Madrid", NOW)
    assert ahead.next_run(NOW) == ahead.start
    due = parse_schedule("R/2026-11-29T08:00:00Z/P1D", "UTC", NOW)
    assert due.next_run(NOW) == due.start
    assert [iso(r) for r in due.upcoming(NOW, 3)] == [
        "2026-11-29T08:00:00+00:00", "2026-11-30T08:00:00+00:00", "2026-12-01T08:00:00+00:00"]


def test_a_finite_schedule_counts_what_is_left_and_r0_never_runs():
    schedule = parse_schedule("R2/2026-12-01T00:00:00Z/P1W", None, NOW)
    assert [iso(r) for r in schedule.upcoming(NOW, 5)] == [
        "2026-12-01T00:00:00+00:00", "2026-12-08T00:00:00+00:00"]
    finished = read_schedule("R0/2026-12-01T00:00:00.000Z/P1W", "UTC")
    assert finished is not None and finished.next_run(NOW) is None


def test_a_past_start_is_moved_to_the_next_slot_so_a_nightly_job_does_not_run_at_noon():
    schedule = parse_schedule("R/2020-01-01T02:00:00/P1D", "Europe/Madrid", NOW)
    moved = schedule.skipped_forward(NOW)
    assert moved.iso() == "R/2026-11-30T02:00:00.000+01:00/P1D"


def test_an_empty_start_means_now():
    assert parse_schedule("R//PT1H", "UTC", NOW).iso() == "R/2026-11-29T12:00:00.000Z/PT1H"


@pytest.mark.parametrize("text", [
    "R/2026-12-01T02:00:00Z",          # no period
    "X/2026-12-01T02:00:00Z/P1D",
    "R/2026-02-30T02:00:00Z/P1D",       # no such day
    "R/2026-12-01 02:00:00/P1D",        # space instead of T
    "R/1969-12-31T23:59:59Z/P1D",       # before 1970
    "R/2026-12-01T02:00:00Z/P",         # zero period
    "R/2026-12-01T02:00:00Z/PT30S",     # shorter than a minute
    "R/2026-12-01T02:00:00Z/P1DT",      # T without a time field
    "R/2026-12-01T02:00:00Z/P-1D",      # negative
    "R0/2026-12-01T02:00:00Z/P1D",      # never runs
    "R/2026-12-01T02:00:00Z/P1000000D",  # beyond Joda's int fields
])
def test_schedules_chronos_would_refuse_or_misread_are_refused(text):
    with pytest.raises(ScheduleError):
        parse_schedule(text, None, NOW)


def test_periods_follow_jodas_standard_format_with_weeks_and_fractional_seconds():
    assert parse_period("P1W2D") == Period(weeks=1, days=2)
    assert parse_period("PT1M30.5S") == Period(minutes=1, seconds=30, millis=500)
    assert parse_period("P1Y2M3DT4H5M6S").iso() == "P1Y2M3DT4H5M6S"


@pytest.mark.parametrize("zone", ["BST", "PST", "EST", "Europe/Atlantis", "europe/madrid", ""])
def test_zones_java_would_misread_or_not_know_are_refused(zone):
    with pytest.raises(ScheduleError):
        check_zone(zone)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid", "America/New_York", "Etc/GMT+5"])
def test_iana_zones_are_accepted(zone):
    assert check_zone(zone).key == zone

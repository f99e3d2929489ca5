"""Chronos reads, advances and writes ISO 8601 repeating intervals with Joda's semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simcluster.chronos.schedule import format_datetime, parse_schedule, skip_forward

NOW = datetime(2026, 3, 20, 12, 0, 0, tzinfo=UTC)


def parsed(text: str, zone: str = "") -> str:
    schedule = parse_schedule(text, zone, NOW)
    assert schedule is not None
    return str(schedule)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("R/2008-03-01T13:00:00Z/P1D", "PST", "R/2008-03-01T13:00:00.000-08:00/P1D"),
        ("R/2008-03-01T13:00:00Z/P1D", "Europe/Paris", "R/2008-03-01T13:00:00.000+01:00/P1D"),
        ("R/2008-03-01T13:00:00-04:00/P1D", "PST", "R/2008-03-01T13:00:00.000-08:00/P1D"),
        ("R/2008-03-01T13:00:00Z/P1D", "BST", "R/2008-03-01T13:00:00.000+06:00/P1D"),
        ("R/2008-03-01T13:00:00Z/P1D", "Mars/Olympus_Mons", "R/2008-03-01T13:00:00.000Z/P1D"),
    ],
)
def test_a_time_zone_keeps_the_wall_clock_and_drops_the_written_offset(text: str, zone: str, expected: str):
    assert parsed(text, zone) == expected


def test_without_a_time_zone_the_written_offset_is_kept():
    assert parsed("R5/2026-01-01T08:30:00+02:00/PT1H30M") == "R5/2026-01-01T08:30:00.000+02:00/PT1H30M"


def test_an_empty_start_means_one_second_ago_and_a_bare_p_is_a_zero_period():
    assert parsed("R1//P") == "R1/2026-03-20T11:59:59.000Z/PT0S"


@pytest.mark.parametrize(
    "text",
    [
        "R/2026-01-01T00:00:00Z",
        "X/2026-01-01/P1D",
        "R/2026-13-01/P1D",
        "R/2026-01-01/P1X",
        "R/yesterday/P1D",
        "Rx/2026-01-01/P1D",
    ],
)
def test_malformed_schedules_do_not_parse(text: str):
    assert parse_schedule(text, "", NOW) is None


def test_skip_forward_moves_to_the_first_future_slot_and_drops_the_count_by_one_only():
    schedule = parse_schedule("R10/2026-03-01T06:00:00Z/P1D", "", NOW)
    assert schedule is not None

    advanced = skip_forward(schedule, NOW)

    # Nineteen slots were missed; they are not caught up and cost one repetition.
    assert str(advanced) == "R9/2026-03-21T06:00:00.000Z/P1D"


def test_infinite_repeats_stay_infinite_after_a_launch():
    schedule = parse_schedule("R/2026-03-20T11:00:00Z/PT15M", "", NOW)
    assert schedule is not None
    assert str(skip_forward(schedule, NOW)) == "R/2026-03-20T12:15:00.000Z/PT15M"


def test_p1d_keeps_local_wall_time_across_daylight_saving_but_pt24h_does_not():
    before_dst = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    after_dst = before_dst + timedelta(days=1, hours=1)
    daily = parse_schedule("R/2026-03-28T02:30:00Z/P1D", "Europe/Madrid", before_dst)
    hourly = parse_schedule("R/2026-03-28T02:30:00Z/PT24H", "Europe/Madrid", before_dst)
    assert daily is not None and hourly is not None

    assert str(skip_forward(daily, after_dst)) == "R/2026-03-30T02:30:00.000+02:00/P1D"
    assert str(skip_forward(hourly, after_dst)) == "R/2026-03-30T03:30:00.000+02:00/PT24H"


def test_months_clamp_to_the_last_day_like_joda():
    schedule = parse_schedule("R/2026-01-31T00:00:00Z/P1M", "", datetime(2026, 2, 1, tzinfo=UTC))
    assert schedule is not None
    assert str(skip_forward(schedule, datetime(2026, 2, 1, tzinfo=UTC))) == "R/2026-02-28T00:00:00.000Z/P1M"


def test_timestamps_are_written_with_milliseconds_and_z_for_utc():
    assert format_datetime(datetime(2018, 3, 5, 23, 0, 12, 345678, tzinfo=UTC)) == "2018-03-05T23:00:12.345Z"

"""ISO 8601 repeating intervals as Chronos reads them (Joda-Time), and when they fire next.

Chronos accepts ``R[n]/<start>/<period>``. What it does with one is full of traps (see the
Chronos fact sheet, section 5), so the gateway parses schedules itself, refuses what Chronos
would misread, and sends a normalised string that means exactly one thing:

* the start is rendered as wall-clock time in the job's IANA zone with that zone's offset,
  because Chronos keeps the wall-clock fields and *drops* the written offset whenever
  ``scheduleTimeZone`` is set;
* periods follow Joda's ``ISOPeriodFormat.standard`` (``PnYnMnWnDTnHnMnS``): years, months,
  weeks and days move the local date (so ``P1D`` stays at 02:00 across daylight saving), hours,
  minutes and seconds are elapsed time (so ``PT24H`` does not);
* unknown zones are refused (Java silently turns them into GMT), as are starts before 1970 and
  local times that do not exist in the zone (the hour skipped in spring).

Pure: no I/O, the caller passes "now". It lives with the models because a job request validates
its schedule here; gateway/translation/jobs.py renders it for Chronos.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

INFINITE = -1
EARLIEST_START = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
# Chronos' scheduling loop wakes at least every minute; shorter periods would only pile up.
MIN_PERIOD_SECONDS = 60
# Joda keeps period fields in Java ints; far smaller limits are still generous.
_MAX_FIELD = 100_000

_SCHEDULE = re.compile(r"^R(?P<count>\d{0,9})/(?P<start>[^/]*)/(?P<period>P[^/]*)$")
# The subset of ISO 8601 both Joda's DateTime.parse and we read the same way.
_START = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,3}))?)?)?)?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_PERIOD = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)(?:[.,](?P<millis>\d{1,3}))?S)?)?$"
)


class ScheduleError(ValueError):
    """A schedule or time zone the gateway refuses; the message is meant for the user."""


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0
    millis: int = 0

    @property
    def is_zero(self) -> bool:
        return not any((self.years, self.months, self.weeks, self.days, self.hours,
                        self.minutes, self.seconds, self.millis))

    @property
    def has_date_fields(self) -> bool:
        return any((self.years, self.months, self.weeks, self.days))

    def elapsed(self) -> timedelta:
        """The time-field part, which Joda adds as elapsed time."""
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds,
                         milliseconds=self.millis)

    def times(self, factor: int) -> Period:
        return Period(*(factor * value for value in (
            self.years, self.months, self.weeks, self.days, self.hours, self.minutes,
            self.seconds, self.millis)))

    def iso(self) -> str:
        date = "".join(f"{value}{unit}" for value, unit in (
            (self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D")) if value)
        seconds = ""
        if self.seconds or self.millis:
            seconds = f"{self.seconds}.{self.millis:03d}S" if self.millis else f"{self.seconds}S"
        time = "".join(f"{value}{unit}" for value, unit in (
            (self.hours, "H"), (self.minutes, "M")) if value) + seconds
        return "P" + date + (("T" + time) if time else "")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: ``count`` runs (INFINITE for ever) from ``start``, one per ``period``."""

    count: int
    start: datetime  # aware, in ``zone``
    period: Period
    zone: str

    def iso(self) -> str:
        """The schedule as the gateway sends it to Chronos (and as Chronos writes it back)."""
        count = "" if self.count == INFINITE else str(self.count)
        return f"R{count}/{format_instant(self.start)}/{self.period.iso()}"

    def slot(self, index: int) -> datetime:
        """The ``index``-th run time (0 is the start), as Joda's start.plus(period * index).

        Raises ScheduleError for a slot past the year 9999, which Python cannot represent."""
        return add_period(self.start, self.period.times(index))

    def upcoming(self, now: datetime, limit: int) -> list[datetime]:
        """The next ``limit`` launches as Chronos makes them.

        ``count`` is what is *left*: Chronos launches a job whose start has passed at once, then
        moves the start to the first slot after that launch and counts down by one, however
        many slots it skipped. A past start is therefore reported as due (itself).
        """
        runs: list[datetime] = []
        if self.count == 0 or limit <= 0:
            return runs
        runs.append(self.start)
        try:
            index = _first_index_after(self, max(self.start, now))
            while len(runs) < limit and (self.count == INFINITE or len(runs) < self.count):
                runs.append(self.slot(index))
                index += 1
        except ScheduleError:
            pass  # the later slots lie past the year 9999: there are no more to show
        return runs

    def next_run(self, now: datetime) -> datetime | None:
        """When it fires next; a start in the past means it is due now (and reported as such)."""
        runs = self.upcoming(now, 1)
        return runs[0] if runs else None

    def skipped_forward(self, now: datetime) -> Schedule:
        """The same schedule with a past start moved to its first slot at or after ``now``.

        Chronos starts a job whose start lies in the past at once; a nightly job submitted at
        noon would run at noon. The count stays: the user asked for that many runs from now on.
        """
        if self.start >= now or self.count == 0:
            return self
        index = _first_index_after(self, now - timedelta(milliseconds=1))
        return Schedule(self.count, self.slot(index), self.period, self.zone)


def _first_index_after(schedule: Schedule, moment: datetime) -> int:
    if schedule.start > moment:
        return 0
    # Estimate with a fixed-length period, then correct: months and days have no fixed length.
    approximate = _approximate_seconds(schedule.period)
    index = max(0, int((moment - schedule.start).total_seconds() // approximate) - 1)
    while index > 0 and schedule.slot(index) > moment:
        index -= 1
    while schedule.slot(index) <= moment:
        index += 1
    return index


def _approximate_seconds(period: Period) -> float:
    days = period.years * 365 + period.months * 28 + period.weeks * 7 + period.days
    return max(1.0, days * 86400 + period.elapsed().total_seconds())


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> ZoneInfo:
    """An IANA zone Java knows under the same name.

    Three-letter abbreviations are refused even where tzdata has them: Java maps several of
    them differently (its "BST" is Bangladesh, not British Summer Time).
    """
    if name not in ("UTC", "GMT") and ("/" not in name or name not in _iana_zones()):
        raise ScheduleError(f"{name!r} is not an IANA time zone such as Europe/Madrid or UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not an IANA time zone such as Europe/Madrid or UTC") \
            from None


def parse_period(text: str) -> Period:
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ScheduleError(f"period {text!r} is not an ISO 8601 period such as P1D or PT6H")
    values = {name: int(value) for name, value in match.groupdict().items()
              if value is not None and name != "millis"}
    if any(value > _MAX_FIELD for value in values.values()):
        raise ScheduleError(f"period {text!r} has a field above {_MAX_FIELD}")
    millis = match["millis"]
    period = Period(**values, millis=int(millis.ljust(3, "0")) if millis else 0)
    if period.is_zero:
        raise ScheduleError("the period must not be zero")
    if not period.has_date_fields and period.elapsed().total_seconds() < MIN_PERIOD_SECONDS:
        raise ScheduleError(f"the period must be at least {MIN_PERIOD_SECONDS} seconds")
    return period


def parse_start(text: str, zone: ZoneInfo | None) -> datetime:
    """The start instant. With a zone, its wall-clock fields count and a written offset does not
    (what Chronos does); without one, the written offset counts and no offset means UTC."""
    match = _START.fullmatch(text)
    if not match:
        raise ScheduleError(f"start {text!r} is not an ISO 8601 date-time such as "
                            "2026-12-01T02:00:00Z")
    try:
        year, month, day = (int(part) for part in match["date"].split("-"))
        fraction = match["fraction"] or ""
        local = datetime(year, month, day, int(match["hour"] or 0), int(match["minute"] or 0),
                         int(match["second"] or 0), int(fraction.ljust(3, "0")) * 1000)
    except ValueError:
        raise ScheduleError(f"start {text!r} is not a valid date and time") from None
    if zone is not None:
        start = local.replace(tzinfo=zone)
        # A wall-clock time skipped by daylight saving does not survive a round trip through UTC.
        if _in_range(lambda: start.astimezone(UTC).astimezone(zone)).replace(tzinfo=None) != local:
            raise ScheduleError(f"start {text!r} does not exist in {zone.key} (the clocks skip it)")
    else:
        start = local.replace(tzinfo=_offset(match["offset"]))
    if _in_range(lambda: start < EARLIEST_START):
        raise ScheduleError("the start must be after 1970-01-01T00:00:00Z")
    return start


T = TypeVar("T")


def _in_range(compute: Callable[[], T]) -> T:
    """``compute()``, with date arithmetic past the year 9999 reported as a ScheduleError."""
    try:
        return compute()
    except (OverflowError, ValueError):
        raise ScheduleError("the schedule reaches past the year 9999") from None


def _offset(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ScheduleError(f"offset {text!r} is not valid")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_schedule(text: str, zone_name: str | None, now: datetime) -> Schedule:
    """Parse ``R[n]/<start>/<period>``; an empty start means ``now``. The result is in the zone
    (UTC when none is given)."""
    match = _SCHEDULE.fullmatch(text.strip())
    if not match:
        raise ScheduleError(f"{text!r} is not an ISO 8601 repeating interval R[n]/<start>/<period>, "
                            "e.g. R/2026-12-01T02:00:00Z/P1D")
    count = int(match["count"]) if match["count"] else INFINITE
    if count == 0:
        raise ScheduleError("R0 never runs; use R1 for a single run, R for ever")
    zone = check_zone(zone_name) if zone_name else None
    period = parse_period(match["period"])
    start = parse_start(match["start"], zone) if match["start"] else now
    target = zone or ZoneInfo("UTC")
    schedule = Schedule(count, _in_range(lambda: start.astimezone(target)), period, target.key)
    # Chronos moves the start to the next slot after each launch; a slot the gateway cannot
    # compute would make the stored job unreadable (and it is no sensible schedule anyway).
    schedule.slot(1)
    return schedule


def read_schedule(text: str, zone_name: str) -> Schedule | None:
    """A schedule as stored by Chronos (lenient: None when it cannot be read)."""
    try:
        match = _SCHEDULE.fullmatch(text.strip())
        if not match or not match["start"]:
            return None
        zone = check_zone(zone_name or "UTC")
        count = int(match["count"]) if match["count"] else INFINITE
        start = parse_start(match["start"], zone)
        return Schedule(count, start, _read_period(match["period"]), zone.key)
    except ScheduleError:
        return None


def _read_period(text: str) -> Period:
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ScheduleError(text)
    values = {name: int(value) for name, value in match.groupdict().items()
              if value is not None and name != "millis"}
    return Period(**values, millis=int((match["millis"] or "0").ljust(3, "0")))


def add_period(moment: datetime, period: Period) -> datetime:
    """Joda's DateTime.plus(Period) in the moment's zone: date fields move the wall clock,
    time fields move the instant."""
    return _in_range(lambda: _plus(moment, period))


def _plus(moment: datetime, period: Period) -> datetime:
    zone = moment.tzinfo
    local = moment.replace(tzinfo=None)
    months = local.month - 1 + period.months + 12 * period.years
    year, month = local.year + months // 12, months % 12 + 1
    # Joda clamps to the month's last day (Jan 31 + P1M = Feb 28), as does this.
    day = min(local.day, calendar.monthrange(year, month)[1])
    local = local.replace(year=year, month=month, day=day)
    local += timedelta(weeks=period.weeks, days=period.days)
    # Back to an instant the way Joda does: in an overlap the earlier offset, in a gap the one
    # before the transition (Python's fold=0 in both cases).
    shifted = local.replace(tzinfo=zone, fold=0)
    return (shifted.astimezone(UTC) + period.elapsed()).astimezone(zone)


def format_instant(moment: datetime) -> str:
    """Joda's ISODateTimeFormat.dateTime(): milliseconds and the offset (``Z`` for zero)."""
    text = moment.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text

"""ISO 8601 repeating intervals as Chronos 3 reads, advances and writes them.

``R[n]/<start>/<period>``: ``R`` repeats forever, ``Rn`` n more times, ``R0`` never. The start
is a Joda ``DateTime`` (an empty start means "one second ago", re-evaluated on every parse);
with a ``scheduleTimeZone`` the wall-clock fields are kept and the written offset discarded.
Periods follow Joda: years, months, weeks and days move the local date (so ``P1D`` keeps the
wall time across daylight saving), hours, minutes and seconds are elapsed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from simcluster.chronos.zones import java_time_zone

EPOCH_FLOOR = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)

_SCHEDULE = re.compile(r"(R[0-9]*)/(.*)/(P.*)", re.DOTALL)
_PERIOD = re.compile(
    r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?"
)
_DATETIME = re.compile(
    r"(?P<y>[+-]?\d{4,9})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:T(?P<h>\d{2})(?::?(?P<mi>\d{2})(?::?(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?"
)


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    millis: int = 0  # seconds and their fraction

    @property
    def has_date_fields(self) -> bool:
        return bool(self.years or self.months or self.weeks or self.days)

    @property
    def elapsed(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, milliseconds=self.millis)

    @property
    def is_zero(self) -> bool:
        return not self.has_date_fields and not self.elapsed

    def __str__(self) -> str:
        """``ISOPeriodFormat.standard`` printing."""
        date = "".join(
            f"{value}{unit}"
            for value, unit in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if value
        )
        seconds = ""
        if self.millis:
            whole, frac = divmod(self.millis, 1000)
            seconds = f"{whole}.{frac:03d}".rstrip("0").rstrip(".") + "S"
        time = "".join(f"{v}{u}" for v, u in ((self.hours, "H"), (self.minutes, "M")) if v) + seconds
        if not date and not time:
            return "PT0S"
        return "P" + date + (f"T{time}" if time else "")


@dataclass(frozen=True)
class Schedule:
    repeat: int  # -1 = forever
    start: datetime  # timezone-aware
    period: Period

    def plus_periods(self, count: int) -> datetime:
        return add_period(self.start, self.period, count)

    def __str__(self) -> str:
        repeat = "R" if self.repeat < 0 else f"R{self.repeat}"
        return f"{repeat}/{format_datetime(self.start)}/{self.period}"


def parse_period(text: str) -> Period | None:
    match = _PERIOD.fullmatch(text)
    if match is None or any(len(g) > 9 for g in match.groups() if g):
        return None  # Joda period fields are ints
    y, mo, w, d, h, mi, s, frac = match.groups()
    millis = int(s or 0) * 1000 + (int((frac or "0").ljust(3, "0")) if frac else 0)
    return Period(int(y or 0), int(mo or 0), int(w or 0), int(d or 0), int(h or 0), int(mi or 0), millis)


def parse_datetime(text: str) -> datetime | None:
    """``DateTime.parse``: ISO date-time with optional parts; the written offset is kept and
    a missing one means the JVM zone (UTC on the cluster's Chronos hosts)."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    zone: tzinfo = UTC
    if parts["z"] and parts["z"] != "Z":
        raw = parts["z"].replace(":", "")
        sign = -1 if raw[0] == "-" else 1
        hours, minutes = int(raw[1:3]), int(raw[3:5] or 0)
        if hours > 23 or minutes > 59:
            return None
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    fraction = (parts["f"] or "0")[:6].ljust(6, "0")
    try:
        return datetime(
            int(parts["y"]),
            int(parts["mo"] or 1),
            int(parts["d"] or 1),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction),
            tzinfo=zone,
        )
    except ValueError:
        return None


def parse_schedule(text: str, time_zone: str, now: datetime) -> Schedule | None:
    match = _SCHEDULE.fullmatch(text)
    if match is None:
        return None
    repeat_text, start_text, period_text = match.groups()
    repeat = -1 if repeat_text == "R" else int(repeat_text[1:])
    period = parse_period(period_text)
    if period is None:
        return None
    if start_text == "":
        start = now.astimezone(UTC) - timedelta(seconds=1)
    else:
        parsed = parse_datetime(start_text)
        if parsed is None:
            return None
        start = parsed
    if time_zone:
        # withZoneRetainFields: same wall clock, the offset in the string is dropped.
        start = start.replace(tzinfo=java_time_zone(time_zone))
    return Schedule(repeat, start, period)


def add_period(start: datetime, period: Period, count: int = 1) -> datetime:
    if count == 0:
        return start
    zone = start.tzinfo
    moved = start
    if period.has_date_fields:
        total_months = (period.years * 12 + period.months) * count
        year, month0 = divmod(start.year * 12 + start.month - 1 + total_months, 12)
        day = min(start.day, _days_in_month(year, month0 + 1))
        moved = start.replace(year=year, month=month0 + 1, day=day)
        moved = moved + timedelta(days=(period.weeks * 7 + period.days) * count)
        # Date arithmetic keeps wall time: re-attach the zone so the offset is recomputed.
        moved = moved.replace(tzinfo=zone)
    if period.elapsed:
        moved = (moved.astimezone(UTC) + period.elapsed * count).astimezone(zone)
    return moved


def skip_forward(schedule: Schedule, now: datetime) -> Schedule:
    """``JobUtils.skipForward`` on launch: the start moves to the first slot after ``now``
    (missed slots are not caught up) and the repeat count drops by one."""
    repeat = schedule.repeat - 1 if schedule.repeat > 0 else schedule.repeat
    if schedule.start > now or schedule.period.is_zero:
        return replace(schedule, repeat=repeat)
    try:
        count = _first_count_after(schedule, now)
        return Schedule(repeat, schedule.plus_periods(count), schedule.period)
    except (OverflowError, ValueError):
        # Beyond year 9999 (Joda would go on): the job simply never comes due again.
        return Schedule(repeat, datetime.max.replace(tzinfo=UTC), schedule.period)


def format_datetime(moment: datetime) -> str:
    """``ISODateTimeFormat.dateTime``: millisecond precision, ``Z`` for a zero offset."""
    offset = moment.utcoffset() or timedelta(0)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}"
    if not offset:
        return stamp + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{stamp}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _first_count_after(schedule: Schedule, now: datetime) -> int:
    if not schedule.period.has_date_fields:
        step = schedule.period.elapsed.total_seconds()
        behind = (now - schedule.start).total_seconds()
        count = int(behind // step) + 1
        while schedule.plus_periods(count) <= now:
            count += 1
        return count
    count = 1
    while schedule.plus_periods(count) <= now:
        count += 1
    return count


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days

"""``java.util.TimeZone.getTimeZone(id)`` as Chronos uses it for ``scheduleTimeZone``.

Java never rejects an id: unknown ones silently become GMT. It also still knows the old
three-letter ids, several of which do not mean what people expect (``BST`` is Bangladesh,
``IST`` is India, ``EST``/``MST``/``HST`` are fixed offsets without daylight saving).
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The JDK's legacy short ids (ZoneInfoFile "oldMappings" off, the JDK 8 default).
_JAVA_SHORT_IDS = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}
_FIXED = {"EST": -5, "MST": -7, "HST": -10}
_CUSTOM = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")
_IANA = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")


def java_time_zone(zone_id: str) -> tzinfo:
    if zone_id in _FIXED:
        return timezone(timedelta(hours=_FIXED[zone_id]))
    if zone_id in _JAVA_SHORT_IDS:
        return ZoneInfo(_JAVA_SHORT_IDS[zone_id])
    if zone_id in ("UTC", "GMT"):
        return UTC
    if custom := _CUSTOM.fullmatch(zone_id):
        sign = -1 if custom.group(1) == "-" else 1
        hours, minutes = int(custom.group(2)), int(custom.group(3) or 0)
        if hours <= 23 and minutes <= 59:
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
        return UTC
    if _IANA.fullmatch(zone_id):
        try:
            return ZoneInfo(zone_id)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC
    return UTC



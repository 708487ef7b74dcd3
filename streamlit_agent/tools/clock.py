"""A clock tool: the current date, time and weekday in a given timezone.

Models do not know what time it is; this tells them, timezone-aware. The pure
function takes the instant as a parameter so tests can fix the clock.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from langchain_core.tools import tool

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


class UnknownTimezoneError(ValueError):
    """A timezone name that is neither an IANA name nor a UTC offset."""


@lru_cache(maxsize=1)
def _zones_by_lowercase() -> dict[str, str]:
    # Scanning the zone database takes a moment, so do it once and only when needed.
    return {name.lower(): name for name in available_timezones()}


def _fixed_offset(name: str) -> tzinfo | None:
    match = _OFFSET.match(name)
    if not match:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return dt_timezone(-offset if sign == "-" else offset)


def resolve_timezone(name: str) -> tzinfo:
    """The timezone for an IANA name ("Europe/Paris", any case) or an offset ("+05:30")."""
    name = name.strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: not a valid key (e.g. "../x"); OSError: a folder such as "Europe".
        pass
    canonical = _zones_by_lowercase().get(name.lower())
    if canonical:
        return ZoneInfo(canonical)
    offset = _fixed_offset(name)
    if offset is not None:
        return offset
    raise UnknownTimezoneError(
        f"Unknown timezone '{name}'. Use an IANA name such as 'Europe/Paris'."
    )


def _format_offset(offset: timedelta | None) -> str:
    seconds = int((offset or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, remainder = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{remainder // 60:02d}"


def format_moment(moment: datetime, zone_label: str) -> str:
    """An aware datetime as "2026-11-25 14:03:07 CET (UTC+01:00, label), Wednesday; ISO ..."."""
    moment = moment.replace(microsecond=0)
    offset = _format_offset(moment.utcoffset())
    abbreviation = moment.tzname() or f"UTC{offset}"
    return (
        f"{moment:%Y-%m-%d %H:%M:%S} {abbreviation} (UTC{offset}, {zone_label}), "
        f"{moment:%A}; ISO 8601: {moment.isoformat()}"
    )


def describe_now(timezone_name: str = "", now: datetime | None = None) -> str:
    """The instant `now` (default: the real current time) described in a timezone.

    An empty name means the server's local timezone. `now` should be timezone-aware;
    a naive value is taken as local time, as `datetime.astimezone` does.
    """
    instant = now if now is not None else datetime.now(dt_timezone.utc)
    name = timezone_name.strip()
    if not name:
        return format_moment(instant.astimezone(), "server local time")
    try:
        zone = resolve_timezone(name)
    except UnknownTimezoneError as exc:
        return str(exc)
    label = zone.key if isinstance(zone, ZoneInfo) else "fixed offset"
    return format_moment(instant.astimezone(zone), label)


@tool
def current_datetime(timezone: str = "") -> str:
    """Get the current date, time and weekday.

    The argument is an optional IANA timezone name such as 'Europe/Paris' or
    'America/New_York' (a UTC offset like '+05:30' also works); leave it empty for
    the server's local time.
    """
    return describe_now(timezone)


# Its result is the app's own clock reading, not text from elsewhere (agent/tool_runner.py).
current_datetime.metadata = {**(current_datetime.metadata or {}), "trusted_output": True}

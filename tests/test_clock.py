from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from streamlit_agent.tools.clock import (
    UnknownTimezoneError,
    current_datetime,
    describe_now,
    resolve_timezone,
)

WINTER = datetime(2026, 11, 25, 13, 3, 7, 500_000, tzinfo=timezone.utc)
SUMMER = datetime(2026, 7, 1, 22, 30, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        (
            "Europe/Paris",
            WINTER,
            "2026-11-25 14:03:07 CET (UTC+01:00, Europe/Paris), Wednesday; "
            "ISO 8601: 2026-11-25T14:03:07+01:00",
        ),
        (
            "Europe/Paris",
            SUMMER,
            "2026-07-02 00:30:00 CEST (UTC+02:00, Europe/Paris), Thursday; "
            "ISO 8601: 2026-07-02T00:30:00+02:00",
        ),
        (
            "America/New_York",
            WINTER,
            "2026-11-25 08:03:07 EST (UTC-05:00, America/New_York), Wednesday; "
            "ISO 8601: 2026-11-25T08:03:07-05:00",
        ),
        (
            "Asia/Kolkata",
            WINTER,
            "2026-11-25 18:33:07 IST (UTC+05:30, Asia/Kolkata), Wednesday; "
            "ISO 8601: 2026-11-25T18:33:07+05:30",
        ),
        (
            "UTC",
            WINTER,
            "2026-11-25 13:03:07 UTC (UTC+00:00, UTC), Wednesday; "
            "ISO 8601: 2026-11-25T13:03:07+00:00",
        ),
    ],
)
def test_fixed_instant_in_zones(zone: str, instant: datetime, expected: str) -> None:
    assert describe_now(zone, now=instant) == expected


def test_zone_names_are_forgiving() -> None:
    assert describe_now("  america/new_york ", now=WINTER).startswith(
        "2026-11-25 08:03:07 EST (UTC-05:00, America/New_York)"
    )
    assert describe_now("+05:30", now=WINTER).startswith(
        "2026-11-25 18:33:07 UTC+05:30 (UTC+05:30, fixed offset)"
    )
    assert resolve_timezone("UTC-3").utcoffset(None) == timedelta(hours=-3)


@pytest.mark.parametrize("zone", ["Mars/Base", "Europe", "../etc/passwd", "+99:00", "CEST"])
def test_unknown_zone(zone: str) -> None:
    assert describe_now(zone, now=WINTER) == (
        f"Unknown timezone '{zone}'. Use an IANA name such as 'Europe/Paris'."
    )
    with pytest.raises(UnknownTimezoneError):
        resolve_timezone(zone)


def test_tool_reports_unknown_zone_as_text() -> None:
    assert current_datetime.invoke({"timezone": "Mars/Base"}) == (
        "Unknown timezone 'Mars/Base'. Use an IANA name such as 'Europe/Paris'."
    )


@pytest.fixture
def tokyo_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_local_time")
def test_default_is_server_local_time() -> None:
    assert describe_now(now=WINTER) == (
        "2026-11-25 22:03:07 JST (UTC+09:00, server local time), Wednesday; "
        "ISO 8601: 2026-11-25T22:03:07+09:00"
    )


def test_tool_uses_the_real_clock() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    output = current_datetime.invoke({})
    after = datetime.now(timezone.utc)
    iso = output.rsplit("ISO 8601: ", 1)[1]
    assert before <= datetime.fromisoformat(iso) <= after
    assert "server local time" in output
    assert "(UTC+00:00, UTC)" in current_datetime.invoke({"timezone": "UTC"})

"""Dates people read are in the site's time zone (Asia/Tokyo), whatever the database or the
server's clock says: an award at 08:30 JST is 23:30 UTC the day before, and a credential signs
its evidence text forever. Machine-readable timestamps stay ISO 8601 with their offset."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def local(value: datetime) -> datetime:
    """An aware datetime in the site's time zone (settings.TIME_ZONE), not the active one."""
    return timezone.localtime(value, timezone.get_default_timezone())


def today() -> date:
    """The calendar day in the site's time zone (Japan), whatever the server's clock."""
    return local(timezone.now()).date()


def local_date(value: datetime) -> str:
    """2026-04-01, the calendar day in the site's time zone."""
    return f"{local(value):%Y-%m-%d}"


def local_minute(value: datetime) -> str:
    """2026-04-01 08:30 JST: the minute, with the zone's abbreviation."""
    moment = local(value)
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"

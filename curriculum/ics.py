"""A learner's calendar feed (iCalendar, RFC 5545): the deadlines of their course runs as all-day
events and the runs' live sessions at their times in Japan, for a calendar application to
subscribe to.

The feed's address carries a token signed with django.core.signing that names the learner and
the secret stored for them (`CalendarFeed`); calendar applications fetch it without signing in,
so the address is the credential. Making a new secret revokes every address given out before;
changing SECRET_KEY revokes them all.

The writer escapes text values (backslash, semicolon, comma, line breaks), folds lines longer than
75 octets without splitting a UTF-8 character, and ends every line with CRLF."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import local

from . import runs
from .models import CalendarFeed, Enrolment, LiveSession

SALT = "curriculum.calendar-feed"
TZID = "Asia/Tokyo"
PRODID = "-//Municipal CIO Academy//Learning calendar//JA"
LINE_OCTETS = 75

# Japan has kept +09:00 without daylight saving time since 1951.
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "TZNAME:JST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


# The token ------------------------------------------------------------------------------------


def _secret(user, *, renew: bool = False) -> str:
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None or renew:
        key = secrets.token_urlsafe(24)
        CalendarFeed.objects.update_or_create(user=user, defaults={"key": key})
        return key
    return feed.key


def _signer() -> signing.Signer:
    # No timestamp: the address stays the same until the learner asks for a new one.
    return signing.Signer(salt=SALT)


def token_for(user, *, renew: bool = False) -> str:
    return _signer().sign_object([user.pk, _secret(user, renew=renew)])


def user_for(token: str):
    """The active account the token names, or None (a forged token, or a revoked one)."""
    try:
        user_id, key = _signer().unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )
    if feed is None or not secrets.compare_digest(str(feed.key), str(key)):
        return None
    return feed.user


# The writer -----------------------------------------------------------------------------------


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued after CRLF and a space (§3.1); a character is never
    split across lines."""
    pieces, current, size = [], [], 0
    limit = LINE_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the space takes one octet
        current.append(character)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _tokyo(moment: datetime) -> str:
    return local(moment).strftime("%Y%m%dT%H%M%S")


@dataclass
class Event:
    uid: str
    summary: str
    start: date | datetime
    end: date | datetime
    description: str = ""
    location: str = ""
    url: str = ""

    def lines(self, stamp: datetime) -> list[str]:
        lines = ["BEGIN:VEVENT", f"UID:{self.uid}", f"DTSTAMP:{_utc(stamp)}"]
        if isinstance(self.start, datetime):
            lines += [
                f"DTSTART;TZID={TZID}:{_tokyo(self.start)}",
                f"DTEND;TZID={TZID}:{_tokyo(self.end)}",
            ]
        else:
            lines += [
                f"DTSTART;VALUE=DATE:{self.start:%Y%m%d}",
                f"DTEND;VALUE=DATE:{self.end:%Y%m%d}",
                "TRANSP:TRANSPARENT",
            ]
        lines.append(f"SUMMARY:{escape(self.summary)}")
        if self.description:
            lines.append(f"DESCRIPTION:{escape(self.description)}")
        if self.location:
            lines.append(f"LOCATION:{escape(self.location)}")
        if self.url:
            lines.append(f"URL:{self.url}")
        lines.append("END:VEVENT")
        return lines


def calendar(name: str, events: list[Event], stamp: datetime | None = None) -> str:
    stamp = stamp or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
        *VTIMEZONE,
    ]
    for event in events:
        lines += event.lines(stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# The learner's feed ---------------------------------------------------------------------------


def _host() -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "localhost"
    return base.split("://", 1)[-1].split("/", 1)[0] or "localhost"


def events_for(user, absolute, on: date | None = None) -> list[Event]:
    """Deadlines of the learner's unfinished run enrolments and every live session of their
    runs. `absolute(path)` makes a link absolute. Two queries."""
    on = on or runs.today()
    host = _host()
    events = []
    for enrolment in runs.upcoming_deadlines(user):
        run = enrolment.run
        overdue = runs.is_overdue(enrolment, on)
        summary = (_("Overdue: %(run)s") if overdue else _("Deadline: %(run)s")) % {
            "run": run.title
        }
        events.append(
            Event(
                uid=f"deadline-{enrolment.pk}-{run.pk}@{host}",
                summary=summary,
                start=run.deadline,
                end=run.deadline + timedelta(days=1),
                description=_("Complete “%(course)s” by this day.")
                % {"course": enrolment.course.title},
                url=absolute(_run_path(run)),
            )
        )
    sessions = (
        LiveSession.objects.filter(
            run__in=Enrolment.objects.filter(user=user, run__isnull=False).values("run")
        )
        .select_related("run")
        .order_by("starts_at", "pk")
    )
    for session in sessions:
        details = [session.note, session.meeting_url]
        events.append(
            Event(
                uid=f"session-{session.pk}@{host}",
                summary=_("Live session: %(run)s") % {"run": session.run.title},
                start=session.starts_at,
                end=session.ends_at,
                description="\n".join(part for part in details if part),
                location=session.place or session.meeting_url,
                url=session.meeting_url or absolute(_run_path(session.run)),
            )
        )
    return events


def _run_path(run) -> str:
    return reverse("curriculum:run", args=[run.pk])

"""The learner's calendar feed (curriculum/ics.py): escaping and folding as RFC 5545 says, the
events it holds, and the secret address that signs it."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum import ics, runs
from curriculum.models import Enrolment
from tests.factories import CourseRunFactory, LiveSessionFactory

JST = ZoneInfo("Asia/Tokyo")


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF, no bare LF
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_text_values_are_escaped():
    assert ics.escape("a;b,c\\d\ne\r\nf") == "a\\;b\\,c\\\\d\\ne\\nf"


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:" + "締切: 広島県 CIO補佐官 育成研修 令和8年度、第1回の集合研修と確認テスト" * 3,
        "DESCRIPTION:" + "x" * 200,
        "SUMMARY:" + "a" * 60 + "あいうえおかきくけこ",  # a character across the 75th octet
    ],
)
def test_long_lines_fold_at_75_octets_without_splitting_a_character(line):
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line


def test_a_short_line_is_left_alone():
    assert ics.fold("VERSION:2.0") == "VERSION:2.0"


def test_a_calendar_is_well_formed():
    moment = datetime(2026, 12, 20, 14, 0, tzinfo=JST)
    text = ics.calendar(
        "学習, 予定",
        [
            ics.Event(uid="d-1@x", summary="締切; A", start=moment.date(), end=moment.date()),
            ics.Event(uid="s-1@x", summary="会", start=moment, end=moment + timedelta(hours=2)),
        ],
        stamp=datetime(2026, 12, 7, 3, 0, tzinfo=JST),
    )
    lines = unfold(text)
    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{ics.PRODID}"]
    assert lines[-1] == "END:VCALENDAR"
    assert "X-WR-CALNAME:学習\\, 予定" in lines
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 2
    assert "DTSTAMP:20261206T180000Z" in lines  # UTC
    assert "DTSTART;VALUE=DATE:20261220" in lines
    assert "SUMMARY:締切\\; A" in lines
    assert "DTSTART;TZID=Asia/Tokyo:20261220T140000" in lines
    assert "DTEND;TZID=Asia/Tokyo:20261220T160000" in lines
    assert "TZID:Asia/Tokyo" in lines  # the VTIMEZONE the TZIDs name


# The feed -------------------------------------------------------------------------------------


@pytest.fixture
def enrolled(prefecture_run, hiroshima, member):
    learner = member("fuchu@example.jp", hiroshima["fuchu"])
    runs.invite(prefecture_run, [learner.email])
    return learner


def feed_url(user):
    return reverse("curriculum:calendar_feed", args=[ics.token_for(user)])


@pytest.mark.django_db
def test_the_feed_holds_deadlines_and_live_sessions(client, enrolled, prefecture_run):
    starts = timezone.make_aware(datetime(2026, 12, 17, 14, 0), JST)
    LiveSessionFactory(
        run=prefecture_run,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="広島県庁 本館6階 講堂",
        meeting_url="https://meet.example.jp/r8",
    )
    response = client.get(feed_url(enrolled))  # no sign-in: a calendar application asks
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    lines = unfold(response.content.decode())
    deadline = prefecture_run.deadline
    assert f"DTSTART;VALUE=DATE:{deadline:%Y%m%d}" in lines
    assert f"DTEND;VALUE=DATE:{deadline + timedelta(days=1):%Y%m%d}" in lines
    assert f"SUMMARY:締切: {prefecture_run.title}" in lines
    assert "DTSTART;TZID=Asia/Tokyo:20261217T140000" in lines
    assert "LOCATION:広島県庁 本館6階 講堂" in lines
    assert "URL:https://meet.example.jp/r8" in lines
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == 2


@pytest.mark.django_db
def test_overdue_deadlines_say_so_and_completed_ones_leave(
    client, enrolled, prefecture_run, course, hiroshima
):
    today = runs.today()
    prefecture_run.deadline = today - timedelta(days=1)
    prefecture_run.save()
    lines = unfold(client.get(feed_url(enrolled)).content.decode())
    assert f"SUMMARY:期限切れ: {prefecture_run.title}" in lines
    Enrolment.objects.filter(user=enrolled).update(completed_at=timezone.now())
    lines = unfold(client.get(feed_url(enrolled)).content.decode())
    assert not any(line.startswith("SUMMARY:") for line in lines)


@pytest.mark.django_db
def test_another_run_s_sessions_are_not_in_the_feed(client, enrolled, course, hiroshima):
    other = CourseRunFactory(course=course, owner=hiroshima["government"], title="別の開講")
    LiveSessionFactory(run=other, place="別会場")
    text = client.get(feed_url(enrolled)).content.decode()
    assert "別会場" not in text


@pytest.mark.django_db
def test_a_new_address_revokes_the_old_one(client, enrolled):
    old = feed_url(enrolled)
    assert client.get(old).status_code == 200
    assert feed_url(enrolled) == old  # stable until renewed
    ics.token_for(enrolled, renew=True)
    assert client.get(old).status_code == 404
    assert client.get(feed_url(enrolled)).status_code == 200


@pytest.mark.django_db
def test_forged_and_inactive_addresses_are_not_found(client, enrolled, member):
    url = feed_url(enrolled)
    token = url.rsplit("/", 1)[1][: -len(".ics")]
    user_id, key = ics.signing.Signer(salt=ics.SALT).unsign_object(token)
    other = member("other@example.jp")
    ics.token_for(other)
    forged = ics.signing.Signer(salt="another salt").sign_object([other.pk, key])
    assert client.get(reverse("curriculum:calendar_feed", args=[forged])).status_code == 404
    unsigned = re.sub(r":[^:]+$", ":AAAA", token)
    assert client.get(reverse("curriculum:calendar_feed", args=[unsigned])).status_code == 404
    # Someone else's id with this learner's key, signed properly, is still refused.
    swapped = ics.signing.Signer(salt=ics.SALT).sign_object([other.pk, key])
    assert client.get(reverse("curriculum:calendar_feed", args=[swapped])).status_code == 404
    type(enrolled).objects.filter(pk=user_id).update(is_active=False)
    assert client.get(url).status_code == 404

"""E-mails about course runs (curriculum/run_mail.py, `manage.py send_deadline_reminders`):
reminders 7 days and 1 day before a deadline, each once, in Japanese; the enrolment notice."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from curriculum import progress as learning
from curriculum import run_mail, runs
from curriculum.models import DeadlineReminder, Enrolment, LessonPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(prefecture_run, hiroshima, member):
    user = member("fuchu@example.jp", hiroshima["fuchu"], name="府中 花子")
    runs.invite(prefecture_run, [user.email])
    return user


def days_before(run, days):
    return run.deadline - timedelta(days=days)


def send(on):
    return run_mail.send_deadline_reminders(on)


def test_a_reminder_a_week_before_then_a_day_before_each_once(prefecture_run, learner, course):
    learning.complete_lesson(learner, LessonPage.objects.get(slug="seven"))
    assert send(days_before(prefecture_run, 8)) == 0
    assert send(days_before(prefecture_run, 7)) == 1
    message = mail.outbox[0]
    assert message.to == ["fuchu@example.jp"]
    assert message.subject == f"「{prefecture_run.title}」の締切まであと7日です"
    assert f"締切は {prefecture_run.deadline:%Y-%m-%d}、あと7日です" in message.body
    assert "必修レッスン 2 件中 1 件修了(50%)" in message.body
    assert f"/learn/runs/{prefecture_run.pk}/" in message.body
    # The same day again, and the days up to the day before: nothing more.
    for days in (7, 6, 3, 2):
        assert send(days_before(prefecture_run, days)) == 0
    assert send(days_before(prefecture_run, 1)) == 1
    assert mail.outbox[1].subject == f"「{prefecture_run.title}」の締切まであと1日です"
    assert send(days_before(prefecture_run, 1)) == 0
    assert send(prefecture_run.deadline) == 0
    assert sorted(DeadlineReminder.objects.values_list("days_before", flat=True)) == [1, 7]


def test_a_missed_day_is_caught_up_with_the_days_that_are_left(prefecture_run, learner):
    assert send(days_before(prefecture_run, 5)) == 1
    assert "あと5日" in mail.outbox[0].subject
    assert send(days_before(prefecture_run, 4)) == 0


def test_on_the_day_itself(prefecture_run, learner):
    assert send(prefecture_run.deadline) == 1
    assert mail.outbox[0].subject == f"「{prefecture_run.title}」の締切は今日です"
    assert send(prefecture_run.deadline + timedelta(days=1)) == 0


def test_completed_inactive_and_self_paced_learners_get_none(
    prefecture_run, learner, course, hiroshima, member
):
    done = member("done@example.jp", hiroshima["fuchu"])
    gone = member("gone@example.jp", hiroshima["fuchu"])
    runs.invite(prefecture_run, [done.email, gone.email])
    Enrolment.objects.filter(user=done).update(completed_at=timezone.now())
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    self_paced = member("self@example.jp", hiroshima["fuchu"])
    learning.enrol(self_paced, course)
    assert send(days_before(prefecture_run, 7)) == 1
    assert [m.to for m in mail.outbox] == [["fuchu@example.jp"]]


def test_a_deadline_moved_later_is_reminded_again(prefecture_run, learner):
    assert send(days_before(prefecture_run, 7)) == 1
    prefecture_run.deadline += timedelta(days=14)
    prefecture_run.save()
    assert send(days_before(prefecture_run, 7)) == 1
    assert DeadlineReminder.objects.count() == 2


def test_a_failed_e_mail_is_tried_again_the_next_run(prefecture_run, learner):
    with mock.patch("curriculum.run_mail.send_mail", side_effect=OSError("SMTP down")):
        assert send(days_before(prefecture_run, 7)) == 0
    assert not DeadlineReminder.objects.exists()
    assert send(days_before(prefecture_run, 7)) == 1


def test_the_daily_command(prefecture_run, learner):
    out = StringIO()
    call_command(
        "send_deadline_reminders", f"--date={days_before(prefecture_run, 7):%Y-%m-%d}", stdout=out
    )
    assert out.getvalue().strip() == "1 deadline reminders sent."
    call_command("send_deadline_reminders", stdout=out)  # today: three weeks before
    assert len(mail.outbox) == 1
    with pytest.raises(CommandError):
        call_command("send_deadline_reminders", "--date=12/28")


def test_the_enrolment_notice_goes_to_active_learners(prefecture_run, hiroshima, member):
    active = member("a@example.jp", hiroshima["fuchu"])
    gone = member("b@example.jp", hiroshima["fuchu"])
    outcome = runs.invite(prefecture_run, [active.email, gone.email])
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    assert run_mail.send_enrolment_notices.call(prefecture_run.pk, outcome.user_ids) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.jp"]
    assert message.subject == f"「{prefecture_run.title}」に受講登録されました"
    assert f"期間: {prefecture_run.starts_on:%Y-%m-%d} から" in message.body
    assert "/learn/calendar/" in message.body

"""What the curriculum holds about a member for the personal-data download and account deletion
(curriculum/personal_data.py): the course runs' part."""

import pytest

from curriculum import ics, run_mail, runs
from curriculum.models import Attendance, CalendarFeed, CourseRun, DeadlineReminder
from curriculum.personal_data import export
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(prefecture_run, hiroshima, member):
    user = member("fuchu@example.jp", hiroshima["fuchu"])
    runs.invite(prefecture_run, [user.email])
    session = LiveSessionFactory(run=prefecture_run)
    Attendance.objects.create(session=session, user=user, present=True)
    run_mail.send_deadline_reminders(prefecture_run.deadline)
    ics.token_for(user)
    return user


def test_the_export_holds_runs_attendance_reminders_and_no_calendar_secret(
    learner, prefecture_run, member
):
    lecturer = member("lecturer@example.jp")
    prefecture_run.facilitators.add(lecturer)
    data = export(learner)["learning"]
    enrolment = data["enrolments"][0]
    assert (enrolment["run"], enrolment["run_deadline"]) == (
        prefecture_run.title,
        prefecture_run.deadline,
    )
    assert data["live_session_attendance"][0]["present"] is True
    assert [r["days_before"] for r in data["deadline_reminders"]] == [1]
    assert data["calendar_feed_created_at"] is not None
    key = CalendarFeed.objects.get(user=learner).key
    assert key not in repr(data)
    assert export(lecturer)["learning"]["runs_facilitated"][0]["title"] == prefecture_run.title


def test_closing_the_account_takes_its_run_records_and_keeps_the_run(learner, prefecture_run):
    prefecture_run.facilitators.add(learner)
    prefecture_run.created_by = learner
    prefecture_run.save()
    learner.delete()
    run = CourseRun.objects.get()
    assert run.created_by is None
    assert not run.facilitators.exists()
    assert not Attendance.objects.exists()
    assert not DeadlineReminder.objects.exists()
    assert not CalendarFeed.objects.exists()

"""The demo's course run (curriculum/demo.py, load_course_run): 広島県's fiscal-year cohort of K1
with the demo learner in it, a deadline about three weeks away and one live session."""

from datetime import timedelta

import pytest
from wagtail.models import ModelLogEntry

from curriculum import progress as learning
from curriculum import runs
from curriculum.demo import DEMO_RUN, load_course_run
from curriculum.models import CourseRun, Enrolment, LessonPage, LiveSession

pytestmark = pytest.mark.django_db


def test_the_demo_run_is_loaded_once_with_the_learner_in_it(course, hiroshima, member):
    assert hiroshima["government"].code == "340006"
    learner = member("learner@example.jp", hiroshima["fuchu"])
    learning.enrol(learner, course)
    learning.complete_lesson(learner, LessonPage.objects.get(slug="seven"))
    today = runs.today()

    run = load_course_run(today)
    assert run.title == "広島県 CIO補佐官 育成研修 令和8年度" == DEMO_RUN["title"]
    assert (run.course, run.owner) == (course, hiroshima["government"])
    assert run.deadline == today + timedelta(days=21)
    assert run.enrolment_opens <= today <= run.enrolment_closes
    run.full_clean()  # the dates are consistent
    session = LiveSession.objects.get(run=run)
    assert today < session.starts_at.date() < run.deadline
    session.full_clean()
    enrolment = Enrolment.objects.get(user=learner)
    assert enrolment.run == run
    assert learning.progress(learner, course).done == 1  # the progress joined the run

    entries = ModelLogEntry.objects.count()
    assert load_course_run(today + timedelta(days=3)) == run
    assert CourseRun.objects.count() == LiveSession.objects.count() == 1
    assert CourseRun.objects.get().deadline == today + timedelta(days=21)  # left as it is
    assert ModelLogEntry.objects.count() == entries


def test_without_the_course_or_the_prefecture_there_is_no_demo_run(db):
    assert load_course_run() is None
    assert not CourseRun.objects.exists()

"""Learning reports in the Wagtail admin: staff only, right figures, CSV, constant queries."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum import progress as learning
from curriculum import quizzes
from curriculum.models import LessonPage, Quiz, QuizItem, QuizQuestion
from tests.factories import MunicipalityFactory, PrefectureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    group = Group.objects.create(name="研修担当")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_enrolment"),
    )
    user = UserFactory(email="staff@example.jp")
    user.groups.add(group)
    return user


def learner_in(email, municipality):
    user = UserFactory(email=email)
    user.profile.municipality = municipality
    user.profile.save()
    return user


@pytest.fixture
def cohort(course):
    """Three learners: two in 東京都 (one finished, one stopped after a lesson), one in 大阪府."""
    tokyo, osaka = (
        PrefectureFactory(code="13", name="東京都"),
        PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka"),
    )
    shinjuku = MunicipalityFactory(prefecture=tokyo, name="新宿区")
    suita = MunicipalityFactory(prefecture=osaka, name="吹田市")
    question = QuizItem(kind="true_false", text="問", true_false_answer=True)
    question.save()
    quiz = Quiz(title="確認テスト", pass_mark=100, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=question)]
    quiz.save()
    steps = LessonPage.objects.get(slug="steps")
    steps.quiz = quiz
    steps.save_revision().publish()
    steps = LessonPage.objects.get(pk=steps.pk)
    seven = LessonPage.objects.get(slug="seven")

    finisher = learner_in("a@example.jp", shinjuku)
    stopper = learner_in("b@example.jp", shinjuku)
    newcomer = learner_in("c@example.jp", suita)
    for user in (finisher, stopper, newcomer):
        learning.enrol(user, course)
    learning.complete_lesson(finisher, seven)
    right = QueryDict(mutable=True)
    right[f"q-{question.pk}"] = "true"
    quizzes.submit_attempt(quizzes.start_attempt(finisher, steps), right)  # 100: completes
    learning.complete_lesson(stopper, seven)
    quizzes.submit_attempt(quizzes.start_attempt(stopper, steps), QueryDict())  # 0
    return course


def test_reports_are_for_staff_with_the_permission_only(client, cohort):
    url = reverse("learning_reports")
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(UserFactory(email="learner@example.jp"))
    assert client.get(url).status_code in (302, 403)
    editor = UserFactory(email="editor@example.jp")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    for page in (url, reverse("learning_report", args=[cohort.pk])):
        response = client.get(page, {"format": "csv"})
        # Wagtail turns the refusal into a message on the admin's home page.
        assert (response.status_code, response.url) == (302, "/admin/")


def test_course_figures(client, cohort, staff):
    client.force_login(staff)
    html = client.get(reverse("learning_reports")).content.decode()
    assert "K1 自治体DXとガバナンス" in html
    rows = read_csv(client.get(reverse("learning_reports"), {"format": "csv"}))
    assert rows[0][:3] == ["コース", "受講登録", "修了"]
    assert rows[1] == ["K1 自治体DXとガバナンス", "3", "1", "33", "50.0"]


def test_lesson_drop_off_and_areas(client, cohort, staff):
    client.force_login(staff)
    url = reverse("learning_report", args=[cohort.pk])
    html = client.get(url).content.decode()
    assert "<meter" in html and "<table" in html  # a chart and the table it shows
    lessons = read_csv(client.get(url, {"format": "csv", "table": "lessons"}))
    assert [row[:3] for row in lessons[1:]] == [
        ["7つの重点取組", "3", "2"],
        ["全体手順書", "3", "1"],
        ["参考: 他団体の体制", "3", "0"],
    ]
    assert lessons[2][4] == "50.0"
    prefectures = read_csv(client.get(url, {"format": "csv", "table": "prefectures"}))
    assert prefectures[1:] == [["東京都", "2", "1", "50", "50.0"], ["大阪府", "1", "0", "0", ""]]
    municipalities = read_csv(client.get(url, {"format": "csv", "table": "municipalities"}))
    assert municipalities[1][0] == "東京都 新宿区"


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def report_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_report_queries_are_the_same_for_10_and_100_enrolments(client, cohort, staff):
    client.force_login(staff)
    urls = [reverse("learning_reports"), reverse("learning_report", args=[cohort.pk])]
    prefecture = PrefectureFactory(
        code="01", name="北海道", kana="ほっかいどう", name_en="Hokkaido"
    )

    def more_learners(count, start):
        for n in range(start, start + count):
            user = learner_in(f"more{n}@example.jp", MunicipalityFactory(prefecture=prefecture))
            learning.enrol(user, cohort)
            learning.complete_lesson(user, LessonPage.objects.get(slug="seven"))

    more_learners(7, 0)  # with the cohort's three: 10 enrolments
    ten = [report_queries(client, url) for url in urls]
    more_learners(90, 7)
    assert cohort.enrolments.count() == 100
    assert [report_queries(client, url) for url in urls] == ten

"""The learner's side of course runs (curriculum/views.py): the run's page and joining it, the
deadlines on My learning, the calendar page."""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from curriculum import progress as learning
from curriculum import runs
from curriculum.models import CalendarFeed, Enrolment
from tests.factories import CoursePageFactory, CourseRunFactory, LiveSessionFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


@pytest.fixture
def town_learner(client, hiroshima, member):
    user = member("fuchu@example.jp", hiroshima["fuchu"], name="府中 花子")
    client.force_login(user)
    return user


def test_a_member_of_the_area_joins_from_the_run_page(client, town_learner, prefecture_run):
    LiveSessionFactory(run=prefecture_run, meeting_url="https://meet.example.jp/r8")
    url = reverse("curriculum:run", args=[prefecture_run.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "この開講に参加する" in text_of(page)
    # The meeting link is for the run's learners.
    assert "https://meet.example.jp/r8" not in page.content.decode()
    response = client.post(reverse("curriculum:join_run", args=[prefecture_run.pk]), follow=True)
    assert Enrolment.objects.get(user=town_learner).run == prefecture_run
    assert f"{prefecture_run.title}に参加しました" in text_of(response)
    page = client.get(url)
    assert "この開講に登録済みです" in text_of(page)
    assert "https://meet.example.jp/r8" in page.content.decode()


def test_a_member_outside_the_area_is_told_why(client, hiroshima, member, prefecture_run):
    client.force_login(member("suita@example.jp", hiroshima["suita"]))
    page = text_of(client.get(reverse("curriculum:run", args=[prefecture_run.pk])))
    assert "この開講は広島県とその市区町村の職員が対象です" in page
    assert "この開講に参加する" not in page
    response = client.post(reverse("curriculum:join_run", args=[prefecture_run.pk]), follow=True)
    assert "この開講は広島県とその市区町村の職員が対象です" in text_of(response)
    assert not Enrolment.objects.exists()


def test_a_full_or_closed_run_says_so(client, town_learner, course, hiroshima, member):
    run = CourseRunFactory(course=course, owner=hiroshima["government"], capacity=1)
    runs.invite(run, [member("first@example.jp", hiroshima["fuchu"]).email])
    assert "定員に達しています" in text_of(client.get(reverse("curriculum:run", args=[run.pk])))
    response = client.post(reverse("curriculum:join_run", args=[run.pk]), follow=True)
    assert "定員に達しています" in text_of(response)
    today = runs.today()
    closed = CourseRunFactory(
        course=course,
        owner=hiroshima["government"],
        enrolment_opens=today - timedelta(days=9),
        enrolment_closes=today - timedelta(days=2),
    )
    page = text_of(client.get(reverse("curriculum:run", args=[closed.pk])))
    assert f"受付は {today - timedelta(days=2):%Y-%m-%d} に終了しました" in page
    later = CourseRunFactory(
        course=course,
        owner=hiroshima["government"],
        enrolment_opens=today + timedelta(days=2),
        enrolment_closes=today + timedelta(days=9),
    )
    page = text_of(client.get(reverse("curriculum:run", args=[later.pk])))
    assert f"受付は {today + timedelta(days=2):%Y-%m-%d} に始まります" in page
    invited = CourseRunFactory(course=course, owner=hiroshima["government"], self_enrolment=False)
    page = text_of(client.get(reverse("curriculum:run", args=[invited.pk])))
    assert "担当者が登録または招待します" in page and "この開講に参加する" not in page


def test_a_run_of_an_unpublished_course_is_not_found(client, town_learner, prefecture_run):
    prefecture_run.course.unpublish()
    assert client.get(reverse("curriculum:run", args=[prefecture_run.pk])).status_code == 404
    response = client.post(reverse("curriculum:join_run", args=[prefecture_run.pk]))
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_visitors_sign_in_first(client, prefecture_run):
    response = client.get(reverse("curriculum:run", args=[prefecture_run.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_learning_orders_work_by_deadline_and_marks_overdue(
    client, town_learner, course, hiroshima
):
    today = runs.today()
    soon = CoursePageFactory(parent=course.get_parent(), slug="soon", code="K2", title="間近")
    late = CoursePageFactory(parent=course.get_parent(), slug="late", code="K3", title="遅延")
    learning.enrol(town_learner, course)  # self-paced: no deadline, listed after
    for page, days in ((soon, 3), (late, -4)):
        run = CourseRunFactory(
            course=page,
            owner=hiroshima["government"],
            title=f"{page.title}の開講",
            enrolment_opens=today - timedelta(days=30),
            starts_on=today - timedelta(days=30),
            enrolment_closes=today + timedelta(days=min(days, 0)),
            deadline=today + timedelta(days=days),
        )
        runs.invite(run, [town_learner.email])
    LiveSessionFactory(run=run, place="県庁 講堂")
    page = client.get(reverse("curriculum:dashboard"))
    soup = BeautifulSoup(page.content, "html.parser")
    titles = [h3.get_text(strip=True) for h3 in soup.select(".dashboard__course h3")]
    assert titles == ["K3 遅延", "K2 間近", "K1 自治体DXとガバナンス"]
    deadlines = [p.get_text(" ", strip=True) for p in soup.select(".dashboard__deadline")]
    assert "期限切れ" in deadlines[0] and f"{today - timedelta(days=4):%Y-%m-%d}" in deadlines[0]
    assert "あと 3 日" in deadlines[1]
    assert len(deadlines) == 2  # the self-paced course has none
    text = text_of(page)
    assert "予定のライブ講義" in text and "県庁 講堂" in text
    assert soup.find("a", href=reverse("curriculum:calendar"))


def test_a_completed_run_shows_no_countdown(client, town_learner, prefecture_run):
    runs.invite(prefecture_run, [town_learner.email])
    Enrolment.objects.update(completed_at=timezone.now())
    soup = BeautifulSoup(client.get(reverse("curriculum:dashboard")).content, "html.parser")
    deadline = soup.select_one(".dashboard__deadline").get_text(" ", strip=True)
    assert "あと" not in deadline and "期限切れ" not in deadline


def test_the_course_page_names_the_run(client, town_learner, prefecture_run, course):
    runs.invite(prefecture_run, [town_learner.email])
    text = text_of(client.get(course.url))
    assert f"{prefecture_run.title}の受講です" in text


def test_the_calendar_page_gives_a_working_address_and_renews_it(client, town_learner):
    page = client.get(reverse("curriculum:calendar"))
    soup = BeautifulSoup(page.content, "html.parser")
    address = soup.select_one("#feed-url")["value"]
    assert re.match(r"^http://testserver/learn/calendar/[^/]+\.ics$", address)
    assert soup.find("a", href=address.replace("http://", "webcal://"))
    assert client.get(address).status_code == 200
    response = client.post(reverse("curriculum:calendar"), follow=True)
    assert "新しいアドレス" in text_of(response)
    renewed = BeautifulSoup(response.content, "html.parser").select_one("#feed-url")["value"]
    assert renewed != address
    assert client.get(address).status_code == 404
    assert client.get(renewed).status_code == 200
    assert CalendarFeed.objects.count() == 1

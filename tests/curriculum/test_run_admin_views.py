"""Course runs in the Wagtail admin (curriculum/run_admin_views.py): the learner list for the
staff of the organising body, filters, CSV and Excel, the completion list, enrolment, attendance,
the run's admin form, and a query count that does not grow with the learners."""

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from curriculum import progress as learning
from curriculum import runs
from curriculum.credentials.models import OrganisationReporter
from curriculum.models import Attendance, CourseRun, Enrolment, LessonPage, LiveSession
from people.models import Municipality
from tests.factories import CourseRunFactory, LiveSessionFactory, MunicipalityFactory, valid_code

pytestmark = pytest.mark.django_db


def staff(member, email, organisation, *codenames):
    user = member(email, organisation)
    group, _created = Group.objects.get_or_create(name="+".join(["staff", *codenames]))
    group.permissions.set(Permission.objects.filter(codename__in=["access_admin", *codenames]))
    user.groups.add(group)
    if organisation is not None:
        OrganisationReporter.objects.create(user=user, municipality=organisation)
    return user


@pytest.fixture
def cohort(prefecture_run, course, hiroshima, member):
    """Three learners of 広島県's run: one finished (府中町), one started (広島市), one not
    (府中町, whose name would be a formula in a spreadsheet)."""
    lessons = {lesson.slug: lesson for lesson in LessonPage.objects.descendant_of(course)}
    finisher = member("a@example.jp", hiroshima["fuchu"], name="府中 一郎")
    started = member("b@example.jp", hiroshima["city"], name="広島 二郎")
    idle = member("c@example.jp", hiroshima["fuchu"], name="=HYPERLINK(1)")
    runs.invite(prefecture_run, [u.email for u in (finisher, started, idle)])
    for lesson in ("seven", "steps"):
        learning.complete_lesson(finisher, lessons[lesson])
    learning.complete_lesson(started, lessons["seven"])
    return {"finisher": finisher, "started": started, "idle": idle}


def as_user(client, user):
    client.force_login(user)
    return client


def learners_url(run, **query):
    url = reverse("course_run_learners", args=[run.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def names(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [th.contents[0].strip() for th in soup.select("table.run-learners tbody th")]


def test_the_prefecture_s_staff_see_every_learner(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "ken@example.jp", hiroshima["government"], "view_organisation_report")
    response = as_user(client, user).get(learners_url(prefecture_run))
    assert response.status_code == 200
    assert names(response) == ["広島 二郎", "=HYPERLINK(1)", "府中 一郎"]
    text = response.content.decode()
    assert "修了: 1" in text and "受講中: 1" in text and "未着手: 1" in text
    # They may not enrol (no enrolment permission) nor take attendance.
    assert reverse("course_run_enrol", args=[prefecture_run.pk]) not in text
    assert client.get(reverse("course_run_enrol", args=[prefecture_run.pk])).status_code == 302


def test_filters_by_municipality_and_status(client, member, hiroshima, prefecture_run, cohort):
    user = staff(member, "ken@example.jp", hiroshima["government"], "view_organisation_report")
    as_user(client, user)
    fuchu = hiroshima["fuchu"].pk
    assert names(client.get(learners_url(prefecture_run, municipality=fuchu))) == [
        "=HYPERLINK(1)",
        "府中 一郎",
    ]
    assert names(client.get(learners_url(prefecture_run, status="completed"))) == ["府中 一郎"]
    assert names(client.get(learners_url(prefecture_run, status="not_started"))) == [
        "=HYPERLINK(1)"
    ]
    assert names(client.get(learners_url(prefecture_run, status="in_progress"))) == ["広島 二郎"]
    # An unknown status or municipality is no filter, not an error.
    assert len(names(client.get(learners_url(prefecture_run, status="x", municipality="y")))) == 3


def test_a_town_s_staff_see_their_own_learners_only(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "town@example.jp", hiroshima["fuchu"], "view_organisation_report")
    as_user(client, user)
    response = client.get(learners_url(prefecture_run, municipality=hiroshima["city"].pk))
    assert names(response) == ["=HYPERLINK(1)", "府中 一郎"]  # the filter cannot widen it
    assert "広島市" not in BeautifulSoup(response.content, "html.parser").select_one("form").text
    rows = csv_rows(client.get(learners_url(prefecture_run, format="csv")))
    assert {row[1] for row in rows[1:]} == {"a@example.jp", "c@example.jp"}
    completions = client.get(reverse("course_run_completions", args=[prefecture_run.pk]))
    assert "府中 一郎" in completions.content.decode()


def test_another_prefecture_s_staff_get_not_found(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "osaka@example.jp", hiroshima["suita"], "view_organisation_report")
    as_user(client, user)
    for name in ("course_run_learners", "course_run_completions", "course_run_enrol"):
        assert client.get(reverse(name, args=[prefecture_run.pk])).status_code == 404, name
    assert prefecture_run.title not in client.get(reverse("course_runs")).content.decode()


def test_members_without_any_run_are_refused(client, member, hiroshima, prefecture_run):
    user = staff(member, "editor@example.jp", None)  # admin access only
    as_user(client, user)
    for url in (reverse("course_runs"), learners_url(prefecture_run)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_facilitators_see_the_list_and_take_attendance(
    client, member, hiroshima, prefecture_run, cohort
):
    lecturer = staff(member, "lecturer@example.jp", None)
    prefecture_run.facilitators.add(lecturer)
    session = LiveSessionFactory(run=prefecture_run)
    as_user(client, lecturer)
    assert prefecture_run.title in client.get(reverse("course_runs")).content.decode()
    page = client.get(learners_url(prefecture_run))
    assert len(names(page)) == 3
    url = reverse("course_run_attendance", args=[prefecture_run.pk, session.pk])
    assert url in page.content.decode()
    sheet = client.get(url)
    assert sheet.status_code == 200 and "府中 一郎" in sheet.content.decode()
    response = client.post(url, {"present": [cohort["finisher"].pk, cohort["idle"].pk]})
    assert response.status_code == 302
    assert dict(Attendance.objects.values_list("user", "present")) == {
        cohort["finisher"].pk: True,
        cohort["started"].pk: False,
        cohort["idle"].pk: True,
    }
    assert Attendance.objects.filter(recorded_by=lecturer).count() == 3
    rows = {r.user.pk: r for r in runs.learner_list(prefecture_run).rows}
    assert rows[cohort["finisher"].pk].attended == 1
    # Facilitators do not enrol.
    assert client.get(reverse("course_run_enrol", args=[prefecture_run.pk])).status_code == 302


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_and_xlsx_hold_the_same_rows_and_no_formulas(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "ken@example.jp", hiroshima["government"], "view_organisation_report")
    as_user(client, user)
    rows = csv_rows(client.get(learners_url(prefecture_run, format="csv")))
    header = rows[0]
    assert header[:4] == ["氏名", "メールアドレス", "都道府県", "所属団体"]
    assert "修了日" in header and "締切" in header
    by_email = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    finished = by_email["a@example.jp"]
    assert finished["状態"] == "修了" and finished["進捗(%)"] == "100"
    assert finished["修了日"] == f"{runs.today():%Y-%m-%d}"
    assert by_email["c@example.jp"]["氏名"] == "'=HYPERLINK(1)"
    assert by_email["b@example.jp"]["所属団体"] == "広島市"

    response = client.get(learners_url(prefecture_run, format="xlsx", status="completed"))
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == header
    assert [row[1] for row in values[1:]] == ["a@example.jp"]  # the filter applies
    response = client.get(learners_url(prefecture_run, format="xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'=HYPERLINK(1)" in [cell.value for cell in cells]
    deadline = next(sheet.iter_rows(min_row=2))[len(header) - 1]
    assert deadline.value.date() == prefecture_run.deadline  # a date, not text


def test_the_completion_list_names_those_who_completed(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "ken@example.jp", hiroshima["government"], "view_organisation_report")
    response = as_user(client, user).get(
        reverse("course_run_completions", args=[prefecture_run.pk])
    )
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.text == "修了者一覧"
    rows = soup.select(".completion-list__table tbody tr")
    assert len(rows) == 1
    assert "府中 一郎" in rows[0].text and "府中町" in rows[0].text
    assert prefecture_run.title in soup.text


def test_staff_who_may_enrol_enrol_a_municipality_and_invite(
    client, member, hiroshima, prefecture_run, django_capture_on_commit_callbacks
):
    user = staff(
        member,
        "ken@example.jp",
        hiroshima["government"],
        "view_organisation_report",
        "add_enrolment",
    )
    town = [member(f"t{n}@example.jp", hiroshima["fuchu"]) for n in range(2)]
    member("osaka@example.jp", hiroshima["suita"])
    as_user(client, user)
    url = reverse("course_run_enrol", args=[prefecture_run.pk])
    form = BeautifulSoup(client.get(url).content, "html.parser")
    options = {o.text for o in form.select("select[name=municipality] option")}
    assert any("府中町" in o for o in options) and not any("吹田市" in o for o in options)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"municipality": hiroshima["fuchu"].pk})
    assert "2 人を開講に登録しました" in response.content.decode()
    assert set(Enrolment.objects.filter(run=prefecture_run).values_list("user", flat=True)) == {
        u.pk for u in town
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["t0@example.jp", "t1@example.jp"]
    assert prefecture_run.title in mail.outbox[0].subject
    # A municipality outside the run's area is not even a choice.
    response = client.post(url, {"municipality": hiroshima["suita"].pk})
    assert Enrolment.objects.count() == 2
    response = client.post(url, {"typed": "t0@example.jp\nnobody@example.jp"})
    text = response.content.decode()
    assert "nobody@example.jp" in text and "1 人はすでに登録済み" in text


def test_enrolment_beyond_capacity_enrols_nobody(client, member, hiroshima, course):
    run = CourseRunFactory(course=course, owner=hiroshima["government"], capacity=1)
    user = staff(member, "all@example.jp", None, "view_enrolment", "add_enrolment")
    for n in range(2):
        member(f"t{n}@example.jp", hiroshima["fuchu"])
    response = as_user(client, user).post(
        reverse("course_run_enrol", args=[run.pk]), {"municipality": hiroshima["fuchu"].pk}
    )
    assert "定員が足りません" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_a_session_of_another_run_is_not_found(client, member, hiroshima, prefecture_run, course):
    other = CourseRunFactory(course=course, owner=hiroshima["government"], title="第2期")
    session = LiveSessionFactory(run=other)
    user = staff(member, "all@example.jp", None, "view_enrolment", "add_enrolment")
    url = reverse("course_run_attendance", args=[prefecture_run.pk, session.pk])
    assert as_user(client, user).get(url).status_code == 404


def test_the_index_lists_the_runs_with_their_figures(
    client, member, hiroshima, prefecture_run, cohort
):
    user = staff(member, "all@example.jp", None, "view_enrolment")
    page = as_user(client, user).get(reverse("course_runs"))
    row = BeautifulSoup(page.content, "html.parser").select_one("table.listing tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
    assert cells[0] == prefecture_run.title
    assert cells[4] == "3 / 10" and cells[5] == "1"


def test_the_reports_menu_offers_runs_to_those_who_follow_them(
    client, member, hiroshima, prefecture_run
):
    editor = staff(member, "editor@example.jp", None)
    url = reverse("course_runs")
    assert url not in as_user(client, editor).get(reverse("wagtailadmin_home")).content.decode()
    lecturer = staff(member, "lecturer@example.jp", None)
    prefecture_run.facilitators.add(lecturer)
    assert url in as_user(client, lecturer).get(reverse("wagtailadmin_home")).content.decode()


def test_the_learner_list_s_queries_do_not_grow_with_its_learners(
    client, member, hiroshima, prefecture_run, course
):
    lessons = list(LessonPage.objects.descendant_of(course).filter(required=True))
    session = LiveSessionFactory(run=prefecture_run)
    user = staff(member, "ken@example.jp", hiroshima["government"], "view_organisation_report")
    places = [hiroshima["fuchu"], hiroshima["city"], hiroshima["ward"]]

    def add(start, count):
        for n in range(start, start + count):
            learner = member(f"l{n}@example.jp", places[n % 3])
            runs.invite(prefecture_run, [learner.email])
            learning.complete_lesson(learner, lessons[n % len(lessons)])
            Attendance.objects.create(session=session, user=learner, present=n % 2 == 0)

    def measure(query=""):
        url = learners_url(prefecture_run) + query
        client.get(url)  # warm: content types, locales
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response

    as_user(client, user)
    add(0, 3)
    small, response = measure()
    small_csv, _ = measure("?format=csv")
    assert len(names(response)) == 3
    add(3, 6)
    large, response = measure()
    large_csv, _ = measure("?format=csv")
    assert len(names(response)) == 9
    assert small == large
    assert small_csv == large_csv


def test_the_run_is_opened_in_the_admin_with_its_sessions(client, member, hiroshima, course):
    admin = member("admin@example.jp", is_staff=True, is_superuser=True)
    lecturer = member("lecturer@example.jp", hiroshima["government"])
    as_user(client, admin)
    url = reverse("wagtailsnippets_curriculum_courserun:add")
    page = client.get(url)
    assert page.status_code == 200
    assert b"data-municipality-filter" in page.content
    today = runs.today()
    data = {
        "course": course.pk,
        "title": "広島県 CIO補佐官 育成研修 令和8年度",
        "owner": hiroshima["government"].pk,
        "owner_name": "",
        "enrolment_opens": f"{today:%Y-%m-%d}",
        "enrolment_closes": f"{today + timedelta(days=7):%Y-%m-%d}",
        "starts_on": f"{today:%Y-%m-%d}",
        "deadline": f"{today + timedelta(days=21):%Y-%m-%d}",
        "capacity": "30",
        "self_enrolment": "on",
        "facilitators": "Lecturer@example.jp",
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        "sessions-0-starts_at": f"{today + timedelta(days=3):%Y-%m-%d} 14:00",
        "sessions-0-ends_at": f"{today + timedelta(days=3):%Y-%m-%d} 16:00",
        "sessions-0-place": "県庁 講堂",
        "sessions-0-meeting_url": "https://meet.example.jp/r8",
        "sessions-0-note": "",
        "sessions-0-ORDER": "1",
        "sessions-0-DELETE": "",
        "sessions-0-id": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, BeautifulSoup(response.content, "html.parser").select(
        ".error-message"
    )
    run = CourseRun.objects.get()
    assert (run.owner, run.capacity, run.created_by) == (hiroshima["government"], 30, admin)
    assert list(run.facilitators.all()) == [lecturer]
    session = LiveSession.objects.get()
    assert timezone.localtime(session.starts_at).hour == 14
    # The edit form shows the facilitators by address, and an unknown address is refused.
    edit = reverse("wagtailsnippets_curriculum_courserun:edit", args=[run.pk])
    assert "lecturer@example.jp" in client.get(edit).content.decode()
    data.update(
        {
            "facilitators": "nobody@example.jp",
            "sessions-INITIAL_FORMS": "1",
            "sessions-0-id": str(session.pk),
        }
    )
    response = client.post(edit, data)
    assert response.status_code == 200
    assert "nobody@example.jp" in response.content.decode()
    assert list(run.facilitators.all()) == [lecturer]
    data.update({"facilitators": "", "sessions-0-meeting_url": "http://meet.example.jp/r8"})
    response = client.post(edit, data)
    assert response.status_code == 200
    errors = BeautifulSoup(response.content, "html.parser").select(".error-message")
    assert "https:// で始まるアドレスを入力してください" in " ".join(e.text for e in errors), errors


def test_a_course_with_runs_is_not_deleted(client, member, prefecture_run, course):
    admin = member("admin@example.jp", is_staff=True, is_superuser=True)
    url = reverse("wagtailadmin_pages:delete", args=[course.pk])
    response = as_user(client, admin).post(url, follow=True)
    assert prefecture_run.title in response.content.decode()
    assert type(course).objects.filter(pk=course.pk).exists()
    CourseRun.objects.all().delete()
    as_user(client, admin).post(url)
    assert not type(course).objects.filter(pk=course.pk).exists()


RUN_PERMISSIONS = ("add_courserun", "change_courserun", "delete_courserun", "view_courserun")


def run_form(course, owner, title="府中町 DX研修 令和8年度"):
    today = runs.today()
    return {
        "course": course.pk,
        "title": title,
        "owner": owner.pk,
        "owner_name": "",
        "enrolment_opens": f"{today:%Y-%m-%d}",
        "enrolment_closes": f"{today + timedelta(days=7):%Y-%m-%d}",
        "starts_on": f"{today:%Y-%m-%d}",
        "deadline": f"{today + timedelta(days=21):%Y-%m-%d}",
        "capacity": "",
        "self_enrolment": "on",
        "facilitators": "",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
    }


def test_a_prefecture_s_staff_open_runs_of_their_prefecture_only(
    client, member, hiroshima, course, prefecture_run
):
    user = staff(
        member,
        "ken@example.jp",
        hiroshima["government"],
        "view_organisation_report",
        *RUN_PERMISSIONS,
    )
    osaka_government = MunicipalityFactory(
        prefecture=hiroshima["osaka"],
        code=valid_code("27000"),
        name="大阪府",
        kind=Municipality.Kind.PREFECTURE,
    )
    osaka_run = CourseRunFactory(course=course, owner=osaka_government, title="大阪府の研修")
    academy_run = CourseRunFactory(course=course, owner=None, owner_name="アカデミー", title="全国")
    as_user(client, user)
    add = reverse("wagtailsnippets_curriculum_courserun:add")
    form = BeautifulSoup(client.get(add).content, "html.parser")
    offered = {
        o.text.split("（")[0] for o in form.select("select[name=owner] option") if o["value"]
    }
    assert offered == {"広島県", "広島市", "中区", "府中町"}
    # No academy runs for them: the organiser's name is neither shown nor taken.
    assert form.select("[name=owner_name]") == []
    assert "実施主体の名称" not in form.text
    # Another prefecture's organiser is refused, and so is leaving it empty.
    for owner in (hiroshima["suita"], osaka_government):
        response = client.post(add, run_form(course, owner))
        assert response.status_code == 200
    response = client.post(add, {**run_form(course, hiroshima["fuchu"]), "owner": ""})
    assert response.status_code == 200
    posted = {**run_form(course, hiroshima["fuchu"]), "owner_name": "アカデミー"}
    assert client.post(add, posted).status_code == 302
    created = CourseRun.objects.get(title="府中町 DX研修 令和8年度")
    assert (created.owner, created.owner_name, created.created_by) == (hiroshima["fuchu"], "", user)
    # The listing shows their prefecture's runs; others' runs are not theirs to edit or delete.
    listing = client.get(reverse("wagtailsnippets_curriculum_courserun:list")).content.decode()
    assert prefecture_run.title in listing and created.title in listing
    assert "大阪府の研修" not in listing and "全国" not in listing
    for other in (osaka_run, academy_run):
        for view in ("edit", "delete", "history", "usage"):
            url = reverse(f"wagtailsnippets_curriculum_courserun:{view}", args=[other.pk])
            assert client.get(url).status_code == 404, (view, other)
        client.post(reverse("wagtailsnippets_curriculum_courserun:delete", args=[other.pk]))
        assert CourseRun.objects.filter(pk=other.pk).exists()
    for view in ("edit", "delete", "history", "usage"):
        url = reverse(f"wagtailsnippets_curriculum_courserun:{view}", args=[prefecture_run.pk])
        assert client.get(url).status_code == 200, view


def test_a_town_s_staff_open_runs_of_their_town_only(client, member, hiroshima, course):
    user = staff(
        member, "town@example.jp", hiroshima["fuchu"], "view_organisation_report", *RUN_PERMISSIONS
    )
    assert list(runs.organisers_for(user)) == [hiroshima["fuchu"]]
    as_user(client, user)
    add = reverse("wagtailsnippets_curriculum_courserun:add")
    assert client.post(add, run_form(course, hiroshima["government"])).status_code == 200
    assert client.post(add, run_form(course, hiroshima["fuchu"])).status_code == 302


def test_run_permissions_without_an_organisation_open_no_run(client, member, hiroshima, course):
    user = staff(member, "loose@example.jp", None, *RUN_PERMISSIONS)
    assert not runs.organisers_for(user).exists()
    as_user(client, user)
    add = reverse("wagtailsnippets_curriculum_courserun:add")
    assert client.post(add, run_form(course, hiroshima["fuchu"])).status_code == 200
    assert not CourseRun.objects.exists()

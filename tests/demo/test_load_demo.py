from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import Locale, Page, Revision, Site

from core.models import HomePage, Topic
from curriculum import runs
from curriculum.credentials.models import (
    Award,
    CredentialCompetency,
    CredentialDefinition,
    CredentialRule,
    ExternalAlignment,
    SigningKey,
)
from curriculum.models import (
    Choice,
    Competency,
    CourseCompetency,
    CoursePage,
    CourseRun,
    Enrolment,
    LessonCompletion,
    LessonPage,
    LiveSession,
    Quiz,
    QuizItem,
    QuizQuestion,
    Role,
    RoleRequirement,
)
from knowledge.models import Answer, Comment, Question, Vote
from people.models import Municipality, Prefecture, Profile
from search.models import SynonymGroup

pytestmark = pytest.mark.django_db(transaction=False)

COUNTED = [
    get_user_model(),
    Profile,
    EmailAddress,
    Page,
    Revision,
    Site,
    Locale,
    Topic,
    Municipality,
    Prefecture,
    Profile.expertise.through,
    SynonymGroup,
    Competency,
    Role,
    RoleRequirement,
    CourseCompetency,
    CoursePage.target_roles.through,
    CoursePage.prerequisites.through,
    Enrolment,
    CourseRun,
    LiveSession,
    LessonCompletion,
    Quiz,
    QuizItem,
    Choice,
    QuizQuestion,
    CredentialDefinition,
    CredentialRule,
    CredentialCompetency,
    ExternalAlignment,
    Award,
    SigningKey,
    Question,
    Answer,
    Vote,
    Comment,
]


def row_counts():
    return {model._meta.label: model.objects.count() for model in COUNTED}


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_builds_the_site_and_is_idempotent(client):
    output = load_demo()
    first = row_counts()
    # The personas, the four peers who answer, the five fictional candidates of the talent pool.
    assert first["people.User"] == 6 + 4 + 5
    assert first["core.Topic"] >= 20
    assert first["sitesearch.SynonymGroup"] >= 20
    assert first["people.Municipality"] == 47 + 1916
    assert "learner@example.jp" in output

    load_demo()
    assert row_counts() == first

    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert client.get("/").status_code == 200
    assert client.get("/en/").status_code == 200
    assert client.get("/about/").status_code == 200
    assert client.get("/en/about/").status_code == 200


def test_load_demo_builds_the_curriculum(client):
    output = load_demo()
    assert first_line_with(output, "Courses:") == "Courses: /courses/"
    assert Competency.objects.count() == 14
    assert list(Role.objects.values_list("code", flat=True)) == [f"R{n}" for n in range(6)]
    cio = Role.objects.get(code="R5")
    assert {(r.competency.code, r.level) for r in cio.requirements.all()} >= {("C1", 4), ("C12", 4)}
    courses = CoursePage.objects.filter(locale__language_code="ja").order_by("code")
    assert [c.code for c in courses] == [f"K{n}" for n in range(1, 9)]
    for course in courses:
        lessons = LessonPage.objects.descendant_of(course).live()
        assert lessons.count() >= 3, course.code
        assert course.competency_levels.exists(), course.code
        assert course.target_roles.exists(), course.code
        assert client.get(course.url).status_code == 200
        assert client.get(lessons.first().url).status_code == 200
        quiz_lesson = lessons.filter(quiz__isnull=False).get()
        assert quiz_lesson.quiz.quiz_questions.count() >= 6, course.code
        assert {q.question.kind for q in quiz_lesson.quiz.quiz_questions.all()} == {
            "single",
            "multiple",
            "true_false",
            "short",
        }
    # Saves skipped the index during the load; it was rebuilt once at the end.
    found = client.get("/search/", {"q": "ガバナンス", "format": "json"}).json()["results"]
    assert ("course", "/courses/cio-programme/k1-dx-governance/") in {
        (r["type"], r["url"]) for r in found
    }
    # Demo learners are at different stages.
    learner = get_user_model().objects.get(email="learner@example.jp")
    stages = {e.course.code: e.is_completed for e in Enrolment.objects.filter(user=learner)}
    assert stages == {"K1": False, "K2": True, "K3": False}
    # K1 is in 広島県's fiscal-year run, due in about three weeks, with one live session.
    run = Enrolment.objects.get(user=learner, course__code="K1").run
    assert (run.title, run.owner.code) == ("広島県 CIO補佐官 育成研修 令和8年度", "340006")
    assert 14 <= (run.deadline - runs.today()).days <= 28
    assert run.sessions.count() == 1
    client.force_login(learner)
    dashboard = client.get("/learn/").content.decode()
    assert "続きから学習する" in dashboard and "に修了しました" in dashboard
    assert run.title in dashboard and "締切" in dashboard
    client.logout()
    # The English tree mirrors the Japanese one, with English titles.
    english = CoursePage.objects.filter(locale__language_code="en")
    assert english.count() == 8
    assert client.get("/en/courses/").status_code == 200


def first_line_with(output, marker):
    return next(line.strip() for line in output.splitlines() if marker in line)


def test_demo_accounts_can_sign_in_and_have_their_roles(client):
    load_demo()
    User = get_user_model()
    assert User.objects.get(email="admin@example.jp").is_superuser
    moderator = User.objects.get(email="moderator@example.jp")
    assert moderator.groups.filter(name="Moderators").exists()
    assert moderator.has_perm("wagtailadmin.access_admin")
    assert not User.objects.get(email="learner@example.jp").has_perm("wagtailadmin.access_admin")
    # The prefecture's training staff open their own prefecture's runs and no one else's.
    trainer = User.objects.get(email="trainer@example.jp")
    assert trainer.has_perm("curriculum.add_courserun")
    assert not trainer.has_perm("curriculum.view_enrolment")
    hiroshima_run = CourseRun.objects.get(owner__code="340006")
    assert runs.access(trainer, hiroshima_run).sees_everyone
    organisers = runs.organisers_for(trainer)
    assert organisers.filter(code="343021").exists()  # 府中町, a municipality of the prefecture
    assert not organisers.filter(code="380008").exists()  # 愛媛県
    assert runs.access(User.objects.get(email="moderator@example.jp"), hiroshima_run) is None
    response = client.post(
        "/accounts/login/", {"login": "learner@example.jp", "password": "cio-demo-2026"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_load_demo_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("load_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()


def test_demo_learners_hold_credentials_that_verify(client):
    output = load_demo()
    learner = get_user_model().objects.get(email="learner@example.jp")
    held = Award.objects.filter(user=learner).select_related("definition")
    assert {a.definition.slug: a.method for a in held} == {
        "bpr-practitioner": "auto",
        "cloud-security-basics": "manual",
    }
    public = held.get(is_public=True)
    assert first_line_with(output, "Credentials:").endswith(public.get_absolute_url())
    # The journey of the issue: download, paste, verified; edit one character, told why not.
    client.force_login(learner)
    wallet = client.get("/credentials/").content.decode()
    assert "BPR・業務可視化 実践" in wallet
    text = client.get(f"/credentials/{public.uuid}/credential.json").content.decode()
    page = client.post("/credentials/verify/", {"text": text})
    assert page.context["report"].verified
    edited = text.replace("業務フロー", "業務フロウ", 1)
    assert edited != text
    refused = client.post("/credentials/verify/", {"text": edited})
    assert not refused.context["report"].verified
    assert refused.context["report"].errors[0].startswith("signature: ")


def test_demo_knowledge_base_holds_the_field_guides_twenty_questions(client):
    output = load_demo()
    from django.conf import settings

    practitioner = Question.objects.filter(source__isnull=True)
    assert practitioner.count() == 20
    assert practitioner.values("author").distinct().count() >= 4
    assert Answer.objects.filter(question__in=practitioner).values("author").distinct().count() >= 4
    assert practitioner.filter(accepted_answer__isnull=False).count() >= 15
    assert practitioner.filter(answer_count=0).exists()
    assert practitioner.filter(is_anonymous=True).exists()
    assert Vote.objects.exists()
    # The scores are the sums of the votes.
    for question in practitioner:
        assert question.score == sum(question.votes.values_list("value", flat=True))
    glossary = settings.BASE_DIR.parent / "shared" / "data" / "gov-cio-jp" / "stdwords"
    if glossary.is_dir():
        assert Question.objects.filter(source__isnull=False).count() == 109
        assert "政府CIOポータル 標準ガイドライン群用語集" in output
        found = client.get("/search/", {"q": "提案依頼書", "format": "json"}).json()
        assert "ＲＦＰとは？" in [r["title"] for r in found["results"] if r["type"] == "question"]
    page = client.get(practitioner.get(title__startswith="RPAを試したい").get_absolute_url())
    assert page.status_code == 200


def test_the_moderators_accepted_answers_earn_the_knowledge_credential(client):
    load_demo()
    moderator = get_user_model().objects.get(email="moderator@example.jp")
    award = Award.objects.get(user=moderator, definition__slug="knowledge-contributor")
    assert award.method == "auto"
    assert len(award.evidence) == 5
    assert all(e["name"].startswith("採用された回答: ") for e in award.evidence)
    # Loading again awards nothing twice.
    load_demo()
    assert Award.objects.filter(user=moderator).count() == 1


def test_the_site_record_names_the_address_the_site_is_served_on(settings):
    """Wagtail's own links (approval e-mails, full page URLs) come from the site record."""
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8201"
    load_demo()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8201)
    assert site.root_page.specific.full_url == "http://127.0.0.1:8201/"
    # Served on another port later: the record follows.
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
    load_demo()
    assert Site.objects.get(is_default_site=True).root_url == "http://127.0.0.1:8000"

"""seed_scale: bulk scale data whose denormalised fields agree with the rows they summarise."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Q, Sum
from wagtail.models import Page

from casestudies.models import CaseStudyIndexPage, CaseStudyPage, PopulationBand
from curriculum.models import Enrolment, LessonCompletion, LessonPage
from demo.scale import EMAIL_DOMAIN, LONG_THREAD, ScaleGenerator, ScaleOptions, scale_users
from knowledge.models import Answer, Notification, Question, QuestionStatus, Visibility
from people.models import Municipality, Profile
from tests.curriculum.conftest import course  # noqa: F401 (a fixture)
from tests.factories import MunicipalityFactory, TopicFactory

SMALL = {"users": 30, "questions": 120, "answers": 300, "cases": 12, "enrolments": 20}


@pytest.fixture
def base_data(course, settings):  # noqa: F811
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    for slug, name in (("rpa", "RPA"), ("ai-ocr", "AI-OCR"), ("lgwan", "LGWAN")):
        TopicFactory(slug=slug, name_ja=name, name_en=name)
    MunicipalityFactory(name="府中町", kind=Municipality.Kind.TOWN)
    MunicipalityFactory(name="つくば市", kind=Municipality.Kind.CITY)
    home = course.get_ancestors().type(Page).filter(depth=2).first().specific
    index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def seed(**options):
    out = StringIO()
    call_command("seed_scale", **{**SMALL, **options}, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_members_have_verified_addresses_and_profiles_at_real_municipalities(base_data):
    output = seed()

    users = scale_users()
    assert users.count() == 30
    assert "30 users" in output and "update_index" in output
    assert EmailAddress.objects.filter(user__in=users, verified=True, primary=True).count() == 30
    profiles = Profile.objects.filter(user__in=users)
    assert profiles.filter(municipality__isnull=True).count() == 0
    assert all(" " in name for name in profiles.values_list("display_name", flat=True))
    # The one password hash works (the load test signs scale members in).
    assert users.first().check_password("cio-demo-2026")


def test_question_counters_agree_with_their_answers_and_votes(base_data):
    seed()

    questions = Question.objects.filter(author__email__endswith=EMAIL_DOMAIN).annotate(
        published_answers=Count("answers", filter=Q(answers__visibility=Visibility.PUBLISHED)),
        latest_answer=Max("answers__created_at", filter=Q(answers__visibility="published")),
    )
    assert questions.count() == 120
    assert Answer.objects.filter(question__in=questions).count() == 300
    for question in questions:
        assert question.answer_count == question.published_answers
        assert question.score == (question.votes.aggregate(s=Sum("value"))["s"] or 0)
        assert question.topics.exists()
        assert question.last_activity_at >= question.created_at
        if question.latest_answer:
            assert question.last_activity_at >= question.latest_answer
        if question.accepted_answer_id:
            accepted = question.accepted_answer
            assert accepted.question_id == question.pk
            assert accepted.visibility == Visibility.PUBLISHED
            assert accepted.author_id != question.author_id
        expected = question.status
        question.refresh_status()
        assert question.status == expected
        assert question.revisions.filter(number=1).exists()
    for answer in Answer.objects.filter(question__in=questions)[:100]:
        assert answer.score == (answer.votes.aggregate(s=Sum("value"))["s"] or 0)
        assert answer.created_at >= answer.question.created_at
    statuses = set(questions.values_list("status", flat=True))
    assert {QuestionStatus.ACCEPTED, QuestionStatus.ANSWERED, QuestionStatus.UNANSWERED} <= statuses
    assert Notification.objects.filter(kind=Notification.Kind.ANSWER).exists()
    # New questions get the next keys: the sequences were moved past the ones chosen in bulk.
    when = question.created_at
    later = Question.objects.create(
        title="後から", body="本文", last_activity_at=when, created_at=when
    )
    assert later.pk > max(questions.values_list("pk", flat=True))


def test_case_studies_are_published_pages_in_a_sound_tree(base_data, client):
    seed()

    cases = CaseStudyPage.objects.child_of(base_data).live()
    assert cases.count() == 12
    assert Page.find_problems() == ([], [], [], [], [])
    base_data.refresh_from_db()
    assert base_data.numchild == 12
    case = cases.first()
    assert case.population_band == PopulationBand.of(case.population)
    assert case.hours_saved_per_year == max(
        m.value for m in case.metrics.all() if m.kind == "hours_saved"
    )
    assert case.topics.exists() and case.authors.exists()
    assert client.get(case.url).status_code == 200
    assert client.get(base_data.url).status_code == 200
    # A page added the ordinary way after the bulk ones lands after them in the tree.
    base_data.add_child(
        instance=CaseStudyPage(title="後から", slug="later", municipality=case.municipality)
    )
    assert Page.find_problems() == ([], [], [], [], [])


def test_enrolments_are_one_per_member_and_course_with_consistent_progress(base_data, course):  # noqa: F811
    output = seed(enrolments=50)  # more than 30 members × 1 course

    assert Enrolment.objects.count() == 30
    assert "30 of the 50" in output
    required = list(LessonPage.objects.descendant_of(course).filter(required=True))
    for enrolment in Enrolment.objects.all():
        done = LessonCompletion.objects.filter(user=enrolment.user, lesson__in=required).count()
        assert (enrolment.completed_at is not None) == (done == len(required))
        assert enrolment.last_activity_at >= enrolment.enrolled_at


def test_the_same_seed_writes_the_same_data_and_reset_replaces_it(base_data):
    seed(seed=7)
    first = list(Question.objects.order_by("pk").values_list("title", "answer_count"))

    with pytest.raises(CommandError, match="--reset"):
        seed(seed=7)
    seed(seed=7, reset=True)

    again = list(Question.objects.order_by("pk").values_list("title", "answer_count"))
    assert again == first
    assert scale_users().count() == 30
    assert CaseStudyPage.objects.count() == 12
    assert Page.find_problems() == ([], [], [], [], [])


def test_without_the_base_data_it_says_to_load_the_demo(db):
    with pytest.raises(CommandError, match="load_demo"):
        seed()


def test_generator_reports_progress_per_stage(base_data):
    seen = []
    ScaleGenerator(
        ScaleOptions(**SMALL, batch_size=50), progress=lambda *args: seen.append(args)
    ).run()
    assert ("users", 30, 30) in seen
    assert ("questions", 50, 120) in seen and ("questions", 120, 120) in seen
    assert ("case studies", 12, 12) in seen and ("enrolments", 20, 20) in seen


def test_the_answers_include_a_long_thread_of_a_hundred_and_keep_their_total():
    """The benchmark's "question with 100 answers" exists at scale, and the total is as asked."""
    generator = ScaleGenerator(ScaleOptions(questions=5_000, answers=15_000, seed=7))
    visibilities = [Visibility.PUBLISHED] * 4_900 + [Visibility.PENDING] * 100
    counts = generator._answer_counts(visibilities)
    assert sum(counts) == 15_000
    assert max(counts) == LONG_THREAD
    assert all(count == 0 for count in counts[4_900:])

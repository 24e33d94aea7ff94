"""One small site with every role the permission matrix asks about, built once per test module.

The roles: anonymous; a learner (verified email, a private profile, enrolled, a quiz attempt, a
credential that is not public, notifications); a contributor (a published and a draft case study,
questions and answers); a moderator (Wagtail's "Moderators" group, and the facilitator of the
course run); staff (the "Editors" group, `is_staff`, and the learning-report and award
permissions a training office has); a superuser; and the administrator of another municipality
(the organisation report of their own municipality only; the course run `run` is their
organisation's, `foreign_run` another prefecture's). Each role except the anonymous one and the
superuser has a twin of the same role, for the probes in which one member asks for another's
objects.

The data is written once per module inside a transaction that is rolled back when the module
ends; each test then runs in a savepoint of its own (pytest-django's `db`), so what a POST
changes is undone before the next request."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation
from wagtail.documents import get_document_model
from wagtail.models import Locale, Page, Site
from wagtail_factories import ImageFactory

from casestudies import submission
from casestudies.models import Attachment, CaseStudyIndexPage, CaseStudyPage, Source
from core.translation import ensure_translation
from curriculum import ics, quizzes, runs
from curriculum import progress as learning
from curriculum.credentials import awarding
from curriculum.credentials.models import OrganisationReporter
from curriculum.models import (
    Choice,
    CourseRun,
    LessonPage,
    LiveSession,
    Quiz,
    QuizItem,
    QuizQuestion,
)
from knowledge import posting
from knowledge.models import Flag, Member, Notification, Visibility
from search.models import SynonymGroup
from tests.conftest import MEMORY_FOLDER
from tests.factories import (
    CompetencyFactory,
    CourseCatalogPageFactory,
    CoursePageFactory,
    CredentialDefinitionFactory,
    HomePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    MunicipalityFactory,
    PrefectureFactory,
    ProgrammePageFactory,
    RoleFactory,
    TopicFactory,
    UserFactory,
)

ROLES = (
    "anonymous",
    "learner",
    "contributor",
    "moderator",
    "staff",
    "superuser",
    "other_admin",
)

# What a private profile holds that nobody else may read.
PRIVATE_DEPARTMENT = "秘匿テスト推進課"
PRIVATE_JOB_TITLE = "秘匿テスト主査"

STAFF_PERMISSIONS = (
    "curriculum.view_enrolment",
    "curriculum.add_enrolment",
    "credentials.view_award",
    "credentials.add_award",
    "credentials.revoke_award",
)


def _permissions(*dotted):
    found = []
    for name in dotted:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def _member(
    email, name, municipality, *, public=True, trusted=True, department="", job_title="", **fields
):
    user = UserFactory(email=email, **fields)
    profile = user.profile
    profile.department = department
    profile.job_title = job_title
    profile.display_name = name
    profile.is_public = public
    profile.municipality = municipality
    profile.save()
    if trusted:
        Member.objects.update_or_create(user=user, defaults={"approved_posts": 10})
    return user


def _home():
    Locale.objects.get_or_create(language_code="ja")
    locale_en = Locale.objects.get_or_create(language_code="en")[0]
    root = Page.get_first_root_node()
    for placeholder in root.get_children().exact_type(Page):
        placeholder.delete()
    home = HomePageFactory(parent=root)
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
    )
    ensure_translation(home, locale_en, {"title": "Municipal CIO Academy", "lead": "Peers."})
    return home


def _quiz_lesson(module):
    question = QuizItem(kind="single", text="CIOに望ましいのは")
    question.choices = [Choice(text="副市長など", correct=True), Choice(text="係長", correct=False)]
    question.save()
    quiz = Quiz(title="確認テスト", pass_mark=50, attempt_limit=5, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=question)]
    quiz.save()
    lesson = LessonPageFactory(parent=module, title="確認テストのある回", slug="with-quiz")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    return LessonPage.objects.get(pk=lesson.pk), question


def _right_answer(question):
    return {quizzes.field_name(question.pk): str(question.choices.get(correct=True).pk)}


def _case(index, author, municipality, *, title, slug, live):
    case = CaseStudyPage(
        title=title,
        slug=slug,
        municipality=municipality,
        summary=f"{title}の概要",
        problem="申告期に時間外が集中する。",
        approach="5業務にRPAを適用した。",
        figure_status="illustrative",
        live=live,
        owner=author,
    )
    case.authors = [author]
    case.sources = [Source(title="報告書", url="https://example.jp/", retrieved_on="2026-11-01")]
    index.add_child(instance=case)
    case.save_revision(user=author)
    if live:
        case.get_latest_revision().publish()
    return CaseStudyPage.objects.get(pk=case.pk)


def _draft_attachment(case, author, text):
    """A file attached to a case that is not yet published, stored as the case form stores it."""
    document = get_document_model()(
        title="仕様書（下書き）",
        file=ContentFile(text.encode(), name="draft-spec.txt"),
        collection=submission.attachment_collection(),
        uploaded_by_user=author,
    )
    document.save()
    case.attachments = [Attachment(document=document, description="仕様書（下書き）")]
    case.save_revision(user=author)
    return document


def build_world():
    """Every object the matrix and the probes need; returns them in one namespace."""
    w = SimpleNamespace()
    w.home = _home()
    tokyo = PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")
    w.municipality = MunicipalityFactory(prefecture=tokyo, name="学習市")
    w.other_municipality = MunicipalityFactory(prefecture=tokyo, name="他市")
    w.topic = TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")

    # The curriculum: a course with a plain lesson and a lesson with a quiz.
    catalogue = CourseCatalogPageFactory(parent=w.home)
    programme = ProgrammePageFactory(parent=catalogue, slug="cio")
    w.course = CoursePageFactory(parent=programme, slug="k1", code="K1")
    module = ModulePageFactory(parent=w.course, slug="m1")
    w.lesson = LessonPageFactory(parent=module, title="最初の回", slug="first")
    w.quiz_lesson, quiz_question = _quiz_lesson(module)
    w.definition = CredentialDefinitionFactory(slug="dx-basics", name_ja="DX基礎", name_en="DX")

    # The people.
    moderators = Group.objects.get(name="Moderators")
    editors = Group.objects.get(name="Editors")
    reporters = Group.objects.create(name="Organisation reporters (matrix)")
    reporters.permissions.set(
        _permissions("wagtailadmin.access_admin", "credentials.view_organisation_report")
    )
    u = w.users = {"anonymous": None}
    twin = w.twins = {}
    for role, suffix in (("learner", ""), ("learner", "2")):
        user = _member(
            f"learner{suffix}@example.jp",
            f"学習 太郎{suffix}",
            w.municipality,
            public=False,
            department=PRIVATE_DEPARTMENT,
            job_title=PRIVATE_JOB_TITLE,
        )
        (twin if suffix else u)[role] = user
    for suffix in ("", "2"):
        user = _member(f"contributor{suffix}@example.jp", f"投稿 花子{suffix}", w.municipality)
        (twin if suffix else u)["contributor"] = user
    for suffix in ("", "2"):
        user = _member(f"moderator{suffix}@example.jp", f"審査 次郎{suffix}", w.municipality)
        user.groups.add(moderators)
        (twin if suffix else u)["moderator"] = user
    for suffix in ("", "2"):
        user = _member(
            f"staff{suffix}@example.jp", f"研修 係{suffix}", w.municipality, is_staff=True
        )
        user.groups.add(editors)
        user.user_permissions.set(_permissions(*STAFF_PERMISSIONS))
        (twin if suffix else u)["staff"] = user
    u["superuser"] = _member(
        "admin@example.jp", "管理者", w.municipality, is_staff=True, is_superuser=True
    )
    for suffix in ("", "2"):
        user = _member(
            f"other-admin{suffix}@example.jp", f"他市 管理{suffix}", w.other_municipality
        )
        user.groups.add(reporters)
        OrganisationReporter.objects.create(user=user, municipality=w.other_municipality)
        (twin if suffix else u)["other_admin"] = user
    w.newcomer = _member("newcomer@example.jp", "新人", w.municipality, trusted=False)
    learner, contributor, moderator = u["learner"], u["contributor"], u["moderator"]

    # Learning: enrolled, a lesson done, one submitted and one open quiz attempt, an award.
    for member in (learner, twin["learner"]):
        learning.enrol(member, w.course)
        learning.complete_lesson(member, w.lesson)
    w.attempt_done = quizzes.submit_attempt(
        quizzes.start_attempt(learner, w.quiz_lesson), _quiz_form(_right_answer(quiz_question))
    )
    w.attempt_open = quizzes.start_attempt(learner, w.quiz_lesson)
    w.quiz_answer = _right_answer(quiz_question)
    w.award = awarding.award_manually(learner, w.definition, awarded_by=None, reason="matrix")
    w.twin_award = awarding.award_manually(
        twin["learner"], w.definition, awarded_by=None, reason="matrix"
    )

    # Course runs: one organised by the other administrator's municipality (the learner invited
    # to it, the moderator its facilitator, a live session), one by a city in another prefecture.
    today = runs.today()
    osaka = PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka")
    w.foreign_municipality = MunicipalityFactory(prefecture=osaka, name="吹田市")
    dates = {
        "enrolment_opens": today - timedelta(days=3),
        "enrolment_closes": today + timedelta(days=7),
        "starts_on": today - timedelta(days=1),
        "deadline": today + timedelta(days=20),
    }
    w.run = CourseRun.objects.create(
        course=w.course, title="他市 CIO補佐官 研修", owner=w.other_municipality, **dates
    )
    w.run.facilitators.add(u["moderator"])
    runs.invite(w.run, [learner.email])
    w.session = LiveSession.objects.create(
        run=w.run,
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=2, hours=2),
        place="市役所 会議室",
    )
    w.foreign_run = CourseRun.objects.create(
        course=w.course, title="吹田市 研修", owner=w.foreign_municipality, **dates
    )
    w.calendar_token = ics.token_for(learner)

    # The knowledge base.
    w.question = posting.ask(
        learner, title="RPAに向く業務は？", body="人口3万人の町です。", topics=[w.topic]
    )
    w.answer = posting.answer(contributor, w.question, body="定型で大量の業務が向きます。")
    w.comment = posting.comment(moderator, w.answer, body="補足ありがとうございます。")
    posting.edit(learner, w.question, body="人口3万人の町です。職員は300人。", summary="追記")
    w.anonymous_question = posting.ask(
        learner,
        title="情報漏えいの初動は？",
        body="匿名で相談します。",
        topics=[w.topic],
        anonymous=True,
    )
    w.contributor_question = posting.ask(
        contributor, title="AI-OCRの精度は？", body="帳票の読取精度を知りたい。", topics=[w.topic]
    )
    w.learner_answer = posting.answer(learner, w.contributor_question, body="9割程度でした。")
    w.pending_question = posting.ask(
        w.newcomer, title="初めての質問です", body="審査待ちの質問。", topics=[w.topic]
    )
    assert w.pending_question.visibility == Visibility.PENDING
    w.hidden_answer = posting.answer(twin["contributor"], w.question, body="宣伝です。")
    w.flag = posting.flag(twin["learner"], w.hidden_answer, reason="spam")
    posting.hide(moderator, w.hidden_answer, reason="宣伝")
    w.open_flag = posting.flag(twin["learner"], w.answer, reason="other", note="確認を")
    assert w.open_flag.status == Flag.Status.OPEN
    w.closed_question = posting.ask(
        learner, title="RPAの向き不向きは？", body="同じ質問です。", topics=[w.topic]
    )
    posting.close_as_duplicate(learner, w.closed_question, w.question)
    posting.suspend(moderator, w.newcomer, days=3, reason="連投")
    # Notifications go out when the transaction commits, which this one never does.
    w.notification = Notification.objects.create(
        recipient=learner,
        kind=Notification.Kind.ANSWER,
        question=w.question,
        answer=w.answer,
        actor=contributor,
    )
    w.twin_notification = Notification.objects.create(
        recipient=twin["learner"], kind=Notification.Kind.ANSWER, question=w.question
    )

    # Case studies: a published case and a draft with an attachment, by the contributor.
    w.case_index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies")
    w.home.add_child(instance=w.case_index)
    w.case_index.save_revision().publish()
    w.live_case = _case(
        w.case_index, contributor, w.municipality, title="公開事例", slug="live", live=True
    )
    w.draft_case = _case(
        w.case_index, contributor, w.municipality, title="下書き事例", slug="draft", live=False
    )
    w.draft_document = _draft_attachment(w.draft_case, contributor, "下書きの仕様書")
    w.twin_draft_case = _case(
        w.case_index, twin["contributor"], w.municipality, title="別の下書き", slug="d2", live=False
    )
    w.public_document = get_document_model()(
        title="公開資料", file=ContentFile(b"public", name="public.txt")
    )
    w.public_document.save()
    w.image = ImageFactory(title="バッジ")

    # One object of each snippet and admin model, for the admin viewsets' rows.
    w.synonym_group = SynonymGroup.objects.create(
        terms="RPA, ロボティック・プロセス・オートメーション"
    )
    w.competency = CompetencyFactory(code="C1")
    w.role = RoleFactory(code="R4")
    w.quiz = w.quiz_lesson.quiz
    w.quiz_question = quiz_question
    w.reporter = OrganisationReporter.objects.get(user=u["other_admin"])
    w.learner_profile = learner.profile
    assert submission.is_author(contributor, w.draft_case)
    return w


def _quiz_form(answers):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in answers.items():
        data.setlist(key, [value])
    return data


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The site, written once for the module and rolled back after it."""
    folder = Path(tempfile.mkdtemp(prefix="cio-test-index-", dir=MEMORY_FOLDER))
    index_settings = override_settings(
        WAGTAILSEARCH_BACKENDS={
            "default": {"BACKEND": "search.backends.tantivy", "PATH": str(folder)}
        }
    )
    with django_db_blocker.unblock(), index_settings:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with translation.override("ja"):
                w = build_world()
                # Indexed as `make run` and a deploy do, so search and the health check see
                # the world's pages; tests that read them point at this folder.
                call_command("update_index", stdout=StringIO())
                w.search_folder = folder
                yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def world_search_index(settings, world, search_index):
    """The test reads the world's index instead of an empty one of its own."""
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.tantivy", "PATH": str(world.search_folder)}
    }


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    """A request under /en/ leaves English active in the test's thread; put Japanese back."""
    yield
    translation.activate("ja")

"""個人データの管理: a member downloads everything held about them, and deletes their account
(APPI). What stays, what goes and what is anonymised is set out in people/privacy.py."""

import json
import re
from itertools import count

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry, Page, PageLogEntry, Revision

from casestudies.models import CaseStudyIndexPage, CaseStudyPage
from curriculum import progress
from curriculum.credentials import awarding, status, verification
from curriculum.credentials.models import Award
from curriculum.models import Enrolment, LessonCompletion, LessonPage, Quiz, QuizAttempt
from knowledge import notifications, posting
from knowledge.models import (
    Answer,
    Comment,
    Flag,
    FlagReason,
    Member,
    Notification,
    Question,
    Subscription,
    Vote,
)
from people import privacy
from people.models import Profile
from tests.curriculum.conftest import course  # noqa: F401  (the curriculum's course fixture)
from tests.factories import CredentialDefinitionFactory, TopicFactory, UserFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NAME = "退会 予定子"
EMAIL = "leaver@example.jp"
ALT_EMAIL = "leaver.private@example.jp"
USERNAME = "leaver-username"


def translated(message, language="ja"):
    """`message` (a message id or a lazy translation) as a reader of `language` sees it."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    yield
    translation.activate("ja")


@pytest.fixture
def case_index(home_page):
    index = CaseStudyIndexPage(title="事例ライブラリ", slug="cases", intro="事例です。")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


_serial = count(1)


def new_case(index, title, *, authors, owner, live):
    case = CaseStudyPage(
        title=title,
        slug=f"case-{next(_serial)}",
        municipality=authors[0].profile.municipality,
        summary=f"{title}の概要です。",
        problem="紙の申請が多い。",
        approach="RPAで入力を自動化した。",
        live=live,
        owner=owner,
    )
    case.authors = authors
    index.add_child(instance=case)
    case.save_revision(user=owner)
    case.refresh_from_db()
    return case


class World:
    """The leaver and everything around them."""


@pytest.fixture
def world(course, case_index):  # noqa: F811
    w = World()
    w.leaver = make_member(NAME, email=EMAIL, username=USERNAME)
    EmailAddress.objects.create(user=w.leaver, email=ALT_EMAIL, verified=True, primary=False)
    w.peer = make_member("高橋 誠")
    w.moderator = make_member("鈴木 真理")
    w.secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(w.leaver, w.secret)
    w.topic = TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")

    # Learning, a quiz attempt and a credential.
    lesson = LessonPage.objects.descendant_of(course).live().first()
    progress.enrol(w.leaver, course)
    progress.complete_lesson(w.leaver, lesson)
    quiz = Quiz.objects.create(title="K1 確認テスト")
    QuizAttempt.objects.create(
        user=w.leaver, quiz=quiz, lesson=lesson, served=[[1, [2, 3]]], answers={"1": [2]}
    )
    w.award = awarding.award_manually(
        w.leaver,
        CredentialDefinitionFactory(name_ja="RPA推進"),
        awarded_by=None,
        reason="研修講師",
    )

    # Case studies: published alone, a draft alone, a draft with a co-author.
    w.published_case = new_case(
        case_index, "府中町のRPA", authors=[w.leaver], owner=w.leaver, live=True
    )
    w.draft_case = new_case(
        case_index, "下書きの事例", authors=[w.leaver], owner=w.leaver, live=False
    )
    w.shared_draft = new_case(
        case_index, "共同の下書き", authors=[w.leaver, w.peer], owner=w.leaver, live=False
    )

    # The knowledge base.
    w.question = posting.ask(
        w.leaver,
        title="RPAのシナリオ保守は誰が担う？",
        body="保守の体制について伺います。",
        topics=[w.topic],
    )
    posting.edit(w.leaver, w.question, body="保守の体制と費用について伺います。", summary="追記")
    w.anonymous = posting.ask(
        w.leaver,
        title="インシデント報告の範囲は？",
        body="内部の事案をどこまで報告すべきでしょうか。",
        anonymous=True,
    )
    w.peer_question = posting.ask(w.peer, title="AI-OCRの読取精度は？", body="実績を知りたい。")
    w.answer = posting.answer(
        w.leaver, w.peer_question, body="手書きは8割程度、活字はほぼ読めました。"
    )
    w.peer_answer = posting.answer(
        w.peer, w.question, body="ベンダーとの保守契約で担うのが一般的です。"
    )
    w.comment = posting.comment(w.leaver, w.peer_answer, body="ありがとうございます。")
    posting.vote(w.leaver, w.peer_question, 1)
    posting.vote(w.leaver, w.peer_answer, 1)
    posting.vote(w.peer, w.question, 1)
    w.flag = posting.flag(w.leaver, w.peer_answer, reason=FlagReason.OTHER, note="確認願います")
    notifications.subscribe(w.leaver, topic=w.topic)
    notifications.subscribe(w.leaver, person=w.peer)
    notifications.subscribe(w.peer, person=w.leaver)
    Notification.objects.create(
        recipient=w.leaver,
        kind=Notification.Kind.ANSWER,
        question=w.question,
        answer=w.peer_answer,
        actor=w.peer,
    )

    # An administrator edited the leaver's profile: Wagtail's history names them.
    log(instance=w.leaver.profile, action="wagtail.edit", user=w.moderator)
    return w


def download(client, user):
    client.force_login(user)
    response = client.get("/people/me/data/export/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == "/people/me/data/export/"
    return client.get("/people/me/data/export/")


# --- The page ----------------------------------------------------------------------------------


def test_the_page_is_in_the_account_settings_and_on_the_profile(client, world):
    assert client.get("/people/me/data/")["Location"].startswith("/accounts/login/")
    client.force_login(world.leaver)
    assert 'href="/people/me/data/"' in client.get("/accounts/email/").content.decode()
    assert (
        'href="/people/me/data/"'
        in client.get(f"/people/{world.leaver.profile.pk}/").content.decode()
    )
    response = client.get("/people/me/data/")
    assert response.status_code == 200
    html = response.content.decode()
    assert translated("Your personal data") in html
    assert 'href="/people/me/data/export/"' in html
    assert 'action="/people/me/data/delete/"' in html
    assert client.get("/en/people/me/data/").status_code == 200


# --- Export ------------------------------------------------------------------------------------


def test_the_download_asks_for_the_password_and_holds_everything(client, world):
    response = download(client, world.leaver)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="cio-academy-personal-data-'
    )
    text = response.content.decode("utf-8")
    assert NAME in text, "Japanese is written as it is, not as \\u escapes"
    data = json.loads(text)

    assert data["account"]["email"] == EMAIL
    assert {a["email"] for a in data["account"]["email_addresses"]} == {EMAIL, ALT_EMAIL}
    assert data["profile"]["display_name"] == NAME
    assert data["profile"]["municipality"]["code"] == world.leaver.profile.municipality.code
    assert [e["course"] for e in data["learning"]["enrolments"]] == ["自治体DXとガバナンス"]
    assert len(data["learning"]["lesson_progress"]) == 1
    assert data["learning"]["quiz_attempts"][0]["answers"] == {"1": [2]}
    assert data["credentials"][0]["id"] == str(world.award.uuid)
    assert data["credentials"][0]["signed_credential"]["proof"]
    assert {c["title"] for c in data["case_studies"]} == {
        "府中町のRPA",
        "下書きの事例",
        "共同の下書き",
    }
    kb = data["knowledge_base"]
    assert {q["title"]: q["is_anonymous"] for q in kb["questions"]} == {
        "RPAのシナリオ保守は誰が担う？": False,
        "インシデント報告の範囲は？": True,
    }
    assert [a["body"] for a in kb["answers"]] == [world.answer.body]
    assert [c["body"] for c in kb["comments"]] == ["ありがとうございます。"]
    assert any(r["summary"] == "追記" for r in kb["revisions"])
    assert sorted(v["value"] for v in kb["votes"]) == [1, 1]
    assert kb["flags_raised"][0]["note"] == "確認願います"
    assert {(s["question"], s["topic"], s["person"]) for s in kb["subscriptions"]} == {
        (world.question.title, None, None),  # askers and answerers follow their threads
        (world.anonymous.title, None, None),
        (world.peer_question.title, None, None),
        (None, "rpa", None),
        (None, None, "高橋 誠"),
    }
    assert [n["kind"] for n in kb["notifications"]] == ["answer"]
    assert kb["settings"]["email"] == "immediate"

    # Authenticators: type and dates, never the secret or the recovery codes.
    assert [a["type"] for a in data["security"]["two_factor_authenticators"]] == ["totp"]
    assert data["security"]["two_factor_authenticators"][0]["created_at"]
    assert world.secret not in text
    assert '"data"' not in text
    assert "password" not in json.dumps(data["account"])

    # Logged in Wagtail's history, without the data.
    entry = ModelLogEntry.objects.get(action="people.export_personal_data")
    assert entry.user_id == world.leaver.pk
    assert EMAIL not in entry.label and NAME not in entry.label
    assert not entry.data


def test_the_download_takes_as_many_queries_however_much_there_is(client, world, case_index):
    def queries():
        leaver = get_user_model().objects.get(pk=world.leaver.pk)
        with CaptureQueriesContext(connection) as context:
            privacy.export_personal_data(leaver)
        return len(context.captured_queries)

    before = queries()
    for n in range(2):  # within the knowledge base's hourly limits
        question = posting.ask(world.leaver, title=f"追加の質問{n}です", body="本文です。")
        posting.answer(world.leaver, world.peer_question, body=f"追加の回答{n}です。")
        posting.comment(world.leaver, question, body="補足します。")
        posting.answer(world.peer, question, body="回答します。")
        new_case(
            case_index, f"追加の事例{n}", authors=[world.leaver], owner=world.leaver, live=True
        )
        awarding.award_manually(
            world.leaver, CredentialDefinitionFactory(), awarded_by=None, reason="追加"
        )
    assert queries() == before


# --- Deletion ----------------------------------------------------------------------------------


def delete(client, password=PASSWORD, confirmation=EMAIL, prefix=""):
    return client.post(
        f"{prefix}/people/me/data/delete/", {"password": password, "confirmation": confirmation}
    )


def test_deletion_needs_the_password_and_the_typed_address(client, world):
    client.force_login(world.leaver)
    response = delete(client, password="not-my-password")
    assert response.status_code == 400
    assert response.context["form"].errors["password"]
    response = delete(client, confirmation="someone@example.jp")
    assert response.status_code == 400
    assert response.context["form"].errors["confirmation"] == [
        translated("This is not your account's e-mail address. Type it exactly as you sign in.")
    ]
    assert client.get("/people/me/data/delete/").status_code == 405
    assert get_user_model().objects.filter(pk=world.leaver.pk).exists()


def test_guessing_the_password_on_the_deletion_form_locks_the_account(client, world):
    client.force_login(world.leaver)
    for _attempt in range(5):
        assert delete(client, password="guess-guess-guess").status_code == 400
    response = delete(client)
    assert response.status_code == 400, "the right password is refused during the lockout"
    assert get_user_model().objects.filter(pk=world.leaver.pk).exists()


def test_administrators_are_closed_by_another_administrator(client):
    admin = UserFactory(is_staff=True, is_superuser=True, email="admin@example.jp")
    client.force_login(admin)
    html = client.get("/people/me/data/").content.decode()
    assert 'action="/people/me/data/delete/"' not in html
    response = client.post(
        "/people/me/data/delete/", {"password": PASSWORD, "confirmation": "admin@example.jp"}
    )
    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=admin.pk).exists()


@pytest.fixture
def deleted(client, world):
    other_session = type(client)()
    other_session.force_login(world.leaver)
    client.force_login(world.leaver)
    response = delete(client)
    world.response = response
    world.client = client
    world.other_session = other_session
    return world


def test_the_member_is_signed_out_with_a_confirmation(deleted):
    response = deleted.response
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in deleted.client.session
    home = deleted.client.get("/", follow=True)
    messages = [str(m) for m in home.context["messages"]] if home.context else []
    expected = translated(
        "Your account and personal data have been deleted. Thank you for taking part."
    )
    assert expected in messages or expected in home.content.decode()
    # Every other session of the account is signed out too.
    assert deleted.other_session.get("/people/me/")["Location"].startswith("/accounts/login/")


def test_personal_data_is_erased(deleted):
    w = deleted
    pk = w.leaver.pk
    assert not get_user_model().objects.filter(pk=pk).exists()
    assert not EmailAddress.objects.filter(email__in=[EMAIL, ALT_EMAIL]).exists()
    assert not Authenticator.objects.filter(user_id=pk).exists()
    assert not Profile.objects.filter(user_id=pk).exists()
    assert not Enrolment.objects.filter(user_id=pk).exists()
    assert not LessonCompletion.objects.filter(user_id=pk).exists()
    assert not QuizAttempt.objects.filter(user_id=pk).exists()
    assert not Member.objects.filter(user_id=pk).exists()
    assert not Notification.objects.filter(recipient_id=pk).exists()
    assert not Subscription.objects.filter(user_id=pk).exists()
    assert not Subscription.objects.filter(person_id=pk).exists(), "nobody follows a ghost"


def test_posts_stay_without_a_name_and_votes_still_count(deleted):
    w = deleted
    for post in [w.question, w.anonymous, w.answer]:
        post.refresh_from_db()
        assert post.author_id is None
    assert Comment.objects.get(pk=w.comment.pk).author_id is None
    assert not w.question.revisions.filter(author__isnull=False).exists()
    w.peer_question.refresh_from_db()
    w.peer_answer.refresh_from_db()
    assert w.peer_question.score == 1 and w.peer_answer.score == 1
    assert Vote.objects.filter(question=w.peer_question, user__isnull=True, value=1).exists()
    assert Flag.objects.get(pk=w.flag.pk).reporter_id is None


def test_case_studies_published_stay_drafts_go_shared_drafts_stay_with_co_authors(deleted):
    w = deleted
    published = CaseStudyPage.objects.get(pk=w.published_case.pk)
    assert published.live
    assert list(published.authors.all()) == []
    assert published.owner_id is None
    for revision in Revision.page_revisions.filter(object_id=str(published.pk)):
        assert w.leaver.pk not in (revision.content.get("authors") or [])
        assert revision.content.get("owner") != w.leaver.pk
    assert not Page.objects.filter(pk=w.draft_case.pk).exists()
    shared = CaseStudyPage.objects.get(pk=w.shared_draft.pk)
    assert list(shared.authors.all()) == [w.peer]


def test_credentials_are_revoked_so_copies_no_longer_verify(deleted):
    w = deleted
    assert not Award.objects.filter(pk=w.award.pk).exists()
    assert status.is_revoked(w.award.status_index)
    report = verification.verify_credential(w.award.credential)
    assert not report.verified
    assert {c["name"]: c["status"] for c in report.checks}["revocation"] == "failed"


def test_the_history_keeps_the_event_but_not_the_person(deleted):
    entry = ModelLogEntry.objects.get(action="people.delete_account")
    assert entry.object_id == str(deleted.leaver.pk)
    assert not entry.data
    # The administrator's edit of the profile is still there, naming nobody.
    edit = ModelLogEntry.objects.get(action="wagtail.edit", user=deleted.moderator)
    assert edit.label == translated("Former member")
    for model in (ModelLogEntry, PageLogEntry):
        for label in model.objects.values_list("label", flat=True):
            for text in (NAME, EMAIL, ALT_EMAIL, USERNAME):
                assert text not in label, (model.__name__, label)


def test_the_name_and_address_appear_nowhere(deleted, client):
    w = deleted
    pages = [
        f"/questions/{w.question.pk}/",
        f"/questions/{w.anonymous.pk}/",
        f"/questions/{w.peer_question.pk}/",
        f"/questions/question/{w.question.pk}/revisions/",
        f"/questions/answer/{w.answer.pk}/revisions/",
        "/questions/",
        "/questions/feed/",
        "/questions/topics/rpa/feed/",
        "/people/",
        w.published_case.url,
        "/cases/feed/",
        f"/search/?q={w.question.title}&format=json",
        f"/search/?q={w.peer_question.title}",
        f"/en/questions/{w.question.pk}/",
    ]
    viewer = make_member("閲覧 者")
    client.force_login(viewer)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for personal in (NAME, EMAIL, ALT_EMAIL, USERNAME):
            assert personal not in text, (url, personal)
    assert client.get(f"/people/{w.leaver.profile.pk}/").status_code == 404
    assert client.get(w.award.get_absolute_url()).status_code == 404

    # The thread reads "former member"; the anonymous question stays anonymous.
    question_page = client.get(f"/questions/{w.question.pk}/").content.decode()
    assert translated("Former member") in question_page
    json_ld = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', question_page, re.S
    ).group(1)
    assert json.loads(json_ld)["mainEntity"]["author"]["name"] == translated("Former member")
    anonymous_page = client.get(f"/questions/{w.anonymous.pk}/").content.decode()
    assert translated("Anonymous") in anonymous_page
    assert Question.objects.get(pk=w.anonymous.pk).is_anonymous


def test_deletion_in_english_confirms_in_english(client, world):
    client.force_login(world.leaver)
    response = delete(client, prefix="/en")
    assert response["Location"] == "/en/"
    page = client.get("/en/", follow=True)
    assert "Your account and personal data have been deleted" in page.content.decode()


def test_answers_to_the_deleted_member_s_posts_still_render(deleted, client):
    """The peer's answer under the leaver's question, and the leaver's own answer."""
    w = deleted
    assert Answer.objects.filter(pk=w.peer_answer.pk, author=w.peer).exists()
    html = client.get(f"/questions/{w.peer_question.pk}/").content.decode()
    assert w.answer.body in html

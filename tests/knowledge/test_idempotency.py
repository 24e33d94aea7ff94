"""A form sent twice does what it says once (issue 19, item 11): create forms carry a one-time
key, so a double POST of a question, answer, comment, flag or case step creates one object and
the repeat is sent where the first led; votes and acceptance say what is to be, so a
double-clicked Accept ends accepted and a double-clicked vote counts once."""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from core.models import SubmissionKey
from knowledge.models import Answer, Comment, Flag, Question, QuestionStatus, Vote

from .conftest import make_member

pytestmark = pytest.mark.django_db

BODY = "小規模団体ではまず定型業務の棚卸しから始めるのがよいと思います。"


def key_in(html, action_fragment=""):
    """The one-time key of the form (whose action contains `action_fragment`) on a page."""
    page = BeautifulSoup(html, "html.parser")
    for form in page.find_all("form"):
        if action_fragment in (form.get("action") or "") and form.find(
            "input", {"name": "submission_key"}
        ):
            return form.find("input", {"name": "submission_key"})["value"]
    raise AssertionError(f"no keyed form {action_fragment!r}")


@pytest.fixture
def thread(asker, answerer):
    now = timezone.now()
    question = Question.objects.create(
        title="RPAに向く業務の見分け方は？",
        body="人口3万人の町です。",
        author=asker,
        created_at=now,
        last_activity_at=now,
    )
    reply = Answer.objects.create(question=question, body=BODY, author=answerer, created_at=now)
    Question.objects.filter(pk=question.pk).update(answer_count=1)
    return question, reply


def test_asking_twice_creates_one_question(client, asker):
    client.force_login(asker)
    key = key_in(client.get(reverse("knowledge:ask")).content.decode())
    data = {
        "title": "庁内のRPA推進体制の作り方",
        "body": "職員300人の町で、推進体制をどう作るか悩んでいます。",
        "submission_key": key,
    }
    first = client.post(reverse("knowledge:ask"), data)
    second = client.post(reverse("knowledge:ask"), data)
    assert Question.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == Question.objects.get().get_absolute_url()


def test_answering_twice_creates_one_answer(client, thread, peer):
    question, _reply = thread
    client.force_login(peer)
    key = key_in(client.get(question.get_absolute_url()).content.decode(), "/answer")
    data = {"body": BODY + "（二重送信）", "action": "post", "submission_key": key}
    url = reverse("knowledge:answer", args=[question.pk])
    first, second = client.post(url, data), client.post(url, data)
    assert Answer.objects.filter(author=peer).count() == 1
    assert first["Location"] == second["Location"]
    # A new key (the page shown again) posts again.
    data["submission_key"] = key_in(
        client.get(question.get_absolute_url()).content.decode(), "/answer"
    )
    client.post(url, data)
    assert Answer.objects.filter(author=peer).count() == 2


def test_commenting_and_flagging_twice_create_one_each(client, thread, peer):
    question, reply = thread
    client.force_login(peer)
    page = client.get(question.get_absolute_url()).content.decode()
    key = key_in(page, f"/answer/{reply.pk}/comment")
    url = reverse("knowledge:comment", args=["answer", reply.pk])
    for _ in range(2):
        client.post(url, {"body": "出典を教えてください。", "submission_key": key})
    assert Comment.objects.filter(author=peer).count() == 1

    flag_url = reverse("knowledge:flag", args=["answer", reply.pk])
    key = key_in(client.get(flag_url).content.decode())
    for _ in range(2):
        client.post(flag_url, {"reason": "other", "note": "確認を", "submission_key": key})
    assert Flag.objects.filter(reporter=peer).count() == 1


def test_a_refused_submission_leaves_its_key_free(client, thread, peer, settings):
    question, _reply = thread
    settings.KNOWLEDGE_RATE_LIMITS = {"answer": 0}
    client.force_login(peer)
    data = {"body": BODY, "action": "post", "submission_key": "0" * 32}
    client.post(reverse("knowledge:answer", args=[question.pk]), data)
    assert not Answer.objects.filter(author=peer).exists()
    assert not SubmissionKey.objects.exists()
    settings.KNOWLEDGE_RATE_LIMITS = {"answer": 5}
    client.post(reverse("knowledge:answer", args=[question.pk]), data)
    assert Answer.objects.filter(author=peer).count() == 1


def test_a_double_clicked_accept_ends_accepted(client, thread, asker):
    question, reply = thread
    client.force_login(asker)
    page = BeautifulSoup(client.get(question.get_absolute_url()).content, "html.parser")
    form = page.select_one(".qa-accept-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    for _ in range(2):
        client.post(form["action"], data)
    question.refresh_from_db()
    assert question.accepted_answer == reply and question.status == QuestionStatus.ACCEPTED
    # The page now offers withdrawing; sent twice, it ends withdrawn.
    page = BeautifulSoup(client.get(question.get_absolute_url()).content, "html.parser")
    form = page.select_one(".qa-accept-form")
    data = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    assert data["accepted"] == "0"
    for _ in range(2):
        client.post(form["action"], data)
    question.refresh_from_db()
    assert question.accepted_answer is None


def test_a_double_clicked_vote_counts_once(client, thread, peer):
    question, reply = thread
    client.force_login(peer)
    page = client.get(question.get_absolute_url()).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    up = soup.select_one(f'form[action$="/answer/{reply.pk}/vote/"][data-vote-direction="up"]')
    value = up.find("input", {"name": "value"})["value"]
    assert value == "up"
    for _ in range(2):
        client.post(up["action"], {"value": value})
    reply.refresh_from_db()
    assert reply.score == 1 and Vote.objects.filter(answer=reply).count() == 1
    # The lit button takes the vote back, once however often it is pressed.
    soup = BeautifulSoup(client.get(question.get_absolute_url()).content, "html.parser")
    up = soup.select_one(f'form[action$="/answer/{reply.pk}/vote/"][data-vote-direction="up"]')
    assert up.find("input", {"name": "value"})["value"] == "none"
    for _ in range(2):
        client.post(up["action"], {"value": "none"})
    reply.refresh_from_db()
    assert reply.score == 0 and not Vote.objects.exists()


def test_a_case_created_twice_is_one_draft(client, home_page):
    from casestudies.models import CaseStudyIndexPage, CaseStudyPage
    from tests.factories import MunicipalityFactory, TopicFactory

    index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    author = make_member("投稿 花子")
    client.force_login(author)
    page = client.get(reverse("casestudies:new")).content.decode()
    key = key_in(page)
    city = MunicipalityFactory()
    topic = TopicFactory()
    data = {
        "title": "RPAで窓口業務を削減",
        "summary": "概要です。",
        "municipality": city.code,
        "population": "30000",
        "population_source": "住民基本台帳",
        "topics": [topic.pk],
        "action": "save",
        "submission_key": key,
    }
    first = client.post(reverse("casestudies:new"), data)
    assert first.status_code == 302, re.findall(r"errorlist.*?</ul>", first.content.decode())[:3]
    second = client.post(reverse("casestudies:new"), data)
    assert CaseStudyPage.objects.count() == 1
    assert second["Location"] == first["Location"]

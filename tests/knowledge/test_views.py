"""The knowledge base as members use it: lists, the question page, asking, answering, voting,
accepting, editing, revisions, closing, reporting, following and the inbox."""

import json

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from knowledge import posting
from knowledge.models import (
    Answer,
    Flag,
    Notification,
    Question,
    QuestionStatus,
    Subscription,
    Visibility,
    Vote,
)

from .conftest import make_member

LONG_BODY = "人口1万人の村で、担当は私ひとりです。どこから手を付ければよいか悩んでいます。"


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.fixture
def site(home_page):
    return home_page


# --- lists ---------------------------------------------------------------------------------------


def test_lists_newest_unanswered_top_and_topic(client, site, question, answer, asker, peer, topic):
    other = posting.ask(peer, title="AI-OCRの読取精度はどのくらい？", body=LONG_BODY)
    posting.vote(asker, other, Vote.UP)
    newest = client.get(reverse("knowledge:list"))
    titles = [a.get_text() for a in soup(newest).select(".qa-row__title a")]
    assert titles == [other.title, question.title]
    unanswered = client.get(reverse("knowledge:list") + "?tab=unanswered")
    assert [a.get_text() for a in soup(unanswered).select(".qa-row__title a")] == [other.title]
    top = client.get(reverse("knowledge:list") + "?tab=top&period=week")
    assert soup(top).select_one(".qa-row__title a").get_text() == other.title
    by_topic = client.get(reverse("knowledge:list") + f"?topic={topic.slug}")
    assert [a.get_text() for a in soup(by_topic).select(".qa-row__title a")] == [question.title]


def test_unknown_parameters_do_not_break_the_list(client, site, question):
    for query in ("?tab=x&period=y&page=abc", "?page=999", "?tab=top&period=%00"):
        assert client.get(reverse("knowledge:list") + query).status_code == 200
    assert client.get(reverse("knowledge:list") + "?topic=nope").status_code == 404
    assert client.get(reverse("knowledge:list") + "?topic=ＲＰＡ").status_code == 404


def test_pending_and_hidden_questions_are_not_listed(client, site, question, newcomer, moderator):
    pending = posting.ask(newcomer, title="承認待ちの質問のタイトル", body=LONG_BODY)
    assert pending.visibility == Visibility.PENDING
    posting.hide(moderator, question)
    page = client.get(reverse("knowledge:list"))
    assert pending.title not in page.content.decode()
    assert question.title not in page.content.decode()
    # The author sees their own pending question; others get a 404.
    client.force_login(newcomer)
    assert client.get(pending.get_absolute_url()).status_code == 200
    client.force_login(make_member("部外者"))
    assert client.get(pending.get_absolute_url()).status_code == 404


# --- the question page ---------------------------------------------------------------------------


def test_question_page_with_qapage_json_ld(client, site, question, answer, asker):
    posting.accept(asker, answer)
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text() == question.title
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "QAPage"
    assert data["mainEntity"]["name"] == question.title
    assert data["mainEntity"]["answerCount"] == 1
    assert data["mainEntity"]["acceptedAnswer"]["text"] == answer.body
    assert page.select_one(".qa-answer--accepted")["id"] == f"answer-{answer.pk}"


def test_query_budget_is_the_same_for_3_and_100_answers(
    client, site, question, asker, django_assert_max_num_queries, settings
):
    settings.KNOWLEDGE_RATE_LIMITS = {}
    members = [make_member(f"回答者{n}") for n in range(100)]
    client.force_login(asker)

    def add_answers(count):
        for member in members[question.answers.count() : count]:
            reply = posting.answer(
                member, question, body=f"{member.profile.display_name}の経験では、" * 3
            )
            posting.comment(asker, reply, body="ありがとうございます")
            posting.vote(asker, reply, Vote.UP)

    add_answers(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(question.get_absolute_url()).status_code == 200
    add_answers(100)
    assert question.answers.count() == 100
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(question.get_absolute_url())
    # One page of answers however many there are (knowledge/threads.py); the heading counts all.
    page = soup(response)
    assert len(page.select(".qa-answer")) == 20
    assert "100" in page.select_one("#answers-heading").get_text()


def test_list_query_budget_does_not_grow(client, site, asker, topic, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        posting.ask(
            make_member(f"質問者{n}"),
            title=f"質問のタイトル その{n}",
            body=LONG_BODY,
            topics=[topic],
        )
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("knowledge:list"))
    for n in range(3, 20):
        posting.ask(
            make_member(f"質問者{n}"),
            title=f"質問のタイトル その{n}",
            body=LONG_BODY,
            topics=[topic],
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("knowledge:list"))


# --- asking --------------------------------------------------------------------------------------


def test_ask_needs_sign_in(client, site):
    response = client.get(reverse("knowledge:ask"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_ask_posts_and_subscribes_the_asker(client, site, asker, topic):
    client.force_login(asker)
    response = client.post(
        reverse("knowledge:ask"),
        {
            "title": "チャットボットの効果の測り方は？",
            "body": LONG_BODY,
            "topics": [topic.pk],
            "action": "post",
        },
    )
    question = Question.objects.get(title="チャットボットの効果の測り方は？")
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    assert list(question.topics.all()) == [topic]
    assert Subscription.objects.filter(user=asker, question=question).exists()


def test_ask_with_errors_keeps_what_was_typed(client, site, asker):
    client.force_login(asker)
    response = client.post(
        reverse("knowledge:ask"),
        {"title": "短い", "body": "本文の下書き **太字**", "action": "post"},
    )
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#id_title")["value"] == "短い"
    assert "本文の下書き" in page.select_one("#id_body").get_text()
    assert page.select(".errorlist")
    assert not Question.objects.exists()


def test_preview_shows_sanitised_markdown_and_similar_questions(client, site, question, peer):
    client.force_login(peer)
    response = client.post(
        reverse("knowledge:ask"),
        {
            "title": "RPAに向く業務を知りたい",
            "body": "**太字**<script>alert(1)</script>",
            "action": "preview",
        },
    )
    page = soup(response)
    preview = page.select_one(".case-form__preview")
    assert preview.find("strong").get_text() == "太字"
    assert not preview.find("script")
    similar = [a.get_text() for a in page.select("[data-similar-list] a")]
    assert question.title in similar
    assert not Question.objects.filter(author=peer).exists()


def test_similar_json_finds_questions_while_typing(client, site, question):
    response = client.get(reverse("knowledge:similar"), {"q": "RPA 業務"})
    results = response.json()["results"]
    assert {"type": "question", "title": question.title} in [
        {"type": r["type"], "title": r["title"]} for r in results
    ]
    assert client.get(reverse("knowledge:similar"), {"q": ""}).json() == {"results": []}
    assert client.get(reverse("knowledge:similar"), {"q": '"((( OR -'}).status_code == 200


def test_anonymous_option_is_in_the_form(client, site, asker):
    client.force_login(asker)
    page = soup(client.get(reverse("knowledge:ask")))
    assert page.select_one("input[name=is_anonymous][type=checkbox]")


# --- answering, voting, accepting ----------------------------------------------------------------


def test_answer_vote_and_accept_through_the_site(client, site, question, asker, answerer):
    client.force_login(answerer)
    response = client.post(
        reverse("knowledge:answer", args=[question.pk]), {"body": LONG_BODY, "action": "post"}
    )
    reply = Answer.objects.get(question=question)
    assert response["Location"].endswith(f"#answer-{reply.pk}")
    client.force_login(asker)
    voted = client.post(
        reverse("knowledge:vote", args=["answer", reply.pk]),
        {"value": "up"},
        HTTP_ACCEPT="application/json",
    )
    assert voted.json() == {"score": 1, "vote": 1}
    client.post(reverse("knowledge:accept", args=[reply.pk]))
    question.refresh_from_db()
    assert question.accepted_answer == reply and question.status == QuestionStatus.ACCEPTED


def test_voting_on_ones_own_answer_is_refused_with_a_message(client, site, answer, answerer):
    client.force_login(answerer)
    response = client.post(
        reverse("knowledge:vote", args=["answer", answer.pk]),
        {"value": "up"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403 and response.json()["error"]
    response = client.post(
        reverse("knowledge:vote", args=["answer", answer.pk]), {"value": "sideways"}
    )
    assert response.status_code == 302
    assert not Vote.objects.exists()


def test_bad_kinds_and_ids_are_404(client, site, asker):
    client.force_login(asker)
    assert (
        client.post(reverse("knowledge:vote", args=["page", 1]), {"value": "up"}).status_code == 404
    )
    assert (
        client.post(reverse("knowledge:vote", args=["answer", 999]), {"value": "up"}).status_code
        == 404
    )
    assert client.get("/questions/follow/question/abc/").status_code in (404, 405)
    assert client.post("/questions/follow/question/abc/").status_code == 404
    assert client.get(reverse("knowledge:flag", args=["user", 1])).status_code == 404


def test_only_the_asker_sees_the_accept_button(client, site, question, answer, asker, peer):
    client.force_login(peer)
    assert not soup(client.get(question.get_absolute_url())).select(".qa-accept-form")
    response = client.post(reverse("knowledge:accept", args=[answer.pk]))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.accepted_answer is None
    client.force_login(asker)
    assert soup(client.get(question.get_absolute_url())).select(".qa-accept-form")


# --- editing and revisions -----------------------------------------------------------------------


def test_edit_rights_on_the_site(client, site, question, answer, asker, answerer, peer, moderator):
    edit_question = reverse("knowledge:edit", args=["question", question.pk])
    client.force_login(peer)
    assert client.get(edit_question).status_code == 403
    assert (
        client.post(edit_question, {"title": "乗っ取りのタイトル", "body": LONG_BODY}).status_code
        == 403
    )
    client.force_login(asker)
    assert client.get(edit_question).status_code == 200
    client.post(
        edit_question,
        {
            "title": question.title,
            "body": question.body + "\n\n追記です。",
            "topics": [],
            "summary": "追記",
        },
    )
    question.refresh_from_db()
    assert question.body.endswith("追記です。")
    client.force_login(moderator)
    assert client.get(reverse("knowledge:edit", args=["answer", answer.pk])).status_code == 200


def test_revisions_page_shows_the_diff(client, site, question, asker):
    posting.edit(
        asker, question, title=question.title, body=question.body.replace("3万人", "4万人")
    )
    response = client.get(reverse("knowledge:revisions", args=["question", question.pk]))
    page = soup(response)
    assert page.select_one(".qa-diff del").get_text() == "3"
    assert page.select_one(".qa-diff ins").get_text() == "4"
    assert len(page.select("tbody tr")) == 2
    # Any pair can be compared; nonsense numbers fall back to the newest change.
    assert (
        client.get(
            reverse("knowledge:revisions", args=["question", question.pk]) + "?from=x&to=99"
        ).status_code
        == 200
    )


# --- closing, flags ------------------------------------------------------------------------------


def test_close_by_address_and_reopen(client, site, question, peer, moderator):
    later = posting.ask(peer, title="RPA向きの業務とは何でしょうか", body=LONG_BODY)
    client.force_login(peer)
    response = client.post(
        reverse("knowledge:close", args=[later.pk]),
        {"original": f"https://example.jp/questions/{question.pk}/"},
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.duplicate_of == question
    page = soup(client.get(later.get_absolute_url()))
    assert page.select_one(".callout a")["href"] == question.get_absolute_url()
    client.force_login(moderator)
    client.post(reverse("knowledge:reopen", args=[later.pk]))
    later.refresh_from_db()
    assert later.duplicate_of is None


def test_close_with_a_bad_reference_is_an_error_not_a_500(client, site, question, asker):
    client.force_login(asker)
    for value in ("abc", "999999", str(question.pk)):
        response = client.post(reverse("knowledge:close", args=[question.pk]), {"original": value})
        assert response.status_code == 200
        assert soup(response).select(".errorlist")


def test_flag_through_the_site(client, site, answer, peer):
    client.force_login(peer)
    url = reverse("knowledge:flag", args=["answer", answer.pk])
    response = client.post(url, {"reason": "other", "note": ""})
    assert response.status_code == 200 and soup(response).select(".errorlist")
    client.post(url, {"reason": "spam"})
    assert Flag.objects.get().answer == answer


# --- anonymous questions -------------------------------------------------------------------------


@pytest.fixture
def secret(asker, topic, peer):
    Subscription.objects.create(user=peer, topic=topic)
    return posting.ask(
        asker,
        title="セキュリティ事案の報告手順について",
        body="庁内で不審なメールの開封がありました。報告の順番を知りたいです。",
        topics=[topic],
        anonymous=True,
    )


def test_anonymous_asker_is_hidden_everywhere_from_others(
    client, site, secret, asker, answerer, peer, django_capture_on_commit_callbacks
):
    name = asker.profile.display_name
    municipality = asker.profile.municipality.name
    with django_capture_on_commit_callbacks(execute=True):
        reply = posting.answer(answerer, secret, body="まずCSIRTと情報政策課に連絡してください。")
        posting.comment(asker, reply, body="ありがとうございます、助かります")
        posting.answer(asker, secret, body="自己解決しました。手順書がありました。以上です。")
        posting.edit(asker, secret, title=secret.title, body=secret.body + "\n追記。")
        posting.accept(asker, reply)
    outputs = []
    for viewer in (None, answerer, peer):
        if viewer is None:
            client.logout()
        else:
            client.force_login(viewer)
        for url in (
            secret.get_absolute_url(),
            reverse("knowledge:list"),
            reverse("knowledge:revisions", args=["question", secret.pk]),
            reverse("knowledge:feed"),
            reverse("knowledge:topic_feed", args=["rpa"]),
            reverse("knowledge:similar") + "?q=セキュリティ",
            "/search/?q=セキュリティ&format=json",
            "/search/?q=セキュリティ",
            reverse("knowledge:inbox"),
        ):
            if viewer is None and url == reverse("knowledge:inbox"):
                continue
            response = client.get(url)
            assert response.status_code == 200, url
            outputs.append((url, response.content.decode()))
    for url, text in outputs:
        assert name not in text, url
        assert municipality not in text, url
        assert asker.email not in text, url
    for message in mail.outbox:
        assert name not in message.body and name not in message.subject
    notes = Notification.objects.exclude(recipient=asker).filter(question=secret)
    assert notes and all(
        n.actor_id is None for n in notes if n.kind != "answer" or n.answer.author == asker
    )


def test_the_asker_and_moderators_still_know(client, site, secret, asker, moderator):
    client.force_login(asker)
    mine = (
        soup(client.get(secret.get_absolute_url())).select_one(".qa-question .qa-byline").get_text()
    )
    assert "You" in mine or "あなた" in mine
    client.force_login(moderator)
    page = client.get(secret.get_absolute_url()).content.decode()
    assert asker.profile.display_name in page


def test_anonymous_questions_do_not_notify_followers_of_the_asker(
    secret, asker, peer, django_capture_on_commit_callbacks
):
    fan = make_member("ファン")
    Subscription.objects.create(user=fan, person=asker)
    with django_capture_on_commit_callbacks(execute=True):
        posting.ask(asker, title="もう一つの匿名の質問です", body=LONG_BODY, anonymous=True)
    assert not Notification.objects.filter(recipient=fan).exists()


# --- following and notifications ----------------------------------------------------------------


def test_following_a_question_sends_email_at_once(
    client, site, question, answerer, peer, django_capture_on_commit_callbacks
):
    client.force_login(peer)
    client.post(reverse("knowledge:subscribe", args=["question", question.pk]))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = posting.answer(
            answerer, question, body="当市では業務量調査から始めました。結果は上々です。"
        )
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([question.author.email, peer.email])
    message = next(m for m in mail.outbox if m.to == [peer.email])
    assert question.title in message.subject
    # The answer's permanent address: it finds the answer's page of the thread when opened.
    assert f"http://testserver/questions/answers/{reply.pk}/" in message.body
    assert Notification.objects.filter(recipient=peer, kind="answer").count() == 1


def test_topic_and_person_subscriptions(
    question, topic, asker, peer, answerer, django_capture_on_commit_callbacks
):
    Subscription.objects.create(user=peer, topic=topic)
    Subscription.objects.create(user=answerer, person=asker)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posting.ask(asker, title="RPAのシナリオ保守は誰が？", body=LONG_BODY, topics=[topic])
    kinds = dict(Notification.objects.values_list("recipient__email", "kind"))
    assert kinds == {peer.email: "topic_question", answerer.email: "person_question"}
    assert len(mail.outbox) == 2


def test_daily_digest_instead_of_immediate_email(
    question, answerer, peer, django_capture_on_commit_callbacks
):
    from knowledge.models import Member
    from knowledge.notifications import send_daily_digests

    Member.objects.update_or_create(user=question.author, defaults={"email": "daily"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posting.answer(answerer, question, body="当市の例ですが、まず業務の棚卸しをしました。")
    with django_capture_on_commit_callbacks(execute=True):
        posting.answer(peer, question, body="県の推進体制に相談すると人材も紹介してもらえます。")
    # The first answerer follows the question now and hears of the second answer at once.
    assert [m.to for m in mail.outbox] == [[answerer.email]]
    mail.outbox.clear()
    send_daily_digests.call()
    assert [m.to for m in mail.outbox] == [[question.author.email]]
    assert mail.outbox[0].body.count("/questions/") >= 3
    send_daily_digests.call()
    assert len(mail.outbox) == 1


def test_peers_are_suggested_and_notified_only_if_open_to_questions(
    client, site, topic, asker, answerer, django_capture_on_commit_callbacks
):
    expert = make_member("専門家", open_to_questions=True)
    quiet = make_member("静かな専門家", open_to_questions=False)
    for person in (expert, quiet):
        old = posting.ask(
            asker, title=f"{person.pk}番の過去の質問です", body=LONG_BODY, topics=[topic]
        )
        reply = posting.answer(person, old, body="当市では業務を棚卸ししてから選びました。")
        posting.accept(asker, reply)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        new = posting.ask(asker, title="RPAの対象業務の選び方", body=LONG_BODY, topics=[topic])
    routed = set(Notification.objects.filter(kind="routed").values_list("recipient", flat=True))
    assert routed == {expert.pk}
    client.force_login(answerer)
    peers = [a.get_text() for a in soup(client.get(new.get_absolute_url())).select(".qa-peers a")]
    assert set(peers) == {"専門家", "静かな専門家"}


def test_inbox_lists_marks_read_and_is_private(
    client, site, question, asker, answerer, peer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = posting.answer(answerer, question, body="当市ではまず業務量調査を行いました。")
    note = Notification.objects.get(recipient=asker, kind="answer")
    client.force_login(peer)
    assert client.get(reverse("knowledge:open_notification", args=[note.pk])).status_code == 404
    client.force_login(asker)
    page = soup(client.get(reverse("knowledge:inbox")))
    assert question.title in page.select_one(".qa-inbox").get_text()
    response = client.get(reverse("knowledge:open_notification", args=[note.pk]))
    assert response["Location"].endswith(f"#answer-{answer.pk}")
    note.refresh_from_db()
    assert note.read_at is not None


def test_accepted_answers_count_for_credentials(question, answer, asker):
    from curriculum.credentials.rules import _counters

    assert _counters["accepted_answers"](answer.author) == []
    posting.accept(asker, answer)
    evidence = _counters["accepted_answers"](answer.author)
    assert [e.url for e in evidence] == [answer.get_absolute_url()]


def test_feed_per_topic(client, site, question, topic):
    response = client.get(reverse("knowledge:topic_feed", args=[topic.slug]))
    assert response["Content-Type"].startswith("application/atom+xml")
    assert question.title in response.content.decode()
    assert client.get(reverse("knowledge:topic_feed", args=["none"])).status_code == 404


def test_reputation(question, answer, asker, peer):
    from knowledge.reputation import reputation_of

    posting.vote(asker, answer, Vote.UP)
    posting.vote(peer, answer, Vote.UP)
    posting.accept(asker, answer)
    assert reputation_of(answer.author)["points"] == 15 + 2 * 10
    assert timezone.now()


def test_an_accepted_answer_earns_the_credential_that_asks_for_one(
    question, answer, asker, django_capture_on_commit_callbacks
):
    from curriculum.credentials.models import Award
    from tests.factories import CredentialDefinitionFactory, CredentialRuleFactory

    definition = CredentialDefinitionFactory()
    CredentialRuleFactory(definition=definition, kind="accepted_answers", count=1)
    assert not Award.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        posting.accept(asker, answer)
    award = Award.objects.get(user=answer.author)
    assert award.definition == definition
    assert any(answer.get_absolute_url() in e.get("url", "") for e in award.evidence)

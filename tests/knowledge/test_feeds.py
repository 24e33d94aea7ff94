"""A control character in a question (issue 19, item 5) never reaches a feed as a server error:
what members write is stored without the characters XML cannot carry, and the feeds drop any
that rows stored before still hold."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge import posting
from knowledge.models import Answer, Comment, Question

from .conftest import make_member

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# Every character XML 1.0 cannot carry, but NUL: PostgreSQL cannot store it at all, and
# Django's form fields refuse it before anything is saved.
CONTROLS = "".join(chr(c) for c in range(1, 0x20) if c not in (0x09, 0x0A, 0x0D)) + "\ufffe\uffff"


def entry_titles(response):
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    return [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]


def test_what_is_posted_is_stored_without_control_characters(client, asker, answerer, topic):
    client.force_login(asker)
    response = client.post(
        reverse("knowledge:ask"),
        {
            "title": "RPAの\x08導入\x0bについて\x1b",
            "body": "Wordから貼り付け:\x0b一行目\x0c二行目\x1bです。十分な長さの本文。",
            "topics": [topic.pk],
        },
    )
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.title == "RPAの導入 について"
    assert question.body == "Wordから貼り付け:\n一行目\n二行目です。十分な長さの本文。"
    assert question.revisions.get().title == "RPAの導入 について"
    reply = posting.answer(answerer, question, body="回答\x07です。" + "詳しく説明します。" * 3)
    note = posting.comment(answerer, question, body="補足\x1f")
    assert "\x07" not in Answer.objects.get(pk=reply.pk).body
    assert Comment.objects.get(pk=note.pk).body == "補足"


def test_the_question_feeds_survive_control_characters_stored_before(client, asker, topic):
    now = timezone.now()
    question = Question.objects.create(
        title="普通の題", body="本文", author=asker, created_at=now, last_activity_at=now
    )
    question.topics.add(topic)
    # Written past the save (as rows stored before the fix were): every illegal character.
    Question.objects.filter(pk=question.pk).update(
        title=f"制御{CONTROLS}文字", body=f"本文{CONTROLS}"
    )
    assert entry_titles(client.get(reverse("knowledge:feed"))) == ["制御文字"]
    assert entry_titles(client.get(reverse("knowledge:topic_feed", args=[topic.slug]))) == [
        "制御文字"
    ]


def test_a_display_name_with_control_characters_is_stored_clean(db):
    member = make_member("山田\x1b[31m 花子")
    member.profile.refresh_from_db()
    assert member.profile.display_name == "山田[31m 花子"

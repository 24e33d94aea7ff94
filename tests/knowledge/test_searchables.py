"""Questions in the site search: indexed with their answers' text, filtered by status and topic."""

import pytest
from django.core.management import call_command

from knowledge import posting
from tests.factories import TopicFactory


@pytest.fixture
def indexed(
    home_page, question, answer, asker, answerer, peer, topic, django_capture_on_commit_callbacks
):
    other_topic = TopicFactory(slug="ai-ocr", name_ja="AI-OCR", name_en="AI-OCR")
    with django_capture_on_commit_callbacks(execute=True):
        other = posting.ask(
            peer,
            title="手書き帳票の読み取りについて",
            body="紙の申請書が多く、入力に時間がかかっています。",
            topics=[other_topic],
        )
        posting.accept(asker, answer)
    call_command("update_index", verbosity=0)
    return other


def results(client, **params):
    data = client.get("/search/", {"format": "json", **params}).json()
    return [r["title"] for r in data["results"] if r["type"] == "question"], data


def test_answers_text_finds_the_question(client, indexed, question):
    # "定型" appears only in the answer.
    titles, _data = results(client, q="定型")
    assert titles == [question.title]


def test_filter_by_status_and_topic(client, indexed, question):
    accepted, _ = results(client, q="RPA", status="accepted")
    assert accepted == [question.title]
    unanswered, _ = results(client, q="申請書", status="unanswered")
    assert unanswered == [indexed.title]
    none, _ = results(client, q="申請書", status="accepted")
    assert none == []
    by_topic, _ = results(client, q="申請書", topic="ai-ocr")
    assert by_topic == [indexed.title]
    assert results(client, q="申請書", topic="rpa")[0] == []
    # A status that does not exist is ignored, not an error.
    assert client.get("/search/", {"q": "申請書", "status": "nonsense"}).status_code == 200


def test_topic_facet_counts_questions(client, indexed):
    _titles, data = results(client, q="申請書")
    assert {"value": "ai-ocr", "label": "AI-OCR", "count": 1} in data["facets"]["topic"]


def test_hidden_questions_leave_the_search(
    client, indexed, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        posting.hide(moderator, indexed)
    assert results(client, q="申請書")[0] == []


def test_snippets_show_text_not_markdown(
    client, indexed, question, asker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        posting.edit(
            asker,
            question,
            title=question.title,
            body="**定型**の業務は[手順書](https://example.jp)で確認",
        )
    call_command("update_index", verbosity=0)
    _titles, data = results(client, q="手順書")
    snippet = next(r["snippet"] for r in data["results"] if r["title"] == question.title)
    assert "手順書" in snippet and "**" not in snippet and "](" not in snippet

"""Very large input is refused with a clear message: form errors for titles, bodies, comments and
profiles (nothing stored, nothing cut short, what was typed given back), a notice for a long
search, and 413 for a request body over the limit, before any view reads it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from casestudies.models import CaseStudyPage
from knowledge import posting
from knowledge.models import BODY_MAX, COMMENT_MAX, TITLE_MAX, Answer, Comment, Question
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def asker(db):
    return make_member("山田 花子")


@pytest.fixture
def question(asker):
    return posting.ask(
        asker,
        title="RPAに向く業務の見分け方は？",
        body="人口3万人の町です。RPAを入れる業務をどう選べばよいでしょうか。",
    )


def logged_in(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def field_errors(response, form="form", field=None) -> str:
    errors = response.context[form].errors
    return " ".join(str(e) for e in (errors[field] if field else errors.values()))


def test_a_title_and_body_over_their_limits_are_refused_and_given_back(asker, home_page):
    title = "長" * (TITLE_MAX + 1)
    body = "本文" * (BODY_MAX // 2) + "末尾"
    response = logged_in(asker).post("/questions/ask/", {"title": title, "body": body})
    assert response.status_code == 200
    assert f"{TITLE_MAX} 文字以下" in field_errors(response, field="title")
    assert f"{BODY_MAX} 文字以下" in field_errors(response, field="body")
    html = response.content.decode()
    assert title in html and body in html  # nothing typed is lost, nothing is cut
    assert not Question.objects.exists()


def test_an_answer_over_the_limit_is_refused_and_given_back(asker, question, home_page):
    body = "回答" * (BODY_MAX // 2) + "。"
    response = logged_in(make_member("佐藤 健一")).post(
        f"/questions/{question.pk}/answer/", {"body": body}
    )
    assert response.status_code == 200
    assert f"{BODY_MAX} 文字以下" in field_errors(response, form="answer_form", field="body")
    assert body in response.content.decode()
    assert not Answer.objects.exists()


def test_a_comment_over_the_limit_is_refused_and_given_back(asker, question, home_page):
    client = logged_in(make_member("佐藤 健一"))
    body = "c" * (COMMENT_MAX + 1)
    response = client.post(f"/questions/question/{question.pk}/comment/", {"body": body})
    assert response.status_code == 200
    assert f"{COMMENT_MAX} 文字以下" in field_errors(response, form="comment_form", field="body")
    form = BeautifulSoup(response.content, "html.parser").select_one(
        "details.qa-comment-form[open]"
    )
    assert form.select_one("textarea[name=body]").get_text() == body
    assert not Comment.objects.exists()


def test_a_flag_note_over_the_limit_is_refused(asker, question, home_page):
    response = logged_in(make_member("佐藤 健一")).post(
        f"/questions/question/{question.pk}/flag/", {"reason": "other", "note": "n" * 501}
    )
    assert response.status_code == 200
    assert "500 文字以下" in field_errors(response, field="note")


def test_a_profile_over_its_limits_is_refused(asker, home_page):
    profile = asker.profile
    name = "名" * 200
    response = logged_in(asker).post(
        f"/people/{profile.pk}/edit/", {"display_name": name, "bio": "自己紹介"}
    )
    assert response.status_code == 200
    assert "文字以下" in field_errors(response, field="display_name")
    profile.refresh_from_db()
    assert profile.display_name != name and not profile.display_name.startswith("名名名")


def test_a_case_study_title_over_its_limit_is_refused(asker, home_page):
    from casestudies.models import CaseStudyIndexPage

    home_page.add_child(instance=CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies"))
    title = "事" * 256
    response = logged_in(asker).post(
        "/case-studies/new/", {"title": title, "summary": "要" * 401, "action": "next"}
    )
    assert response.status_code == 400
    assert "255 文字以下" in field_errors(response, field="title")
    assert "400 文字以下" in field_errors(response, field="summary")
    assert title in response.content.decode()
    assert not CaseStudyPage.objects.exists()


def test_a_long_search_says_it_was_cut_in_html_and_json(client, home_page):
    query = "クラウド " + "あ" * 500
    html = client.get("/search/", {"q": query}).content.decode()
    assert "先頭の 200 文字" in html
    data = client.get("/en/search/", {"q": query, "format": "json"}).json()
    assert len(data["query"]) == 200
    assert data["notices"] == ["Your search was long, so only its first 200 characters were used."]


# --- Request bodies -----------------------------------------------------------------------------


def test_an_oversized_form_body_gets_a_413_page(asker, home_page, settings):
    body = b"title=x&body=" + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = logged_in(asker).post(
        "/en/questions/ask/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    text = response.content.decode()
    assert "What you sent is too large (more than 5.0\xa0MB)" in text
    assert 'lang="en"' in text


def test_an_oversized_upload_is_refused_before_it_is_read(asker, home_page, settings):
    response = logged_in(asker).post(
        "/case-studies/new/",
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.MAX_UPLOAD_REQUEST_SIZE + 1),
    )
    assert response.status_code == 413
    assert "core/request_refused.html" in [t.name for t in response.templates]


def test_the_verify_api_answers_an_oversized_body_in_json(settings):
    response = Client(raise_request_exception=True).post(
        "/api/credentials/verify",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )
    assert response.status_code == 413
    report = response.json()
    assert report["verified"] is False and report["errors"]


def test_between_the_api_limit_and_the_request_limit_the_view_says_so(settings):
    body = b'{"credential": "' + b"a" * 1_100_000 + b'"}'
    response = Client().post("/api/credentials/verify", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"]


def test_a_nul_in_the_path_or_the_api_parameters_is_a_clear_400(home_page):
    client = Client(raise_request_exception=True)
    response = client.get("/en/questions/topics/%00/feed/")
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.content.decode()
    response = client.get("/api/v2/pages/?slug=%00")
    assert response.status_code == 400
    assert response.json()["errors"]
    # The site's own pages read odd parameters forgivingly, as before.
    assert client.get("/search/?topic=%00&q=%00").status_code == 200


def test_a_comment_refused_by_the_rate_limit_keeps_its_text(asker, question, home_page, settings):
    settings.KNOWLEDGE_RATE_LIMITS = {"comment": 0}
    client = logged_in(make_member("佐藤 健一"))
    response = client.post(f"/questions/question/{question.pk}/comment/", {"body": "出典は？"})
    assert response.status_code == 429
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.select_one("details.qa-comment-form[open]")
    assert form.select_one("textarea[name=body]").get_text() == "出典は？"
    assert form.select_one(".errorlist li").get_text()
    assert not Comment.objects.exists()

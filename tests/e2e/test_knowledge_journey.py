"""The knowledge base as three officials use it: one asks (and sees what already exists while
typing the title), a peer answers, the asker accepts, the answerer hears of it, a third votes."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

from playwright.sync_api import expect

from .conftest import login


@contextmanager
def other_person(browser, server, email_address):
    """A second official in their own browser (cookies not shared), signed in."""
    context = browser.new_context(
        base_url=server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    try:
        login(page, email_address)
        yield page
    finally:
        context.close()


def unread_count(page) -> int:
    """The number on the header's 通知 badge (no badge: nothing unread)."""
    badge = page.get_by_role("navigation", name="アカウント").locator("a .badge")
    if not badge.count():
        return 0
    return int(re.match(r"\d+", badge.text_content().strip())[0])


def test_ask_answer_accept_notify_and_vote(page, browser, server):
    suffix = uuid.uuid4().hex[:8]
    title_start = "RPAに向く業務"
    title = f"{title_start}の見分け方を教えてください（{suffix}）"

    # --- the learner asks, and sees similar questions while typing the title ------------------
    login(page, "learner@example.jp")
    page.goto("/questions/ask/")
    expect(page.get_by_role("heading", level=1, name="質問する")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    similar = page.locator("[data-similar-results]")
    expect(similar.get_by_role("link")).to_have_count(0)
    title_box = page.get_by_role("textbox", name="タイトル")
    title_box.press_sequentially(title_start, delay=60)
    # The demo question on the same matter appears beside the form, fetched as one types.
    expect(similar.get_by_role("link", name=re.compile("RPAを試したいのですが"))).to_be_visible(
        timeout=10_000
    )
    expect(similar.locator("[data-similar-status]")).to_contain_text("関連する項目が")
    form_box = title_box.bounding_box()
    similar_box = similar.bounding_box()
    assert similar_box["x"] >= form_box["x"] + form_box["width"], "not beside the form"
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("/questions/ask/")

    title_box.press_sequentially(title.removeprefix(title_start), delay=10)
    page.get_by_role("textbox", name="詳細").fill(
        "人口1万人の町で、窓口と会計の定型作業にRPAを入れるか検討しています。"
        "向く業務と向かない業務の見分け方を知りたいです。"
    )
    page.get_by_role("button", name="質問を投稿する").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text("質問を投稿しました。")).to_be_visible()
    question_url = page.url.removeprefix(server.url)
    assert re.fullmatch(r"/questions/\d+/", question_url), question_url

    # --- a contributor answers, in their own browser ------------------------------------------
    answer_text = (
        f"当町では転記と照合の繰り返し作業から始めました（{suffix}）。"
        "判断が入る業務や様式が頻繁に変わる業務は向きません。"
    )
    with other_person(browser, server, "contributor@example.jp") as contributor:
        contributor.goto(question_url)
        contributor.get_by_role("textbox", name="あなたの答え").fill(answer_text)
        contributor.get_by_role("button", name="回答を投稿する").click()
        answer = contributor.locator("article.qa-answer", has_text=answer_text)
        expect(answer).to_be_visible()
        answer_id = answer.get_attribute("id")
        assert re.fullmatch(r"answer-\d+", answer_id or ""), answer_id
        assert f"#{answer_id}" in contributor.url
        unread_before = unread_count(contributor)

        # --- the learner accepts it ----------------------------------------------------------
        page.reload()
        learner_answer = page.locator(f"#{answer_id}")
        expect(learner_answer).to_contain_text(answer_text)
        learner_answer.get_by_role("button", name="この回答を採用する").click()
        expect(page.get_by_text("回答を採用しました。")).to_be_visible()
        expect(page.locator(f"#{answer_id}")).to_contain_text("✔ 採用された回答")
        expect(page.locator(".qa-question .qa-status")).to_have_text("回答採用済み")

        # --- the contributor hears of it: the header's badge and the inbox --------------------
        contributor.goto("/")
        header_link = contributor.get_by_role("navigation", name="アカウント").get_by_role(
            "link", name=re.compile("^通知")
        )
        expect(header_link.locator(".badge")).to_have_text(f"{unread_before + 1} 未読")
        header_link.click()
        expect(contributor.get_by_role("heading", level=1, name="通知")).to_be_visible()
        notice = contributor.locator(".qa-inbox__item", has_text=f"「{title}」")
        expect(notice).to_contain_text(f"「{title}」へのあなたの回答が採用されました")
        expect(notice.locator(".badge")).to_have_text("新着")
        notice.get_by_role("link").click()
        expect(contributor.locator(f"#{answer_id}")).to_contain_text("採用された回答")
        # The same news by e-mail (members' default is one e-mail per notification, at once).
        accepted_mail = [
            body
            for body in server.mail_to("contributor@example.jp")
            if f"「{title}」へのあなたの回答が採用されました" in body
        ]
        assert len(accepted_mail) == 1, server.mail_to("contributor@example.jp")
        # The answer's permanent address: it finds the answer's page of the thread when opened.
        permalink = f"/questions/answers/{answer_id.removeprefix('answer-')}/"
        assert permalink in accepted_mail[0]
        assert contributor.js_errors == []

    # --- a third peer finds the answer useful: the score moves without and after a reload ----
    with other_person(browser, server, "peer-ito@example.jp") as peer:
        peer.goto(question_url)
        votes = peer.locator(f"#{answer_id} [data-vote-box]")
        score = votes.locator("[data-score]")
        expect(score).to_have_text("スコア: 0")
        up = votes.get_by_role("button", name="役に立つ（高評価）")
        expect(up).to_have_attribute("aria-pressed", "false")
        peer.evaluate("window.__sameDocument = true")
        up.click()
        expect(score).to_have_text("スコア: 1")
        expect(up).to_have_attribute("aria-pressed", "true")
        assert peer.evaluate("window.__sameDocument") is True, "the vote reloaded the page"
        peer.reload()
        expect(peer.locator(f"#{answer_id} [data-score]")).to_have_text("スコア: 1")
        expect(
            peer.locator(f"#{answer_id}").get_by_role("button", name="役に立つ（高評価）")
        ).to_have_attribute("aria-pressed", "true")
        assert peer.js_errors == []

    # The asker sees the new score too.
    page.reload()
    expect(page.locator(f"#{answer_id} [data-score]")).to_have_text("スコア: 1")
    assert page.js_errors == []

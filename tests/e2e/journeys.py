"""Steps that more than one browser journey takes: signing up and confirming the e-mail address,
and taking a demo course to the end (its lessons, then its quiz). Each step asserts what a new
member sees on the way, so a journey that uses it checks the same things."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fixture(path: str) -> dict:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def demo_course(code: str) -> dict:
    curriculum = fixture("fixtures/curriculum/demo_curriculum.json")
    return next(c for c in curriculum["courses"] if c["code"] == code)


def demo_credential(slug: str) -> dict:
    credentials = fixture("fixtures/credentials/demo_credentials.json")["credentials"]
    return next(c for c in credentials if c["slug"] == slug)


def sign_up(
    page,
    server,
    *,
    address: str,
    password: str,
    display_name: str,
    municipality_reading: str = "",
    municipality: str = "",
    job_title: str = "",
    outside_expert: bool = False,
) -> None:
    """Signs up from the home page and confirms the address with the link the e-mail carries.
    Staff choose their municipality with the filter box (`municipality_reading` narrows the
    list to the one `municipality` option); an outside expert names none."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_role("navigation", name="アカウント").get_by_role("link", name="新規登録").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("メールアドレス").fill(address)
    page.get_by_label("パスワード:", exact=True).fill(password)
    page.get_by_label("パスワード (再入力)").fill(password)
    page.get_by_label("表示名").fill(display_name)
    if outside_expert:
        page.get_by_label("外部専門家として登録する", exact=False).check()
    if municipality_reading:
        page.get_by_label("名前またはよみがなで絞り込む").fill(municipality_reading)
        expect(page.get_by_role("status").filter(has_text="件が該当")).to_have_text("1件が該当")
        chosen = page.get_by_label("所属団体:", exact=True)
        expect(chosen.locator("option:checked")).to_have_text(municipality)
    if job_title:
        page.get_by_label("職名").fill(job_title)
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", name="メールアドレスを確認してください")).to_be_visible()

    bodies = server.mail_to(address)
    assert len(bodies) == 1, bodies
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", bodies[0])
    assert link, bodies[0]
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="メールアドレスの確認")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"メールアドレス {address} がユーザー {display_name} さん"
    )
    page.get_by_role("button", name="確認", exact=True).click()
    page.wait_for_load_state()
    account = page.get_by_role("navigation", name="アカウント")
    expect(account.get_by_role("link", name="ログアウト")).to_be_visible()


def answer_quiz(page, questions: list[dict]) -> int:
    """Answers every question the attempt shows, matching its text to the fixture. Returns how
    many questions were on the form."""
    fieldsets = page.locator("fieldset.quiz__question")
    count = fieldsets.count()
    assert count > 0
    for index in range(count):
        fieldset = fieldsets.nth(index)
        legend = fieldset.locator("legend").inner_text()
        question = next((q for q in questions if legend.endswith(q["text_ja"])), None)
        assert question is not None, f"a question not in the fixture: {legend}"
        if question["kind"] in ("single", "multiple"):
            for choice in question["choices"]:
                if choice["correct"]:
                    fieldset.get_by_label(choice["text_ja"], exact=True).check()
        elif question["kind"] == "true_false":
            fieldset.get_by_label("正しい" if question["answer"] else "誤り", exact=True).check()
        else:
            fieldset.get_by_label("あなたの答え").fill(question["answers"][0])
    return count


def take_course(page, course: dict) -> None:
    """From the catalogue: enrols, marks every required lesson but the last done, and completes
    the last by passing its quiz; ends on that lesson's page."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="メイン").get_by_role("link", name="研修コース").click()
    page.get_by_role("link", name=course["title_ja"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(course["title_ja"])
    page.get_by_role("button", name="このコースに受講登録する").click()
    expect(page.get_by_text("受講登録しました。最初のレッスンから始めましょう。")).to_be_visible()
    required = [
        lesson for module in course["modules"] for lesson in module["lessons"] if lesson["required"]
    ]
    expect(page.get_by_text(f"必須レッスン {len(required)} 件中 0 件完了")).to_be_visible()
    page.get_by_role("link", name=f"最初のレッスンを始める: {required[0]['title_ja']}").click()

    # Every required lesson but the last is marked done; each leads to the next.
    for lesson, following in pairwise(required):
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson["title_ja"])
        page.get_by_role("button", name="完了にして次へ進む").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(following["title_ja"])

    # The last required lesson is completed by passing its quiz.
    expect(
        page.get_by_text("このレッスンは、確認テストに合格すると完了になります。")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=course["quiz"]["title_ja"])).to_be_visible()
    page.get_by_role("button", name="確認テストを受ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(course["quiz"]["title_ja"])
    served = answer_quiz(page, course["quiz"]["questions"])
    assert served == course["quiz"]["sample_size"]
    page.get_by_role("button", name="回答を提出する").click()
    expect(page.get_by_role("status")).to_contain_text("100% で合格しました。")
    expect(page.locator(".quiz__review-item--wrong")).to_have_count(0)
    page.get_by_role("link", name="レッスンに戻る").click()
    expect(page.get_by_text("このレッスンは完了しています。")).to_be_visible()

"""A new municipal official's journey: sign up, confirm the e-mail, take a course to the end,
earn its credential, download it, verify it, and see a tampered copy rejected."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
COURSE_CODE = "K2"  # BPRと業務可視化: four required lessons, the quiz on the last one
CREDENTIAL_SLUG = "bpr-practitioner"  # awarded for completing K2
PASSWORD = "Tokai-Mura-2026-bpr"


def _fixture(path: str) -> dict:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def _course() -> dict:
    curriculum = _fixture("fixtures/curriculum/demo_curriculum.json")
    return next(c for c in curriculum["courses"] if c["code"] == COURSE_CODE)


def _credential() -> dict:
    credentials = _fixture("fixtures/credentials/demo_credentials.json")["credentials"]
    credential = next(c for c in credentials if c["slug"] == CREDENTIAL_SLUG)
    # The journey relies on this: completing the course is what earns the credential.
    assert credential["rules"] == [{"kind": "course", "course": COURSE_CODE}]
    return credential


def _answer_quiz(page, questions: list[dict]) -> int:
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


def test_official_signs_up_learns_and_verifies_a_credential(page, server):
    # Imported here: without Playwright the `page` fixture skips the test instead.
    from playwright.sync_api import expect

    course = _course()
    credential = _credential()
    suffix = uuid.uuid4().hex[:8]
    address = f"official-{suffix}@example.jp"
    display_name = f"東海 太郎 {suffix}"
    today = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d")

    # Sign up, choosing the municipality with the filter box.
    page.goto("/")
    page.get_by_role("navigation", name="アカウント").get_by_role("link", name="新規登録").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("メールアドレス").fill(address)
    page.get_by_label("パスワード:", exact=True).fill(PASSWORD)
    page.get_by_label("パスワード (再入力)").fill(PASSWORD)
    page.get_by_label("表示名").fill(display_name)
    page.get_by_label("名前またはよみがなで絞り込む").fill("とうかいむら")
    expect(page.get_by_role("status").filter(has_text="件が該当")).to_have_text("1件が該当")
    municipality = page.get_by_label("所属団体:", exact=True)
    expect(municipality.locator("option:checked")).to_have_text("東海村（とうかいむら）")
    page.get_by_label("職名").fill("企画課 DX推進係")
    page.get_by_role("button", name="ユーザー登録").click()
    expect(page.get_by_role("heading", name="メールアドレスを確認してください")).to_be_visible()

    # The confirmation e-mail: open its link and confirm.
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

    # The profile shows the municipality chosen at sign-up.
    account.get_by_role("link", name="マイプロフィール").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(display_name)
    expect(page.locator("dd").filter(has_text="東海村")).to_contain_text("茨城県 東海村")

    # Find the course in the catalogue and enrol.
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
    served = _answer_quiz(page, course["quiz"]["questions"])
    assert served == course["quiz"]["sample_size"]
    page.get_by_role("button", name="回答を提出する").click()
    expect(page.get_by_role("status")).to_contain_text("100% で合格しました。")
    expect(page.locator(".quiz__review-item--wrong")).to_have_count(0)
    page.get_by_role("link", name="レッスンに戻る").click()
    expect(page.get_by_text("このレッスンは完了しています。")).to_be_visible()

    # The course is completed, on its page and in My learning.
    page.get_by_role("link", name=course["title_ja"]).first.click()
    expect(page.get_by_text(f"{today} に修了しました。")).to_be_visible()
    expect(
        page.get_by_text(f"必須レッスン {len(required)} 件中 {len(required)} 件完了")
    ).to_be_visible()
    account.get_by_role("link", name="マイ学習").click()
    mine = page.locator(".dashboard__course").filter(has_text=course["title_ja"])
    expect(mine).to_contain_text(f"{today} に修了しました。")

    # The credential is in My credentials; open its page.
    account.get_by_role("link", name="取得した認定").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("取得した認定")
    card = page.locator(".credential-card").filter(has_text=credential["name_ja"])
    expect(card).to_have_count(1)
    expect(card).to_contain_text(f"{today} 発行")
    expect(card.locator(".badge-status")).to_have_text("有効")
    card.get_by_role("link", name=credential["name_ja"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(credential["name_ja"])
    expect(page.get_by_text(f"取得者: {display_name}")).to_be_visible()
    expect(page.get_by_text("検証済み:")).to_be_visible()

    # Download its JSON.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="ダウンロード(JSON)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    text = Path(download.path()).read_text(encoding="utf-8")
    document = json.loads(text)
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["name"] == credential["name_ja"]

    # Verify it on the verify page.
    page.get_by_role("link", name="認定証明書の検証").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("認定証明書の検証")
    page.get_by_label("証明書(JSON)またはJWT").fill(text)
    page.get_by_role("button", name="検証する").click()
    report = page.locator(".verify-report")
    expect(report).to_contain_text(
        "検証済み: このプラットフォームが発行・署名した、有効で取り消されていない証明書です。"
    )
    signature = report.get_by_role("row", name=re.compile("^署名"))
    expect(signature).to_contain_text("✔ 合格")
    expect(report.locator(".verify-report__check--failed")).to_have_count(0)

    # Change one character of the achievement's name: the signature no longer matches.
    tampered_name = achievement["name"].replace("実践", "実戦")
    assert tampered_name != achievement["name"]
    achievement["name"] = tampered_name
    tampered = json.dumps(document, ensure_ascii=False, indent=2)
    assert len(tampered) == len(text.rstrip("\n"))
    assert sum(a != b for a, b in zip(tampered, text, strict=False)) == 1
    page.get_by_label("証明書(JSON)またはJWT").fill(tampered)
    page.get_by_role("button", name="検証する").click()
    report = page.locator(".verify-report")
    expect(report).to_contain_text("検証できませんでした。")
    expect(report).not_to_contain_text("検証済み")
    signature = report.get_by_role("row", name=re.compile("^署名"))
    expect(signature).to_contain_text("✘ 不合格")
    for skipped in ("発行者", "有効期間", "取消し"):
        expect(report.get_by_role("row", name=re.compile(f"^{skipped}"))).to_contain_text(
            "署名が正しくないため確認していません。"
        )
    expect(signature).to_contain_text(
        "署名が内容と一致しません。署名後に書き換えられたか、別の鍵で署名されています。"
    )

    assert page.js_errors == []

"""A new municipal official's journey: sign up, confirm the e-mail, take a course to the end,
earn its credential, download it, verify it, and see a tampered copy rejected."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .journeys import demo_course, demo_credential, sign_up, take_course

COURSE_CODE = "K2"  # BPRと業務可視化: four required lessons, the quiz on the last one
CREDENTIAL_SLUG = "bpr-practitioner"  # awarded for completing K2
PASSWORD = "Tokai-Mura-2026-bpr"


def _credential() -> dict:
    credential = demo_credential(CREDENTIAL_SLUG)
    # The journey relies on this: completing the course is what earns the credential.
    assert credential["rules"] == [{"kind": "course", "course": COURSE_CODE}]
    return credential


def test_official_signs_up_learns_and_verifies_a_credential(page, server):
    # Imported here: without Playwright the `page` fixture skips the test instead.
    from playwright.sync_api import expect

    course = demo_course(COURSE_CODE)
    credential = _credential()
    suffix = uuid.uuid4().hex[:8]
    address = f"official-{suffix}@example.jp"
    display_name = f"東海 太郎 {suffix}"
    today = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d")

    # Sign up, choosing the municipality with the filter box, and confirm the address.
    sign_up(
        page,
        server,
        address=address,
        password=PASSWORD,
        display_name=display_name,
        municipality_reading="とうかいむら",
        municipality="東海村（とうかいむら）",
        job_title="企画課 DX推進係",
    )
    account = page.get_by_role("navigation", name="アカウント")

    # The profile shows the municipality chosen at sign-up.
    account.get_by_role("link", name="マイプロフィール").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(display_name)
    expect(page.locator("dd").filter(has_text="東海村")).to_contain_text("茨城県 東海村")

    # Find the course in the catalogue, enrol and take it to the end.
    take_course(page, course)
    required = [
        lesson for module in course["modules"] for lesson in module["lessons"] if lesson["required"]
    ]

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

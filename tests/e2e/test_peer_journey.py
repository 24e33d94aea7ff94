"""A peer's case study, from the contributor's four-step form through the moderator's approval in
the Wagtail admin to the public case library and the Japanese site search."""

import re
import secrets

from playwright.sync_api import expect

from .conftest import login

FUCHU_TOWN = "343021"  # 広島県府中町, 全国地方公共団体コード


def sign_out(page):
    page.goto("/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name="ログアウト").click()
    account = page.get_by_role("navigation", name="アカウント")
    expect(account.get_by_role("link", name="ログイン")).to_be_visible()


def test_contributor_writes_a_case_a_moderator_approves_it_and_peers_find_it(page, server):
    title = f"窓口予約システムで待ち時間を半減 {secrets.token_hex(3)}"

    # --- The contributor writes the case from the site. ---------------------------------------
    login(page, "contributor@example.jp")
    page.goto("/case-studies/mine/")
    page.get_by_role("link", name="事例を書く").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("事例を書く")

    # Step 1: municipality and topic.
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("概要").fill("窓口の予約制を導入し、来庁者の待ち時間を半分にした。")
    page.get_by_label("名前またはよみがなで絞り込む").fill("府中町")
    expect(page.get_by_role("status").filter(has_text="件が該当")).to_have_text("1件が該当")
    expect(page.get_by_label("所属団体")).to_have_value(FUCHU_TOWN)
    page.get_by_role("group", name="トピック").get_by_label("フロントヤード改革").check()
    page.get_by_label("技術・製品").fill("予約システム, LGWAN-ASP")
    page.get_by_label(re.compile("^開始")).fill("2025-04-01")
    page.get_by_role("button", name="保存して次へ").click()

    # Step 2: problem and approach, in Markdown, with the live and the server-side preview.
    expect(page.get_by_role("heading", level=2, name="課題と取組")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("textbox", name="課題").fill(
        "予約なしの来庁が集中し、**太字**のように目立つ長い待ち時間があった。"
    )
    live_preview = page.get_by_role("region", name="プレビュー: 課題")
    expect(live_preview.locator("strong")).to_have_text("太字")
    page.get_by_role("textbox", name="取組").fill(
        "オンラインで来庁を予約できるようにし、予約枠を時間帯ごとに設けた。"
    )
    page.get_by_role("button", name="プレビュー", exact=True).click()
    preview = page.get_by_role("region", name="プレビュー", exact=True)
    expect(preview.locator("strong")).to_have_text("太字")
    expect(preview).to_contain_text("オンラインで来庁を予約できる")
    expect(preview).not_to_contain_text("**")
    page.get_by_role("button", name="保存して次へ").click()

    # Step 3: outcomes, one figure.
    expect(page.get_by_role("heading", level=2, name="成果と費用")).to_be_visible()
    figure = page.get_by_role("group", name="成果の数値").locator(".case-form__row").first
    figure.get_by_label("種別").select_option(label="年間削減時間")
    figure.get_by_label("測定項目").fill("来庁者の待ち時間")
    figure.get_by_label("値").fill("1200")
    figure.get_by_label("単位").fill("時間")
    page.get_by_role("button", name="保存して次へ").click()

    # Step 4: lessons and a source; submitting needs the source first.
    expect(page.get_by_role("heading", level=2, name="教訓と出典")).to_be_visible()
    submit = page.get_by_role("button", name="審査に提出する")
    expect(submit).to_be_disabled()
    lessons = page.get_by_role("textbox", name="教訓")
    lessons.fill("予約枠は**少なめ**に始め、利用状況を見て増やす。")
    source = page.get_by_role("group", name="出典").locator(".case-form__row").first
    source.get_by_label("タイトル").fill("窓口予約の導入効果(庁内報告)")
    source.get_by_label("URL").fill("https://www.example.jp/madoguchi-yoyaku")
    source.get_by_label("取得日").fill("2026-01-15")
    page.get_by_role("button", name="下書き保存").click()
    expect(page.get_by_role("status")).to_contain_text("下書きとして保存しました。")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.get_by_role("status")).to_contain_text("審査に提出しました。")
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text("審査中")
    sign_out(page)

    # --- The moderator approves it from the Wagtail dashboard. --------------------------------
    login(page, "moderator@example.jp")
    page.goto("/admin/")
    awaiting = page.get_by_role("row").filter(has_text=title)
    expect(awaiting).to_contain_text("contributor")
    awaiting.get_by_role("button", name="操作").click()
    awaiting.get_by_role("button", name="承認する", exact=True).click()
    expect(page.get_by_role("row").filter(has_text=title)).to_have_count(0)
    published = f"あなたの事例「{title}」が承認され、公開されました。"
    assert any(published in body for body in server.mail_to("contributor@example.jp")), (
        "the contributor was not told by e-mail that the case is published"
    )
    sign_out(page)

    # --- Anyone finds it in the case library under its topic… ---------------------------------
    page.goto("/cases/")
    page.get_by_role("group", name="トピック").get_by_role(
        "checkbox", name=re.compile(r"^フロントヤード改革")
    ).check()
    page.get_by_role("button", name="絞り込む").click()
    expect(page).to_have_url(re.compile(r"[?&]topic="))
    expect(
        page.get_by_role("group", name="トピック").get_by_role(
            "checkbox", name=re.compile(r"^フロントヤード改革")
        )
    ).to_be_checked()
    card = page.get_by_role("article", name=title)
    expect(card).to_contain_text("府中町")
    expect(card).to_contain_text("フロントヤード改革")
    expect(card).to_contain_text("来庁者の待ち時間")
    card.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("main").locator("strong", has_text="太字")).to_be_visible()

    # --- …and in a Japanese search. -----------------------------------------------------------
    page.goto("/search/")
    page.get_by_label("サイト内を検索").fill("窓口予約システム")
    page.get_by_role("search").get_by_role("button", name="検索").click()
    results = page.get_by_role("region", name=re.compile("「窓口予約システム」の検索結果"))
    result = results.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=re.compile(re.escape(title)))
    )
    expect(result).to_have_count(1)
    expect(result.get_by_text("事例", exact=True)).to_be_visible()

    assert page.js_errors == []

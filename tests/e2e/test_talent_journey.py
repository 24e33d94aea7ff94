"""The talent pool's journey: an outside expert signs up, earns a credential on the site, offers
themselves in 愛媛県's pool with that credential shown; a municipality's recruiter posts a need,
finds the expert among the ranked candidates with the level the credential proves, and writes
to them; the expert sees no address until they accept, and then both sides see each other's."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from .conftest import login
from .journeys import demo_course, demo_credential, sign_up, take_course

COURSE_CODE = "K2"  # completing it earns bpr-practitioner: C2 and C11 at level 2
CREDENTIAL_SLUG = "bpr-practitioner"
PASSWORD = "Uwajima-Pool-2026"
RECRUITER = "recruiter@example.jp"  # 八幡浜市's recruiter in the demo


def test_outside_expert_is_matched_contacted_and_accepts(browser, server, context, page):
    from playwright.sync_api import expect

    credential = demo_credential(CREDENTIAL_SLUG)
    assert credential["competencies"] == {"C2": 2, "C11": 2}
    suffix = uuid.uuid4().hex[:8]
    address = f"expert-{suffix}@example.jp"
    name = f"宇和島 大介 {suffix}"
    need_title = f"窓口BPRの伴走支援 {suffix}"

    # An outside expert signs up without a municipality, and earns the credential.
    sign_up(
        page, server, address=address, password=PASSWORD, display_name=name, outside_expert=True
    )
    page.get_by_role("navigation", name="アカウント").get_by_role(
        "link", name="マイプロフィール"
    ).click()
    expect(page.get_by_text("外部専門家", exact=True)).to_be_visible()
    take_course(page, demo_course(COURSE_CODE))

    # The talent profile: listed in 愛媛県's pool, the credential shown.
    page.get_by_role("navigation", name="メイン").get_by_role("link", name="人材プール").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人材プール")
    page.get_by_role("link", name="人材プロフィールを作成").click()
    page.get_by_label("選んだ人材プールに登録する").check()
    expect(page.get_by_label("経歴の区分")).to_have_value("private")
    page.get_by_label("ひとこと紹介").fill("窓口業務の可視化とBPRを民間で10年")
    page.get_by_label("経験:", exact=True).fill("自治体の窓口改革を5団体で支援しました。")
    page.get_by_label("月あたり日数").fill("4")
    page.get_by_label("拠点の都道府県").select_option(label="愛媛県")
    page.get_by_label("愛媛県", exact=True).check()
    page.get_by_label("サービスデザイナー").check()
    page.get_by_label("C2 BPR・業務可視化").select_option("2")
    page.get_by_label(re.compile(re.escape(credential["name_ja"]))).check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".talent-status--open")).to_contain_text("愛媛県")

    # The recruiter of 八幡浜市 posts a need that asks for what the credential proves.
    recruiter_context = browser.new_context(
        base_url=server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    recruiter_context.set_default_timeout(15_000)
    staff = recruiter_context.new_page()
    try:
        login(staff, RECRUITER)
        staff.goto("/talent/needs/new/")
        staff.get_by_label("タイトル").fill(need_title)
        staff.get_by_label("役割:", exact=True).select_option("service_designer")
        staff.get_by_label("業務内容").fill(
            "窓口の業務フローを可視化し、書かない窓口を設計します。"
        )
        staff.get_by_label("開始日").fill("2027-04-01")
        staff.get_by_label("月あたり日数").fill("2")
        staff.get_by_label("C2 BPR・業務可視化").select_option("2")
        staff.get_by_label("C11 IT財務・コスト管理・ベンチマーク").select_option("2")
        staff.get_by_role("button", name="掲載する").click()
        expect(staff.get_by_role("heading", level=1)).to_have_text(need_title)

        # The expert is among the ranked candidates, both levels verified by the credential
        # (ahead of everyone who only declares them: the order itself is tested in
        # tests/talent/test_matching.py).
        staff.get_by_role("link", name="候補者ランキングを見る").click()
        entry = staff.locator(".talent-match").filter(has_text=name)
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text("外部専門家")
        expect(entry.get_by_text("レベル2・認定で確認済み")).to_have_count(2)
        expect(entry).to_contain_text(credential["name_ja"])
        order = staff.locator(".talent-match").all_inner_texts()
        mine = next(index for index, text in enumerate(order) if name in text)
        unverified = [index for index, text in enumerate(order) if "認定で確認済み" not in text]
        assert all(mine < index for index in unverified), order
        expect(staff.locator("main")).not_to_contain_text(address)

        # The recruiter writes to them.
        entry.get_by_role("link", name=re.compile("^連絡する")).click()
        staff.get_by_label("メッセージ").fill("窓口改革の件で、一度オンラインでお話しできますか。")
        staff.get_by_role("button", name="送信", exact=True).click()
        expect(staff.get_by_text("メッセージを送りました。")).to_be_visible()
        expect(staff.locator("main")).to_contain_text("候補者が連絡依頼を承諾した後に")
        expect(staff.locator("main")).not_to_contain_text(address)
        request_url = staff.url

        # The expert is told by e-mail, without the recruiter's address.
        mail = server.mail_to(address)[-1]
        assert RECRUITER not in mail
        link = re.search(r"https?://\S+/talent/requests/\d+/", mail)
        assert link, mail

        # Before accepting, the expert sees the message but no address.
        page.goto(link.group(0))
        expect(page.get_by_role("heading", level=1)).to_contain_text(need_title)
        expect(page.locator("main")).to_contain_text("窓口改革の件で")
        expect(page.locator("main")).not_to_contain_text(RECRUITER)
        page.get_by_role("button", name="承諾する").click()

        # After accepting, each side sees the other's address.
        expect(page.locator("main")).to_contain_text(RECRUITER)
        staff.goto(request_url)
        expect(staff.locator("main")).to_contain_text(address)
        # The recruiter is told the candidate accepted, with the link to the request.
        path = urlsplit(request_url).path
        assert any(path in body for body in server.mail_to(RECRUITER))
    finally:
        recruiter_context.close()
    assert page.js_errors == []

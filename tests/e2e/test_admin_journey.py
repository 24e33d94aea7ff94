"""An administrator builds a course in the Wagtail admin (a question, a quiz, then course → module
→ lesson under an existing programme), a learner takes it on the site, and the administrator reads
the learning report and downloads it as CSV."""

import csv
import io
import re
import secrets

from playwright.sync_api import expect

from .conftest import login

PROGRAMME = "情報政策担当 基礎プログラム"  # a programme of the demo catalogue (研修コース)


def named(label):
    """A Wagtail admin field's accessible name: its label, with an asterisk when required."""
    return re.compile(rf"^{re.escape(label)}\*?$")


def sign_out(page):
    page.goto("/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name="ログアウト").click()
    account = page.get_by_role("navigation", name="アカウント")
    expect(account.get_by_role("link", name="ログイン")).to_be_visible()


def choose(page, button_name, item):
    """Picks `item` in a Wagtail chooser modal, turning its pages until it is listed (the question
    bank and quizzes are listed oldest first and cannot be searched)."""
    page.get_by_role("button", name=button_name).click()
    dialog = page.get_by_role("dialog")
    position = dialog.get_by_text(re.compile(r"^\d+ページ中\d+ページ目$"))
    expect(position).to_be_visible()
    link = dialog.get_by_role("link", name=item, exact=True)
    while not link.count():
        shown = position.inner_text()
        dialog.get_by_role("link", name="次へ").click()
        expect(position).not_to_have_text(shown)
    link.click()
    expect(dialog).to_be_hidden()


def fill_title_and_slug(page, title, slug):
    """Japanese titles give no usable slug, so the admin types one on the Promote tab, once
    Wagtail has filled in its own from the title (otherwise that would overwrite it)."""
    title_box = page.get_by_role("textbox", name=named("タイトル"))
    title_box.fill(title)
    title_box.blur()
    slug_box = page.get_by_role("textbox", name=named("スラッグ"), include_hidden=True)
    expect(slug_box).not_to_have_value("")
    page.get_by_role("tab", name="プロモート").click()
    slug_box.fill(slug)
    expect(slug_box).to_have_value(slug)
    page.get_by_role("tab", name="コンテンツ").click()


def publish(page, title):
    page.get_by_role("button", name="他のアクション").click()
    page.get_by_role("button", name="公開", exact=True).click()
    expect(page.get_by_text(f"'{title}' が作成され、公開されました")).to_be_visible()


def test_admin_builds_a_course_a_learner_takes_it_and_the_report_downloads(page):
    suffix = secrets.token_hex(3)
    question_text = f"マイナンバーカードの受け取りでは本人確認が必要である。({suffix})"
    quiz_title = f"確認テスト: 窓口DX入門 {suffix}"
    course_title = f"窓口DX入門 {suffix}"
    module_title = f"第1章 窓口の現状 {suffix}"
    lesson_title = f"窓口の待ち時間を測る {suffix}"

    login(page, "admin@example.jp")

    # --- A question for the bank, and a quiz drawing on it. -----------------------------------
    page.goto("/admin/")
    page.get_by_role("button", name="確認テスト").click()
    page.get_by_role("link", name="問題バンク").click()
    page.get_by_role("link", name=re.compile(r"^問題\s*を追加")).click()
    page.get_by_role("combobox", name=named("種別")).select_option(label="正誤")
    page.get_by_role("textbox", name=named("問題")).fill(question_text)
    page.get_by_role("combobox", name=named("正誤問題の正解")).select_option(label="はい")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text(f"'{question_text}' が作成されました")).to_be_visible()

    page.get_by_role("button", name="確認テスト").click()
    page.get_by_role("link", name="確認テスト", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^確認テスト\s*を追加")).click()
    page.get_by_role("textbox", name=named("タイトル")).fill(quiz_title)
    page.get_by_role("spinbutton", name=named("合格点(%)")).fill("70")
    # The inline panel's "add" button reads 相談を追加 (see the report): found by its id.
    page.locator("#id_quiz_questions-ADD").click()
    choose(page, "問題を選択", question_text)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text(f"'{quiz_title}' が作成されました")).to_be_visible()

    # --- Course → module → lesson under an existing programme, each published. ---------------
    page.goto("/admin/pages/")
    page.get_by_role("link", name="自治体CIOアカデミーの子ページを閲覧").click()
    page.get_by_role("link", name="研修コースの子ページを閲覧").click()
    page.get_by_role("link", name=f"{PROGRAMME}の子ページを閲覧").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PROGRAMME)
    page.get_by_role("link", name="子ページを追加").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("コース")
    fill_title_and_slug(page, course_title, f"madoguchi-dx-{suffix}")
    page.get_by_role("textbox", name=named("概要")).fill(
        "窓口の待ち時間と手続きの流れを測り、改善案をまとめる入門コースです。"
    )
    page.get_by_role("textbox", name=named("学習目標")).fill(
        "窓口の待ち時間を測定できる\n改善案を数値で説明できる"
    )
    page.get_by_role("spinbutton", name=named("標準学習時間")).fill("2")
    publish(page, course_title)

    page.get_by_role("link", name=f"{course_title}に子ページを追加").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("モジュール")
    fill_title_and_slug(page, module_title, "module-1")
    publish(page, module_title)

    page.get_by_role("link", name=f"{module_title}に子ページを追加").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("レッスン")
    fill_title_and_slug(page, lesson_title, "measure-waiting")
    page.get_by_role("button", name="Insert a block").click()
    page.get_by_role("option", name="Markdown").click()
    # Wagtail gives a StreamField block's text area no label of its own: found by its name.
    page.locator("textarea[name='body-0-value']").fill(
        "## 待ち時間を測る\n\n**受付から交付まで**の時間を、曜日と時間帯ごとに記録します。"
    )
    page.get_by_role("spinbutton", name=named("標準学習時間(分)")).fill("20")
    choose(page, "確認テストを選択", quiz_title)
    publish(page, lesson_title)
    sign_out(page)

    # --- The learner finds the course, enrols, reads the lesson and passes its quiz. ----------
    login(page, "learner@example.jp")
    page.goto("/courses/")
    page.get_by_role("main").get_by_role("link", name=course_title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(course_title)
    expect(page.get_by_role("main")).to_contain_text("窓口の待ち時間を測定できる")
    page.get_by_role("button", name="このコースに受講登録する").click()
    expect(page.get_by_role("status")).to_contain_text("受講登録しました")
    main = page.get_by_role("main")
    main.get_by_role("link", name=re.compile(re.escape(lesson_title))).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson_title)
    expect(page.get_by_role("main").locator("strong")).to_have_text("受付から交付まで")
    quiz = page.get_by_role("region", name=quiz_title)
    quiz.get_by_role("button", name="確認テストを受ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(quiz_title)
    page.get_by_role("group", name=re.compile(re.escape(question_text))).get_by_label(
        "正しい"
    ).check()
    page.get_by_role("button", name="回答を提出する").click()
    expect(page.get_by_role("status")).to_contain_text("100% で合格しました。")
    page.get_by_role("navigation", name="アカウント").get_by_role("link", name="マイ学習").click()
    mine = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", level=3, name=course_title)
    )
    expect(mine.get_by_role("progressbar")).to_have_attribute("value", "100")
    expect(mine).to_contain_text("に修了しました。")
    sign_out(page)

    # --- The administrator reads the learning report and downloads it. ------------------------
    login(page, "admin@example.jp")
    page.goto("/admin/")
    page.get_by_role("button", name="レポート").click()
    page.get_by_role("link", name="学習", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("学習レポート")
    row = page.get_by_role("row").filter(has_text=course_title)
    expect(row.get_by_role("cell")).to_have_text(["1", "1", "100%", "100.0"])
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSVをダウンロード").click()
    download = download_info.value
    assert download.suggested_filename == "courses.csv"
    text = download.path().read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV has no BOM: Excel would misread the Japanese"
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["コース", "受講登録", "修了", "修了率(%)", "確認テスト平均点"]
    assert [course_title, "1", "1", "100", "100.0"] in rows[1:]

    assert page.js_errors == []

"""A prefecture's fiscal-year training cycle, end to end: 広島県's training officer opens a run of a
course in the admin and enrols the staff of 府中町; the learner there sees the deadline in My
learning and in her calendar feed, gets the daily command's reminder, completes the course; the
officer downloads the learner list with her marked complete and prints the completion list."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.conftest import login
from tests.e2e.journeys import answer_quiz
from tests.e2e.test_admin_journey import named, sign_out

ROOT = Path(__file__).resolve().parents[2]
# K7 フロントヤード改革・サービスデザイン: no prerequisite, the quiz on its last lesson.
COURSE_CODE = "K7"
TRAINER = "trainer@example.jp"  # 広島県 総務局, in the Training staff group
LEARNER = "learner@example.jp"  # 山田 花子, 広島県 府中町
LEARNER_NAME = "山田 花子"


def _course() -> dict:
    curriculum = json.loads(
        (ROOT / "fixtures/curriculum/demo_curriculum.json").read_text(encoding="utf-8")
    )
    return next(c for c in curriculum["courses"] if c["code"] == COURSE_CODE)


def _choose_course(page, title: str) -> None:
    """The run's course, picked in Wagtail's page chooser by searching for its title."""
    page.get_by_role("button", name=re.compile("ページを選択")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name=re.compile("検索")).fill(title)
    dialog.get_by_role("link", name=title, exact=True).first.click()
    from playwright.sync_api import expect

    expect(dialog).to_be_hidden()


def test_a_prefecture_runs_a_course_and_downloads_who_finished(page, server):
    from playwright.sync_api import expect

    course = _course()
    japan = ZoneInfo("Asia/Tokyo")
    today = datetime.now(japan).date()
    deadline = today + timedelta(days=7)  # the 7-day reminder goes out today
    title = f"広島県 窓口改革研修 令和8年度 {uuid.uuid4().hex[:6]}"

    # --- The training officer opens the run in the admin. -------------------------------------
    login(page, TRAINER)
    page.goto("/admin/snippets/curriculum/courserun/add/")
    _choose_course(page, course["title_ja"])
    page.get_by_role("textbox", name=named("タイトル")).fill(title)
    organiser = page.get_by_role("combobox", name=named("実施主体"))
    offered = organiser.locator("option").all_inner_texts()
    assert not any(text.startswith("愛媛県") for text in offered), offered  # only her prefecture
    organiser.select_option(label="広島県（ひろしまけん）")
    for label, day in (
        ("受付開始日", today),
        ("受付終了日", deadline),
        ("開始日", today),
        ("締切日", deadline),
    ):
        page.get_by_role("textbox", name=named(label)).fill(f"{day:%Y-%m-%d}")
    # A click elsewhere closes the date pickers, which would otherwise cover Save.
    capacity = page.get_by_role("spinbutton", name=named("定員"))
    capacity.click()
    capacity.fill("30")
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(0)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text(f"'{title}' が作成されました")).to_be_visible()

    # --- She enrols everyone in 府中町 from the run's learner list. ---------------------------
    page.goto("/admin/course-runs/")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    page.get_by_role("main").get_by_role("link", name="この開講に受講者を登録").click()
    municipality = page.get_by_label("市区町村の全員")
    fuchu = municipality.locator("option", has_text="府中町").first.get_attribute("value")
    municipality.select_option(fuchu)
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("status").filter(has_text="開講に登録しました")).to_contain_text(
        re.compile(r"^\s*[1-9]\d* 人を開講に登録しました")
    )
    # The learner is told by e-mail, with the run's deadline.
    invitation = [m for m in server.mail_to(LEARNER) if title in m]
    assert invitation and f"{deadline:%Y-%m-%d}" in invitation[-1], server.mail_to(LEARNER)[-1:]

    # --- The daily command sends the 7-day reminder. ------------------------------------------
    output = server.manage("send_deadline_reminders")
    assert re.search(r"[1-9]\d* deadline reminders sent", output), output
    reminders = [m for m in server.mail_to(LEARNER) if title in m and m not in invitation]
    assert reminders, "no reminder e-mail for the new run"
    assert f"{deadline:%Y-%m-%d}" in reminders[-1]
    sign_out(page)

    # --- The learner sees the deadline in My learning and in her calendar feed. ---------------
    login(page, LEARNER)
    page.goto("/learn/")
    card = page.locator(".dashboard__course").filter(has_text=course["title_ja"])
    expect(card).to_contain_text(title)
    expect(card.locator(f"time[datetime='{deadline:%Y-%m-%d}']").first).to_be_visible()
    expect(card).to_contain_text(re.compile(r"あと\s*7\s*日"))
    page.get_by_role("link", name="締切とライブ講義の予定をカレンダーに追加する").click()
    feed_url = page.get_by_label("カレンダーのアドレス(iCalendar)").input_value()
    feed = page.request.get(feed_url)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    calendar = feed.text().replace("\r\n ", "")  # unfold long lines
    assert f"DTSTART;VALUE=DATE:{deadline:%Y%m%d}" in calendar, calendar
    assert course["title_ja"] in calendar

    # --- She completes the course: every required lesson, the last by its quiz. ---------------
    page.goto("/learn/")
    page.locator(".dashboard__course").filter(has_text=course["title_ja"]).get_by_role(
        "link", name=course["title_ja"]
    ).first.click()
    required = [
        lesson for module in course["modules"] for lesson in module["lessons"] if lesson["required"]
    ]
    page.get_by_role("link", name=re.compile(re.escape(required[0]["title_ja"]))).first.click()
    for lesson, following in pairwise(required):
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson["title_ja"])
        page.get_by_role("button", name="完了にして次へ進む").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(following["title_ja"])
    page.get_by_role("button", name="確認テストを受ける").click()
    answer_quiz(page, course["quiz"]["questions"])
    page.get_by_role("button", name="回答を提出する").click()
    expect(page.get_by_role("status")).to_contain_text("合格しました")
    page.goto("/learn/")
    card = page.locator(".dashboard__course").filter(has_text=course["title_ja"])
    expect(card).to_contain_text(f"{today:%Y-%m-%d} に修了しました。")
    sign_out(page)

    # --- The officer downloads the list with her marked complete, and the completion list. ----
    login(page, TRAINER)
    page.goto("/admin/course-runs/")
    page.get_by_role("link", name=title).click()
    row = page.locator("table.run-learners tbody tr").filter(has_text=LEARNER_NAME)
    expect(row).to_contain_text("修了")
    expect(row).to_contain_text(f"{today:%Y-%m-%d}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSVをダウンロード").click()
    text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    mine = [r for r in rows if LEARNER_NAME in r]
    assert len(mine) == 1, rows
    assert "修了" in mine[0] and f"{today:%Y-%m-%d}" in mine[0], rows
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel(.xlsx)をダウンロード").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name=re.compile("修了者一覧")).click()
    expect(page.locator("main, body").first).to_contain_text(LEARNER_NAME)
    assert not page.js_errors, page.js_errors

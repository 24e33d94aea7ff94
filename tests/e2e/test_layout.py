"""Layout on a desktop and on a phone (issue 21).

- no key page scrolls sideways, at 1280 px or at 390 px: the document is no wider than the
  viewport and no visible element reaches past its right edge (what a scroll container clips,
  such as a wide table in its `.table-scroll`, is not visible and does not count);
- on a phone the header's navs fold behind a menu button that opens them, and Escape closes them
  again; without JavaScript they are on the page all the same;
- on a phone a listing's filters fold into a panel above the results that says how many are on;
  on a desktop they are open, as before.

Each page and width leaves a screenshot in var/e2e-screenshots/<page>-<width>.png.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import ROOT, login

SCREENSHOTS = ROOT / "var" / "e2e-screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = 844
LEARNER = "learner@example.jp"

# Run by `manage.py shell` in the server's environment: addresses of demo content that has no
# fixed one (page slugs and primary keys belong to the demo data, not to the URLconf).
DEMO_ADDRESSES = """
import json
from casestudies.models import CaseStudyPage
from curriculum.demo import DEMO_RUN
from curriculum.models import CoursePage, CourseRun, LessonPage
from knowledge.models import Answer
course = CoursePage.objects.live().filter(code=DEMO_RUN["course"], locale__language_code="ja").get()
lesson = LessonPage.objects.live().descendant_of(course).order_by("path").first()
case = CaseStudyPage.objects.live().filter(locale__language_code="ja").order_by("path").first()
answer = Answer.objects.filter(question__answers__isnull=False).order_by("pk").first()
run = CourseRun.objects.get(title=DEMO_RUN["title"])
print(json.dumps({
    "course": course.url, "lesson": lesson.url, "case": case.url,
    "question": answer.question.get_absolute_url(), "run": run.pk,
}))
"""

# What every visible element's box is measured against. A box is not visible past the edge when
# an ancestor clips it (overflow other than visible: a scroll container) or when it is clipped
# itself (.visually-hidden). Only the outermost offenders are reported, as short CSS paths.
OVERFLOW = """() => {
  const edge = document.documentElement.clientWidth;
  const clipped = (el) => {
    const style = getComputedStyle(el);
    return (style.clip && style.clip !== "auto") || (style.clipPath && style.clipPath !== "none");
  };
  const insideClip = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== "visible" || clipped(up)) return true;
    }
    return false;
  };
  const name = (el) => {
    let part = el.tagName.toLowerCase();
    if (el.id) return part + "#" + el.id;
    const classes = Array.from(el.classList).slice(0, 2);
    if (classes.length) part += "." + classes.join(".");
    return part;
  };
  const path = (el) => {
    const parts = [];
    for (let at = el; at && at !== document.body && parts.length < 4; at = at.parentElement) {
      parts.unshift(name(at));
      if (at.id) break;
    }
    return parts.join(" > ");
  };
  const offending = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || clipped(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > edge + 0.5 && !insideClip(el)) offending.add(el);
  }
  const report = [];
  for (const el of offending) {
    if (offending.has(el.parentElement)) continue;
    report.push(path(el) + " (right edge " + Math.round(el.getBoundingClientRect().right) + " px)");
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: edge,
    innerWidth: window.innerWidth,
    offenders: report.slice(0, 12),
    more: Math.max(0, report.length - 12),
  };
}"""


@pytest.fixture(scope="module")
def demo(server):
    output = server.manage("shell", "-v", "0", "-c", DEMO_ADDRESSES)
    return json.loads(output.strip().splitlines()[-1])


# Each key page: who is signed in (None: nobody) and its address.
def pages(demo: dict) -> dict[str, tuple[str | None, str]]:
    return {
        "home": (None, "/"),
        "home-signed-in": (LEARNER, "/"),
        "courses": (None, "/courses/"),
        "course": (LEARNER, demo["course"]),
        "lesson": (LEARNER, demo["lesson"]),
        "cases": (None, "/cases/"),
        "case": (None, demo["case"]),
        "questions": (None, reverse("knowledge:list")),
        "question": (None, demo["question"]),
        "search": (None, reverse("search:search") + "?q=RPA"),
        "directory": (LEARNER, reverse("people:directory")),
        "dashboard": (LEARNER, reverse("curriculum:dashboard")),
        "wallet": (LEARNER, reverse("credentials:wallet")),
        "run": (LEARNER, reverse("curriculum:run", args=[demo["run"]])),
        "calendar": (LEARNER, reverse("curriculum:calendar")),
    }


PAGE_NAMES = [
    "home",
    "home-signed-in",
    "courses",
    "course",
    "lesson",
    "cases",
    "case",
    "questions",
    "question",
    "search",
    "directory",
    "dashboard",
    "wallet",
    "run",
    "calendar",
]


@pytest.fixture(scope="module")
def contexts(browser, server):
    """One browser context for visitors and one signed in as the demo learner, kept for the
    module: signing in once instead of thirty times."""
    made = {}

    def get(user: str | None):
        if user not in made:
            context = browser.new_context(base_url=server.url, locale="ja-JP")
            context.set_default_timeout(15_000)
            if user:
                page = context.new_page()
                login(page, user)
                page.close()
            made[user] = context
        return made[user]

    yield get
    for context in made.values():
        context.close()


def test_the_page_list_covers_every_name(demo):
    assert list(pages(demo)) == PAGE_NAMES


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_nothing_reaches_past_the_right_edge(contexts, demo, name, width):
    user, address = pages(demo)[name]
    page = contexts(user).new_page()
    try:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        response = page.goto(address)
        assert response is not None and response.ok, (
            f"{name}: {address} answered {response and response.status}"
        )
        page.wait_for_load_state()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        found = page.evaluate(OVERFLOW)
        where = f"{name} at {width} px ({page.url})"
        assert found["scrollWidth"] <= found["clientWidth"] <= found["innerWidth"], (
            f"{where} scrolls sideways: the document is {found['scrollWidth']} px wide in a "
            f"{found['clientWidth']} px viewport; past the edge: {found['offenders']}"
        )
        assert found["offenders"] == [], (
            f"{where}: elements reach past the right edge ({found['clientWidth']} px): "
            + "; ".join(found["offenders"])
            + (f" and {found['more']} more" if found["more"] else "")
        )
    finally:
        page.close()


# --- the header's menu on a phone ----------------------------------------------------------------


def test_menu_button_opens_and_closes_the_navs_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": HEIGHT})
    page.goto("/")
    button = page.get_by_role("button", name="メニュー")
    main_nav = page.get_by_role("navigation", name="メイン")
    courses = main_nav.get_by_role("link", name="研修コース")
    sign_in = page.get_by_role("navigation", name="アカウント").get_by_role("link", name="ログイン")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#" + button.get_attribute("aria-controls"))).to_be_hidden()
    expect(courses).to_be_hidden()
    expect(sign_in).to_be_hidden()
    expect(page.get_by_role("navigation", name="言語")).to_be_visible()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(courses).to_be_visible()
    expect(sign_in).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "menu-open-390.png"))

    # Keyboard: Tab from the button goes into the panel; Escape closes it, focus back on the button.
    button.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#site-menu') !== null")
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(courses).to_be_hidden()
    expect(button).to_be_focused()

    # Enter on the button opens it again, and the link is followed.
    page.keyboard.press("Enter")
    expect(courses).to_be_visible()
    courses.click()
    expect(page).to_have_url(re.compile(r"/courses/$"))
    assert page.js_errors == []


def test_wide_screen_shows_the_navs_and_no_menu_button(page):
    page.goto("/")  # 1280 px
    expect(page.get_by_role("button", name="メニュー")).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="メイン").get_by_role("link", name="研修コース")
    ).to_be_visible()
    expect(
        page.get_by_role("navigation", name="アカウント").get_by_role("link", name="ログイン")
    ).to_be_visible()


def test_without_javascript_the_navs_stay_on_a_phone(browser, server):
    context = browser.new_context(
        base_url=server.url,
        locale="ja-JP",
        java_script_enabled=False,
        viewport={"width": 390, "height": HEIGHT},
    )
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("button", name="メニュー")).to_be_hidden()
        expect(
            page.get_by_role("navigation", name="メイン").get_by_role("link", name="研修コース")
        ).to_be_visible()
        expect(
            page.get_by_role("navigation", name="アカウント").get_by_role("link", name="ログイン")
        ).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


# --- a listing's filters -------------------------------------------------------------------------


def test_on_a_phone_the_case_results_come_before_the_folded_filters(page):
    page.set_viewport_size({"width": 390, "height": HEIGHT})
    page.goto("/cases/?prefecture=13")
    panel = page.locator("details[data-filter-panel]")
    summary = panel.locator("summary")
    assert panel.evaluate("details => details.open") is False
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("絞り込み")
    expect(summary).to_contain_text("1件")
    form = page.locator("form.case-facets__form")
    expect(form).to_be_hidden()
    first_result = page.locator(".case-card").first
    expect(first_result).to_be_visible()
    # The folded filters take one line: the first result starts within the first screen.
    assert first_result.bounding_box()["y"] < HEIGHT

    summary.click()
    expect(form).to_be_visible()
    expect(form.locator('input[name="prefecture"][value="13"]')).to_be_checked()


def test_on_a_wide_screen_the_case_filters_are_open_as_before(page):
    page.goto("/cases/")  # 1280 px
    panel = page.locator("details[data-filter-panel]")
    assert panel.evaluate("details => details.open") is True
    expect(panel.locator("summary")).to_be_hidden()
    expect(page.locator("form.case-facets__form")).to_be_visible()
    facets = page.locator(".case-facets").bounding_box()
    results = page.locator(".case-library__results").bounding_box()
    assert facets["x"] + facets["width"] <= results["x"], "the filters are no longer a sidebar"


def test_the_phone_layout_passes_axe(page):
    from .test_accessibility import axe_problems

    page.set_viewport_size({"width": 390, "height": HEIGHT})
    page.goto("/cases/?prefecture=13")
    problems = axe_problems(page)  # menu closed, filters folded
    page.get_by_role("button", name="メニュー").click()
    page.locator("details[data-filter-panel] > summary").click()
    problems += axe_problems(page)  # both open
    assert problems == [], "cases at 390 px:\n" + "\n".join(problems)

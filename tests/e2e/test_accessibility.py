"""Accessibility (JIS X 8341-3:2016, which follows WCAG 2.x level AA).

- axe-core finds no serious or critical WCAG 2.0/2.1 A and AA violation on the pages an official
  uses most, signed in where the page needs it;
- a quiz and the first step of the case-study form can be done with the keyboard alone;
- whatever the keyboard focuses shows a visible focus indicator.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, ROOT, login

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
CURRICULUM = ROOT / "fixtures" / "curriculum" / "demo_curriculum.json"
LEARNER = "learner@example.jp"
CONTRIBUTOR = "contributor@example.jp"
TRAINER = "trainer@example.jp"
DEMO_RUN = "広島県 CIO補佐官 育成研修 令和8年度"

# Run in the server's environment by `manage.py shell`: a new verified account enrolled in K1,
# so taking its quiz never spends the demo learner's limited attempts.
NEW_K1_LEARNER = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from curriculum import progress
from curriculum.models import CoursePage, LessonPage
user = get_user_model()(username={username!r}, email={email!r})
user.set_password({password!r})
user.save()
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
course = CoursePage.objects.get(slug="k1-dx-governance", locale__language_code="ja")
progress.enrol(user, course)
lesson = LessonPage.objects.live().descendant_of(course).filter(quiz__isnull=False).get()
print(json.dumps({{"lesson": lesson.url}}))
"""


@pytest.fixture(scope="module")
def quiz_learner(server):
    """A fresh learner enrolled in K1; returns (e-mail, URL of K1's lesson with the quiz)."""
    suffix = uuid.uuid4().hex[:8]
    email = f"a11y-{suffix}@example.jp"
    code = NEW_K1_LEARNER.format(username=f"a11y-{suffix}", email=email, password=PASSWORD)
    output = server.manage("shell", "-v", "0", "-c", code)
    return email, json.loads(output.strip().splitlines()[-1])["lesson"]


def axe_problems(page) -> list[str]:
    """The page's serious and critical violations, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page, options=AXE_OPTIONS).response
    problems = []
    for violation in response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        problems.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{len(violation['nodes'])} nodes, e.g. {targets}]"
        )
    return problems


# Each page: who is signed in (None: nobody) and how a person gets there from a fresh tab.
def _home(page, request):
    page.goto("/")


def _course(page, request):
    page.goto("/learn/")
    page.get_by_role("link", name=re.compile("自治体DXとガバナンス")).first.click()


def _lesson(page, request):
    _email, lesson = request.getfixturevalue("quiz_learner")
    page.goto(lesson)


def _quiz(page, request):
    _email, lesson = request.getfixturevalue("quiz_learner")
    page.goto(lesson)
    page.get_by_role("button", name="確認テストを受ける").click()
    expect(page.get_by_role("button", name="回答を提出する")).to_be_visible()


def _dashboard(page, request):
    page.goto("/learn/")
    expect(page.get_by_role("heading", level=1)).to_have_text("マイ学習")


def _case_listing(page, request):
    page.goto("/cases/")


def _case(page, request):
    page.goto("/cases/")
    page.locator(".case-card__title a").first.click()


def _case_form(page, request):
    page.goto("/case-studies/new/")


def _question(page, request):
    # A demo question with two answers, found as a reader would find it.
    page.goto("/search/?q=RPAを試したい&type=question")
    page.get_by_role("link", name=re.compile("どんな業務が向いていますか")).first.click()
    expect(page).to_have_url(re.compile(r"/questions/\d+/$"))


def _ask(page, request):
    page.goto("/questions/ask/")


def _search(page, request):
    page.goto("/search/?q=RPA")


def _credential(page, request):
    page.goto("/credentials/")
    cards = page.locator(".credential-card")
    public = cards.filter(has=page.locator(".meta", has_text="公開"))
    card = public.first if public.count() else cards.first
    card.get_by_role("heading").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/credentials/[0-9a-f-]{36}/$"))


def _verify(page, request):
    page.goto("/credentials/verify/")


def _signup(page, request):
    page.goto("/accounts/signup/")


def _catalogue(page, request):
    page.goto("/courses/")


def _course_run(page, request):
    page.goto("/learn/")
    page.get_by_role("main").get_by_role("link", name=DEMO_RUN).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(DEMO_RUN)


def _calendar(page, request):
    page.goto("/learn/calendar/")


def _run_learners(page, request):
    page.goto("/admin/course-runs/")
    page.get_by_role("link", name=DEMO_RUN).click()
    expect(page.locator("table.run-learners")).to_be_visible()


def _run_completions(page, request):
    _run_learners(page, request)
    page.get_by_role("link", name=re.compile("修了者一覧")).click()


def _run_enrol(page, request):
    _run_learners(page, request)
    page.get_by_role("main").get_by_role("link", name="この開講に受講者を登録").click()


RECRUITER = "recruiter@example.jp"  # 八幡浜市's, in 愛媛県's demo pool
PREFECTURE_RECRUITER = "moderator@example.jp"  # 愛媛県's


def _talent_profile(page, request):
    page.goto("/talent/profile/")


def _talent_matches(page, request):
    page.goto("/talent/needs/")
    page.get_by_role("main").get_by_role("link", name=re.compile("CIO補佐官")).first.click()
    page.get_by_role("link", name="候補者ランキングを見る").click()
    expect(page.locator(".talent-match").first).to_be_visible()


def _talent_need_form(page, request):
    page.goto("/talent/needs/new/")


def _talent_pool(page, request):
    page.goto("/talent/pool/")
    expect(page.locator("svg").first).to_be_visible()


PAGES = {
    "home": (None, _home),
    "course": (LEARNER, _course),
    "lesson": ("quiz_learner", _lesson),
    "quiz": ("quiz_learner", _quiz),
    "dashboard": (LEARNER, _dashboard),
    "case-listing": (None, _case_listing),
    "case": (None, _case),
    "case-form": (CONTRIBUTOR, _case_form),
    "question": (LEARNER, _question),
    "ask": (LEARNER, _ask),
    "search": (None, _search),
    "credential": (LEARNER, _credential),
    "verify": (None, _verify),
    "signup": (None, _signup),
    "catalogue": (None, _catalogue),
    "course-run": (LEARNER, _course_run),
    "calendar": (LEARNER, _calendar),
    "run-learners": (TRAINER, _run_learners),
    "run-completions": (TRAINER, _run_completions),
    "run-enrol": (TRAINER, _run_enrol),
    "talent-profile": (LEARNER, _talent_profile),
    "talent-matches": (RECRUITER, _talent_matches),
    "talent-need-form": (RECRUITER, _talent_need_form),
    "talent-pool": (PREFECTURE_RECRUITER, _talent_pool),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_axe_violations(page, request, name):
    user, open_page = PAGES[name]
    if user == "quiz_learner":
        user = request.getfixturevalue("quiz_learner")[0]
    if user:
        login(page, user)
    open_page(page, request)
    page.wait_for_load_state()
    problems = axe_problems(page)
    assert problems == [], f"{name} ({page.url}):\n" + "\n".join(problems)


# --- keyboard only ---------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const label = e.closest("label") || (e.labels && e.labels[0]);
  const fieldset = e.closest("fieldset");
  const legend = fieldset && fieldset.querySelector("legend");
  return {
    tag: e.tagName.toLowerCase(), type: e.type || "", id: e.id, name: e.name || "",
    value: e.value || "", checked: !!e.checked,
    text: ((label && label.textContent) || e.textContent || "").trim(),
    legend: legend ? legend.textContent.trim() : "",
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, wanted, limit: int = 150) -> dict:
    """Presses Tab until the focused element satisfies `wanted`; returns what is focused."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now and wanted(now):
            return now
    raise AssertionError(f"Tab never reached the element; focus ended on {focused(page)}")


def answer_key() -> dict[str, dict]:
    """The demo quizzes' questions by their Japanese text."""
    data = json.loads(Path(CURRICULUM).read_text(encoding="utf-8"))
    return {q["text_ja"]: q for course in data["courses"] for q in course["quiz"]["questions"]}


def is_right(question: dict, label: str) -> bool:
    if question["kind"] == "true_false":
        return label == ("正しい" if question["answer"] else "誤り")
    return any(c["text_ja"] == label and c["correct"] for c in question["choices"])


def question_of(key: dict[str, dict], legend: str) -> dict:
    text = legend.split(":", 1)[1].strip()  # "問1: …"
    assert text in key, f"the quiz shows a question the demo curriculum does not have: {text}"
    return key[text]


def test_quiz_with_the_keyboard_alone(page, quiz_learner):
    email, lesson = quiz_learner
    login(page, email)
    page.goto(lesson)
    key = answer_key()

    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "確認テストを受ける")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="回答を提出する")).to_be_visible()
    questions = page.locator(".quiz__question").count()
    assert questions > 0

    answered: set[str] = set()
    now = tab_to(page, lambda f: f["legend"].startswith("問") or f["tag"] == "button")
    while now["tag"] != "button":
        question = question_of(key, now["legend"])
        if now["type"] == "radio":
            # In a radio group the arrow keys move and select; Space selects the focused one.
            for _ in range(len(question.get("choices", [])) + 2):
                if is_right(question, now["text"]):
                    if not now["checked"]:
                        page.keyboard.press("Space")
                    break
                page.keyboard.press("ArrowDown")
                now = focused(page)
            else:
                raise AssertionError(f"no right answer reachable for {question['text_ja']}")
        elif now["type"] == "checkbox":
            if is_right(question, now["text"]) != now["checked"]:
                page.keyboard.press("Space")
        else:
            page.keyboard.type(question["answers"][0])
        answered.add(now["legend"])
        page.keyboard.press("Tab")
        now = focused(page)
        assert now is not None, "focus left the quiz before reaching the submit button"
    assert len(answered) == questions, "Tab skipped a question"
    assert now["text"] == "回答を提出する"
    page.keyboard.press("Enter")

    result = page.locator(".quiz__result")
    expect(result).to_have_attribute("role", "status")
    expect(result).to_contain_text("100% で合格しました。")
    expect(page.locator(".quiz__review-item--wrong")).to_have_count(0)
    problems = axe_problems(page)
    assert problems == [], "quiz review:\n" + "\n".join(problems)


def test_case_study_first_step_with_the_keyboard_alone(page):
    login(page, CONTRIBUTOR)
    page.goto("/case-studies/new/")
    title = f"キーボードだけで書いた事例 {uuid.uuid4().hex[:6]}"

    tab_to(page, lambda f: f["id"] == "id_title")
    page.keyboard.type(title)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_summary"
    page.keyboard.type("窓口の受付簿をやめ、RPAで転記を自動化した。")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_municipality_filter"
    page.keyboard.type("府中町")  # one match: the filter selects it
    expect(page.get_by_role("status").filter(has_text="1件が該当")).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_municipality"
    expect(page.locator("#id_municipality option:checked")).to_contain_text("府中町")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_population"
    page.keyboard.type("51000")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_population_source"
    page.keyboard.type("住民基本台帳 2024年1月1日")
    page.keyboard.press("Tab")
    first_topic = focused(page)
    assert first_topic["type"] == "checkbox" and first_topic["text"] == "RPA"
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="RPA", exact=True)).to_be_checked()
    tab_to(page, lambda f: f["id"] == "id_technologies")
    page.keyboard.type("RPA")
    button = tab_to(page, lambda f: f["tag"] == "button" and f["value"] == "next")
    assert button["text"] == "保存して次へ"
    page.keyboard.press("Space")

    expect(page).to_have_url(re.compile(r"/case-studies/\d+/edit/story/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator('[aria-current="step"]')).to_contain_text("2.")
    assert page.js_errors == []


# --- focus visible -----------------------------------------------------------------------------

FOCUS_STYLE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {
    element: e.outerHTML.slice(0, 120),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none" && style.boxShadow !== "",
    sized: box.width > 0 && box.height > 0,
  };
}"""


@pytest.mark.parametrize(
    ("user", "path"),
    [(None, "/"), (LEARNER, "question"), (LEARNER, "/questions/ask/")],
    ids=["home", "question", "ask"],
)
def test_focus_is_always_visible(page, request, user, path):
    if user:
        login(page, user)
    if path == "question":
        _question(page, request)
    else:
        page.goto(path)
    seen = 0
    for _ in range(60):
        page.keyboard.press("Tab")
        style = page.evaluate(FOCUS_STYLE)
        if style is None:  # focus left the document: every stop was visited
            break
        seen += 1
        assert style["outline"] or style["shadow"], f"no visible focus on {style['element']}"
        assert style["sized"], f"focus on an element with no size: {style['element']}"
    assert seen >= 10, f"only {seen} focusable elements on {page.url}"

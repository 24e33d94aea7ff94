"""Cross-site scripting, tried for real: every payload of PayloadsAllTheThings' XSS lists is posted
as questions, answers, comments and case-study fields, and the pages that show them are opened in
Chromium. Nothing may run: no dialog, no call to alert/confirm/prompt/print, no uncaught error, no
console error, no request the page itself did not make, no injected element or event handler."""

from __future__ import annotations

import json
import re
import urllib.parse
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from knowledge.schema import SUGGESTED_ANSWERS
from knowledge.threads import COMMENTS_RENDERED, DEFAULT_ANSWERS_PER_PAGE

from .conftest import login

PAYLOADS = Path("/work/shared/data/xss/payloadsallthethings")
ANSWER_CHARS = 6_000  # each answer holds about this many characters of payloads (at most 15,000)
TITLE_QUESTIONS = 40  # questions whose titles are payloads: two pages of the question list
COMMENTS = 40

# Recorded in every frame before any of the page's own scripts run.
TRAP = """
(() => {
  const hit = (name) => function () {
    const call = name + ':' + [...arguments].join(',');
    try { window.top.__xss = (window.top.__xss || []).concat([call]); }
    catch (e) { window.__xss = [call]; }
  };
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    Object.defineProperty(window, name, { value: hit(name), writable: false, configurable: false });
  }
})();
"""

# What may appear in a page: the site's own markup. Anything else was injected.
INSPECT = """
(origin) => {
  const found = [];
  const allowedProse = new Set(%s);
  const RENDERED = '.prose, .case-form__live-preview, .case-form__preview-item';
  const badScheme = /^(javascript|vbscript|data|livescript|mocha):/i;
  const seen = (value) => (value || '').replace(/[\\x00-\\x20\\x7f]+/g, '');
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${tag}[${name}]`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'background',
           'poster', 'lowsrc', 'dynsrc', 'codebase'].includes(name)
          && (badScheme.test(seen(attr.value)) || name === 'srcdoc')) {
        found.push(`${tag}[${name}=${attr.value.slice(0, 60)}]`);
      }
    }
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'video', 'audio',
         'source', 'track', 'marquee', 'math', 'isindex', 'portal', 'template', 'xss',
         'animate', 'set', 'handler', 'listener', 'foreignobject'].includes(tag)) found.push(tag);
    if (tag === 'script') {
      const src = el.getAttribute('src');
      const ok = src ? new URL(src, location.href).href.startsWith(origin + '/static/')
                     : el.type === 'application/ld+json';
      if (!ok) found.push(`script ${src || el.textContent.slice(0, 60)}`);
    }
    if (tag === 'meta' && el.hasAttribute('http-equiv')) found.push('meta[http-equiv]');
    if (tag === 'link' && !new URL(el.href, location.href).href.startsWith(origin + '/'))
      found.push(`link ${el.href}`);
    if (tag === 'img' && !new URL(el.src, location.href).href.startsWith(origin + '/'))
      found.push(`img ${el.src}`);
    if (tag === 'svg' && !/__svg$/.test(el.getAttribute('class') || '')) found.push('svg');
    if (tag === 'style' || (el.closest(RENDERED) && el.hasAttribute('style')))
      found.push(`${tag} style`);
  }
  for (const box of document.querySelectorAll(RENDERED)) {
    for (const el of box.querySelectorAll('*')) {
      if (!allowedProse.has(el.localName)) found.push(`${el.localName} in rendered Markdown`);
    }
  }
  return found;
}
"""
# core/markdown.py ALLOWED_TAGS, Markdown headings being shifted down a level (h1 becomes h2).
PROSE_TAGS = [
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
]  # fmt: skip

# Creates the posts directly with the models (a thousand posts through the forms would take
# minutes); reads its input from a JSON file, prints what it made as JSON.
BULK = r"""
import json, sys
from datetime import date
from django.contrib.auth import get_user_model
from django.utils import timezone
from modelsearch.tasks import insert_or_update_object_task
from casestudies.models import CaseStudyIndexPage, CaseStudyPage, Metric, Source
from knowledge.models import Answer, Comment, Question, QuestionStatus, Visibility

data = json.loads(open(INPUT, encoding="utf-8").read())
User = get_user_model()
asker = User.objects.get(email="peer-nakamura@example.jp")
answerer = User.objects.get(email="peer-takahashi@example.jp")
author = User.objects.get(email="contributor@example.jp")
now = timezone.now()
published = Visibility.PUBLISHED

question = Question.objects.create(
    title=data["title"], body=data["body"], author=asker, visibility=published,
    created_at=now, last_activity_at=now,
)
for chunk in data["answers"]:
    Answer.objects.create(
        question=question, body=chunk, author=answerer, visibility=published, created_at=now
    )
for text in data["comments"]:
    Comment.objects.create(
        question=question, body=text, author=answerer, visibility=published, created_at=now
    )
question.answer_count = len(data["answers"])
question.status = QuestionStatus.ANSWERED
question.save()
insert_or_update_object_task.enqueue("knowledge", "question", str(question.pk))

titled = []
for title in data["titles"]:
    titled.append(Question.objects.create(
        title=title, body=data["marker"] + " " + title, author=asker, visibility=published,
        created_at=now, last_activity_at=now,
    ).pk)

index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
case = data["case"]
page = CaseStudyPage(
    title=case["title"], slug=case["slug"], municipality=author.profile.municipality,
    population=12000, population_source=case["short"], summary=case["summary"],
    technologies=case["technologies"], started=date(2024, 4, 1), problem=case["problem"],
    approach=case["approach"], team=case["short"], partners=case["short"],
    lessons=case["lessons"], pitfalls=case["pitfalls"], figure_status="illustrative",
    owner=author, authors=[author],
    metrics=[Metric(kind="other", name=case["short"][:120], value=1, unit=case["short"][:30],
                    baseline=case["short"][:60], after=case["short"][:60], period="年間")],
    sources=[Source(title=case["short"], url="https://example.jp/", retrieved_on=date(2024, 4, 1))],
)
index.add_child(instance=page)
page.save_revision(user=author).publish()
print(json.dumps({"question": question.pk, "titled": titled, "case": page.pk,
                  "case_url": page.url}))
"""

CLEAN_UP = r"""
from casestudies.models import CaseStudyPage
from knowledge.models import Question
Question.objects.filter(title__startswith="MARKER").delete()
for page in CaseStudyPage.objects.filter(slug="MARKER"):
    page.delete()
"""


def load_payloads() -> list[str]:
    if not PAYLOADS.is_dir():
        pytest.skip(
            f"the XSS payload lists are not at {PAYLOADS} (PayloadsAllTheThings' XSS *.txt)"
        )
    payloads = []
    for path in sorted(PAYLOADS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                payloads.append(line.rstrip("\n"))
    if not payloads:
        pytest.skip(f"no payloads in {PAYLOADS}/*.txt")
    return payloads


def chunks(payloads: list[str], size: int) -> list[str]:
    """Payloads joined as Markdown paragraphs (each its own raw-HTML block), about `size` long."""
    out, current = [], []
    for payload in payloads:
        if current and sum(len(p) + 2 for p in current) + len(payload) > size:
            out.append("\n\n".join(current))
            current = []
        current.append(payload[:size])
    if current:
        out.append("\n\n".join(current))
    return out


def as_links(payloads: list[str]) -> str:
    """The payloads that are addresses, as Markdown links and autolinks: the href sanitiser."""
    urls = [p.strip() for p in payloads if re.match(r"^\s*(javascript|vbscript|data)\s*:", p, re.I)]
    return "\n\n".join(f"[リンク{i}]({url}) <{url}>" for i, url in enumerate(urls))


def spread(items: list[str], count: int) -> list[str]:
    step = max(1, len(items) // count)
    return items[::step][:count]


class Watch:
    """What a page does that it should not: dialogs, trapped calls, errors, foreign requests."""

    def __init__(self, page, origin: str):
        self.page = page
        self.origin = origin
        self.problems: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("request", self._request)

    def _dialog(self, dialog):
        self.problems.append(f"{dialog.type} dialog: {dialog.message!r} on {self.page.url}")
        dialog.dismiss()

    def _console(self, message):
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(f"console error {message.text!r} on {self.page.url}")

    def _request(self, request):
        url = request.url
        own = url.startswith(self.origin + "/")
        if not own:
            self.problems.append(f"request to {url} from {self.page.url}")
        elif request.resource_type == "document":
            if request.frame != self.page.main_frame:
                self.problems.append(f"frame loaded {url} in {self.page.url}")
        elif request.resource_type not in ("fetch", "xhr") and not url.startswith(
            self.origin + "/static/"
        ):
            self.problems.append(f"{request.resource_type} {url} loaded by {self.page.url}")

    def check(self, where: str, path: str | None = None) -> None:
        """The page as it is now: nothing ran, nothing was injected, nothing navigated away."""
        page = self.page
        page.wait_for_load_state("load")
        if path is not None:
            assert page.url.removeprefix(self.origin) == path, f"{where}: navigated to {page.url}"
        assert not page.evaluate("window.__xss"), f"{where}: {page.evaluate('window.__xss')}"
        injected = page.evaluate(INSPECT % json.dumps(PROSE_TAGS), self.origin)
        assert injected == [], f"{where}: injected markup {sorted(set(injected))[:20]}"
        assert page.js_errors == [], f"{where}: {page.js_errors}"
        assert self.problems == [], f"{where}: {self.problems}"

    def open(self, path: str, where: str | None = None) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.check(where or path, path)


@pytest.fixture
def marker(server):
    """A word in everything this test writes; afterwards it is all deleted again, so that other
    journeys in the session meet the demo site, not a thousand payloads."""
    word = f"xssprobe{uuid.uuid4().hex[:8]}"
    yield word
    server.manage("shell", "--no-imports", "-c", CLEAN_UP.replace("MARKER", word))


@pytest.fixture
def person(browser, server):
    """person("x@example.jp"): a page of another official in their own browser, signed in."""
    contexts = []

    def open_as(email_address):
        context = browser.new_context(
            base_url=server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        context.set_default_timeout(15_000)
        context.add_init_script(TRAP)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        login(page, email_address)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_no_payload_runs_anywhere(marker, page, person, server):
    payloads = load_payloads()
    scripted = [p for p in payloads if re.search(r"[<>]|script|alert|on\w+=", p, re.I)]
    title_payloads = spread([p for p in scripted if len(p) <= 120], TITLE_QUESTIONS)
    comment_payloads = spread([p for p in scripted if len(p) <= 590], COMMENTS)
    answers = chunks(payloads, ANSWER_CHARS)
    answers.append(as_links(payloads))
    assert all(len(a) <= 15_000 for a in answers)
    quarter = -(-len(payloads) // 4)
    case_parts = ["\n\n".join(payloads[i : i + quarter]) for i in range(0, len(payloads), quarter)]
    short = "<img src=x onerror=alert(1)>\"'><script>alert(1)</script>"
    bulk_title = f"{marker} <script>alert('title')</script>\"><img src=x onerror=alert(1)>"
    data = {
        "marker": marker,
        "title": bulk_title,
        "body": f"{marker}\n\n" + chunks(scripted, 19_000)[0],  # the body's limit is 20,000
        "answers": answers,
        "comments": comment_payloads,
        "titles": [f"{marker} {p}"[:150] for p in title_payloads],
        "case": {
            "title": f"{marker} </title><script>alert(1)</script>"[:255],
            "slug": marker,
            "summary": f"{marker} " + " ".join(scripted[:5])[:380],
            "technologies": ", ".join(p[:40] for p in scripted[5:12])[:300],
            "short": short,
            "problem": case_parts[0],
            "approach": case_parts[1],
            "lessons": case_parts[2],
            "pitfalls": case_parts[3] if len(case_parts) > 3 else "",
        },
    }
    source = server.var / f"{marker}.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    output = server.manage("shell", "--no-imports", "-c", f"INPUT = {str(source)!r}\n" + BULK)
    made = json.loads(output.strip().splitlines()[-1])
    question_path = f"/questions/{made['question']}/"
    case_path = made["case_url"]

    # --- a few payloads through the real forms: asking (with the similar list and the preview) --
    page.add_init_script(TRAP)
    login(page, "peer-kobayashi@example.jp")
    watch = Watch(page, server.url)
    watch.open("/questions/ask/")
    ui_title = f"{marker} <script>alert('ask')</script>"
    page.get_by_role("textbox", name="タイトル").fill(ui_title)
    similar = page.locator("[data-similar-list]")
    # The payload titles made above come back from the similar-questions search, shown as text.
    expect(similar.get_by_role("link", name=re.compile(f"^{marker} ")).first).to_be_visible(
        timeout=10_000
    )
    shown = [t for t in similar.get_by_role("link").all_text_contents() if t.startswith(marker)]
    made_titles = {bulk_title, *data["titles"]}
    case_title = data["case"]["title"]  # shown with its municipality after it
    assert all(t in made_titles or t.startswith(f"{case_title}（") for t in shown), shown
    ui_body = "\n\n".join([marker, *scripted[200:215]])
    page.get_by_role("textbox", name="詳細").fill(ui_body)
    live = page.locator(".case-form__live-preview").first
    # The server's sanitised preview, set as innerHTML by the page's script.
    expect(live).to_contain_text(marker, timeout=10_000)
    watch.check("ask form, live preview")
    page.get_by_role("button", name="プレビューして類似の質問を確認").click()
    expect(page.locator(".case-form__preview")).to_contain_text(marker)
    watch.check("ask form, server preview")
    page.get_by_role("button", name="質問を投稿する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ui_title)
    ui_question = page.url.removeprefix(server.url)
    watch.check("the question asked through the form", ui_question)

    # --- answering through the form, as a second official -----------------------------------
    answerer = person("peer-takahashi@example.jp")
    answer_watch = Watch(answerer, server.url)
    answer_watch.open(ui_question)
    answer_body = "\n\n".join([f"{marker} 回答", *scripted[215:230]])
    answerer.get_by_role("textbox", name="あなたの答え").fill(answer_body)
    expect(answerer.locator(".case-form__live-preview").first).to_contain_text(
        marker, timeout=10_000
    )
    answerer.get_by_role("button", name="回答を投稿する").click()
    expect(answerer.get_by_text("回答を投稿しました。")).to_be_visible()
    expect(answerer.locator("article.qa-answer")).to_have_count(1)
    answer_watch.check("the answer posted through the form")

    # --- the question with every payload in its answers ------------------------------------
    watch.open(question_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(bulk_title)
    expect(page.locator("article.qa-answer")).to_have_count(
        min(len(answers), DEFAULT_ANSWERS_PER_PAGE)
    )
    # The thread shows the question's first comments (the rest are on its comments page, below).
    shown = min(len(comment_payloads), COMMENTS_RENDERED)
    expect(page.locator(".qa-comment")).to_have_count(shown)
    # The structured data holds the payloads as data, intact: "</script>" did not end it early.
    ld = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert ld["mainEntity"]["name"] == bulk_title
    assert ld["mainEntity"]["answerCount"] == len(answers)
    suggested = ld["mainEntity"]["suggestedAnswer"]
    assert len(suggested) == min(len(answers), SUGGESTED_ANSWERS)
    assert {a["text"] for a in suggested} <= set(answers)
    # The comments are shown as text, exactly as written.
    first_comment = page.locator(".qa-comment .pre-line").first
    expect(first_comment).to_have_text(comment_payloads[0])
    # A reply form's live preview is fed the whole payload set too.
    page.get_by_role("textbox", name="あなたの答え").fill(answers[0])
    expect(page.locator(".case-form__live-preview").first).not_to_be_empty(timeout=10_000)
    watch.check("the question page with every payload", question_path)
    # Every comment, on the question's page of comments.
    comments_path = f"/questions/question/{made['question']}/comments/"
    watch.open(comments_path)
    expect(page.locator(".qa-comment")).to_have_count(len(comment_payloads))
    expect(page.locator(".qa-comment .pre-line").last).to_have_text(comment_payloads[-1])

    # --- the payload titles: the list, their pages, the search results ----------------------
    def plain(text):
        return " ".join(text.split())

    wanted = {plain(title) for title in data["titles"]}
    listed = set()
    for number in range(1, 5):  # 20 a page; the newest first
        watch.open(f"/questions/?tab=newest&page={number}")
        listed |= {plain(t) for t in page.locator(".qa-row__title a").all_text_contents()}
        if wanted <= listed:
            break
    assert wanted <= listed, f"not listed as text: {sorted(wanted - listed)[:5]}"
    for pk in made["titled"][:5]:
        watch.open(f"/questions/{pk}/")
    # Every page of the results for the marker: the snippets hold the payloads too.
    found = []
    for number in range(1, 7):
        watch.open(f"/search/?q={marker}&page={number}")
        found += page.locator(".result__title a").all_text_contents()
        if not page.get_by_role("link", name="次へ").count():
            break
    assert bulk_title in found and ui_title in found, found
    watch.open(f"/search/?q={marker}&type=case_study")
    expect(page.get_by_text(marker).first).to_be_visible()
    # The query itself is echoed: reflected payloads.
    for payload in spread([p for p in scripted if len(p) <= 200], 12):
        page.goto("/search/?" + urllib.parse.urlencode({"q": payload}))
        watch.check(f"search for {payload!r}")

    # --- the case study: its page, the listing, the author's edit form and preview ----------
    watch.open(case_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(data["case"]["title"])
    expect(page.locator(".case__summary")).to_have_text(data["case"]["summary"])
    watch.open("/cases/")
    expect(page.get_by_role("link", name=data["case"]["title"])).to_be_visible()

    author = person("contributor@example.jp")
    author_watch = Watch(author, server.url)
    edit = f"/case-studies/{made['case']}/edit/story/"
    author_watch.open(edit)
    for preview in author.locator(".case-form__live-preview").all()[:2]:
        expect(preview).not_to_be_empty(timeout=10_000)  # filled from the stored text on load
    author_watch.check("the case's story form with its live previews", edit)
    author.get_by_role("textbox", name="体制").fill(short)
    author.get_by_role("button", name="プレビュー", exact=True).click()
    expect(author.locator(".case-form__preview-item").first).not_to_be_empty()
    author_watch.check("the case's story form, server preview")
    author.get_by_role("button", name="下書き保存").click()
    expect(author.get_by_text("下書きとして保存しました。")).to_be_visible()
    author_watch.check("the case's story form, saved")
    author_watch.open(f"/case-studies/{made['case']}/preview/")

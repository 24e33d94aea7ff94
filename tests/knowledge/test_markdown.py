"""Every XSS payload of the shared corpus, written as a post, comes out of the Markdown pipeline
with no script, no event handler and no script-bearing URL — checked on the parsed HTML."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import timezone

from core.markdown import ALLOWED_TAGS, render_markdown
from knowledge.models import Answer, Question

XSS_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "xss" / "payloadsallthethings"
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "data",
}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
# What a browser ignores inside a URL's scheme: whitespace and control characters.
IGNORED = re.compile(r"[\x00-\x20\x7f]+")

needs_corpus = pytest.mark.skipif(
    not XSS_DIR.is_dir(), reason=f"the XSS corpus is not at {XSS_DIR} (../shared/data is absent)"
)


def payloads() -> list[str]:
    if not XSS_DIR.is_dir():
        return []
    lines = []
    for path in sorted(XSS_DIR.iterdir()):
        if path.name == "LICENSE":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        lines.extend(line for line in text.splitlines() if line.strip())
        if path.suffix == ".md":
            lines.append(text)  # the README as one document: its Markdown-specific vectors too
    return lines


def dangers(html: str, own_scripts=()) -> list[str]:
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in ("script", "iframe", "object", "embed", "svg", "math", "style", "base"):
            if tag.name == "script" and (
                tag.get("src", "") in own_scripts or tag.get("type") == "application/ld+json"
            ):
                continue
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"{tag.name}[{name}]")
            if name.lower() in URL_ATTRIBUTES or name.lower() == "style":
                text = " ".join(value) if isinstance(value, list) else str(value)
                if BAD_SCHEME.match(IGNORED.sub("", text)) or "expression(" in text.lower():
                    found.append(f"{tag.name}[{name}]={text[:40]}")
    return found


@needs_corpus
def test_the_corpus_is_there():
    assert len(payloads()) > 900


@needs_corpus
def test_every_payload_is_defused_by_the_pipeline():
    failures = []
    for payload in payloads():
        html = str(render_markdown(payload))
        problems = dangers(html)
        tags = {t.name for t in BeautifulSoup(html, "html.parser").find_all(True)}
        if problems or not tags <= ALLOWED_TAGS:
            failures.append((payload[:80], problems, tags - ALLOWED_TAGS))
    assert failures == []


def test_markdown_link_schemes_are_dropped():
    for text in (
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<a href='&#106;avascript:alert(1)'>x</a>",
        "![x](javascript:alert(1))",
    ):
        assert dangers(str(render_markdown(text))) == [], text


@needs_corpus
def test_the_question_page_shows_every_payload_defused(client, home_page, db):
    from django.templatetags.static import static

    now = timezone.now()
    everything = payloads()
    question = Question.objects.create(
        title="<script>alert(1)</script>", body=everything[0], created_at=now, last_activity_at=now
    )
    chunk, size = [], 0
    for payload in everything[1:]:
        if size + len(payload) > 15000:
            Answer.objects.create(question=question, body="\n\n".join(chunk), created_at=now)
            chunk, size = [], 0
        chunk.append(payload)
        size += len(payload) + 2
    Answer.objects.create(question=question, body="\n\n".join(chunk), created_at=now)
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    own = {static(name) for name in (
        "js/municipality-filter.js", "js/menu.js", "js/filter-panel.js", "knowledge/votes.js",
        "casestudies/markdown-preview.js",
    )}  # fmt: skip
    assert dangers(response.content.decode(), own_scripts=own) == []

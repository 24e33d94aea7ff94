"""Every link leads somewhere: a crawl of the demo site from / and /en/, anonymous and signed in
(as the demo learner, and as the contributor with drafts), that follows each link on the site and
fails on any 4xx or 5xx answer.

It crawls over HTTP (the pages are the server's, links are in the HTML; no script builds a
link), which keeps it to a few minutes on two cores. To keep the facet listings from multiplying
(every combination of filters is a link), each path is followed with at most a few different
query strings; every link found is still requested once. The admin, sign-out and static files
are left out: the admin is Wagtail's, and the others are not pages."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from .conftest import PASSWORD

QUERIES_PER_PATH = 4
MAX_REQUESTS = 1500
SKIPPED = (
    re.compile(r"^/(en/)?admin/"),
    re.compile(r"^/(en/)?accounts/logout/"),
    re.compile(r"^/(static|media)/"),
)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.csrf = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.csrf = attrs.get("value") or ""


@dataclass
class Crawl:
    base: str
    opener: urllib.request.OpenerDirector
    seen: set[str] = field(default_factory=set)
    queries: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    requests: int = 0

    def normalise(self, href: str, page: str) -> str | None:
        """The path and query of a link to this site that the crawl should follow, or None."""
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            return None
        url = urllib.parse.urljoin(self.base + page, href)
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return None
        if any(pattern.search(parts.path) for pattern in SKIPPED):
            return None
        query = urllib.parse.urlencode(sorted(urllib.parse.parse_qsl(parts.query, True)))
        return parts.path + (f"?{query}" if query else "")

    def fetch(self, path: str) -> tuple[int, str, bytes]:
        self.requests += 1
        try:
            with self.opener.open(self.base + path, timeout=60) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), b""

    def run(self, *starts: str) -> None:
        queue = deque((start, "(start)") for start in starts)
        self.seen.update(starts)
        while queue and self.requests < MAX_REQUESTS:
            path, referrer = queue.popleft()
            status, content_type, body = self.fetch(path)
            if status >= 400:
                self.failures.append((status, path, referrer))
                continue
            if "text/html" not in content_type:
                continue
            parser = _Links()
            parser.feed(body.decode("utf-8", "replace"))
            for href in parser.links:
                target = self.normalise(href, path)
                if target is None or target in self.seen:
                    continue
                bare, _sep, query = target.partition("?")
                if query:
                    if len(self.queries[bare]) >= QUERIES_PER_PATH:
                        continue
                    self.queries[bare].add(query)
                self.seen.add(target)
                queue.append((target, path))
        assert self.requests < MAX_REQUESTS, "the crawl did not finish: raise MAX_REQUESTS"


def opener() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    built = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    built.addheaders = [("Accept-Language", "ja"), ("User-Agent", "cio-academy-crawl")]
    return built


def signed_in(base: str, email: str) -> urllib.request.OpenerDirector:
    client = opener()
    with client.open(f"{base}/accounts/login/", timeout=60) as response:
        form = _Links()
        form.feed(response.read().decode())
    data = urllib.parse.urlencode(
        {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": form.csrf}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with client.open(request, timeout=60) as response:
        assert "/accounts/login/" not in response.url, f"could not sign in as {email}"
    return client


def report(crawl: Crawl) -> str:
    lines = [
        f"{status} {path}  (linked from {referrer})" for status, path, referrer in crawl.failures
    ]
    return f"{len(crawl.failures)} broken links of {crawl.requests} requested:\n" + "\n".join(
        lines[:60]
    )


@pytest.mark.parametrize("who", ["anonymous", "learner@example.jp", "contributor@example.jp"])
def test_no_link_leads_to_an_error(server, who):
    client = opener() if who == "anonymous" else signed_in(server.url, who)
    crawl = Crawl(base=server.url, opener=client)
    started = time.monotonic()
    crawl.run("/", "/en/")
    print(f"\n{who}: {crawl.requests} pages in {time.monotonic() - started:.0f} s")
    # Both languages and every part of the site were reached.
    for prefix in ("/courses/", "/en/courses/", "/cases/", "/en/cases/", "/questions/"):
        assert any(path.startswith(prefix) for path in crawl.seen), prefix
    assert crawl.requests > 150
    assert not crawl.failures, report(crawl)

"""The Atom 1.0 feed of new cases at <index url>feed/."""

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from django.utils import timezone

from casestudies.feeds import FEED_LENGTH
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_the_feed_is_atom_with_the_required_elements(client, case_index, make_case, topics):
    city = MunicipalityFactory(name="宜野湾市")
    case = make_case(
        title="RPAとAI-OCRで4業務",
        municipality=city,
        topics=[topics["rpa"], topics["ai-ocr"]],
        published=timezone.make_aware(datetime(2025, 3, 1, 9, 0)),
    )
    make_case(title="下書き", live=False)
    feed = parse(client.get(f"{case_index.url}feed/"))

    assert feed.tag == f"{ATOM}feed"
    assert feed.get(XML_LANG) == "ja"
    assert feed.findtext(f"{ATOM}id") == "http://testserver/case-studies/feed/"
    assert feed.findtext(f"{ATOM}title").startswith("事例ライブラリ")
    assert feed.findtext(f"{ATOM}updated").startswith("2025-03-01T")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == "http://testserver/case-studies/feed/"
    assert links["alternate"] == "http://localhost/case-studies/"
    assert feed.find(f"{ATOM}author/{ATOM}name").text

    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}title") == "RPAとAI-OCRで4業務"
    url = f"http://localhost/case-studies/{case.slug}/"
    assert entry.findtext(f"{ATOM}id") == url
    assert entry.find(f"{ATOM}link").get("href") == url
    assert entry.findtext(f"{ATOM}updated").startswith("2025-03-01T")
    assert entry.findtext(f"{ATOM}published").startswith("2025-03-01T")
    assert entry.findtext(f"{ATOM}summary") == case.summary
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "東京都宜野湾市"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["RPA", "AI-OCR"]


def test_the_newest_twenty_live_cases_newest_first(client, case_index, make_case):
    made = [
        make_case(title=f"事例{n:02d}", published=timezone.make_aware(datetime(2024, 1, n + 1)))
        for n in range(FEED_LENGTH + 2)
    ]
    feed = parse(client.get(f"{case_index.url}feed/"))
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert len(titles) == FEED_LENGTH == 20
    assert titles == [case.title for case in reversed(made)][:FEED_LENGTH]
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert len(set(ids)) == len(ids)


def test_an_empty_library_still_gives_a_valid_feed(client, case_index):
    feed = parse(client.get(f"{case_index.url}feed/"))
    assert feed.findtext(f"{ATOM}id")
    assert feed.findtext(f"{ATOM}updated")
    assert feed.findall(f"{ATOM}entry") == []


def test_the_english_feed(client, case_index_en, make_case):
    make_case(title="事例A")
    feed = parse(client.get("/en/case-studies/feed/"))
    assert feed.get(XML_LANG) == "en"
    assert feed.findtext(f"{ATOM}title") == "Case library: new cases"
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == ["事例A"]


def test_control_characters_in_a_case_never_break_the_feed(client, case_index, make_case):
    """Issue 19, item 5: a case saved with them is stored without; one stored before is
    written without them."""
    case = make_case(title="制御\x08文字の事例")
    case.refresh_from_db()
    assert case.title == "制御文字の事例"
    type(case).objects.filter(pk=case.pk).update(summary="概要\x0c\x1f")
    from wagtail.models import Page

    Page.objects.filter(pk=case.pk).update(title="再び\x01制御文字")
    feed = parse(client.get(f"{case_index.url}feed/"))
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "再び制御文字"
    assert entry.findtext(f"{ATOM}summary") == "概要"

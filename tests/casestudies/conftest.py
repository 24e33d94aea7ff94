"""Fixtures for the case library: an index under the home page (with its English translation)
and a factory that publishes case pages with their metrics and topics."""

from datetime import date, datetime
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone, translation
from wagtail.models import Page

from casestudies.models import CaseStudyIndexPage, CaseStudyPage, Metric
from core.translation import ensure_translation
from tests.factories import MunicipalityFactory, PrefectureFactory, TopicFactory


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    """A request under /en/ leaves English active in the test's thread; put Japanese back."""
    yield
    translation.activate("ja")


@pytest.fixture
def no_search_updates(settings):
    """Publishing a page updates the search index; the listing tests do not need it."""
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }


@pytest.fixture
def case_index(home_page, no_search_updates):
    index = CaseStudyIndexPage(
        title="事例ライブラリ", slug="case-studies", intro="自治体の取組事例です。"
    )
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def case_index_en(case_index, locales):
    return ensure_translation(case_index, locales[1], {"title": "Case library"})


@pytest.fixture
def tokyo(db):
    return PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")


@pytest.fixture
def osaka(db):
    return PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka")


@pytest.fixture
def topics(db):
    return {
        "rpa": TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA", sort_order=10),
        "ai-ocr": TopicFactory(slug="ai-ocr", name_ja="AI-OCR", name_en="AI-OCR", sort_order=20),
        "chatbot": TopicFactory(
            slug="chatbot", name_ja="チャットボット", name_en="Chatbots", sort_order=30
        ),
    }


_serial = count(1)


class CaseFactory:
    """Publishes a CaseStudyPage under the index. ``metrics`` are dicts of Metric fields (kind,
    name, value, unit…); ``published`` sets first_published_at, for ordering."""

    def __init__(self, index):
        self.index = index

    def __call__(
        self,
        *,
        title=None,
        municipality=None,
        population=None,
        topics=(),
        technologies="",
        started=None,
        ended=None,
        figure_status="published",
        metrics=(),
        cost_initial_yen=None,
        cost_annual_yen=None,
        published=None,
        live=True,
        **extra,
    ) -> CaseStudyPage:
        n = next(_serial)
        case = CaseStudyPage(
            title=title or f"事例{n}",
            slug=f"case-{n}",
            municipality=municipality or MunicipalityFactory(),
            population=population,
            summary=f"事例{n}の概要です。",
            technologies=technologies,
            started=started,
            ended=ended,
            problem="課題",
            approach="取組",
            figure_status=figure_status,
            cost_initial_yen=cost_initial_yen,
            cost_annual_yen=cost_annual_yen,
            **extra,
        )
        case.topics = list(topics)
        case.metrics = [
            Metric(
                kind=m.get("kind", Metric.Kind.OTHER),
                name=m.get("name", "効果"),
                value=Decimal(str(m["value"])),
                unit=m.get("unit", "時間"),
                baseline=m.get("baseline", ""),
                after=m.get("after", ""),
                period=m.get("period", ""),
            )
            for m in metrics
        ]
        # Created live rather than through save_revision().publish(): publishing recomputes
        # hours_saved_per_year from metric values read back with two decimals, which the field
        # (one decimal) refuses — reported to the model's owner.
        case.live = live
        self.index.add_child(instance=case)
        if live:
            when = published or timezone.make_aware(datetime(2024, 1, 1)) + timezone.timedelta(
                hours=n
            )
            Page.objects.filter(pk=case.pk).update(first_published_at=when, last_published_at=when)
        case.refresh_from_db()
        return case


@pytest.fixture
def make_case(case_index):
    return CaseFactory(case_index)


def hours(value, name="削減時間", unit="時間"):
    return {"kind": Metric.Kind.HOURS_SAVED, "name": name, "value": value, "unit": unit}


def day(year, month=4, day_=1):
    return date(year, month, day_)

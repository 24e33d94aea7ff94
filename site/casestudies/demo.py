"""The demo case library (fixtures/casestudies/demo_cases.json): the index page 事例ライブラリ under
the Japanese home page, with its English translation, and the twelve public cases of the field guide
(E1–E12) as case pages with their metrics and sources. Idempotent: a case that exists (by slug) is
left as it is (an admin may have edited it), what is missing is created and published."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from wagtail.models import Locale

from core.models import Topic
from core.translation import ensure_translation
from people.models import Municipality

from .models import CaseStudyIndexPage, CaseStudyPage, Metric, Source

DEMO_CASES = Path(settings.BASE_DIR) / "fixtures" / "casestudies" / "demo_cases.json"


def load_case_studies(
    home_ja, path: Path = DEMO_CASES, *, translate_cases: bool = False
) -> CaseStudyIndexPage:
    """The case library under `home_ja`. With `translate_cases`, each case also gets an English
    translation (English title and summary; the body, metrics and sources stay in Japanese)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    locale_en = Locale.objects.get_or_create(language_code="en")[0]

    index = CaseStudyIndexPage.objects.child_of(home_ja).first()
    if index is None:
        index = _publish(home_ja, CaseStudyIndexPage(**data["index"]["ja"]))
    ensure_translation(index, locale_en, data["index"]["en"])

    municipalities = Municipality.objects.in_bulk(
        {item["municipality"] for item in data["cases"]}, field_name="code"
    )
    topics = Topic.objects.in_bulk(field_name="slug")
    existing = {case.slug: case for case in CaseStudyPage.objects.child_of(index).specific()}
    for item in data["cases"]:
        case = existing.get(item["slug"])
        if case is None:
            case = _publish(index, case_page(item, municipalities, topics, path))
        if translate_cases:
            ensure_translation(
                case, locale_en, {"title": item["title_en"], "summary": item["summary_en"]}
            )
    return index


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def case_page(item: dict, municipalities: dict, topics: dict, path: Path) -> CaseStudyPage:
    municipality = municipalities.get(item["municipality"])
    if municipality is None:
        raise ValueError(
            f"{item['code']}: municipality {item['municipality']} is not loaded "
            "(run import_municipalities first)"
        )
    unknown = sorted(set(item["topics"]) - set(topics))
    if unknown:
        raise ValueError(f"{item['code']}: unknown topics {unknown} in {path}")
    return CaseStudyPage(
        title=item["title"],
        slug=item["slug"],
        municipality=municipality,
        population=item.get("population"),
        population_source=item.get("population_source", ""),
        summary=item["summary"],
        topics=[topics[slug] for slug in item["topics"]],
        technologies=item.get("technologies", ""),
        started=_date(item.get("started")),
        ended=_date(item.get("ended")),
        problem=item["problem"],
        approach=item["approach"],
        team=item.get("team", ""),
        partners=item.get("partners", ""),
        procurement_route=item.get("procurement_route", ""),
        cost_initial_yen=item.get("cost_initial_yen"),
        cost_annual_yen=item.get("cost_annual_yen"),
        lessons=item.get("lessons", ""),
        pitfalls=item.get("pitfalls", ""),
        figure_status=item["figure_status"],
        metrics=[
            Metric(
                kind=metric["kind"],
                name=metric["name"],
                value=Decimal(str(metric["value"])),
                unit=metric["unit"],
                baseline=metric.get("baseline", ""),
                after=metric.get("after", ""),
                period=metric.get("period", ""),
            )
            for metric in item["metrics"]
        ],
        sources=[
            Source(
                title=source["title"],
                url=source["url"],
                retrieved_on=date.fromisoformat(source["retrieved_on"]),
            )
            for source in item["sources"]
        ],
    )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None

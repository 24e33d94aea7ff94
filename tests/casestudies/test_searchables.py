"""Case studies in the site search (type case_study, topic filter), and the demo journey: the
contributor submits, the moderator approves in the admin, the case is in the listing, its facets
and Japanese search."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from casestudies.models import CaseStudyIndexPage, CaseStudyPage
from tests.casestudies.test_submission import approve, basics, formset

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get("/search/", {"format": "json", **params}).json()


def test_the_demo_contributor_submits_and_the_moderator_publishes(client):
    call_command("load_demo", stdout=StringIO())
    users = get_user_model().objects
    contributor = users.get(email="contributor@example.jp")
    moderator = users.get(email="moderator@example.jp")
    index = CaseStudyIndexPage.objects.get(locale__language_code="ja")
    assert CaseStudyPage.objects.live().count() >= 12
    found = search(client, q="ＲＰＡ")  # full-width
    assert "case_study" in {r["type"] for r in found["results"]}

    # Structured fields filter the search: the figure status, the population band.
    def statuses(**params):
        results = search(client, q="RPA", type="case_study", **params)["results"]
        titles = [r["title"].rsplit("（", 1)[0] for r in results]
        return {CaseStudyPage.objects.get(title=t, live=True).figure_status for t in titles}

    assert statuses() == {"published", "illustrative"}
    assert statuses(figure_status="illustrative") == {"illustrative"}
    assert statuses(figure_status="published") == {"published"}
    assert statuses(figure_status="<bogus>") == {"published", "illustrative"}  # ignored

    client.force_login(contributor)
    municipality = contributor.profile.municipality
    data = basics(
        municipality, title="窓口予約システムで待ち時間を半減", technologies="予約システム"
    )
    data["summary"] = "来庁予約を導入し、繁忙期の窓口待ち時間を半分にした。"
    assert client.post(reverse("casestudies:new"), data).status_code == 302
    page = CaseStudyPage.objects.get(title="窓口予約システムで待ち時間を半減")
    step = lambda name: reverse("casestudies:edit", args=[page.pk, name])  # noqa: E731
    client.post(
        step("story"),
        {"problem": "繁忙期に2時間待ち。", "approach": "予約制を導入。", "action": "next"},
    )
    client.post(
        step("outcomes"),
        {
            "figure_status": "published",
            "action": "next",
            **formset(
                "metrics",
                [{"kind": "percent_reduction", "name": "待ち時間", "value": "50", "unit": "%"}],
            ),
        },
    )
    client.post(
        step("lessons"),
        {
            "lessons": "予約枠は職員数から逆算する。",
            "action": "save",
            **formset(
                "sources",
                [{"title": "市報", "url": "https://example.jp/", "retrieved_on": "2026-11-01"}],
            ),
        },
    )
    assert client.post(reverse("casestudies:submit", args=[page.pk])).status_code == 302
    page.refresh_from_db()
    approve(client, moderator, page)
    client.logout()

    listing = client.get(index.url + "?topic=rpa").content.decode()
    assert "窓口予約システムで待ち時間を半減" in listing
    everything = client.get(index.url)
    assert "窓口予約システムで待ち時間を半減" in everything.content.decode()
    prefecture = municipality.prefecture.code
    narrowed = client.get(index.url, {"prefecture": prefecture}).content.decode()
    assert "窓口予約システムで待ち時間を半減" in narrowed
    results = search(client, q="待ち時間")["results"]
    assert ("case_study", "窓口予約システムで待ち時間を半減") in {
        (r["type"], r["title"].split("（")[0]) for r in results
    }
    only_cases = search(client, q="待ち時間", type="case_study")
    assert {r["type"] for r in only_cases["results"]} == {"case_study"}

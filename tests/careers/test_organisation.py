"""Roles and credentials by organisation: who may see which municipality or prefecture, the
figures (standing awards of active members only), the CSV, and a query count that does not grow
with the data."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from curriculum.careers import organisation
from curriculum.credentials import awarding
from curriculum.credentials.models import Award, OrganisationReporter
from people.models import Municipality
from tests.factories import (
    CredentialDefinitionFactory,
    MunicipalityFactory,
    PrefectureFactory,
    RoleFactory,
    UserFactory,
    valid_code,
)

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}  # Wagtail then answers a refusal with a 403


@pytest.fixture
def places():
    tokyo = PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")
    osaka = PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka")

    def body(prefecture, code, name, kind=Municipality.Kind.CITY):
        return MunicipalityFactory(
            prefecture=prefecture, code=valid_code(code), name=name, kind=kind
        )

    return {
        "tokyo": tokyo,
        "osaka": osaka,
        "tokyo_gov": body(tokyo, "13000", "東京都", Municipality.Kind.PREFECTURE),
        "shinjuku": body(tokyo, "13104", "新宿区", Municipality.Kind.SPECIAL_WARD),
        "hachioji": body(tokyo, "13201", "八王子市"),
        "chiyoda": body(tokyo, "13101", "千代田区", Municipality.Kind.SPECIAL_WARD),  # no one
        "osaka_gov": body(osaka, "27000", "大阪府", Municipality.Kind.PREFECTURE),
        "suita": body(osaka, "27205", "吹田市"),
    }


@pytest.fixture
def roles():
    # Created out of rank order: the reports follow the ladder, not the creation order.
    cio = RoleFactory(code="R5", rank=5, name_ja="CIO", name_en="CIO")
    staff = RoleFactory(code="R0", rank=0, name_ja="全職員", name_en="All staff")
    lead = RoleFactory(code="R3", rank=3, name_ja="DX推進リーダー", name_en="DX lead")
    return {"R0": staff, "R3": lead, "R5": cio}


@pytest.fixture
def credentials():
    return {
        "basic": CredentialDefinitionFactory(name_ja="基礎認定", name_en="Foundation"),
        "advanced": CredentialDefinitionFactory(
            name_ja="応用認定", name_en="Advanced", validity_days=365
        ),
    }


def member(email, municipality, role=None, *, active=True):
    user = UserFactory(email=email, is_active=active)
    user.profile.municipality = municipality
    user.profile.current_role = role
    user.profile.save()
    return user


def award(user, definition):
    return awarding.award_manually(user, definition, awarded_by=None, reason="テスト")


@pytest.fixture
def people(places, roles, credentials):
    """新宿区: five active members and one deactivated; 八王子市 and 東京都 (the prefectural
    government) one each; 吹田市 one; 千代田区 none."""
    basic, advanced = credentials["basic"], credentials["advanced"]
    shinjuku = places["shinjuku"]
    a = member("a@example.jp", shinjuku, roles["R0"])
    award(a, basic)
    b = member("b@example.jp", shinjuku, roles["R0"])
    award(b, basic)
    award(b, advanced)
    member("c@example.jp", shinjuku, roles["R5"])
    d = member("d@example.jp", shinjuku)  # no role set; their award was revoked
    awarding.revoke(award(d, basic), by=None, reason="誤って発行")
    gone = member("e@example.jp", shinjuku, roles["R0"], active=False)
    award(gone, basic)
    f = member("f@example.jp", shinjuku, roles["R3"])  # their award has expired
    expired = award(f, advanced)
    Award.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    award(member("g@example.jp", places["hachioji"], roles["R0"]), advanced)
    award(member("h@example.jp", places["tokyo_gov"], roles["R3"]), basic)
    member("i@example.jp", places["suita"], roles["R0"])
    return places


def staff(email, *codenames, municipality=None):
    user = UserFactory(email=email)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *(Permission.objects.get(codename=codename) for codename in codenames),
    )
    if municipality is not None:
        user.profile.municipality = municipality
        user.profile.save()
        OrganisationReporter.objects.create(user=user, municipality=municipality)
    return user


@pytest.fixture
def viewer():
    """Sees every organisation; not a member of any."""
    return staff("national@example.jp", "view_all_organisations")


def index_url():
    return reverse("organisation_report")


def prefecture_url(prefecture):
    return f"{reverse('organisation_report')}?prefecture={prefecture.code}"


def municipality_url(municipality):
    return reverse("organisation_report_detail", args=[municipality.pk])


def ja(message):
    """A label as the Japanese interface shows it (translated or not yet)."""
    with translation.override("ja"):
        return translation.gettext(message)


def status(client, url):
    return client.get(url, **XHR).status_code


def read_csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # the BOM Excel needs
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# Who may see what -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_login(client, places):
    response = client.get(index_url())
    assert response.status_code == 302 and "/login/" in response.url


def test_without_either_permission_everything_is_refused(client, places):
    client.force_login(staff("editor@example.jp", municipality=places["shinjuku"]))
    urls = [
        index_url(),
        prefecture_url(places["tokyo"]),
        municipality_url(places["shinjuku"]),
        municipality_url(places["shinjuku"]) + "?format=csv",
        prefecture_url(places["tokyo"]) + "&format=csv",
    ]
    assert [status(client, url) for url in urls] == [403] * len(urls)
    # In a browser, Wagtail turns the refusal into a message on the admin's home page.
    response = client.get(municipality_url(places["shinjuku"]))
    assert (response.status_code, response.url) == (302, "/admin/")


def test_own_scope_is_the_viewers_municipality_only(client, places):
    client.force_login(
        staff("shinjuku@example.jp", "view_organisation_report", municipality=places["shinjuku"])
    )
    response = client.get(index_url())
    assert (response.status_code, response.url) == (302, municipality_url(places["shinjuku"]))
    assert status(client, municipality_url(places["shinjuku"])) == 200
    assert status(client, municipality_url(places["shinjuku"]) + "?format=csv") == 200
    refused = [
        municipality_url(places["hachioji"]),  # same prefecture
        municipality_url(places["hachioji"]) + "?format=csv",
        municipality_url(places["tokyo_gov"]),  # its own prefectural government
        municipality_url(places["suita"]),  # another prefecture
        prefecture_url(places["tokyo"]),
        prefecture_url(places["tokyo"]) + "&format=csv",
        prefecture_url(places["osaka"]),
    ]
    assert [status(client, url) for url in refused] == [403] * len(refused)


def test_a_prefectural_government_sees_its_prefecture_and_its_municipalities(client, places):
    client.force_login(
        staff("tokyo@example.jp", "view_organisation_report", municipality=places["tokyo_gov"])
    )
    response = client.get(index_url())
    assert (response.status_code, response.url) == (302, prefecture_url(places["tokyo"]))
    allowed = [
        prefecture_url(places["tokyo"]),
        prefecture_url(places["tokyo"]) + "&format=csv",
        municipality_url(places["tokyo_gov"]),
        municipality_url(places["shinjuku"]),
        municipality_url(places["hachioji"]),
        municipality_url(places["chiyoda"]),  # no members yet: still theirs to open
    ]
    assert [status(client, url) for url in allowed] == [200] * len(allowed)
    refused = [
        prefecture_url(places["osaka"]),
        municipality_url(places["osaka_gov"]),
        municipality_url(places["suita"]),
        municipality_url(places["suita"]) + "?format=csv",
    ]
    assert [status(client, url) for url in refused] == [403] * len(refused)


def test_the_national_permission_and_superusers_see_everything(client, places, viewer):
    superuser = UserFactory(email="root@example.jp", is_staff=True, is_superuser=True)
    urls = [
        index_url(),
        index_url() + "?format=csv",
        index_url() + "?q=新宿",
        prefecture_url(places["tokyo"]),
        prefecture_url(places["osaka"]),
        municipality_url(places["shinjuku"]),
        municipality_url(places["suita"]),
        municipality_url(places["osaka_gov"]),
    ]
    for user in (viewer, superuser):
        client.force_login(user)
        assert [status(client, url) for url in urls] == [200] * len(urls)


def test_an_own_scope_viewer_without_a_municipality_is_told_why_there_is_nothing(client, places):
    client.force_login(staff("nowhere@example.jp", "view_organisation_report"))
    response = client.get(index_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "organisation-report" not in html and "?prefecture=" not in html  # no figures
    assert status(client, municipality_url(places["shinjuku"])) == 403
    assert status(client, prefecture_url(places["tokyo"])) == 403


def test_editing_ones_own_profile_does_not_change_what_one_may_see(client, places):
    viewer = staff(
        "shinjuku2@example.jp", "view_organisation_report", municipality=places["shinjuku"]
    )
    # Members choose their municipality on their profile; the report scope is not theirs to pick.
    viewer.profile.municipality = places["tokyo_gov"]
    viewer.profile.save()
    client.force_login(viewer)
    assert status(client, prefecture_url(places["tokyo"])) == 403
    assert status(client, municipality_url(places["hachioji"])) == 403
    assert status(client, municipality_url(places["shinjuku"])) == 200

    unassigned = staff("profile-only@example.jp", "view_organisation_report")
    unassigned.profile.municipality = places["shinjuku"]
    unassigned.profile.save()
    client.force_login(unassigned)
    assert status(client, municipality_url(places["shinjuku"])) == 403


def test_unknown_organisations_are_not_found(client, places, viewer):
    client.force_login(viewer)
    assert status(client, reverse("organisation_report_detail", args=[999999])) == 404
    assert status(client, index_url() + "?prefecture=99") == 404


def test_scope_rules_directly(places):
    shinjuku, tokyo_gov = places["shinjuku"], places["tokyo_gov"]
    assert organisation.scope_for(UserFactory(email="x@example.jp")) is None
    own = organisation.scope_for(
        staff("s@example.jp", "view_organisation_report", municipality=shinjuku)
    )
    assert own.municipality == shinjuku and own.prefecture_id is None
    assert own.allows_municipality(shinjuku)
    assert not own.allows_municipality(places["hachioji"])
    assert not own.allows_prefecture(places["tokyo"])
    wide = organisation.scope_for(
        staff("t@example.jp", "view_organisation_report", municipality=tokyo_gov)
    )
    assert wide.prefecture_id == places["tokyo"].pk
    assert wide.allows_prefecture(places["tokyo"]) and not wide.allows_prefecture(places["osaka"])
    assert wide.allows_municipality(shinjuku) and not wide.allows_municipality(places["suita"])
    deactivated = staff("u@example.jp", "view_all_organisations")
    deactivated.is_active = False
    assert organisation.scope_for(deactivated) is None


# Figures ------------------------------------------------------------------------------------


def test_municipality_counts_roles_and_standing_credentials_of_active_members(people):
    with translation.override("ja"):
        report = organisation.municipality_report(people["shinjuku"])
    assert report.members == 5  # the deactivated account does not count
    assert [(line.label, line.count) for line in report.roles] == [
        ("R0 全職員", 2),
        ("R3 DX推進リーダー", 1),
        ("R5 CIO", 1),
        (ja("No role set"), 1),
    ]
    # 基礎認定: a and b (d's was revoked, e is deactivated); 応用認定: b (f's has expired).
    assert {line.label: line.count for line in report.credentials} == {"基礎認定": 2, "応用認定": 1}
    assert report.holders == 2
    assert report.roles[0].share == 40


def test_municipality_page_shows_counts_never_people(client, people, viewer):
    client.force_login(viewer)
    html = client.get(municipality_url(people["shinjuku"])).content.decode()
    assert "<meter" in html and "listing organisation-report" in html
    assert "R0 全職員" in html and "基礎認定" in html
    for letter in "abcdefghi":
        assert f"{letter}@example.jp" not in html


def test_a_municipality_without_members_says_so(client, people, viewer):
    client.force_login(viewer)
    response = client.get(municipality_url(people["chiyoda"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="status"' in html and "listing organisation-report" not in html
    assert organisation.municipality_report(people["chiyoda"]).members == 0


def test_municipality_csv(client, people, viewer):
    client.force_login(viewer)
    rows = read_csv(client.get(municipality_url(people["shinjuku"]), {"format": "csv"}))
    assert len(rows[0]) == 4
    assert rows[1][1:3] == ["東京都新宿区", "5"]
    figures = {row[1]: row[2:] for row in rows[2:]}
    assert figures["R0 全職員"] == ["2", "40"]
    assert figures["R5 CIO"] == ["1", "20"]
    assert figures["基礎認定"] == ["2", "40"]
    assert figures["応用認定"] == ["1", "20"]
    assert not any("@" in cell for row in rows for cell in row)


def test_prefecture_rows_are_municipalities_with_members_and_a_total(people):
    with translation.override("ja"):
        report = organisation.prefecture_report(people["tokyo"])
    assert [column.label for column in report.role_columns] == [
        "R0 全職員",
        "R3 DX推進リーダー",
        "R5 CIO",
        ja("No role set"),
    ]
    credential_labels = [column.label for column in report.credential_columns]
    basic, advanced = credential_labels.index("基礎認定"), credential_labels.index("応用認定")
    by_name = {row.label: row for row in report.rows}
    assert [row.label for row in report.rows] == ["東京都", "新宿区", "八王子市"]  # 千代田区: none
    shinjuku = by_name["新宿区"]
    assert (shinjuku.members, shinjuku.holders, shinjuku.roles) == (5, 2, [2, 1, 1, 1])
    assert (shinjuku.credentials[basic], shinjuku.credentials[advanced]) == (2, 1)
    assert (by_name["東京都"].members, by_name["東京都"].roles) == (1, [0, 1, 0, 0])
    total = report.total
    assert (total.members, total.holders, total.roles) == (7, 4, [3, 2, 1, 1])
    assert (total.credentials[basic], total.credentials[advanced]) == (3, 2)


def test_prefecture_page_and_csv(client, people, viewer):
    client.force_login(viewer)
    html = client.get(prefecture_url(people["tokyo"])).content.decode()
    assert municipality_url(people["shinjuku"]) in html
    assert municipality_url(people["chiyoda"]) not in html
    assert "<meter" in html
    rows = read_csv(client.get(prefecture_url(people["tokyo"]) + "&format=csv"))
    header = rows[0]
    assert header[4:8] == ["R0 全職員", "R3 DX推進リーダー", "R5 CIO", ja("No role set")]
    assert sorted(header[8:]) == sorted(["基礎認定", "応用認定"])
    assert [row[:4] for row in rows[1:]] == [
        [people["tokyo_gov"].code, "東京都", "1", "1"],
        [people["shinjuku"].code, "新宿区", "5", "2"],
        [people["hachioji"].code, "八王子市", "1", "1"],
        ["", ja("Total"), "7", "4"],
    ]
    assert rows[-1][4:8] == ["3", "2", "1", "1"]


def test_a_prefecture_without_members_says_so(client, places, viewer, roles):
    client.force_login(viewer)
    html = client.get(prefecture_url(places["osaka"])).content.decode()
    assert 'role="status"' in html and "listing organisation-report" not in html


def test_national_index_totals_and_search(client, people, viewer):
    report = organisation.national_report()
    by_code = {row.prefecture.code: row for row in report.prefectures}
    figures = {
        code: (row.municipalities, row.members, row.holders) for code, row in by_code.items()
    }
    assert figures == {"13": (3, 7, 4), "27": (1, 1, 0)}
    assert report.unplaced == 1  # the viewer, who has not set a municipality
    client.force_login(viewer)
    html = client.get(index_url()).content.decode()
    assert prefecture_url(people["tokyo"]).replace("&", "&amp;") in html
    rows = read_csv(client.get(index_url(), {"format": "csv"}))
    assert ["13", "東京都", "3", "7", "4"] in rows
    assert rows[-1][1:] == [ja("Total"), "4", "8", "4"]
    found = client.get(index_url(), {"q": "新宿"}).content.decode()
    assert municipality_url(people["shinjuku"]) in found
    assert municipality_url(people["hachioji"]) not in found
    by_code = client.get(index_url(), {"q": people["suita"].code[:5]}).content.decode()
    assert municipality_url(people["suita"]) in by_code


# Queries ------------------------------------------------------------------------------------


def page_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_query_count_does_not_grow_with_municipalities_people_or_awards(
    client, people, viewer, roles, credentials
):
    client.force_login(viewer)
    urls = [
        index_url(),
        index_url() + "?format=csv",
        index_url() + "?q=市",
        prefecture_url(people["tokyo"]),
        prefecture_url(people["tokyo"]) + "&format=csv",
        municipality_url(people["shinjuku"]),
        municipality_url(people["shinjuku"]) + "?format=csv",
    ]
    before = [page_queries(client, url) for url in urls]
    # Six more municipalities in 東京都, twelve more members, with roles and credentials, and
    # two more credentials and a role.
    RoleFactory(code="R1", rank=1, name_ja="DX推進担当", name_en="DX officer")
    extra = [CredentialDefinitionFactory(), CredentialDefinitionFactory()]
    for n in range(6):
        town = MunicipalityFactory(prefecture=people["tokyo"], code=valid_code(f"13{300 + n}"))
        for k in range(2):
            user = member(f"more{n}-{k}@example.jp", town, roles["R3"] if k else None)
            award(user, extra[k])
            award(user, credentials["basic"])
        newcomer = member(f"shinjuku{n}@example.jp", people["shinjuku"], roles["R5"])
        award(newcomer, extra[n % 2])
    after = [page_queries(client, url) for url in urls]
    assert after == before
    assert organisation.prefecture_report(people["tokyo"]).total.members == 7 + 12 + 6


def test_query_budget(client, people, viewer, django_assert_max_num_queries):
    client.force_login(viewer)
    client.get(prefecture_url(people["tokyo"]))
    with django_assert_max_num_queries(25):
        client.get(prefecture_url(people["tokyo"]))
    with django_assert_max_num_queries(25):
        client.get(municipality_url(people["shinjuku"]))
    with django_assert_max_num_queries(25):
        client.get(index_url())

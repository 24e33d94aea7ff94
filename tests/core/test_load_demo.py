from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import Locale, Page, Revision, Site

from core.models import HomePage, Topic
from people.models import Municipality, Prefecture, Profile
from search.models import SynonymGroup

pytestmark = pytest.mark.django_db(transaction=False)

COUNTED = [
    get_user_model(),
    Profile,
    EmailAddress,
    Page,
    Revision,
    Site,
    Locale,
    Topic,
    Municipality,
    Prefecture,
    Profile.expertise.through,
    SynonymGroup,
]


def row_counts():
    return {model._meta.label: model.objects.count() for model in COUNTED}


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_builds_the_site_and_is_idempotent(client):
    output = load_demo()
    first = row_counts()
    assert first["people.User"] == 4
    assert first["core.Topic"] >= 20
    assert first["sitesearch.SynonymGroup"] >= 20
    assert first["people.Municipality"] == 47 + 1916
    assert "learner@example.jp" in output

    load_demo()
    assert row_counts() == first

    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert client.get("/").status_code == 200
    assert client.get("/en/").status_code == 200
    assert client.get("/about/").status_code == 200
    assert client.get("/en/about/").status_code == 200


def test_demo_accounts_can_sign_in_and_have_their_roles(client):
    load_demo()
    User = get_user_model()
    assert User.objects.get(email="admin@example.jp").is_superuser
    moderator = User.objects.get(email="moderator@example.jp")
    assert moderator.groups.filter(name="Moderators").exists()
    assert moderator.has_perm("wagtailadmin.access_admin")
    assert not User.objects.get(email="learner@example.jp").has_perm("wagtailadmin.access_admin")
    response = client.post(
        "/accounts/login/", {"login": "learner@example.jp", "password": "cio-demo-2026"}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_load_demo_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("load_demo", stdout=StringIO())
    assert not get_user_model().objects.exists()

"""Moderator-only data needs the same two-factor authentication as the admin (issue 19, item
3). With MFA_REQUIRED_FOR_STAFF, a moderator or staff member without an authenticator app is a
member like any other on the site too: they do not see who asked anonymously, hidden or pending
posts, private profiles, drafts' files or everyone's learning records. With one, they do."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.people.test_account_security import with_totp

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.fixture(scope="module")
def with_app(world, django_db_blocker):
    """The twins of the moderator and the staff member have an authenticator app."""
    with django_db_blocker.unblock():
        for role in ("moderator", "staff"):
            with_totp(world.twins[role])
    return {role: world.twins[role] for role in ("moderator", "staff")}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_anonymous_asker_is_hidden_from_a_moderator_without_mfa(world, mfa_required, with_app):
    name = world.users["learner"].profile.display_name
    url = reverse("knowledge:question", args=[world.anonymous_question.pk])
    without = client_for(world.users["moderator"]).get(url).content.decode()
    assert name not in without
    assert "モデレーターにのみ表示" not in without and "moderators only" not in without
    with_mfa = client_for(with_app["moderator"]).get(url).content.decode()
    assert name in with_mfa


def test_hidden_and_pending_posts_need_mfa(world, mfa_required, with_app):
    urls = [
        reverse("knowledge:question", args=[world.pending_question.pk]),
        reverse("knowledge:revisions", args=["answer", world.hidden_answer.pk]),
    ]
    for url in urls:
        assert client_for(world.users["moderator"]).get(url).status_code == 404, url
        assert client_for(with_app["moderator"]).get(url).status_code == 200, url
    page = reverse("knowledge:question", args=[world.question.pk])
    assert "宣伝です。" not in client_for(world.users["moderator"]).get(page).content.decode()


def test_private_profiles_need_mfa(world, mfa_required, with_app):
    url = reverse("people:profile", args=[world.users["learner"].profile.pk])
    assert client_for(world.users["staff"]).get(url).status_code == 404
    assert client_for(with_app["staff"]).get(url).status_code == 200


def test_everyones_learning_records_need_mfa(world, mfa_required, with_app):
    url = reverse("curriculum:all_statements")
    response = client_for(world.users["staff"]).get(url)
    assert response.status_code == 302 and response["Location"] == SETUP
    assert client_for(with_app["staff"]).get(url).status_code == 200


def test_a_drafts_file_needs_mfa_for_document_staff(world, mfa_required, with_app):
    document = world.draft_document
    url = reverse("wagtaildocs_serve", args=[document.pk, document.filename])
    assert client_for(world.users["staff"]).get(url).status_code == 404
    assert client_for(with_app["staff"]).get(url).status_code == 200
    # Its author needs no authenticator app for their own file.
    assert client_for(world.users["contributor"]).get(url).status_code == 200


def test_without_the_rule_nothing_changes(world, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    url = reverse("knowledge:question", args=[world.anonymous_question.pk])
    body = client_for(world.users["moderator"]).get(url).content.decode()
    assert world.users["learner"].profile.display_name in body

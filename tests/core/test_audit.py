"""Audit: what staff and moderators do in the admin is in Wagtail's history, with who did it and
when, and shows in the admin's site history (and the page's own history for pages)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.log_actions import registry
from wagtail.models import Page, Workflow

from curriculum.credentials.models import Award, OrganisationReporter
from curriculum.models import Enrolment
from tests.curriculum.conftest import course  # noqa: F401  (the curriculum's course fixture)
from tests.factories import (
    CredentialDefinitionFactory,
    MunicipalityFactory,
    StandardPageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    yield
    translation.activate("ja")


def staff_with(*permissions, name="監査 担当"):
    """A staff member with Wagtail access and the given `app_label.codename` permissions."""
    user = UserFactory(is_staff=True, first_name=name)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def display_name(user) -> str:
    """How Wagtail's history names a user."""
    return user.get_full_name().strip() or user.get_username()


def latest_entry(action):
    entries = [
        model.objects.filter(action=action).order_by("-timestamp", "-pk").first()
        for model in registry.get_log_entry_models()
    ]
    found = [entry for entry in entries if entry is not None]
    assert found, f"no {action} entry in Wagtail's history"
    return max(found, key=lambda entry: (entry.timestamp, entry.pk))


def site_history(client) -> list[list[str]]:
    """The admin's site history, as its CSV export: label, type, action, user, time."""
    response = client.get(reverse("wagtailadmin_reports:site_history"), {"export": "csv"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]


def assert_audited(admin_client, action, user, since, *, object_label=None):
    """The latest `action` names `user` and a time within the test, and the site history lists
    it with the action's label and the user's name."""
    entry = latest_entry(action)
    assert entry.user_id == user.pk
    assert since <= entry.timestamp <= timezone.now()
    with translation.override("ja"):
        rows = site_history(admin_client)
        label = str(registry.get_action_label(action))
    matching = [
        row
        for row in rows
        if row[0] == str(entry.object_id) and row[3] == label and row[4] == display_name(user)
    ]
    assert matching, (label, display_name(user), rows[:5])
    if object_label is not None:
        assert matching[0][1] == object_label
    return entry


def test_manual_award_and_revocation_are_in_the_history(client, admin_client, home_page):
    since = timezone.now()
    staff = staff_with(
        "credentials.view_award", "credentials.add_award", "credentials.revoke_award"
    )
    learner = UserFactory(email="holder@example.jp")
    definition = CredentialDefinitionFactory()
    client.force_login(staff)

    response = client.post(
        reverse("credential_award_create"),
        {"definition": definition.pk, "email": learner.email, "reason": "講師を務めた"},
    )
    assert response.status_code == 302
    award = Award.objects.get(user=learner)
    entry = assert_audited(admin_client, "credentials.award", staff, since, object_label=str(award))
    assert entry.data["reason"] == "講師を務めた"
    assert str(entry.formatter.format_comment(entry)) == "講師を務めた"

    response = client.post(reverse("credential_revoke", args=[award.pk]), {"reason": "誤って付与"})
    assert response.status_code == 302
    entry = assert_audited(admin_client, "credentials.revoke", staff, since)
    assert entry.object_id == str(award.pk) and entry.data["reason"] == "誤って付与"


def test_bulk_enrolment_is_in_the_course_history(client, admin_client, course):  # noqa: F811
    since = timezone.now()
    municipality = MunicipalityFactory(name="府中町")
    learners = [UserFactory() for _ in range(2)]
    for learner in learners:
        learner.profile.municipality = municipality
        learner.profile.save()
    staff = staff_with("curriculum.add_enrolment", "curriculum.view_enrolment")
    client.force_login(staff)

    response = client.post(
        reverse("bulk_enrol"), {"course": course.pk, "municipality": municipality.pk}
    )
    assert response.status_code == 200
    assert Enrolment.objects.filter(course=course).count() == 2
    entry = assert_audited(admin_client, "curriculum.bulk_enrol", staff, since)
    assert entry.page_id == course.pk
    assert entry.data == {
        "enrolled": 2,
        "already": 0,
        "unknown": 0,
        "municipality": str(municipality),
        "prefecture": "",
        "addresses": 0,
    }
    with translation.override("ja"):
        history = admin_client.get(reverse("wagtailadmin_pages:history", args=[course.pk]))
        assert str(entry.formatter.format_message(entry)) in history.content.decode()


def test_organisation_report_access_changes_are_in_the_history(admin_client, django_user_model):
    since = timezone.now()
    admin = django_user_model.objects.get(is_superuser=True)
    staff = UserFactory(email="pref-staff@example.jp", is_staff=True)
    municipality = MunicipalityFactory()
    response = admin_client.post(
        reverse("wagtailsnippets_credentials_organisationreporter:add"),
        {"user": staff.pk, "municipality": municipality.pk},
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    reporter = OrganisationReporter.objects.get(user=staff)
    entry = assert_audited(admin_client, "wagtail.create", admin, since)
    assert entry.object_id == str(reporter.pk)


def test_suspending_a_member_is_in_the_history(client, admin_client, db):
    since = timezone.now()
    moderator = UserFactory(is_staff=True, first_name="鈴木 真理")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    member = UserFactory(email="member@example.jp")
    client.force_login(moderator)
    response = client.post(
        reverse("knowledge_moderation_suspend", args=[member.pk]),
        {"days": 7, "reason": "繰り返しの宣伝投稿"},
    )
    assert response.status_code == 302
    entry = assert_audited(admin_client, "knowledge.suspend", moderator, since)
    assert entry.data == {"days": 7, "reason": "繰り返しの宣伝投稿"}


def test_approving_a_page_in_moderation_is_in_the_history(client, admin_client, home_page):
    since = timezone.now()
    author = staff_with(name="佐藤 健一")
    moderator = UserFactory(is_staff=True, first_name="鈴木 真理")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    page = StandardPageFactory(parent=home_page, title="事例の下書き", slug="draft", live=False)
    page.save_revision(user=author)
    workflow = Workflow.objects.get(active=True)
    workflow.start(Page.objects.get(pk=page.pk).specific, author)
    task_state = Page.objects.get(pk=page.pk).current_workflow_state.current_task_state

    client.force_login(moderator)
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk]),
        {"comment": "確認しました"},
    )
    assert response.status_code in (200, 302)
    assert Page.objects.get(pk=page.pk).live
    assert_audited(admin_client, "wagtail.workflow.start", author, since)
    assert_audited(admin_client, "wagtail.workflow.approve", moderator, since)
    assert_audited(admin_client, "wagtail.publish", moderator, since)

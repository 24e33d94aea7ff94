"""Object probes: a member asks for another member's objects by their ids — quiz attempts,
progress, drafts and their files, previews and revisions, notifications, subscriptions, private
credentials, private profile fields, the identity of an anonymous asker, hidden and pending
posts, another municipality's organisation report and its CSV. None of it may be shown."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model

from casestudies import submission
from knowledge.models import Notification

from .conftest import PRIVATE_DEPARTMENT, PRIVATE_JOB_TITLE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world_search_index")]


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_another_learners_quiz_attempt_is_not_found(world):
    twin = client_for(world.twins["learner"])
    for attempt in (world.attempt_done, world.attempt_open):
        url = reverse("curriculum:attempt", args=[attempt.pk])
        assert twin.get(url).status_code == 404
        before = type(attempt).objects.filter(pk=attempt.pk).values_list("submitted_at")[0]
        assert twin.post(url, world.quiz_answer).status_code == 404
        after = type(attempt).objects.filter(pk=attempt.pk).values_list("submitted_at")[0]
        assert before == after


def test_progress_and_learning_records_are_ones_own(world):
    twin = client_for(world.twins["learner"])
    learner = world.users["learner"]
    statements = twin.get(reverse("curriculum:my_statements")).json()["statements"]
    accounts = {s["actor"]["account"]["name"] for s in statements}
    assert accounts and str(learner.pk) not in accounts
    dashboard = twin.get(reverse("curriculum:dashboard"))
    assert dashboard.status_code == 200
    assert all(e.user_id == world.twins["learner"].pk for e in dashboard.context["enrolments"])


def test_another_authors_draft_case_is_not_found(world):
    twin = client_for(world.twins["contributor"])
    draft = world.draft_case
    for url in (
        reverse("casestudies:edit", args=[draft.pk, "basics"]),
        reverse("casestudies:preview", args=[draft.pk]),
    ):
        assert twin.get(url).status_code == 404, url
    revisions = draft.revisions.count()
    assert twin.post(reverse("casestudies:submit", args=[draft.pk])).status_code == 404
    assert draft.revisions.count() == revisions
    mine = twin.get(reverse("casestudies:mine")).content.decode()
    assert draft.title not in mine and "別の下書き" in mine


def test_draft_case_pages_and_revisions_stay_out_of_the_public_site(world):
    draft = world.draft_case
    for user in (None, world.users["learner"], world.twins["contributor"]):
        client = client_for(user)
        assert client.get(f"/case-studies/{draft.slug}/").status_code == 404
        assert client.get(reverse("wagtailapi:pages:detail", args=[draft.pk])).status_code == 404
        revision = draft.get_latest_revision()
        url = reverse("wagtailadmin_pages:revisions_view", args=[draft.pk, revision.pk])
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
        listing = client.get(reverse("wagtailapi:pages:listing") + "?limit=20").json()
        assert draft.pk not in {item["id"] for item in listing["items"]}


def test_draft_attachments_are_served_only_to_authors_and_document_staff(world):
    document = world.draft_document
    url = reverse("wagtaildocs_serve", args=[document.pk, document.filename])
    for user in (
        None,
        world.users["learner"],
        world.twins["contributor"],
        world.twins["other_admin"],
    ):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.users["contributor"]).get(url).status_code == 200
    listing = client_for(None).get(reverse("wagtailapi:documents:listing")).json()
    assert document.pk not in {item["id"] for item in listing["items"]}
    assert world.public_document.pk in {item["id"] for item in listing["items"]}


def test_an_uploaded_attachment_waits_for_publication(world, settings):
    """Through the case form, as an author uploads it; public once the case is published."""
    author = world.users["contributor"]
    draft = world.twin_draft_case
    client = client_for(world.twins["contributor"])
    response = client.post(
        reverse("casestudies:edit", args=[draft.pk, "lessons"]),
        {
            "lessons": "職員は事前準備に回った。",
            "pitfalls": "",
            "attachment": SimpleUploadedFile("spec.txt", "仕様書の本文".encode(), "text/plain"),
            "attachment_description": "仕様書",
            "action": "save",
            "sources-TOTAL_FORMS": "1",
            "sources-INITIAL_FORMS": "0",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "12",
            "sources-0-title": "報告書",
            "sources-0-url": "https://example.jp/",
            "sources-0-retrieved_on": "2026-11-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = get_document_model().objects.get(title="仕様書")
    url = reverse("wagtaildocs_serve", args=[document.pk, document.filename])
    assert client_for(author).get(url).status_code == 404  # another author's case
    assert client.get(url).status_code == 200
    draft.refresh_from_db()
    draft.get_latest_revision().publish()
    assert client_for(None).get(url).status_code == 200
    document.refresh_from_db()
    assert (
        not submission.unpublished_attachment_collections()
        .filter(pk=document.collection_id)
        .exists()
    )


def test_notifications_are_the_recipients_only(world):
    twin = client_for(world.twins["learner"])
    note = world.notification
    assert twin.get(reverse("knowledge:open_notification", args=[note.pk])).status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None
    inbox = twin.get(reverse("knowledge:inbox"))
    shown = {row["note"].pk for row in inbox.context["rows"]}
    assert note.pk not in shown and world.twin_notification.pk in shown
    twin.post(reverse("knowledge:inbox"))
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_subscriptions_are_the_members_own(world):
    twin = client_for(world.twins["learner"])
    page = twin.get(reverse("knowledge:settings"))
    assert all(s.user_id == world.twins["learner"].pk for s in page.context["subscriptions"])


@pytest.mark.parametrize("name", ["award", "download_json", "download_jwt", "certificate"])
def test_a_private_credential_is_not_found_by_its_address(world, name):
    url = reverse(f"credentials:{name}", args=[world.award.uuid])
    for user in (None, world.twins["learner"], world.users["moderator"], world.users["staff"]):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.users["learner"]).get(url).status_code == 200
    twin = client_for(world.twins["learner"])
    response = twin.post(
        reverse("credentials:sharing", args=[world.award.uuid]), {"is_public": "on"}
    )
    assert response.status_code == 404
    world.award.refresh_from_db()
    assert not world.award.is_public
    wallet = twin.get(reverse("credentials:wallet"))
    assert [a.pk for a in wallet.context["awards"]] == [world.twin_award.pk]


def test_private_profile_fields_are_never_shown_to_others(world):
    learner = world.users["learner"]
    pages = [
        reverse("people:directory"),
        reverse("people:profile", args=[learner.profile.pk]),
        reverse("knowledge:question", args=[world.question.pk]),
        reverse("knowledge:list"),
        reverse("knowledge:feed"),
        reverse("knowledge:revisions", args=["question", world.question.pk]),
        reverse("search:search") + "?q=RPA",
        reverse("search:search") + "?q=RPA&format=json",
        reverse("wagtailapi:pages:listing"),
    ]
    for user in (
        None,
        world.twins["learner"],
        world.users["contributor"],
        world.users["moderator"],
    ):
        client = client_for(user)
        for url in pages:
            html = client.get(url).content.decode()
            for secret in (PRIVATE_DEPARTMENT, PRIVATE_JOB_TITLE, learner.email):
                assert secret not in html, (url, secret)
    own = client_for(learner).get(reverse("people:profile", args=[learner.profile.pk]))
    assert PRIVATE_JOB_TITLE in own.content.decode()


def test_the_anonymous_askers_identity_is_hidden(world):
    question = world.anonymous_question
    learner = world.users["learner"]
    name = learner.profile.display_name
    # The thread and its history (lists and feeds name the learner for their other question).
    urls = [
        reverse("knowledge:question", args=[question.pk]),
        reverse("knowledge:revisions", args=["question", question.pk]),
    ]
    for user in (None, world.twins["learner"], world.users["contributor"], world.users["staff"]):
        client = client_for(user)
        for url in urls:
            body = client.get(url).content.decode()
            assert name not in body and learner.email not in body, (url, user)
            assert f"/people/{learner.profile.pk}/" not in body, url


def test_hidden_and_pending_posts_and_their_revisions(world):
    hidden, pending = world.hidden_answer, world.pending_question
    for user in (None, world.users["learner"], world.twins["contributor"], world.users["staff"]):
        client = client_for(user)
        assert client.get(reverse("knowledge:question", args=[pending.pk])).status_code == 404
        for kind, pk in (("answer", hidden.pk), ("question", pending.pk)):
            assert client.get(reverse("knowledge:revisions", args=[kind, pk])).status_code == 404
        page = client.get(reverse("knowledge:question", args=[world.question.pk])).content
        assert "宣伝です。" not in page.decode()
    # The author of a post awaiting review sees it; moderators see both.
    assert (
        client_for(world.newcomer).get(reverse("knowledge:question", args=[pending.pk])).status_code
        == 200
    )
    moderator = client_for(world.users["moderator"])
    assert moderator.get(reverse("knowledge:question", args=[pending.pk])).status_code == 200
    assert (
        moderator.get(reverse("knowledge:revisions", args=["answer", hidden.pk])).status_code == 200
    )


def test_another_municipalitys_organisation_report_is_refused(world):
    other_admin = client_for(world.users["other_admin"])
    own = reverse("organisation_report_detail", args=[world.other_municipality.pk])
    theirs = reverse("organisation_report_detail", args=[world.municipality.pk])
    assert other_admin.get(own).status_code == 200
    assert other_admin.get(own + "?format=csv").status_code == 200
    for url in (theirs, theirs + "?format=csv", reverse("organisation_report") + "?prefecture=13"):
        response = other_admin.get(url)
        assert response.status_code == 302 and response["Location"] == reverse(
            "wagtailadmin_home"
        ), url
    landing = other_admin.get(reverse("organisation_report"))
    assert landing["Location"] == own


@pytest.mark.parametrize(
    "url_name, args, query",
    [
        ("learning_reports", [], "?format=csv"),
        ("learning_report", ["course"], "?format=csv&table=municipalities"),
        ("organisation_report", [], "?format=csv"),
    ],
)
def test_csv_downloads_need_the_report_permission(world, url_name, args, query):
    url = reverse(url_name, args=[getattr(world, a).pk for a in args]) + query
    for role in ("learner", "contributor"):
        response = client_for(world.users[role]).get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    for role in ("moderator", "other_admin"):
        response = client_for(world.users[role]).get(url)
        assert response.status_code == 302
        if role == "other_admin" and url_name == "organisation_report":
            # A scoped viewer is taken to their own municipality, never the national table.
            own = reverse("organisation_report_detail", args=[world.other_municipality.pk])
            assert response["Location"] == own
        else:
            assert response["Location"] == reverse("wagtailadmin_home")
    assert "text/csv" in client_for(world.users["superuser"]).get(url)["Content-Type"]

"""Dates a person reads are Japanese dates: at 08:30 JST it is still the day before in UTC, and
the evidence text is signed into the credential for good. Machine timestamps keep their offset."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.utils import timezone

from curriculum import progress as learning
from curriculum.credentials import awarding, proofs, verification
from curriculum.credentials.models import Award
from curriculum.models import LessonPage

pytestmark = pytest.mark.django_db

# 2026-04-01 08:30 in Tokyo.
MORNING = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)


@pytest.fixture
def at_half_past_eight(monkeypatch):
    clock = {"now": MORNING}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


def test_course_evidence_gives_the_japanese_date(
    at_half_past_eight, course, definition, learner, django_capture_on_commit_callbacks
):
    learning.enrol(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        for slug in ("seven", "steps"):
            learning.complete_lesson(learner, LessonPage.objects.get(slug=slug))
    award = Award.objects.get()

    evidence = award.evidence[0]
    assert evidence["description"] == "2026-04-01 に必修レッスンをすべて修了"
    # The machine-readable forms stay exact instants with their offset.
    assert datetime.fromisoformat(evidence["date"]) == MORNING
    assert datetime.fromisoformat(award.credential["validFrom"]) == MORNING
    signed = [e for e in award.credential["evidence"] if e.get("name", "").startswith("講座修了")]
    assert signed[0]["description"] == evidence["description"]


def test_verification_messages_give_japanese_dates(at_half_past_eight, definition, learner):
    award = awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")
    credential = {k: v for k, v in award.credential.items() if k != "proof"}
    credential["validUntil"] = (MORNING + timedelta(days=365)).isoformat()
    report = verification.verify_credential(proofs.sign(credential, created=MORNING.isoformat()))
    message = next(c["message"] for c in report.checks if c["name"] == "validity")
    assert "2027-04-01" in message and "2027-03-31" not in message

    credential["validFrom"] = (MORNING + timedelta(days=1)).isoformat()
    report = verification.verify_credential(proofs.sign(credential, created=MORNING.isoformat()))
    message = next(c["message"] for c in report.checks if c["name"] == "validity")
    assert "2026-04-02 08:30 JST" in message and "UTC" not in message

    awarding.revoke(award, by=None, reason="誤って発行")
    report = verification.verify_credential(award.credential)
    message = next(c["message"] for c in report.checks if c["name"] == "revocation")
    assert "2026-04-01" in message and "2026-03-31" not in message


def test_the_verify_page_shows_the_japanese_date(at_half_past_eight, client, definition, learner):
    award = awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")
    awarding.revoke(award, by=None, reason="誤って発行")

    response = client.post(
        "/credentials/verify/", {"text": json.dumps(award.credential, ensure_ascii=False)}
    )
    report = BeautifulSoup(response.content, "html.parser").select_one(".verify-report").text
    assert "2026-04-01" in report and "2026-03-31" not in report


def test_the_expiry_reminder_gives_the_japanese_date(at_half_past_eight, definition, learner):
    definition.validity_days = 10
    definition.save()
    awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")
    mail.outbox.clear()
    assert awarding.send_expiry_reminders(days=30) == 1
    assert "2026-04-11" in mail.outbox[0].subject
    assert "2026-04-10" not in mail.outbox[0].subject + mail.outbox[0].body

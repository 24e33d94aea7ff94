"""Rules, automatic and idempotent awards, manual award and renewal, revocation and expiry."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from curriculum import progress as learning
from curriculum import quizzes
from curriculum.credentials import awarding, rules
from curriculum.credentials.models import Award, CredentialRule
from curriculum.models import LessonPage, Quiz
from tests.factories import CredentialDefinitionFactory, CredentialRuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def finish(user, course):
    learning.enrol(user, course)
    for slug in ("seven", "steps"):
        learning.complete_lesson(user, LessonPage.objects.get(slug=slug))


def test_completing_the_course_awards_the_credential_once(
    course, definition, learner, django_capture_on_commit_callbacks
):
    learning.enrol(learner, course)
    learning.complete_lesson(learner, LessonPage.objects.get(slug="seven"))
    assert not Award.objects.exists()  # half-way: nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        learning.complete_lesson(learner, LessonPage.objects.get(slug="steps"))
    award = Award.objects.get()
    assert (award.user, award.definition, award.method) == (learner, definition, "auto")
    assert award.evidence[0]["name"].startswith("講座修了: K1 自治体DXとガバナンス")
    assert award.credential["proof"][0]["cryptosuite"] == "eddsa-jcs-2022"
    assert mail.outbox[-1].to == [learner.email]
    # Evaluated again and again: still one award.
    assert awarding.evaluate_user(learner) == []
    assert awarding.evaluate_user(learner) == []
    assert Award.objects.count() == 1


def test_every_rule_must_be_met(course, definition, learner, monkeypatch):
    other = UserFactory()
    CredentialRuleFactory(definition=definition, kind="case_studies", count=2)
    # No case study counted yet (whatever an app registered), so the rule is not met.
    monkeypatch.setitem(rules._counters, "case_studies", lambda user: [])
    finish(learner, course)
    assert not Award.objects.exists()
    # With contributions counted, the same rule is met (the original counter comes back after).
    monkeypatch.setitem(
        rules._counters,
        "case_studies",
        lambda user: [rules.Evidence(name=f"事例{n}") for n in range(3 if user == learner else 1)],
    )
    assert [a.definition for a in awarding.evaluate_user(learner)] == [definition]
    assert awarding.evaluate_user(other) == []
    award = Award.objects.get(user=learner)
    assert [e["name"] for e in award.evidence][1:] == ["事例0", "事例1"]


def test_a_definition_without_rules_is_never_automatic(learner):
    CredentialDefinitionFactory()
    assert awarding.evaluate_user(learner) == []


def test_quiz_rule_needs_the_minimum_score(course, learner):
    quiz = Quiz.objects.create(title="DX基礎テスト", pass_mark=60)
    definition = CredentialDefinitionFactory()
    CredentialRuleFactory(definition=definition, kind="quiz", quiz=quiz, min_score=80)
    learning.enrol(learner, course)
    lesson = LessonPage.objects.get(slug="seven")
    from curriculum.models import QuizAttempt

    now = timezone.now()
    QuizAttempt.objects.create(
        user=learner, quiz=quiz, lesson=lesson, score=70, passed=True, submitted_at=now
    )
    assert awarding.evaluate_user(learner) == []
    attempt = QuizAttempt.objects.create(user=learner, quiz=quiz, lesson=lesson, served=[])
    # Submitting a passing attempt (the signal) awards it.
    QuizAttempt.objects.filter(pk=attempt.pk).update(score=90, passed=True, submitted_at=now)
    attempt.refresh_from_db()
    from curriculum.signals import quiz_submitted

    quiz_submitted.send(sender=QuizAttempt, user=learner, attempt=attempt)
    award = Award.objects.get(user=learner, definition=definition)
    assert "90%" in award.evidence[0]["description"]
    assert quizzes  # the module that sends the signal on real submissions


def test_rule_validation_names_the_missing_field():
    from django.core.exceptions import ValidationError

    rule = CredentialRule(kind="quiz", min_score=None)
    with pytest.raises(ValidationError) as error:
        rule.clean()
    assert set(error.value.message_dict) == {"quiz", "min_score"}


def test_manual_award_records_who_and_why_and_is_not_duplicated(definition, learner):
    staff = UserFactory(is_staff=True)
    award = awarding.award_manually(
        learner, definition, awarded_by=staff, reason="研修講師を務めた"
    )
    assert (award.method, award.awarded_by, award.reason) == ("manual", staff, "研修講師を務めた")
    assert award.credential["evidence"][-1]["narrative"] == "研修講師を務めた"
    with pytest.raises(awarding.AlreadyHeld):
        awarding.award_manually(learner, definition, awarded_by=staff, reason="二度目")
    assert Award.objects.count() == 1


def test_revocation_needs_a_reason_and_stops_automatic_reissue(course, definition, learner):
    finish(learner, course)
    award = Award.objects.get()
    with pytest.raises(ValueError):
        awarding.revoke(award, by=None, reason="  ")
    awarding.revoke(award, by=None, reason="不正な受講が判明")
    award.refresh_from_db()
    assert award.status == "revoked"
    assert award.revocation_reason == "不正な受講が判明"
    assert awarding.evaluate_user(learner) == []
    assert not Award.objects.standing().exists()
    # Staff may award it again after a revocation.
    again = awarding.award_manually(learner, definition, awarded_by=None, reason="再審査の結果")
    assert again.status == "valid" and again.status_index != award.status_index


def test_expiry_renewal_and_one_reminder(definition, learner, django_capture_on_commit_callbacks):
    definition.validity_days = 365
    definition.save()
    award = awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")
    assert award.expires_at == award.issued_at + timedelta(days=365)
    assert award.credential["validUntil"] == award.expires_at.isoformat()
    mail.outbox.clear()

    assert awarding.send_expiry_reminders(days=30) == 0  # a year away
    soon = award.expires_at - timedelta(days=20)
    assert awarding.send_expiry_reminders(days=30, now=soon) == 1
    assert "期限" in mail.outbox[0].subject or "expires" in mail.outbox[0].subject
    assert award.get_absolute_url() in mail.outbox[0].body
    assert awarding.send_expiry_reminders(days=30, now=soon) == 0  # once only

    Award.objects.filter(pk=award.pk).update(expires_at=timezone.now() - timedelta(days=1))
    award.refresh_from_db()
    assert award.status == "expired"
    assert not Award.objects.standing().exists()
    assert awarding.evaluate_user(learner) == []  # never automatically again
    renewed = awarding.award_manually(learner, definition, awarded_by=None, reason="更新")
    award.refresh_from_db()
    assert award.status == "renewed" and renewed.status == "valid"


def test_status_positions_are_random_unique_and_never_reused(definition):
    from curriculum.credentials import status
    from curriculum.credentials.models import StatusPosition

    users = [UserFactory() for _ in range(6)]
    awards = [awarding.award_manually(u, definition, awarded_by=None, reason="x") for u in users]
    indexes = [a.status_index for a in awards]
    assert len(set(indexes)) == 6 and all(0 <= i < status.LIST_SIZE for i in indexes)
    assert indexes != sorted(indexes) or indexes[-1] > 1000  # not handed out in order
    # An account deleted with its award: the position stays taken, and revoked for verifiers.
    gone = awards[0]
    users[0].delete()
    assert not Award.objects.filter(pk=gone.pk).exists()
    assert status.is_revoked(gone.status_index)
    assert StatusPosition.objects.count() == 6
    again = awarding.award_manually(UserFactory(), definition, awarded_by=None, reason="x")
    assert again.status_index not in indexes


def test_a_missing_signing_key_does_not_cost_the_learner_their_progress(
    course, definition, learner, caplog
):
    from django.core.management import call_command

    from curriculum.credentials import keys

    key = keys.active_key()
    path = keys.key_dir() / f"{key.kid}.pem"
    hidden = path.with_suffix(".away")
    path.rename(hidden)
    try:
        finish(learner, course)
    finally:
        hidden.rename(path)
    assert learner.enrolments.get().completed_at is not None
    assert not Award.objects.exists()
    assert "signing key is unavailable" in caplog.text
    call_command("award_credentials", stdout=__import__("io").StringIO())
    assert Award.objects.get().user == learner


def test_recorded_contributions_award_at_once(learner, monkeypatch):
    from curriculum.credentials.signals import contribution_recorded

    definition = CredentialDefinitionFactory()
    CredentialRuleFactory(definition=definition, kind="accepted_answers", count=1)
    monkeypatch.setitem(
        rules._counters, "accepted_answers", lambda user: [rules.Evidence(name="回答")]
    )
    contribution_recorded.send(sender=None, user=learner, kind="accepted_answers")
    assert Award.objects.get().definition == definition

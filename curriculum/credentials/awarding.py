"""Awarding, renewing, revoking and reminding. Automatic awards are idempotent: a learner gets a
credential once, however many times the rules are evaluated, and never again automatically after
staff revoked it or it expired (staff renew it by awarding it again)."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log as audit_log

from core.dates import local_date

from . import keys, openbadges, proofs, rules, status
from .models import Award, CredentialDefinition

log = logging.getLogger(__name__)

REMINDER_DAYS = 30

# Set while demo data is loaded: the demo accounts are not real people to email.
_quiet = contextvars.ContextVar("credential_notifications_quiet", default=False)


@contextlib.contextmanager
def quietly():
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


class AlreadyHeld(Exception):
    pass


class RulesNotMet(Exception):
    pass


def check_rules(user, definition) -> tuple[bool, list[rules.Evidence]]:
    evidence: list[rules.Evidence] = []
    definition_rules = list(definition.rules.all())
    if not definition_rules:
        return False, []
    for rule in definition_rules:
        outcome = rules.evaluate(user, rule)
        if not outcome.met:
            return False, []
        evidence.extend(outcome.evidence)
    return True, evidence


def _issue(user, definition, *, method, evidence, awarded_by=None, reason="") -> Award:
    now = timezone.now().replace(microsecond=0)
    try:
        with transaction.atomic():
            award = Award(
                definition=definition,
                user=user,
                method=method,
                awarded_by=awarded_by,
                reason=reason,
                evidence=[item.as_json() for item in evidence],
                issued_at=now,
                expires_at=now + timedelta(days=definition.validity_days)
                if definition.validity_days
                else None,
                status_index=status.allocate(),
            )
            award.save()
            award.credential = proofs.sign(
                openbadges.unsigned_credential(award), created=now.isoformat()
            )
            award.save(update_fields=["credential"])
            return award
    except IntegrityError:
        if Award.objects.filter(
            definition=definition, user=user, revoked_at__isnull=True, superseded_at__isnull=True
        ).exists():
            raise AlreadyHeld from None
        raise


def evaluate_user(user, definitions=None) -> list[Award]:
    """Award every active credential whose rules the user now meets; returns the new awards."""
    if definitions is None:
        definitions = CredentialDefinition.objects.filter(is_active=True)
    definitions = definitions.prefetch_related("rules", "rules__course", "rules__quiz")
    held = set(Award.objects.filter(user=user).values_list("definition_id", flat=True))
    awarded = []
    for definition in definitions:
        if definition.pk in held:
            continue
        met, evidence = check_rules(user, definition)
        if not met:
            continue
        try:
            awarded.append(
                _issue(user, definition, method=Award.Method.AUTOMATIC, evidence=evidence)
            )
        except AlreadyHeld:
            continue
    quiet = _quiet.get()
    for award in awarded:
        log.info("awarded %s to user %s", award.definition.slug, user.pk)
        if not quiet:
            transaction.on_commit(lambda award=award: notify_awarded(award))
    return awarded


def award_manually(user, definition, *, awarded_by, reason) -> Award:
    """Staff award (or renew) a credential. A standing, unexpired award is not duplicated; an
    expired one is marked renewed and replaced."""
    with transaction.atomic():
        current = (
            Award.objects.select_for_update()
            .filter(
                definition=definition,
                user=user,
                revoked_at__isnull=True,
                superseded_at__isnull=True,
            )
            .first()
        )
        if current and not current.is_expired:
            raise AlreadyHeld
        if current:
            current.superseded_at = timezone.now()
            current.save(update_fields=["superseded_at"])
        _met, evidence = check_rules(user, definition)
        award = _issue(
            user,
            definition,
            method=Award.Method.MANUAL,
            evidence=evidence,
            awarded_by=awarded_by,
            reason=reason,
        )
        # Wagtail's history: who awarded it, when, and why.
        audit_log(
            instance=award,
            action="credentials.award",
            user=awarded_by,
            data={"reason": reason, "renewed": current is not None},
        )
    if not _quiet.get():
        transaction.on_commit(lambda: notify_awarded(award))
    return award


def revoke(award: Award, *, by, reason: str) -> Award:
    if not reason.strip():
        raise ValueError("a revocation needs a reason")
    if award.revoked_at is None:
        award.revoked_at = timezone.now()
        award.revoked_by = by
        award.revocation_reason = reason.strip()
        with transaction.atomic():
            award.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
            status.revoke(award.status_index, award.revoked_at)
            audit_log(
                instance=award,
                action="credentials.revoke",
                user=by,
                data={"reason": award.revocation_reason},
            )
    return award


def _user_language(user) -> str:
    return settings.LANGUAGE_CODE


def notify_awarded(award: Award) -> None:
    if _quiet.get():
        return
    with translation.override(_user_language(award.user)):
        context = _email_context(award)
        send_mail(
            _("You have been awarded “%(name)s”") % {"name": award.definition.name},
            render_to_string("credentials/email/awarded.txt", context),
            None,
            [award.user.email],
        )


def send_expiry_reminders(days: int = REMINDER_DAYS, now=None) -> int:
    """One email per award expiring within `days`, sent once; returns how many were sent."""
    now = now or timezone.now()
    due = (
        Award.objects.standing(now)
        .filter(expires_at__lte=now + timedelta(days=days), reminder_sent_at__isnull=True)
        .select_related("definition", "user")
    )
    sent = 0
    for award in due:
        with translation.override(_user_language(award.user)):
            context = _email_context(award)
            send_mail(
                _("“%(name)s” expires on %(date)s")
                % {"name": award.definition.name, "date": local_date(award.expires_at)},
                render_to_string("credentials/email/expiry_reminder.txt", context),
                None,
                [award.user.email],
            )
        Award.objects.filter(pk=award.pk).update(reminder_sent_at=now)
        sent += 1
    return sent


def _email_context(award: Award) -> dict:
    return {
        "award": award,
        "definition": award.definition,
        "user": award.user,
        "base_url": settings.CREDENTIALS_BASE_URL.rstrip("/"),
    }


def resign_orphaned(now=None) -> int:
    """Re-sign, with the active key, the standing awards whose key was revoked (a compromised
    key): the content stays the same, the proof is new. Holders download them again."""
    trusted = set(keys.verifying_keys().values_list("verification_method", flat=True))
    count = 0
    for award in Award.objects.standing(now).iterator():
        proof = (award.credential.get("proof") or [{}])[0]
        if proof.get("verificationMethod") in trusted:
            continue
        created = timezone.now().replace(microsecond=0).isoformat()
        award.credential = proofs.sign(award.credential, created=created)
        award.save(update_fields=["credential"])
        count += 1
    return count

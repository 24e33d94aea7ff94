"""Demo credentials (fixtures/credentials/demo_credentials.json): definitions with their rules,
competency levels and external alignments, awarded to the demo learners who meet them, plus one
award made by staff. Idempotent."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model

from curriculum.models import Competency, CoursePage

from . import awarding, keys
from .models import (
    Award,
    CredentialCompetency,
    CredentialDefinition,
    CredentialRule,
    ExternalAlignment,
)

DEMO_CREDENTIALS = settings.BASE_DIR / "fixtures" / "credentials" / "demo_credentials.json"


def load_credentials(path=DEMO_CREDENTIALS) -> list[CredentialDefinition]:
    data = json.loads(path.read_text(encoding="utf-8"))
    keys.active_key()
    competencies = {c.code: c for c in Competency.objects.all()}
    courses = {
        c.code: c for c in CoursePage.objects.filter(locale__language_code="ja").exclude(code="")
    }
    definitions = []
    for item in data["credentials"]:
        fields = {
            k: item.get(k, "")
            for k in (
                "name_ja",
                "name_en",
                "description_ja",
                "description_en",
                "criteria_ja",
                "criteria_en",
            )
        }
        definition, created = CredentialDefinition.objects.get_or_create(
            slug=item["slug"], defaults={**fields, "validity_days": item.get("validity_days")}
        )
        definitions.append(definition)
        if not created:
            continue
        for order, rule in enumerate(item["rules"]):
            CredentialRule.objects.create(
                definition=definition,
                sort_order=order,
                kind=rule["kind"],
                course=courses.get(rule.get("course")),
                count=rule.get("count"),
            )
        for order, (code, level) in enumerate(item.get("competencies", {}).items()):
            CredentialCompetency.objects.create(
                definition=definition, sort_order=order, competency=competencies[code], level=level
            )
        for order, alignment in enumerate(item.get("alignments", [])):
            ExternalAlignment.objects.create(definition=definition, sort_order=order, **alignment)
    return definitions


def award_demo_contributors(users) -> None:
    """Credentials for contributions the demo records directly (accepted answers, published
    cases), which no signal announced while it loaded: evaluated for the given members only."""
    kinds = [CredentialRule.Kind.CASE_STUDIES, CredentialRule.Kind.ACCEPTED_ANSWERS]
    definitions = CredentialDefinition.objects.filter(
        is_active=True, rules__kind__in=kinds
    ).distinct()
    for user in users:
        if user.is_active:
            awarding.evaluate_user(user, definitions)


def award_demo_learners(path=DEMO_CREDENTIALS) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    users = get_user_model().objects.filter(is_active=True)
    for user in users.filter(enrolments__completed_at__isnull=False).distinct():
        awarding.evaluate_user(user)
    by_email = users.in_bulk(
        [a["email"] for a in data["manual_awards"]] + data["public_awards"], field_name="email"
    )
    admin = users.filter(is_superuser=True).first()
    for item in data["manual_awards"]:
        user = by_email.get(item["email"])
        definition = CredentialDefinition.objects.filter(slug=item["credential"]).first()
        if user and definition and not Award.objects.filter(user=user, definition=definition):
            awarding.award_manually(user, definition, awarded_by=admin, reason=item["reason"])
    for email in data["public_awards"]:
        if email in by_email:
            first = Award.objects.filter(user=by_email[email]).order_by("issued_at", "pk").first()
            if first and not first.is_public:
                first.is_public = True
                first.save(update_fields=["is_public"])


def public_award_url() -> str:
    award = Award.objects.filter(is_public=True).order_by("issued_at", "pk").first()
    return award.get_absolute_url() if award else "—"

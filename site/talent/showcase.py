"""What a candidate may show, in one place: their own standing credentials, the live case studies
they are an author of, and their published answers that the asker accepted. The profile form
offers these and nothing else; the candidate's page and the ranking read what was chosen
through the same definitions, so an item that stops qualifying (a revoked credential, an
unpublished case, an accepted answer taken back) disappears everywhere at once."""

from __future__ import annotations

from django.db.models import F

from casestudies.models import CaseStudyPage
from curriculum.credentials.models import Award
from knowledge.models import Answer, Visibility

from .models import TalentProfile


def own_awards(user, now=None):
    return (
        Award.objects.standing(now)
        .filter(user=user)
        .select_related("definition")
        .order_by("-issued_at", "pk")
    )


def own_cases(user):
    return (
        CaseStudyPage.objects.live()
        .filter(authors=user)
        .select_related("municipality")
        .order_by("-first_published_at", "pk")
    )


def own_answers(user):
    return (
        Answer.objects.published()
        .filter(
            author=user,
            accepted_for__isnull=False,
            accepted_for__visibility=Visibility.PUBLISHED,
        )
        .select_related("question")
        .order_by("-created_at", "pk")
    )


def shown_standing_awards(profile_ids, now=None):
    """The (profile, award) links of the standing credentials these candidates chose to show, as
    rows of the through table: a credential counts only for its holder, whatever the table
    says. The ranking and the prefecture's figures read verified levels from here."""
    return TalentProfile.shown_awards.through.objects.filter(
        talentprofile_id__in=profile_ids,
        award__in=Award.objects.standing(now),
        award__user_id=F("talentprofile__user_id"),
    )

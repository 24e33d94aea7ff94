"""What the talent pool holds about a member (people.privacy): their talent profile (roles,
declared levels, pools, what they chose to show), the contact requests they received, and the
needs and requests they wrote for their organisation.

Closing the account removes the talent profile and every request addressed to the member (their
foreign keys cascade). Needs belong to the organisation that posted them and stay, without who
posted them; so do the requests a recruiter sent, shown as sent by a former member."""

from people.privacy import PersonalData, register, rows

from .models import CompetencyClaim, ContactRequest, TalentNeed, TalentProfile, TalentRoleClaim


def export(user) -> dict:
    profile = TalentProfile.objects.filter(user=user).first()
    if profile is None:
        talent_profile = None
    else:
        talent_profile = {
            "listed": profile.is_open,
            "background": profile.background,
            "headline": profile.headline,
            "experience": profile.summary,
            "availability": profile.commitment,
            "days_per_month": profile.days_per_month,
            "work_mode": profile.work_mode,
            "available_from": profile.available_from,
            "based_in": profile.home_prefecture.name,
            "pools": list(profile.pools.order_by("code").values_list("name", flat=True)),
            "roles": list(
                TalentRoleClaim.objects.filter(profile=profile).values_list("role", flat=True)
            ),
            "declared_levels": rows(
                CompetencyClaim.objects.filter(profile=profile).order_by("competency__code"),
                "level",
                competency="competency__code",
            ),
            "credentials_shown": [
                str(uuid) for uuid in profile.shown_awards.values_list("uuid", flat=True)
            ],
            "case_studies_shown": list(profile.shown_cases.values_list("pk", flat=True)),
            "answers_shown": list(profile.shown_answers.values_list("pk", flat=True)),
            "created_at": profile.created_at,
            "updated_at": profile.updated_at,
        }
    return {
        "talent_pool": {
            "profile": talent_profile,
            "contact_requests_received": rows(
                ContactRequest.objects.filter(candidate=user).order_by("created_at"),
                "message",
                "status",
                "created_at",
                "responded_at",
                need="need__title",
                organisation="need__organisation__name",
            ),
            "contact_requests_sent": rows(
                ContactRequest.objects.filter(sender=user).order_by("created_at"),
                "message",
                "status",
                "created_at",
                need="need__title",
            ),
            "needs_posted": rows(
                TalentNeed.objects.filter(posted_by=user).order_by("created_at"),
                "title",
                "role",
                "status",
                "created_at",
                organisation="organisation__name",
            ),
        }
    }


register(PersonalData(export=export))

"""What the credentials hold about a member (people.privacy): their awards, signed credentials
included, and organisation report access. Closing the account revokes every award on the
public status list first, so a downloaded copy no longer verifies as current."""

from django.utils import timezone

from people.privacy import PersonalData, register

from . import status
from .models import Award, OrganisationReporter


def export(user) -> dict:
    awards = Award.objects.filter(user=user).select_related("definition").order_by("issued_at")
    reporter = OrganisationReporter.objects.filter(user=user).values(
        "municipality__code", "municipality__name", "granted_at"
    )
    return {
        "organisation_report_access": next(iter(reporter), None),
        "credentials": [
            {
                "id": str(award.uuid),
                "credential": award.definition.name_ja,
                "credential_en": award.definition.name_en,
                "status": award.status,
                "method": award.method,
                "reason": award.reason,
                "evidence": award.evidence,
                "issued_at": award.issued_at,
                "expires_at": award.expires_at,
                "revoked_at": award.revoked_at,
                "public_page": award.is_public,
                "listed_by_search_engines": award.is_indexable,
                "signed_credential": award.credential,
            }
            for award in awards
        ],
    }


def revoke_every_award(user) -> None:
    now = timezone.now()
    for index in Award.objects.filter(user=user).values_list("status_index", flat=True):
        status.revoke(index, now)


register(
    PersonalData(
        export=export,
        before_deletion=revoke_every_award,
        about_people=(Award, OrganisationReporter),
    )
)

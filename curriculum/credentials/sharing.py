"""Links that share a public award: LinkedIn's "add to profile" form filled in for the holder, its
share dialog, and the award's own address to copy. The addresses are built here, encoded once,
never in templates. Only a public award has them: its page is the one address others can open."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils import translation

from core.dates import local
from core.translation import in_language

from . import keys
from .models import Award, IssuerSettings

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
SHARE = "https://www.linkedin.com/sharing/share-offsite/"


@dataclass(frozen=True)
class ShareLinks:
    public_url: str
    linkedin_share: str
    linkedin_add: str


def public_url(award: Award) -> str:
    """The award page's absolute address, the same whatever the language (as its credential's
    id)."""
    with translation.override("ja"):
        return keys.base_url() + award.get_absolute_url()


def _query(params: dict) -> str:
    return urlencode(params, quote_via=quote, safe="")


def linkedin_share_url(url: str) -> str:
    return f"{SHARE}?{_query({'url': url})}"


def linkedin_add_url(award: Award, issuer: IssuerSettings | None = None) -> str:
    """LinkedIn's add-to-profile form for a certification, filled in with the award: the
    credential's name in the active language, the issuer, the month issued and the month it
    expires (in the site's time zone), the award's address and its id."""
    issuer = issuer or IssuerSettings.load()
    issued = local(award.issued_at)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": award.definition.name,
        "organizationName": in_language(issuer.name_ja, issuer.name_en),
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if award.expires_at:
        expires = local(award.expires_at)
        params.update(expirationYear=expires.year, expirationMonth=expires.month)
    params.update(certUrl=public_url(award), certId=str(award.uuid))
    return f"{ADD_TO_PROFILE}?{_query(params)}"


def links_for(award: Award, issuer: IssuerSettings | None = None) -> ShareLinks | None:
    """The award's sharing links; None for a private award (nobody else could open it) and for
    one revoked or replaced by a renewal (it no longer stands for anything to show)."""
    if not award.is_public or award.revoked_at or award.superseded_at:
        return None
    url = public_url(award)
    return ShareLinks(
        public_url=url,
        linkedin_share=linkedin_share_url(url),
        linkedin_add=linkedin_add_url(award, issuer),
    )

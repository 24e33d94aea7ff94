from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.utils.encoding import force_str
from django.utils.translation import gettext


@dataclass(frozen=True)
class MailSite:
    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    """Account e-mails carry the platform's name in the reader's language, not a host name
    (allauth falls back to the request's host when django.contrib.sites is not installed)."""

    def mail_site(self) -> MailSite:
        request = context.request
        return MailSite(
            name=gettext("Municipal CIO Academy"),
            domain=request.get_host() if request is not None else "",
        )

    def format_email_subject(self, subject: str) -> str:
        return f"[{self.mail_site().name}] {force_str(subject)}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {"current_site": self.mail_site(), **context})


def user_display(user) -> str:
    """How allauth names a person in pages and e-mails: their display name, else their e-mail."""
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.email

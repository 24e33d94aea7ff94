from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .mfa import holds_privileges


@dataclass(frozen=True)
class MailSite:
    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    """Account e-mails carry the platform's name in the reader's language, not a host name
    (allauth falls back to the request's host when django.contrib.sites is not installed)."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # Said the same whether or not the address has an account, so it reveals none.
        "too_many_login_attempts": _(
            "Sign-in to this account is paused for up to 15 minutes after several failed "
            "attempts, to protect it from password guessing. Try again later, or reset your "
            "password if you have forgotten it."
        ),
    }

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


class MFAAdapter(DefaultMFAAdapter):
    """Staff and moderators keep their authenticator app while the site requires one of them."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Your role requires two-factor authentication, so you cannot turn off the "
            "authenticator app. To move it to a new phone, ask an administrator."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and authenticator.type == Authenticator.Type.TOTP
            and holds_privileges(authenticator.user)
        ):
            return False
        return super().can_delete_authenticator(authenticator)

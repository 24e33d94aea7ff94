from django import template

from people.mfa import MFA_REQUIRED_MESSAGE, mfa_setup_required

register = template.Library()


@register.inclusion_tag("people/includes/mfa_required_notice.html", takes_context=True)
def mfa_required_notice(context):
    """Why a staff member or moderator is being asked to set up an authenticator app; shown on
    the account pages they pass through (re-authentication, activation) until it is done."""
    request = context.get("request")
    user = getattr(request, "user", None)
    show = user is not None and user.is_authenticated and mfa_setup_required(user)
    return {"message": MFA_REQUIRED_MESSAGE if show else ""}

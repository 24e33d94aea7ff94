from django import template

from knowledge.models import Subscription
from knowledge.notifications import unread_count
from knowledge.reputation import activity

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user)


@register.inclusion_tag("knowledge/includes/profile_activity.html", takes_context=True)
def knowledge_on_profile(context, profile, is_owner=False) -> dict:
    """A member's part in the knowledge base on their profile page, and following them."""
    viewer = context.get("user")
    following = bool(
        viewer is not None
        and viewer.is_authenticated
        and not is_owner
        and Subscription.objects.filter(user=viewer, person_id=profile.user_id).exists()
    )
    return {
        "profile": profile,
        "is_owner": is_owner,
        "viewer": viewer,
        "qa": activity(profile.user),
        "following": following,
        "csrf_token": context.get("csrf_token"),
    }

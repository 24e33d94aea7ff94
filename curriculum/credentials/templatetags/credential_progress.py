"""Credentials on other apps' pages: "nearly there" on My learning. A tag rather than a view's
context, so the learning pages need not know how credentials are earned."""

from django import template

from curriculum import progress as learning

from .. import progress
from ..models import CredentialRule

register = template.Library()


@register.inclusion_tag("credentials/includes/near_completion.html", takes_context=True)
def credentials_near_completion(context, user, limit=3) -> dict:
    """The credentials the learner is closest to earning, with what is left to do."""
    standings = progress.near_completion(user, limit=limit)
    courses = [
        s.next_rule.course
        for s in standings
        if s.next_rule.kind == CredentialRule.Kind.COURSE and s.next_rule.course_id
    ]
    local = learning.localized(courses)
    for standing in standings:
        rule = standing.next_rule
        standing.next_course = local.get(rule.course_id) if rule.course_id else None
        standing.next_step = "" if standing.next_course else rule.describe()
    return {"standings": standings, "request": context.get("request")}

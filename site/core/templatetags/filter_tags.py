"""Counts for a listing's folded filter panel: "Filters (2 active)" on a narrow screen."""

from django import template

register = template.Library()


@register.simple_tag
def active_filters(params, *names) -> int:
    """How many of the query-string parameters `names` are set to something: each non-blank value
    counts once, so a facet with two ticked values counts two. `params` is request.GET."""
    return sum(1 for name in names for value in params.getlist(name) if value.strip())


@register.simple_tag
def selected_options(facets) -> int:
    """How many options are ticked across a case listing's facets (casestudies.listing.Facet)."""
    return sum(len(facet.selected) for facet in facets)

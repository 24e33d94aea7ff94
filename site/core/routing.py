"""Finding the page a URL names in two queries, whatever its depth.

Wagtail's own routing walks down the tree: at each level one query for the child with the next
slug and one for its specific page, so a lesson six levels down costs a dozen queries before
anything is rendered. Every page already stores its URL path (``url_path``, kept up to date by
Wagtail when a page is moved or its slug changes), so the home page looks up every prefix of the
path at once and fetches only the deepest page's specific row.

Pages that route the rest of a path themselves (RoutablePageMixin: the case library's compare
and benchmark views) are handed the remaining components as the tree walk would hand them,
so their sub-routes keep precedence over child pages exactly as before.
"""

from __future__ import annotations

from django.http import Http404
from wagtail.models import Page


def routes_itself(page: Page) -> bool:
    return page.specific_class is not None and page.specific_class.route is not Page.route


def route_by_url_path(root: Page, request, path_components: list[str]):
    """What ``root.route(request, path_components)`` would return, without the walk."""
    prefixes = [
        root.url_path + "/".join(path_components[:n]) + "/"
        for n in range(1, len(path_components) + 1)
    ]
    chain = list(
        Page.objects.filter(url_path__in=prefixes, path__startswith=root.path)
        .exclude(pk=root.pk)
        .order_by("depth")
    )
    for found in chain:
        consumed = found.depth - root.depth
        if routes_itself(found):
            return found.specific.route(request, path_components[consumed:])
        if consumed == len(path_components):
            # A page without routing of its own: live, or not found (Page.route's own rule).
            return found.specific.route(request, [])
    raise Http404

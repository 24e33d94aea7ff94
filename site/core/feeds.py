"""The Atom writer every feed on the site uses: Django's, given only text XML can carry."""

from __future__ import annotations

from django.utils.feedgenerator import Atom1Feed
from django.utils.functional import Promise

from .text import xml_safe


def _safe(value):
    if isinstance(value, str | Promise):
        return xml_safe(str(value))
    if isinstance(value, list | tuple):
        return [_safe(item) for item in value]
    return value


class SafeAtom1Feed(Atom1Feed):
    """Atom 1.0 that drops characters XML cannot carry from every title, text and name, so one
    stored before they were refused cannot turn the feed into a server error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_safe, args), **{k: _safe(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_safe, args), **{k: _safe(v) for k, v in kwargs.items()})

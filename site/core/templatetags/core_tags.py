from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language
from wagtail.models import Page

from core.markdown import render_markdown

register = template.Library()


@register.simple_tag
def submission_key():
    """The one-time key of a create form (core.idempotency): a new one each time it is shown."""
    from django.utils.html import format_html

    from core.idempotency import FIELD, new_key

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())


def _page_urls_by_language(page, request):
    translations = page.get_translations(inclusive=True).live().select_related("locale")
    return {t.locale.language_code: t.get_url(request) for t in translations}


@register.inclusion_tag("components/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to the current page in each language: the page's translation for Wagtail pages,
    the same view under the other prefix for everything else."""
    request = context.get("request")
    if request is None:
        return {"languages": []}
    page = context.get("page")
    current = get_language()
    page_urls = _page_urls_by_language(page, request) if isinstance(page, Page) else {}
    languages = []
    for code, name in settings.LANGUAGES:
        url = page_urls.get(code) or translate_url(request.get_full_path(), code)
        languages.append({"code": code, "name": name, "url": url, "current": code == current})
    return {"languages": languages}


@register.filter
def localized_path(path):
    """A path on this site, in the active language (/people/ → /en/people/ in English)."""
    return translate_url(path, get_language())


@register.filter(name="markdown")
def markdown_filter(text):
    """Markdown rendered and sanitised (core.markdown); the page title is the only h1."""
    return render_markdown(text)

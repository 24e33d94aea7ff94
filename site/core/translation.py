from django.utils.translation import get_language
from wagtail.models import Locale, Page


def active_locale(request=None) -> Locale:
    """The locale of the active language, looked up once per request (the site search builds
    a queryset per content type, each in the reader's language)."""
    if request is None:
        return Locale.get_active()
    cache = request.__dict__.setdefault("_active_locales", {})
    language = get_language()
    if language not in cache:
        cache[language] = Locale.get_active()
    return cache[language]


def ensure_translation(page: Page, locale, fields: dict) -> Page:
    """The page's translation into `locale`, created from `fields` and published if missing."""
    translation = page.get_translation_or_none(locale)
    if translation is None:
        translation = page.copy_for_translation(locale)
        for name, value in fields.items():
            setattr(translation, name, value)
        translation.save_revision().publish()
    return translation.specific

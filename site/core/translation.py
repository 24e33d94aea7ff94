from django.utils.translation import get_language
from wagtail.models import Locale, Page


def in_language(japanese: str, english: str) -> str:
    """The text in the active language, for models that hold both (name_ja and name_en): the
    English one under /en/ when it is written, the Japanese one otherwise."""
    if (get_language() or "ja").startswith("en"):
        return english or japanese
    return japanese


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

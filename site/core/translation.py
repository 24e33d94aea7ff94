from wagtail.models import Page


def ensure_translation(page: Page, locale, fields: dict) -> Page:
    """The page's translation into `locale`, created from `fields` and published if missing."""
    translation = page.get_translation_or_none(locale)
    if translation is None:
        translation = page.copy_for_translation(locale)
        for name, value in fields.items():
            setattr(translation, name, value)
        translation.save_revision().publish()
    return translation.specific

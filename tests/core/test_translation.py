"""core.translation.in_language: the text of models that hold both languages."""

from django.utils import translation

from core.translation import in_language


def test_japanese_by_default_and_english_under_en():
    with translation.override("ja"):
        assert in_language("研修", "Training") == "研修"
    with translation.override("en"):
        assert in_language("研修", "Training") == "Training"


def test_english_falls_back_to_japanese_when_not_written():
    with translation.override("en"):
        assert in_language("研修", "") == "研修"

"""The catalogues are complete and their compiled .mo files match the .po sources, so a fresh
clone shows Japanese without GNU gettext installed."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUES = sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/django.po"))


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_message_is_translated(po_path):
    catalogue = polib.pofile(str(po_path))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogue_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), "run `make messages` (or manage.py compile_translations)"
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(mo_path))
    }
    source = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural)
        for e in polib.pofile(str(po_path)).translated_entries()
    }
    assert compiled == source, "the .mo is stale: run `make messages`"


def test_there_is_a_japanese_catalogue():
    assert [p.parts[-3] for p in CATALOGUES] == ["ja"]

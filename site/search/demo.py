"""The search's demo content: the synonym groups a municipal official expects
(fixtures/synonyms.json). Loaded by the demo app's load_demo; idempotent."""

import json

from django.conf import settings

from .models import SynonymGroup
from .synonyms import clear_cache as clear_synonym_cache

FIXTURES = settings.BASE_DIR / "fixtures"


def load_synonyms():
    groups = json.loads((FIXTURES / "synonyms.json").read_text(encoding="utf-8"))
    known = {group.term_list()[0] for group in SynonymGroup.objects.all() if group.term_list()}
    SynonymGroup.objects.bulk_create(
        SynonymGroup(terms="\n".join(g["terms"]), note=g["note"])
        for g in groups
        if g["terms"][0] not in known
    )
    clear_synonym_cache()

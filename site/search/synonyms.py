"""Query-time expansion with the synonym and abbreviation table that admins edit."""

from django.core.cache import cache

from search.analysis import fold_kana, normalize

CACHE_KEY = "search:synonyms:v1"


def _key(term: str) -> str:
    return fold_kana(normalize(term)).replace(" ", "")


def synonym_map() -> dict[str, list[str]]:
    table = cache.get(CACHE_KEY)
    if table is None:
        from search.models import SynonymGroup

        table = {}
        for group in SynonymGroup.objects.all():
            terms = group.term_list()
            for term in terms:
                table.setdefault(_key(term), []).extend(t for t in terms if t != term)
        cache.set(CACHE_KEY, table, 300)
    return table


def expand(term: str) -> list[str]:
    """The other spellings of a term, e.g. ``rfp`` → ``["提案依頼書"]``."""
    return synonym_map().get(_key(term), [])


def clear_cache(**kwargs):
    cache.delete(CACHE_KEY)

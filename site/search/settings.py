"""WAGTAILSEARCH_BACKENDS["default"] from SEARCH_BACKEND. Imported by the settings module, so it
must not import Django models."""

from pathlib import Path

# Japanese for an OpenSearch/Elasticsearch cluster: ICU normalisation (NFKC, case folding) before
# kuromoji's tokenizer in search mode (compounds split and kept), base forms, full-width Latin
# folded, stop words and particles dropped, katakana long vowels stemmed (サーバー = サーバ).
# Text fields use the index's default analyzer, so redefining "default" applies it everywhere.
# Needs the analysis-kuromoji and analysis-icu plugins on every node.
JAPANESE_INDEX_SETTINGS = {
    "settings": {
        "analysis": {
            "char_filter": {
                "nfkc_cf": {"type": "icu_normalizer", "name": "nfkc_cf", "mode": "compose"},
            },
            "tokenizer": {
                "ja_search": {"type": "kuromoji_tokenizer", "mode": "search"},
            },
            "filter": {
                "ja_katakana_stem": {"type": "kuromoji_stemmer", "minimum_length": 4},
            },
            "analyzer": {
                "default": {
                    "type": "custom",
                    "char_filter": ["nfkc_cf"],
                    "tokenizer": "ja_search",
                    "filter": [
                        "kuromoji_baseform",
                        "kuromoji_part_of_speech",
                        "cjk_width",
                        "ja_stop",
                        "ja_katakana_stem",
                        "lowercase",
                    ],
                },
            },
        }
    }
}

CLUSTER_BACKENDS = {
    "opensearch": "modelsearch.backends.opensearch2",
    "elasticsearch": "modelsearch.backends.elasticsearch8",
}


EMBEDDED_BACKENDS = ("tantivy", "whoosh")


def search_backend_settings(name: str, env, index_dir: Path) -> dict:
    if name == "tantivy":
        return {
            "BACKEND": "search.backends.tantivy",
            # Beside a Whoosh index in the same folder, never mixed with it.
            "PATH": str(index_dir / "tantivy"),
            "PROCESSES": env.int("SEARCH_BUILD_PROCESSES", default=0),  # 0: up to 4 CPUs
            "BUILD_MEMORY_MB": env.int("SEARCH_BUILD_MEMORY_MB", default=0),  # 0: 400
            "BUILD_THREADS": env.int("SEARCH_BUILD_THREADS", default=0),  # 0: 2
        }
    if name == "whoosh":
        return {
            "BACKEND": "search.backends.whoosh",
            "PATH": str(index_dir),
            "PROCESSES": env.int("SEARCH_BUILD_PROCESSES", default=0),  # 0: up to 4 CPUs
            "BUILD_MEMORY_MB": env.int("SEARCH_BUILD_MEMORY_MB", default=0),  # 0: 512
        }
    if name == "database":
        return {"BACKEND": "wagtail.search.backends.database"}
    if name in CLUSTER_BACKENDS:
        return {
            "BACKEND": CLUSTER_BACKENDS[name],
            "URLS": env.list("SEARCH_URL", default=["http://localhost:9200"]),
            "INDEX_PREFIX": env("SEARCH_INDEX_PREFIX", default="cio-academy_"),
            "TIMEOUT": env.int("SEARCH_TIMEOUT", default=10),
            "INDEX_SETTINGS": JAPANESE_INDEX_SETTINGS,
        }
    raise ValueError(
        f"SEARCH_BACKEND must be one of tantivy, whoosh, database, "
        f"{', '.join(CLUSTER_BACKENDS)}; "
        f"got {name!r}"
    )

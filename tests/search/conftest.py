import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from modelsearch.test.testapp import models as m
from wagtail.search.backends import get_search_backend

BACKENDS = {
    "tantivy": "search.backends.tantivy",
    "whoosh": "search.backends.whoosh",
    "database": "wagtail.search.backends.database",
}
# The backends that keep their index on this machine and share the project's analysis.
EMBEDDED = ("tantivy", "whoosh")


@pytest.fixture
def use_backend(settings, search_index):
    def configure(name):
        conf = {"BACKEND": BACKENDS[name]}
        if name in EMBEDDED:
            conf["PATH"] = str(search_index / name)
        settings.WAGTAILSEARCH_BACKENDS = {"default": conf}
        # Data saved before the switch went to the previous backend: rebuild this one.
        call_command("update_index", backend_name="default", stdout=StringIO(), chunk_size=50)
        return get_search_backend()

    return configure


@pytest.fixture
def library(db):
    """Books, novels and authors in English and Japanese, indexed as they are saved."""
    tolkien = m.Author.objects.create(
        name="J. R. R. Tolkien", date_of_birth=datetime.date(1892, 1, 3)
    )
    murakami = m.Author.objects.create(name="村上 春樹", date_of_birth=datetime.date(1949, 1, 12))
    nameless = m.Author.objects.create(name="Anonymous")
    books = {}

    def book(key, cls=m.Book, authors=(), **fields):
        obj = cls.objects.create(**fields)
        obj.authors.set(authors)
        obj.save()  # index again now that the authors are set
        books[key] = obj
        return obj

    book(
        "js",
        title="JavaScript: The Good Parts",
        summary="A book about the good parts of the language.",
        publication_date=datetime.date(2008, 5, 1),
        number_of_pages=176,
    )
    book(
        "python",
        cls=m.ProgrammingGuide,
        title="Learning Python",
        programming_language="py",
        summary="Dynamic typing and the standard library.",
        publication_date=datetime.date(2013, 6, 1),
        number_of_pages=1600,
    )
    book(
        "hobbit",
        cls=m.Novel,
        title="The Hobbit",
        setting="Middle Earth",
        authors=[tolkien],
        summary="A hobbit goes on an adventure with dwarves.",
        publication_date=datetime.date(1937, 9, 21),
        number_of_pages=310,
    )
    book(
        "lotr",
        cls=m.Novel,
        title="The Fellowship of the Ring",
        setting="Middle Earth",
        authors=[tolkien],
        summary="The ring must be destroyed.",
        publication_date=datetime.date(1954, 7, 29),
        number_of_pages=423,
    )
    book(
        "cloud",
        title="自治体のパブリッククラウド移行ガイド",
        authors=[murakami],
        summary="ガバメントクラウドへの移行とベンダーロックインの回避について。",
        publication_date=datetime.date(2024, 4, 1),
        number_of_pages=210,
    )
    book(
        "rpa",
        title="RPA導入の手引き",
        authors=[murakami, nameless],
        summary="住民税の申告書処理を自動化し、サーバーの設定も見直した。",
        publication_date=datetime.date(2020, 1, 15),
        number_of_pages=98,
    )
    return books


def titles(results):
    return [book.title for book in results]

"""manage.py search_check (search/drift.py): what the index lacks or has too many of, compared
with the database, and the repair; and a damaged index met by the site search."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.search.backends import get_search_backend

from core.models import Topic
from search.models import PendingIndexWrite
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def built_index(db):
    """A site's index as update_index leaves it (the pages the migrations made included)."""
    call_command("update_index", stdout=StringIO())


def check(*args):
    out = StringIO()
    call_command("search_check", *args, stdout=out)
    return out.getvalue()


def test_an_index_that_matches_the_database_passes():
    TopicFactory(name_ja="住民税")
    assert "索引はデータベースと一致しています" in check()


def test_missing_and_stale_documents_are_reported_then_repaired():
    kept = TopicFactory(name_ja="住民税")
    lost = TopicFactory(name_ja="電子申請")
    backend = get_search_backend()
    backend.delete_documents([f"core.topic:{lost.pk}"])  # a write that never arrived
    # a delete that never arrived (or a write rolled back after the index took it)
    gone = Topic(pk=kept.pk + 1000, name_ja="窓口", slug="gone")
    backend.write_objects(Topic, [gone])

    with pytest.raises(CommandError, match="search_check --repair"):
        out = StringIO()
        call_command("search_check", stdout=out)
    report = out.getvalue()
    assert "欠落 1 件、不要 1 件" in report
    assert f"欠落 core.Topic: {lost.pk}" in report

    assert "修復しました" in check("--repair")
    ids = set(backend.document_ids())
    assert {f"core.topic:{kept.pk}", f"core.topic:{lost.pk}"} <= ids
    assert f"core.topic:{gone.pk}" not in ids
    assert "索引はデータベースと一致しています" in check()


def test_queued_writes_are_reported_and_taken_to_the_index(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    topic = TopicFactory(name_ja="窓口改革")
    PendingIndexWrite.objects.create(model="core.Topic", object_pk=str(topic.pk), action="index")
    with pytest.raises(CommandError):
        call_command("search_check", stdout=StringIO())
    out = check("--repair")
    assert "書き込みが 1 件待機しています" in out
    assert not PendingIndexWrite.objects.exists()
    assert [t.pk for t in get_search_backend().search("窓口改革", Topic)] == [topic.pk]


def test_a_damaged_index_gives_a_clear_page_not_an_error(client, home_page):
    TopicFactory(name_ja="住民税")
    live = Path(get_search_backend().current_path())
    (live / "meta.json").write_text("{not json")
    get_search_backend().forget_searchers()

    response = client.get("/search/", {"q": "住民税"})
    assert response.status_code == 503
    assert "検索は一時的に利用できません" in response.content.decode()
    data = client.get("/search/", {"q": "住民税", "format": "json"}).json()
    assert data["total"] == 0 and data["notices"]
    assert client.get("/healthz").status_code == 503
    # Asking a question still works: the list of similar ones is just empty.
    assert client.get("/questions/similar/", {"q": "住民税"}).status_code == 200

"""The index follows the content: saves, publishing, deletion, full rebuilds, health."""

from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from whoosh.multiproc import MpWriter

from core.models import Topic
from search.backends.tantivy import TantivySearchBackend
from search.backends.whoosh import WhooshSearchBackend
from tests.factories import StandardPageFactory, TopicFactory

pytestmark = pytest.mark.django_db

EMBEDDED = {"tantivy": "search.backends.tantivy", "whoosh": "search.backends.whoosh"}
each_embedded_backend = pytest.mark.parametrize("backend_name", sorted(EMBEDDED))


@pytest.fixture
def embedded(settings, search_index, backend_name):
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": EMBEDDED[backend_name], "PATH": str(search_index)}
    }
    return get_search_backend()


def documents_seen_by(searching) -> int:
    """Documents in a searcher of either engine (Tantivy's comes with its open index)."""
    if isinstance(searching, tuple):
        return searching[1].num_docs
    return searching.doc_count()


MpWriterInit = MpWriter.__init__


def topic_names(query):
    return [t.name_ja for t in get_search_backend().search(query, Topic)]


def test_saving_indexes_and_editing_reindexes(db):
    topic = TopicFactory(name_ja="ガバメントクラウド移行", name_en="Government cloud")
    assert topic_names("移行") == ["ガバメントクラウド移行"]
    topic.name_ja = "標準化対応"
    topic.save()
    assert topic_names("移行") == []
    assert topic_names("標準化") == ["標準化対応"]


@each_embedded_backend
def test_deleting_removes_the_document(embedded):
    topic = TopicFactory(name_ja="住民基本台帳")
    assert topic_names("住民") == ["住民基本台帳"]
    assert f"core.topic:{topic.pk}" in embedded.document_ids()
    topic.delete()
    assert not [i for i in embedded.document_ids() if i.startswith("core.topic:")]


def test_writes_go_through_the_task_queue_and_wait_in_the_database(settings, db):
    """With a queue that does not run tasks (as when the worker is busy or down), a save
    returns at once; the index catches up when the tasks run. Nothing is held in memory on
    the way: the task, then the pending index write, are rows of the database."""
    from django_tasks import default_task_backend

    from search.models import PendingIndexWrite
    from search.outbox import drain

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    topic = TopicFactory(name_ja="電子申請")
    assert default_task_backend.results  # the save queued its indexing and returned
    assert topic_names("電子申請") == []  # nothing written until the tasks run
    for result in list(default_task_backend.results):  # run the queue as a worker would
        result.task.call(*result.args, **result.kwargs)
    pending = PendingIndexWrite.objects.get()
    assert (pending.model, pending.object_pk, pending.action) == (
        "core.Topic",
        str(topic.pk),
        "index",
    )
    # The drain task is queued when the worker's transaction is in; a worker killed before
    # then leaves the row, and the next drain (or search_check --repair) takes it.
    assert drain() == 1
    assert topic_names("電子申請") == ["電子申請"]
    assert not PendingIndexWrite.objects.exists()


def test_a_committed_answer_always_reaches_its_question_in_the_index(settings, db):
    """An answer is searched for with its question: the question's new index entry is queued
    in the answer's own transaction (it was a callback after the commit, lost when the process
    died in between)."""
    from knowledge import posting
    from knowledge.models import Question
    from search.models import PendingIndexWrite
    from search.outbox import drain
    from search.plan import RelaxedText
    from tests.factories import UserFactory

    settings.KNOWLEDGE_REVIEWED_POSTS = 0  # published at once
    asker, peer = UserFactory(), UserFactory()
    question = posting.ask(asker, title="庁内ネットワークの分離", body="三層分離の進め方は？")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    posting.answer(peer, question, body="インターネット接続系に無害化通信を置きました。")
    assert PendingIndexWrite.objects.filter(model="knowledge.Question").exists()
    drain()
    found = get_search_backend().search(RelaxedText("無害化通信"), Question)
    assert [q.pk for q in found] == [question.pk]


def test_a_failed_index_write_stays_queued_and_is_tried_again(settings, db):
    from search.models import PendingIndexWrite
    from search.outbox import drain

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    topic = TopicFactory(name_ja="住民税")
    PendingIndexWrite.objects.create(model="core.Topic", object_pk=str(topic.pk), action="index")
    with mock.patch("search.tasks.write_to_index", side_effect=OSError("disk full")):
        assert drain() == 0
    row = PendingIndexWrite.objects.get()
    assert (row.attempts, row.last_error) == (1, "disk full")
    assert drain() == 1
    assert topic_names("住民税") == ["住民税"]


def test_the_drain_task_is_queued_once_the_change_is_committed(
    settings, db, django_capture_on_commit_callbacks
):
    from django_tasks import default_task_backend

    from search.outbox import queue_index

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    topic = TopicFactory(name_ja="窓口")
    with django_capture_on_commit_callbacks(execute=True):
        queue_index(topic)
    drains = [r for r in default_task_backend.results if r.task.name == "drain_task"]
    assert drains
    drains[0].task.call()
    assert topic_names("窓口") == ["窓口"]


def test_publish_and_unpublish(home_page):
    page = StandardPageFactory(parent=home_page, title="ペーパーレス会議", slug="paperless")
    live = Page.objects.live()
    assert [p.title for p in live.search("ペーパーレス")] == ["ペーパーレス会議"]
    page.unpublish()
    assert list(live.search("ペーパーレス")) == []
    page.save_revision().publish()
    assert [p.title for p in live.search("ペーパーレス")] == ["ペーパーレス会議"]


@each_embedded_backend
def test_update_index_builds_beside_and_swaps_atomically(embedded, search_index):
    TopicFactory(name_ja="調達仕様書")
    before = Path(embedded.current_path())
    with embedded.searcher() as old_searcher:
        call_command("update_index", stdout=StringIO())
        # A searcher opened before the swap keeps answering from the old generation.
        assert documents_seen_by(old_searcher) >= 1
    after = Path(get_search_backend().current_path())
    assert after != before
    # The replaced generation stays for readers until the next rebuild, then goes.
    assert sorted(p.name for p in search_index.iterdir()) == sorted(
        ["current", before.name, after.name]
    )
    call_command("update_index", stdout=StringIO())
    latest = Path(get_search_backend().current_path())
    assert not before.exists()
    assert sorted(p.name for p in search_index.iterdir()) == sorted(
        ["current", after.name, latest.name]
    )
    assert topic_names("仕様書") == ["調達仕様書"]


@each_embedded_backend
def test_a_fresh_machine_gets_an_empty_index(settings, tmp_path, backend_name):
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": EMBEDDED[backend_name], "PATH": str(tmp_path / "new")}
    }
    assert list(get_search_backend().search("何か", Topic)) == []
    assert (tmp_path / "new" / "current").is_symlink()


@each_embedded_backend
def test_healthz_reports_a_missing_index(client, embedded):
    TopicFactory(name_ja="住民基本台帳")
    assert client.get("/healthz").json()["search"] == "ok"
    # The files go while the server runs (a full disk cleaned up, a volume unmounted): its
    # open copy still answers, the health check does not trust it.
    for path in Path(embedded.current_path()).iterdir():
        if path.is_file():
            path.unlink()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "search": "error"}


@pytest.mark.parametrize(
    ("name", "backend"),
    [
        ("tantivy", "search.backends.tantivy"),
        ("whoosh", "search.backends.whoosh"),
        ("database", "wagtail.search.backends.database"),
        ("opensearch", "modelsearch.backends.opensearch2"),
        ("elasticsearch", "modelsearch.backends.elasticsearch8"),
    ],
)
def test_search_backend_setting_selects_the_backend(name, backend, tmp_path):
    import environ

    from search.settings import search_backend_settings

    conf = search_backend_settings(name, environ.Env(), tmp_path)
    assert conf["BACKEND"] == backend


def test_build_settings_reach_the_whoosh_backend(tmp_path, monkeypatch):
    import environ

    from search.settings import search_backend_settings

    monkeypatch.setenv("SEARCH_BUILD_PROCESSES", "3")
    monkeypatch.setenv("SEARCH_BUILD_MEMORY_MB", "128")
    backend = WhooshSearchBackend(search_backend_settings("whoosh", environ.Env(), tmp_path))
    assert (backend.processes, backend.build_memory_mb) == (3, 128)
    monkeypatch.delenv("SEARCH_BUILD_PROCESSES")
    monkeypatch.delenv("SEARCH_BUILD_MEMORY_MB")
    backend = WhooshSearchBackend(search_backend_settings("whoosh", environ.Env(), tmp_path))
    assert 1 <= backend.processes <= 4
    assert backend.build_memory_mb == 512


def test_build_settings_reach_the_tantivy_backend(tmp_path, monkeypatch):
    import environ

    from search.settings import search_backend_settings

    monkeypatch.setenv("SEARCH_BUILD_THREADS", "1")
    monkeypatch.setenv("SEARCH_BUILD_MEMORY_MB", "128")
    backend = TantivySearchBackend(search_backend_settings("tantivy", environ.Env(), tmp_path))
    assert (backend.build_threads, backend.build_heap_mb) == (1, 128)
    # Its own folder: a Whoosh index in the same SEARCH_INDEX_DIR is never read as its own.
    assert backend.root == tmp_path / "tantivy"


def test_cluster_settings_carry_the_japanese_analyzer():
    import environ

    from search.settings import search_backend_settings

    env = environ.Env()
    with mock.patch.dict("os.environ", {"SEARCH_URL": "https://search.internal:9200"}):
        conf = search_backend_settings("opensearch", env, Path("/unused"))
    assert conf["URLS"] == ["https://search.internal:9200"]
    analysis = conf["INDEX_SETTINGS"]["settings"]["analysis"]
    default = analysis["analyzer"]["default"]
    assert analysis["tokenizer"][default["tokenizer"]]["type"] == "kuromoji_tokenizer"
    assert analysis["char_filter"][default["char_filter"][0]]["type"] == "icu_normalizer"
    assert {"kuromoji_baseform", "cjk_width", "lowercase"} <= set(default["filter"])


def test_cluster_mapping_merges_with_modelsearchs_own_analyzers():
    """The generated index body keeps modelsearch's n-gram analyzers beside ours."""
    from modelsearch.backends.elasticsearchbase import ElasticsearchBaseSearchBackend
    from modelsearch.utils import deep_update

    from search.settings import JAPANESE_INDEX_SETTINGS

    merged = deep_update({**ElasticsearchBaseSearchBackend.settings}, JAPANESE_INDEX_SETTINGS)
    analyzers = merged["settings"]["analysis"]["analyzer"]
    assert {"default", "ngram_analyzer", "edgengram_analyzer"} <= set(analyzers)


def test_an_unknown_search_backend_is_a_configuration_error(tmp_path):
    import environ

    from search.settings import search_backend_settings

    with pytest.raises(ValueError, match="SEARCH_BACKEND"):
        search_backend_settings("solr", environ.Env(), tmp_path)


@each_embedded_backend
def test_the_index_defaults_to_search_index_dir(settings, tmp_path, backend_name):
    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": EMBEDDED[backend_name]}}):
        settings.SEARCH_INDEX_DIR = tmp_path / "from-setting"
        backend = get_search_backend()
    assert backend.root == tmp_path / "from-setting"


@each_embedded_backend
def test_a_rebuild_indexes_every_object_once(embedded):
    """A rebuild adds documents without looking for ones to replace: that holds only if each
    object comes once, multi-table subclasses (Book → Novel) included."""
    from modelsearch.test.testapp import models as m

    book = m.Book.objects.create(
        title="Learning Python", publication_date="2013-06-01", number_of_pages=1600
    )
    m.Novel.objects.create(
        title="ノルウェイの森", publication_date="1987-09-04", number_of_pages=296, setting="東京"
    )
    call_command("update_index", stdout=StringIO())
    ids = embedded.document_ids()
    assert len(ids) == len(set(ids))
    assert f"searchtests.book:{book.pk}" in ids
    assert len([i for i in ids if i.startswith("searchtests.book:")]) == 2


def test_a_large_rebuild_runs_in_worker_processes(settings, search_index, db):
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.whoosh", "PATH": str(search_index), "PROCESSES": 2}
    }
    # More than one batch of documents (200), so that the workers, not this process, index them.
    Topic.objects.bulk_create(
        Topic(name_ja=f"文書管理システム{i}号", name_en="", slug=f"document-{i}")
        for i in range(450)
    )
    TopicFactory(name_ja="ベンダーロックイン対策", slug="lock-in")
    with (
        mock.patch("search.backends.whoosh.PARALLEL_BUILD_FROM", 100),
        mock.patch("whoosh.multiproc.MpWriter.__init__", autospec=True) as parallel,
    ):
        parallel.side_effect = MpWriterInit
        call_command("update_index", stdout=StringIO())
    assert parallel.call_args.kwargs["procs"] == 2
    assert topic_names("ロックイン") == ["ベンダーロックイン対策"]
    assert get_search_backend().search("文書管理", Topic).count() == 450
    with get_search_backend().searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) >= 2  # one segment per worker, not merged


def test_a_large_tantivy_rebuild_analyses_in_workers_and_reuses_its_sentences(
    settings, search_index, db
):
    """Worker processes analyse the text; the sentences they analysed are kept beside the new
    generation, and the next rebuild reads them instead of running the dictionary again."""
    import sqlite3

    from search.backends import tantivy as engine

    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.tantivy", "PATH": str(search_index), "PROCESSES": 2}
    }
    Topic.objects.bulk_create(
        Topic(name_ja=f"文書管理システム{i}号", description_ja=f"第{i}版の手順書。", slug=f"d-{i}")
        for i in range(450)
    )
    TopicFactory(name_ja="ベンダーロックイン対策", slug="lock-in")
    started = []
    original = engine.ParallelAnalysis.__init__

    def recording(self, processes, *args):
        started.append(processes)
        original(self, processes, *args)

    with (
        mock.patch.object(engine, "PARALLEL_BUILD_FROM", 100),
        mock.patch.object(engine.ParallelAnalysis, "__init__", recording),
    ):
        call_command("update_index", stdout=StringIO())
    assert started == [2]
    assert topic_names("ロックイン") == ["ベンダーロックイン対策"]
    assert get_search_backend().search("文書管理", Topic).count() == 450

    def stored_sentences():
        store = Path(get_search_backend().current_path()) / engine.TERMS_FILE
        with sqlite3.connect(store) as connection:
            return connection.execute("SELECT count(*) FROM sentences").fetchone()[0]

    assert stored_sentences() >= 450 * 2  # each name and description is a sentence
    analysed = []
    original_analysis = engine.TermStore.analysis

    def counting(self, sentence):
        before = self.analysed
        found = original_analysis(self, sentence)
        analysed.append(self.analysed - before)
        return found

    with mock.patch.object(engine.TermStore, "analysis", counting):
        call_command("update_index", stdout=StringIO())  # in this process: fewer than 2,000
    assert analysed and sum(analysed) == 0  # every sentence came from the store
    assert stored_sentences() >= 450 * 2

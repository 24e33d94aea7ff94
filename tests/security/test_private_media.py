"""Private documents leave only through the permission-checked view (issue 19, item 6): under
`make run` (DEBUG) media serving hands out images but never `documents/`, and every document is
stored under a random folder, so its address cannot be guessed from its name."""

import importlib
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, reverse
from wagtail.documents import get_document_model
from wagtail_factories import ImageFactory

from core.media import PROTECTED_NAME

from .test_object_probes import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_urls(settings):
    """The URLs as `make run` builds them (DEBUG on)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_a_drafts_file_is_not_served_from_media_under_make_run(world, debug_urls, settings):
    document = world.draft_document
    media_url = settings.MEDIA_URL + document.file.name
    for user in (None, world.twins["learner"], world.users["contributor"]):
        client = Client() if user is None else client_for(user)
        assert client.get(media_url).status_code == 404, user
    for path in ("documents/", "images/../documents/" + Path(document.file.name).name):
        assert Client().get(settings.MEDIA_URL + path).status_code == 404
    # Its authors still download it through the checked view; others get 404 there.
    served = reverse("wagtaildocs_serve", args=[document.pk, document.filename])
    assert client_for(world.users["contributor"]).get(served).status_code == 200
    assert client_for(world.twins["learner"]).get(served).status_code == 404


def test_images_are_still_served_under_make_run(debug_urls, settings):
    image = ImageFactory(title="バッジ")
    response = Client().get(settings.MEDIA_URL + image.file.name)
    assert response.status_code == 200


def test_documents_are_stored_under_unguessable_names():
    first = get_document_model()(title="仕様書", file=ContentFile(b"spec", name="仕様書.pdf"))
    first.save()
    second = get_document_model()(title="仕様書", file=ContentFile(b"spec", name="仕様書.pdf"))
    second.save()
    for document in (first, second):
        assert PROTECTED_NAME.match(document.file.name), document.file.name
        assert document.filename == "仕様書.pdf"  # what the download is called
    assert first.file.name.split("/")[1] != second.file.name.split("/")[1]


def test_documents_stored_before_are_moved(tmp_path):
    document = get_document_model()(title="旧", file=ContentFile(b"old", name="old.txt"))
    document.save()
    storage = document.file.storage
    storage.save("documents/guessable.txt", ContentFile(b"old"))
    type(document).objects.filter(pk=document.pk).update(file="documents/guessable.txt")
    call_command("protect_documents", stdout=io.StringIO())
    document.refresh_from_db()
    assert PROTECTED_NAME.match(document.file.name)
    assert document.file.read() == b"old"
    assert not storage.exists("documents/guessable.txt")

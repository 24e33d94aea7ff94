"""`manage.py backup` and `restore`: a demo site with media round-trips exactly (every row of
every table, the media bytes, the signing keys), its credentials still verify and its questions
are found again; damaged archives and occupied databases are refused, changing nothing."""

from __future__ import annotations

import gzip
import io
import json
import stat
import tarfile
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail_factories import ImageFactory

from casestudies.models import Attachment, CaseStudyPage
from core import backup
from curriculum.credentials import awarding
from curriculum.credentials.models import Award, CredentialDefinition
from curriculum.credentials.verification import verify_credential
from knowledge.models import Question
from tests.test_migrations import differences, snapshot

pytestmark = pytest.mark.django_db

ATTACHMENT = "要件定義書（RPA）\n対象業務: 市民税申告の入力\n".encode()


@dataclass
class Demo:
    archive: Path
    manifest: backup.Manifest
    rows: dict
    media: dict[str, bytes]
    keys: dict[str, bytes]


def read_media() -> dict[str, bytes]:
    files = {}
    for name in backup.media_files():
        with default_storage.open(name, "rb") as handle:
            files[name] = handle.read()
    return files


def read_keys() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in backup.key_files()}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo site with an image and a case study's attachment, backed up once for the whole
    module (load_demo takes a while). The database is put back as it was afterwards."""
    folder = tmp_path_factory.mktemp("backups")
    with django_db_blocker.unblock():
        # Content types and permissions included, with their ids: later tests may restore
        # the freshly migrated database by its ids (serialized_rollback).
        pristine = connection.creation.serialize_db_to_string()
        try:
            call_command("load_demo", stdout=StringIO())
            ImageFactory(title="庁舎の写真")
            case = CaseStudyPage.objects.live().first()
            document = Document.objects.create(title="要件定義書")
            document.file.save("requirements.txt", ContentFile(ATTACHMENT))
            Attachment.objects.create(page=case, document=document, description="仕様書")
            with override_settings(VAR_DIR=folder):
                call_command("backup", stdout=StringIO())
            (archive,) = (folder / "backups").glob("backup-*.tar.gz")
            with tarfile.open(archive) as opened:
                manifest = backup.Manifest.from_json(json.load(opened.extractfile(backup.MANIFEST)))
            yield Demo(archive, manifest, snapshot(), read_media(), read_keys())
        finally:
            with transaction.atomic():
                call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
                connection.creation.deserialize_db_from_string(pristine)
                with connection.cursor() as cursor:
                    for line in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                        cursor.execute(line)
            ContentType.objects.clear_cache()


@pytest.fixture
def empty_folders(settings, tmp_path):
    """Media and keys go to folders of their own, so that what restore writes is what is read."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CREDENTIALS_KEY_DIR = tmp_path / "keys"
    return tmp_path


def test_the_archive_is_private_and_its_manifest_describes_it(demo):
    assert stat.S_IMODE(demo.archive.stat().st_mode) == 0o600
    assert demo.archive.name.startswith("backup-") and demo.archive.parent.name == "backups"
    manifest = demo.manifest
    assert manifest.django and manifest.wagtail and manifest.created_at
    assert ["knowledge", "0002_moderators_moderate_posts"] in manifest.migrations
    assert manifest.row_counts["knowledge.question"] == Question.objects.count() > 0
    assert manifest.row_counts["wagtailimages.image"] == 1
    members = set(manifest.members)
    assert backup.DATABASE in members
    assert {f"media/{name}" for name in demo.media} <= members
    assert any(name.startswith("media/documents/requirements") for name in members)
    assert {f"keys/{name}" for name in demo.keys} <= members and demo.keys
    # Left out: the search index, sessions, queued work; content types by natural key only.
    assert "sessions.session" not in manifest.row_counts
    assert "wagtailsearch.indexentry" not in manifest.row_counts
    assert "contenttypes.contenttype" not in manifest.row_counts


def test_round_trip_into_an_emptied_database(demo, empty_folders, client):
    call_command("flush", interactive=False, verbosity=0)
    assert backup.content_in_database() == []

    call_command("restore", str(demo.archive), stdout=StringIO())

    assert differences(demo.rows, snapshot()) == []
    assert read_media() == demo.media
    assert read_keys() == demo.keys
    for path in (empty_folders / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    image = Image.objects.get(title="庁舎の写真")
    with image.file.open("rb") as handle:
        assert handle.read() == demo.media[image.file.name] != b""
    attachment = Attachment.objects.get(description="仕様書")
    with attachment.document.file.open("rb") as handle:
        assert handle.read() == ATTACHMENT

    # The public keys came back with the database, the private ones with the archive.
    award = Award.objects.filter(revoked_at__isnull=True).first()
    assert verify_credential(award.credential).verified
    admin = get_user_model().objects.get(email="admin@example.jp")
    definition = CredentialDefinition.objects.exclude(awards__user=admin).first()
    with awarding.quietly():
        new = awarding.award_manually(admin, definition, awarded_by=admin, reason="復元の確認")
    assert verify_credential(new.credential).verified

    # The search index was rebuilt (this test's index started empty).
    data = client.get("/search/", {"q": "CIO補佐官", "type": "question", "format": "json"}).json()
    titles = [result["title"] for result in data["results"]]
    assert any(title.startswith("CIO補佐官を外部から任用したい") for title in titles), titles
    # The new rows after a restore get ids past the restored ones (PostgreSQL's sequences).
    user = get_user_model().objects.create_user(username="after", email="after@example.jp")
    assert user.pk > max(
        pk for pk in get_user_model().objects.exclude(pk=user.pk).values_list("pk", flat=True)
    )


def test_a_database_with_content_is_refused_unless_forced(demo, empty_folders):
    # Not pk=1: on PostgreSQL, sequences run on from earlier tests.
    question = Question.objects.order_by("pk").first()
    question.title = "書き換えられた質問"
    question.save(update_fields=["title"])
    get_user_model().objects.filter(email="learner@example.jp").delete()

    with pytest.raises(CommandError, match=r"already holds content.*--force"):
        call_command("restore", str(demo.archive), stdout=StringIO())
    assert Question.objects.get(pk=question.pk).title == "書き換えられた質問"

    call_command("restore", str(demo.archive), "--force", stdout=StringIO())
    assert differences(demo.rows, snapshot()) == []
    assert read_media() == demo.media


def rewritten(source: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(name, data)` applied to each member's bytes."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = change(info.name, old.extractfile(info).read())
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def damaged_archives(archive: Path, folder: Path):
    raw = archive.read_bytes()
    truncated = folder / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) // 2])
    yield truncated, "damaged or truncated"
    flipped = folder / "flipped.tar.gz"
    middle = len(raw) // 2
    flipped.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :])
    yield flipped, "damaged"
    # A consistent gzip whose database no longer matches the manifest's checksum.
    yield (
        rewritten(
            archive,
            folder / "tampered.tar.gz",
            lambda name, data: (
                data.replace(b"learner@", b"intruder@") if name == backup.DATABASE else data
            ),
        ),
        "database.jsonl does not match its checksum",
    )
    # The manifest, written last, is what a cut-off archive loses first.
    yield _without_manifest(archive, folder / "no-manifest.tar.gz"), "no manifest"
    not_gzip = folder / "not-a-backup.tar.gz"
    not_gzip.write_bytes(gzip.compress(b"just text"))
    yield not_gzip, "damaged or truncated"


def _without_manifest(source: Path, target: Path) -> Path:
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            if info.name != backup.MANIFEST:
                new.addfile(info, old.extractfile(info))
    return target


def test_a_damaged_archive_is_refused_and_changes_nothing(demo, empty_folders, tmp_path):
    call_command("flush", interactive=False, verbosity=0)
    before = snapshot()
    for archive, message in damaged_archives(demo.archive, tmp_path):
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(archive), stdout=StringIO())
        assert differences(before, snapshot()) == [], archive.name
        assert read_media() == {} and read_keys() == {}, archive.name


def test_a_database_on_other_migrations_is_refused(demo, tmp_path):
    manifest = backup.unpack(demo.archive, tmp_path)
    backup.check_migrations(manifest)
    manifest.migrations = [pair for pair in manifest.migrations if pair[0] != "knowledge"]
    with pytest.raises(backup.BackupError, match="applied here, not in the archive: knowledge"):
        backup.check_migrations(manifest)


def test_restore_names_a_missing_archive():
    with pytest.raises(CommandError, match="There is no archive at"):
        call_command("restore", "/nonexistent/backup.tar.gz", stdout=StringIO())

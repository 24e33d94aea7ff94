"""Backing up the whole site into one archive, and restoring it: `manage.py backup` and
`manage.py restore` are thin wrappers around `create_backup` and `restore_backup`.

The archive is a .tar.gz holding
- `database.jsonl`: every row, one JSON object a line (Django's serialisation, so an archive
  from SQLite loads into PostgreSQL and back), written and read row by row so that memory stays
  flat however big the site is;
- `media/…`: every file of the default storage (uploaded images, documents, renditions);
- `keys/…`: the credential issuer's private signing keys (CREDENTIALS_KEY_DIR);
- `manifest.json`, written last: format version, creation time, Django and Wagtail versions,
  the applied migrations, rows per model and the SHA-256 and size of every other member.

Rows keep their primary keys (pages, revisions and log entries refer to each other by them).
Only content types and permissions are referred to by natural key: `migrate` recreates them,
with ids that differ from one database to the next. The search index is not backed up: restoring
rebuilds it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import django
import wagtail
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JSONLinesSerializer
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "cio-academy-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.jsonl"
MEDIA = "media/"
KEYS = "keys/"
CHUNK = 1024 * 1024

# Left out of the archive, and why.
EXCLUDED_MODELS = {
    "contenttypes.contenttype": "recreated by migrate; rows name them by natural key",
    "auth.permission": "recreated by migrate; rows name them by natural key",
    "sessions.session": "sign-ins are not carried over: everyone signs in again",
    "wagtailsearch.indexentry": "the search index: restoring rebuilds it",
    "wagtailsearch.sqliteftsindexentry": "the search index: restoring rebuilds it",
    "django_tasks_database.dbtaskresult": (
        "queued and finished background work: restored, stale jobs would run again "
        "(e-mail sent twice)"
    ),
    "wagtailadmin.editingsession": "who has an editor open at this moment",
    "wagtailadmin.formstate": "unsaved form data of editors' previews",
    "core.securitycounter": "sign-in lockouts and posting limits of the moment, minutes long",
    "core.submissionkey": "one-time keys of forms sent in the last day",
}
NATURAL_KEY_MODELS = {"contenttypes.contenttype", "auth.permission"}

# What `migrate` itself puts in an empty database (Wagtail's root and welcome pages, default
# site, collection, workflow and groups). A database with nothing else holds no content.
MIGRATION_SEEDED = {
    "auth.group",
    "wagtailcore.collection",
    "wagtailcore.groupapprovaltask",
    "wagtailcore.groupcollectionpermission",
    "wagtailcore.grouppagepermission",
    "wagtailcore.locale",
    "wagtailcore.page",
    "wagtailcore.site",
    "wagtailcore.task",
    "wagtailcore.workflow",
    "wagtailcore.workflowpage",
    "wagtailcore.workflowtask",
}
SEEDED_PAGES = 2


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class Member:
    sha256: str
    size: int


@dataclass
class Manifest:
    created_at: str
    migrations: list[list[str]]
    row_counts: dict[str, int]
    members: dict[str, Member] = field(default_factory=dict)
    django: str = django.get_version()
    wagtail: str = wagtail.__version__
    database_vendor: str = ""

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "django": self.django,
            "wagtail": self.wagtail,
            "database_vendor": self.database_vendor,
            "migrations": _grouped(self.migrations),
            "row_counts": self.row_counts,
            "excluded_models": EXCLUDED_MODELS,
            "members": {
                name: {"sha256": member.sha256, "size": member.size}
                for name, member in sorted(self.members.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("The archive is not a backup of this site (unknown manifest).")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"The archive's format version is {data.get('format_version')!r}; this site "
                f"reads version {FORMAT_VERSION}."
            )
        try:
            return cls(
                created_at=data["created_at"],
                migrations=sorted(
                    [str(app), str(name)]
                    for app, names in data["migrations"].items()
                    for name in names
                ),
                row_counts={str(k): int(v) for k, v in data["row_counts"].items()},
                members={
                    str(name): Member(sha256=str(m["sha256"]), size=int(m["size"]))
                    for name, m in data["members"].items()
                },
                django=str(data.get("django", "")),
                wagtail=str(data.get("wagtail", "")),
                database_vendor=str(data.get("database_vendor", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise BackupError(f"The archive's manifest is damaged ({error}).") from None


def _grouped(migrations) -> dict[str, list[str]]:
    """{app: [migration, …]}: the manifest reads better by app."""
    grouped: dict[str, list[str]] = {}
    for app, name in migrations:
        grouped.setdefault(app, []).append(name)
    return grouped


class _FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class _Serializer(JSONLinesSerializer):
    """Django's JSON Lines, naming only content types and permissions by natural key."""

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = _natural(field)
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = _natural(field)
        super().handle_m2m_field(obj, field)


def _natural(field) -> bool:
    return field.remote_field.model._meta.label_lower in NATURAL_KEY_MODELS


def backed_up_models() -> list:
    """Every model with a table of its own, but the excluded ones, in a stable order."""
    models = [
        model
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in EXCLUDED_MODELS
    ]
    return sorted(models, key=lambda model: model._meta.label_lower)


def applied_migrations() -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(connection).applied_migrations())


def dump_database(stream) -> dict[str, int]:
    """Writes every backed-up row to the text stream; returns the number of rows per model."""
    serializer = _Serializer()
    counts = {}
    for model in backed_up_models():
        counted = _Counter(model._base_manager.order_by("pk").iterator(chunk_size=500))
        serializer.serialize(
            counted, stream=stream, use_natural_foreign_keys=False, cls=_FullPrecisionEncoder
        )
        counts[model._meta.label_lower] = counted.count
    return counts


class _Counter:
    def __init__(self, iterable):
        self.iterable = iterable
        self.count = 0

    def __iter__(self):
        for item in self.iterable:
            self.count += 1
            yield item


def row_counts() -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in backed_up_models()}


def load_database(path: Path) -> None:
    """Loads a `database.jsonl` into the current transaction. loaddata checks the foreign keys
    once everything is in, and resets PostgreSQL's sequences past the loaded ids."""
    call_command("loaddata", str(path), verbosity=0)
    ContentType.objects.clear_cache()


def content_in_database() -> list[str]:
    """The models holding rows beyond what `migrate` creates: empty when there are none."""
    found = []
    for model in backed_up_models():
        label = model._meta.label_lower
        if label == "wagtailcore.page":
            if model._base_manager.count() > SEEDED_PAGES:
                found.append(label)
        elif label not in MIGRATION_SEEDED and model._base_manager.exists():
            found.append(label)
    return found


# --- writing ------------------------------------------------------------------------------------


def default_archive_path() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"backup-{stamp}.tar.gz"


def media_files(storage=default_storage):
    """Every file name in the storage, walked folder by folder (works for S3 as well)."""
    try:
        directories, files = storage.listdir("")
    except FileNotFoundError:
        return
    pending = [("", directories, files)]
    while pending:
        prefix, directories, files = pending.pop()
        for name in sorted(files):
            yield posixpath.join(prefix, name) if prefix else name
        for directory in sorted(directories, reverse=True):
            path = posixpath.join(prefix, directory) if prefix else directory
            sub_directories, sub_files = storage.listdir(path)
            pending.append((path, sub_directories, sub_files))


def key_files() -> list[Path]:
    directory = Path(settings.CREDENTIALS_KEY_DIR)
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.is_file())


class _HashingReader:
    """Hashes what tarfile reads from a file while it copies it into the archive."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(archive: tarfile.TarFile, name: str, handle, size: int) -> Member:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    reader = _HashingReader(handle)
    archive.addfile(info, reader)
    if reader.size != size:
        raise BackupError(f"{name} changed while it was being backed up; run the backup again.")
    return Member(sha256=reader.digest.hexdigest(), size=size)


def _open_private(path: Path):
    """A new file only its owner can read (the archive holds private keys and personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "wb")


def create_backup(destination: Path | None = None) -> tuple[Path, Manifest]:
    destination = Path(destination) if destination else default_archive_path()
    if destination.is_dir():
        destination = destination / default_archive_path().name
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with _open_private(partial) as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            manifest = _write_members(archive)
            data = json.dumps(manifest.as_json(), ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            archive.addfile(info, _BytesReader(data))
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return destination, manifest


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.offset + size
        chunk, self.offset = self.data[self.offset : end], min(end, len(self.data))
        return chunk


def _write_members(archive: tarfile.TarFile) -> Manifest:
    with tempfile.TemporaryDirectory(prefix="cio-backup-") as scratch:
        dump = Path(scratch) / DATABASE
        with dump.open("w", encoding="utf-8") as stream, _consistent_snapshot():
            counts = dump_database(stream)
            migrations = applied_migrations()
        manifest = Manifest(
            created_at=timezone.now().isoformat(),
            migrations=migrations,
            row_counts=counts,
            database_vendor=connection.vendor,
        )
        with dump.open("rb") as handle:
            manifest.members[DATABASE] = _add(archive, DATABASE, handle, dump.stat().st_size)
    for name in media_files():
        with default_storage.open(name, "rb") as handle:
            member = MEDIA + name
            manifest.members[member] = _add(archive, member, handle, default_storage.size(name))
    for path in key_files():
        with path.open("rb") as handle:
            member = KEYS + path.name
            manifest.members[member] = _add(archive, member, handle, path.stat().st_size)
    return manifest


class _consistent_snapshot:
    """One transaction for the whole dump, so that rows written meanwhile by the running site
    do not leave it half old, half new. PostgreSQL reads from one snapshot without blocking
    writers; SQLite holds its write lock meanwhile (a few seconds)."""

    def __enter__(self):
        outermost = not connection.in_atomic_block
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


# --- reading ------------------------------------------------------------------------------------


def _allowed_name(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        return False
    if name in (MANIFEST, DATABASE):
        return True
    if name.startswith(KEYS):
        return len(path.parts) == 2
    return name.startswith(MEDIA) and len(path.parts) >= 2


def unpack(archive_path: Path, into: Path) -> Manifest:
    """Extracts the archive into `into` and checks every member against the manifest. Raises
    BackupError, having changed nothing else, if the archive is damaged, truncated, tampered
    with or not a backup at all."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"There is no archive at {archive_path}.")
    found: dict[str, Member] = {}
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive:
            for info in archive:
                if not info.isfile() or not _allowed_name(info.name):
                    raise BackupError(
                        f"The archive holds {info.name!r}, which a backup never does: refused."
                    )
                if info.name in found:
                    raise BackupError(f"The archive holds {info.name!r} twice: refused.")
                found[info.name] = _extract(archive, info, into / info.name)
            # tarfile stops quietly at a garbled header; reading the compressed stream to its
            # end makes gzip check its length and CRC, so any damage is reported as such.
            while archive.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"The archive {archive_path.name} is damaged or truncated ({error}). "
            "Nothing was changed."
        ) from None
    if MANIFEST not in found:
        raise BackupError(
            f"The archive {archive_path.name} is damaged or truncated: it has no manifest "
            "(or it is not a backup of this site). Nothing was changed."
        )
    try:
        data = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"The archive's manifest is damaged ({error}).") from None
    manifest = Manifest.from_json(data)
    del found[MANIFEST]
    problems = []
    for name in sorted(manifest.members.keys() - found.keys()):
        problems.append(f"{name} is missing")
    for name in sorted(found.keys() - manifest.members.keys()):
        problems.append(f"{name} is not in the manifest")
    for name in sorted(manifest.members.keys() & found.keys()):
        if manifest.members[name] != found[name]:
            problems.append(f"{name} does not match its checksum")
    if DATABASE not in manifest.members:
        problems.append(f"{DATABASE} is missing")
    if problems:
        shown = "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else "")
        raise BackupError(
            f"The archive {archive_path.name} is damaged: {shown}. Nothing was changed."
        )
    return manifest


def _extract(archive: tarfile.TarFile, info: tarfile.TarInfo, target: Path) -> Member:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    source = archive.extractfile(info)
    with _open_private(target) as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Member(sha256=digest.hexdigest(), size=size)


def check_migrations(manifest: Manifest) -> None:
    archived = {tuple(pair) for pair in manifest.migrations}
    here = {tuple(pair) for pair in applied_migrations()}
    if archived == here:
        return
    lines = [f"not applied here: {a}.{n}" for a, n in sorted(archived - here)]
    lines += [f"applied here, not in the archive: {a}.{n}" for a, n in sorted(here - archived)]
    shown = "; ".join(lines[:10]) + ("; …" if len(lines) > 10 else "")
    raise BackupError(
        "This database's migrations differ from the archive's "
        f"({shown}). Migrate this database to the archive's state first (manage.py migrate "
        "APP MIGRATION), restore, then migrate forward."
    )


def restore_backup(archive_path: Path, *, force: bool = False, stdout=None) -> Manifest:
    """Restores an archive made by `create_backup`. Verifies it whole before touching anything;
    then, in one transaction, empties the database and loads the rows; then writes the media
    files and keys and rebuilds the search index."""
    with tempfile.TemporaryDirectory(prefix="cio-restore-") as scratch:
        scratch = Path(scratch)
        manifest = unpack(archive_path, scratch)
        check_migrations(manifest)
        content = content_in_database()
        if content and not force:
            shown = ", ".join(content[:8]) + (", …" if len(content) > 8 else "")
            raise BackupError(
                f"This database already holds content ({shown}). Restoring replaces all of it: "
                "pass --force to delete it and restore the archive."
            )
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Checks now what this transaction has deferred so far (when restore runs inside
                # a caller's transaction): PostgreSQL refuses to TRUNCATE with checks pending.
                connection.check_constraints()
            # flush empties every table, what migrate seeded included (the archive holds its
            # own copy), and recreates content types and permissions.
            call_command("flush", interactive=False, verbosity=0)
            load_database(scratch / DATABASE)
            loaded = row_counts()
            wrong = {
                label: (count, loaded.get(label))
                for label, count in manifest.row_counts.items()
                if loaded.get(label) != count
            }
            if wrong:
                raise BackupError(
                    f"After loading, the rows do not add up ({_describe_counts(wrong)}): "
                    "nothing was changed."
                )
        restored_media = _restore_media(scratch / MEDIA.rstrip("/"), manifest)
        restored_keys = _restore_keys(scratch / KEYS.rstrip("/"), manifest)
    # Cached pages, site roots and synonyms describe the database as it was.
    cache.clear()
    if stdout is not None:
        stdout.write(
            f"Restored {sum(manifest.row_counts.values())} rows, {restored_media} media files "
            f"and {restored_keys} signing keys from a backup made {manifest.created_at}."
        )
        stdout.write("Rebuilding the search index…")
    call_command("update_index", verbosity=0 if stdout is None else 1, stdout=stdout)
    return manifest


def _describe_counts(wrong: dict) -> str:
    shown = [
        f"{label}: {archived} in the archive, {loaded} loaded"
        for label, (archived, loaded) in sorted(wrong.items())[:5]
    ]
    return "; ".join(shown)


def _restore_media(folder: Path, manifest: Manifest) -> int:
    """Writes each archived file under its own name: an existing file of that name is replaced
    (the storage would otherwise save under a new name the database does not know)."""
    count = 0
    for member in sorted(manifest.members):
        if not member.startswith(MEDIA):
            continue
        name = member[len(MEDIA) :]
        if default_storage.exists(name):
            default_storage.delete(name)
        with (folder / name).open("rb") as handle:
            saved = default_storage.save(name, File(handle))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; restore it by hand.")
        count += 1
    return count


def _restore_keys(folder: Path, manifest: Manifest) -> int:
    directory = Path(settings.CREDENTIALS_KEY_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    count = 0
    for member in sorted(manifest.members):
        if not member.startswith(KEYS):
            continue
        target = directory / member[len(KEYS) :]
        partial = target.with_name(target.name + ".partial")
        with (folder / target.name).open("rb") as source, _open_private(partial) as out:
            shutil.copyfileobj(source, out)
        os.replace(partial, target)
        count += 1
    return count

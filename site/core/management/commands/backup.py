"""`manage.py backup`: the database, media files and signing keys in one archive."""

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Writes one .tar.gz archive (by default var/backups/backup-YYYYmmdd-HHMMSS.tar.gz) "
        "holding the database in an engine-independent form (JSON Lines: an SQLite backup "
        "restores into PostgreSQL and back), the media files, the credential issuer's signing "
        "keys and a manifest with the SHA-256 of each. The archive holds the PRIVATE signing "
        "keys and personal data: it is created with mode 0600 (owner only); keep it encrypted "
        "and away from the server. Sessions, queued tasks and the search index are left out "
        "(restore rebuilds the index)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            metavar="PATH",
            help="The archive to write, or a folder to write it in (default var/backups/).",
        )

    def handle(self, *args, output=None, **options):
        try:
            path, manifest = backup.create_backup(output)
        except (backup.BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest.row_counts.values())
        media = sum(1 for name in manifest.members if name.startswith(backup.MEDIA))
        keys = sum(1 for name in manifest.members if name.startswith(backup.KEYS))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {rows} rows, {media} media files and {keys} signing keys to {path} "
                f"({path.stat().st_size:,} bytes, readable by its owner only)."
            )
        )

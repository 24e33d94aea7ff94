"""`manage.py restore ARCHIVE`: the other half of `manage.py backup`."""

from django.core.management.base import BaseCommand, CommandError

from core import backup


class Command(BaseCommand):
    help = (
        "Restores an archive made by `manage.py backup`. Every member is checked against the "
        "manifest's SHA-256 first: a damaged or truncated archive is refused and nothing is "
        "changed. The database must have the archive's migrations applied and hold no content "
        "(what `migrate` creates aside); --force deletes the content first. The rows are loaded "
        "in one transaction, then the media files and signing keys are written and the search "
        "index is rebuilt."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", metavar="ARCHIVE", help="A backup-….tar.gz file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete everything this database holds and replace it with the archive.",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            manifest = backup.restore_backup(archive, force=force, stdout=self.stdout)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored the backup made {manifest.created_at}."))

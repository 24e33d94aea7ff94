"""python manage.py search_check [--repair]

Compares the embedded search index with the database: documents it lacks, documents it has that
the database no longer has, and index writes still queued. Exits with status 1 when it finds
drift, so a daily cron job or a monitor notices; --repair takes the queued writes to the index,
writes what is missing and removes what is stale."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from search.drift import drain, find_drift, pending_writes, repair

SHOWN = 5


class Command(BaseCommand):
    help = "Reports (and with --repair, mends) drift between the search index and the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="write what is missing, remove what is stale"
        )

    def handle(self, *args, **options):
        fix = options["repair"]
        pending = pending_writes()
        count = pending.count()
        if count:
            oldest = pending.first()
            failing = pending.filter(attempts__gt=0).count()
            self.stdout.write(
                _(
                    "%(count)d index writes are queued (the oldest since %(when)s, "
                    "%(failing)d failing)."
                )
                % {
                    "count": count,
                    "when": oldest.queued_at.isoformat(timespec="seconds"),
                    "failing": failing,
                }
            )
            if fix:
                self.stdout.write(
                    _("%(done)d queued writes taken to the index.") % {"done": drain()}
                )
        drifts = find_drift()
        if not drifts:
            self.stdout.write(_("No embedded search index is configured: nothing to compare."))
            return
        drifted = False
        for drift in drifts:
            missing = sum(len(pks) for pks in drift.missing.values())
            stale = sum(len(pks) for pks in drift.stale.values())
            self.stdout.write(
                _(
                    "%(backend)s: %(documents)d documents for %(expected)d indexed objects; "
                    "%(missing)d missing, %(stale)d stale."
                )
                % {
                    "backend": drift.backend,
                    "documents": drift.documents,
                    "expected": drift.expected,
                    "missing": missing,
                    "stale": stale,
                }
            )
            for label, kind in ((_("missing"), drift.missing), (_("stale"), drift.stale)):
                for model_label, pks in kind.items():
                    shown = ", ".join(pks[:SHOWN]) + (" …" if len(pks) > SHOWN else "")
                    self.stdout.write(f"  {label} {model_label}: {shown}")
            drifted = drifted or not drift.clean
        if fix and drifted:
            repair(drifts)
            after = find_drift()
            if all(d.clean for d in after):
                self.stdout.write(
                    self.style.SUCCESS(_("Repaired: the index matches the database."))
                )
                return
            raise CommandError(_("The index still differs from the database after the repair."))
        if drifted or (count and not fix):
            raise CommandError(
                _("The search index differs from the database: run search_check --repair.")
            )
        self.stdout.write(self.style.SUCCESS(_("The index matches the database.")))

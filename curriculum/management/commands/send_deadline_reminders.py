from datetime import date

from django.core.management.base import BaseCommand, CommandError

from curriculum import run_mail


class Command(BaseCommand):
    help = (
        "E-mails the learners of course runs 7 days and 1 day before the run's deadline, once "
        "each per enrolment and deadline (completed enrolments and inactive accounts are "
        "skipped). Run once a day (cron or a systemd timer), like send_qa_digest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            dest="on",
            help="Send as on this day in Japan (YYYY-MM-DD) instead of today, e.g. to catch up.",
        )

    def handle(self, *args, on=None, **options):
        day = None
        if on:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise CommandError("--date takes a day as YYYY-MM-DD") from None
        sent = run_mail.send_deadline_reminders(day)
        self.stdout.write(f"{sent} deadline reminders sent.")

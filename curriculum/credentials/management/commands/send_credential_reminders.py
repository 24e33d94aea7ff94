from django.core.management.base import BaseCommand

from curriculum.credentials import awarding


class Command(BaseCommand):
    help = "Email holders whose credentials expire within --days (once per award). Run daily."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=awarding.REMINDER_DAYS)

    def handle(self, *args, days, **options):
        sent = awarding.send_expiry_reminders(days=days)
        self.stdout.write(f"{sent} reminders sent.")

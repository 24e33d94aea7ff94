from django.core.management.base import BaseCommand

from knowledge.notifications import send_daily_digests


class Command(BaseCommand):
    help = (
        "Queues the daily digest of knowledge-base notifications for the members who chose it. "
        "Run once a day (cron or a systemd timer); the task worker sends the emails."
    )

    def handle(self, *args, **options):
        result = send_daily_digests.enqueue()
        self.stdout.write(f"Queued the daily digest (task {result.id}).")

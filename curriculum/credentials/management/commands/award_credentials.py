from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from curriculum.credentials import awarding


class Command(BaseCommand):
    help = "Evaluate every learner against the active credentials (after adding a credential)."

    def handle(self, *args, **options):
        total = 0
        for user in get_user_model().objects.filter(is_active=True).iterator():
            total += len(awarding.evaluate_user(user))
        self.stdout.write(f"{total} credentials awarded.")

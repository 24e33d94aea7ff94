from django.core.management.base import BaseCommand
from django.utils import timezone

from curriculum.credentials import awarding, keys
from curriculum.credentials.models import SigningKey


class Command(BaseCommand):
    help = (
        "Create the issuer's signing key if there is none (run at setup), or --rotate to sign "
        "with a new one from now on; keys that signed earlier credentials keep verifying."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rotate", action="store_true", help="sign with a new key from now on")
        parser.add_argument(
            "--revoke",
            metavar="KID",
            help="a compromised key: what it signed stops verifying (rotate first)",
        )
        parser.add_argument(
            "--resign",
            action="store_true",
            help="re-sign standing credentials whose key was revoked, with the active key",
        )

    def handle(self, *args, rotate=False, revoke=None, resign=False, **options):
        if resign:
            self.stdout.write(f"{awarding.resign_orphaned()} credentials re-signed.")
            return
        if revoke:
            updated = SigningKey.objects.filter(kid=revoke, is_active=False).update(
                revoked_at=timezone.now()
            )
            if not updated:
                self.stderr.write(
                    f"No retired key {revoke} (rotate before revoking the active key)."
                )
                return
            self.stdout.write(f"Revoked {revoke}.")
            return
        if rotate:
            key = keys.create_key()
            self.stdout.write(f"Now signing with {key.verification_method}.")
            return
        key = SigningKey.objects.filter(is_active=True).first()
        if key is None:
            key = keys.create_key()
            self.stdout.write(f"Created signing key {key.verification_method} in {keys.key_dir()}.")
        else:
            keys.private_key(key)  # fails clearly if the private file is missing
            self.stdout.write(f"Signing with {key.verification_method}.")

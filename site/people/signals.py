from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    """Every account has a profile, whichever way it was created (sign-up, admin, shell)."""
    if created and not raw:
        Profile.objects.get_or_create(
            user=instance, defaults={"display_name": instance.get_full_name() or ""}
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "curriculum.credentials"
    label = "credentials"
    verbose_name = _("Credentials")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import personal_data, receivers  # noqa: F401

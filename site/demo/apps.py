from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo site and scale data: the top floor, loading what each app provides."""

    name = "demo"
    verbose_name = _("Demo data")

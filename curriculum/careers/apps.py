"""Career paths and organisation reports read what credentials prove; they own no models, so
credentials can be issued and verified without them (this app imports credentials, never the
other way round)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareersConfig(AppConfig):
    name = "curriculum.careers"
    label = "careers"
    verbose_name = _("Career path")

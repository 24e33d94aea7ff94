from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compiles the project's .po catalogues to .mo with polib, so that no system gettext "
        "package is needed (Django's compilemessages calls GNU msgfmt)."
    )

    def handle(self, *args, **options):
        for locale_path in map(Path, settings.LOCALE_PATHS):
            for po_path in sorted(locale_path.glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                self.stdout.write(
                    f"{po_path.relative_to(settings.BASE_DIR)}: "
                    f"{catalogue.percent_translated()}% translated"
                )

import os
import sys
from pathlib import Path

# site/ is a source root (see manage.py); the project root holds the curriculum app.
_here = Path(__file__).resolve()
sys.path[:0] = [str(_here.parents[1]), str(_here.parents[2])]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

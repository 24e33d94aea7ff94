from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from config.api import api_router
from core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Machine-readable credential endpoints: one address whatever the reader's language.
    path("", include("curriculum.credentials.api_urls")),
]

if settings.DEBUG:
    # Images only: documents are served by Wagtail's permission-checked view alone (core/media.py).
    from core.media import dev_media_urlpatterns

    urlpatterns += dev_media_urlpatterns()

# Japanese at /, English under /en/.
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("people/", include("people.urls")),
    path("search/", include("search.urls")),
    path("learn/", include("curriculum.urls")),
    path("credentials/", include("curriculum.credentials.urls")),
    path("career/", include("curriculum.careers.urls")),
    path("case-studies/", include("casestudies.urls")),
    path("questions/", include("knowledge.urls")),
    path("talent/", include("talent.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

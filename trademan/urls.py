from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path, reverse
from django.utils.functional import lazy


def view_site_url() -> str:
    """Where "View site" in the admin and the bare "/" lead: settings.VIEW_SITE_URL_NAME."""
    return reverse(settings.VIEW_SITE_URL_NAME)


def home(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(view_site_url())


admin.site.site_url = lazy(view_site_url, str)()

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("dashboard/", include("trademan.dashboard.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("trademan.api.urls")),
]

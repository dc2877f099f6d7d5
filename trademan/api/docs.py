"""OpenAPI schema and Swagger UI (assets served locally by drf-spectacular-sidecar)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from trademan.api.permissions import CanUseApi


class SchemaView(SpectacularAPIView):
    """YAML by default, JSON with ?format=json or Accept: application/vnd.oai.openapi+json.
    Errors are JSON in the documented shape."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        return response


class DocsView(SpectacularSwaggerView):
    """Swagger UI for a logged-in admin user; anyone else is sent to the admin login."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="/admin/login/")
        if not CanUseApi().has_permission(request, self):
            raise PermissionDenied()
        return super().get(request, *args, **kwargs)

    def get_permissions(self) -> list[Any]:
        return []  # checked in get(): anonymous users are redirected to the login page

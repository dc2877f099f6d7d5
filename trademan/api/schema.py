"""OpenAPI: every operation documents the error shape for the codes it can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "validation_error",
            "not_authenticated",
            "permission_denied",
            "not_found",
            "method_not_allowed",
            "not_acceptable",
            "conflict",
            "unsupported_media_type",
            "throttled",
            "unavailable",
            "server_error",
        ]
    )
    message = serializers.CharField()


# "fields" would shadow Serializer.fields, so it is declared after the class
ErrorDetailSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField()),
    required=False,
    help_text="only for validation_error: field (or items.3.field) -> messages",
)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class TrademanAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "503"]
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # unknown object, or a page past the end
        if self.method in ("POST", "PATCH", "PUT"):
            codes.append("409")
        if getattr(self.view, "authentication_classes", None) == []:
            codes = [c for c in codes if c not in ("401", "403", "503")]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
        return responses

"""One error shape for the whole JSON API.

Every error response body is ::

    {"code": "<machine code>", "message": "<sentence for people>",
     "fields": {"<field>": ["<message>", ...]}}

with a 4xx (or 500) status. `fields` is empty when the error is not about a field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext, gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from core.errors import DomainError


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def _field_name(loc: list) -> str:
    # ninja locations look like ["body", "payload", "price_minor"] or ["query", "page"].
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    return ".".join(parts) or "__all__"


def _message(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return gettext("This field is required.")
    msg = err.get("msg")
    if msg is None:
        msg = gettext("Invalid value.")
    return msg.removeprefix("Value error, ")


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def on_validation(request, exc):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(list(err.get("loc", []))), []).append(_message(err))
        return api.create_response(
            request, error_body("validation_error", gettext("Some fields are invalid."), fields), status=422
        )

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request, exc):
        if hasattr(exc, "error_dict"):
            fields = {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        else:
            fields = {"__all__": exc.messages}
        return api.create_response(
            request, error_body("validation_error", gettext("Some fields are invalid."), fields), status=422
        )

    @api.exception_handler(DomainError)
    def on_domain(request, exc):
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.fields), status=exc.status
        )

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        return api.create_response(
            request,
            error_body("not_authenticated", gettext("Sign in or send a valid API token.")),
            status=401,
        )

    @api.exception_handler(PermissionDenied)
    def on_denied(request, exc):
        return api.create_response(
            request, error_body("not_allowed", str(exc) or gettext("You may not do this.")), status=403
        )

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return api.create_response(request, error_body("not_found", gettext("Not found.")), status=404)

    @api.exception_handler(HttpError)
    def on_http(request, exc):
        code = {400: "bad_request", 401: "not_authenticated", 403: "not_allowed", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 429: "rate_limited"}.get(
            exc.status_code, "error")
        return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


# Responses the API handlers above never see: a path no endpoint matches (Django's
# 404 page), a method the endpoint does not take (ninja's plain-text 405) and an
# unhandled exception (Django's 500 page).
_FALLBACK = {
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side. Please try again later.")),
}


class ApiErrorShapeMiddleware:
    """Give every non-JSON error response under /api/ the one error shape."""

    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(self.prefix)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = _FALLBACK.get(response.status_code,
                                          ("error", gettext_lazy("The request failed.")))
            shaped = JsonResponse(error_body(code, str(message)), status=response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response

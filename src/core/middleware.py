"""Who is visiting: the country to estimate delivery for, and the locale for prices."""

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from core.countries import is_country
from core.money import currencies

COUNTRY_COOKIE = "ha_country"
CURRENCY_COOKIE = "ha_currency"
DEFAULT_COUNTRY = "US"


class VisitorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.visitor_country = self._country(request)
        currency = request.COOKIES.get(CURRENCY_COOKIE, "").strip().upper()
        request.display_currency = currency if currency in currencies() else ""
        request.money_locale = self._money_locale(request)
        return self.get_response(request)

    @staticmethod
    def _money_locale(request) -> str:
        """How amounts are written: the interface language's conventions, or the browser's.

        A visitor whose browser asks for a language the interface is not translated into
        (German, say) reads English pages, but their amounts keep their own conventions
        ("1.234,50 €"). A language chosen with the switcher (the cookie) always wins.
        """
        language = translation.get_language() or "en-us"
        locale = translation.to_locale(language)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            return locale
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        first = header.split(",", 1)[0].split(";", 1)[0].strip().replace("_", "-")
        if not first or first == "*" or len(first) > 20:
            return locale
        browser_language = first.split("-", 1)[0].lower()
        if browser_language == language.split("-", 1)[0].lower():
            return locale
        try:
            return str(Locale.parse(browser_language))
        except (ValueError, UnknownLocaleError):
            return locale

    @staticmethod
    def _country(request) -> str:
        chosen = request.COOKIES.get(COUNTRY_COOKIE, "").upper()
        if is_country(chosen):
            return chosen
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        first = header.split(",", 1)[0].split(";", 1)[0].strip()
        # The region is the first two-letter subtag after the language:
        # "fr-FR" → FR, "zh-Hant-TW" → TW, "sr_Latn_RS" → RS; "es-419" has none.
        for subtag in first.replace("_", "-").split("-")[1:]:
            if len(subtag) == 2 and subtag.isalpha():
                region = subtag.upper()
                return region if is_country(region) else DEFAULT_COUNTRY
        return DEFAULT_COUNTRY


class NullCharacterMiddleware:
    """Refuse a request whose address or query string carries a NUL character.

    No person types one, PostgreSQL cannot store or compare one in text, and letting it through
    turns a search or an order number into a server error. Pages get 400 with a sentence; the API
    gets its one error shape with the offending parameter named. Form fields and JSON bodies are
    checked by the forms and schemas that read them, next to the field.
    """

    message = gettext_noop(
        "This request contains a null character, which is not allowed. Remove it and try again."
    )

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _offending_field(request) -> str | None:
        if "\x00" in request.path:
            return "path"
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "")
        return None

    @staticmethod
    def _json_field(request) -> str | None:
        """The dotted path of the first JSON string (key or value) holding a NUL, if any."""
        if not request.path.startswith("/api/") or request.content_type != "application/json":
            return None
        if b"\\u0000" not in request.body:
            return None
        import json

        try:
            data = json.loads(request.body)
        except ValueError:
            return None  # the API's own parsing answers a malformed body

        def walk(value, path):
            if isinstance(value, str):
                return path if "\x00" in value else None
            if isinstance(value, dict):
                items = value.items()
            else:
                items = enumerate(value) if isinstance(value, list) else ()
            for key, item in items:
                here = ".".join(p for p in (path, str(key).replace("\x00", "")) if p)
                if isinstance(key, str) and "\x00" in key:
                    return here
                found = walk(item, here)
                if found is not None:
                    return found
            return None

        return walk(data, "")

    def __call__(self, request):
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext

        from core.api_errors import error_body

        field = self._offending_field(request)
        if field is not None:
            message = gettext(self.message)
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("null_character", message, {field: [message]}), status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        field = self._json_field(request)
        if field is not None:  # a field error of the body, like the schemas' own (422)
            message = gettext(self.message)
            return JsonResponse(error_body("invalid", message, {field or "__all__": [message]}), status=422)
        return self.get_response(request)

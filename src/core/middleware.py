"""Who is visiting: the country to estimate delivery for, and the locale for prices."""

from django.utils import translation

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
        language = translation.get_language() or "en-us"
        request.money_locale = translation.to_locale(language)
        return self.get_response(request)

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

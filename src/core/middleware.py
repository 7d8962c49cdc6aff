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
        currency = request.COOKIES.get(CURRENCY_COOKIE, "")
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
        if "-" in first:
            region = first.split("-", 1)[1].upper()
            if is_country(region):
                return region
        return DEFAULT_COUNTRY

from django.conf import settings

from core.countries import country_choices
from core.money import currencies


def site(request):
    return {
        "SITE_NAME": "Hmong Artisans",
        "DEBUG": settings.DEBUG,
        "visitor_country": getattr(request, "visitor_country", "US"),
        "display_currency": getattr(request, "display_currency", ""),
        "country_choices": country_choices,
        "currency_codes": list(currencies()),
    }

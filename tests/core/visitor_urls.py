"""A page that reports what VisitorMiddleware decided, through the whole middleware stack."""

from django.http import JsonResponse
from django.urls import path

from core.money import Money, format_money


def visitor(request):
    return JsonResponse({
        "country": request.visitor_country,
        "currency": request.display_currency,
        "locale": request.money_locale,
        "price": format_money(Money(1250, "EUR"), request.money_locale),
    })


urlpatterns = [path("visitor/", visitor)]

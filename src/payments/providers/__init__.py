"""Payment providers behind one interface, chosen by settings.PAYMENT_PROVIDER."""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import (
    CardDetails,
    ChargeResult,
    ChargeStatus,
    PaymentProvider,
    ProviderError,
    ProviderEventData,
    RefundResult,
    WebhookError,
)

PROVIDERS = {
    "simulated": "payments.providers.simulated.SimulatedProvider",
    "stripe": "payments.providers.stripe.StripeProvider",
}


def get_provider(name: str | None = None) -> PaymentProvider:
    name = name or getattr(settings, "PAYMENT_PROVIDER", "simulated")
    return import_string(PROVIDERS[name])()


__all__ = [
    "CardDetails",
    "ChargeResult",
    "ChargeStatus",
    "PaymentProvider",
    "ProviderError",
    "ProviderEventData",
    "RefundResult",
    "WebhookError",
    "get_provider",
]

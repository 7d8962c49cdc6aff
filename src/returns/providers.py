"""Return providers (RET-3): who takes a return back in which country.

The providers and their country lists are data (settings.RETURN_PROVIDERS), not code:
`provider_for_country("DE")` finds the one provider whose list holds the country. A
country in two lists is a configuration error (system check returns.E001).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from core.countries import country_name


@dataclass(frozen=True)
class ReturnProvider:
    slug: str
    name: str
    countries: frozenset[str]
    locator_url: str
    secret: str

    @property
    def secret_usable(self) -> bool:
        """A development default or a short secret is refused outside DEBUG: anyone could sign
        with it."""
        if settings.DEBUG:
            return bool(self.secret)
        return len(self.secret) >= 32 and not self.secret.startswith("dev-only")

    def return_point(self, country: str) -> str:
        """The local return point the buyer takes the parcel to (RET-3)."""
        return _("Any %(provider)s drop-off point in %(country)s (find the nearest at %(url)s)") % {
            "provider": self.name, "country": country_name(country), "url": self.locator_url,
        }


def providers() -> dict[str, ReturnProvider]:
    configured = getattr(settings, "RETURN_PROVIDERS", {}) or {}
    return {
        slug: ReturnProvider(
            slug=slug,
            name=str(spec.get("name") or slug),
            countries=frozenset(str(c).upper() for c in spec.get("countries", ())),
            locator_url=str(spec.get("locator_url", "")),
            secret=str(spec.get("secret", "")),
        )
        for slug, spec in configured.items()
    }


def provider_get(slug: str) -> ReturnProvider | None:
    return providers().get(slug)


def provider_for_country(country: str) -> ReturnProvider | None:
    """The provider serving `country` (ISO alpha-2), or None when no provider serves it."""
    code = (country or "").upper()
    for provider in providers().values():
        if code in provider.countries:
            return provider
    return None


def overlapping_countries() -> dict[str, list[str]]:
    """Countries listed by more than one provider → the providers listing them."""
    seen: dict[str, list[str]] = {}
    for provider in providers().values():
        for country in provider.countries:
            seen.setdefault(country, []).append(provider.slug)
    return {country: slugs for country, slugs in seen.items() if len(slugs) > 1}

"""System checks of the return providers (RET-3)."""

from __future__ import annotations

from django.core.checks import Error, Tags, register

from core.countries import is_country


@register(Tags.compatibility)
def return_providers_check(app_configs=None, **kwargs) -> list[Error]:
    from returns.providers import overlapping_countries, providers

    errors = []
    for country, slugs in sorted(overlapping_countries().items()):
        errors.append(Error(
            f"RETURN_PROVIDERS: {country} is served by several providers ({', '.join(sorted(slugs))}).",
            hint="Each country may have one return provider: remove it from all lists but one.",
            id="returns.E001",
        ))
    for provider in providers().values():
        unknown = sorted(c for c in provider.countries if not is_country(c))
        if unknown:
            errors.append(Error(
                f"RETURN_PROVIDERS[{provider.slug!r}] lists unknown countries: {', '.join(unknown)}.",
                id="returns.E002",
            ))
    return errors

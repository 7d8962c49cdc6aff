"""System checks for accounts."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from core.policy import policy


@register(Tags.security)
def password_reset_timeout_matches_policy(app_configs=None, **kwargs) -> list[Error]:
    """ACC-2: Django's reset-link timeout is the policy's password_reset_link_lifetime."""
    expected = int(policy.password_reset_link_lifetime.total_seconds())
    actual = getattr(settings, "PASSWORD_RESET_TIMEOUT", None)
    if actual != expected:
        return [
            Error(
                f"PASSWORD_RESET_TIMEOUT is {actual} seconds but the policy's "
                f"password_reset_link_lifetime is {expected} seconds.",
                hint="Set password_reset_link_lifetime in HMONG_POLICY and let settings.py derive "
                "PASSWORD_RESET_TIMEOUT from it; do not set PASSWORD_RESET_TIMEOUT by hand.",
                id="accounts.E001",
            )
        ]
    return []

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


@register(Tags.security)
def signup_cannot_enumerate(app_configs=None, **kwargs) -> list[Error]:
    """ACC-1: sign-up tells nobody whether an email is registered only with mandatory verification
    and allauth's enumeration prevention on."""
    verification = str(getattr(settings, "ACCOUNT_EMAIL_VERIFICATION", "")).lower()
    if verification != "mandatory" or getattr(settings, "ACCOUNT_PREVENT_ENUMERATION", True) is not True:
        return [
            Error(
                f"ACCOUNT_EMAIL_VERIFICATION is {verification!r} and ACCOUNT_PREVENT_ENUMERATION is "
                f"{getattr(settings, 'ACCOUNT_PREVENT_ENUMERATION', True)!r}: sign-up would tell whether an "
                "email is registered.",
                hint='Keep ACCOUNT_EMAIL_VERIFICATION = "mandatory" and ACCOUNT_PREVENT_ENUMERATION = True.',
                id="accounts.E002",
            )
        ]
    return []

"""Our allauth adapter: emails carry the site name and the policy's reset-link lifetime (ACC-2)."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.i18n import in_language_of
from core.policy import policy

SITE_NAME = "Hmong Artisans"


def duration_text(value: timedelta) -> str:
    """A short English duration: "1 hour", "90 minutes", "2 days"."""
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        """Refuse an address longer than the account's column holds (sign-up, adding an email)."""
        from accounts.models import User

        limit = User._meta.get_field("email").max_length
        if len(email) > limit:
            raise ValidationError(
                _("This email address is too long: at most %(limit)s characters.") % {
                    "limit": limit}, code="max_length"
            )
        return super().clean_email(email)

    def get_client_ip(self, request) -> str:
        """allauth's own rate limits count the same client address as django-axes and the risk check
        (settings CLIENT_IP_HEADER / TRUSTED_PROXY_COUNT behind reverse proxies)."""
        from accounts.axes_policy import client_ip

        return client_ip(request) or super().get_client_ip(request)

    def get_login_redirect_url(self, request) -> str:
        """A held sign-in (ACC-5) lands on the regain access page."""
        from django.urls import reverse

        from accounts.risk import SESSION_KEY

        if request.session.get(SESSION_KEY):
            return reverse("accounts:regain_access")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {
            "site_name": SITE_NAME,
            "reset_link_lifetime": duration_text(policy.password_reset_link_lifetime),
            **context,
        }
        with in_language_of(context.get("user")):  # the person's chosen language, if any
            super().send_mail(template_prefix, email, context)

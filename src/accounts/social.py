"""Social sign-in (ACC-4) through django-allauth: Google, Facebook, Twitter/X, Pinterest, VK and OK.

Instagram is kept only for accounts already linked to it: such a person still
signs in with it. A new sign-up through Instagram, or connecting an Instagram
account that is not linked yet, is refused with a page that says what to do
instead (templates/accounts/instagram_refused.html).

A social login never attaches itself to an existing account because the emails
match: settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION is off, so a provider's
email, verified or not, only ever starts a *new* account, and when that email
already belongs to an account no account is made: the answer is allauth's "check
your email" page and the owner is mailed a note (ACC-1, no enumeration either).
Linking a provider to an existing account is done by its owner, signed in, from
the "connections" page.
"""

from __future__ import annotations

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.shortcuts import render

INSTAGRAM = "instagram"


def _refuse_instagram(request, *, connecting: bool) -> ImmediateHttpResponse:
    response = render(request, "accounts/instagram_refused.html", {"connecting": connecting}, status=403)
    return ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin) -> None:
        if sociallogin.account.provider != INSTAGRAM:
            return
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if not sociallogin.is_existing:
            # ACC-4: nobody new comes in, or links, through Instagram.
            raise _refuse_instagram(request, connecting=connecting)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        if sociallogin.account.provider == INSTAGRAM:
            return False
        return super().is_open_for_signup(request, sociallogin)

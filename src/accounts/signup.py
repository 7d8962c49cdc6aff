"""The sign-up form (ACC-1): a taken email costs the same work as a new one.

With mandatory verification and enumeration prevention (settings, check accounts.E002),
allauth answers a sign-up with a registered email with the same "check your email"
page and mails the owner a note instead of creating an account. A new account hashes
its password once; this form hashes the typed password for a taken email too, so the
two cannot be told apart by the work the server does.
"""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.contrib.auth.hashers import make_password


class SignupForm(AllauthSignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")  # the hashing a new account costs
        return super().try_save(request)

"""Account writes: registration, profile, API tokens, the address book (ACC-1, ACC-7).

Every check on an address lives in `address_clean`, used by the pages, the API
and the admin alike. Errors are `DomainError`s with field-level messages
(status 422, code "validation_error"), the same shape the API returns for a
malformed request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Address, ApiToken, User
from core.countries import is_country
from core.errors import DomainError, NotFound

# --- shared field checks ------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
PASSWORD_MAX_LENGTH = 1024  # long enough for any passphrase, short enough to hash cheaply


def invalid(fields: dict[str, list[str]], message: str | None = None) -> DomainError:
    return DomainError(message or _("Some fields are invalid."), code="validation_error", fields=fields,
                       status=422)


def _text(
    value: Any, *, field: str, max_length: int, required: bool, errors: dict[str, list[str]],
    label: str,
) -> str:
    """Strip a free-text value and check it; record a message in `errors` when it is wrong."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append(_("%(label)s must be text.") % {"label": label})
        return ""
    value = value.strip()
    if _CONTROL_CHARS.search(value):
        errors.setdefault(field, []).append(
            _("%(label)s contains characters that are not allowed.") % {"label": label})
    elif required and not value:
        errors.setdefault(field, []).append(_("%(label)s is required.") % {"label": label})
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            _("%(label)s is too long: at most %(max)s characters (it has %(count)s).")
            % {"label": label, "max": max_length, "count": len(value)}
        )
    return value


def email_normalize(value: Any) -> str:
    """The email as stored: trimmed and lower-cased (addresses are matched case-insensitively)."""
    return value.strip().lower() if isinstance(value, str) else ""


def email_clean(value: Any, *, field: str = "email") -> str:
    errors: dict[str, list[str]] = {}
    email = _text(value, field=field, max_length=EMAIL_MAX_LENGTH, required=True,
                  errors=errors, label=_("Email address"))
    if not errors:
        try:
            validate_email(email)
        except ValidationError:
            errors[field] = [_("Enter a valid email address, like name@example.com.")]
    if errors:
        raise invalid(errors)
    return email.lower()


# --- registration and profile (ACC-1) ----------------------------------------


def user_register(*, email: Any, password: Any, newsletter_opt_in: bool = False) -> User:
    """Create an account with an email and password. The newsletter box is off unless ticked."""
    from allauth.account.models import EmailAddress

    email = email_clean(email)
    _password_check(password, email)
    if _email_taken(email):
        raise invalid({"email": [_("An account with this email address already exists.")]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, newsletter_opt_in=bool(newsletter_opt_in)
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    except IntegrityError:  # the same address registered at the same moment
        raise invalid({"email": [_("An account with this email address already exists.")]}) from None
    return user


def _password_check(password: Any, email: str) -> None:
    """The sign-up password checks; they depend only on what was typed, never on who holds the email."""
    if not isinstance(password, str) or password == "":
        raise invalid({"password": [_("Choose a password.")]})
    if len(password) > PASSWORD_MAX_LENGTH:
        raise invalid({"password": [_("The password is too long: at most %(max)s characters.")
                                    % {"max": PASSWORD_MAX_LENGTH}]})
    # The password is used exactly as typed: never stripped (ACC-1).
    try:
        password_validation.validate_password(password, user=User(email=email))
    except ValidationError as exc:
        raise invalid({"password": list(exc.messages)}) from None


def user_sign_up(*, request: HttpRequest, email: Any, password: Any, newsletter_opt_in: bool = False) -> str:
    """Sign up without telling whether the email is registered (ACC-1); returns the email as stored.

    A new email gets an account (unverified) and a confirmation link; a registered one gets no
    account, its owner a note that someone tried to sign up with it, and the same answer. Both
    hash the password once (`make_password`), so the work done is the same too.
    """
    from allauth.account.internal.flows.email_verification import send_verification_email_to_address
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    email = email_clean(email)
    _password_check(password, email)
    user = None
    if not _email_taken(email):
        try:
            user = user_register(email=email, password=password, newsletter_opt_in=newsletter_opt_in)
        except DomainError:  # registered at the same moment by someone else: answer as for a taken one
            user = None
    if user is None:
        make_password(password)  # the hashing a new account costs
        address = EmailAddress(email=email)  # no user: allauth mails the owner "you already have one"
    else:
        address = EmailAddress.objects.get(user=user, email=email)
    send_verification_email_to_address(request, address, signup=True)
    return email


def _email_taken(email: str) -> bool:
    from allauth.account.models import EmailAddress

    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length


def user_update_profile(*, user: User, changes: Mapping[str, Any]) -> User:
    """Change a person's name and newsletter preference (any subset of the three)."""
    allowed = {"first_name", "last_name", "newsletter_opt_in"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, label in (("first_name", _("First name")), ("last_name", _("Last name"))):
        if name in changes:
            cleaned[name] = _text(changes[name], field=name, max_length=NAME_MAX_LENGTH,
                                  required=False, errors=errors, label=label)
    if "newsletter_opt_in" in changes:
        value = changes["newsletter_opt_in"]
        if not isinstance(value, bool):
            errors["newsletter_opt_in"] = [_("Choose yes or no (true or false).")]
        cleaned["newsletter_opt_in"] = value
    if errors:
        raise invalid(errors)
    for name, value in cleaned.items():
        setattr(user, name, value)
    if cleaned:
        user.save(update_fields=list(cleaned))
    return user


def user_set_newsletter_opt_in(*, user: User, opt_in: bool) -> User:
    """Record the sign-up newsletter choice (ACC-1: unticked unless the person ticks it)."""
    return user_update_profile(user=user, changes={"newsletter_opt_in": bool(opt_in)})


# --- API tokens ---------------------------------------------------------------


def api_token_issue(
    *, request: HttpRequest, email: Any, password: Any, name: str = "API client"
) -> tuple[ApiToken, str, bool]:
    """Check the credentials and issue a bearer token; the key is returned once, only its hash kept.

    Issuing a token is a sign-in (ACC-5): the same django-axes limits per account and per
    address as the sign-in form (a locked-out account gets 429, whatever the password), and the
    same risk check: a risky one is held like a session, so the new token (like every token of
    the account) cannot move money until the phone is verified (accounts.guards). Returns
    (token, key, held). An account whose email is not confirmed yet gets no token (ACC-1).
    """
    from axes.handlers.proxy import AxesProxyHandler

    from accounts import risk

    errors: dict[str, list[str]] = {}
    if not isinstance(email, str) or not email.strip():
        errors["email"] = [_("Enter your email address.")]
    elif len(email) > EMAIL_MAX_LENGTH or _CONTROL_CHARS.search(email):
        errors["email"] = [_("Enter a valid email address, like name@example.com.")]
    if not isinstance(password, str) or password == "":
        errors["password"] = [_("Enter your password.")]
    elif len(password) > PASSWORD_MAX_LENGTH:
        errors["password"] = [_("The email address or password is not correct.")]
    if errors:
        raise invalid(errors)
    email = email_normalize(email)
    name = _text(name, field="name", max_length=ApiToken._meta.get_field("name").max_length,
                 required=True, errors=errors, label=_("Token name"))
    if errors:
        raise invalid(errors)
    too_many = DomainError(
        _("Too many failed sign-ins. Wait a while and try again, or choose a new password."),
        code="rate_limited", status=429,
    )
    if not AxesProxyHandler.is_allowed(request, {"email": email}):
        raise too_many
    user = authenticate(request, email=email, password=password)  # axes counts a failure
    if getattr(request, "axes_locked_out", False):
        request.axes_locked_out = False  # answered here, in the API's shape
        raise too_many
    if user is None or not user.is_active:
        raise DomainError(
            _("The email address or password is not correct. Passwords are case sensitive."),
            code="invalid_credentials", status=401,
        )
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise DomainError(
            _("Confirm your email address first: follow the link we emailed you, then ask for a token."),
            code="email_unverified", status=403,
        )
    event = risk.sign_in_assess_request(request=request, user=user)
    token, key = ApiToken.issue(user, name=name)
    return token, key, event.risky


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


# --- address book (ACC-7) -----------------------------------------------------

ADDRESS_FIELDS = (
    "first_name", "last_name", "line1", "line2", "city", "region", "postal_code", "country", "phone",
)
_LABELS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "line1": gettext_lazy("Street address"),
    "line2": gettext_lazy("Apartment, suite or building"),
    "city": gettext_lazy("City"),
    "region": gettext_lazy("State, province or region"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "phone": gettext_lazy("Phone number"),
}
_REQUIRED = {"first_name", "last_name", "line1", "city", "country", "phone"}

# Countries whose post needs a postal code on every parcel.
POSTAL_CODE_COUNTRIES = frozenset({
    "AR", "AT", "AU", "BE", "BG", "BR", "CA", "CH", "CN", "CZ", "DE", "DK", "ES", "FI", "FR", "GB",
    "GR", "HU", "IN", "IT", "JP", "KR", "LA", "MX", "NL", "NO", "NZ", "PL", "PT", "RO", "RU", "SE",
    "TH", "TR", "TW", "UA", "US", "VN",
})
# Simple shape checks where the format is well known: (pattern, example).
POSTAL_CODE_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "US": (re.compile(r"^\d{5}(-?\d{4})?$"), gettext_lazy("5 digits or 9 digits, like 55103 or 55103-1234")),
    "DE": (re.compile(r"^\d{5}$"), gettext_lazy("5 digits, like 10115")),
    "FR": (re.compile(r"^\d{5}$"), gettext_lazy("5 digits, like 75001")),
    "MX": (re.compile(r"^\d{5}$"), gettext_lazy("5 digits, like 06600")),
    "TR": (re.compile(r"^\d{5}$"), gettext_lazy("5 digits, like 34000")),
    "UA": (re.compile(r"^\d{5}$"), gettext_lazy("5 digits, like 01001")),
    "RU": (re.compile(r"^\d{6}$"), gettext_lazy("6 digits, like 101000")),
    "BR": (re.compile(r"^\d{5}-?\d{3}$"), gettext_lazy("8 digits, like 01310-100")),
    "PL": (re.compile(r"^\d{2}-?\d{3}$"), gettext_lazy("5 digits, like 00-950")),
    "GB": (re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"), gettext_lazy("like SW1A 1AA")),
    "CA": (re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"), gettext_lazy("like K1A 0B1")),
}
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-()]+$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 6, 20


def _max_length(field: str) -> int:
    return Address._meta.get_field(field).max_length


def address_clean(data: Mapping[str, Any]) -> dict[str, str]:
    """Check and tidy every address field; raise one error listing every wrong field (ACC-7)."""
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(ADDRESS_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("Unknown field.")]
    cleaned = {
        name: _text(data.get(name), field=name, max_length=_max_length(name),
                    required=name in _REQUIRED, errors=errors, label=_LABELS[name])
        for name in ADDRESS_FIELDS
    }
    # ACC-7: first and last name are both required above (a complete name).
    country = cleaned["country"].upper()
    cleaned["country"] = country
    if "country" not in errors and not is_country(country):
        errors["country"] = [_("Choose a country from the list (a two-letter code such as US or FR).")]

    postal = " ".join(cleaned["postal_code"].upper().split())
    cleaned["postal_code"] = postal
    if "postal_code" not in errors and "country" not in errors:
        if not postal and country in POSTAL_CODE_COUNTRIES:
            errors["postal_code"] = [_("A postal code is required for this country.")]
        elif postal and country in POSTAL_CODE_FORMATS:
            pattern, example = POSTAL_CODE_FORMATS[country]
            if not pattern.match(postal):
                errors["postal_code"] = [
                    _("This postal code does not look right: use %(example)s.") % {"example": example}]

    phone = cleaned["phone"]
    if "phone" not in errors:
        digits = sum(ch.isdigit() for ch in phone)
        if not _PHONE_CHARS.match(phone) or "+" in phone[1:]:
            errors["phone"] = [
                _("Use digits only, with an optional + at the start; spaces, dashes and brackets are fine.")
            ]
        elif not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
            errors["phone"] = [
                _("A phone number has %(min)s to %(max)s digits (this one has %(count)s).")
                % {"min": PHONE_MIN_DIGITS, "max": PHONE_MAX_DIGITS, "count": digits}
            ]
    if errors:
        raise invalid(errors, _("Please correct the address."))
    return cleaned


def _lock_book(user: User) -> None:
    """Serialise address-book writes of one person (the one-default rule spans rows)."""
    User.objects.select_for_update().filter(pk=user.pk).first()


def _owned(user: User, address_id: Any) -> Address:
    try:
        return Address.objects.select_for_update().get(pk=int(address_id), user=user)
    except (Address.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("This address is not in your address book.")) from None


@transaction.atomic
def address_create(*, user: User, make_default: bool = False, **fields: Any) -> Address:
    """Add an address. The first one becomes the default, as does any made default on purpose."""
    cleaned = address_clean(fields)
    _lock_book(user)
    first = not Address.objects.filter(user=user).exists()
    if make_default and not first:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
    return Address.objects.create(user=user, is_default=first or bool(make_default), **cleaned)


@transaction.atomic
def address_update(*, user: User, address_id: Any, changes: Mapping[str, Any]) -> Address:
    """Change some or all fields of one of the person's addresses; the whole address is re-checked."""
    _lock_book(user)
    address = _owned(user, address_id)
    current = {name: getattr(address, name) for name in ADDRESS_FIELDS}
    cleaned = address_clean({**current, **changes})
    for name, value in cleaned.items():
        setattr(address, name, value)
    address.save(update_fields=list(cleaned))
    return address


@transaction.atomic
def address_delete(*, user: User, address_id: Any) -> None:
    """Remove an address; when it was the default, the newest remaining one becomes the default."""
    _lock_book(user)
    address = _owned(user, address_id)
    was_default = address.is_default
    address.delete()
    if was_default:
        newest = Address.objects.filter(user=user).order_by("-created_at", "-pk").first()
        if newest is not None:
            newest.is_default = True
            newest.save(update_fields=["is_default"])


@transaction.atomic
def address_set_default(*, user: User, address_id: Any) -> Address:
    """Make one address the default; exactly one address of a book is the default."""
    _lock_book(user)
    address = _owned(user, address_id)
    if not address.is_default:
        Address.objects.filter(user=user, is_default=True).update(is_default=False)
        address.is_default = True
        address.save(update_fields=["is_default"])
    return address

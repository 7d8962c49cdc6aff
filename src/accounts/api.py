"""Accounts API (mounted at /api/v1/): register, tokens, the profile and the address book.

Endpoints parse input, call one service or selector, and return the result.
Errors come back in the one shape of core.api_errors.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from accounts import selectors, services
from accounts.models import Address, User
from core.countries import country_name
from core.errors import DomainError
from core.pagination import PagePagination
from core.schemas import ErrorOut

router = Router(tags=["accounts"])


class StrictIn(Schema):
    """Request bodies refuse unknown fields, so a typo is reported instead of ignored."""

    model_config = ConfigDict(extra="forbid")


class RegisterIn(StrictIn):
    email: str
    password: str
    newsletter_opt_in: bool = False


class TokenIn(StrictIn):
    email: str
    password: str
    name: str = "API client"


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    held: bool = False  # ACC-5: a risky sign-in; money actions wait for the regain-access SMS code


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    newsletter_opt_in: bool
    date_joined: datetime


class MePatch(StrictIn):
    first_name: str | None = None
    last_name: str | None = None
    newsletter_opt_in: bool | None = None


class AddressIn(StrictIn):
    first_name: str
    last_name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str = ""
    country: str
    phone: str
    is_default: bool = False


class AddressPatch(StrictIn):
    first_name: str | None = None
    last_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None


class AddressOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    country_name: str
    phone: str
    is_default: bool
    created_at: datetime

    @staticmethod
    def resolve_country_name(obj: Address) -> str:
        return country_name(obj.country)




def _client_ip(request: HttpRequest) -> str:
    from accounts.axes_policy import client_ip

    return client_ip(request) or "unknown"


# --- authentication -------------------------------------------------------------


class RegisteredOut(Schema):
    email: str
    detail: str


@router.post("/auth/register", auth=None, response={202: RegisteredOut, 422: ErrorOut},
             summary=_("Create an account; the email must then be confirmed (ACC-1)"))
def register(request: HttpRequest, payload: RegisterIn):
    """The same answer whether or not the email is registered: a link or a note goes to that address."""
    email = services.user_sign_up(
        request=request, email=payload.email, password=payload.password,
        newsletter_opt_in=payload.newsletter_opt_in,
    )
    return Status(202, {"email": email, "detail": _(
        "We have sent an email to this address. Follow the link in it to confirm the address, "
        "then sign in.")})


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut,
                                                   422: ErrorOut, 429: ErrorOut},
             summary=_("Exchange email and password for a bearer token"))
def token_create(request: HttpRequest, payload: TokenIn):
    _token, key, held = services.api_token_issue(
        request=request, email=payload.email, password=payload.password, name=payload.name,
    )
    return Status(200, {"token": key, "token_type": "Bearer", "held": held})


@router.delete("/auth/token", response={204: None, 400: ErrorOut},
               summary=_("Revoke the bearer token of this request"))
def token_revoke(request: HttpRequest):
    token = getattr(request, "api_token", None)
    if token is None:
        raise DomainError(_("This request was not made with a bearer token."), code="no_token")
    services.api_token_revoke(token=token)
    return Status(204, None)


# --- profile --------------------------------------------------------------------


@router.get("/me", response=MeOut, summary=_("The signed-in person"))
def me(request: HttpRequest):
    return request.user


@router.patch("/me", response={200: MeOut, 422: ErrorOut},
              summary=_("Change name or newsletter preference"))
def me_update(request: HttpRequest, payload: MePatch):
    user: User = request.user
    changes = payload.dict(exclude_unset=True)
    if changes.get("newsletter_opt_in", False) is None:
        raise services.invalid({"newsletter_opt_in": [_("Choose yes or no (true or false).")]})
    return Status(200, services.user_update_profile(user=user, changes=changes))


# --- address book (ACC-7) -------------------------------------------------------


@router.get("/addresses", response=list[AddressOut], summary=_("The address book"))
@paginate(PagePagination)
def address_list(request: HttpRequest):
    return selectors.address_list(user=request.user)


@router.post("/addresses", response={201: AddressOut, 422: ErrorOut}, summary=_("Add an address"))
def address_create(request: HttpRequest, payload: AddressIn):
    data = payload.dict()
    make_default = data.pop("is_default")
    address = services.address_create(user=request.user, make_default=make_default, **data)
    return Status(201, address)


@router.get("/addresses/{address_id}", response={200: AddressOut, 404: ErrorOut},
            summary=_("One address"))
def address_detail(request: HttpRequest, address_id: int):
    return Status(200, selectors.address_get(user=request.user, address_id=address_id))


@router.patch("/addresses/{address_id}", response={200: AddressOut, 404: ErrorOut,
                                                        422: ErrorOut},
              summary=_("Change an address"))
def address_update(request: HttpRequest, address_id: int, payload: AddressPatch):
    address = services.address_update(
        user=request.user, address_id=address_id, changes=payload.dict(exclude_unset=True)
    )
    return Status(200, address)


@router.delete("/addresses/{address_id}", response={204: None, 404: ErrorOut},
               summary=_("Remove an address"))
def address_delete(request: HttpRequest, address_id: int):
    services.address_delete(user=request.user, address_id=address_id)
    return Status(204, None)


@router.post("/addresses/{address_id}/default", response={200: AddressOut, 404: ErrorOut},
             summary=_("Make an address the default"))
def address_default(request: HttpRequest, address_id: int):
    return Status(200, services.address_set_default(user=request.user, address_id=address_id))


# The security endpoints (ACC-3, ACC-5, ACC-6) register themselves on this router.
from accounts import api_security  # noqa: E402, F401

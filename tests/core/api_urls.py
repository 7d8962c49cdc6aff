"""A small API wired exactly like the real one (core.api_errors + accounts.auth), with
endpoints that fail in each way, so the error shape is proven independently of
which endpoints the apps have today. Used with @pytest.mark.urls."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from accounts.auth import api_auth
from catalog.models import Product
from core.api_errors import install_error_handlers
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.pagination import PagePagination

api = NinjaAPI(title="Error shape probe", version="test", urls_namespace="probe-api",
               auth=api_auth)
install_error_handlers(api)


class ItemIn(Schema):
    title: str = Field(..., min_length=1, max_length=10)
    price_minor: int = Field(..., ge=0)
    currency: str = Field(..., pattern=r"^[A-Z]{3}$")


class NumberOut(Schema):
    n: int


@api.post("/items", auth=None)
def create_item(request, payload: ItemIn):
    return {"title": payload.title}


@api.get("/search", auth=None)
def search(request, page: int = 1, q: str = Query("", max_length=20)):
    return {"page": page}


@api.get("/domain", auth=None)
def domain(request, kind: str = "plain"):
    if kind == "plain":
        raise DomainError("That cannot be done.", code="coupon_expired",
                          fields={"code": ["This coupon expired."]})
    if kind == "conflict":
        raise Conflict("Someone else changed it.")
    if kind == "not_allowed":
        raise NotAllowed("Only the seller may do this.")
    if kind == "status":
        raise DomainError("Slow down.", code="too_many", status=429)
    raise NotFound("No such coupon.")


@api.get("/products/{pk}", auth=None)
def product(request, pk: int):
    item = get_object_or_404(Product, pk=pk)
    return {"title": item.title}


@api.get("/private")
def private(request):
    return {"email": request.user.email}


@api.get("/denied", auth=None)
def denied(request):
    raise PermissionDenied("Staff only.")


@api.get("/http/{status}", auth=None)
def http(request, status: int):
    raise HttpError(status, "Told to fail.")


@api.get("/crash", auth=None)
def crash(request):
    raise RuntimeError("a bug")


@api.post("/django-validation", auth=None)
def django_validation(request, kind: str = "dict"):
    if kind == "dict":
        raise DjangoValidationError({"email": ["Enter a valid email address."]})
    raise DjangoValidationError("Something is off.")


@api.get("/numbers", response=list[NumberOut], auth=None)
@paginate(PagePagination)
def numbers(request):
    return [{"n": i} for i in range(1, 51)]


urlpatterns = [path("api/probe/", api.urls)]

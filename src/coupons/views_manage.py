"""Management pages of promotions (CPN-1, CPN-2): the seller center's /seller/coupons/ (store
kinds of the seller's own store) and the back office's /backoffice/coupons/ (platform coupons
and promo codes) and /backoffice/sale-pages/. Thin: parse the form, call one coupons.manage
function, render its field errors.

The two audiences share the views below through a `Scope` (which store, which URL namespace,
which page frame). Another seller's promotion is a 404; the back office answers 404 to anyone
signed in who is not active staff, and sends anonymous visitors to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Product, Store
from core import clock
from core.errors import DomainError, NotFound
from core.views_backoffice import staff_required
from coupons import manage
from coupons.forms import PromotionForm, SalePageForm
from coupons.models import SalePage
from sellercenter.selectors import category_choices
from sellercenter.views import seller_required


@dataclass(frozen=True)
class Scope:
    store: Store | None
    namespace: str
    base_template: str

    @property
    def is_platform(self) -> bool:
        return self.store is None

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)


def _seller_scope(store: Store) -> Scope:
    return Scope(store=store, namespace="seller_coupons", base_template="sellercenter/base.html")


PLATFORM = Scope(store=None, namespace="backoffice_coupons", base_template="base.html")


def _rows(scope: Scope, promotions, now) -> list[dict]:
    promotions = list(promotions)
    stats = manage.promotion_list_stats(promotions=promotions)
    return [_row(scope, p, now, stats[p.pk]) for p in promotions]


def _row(scope: Scope, promotion, now, stats=None) -> dict:
    status = manage.promotion_status(promotion, now=now)
    if stats is None:
        stats = manage.promotion_list_stats(promotions=[promotion])[promotion.pk]
    return {"promotion": promotion, "status": status, "status_label": manage.status_label(status),
            "stats": stats}


def _form(scope: Scope, data=None, *, initial=None, editing=False) -> PromotionForm:
    products = None
    if scope.store is not None:
        products = Product.objects.filter(store=scope.store).order_by("title").values_list("pk", "title")
    sale_pages = None
    if scope.is_platform:
        sale_pages = SalePage.objects.order_by("-starts_at").values_list("pk", "name")
    return PromotionForm(data, initial=initial, store=scope.store, products=products,
                         categories=category_choices(), sale_pages=sale_pages, editing=editing)


def _context(scope: Scope, **extra) -> dict:
    return {"scope": scope, "store": scope.store, "base_template": scope.base_template, **extra}


def _show_other_errors(form: PromotionForm, scope: Scope, promotion=None) -> None:
    """The form did not parse: add what the service would also say about the fields that did."""
    kwargs = form.service_kwargs()
    errors = manage.promotion_errors(store=scope.store, now=clock.now(), promotion=promotion, **kwargs)
    for name, texts in errors.items():
        field = form.field_map.get(name, name)
        if field in form.fields and field not in form.errors:
            for text in texts:
                form.add_error(field, text)


def _list(request: HttpRequest, scope: Scope) -> HttpResponse:
    now = clock.now()
    promotions = (manage.promotions_of_store(store=scope.store) if scope.store is not None
                  else manage.promotions_of_platform())
    return render(request, "coupons/manage_list.html", _context(scope, rows=_rows(scope, promotions, now)))


def _new(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = _form(scope, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                promotion = manage.promotion_create(actor=request.user, store=scope.store, now=clock.now(),
                                                    **form.service_kwargs())
            except DomainError as error:
                form.show_domain_error(error)
            else:
                messages.success(request, _("“%(title)s” is saved.") % {"title": promotion.title})
                return redirect(scope.url("edit", promotion.pk))
        else:
            _show_other_errors(form, scope)
        status = 422
    return render(request, "coupons/manage_form.html", _context(scope, form=form, promotion=None),
                  status=status)


def _get(request: HttpRequest, pk: int):
    try:
        return manage.promotion_for_manager(actor=request.user, promotion_id=pk)
    except NotFound:
        raise Http404("No such promotion") from None


def _edit(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    promotion = _get(request, pk)
    form = _form(scope, request.POST if request.method == "POST" else None,
                 initial=PromotionForm.initial_for(promotion), editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                promotion = manage.promotion_update(actor=request.user, promotion=promotion, now=clock.now(),
                                                    **form.service_kwargs())
            except DomainError as error:
                form.show_domain_error(error)
            else:
                messages.success(request, _("Changes saved. Orders already placed keep the discount "
                                            "they were given."))
                return redirect(scope.url("edit", promotion.pk))
        else:
            _show_other_errors(form, scope, promotion)
        status = 422
    now = clock.now()
    return render(request, "coupons/manage_form.html", _context(
        scope, form=form, promotion=promotion, row=_row(scope, promotion, now),
        stats=manage.promotion_stats(promotion=promotion),
    ), status=status)


def _pause(request: HttpRequest, scope: Scope, pk: int) -> HttpResponse:
    promotion = _get(request, pk)
    action = request.POST.get("action", "")
    now = clock.now()
    if action not in ("pause", "resume"):
        if request.htmx:
            return HttpResponse(_("Choose pause or resume."), status=422)
        messages.error(request, _("Choose pause or resume."))
        return redirect(scope.url("list"))
    change = manage.promotion_pause if action == "pause" else manage.promotion_resume
    promotion = change(actor=request.user, promotion=promotion, now=now)
    if request.htmx:
        return render(request, "coupons/_manage_row.html", _context(scope, row=_row(scope, promotion, now)))
    text = _("“%(title)s” is paused.") if promotion.paused else _("“%(title)s” runs again.")
    messages.success(request, text % {"title": promotion.title})
    back_to_edit = request.POST.get("next") == "edit"
    return redirect(scope.url("edit", promotion.pk) if back_to_edit else scope.url("list"))


# --- seller center: /seller/coupons/ ---------------------------------------------------------------


@seller_required
@require_GET
def seller_list(request: HttpRequest, *, store: Store) -> HttpResponse:
    return _list(request, _seller_scope(store))


@seller_required
@require_http_methods(["GET", "POST"])
def seller_new(request: HttpRequest, *, store: Store) -> HttpResponse:
    return _new(request, _seller_scope(store))


@seller_required
@require_http_methods(["GET", "POST"])
def seller_edit(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    return _edit(request, _seller_scope(store), pk)


@seller_required
@require_POST
def seller_pause(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    return _pause(request, _seller_scope(store), pk)


# --- back office: /backoffice/coupons/ -------------------------------------------------------------


@staff_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    return _list(request, PLATFORM)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    return _new(request, PLATFORM)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, PLATFORM, pk)


@staff_required
@require_POST
def staff_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _pause(request, PLATFORM, pk)


# --- back office: /backoffice/sale-pages/ ----------------------------------------------------------


@staff_required
@require_GET
def sale_page_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    return render(request, "coupons/sale_page_list.html", {"pages": manage.sale_pages(), "now": now})


@staff_required
@require_http_methods(["GET", "POST"])
def sale_page_new(request: HttpRequest) -> HttpResponse:
    form = SalePageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                page = manage.sale_page_create(actor=request.user, now=clock.now(), **form.service_kwargs())
            except DomainError as error:
                form.show_domain_error(error)
            else:
                messages.success(request, _("Sale page “%(name)s” is saved.") % {"name": page.name})
                return redirect("backoffice_sale_pages:edit", page.pk)
        status = 422
    return render(request, "coupons/sale_page_form.html", {"form": form, "page": None}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def sale_page_edit(request: HttpRequest, pk: int) -> HttpResponse:
    page = SalePage.objects.filter(pk=pk).first()
    if page is None:
        raise Http404("No such sale page")
    form = SalePageForm(request.POST if request.method == "POST" else None,
                        initial=SalePageForm.initial_for(page))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                page = manage.sale_page_update(actor=request.user, sale_page=page, now=clock.now(),
                                               **form.service_kwargs())
            except DomainError as error:
                page.refresh_from_db()
                form.show_domain_error(error)
            else:
                messages.success(request, _("Sale page saved."))
                return redirect("backoffice_sale_pages:edit", page.pk)
        status = 422
    coupons = list(page.promotions.filter(archived=False).order_by("-created_at"))
    now = clock.now()
    return render(request, "coupons/sale_page_form.html", {
        "form": form, "page": page,
        "rows": _rows(PLATFORM, coupons, now),
    }, status=status)

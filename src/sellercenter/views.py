"""Seller center pages (CAT-1): the store, its products with variants and images, and
its shipping methods with delivery estimates.

Every page needs a signed-in person; every object is looked up inside that
person's own store, so another seller's object is a 404. Views parse the form,
call one catalog service and show its field errors on the form.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from catalog import services
from catalog.models import Product, Store
from core.errors import DomainError
from sellercenter import selectors
from sellercenter.forms import (
    EstimateForm,
    ImageAltForm,
    ImageUploadForm,
    ProductForm,
    ShippingMethodForm,
    StoreForm,
    VariantForm,
)

ROW = "ROW"  # “rest of the world” in URLs: the estimate with a blank country
PRODUCTS_PER_PAGE = 25


def seller_required(view):
    """Sign-in required, and a store: the view receives it as `store`."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        store = selectors.store_of(user=request.user)
        if store is None:
            messages.info(request, _("Open your store first; then you can add products."))
            return redirect("sellercenter:home")
        return view(request, *args, store=store, **kwargs)

    return wrapper


def _product_url(product: Product, anchor: str = "") -> str:
    url = reverse("sellercenter:product", kwargs={"pk": product.pk})
    return f"{url}#{anchor}" if anchor else url


# --- store ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard, or the form that opens a store for a person who has none."""
    store = selectors.store_of(user=request.user)
    if store is not None:
        return render(request, "sellercenter/dashboard.html", {
            "store": store, "health": selectors.store_health(store=store),
            "low_stock_threshold": selectors.LOW_STOCK_THRESHOLD,
            "recent_products": selectors.seller_products(store=store)[:5],
        })
    form = StoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = services.store_create(owner=request.user, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _(
                "Your store “%(name)s” is open. Add shipping methods, then your first "
                "product.") % {"name": store.name})
            return redirect("sellercenter:home")
    return render(request, "sellercenter/store_create.html", {"form": form})


@seller_required
@require_http_methods(["GET", "POST"])
def store_edit(request: HttpRequest, *, store: Store) -> HttpResponse:
    initial = {name: getattr(store, name) for name in StoreForm.base_fields}
    form = StoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.store_update(store=store, **form.service_kwargs())
        except DomainError as error:
            store.refresh_from_db()
            form.show_domain_error(error)
        else:
            messages.success(request, _("Store details saved."))
            return redirect("sellercenter:store_edit")
    return render(request, "sellercenter/store_edit.html", {"store": store, "form": form})


# --- products ---------------------------------------------------------------------------


@seller_required
def product_list(request: HttpRequest, *, store: Store) -> HttpResponse:
    show = request.GET.get("show", "all")
    active = {"listed": True, "unlisted": False}.get(show)
    q = request.GET.get("q", "").strip()[:100]
    products = selectors.seller_products(store=store, active=active, q=q)
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "sellercenter/product_list.html", {
        "store": store, "page": page, "show": show if active is not None else "all", "q": q,
    })


def _product_form(store: Store, data=None, initial=None) -> ProductForm:
    return ProductForm(data, initial=initial, store=store,
                       categories=selectors.category_choices())


@seller_required
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest, *, store: Store) -> HttpResponse:
    form = _product_form(store, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(store=store, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _("Product saved. Add its variants (price and stock) and "
                                      "pictures below; buyers see it once it has a variant."))
            return redirect(_product_url(product))
    return render(request, "sellercenter/product_new.html", {
        "store": store, "form": form, "has_methods": store.shipping_methods.exists(),
    })


def _variant_context(product: Product, *, bound_key=None, bound_form=None) -> dict:
    """Rows of the variants editor; the form at `bound_key` (a variant id or "new") is the
    one the seller just sent, with its errors."""
    rows = []
    for variant in product.variants.all():
        if bound_key == variant.pk:
            form = bound_form
        else:
            form = VariantForm(initial=VariantForm.initial_for(variant, product.currency),
                               currency=product.currency, prefix=f"v{variant.pk}")
        rows.append({"variant": variant, "form": form})
    new_form = bound_form if bound_key == "new" else VariantForm(currency=product.currency,
                                                                 prefix="new")
    return {"product": product, "variant_rows": rows, "new_variant_form": new_form}


def _product_page(request: HttpRequest, store: Store, product: Product, *, form=None,
                  upload_form=None, variants: dict | None = None, status: int = 200):
    images = [
        {"image": image, "form": ImageAltForm(initial={"alt_text": image.alt_text},
                                              prefix=f"img{image.pk}")}
        for image in product.images.all()
    ]
    context = {
        "store": store,
        "product": product,
        "form": form or _product_form(store, initial=ProductForm.initial_for(product)),
        "upload_form": upload_form or ImageUploadForm(),
        "image_rows": images,
        "has_methods": store.shipping_methods.exists(),
        **(variants or _variant_context(product)),
    }
    return render(request, "sellercenter/product_edit.html", context, status=status)


@seller_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    if request.method == "GET":
        return _product_page(request, store, product)
    form = _product_form(store, request.POST)
    if form.is_valid():
        try:
            services.product_update(product=product, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _("Product details saved."))
            return redirect(_product_url(product))
    product = selectors.seller_product(store=store, pk=pk)
    return _product_page(request, store, product, form=form)


@seller_required
@require_POST
def product_active(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    active = request.POST.get("active") == "1"
    services.product_set_active(product=product, active=active)
    messages.success(request, _("The product is listed again.") if active else
                     _("The product is unlisted: buyers no longer find it."))
    if request.POST.get("next") == "list":
        return redirect("sellercenter:products")
    return redirect(_product_url(product))


# --- variants (htmx row forms; plain posts work too) --------------------------------------


def _variants_response(request: HttpRequest, store: Store, pk: int, *, notice: str = "",
                       bound_key=None, bound_form=None) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    variants = _variant_context(product, bound_key=bound_key, bound_form=bound_form)
    failed = bound_form is not None
    if request.htmx:
        context = variants | {"store": store, "notice": notice}
        return render(request, "sellercenter/_variants.html", context)
    if not failed:
        messages.success(request, notice)
        return redirect(_product_url(product, "variants"))
    return _product_page(request, store, product, variants=variants)


@seller_required
@require_POST
def variant_add(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    form = VariantForm(request.POST, currency=product.currency, prefix="new")
    if form.is_valid():
        try:
            variant = services.variant_create(product=product, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            return _variants_response(request, store, pk,
                                      notice=_("Variant %(sku)s added.") % {"sku": variant.sku})
    return _variants_response(request, store, pk, bound_key="new", bound_form=form)


@seller_required
@require_POST
def variant_edit(request: HttpRequest, pk: int, variant_pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    variant = selectors.seller_variant(product=product, pk=variant_pk)
    form = VariantForm(request.POST, currency=product.currency, prefix=f"v{variant.pk}")
    if form.is_valid():
        try:
            services.variant_update(variant=variant, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            return _variants_response(request, store, pk,
                                      notice=_("Variant %(sku)s saved.") % {"sku": variant.sku})
    return _variants_response(request, store, pk, bound_key=variant.pk, bound_form=form)


@seller_required
@require_POST
def variant_delete(request: HttpRequest, pk: int, variant_pk: int, *,
                   store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    variant = selectors.seller_variant(product=product, pk=variant_pk)
    deleted = services.variant_delete(variant=variant)
    notice = (_("Variant %(sku)s removed.") if deleted else
              _("Variant %(sku)s is switched off: orders still refer to it.")) % {"sku": variant.sku}
    return _variants_response(request, store, pk, notice=notice)


# --- images -------------------------------------------------------------------------------


@seller_required
@require_POST
def image_upload(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    form = ImageUploadForm(request.POST, request.FILES)
    added = 0
    if form.is_valid():
        for upload in form.cleaned_data["images"]:
            try:
                services.product_image_add(product=product, upload=upload,
                                           alt_text=form.cleaned_data["alt_text"])
            except DomainError as error:
                if "alt_text" in error.fields:
                    form.add_error("alt_text", error.fields["alt_text"])
                    break  # the same description goes with every picture
                for message in [m for ms in error.fields.values() for m in ms] or [error.message]:
                    form.add_error("images", f"{upload.name}: {message}")
            else:
                added += 1
    if added:
        messages.success(request, ngettext("%(added)s picture added.", "%(added)s pictures added.", added) % {
            "added": added})
    if form.errors:
        product = selectors.seller_product(store=store, pk=pk)
        return _product_page(request, store, product, upload_form=form)
    return redirect(_product_url(product, "images"))


@seller_required
@require_POST
def image_edit(request: HttpRequest, pk: int, image_pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    image = selectors.seller_image(product=product, pk=image_pk)
    form = ImageAltForm(request.POST, prefix=f"img{image.pk}")
    if form.is_valid():
        try:
            services.product_image_update(image=image, alt_text=form.text("alt_text"))
        except DomainError as error:
            messages.error(request, " ".join(str(m) for ms in error.fields.values() for m in ms)
                           or str(error.message))
        else:
            messages.success(request, _("Picture description saved."))
    return redirect(_product_url(product, "images"))


@seller_required
@require_POST
def image_delete(request: HttpRequest, pk: int, image_pk: int, *, store: Store) -> HttpResponse:
    product = selectors.seller_product(store=store, pk=pk)
    image = selectors.seller_image(product=product, pk=image_pk)
    services.product_image_delete(image=image)
    messages.success(request, _("Picture removed."))
    return redirect(_product_url(product, "images"))


# --- shipping methods ------------------------------------------------------------------------


@seller_required
@require_http_methods(["GET", "POST"])
def shipping_list(request: HttpRequest, *, store: Store) -> HttpResponse:
    form = ShippingMethodForm(request.POST or None, store=store)
    if request.method == "POST" and form.is_valid():
        try:
            method = services.shipping_method_create(store=store, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _(
                "Shipping method “%(name)s” added. Now give its delivery times.") % {"name": method.name})
            return redirect("sellercenter:shipping_edit", pk=method.pk)
    return render(request, "sellercenter/shipping_list.html", {
        "store": store, "form": form,
        "methods": selectors.seller_shipping_methods(store=store),
    })


def _shipping_page(request, store, method, *, form=None, estimate_form=None):
    return render(request, "sellercenter/shipping_edit.html", {
        "store": store, "method": method, "row": ROW,
        "form": form or ShippingMethodForm(initial=ShippingMethodForm.initial_for(method),
                                           store=store),
        "estimate_form": estimate_form or EstimateForm(),
    })


@seller_required
@require_http_methods(["GET", "POST"])
def shipping_edit(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    method = selectors.seller_shipping_method(store=store, pk=pk)
    if request.method == "GET":
        return _shipping_page(request, store, method)
    form = ShippingMethodForm(request.POST, store=store)
    if form.is_valid():
        try:
            services.shipping_method_update(method=method, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _("Shipping method saved."))
            return redirect("sellercenter:shipping_edit", pk=method.pk)
    method = selectors.seller_shipping_method(store=store, pk=pk)
    return _shipping_page(request, store, method, form=form)


@seller_required
@require_POST
def shipping_delete(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    method = selectors.seller_shipping_method(store=store, pk=pk)
    try:
        services.shipping_method_delete(method=method)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sellercenter:shipping_edit", pk=method.pk)
    messages.success(request, _("Shipping method “%(name)s” removed.") % {"name": method.name})
    return redirect("sellercenter:shipping")


@seller_required
@require_POST
def estimate_set(request: HttpRequest, pk: int, *, store: Store) -> HttpResponse:
    method = selectors.seller_shipping_method(store=store, pk=pk)
    form = EstimateForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_estimate_set(method=method, **form.service_kwargs())
        except DomainError as error:
            form.show_domain_error(error)
        else:
            messages.success(request, _("Delivery time saved."))
            return redirect("sellercenter:shipping_edit", pk=method.pk)
    return _shipping_page(request, store, method, estimate_form=form)


@seller_required
@require_POST
def estimate_delete(request: HttpRequest, pk: int, country: str, *,
                    store: Store) -> HttpResponse:
    method = selectors.seller_shipping_method(store=store, pk=pk)
    code = "" if country.upper() == ROW else country.upper()
    if not services.delivery_estimate_delete(method=method, country=code):
        raise Http404("No such delivery time.")
    messages.success(request, _("Delivery time removed."))
    return redirect("sellercenter:shipping_edit", pk=method.pk)

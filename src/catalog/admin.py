"""Back office for the catalog (CAT-1).

Staff edits keep the derived product columns exact: saving a product or a
variant recomputes the product's summary (catalog.services.product_refresh_summary),
and every change bumps the catalog version so cached pages are rebuilt.
Images go through catalog.services so they are checked and get a thumbnail.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from catalog import services
from catalog.images import ACCEPT_ATTRIBUTE, MAX_IMAGES_PER_PRODUCT, image_prepare
from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)
from core.errors import DomainError
from core.money import Money, format_money


def _money(amount: int, currency: str) -> str:
    return format_money(Money(int(amount), currency), "en_US")


def _refresh_products(products) -> None:
    for product in products.select_related("store", "category"):
        services.product_refresh_summary(product=product)


class CatalogChangeAdmin(admin.ModelAdmin):
    """An admin whose every save or delete bumps the catalog version (cached pages rebuild)."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.catalog_changed()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.catalog_changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        services.catalog_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        services.catalog_changed()


# --- categories and stores ------------------------------------------------------


@admin.register(Category)
class CategoryAdmin(CatalogChangeAdmin):
    list_display = ["name", "slug", "parent", "position", "product_count"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    @admin.display(description="products")
    def product_count(self, obj: Category) -> int:
        return obj.products.count()

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            _refresh_products(obj.products.all())  # the name is part of the search text


class ShippingMethodInline(admin.TabularInline):
    model = ShippingMethod
    extra = 0
    fields = ["name", "carrier", "price_minor", "currency", "is_tracked"]
    show_change_link = True


@admin.register(Store)
class StoreAdmin(CatalogChangeAdmin):
    list_display = ["name", "owner", "ships_from", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "ships_from", "currency"]
    search_fields = ["name", "slug", "owner__email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
    inlines = [ShippingMethodInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            _refresh_products(obj.products.all())  # the store name is part of the search text


# --- shipping -------------------------------------------------------------------


class DeliveryEstimateInline(admin.TabularInline):
    model = DeliveryEstimate
    extra = 1
    fields = ["country", "min_days", "max_days"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(CatalogChangeAdmin):
    list_display = ["name", "store", "carrier", "price", "is_tracked"]
    list_filter = ["is_tracked", "currency"]
    search_fields = ["name", "carrier", "store__name"]
    autocomplete_fields = ["store"]
    list_select_related = ["store"]
    inlines = [DeliveryEstimateInline]

    @admin.display(description="price", ordering="price_minor")
    def price(self, obj: ShippingMethod) -> str:
        return _money(obj.price_minor, obj.currency)


@admin.register(DeliveryEstimate)
class DeliveryEstimateAdmin(CatalogChangeAdmin):
    list_display = ["method", "store", "country", "min_days", "max_days"]
    list_filter = ["country"]
    search_fields = ["method__name", "method__store__name", "country"]
    autocomplete_fields = ["method"]
    list_select_related = ["method__store"]

    @admin.display(description="store", ordering="method__store__name")
    def store(self, obj: DeliveryEstimate) -> Store:
        return obj.method.store


# --- products, variants, images -------------------------------------------------


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "options", "price_minor", "stock", "position", "is_active"]


class ProductImageInlineForm(forms.ModelForm):
    """New pictures are uploaded through `upload` and checked like a seller's (catalog.images)."""

    upload = forms.FileField(
        required=False, label="new picture",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        help_text="JPEG, PNG or WebP. Only for a new row.",
    )

    class Meta:
        model = ProductImage
        fields = ["alt_text", "position"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE"):
            return cleaned
        upload = cleaned.get("upload")
        if self.instance.pk is None:
            if upload is None:
                self.add_error("upload", "Choose a picture to upload.")
            else:
                try:
                    image_prepare(upload, field="upload")
                except DomainError as exc:
                    self.add_error("upload", exc.message)
        elif upload is not None:
            self.add_error("upload", "To replace a picture, delete this row and add a new one.")
        return cleaned


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageInlineForm
    extra = 0
    max_num = MAX_IMAGES_PER_PRODUCT
    fields = ["preview", "upload", "alt_text", "position"]
    readonly_fields = ["preview"]

    @admin.display(description="picture")
    def preview(self, obj: ProductImage) -> str:
        if not obj.pk or not obj.image:
            return "—"
        source = obj.thumbnail or obj.image
        return format_html('<img src="{}" alt="{}" width="80">', source.url, obj.alt_text)


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["store", "category", "title", "slug", "description", "is_active", "currency",
                  "processing_days", "shipping_methods", "free_return", "warranty",
                  "domestic_delivery", "warehouse_country"]

    def clean(self):
        cleaned = super().clean()
        store = cleaned.get("store")
        methods = cleaned.get("shipping_methods") or []
        foreign = [m.name for m in methods if store is not None and m.store_id != store.pk]
        if foreign:
            self.add_error("shipping_methods",
                           f"These methods belong to another store: {', '.join(foreign)}.")
        if cleaned.get("domestic_delivery") and not cleaned.get("warehouse_country"):
            self.add_error("warehouse_country", "Domestic delivery needs the warehouse's country.")
        return cleaned


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["title", "store", "category", "price", "total_stock", "is_active",
                    "free_return", "warranty", "domestic_delivery", "created_at"]
    list_filter = ["is_active", "free_return", "warranty", "domestic_delivery", "currency",
                   ("category", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "slug", "store__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["store", "category", "shipping_methods"]
    list_select_related = ["store", "category"]
    date_hierarchy = "created_at"
    readonly_fields = ["price", "min_price_minor", "price_usd_minor", "total_stock",
                       "search_text", "created_at", "updated_at"]
    fieldsets = (
        (None, {"fields": ("store", "category", "title", "slug", "description", "is_active")}),
        ("Selling", {"fields": ("currency", "processing_days", "shipping_methods",
                                "free_return", "warranty", "domestic_delivery",
                                "warehouse_country")}),
        ("Derived from the variants (read only)", {
            "fields": ("price", "min_price_minor", "price_usd_minor", "total_stock", "search_text"),
        }),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [VariantInline, ProductImageInline]
    actions = ["activate", "deactivate"]

    @admin.display(description="lowest price", ordering="price_usd_minor")
    def price(self, obj: Product) -> str:
        return _money(obj.min_price_minor, obj.currency)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is ProductImage:
            self._save_images(form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _save_images(product: Product, formset) -> None:
        """Add, update and remove pictures through the catalog services."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for image_form in formset.forms:
            image = image_form.instance
            if formset.can_delete and formset._should_delete_form(image_form):
                if image.pk:
                    services.product_image_delete(image=image)
                    formset.deleted_objects.append(image)
                continue
            if image.pk is None:
                upload = image_form.cleaned_data.get("upload")
                if upload is None:
                    continue
                added = services.product_image_add(
                    product=product, upload=upload,
                    alt_text=image_form.cleaned_data.get("alt_text", ""),
                )
                formset.new_objects.append(added)
            elif image_form.has_changed():
                changed = [f for f in image_form.changed_data if f in ("alt_text", "position")]
                if "alt_text" in changed:
                    services.product_image_update(image=image,
                                                  alt_text=image_form.cleaned_data["alt_text"])
                if "position" in changed:
                    ProductImage.objects.filter(pk=image.pk).update(
                        position=image_form.cleaned_data["position"])
                    services.catalog_changed()
                if changed:
                    formset.changed_objects.append((image, changed))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Variants may have changed: recompute the lowest price, stock and search text.
        services.product_refresh_summary(product=form.instance)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        services.catalog_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        services.catalog_changed()

    @admin.action(description="Put the selected products on sale")
    def activate(self, request, queryset) -> None:
        for product in queryset:
            services.product_set_active(product=product, active=True)
        self.message_user(request, "The products are on sale.", messages.SUCCESS)

    @admin.action(description="Take the selected products off sale")
    def deactivate(self, request, queryset) -> None:
        for product in queryset:
            services.product_set_active(product=product, active=False)
        self.message_user(request, "The products are off sale.", messages.SUCCESS)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "label", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku", "product__title"]
    autocomplete_fields = ["product"]
    list_select_related = ["product"]

    @admin.display(description="price", ordering="price_minor")
    def price(self, obj: Variant) -> str:
        return _money(obj.price_minor, obj.product.currency)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.product_refresh_summary(product=obj.product)

    def delete_model(self, request, obj) -> None:
        product = obj.product
        super().delete_model(request, obj)
        services.product_refresh_summary(product=product)

    def delete_queryset(self, request, queryset) -> None:
        product_ids = set(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        _refresh_products(Product.objects.filter(pk__in=product_ids))


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    """Pictures are added on the product's page (where they are checked); here they are listed."""

    list_display = ["__str__", "product", "position", "width", "height", "alt_text"]
    search_fields = ["product__title", "alt_text"]
    list_select_related = ["product"]
    fields = ["product", "image", "thumbnail", "width", "height", "alt_text", "position"]
    readonly_fields = ["product", "image", "thumbnail", "width", "height"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.catalog_changed()

    def delete_model(self, request, obj) -> None:
        services.product_image_delete(image=obj)

    def delete_queryset(self, request, queryset) -> None:
        for image in queryset:
            services.product_image_delete(image=image)

"""factory-boy factories for the whole project. Tests build data through these."""

import factory
from django.utils.text import slugify

from accounts.models import Address, User
from catalog.models import (
    Category,
    DeliveryEstimate,
    Product,
    ProductImage,
    ShippingMethod,
    Store,
    Variant,
)
from catalog.services import product_refresh_summary

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Mai"
    last_name = "Vang"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            # ACC-1: email verification is mandatory; factory people have confirmed their address.
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=obj, email=obj.email, defaults={"primary": True, "verified": True})


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    first_name = "Mai"
    last_name = "Vang"
    line1 = "1 University Ave W"
    city = "Saint Paul"
    region = "MN"
    postal_code = "55103"
    country = "US"
    phone = "+1 651 555 0100"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    ships_from = "TH"
    currency = "USD"


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Standard {n}")
    carrier = "Thailand Post"
    price_minor = 500
    currency = "USD"


class DeliveryEstimateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryEstimate

    method = factory.SubFactory(ShippingMethodFactory)
    country = ""
    min_days = 10
    max_days = 20


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"Story cloth {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    description = "Hand-stitched by a Hmong artisan."
    currency = "USD"

    @factory.post_generation
    def variants(obj, create, extracted, **kwargs):
        """Pass variants=[{"price_minor":..., "stock":..., "options": {...}}]; default: one variant."""
        if not create:
            return
        specs = extracted if extracted is not None else [{"price_minor": 2500, "stock": 5}]
        for i, spec in enumerate(specs):
            Variant.objects.create(
                product=obj,
                sku=spec.get("sku", f"SKU-{obj.pk}-{i}"),
                options=spec.get("options", {}),
                price_minor=spec["price_minor"],
                stock=spec.get("stock", 5),
                position=i,
            )
        product_refresh_summary(product=obj)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory, variants=[])
    sku = factory.Sequence(lambda n: f"V-{n}")
    options = factory.LazyFunction(lambda: {"Colour": "Indigo"})
    price_minor = 3000
    stock = 3


class ProductImageFactory(factory.django.DjangoModelFactory):
    """A small generated picture (no thumbnail unless given)."""

    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=240, height=240, color="navy")
    alt_text = ""
    position = factory.Sequence(lambda n: n)

"""The back office: every registered model's pages render for a superuser, and staff edits
keep derived data exact (catalog summary, address book rules)."""

import datetime as dt
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import Address, ApiToken, User
from cart.models import CartLine
from catalog.models import Product, ProductImage, Variant
from core.models import Holiday
from tests.factories import (
    AddressFactory,
    DeliveryEstimateFactory,
    ProductFactory,
    ProductImageFactory,
    UserFactory,
)
from wishlist.models import WishItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return User.objects.create_superuser(email="staff@example.com", password="x-staff-pass-1")


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def one_of_each(superuser):
    """At least one row of every model we register, so change pages are exercised too."""
    buyer = UserFactory()
    AddressFactory(user=buyer, is_default=True)
    ApiToken.issue(buyer)
    estimate = DeliveryEstimateFactory()
    product = ProductFactory(store=estimate.method.store)
    product.shipping_methods.add(estimate.method)
    ProductImageFactory(product=product)
    variant = product.variants.first()
    WishItem.objects.create(user=buyer, product=product, price_when_added_minor=2500)
    CartLine.objects.create(user=buyer, variant=variant, quantity=2, price_seen_minor=2500)
    Holiday.objects.create(date=dt.date(2026, 12, 25), name="Christmas Day")
    _an_order(buyer, product)
    return product


def _an_order(buyer, product):
    """An order with a line and a timeline entry, as the order services would leave it."""
    from orders.models import Order, OrderEvent, OrderLine

    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    address = buyer.addresses.first()
    variant = product.variants.first()
    order = Order.objects.create(
        number="A00000001", buyer=buyer, store=product.store, currency="USD",
        items_total_minor=variant.price_minor, total_minor=variant.price_minor,
        ship_first_name=address.first_name, ship_last_name=address.last_name,
        ship_line1=address.line1, ship_city=address.city, ship_postal_code=address.postal_code,
        ship_country=address.country, ship_phone=address.phone,
        processing_days=7, placed_at=now,
    )
    OrderLine.objects.create(order=order, variant=variant, product_title=product.title,
                             unit_price_minor=variant.price_minor, quantity=1, processing_days=7)
    OrderEvent.objects.create(order=order, at=now, actor="system", kind="placed",
                              to_state=order.state, reason="test")
    return order


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_registered_model_has_working_pages(staff_client, one_of_each):
    assert site._registry, "nothing registered"
    for model, model_admin in site._registry.items():
        label = f"{model._meta.app_label}.{model.__name__}"
        changelist = staff_client.get(_url(model, "changelist"))
        assert changelist.status_code == 200, f"{label} changelist: {changelist.status_code}"
        add = staff_client.get(_url(model, "add"))
        expected = 200 if model_admin.has_add_permission(changelist.wsgi_request) else 403
        assert add.status_code == expected, f"{label} add: {add.status_code}"
        obj = model._default_manager.first()
        if obj is not None:
            change = staff_client.get(_url(model, "change", obj.pk))
            assert change.status_code == 200, f"{label} change: {change.status_code}"


def test_every_model_of_every_project_app_is_in_the_admin():
    """Each app under src/ registers all its models (read-only ones where services own the rows)."""
    from pathlib import Path

    from django.apps import apps
    from django.conf import settings

    src = Path(settings.BASE_DIR) / "src"
    # Kept out on purpose: chats are private; staff read one only through a dispute (MSG-1).
    private = {"messaging.Conversation", "messaging.Message", "messaging.MessageAttachment"}
    missing = [
        f"{config.label}.{model.__name__}"
        for config in apps.get_app_configs() if Path(config.path).parent == src
        for model in config.get_models()
        if model not in site._registry and f"{config.label}.{model.__name__}" not in private
    ]
    assert not missing, f"not in the admin: {missing}"


def test_msg1_private_chats_are_not_in_the_admin():
    from messaging.models import Conversation, Message, MessageAttachment

    assert not {Conversation, Message, MessageAttachment} & set(site._registry)


def test_system_written_rows_are_read_only(staff_client, one_of_each):
    from orders.models import Order

    order = Order.objects.get()
    page = staff_client.get(_url(Order, "change", order.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A00000001" in html and "placed" in html  # the timeline is shown inline
    assert 'name="state"' not in html
    assert staff_client.post(_url(Order, "delete", order.pk), {"post": "yes"}).status_code == 403


def test_changelist_search_and_filters_work(staff_client, one_of_each):
    for model, model_admin in site._registry.items():
        if model_admin.search_fields:
            response = staff_client.get(_url(model, "changelist"), {"q": "a"})
            assert response.status_code == 200, model


def test_user_admin_creates_an_email_only_user(staff_client):
    response = staff_client.post(_url(User, "add"), {
        "email": "New.Person@Example.com",
        "usable_password": "true",
        "password1": "Paj ntaub 2024 story",
        "password2": "Paj ntaub 2024 story",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = User.objects.get(email__iexact="new.person@example.com")
    assert user.email == "new.person@example.com"
    assert user.check_password("Paj ntaub 2024 story")
    again = staff_client.post(_url(User, "add"), {
        "email": "NEW.person@example.com", "usable_password": "false",
    })
    assert again.status_code == 200
    assert "already exists" in again.content.decode()


def test_user_admin_search_by_email(staff_client):
    UserFactory(email="findme@example.com")
    response = staff_client.get(_url(User, "changelist"), {"q": "findme"})
    assert b"findme@example.com" in response.content


def test_api_tokens_cannot_be_made_in_the_admin_and_show_no_key(staff_client):
    buyer = UserFactory()
    token, key = ApiToken.issue(buyer)
    assert staff_client.get(_url(ApiToken, "add")).status_code == 403
    page = staff_client.get(_url(ApiToken, "change", token.pk)).content.decode()
    assert key not in page
    assert 'name="key_hash"' not in page  # shown read-only, never editable


def _form_data(html: str, form_id: str) -> dict:
    """Every value a browser would submit from the admin form (inputs, selects, textareas)."""

    class Collector(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self.inside, self.select, self.textarea = {}, False, None, None
            self.first_option = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form" and a.get("id") == form_id:
                self.inside = True
            if not self.inside:
                return
            name = a.get("name")
            if tag == "input" and name and a.get("type") not in ("submit", "file", "button"):
                if a.get("type") in ("checkbox", "radio"):
                    if "checked" in a:
                        self.data[name] = a.get("value", "on")
                else:
                    self.data[name] = a.get("value", "")
            elif tag == "select" and name:
                # A browser sends nothing for an empty multiple select, else the chosen option
                # or the first one.
                self.select = None if "multiple" in a else name
                self.first_option = True
            elif tag == "option" and self.select:
                if "selected" in a or self.first_option:
                    self.data[self.select] = a.get("value", "")
                self.first_option = False
            elif tag == "textarea" and name:
                self.textarea = name
                self.data[name] = ""

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data.lstrip("\n")

    collector = Collector()
    collector.feed(html)
    return collector.data


def test_editing_a_variant_inline_refreshes_the_product_summary(staff_client):
    product = ProductFactory(variants=[{"price_minor": 2500, "stock": 5}])
    assert product.min_price_minor == 2500 and product.total_stock == 5
    url = _url(Product, "change", product.pk)
    data = _form_data(staff_client.get(url).content.decode(), "product_form")
    data["variants-0-price_minor"] = "1800"
    data["variants-0-stock"] = "9"
    data["_save"] = "Save"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    product.refresh_from_db()
    assert product.min_price_minor == 1800
    assert product.total_stock == 9
    assert product.price_usd_minor == 1800


def test_derived_product_columns_are_read_only(staff_client):
    product = ProductFactory()
    html = staff_client.get(_url(Product, "change", product.pk)).content.decode()
    for name in ("min_price_minor", "price_usd_minor", "total_stock"):
        assert f'name="{name}"' not in html
    assert "$25.00" in html


def test_editing_a_variant_on_its_own_page_refreshes_the_product(staff_client):
    product = ProductFactory(variants=[{"price_minor": 2500, "stock": 5}])
    variant = product.variants.get()
    url = _url(Variant, "change", variant.pk)
    data = _form_data(staff_client.get(url).content.decode(), "variant_form")
    data.update({"price_minor": "4000", "stock": "0", "_save": "Save"})
    assert staff_client.post(url, data).status_code == 302
    product.refresh_from_db()
    assert product.min_price_minor == 4000 and product.total_stock == 0


def test_deleting_a_variant_refreshes_the_product(staff_client):
    product = ProductFactory(variants=[{"price_minor": 2500, "stock": 5},
                                       {"price_minor": 1500, "stock": 2}])
    cheap = product.variants.get(price_minor=1500)
    response = staff_client.post(_url(Variant, "delete", cheap.pk), {"post": "yes"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.min_price_minor == 2500 and product.total_stock == 5


def _png(size=(300, 300)) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile("cloth.png", buffer.getvalue(), content_type="image/png")


def test_admin_image_upload_is_checked_and_gets_a_thumbnail(staff_client):
    product = ProductFactory()
    url = _url(Product, "change", product.pk)
    data = _form_data(staff_client.get(url).content.decode(), "product_form")
    data.update({
        "images-TOTAL_FORMS": "1", "images-0-upload": _png(), "images-0-alt_text": "Blue cloth",
        "images-0-position": "0", "images-0-product": str(product.pk), "_save": "Save",
    })
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    image = ProductImage.objects.get(product=product)
    assert image.thumbnail and image.alt_text == "Blue cloth"


def test_admin_refuses_a_file_that_is_not_a_picture(staff_client):
    product = ProductFactory()
    url = _url(Product, "change", product.pk)
    data = _form_data(staff_client.get(url).content.decode(), "product_form")
    data.update({
        "images-TOTAL_FORMS": "1",
        "images-0-upload": SimpleUploadedFile("x.png", b"not a picture", content_type="image/png"),
        "images-0-position": "0", "images-0-product": str(product.pk), "_save": "Save",
    })
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "not a picture" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


def test_acc7_admin_address_uses_the_same_checks(staff_client):
    buyer = UserFactory()
    response = staff_client.post(_url(Address, "add"), {
        "user": buyer.pk, "first_name": "Mai", "last_name": " ", "line1": "1 Main St",
        "city": "Fresno", "postal_code": "93721", "country": "US", "phone": "+1 559 555 0100",
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["last_name"]
    response = staff_client.post(_url(Address, "add"), {
        "user": buyer.pk, "first_name": "Mai", "last_name": "Vang", "line1": "1 Main St",
        "city": "Fresno", "postal_code": "9372", "country": "US", "phone": "call me",
    })
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "postal_code" in errors and "phone" in errors  # accounts.services.address_clean
    assert not Address.objects.exists()
    response = staff_client.post(_url(Address, "add"), {
        "user": buyer.pk, "first_name": "Mai", "last_name": "Vang", "line1": "1 Main St",
        "city": "Fresno", "postal_code": "93721", "country": "US", "phone": "+1 559 555 0100",
    })
    assert response.status_code == 302
    assert Address.objects.get(user=buyer).is_default  # the first address is the default


def test_acc7_admin_delete_of_the_default_promotes_another(staff_client):
    buyer = UserFactory()
    default = AddressFactory(user=buyer, is_default=True)
    other = AddressFactory(user=buyer)
    staff_client.post(_url(Address, "delete", default.pk), {"post": "yes"})
    other.refresh_from_db()
    assert other.is_default


def test_acc7_admin_make_default_action(staff_client):
    buyer = UserFactory()
    default = AddressFactory(user=buyer, is_default=True)
    other = AddressFactory(user=buyer)
    staff_client.post(_url(Address, "changelist"), {
        "action": "make_default", admin.helpers.ACTION_CHECKBOX_NAME: [other.pk]})
    default.refresh_from_db()
    other.refresh_from_db()
    assert other.is_default and not default.is_default


def test_non_staff_cannot_open_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(_url(Product, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_index_and_autocomplete(staff_client, one_of_each):
    assert staff_client.get(reverse("admin:index")).status_code == 200
    for app_label, model_name, field in (
        ("catalog", "product", "store"), ("catalog", "product", "category"),
        ("cart", "cartline", "variant"), ("wishlist", "wishitem", "user"),
        ("accounts", "address", "user"),
    ):
        response = staff_client.get(reverse("admin:autocomplete"), {
            "app_label": app_label, "model_name": model_name, "field_name": field, "term": "a"})
        assert response.status_code == 200, (app_label, model_name, field)


def test_order_list_shows_money_not_minor_units(staff_client, one_of_each):
    from orders.models import Order

    html = staff_client.get(_url(Order, "changelist")).content.decode()
    assert "A00000001" in html and "$25.00" in html

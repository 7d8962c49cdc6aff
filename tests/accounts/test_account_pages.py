"""Account pages under /account/: profile and address book (ACC-7). Sign-in required."""

import re

import pytest
from django.urls import reverse

from accounts.models import Address
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Mai",
    "last_name": "Vang",
    "line1": "1 University Ave W",
    "line2": "",
    "city": "Saint Paul",
    "region": "MN",
    "postal_code": "55103",
    "country": "US",
    "phone": "+1 651 555 0100",
}


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _labels_every_input(html: str) -> None:
    form = html[html.index("<main"):]
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*id="([^"]+)"', form)
    assert ids
    for field_id in ids:
        assert f'for="{field_id}"' in form, f"input {field_id} has no label"


@pytest.mark.parametrize("name,args", [
    ("accounts:profile", []), ("accounts:addresses", []), ("accounts:address_edit", [1]),
])
def test_account_pages_need_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["accounts:address_delete", "accounts:address_default"])
def test_account_actions_need_sign_in(client, name):
    address = AddressFactory()
    response = client.post(reverse(name, args=[address.pk]))
    assert response.status_code == 302
    assert Address.objects.filter(pk=address.pk).exists()


def test_acc7_address_page_lists_the_book_and_labels_the_form(signed_in, user):
    AddressFactory(user=user, is_default=True, city="Fresno")
    AddressFactory(city="Elsewhere")  # someone else's
    response = signed_in.get(reverse("accounts:addresses"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fresno" in html and "Elsewhere" not in html
    assert "Default" in html
    _labels_every_input(html)


def test_acc7_add_an_address(signed_in, user):
    response = signed_in.post(reverse("accounts:addresses"), FORM)
    assert response.status_code == 302
    address = Address.objects.get(user=user)
    assert address.is_default and address.full_name == "Mai Vang"


def test_acc7_incomplete_name_is_refused_with_a_field_message(signed_in, user):
    response = signed_in.post(reverse("accounts:addresses"), {**FORM, "last_name": "   "})
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["last_name"] == ["Last name is required."]
    html = response.content.decode()
    assert 'id="id_last_name_error"' in html and 'aria-invalid="true"' in html
    assert not Address.objects.filter(user=user).exists()


@pytest.mark.parametrize("changes,field", [
    ({"country": "XX"}, "country"),
    ({"postal_code": ""}, "postal_code"),
    ({"postal_code": "1234"}, "postal_code"),
    ({"phone": "12"}, "phone"),
    ({"first_name": "a" * 81}, "first_name"),
    ({"city": ""}, "city"),
])
def test_acc7_bad_fields_come_back_on_the_field(signed_in, changes, field):
    response = signed_in.post(reverse("accounts:addresses"), {**FORM, **changes})
    assert response.status_code == 422
    assert field in response.context["form"].errors


def test_acc7_missing_fields_in_the_post_are_reported_not_crashing(signed_in):
    response = signed_in.post(reverse("accounts:addresses"), {})
    assert response.status_code == 422
    assert {"first_name", "last_name", "line1", "city", "country", "phone"} <= set(
        response.context["form"].errors)


def test_acc7_edit_an_address(signed_in, user):
    address = AddressFactory(user=user, is_default=True)
    page = signed_in.get(reverse("accounts:address_edit", args=[address.pk]))
    assert page.status_code == 200
    assert 'value="Saint Paul"' in page.content.decode()
    _labels_every_input(page.content.decode())
    response = signed_in.post(reverse("accounts:address_edit", args=[address.pk]),
                              {**FORM, "city": "Minneapolis", "postal_code": "55401"})
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.city == "Minneapolis"


def test_acc7_edit_with_bad_input_keeps_the_address(signed_in, user):
    address = AddressFactory(user=user, is_default=True)
    response = signed_in.post(reverse("accounts:address_edit", args=[address.pk]),
                              {**FORM, "first_name": ""})
    assert response.status_code == 422
    address.refresh_from_db()
    assert address.first_name == "Mai"


def test_acc7_edit_can_make_an_address_the_default(signed_in, user):
    first = AddressFactory(user=user, is_default=True)
    second = AddressFactory(user=user)
    signed_in.post(reverse("accounts:address_edit", args=[second.pk]), {**FORM, "make_default": "on"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default


@pytest.mark.parametrize("name", ["accounts:address_edit", "accounts:address_delete",
                                  "accounts:address_default"])
def test_acc7_someone_elses_address_is_404(signed_in, name):
    other = AddressFactory(is_default=True)
    response = signed_in.post(reverse(name, args=[other.pk]), FORM)
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.city == "Saint Paul"
    if name == "accounts:address_edit":
        assert signed_in.get(reverse(name, args=[other.pk])).status_code == 404


def test_acc7_delete_and_default_only_accept_post(signed_in, user):
    address = AddressFactory(user=user, is_default=True)
    for name in ("accounts:address_delete", "accounts:address_default"):
        assert signed_in.get(reverse(name, args=[address.pk])).status_code == 405
    assert Address.objects.filter(pk=address.pk).exists()


def test_acc7_delete_default_promotes_newest_via_the_page(signed_in, user):
    default = AddressFactory(user=user, is_default=True)
    newer = AddressFactory(user=user)
    response = signed_in.post(reverse("accounts:address_delete", args=[default.pk]))
    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.is_default


def test_acc7_htmx_delete_returns_the_refreshed_list(signed_in, user):
    default = AddressFactory(user=user, is_default=True, city="Fresno")
    AddressFactory(user=user, city="Merced")
    response = signed_in.post(reverse("accounts:address_delete", args=[default.pk]),
                              HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="address-list"' in html and "<html" not in html
    assert "Merced" in html and "Fresno" not in html


def test_acc7_htmx_make_default(signed_in, user):
    AddressFactory(user=user, is_default=True, city="Fresno")
    other = AddressFactory(user=user, city="Merced")
    response = signed_in.post(reverse("accounts:address_default", args=[other.pk]),
                              HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.is_default
    assert "now your default" in response.content.decode()


def test_profile_page_updates_name_and_newsletter(signed_in, user):
    page = signed_in.get(reverse("accounts:profile"))
    assert page.status_code == 200
    _labels_every_input(page.content.decode())
    response = signed_in.post(reverse("accounts:profile"), {
        "first_name": " Pa ", "last_name": "Xiong", "newsletter_opt_in": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.newsletter_opt_in) == ("Pa", "Xiong", True)
    signed_in.post(reverse("accounts:profile"), {"first_name": "Pa", "last_name": "Xiong"})
    user.refresh_from_db()
    assert user.newsletter_opt_in is False


def test_profile_name_too_long_is_a_field_error(signed_in, user):
    response = signed_in.post(reverse("accounts:profile"), {"first_name": "a" * 151})
    assert response.status_code == 422
    assert "first_name" in response.context["form"].errors

"""The address book services (ACC-7): one set of checks, exactly one default address."""

import pytest

from accounts import services
from accounts.models import Address
from core.errors import DomainError, NotFound
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "first_name": "Mai",
    "last_name": "Vang",
    "line1": "1 University Ave W",
    "city": "Saint Paul",
    "region": "MN",
    "postal_code": "55103",
    "country": "US",
    "phone": "+1 (651) 555-0100",
}


def _errors(**changes) -> dict:
    with pytest.raises(DomainError) as caught:
        services.address_clean({**VALID, **changes})
    assert caught.value.status == 422
    assert caught.value.code == "validation_error"
    return caught.value.fields


def test_acc7_valid_address_is_tidied():
    cleaned = services.address_clean({**VALID, "first_name": "  Mai ", "country": "us",
                                      "postal_code": " 55103-1234 "})
    assert cleaned["first_name"] == "Mai"
    assert cleaned["country"] == "US"
    assert cleaned["postal_code"] == "55103-1234"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("value", ["", "   ", "\t\n", None])
def test_acc7_first_and_last_name_are_required(field, value):
    fields = _errors(**{field: value})
    assert list(fields) == [field]
    assert "required" in fields[field][0]


@pytest.mark.parametrize("field", ["line1", "city", "country", "phone"])
def test_acc7_other_required_fields(field):
    assert field in _errors(**{field: ""})


@pytest.mark.parametrize("field,limit", [
    ("first_name", 80), ("last_name", 80), ("line1", 200), ("line2", 200), ("city", 100),
    ("region", 100),
])
def test_acc7_lengths_stay_within_the_model(field, limit):
    services.address_clean({**VALID, field: "a" * limit})
    fields = _errors(**{field: "a" * (limit + 1)})
    assert "too long" in fields[field][0] and str(limit) in fields[field][0]


def test_acc7_control_characters_are_refused():
    assert "line1" in _errors(line1="1 Main\x00 St")


def test_acc7_wrong_type_is_a_field_error():
    assert "city" in _errors(city=12)


@pytest.mark.parametrize("country", ["XX", "USA", "ZZ", "EU", "1"])
def test_acc7_unknown_country_is_refused(country):
    assert "country" in _errors(country=country)


@pytest.mark.parametrize("country", ["US", "GB", "FR", "DE", "RU", "BR", "MX", "PL", "TR", "UA"])
def test_acc7_postal_code_required_where_the_post_needs_one(country):
    fields = _errors(country=country, postal_code="")
    assert fields["postal_code"] == ["A postal code is required for this country."]


def test_acc7_postal_code_optional_where_there_is_none():
    services.address_clean({**VALID, "country": "HK", "postal_code": ""})


@pytest.mark.parametrize("code", ["55103", "55103-1234", "551031234"])
def test_acc7_us_zip_codes_of_5_or_9_digits(code):
    services.address_clean({**VALID, "postal_code": code})


@pytest.mark.parametrize("code", ["5510", "551034", "5510312345", "ABCDE", "55103-12"])
def test_acc7_us_zip_code_of_the_wrong_shape_is_refused(code):
    fields = _errors(postal_code=code)
    assert "55103" in fields["postal_code"][0]  # the message shows the expected shape


@pytest.mark.parametrize("country,code", [
    ("GB", "sw1a 1aa"), ("FR", "75001"), ("DE", "10115"), ("BR", "01310-100"), ("PL", "00-950"),
    ("RU", "101000"), ("CA", "K1A 0B1"),
])
def test_acc7_other_known_postal_formats(country, code):
    services.address_clean({**VALID, "country": country, "postal_code": code})


def test_acc7_postal_code_too_long():
    assert "postal_code" in _errors(country="HK", postal_code="1" * 21)


@pytest.mark.parametrize("phone", ["123456", "+44 20 7946 0958", "(651) 555-0100",
                                   "+1-651-555-0100", "1" * 20])
def test_acc7_phone_numbers_accepted(phone):
    services.address_clean({**VALID, "phone": phone})


@pytest.mark.parametrize("phone", ["12345", "1" * 21, "651 555 CALL", "651+5550100", "+", "++1 651",
                                   "651.555.0100"])
def test_acc7_phone_numbers_refused(phone):
    assert "phone" in _errors(phone=phone)


def test_acc7_every_wrong_field_is_reported_at_once():
    fields = _errors(first_name="", last_name="", country="XX", phone="1")
    assert {"first_name", "last_name", "country", "phone"} <= set(fields)


def test_acc7_first_address_becomes_the_default():
    user = UserFactory()
    first = services.address_create(user=user, **VALID)
    second = services.address_create(user=user, **{**VALID, "city": "Fresno", "region": "CA",
                                                     "postal_code": "93721"})
    assert first.is_default is True
    assert second.is_default is False


def test_acc7_new_address_made_default_replaces_the_old_default():
    user = UserFactory()
    first = services.address_create(user=user, **VALID)
    second = services.address_create(user=user, make_default=True, **VALID)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_acc7_set_default_keeps_exactly_one():
    user = UserFactory()
    a = services.address_create(user=user, **VALID)
    b = services.address_create(user=user, **VALID)
    services.address_set_default(user=user, address_id=b.pk)
    assert list(Address.objects.filter(user=user, is_default=True)) == [b]
    services.address_set_default(user=user, address_id=b.pk)  # again: no change, no error
    services.address_set_default(user=user, address_id=a.pk)
    assert list(Address.objects.filter(user=user, is_default=True)) == [a]


def test_acc7_deleting_the_default_promotes_the_newest():
    user = UserFactory()
    default = services.address_create(user=user, **VALID)
    older = services.address_create(user=user, **{**VALID, "city": "Older"})
    newest = services.address_create(user=user, **{**VALID, "city": "Newest"})
    services.address_delete(user=user, address_id=default.pk)
    newest.refresh_from_db()
    older.refresh_from_db()
    assert newest.is_default and not older.is_default


def test_acc7_deleting_another_address_keeps_the_default():
    user = UserFactory()
    default = services.address_create(user=user, **VALID)
    other = services.address_create(user=user, **VALID)
    services.address_delete(user=user, address_id=other.pk)
    default.refresh_from_db()
    assert default.is_default


def test_acc7_deleting_the_last_address_leaves_an_empty_book():
    user = UserFactory()
    only = services.address_create(user=user, **VALID)
    services.address_delete(user=user, address_id=only.pk)
    assert not Address.objects.filter(user=user).exists()


def test_acc7_update_rechecks_the_whole_address():
    user = UserFactory()
    address = services.address_create(user=user, **VALID)
    updated = services.address_update(user=user, address_id=address.pk,
                                      changes={"city": " Minneapolis ", "postal_code": "55401"})
    assert updated.city == "Minneapolis"
    with pytest.raises(DomainError) as caught:
        services.address_update(user=user, address_id=address.pk, changes={"country": "GB"})
    assert "postal_code" in caught.value.fields  # 55401 is not a British postcode
    with pytest.raises(DomainError) as caught:
        services.address_update(user=user, address_id=address.pk, changes={"last_name": " "})
    assert "last_name" in caught.value.fields
    with pytest.raises(DomainError) as caught:
        services.address_update(user=user, address_id=address.pk, changes={"is_default": True})
    assert "is_default" in caught.value.fields
    address.refresh_from_db()
    assert address.country == "US" and address.last_name == "Vang"


@pytest.mark.parametrize("action", ["update", "delete", "default"])
def test_acc7_someone_elses_address_is_not_found(action):
    owner, stranger = UserFactory(), UserFactory()
    address = AddressFactory(user=owner, is_default=True)
    with pytest.raises(NotFound):
        if action == "update":
            services.address_update(user=stranger, address_id=address.pk, changes={"city": "X"})
        elif action == "delete":
            services.address_delete(user=stranger, address_id=address.pk)
        else:
            services.address_set_default(user=stranger, address_id=address.pk)
    address.refresh_from_db()
    assert address.city == "Saint Paul"


@pytest.mark.parametrize("bad_id", [None, "abc", 10**30, -1])
def test_acc7_odd_ids_are_simply_not_found(bad_id):
    with pytest.raises(NotFound):
        services.address_delete(user=UserFactory(), address_id=bad_id)

"""Fixtures for the card verification appeal tests (PAY-3)."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from orders.services import checkout_pay
from payments.providers.simulated import TEST_CARDS, card_tokenise
from tests.factories import AddressFactory, UserFactory
from tests.payments.conftest import place

# Tuesday 24 November 2026, 09:00 in Chicago; Thursday 26 is Thanksgiving in the tests that say so.
PLACED = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.UTC)
FLAGGED = PLACED + dt.timedelta(hours=1)
VERIFY_CARD = next(n for n, p in TEST_CARDS.items() if p == "verification_required")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def buyer(db):
    return UserFactory()


@pytest.fixture
def address(buyer):
    return AddressFactory(user=buyer)


@pytest.fixture
def staff(db):
    user = UserFactory(is_staff=True)
    return user


def flag(buyer, address, *, key="c1", now=FLAGGED):
    """Place a checkout and pay it with the test card the provider flags for verification."""
    checkout = place(buyer, address, key=key, now=now - dt.timedelta(hours=1))
    token = card_tokenise(number=VERIFY_CARD, exp_month=12, exp_year=2030, now=now).token
    checkout_pay(checkout=checkout, token=token, idempotency_key=f"pay-{key}", now=now)
    return checkout


@pytest.fixture
def appeal(buyer, address):
    checkout = flag(buyer, address)
    return checkout.payments.get().appeal


def png(name="card.png", size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def jpeg(name="id.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 240)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def pdf(name="statement.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")

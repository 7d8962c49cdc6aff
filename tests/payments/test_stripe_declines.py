"""PAY-2: Stripe's `code` / `decline_code` values map to our decline catalogue.

tests/payments/stripe_payloads/*.json are Stripe error bodies as the API returns them
(`{"error": {"type", "code", "decline_code", "param", "message", …}}`); each file names
the catalogue code it must map to in `_expected` (not a Stripe field).
"""

import json
from pathlib import Path

import pytest

from payments.declines import CATALOGUE, PAY2_CODES
from payments.providers.stripe import decline_from_stripe

PAYLOADS = sorted(Path(__file__).with_name("stripe_payloads").glob("*.json"))


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.stem for p in PAYLOADS])
def test_PAY_2_recorded_stripe_errors_map_to_the_catalogue(path):
    body = json.loads(path.read_text())
    code = decline_from_stripe(body["error"])
    assert code == body["_expected"]
    assert code in CATALOGUE


def test_PAY_2_every_catalogue_case_has_a_recorded_stripe_payload():
    covered = {json.loads(p.read_text())["_expected"] for p in PAYLOADS}
    assert set(PAY2_CODES) <= covered, set(PAY2_CODES) - covered


def test_PAY_2_every_decline_has_a_message_a_next_step_and_402():
    for decline in CATALOGUE.values():
        assert decline.message and decline.next_step and decline.status == 402
    assert "USD" in CATALOGUE["currency_not_supported"].next_step
    for bank in ["CSC_7200022", "CSC_7200051", "CSC_7200001"]:
        assert bank in CATALOGUE[f"bank_rejected_{bank.lower()}"].message
    assert CATALOGUE["verification_required"].appeal


def test_PAY_2_an_empty_or_odd_error_is_the_generic_decline():
    assert decline_from_stripe(None) == decline_from_stripe({}) == "payment_failed"
    assert decline_from_stripe({"code": "card_declined", "decline_code": "something_new"}) == "payment_failed"

"""The policy module (core.policy): every duration and amount of RULES.md, named once.

Each value names a rule id that exists in RULES.md; the defaults are the ones
RULES.md states; settings.HMONG_POLICY overrides them by name.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from core.policy import Policy, PolicyValue, policy, policy_names

# The ids of RULES.md, copied here so the test runs where shared/ is absent;
# when RULES.md is found, it is parsed and must hold every one of them.
RULE_IDS = {
    *(f"ACC-{i}" for i in range(1, 8)),
    *(f"CAT-{i}" for i in range(1, 4)),
    "WSH-1",
    *(f"CPN-{i}" for i in range(1, 9)),
    *(f"ORD-{i}" for i in range(1, 10)),
    *(f"PAY-{i}" for i in range(1, 6)),
    "RFD-1", "RFD-2",
    *(f"BP-{i}" for i in range(1, 5)),
    *(f"DSP-{i}" for i in range(1, 8)),
    *(f"RET-{i}" for i in range(1, 5)),
    "WAR-1", "MSG-1",
    *(f"HLP-{i}" for i in range(1, 5)),
    "NTF-1", "OPS-1",
}


def rules_md() -> Path | None:
    root = Path(django_settings.BASE_DIR)
    for candidate in (root.parent / "shared" / "RULES.md", root / "shared" / "RULES.md",
                      Path("/work/shared/RULES.md")):
        if candidate.is_file():
            return candidate
    return None


def rule_ids() -> set[str]:
    path = rules_md()
    if path is None:
        return RULE_IDS
    return set(re.findall(r"^- ([A-Z]{2,3}-\d+) ", path.read_text(), flags=re.M))


def policy_values() -> dict[str, PolicyValue]:
    return {name: attr for name, attr in vars(Policy).items() if isinstance(attr, PolicyValue)}


def test_rules_md_copy_is_current():
    if rules_md() is None:
        pytest.skip("shared/RULES.md is not beside the project here")
    assert rule_ids() >= RULE_IDS


@pytest.mark.parametrize("name", sorted(policy_values()))
def test_every_value_names_an_existing_rule_in_its_docstring(name):
    value = policy_values()[name]
    ids = rule_ids()
    assert value.rule in ids, f"{name} cites {value.rule}, which is not in RULES.md"
    assert value.__doc__.startswith(f"{value.rule}: ")
    assert len(value.__doc__) > len(value.rule) + 10, f"{name} needs a description"


def test_entries_list_every_value_with_its_current_value():
    entries = {e.name: e for e in Policy.entries()}
    assert set(entries) == set(policy_values()) == policy_names()
    assert entries["payment_window"].rule == "ORD-3"
    assert entries["payment_window"].value == timedelta(hours=24)
    assert entries["default_processing_days"].unit == "business days"


@pytest.mark.parametrize(
    ("name", "expected", "rule"),
    [
        ("payment_window", timedelta(hours=24), "ORD-3"),
        ("cancellation_answer_window", timedelta(hours=48), "ORD-5"),
        ("default_processing_days", 7, "CAT-1"),
        ("protection_after_delivery", timedelta(days=15), "BP-2"),
        ("not_received_dispute_from_day", 11, "BP-3"),
        ("extension_min_days", 1, "BP-4"),
        ("extension_max_days", 60, "BP-4"),
        ("seller_dispute_answer_window", timedelta(days=5), "DSP-2"),
        ("return_shipping_window", timedelta(days=10), "DSP-3"),
        ("seller_return_confirm_window", timedelta(days=30), "DSP-3"),
        ("disagreement_escalation_window", timedelta(days=5), "DSP-4"),
        ("no_tracking_escalation_day", 11, "DSP-5"),
        ("paypal_dispute_window", timedelta(days=180), "DSP-7"),
        ("free_return_window", timedelta(days=15), "RET-1"),
        ("free_returns_per_order", 1, "RET-2"),
        ("warranty_period", timedelta(days=365), "WAR-1"),
        ("appeal_review_sla_days", 3, "PAY-3"),
        ("refund_arrival_min_days", 3, "RFD-2"),
        ("refund_arrival_max_days", 20, "RFD-2"),
        ("closed_order_refund_arrival_days", 20, "ORD-9"),
        ("deadline_reminder_before", timedelta(hours=24), "NTF-1"),
        ("password_reset_link_lifetime", timedelta(hours=1), "ACC-2"),
        ("email_change_code_lifetime", timedelta(minutes=15), "ACC-3"),
        ("email_change_code_attempts", 5, "ACC-3"),
        ("email_change_code_digits", 6, "ACC-3"),
    ],
)
def test_defaults_match_rules_md(name, expected, rule):
    assert getattr(policy, name) == expected
    assert getattr(Policy, name).default == expected
    assert getattr(Policy, name).rule == rule


def test_business_day_values_are_ints_and_calendar_values_are_timedeltas():
    for name, value in policy_values().items():
        if value.unit in {"business days", "days", "tries", "digits", "bytes", "returns"}:
            assert type(value.default) is int, name
        elif value.unit == "":
            assert isinstance(value.default, (timedelta, dict)), name


def test_override_by_name(settings):
    settings.HMONG_POLICY = {"payment_window": timedelta(hours=12), "default_processing_days": 3}
    assert policy.payment_window == timedelta(hours=12)
    assert policy.default_processing_days == 3
    assert policy.cancellation_answer_window == timedelta(hours=48)  # others keep defaults
    assert {e.name: e.value for e in Policy.entries()}["payment_window"] == timedelta(hours=12)


def test_override_is_read_at_use_not_at_import(settings):
    assert policy.free_return_window == timedelta(days=15)
    settings.HMONG_POLICY = {"free_return_window": timedelta(days=30)}
    assert policy.free_return_window == timedelta(days=30)
    settings.HMONG_POLICY = {}
    assert policy.free_return_window == timedelta(days=15)


def test_misspelt_override_is_refused(settings):
    settings.HMONG_POLICY = {"paymnet_window": timedelta(hours=12)}
    with pytest.raises(ImproperlyConfigured, match="paymnet_window"):
        _ = policy.payment_window


def test_rule_acc_2_password_reset_timeout_follows_the_policy():
    timeout = django_settings.PASSWORD_RESET_TIMEOUT
    assert timeout == policy.password_reset_link_lifetime.total_seconds()

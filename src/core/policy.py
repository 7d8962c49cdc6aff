"""The policy: every duration and amount of RULES.md, named once.

Each value is a `PolicyValue` whose docstring names its rule id. Code reads
`policy.payment_window`; the help center prints the same attribute, so what
the help says and what the system does cannot drift. A deployment overrides
any value by name in the Django setting HMONG_POLICY, e.g.
``HMONG_POLICY = {"payment_window": timedelta(hours=12)}``.

Durations in *business days* are ints (see core.calendar); calendar durations
are timedeltas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class PolicyValue:
    """A named policy value with a default, the rule it serves, and a unit."""

    def __init__(self, default: Any, rule: str, doc: str, unit: str = ""):
        self.default = default
        self.rule = rule
        self.unit = unit
        self.__doc__ = f"{rule}: {doc}"
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        overrides = getattr(settings, "HMONG_POLICY", {}) or {}
        if overrides:
            unknown = overrides.keys() - policy_names()
            if unknown:  # a misspelt override would otherwise be ignored silently
                raise ImproperlyConfigured(
                    f"HMONG_POLICY names unknown policy values: {', '.join(sorted(unknown))}"
                )
        return overrides.get(self.name, self.default)


@cache
def policy_names() -> frozenset[str]:
    """The names of every policy value (the keys HMONG_POLICY may override)."""
    return frozenset(name for name, attr in vars(Policy).items() if isinstance(attr, PolicyValue))


@dataclass(frozen=True)
class PolicyEntry:
    name: str
    rule: str
    doc: str
    unit: str
    value: Any


class Policy:
    # ACC — accounts
    password_reset_link_lifetime = PolicyValue(
        timedelta(hours=1), "ACC-2", "how long an emailed password-reset link stays valid"
    )
    email_change_code_lifetime = PolicyValue(
        timedelta(minutes=15), "ACC-3", "how long an email-change verification code is valid"
    )
    email_change_code_attempts = PolicyValue(
        5, "ACC-3", "wrong entries allowed for one email-change code", "tries"
    )
    email_change_code_digits = PolicyValue(6, "ACC-3", "digits in an email-change code", "digits")
    codes_per_window = PolicyValue(
        5, "ACC-3", "one-time codes (email or SMS) one person may be sent per purpose within the window",
        "codes",
    )
    codes_window = PolicyValue(
        timedelta(hours=1), "ACC-3", "window over which the one-time codes sent to one person are counted"
    )
    failed_logins_per_account = PolicyValue(
        5, "ACC-5", "failed sign-ins per account within the window before it is held", "tries"
    )
    failed_logins_per_address = PolicyValue(
        20, "ACC-5", "failed sign-ins per IP address within the window", "tries"
    )
    failed_login_window = PolicyValue(
        timedelta(minutes=15), "ACC-5", "window over which failed sign-ins are counted"
    )
    sms_code_lifetime = PolicyValue(
        timedelta(minutes=10), "ACC-5", "how long an SMS regain-access code is valid"
    )
    sms_code_attempts = PolicyValue(5, "ACC-5", "wrong entries allowed for one SMS code", "tries")
    failed_logins_lockout_per_account = PolicyValue(
        10, "ACC-5", "failed sign-ins for one account before sign-in is refused for the window", "tries"
    )
    order_lookup_per_address = PolicyValue(
        10, "ACC-6", "account look-ups by order number per IP address within the window", "tries"
    )
    order_lookup_window = PolicyValue(
        timedelta(hours=1), "ACC-6", "window over which account look-ups by order number are counted"
    )

    # CAT — catalog
    default_processing_days = PolicyValue(
        7, "CAT-1", "processing time of a product when the seller sets none", "business days"
    )
    max_processing_days = PolicyValue(
        60, "CAT-1", "longest processing time a seller may set", "business days"
    )

    # ORD — orders
    payment_window = PolicyValue(
        timedelta(hours=24), "ORD-3", "an unpaid order closes by itself after this long"
    )
    cancellation_answer_window = PolicyValue(
        timedelta(hours=48),
        "ORD-5",
        "a cancellation request the seller has not answered goes through after this long",
    )
    closed_order_refund_arrival_days = PolicyValue(
        20,
        "ORD-9",
        "a closed order's refund arrives within this many working days",
        "business days",
    )

    # PAY — payments
    appeal_review_sla_days = PolicyValue(
        3,
        "PAY-3",
        "staff decide a card-verification appeal within this many working days",
        "business days",
    )
    appeal_document_max_bytes = PolicyValue(
        10 * 1024 * 1024, "PAY-3", "largest document a buyer may upload to an appeal", "bytes"
    )
    appeal_documents_days = PolicyValue(
        5,
        "PAY-3",
        "a card-verification appeal still waiting for the buyer's documents this many working days "
        "after the payment was flagged expires: its orders close and anything taken is refunded",
        "business days",
    )
    payment_attempt_in_flight = PolicyValue(
        timedelta(minutes=10),
        "PAY-5",
        "a card payment started this recently and not yet answered by the provider makes another "
        "attempt on the same orders (another tab, another key) wait instead of charging twice",
    )
    offline_payment_window = PolicyValue(
        5,
        "PAY-4",
        "a bank transfer, cash, Boleto or Western Union payment not received this long after "
        "ordering closes its orders",
        "business days",
    )

    # RFD — refunds
    refund_arrival_min_days = PolicyValue(
        3, "RFD-2", "earliest a refund reaches the buyer after it is processed", "business days"
    )
    refund_arrival_max_days = PolicyValue(
        20, "RFD-2", "latest a refund reaches the buyer after it is processed", "business days"
    )

    # BP — buyer protection
    protection_after_delivery = PolicyValue(
        timedelta(days=15),
        "BP-2",
        "protection ends this long after the earlier of confirmed receipt or the promised delivery time",
    )
    not_received_dispute_from_day = PolicyValue(
        11, "BP-3", "a 'not received' dispute may be opened from this day after shipment", "days"
    )
    extension_min_days = PolicyValue(1, "BP-4", "shortest protection extension a buyer may ask", "days")
    extension_max_days = PolicyValue(60, "BP-4", "longest protection extension a buyer may ask", "days")
    commission_rate_bp = PolicyValue(
        800,
        "BP-2",
        "the platform's commission on an order's released payment, in basis points (1/100 of a percent)",
        "basis points",
    )

    # DSP — disputes
    seller_dispute_answer_window = PolicyValue(
        timedelta(days=5),
        "DSP-2",
        "the seller answers a dispute within this long, or the buyer wins",
    )
    return_shipping_window = PolicyValue(
        timedelta(days=10), "DSP-3", "the buyer ships an agreed return within this long (default)"
    )
    return_shipping_window_by_country = PolicyValue(
        {},
        "DSP-3",
        "per-country overrides of the return shipping window, e.g. {'BR': timedelta(days=15)}",
    )
    seller_return_confirm_window = PolicyValue(
        timedelta(days=30), "DSP-3", "the seller confirms a returned parcel within this long"
    )
    disagreement_escalation_window = PolicyValue(
        timedelta(days=5),
        "DSP-4",
        "an unsettled dispute escalates this long after the seller's refusal",
    )
    no_tracking_escalation_day = PolicyValue(
        11,
        "DSP-5",
        "with no tracking at all by this day after shipment, the dispute team takes over",
        "days",
    )
    evidence_max_bytes = PolicyValue(
        20 * 1024 * 1024, "DSP-1", "largest evidence file (image, video or PDF)", "bytes"
    )
    evidence_max_files = PolicyValue(
        10, "DSP-1", "evidence files one upload (opening, answer or message) may carry", "files"
    )
    paypal_dispute_window = PolicyValue(
        timedelta(days=180), "DSP-7", "PayPal's own dispute window, shown for information"
    )

    # RET — free returns
    free_return_window = PolicyValue(
        timedelta(days=15), "RET-1", "a Free Return item may be returned this long after receipt"
    )
    free_returns_per_order = PolicyValue(
        1, "RET-2", "free return shipments per order; later ones are at the buyer's cost", "returns"
    )
    return_code_valid_for = PolicyValue(
        timedelta(days=7),
        "RET-3",
        "a return code not used at a return point within this long expires (default)",
    )

    # WAR — warranty
    warranty_period = PolicyValue(
        timedelta(days=365), "WAR-1", "commercial warranty lasts this long after receipt"
    )
    warranty_seller_answer_window = PolicyValue(
        timedelta(days=7),
        "WAR-1",
        "the seller answers a warranty request within this long, or the dispute team takes it",
    )
    warranty_reship_window = PolicyValue(
        timedelta(days=15),
        "WAR-1",
        "after confirming the buyer's item arrived, the seller ships the repaired or replacement "
        "item back with tracking within this long, or the dispute team takes the request",
    )
    warranty_outcome_window = PolicyValue(
        timedelta(days=30),
        "WAR-1",
        "the buyer confirms the repaired or replacement item, or reopens the request to the dispute "
        "team, within this long after it was shipped; silence closes the request as resolved",
    )

    # NTF — notifications
    deadline_reminder_before = PolicyValue(
        timedelta(hours=24), "NTF-1", "a party is reminded this long before a deadline of theirs"
    )

    # MSG — buyer–seller messages
    message_max_chars = PolicyValue(
        4000, "MSG-1", "longest text of one chat message", "characters"
    )
    messages_per_minute = PolicyValue(
        20, "MSG-1", "chat messages one person may send within a minute", "messages"
    )
    message_image_max_bytes = PolicyValue(
        5 * 1024 * 1024, "MSG-1", "largest picture attached to a chat message", "bytes"
    )
    message_images_max = PolicyValue(4, "MSG-1", "pictures attached to one chat message", "files")
    message_notice_window = PolicyValue(
        timedelta(minutes=15),
        "NTF-1",
        "unread chat messages notify a person at most once per conversation within this long",
    )

    # Uploads (CAT-1)
    product_image_max_bytes = PolicyValue(
        5 * 1024 * 1024, "CAT-1", "largest product image a seller may upload", "bytes"
    )

    @classmethod
    def entries(cls) -> list[PolicyEntry]:
        """Every policy value with its rule, description and current value."""
        out = []
        for name, attr in vars(cls).items():
            if isinstance(attr, PolicyValue):
                out.append(
                    PolicyEntry(
                        name, attr.rule, attr.__doc__.split(": ", 1)[1], attr.unit, getattr(policy, name)
                    )
                )
        return out


policy = Policy()

"""The escrow ledger (RFD-1, BP-2, PAY-5): double-entry, append-only, integer minor units.

- An `Account` holds money of one kind for one owner in one currency: the payment
  provider's clearing account, an order's escrow, a store's pending and available
  balances, a buyer's platform balance, the platform's revenue (commission) and the
  platform-funded discounts. (kind, owner, currency) is unique.
- A `Transaction` is one money movement, keyed by an idempotency key that names the
  event that caused it ("capture:order:12", "release:order:12", "refund:34"); the same
  key never posts twice. Its `Entry` rows sum to zero and share one currency.
- The journal (Transaction, Entry) is append-only: the database itself refuses UPDATE
  and DELETE (triggers, migration 0002). A mistake is corrected by a reversing
  transaction (`reverses`), never by editing.
- `Account.balance_minor` is a cache of the sum of its entries, moved in the same
  database transaction as the entries; ledger.selectors recomputes it from the journal.

Sign: an entry's amount adds to its account's balance. Money flowing from the provider
into an order's escrow is -x on provider_clearing and +x on the escrow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from core.money import Money, currency_choices


class Account(models.Model):
    class Kind(models.TextChoices):
        PROVIDER_CLEARING = "provider_clearing", gettext_lazy("Payment provider clearing")
        ORDER_ESCROW = "order_escrow", gettext_lazy("Order escrow")
        SELLER_PENDING = "seller_pending", gettext_lazy("Seller pending balance")
        SELLER_AVAILABLE = "seller_available", gettext_lazy("Seller available balance")
        BUYER_BALANCE = "buyer_balance", gettext_lazy("Buyer platform balance")
        PLATFORM_REVENUE = "platform_revenue", gettext_lazy("Platform revenue (commission)")
        PLATFORM_DISCOUNTS = "platform_discounts", gettext_lazy("Platform-funded discounts")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    owner_key = models.CharField(
        max_length=40, blank=True, help_text=gettext_lazy(
            '"order:<id>", "store:<id>", "user:<id>" or empty (platform).')
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    store = models.ForeignKey(
        "catalog.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    currency = models.CharField(max_length=3, choices=currency_choices)
    balance_minor = models.BigIntegerField(default=0, help_text=gettext_lazy(
        "Cache of the sum of the entries."))
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "owner_key", "currency"], name="ledger_one_account"),
            models.CheckConstraint(
                name="ledger_account_owner_matches_kind",
                condition=(
                    Q(kind="order_escrow", order__isnull=False, store__isnull=True, user__isnull=True)
                    | Q(
                        kind__in=["seller_pending", "seller_available"],
                        order__isnull=True,
                        store__isnull=False,
                        user__isnull=True,
                    )
                    | Q(kind="buyer_balance", order__isnull=True, store__isnull=True, user__isnull=False)
                    | Q(
                        kind__in=["provider_clearing", "platform_revenue", "platform_discounts"],
                        order__isnull=True,
                        store__isnull=True,
                        user__isnull=True,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        owner = f" {self.owner_key}" if self.owner_key else ""
        return f"{self.get_kind_display()}{owner} {self.currency}"

    @property
    def balance(self) -> Money:
        return Money(self.balance_minor, self.currency)


class Transaction(models.Model):
    class Kind(models.TextChoices):
        CAPTURE = "capture", gettext_lazy("Payment captured into escrow")
        REFUND = "refund", gettext_lazy("Refund drawn from escrow")
        RELEASE = "release", gettext_lazy("Released to the seller")
        REVERSAL = "reversal", gettext_lazy("Correction (reversal)")
        ADJUSTMENT = "adjustment", gettext_lazy("Adjustment")

    idempotency_key = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    memo = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, choices=currency_choices)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text=gettext_lazy("The transaction this one corrects (each is reversed at most once)."),
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} [{self.idempotency_key}]"


class Entry(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField(help_text=gettext_lazy("Signed: adds to the account's balance."))

    class Meta:
        verbose_name_plural = "entries"
        constraints = [models.CheckConstraint(name="ledger_entry_not_zero", condition=~Q(amount_minor=0))]
        indexes = [models.Index(fields=["account", "transaction"])]

    def __str__(self) -> str:
        return f"{self.amount_minor:+d} on {self.account_id} in {self.transaction_id}"

"""Balances in the API (mounted at /api/v1/ with paths that no other router uses):

- GET /api/v1/balance                  the buyer's platform balance, per currency
- GET /api/v1/balance/entries          its history (paginated)
- GET /api/v1/seller/balance           the store's pending and available balances (BP-2)
- GET /api/v1/seller/balance/entries   the ledger entries behind them (paginated)
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from core.errors import Conflict
from core.pagination import PagePagination
from core.schemas import ErrorOut, MoneyOut
from ledger import selectors
from ledger.models import Entry
from sellercenter.selectors import store_of

router = Router(tags=["balance"])

READ_ERRORS = {401: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class EntryOut(Schema):
    id: int
    at: dt.datetime = Field(description="When the money moved.")
    kind: str = Field(description="capture, refund, release, reversal or adjustment.")
    description: str
    account: str = Field(description="order_escrow, seller_available or buyer_balance.")
    order_number: str | None
    amount: MoneyOut = Field(description="Signed: positive adds to the balance.")

    @staticmethod
    def resolve_at(obj: Entry) -> dt.datetime:
        return obj.transaction.created_at

    @staticmethod
    def resolve_kind(obj: Entry) -> str:
        return obj.transaction.kind

    @staticmethod
    def resolve_description(obj: Entry) -> str:
        return obj.transaction.get_kind_display()

    @staticmethod
    def resolve_account(obj: Entry) -> str:
        return obj.account.kind

    @staticmethod
    def resolve_order_number(obj: Entry) -> str | None:
        return obj.transaction.order.number if obj.transaction.order_id else None

    @staticmethod
    def resolve_amount(obj: Entry) -> dict:
        return {"amount": obj.amount_minor, "currency": obj.account.currency}


class BuyerBalanceOut(Schema):
    balances: list[MoneyOut]


class SellerBalanceRow(Schema):
    currency: str
    pending: MoneyOut = Field(description="Held in escrow until buyer protection ends (BP-2).")
    available: MoneyOut = Field(description="Released to the store, after commission.")


class SellerBalanceOut(Schema):
    balances: list[SellerBalanceRow]


def _store(request):
    store = store_of(user=request.auth)
    if store is None:
        raise Conflict(_("Open your store first (POST /api/v1/seller/store)."), code="no_store")
    return store


@router.get("/balance", response={200: BuyerBalanceOut, **READ_ERRORS}, summary=_("My platform balance"))
def buyer_balance(request):
    """Your Hmong Artisans balance, per currency (refunds of cash, bank transfer, Boleto and
    Western Union payments come back here, PAY-4)."""
    return {"balances": list(selectors.buyer_balances(user=request.auth))}


@router.get("/balance/entries", response={200: list[EntryOut], **READ_ERRORS}, summary=_(
    "My balance history"))
@paginate(PagePagination)
def buyer_balance_entries(request):
    return selectors.buyer_entries(user=request.auth)


@router.get("/seller/balance", response={200: SellerBalanceOut, **READ_ERRORS}, summary=_(
    "My store's balance"))
def seller_balance(request):
    """Pending: payments held until each order's buyer protection ends; available: what was
    released to the store, less the platform's commission (BP-2)."""
    rows = selectors.seller_balances(store=_store(request))
    return {
        "balances": [
            {"currency": b.currency, "pending": b.pending, "available": b.available}
            for b in rows
        ]
    }


@router.get(
    "/seller/balance/entries",
    response={200: list[EntryOut], **READ_ERRORS},
    summary=_("The money movements behind my store's balance"),
)
@paginate(PagePagination)
def seller_balance_entries(request):
    return selectors.seller_entries(store=_store(request))

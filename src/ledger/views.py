"""Balance pages: the seller's pending and available balances (BP-2) and the buyer's
platform balance (PAY-4, RFD-1), each with the ledger entries behind it, paginated."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.money import Money, format_money
from ledger import selectors
from sellercenter.views import seller_required

PAGE_SIZE = 25


def _rows(request: HttpRequest, entries) -> tuple:
    """One page of entries, each with its amount formatted in its own currency (never converted)."""
    locale = getattr(request, "money_locale", "en_US") or "en_US"
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.display = format_money(Money(entry.amount_minor, entry.account.currency), locale)
    return page, locale


@require_GET
@seller_required
def seller_balance(request: HttpRequest, *, store) -> HttpResponse:
    page, locale = _rows(request, selectors.seller_entries(store=store))
    balances = [
        {
            "currency": b.currency,
            "pending": format_money(b.pending, locale),
            "available": format_money(b.available, locale),
        }
        for b in selectors.seller_balances(store=store)
    ]
    return render(
        request, "ledger/seller_balance.html", {"store": store, "balances": balances, "page": page}
    )


@require_GET
@login_required
def buyer_balance(request: HttpRequest) -> HttpResponse:
    page, locale = _rows(request, selectors.buyer_entries(user=request.user))
    balances = [format_money(m, locale) for m in selectors.buyer_balances(user=request.user)]
    return render(request, "ledger/buyer_balance.html", {"balances": balances, "page": page})

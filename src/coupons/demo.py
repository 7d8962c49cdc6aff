"""Demo coupons for `manage.py seed_demo` (CPN-1, CPN-4): every kind, so `make run` shows them.

Idempotent like the rest of the demo: a promotion is looked up by its store and title (a sale
page by its slug) and only created when missing, through coupons.manage (the seller's or the
staff member's own service, with its checks and, for staff, the audit trail). Nothing that
exists is changed. The demo buyer holds two coupons in "My Coupons".

Amounts are written in US dollars and turned into each store's currency at the reference
rates, rounded to a figure a shop would print.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from core.money import Money, convert, get_currency
from coupons import manage, services
from coupons.models import Kind, Promotion, SalePage

# The promo codes the demo prints next to the logins (code, what it gives).
DEMO_CODES: list[tuple[str, str]] = [
    ("PAJNTAUB10", "10 % off at Paj Ntaub House (store promo code)"),
    ("NYIAJ15", "15 % off at Nyiaj Silver Studio from about $40 (store promo code)"),
    ("HMONG5", "$5 off from $25 in any store (Hmong Artisans promo code)"),
]

SALE_SLUG = "hmong-new-year-sale"
VALID_FOR = dt.timedelta(days=365)


@dataclass(frozen=True)
class DemoOffer:
    store: str | None  # a demo store key (core.demo.content.STORES), or None: the platform
    kind: str
    title: str
    percent: int | None = None  # whole percent
    usd_off: int | None = None  # whole dollars off, converted to the store's currency
    usd_min: int = 0  # minimum spend in whole dollars
    usd_cap: int | None = None  # cap of a percentage, whole dollars
    code: str = ""
    per_user: int = 1
    stock: int | None = None
    eligible: str = "everyone"
    on_sale_page: bool = False


OFFERS: list[DemoOffer] = [
    # Store instant discounts: apply by themselves.
    DemoOffer("paj-ntaub-house", Kind.STORE_INSTANT, "5 % off every story cloth order", percent=5,
              per_user=1000),
    DemoOffer("luang-prabang-loom", Kind.STORE_INSTANT, "Save $3 on orders from $30", usd_off=3, usd_min=30,
              per_user=1000),
    # Store coupons: collected on the store and product pages.
    DemoOffer("paj-ntaub-house", Kind.STORE_COUPON, "$6 off orders from $50", usd_off=6, usd_min=50,
              stock=200),
    DemoOffer("nyiaj-silver-studio", Kind.STORE_COUPON, "8 % off silver, up to $20", percent=8, usd_cap=20,
              stock=100),
    DemoOffer("atelier-nyiaj-nimes", Kind.STORE_COUPON, "$4 off for followers", usd_off=4, usd_min=20,
              eligible="followers", stock=50),
    # Store promo codes: typed at checkout.
    DemoOffer("paj-ntaub-house", Kind.STORE_CODE, "Code PAJNTAUB10: 10 % off", percent=10, usd_cap=25,
              code="PAJNTAUB10", stock=500),
    DemoOffer("nyiaj-silver-studio", Kind.STORE_CODE, "Code NYIAJ15: 15 % off from $40", percent=15,
              usd_min=40, code="NYIAJ15", stock=300),
    # Platform coupons (funded by Hmong Artisans, any store).
    DemoOffer(None, Kind.PLATFORM_COUPON, "Welcome: $5 off your first order", usd_off=5, usd_min=25,
              eligible="new_buyers", stock=1000),
    DemoOffer(None, Kind.PLATFORM_COUPON, "New Year: $8 off from $60", usd_off=8, usd_min=60, stock=500,
              on_sale_page=True),
    DemoOffer(None, Kind.PLATFORM_COUPON, "New Year: 10 % off, up to $15", percent=10, usd_cap=15, usd_min=20,
              stock=300, on_sale_page=True),
    # Platform promo code.
    DemoOffer(None, Kind.PLATFORM_CODE, "Code HMONG5: $5 off from $25", usd_off=5, usd_min=25, code="HMONG5",
              per_user=2, stock=1000),
]

# What the demo buyer already holds in "My Coupons".
BUYER_HOLDS = ["Welcome: $5 off your first order", "$6 off orders from $50"]


def _amount(usd: int, currency: str) -> int:
    """`usd` whole dollars in `currency` minor units, rounded to a printed-looking figure."""
    value = convert(Money(usd * 100, "USD"), currency).decimal
    step = {"THB": Decimal(10), "LAK": Decimal(5000), "VND": Decimal(5000)}.get(currency, Decimal(1))
    rounded = max(step, (value / step).quantize(Decimal(1)) * step)
    return int(rounded.scaleb(get_currency(currency).exponent))


def _values(spec: DemoOffer, currency: str, now: dt.datetime, sale_page: SalePage | None) -> dict:
    return {
        "kind": spec.kind,
        "title": spec.title,
        "code": spec.code,
        "percent_bp": spec.percent * 100 if spec.percent else None,
        "amount_minor": _amount(spec.usd_off, currency) if spec.usd_off else None,
        "max_discount_minor": _amount(spec.usd_cap, currency) if spec.usd_cap else None,
        "min_spend_minor": _amount(spec.usd_min, currency) if spec.usd_min else 0,
        "currency": currency,
        "starts_at": now - dt.timedelta(days=1),
        "ends_at": now + VALID_FOR,
        "eligible_users": spec.eligible,
        "per_user_limit": spec.per_user,
        "total_stock": spec.stock,
        "sale_page_id": sale_page.pk if (spec.on_sale_page and sale_page) else None,
    }


def demo_coupons(*, stores: dict, staff, buyer, now: dt.datetime, created: Counter) -> list[tuple[str, str]]:
    """Create the missing demo promotions and sale page; return the demo promo codes to print.

    `stores`: demo store key → Store; `staff`: the demo staff user; `buyer`: the demo buyer.
    """
    sale_page = SalePage.objects.filter(slug=SALE_SLUG).first()
    if sale_page is None:
        sale_page = manage.sale_page_create(
            actor=staff, now=now, name="Hmong New Year Sale", slug=SALE_SLUG,
            description="Celebrate the new year with coupons from Hmong Artisans that work in every store: "
            "get them here, then pick them at checkout.",
            starts_at=now - dt.timedelta(days=1), ends_at=now + VALID_FOR,
        )
        created["sale pages"] += 1
    existing = {(p.store_id, p.title): p for p in Promotion.objects.filter(archived=False)}
    made: dict[str, Promotion] = {}
    for spec in OFFERS:
        store = stores.get(spec.store) if spec.store else None
        if spec.store and store is None:
            continue
        promotion = existing.get((store.pk if store else None, spec.title))
        if promotion is None:
            actor = store.owner if store else staff
            currency = store.currency if store else "USD"
            promotion = manage.promotion_create(
                actor=actor, store=store, now=now, **_values(spec, currency, now, sale_page)
            )
            created["promotions"] += 1
        made[spec.title] = promotion
    for title in BUYER_HOLDS:
        promotion = made.get(title)
        if promotion is not None and not promotion.collections.filter(user=buyer).exists():
            services.coupon_collect(user=buyer, promotion_id=promotion.pk, now=now)
            created["collected coupons"] += 1
    return [(code, text) for code, text in DEMO_CODES if any(p.code == code for p in made.values())]


def demo_codes_present() -> list[tuple[str, str]]:
    """The demo promo codes that exist (live) in this database, for the serve command's welcome."""
    live = set(Promotion.objects.filter(code__in=[c for c, _t in DEMO_CODES], archived=False)
               .values_list("code", flat=True))
    return [(code, text) for code, text in DEMO_CODES if code in live]

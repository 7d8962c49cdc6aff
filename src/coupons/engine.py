"""The coupon engine (CPN-2, CPN-3, CPN-5, CPN-6, CPN-7): pure functions over plain data.

A promotion is read as an `Offer`: its *conditions* (validity period, eligible users,
products and categories, minimum spend), its *benefit* (percentage or fixed amount, with
an optional cap, never more than the eligible amount) and its *availability* (paused,
stock, per-user limit, collected). `offer_check` is the one function that decides whether
an offer applies and explains why not (a `Refusal` with a stable code, CPN-6); the
checkout, the promo-code box, "My Coupons" and the API all ask it.

Amounts go through layers, each taking its share off what the earlier ones left
(`stacking.LAYER`): the store instant discount, then the store coupon or promo code, then
the platform discount across the checkout's store orders, then refund-coupon credits. The
minimum spend of a layer is measured on what is left of the eligible items when it applies.
Shipping is never discounted, so an order's total can never go below its shipping.

Currencies: store kinds are in their store's currency. A platform discount is computed in
its own currency over the eligible amounts converted at the reference rates
(core.money.convert), allocated over the store orders in that currency (the parts sum
exactly), then each order's part is converted once into the order's currency and capped at
that order's eligible amount. The part in the offer's currency is kept (Applied.source_minor,
OrderDiscount.source_amount_minor): the parts of one redemption sum exactly to what the
promotion gave, in its own currency, whatever the orders' currencies.

`best_selection` enumerates every allowed selection (stacking table), evaluates each and
picks the largest saving; ties go to fewer coupons used, then to the coupons ending first
(keep the longer-lived ones), then to the lower promotion ids — deterministic, and the
`Choice` says which and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

from django.utils.translation import gettext as _

from core.money import Money, convert, format_money, to_usd_minor
from coupons import stacking
from coupons.allocation import allocate
from coupons.models import COLLECTED_KINDS, PLATFORM_KINDS, Eligible, Kind

MAX_EVALUATED = 4096  # beyond this many selections the search goes store by store (greedy)


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineIn:
    key: int  # the cart line's variant id, or the order line's id
    product_id: int
    category_ids: frozenset[int]  # the product's category and its ancestors
    amount_minor: int  # unit price × quantity, in the store order's currency


@dataclass(frozen=True)
class StoreOrderIn:
    store_id: int
    currency: str
    lines: tuple[LineIn, ...]
    shipping_minor: int = 0

    @property
    def items_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


@dataclass(frozen=True)
class BuyerIn:
    user_id: int | None
    is_new_buyer: bool = True
    followed_store_ids: frozenset[int] = frozenset()
    used: Mapping[int, int] = field(default_factory=dict)  # promotion id → active redemptions
    collected: frozenset[int] = frozenset()  # promotion ids in the wallet


@dataclass(frozen=True)
class Offer:
    id: int
    kind: str
    title: str
    currency: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    store_id: int | None = None
    code: str = ""
    percent_bp: int | None = None
    amount_minor: int | None = None
    max_discount_minor: int | None = None
    min_spend_minor: int = 0
    eligible_users: str = Eligible.EVERYONE
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    per_user_limit: int = 1
    stock_left: int | None = None
    paused: bool = False

    @classmethod
    def of(cls, promotion, *, product_ids: Iterable[int] = (), category_ids: Iterable[int] = ()) -> Offer:
        return cls(
            id=promotion.pk,
            kind=promotion.kind,
            title=promotion.title,
            currency=promotion.currency,
            starts_at=promotion.starts_at,
            ends_at=promotion.ends_at,
            store_id=promotion.store_id,
            code=promotion.code,
            percent_bp=promotion.percent_bp,
            amount_minor=promotion.amount_minor,
            max_discount_minor=promotion.max_discount_minor,
            min_spend_minor=promotion.min_spend_minor,
            eligible_users=promotion.eligible_users,
            product_ids=frozenset(product_ids),
            category_ids=frozenset(category_ids),
            per_user_limit=promotion.per_user_limit,
            stock_left=promotion.stock_left,
            paused=promotion.paused or promotion.archived,
        )

    @property
    def is_platform(self) -> bool:
        return self.kind in PLATFORM_KINDS

    @property
    def layer(self) -> int:
        return stacking.LAYER[self.kind]

    def covers(self, line: LineIn) -> bool:
        """Condition: the line's product is eligible (no products and no categories: all)."""
        if not self.product_ids and not self.category_ids:
            return True
        return line.product_id in self.product_ids or bool(line.category_ids & self.category_ids)

    def benefit(self, base_minor: int) -> int:
        """Benefit: what comes off `base_minor` (in the offer's currency), never more than it."""
        if base_minor <= 0:
            return 0
        if self.percent_bp is not None:
            off = (base_minor * self.percent_bp + 5_000) // 10_000  # half-up to the minor unit
            if self.max_discount_minor is not None:
                off = min(off, self.max_discount_minor)
        else:
            off = self.amount_minor or 0
        return min(off, base_minor)


@dataclass(frozen=True)
class Credit:
    """A refund coupon (PAY-4) the buyer can spend: platform-funded, one currency."""

    id: int
    code: str
    currency: str
    left_minor: int


# --- CPN-6: one function decides and explains -----------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    data: dict = field(default_factory=dict)


def _money(amount: int, currency: str) -> str:
    return format_money(Money(amount, currency))


def offer_check(
    offer: Offer,
    *,
    buyer: BuyerIn,
    now: dt.datetime,
    base_minor: int | None = None,
    need_collected: bool = True,
) -> Refusal | None:
    """None when `offer` applies; else the exact reason it does not (CPN-6).

    `base_minor` is the eligible amount in the offer's currency (None: not checked yet, e.g.
    "My Coupons" without a cart; 0: nothing in the cart is eligible). Checked in a fixed
    order, so the first reason a buyer could act on is the one shown.
    """
    if offer.paused:
        return Refusal("paused", _("This offer is paused by its issuer."))
    if now < offer.starts_at:
        return Refusal(
            "not_yet_active",
            _("This offer starts on %(start)s.") % {"start": offer.starts_at.strftime("%Y-%m-%d %H:%M UTC")},
            {"starts_at": offer.starts_at.isoformat()},
        )
    if now >= offer.ends_at:
        return Refusal(
            "expired",
            _("This offer ended on %(end)s.") % {"end": offer.ends_at.strftime("%Y-%m-%d %H:%M UTC")},
            {"ends_at": offer.ends_at.isoformat()},
        )
    if offer.eligible_users == Eligible.NEW_BUYERS and not buyer.is_new_buyer:
        return Refusal("not_for_this_user", _("This offer is only for buyers placing their first order."))
    if offer.eligible_users == Eligible.FOLLOWERS and offer.store_id not in buyer.followed_store_ids:
        return Refusal("not_for_this_user", _("This offer is only for the store's followers."))
    if offer.stock_left is not None and offer.stock_left <= 0:
        return Refusal("out_of_stock", _("This offer has run out."))
    used = buyer.used.get(offer.id, 0)
    if used >= offer.per_user_limit:
        if offer.per_user_limit == 1:
            return Refusal("already_used", _("You have already used this offer."), {"limit": 1})
        return Refusal(
            "per_user_limit_reached",
            _("You have used this offer %(n)d times, its limit per buyer.") % {"n": offer.per_user_limit},
            {"limit": offer.per_user_limit},
        )
    if need_collected and offer.kind in COLLECTED_KINDS and offer.id not in buyer.collected:
        return Refusal("not_collected", _("Get this coupon first."))
    if base_minor is None:
        return None
    if base_minor <= 0:
        return Refusal(
            "not_for_these_products", _("None of the items in your order are covered by this offer.")
        )
    if base_minor < offer.min_spend_minor:
        short = offer.min_spend_minor - base_minor
        return Refusal(
            "min_spend_not_met",
            _("Spend %(short)s more on eligible items to use this offer (minimum %(min)s).")
            % {"short": _money(short, offer.currency), "min": _money(offer.min_spend_minor, offer.currency)},
            {"short_minor": short, "min_spend_minor": offer.min_spend_minor, "currency": offer.currency},
        )
    return None


# --- evaluating one selection ---------------------------------------------------------------


@dataclass
class Applied:
    """What one source took off one store order, and how it spread over the lines (CPN-7)."""

    offer: Offer | None
    credit: Credit | None
    amount_minor: int  # in the order's currency
    lines: dict[int, int]  # line key → share
    # In the source's own currency (the offer's or the credit's) when it differs from the
    # order's: a platform discount's part as allocated, before its conversion (CPN-7).
    source_minor: int | None = None

    @property
    def source_amount_minor(self) -> int:
        """The part in the source's currency; the parts of one source sum to what it gave."""
        return self.amount_minor if self.source_minor is None else self.source_minor

    @property
    def kind(self) -> str:
        return self.offer.kind if self.offer else "refund_coupon"

    @property
    def title(self) -> str:
        return self.offer.title if self.offer else _("Refund coupon %(code)s") % {"code": self.credit.code}

    @property
    def funder(self) -> str:
        return "platform" if self.offer is None or self.offer.is_platform else "seller"


@dataclass
class OrderResult:
    order: StoreOrderIn
    applied: list[Applied]

    @property
    def discount_minor(self) -> int:
        return sum(a.amount_minor for a in self.applied)

    @property
    def total_minor(self) -> int:
        return self.order.items_minor + self.order.shipping_minor - self.discount_minor


@dataclass
class Evaluation:
    orders: list[OrderResult]
    offers: tuple[Offer, ...]
    refusal: tuple[Offer, Refusal] | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def saving_usd_minor(self) -> int:
        return sum(to_usd_minor(r.discount_minor, r.order.currency) for r in self.orders)

    def savings_by_source(self) -> list[dict]:
        """CPN-5: the saving per source, summed over the store orders (per currency)."""
        found: dict[tuple, dict] = {}
        for result in self.orders:
            for a in result.applied:
                key = (a.kind, a.offer.id if a.offer else a.credit.id, result.order.currency)
                row = found.setdefault(
                    key,
                    {
                        "kind": a.kind,
                        "promotion_id": a.offer.id if a.offer else None,
                        "title": a.title,
                        "funder": a.funder,
                        "currency": result.order.currency,
                        "amount_minor": 0,
                    },
                )
                row["amount_minor"] += a.amount_minor
        return list(found.values())


def _spread(amount: int, left: dict[int, int], keys: Sequence[int]) -> dict[int, int]:
    parts = allocate(amount, [left[k] for k in keys])
    return {k: p for k, p in zip(keys, parts, strict=True) if p}


def evaluate(
    orders: Sequence[StoreOrderIn],
    *,
    store_offers: Mapping[int, Sequence[Offer]],
    platform: Offer | None,
    buyer: BuyerIn,
    now: dt.datetime,
    credits: Sequence[Credit] = (),
    need_collected: bool = True,
) -> Evaluation:
    """Apply one selection: `store_offers` per store id, one `platform` offer, then credits.

    The stacking table is checked first; the first refusal met makes the selection invalid
    (the Evaluation carries it). Parts are allocated with the largest remainder (CPN-7).
    """
    chosen = tuple(o for s in orders for o in store_offers.get(s.store_id, ())) + (
        (platform,) if platform else ()
    )
    results = [OrderResult(order=s, applied=[]) for s in orders]
    left = {id(r): {line.key: line.amount_minor for line in r.order.lines} for r in results}

    def refuse(offer: Offer, refusal: Refusal) -> Evaluation:
        return Evaluation(orders=results, offers=chosen, refusal=(offer, refusal))

    for result in results:
        mine = sorted(store_offers.get(result.order.store_id, ()), key=lambda o: (o.layer, o.id))
        if not stacking.allowed(o.kind for o in mine):
            return refuse(mine[-1], Refusal("cannot_combine", _("These discounts cannot be used together.")))
        for offer in mine:
            if offer.store_id != result.order.store_id or offer.is_platform:
                return refuse(offer, Refusal("not_for_this_store", _("This offer is for another store.")))
            remaining = left[id(result)]
            keys = [line.key for line in result.order.lines if offer.covers(line) and remaining[line.key] > 0]
            base = sum(remaining[k] for k in keys)
            refusal = offer_check(offer, buyer=buyer, now=now, base_minor=base, need_collected=need_collected)
            if refusal:
                return refuse(offer, refusal)
            off = offer.benefit(base)
            shares = _spread(off, remaining, keys)
            for k, p in shares.items():
                remaining[k] -= p
            result.applied.append(Applied(offer=offer, credit=None, amount_minor=off, lines=shares))

    if platform is not None:
        joined = []  # (result, eligible keys, base in the order's currency, base in the offer's currency)
        excluded = False
        for result in results:
            kinds = [o.kind for o in store_offers.get(result.order.store_id, ())]
            if not all(stacking.kinds_combine(platform.kind, k) for k in kinds):
                excluded = True
                continue  # CPN-3: this store order uses a store promo code
            remaining = left[id(result)]
            keys = [
                line.key for line in result.order.lines if platform.covers(line) and remaining[line.key] > 0
            ]
            base = sum(remaining[k] for k in keys)
            if base:
                joined.append(
                    (
                        result,
                        keys,
                        base,
                        convert(Money(base, result.order.currency), platform.currency).amount,
                    )
                )
        total_base = sum(j[3] for j in joined)
        refusal = offer_check(
            platform, buyer=buyer, now=now, base_minor=total_base, need_collected=need_collected
        )
        if refusal is not None and refusal.code == "not_for_these_products" and excluded:
            # CPN-6: the exact reason is the stacking rule, not the products.
            refusal = Refusal(
                "cannot_combine",
                _("A store promo code cannot be combined with a Hmong Artisans coupon or promo code."),
            )
        if refusal:
            return refuse(platform, refusal)
        off = platform.benefit(total_base)
        for (result, keys, base, _conv), part in zip(
            joined, allocate(off, [j[3] for j in joined]), strict=True
        ):
            own = min(convert(Money(part, platform.currency), result.order.currency).amount, base)
            if not own:
                continue
            remaining = left[id(result)]
            shares = _spread(own, remaining, keys)
            for k, p in shares.items():
                remaining[k] -= p
            result.applied.append(
                Applied(offer=platform, credit=None, amount_minor=own, lines=shares, source_minor=part)
            )

    for credit in credits:
        mine = [r for r in results if r.order.currency == credit.currency and sum(left[id(r)].values())]
        spendable = min(credit.left_minor, sum(sum(left[id(r)].values()) for r in mine))
        for result, part in zip(
            mine, allocate(spendable, [sum(left[id(r)].values()) for r in mine]), strict=True
        ):
            if not part:
                continue
            remaining = left[id(result)]
            keys = [line.key for line in result.order.lines if remaining[line.key] > 0]
            shares = _spread(part, remaining, keys)
            for k, p in shares.items():
                remaining[k] -= p
            result.applied.append(Applied(offer=None, credit=credit, amount_minor=part, lines=shares))
    return Evaluation(orders=results, offers=chosen)


# --- CPN-5: the best allowed selection, explained ----------------------------------------------


@dataclass
class Choice:
    best: Evaluation
    alternatives: list[Evaluation]
    refusals: dict[int, Refusal]  # offers that apply in no selection, with their reason
    reason: str


def _tie_key(ev: Evaluation) -> tuple:
    return (
        -ev.saving_usd_minor,
        len(ev.offers),
        tuple(sorted(o.ends_at for o in ev.offers)),
        tuple(sorted(o.id for o in ev.offers)),
    )


def _store_options(order: StoreOrderIn, offers: Sequence[Offer]) -> list[tuple[Offer, ...]]:
    mine = [o for o in offers if o.store_id == order.store_id and not o.is_platform]
    options = stacking.combinations([(o.kind, o) for o in mine])
    return options


def best_selection(
    orders: Sequence[StoreOrderIn],
    *,
    offers: Sequence[Offer],
    buyer: BuyerIn,
    now: dt.datetime,
    credits: Sequence[Credit] = (),
    keep: int = 5,
) -> Choice:
    """CPN-5: the allowed selection saving the most, with up to `keep` alternatives.

    Instant discounts always apply: a selection leaving out an instant discount that
    applies is not offered. Offers that apply in no selection come back in `refusals`.
    """
    offers = sorted(offers, key=lambda o: o.id)
    platform_options: list[Offer | None] = [None, *[o for o in offers if o.is_platform]]
    per_store = [_store_options(s, offers) for s in orders]
    count = len(platform_options)
    for options in per_store:
        count *= len(options)
    if count <= MAX_EVALUATED:
        candidates = [
            (dict(zip([s.store_id for s in orders], picks, strict=True)), platform)
            for platform in platform_options
            for picks in product(*per_store)
        ]
    else:  # greedy: each store's best alone, combined with each platform offer
        picks = []
        for s, options in zip(orders, per_store, strict=True):
            evs = [
                (evaluate([s], store_offers={s.store_id: opt}, platform=None, buyer=buyer, now=now), opt)
                for opt in options
            ]
            valid = [(ev, opt) for ev, opt in evs if ev.ok]
            picks.append(min(valid, key=lambda pair: _tie_key(pair[0]))[1] if valid else ())
        candidates = [
            (dict(zip([s.store_id for s in orders], picks, strict=True)), platform)
            for platform in platform_options
        ]
    valid: list[Evaluation] = []
    refusals: dict[int, Refusal] = {}
    used_ok: set[int] = set()
    for store_offers, platform in candidates:
        ev = evaluate(
            orders, store_offers=store_offers, platform=platform, buyer=buyer, now=now, credits=credits
        )
        if ev.ok:
            valid.append(ev)
            used_ok.update(o.id for o in ev.offers)
        else:
            offer, refusal = ev.refusal
            refusals.setdefault(offer.id, refusal)
    # CPN-3: an instant discount always applies, so drop selections that leave out one that could.
    instant_ok = {o.id for o in offers if o.kind == Kind.STORE_INSTANT and o.id in used_ok}
    instant_stores = {o.store_id for o in offers if o.id in instant_ok}
    valid = [
        ev
        for ev in valid
        if all(
            any(o.kind == Kind.STORE_INSTANT and o.store_id == store for o in ev.offers)
            for store in instant_stores
            if any(r.order.store_id == store for r in ev.orders)
        )
    ] or valid
    # An offer that applied only in a selection leaving out an instant discount does not apply:
    # its reason is the one met with the instant discount in place (CPN-3, CPN-6).
    used_ok = {o.id for ev in valid for o in ev.offers}
    valid.sort(key=_tie_key)
    for o in offers:
        if o.id not in used_ok and o.id not in refusals:
            refusals[o.id] = Refusal(
                "not_for_these_products", _("None of the items in your order are covered.")
            )
    for oid in used_ok:
        refusals.pop(oid, None)
    if not valid:
        empty = evaluate(orders, store_offers={}, platform=None, buyer=buyer, now=now, credits=credits)
        return Choice(best=empty, alternatives=[], refusals=refusals, reason=_("No discount applies."))
    best = valid[0]
    reason = _explain(best, valid)
    return Choice(best=best, alternatives=valid[1 : keep + 1], refusals=refusals, reason=reason)


def _explain(best: Evaluation, valid: list[Evaluation]) -> str:
    if not best.offers:
        return _("No discount applies to this order.")
    ties = [ev for ev in valid if ev.saving_usd_minor == best.saving_usd_minor]
    names = ", ".join(o.title for o in best.offers)
    text = _("Preselected: %(names)s — the largest saving of the %(n)d allowed combinations.") % {
        "names": names,
        "n": len(valid),
    }
    if len(ties) > 1:
        text += " " + _(
            "Others save as much; this one uses the fewest coupons and keeps the longer-lived ones for later."
        )
    return text


def selection_from_ids(
    orders: Sequence[StoreOrderIn], *, offers: Sequence[Offer], ids: Iterable[int]
) -> tuple[dict[int, tuple[Offer, ...]], Offer | None]:
    """The buyer's own pick (CPN-5 "switch"): the offers with these ids, placed per store."""
    wanted = set(ids)
    picked = [o for o in offers if o.id in wanted]
    platform = [o for o in picked if o.is_platform]
    store_offers: dict[int, tuple[Offer, ...]] = {}
    for o in picked:
        if not o.is_platform:
            store_offers[o.store_id] = (*store_offers.get(o.store_id, ()), o)
    return store_offers, (platform[0] if platform else None)


def evaluate_pick(
    orders: Sequence[StoreOrderIn],
    *,
    offers: Sequence[Offer],
    ids: Iterable[int],
    buyer: BuyerIn,
    now: dt.datetime,
    credits: Sequence[Credit] = (),
) -> Evaluation:
    """CPN-3, CPN-5: the buyer's own pick evaluated — the one function the checkout and the
    preview both ask, so they refuse alike.

    Ids not among `offers` are ignored here (the caller says which are unknown). Two platform
    offers refuse with "cannot_combine" (one platform discount per checkout). The best
    applicable instant discount of each store is added (it always applies), then the pick is
    evaluated; a refusal comes back in the Evaluation.
    """
    wanted = set(ids)
    picked = [o for o in offers if o.id in wanted]
    platforms = [o for o in picked if o.is_platform]
    if len(platforms) > 1:
        refusal = Refusal("cannot_combine", _("Only one platform discount can be used per checkout."))
        return Evaluation(
            orders=[OrderResult(order=s, applied=[]) for s in orders],
            offers=tuple(picked),
            refusal=(platforms[1], refusal),
        )
    store_offers, platform = selection_from_ids(orders, offers=offers, ids=wanted)
    instants = [o for o in offers if o.kind == Kind.STORE_INSTANT]
    if instants:
        best = best_selection(orders, offers=instants, buyer=buyer, now=now)
        for o in best.best.offers:
            if not any(p.kind == Kind.STORE_INSTANT for p in store_offers.get(o.store_id, ())):
                store_offers[o.store_id] = (o, *store_offers.get(o.store_id, ()))
    return evaluate(
        orders, store_offers=store_offers, platform=platform, buyer=buyer, now=now, credits=credits
    )

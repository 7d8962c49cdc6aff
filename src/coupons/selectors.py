"""Coupon reads: the engine's inputs from the database, "My Coupons" (CPN-4), the checkout preview (CPN-5)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, IntegerField, Q, Sum, Value
from django.utils.translation import gettext as _

from core.money import Money, convert
from coupons import engine
from coupons.models import (
    CODE_KINDS,
    COLLECTED_KINDS,
    CollectedCoupon,
    Eligible,
    Kind,
    Promotion,
    Redemption,
    RefundCouponUse,
    StoreFollow,
)

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")


def code_normalise(raw: str | None) -> str:
    """A promo code as stored: inner and outer spaces removed, upper-case (" spring 10 " → "SPRING10")."""
    return re.sub(r"\s+", "", raw or "").upper()


def code_problem(code: str) -> str | None:
    """Why a (normalised) promo code is not acceptable as a code, or None."""
    if not code:
        return _("Enter a promo code.")
    if not CODE_RE.match(code):
        return _("A promo code has 3–32 letters, digits, dashes or underscores.")
    return None


# --- the engine's inputs ----------------------------------------------------------------------------


def _category_ancestors() -> dict[int, frozenset[int]]:
    from catalog.models import Category

    parents = dict(Category.objects.values_list("pk", "parent_id"))
    found = {}
    for pk in parents:
        chain, seen = [], set()
        cur = pk
        while cur is not None and cur not in seen:
            seen.add(cur)
            chain.append(cur)
            cur = parents.get(cur)
        found[pk] = frozenset(chain)
    return found


def orders_as_input(orders: Sequence, *, categories: bool = True) -> list[engine.StoreOrderIn]:
    """Placed orders as engine input: their lines keyed by OrderLine id (`categories`: read the
    category tree too — needed only when an offer is limited to categories)."""
    from orders.models import OrderLine

    ancestors = _category_ancestors() if categories else {}
    lines = defaultdict(list)
    placed = [getattr(o, "placed_lines", None) for o in orders]
    if all(p is not None and all(line.pk for line in p) for p in placed):  # just placed: no re-read
        rows = sorted((line for group in placed for line in group), key=lambda line: line.pk)
    else:
        rows = (
            OrderLine.objects.filter(order__in=[o.pk for o in orders])
            .select_related("variant__product")
            .order_by("pk")
        )
    for line in rows:
        product = line.variant.product if line.variant else None
        lines[line.order_id].append(
            engine.LineIn(
                key=line.pk,
                product_id=product.pk if product else 0,
                category_ids=ancestors.get(product.category_id, frozenset()) if product else frozenset(),
                amount_minor=line.unit_price_minor * line.quantity,
            )
        )
    return [
        engine.StoreOrderIn(
            store_id=o.store_id,
            currency=o.currency,
            lines=tuple(lines[o.pk]),
            shipping_minor=o.shipping_total_minor,
        )
        for o in sorted(orders, key=lambda o: o.pk)
    ]


def cart_as_input(*, user) -> list[engine.StoreOrderIn]:
    """The buyer's cart as it would be placed: one store order per store (ORD-1), lines keyed by
    variant id, prices in the store's currency (shipping not counted before an address).

    Only the lines the checkout would order: a line with a stock problem or no longer sold is
    left out by the cart's own rule (cart.selectors.cart_line_view), exactly as the checkout
    summary leaves it out, so the discount shown is computed on what is shown."""
    from cart.selectors import cart_line_view, cart_lines

    ancestors = _category_ancestors()
    by_store: dict = defaultdict(list)
    for line in sorted(cart_lines(user=user), key=lambda line: line.variant_id):
        if not cart_line_view(line, locale="").can_checkout:
            continue
        variant = line.variant
        product = variant.product
        store = product.store
        unit = convert(Money(variant.price_minor, product.currency), store.currency).amount
        by_store[(store.pk, store.currency)].append(
            engine.LineIn(
                key=variant.pk,
                product_id=product.pk,
                category_ids=ancestors.get(product.category_id, frozenset()),
                amount_minor=unit * line.quantity,
            )
        )
    return [
        engine.StoreOrderIn(store_id=store_id, currency=currency, lines=tuple(lines))
        for (store_id, currency), lines in sorted(by_store.items())
    ]


def _offers(promotions: Iterable[Promotion]) -> list[engine.Offer]:
    promotions = list(promotions)
    if not promotions:
        return []
    products, categories = defaultdict(set), defaultdict(set)
    ids = [p.pk for p in promotions]
    # Both eligibility lists in one statement (UNION ALL), told apart by a marker column.
    through_p = (
        Promotion.products.through.objects.filter(promotion_id__in=ids).order_by()
        .annotate(is_category=Value(0, output_field=IntegerField()))
        .values_list("promotion_id", "product_id", "is_category")
    )
    through_c = (
        Promotion.categories.through.objects.filter(promotion_id__in=ids).order_by()
        .annotate(is_category=Value(1, output_field=IntegerField()))
        .values_list("promotion_id", "category_id", "is_category")
    )
    for pid, ref, is_category in through_p.union(through_c, all=True):
        (categories if is_category else products)[pid].add(ref)
    return [engine.Offer.of(p, product_ids=products[p.pk], category_ids=categories[p.pk]) for p in promotions]


def offer_of(promotion: Promotion) -> engine.Offer:
    return _offers([promotion])[0]


def offers_for_checkout(
    *, buyer, store_ids: Iterable[int], codes: Sequence[str], now: dt.datetime
) -> tuple[list[engine.Offer], dict[str, engine.Refusal]]:
    """The offers a checkout may use: the stores' running instant discounts, the buyer's
    collected coupons (valid or not — the engine says why not) and the typed promo codes.
    Unknown codes come back as refusals ("unknown_code")."""
    store_ids = set(store_ids)
    live = Q(archived=False)
    instant = Q(
        kind=Kind.STORE_INSTANT, store_id__in=store_ids, paused=False, starts_at__lte=now, ends_at__gt=now
    )
    collected = Q(
        kind__in=COLLECTED_KINDS,
        pk__in=CollectedCoupon.objects.filter(user=buyer).values("promotion_id"),
    ) & (Q(store_id__in=store_ids) | Q(store__isnull=True))
    query = instant | collected
    refusals: dict[str, engine.Refusal] = {}
    codes = [c for c in dict.fromkeys(code_normalise(c) for c in codes) if c]
    if codes:
        query |= Q(kind__in=CODE_KINDS, code__in=codes) & (Q(store_id__in=store_ids) | Q(store__isnull=True))
    promotions = list(Promotion.objects.filter(live & query).order_by("pk"))
    found_codes = {p.code for p in promotions if p.code}
    for code in codes:
        if code not in found_codes:
            if Promotion.objects.filter(kind=Kind.STORE_CODE, code=code, archived=False).exists():
                refusals[code] = engine.Refusal(
                    "not_for_these_products", _("This code is for another store.")
                )
            else:
                refusals[code] = engine.Refusal(
                    "unknown_code", _("There is no promo code %(code)s.") % {"code": code}
                )
    return _offers(promotions), refusals


def buyer_facts(
    *, user, promotion_ids: Iterable[int], offers: Sequence[engine.Offer] | None = None
) -> engine.BuyerIn:
    """What the conditions need to know about the buyer: first order, follows, uses, wallet.

    With `offers`, only what those offers' conditions need is read."""
    from orders.models import Order

    if user is None or not getattr(user, "is_authenticated", False):
        return engine.BuyerIn(user_id=None)
    ids = list(promotion_ids)
    used, collected = {}, set()
    if ids:  # the uses (counts ≥ 1) and the collected coupons (marked -1) in one statement
        uses = (
            Redemption.objects.filter(user=user, promotion_id__in=ids, status=Redemption.Status.ACTIVE)
            .order_by()
            .values("promotion_id")
            .annotate(n=Count("pk"))
            .values_list("promotion_id", "n")
        )
        held = (
            CollectedCoupon.objects.filter(user=user, promotion_id__in=ids).order_by()
            .annotate(n=Value(-1, output_field=IntegerField()))
            .values_list("promotion_id", "n")
        )
        for pid, n in uses.union(held, all=True):
            if n < 0:
                collected.add(pid)
            else:
                used[pid] = n
    needs = (
        {o.eligible_users for o in offers}
        if offers is not None
        else {Eligible.NEW_BUYERS, Eligible.FOLLOWERS}
    )
    follows = (
        StoreFollow.objects.filter(user=user) if Eligible.FOLLOWERS in needs else StoreFollow.objects.none()
    )
    return engine.BuyerIn(
        user_id=user.pk,
        is_new_buyer=Eligible.NEW_BUYERS in needs
        and not Order.objects.filter(buyer=user, paid_at__isnull=False).exists(),
        followed_store_ids=frozenset(follows.values_list("store_id", flat=True)),
        used=used,
        collected=frozenset(collected),
    )


def credits_for(*, buyer, lock: bool = False) -> list[engine.Credit]:
    """PAY-4: the buyer's refund coupons with value left (locked for a checkout)."""
    from payments.models import RefundCoupon

    coupons = RefundCoupon.objects.filter(owner=buyer).order_by("pk")
    if lock:
        coupons = coupons.select_for_update()
    coupons = list(coupons)
    spent = dict(
        RefundCouponUse.objects.filter(refund_coupon__in=coupons, status=Redemption.Status.ACTIVE)
        .values("refund_coupon_id")
        .annotate(s=Sum("amount_minor"))
        .values_list("refund_coupon_id", "s")
    )
    return [
        engine.Credit(
            id=c.pk, code=c.code, currency=c.currency, left_minor=c.amount_minor - spent.get(c.pk, 0)
        )
        for c in coupons
        if c.amount_minor - spent.get(c.pk, 0) > 0
    ]


# --- CPN-4: My Coupons ----------------------------------------------------------------------------------


def my_coupons(*, user, now: dt.datetime) -> dict[str, list[dict]]:
    """The buyer's wallet grouped as valid / not_yet_active / expired / used (CPN-4).

    "used": the per-user limit is reached. "expired" includes paused-for-good and
    out-of-stock coupons with their reason, so nothing silently disappears.
    """
    held = list(
        CollectedCoupon.objects.filter(user=user)
        .select_related("promotion__store")
        .order_by("-collected_at", "-pk")
    )
    facts = buyer_facts(user=user, promotion_ids=[h.promotion_id for h in held])
    offers = {o.id: o for o in _offers([h.promotion for h in held])}
    groups: dict[str, list[dict]] = {"valid": [], "not_yet_active": [], "expired": [], "used": []}
    for h in held:
        p = h.promotion
        refusal = engine.offer_check(offers[p.pk], buyer=facts, now=now)
        if refusal is None:
            group = "valid"
        elif refusal.code == "not_yet_active":
            group = "not_yet_active"
        elif refusal.code in {"already_used", "per_user_limit_reached"}:
            group = "used"
        elif refusal.code == "not_for_this_user":
            group = "valid" if now < p.ends_at else "expired"
        else:
            group = "expired"
        groups[group].append(coupon_row(p, collected_at=h.collected_at, refusal=refusal))
    return groups


def coupon_row(p: Promotion, *, collected_at=None, refusal: engine.Refusal | None = None) -> dict:
    return {
        "promotion_id": p.pk,
        "kind": p.kind,
        "title": p.title,
        "store_id": p.store_id,
        "store_name": p.store.name if p.store_id else "",
        "percent_bp": p.percent_bp,
        "amount_minor": p.amount_minor,
        "currency": p.currency,
        "max_discount_minor": p.max_discount_minor,
        "min_spend_minor": p.min_spend_minor,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "collected_at": collected_at,
        "status_code": refusal.code if refusal else "valid",
        "status_message": refusal.message if refusal else "",
    }


def collectable_coupons(*, store_id: int | None = None, sale_page_id: int | None = None, now: dt.datetime):
    """Coupons a buyer can "Get" now: a store's coupons, or a sale page's platform coupons."""
    query = Promotion.objects.filter(
        kind__in=COLLECTED_KINDS, archived=False, paused=False, ends_at__gt=now
    ).select_related("store")
    if store_id is not None:
        query = query.filter(store_id=store_id)
    if sale_page_id is not None:
        query = query.filter(sale_page_id=sale_page_id)
    return list(query.order_by("ends_at", "pk"))


# --- CPN-5 / CPN-6: checkout preview and the promo-code box ------------------------------------------------


def _evaluation_dict(ev: engine.Evaluation) -> dict:
    return {
        "promotion_ids": sorted(o.id for o in ev.offers),
        "saving": ev.savings_by_source(),
        "orders": [
            {
                "store_id": r.order.store_id,
                "currency": r.order.currency,
                "items_minor": r.order.items_minor,
                "shipping_minor": r.order.shipping_minor,
                "discount_minor": r.discount_minor,
                "total_minor": r.total_minor,
                "discounts": [
                    {
                        "kind": a.kind,
                        "title": str(a.title),
                        "funder": a.funder,
                        "amount_minor": a.amount_minor,
                    }
                    for a in r.applied
                ],
            }
            for r in ev.orders
        ],
    }


def checkout_preview(
    *,
    user,
    now: dt.datetime,
    codes: Sequence[str] = (),
    promotion_ids: Sequence[int] | None = None,
    use_refund_coupons: bool = False,
) -> dict:
    """CPN-5: the preselected best combination for the buyer's cart, the alternatives, and why
    each other offer does not apply (CPN-6). With `promotion_ids`, that pick is evaluated
    instead (refusal in "refusal")."""
    inputs = cart_as_input(user=user)
    offers, code_refusals = offers_for_checkout(
        buyer=user, store_ids={s.store_id for s in inputs}, codes=codes, now=now
    )
    facts = buyer_facts(user=user, promotion_ids=[o.id for o in offers])
    credits = credits_for(buyer=user) if use_refund_coupons else []
    choice = engine.best_selection(inputs, offers=offers, buyer=facts, now=now, credits=credits)
    picked = None
    if promotion_ids is not None:
        # CPN-3/CPN-5: the very function the checkout uses decides (coupons.services._evaluate_pick).
        ev = engine.evaluate_pick(
            inputs, offers=offers, ids=promotion_ids, buyer=facts, now=now, credits=credits
        )
        picked = _evaluation_dict(ev)
        picked["refusal"] = (
            {"promotion_id": ev.refusal[0].id, "code": ev.refusal[1].code, "message": ev.refusal[1].message}
            if ev.refusal
            else None
        )
        unknown = sorted(set(promotion_ids) - {o.id for o in offers})
        if unknown:  # refused first, as the checkout does (unknown_promotion)
            picked["refusal"] = {
                "promotion_id": unknown[0],
                "code": "unknown_promotion",
                "message": _("These offers are not available to you for this order: %(ids)s.")
                % {"ids": ", ".join(map(str, unknown))},
            }
    titles = {o.id: o.title for o in offers}
    return {
        "best": _evaluation_dict(choice.best),
        "reason": choice.reason,
        "alternatives": [_evaluation_dict(ev) for ev in choice.alternatives],
        "picked": picked,
        "not_applicable": [
            {
                "promotion_id": pid,
                "title": titles.get(pid, ""),
                "code": r.code,
                "message": r.message,
                "data": r.data,
            }
            for pid, r in sorted(choice.refusals.items())
        ],
        "codes": [{"code": c, "error": r.code, "message": r.message} for c, r in code_refusals.items()],
    }


def promo_code_check(
    *, user, code: str, now: dt.datetime
) -> tuple[engine.Offer | None, engine.Refusal | None]:
    """CPN-6: does this typed code apply to the cart? (offer, None) or (offer or None, refusal)."""
    normalised = code_normalise(code)
    problem = code_problem(normalised)
    if problem:
        return None, engine.Refusal("invalid_code", problem)
    inputs = cart_as_input(user=user)
    offers, refusals = offers_for_checkout(
        buyer=user, store_ids={s.store_id for s in inputs}, codes=[normalised], now=now
    )
    if normalised in refusals:
        return None, refusals[normalised]
    offer = next(o for o in offers if o.code == normalised)
    facts = buyer_facts(user=user, promotion_ids=[o.id for o in offers])
    # As the checkout measures it: after the stores' instant discounts (engine.evaluate_pick).
    ev = engine.evaluate_pick(inputs, offers=offers, ids=[offer.id], buyer=facts, now=now)
    return offer, (ev.refusal[1] if ev.refusal else None)

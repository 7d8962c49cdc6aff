"""Coupon reads: the engine's inputs from the database, "My Coupons" (CPN-4), the checkout preview (CPN-5)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import IntegerField, Sum, Value
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
)
from deadlines.rows import db_datetime, for_update, in_sql, sql_row, sql_rows

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


# One statement reads the checkout's promotions with their product and category lists (one row
# per list entry, or one row with NULLs for a promotion limited to nothing): the stores' running
# instant discounts, the buyer's collected coupons, the typed codes. With the buyer's row lock
# (checkout), the statement joins accounts_user and takes its row lock FOR UPDATE OF it.
_OFFER_COLUMNS = (
    'p."id", p."kind", p."title", p."currency", p."starts_at", p."ends_at", p."store_id", p."code", '
    'p."percent_bp", p."amount_minor", p."max_discount_minor", p."min_spend_minor", p."eligible_users", '
    'p."per_user_limit", p."total_stock", p."redeemed_count", p."paused", x."ref", x."is_category"'
)
_OFFER_LISTS = (
    'LEFT JOIN (SELECT "promotion_id", "product_id" AS "ref", 0 AS "is_category" '
    'FROM "coupons_promotion_products" '
    'UNION ALL SELECT "promotion_id", "category_id", 1 FROM "coupons_promotion_categories") x '
    'ON x."promotion_id" = p."id"'
)


def _checkout_offers_sql(*, buyer_id: int, store_ids, codes: Sequence[str], now: dt.datetime, lock: bool):
    stores, store_params = in_sql(sorted(store_ids))
    of_stores = f'(p."store_id" {stores} OR p."store_id" IS NULL)'  # a store's, or a platform one
    instant = (
        f'(p."kind" = %s AND p."store_id" {stores} AND NOT p."paused" '
        'AND p."starts_at" <= %s AND p."ends_at" > %s)'
    )
    params: list = [Kind.STORE_INSTANT.value, *store_params, now, now]
    collected = (
        '(p."kind" IN (%s, %s) AND p."id" IN '
        f'(SELECT c."promotion_id" FROM "coupons_collectedcoupon" c WHERE c."user_id" = %s) AND {of_stores})'
    )
    params += [*(k.value for k in COLLECTED_KINDS), buyer_id, *store_params]
    which = f"{instant} OR {collected}"
    if codes:
        holders = ", ".join(["%s"] * len(codes))
        which += f' OR (p."kind" IN (%s, %s) AND p."code" IN ({holders}) AND {of_stores})'
        params += [*(k.value for k in CODE_KINDS), *codes, *store_params]
    if not lock:
        sql = (
            f'SELECT {_OFFER_COLUMNS} FROM "coupons_promotion" p {_OFFER_LISTS} '
            f'WHERE NOT p."archived" AND ({which}) ORDER BY p."id"'
        )
        return sql, params
    sql = (
        f'SELECT {_OFFER_COLUMNS} FROM "accounts_user" u '
        f'INNER JOIN "coupons_promotion" p ON NOT p."archived" AND ({which}) {_OFFER_LISTS} '
        f'WHERE u."id" = %s ORDER BY p."id"{for_update(of="u")}'
    )
    return sql, [*params, buyer_id]




def _offers_from_rows(rows) -> list[engine.Offer]:
    """Offers from _checkout_offers_sql's rows (grouped by promotion id, in id order)."""
    offers: list[engine.Offer] = []
    current, products, categories = None, set(), set()

    def close():
        (pk, kind, title, currency, starts_at, ends_at, store_id, code, percent_bp, amount_minor,
         max_discount_minor, min_spend_minor, eligible_users, per_user_limit, total_stock, redeemed,
         paused) = current[:17]
        offers.append(
            engine.Offer(
                id=pk, kind=kind, title=title, currency=currency,
                starts_at=db_datetime(starts_at), ends_at=db_datetime(ends_at),
                store_id=store_id, code=code, percent_bp=percent_bp, amount_minor=amount_minor,
                max_discount_minor=max_discount_minor, min_spend_minor=min_spend_minor,
                eligible_users=eligible_users,
                product_ids=frozenset(products), category_ids=frozenset(categories),
                per_user_limit=per_user_limit,
                stock_left=None if total_stock is None else max(total_stock - redeemed, 0),
                paused=bool(paused),  # archived ones are not read
            )
        )

    for row in rows:
        if current is None or row[0] != current[0]:
            if current is not None:
                close()
            current, products, categories = row, set(), set()
        ref, is_category = row[17], row[18]
        if ref is not None:
            (categories if is_category else products).add(ref)
    if current is not None:
        close()
    return offers


def offers_for_checkout(
    *, buyer, store_ids: Iterable[int], codes: Sequence[str], now: dt.datetime, lock_buyer: bool = False
) -> tuple[list[engine.Offer], dict[str, engine.Refusal]]:
    """The offers a checkout may use: the stores' running instant discounts, the buyer's
    collected coupons (valid or not — the engine says why not) and the typed promo codes.
    Unknown codes come back as refusals ("unknown_code").

    One statement (promotions with their product/category lists). `lock_buyer` (the checkout,
    CPN-8): the same statement locks the buyer's row (SELECT … FOR UPDATE OF it) — when at
    least one promotion is found; with none, no lock is taken."""
    codes = [c for c in dict.fromkeys(code_normalise(c) for c in codes) if c]
    sql, params = _checkout_offers_sql(
        buyer_id=buyer.pk, store_ids=set(store_ids), codes=codes, now=now, lock=lock_buyer
    )
    offers = _offers_from_rows(sql_rows(sql, params))
    refusals: dict[str, engine.Refusal] = {}
    found_codes = {o.code for o in offers if o.code}
    for code in codes:
        if code not in found_codes:
            if sql_row(_STORE_CODE_EXISTS, [Kind.STORE_CODE.value, code]) is not None:
                refusals[code] = engine.Refusal(
                    "not_for_these_products", _("This code is for another store.")
                )
            else:
                refusals[code] = engine.Refusal(
                    "unknown_code", _("There is no promo code %(code)s.") % {"code": code}
                )
    return offers, refusals


_STORE_CODE_EXISTS = (
    'SELECT 1 FROM "coupons_promotion" WHERE "kind" = %s AND "code" = %s AND NOT "archived" LIMIT 1'
)


def buyer_facts(
    *,
    user,
    promotion_ids: Iterable[int],
    offers: Sequence[engine.Offer] | None = None,
    limit_reachable_only: bool = False,
) -> engine.BuyerIn:
    """What the conditions need to know about the buyer: first order, follows, uses, wallet.

    With `offers`, only what those offers' conditions need is read. One statement (UNION ALL
    of what is needed, told apart by a marker column), none when nothing is needed.

    `limit_reachable_only` (the checkout, under the buyer's row lock): the uses are counted only
    for the promotions whose redeemed_count reaches their per-user limit. redeemed_count counts
    every active redemption of the promotion (it moves with them, in the same transaction), so
    the buyer's own uses can reach the limit only then; elsewhere they stay below it, all the
    engine asks (used ≥ limit), and a coupon used often under a large limit costs no count."""
    if user is None or not getattr(user, "is_authenticated", False):
        return engine.BuyerIn(user_id=None)
    ids = list(promotion_ids)
    needs = (
        {o.eligible_users for o in offers}
        if offers is not None
        else {Eligible.NEW_BUYERS, Eligible.FOLLOWERS}
    )
    parts, params = [], []
    if ids:  # the uses (counts ≥ 1) and the collected coupons
        frag, p = in_sql(ids)
        if limit_reachable_only:
            parts.append(
                'SELECT 0, p."id", (SELECT COUNT(*) FROM "coupons_redemption" r '
                'WHERE r."promotion_id" = p."id" AND r."user_id" = %s AND r."status" = %s) '
                'FROM "coupons_promotion" p '
                f'WHERE p."id" {frag} AND p."redeemed_count" >= p."per_user_limit"'
            )
            params += [user.pk, Redemption.Status.ACTIVE.value, *p]
        else:
            parts.append(
                'SELECT 0, "promotion_id", COUNT(*) FROM "coupons_redemption" '
                f'WHERE "user_id" = %s AND "promotion_id" {frag} AND "status" = %s GROUP BY "promotion_id"'
            )
            params += [user.pk, *p, Redemption.Status.ACTIVE.value]
        parts.append(f'SELECT 1, "promotion_id", 0 FROM "coupons_collectedcoupon" '
                     f'WHERE "user_id" = %s AND "promotion_id" {frag}')
        params += [user.pk, *p]
    if Eligible.FOLLOWERS in needs:
        parts.append('SELECT 2, "store_id", 0 FROM "coupons_storefollow" WHERE "user_id" = %s')
        params.append(user.pk)
    if Eligible.NEW_BUYERS in needs:  # a row when the buyer has a paid order
        parts.append(
            'SELECT 3, 0, 0 WHERE EXISTS (SELECT 1 FROM "orders_order" '
            'WHERE "buyer_id" = %s AND "paid_at" IS NOT NULL)'
        )
        params.append(user.pk)
    used, collected, follows, has_paid = {}, set(), set(), False
    if parts:
        for tag, ref, n in sql_rows(" UNION ALL ".join(parts), params):
            if tag == 0:
                if n:
                    used[ref] = n
            elif tag == 1:
                collected.add(ref)
            elif tag == 2:
                follows.add(ref)
            else:
                has_paid = True
    return engine.BuyerIn(
        user_id=user.pk,
        is_new_buyer=Eligible.NEW_BUYERS in needs and not has_paid,
        followed_store_ids=frozenset(follows),
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

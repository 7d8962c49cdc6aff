"""Coupon writes: collect, redeem at checkout, give back, fund and refund (CPN-4, CPN-7, CPN-8, ORD-8).

Redemption is exact under concurrency (CPN-8):
- the stock is taken with one conditional UPDATE
  (`redeemed_count = redeemed_count + 1 WHERE redeemed_count < total_stock`), so N units
  are taken at most N times whatever the load — and the check constraint
  promotion_stock_not_oversold would refuse an oversell anyway;
- the per-user limit is counted while the buyer's row is locked (SELECT … FOR UPDATE), so
  one buyer's concurrent checkouts count one after the other.
Both happen inside the checkout's transaction: a refusal rolls the whole checkout back.

Money (CPN-7): a seller-funded discount lowers what the buyer pays and what the seller
gets; a platform-funded discount lowers what the buyer pays, and the platform pays it into
the order's escrow from its platform_discounts account when the order is paid
("discount:order:<id>"), so the seller receives the undiscounted amount minus commission.
A refund gives the buyer back their share and returns the platform's proportional share
from escrow to platform_discounts ("discount-return:refund:<id>"), cumulatively rounded so
a full refund returns exactly what the platform paid in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotFound
from coupons import engine
from coupons.models import (
    COLLECTED_KINDS,
    CollectedCoupon,
    Funder,
    OrderDiscount,
    Promotion,
    Redemption,
    RefundCouponUse,
    StoreFollow,
)
from coupons.selectors import (
    buyer_facts,
    code_normalise,
    credits_for,
    offers_for_checkout,
    orders_as_input,
)
from deadlines.batch import at_batch_end
from deadlines.rows import for_update, in_sql, sql_row, sql_rows, sql_run

# --- CPN-4: collecting -----------------------------------------------------------------------------


def coupon_collect(*, user, promotion_id: int, now: dt.datetime) -> CollectedCoupon:
    """ "Get coupon": put a store or platform coupon in the buyer's wallet, once."""
    promotion = Promotion.objects.filter(pk=promotion_id, kind__in=COLLECTED_KINDS, archived=False).first()
    if promotion is None:
        raise NotFound(_("There is no such coupon."), code="unknown_coupon")
    offer = engine.Offer.of(promotion)
    refusal = engine.offer_check(
        offer, buyer=buyer_facts(user=user, promotion_ids=[promotion.pk]), now=now, need_collected=False
    )
    if refusal is not None and refusal.code in {"paused", "expired", "out_of_stock", "not_for_this_user"}:
        raise Conflict(refusal.message, code=refusal.code)
    if promotion.sale_page_id and not (promotion.sale_page.starts_at <= now < promotion.sale_page.ends_at):
        raise Conflict(_("This sale is not on now."), code="sale_not_running")
    existing = CollectedCoupon.objects.filter(user=user, promotion=promotion).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            held = CollectedCoupon.objects.create(user=user, promotion=promotion, collected_at=now)
            Promotion.objects.filter(pk=promotion.pk).update(collected_count=F("collected_count") + 1)
    except IntegrityError:
        return CollectedCoupon.objects.get(user=user, promotion=promotion)
    return held


def store_follow(*, user, store, now: dt.datetime) -> StoreFollow:
    """A buyer follows a store (eligibility "followers", CPN-2)."""
    follow, _created = StoreFollow.objects.get_or_create(
        user=user, store=store, defaults={"followed_at": now}
    )
    return follow


def store_unfollow(*, user, store) -> bool:
    """The buyer stops following a store; its followers-only offers no longer apply to them."""
    return StoreFollow.objects.filter(user=user, store=store).delete()[0] > 0


# --- CPN-8: redemption inside the checkout ----------------------------------------------------------


def _refuse(refusal: engine.Refusal, field: str) -> DomainError:
    status = 409 if refusal.code in {"out_of_stock", "already_used", "per_user_limit_reached"} else 422
    return DomainError(refusal.message, code=refusal.code, fields={field: [refusal.message]}, status=status)


def promotion_redeem(*, promotion_id: int, user_id: int) -> None:
    """Take one unit of stock and check the buyer's limit (caller holds the buyer's row lock).

    Raises Conflict out_of_stock / already_used / per_user_limit_reached; the caller's
    transaction then rolls back.
    """
    took = (
        Promotion.objects.filter(pk=promotion_id)
        .filter(Q(total_stock__isnull=True) | Q(redeemed_count__lt=F("total_stock")))
        .update(redeemed_count=F("redeemed_count") + 1)
    )
    if not took:
        raise _refuse(engine.Refusal("out_of_stock", _("This offer has run out.")), "promotion_ids")
    limit = Promotion.objects.values_list("per_user_limit", flat=True).get(pk=promotion_id)
    used = Redemption.objects.filter(
        promotion_id=promotion_id, user_id=user_id, status=Redemption.Status.ACTIVE
    ).count()
    if used >= limit:
        code = "already_used" if limit == 1 else "per_user_limit_reached"
        message = (
            _("You have already used this offer.") if limit == 1 else _("You reached this offer's limit.")
        )
        raise _refuse(engine.Refusal(code, message), "promotion_ids")


def redemption_take(
    *, promotion_id: int, user, order, now: dt.datetime, checkout=None, amount_minor: int = 0
) -> Redemption:
    """CPN-8: one use of a promotion by `user` on `order`, exact under concurrency.

    Locks the buyer's row (their concurrent checkouts count one after the other), takes a
    unit of stock with a conditional UPDATE, checks the per-user limit, records the use.
    Must run inside the caller's transaction; a refusal raises and rolls it back.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    promotion_redeem(promotion_id=promotion_id, user_id=user.pk)
    return Redemption.objects.create(
        promotion_id=promotion_id,
        user=user,
        order=order,
        checkout=checkout,
        amount_minor=amount_minor,
        currency=Promotion.objects.values_list("currency", flat=True).get(pk=promotion_id),
        created_at=now,
    )


def checkout_discounts_apply(
    *,
    checkout,
    orders: Sequence,
    buyer,
    now: dt.datetime,
    promotion_ids: Sequence[int] | None = None,
    codes: Sequence[str] = (),
    use_refund_coupons: bool = False,
) -> engine.Evaluation | None:
    """Apply the discounts to the checkout's freshly placed orders, in the checkout's transaction.

    Without `promotion_ids` the best allowed selection is applied (CPN-5); with them, exactly
    those (plus the instant discounts, which always apply) — a refusal raises its CPN-6
    code. Writes OrderDiscount/LineDiscount, a Redemption per promotion used, and the
    orders' discount_total_minor/total_minor.
    """
    orders = sorted(orders, key=lambda o: o.pk)
    store_ids = {o.store_id for o in orders}
    codes = [c for c in (code_normalise(c) for c in codes) if c]
    # CPN-8: one buyer's checkouts count their uses one after the other: the statement reading
    # the offers also locks the buyer's row (when it finds any), and the uses are counted
    # (buyer_facts) only after it, so the count is exact. Lock order: the variants (placed
    # just before), the buyer's row, the promotions (their stock, last in _write).
    offers, code_refusals = offers_for_checkout(
        buyer=buyer, store_ids=store_ids, codes=codes, now=now, lock_buyer=True
    )
    for refusal in code_refusals.values():  # an unknown typed code: say so, place nothing
        raise _refuse(refusal, "codes")
    if not offers:
        if not use_refund_coupons and not promotion_ids:
            return None  # nothing could apply
        sql_row(_BUYER_LOCK + for_update(), [buyer.pk])  # no offer row took the buyer's lock
    inputs = orders_as_input(orders, categories=any(o.category_ids for o in offers))
    facts = buyer_facts(
        user=buyer, promotion_ids=[o.id for o in offers], offers=offers, limit_reachable_only=True
    )
    credits = credits_for(buyer=buyer, lock=True) if use_refund_coupons else []
    if promotion_ids is None:
        choice = engine.best_selection(inputs, offers=offers, buyer=facts, now=now, credits=credits)
        for offer in offers:  # CPN-6: a code the buyer typed that applies nowhere says why
            if offer.code and offer.code in codes and offer.id in choice.refusals:
                raise _refuse(choice.refusals[offer.id], "codes")
        ev = choice.best
    else:
        ev = _evaluate_pick(inputs, offers=offers, ids=promotion_ids, buyer=facts, now=now, credits=credits)
    if not any(r.applied for r in ev.orders):
        return ev
    _write(checkout=checkout, orders=orders, ev=ev, buyer=buyer, now=now)
    return ev


def _evaluate_pick(inputs, *, offers, ids, buyer, now, credits) -> engine.Evaluation:
    ids = list(dict.fromkeys(ids))
    known = {o.id for o in offers}
    bad = [i for i in ids if i not in known]
    if bad:
        message = _("These offers are not available to you for this order: %(ids)s.") % {
            "ids": ", ".join(map(str, bad))
        }
        raise DomainError(message, code="unknown_promotion", fields={"promotion_ids": [message]}, status=422)
    # CPN-3/CPN-5: the same function as the preview decides (two platform offers: cannot_combine).
    ev = engine.evaluate_pick(inputs, offers=offers, ids=ids, buyer=buyer, now=now, credits=credits)
    if not ev.ok:
        raise _refuse(ev.refusal[1], "promotion_ids")
    return ev


_BUYER_LOCK = 'SELECT "id" FROM "accounts_user" WHERE "id" = %s'
_DISCOUNT_COLUMNS = (
    '"order_id", "promotion_id", "refund_coupon_id", "kind", "title", "amount_minor", '
    '"source_amount_minor", "funder"'
)
_REDEMPTION_COLUMNS = (
    '"promotion_id", "user_id", "order_id", "checkout_id", "amount_minor", "currency", "status", '
    '"created_at"'
)
_STOCK_TAKE = (
    'UPDATE "coupons_promotion" SET "redeemed_count" = "redeemed_count" + 1 '
    'WHERE "id" {ids} AND ("total_stock" IS NULL OR "redeemed_count" < "total_stock")'
)
_ROWS = 500  # rows per multi-row INSERT


def _insert(table: str, columns: str, rows: list[tuple], returning: str = "") -> list[tuple]:
    """A multi-row INSERT of `rows` (tuples of values) in chunks; the RETURNING rows if asked."""
    found: list[tuple] = []
    if not rows:
        return found
    holders = f"({', '.join(['%s'] * len(rows[0]))})"
    for start in range(0, len(rows), _ROWS):
        chunk = rows[start : start + _ROWS]
        sql = f'INSERT INTO "{table}" ({columns}) VALUES {", ".join([holders] * len(chunk))}'
        params = [value for row in chunk for value in row]
        if returning:
            found += sql_rows(f"{sql} RETURNING {returning}", params)
        else:
            sql_run(sql, params)
    return found


def _write(*, checkout, orders, ev: engine.Evaluation, buyer, now: dt.datetime) -> None:
    """The evaluation's discounts, in as few statements as it takes: the orders' totals (one
    UPDATE), the OrderDiscounts (one INSERT … RETURNING), their LineDiscounts, the
    Redemptions (one INSERT each), the refund coupons' uses, then the promotions' stock."""
    by_store = {o.store_id: o for o in orders}
    # promotion id → [(order id, amount in the promotion's currency)]: a platform discount's
    # parts as allocated (CPN-7), so they sum to what the promotion gave, in its own currency.
    used: dict[int, list] = defaultdict(list)
    currencies = {o.id: o.currency for o in ev.offers}
    credit_used: list[tuple] = []  # (refund coupon id, order id, amount)
    promotion_ids = sorted({o.id for o in ev.offers})
    discounts, line_parts, totals = [], [], []
    for result in ev.orders:
        order = by_store[result.order.store_id]
        for applied in result.applied:
            amount = applied.amount_minor
            if not amount:
                continue
            offer, credit = applied.offer, applied.credit
            if offer is not None:
                kind, title = offer.kind, offer.title
                funder = Funder.PLATFORM.value if offer.is_platform else Funder.SELLER.value
                used[offer.id].append((order.pk, applied.source_amount_minor))
            else:
                kind, title, funder = "refund_coupon", str(applied.title), Funder.PLATFORM.value
                credit_used.append((credit.id, order.pk, amount))
            key = (order.pk, offer.id if offer else None, credit.id if credit else None)
            discounts.append((*key, kind, title[:120], amount, applied.source_amount_minor, funder))
            line_parts.append((key, applied.lines))
        if result.discount_minor:
            order.discount_total_minor = result.discount_minor
            order.total_minor = result.total_minor
            totals.append(order)
    if totals:
        ids, id_params = in_sql([o.pk for o in totals])
        cases = " ".join(["WHEN %s THEN %s"] * len(totals))
        sql_run(
            f'UPDATE "orders_order" SET "discount_total_minor" = CASE "id" {cases} END, '
            f'"total_minor" = CASE "id" {cases} END WHERE "id" {ids}',
            [
                *(v for o in totals for v in (o.pk, o.discount_total_minor)),
                *(v for o in totals for v in (o.pk, o.total_minor)),
                *id_params,
            ],
        )
    # The new ids, matched by (order, promotion, refund coupon): one discount each per order
    # (RETURNING gives no row order on SQLite).
    discount_ids = {
        (order_id, promotion_id, credit_id): pk
        for pk, order_id, promotion_id, credit_id in _insert(
            "coupons_orderdiscount", _DISCOUNT_COLUMNS, discounts,
            returning='"id", "order_id", "promotion_id", "refund_coupon_id"',
        )
    }
    if len(discount_ids) != len(discounts):
        raise RuntimeError("Two discounts of one source on one order: the engine should not allow it.")
    _insert(
        "coupons_linediscount", '"order_discount_id", "order_line_id", "amount_minor"',
        [(discount_ids[key], line, amount) for key, lines in line_parts for line, amount in lines.items()],
    )
    first_order, checkout_id = orders[0].pk, checkout.pk if checkout else None
    active = Redemption.Status.ACTIVE.value
    redemptions = []
    for promotion_id in promotion_ids:  # on the first order it applied to, summed over the orders
        parts = used.get(promotion_id) or [(first_order, 0)]
        amount = sum(a for _o, a in parts)
        redemptions.append(
            (promotion_id, buyer.pk, parts[0][0], checkout_id, amount, currencies[promotion_id], active, now)
        )
    _insert("coupons_redemption", _REDEMPTION_COLUMNS, redemptions)
    # The refund coupons were locked by credits_for(lock=True).
    _insert(
        "coupons_refundcouponuse", '"refund_coupon_id", "order_id", "amount_minor", "status", "created_at"',
        [(credit_id, order_id, amount, active, now) for credit_id, order_id, amount in sorted(
            credit_used, key=lambda c: c[0])],
    )
    # CPN-8: every promotion used takes its unit of stock in one conditional UPDATE (its only
    # lock; the per-user limit was checked by the engine on uses counted under the buyer's
    # lock). Last: a shared platform coupon's row is then held only until the commit; a
    # refusal rolls everything above back.
    if promotion_ids:
        frag, params = in_sql(promotion_ids)
        if sql_run(_STOCK_TAKE.format(ids=frag), params) != len(promotion_ids):
            raise _refuse(engine.Refusal("out_of_stock", _("This offer has run out.")), "promotion_ids")


# --- give-back of an unpaid order's coupons (CPN-8) ---------------------------------------------------


def order_coupons_give_back(*, order, now: dt.datetime) -> int:
    """A cancelled or closed UNPAID order gives its coupons back (stock and per-user count).

    A platform discount spread over several orders of one checkout comes back when the last
    of them closes unpaid. A paid order gives nothing back. Returns how many came back.
    """
    from orders.models import Order
    from orders.states import State

    if order.paid_at is not None:
        return 0
    promotion_ids = list(
        OrderDiscount.objects.filter(order=order, promotion__isnull=False).values_list(
            "promotion_id", flat=True
        )
    )
    back, back_ids = 0, []
    for promotion_id in sorted(set(promotion_ids)):
        redemption = (
            Redemption.objects.select_for_update()
            .filter(promotion_id=promotion_id, user_id=order.buyer_id, status=Redemption.Status.ACTIVE)
            .filter(Q(checkout_id=order.checkout_id) if order.checkout_id else Q(order=order))
            .first()
        )
        if redemption is None:
            continue
        others = Order.objects.filter(
            discounts__promotion_id=promotion_id, checkout_id=order.checkout_id
        ).exclude(pk=order.pk)
        if others.filter(~Q(state=State.CLOSED) | Q(paid_at__isnull=False)).exists():
            continue
        Redemption.objects.filter(pk=redemption.pk).update(status=Redemption.Status.RETURNED, returned_at=now)
        back_ids.append(promotion_id)
        back += 1
    if back_ids:
        # In a deadline batch, after the stock is given back (same lock order as a checkout:
        # variants, then promotions) and right before the commit.
        at_batch_end("coupons.give_back", _promotions_give_back, back_ids, last=True)
    RefundCouponUse.objects.filter(order=order, status=Redemption.Status.ACTIVE).update(
        status=Redemption.Status.RETURNED, returned_at=now
    )
    return back


def _promotions_give_back(items: list[list[int]]) -> None:
    counts = Counter(pid for ids in items for pid in ids)
    for promotion_id in sorted(counts):  # in id order, like the checkouts taking them
        n = counts[promotion_id]
        Promotion.objects.filter(pk=promotion_id, redeemed_count__gte=n).update(
            redeemed_count=F("redeemed_count") - n
        )


# --- ORD-8 (A) ----------------------------------------------------------------------------------------


# The paid order's coupon facts in one statement: what the platform funds on it (CPN-7) and
# whether one of its promotions was already used by the buyer, on other paid orders of other
# checkouts, as often as its per-user limit allows (ORD-8 A). The uses are counted only for a
# promotion whose redeemed_count reaches the limit: redeemed_count counts every active
# redemption of the promotion (taken and given back with them, in the same transaction), so
# the buyer's own can reach the limit only then — and a coupon used often under a large limit
# costs no count (the count reads each use's order).
_ORDER_COUPON_FACTS = (
    'SELECT (SELECT COALESCE(SUM(d."amount_minor"), 0) FROM "coupons_orderdiscount" d '
    'WHERE d."order_id" = %s AND d."funder" = %s), '
    'EXISTS (SELECT 1 FROM "coupons_orderdiscount" d INNER JOIN "coupons_promotion" p '
    'ON p."id" = d."promotion_id" WHERE d."order_id" = %s AND p."redeemed_count" >= p."per_user_limit" '
    'AND (SELECT COUNT(*) FROM "coupons_redemption" r INNER JOIN "orders_order" o ON o."id" = r."order_id" '
    'WHERE r."promotion_id" = p."id" AND r."user_id" = %s AND r."status" = %s '
    'AND o."paid_at" IS NOT NULL AND r."order_id" <> %s AND {other_checkout}) >= p."per_user_limit")'
)
_OTHER_CHECKOUT = '(r."checkout_id" IS NULL OR r."checkout_id" <> %s)'
_ANY_CHECKOUT = 'r."checkout_id" IS NOT NULL'  # the ORM's exclude(checkout_id=None)
_PLATFORM_FUNDED = (
    'SELECT COALESCE(SUM("amount_minor"), 0) FROM "coupons_orderdiscount" '
    'WHERE "order_id" = %s AND "funder" = %s'
)
_FUNDED = "_platform_funded_minor"  # kept on the order instance by coupon_reused


def coupon_reused(order) -> bool:
    """ORD-8 (A): the order uses a coupon its buyer already used on another paid order (of another
    checkout), at or beyond the coupon's per-user limit.

    The same statement reads the order's platform-funded discount, kept on the instance for
    platform_funded_minor (the payment asks both): an order's discounts are written once, by
    its checkout, and never change, so the value stays right for the instance's life."""
    params = [order.pk, Funder.PLATFORM.value, order.pk, order.buyer_id, Redemption.Status.ACTIVE.value,
              order.pk]
    if order.checkout_id is None:
        sql = _ORDER_COUPON_FACTS.format(other_checkout=_ANY_CHECKOUT)
    else:
        sql = _ORDER_COUPON_FACTS.format(other_checkout=_OTHER_CHECKOUT)
        params.append(order.checkout_id)
    funded, reused = sql_row(sql, params)
    order.__dict__[_FUNDED] = int(funded)
    return bool(reused)


# --- ledger: who funds (CPN-7) --------------------------------------------------------------------------


def platform_funded_minor(order) -> int:
    funded = order.__dict__.get(_FUNDED)
    if funded is None:
        (funded,) = sql_row(_PLATFORM_FUNDED, [order.pk, Funder.PLATFORM.value])
        funded = order.__dict__[_FUNDED] = int(funded)
    return funded


def order_capture_with_discounts(*, order, now: dt.datetime):
    """BP-2 + CPN-7: the paid order's capture, with the platform paying its funded discounts in.

    One balanced transaction under the capture's own key ("capture:order:<id>"): the buyer's
    payment from provider_clearing and the platform-funded discounts from platform_discounts
    both enter the order's escrow, so the seller is later released the undiscounted amount
    minus commission (ledger.services.ledger_capture_order with the platform's share). None
    when no discount is platform-funded (then the plain capture is the caller's).
    """
    from ledger.services import ledger_capture_order

    funded = platform_funded_minor(order)
    if not funded:
        return None
    return ledger_capture_order(order=order, now=now, platform_funded_minor=funded)


def refund_platform_share_return(*, refund, now: dt.datetime):
    """A refund of the buyer's money also sends the platform's proportional share back.

    Cumulative: after refunds totalling R of a total T (what the buyer paid), the platform
    has got back floor(P × R / T) of its P, so a full refund returns exactly P.
    """
    from ledger.models import Account, Entry, Transaction
    from ledger.services import account_get, capture_key, escrow_of, ledger_post
    from payments.models import Refund

    order = refund.order
    funded = platform_funded_minor(order)
    if not funded or not order.total_minor:
        return None
    if not Transaction.objects.filter(idempotency_key=capture_key(order)).exists():
        return None
    refunded = (
        Refund.objects.filter(order=order)
        .exclude(state=Refund.State.FAILED)
        .aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    due = funded * min(refunded, order.total_minor) // order.total_minor
    returned = (
        Entry.objects.filter(
            transaction__order=order,
            transaction__idempotency_key__startswith="discount-return:",
            account__kind=Account.Kind.PLATFORM_DISCOUNTS,
        ).aggregate(s=Sum("amount_minor"))["s"]
        or 0
    )
    amount = due - returned
    escrow = escrow_of(order)
    if amount <= 0 or escrow is None:
        return None
    target = account_get(kind=Account.Kind.PLATFORM_DISCOUNTS, currency=order.currency, now=now)
    return ledger_post(
        key=f"discount-return:refund:{refund.pk}",
        kind=Transaction.Kind.ADJUSTMENT,
        lines=[(escrow, -amount), (target, amount)],
        memo=f"Platform-funded share of refund {refund.pk}, order {order.number}",
        now=now,
        order=order,
    )

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
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotFound
from coupons import engine
from coupons.models import (
    COLLECTED_KINDS,
    CollectedCoupon,
    Funder,
    LineDiscount,
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
    offers, code_refusals = offers_for_checkout(buyer=buyer, store_ids=store_ids, codes=codes, now=now)
    for refusal in code_refusals.values():  # an unknown typed code: say so, place nothing
        raise _refuse(refusal, "codes")
    if not offers and not use_refund_coupons and not promotion_ids:
        return None  # nothing could apply
    # CPN-8: one buyer's checkouts count their uses one after the other: the uses are counted
    # (buyer_facts) only once the buyer's row is locked, so the count is exact.
    get_user_model().objects.select_for_update().filter(pk=buyer.pk).values_list("pk").first()
    inputs = orders_as_input(orders, categories=any(o.category_ids for o in offers))
    facts = buyer_facts(user=buyer, promotion_ids=[o.id for o in offers], offers=offers)
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


def _write(*, checkout, orders, ev: engine.Evaluation, buyer, now: dt.datetime) -> None:
    from orders.models import Order
    from payments.models import RefundCoupon

    by_store = {o.store_id: o for o in orders}
    used: dict[int, list] = defaultdict(list)  # promotion id → [(order, amount)]
    credit_used: dict[int, list] = defaultdict(list)
    promotion_ids = sorted({o.id for o in ev.offers})
    discounts, line_parts = [], []
    for result in ev.orders:
        order = by_store[result.order.store_id]
        for applied in result.applied:
            if not applied.amount_minor:
                continue
            discount = OrderDiscount(
                order=order,
                promotion_id=applied.offer.id if applied.offer else None,
                refund_coupon_id=applied.credit.id if applied.credit else None,
                kind=applied.kind,
                title=str(applied.title)[:120],
                amount_minor=applied.amount_minor,
                funder=Funder.PLATFORM if applied.funder == "platform" else Funder.SELLER,
            )
            discounts.append(discount)
            line_parts.append(applied.lines)
            if applied.offer:
                used[applied.offer.id].append((order, applied.amount_minor))
            else:
                credit_used[applied.credit.id].append((order, applied.amount_minor))
        if result.discount_minor:
            order.discount_total_minor = result.discount_minor
            order.total_minor = result.total_minor
            Order.objects.filter(pk=order.pk).update(
                discount_total_minor=order.discount_total_minor, total_minor=order.total_minor
            )
    OrderDiscount.objects.bulk_create(discounts)
    LineDiscount.objects.bulk_create(
        LineDiscount(order_discount=discount, order_line_id=key, amount_minor=amount)
        for discount, lines in zip(discounts, line_parts, strict=True)
        for key, amount in lines.items()
    )
    Redemption.objects.bulk_create(
        Redemption(
            promotion_id=promotion_id,
            user=buyer,
            order=(used.get(promotion_id) or [(orders[0], 0)])[0][0],
            checkout=checkout,
            amount_minor=sum(a for _o, a in used.get(promotion_id, [])),
            created_at=now,
        )
        for promotion_id in promotion_ids
    )
    for credit_id, parts in sorted(credit_used.items()):
        coupon = RefundCoupon.objects.get(pk=credit_id)  # locked by credits_for(lock=True)
        for order, amount in parts:
            RefundCouponUse.objects.create(
                refund_coupon=coupon, order=order, amount_minor=amount, created_at=now
            )
    # CPN-8: every promotion used takes its unit of stock in one conditional UPDATE (its only
    # lock; the per-user limit was checked by the engine on uses counted under the buyer's
    # lock). Last: a shared platform coupon's row is then held only until the commit; a
    # refusal rolls everything above back.
    if promotion_ids:
        took = (
            Promotion.objects.filter(pk__in=promotion_ids)
            .filter(Q(total_stock__isnull=True) | Q(redeemed_count__lt=F("total_stock")))
            .update(redeemed_count=F("redeemed_count") + 1)
        )
        if took != len(promotion_ids):
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


def coupon_reused(order) -> bool:
    """ORD-8 (A): the order uses a coupon its buyer already used on another paid order, at or
    beyond the coupon's per-user limit (one query)."""
    earlier = (
        Redemption.objects.filter(
            user_id=order.buyer_id,
            status=Redemption.Status.ACTIVE,
            order__paid_at__isnull=False,
            promotion_id__in=OrderDiscount.objects.filter(order=order, promotion__isnull=False).values(
                "promotion_id"
            ),
        )
        .exclude(order=order)
        .exclude(checkout_id=order.checkout_id)
        .values("promotion_id", "promotion__per_user_limit")
        .annotate(n=Count("pk"))
    )
    return any(row["n"] >= row["promotion__per_user_limit"] for row in earlier)


# --- ledger: who funds (CPN-7) --------------------------------------------------------------------------


def platform_funded_minor(order) -> int:
    return (
        OrderDiscount.objects.filter(order=order, funder=Funder.PLATFORM).aggregate(s=Sum("amount_minor"))[
            "s"
        ]
        or 0
    )


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

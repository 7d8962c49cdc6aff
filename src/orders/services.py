"""Order use cases (ORD-1…ORD-9, BP-4): checkout, pay, cancel, ship, receive, extend.

Each function checks with orders.rules (the same code the pages use to explain
why a button is missing), then changes state only through
orders.transitions.order_transition. Side effects — refunds, notices and
their emails — are rows written in the same transaction (outbox).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext

from cart.models import CartLine
from catalog.models import Variant
from core.errors import Conflict, DomainError, NotAllowed
from core.money import Money, convert
from core.policy import policy
from deadlines.batch import at_batch_end, atomic
from deadlines.batch import current as current_batch
from deadlines.rows import ids_in, rows_insert
from deadlines.services import deadline_disarm
from orders import notices
from orders.models import (
    CancellationRequest,
    Checkout,
    ExtensionRequest,
    Order,
    OrderEvent,
    OrderLine,
    RequestStatus,
    TrackingEvent,
)
from orders.rules import (
    Decision,
    check_add_tracking,
    check_answer_cancellation,
    check_answer_extension,
    check_cancel_unpaid,
    check_confirm_receipt,
    check_extension_days,
    check_request_cancellation,
    check_request_extension,
    check_ship,
)
from orders.states import Actor, CloseReason, DeadlineKind, State
from orders.transitions import (
    SUBJECT,
    order_arm,
    order_arm_deadline,
    order_transition,
    promised_delivery,
    protection_end,
    reminder_kind,
)


def _enforce(decision: Decision) -> None:
    if not decision:
        raise NotAllowed(decision.reason, code=decision.code)


def _locked(order: Order | int) -> Order:
    pk = order.pk if isinstance(order, Order) else order
    return Order.objects.select_for_update().get(pk=pk)


def _event(
    order: Order,
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    actor_user=None,
    reason: str = "",
    data: dict | None = None,
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        at=now,
        actor=actor,
        actor_user=actor_user,
        kind=kind,
        from_state=order.state,
        to_state=order.state,
        reason=reason,
        data=data or {},
    )


# --- Checkout (ORD-1) ----------------------------------------------------------------------


def _new_number() -> str:
    return "HA" + "".join(secrets.choice("0123456789") for _ in range(12))


def _shipping_for(store, products, country: str):
    """The cheapest shipping method every product of a store order offers, with its estimate.

    A product with no methods chosen accepts any method of its store.
    """
    common = {m.pk: m for m in store.shipping_methods.prefetch_related("estimates")}
    chosen: dict[int, set[int]] = defaultdict(set)
    through = type(products[0]).shipping_methods.through if products else None
    for product_id, method_id in (
        through.objects.filter(product_id__in=[p.pk for p in products]).values_list(
            "product_id", "shippingmethod_id"
        ) if products else ()
    ):
        chosen[product_id].add(method_id)
    for ids in chosen.values():
        common = {pk: m for pk, m in common.items() if pk in ids}
    for method in sorted(common.values(), key=lambda m: (m.price_minor, m.pk)):
        estimate = method.estimate_for(country)
        if estimate is not None:
            return method, estimate
    return None


def checkout_place(
    *, buyer, address, idempotency_key: str, now: dt.datetime,
    promotion_ids: list[int] | None = None, codes: tuple[str, ...] | list[str] = (),
    use_refund_coupons: bool = False,
) -> Checkout:
    """Turn the buyer's cart into one order per store (ORD-1), reserving stock under lock.

    A repeated call with the same idempotency key returns the first checkout.

    CPN-5: the discounts are applied in the same transaction (coupons.services.
    checkout_discounts_apply): the best allowed combination, or exactly `promotion_ids`
    (the buyer's switch), with the typed promo `codes`; `use_refund_coupons` spends the
    buyer's COD refund coupons (PAY-4). A refusal (CPN-6 code) places nothing.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise DomainError(
            gettext("A checkout needs an idempotency key of 1–64 characters."),
            code="invalid",
            fields={"idempotency_key": ["Required, at most 64 characters."]},
            status=422,
        )
    if address.user_id != buyer.pk:
        raise DomainError(
            gettext("Choose one of your own addresses."),
            code="invalid",
            fields={"address_id": ["Not one of your addresses."]},
            status=422,
        )
    if not (address.first_name.strip() and address.last_name.strip()):
        raise DomainError(
            gettext("The shipping address needs a first and a last name."),
            code="incomplete_name",
            fields={"address_id": ["Add a first and last name to this address."]},
            status=422,
        )
    try:
        with transaction.atomic():
            return _place(
                buyer=buyer, address=address, idempotency_key=idempotency_key, now=now,
                promotion_ids=promotion_ids, codes=codes, use_refund_coupons=use_refund_coupons,
            )
    except IntegrityError:
        # The checkout row is the first write: a repeated key (a double submit, perhaps a
        # concurrent one) fails there and gets the first checkout, with nothing else written.
        existing = Checkout.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
        if existing:
            return existing
        raise


def _place(
    *, buyer, address, idempotency_key: str, now: dt.datetime,
    promotion_ids=None, codes=(), use_refund_coupons: bool = False,
) -> Checkout:
    checkout = Checkout.objects.create(buyer=buyer, idempotency_key=idempotency_key, created_at=now)
    lines = list(
        CartLine.objects.filter(user=buyer).select_related("variant__product__store").order_by("variant_id")
    )
    if not lines:
        raise DomainError(gettext("Your cart is empty."), code="empty_cart", status=422)
    # Lock the variants in a fixed order (by id) so concurrent checkouts cannot deadlock.
    variants = {
        v.pk: v
        for v in Variant.objects.select_for_update(of=("self",))
        .select_related("product__store")
        .filter(pk__in=[line.variant_id for line in lines])
        .order_by("pk")
    }
    problems = {}
    by_store = defaultdict(list)
    orders: list[Order] = []
    events: list[OrderEvent] = []
    taken: dict[int, int] = defaultdict(int)  # variant id → units sold
    for line in lines:
        variant = variants.get(line.variant_id)
        product = variant.product if variant else None
        if variant is None or not variant.is_active or not product.is_active or not product.store.is_active:
            problems[str(line.variant_id)] = "This item is no longer sold; remove it from your cart."
        elif variant.stock < line.quantity:
            problems[str(line.variant_id)] = (
                f"Only {variant.stock} left of {product.title}."
                if variant.stock
                else f"{product.title} is out of stock."
            )
        else:
            by_store[product.store].append((line, variant))
    if problems:
        raise Conflict(
            gettext(
                "Some items in your cart cannot be bought as they are."),
                code="cart_problems", fields=problems
        )
    for store, store_lines in sorted(by_store.items(), key=lambda item: item[0].pk):
        products = [variant.product for _, variant in store_lines]
        shipping = _shipping_for(store, products, address.country)
        if shipping is None:
            raise Conflict(
                gettext("%(name)s does not deliver to this address's country.") % {"name": store.name},
                code="no_delivery",
                fields={"address_id": [f"{store.name} does not deliver there."]},
            )
        method, estimate = shipping
        priced = [
            (line, v, convert(Money(v.price_minor, v.product.currency), store.currency).amount)
            for line, v in store_lines
        ]
        items = sum(unit * line.quantity for line, _, unit in priced)
        shipping_minor = convert(method.price, store.currency).amount
        order = Order.objects.create(
            number=_new_number(),
            checkout=checkout,
            buyer=buyer,
            store=store,
            currency=store.currency,
            ship_first_name=address.first_name,
            ship_last_name=address.last_name,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_city=address.city,
            ship_region=address.region,
            ship_postal_code=address.postal_code,
            ship_country=address.country,
            ship_phone=address.phone,
            processing_days=max(v.product.processing_days for _, v in store_lines),
            shipping_method=method,
            delivery_max_days=estimate.max_days,
            placed_at=now,
            items_total_minor=items,
            shipping_total_minor=shipping_minor,
            total_minor=items + shipping_minor,
        )
        orders.append(order)
        # Kept on the order (variants and products loaded) for the discounts just below.
        order.placed_lines = [
            OrderLine(
                order=order,
                variant=variant,
                product_title=variant.product.title,
                variant_label=variant.label,
                unit_price_minor=unit,
                quantity=line.quantity,
                processing_days=variant.product.processing_days,
            )
            for line, variant, unit in priced
        ]
        rows_insert(order.placed_lines)  # lean multi-row INSERT (pks set), not bulk_create
        for line, variant, _ in priced:
            taken[variant.pk] += line.quantity
        events.append(OrderEvent(
            order=order,
            at=now,
            actor=Actor.BUYER,
            actor_user=buyer,
            kind="placed",
            to_state=State.AWAITING_PAYMENT,
            reason="Order placed",
        ))
        order_arm_deadline(order, DeadlineKind.PAYMENT_WINDOW, now, fresh=True)  # a new order
    rows_insert(events)  # one INSERT (COPY would cost two round trips for a row or two)
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    # The stock (the variants were locked first, in id order), then the products' total stock.
    _stock_take(taken, sorted({variants[pk].product_id for pk in taken}), now)
    from catalog.services import catalog_changed
    from coupons.services import checkout_discounts_apply

    checkout_discounts_apply(  # CPN-3, CPN-5, CPN-8: discounts and redemptions, or a refusal
        checkout=checkout, orders=orders, buyer=buyer, now=now,
        promotion_ids=promotion_ids, codes=codes, use_refund_coupons=use_refund_coupons,
    )  # its last statement takes the coupons' stock (a shared platform coupon's row)
    catalog_changed()  # last before the commit: the catalog version row every checkout bumps
    return checkout


def _restock(order: Order, now: dt.datetime) -> None:
    """Give the units of a closed order back to the catalog.

    In a deadline batch this happens once for all of the batch's closings, at its end.
    """
    batch = current_batch()
    known = batch.data(SUBJECT, order.pk) if batch is not None else None
    if known is not None and "lines" in known:  # loaded by the batch's prepare hook
        lines = known["lines"]
    else:
        lines = order.lines.values_list("variant_id", "quantity")
    quantities: dict[int, int] = {}
    for variant_id, quantity in lines:
        if variant_id:
            quantities[variant_id] = quantities.get(variant_id, 0) + quantity
    if quantities:
        # Last in the batch: variants, products and the catalog version are rows checkouts and
        # other workers lock too.
        at_batch_end("orders.stock_return", _stock_return, (quantities, now), last=True)


def _stock_take(taken: dict[int, int], product_ids: list[int], now: dt.datetime) -> None:
    """Take the units sold from their variants (locked by the caller), then refresh the
    products' total stock, as _stock_return does the other way (the caller bumps the catalog
    version)."""
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for variant_id, quantity in taken.items():
        by_quantity[quantity].append(variant_id)
    for quantity, variant_ids in sorted(by_quantity.items()):
        Variant.objects.filter(pk__in=ids_in(variant_ids)).update(stock=F("stock") - quantity)
    _products_stock_refresh(product_ids, now)


def _products_stock_refresh(products, now: dt.datetime) -> None:
    """Product.total_stock from the active variants' stock, in one UPDATE (the caller bumps the
    catalog version).

    A stock change moves only Variant.stock and Product.total_stock (not prices or search
    text): this is that part of catalog.services.product_refresh_summary for many products.
    """
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from catalog.models import Product

    active_stock = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .values("product")
        .annotate(total=Sum("stock"))
        .values("total")
    )
    Product.objects.filter(pk__in=ids_in(products)).update(  # in id order (the pk index)
        total_stock=Coalesce(Subquery(active_stock), 0), updated_at=now
    )


def _stock_return(items: list[tuple[dict[int, int], dt.datetime]]) -> None:
    """Add the quantities back to their variants, then refresh the products' total stock.

    A stock change moves only Variant.stock and Product.total_stock (not prices or search
    text), so this does that part of catalog.services.product_refresh_summary for all the
    products at once, and bumps the catalog version once. Rows are locked in id order.
    """
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from catalog.models import Product
    from catalog.services import catalog_changed

    totals: dict[int, int] = defaultdict(int)
    for quantities, _ in items:
        for variant_id, quantity in quantities.items():
            totals[variant_id] += quantity
    now = max(at for _, at in items)
    products = {
        product_id
        for _, product_id in Variant.objects.select_for_update()
        .filter(pk__in=ids_in(totals))
        .order_by("pk")
        .values_list("pk", "product_id")
    }
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for variant_id, quantity in totals.items():
        by_quantity[quantity].append(variant_id)
    for quantity, variant_ids in by_quantity.items():
        Variant.objects.filter(pk__in=ids_in(variant_ids)).update(stock=F("stock") + quantity)
    list(Product.objects.select_for_update().filter(pk__in=ids_in(products)).order_by("pk").values_list("pk"))
    active_stock = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .values("product")
        .annotate(total=Sum("stock"))
        .values("total")
    )
    Product.objects.filter(pk__in=ids_in(products)).update(
        total_stock=Coalesce(Subquery(active_stock), 0), updated_at=now
    )
    catalog_changed()


def order_close(
    *,
    order: Order | int,
    actor: str,
    close_reason: str,
    now: dt.datetime,
    actor_user=None,
    reason: str = "",
    kind: str = "",
) -> Order:
    """Close an order with its reason, give the stock back and refund whatever was paid (ORD-9)."""
    from payments.services import refund_order_full

    with atomic():
        closed = order_transition(
            order=order,
            to=State.CLOSED,
            actor=actor,
            now=now,
            actor_user=actor_user,
            close_reason=close_reason,
            reason=reason,
            kind=kind or close_reason,
        )
        _restock(closed, now)
        if not closed.paid_at and closed.discount_total_minor:
            from coupons.services import order_coupons_give_back

            order_coupons_give_back(order=closed, now=now)  # CPN-8: an unpaid order's coupons come back
        refund = refund_order_full(
            order=closed,
            reason=str(CloseReason(close_reason).label),  # a lazy label, stored as text
            event_key=f"order:{closed.pk}:close",
            now=now,
        )
        notices.order_closed(closed, refund=refund, now=now)
    return closed


# --- Payment ------------------------------------------------------------------------------


def checkout_pay(
    *, checkout: Checkout, token: str, idempotency_key: str, now: dt.datetime, save_card: bool = False,
    method: str = "card", use_balance: bool = False,
):
    """Pay every unpaid order of the checkout with the card `token`, one payment per currency.

    The token comes from the provider's hosted card step or is one of the buyer's saved cards
    (PAY-1); `save_card` keeps the card for later ("Save this card"). The provider's answer is
    applied by `_payment_apply`: paid, declined (PAY-2: Payment.failure_code is a
    payments.declines code), flagged for verification (orders → payment being verified,
    PAY-3) or processing (orders → payment processing until the provider's webhook settles
    it, see `payment_settle`). The idempotency key makes a double submit charge once (PAY-5):
    the Payment row is unique per key and the provider call carries the same key.

    PAY-4: `method` is a code of payments.methods (only those available for the delivery
    country and the currency); the methods other than "card" go through the simulated
    provider. `use_balance` first spends the buyer's platform balance (payments.services.
    balance_spend); the rest, if any, is charged to the method.
    """
    from payments import cards
    from payments import methods as pay_methods
    from payments.models import Payment
    from payments.providers import get_provider
    from payments.providers.simulated import method_token
    from payments.services import balance_spend

    orders = list(checkout.orders.filter(state=State.AWAITING_PAYMENT).order_by("pk"))
    if not orders:
        raise Conflict(gettext("Nothing in this checkout is waiting for payment."), code="nothing_to_pay")
    by_currency = defaultdict(list)
    for order in orders:
        by_currency[order.currency].append(order)
    for currency in by_currency:  # PAY-4: unknown or unavailable methods change nothing (422)
        pay_methods.method_check(code=method, country=orders[0].ship_country, currency=currency)
    if method == "card" and not token and use_balance:
        from payments.services import buyer_balance_minor

        message = "Your balance does not cover the whole amount: choose a card or another method too."
        for currency, group in by_currency.items():
            held = buyer_balance_minor(user=checkout.buyer, currency=currency)
            if held < sum(o.total_minor for o in group):
                raise DomainError(
                    message, code="balance_insufficient", fields={"token": [message]}, status=422
                )
    if method == "card":
        from appeals.services import appeal_refuse_card_payment

        appeal_refuse_card_payment(buyer=checkout.buyer)  # PAY-3: documents first (409 appeal_pending)
    elif not token or not token.startswith("sim_method:"):
        token = method_token(method)
    provider = get_provider() if method == "card" else get_provider("simulated")
    buyer = checkout.buyer
    is_card = method == "card"
    saved = cards.saved_card_for_token(owner=buyer, provider=provider, token=token) if is_card else None
    newly_saved = None
    if saved is None and save_card and method == "card":
        saved = newly_saved = cards.saved_card_create(owner=buyer, provider=provider, token=token, now=now)
    customer_ref = cards.provider_customer_ref(user=buyer, provider=provider, now=now) if saved else ""
    payments = []
    for currency, group in sorted(by_currency.items()):
        key = f"{idempotency_key}:{currency}"
        due = sum(o.total_minor for o in group)
        from_balance = (
            balance_spend(checkout=checkout, currency=currency, due_minor=due, payment_key=key, now=now)
            if use_balance
            else None
        )
        if from_balance is not None and from_balance.amount_minor >= due:  # the balance pays it all
            if from_balance.state == Payment.State.PENDING:
                from_balance = _payment_apply(
                    payment=from_balance, status="succeeded", provider_ref="", failure_code="", now=now
                )  # ChargeStatus.SUCCEEDED
            payments.append(from_balance)
            continue
        # The row first (unique per key): a repeated key (double submit) finds the first one.
        amount = Money(due - (from_balance.amount_minor if from_balance else 0), currency)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    checkout=checkout,
                    method=method,
                    provider=provider.name,
                    amount_minor=amount.amount,
                    currency=currency,
                    idempotency_key=key,
                    created_at=now,
                )
        except IntegrityError:
            payment = Payment.objects.get(idempotency_key=key)
        if payment.state == Payment.State.PENDING:
            result = provider.charge(
                amount=payment.amount, token=token, idempotency_key=key, customer_ref=customer_ref
            )
            card = result.card or saved
            payment = _payment_apply(
                payment=payment, status=result.status, provider_ref=result.provider_ref,
                failure_code=result.failure_code, now=now,
                card=(card.brand, card.last4) if card else ("", ""),
            )
            if method != "card":
                from payments.services import offline_payment_arm

                offline_payment_arm(payment=payment, now=now)  # PAY-4: the money must arrive in time
        payments.append(payment)
    if newly_saved and all(p.state == Payment.State.FAILED for p in payments):
        cards.saved_card_remove_refused(card=newly_saved)  # a refused card is not kept
    return payments


def _payment_apply(
    *, payment, status: str, provider_ref: str, failure_code: str, now: dt.datetime,
    card: tuple[str, str] = ("", ""),
):
    """Record the provider's answer on a pending or processing payment and move its orders,
    once (the payment row is locked; an answer that arrives second changes nothing)."""
    from payments.models import Payment
    from payments.providers import ChargeStatus

    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state not in (Payment.State.PENDING, Payment.State.PROCESSING):
            return payment
        if status == ChargeStatus.PROCESSING and payment.state == Payment.State.PROCESSING:
            return payment
        orders = list(  # locked here, in id order, after the payment (the order every payer uses)
            Order.objects.select_for_update(of=("self",)).select_related("store").filter(
                checkout_id=payment.checkout_id,
                currency=payment.currency,
                state__in=[State.AWAITING_PAYMENT, State.PAYMENT_PROCESSING],
            ).order_by("pk")
        )
        payment.provider_ref = provider_ref or payment.provider_ref
        if card[1]:
            payment.card_brand, payment.card_last4 = card
        if status == ChargeStatus.SUCCEEDED:
            payment.state, payment.succeeded_at = Payment.State.SUCCEEDED, now
        elif status == ChargeStatus.PROCESSING:
            payment.state = Payment.State.PROCESSING
        elif status == ChargeStatus.VERIFYING:
            payment.state, payment.failure_code = Payment.State.VERIFYING, failure_code
        else:
            payment.state, payment.failure_code = Payment.State.FAILED, failure_code
        payment.save()
        from payments.services import balance_part_settle

        balance_part_settle(payment=payment, now=now)  # the balance part of the attempt follows it
        for order in orders:
            if status == ChargeStatus.SUCCEEDED:
                _order_paid(order=order, now=now, locked_here=True)  # an error rolls it all back
            elif status == ChargeStatus.PROCESSING and order.state == State.AWAITING_PAYMENT:
                order_transition(
                    order=order, to=State.PAYMENT_PROCESSING, actor=Actor.SYSTEM, now=now,
                    kind="payment_processing", reason="The card provider is processing the payment",
                )
            elif status == ChargeStatus.VERIFYING:
                order_transition(
                    order=order, to=State.PAYMENT_VERIFYING, actor=Actor.SYSTEM, now=now,
                    kind="payment_verifying", reason="The card provider asked for a verification",
                )
            elif status == ChargeStatus.FAILED and order.state == State.PAYMENT_PROCESSING:
                order_transition(
                    order=order, to=State.AWAITING_PAYMENT, actor=Actor.SYSTEM, now=now,
                    kind="payment_failed", reason="The card provider declined the payment",
                )
        if status == ChargeStatus.VERIFYING and orders:
            from appeals.services import appeal_open

            appeal_open(payment=payment, orders=orders, now=now)  # PAY-3: the buyer's appeal
    return payment


def payment_settle(
    *, provider: str, payment_ref: str, payment_key: str = "", ok: bool, failure_code: str = "",
    now: dt.datetime,
):
    """A provider's webhook says how a payment ended (paid or declined). Returns the payment,
    or None when no payment of ours has that reference. Applying it twice changes nothing."""
    from payments.models import Payment
    from payments.providers import ChargeStatus

    payment = None
    if payment_ref:
        payment = Payment.objects.filter(provider=provider, provider_ref=payment_ref).first()
    if payment is None and payment_key:
        payment = Payment.objects.filter(provider=provider, idempotency_key=payment_key).first()
    if payment is None:
        return None
    return _payment_apply(
        payment=payment, status=ChargeStatus.SUCCEEDED if ok else ChargeStatus.FAILED,
        provider_ref=payment_ref, failure_code="" if ok else (failure_code or "payment_failed"),
        now=now,
    )


def order_paid(*, order: Order, now: dt.datetime) -> Order:
    """The payment went through: the ship-by countdown starts (ORD-4), then the security review (ORD-8)."""
    with transaction.atomic():
        return _order_paid(order=order, now=now)


def _order_paid(*, order: Order, now: dt.datetime, locked_here: bool = False) -> Order:
    """order_paid inside a transaction that rolls back as a whole on any error (no savepoint);
    `locked_here`: see order_transition."""
    paid = order_transition(
        order=order,
        locked_here=locked_here,
        to=State.AWAITING_SHIPMENT,
        actor=Actor.SYSTEM,
        now=now,
        kind="paid",
        reason="Payment received",
    )
    notices.order_paid(paid, now=now)
    close_reason = _security_close_reason(paid)
    # The capture last before the commit: it locks the shared provider-clearing (and
    # platform-discounts) ledger accounts, which every paying checkout needs.
    from ledger.services import ledger_capture_order

    captured = None
    if paid.discount_total_minor:
        from coupons.services import order_capture_with_discounts

        captured = order_capture_with_discounts(order=paid, now=now)  # CPN-7: the platform's share
    if captured is None:
        ledger_capture_order(order=paid, now=now)  # the money enters the order's escrow (BP-2)
    if close_reason:  # ORD-8: closed with a full refund of what was just captured
        return order_close(
            order=paid, actor=Actor.SYSTEM, close_reason=close_reason, now=now, kind="security_review"
        )
    return paid


def coupon_reused_by_buyer(order: Order) -> bool:
    """ORD-8 (A): the order uses a coupon its buyer already used on another paid order."""
    if not order.discount_total_minor:
        return False
    from coupons.services import coupon_reused

    return coupon_reused(order)


def _security_close_reason(order: Order) -> str:
    """ORD-8: why a paid order must be closed (a reused coupon, an incomplete name), or ""."""
    if coupon_reused_by_buyer(order):
        return CloseReason.SECURITY_COUPON_REUSE
    if not (order.ship_first_name.strip() and order.ship_last_name.strip()):
        return CloseReason.SECURITY_INCOMPLETE_NAME
    return ""


def order_security_review(*, order: Order, now: dt.datetime) -> Order:
    """ORD-8: close a paid order that reuses a coupon or ships to an incomplete name, with a full refund."""
    close_reason = _security_close_reason(order)
    if close_reason:
        return order_close(
            order=order,
            actor=Actor.SYSTEM,
            close_reason=close_reason,
            now=now,
            kind="security_review",
        )
    return order


# --- Buyer actions ------------------------------------------------------------------------


def order_cancel_unpaid(*, order: Order, buyer, now: dt.datetime) -> Order:
    """ORD-3: the buyer cancels an unpaid order directly."""
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_cancel_unpaid(locked, now))
        return order_close(
            order=locked,
            actor=Actor.BUYER,
            actor_user=buyer,
            now=now,
            close_reason=CloseReason.BUYER_CANCELLED_UNPAID,
        )


def order_request_cancellation(*, order: Order, buyer, reason: str, now: dt.datetime) -> CancellationRequest:
    """ORD-5: ask the seller to cancel a paid, unshipped order; silence for 48 h cancels it."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise DomainError(
            gettext("Tell the seller why (up to 300 characters)."),
            code="invalid",
            fields={"reason": ["Give a reason of 1–300 characters."]},
            status=422,
        )
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_request_cancellation(locked, now))
        due = now + policy.cancellation_answer_window
        request = CancellationRequest.objects.create(
            order=locked, reason=reason, created_at=now, answer_due_at=due
        )
        order_arm(locked, DeadlineKind.CANCELLATION_ANSWER, due, now)
        _event(
            locked,
            kind="cancellation_requested",
            actor=Actor.BUYER,
            actor_user=buyer,
            now=now,
            reason=reason,
            data={"answer_due_at": due.isoformat()},
        )
        notices.cancellation_requested(locked, request, now=now)
        return request


def cancellation_answer(*, order: Order, seller, accept: bool, note: str = "", now: dt.datetime) -> Order:
    """ORD-5: the seller accepts (the order closes, refunded) or refuses (it goes on)."""
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_answer_cancellation(locked, now))
        request = locked.cancellation_requests.select_for_update().get(status=RequestStatus.PENDING)
        request.status = RequestStatus.ACCEPTED if accept else RequestStatus.REFUSED
        request.answered_at, request.seller_note = now, (note or "")[:300]
        request.save()
        deadline_disarm(
            subject_type=SUBJECT, subject_id=locked.pk, now=now, kind=DeadlineKind.CANCELLATION_ANSWER
        )
        deadline_disarm(
            subject_type=SUBJECT,
            subject_id=locked.pk,
            now=now,
            kind=reminder_kind(DeadlineKind.CANCELLATION_ANSWER),
        )
        if accept:
            return order_close(
                order=locked,
                actor=Actor.SELLER,
                actor_user=seller,
                now=now,
                close_reason=CloseReason.CANCELLED_BY_SELLER_AGREEMENT,
                reason=request.reason,
            )
        _event(
            locked,
            kind="cancellation_refused",
            actor=Actor.SELLER,
            actor_user=seller,
            now=now,
            reason=note or "The seller refused the cancellation.",
        )
        notices.cancellation_refused(locked, request, now=now)
        return locked


def cancellation_expire(*, order: Order, now: dt.datetime) -> Order:
    """ORD-5: the seller did not answer in time; the order is cancelled and refunded."""
    request = order.cancellation_requests.select_for_update().get(status=RequestStatus.PENDING)
    request.status, request.answered_at = RequestStatus.EXPIRED, now
    request.save()
    return order_close(
        order=order,
        actor=Actor.SYSTEM,
        now=now,
        close_reason=CloseReason.CANCELLATION_UNANSWERED,
        reason=request.reason,
    )


def order_confirm_receipt(*, order: Order, buyer, now: dt.datetime) -> Order:
    """ORD-7 / BP-2: receipt confirmed; protection now ends 15 days after the earlier of this and PST."""
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_confirm_receipt(locked, now))
        locked.received_at = now
        locked.protection_ends_at = protection_end(locked)
        locked.save(update_fields=["received_at", "protection_ends_at"])
        order_arm_deadline(locked, DeadlineKind.PROTECTION_END, now)
        _event(
            locked,
            kind="receipt_confirmed",
            actor=Actor.BUYER,
            actor_user=buyer,
            now=now,
            reason="The buyer confirmed receipt",
            data={"protection_ends_at": locked.protection_ends_at.isoformat()},
        )
        notices.receipt_confirmed(locked, now=now)
        return locked


def extension_request(
    *, order: Order, buyer, days: int, reason: str = "", now: dt.datetime
) -> ExtensionRequest:
    """BP-4: ask for N more days of protection on a shipped, late order."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise DomainError(
            gettext(
                "Enter a whole number of days."), code="invalid", fields={"days": ["Whole days."]}, status=422
        )
    decision = check_extension_days(days)
    if not decision:
        raise DomainError(decision.reason, code=decision.code, fields={"days": [decision.reason]}, status=422)
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_request_extension(locked, now))
        request = ExtensionRequest.objects.create(
            order=locked, days=days, reason=(reason or "")[:300], created_at=now
        )
        _event(
            locked,
            kind="extension_requested",
            actor=Actor.BUYER,
            actor_user=buyer,
            now=now,
            reason=reason,
            data={"days": days},
        )
        notices.extension_requested(locked, request, now=now)
        return request


def extension_answer(*, order: Order, seller, accept: bool, now: dt.datetime) -> Order:
    """BP-4: accepted → PST and protection end move by N days; refused → nothing changes."""
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_answer_extension(locked, now))
        request = locked.extension_requests.select_for_update().get(status=RequestStatus.PENDING)
        request.status = RequestStatus.ACCEPTED if accept else RequestStatus.REFUSED
        request.answered_at = now
        request.save()
        if accept:
            locked.extension_days += request.days
            locked.promised_delivery_at = promised_delivery(locked)
            locked.protection_ends_at = protection_end(locked)
            locked.save(update_fields=["extension_days", "promised_delivery_at", "protection_ends_at"])
            order_arm_deadline(locked, DeadlineKind.PROTECTION_END, now)
        _event(
            locked,
            kind="extension_accepted" if accept else "extension_refused",
            actor=Actor.SELLER,
            actor_user=seller,
            now=now,
            data={"days": request.days},
        )
        notices.extension_answered(locked, request, now=now)
        return locked


# --- Seller actions -----------------------------------------------------------------------


def order_mark_shipped(
    *, order: Order, seller, carrier: str, tracking_number: str, now: dt.datetime
) -> Order:
    """ORD-6: the seller ships with a carrier and tracking number; PST and protection start."""
    fields = {}
    # Tracking numbers are stored upper-case so carrier webhooks match them by index.
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip().upper()
    if not carrier or len(carrier) > 80:
        fields["carrier"] = ["Name the carrier (1–80 characters)."]
    if not tracking_number or len(tracking_number) > 80 or not tracking_number.replace("-", "").isalnum():
        fields["tracking_number"] = ["Enter the tracking number: letters and digits, up to 80."]
    if fields:
        raise DomainError(gettext(
            "Some fields are invalid."), code="validation_error", fields=fields, status=422)
    with transaction.atomic():
        locked = _locked(order)
        _enforce(check_ship(locked, now))
        locked.carrier, locked.tracking_number = carrier, tracking_number
        locked.save(update_fields=["carrier", "tracking_number"])
        shipped = order_transition(
            order=locked,
            to=State.SHIPPED,
            actor=Actor.SELLER,
            actor_user=seller,
            now=now,
            kind="shipped",
            reason=f"Shipped with {carrier}, tracking {tracking_number}",
        )
        notices.order_shipped(shipped, now=now)
        return shipped


# A carrier's clock may run a little fast: scans up to this far ahead of ours are accepted.
TRACKING_CLOCK_SKEW = dt.timedelta(minutes=5)


def tracking_event_record(
    *,
    order: Order,
    status: str,
    occurred_at: dt.datetime,
    location: str = "",
    description: str = "",
    source: str,
    external_id: str | None = None,
    now: dt.datetime,
) -> tuple[TrackingEvent, bool]:
    """Store one carrier scan; an event id seen before is ignored (returns created=False)."""
    if status not in TrackingEvent.Status.values:
        raise DomainError(
            gettext("Unknown tracking status."),
            code="invalid",
            fields={"status": [f"One of: {', '.join(TrackingEvent.Status.values)}."]},
            status=422,
        )
    if occurred_at > now + TRACKING_CLOCK_SKEW:
        raise DomainError(
            gettext("The scan time is in the future."),
            code="invalid",
            fields={"occurred_at": ["This time is in the future; give the time of the scan."]},
            status=422,
        )
    if occurred_at < order.placed_at:
        raise DomainError(
            gettext("The scan time is before the order was placed."),
            code="invalid",
            fields={"occurred_at": ["This time is before the order was placed."]},
            status=422,
        )
    decision = check_add_tracking(order, now)
    if not decision:
        raise Conflict(decision.reason, code=decision.code)
    if external_id:
        existing = TrackingEvent.objects.filter(external_id=external_id).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            event = TrackingEvent.objects.create(
                order=order,
                external_id=external_id or None,
                occurred_at=occurred_at,
                received_at=now,
                status=status,
                location=location[:120],
                description=description[:300],
                source=source,
            )
    except IntegrityError:
        return TrackingEvent.objects.get(external_id=external_id), False
    return event, True

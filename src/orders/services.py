"""Order use cases (ORD-1…ORD-9, BP-4): checkout, pay, cancel, ship, receive, extend.

Each function checks with orders.rules (the same code the pages use to explain
why a button is missing), then changes state only through
orders.transitions.order_transition. Side effects — refunds, notices and
their emails — are rows written in the same transaction (outbox).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections import defaultdict
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext

from catalog.models import Product, Variant
from core.errors import Conflict, DomainError, NotAllowed
from core.money import Money, convert
from core.policy import policy
from deadlines.batch import at_batch_end, atomic
from deadlines.batch import current as current_batch
from deadlines.rows import db_datetime, for_update, ids_in, in_sql, sql_row, sql_rows, sql_run
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
    return f"HA{secrets.randbelow(10**12):012d}"  # 12 random digits


def _in_currency(amount: int, currency: str, to: str) -> int:
    """`amount` minor units of `currency` in `to` (core.money.convert; nothing to do when equal)."""
    return amount if currency == to else convert(Money(amount, currency), to).amount


# A store's shipping choice for a store order (ORD-1, ORD-6): the cheapest method (price, then
# id) that every product of the order offers (a product with no methods chosen accepts any
# method of its store) and that has an estimate for the destination country, else the
# rest-of-world one. One statement reads the stores' methods with their estimates (tag 0) and
# the products' chosen methods (tag 1); {stores} and {products} are in_sql fragments.
_SHIPPING_SQL = (
    "SELECT 0, m.store_id, m.id, m.price_minor, m.currency, e.id, e.max_days, e.country"
    ' FROM "catalog_shippingmethod" m JOIN "catalog_deliveryestimate" e ON e.method_id = m.id'
    " WHERE m.store_id {stores} AND (e.country = %s OR e.country = '')"
    " UNION ALL SELECT 1, l.product_id, l.shippingmethod_id, 0, '', 0, 0, ''"
    ' FROM "catalog_product_shipping_methods" l WHERE l.product_id {products}'
)


def _shipping_choices(products_by_store: dict[int, list[int]], country: str) -> dict[int, tuple]:
    """Per store id, its shipping choice for its products (store id → product ids):
    (method id, method price_minor, method currency, estimate id, estimate max_days)."""
    stores, store_params = in_sql(list(products_by_store))
    products, product_params = in_sql([pk for pks in products_by_store.values() for pk in pks])
    methods: dict[int, dict[int, tuple]] = defaultdict(dict)  # store → method → (price, …)
    chosen: dict[int, set[int]] = defaultdict(set)  # product → the methods it offers
    for tag, ref, method_id, price, currency, estimate_id, max_days, estimate_country in sql_rows(
        _SHIPPING_SQL.format(stores=stores, products=products), [*store_params, country, *product_params]
    ):
        if tag:
            chosen[ref].add(method_id)
        elif estimate_country or method_id not in methods[ref]:  # the country's own estimate first
            methods[ref][method_id] = (price, currency, estimate_id, max_days)
    choices: dict[int, tuple] = {}
    for store_id, product_ids in products_by_store.items():
        common = methods.get(store_id, {})
        for product_id in product_ids:
            if product_id in chosen:
                common = {pk: m for pk, m in common.items() if pk in chosen[product_id]}
        if common:
            method_id = min(common, key=lambda pk: (common[pk][0], pk))
            choices[store_id] = (method_id, *common[method_id])
    return choices


def _shipping_for(store, products, country: str):
    """The cheapest shipping method every product of a store order offers, with its estimate.

    A product with no methods chosen accepts any method of its store.
    """
    from catalog.models import DeliveryEstimate

    choice = _shipping_choices({store.pk: [p.pk for p in products]}, country).get(store.pk)
    if choice is None:
        return None
    estimate = DeliveryEstimate.objects.select_related("method").get(pk=choice[3])
    return estimate.method, estimate


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


_CHECKOUT_INSERT_SQL = (
    'INSERT INTO "orders_checkout" ("buyer_id", "idempotency_key", "created_at") VALUES (%s, %s, %s)'
    ' RETURNING "id"'
)
# The buyer's cart lines with their variants (locked, in id order so concurrent checkouts cannot
# deadlock), products and stores, in one statement (for_update("v, c") is appended).
_CART_SQL = (
    "SELECT c.id, c.quantity, v.id, v.options, v.price_minor, v.stock, v.is_active,"
    " p.id, p.store_id, p.category_id, p.title, p.currency, p.processing_days, p.is_active,"
    " s.name, s.currency, s.is_active"
    ' FROM "cart_cartline" c JOIN "catalog_variant" v ON v.id = c.variant_id'
    ' JOIN "catalog_product" p ON p.id = v.product_id JOIN "catalog_store" s ON s.id = p.store_id'
    " WHERE c.user_id = %s ORDER BY v.id"
)


class _CartRow(NamedTuple):
    """A row of _CART_SQL."""

    line_id: int
    quantity: int
    variant_id: int
    options: object  # JSON text (or a dict)
    price_minor: int
    stock: int
    variant_active: bool
    product_id: int
    store_id: int
    category_id: int
    title: str
    currency: str
    processing_days: int
    product_active: bool
    store_name: str
    store_currency: str
    store_active: bool


_ORDER_COLUMNS = (
    "number", "checkout_id", "buyer_id", "store_id", "state", "close_reason", "currency",
    "items_total_minor", "shipping_total_minor", "discount_total_minor", "total_minor",
    "ship_first_name", "ship_last_name", "ship_line1", "ship_line2", "ship_city", "ship_region",
    "ship_postal_code", "ship_country", "ship_phone", "processing_days", "shipping_method_id",
    "delivery_max_days", "placed_at", "carrier", "tracking_number", "extension_days",
)  # the other columns start NULL
_ORDER_INSERT_SQL = (
    'INSERT INTO "orders_order" (' + ", ".join(f'"{c}"' for c in _ORDER_COLUMNS) + ') VALUES {rows}'
    ' RETURNING "id", "number"'
)
_ORDER_ROW = f"({', '.join(['%s'] * len(_ORDER_COLUMNS))})"
_LINE_INSERT_SQL = (
    'INSERT INTO "orders_orderline" ("order_id", "variant_id", "product_title", "variant_label",'
    ' "unit_price_minor", "quantity", "processing_days") VALUES {rows}'
    ' RETURNING "id", "order_id", "variant_id"'
)
_LINE_ROW = "(%s, %s, %s, %s, %s, %s, %s)"
_EVENT_INSERT_SQL = (
    'INSERT INTO "orders_orderevent" ("order_id", "at", "actor", "actor_user_id", "kind", "from_state",'
    ' "to_state", "reason", "data") VALUES {rows}'
)
_EVENT_ROW = (
    f"(%s, %s, '{Actor.BUYER.value}', %s, 'placed', '', '{State.AWAITING_PAYMENT.value}', 'Order placed',"
    " '{}')"
)
_CART_DELETE_SQL = 'DELETE FROM "cart_cartline" WHERE "id" {ids}'


@functools.cache
def _model_fields(model) -> tuple[str, ...]:
    """The attnames of the model's columns, in Model.from_db's order."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def _variant_options(options) -> dict:
    """The options column as read by sql_rows (JSON text), as Variant.options."""
    return json.loads(options) if isinstance(options, str) else options


def _variant_label(options: dict) -> str:
    """Variant.label for these options."""
    return ", ".join(f"{k}: {v}" for k, v in sorted(options.items())) or "Standard"


def _place(
    *, buyer, address, idempotency_key: str, now: dt.datetime,
    promotion_ids=None, codes=(), use_refund_coupons: bool = False,
) -> Checkout:
    alias = connection.alias
    (checkout_id,) = sql_row(_CHECKOUT_INSERT_SQL, [buyer.pk, idempotency_key, now])  # the first write
    checkout = Checkout(id=checkout_id, buyer=buyer, idempotency_key=idempotency_key, created_at=now)
    checkout._state.adding, checkout._state.db = False, alias
    # The variants AND the cart lines are locked: a second checkout of the same cart waits,
    # then finds the lines the first one deleted gone (empty_cart) instead of ordering them
    # again; a cart_add waiting on the variant then re-reads the line it adds to.
    lines = [_CartRow._make(row) for row in sql_rows(_CART_SQL + for_update("v, c"), [buyer.pk])]
    if not lines:
        raise DomainError(gettext("Your cart is empty."), code="empty_cart", status=422)
    problems = {}
    by_store: dict[int, list[_CartRow]] = defaultdict(list)
    for line in lines:
        if not (line.variant_active and line.product_active and line.store_active):
            problems[str(line.variant_id)] = "This item is no longer sold; remove it from your cart."
        elif line.stock < line.quantity:
            problems[str(line.variant_id)] = (
                f"Only {line.stock} left of {line.title}." if line.stock else f"{line.title} is out of stock."
            )
        else:
            by_store[line.store_id].append(line)
    if problems:
        raise Conflict(
            gettext(
                "Some items in your cart cannot be bought as they are."),
                code="cart_problems", fields=problems
        )
    shipping = _shipping_choices(
        {store_id: [line.product_id for line in store_lines] for store_id, store_lines in by_store.items()},
        address.country,
    )
    order_fields = _model_fields(Order)
    ship_to = {
        "ship_first_name": address.first_name, "ship_last_name": address.last_name,
        "ship_line1": address.line1, "ship_line2": address.line2, "ship_city": address.city,
        "ship_region": address.region, "ship_postal_code": address.postal_code,
        "ship_country": address.country, "ship_phone": address.phone,
    }
    orders: list[Order] = []
    priced: dict[str, list[tuple]] = {}  # order number → [(cart row, unit price, variant options)]
    for store_id, store_lines in sorted(by_store.items()):
        store_name, currency = store_lines[0].store_name, store_lines[0].store_currency
        choice = shipping.get(store_id)
        if choice is None:
            raise Conflict(
                gettext("%(name)s does not deliver to this address's country.") % {"name": store_name},
                code="no_delivery",
                fields={"address_id": [f"{store_name} does not deliver there."]},
            )
        method_id, method_price, method_currency, _estimate_id, delivery_max_days = choice
        units = [
            (line, _in_currency(line.price_minor, line.currency, currency), _variant_options(line.options))
            for line in store_lines
        ]
        items = sum(unit * line.quantity for line, unit, _options in units)
        shipping_minor = _in_currency(method_price, method_currency, currency)
        values = dict.fromkeys(order_fields)  # id and the columns that start NULL: None
        values.update(ship_to)
        values.update(
            number=_new_number(), checkout_id=checkout_id, buyer_id=buyer.pk, store_id=store_id,
            state=State.AWAITING_PAYMENT.value, close_reason="", currency=currency,
            items_total_minor=items, shipping_total_minor=shipping_minor, discount_total_minor=0,
            total_minor=items + shipping_minor,
            processing_days=max(line.processing_days for line in store_lines),
            shipping_method_id=method_id, delivery_max_days=delivery_max_days, placed_at=now,
            carrier="", tracking_number="", extension_days=0,
        )
        order = Order.from_db(alias, order_fields, [values[name] for name in order_fields])
        order._state.fields_cache.update(checkout=checkout, buyer=buyer)
        orders.append(order)
        priced[order.number] = units
    # The orders in one INSERT, then all their lines in one.
    ids = {
        number: pk for pk, number in sql_rows(
            _ORDER_INSERT_SQL.format(rows=", ".join([_ORDER_ROW] * len(orders))),
            [getattr(order, name) for order in orders for name in _ORDER_COLUMNS],
        )
    }
    line_params = []
    for order in orders:
        order.pk = ids[order.number]
        for line, unit, options in priced[order.number]:
            line_params += [
                order.pk, line.variant_id, line.title, _variant_label(options), unit, line.quantity,
                line.processing_days,
            ]
    line_ids = {
        (order_id, variant_id): pk for pk, order_id, variant_id in sql_rows(
            _LINE_INSERT_SQL.format(rows=", ".join([_LINE_ROW] * (len(line_params) // 7))), line_params
        )
    }
    line_fields, variant_fields, product_fields = (
        _model_fields(OrderLine), ("id", "product_id", "options", "price_minor", "stock", "is_active"),
        ("id", "store_id", "category_id", "title", "currency", "processing_days", "is_active"),
    )
    taken: dict[int, int] = {}  # variant id → units sold
    for order in orders:
        # Kept on the order (variants and products loaded) for the discounts just below.
        order.placed_lines = []
        for line, unit, options in priced[order.number]:
            product = Product.from_db(alias, product_fields, [
                line.product_id, line.store_id, line.category_id, line.title, line.currency,
                line.processing_days, line.product_active,
            ])
            variant = Variant.from_db(alias, variant_fields, [
                line.variant_id, line.product_id, options, line.price_minor, line.stock, line.variant_active,
            ])
            variant._state.fields_cache["product"] = product
            order_line = OrderLine.from_db(alias, line_fields, [
                line_ids[order.pk, line.variant_id], order.pk, line.variant_id, line.title,
                _variant_label(options), unit, line.quantity, line.processing_days,
            ])
            order_line._state.fields_cache.update(order=order, variant=variant)
            order.placed_lines.append(order_line)
            taken[line.variant_id] = line.quantity
        order_arm_deadline(order, DeadlineKind.PAYMENT_WINDOW, now, fresh=True)  # a new order
    sql_run(  # the timeline's first entry of every order, in one INSERT
        _EVENT_INSERT_SQL.format(rows=", ".join([_EVENT_ROW] * len(orders))),
        [value for order in orders for value in (order.pk, now, buyer.pk)],
    )
    cart_ids, cart_params = in_sql([line.line_id for line in lines])
    sql_run(_CART_DELETE_SQL.format(ids=cart_ids), cart_params)
    # The stock (the variants were locked first, in id order), then the products' total stock.
    _stock_take(taken, sorted({line.product_id for line in lines}), now)
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


_STOCK_TAKE_SQL = 'UPDATE "catalog_variant" SET "stock" = "stock" - %s WHERE "id" {ids}'
# Product.total_stock = the active variants' stock (0 without any), for a list of products.
_TOTAL_STOCK_SQL = (
    'UPDATE "catalog_product" SET "total_stock" = COALESCE((SELECT SUM(v.stock) FROM "catalog_variant" v'
    ' WHERE v.product_id = "catalog_product"."id" AND v.is_active), 0), "updated_at" = %s WHERE "id" {ids}'
)


def _stock_take(taken: dict[int, int], product_ids: list[int], now: dt.datetime) -> None:
    """Take the units sold from their variants (locked by the caller), then refresh the
    products' total stock, as _stock_return does the other way (the caller bumps the catalog
    version)."""
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for variant_id, quantity in taken.items():
        by_quantity[quantity].append(variant_id)
    for quantity, variant_ids in sorted(by_quantity.items()):  # one UPDATE per distinct quantity
        ids, params = in_sql(sorted(variant_ids))
        sql_run(_STOCK_TAKE_SQL.format(ids=ids), [quantity, *params])
    _products_stock_refresh(product_ids, now)


def _products_stock_refresh(products, now: dt.datetime) -> None:
    """Product.total_stock from the active variants' stock, in one UPDATE (the caller bumps the
    catalog version).

    A stock change moves only Variant.stock and Product.total_stock (not prices or search
    text): this is that part of catalog.services.product_refresh_summary for many products.
    `products`: their ids, in id order (the pk index).
    """
    ids, params = in_sql(products)
    sql_run(_TOTAL_STOCK_SQL.format(ids=ids), [now, *params])


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

_UNPAID_SQL = (
    'SELECT "id", "currency", "total_minor", "ship_country" FROM "orders_order" '
    'WHERE "checkout_id" = %s AND "state" = %s ORDER BY "id"'
)
_PAYMENT_FIELDS = (
    "id", "checkout_id", "method", "provider", "amount_minor", "currency", "state", "provider_ref",
    "idempotency_key", "failure_code", "card_brand", "card_last4", "created_at", "succeeded_at",
)
_PAYMENT_COLUMNS = ", ".join(f'"{name}"' for name in _PAYMENT_FIELDS)
# PAY-5: a new attempt is written only while its orders still wait for payment and no other
# attempt on them is pending (started under policy.payment_attempt_in_flight ago): run under
# the checkout row's lock, so two tabs paying with different keys cannot both charge.
_PAYMENT_INSERT_SQL = (
    'INSERT INTO "payments_payment" ("checkout_id", "method", "provider", "amount_minor", "currency", '
    '"state", "provider_ref", "idempotency_key", "failure_code", "card_brand", "card_last4", '
    '"created_at", "succeeded_at") SELECT %s, %s, %s, %s, %s, %s, \'\', %s, \'\', \'\', \'\', %s, NULL '
    'WHERE EXISTS (SELECT 1 FROM "orders_order" o WHERE o."checkout_id" = %s AND o."currency" = %s '
    'AND o."state" = %s) AND NOT EXISTS (SELECT 1 FROM "payments_payment" p WHERE p."checkout_id" = %s '
    'AND p."currency" = %s AND p."method" <> %s AND p."state" = %s AND p."created_at" > %s) '
    f"ON CONFLICT DO NOTHING RETURNING {_PAYMENT_COLUMNS}"
)
_CHECKOUT_LOCK_SQL = 'SELECT "id" FROM "orders_checkout" WHERE "id" = %s'
_AWAITING_SQL = (
    'SELECT 1 FROM "orders_order" WHERE "checkout_id" = %s AND "currency" = %s AND "state" = %s'
)


def _payment_attempt_insert(*, checkout, method: str, provider: str, amount, key: str, now):
    """The attempt's Payment row (PAY-5), or the first one of a repeated key; refuses with 409
    nothing_to_pay / payment_in_progress when the orders were paid or another attempt is pending."""
    from payments.methods import BALANCE
    from payments.models import Payment

    pending = Payment.State.PENDING.value
    with transaction.atomic():
        sql_row(_CHECKOUT_LOCK_SQL + for_update(), [checkout.pk])
        row = sql_row(_PAYMENT_INSERT_SQL, [
            checkout.pk, method, provider, amount.amount, amount.currency, pending, key, now,
            checkout.pk, amount.currency, State.AWAITING_PAYMENT.value,
            checkout.pk, amount.currency, BALANCE, pending, now - policy.payment_attempt_in_flight,
        ]) or sql_row(_PAYMENT_BY_KEY_SQL, [key])
        if row is not None:
            return _payment_from_row(row)
        if sql_row(_AWAITING_SQL, [checkout.pk, amount.currency, State.AWAITING_PAYMENT.value]) is None:
            raise Conflict(gettext("Nothing in this checkout is waiting for payment."), code="nothing_to_pay")
        raise Conflict(
            gettext(
                "A payment for these orders is already under way. Wait for its result before paying again."
            ),
            code="payment_in_progress",
        )
_PAYMENT_BY_KEY_SQL = f'SELECT {_PAYMENT_COLUMNS} FROM "payments_payment" WHERE "idempotency_key" = %s'
_PAYMENT_BY_ID_SQL = f'SELECT {_PAYMENT_COLUMNS} FROM "payments_payment" WHERE "id" = %s'


def _payment_from_row(row):
    from payments.models import Payment

    values = list(row[: len(_PAYMENT_FIELDS)])
    values[-2], values[-1] = db_datetime(values[-2]), db_datetime(values[-1])
    return Payment.from_db(connection.alias, _PAYMENT_FIELDS, values)


@functools.cache
def _payment_update_text(state: str, sets_ref: bool, sets_card: bool) -> str:
    from payments.models import Payment

    sets = ['"state" = %s']
    if state == Payment.State.SUCCEEDED:
        sets.append('"succeeded_at" = %s')
    elif state in (Payment.State.VERIFYING, Payment.State.FAILED):
        sets.append('"failure_code" = %s')
    if sets_ref:
        sets.append('"provider_ref" = %s')
    if sets_card:
        sets += ['"card_brand" = %s', '"card_last4" = %s']
    # a "processing" answer moves only a pending payment; a final one a pending or processing one
    states = "%s" if state == Payment.State.PROCESSING else "%s, %s"
    return (
        f'UPDATE "payments_payment" SET {", ".join(sets)} WHERE "state" IN ({states}) AND "id" = %s '
        f'RETURNING {_PAYMENT_COLUMNS}, (SELECT count(*) FROM "payments_payment" b '
        'WHERE b."idempotency_key" = %s AND b."state" = %s)'
    )


def _payment_update_sql(status: str, provider_ref: str, failure_code: str, now: dt.datetime, card):
    """_payment_apply's UPDATE for the provider's answer `status`, and its SET and WHERE params
    (the id and the balance part's key and state follow)."""
    from payments.models import Payment
    from payments.providers import ChargeStatus

    state = {
        ChargeStatus.SUCCEEDED: Payment.State.SUCCEEDED, ChargeStatus.PROCESSING: Payment.State.PROCESSING,
        ChargeStatus.VERIFYING: Payment.State.VERIFYING,
    }.get(status, Payment.State.FAILED).value
    params = [state]
    if state == Payment.State.SUCCEEDED:
        params.append(now)
    elif state in (Payment.State.VERIFYING, Payment.State.FAILED):
        params.append(failure_code)
    if provider_ref:
        params.append(provider_ref)
    if card[1]:
        params += [card[0], card[1]]
    params.append(Payment.State.PENDING.value)
    if state != Payment.State.PROCESSING:
        params.append(Payment.State.PROCESSING.value)
    return _payment_update_text(state, bool(provider_ref), bool(card[1])), params


@functools.cache
def _orders_of_payment_sql():
    """The SELECT … FOR UPDATE of _orders_of_payment, with its field names and datetime positions."""
    from catalog.models import Store
    from core.calendar import holidays_sql

    order_fields, store_fields = Order._meta.concrete_fields, Store._meta.concrete_fields
    columns = ", ".join(
        [f'"orders_order"."{f.column}"' for f in order_fields] + [f's."{f.column}"' for f in store_fields]
    )
    sql = (
        f'SELECT {columns}, lb."language", ls."language", {holidays_sql()} FROM "orders_order" '
        'JOIN "catalog_store" s ON s."id" = "orders_order"."store_id" '
        'LEFT JOIN "core_languagepreference" lb ON lb."user_id" = "orders_order"."buyer_id" '
        'LEFT JOIN "core_languagepreference" ls ON ls."user_id" = s."owner_id" '
        'WHERE "orders_order"."checkout_id" = %s AND "orders_order"."currency" = %s '
        'AND "orders_order"."state" IN (%s, %s) ORDER BY "orders_order"."id"'
        + for_update('"orders_order"')
    )
    datetimes = [  # to make aware on SQLite (PostgreSQL gives aware datetimes already)
        i for i, f in enumerate([*order_fields, *store_fields]) if f.get_internal_type() == "DateTimeField"
    ] if connection.vendor != "postgresql" else []
    return (
        sql, tuple(f.attname for f in order_fields), tuple(f.attname for f in store_fields), datetimes,
    )


def _orders_of_payment(payment):
    """The payment's orders still waiting for it, locked in id order (with their store), their
    buyers' and sellers' chosen languages (order id → {user id: language}) and the holidays."""
    from catalog.models import Store
    from core.calendar import holidays_from_text

    sql, order_names, store_names, datetimes = _orders_of_payment_sql()
    rows = sql_rows(sql, [
        payment.checkout_id, payment.currency, State.AWAITING_PAYMENT.value, State.PAYMENT_PROCESSING.value,
    ])
    orders, languages, holidays = [], {}, frozenset()
    cut = len(order_names)
    for row in rows:
        values = list(row)
        for i in datetimes:
            values[i] = db_datetime(values[i])
        order = Order.from_db(connection.alias, order_names, values[:cut])
        store = Store.from_db(connection.alias, store_names, values[cut : cut + len(store_names)])
        _STORE_FIELD.set_cached_value(order, store)
        orders.append(order)
        languages[order.pk] = {order.buyer_id: row[-3] or "", store.owner_id: row[-2] or ""}
        holidays = holidays_from_text(row[-1])
    return orders, languages, holidays


_STORE_FIELD = Order._meta.get_field("store")


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

    is_card = method == "card"
    provider = get_provider() if is_card else get_provider("simulated")
    # (id, currency, total_minor, ship_country) of each order waiting for payment, in id order;
    # for a card, the same statement reads the buyer's pending appeal (PAY-3) and the saved card
    # with this token (PAY-1), each as a scalar subquery of its own app (same on every row).
    if is_card:
        from appeals.services import appeal_pending_id_sql

        appeal_sql, appeal_params = appeal_pending_id_sql(buyer_id=checkout.buyer_id)
        card_sql, card_params = cards.saved_card_id_sql(provider=provider, token=token)
        orders = sql_rows(
            f'SELECT "id", "currency", "total_minor", "ship_country", {appeal_sql} AS "appeal_id", '
            f'{card_sql} AS "card_id" FROM "orders_order" WHERE "checkout_id" = %s AND "state" = %s '
            'ORDER BY "orders_order"."id"',
            [*appeal_params, *card_params, checkout.pk, State.AWAITING_PAYMENT.value],
        )
    else:
        orders = sql_rows(_UNPAID_SQL, [checkout.pk, State.AWAITING_PAYMENT.value])
    if not orders:
        raise Conflict(gettext("Nothing in this checkout is waiting for payment."), code="nothing_to_pay")
    by_currency = defaultdict(list)
    for order in orders:
        by_currency[order[1]].append(order)
    for currency in by_currency:  # PAY-4: unknown or unavailable methods change nothing (422)
        pay_methods.method_check(code=method, country=orders[0][3], currency=currency)
    if method == "card" and not token and use_balance:
        from payments.services import buyer_balance_minor

        message = "Your balance does not cover the whole amount: choose a card or another method too."
        for currency, group in by_currency.items():
            held = buyer_balance_minor(user=checkout.buyer, currency=currency)
            if held < sum(o[2] for o in group):
                raise DomainError(
                    message, code="balance_insufficient", fields={"token": [message]}, status=422
                )
    if is_card:
        from appeals.services import appeal_refuse_card_payment

        # PAY-3: documents first (409 appeal_pending)
        appeal_refuse_card_payment(buyer=checkout.buyer, pending_id=orders[0][4])
    elif not token or not token.startswith("sim_method:"):
        token = method_token(method)
    buyer = checkout.buyer
    saved = (
        cards.saved_card_for_token(owner=buyer, provider=provider, token=token, card_id=orders[0][5])
        if is_card
        else None
    )
    newly_saved = None
    if saved is None and save_card and method == "card":
        saved = newly_saved = cards.saved_card_create(owner=buyer, provider=provider, token=token, now=now)
    customer_ref = cards.provider_customer_ref(user=buyer, provider=provider, now=now) if saved else ""
    payments = []
    for currency, group in sorted(by_currency.items()):
        key = f"{idempotency_key}:{currency}"
        due = sum(o[2] for o in group)
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
        # One statement, no savepoint: a repeated key inserts nothing and reads the first row.
        payment = _payment_attempt_insert(
            checkout=checkout, method=method, provider=provider.name, amount=amount, key=key, now=now
        )
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
    from core.calendar import holidays_known
    from payments.models import Payment
    from payments.providers import ChargeStatus
    from payments.services import balance_key, balance_part_settle

    with transaction.atomic():
        # The answer is written by one UPDATE that locks the row, if it is still pending (or
        # processing, for a final answer); RETURNING gives the row and whether a balance part waits.
        sql, params = _payment_update_sql(status, provider_ref, failure_code, now, card)
        row = sql_row(sql, [
            *params, payment.pk, balance_key(payment.idempotency_key), Payment.State.PENDING.value,
        ])
        if row is None:  # answered already (or "processing" twice): nothing changes
            return _payment_from_row(sql_row(_PAYMENT_BY_ID_SQL, [payment.pk]))
        payment = _payment_from_row(row)
        # locked here, in id order, after the payment (the order every payer uses)
        orders, languages, holidays = _orders_of_payment(payment)
        if row[-1]:
            balance_part_settle(payment=payment, now=now)  # the balance part of the attempt follows it
        for order in orders:
            if status == ChargeStatus.SUCCEEDED:
                with holidays_known(holidays):  # the ship-by countdown skips them (ORD-4)
                    _order_paid(  # an error rolls it all back
                        order=order, now=now, locked_here=True, languages=languages[order.pk]
                    )
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


def _order_paid(
    *, order: Order, now: dt.datetime, locked_here: bool = False, languages: dict[int, str] | None = None
) -> Order:
    """order_paid inside a transaction that rolls back as a whole on any error (no savepoint);
    `locked_here`: see order_transition; `languages`: the buyer's and seller's chosen languages
    when the caller read them (orders.notices.order_paid)."""
    paid = order_transition(
        order=order,
        locked_here=locked_here,
        to=State.AWAITING_SHIPMENT,
        actor=Actor.SYSTEM,
        now=now,
        kind="paid",
        reason="Payment received",
    )
    notices.order_paid(paid, now=now, languages=languages)
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

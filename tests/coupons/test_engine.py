"""The coupon engine on plain data (no database): stacking of every pair of kinds (CPN-3),
every refusal reason (CPN-6), boundaries of CPN-2 conditions, benefits and caps, the best
combination and its tie-break (CPN-5), and kinds/funders (CPN-1)."""

import datetime as dt
from itertools import product

import pytest

from coupons import engine, stacking
from coupons.models import PLATFORM_KINDS, Eligible, Funder, Kind, funder_of

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
STORE = 7
ALL_KINDS = [k.value for k in Kind]


def offer(kind, oid=1, **kw):
    values = {
        "id": oid,
        "kind": kind,
        "title": f"{kind} {oid}",
        "currency": "USD",
        "starts_at": T0 - dt.timedelta(days=1),
        "ends_at": T0 + dt.timedelta(days=1),
        "store_id": None if kind in PLATFORM_KINDS else STORE,
        "percent_bp": 1000,
    }
    values.update(kw)
    return engine.Offer(**values)


def cart(*amounts, store=STORE, currency="USD", products=None):
    lines = tuple(
        engine.LineIn(
            key=i + 1,
            product_id=(products or {}).get(i, 100 + i),
            category_ids=frozenset({9}),
            amount_minor=a,
        )
        for i, a in enumerate(amounts)
    )
    return engine.StoreOrderIn(store_id=store, currency=currency, lines=lines, shipping_minor=500)


def buyer(**kw):
    return engine.BuyerIn(user_id=1, collected=frozenset(range(1, 100)), **kw)


def run(orders, offers, **kw):
    store_offers = {}
    platform = None
    for o in offers:
        if o.is_platform:
            platform = o
        else:
            (store_offers.setdefault(o.store_id, ()),)
            store_offers[o.store_id] = (*store_offers[o.store_id], o)
    return engine.evaluate(
        orders,
        store_offers=store_offers,
        platform=platform,
        buyer=kw.pop("b", buyer()),
        now=kw.pop("now", T0),
        **kw,
    )


# --- CPN-1: kinds and funders -----------------------------------------------------------------


def test_cpn1_five_kinds_and_who_funds_them():
    assert set(ALL_KINDS) == {
        "store_instant",
        "store_coupon",
        "store_code",
        "platform_coupon",
        "platform_code",
    }
    assert {k: funder_of(k) for k in ALL_KINDS} == {
        "store_instant": Funder.SELLER,
        "store_coupon": Funder.SELLER,
        "store_code": Funder.SELLER,
        "platform_coupon": Funder.PLATFORM,
        "platform_code": Funder.PLATFORM,
    }


# --- CPN-3: every pair of kinds ---------------------------------------------------------------

EXPECTED = {
    frozenset({"store_instant"}): False,
    frozenset({"store_instant", "store_coupon"}): True,
    frozenset({"store_instant", "store_code"}): True,
    frozenset({"store_instant", "platform_coupon"}): True,
    frozenset({"store_instant", "platform_code"}): True,
    frozenset({"store_coupon"}): False,
    frozenset({"store_coupon", "store_code"}): False,
    frozenset({"store_coupon", "platform_coupon"}): True,
    frozenset({"store_coupon", "platform_code"}): True,
    frozenset({"store_code"}): False,
    frozenset({"store_code", "platform_coupon"}): False,
    frozenset({"store_code", "platform_code"}): False,
    frozenset({"platform_coupon"}): False,
    frozenset({"platform_coupon", "platform_code"}): False,
    frozenset({"platform_code"}): False,
}


def test_cpn3_the_table_covers_every_pair_once():
    assert set(stacking.COMBINES) == {frozenset({a, b}) for a, b in product(ALL_KINDS, ALL_KINDS)}
    assert stacking.COMBINES == EXPECTED


@pytest.mark.parametrize("a,b", list(product(ALL_KINDS, ALL_KINDS)))
def test_cpn3_every_pair_of_kinds_on_one_store_order(a, b):
    """Both offers selected on one store order: applied together exactly when the table says so."""
    expected = EXPECTED[frozenset({a, b})]
    assert stacking.kinds_combine(a, b) is expected
    first, second = offer(a, 1), offer(b, 2)
    if a in PLATFORM_KINDS and b in PLATFORM_KINDS:
        # one platform discount per checkout: a selection can hold only one (the service refuses two)
        assert stacking.allowed([a, b]) is False
        return
    ev = run([cart(10_000)], [first, second])
    applied = {ap.offer.id for r in ev.orders for ap in r.applied if ap.amount_minor}
    if expected:
        assert ev.ok and applied == {1, 2}
    else:
        assert not (ev.ok and applied == {1, 2})


def test_cpn3_store_code_order_is_left_out_of_the_platform_base_but_others_keep_it():
    store_code = offer(Kind.STORE_CODE, 1, code="SAVE")
    platform = offer(Kind.PLATFORM_COUPON, 2)
    a, b = cart(10_000, store=STORE), cart(10_000, store=8)
    ev = engine.evaluate(
        [a, b], store_offers={STORE: (store_code,)}, platform=platform, buyer=buyer(), now=T0
    )
    assert ev.ok
    by_store = {r.order.store_id: {ap.offer.kind for ap in r.applied} for r in ev.orders}
    assert by_store == {STORE: {"store_code"}, 8: {"platform_coupon"}}


def test_cpn3_combinations_enumerates_only_allowed_selections():
    opts = [(Kind.STORE_INSTANT, "i"), (Kind.STORE_COUPON, "c"), (Kind.STORE_CODE, "p")]
    assert set(stacking.combinations(opts)) == {(), ("i",), ("c",), ("p",), ("i", "c"), ("i", "p")}


def test_cpn3_instant_discount_always_applies_in_the_preselection():
    instant = offer(Kind.STORE_INSTANT, 1, percent_bp=100)
    coupon = offer(Kind.STORE_COUPON, 2, percent_bp=2000)
    choice = engine.best_selection([cart(10_000)], offers=[instant, coupon], buyer=buyer(), now=T0)
    assert {o.id for o in choice.best.offers} == {1, 2}
    for alt in choice.alternatives:
        assert 1 in {o.id for o in alt.offers}


# --- CPN-6: every refusal reason, CPN-2 boundaries -------------------------------------------------


def test_cpn6_min_spend_exactly_met_applies_one_minor_unit_short_refuses_with_the_shortfall():
    coupon = offer(Kind.STORE_COUPON, min_spend_minor=5_000)
    assert run([cart(5_000)], [coupon]).ok
    ev = run([cart(4_999)], [coupon])
    assert ev.refusal[1].code == "min_spend_not_met"
    assert ev.refusal[1].data["short_minor"] == 1
    assert "$0.01" in ev.refusal[1].message


def test_cpn6_validity_start_and_end_to_the_second():
    coupon = offer(Kind.STORE_COUPON, starts_at=T0, ends_at=T0 + dt.timedelta(days=1))
    assert run([cart(1000)], [coupon], now=T0 - SECOND).refusal[1].code == "not_yet_active"
    assert run([cart(1000)], [coupon], now=T0).ok
    assert run([cart(1000)], [coupon], now=T0 + dt.timedelta(days=1) - SECOND).ok
    assert run([cart(1000)], [coupon], now=T0 + dt.timedelta(days=1)).refusal[1].code == "expired"


def test_cpn6_not_yet_active_says_from_when():
    coupon = offer(Kind.STORE_COUPON, starts_at=T0 + dt.timedelta(hours=2))
    refusal = run([cart(1000)], [coupon]).refusal[1]
    assert refusal.code == "not_yet_active" and "2026-11-02 17:00" in refusal.message


def test_cpn6_not_for_these_products():
    coupon = offer(Kind.STORE_COUPON, product_ids=frozenset({999}))
    assert run([cart(1000)], [coupon]).refusal[1].code == "not_for_these_products"
    by_category = offer(Kind.STORE_COUPON, category_ids=frozenset({9}))
    assert run([cart(1000)], [by_category]).ok


def test_cpn6_discount_only_on_eligible_lines():
    coupon = offer(Kind.STORE_COUPON, product_ids=frozenset({100}), percent_bp=5000)
    ev = run([cart(1000, 3000)], [coupon])
    assert ev.orders[0].applied[0].lines == {1: 500}


def test_cpn6_not_for_this_user_new_buyers_and_followers():
    new_only = offer(Kind.STORE_COUPON, eligible_users=Eligible.NEW_BUYERS)
    assert run([cart(1000)], [new_only], b=buyer(is_new_buyer=False)).refusal[1].code == "not_for_this_user"
    assert run([cart(1000)], [new_only], b=buyer(is_new_buyer=True)).ok
    followers = offer(Kind.STORE_COUPON, eligible_users=Eligible.FOLLOWERS)
    assert run([cart(1000)], [followers]).refusal[1].code == "not_for_this_user"
    assert run([cart(1000)], [followers], b=buyer(followed_store_ids=frozenset({STORE}))).ok


def test_cpn6_out_of_stock_and_per_user_limit():
    assert run([cart(1000)], [offer(Kind.STORE_COUPON, stock_left=0)]).refusal[1].code == "out_of_stock"
    assert run([cart(1000)], [offer(Kind.STORE_COUPON, stock_left=1)]).ok
    once = offer(Kind.STORE_COUPON, per_user_limit=1)
    assert run([cart(1000)], [once], b=buyer(used={1: 1})).refusal[1].code == "already_used"
    twice = offer(Kind.STORE_COUPON, per_user_limit=2)
    assert run([cart(1000)], [twice], b=buyer(used={1: 1})).ok
    assert run([cart(1000)], [twice], b=buyer(used={1: 2})).refusal[1].code == "per_user_limit_reached"


def test_cpn6_paused_and_not_collected():
    assert run([cart(1000)], [offer(Kind.STORE_COUPON, paused=True)]).refusal[1].code == "paused"
    no_wallet = engine.BuyerIn(user_id=1)
    assert run([cart(1000)], [offer(Kind.STORE_COUPON)], b=no_wallet).refusal[1].code == "not_collected"
    assert run([cart(1000)], [offer(Kind.STORE_CODE, code="X")], b=no_wallet).ok  # codes are typed


# --- benefits -----------------------------------------------------------------------------------


def test_cpn2_fixed_discount_above_the_order_value_caps_at_the_value_never_negative():
    big = offer(Kind.STORE_COUPON, percent_bp=None, amount_minor=50_000)
    ev = run([cart(1_200)], [big])
    assert ev.orders[0].discount_minor == 1_200
    assert ev.orders[0].total_minor == 500  # shipping only, never below
    platform = offer(Kind.PLATFORM_COUPON, 2, percent_bp=None, amount_minor=99_999)
    ev = run([cart(1_200)], [big, platform])
    assert ev.orders[0].total_minor == 500


def test_cpn2_percent_rounds_half_up_and_respects_its_cap():
    assert offer(Kind.STORE_COUPON, percent_bp=1050).benefit(1_005) == 106  # 105.525 → 106
    assert offer(Kind.STORE_COUPON, percent_bp=5000, max_discount_minor=300).benefit(10_000) == 300
    assert offer(Kind.STORE_COUPON, percent_bp=10_000).benefit(777) == 777


def test_cpn2_layers_apply_in_order_and_min_spend_reads_what_is_left():
    instant = offer(Kind.STORE_INSTANT, 1, percent_bp=1000)  # 10 000 → 9 000
    platform = offer(Kind.PLATFORM_COUPON, 2, percent_bp=None, amount_minor=1000, min_spend_minor=9_001)
    ev = run([cart(10_000)], [instant, platform])
    assert ev.refusal[1].code == "min_spend_not_met"
    platform_ok = offer(Kind.PLATFORM_COUPON, 2, percent_bp=None, amount_minor=1000, min_spend_minor=9_000)
    assert run([cart(10_000)], [instant, platform_ok]).orders[0].discount_minor == 2_000


# --- CPN-5: the best combination -----------------------------------------------------------------


def test_cpn5_best_combination_is_the_largest_saving_and_explained():
    coupon = offer(Kind.STORE_COUPON, 1, percent_bp=1000)
    code = offer(Kind.STORE_CODE, 2, percent_bp=1500, code="X")
    platform = offer(Kind.PLATFORM_COUPON, 3, percent_bp=None, amount_minor=1000)
    choice = engine.best_selection([cart(10_000)], offers=[coupon, code, platform], buyer=buyer(), now=T0)
    # store coupon (1000) + platform (1000) = 2000 beats store code alone (1500)
    assert {o.id for o in choice.best.offers} == {1, 3}
    assert choice.best.orders[0].discount_minor == 2_000
    assert "largest saving" in choice.reason
    assert any({o.id for o in alt.offers} == {2} for alt in choice.alternatives)


def test_cpn5_ties_go_to_fewer_coupons_then_the_one_ending_first_then_lower_id():
    a = offer(Kind.STORE_COUPON, 5, percent_bp=1000, ends_at=T0 + dt.timedelta(days=3))
    b = offer(Kind.STORE_COUPON, 4, percent_bp=1000, ends_at=T0 + dt.timedelta(days=2))
    c = offer(Kind.STORE_COUPON, 3, percent_bp=1000, ends_at=T0 + dt.timedelta(days=3))
    for _ in range(3):  # deterministic
        choice = engine.best_selection([cart(10_000)], offers=[a, b, c], buyer=buyer(), now=T0)
        assert [o.id for o in choice.best.offers] == [4]
        assert "as much" in choice.reason
    choice = engine.best_selection([cart(10_000)], offers=[a, c], buyer=buyer(), now=T0)
    assert [o.id for o in choice.best.offers] == [3]


def test_cpn5_refused_offers_come_back_with_their_reason():
    late = offer(Kind.STORE_COUPON, 1, starts_at=T0 + dt.timedelta(days=1), ends_at=T0 + dt.timedelta(days=2))
    choice = engine.best_selection([cart(10_000)], offers=[late], buyer=buyer(), now=T0)
    assert choice.best.offers == ()
    assert choice.refusals[1].code == "not_yet_active"


def test_cpn7_platform_discount_spread_over_store_orders_sums_exactly():
    platform = offer(Kind.PLATFORM_COUPON, 1, percent_bp=None, amount_minor=1_000)
    orders = [cart(3_333, store=1), cart(3_333, 3_334, store=2), cart(1, store=3)]
    ev = engine.evaluate(orders, store_offers={}, platform=platform, buyer=buyer(), now=T0)
    parts = [r.discount_minor for r in ev.orders]
    assert sum(parts) == 1_000
    assert parts == [333, 667, 0]
    for r in ev.orders:
        for ap in r.applied:
            assert sum(ap.lines.values()) == ap.amount_minor


def test_cpn7_platform_discount_over_orders_in_two_currencies():
    from core.money import Money, convert

    platform = offer(Kind.PLATFORM_COUPON, 1, percent_bp=None, amount_minor=1_000)  # $10
    thb_total = convert(Money(5_000, "USD"), "THB").amount  # worth $50
    orders = [cart(5_000, store=1), cart(thb_total, store=2, currency="THB")]
    ev = engine.evaluate(orders, store_offers={}, platform=platform, buyer=buyer(), now=T0)
    usd_part, thb_part = (r.discount_minor for r in ev.orders)
    assert usd_part == 500
    assert thb_part == convert(Money(500, "USD"), "THB").amount
    assert all(r.total_minor >= r.order.shipping_minor for r in ev.orders)

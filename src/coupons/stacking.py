"""CPN-3: which discount kinds may combine, as data in one place.

`COMBINES` says, for every pair of kinds, whether both may take money off the same store
order. Everything else (the checkout, the "why not" texts, the tests of every pair) reads
this table through `kinds_combine` and `combinations`; nowhere else decides stacking.

The rules it encodes:
- a store instant discount always applies and combines with everything;
- per store order at most one of {store coupon, store promo code};
- a store coupon combines with a platform discount (coupon or promo code);
- a store promo code combines with no platform discount: an order that uses a store
  promo code is left out of the platform discount's base (the platform discount still
  covers the checkout's other store orders);
- a platform promo code behaves like a platform coupon that is typed instead of
  collected: at most one platform discount per checkout, so the two never combine;
- the same kind never twice on one store order (two instant discounts: the larger applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations as _pairs
from itertools import product

from coupons.models import Kind

IN, SC, SP = Kind.STORE_INSTANT, Kind.STORE_COUPON, Kind.STORE_CODE
PC, PP = Kind.PLATFORM_COUPON, Kind.PLATFORM_CODE

# fmt: off
COMBINES: dict[frozenset[str], bool] = {
    frozenset({IN}):      False,  # two instant discounts of one store: only the larger applies
    frozenset({IN, SC}):  True,
    frozenset({IN, SP}):  True,
    frozenset({IN, PC}):  True,
    frozenset({IN, PP}):  True,
    frozenset({SC}):     False,
    frozenset({SC, SP}): False,  # at most one of {store coupon, store promo code}
    frozenset({SC, PC}): True,   # store coupon + platform coupon (seed)
    frozenset({SC, PP}): True,   # store coupon + platform promo code (our decision, see above)
    frozenset({SP}):     False,
    frozenset({SP, PC}): False,  # store promo code + platform discount: no (seed)
    frozenset({SP, PP}): False,
    frozenset({PC}):     False,
    frozenset({PC, PP}): False,  # one platform discount per checkout
    frozenset({PP}):     False,
}
# fmt: on

# The order the layers apply in: each takes its share off what the previous ones left.
LAYER = {IN: 0, SC: 1, SP: 1, PC: 2, PP: 2}


def kinds_combine(a: str, b: str) -> bool:
    """Whether a discount of kind `a` and one of kind `b` may both apply to one store order."""
    return COMBINES[frozenset({a, b})]


def allowed(kinds: Iterable[str]) -> bool:
    """Whether all these kinds (one entry per discount) may apply together to one store order."""
    kinds = list(kinds)
    return all(kinds_combine(a, b) for a, b in _pairs(kinds, 2))


def combinations(options: Sequence[tuple[str, object]]) -> list[tuple[object, ...]]:
    """Every allowed selection from `options` ((kind, item) pairs), the empty one included.

    Pure: it only reads the table. At most one item per kind is ever chosen (the table
    refuses a kind with itself), so the selections are the allowed products of
    "none or one of each kind". Returned in a stable order (by the options' order).
    """
    by_kind: dict[str, list[object]] = {}
    for kind, item in options:
        by_kind.setdefault(kind, []).append(item)
    kinds = sorted(by_kind, key=lambda k: (LAYER[k], k))
    found = []
    for choice in product(*[[None, *by_kind[k]] for k in kinds]):
        picked = [(k, item) for k, item in zip(kinds, choice, strict=True) if item is not None]
        if allowed(k for k, _ in picked):
            found.append(tuple(item for _, item in picked))
    return found

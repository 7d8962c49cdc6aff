"""CPN-7: pro-rata allocation by largest remainder — the parts always sum to the whole."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coupons.allocation import allocate


@given(
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(
        lambda w: sum(w)
    ),
    data=st.data(),
)
def test_cpn7_parts_sum_exactly_and_never_exceed_their_weight(weights, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(0 <= p <= w for p, w in zip(parts, weights, strict=True))
    exact = [total * w / sum(weights) for w in weights]
    assert all(abs(p - e) < 1 for p, e in zip(parts, exact, strict=True))  # each within one minor unit


def test_cpn7_rounding_examples_and_deterministic_ties():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(1, [5, 5]) == [1, 0]
    assert allocate(10, [3, 0, 7]) == [3, 0, 7]
    assert allocate(0, [3, 4]) == [0, 0]


def test_cpn7_bad_input_is_refused():
    with pytest.raises(ValueError):
        allocate(-1, [1])
    with pytest.raises(ValueError):
        allocate(5, [0, 0])

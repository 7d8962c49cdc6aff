"""CPN-7: split an amount over parts pro rata, exactly (largest remainder)."""

from __future__ import annotations

from collections.abc import Sequence


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units over `weights` in proportion; the parts sum to `total` exactly.

    Each part is first floor(total × weight / sum); the units left over go one each to
    the parts with the largest remainders, ties to the earlier part (deterministic). A part
    never exceeds its weight when total ≤ sum(weights). Zero weights get zero.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate() takes a non-negative total and weights")
    whole = sum(weights)
    if total == 0 or not weights:
        return [0] * len(weights)
    if whole == 0:
        raise ValueError("cannot allocate a positive amount over zero weights")
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts

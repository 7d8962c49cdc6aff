"""The simulated provider: the default for development and tests.

Charges succeed for the test token "tok_success" (the payments issue adds
the full set of decline cards); refunds succeed and return an ARN. Results
depend only on the idempotency key, so a retried call returns the same result.
"""

from __future__ import annotations

import hashlib

from core.money import Money
from payments.providers.base import ChargeResult, RefundResult

SUCCESS_TOKEN = "tok_success"


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


class SimulatedProvider:
    name = "simulated"

    def charge(self, *, amount: Money, token: str, idempotency_key: str) -> ChargeResult:
        if token != SUCCESS_TOKEN:
            return ChargeResult(ok=False, failure_code="card_declined")
        return ChargeResult(ok=True, provider_ref=_ref("sim_ch", idempotency_key))

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> RefundResult:
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
        arn = "7" + str(int(digest[:16], 16))[:22].rjust(22, "0")
        return RefundResult(ok=True, provider_ref=_ref("sim_re", idempotency_key), arn=arn)

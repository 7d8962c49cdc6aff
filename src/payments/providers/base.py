"""The interface every payment provider implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.money import Money


class ProviderError(Exception):
    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    provider_ref: str = ""
    failure_code: str = ""


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    provider_ref: str = ""
    arn: str = ""
    failure_code: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(self, *, amount: Money, token: str, idempotency_key: str) -> ChargeResult: ...

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> RefundResult: ...

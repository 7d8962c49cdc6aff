"""Payment side effects run by the task worker after the change commits (outbox)."""

from django.db import transaction
from django_tasks import task

from core.clock import now
from core.money import Money
from payments.models import Refund
from payments.providers import get_provider


@task()
def refund_execute(refund_id: int) -> str:
    """Send one refund to its provider. Idempotent: a refund already processed is left alone,
    and the provider call carries the refund's idempotency key."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).select_related("payment").get(pk=refund_id)
        if refund.state != Refund.State.PENDING:
            return f"already {refund.state}"
        if refund.destination != Refund.Destination.ORIGINAL or refund.payment is None:
            refund.state = Refund.State.SUCCEEDED
            refund.processed_at = now()
            refund.save(update_fields=["state", "processed_at"])
            if refund.destination == Refund.Destination.COUPON:  # cash on delivery (PAY-4)
                from payments.services import refund_coupon_issue

                refund_coupon_issue(refund=refund, now=refund.processed_at)
            return "credited"
        provider = get_provider(refund.payment.provider)
        result = provider.refund(
            payment_ref=refund.payment.provider_ref,
            amount=Money(refund.amount_minor, refund.currency),
            idempotency_key=refund.idempotency_key,
        )
        refund.state = Refund.State.SUCCEEDED if result.ok else Refund.State.FAILED
        refund.arn = result.arn
        refund.processed_at = now()
        refund.save(update_fields=["state", "arn", "processed_at"])
        if refund.state == Refund.State.FAILED:
            from ledger.services import ledger_refund_failed

            ledger_refund_failed(refund=refund, now=refund.processed_at)  # the money is back in escrow
        return refund.state

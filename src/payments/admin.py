"""Back office for payments and refunds: read only; money moves only through payments.services.

One staff action: "the money arrived" for a bank transfer, cash, Boleto or Western Union
payment waiting in "payment processing" (PAY-4); it is audited (OPS-1)."""

from django.contrib import admin, messages

from core import clock
from core.admin import read_only_admin, register_read_only_app
from core.audit import audit_record
from core.errors import DomainError
from payments.models import Payment


@admin.action(description="Mark the money received (bank transfer, cash, Boleto, Western Union)")
def payment_mark_received_action(modeladmin, request, queryset):
    from payments.services import payment_mark_received

    now = clock.now()
    for payment in queryset.order_by("pk"):
        try:
            payment_mark_received(payment=payment, now=now)
        except DomainError as error:
            messages.error(request, f"Payment {payment.pk}: {error.message}")
            continue
        audit_record(
            actor=request.user, action="payment_mark_received",
            data={"payment": payment.pk, "method": payment.method}, at=now,
        )
        messages.success(request, f"Payment {payment.pk}: the money was received; its orders move on.")


class PaymentAdmin(read_only_admin(Payment)):
    actions = [payment_mark_received_action]


admin.site.register(Payment, PaymentAdmin)
register_read_only_app("payments")

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments and refunds"

    def ready(self) -> None:
        from deadlines.registry import register
        from payments.services import OFFLINE_EXPIRY, offline_payment_expire

        register(OFFLINE_EXPIRY, lambda deadline, now: offline_payment_expire(
            payment_id=deadline.subject_id, now=now
        ))  # PAY-4: a bank transfer, cash, Boleto or Western Union payment that never arrives

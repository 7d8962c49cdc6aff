from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "Disputes and warranty"

    def ready(self) -> None:
        from disputes.deadline_handlers import register_all
        from disputes.selectors import order_has_open_dispute
        from ledger.services import release_blocker_register

        register_all()
        release_blocker_register(order_has_open_dispute)  # DSP-6 / BP-2: an open dispute freezes escrow

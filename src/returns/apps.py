from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Free Return"

    def ready(self) -> None:
        from ledger.services import release_blocker_register
        from returns import checks  # noqa: F401  (registers the system checks)
        from returns.deadline_handlers import register_all
        from returns.selectors import order_has_open_return

        register_all()
        release_blocker_register(order_has_open_return)  # RET-4: escrow stays while a return is open

from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = "Card verification appeals"

    def ready(self) -> None:
        from appeals.deadline_handlers import register_all

        register_all()

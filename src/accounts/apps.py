from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks  # noqa: F401  (registers the system checks)
        from accounts.risk import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.risk.on_user_logged_in")  # ACC-5

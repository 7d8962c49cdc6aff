from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


class HelpcenterConfig(AppConfig):
    name = "helpcenter"
    verbose_name = gettext_lazy("Help center")

    def ready(self) -> None:
        from helpcenter.loader import load_after_migrate

        # The shipped articles and customs data are loaded after every `migrate` (new ones
        # added, untouched ones refreshed, staff edits kept): see helpcenter.loader.
        post_migrate.connect(load_after_migrate, sender=self, dispatch_uid="helpcenter-load")

"""`manage.py help_load`: load the shipped help articles and customs data (idempotent)."""

from django.core.management.base import BaseCommand

from core import clock
from helpcenter.loader import help_load


class Command(BaseCommand):
    help = "Create or refresh the shipped help articles and customs data; staff edits are kept."

    def handle(self, *args, **options) -> None:
        result = help_load(now=clock.now())
        created = ", ".join(f"{k}: {v}" for k, v in sorted(result.created.items())) or "nothing"
        updated = ", ".join(f"{k}: {v}" for k, v in sorted(result.updated.items())) or "nothing"
        self.stdout.write(f"Help center loaded. Created {created}; updated {updated}.")

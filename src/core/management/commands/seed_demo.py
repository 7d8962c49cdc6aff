"""`manage.py seed_demo`: the demo marketplace (logins, stores, ~120 products with pictures).

Safe to run again: only what is missing is created (see core.demo.seed).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.demo.content import DEMO_PASSWORD
from core.demo.seed import demo_seed
from core.errors import DomainError

MAX_PRODUCTS = 100_000


class Command(BaseCommand):
    help = "Create the demo data (idempotent): logins, stores, categories, products, pictures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=None,
            metavar="N",
            help="How many products to have (default: the ~120 described ones; more are "
            "numbered copies inserted in bulk, for load tests).",
        )
        parser.add_argument(
            "--no-images",
            action="store_true",
            help="Do not draw product pictures (faster; for benchmarks).",
        )

    def handle(self, *args, products: int | None, no_images: bool, verbosity: int = 1,
               **options) -> None:
        if products is not None and not 0 <= products <= MAX_PRODUCTS:
            raise CommandError(f"--products must be between 0 and {MAX_PRODUCTS}.")
        write = self.stdout.write if verbosity > 0 else (lambda _: None)
        started = time.monotonic()
        try:
            result = demo_seed(products=products, images=not no_images, log=write)
        except DomainError as exc:  # e.g. a demo store name already taken by another account
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role in result.logins:
            write(f"  {email:40} {role}")
        if result.promo_codes:  # CPN-1: type them at checkout
            write("Demo promo codes:")
            for code, text in result.promo_codes:
                write(f"  {code:40} {text}")

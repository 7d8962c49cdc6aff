"""Compile locale/*/LC_MESSAGES/django.po to .mo with Babel (no GNU gettext needed)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core.i18n_check import DOMAINS, catalogue_problems, compile_catalogues


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) with Babel; --check lists untranslated entries."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Fail listing every untranslated, fuzzy or broken entry instead.")

    def handle(self, *args, check: bool = False, **options):
        for locale_dir in settings.LOCALE_PATHS:
            if check:
                problems = [line for domain in DOMAINS
                            for line in catalogue_problems(locale_dir, domain=domain)]
                for line in problems:
                    self.stdout.write(line)
                if problems:
                    raise SystemExit(f"{len(problems)} catalogue entries are not translated.")
                self.stdout.write("Every catalogue entry is translated.")
                continue
            for domain in DOMAINS:
                for path in compile_catalogues(locale_dir, domain=domain):
                    self.stdout.write(f"compiled {path}")

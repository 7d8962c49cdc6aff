"""`manage.py clock show | advance 7d | reset` — the demo clock (settings.DEMO_CLOCK).

Each change is recorded in the audit log (core.AuditLog), like the back-office page's.
"""

from django.core.management.base import BaseCommand, CommandError

from core.clock import (
    DemoClockDisabled,
    demo_clock_advance,
    demo_clock_enabled,
    demo_clock_reset,
    demo_offset,
    now,
    parse_duration,
)


class Command(BaseCommand):
    help = "Show, advance or reset the demo clock (only when DEMO_CLOCK is on)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["show", "advance", "reset"])
        parser.add_argument("duration", nargs="?", help="For advance: e.g. 7d, 36h, 90m.")

    def handle(self, *args, action: str, duration: str | None, **options):
        try:
            if action == "advance":
                if not duration:
                    raise CommandError("clock advance needs a duration, e.g. 7d")
                demo_clock_advance(parse_duration(duration), via="manage.py clock")
            elif action == "reset":
                demo_clock_reset(via="manage.py clock")
        except (DemoClockDisabled, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        state = "on" if demo_clock_enabled() else "off"
        self.stdout.write(f"demo clock {state}; offset {demo_offset()}; site time {now():%Y-%m-%d %H:%M:%S}Z")

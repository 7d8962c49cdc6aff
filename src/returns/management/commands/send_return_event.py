"""Sign and post one return provider update to a running site (RET-3, RET-4), for demos.

    manage.py send_return_event RT-ABCDEFGHJK --status dropped_off
    manage.py send_return_event RT-ABCDEFGHJK --status inspected --good 12=2 --good 13=0

It signs with the provider's secret from settings.RETURN_PROVIDERS (the site must use the
same) and the site's clock (core.clock, so it works with the demo clock moved forward),
exactly as the provider would (see returns.webhooks). `--good LINE=UNITS` gives the units
in good condition per return line (the line ids are on the return's API answer); lines not
given are reported as 0 (an empty parcel when none is given).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import clock
from returns.models import ReturnRequest
from returns.providers import provider_get
from returns.states import PROVIDER_STATUSES
from returns.webhooks import SIGNATURE_HEADER, return_signature


class Command(BaseCommand):
    help = "Sign and POST a return provider update to /webhooks/returns/<provider>/ of a running site."

    def add_arguments(self, parser):
        parser.add_argument("code", help="The return code, e.g. RT-ABCDEFGHJK")
        parser.add_argument("--status", default="dropped_off", choices=list(PROVIDER_STATUSES))
        parser.add_argument("--location", default="")
        parser.add_argument("--good", action="append", default=[], metavar="LINE=UNITS")
        parser.add_argument("--event-id", default="", help="Default: a new random id")
        parser.add_argument("--url", default=settings.SITE_URL, help="The site (default: SITE_URL)")
        parser.add_argument("--dry-run", action="store_true", help="Print the request instead of sending it")

    def handle(self, *args, **options):
        request = ReturnRequest.objects.filter(return_code=options["code"].strip().upper()).first()
        if request is None:
            raise CommandError("No return has this code.")
        provider = provider_get(request.provider)
        if provider is None:
            raise CommandError(f"The return's provider {request.provider!r} is not configured.")
        now = clock.now()
        body = {
            "event_id": options["event_id"] or f"demo-{uuid.uuid4().hex[:16]}",
            "return_code": request.return_code,
            "status": options["status"],
            "occurred_at": now.isoformat(),
            "location": options["location"],
        }
        if options["status"] == "inspected":
            given = {}
            for item in options["good"]:
                line, _, units = item.partition("=")
                if not (line.isdigit() and units.isdigit()):
                    raise CommandError(f"--good takes LINE=UNITS, e.g. 12=2 (got {item!r}).")
                given[int(line)] = int(units)
            body["lines"] = [
                {"line_id": line.pk, "units_good": given.get(line.pk, 0)} for line in request.lines.all()
            ]
        raw = json.dumps(body).encode()
        header = return_signature(body=raw, timestamp=int(now.timestamp()), secret=provider.secret)
        url = options["url"].rstrip("/") + f"/webhooks/returns/{provider.slug}/"
        if options["dry_run"]:
            self.stdout.write(f"POST {url}\n{SIGNATURE_HEADER}: {header}\n{raw.decode()}")
            return
        sent = urllib.request.Request(
            url, data=raw, method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: header},
        )
        try:
            with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310 (the configured site)
                self.stdout.write(f"{answer.status} {answer.read().decode()}")
        except urllib.error.HTTPError as error:
            raise CommandError(f"{error.code} {error.read().decode()}") from None
        except urllib.error.URLError as error:
            raise CommandError(f"Could not reach {url}: {error.reason}") from None

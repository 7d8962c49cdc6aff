"""Sign and post one carrier tracking event to a running site (ORD-6), for demos.

    manage.py send_tracking_event HA123456789012 --status in_transit --location Bangkok
    manage.py send_tracking_event --tracking-number EX1TH --status delivered --url http://127.0.0.1:8000

It signs with settings.TRACKING_WEBHOOK_SECRET (the site must use the same
secret) and the site's clock (core.clock, so it also works with the demo
clock moved forward), exactly as a carrier would (see orders.webhooks).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import clock
from orders.models import Order, TrackingEvent
from orders.webhooks import SIGNATURE_HEADER, tracking_signature


class Command(BaseCommand):
    help = "Sign and POST a tracking event to /webhooks/tracking/ of a running site."

    def add_arguments(self, parser):
        parser.add_argument("order", nargs="?",
                            help="Order number: its carrier and tracking number are used")
        parser.add_argument("--tracking-number", default="")
        parser.add_argument("--carrier", default="")
        parser.add_argument("--status", default=TrackingEvent.Status.IN_TRANSIT,
                            choices=TrackingEvent.Status.values)
        parser.add_argument("--location", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--event-id", default="", help="Default: a new random id")
        parser.add_argument("--url", default=settings.SITE_URL, help="The site (default: SITE_URL)")
        parser.add_argument("--dry-run", action="store_true", help="Print the request instead of sending it")

    def handle(self, *args, **options):
        number, carrier = options["tracking_number"], options["carrier"]
        if options["order"]:
            order = Order.objects.filter(number=options["order"]).first()
            if order is None:
                raise CommandError(f"No order {options['order']}")
            number, carrier = number or order.tracking_number, carrier or order.carrier
        if not number:
            raise CommandError("Give an order number of a shipped order or --tracking-number")
        now = clock.now()
        event = {
            "event_id": options["event_id"] or f"demo-{uuid.uuid4().hex[:16]}",
            "tracking_number": number,
            "carrier": carrier,
            "status": options["status"],
            "occurred_at": now.isoformat(),
            "location": options["location"],
            "description": options["description"],
        }
        body = json.dumps(event).encode()
        signature = tracking_signature(body=body, timestamp=int(now.timestamp()),
                                       secret=settings.TRACKING_WEBHOOK_SECRET)
        url = options["url"].rstrip("/") + "/webhooks/tracking/"
        if options["dry_run"]:
            self.stdout.write(f"POST {url}\n{SIGNATURE_HEADER}: {signature}\n\n{body.decode()}")
            return
        request = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own site)
                self.stdout.write(f"{response.status} {response.read().decode()}")
        except urllib.error.HTTPError as error:
            raise CommandError(f"{error.code} {error.read().decode()}") from None
        except urllib.error.URLError as error:
            raise CommandError(f"Cannot reach {url}: {error.reason}") from None

"""`manage.py run_worker`: fire due deadlines in a loop (any number may run at once)."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from core.clock import now
from deadlines.worker import deadlines_fire_due

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fire due deadlines (unpaid orders closing, ship-by timeouts, protection ends…) in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when idle.")
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--once", action="store_true", help="Fire what is due now, then exit.")

    def handle(self, *args, interval: float, batch_size: int, once: bool, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        total = 0
        while not self.stopping:
            try:
                fired = deadlines_fire_due(now=now(), batch_size=batch_size)
            except Exception:
                if once:
                    raise
                # The database went away or a batch could not commit: nothing was half
                # done (a batch is one transaction). Reconnect and try again shortly.
                log.exception("Deadline batch failed; retrying in %s s", interval)
                close_old_connections()
                time.sleep(interval)
                continue
            total += fired
            if once and fired < batch_size:
                break
            if not fired:
                time.sleep(interval)
        self.stdout.write(f"run_worker: {total} deadlines handled")

    def _stop(self, signum, frame):
        self.stopping = True

"""`manage.py serve`: the web server and the background worker, together, in the foreground.

Starts these child processes:
- the task worker: `manage.py db_worker --interval 1` (django-tasks-db), which
  runs the outbox tasks (emails, notifications…);
- the deadline worker: `manage.py run_worker --interval 1` (deadlines app),
  which fires due deadlines (unpaid orders closing, ship-by timeouts…), when
  that app is installed;
- the web server: Django's `runserver` when DEBUG is on, otherwise gunicorn
  with `--workers` processes (after `collectstatic`, which gunicorn's static
  files need).

Ctrl-C or SIGTERM is passed on to all of them; when one child stops, the others
are stopped too and serve exits with the child's status. Each child runs in its own
process group so that the reloader's or gunicorn's own children stop with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.demo.content import BUYER, DEMO_PASSWORD, SELLERS, STAFF

MANAGE = Path(settings.BASE_DIR) / "manage.py"
STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run the web server and the background worker together (Ctrl-C stops both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="gunicorn worker processes when DEBUG is off (default 2).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background workers."
        )

    def handle(self, *args, host: str, port: int, workers: int, no_worker: bool, **options) -> None:
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        commands = {}
        if not no_worker:
            manage = [sys.executable, str(MANAGE)]
            commands["task worker"] = [*manage, "db_worker", "--interval", "1"]
            if "run_worker" in get_commands():
                commands["deadline worker"] = [*manage, "run_worker", "--interval", "1"]
        commands["web"] = self._web_command(host, port, workers)

        self._print_welcome(host, port)
        children: dict[str, subprocess.Popen] = {}
        stopping = {"signal": None}

        def on_signal(signum, _frame):
            stopping["signal"] = signum

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(command, start_new_session=True)
            status = self._watch(children, stopping)
        finally:
            self._stop(children)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if status:
            raise SystemExit(status)

    def _web_command(self, host: str, port: int, workers: int) -> list[str]:
        if settings.DEBUG:
            return [sys.executable, str(MANAGE), "runserver", f"{host}:{port}"]
        self.stdout.write("Collecting static files for gunicorn…")
        subprocess.run(
            [sys.executable, str(MANAGE), "collectstatic", "--no-input", "-v", "0"], check=True
        )
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "hmong_artisans.wsgi:application",
            "--pythonpath",
            str(Path(settings.BASE_DIR) / "src"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]

    def _watch(self, children: dict[str, subprocess.Popen], stopping: dict) -> int:
        """Wait until a signal arrives or a child stops; return the exit status to use."""
        while True:
            if stopping["signal"] is not None:
                self.stdout.write(f"\nStopping ({signal.Signals(stopping['signal']).name})…")
                return 0
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    self.stderr.write(
                        f"The {name} process stopped (exit status {code}); stopping the others."
                    )
                    return code or 1
            time.sleep(0.3)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
            # The group may outlive its leader (e.g. runserver's reloaded child).
            _signal_group(child, signal.SIGKILL)

    def _print_welcome(self, host: str, port: int) -> None:
        from accounts.models import User

        people = [BUYER, *SELLERS[:2], STAFF]
        present = set(
            User.objects.filter(email__in=[p.email for p in people]).values_list("email", flat=True)
        )
        shown = "localhost" if host in {"0.0.0.0", "::"} else host
        self.stdout.write(self.style.SUCCESS(f"Hmong Artisans: http://{shown}:{port}/"))
        if present:
            self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
            for person in people:
                if person.email in present:
                    self.stdout.write(f"  {person.email:40} {person.role}")
            if len(SELLERS) > 2:
                self.stdout.write(f"  (and seller3…seller{len(SELLERS)}@ for the other stores)")
            from coupons.demo import demo_codes_present

            codes = demo_codes_present()
            if codes:  # CPN-1: typed at checkout
                self.stdout.write("Demo promo codes:")
                for code, text in codes:
                    self.stdout.write(f"  {code:40} {text}")
        else:
            self.stdout.write("No demo data yet: run `manage.py seed_demo` to add some.")
        self.stdout.write("Press Ctrl-C to stop the site and the workers.")


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)

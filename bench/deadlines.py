"""Deadline engine throughput: `make bench-deadlines` (N=10000 for a quick run).

What it does, on PostgreSQL (the engine's locking needs it):
  1. drops and recreates a database (BENCH_DB, default hmong_bench_deadlines) and
     migrates it;
  2. builds a small catalog (200 stores, 1,000 products, 5,000 buyers) with the ORM,
     then loads orders with COPY: half unpaid (their payment window pending, ORD-3),
     half paid (ship-by pending with its 24 h reminder, ORD-4, and the payment that a
     closing refunds). Every deadline is pending in the future, so the table holds N
     pending orders (about 1.5 N pending deadline rows);
  3. for each N (default 10k, 100k, 1M), REPEAT times (default 3): makes the next
     SAMPLE (default 5,000) deadlines due, starts ONE worker process (the loop of
     `manage.py run_worker --once` around deadlines.worker.deadlines_fire_due, timed)
     and measures firings per second, milliseconds per firing and SQL statements per
     firing (those sent through Django's cursor; the COPYs of a batch's end are not
     counted); then tops the pending orders back up to N;
  4. at the largest N, the same with two worker processes (2 × SAMPLE due);
  5. prints a table (the median run of each row) and, last, exactly one line
     `BENCH deadlines per_s_1worker=… per_s_2workers=… cost_growth_10k_to_1m=…`
     (cost growth: the median CPU milliseconds per firing — worker plus its database
     backend, which other work on the machine barely moves — at the largest N over the
     smallest; wall milliseconds when the backend's CPU cannot be read).

Each firing does its real work: the state transition under the row lock, the
timeline event, the stock given back, the refund and its task for a paid order,
the two notices and their email tasks, the deadline rows updated. With --ledger
(LEDGER=1) the paid orders' captures are journaled too, so each refund also posts
a ledger transaction drawn from the order's escrow; without it the ledger finds no
escrow for them and only looks.

Loading 1M orders takes about a minute here (COPY, ~17,000 orders/s with their
lines, checkouts, payments and deadlines); the whole default run about 3 minutes.

Options: --sizes (or N=, comma separated), --sample, --repeat, --batch-size, --mix
(share of paid orders), --ledger, --keep-db. Environment: BENCH_PG_URL (server,
default postgres://postgres@127.0.0.1:5432), BENCH_DB, N, SAMPLE, REPEAT, LEDGER.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "10000,100000,1000000"
STORES = 200
PRODUCTS = 1000
BUYERS = 5000
CHUNK = 50_000


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- database --------------------------------------------------------------------------------


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"BENCH_DB must be a plain lower-case name, not {name!r}")
    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def copy_into(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """COPY `rows` (tuples in `fields` order, primary key included) into the model's table.

    Columns not named take the model field's default, so the loader keeps working
    when other features add columns with defaults.
    """
    from django.db import connection
    from django.utils import timezone

    meta = model._meta
    named = [meta.get_field(name) for name in fields]
    rest = [f for f in meta.concrete_fields if f.name not in fields]
    defaults = []
    for field in rest:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        else:
            value = field.get_default()
        defaults.append(field.get_db_prep_save(value, connection))
    columns = ", ".join(f'"{f.column}"' for f in [*named, *rest])
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(
        f'COPY "{meta.db_table}" ({columns}) FROM STDIN'
    ) as copy:
        for row in rows:
            copy.write_row((*row, *defaults))
            count += 1
    return count


def reset_sequence(model) -> None:
    from django.db import connection

    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "
            f'COALESCE((SELECT max("{pk}") FROM "{table}"), 1))'
        )


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("orders_order", "orders_orderline", "deadlines_deadline", "orders_checkout",
                      "payments_payment", "notifications_notice", "django_tasks_database_dbtaskresult",
                      "orders_orderevent", "payments_refund"):
            cursor.execute(f'VACUUM ANALYZE "{table}"')


# --- data ------------------------------------------------------------------------------------


@dataclass
class Catalog:
    products: list[tuple[int, int, int, str]]  # (variant id, store id, shipping method id, title)
    buyers: list[int]


def build_catalog() -> Catalog:
    from django.db import transaction

    from accounts.models import User
    from catalog.models import Category, Product, ShippingMethod, Store, Variant

    with transaction.atomic():
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@bench.example", password="!", first_name="Seller", last_name=f"{i}")
            for i in range(STORES)
        )
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@bench.example", password="!", first_name="Mai", last_name="Vang")
            for i in range(BUYERS)
        )
        category = Category.objects.create(name="Story cloths", slug="story-cloths")
        stores = Store.objects.bulk_create(
            Store(owner=o, name=f"Bench store {i}", slug=f"bench-store-{i}", ships_from="TH",
                  currency="USD")
            for i, o in enumerate(owners)
        )
        methods = ShippingMethod.objects.bulk_create(
            ShippingMethod(store=s, name="Standard", carrier="Thailand Post", price_minor=500,
                           currency="USD")
            for s in stores
        )
        products = Product.objects.bulk_create(
            Product(store=stores[i % STORES], category=category, title=f"Story cloth {i}",
                    slug=f"story-cloth-{i}", currency="USD", processing_days=7,
                    min_price_minor=2500, price_usd_minor=2500, total_stock=1_000_000,
                    search_text=f"story cloth {i}")
            for i in range(PRODUCTS)
        )
        variants = Variant.objects.bulk_create(
            Variant(product=p, sku=f"SKU-{p.pk}", price_minor=2500, stock=1_000_000)
            for p in products
        )
    method_of = {m.store_id: m.pk for m in methods}
    return Catalog(
        products=[
            (v.pk, p.store_id, method_of[p.store_id], p.title)
            for v, p in zip(variants, products, strict=True)
        ],
        buyers=[b.pk for b in buyers],
    )


class Loader:
    """Loads orders with pending deadlines by COPY; ids are assigned here."""

    def __init__(
        self, catalog: Catalog, *, paid_share: float, now: dt.datetime, ledger: bool = False
    ) -> None:
        from deadlines.models import Deadline

        self.catalog = catalog
        self.paid_every = 0 if paid_share <= 0 else max(1, round(1 / paid_share))
        self.now = now
        self.next_order = 1
        self.next_deadline = (Deadline.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.ledger = ledger and _ledger_installed()
        if self.ledger:
            self.clearing = _clearing_account(now)

    def _is_paid(self, order_id: int) -> bool:
        return bool(self.paid_every) and order_id % self.paid_every == 0

    def load(self, count: int) -> float:
        from deadlines.models import Deadline
        from orders.models import Checkout, Order, OrderLine
        from payments.models import Payment

        started = time.perf_counter()
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            first = self.next_order
            ids = range(first, first + size)
            self.next_order += size
            copy_into(Checkout, ["id", "buyer", "idempotency_key", "created_at"], self._checkouts(ids))
            copy_into(Order, ORDER_FIELDS, self._orders(ids))
            copy_into(OrderLine, LINE_FIELDS, self._lines(ids))
            copy_into(Payment, PAYMENT_FIELDS, self._payments(ids))
            copy_into(Deadline, DEADLINE_FIELDS, self._deadlines(ids))
            if self.ledger:
                self._journal_captures(ids)
            done += size
        for model in (Checkout, Order, OrderLine, Payment, Deadline):
            reset_sequence(model)
        return time.perf_counter() - started

    def _journal_captures(self, ids: range) -> None:
        """What ledger_capture_order writes when a payment succeeds: each paid order's escrow
        account holding its total, and the capture transaction moving it from clearing."""
        from django.db.models import F

        from ledger.models import Account, Entry, Transaction

        paid = [i for i in ids if self._is_paid(i)]
        if not paid:
            return
        # Ids of their own per table: order i → escrow account and transaction 10**9 + i.
        copy_into(Account, ["id", "kind", "owner_key", "order", "currency", "balance_minor", "created_at"], (
            (10**9 + i, "order_escrow", f"order:{i}", i, "USD", 3000, self._placed(i)) for i in paid
        ))
        copy_into(Transaction, ["id", "idempotency_key", "kind", "memo", "currency", "order", "created_at"], (
            (10**9 + i, f"capture:order:{i}", "capture", f"Payment for order B{i:011d}", "USD", i,
             self._placed(i))
            for i in paid
        ))
        copy_into(Entry, ["id", "transaction", "account", "amount_minor"], (
            row
            for i in paid
            for row in ((2 * (10**9 + i), 10**9 + i, self.clearing, -3000),
                        (2 * (10**9 + i) + 1, 10**9 + i, 10**9 + i, 3000))
        ))
        Account.objects.filter(pk=self.clearing).update(balance_minor=F("balance_minor") - 3000 * len(paid))

    # Each order: placed 30 min ago (unpaid) or paid a day ago; its deadline is due
    # some time in the next 30 days, later orders later.
    def _placed(self, order_id: int) -> dt.datetime:
        return self.now - dt.timedelta(days=1 if self._is_paid(order_id) else 0, minutes=30)

    def _due(self, order_id: int) -> dt.datetime:
        return self.now + dt.timedelta(hours=1, seconds=(order_id * 7919) % (30 * 86400))

    def _product(self, order_id: int):
        return self.catalog.products[order_id % len(self.catalog.products)]

    def _checkouts(self, ids: range) -> Iterator[tuple]:
        for i in ids:
            yield (i, self.catalog.buyers[i % len(self.catalog.buyers)], f"bench-{i}", self._placed(i))

    def _orders(self, ids: range) -> Iterator[tuple]:
        for i in ids:
            _, store, method, _ = self._product(i)
            paid = self._is_paid(i)
            placed = self._placed(i)
            yield (
                i, f"B{i:011d}", i, self.catalog.buyers[i % len(self.catalog.buyers)], store,
                "awaiting_shipment" if paid else "awaiting_payment", "USD", 2500, 500, 3000,
                "Mai", "Vang", "1 University Ave W", "Saint Paul", "US", "+1 651 555 0100",
                7, method, 20, placed, placed if paid else None, self._due(i) if paid else None,
            )

    def _lines(self, ids: range) -> Iterator[tuple]:
        for i in ids:
            variant, _, _, title = self._product(i)
            yield (i, i, variant, title, 2500, 1, 7)

    def _payments(self, ids: range) -> Iterator[tuple]:
        for i in ids:
            if self._is_paid(i):
                placed = self._placed(i)
                yield (i, i, "card", "simulated", 3000, "USD", "succeeded", f"sim_{i}", f"bench-pay-{i}:USD",
                       placed, placed)

    def _deadlines(self, ids: range) -> Iterator[tuple]:
        for i in ids:
            due = self._due(i)
            if self._is_paid(i):
                yield self._deadline("ship_by", i, "awaiting_shipment", due)
                yield self._deadline("remind_ship_by", i, "awaiting_shipment", due - dt.timedelta(hours=24))
            else:
                yield self._deadline("payment_window", i, "awaiting_payment", due)

    def _deadline(self, kind: str, order_id: int, state: str, due: dt.datetime) -> tuple:
        pk = self.next_deadline
        self.next_deadline += 1
        pending = due > self.now
        return (pk, kind, "order", order_id, state, due, "pending" if pending else "fired",
                self._placed(order_id), None if pending else due, "" if pending else "reminded", 0, "")


def _ledger_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("ledger")


def _clearing_account(now: dt.datetime) -> int:
    from ledger.services import Kind, account_get

    return account_get(kind=Kind.PROVIDER_CLEARING, currency="USD", now=now).pk


ORDER_FIELDS = [
    "id", "number", "checkout", "buyer", "store", "state", "currency", "items_total_minor",
    "shipping_total_minor", "total_minor", "ship_first_name", "ship_last_name", "ship_line1", "ship_city",
    "ship_country", "ship_phone", "processing_days", "shipping_method", "delivery_max_days", "placed_at",
    "paid_at", "ship_by",
]
LINE_FIELDS = ["id", "order", "variant", "product_title", "unit_price_minor", "quantity", "processing_days"]
PAYMENT_FIELDS = [
    "id", "checkout", "method", "provider", "amount_minor", "currency", "state", "provider_ref",
    "idempotency_key", "created_at", "succeeded_at",
]
DEADLINE_FIELDS = [
    "id", "kind", "subject_type", "subject_id", "armed_state", "due_at", "status", "armed_at", "fired_at",
    "outcome", "attempts", "last_error",
]
MAIN_KINDS = ("payment_window", "ship_by")


def pending_orders() -> int:
    from deadlines.models import Deadline

    return Deadline.objects.filter(status="pending", kind__in=MAIN_KINDS).count()


def make_due(sample: int, now: dt.datetime) -> int:
    """Make the next `sample` pending deadlines (by due time) due an hour ago."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE deadlines_deadline SET due_at = %s WHERE id IN ("
            " SELECT id FROM deadlines_deadline WHERE status = 'pending' AND kind = ANY(%s)"
            " ORDER BY due_at LIMIT %s)",
            [now - dt.timedelta(hours=1), list(MAIN_KINDS), sample],
        )
        return cursor.rowcount


# --- workers ---------------------------------------------------------------------------------


@dataclass
class Run:
    size: int
    workers: int
    fired: int
    seconds: float
    queries: int
    errors: int
    cpu: float | None = None  # CPU seconds of the worker processes and their database backends
    load: float = 0.0  # the machine's 1-minute load average when the run started

    @property
    def cpu_ms_per_firing(self) -> float | None:
        return 1000 * self.cpu / self.fired if self.fired and self.cpu is not None else None

    @property
    def per_s(self) -> float:
        return self.fired / self.seconds if self.seconds else 0.0

    @property
    def ms_per_firing(self) -> float:
        return 1000 * self.seconds * self.workers / self.fired if self.fired else 0.0

    @property
    def queries_per_firing(self) -> float:
        return self.queries / self.fired if self.fired else 0.0


def start_worker(env: dict[str, str], batch_size: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--batch-size", str(batch_size)],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


def run_workers(env: dict[str, str], *, size: int, workers: int, batch_size: int) -> Run:
    from deadlines.models import Deadline

    failed_before = Deadline.objects.filter(status="pending", attempts__gt=0).count()
    load = os.getloadavg()[0]
    procs = [start_worker(env, batch_size) for _ in range(workers)]
    for proc in procs:  # each has imported Django and connected
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a bench worker failed to start")
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        if proc.returncode:
            raise SystemExit(f"a bench worker failed (exit {proc.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    errors = Deadline.objects.filter(status="pending", attempts__gt=0).count() - failed_before
    started = min(r["t0"] for r in results)
    ended = max(r["t1"] for r in results)
    cpu = None if any(r["cpu"] is None for r in results) else sum(r["cpu"] for r in results)
    return Run(size=size, workers=workers, fired=sum(r["fired"] for r in results), seconds=ended - started,
               queries=sum(r["queries"] for r in results), errors=errors, cpu=cpu, load=load)


def _process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local process (its database backend), if /proc shows it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_main(batch_size: int) -> None:
    """A bench worker process: the loop `manage.py run_worker --once` runs, timed and counted."""
    configure_django({})
    from django.db import connection

    from core.clock import now
    from deadlines.worker import deadlines_fire_due

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    print("ready", flush=True)
    sys.stdin.readline()
    fired = 0
    with connection.execute_wrapper(count):
        db0, cpu0 = _process_cpu(backend), time.process_time()
        t0 = time.time()
        while True:
            handled = deadlines_fire_due(now=now(), batch_size=batch_size)
            fired += handled
            if handled == 0:
                break
        t1 = time.time()
        db1, cpu1 = _process_cpu(backend), time.process_time()
    cpu = None if db0 is None or db1 is None else (cpu1 - cpu0) + (db1 - db0)
    print(json.dumps({"fired": fired, "t0": t0, "t1": t1, "queries": queries, "cpu": cpu}), flush=True)


# --- main ------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    if not sizes or min(sizes) < 1:
        raise SystemExit("sizes must be positive whole numbers, e.g. 10000,100000")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=os.environ.get("N") or DEFAULT_SIZES,
                        help="pending orders at each step, comma separated (N=… in make)")
    parser.add_argument("--sample", type=int, default=int(os.environ.get("SAMPLE", 5000)),
                        help="deadlines fired per measurement")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT", 3)),
                        help="measurements per size (the median is reported)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--mix", type=float, default=0.5, help="share of paid orders (ship-by, refunded)")
    parser.add_argument("--ledger", action=argparse.BooleanOptionalAction,
                        default=os.environ.get("LEDGER", "") not in ("", "0", "false"),
                        help="journal the paid orders' captures (escrow accounts), so that each "
                             "closing refund also posts to the ledger (LEDGER=1 in make)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.batch_size)
        return

    sizes = parse_sizes(args.sizes)
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = os.environ.get("BENCH_DB", "hmong_bench_deadlines")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEMO_CLOCK", "DATABASE_"))},
        "DATABASE_URL": f"{server}/{name}",
        "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings",
        "DEBUG": "false",
        "PYTHONPATH": str(ROOT / "src"),
    }
    log(f"database {name}: recreating and migrating")
    recreate_database(server, name)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "--skip-checks", "-v", "0"],
                       cwd=ROOT, env=env, check=True)
        configure_django(env)
        results = bench(env, sizes=sizes, sample=args.sample, repeat=max(1, args.repeat),
                        batch_size=args.batch_size, mix=args.mix, ledger=args.ledger)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            recreate_database(server, name, drop_only=True)
    report(results, sizes)


def bench(env, *, sizes: list[int], sample: int, repeat: int, batch_size: int, mix: float,
          ledger: bool) -> dict:
    from core.clock import now

    catalog = build_catalog()
    loader = Loader(catalog, paid_share=mix, now=now(), ledger=ledger)
    log(f"{mix:.0%} of the orders paid (closing refunds them); ledger journal of their captures: "
        f"{'yes' if loader.ledger else 'no'}")
    one: dict[int, list[Run]] = {}
    for size in sizes:
        one[size] = []
        for attempt in range(repeat):
            missing = size - pending_orders()
            if missing > 0:
                took = loader.load(missing)
                log(f"loaded {missing:,} orders with pending deadlines in {took:.1f} s "
                    f"({missing / took:,.0f}/s)")
                vacuum_analyze()
            due = make_due(min(sample, size), now())
            run = run_workers(env, size=size, workers=1, batch_size=batch_size)
            one[size].append(run)
            log(f"N={size:,} run {attempt + 1}: {due:,} due, {run.fired:,} fired in {run.seconds:.2f} s = "
                f"{run.per_s:,.0f}/s, {run.ms_per_firing:.3f} ms and {run.queries_per_firing:.1f} "
                f"statements per firing, {run.errors} errors")
    largest = sizes[-1]
    two: list[Run] = []
    for attempt in range(repeat):
        missing = largest - pending_orders()
        if missing > 0:
            loader.load(missing)
            vacuum_analyze()
        due = make_due(min(2 * sample, largest), now())
        run = run_workers(env, size=largest, workers=2, batch_size=batch_size)
        two.append(run)
        log(f"N={largest:,} two workers run {attempt + 1}: {due:,} due, {run.fired:,} fired in "
            f"{run.seconds:.2f} s = {run.per_s:,.0f}/s, {run.errors} errors")
    return {"one": one, "two": two}


def _median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.per_s)[len(runs) // 2]


def report(results: dict, sizes: list[int]) -> None:
    """The table and the BENCH line.

    Firings per second are wall-clock figures, so other work on the machine lowers them
    (the load average is shown). The per-firing cost whose growth is reported is the CPU
    time the worker and its database backend spend per firing, which that noise barely
    moves; where the backend's CPU cannot be read (a remote server) it is the wall time.
    """
    one, two = results["one"], results["two"]
    print()
    print(f"{'pending N':>10} {'workers':>7} {'fired':>7} {'per s':>7} {'wall ms':>8} {'cpu ms':>7} "
          f"{'stmts':>6} {'errors':>6} {'load':>5}  runs (per s)")
    rows = [(size, _median_run(one[size]), one[size]) for size in sizes]
    rows.append((sizes[-1], _median_run(two), two))
    for size, run, runs in rows:
        cpu = run.cpu_ms_per_firing
        print(f"{size:>10,} {run.workers:>7} {run.fired:>7,} {run.per_s:>7,.0f} {run.ms_per_firing:>8.3f} "
              f"{cpu if cpu is not None else float('nan'):>7.3f} {run.queries_per_firing:>6.2f} "
              f"{run.errors:>6} {run.load:>5.2f}  " + " ".join(f"{r.per_s:,.0f}" for r in runs))
    print("(per firing: wall ms = elapsed time × workers / firings; cpu ms = CPU of the worker and its "
          "database backend; stmts = SQL statements through Django's cursor)")

    def cost(runs: list[Run]) -> float:
        cpus = [r.cpu_ms_per_firing for r in runs]
        if all(c is not None for c in cpus):
            return statistics.median(cpus)
        return statistics.median(r.ms_per_firing for r in runs)

    first, last = cost(one[sizes[0]]), cost(one[sizes[-1]])
    print(f"\nper-firing cost: {first:.3f} ms at N={sizes[0]:,}, {last:.3f} ms at N={sizes[-1]:,}")
    print(f"BENCH deadlines per_s_1worker={rows[len(sizes) - 1][1].per_s:.0f} "
          f"per_s_2workers={rows[-1][1].per_s:.0f} cost_growth_10k_to_1m={last / first:.2f}")


if __name__ == "__main__":
    main()

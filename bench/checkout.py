"""Checkout throughput with coupons: `make bench-checkout` (CPN-8, ORD-1, PAY-1).

What it does, on PostgreSQL:
  1. drops and recreates a database (BENCH_DB, default hmong_bench_checkout) and migrates it;
  2. builds a small shop with the ORM: CLIENTS stores with 20 products each (stock large
     enough never to run out), one buyer per client with an address, and two coupons every
     buyer has collected: a store coupon of their store (seller-funded, 10 % off) and one
     platform coupon shared by everyone ($1 off, platform-funded) — both with a stock (a
     very large one), so every redemption takes its unit with the conditional UPDATE on the
     promotion row, the platform coupon's row being shared by all clients;
  3. starts CLIENTS client processes (default 4). Each loops for DURATION seconds (default
     10, after a 2 s warm-up): put one item in the cart (cart.services.cart_add), place the
     checkout through the real service (orders.services.checkout_place: stock locked, one
     order, the best coupon combination chosen, both coupons redeemed, discounts written per
     order and line), and pay it (orders.services.checkout_pay with the simulated provider's
     success token: payment row, provider call in-process, order paid, ledger capture and
     the platform's discount funding posted, security review, notices queued). It counts
     the orders paid with exactly two discounts;
  4. measures pgbench's TPC-B-like load on a scratch database (BENCH_PGBENCH_DB, default
     hmong_bench_pgbench) in the same run: `pgbench -i -s 1`, then `pgbench -c CLIENTS -j 2
     -T PGBENCH_SECONDS` (default 10);
  5. prints, last, `BENCH checkout orders_per_s=… pgbench_tps=… ratio=…`.

Environment: BENCH_PG_URL (server, default postgres://postgres@127.0.0.1:5432), BENCH_DB,
BENCH_PGBENCH_DB, CLIENTS, DURATION, PGBENCH_SECONDS. --keep-db keeps the databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 2.0


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"database names must be plain lower-case names, not {name!r}")
    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def build_shop(clients: int, coupons: bool = True) -> None:
    """Stores, products, buyers and the two coupons each buyer holds."""
    from accounts.models import Address, User
    from catalog.models import Category, DeliveryEstimate, Product, ShippingMethod, Store, Variant
    from catalog.services import product_refresh_summary
    from coupons.models import CollectedCoupon, Kind, Promotion

    now = dt.datetime.now(dt.UTC)
    category = Category.objects.create(name="Bench", slug="bench")
    platform = Promotion.objects.create(
        kind=Kind.PLATFORM_COUPON,
        title="Bench platform coupon",
        amount_minor=100,
        currency="USD",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
        per_user_limit=10**9,
        total_stock=10**9,
        created_at=now,
        updated_at=now,
    )
    for c in range(clients):
        owner = User.objects.create(email=f"seller{c}@bench.test", password="!")
        store = Store.objects.create(
            owner=owner, name=f"Bench store {c}", slug=f"bench-store-{c}", ships_from="US", currency="USD"
        )
        method = ShippingMethod.objects.create(
            store=store, name="Standard", carrier="Post", price_minor=500, currency="USD"
        )
        DeliveryEstimate.objects.create(method=method, country="", min_days=3, max_days=10)
        for p in range(20):
            product = Product.objects.create(
                store=store,
                category=category,
                title=f"Bench product {c}-{p}",
                slug=f"bench-{c}-{p}",
                description="A product for the checkout benchmark.",
                currency="USD",
                processing_days=3,
            )
            Variant.objects.create(product=product, sku=f"B{c}-{p}", price_minor=2_500 + p, stock=10**8)
            product.shipping_methods.add(method)
            product_refresh_summary(product=product)
        buyer = User.objects.create(email=f"buyer{c}@bench.test", password="!")
        Address.objects.create(
            user=buyer,
            first_name="Mai",
            last_name="Vang",
            line1="1 University Ave W",
            city="Saint Paul",
            region="MN",
            postal_code="55103",
            country="US",
            phone="+1 651 555 0100",
            is_default=True,
        )
        store_coupon = Promotion.objects.create(
            kind=Kind.STORE_COUPON,
            store=store,
            title=f"Bench store coupon {c}",
            percent_bp=1000,
            currency="USD",
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=30),
            per_user_limit=10**9,
            total_stock=10**9,
            created_at=now,
            updated_at=now,
        )
        for promotion in (store_coupon, platform) if coupons else ():
            CollectedCoupon.objects.create(user=buyer, promotion=promotion, collected_at=now)


def client_main(index: int, duration: float, discounts: int = 2) -> None:
    """One client: cart → checkout_place → checkout_pay in a loop; prints `orders=<n> seconds=<s>`."""
    from django.db.models import Count

    from accounts.models import Address, User
    from cart.services import cart_add
    from catalog.models import Variant
    from orders.models import Order
    from orders.services import checkout_pay, checkout_place
    from orders.states import State
    from payments.providers.simulated import SUCCESS_TOKEN

    buyer = User.objects.get(email=f"buyer{index}@bench.test")
    address = Address.objects.get(user=buyer)
    variants = list(Variant.objects.filter(product__store__name=f"Bench store {index}").order_by("pk"))
    backend = _backend_cpu_reader()
    n, started = 0, time.perf_counter()
    measure_from = started + WARMUP
    measured_at, first_key = None, None
    while True:
        now_perf = time.perf_counter()
        if measured_at is None and now_perf >= measure_from:
            measured_at, first_key = now_perf, n + 1
            cpu_from, backend_from = time.process_time(), backend()
        if measured_at is not None and now_perf - measured_at >= duration:
            break
        n += 1
        now = dt.datetime.now(dt.UTC)
        cart_add(user=buyer, variant=variants[n % len(variants)], quantity=1)
        checkout = checkout_place(buyer=buyer, address=address, idempotency_key=f"b{index}-{n}", now=now)
        checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"p{index}-{n}", now=now)
    elapsed = time.perf_counter() - measured_at
    cpu, backend_cpu = time.process_time() - cpu_from, backend() - backend_from
    # Counted after the clock stops, in one query: the measured checkouts' orders that are paid
    # (awaiting shipment: not closed by the ORD-8 review) with exactly `discounts` discounts.
    measured = [f"b{index}-{k}" for k in range(first_key, n + 1)]
    counted = (
        Order.objects.filter(
            checkout__buyer=buyer, checkout__idempotency_key__in=measured, state=State.AWAITING_SHIPMENT
        )
        .annotate(n_discounts=Count("discounts", distinct=True))
        .filter(n_discounts=discounts)
        .count()
    )
    done = max(n - first_key + 1, 1)
    print(
        f"orders={counted} seconds={elapsed:.3f} client_cpu_ms={1000 * cpu / done:.2f} "
        f"server_cpu_ms={1000 * backend_cpu / done:.2f}",
        flush=True,
    )


def _backend_cpu_reader():
    """CPU seconds used so far by this client's PostgreSQL backend (read from /proc: the server
    is on this machine); a reader of 0.0 when it cannot be read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            return 0.0

    return read


def profile_main(orders: int) -> None:
    """One client, in-process: the SQL of one warm checkout + payment, then a cProfile of `orders`."""
    import cProfile
    import pstats

    from django.db import connection

    from accounts.models import Address, User
    from cart.services import cart_add
    from catalog.models import Variant
    from orders.services import checkout_pay, checkout_place
    from payments.providers.simulated import SUCCESS_TOKEN

    buyer = User.objects.get(email="buyer0@bench.test")
    address = Address.objects.get(user=buyer)
    variants = list(Variant.objects.filter(product__store__name="Bench store 0").order_by("pk"))
    n = 0

    def one(statements: list | None = None) -> None:
        nonlocal n
        n += 1
        now = dt.datetime.now(dt.UTC)
        phase = ["cart"]

        def wrapper(execute, sql, params, many, context):
            if statements is not None:
                statements.append((phase[0], sql))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(wrapper):
            cart_add(user=buyer, variant=variants[n % len(variants)], quantity=1)
            phase[0] = "place"
            checkout = checkout_place(buyer=buyer, address=address, idempotency_key=f"prof-{n}", now=now)
            phase[0] = "pay"
            checkout_pay(checkout=checkout, token=SUCCESS_TOKEN, idempotency_key=f"pp-{n}", now=now)

    for _ in range(5):
        one()
    statements: list = []
    one(statements)
    counts: dict[str, int] = {}
    for i, (phase, sql) in enumerate(statements, 1):
        counts[phase] = counts.get(phase, 0) + 1
        print(f"{i:3d} {phase:5s} {sql[:230]}")
    locking = [sql for _, sql in statements if " FOR UPDATE" in sql or sql.startswith("UPDATE")]
    print(f"statements: {counts} total={len(statements)}; locking statements: {len(locking)}")
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(orders):
        one()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{orders} orders: {1000 * wall / orders:.1f} ms each, of which {1000 * cpu / orders:.1f} ms "
          "of this process's CPU (Python)")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(orders):
        one()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{orders} orders in {elapsed:.2f} s under cProfile ({1000 * elapsed / orders:.1f} ms each)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    if os.environ.get("BENCH_PROFILE_OUT"):  # the raw profile, for `python -m pstats FILE`
        profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])


def run_clients(env: dict[str, str], clients: int, duration: float, coupons: bool = True) -> float:
    procs = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--client", str(i), "--duration", str(duration)]
            + ([] if coupons else ["--no-coupons"]),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(clients)
    ]
    total_orders, rates = 0, []
    for proc in procs:
        out, _ = proc.communicate(timeout=duration + 300)
        if proc.returncode != 0:
            raise SystemExit(f"a client failed (exit {proc.returncode})")
        match = re.search(
            r"orders=(\d+) seconds=([\d.]+) client_cpu_ms=([\d.]+) server_cpu_ms=([\d.]+)", out
        )
        orders, seconds = int(match.group(1)), float(match.group(2))
        total_orders += orders
        rates.append(orders / seconds)
        what = "with two coupons" if coupons else "without coupons"
        log(
            f"client: {orders} orders paid {what} in {seconds:.1f} s ({orders / seconds:.1f}/s); "
            f"CPU per order: client {match.group(3)} ms, its PostgreSQL backend {match.group(4)} ms"
        )
    return sum(rates)


def pgbench_tps(server: str, name: str, clients: int, seconds: int) -> float:
    recreate_database(server, name)
    url = f"{server}/{name}"
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", url], check=True, capture_output=True)
    result = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(
        r"tps = ([\d.]+) \((?:without initial connection time|excluding connections)", result.stdout
    )
    if match is None:
        match = re.search(r"tps = ([\d.]+)", result.stdout)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=int(os.environ.get("CLIENTS", 4)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION", 10)))
    parser.add_argument("--pgbench-seconds", type=int, default=int(os.environ.get("PGBENCH_SECONDS", 10)))
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--coupons",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("COUPONS", "1") != "0",
        help="--no-coupons (COUPONS=0) measures the same checkout without coupons, for comparison",
    )
    parser.add_argument(
        "--profile", type=int, metavar="N",
        help="one client in-process: print the SQL of one checkout + payment and a cProfile of N orders",
    )
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        configure_django({})
        client_main(args.client, args.duration, discounts=2 if args.coupons else 0)
        return

    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = os.environ.get("BENCH_DB", "hmong_bench_checkout")
    pgbench_db = os.environ.get("BENCH_PGBENCH_DB", "hmong_bench_pgbench")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEMO_CLOCK", "DATABASE_"))},
        "DATABASE_URL": f"{server}/{name}",
        "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings",
        "DEBUG": "false",
        "PAYMENT_PROVIDER": "simulated",
        "PYTHONPATH": str(ROOT / "src"),
    }
    log(f"database {name}: recreating and migrating")
    recreate_database(server, name)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "--skip-checks", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        configure_django(env)
        build_shop(args.clients, coupons=args.coupons)
        from django.db import connections

        if args.profile:
            profile_main(args.profile)
            return

        connections.close_all()
        log(f"{args.clients} clients for {args.duration:.0f} s (after a {WARMUP:.0f} s warm-up)")
        orders_per_s = run_clients(env, args.clients, args.duration, coupons=args.coupons)
        log(f"pgbench -c {args.clients} -j 2 -T {args.pgbench_seconds} on {pgbench_db}")
        tps = pgbench_tps(server, pgbench_db, args.clients, args.pgbench_seconds)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            recreate_database(server, name, drop_only=True)
            recreate_database(server, pgbench_db, drop_only=True)
    ratio = orders_per_s / tps if tps else 0.0
    what = "with two coupons" if args.coupons else "without coupons"
    log(f"checkout {what}: {orders_per_s:.1f} orders/s; pgbench TPC-B-like: {tps:.1f} tps")
    print(
        f"BENCH checkout orders_per_s={orders_per_s:.1f} pgbench_tps={tps:.1f} ratio={ratio:.3f}", flush=True
    )


if __name__ == "__main__":
    main()

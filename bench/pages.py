"""Page throughput against the floor: `make bench-pages`.

Self-contained and reproducible:
  1. drops and recreates a PostgreSQL database (BENCH_DB, default hmong_bench),
     migrates it and collects static files into a temporary folder;
  2. loads 1,200 products (`manage.py seed_demo --products N --no-images` when
     that command supports those options, else bench/catalog_data.py);
  3. starts gunicorn on a free 127.0.0.1 port with the production settings
     (DEBUG off, SECURE_SSL_REDIRECT off, ALLOWED_HOSTS=127.0.0.1,
     BENCH_ENDPOINTS=true);
  4. checks that every URL answers 200, warms up, then measures with wrk
     (1 thread, 8 connections, 10 s per page in 5 interleaved rounds of 2 s,
     several products rotated by a Lua script) three pages: the floor
     (core.views.bench_floor: one primary-key SELECT and a tiny template), a
     product page and a search page;
  5. prints a table, the ratios to the floor (the median of the rounds'
     ratios), and one final line
     `BENCH pages product_ratio=… search_ratio=… product_p99_ms=… search_p99_ms=…`.
gunicorn is stopped and the database dropped even on failure (--keep-db keeps it).

Environment: BENCH_PG_URL (server, default postgres://postgres@127.0.0.1:5432),
BENCH_DB, BENCH_PRODUCTS, BENCH_DURATION (seconds), BENCH_WORKERS,
BENCH_WORKER_CLASS, BENCH_THREADS.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
TARGETS = {"product_ratio": 0.5, "search_ratio": 0.3, "p99_ms": 100.0}

# Two cores run gunicorn, PostgreSQL and wrk together. Measured on this
# machine (see the report in bench/README.md): 2 sync workers give the best
# throughput; a third worker only adds context switches, gthread adds the
# GIL hand-offs of the threads without more parallelism.
DEFAULT_WORKERS = 2
DEFAULT_WORKER_CLASS = "sync"

LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%%d duration_us=%%d p50_us=%%d p99_us=%%d " ..
    "status=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class Result:
    name: str
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    sys.path.insert(0, str(ROOT / "src"))  # not bench/: its scripts would shadow app names
    import django

    django.setup()


def seed_demo_supports_size() -> bool:
    from django.core.management import get_commands, load_command_class

    app = get_commands().get("seed_demo")
    if not app:
        return False
    parser = load_command_class(app, "seed_demo").create_parser("manage.py", "seed_demo")
    options = {opt for action in parser._actions for opt in action.option_strings}
    return {"--products", "--no-images"} <= options


def load_data(products: int, loader: str) -> str:
    from django.core.management import call_command

    from catalog.models import Product

    if loader == "seed_demo" or (loader == "auto" and seed_demo_supports_size()):
        call_command("seed_demo", products=products, no_images=True, verbosity=0)
        how = f"manage.py seed_demo --products {products} --no-images"
    else:
        spec = importlib.util.spec_from_file_location("bench_catalog_data",
                                                      ROOT / "bench" / "catalog_data.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.load_catalog(products=products)
        how = "bench/catalog_data.py"
    count = Product.objects.filter(is_active=True).count()
    if count < 1000:
        raise SystemExit(f"only {count} active products were loaded; the benchmark needs 1,000+")
    return f"{count} active products via {how}"


def pick_urls() -> dict[str, tuple[str, list[str]]]:
    """Paths to rotate for each page: (label, [paths])."""
    from django.db.models import Count

    from catalog.models import Category, Product

    active = Product.objects.filter(is_active=True).order_by("pk")
    pks = list(active.values_list("pk", flat=True))
    step = max(1, len(pks) // 20)
    chosen = pks[::step][:20]
    slugs = list(
        Product.objects.filter(pk__in=chosen).order_by("pk").values_list("slug", flat=True)
    )

    # Search: the category with most Free Return products, and a title word
    # common in it (but not in every product), so the query returns results.
    category = (
        Category.objects.filter(products__is_active=True, products__free_return=True)
        .annotate(n=Count("products")).order_by("-n", "pk").first()
    )
    titles = list(
        active.filter(category=category, free_return=True).values_list("title", flat=True)
    )
    words = collections.Counter(
        w for t in titles for w in set(re.findall(r"[a-z]{5,}", t.lower()))
    )
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))
    word = next((w for w, n in ranked if n < len(titles)), None) or "cloth"
    search = f"/search/?q={word}&category={category.slug}&free_return=on"
    return {
        "floor": (f"/_bench/floor/<pk>/ ({len(chosen)} products)",
                  [f"/_bench/floor/{pk}/" for pk in chosen]),
        "product": (f"/p/<slug>/ ({len(slugs)} products)", [f"/p/{s}/" for s in slugs]),
        "search": (search + f" ({len(titles)} candidates)", [search]),
    }


def start_gunicorn(env: dict[str, str], port: int, workers: int, worker_class: str,
                   threads: int) -> subprocess.Popen:
    cmd = [
        str(VENV_BIN / "gunicorn"), "hmong_artisans.wsgi:application",
        "--pythonpath", str(ROOT / "src"), "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", worker_class,
        "--log-level", "warning", "--timeout", "60",
    ]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(base: str, path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before answering")
        try:
            status, _ = fetch(base + path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def check_pages(base: str, urls: dict[str, tuple[str, list[str]]]) -> None:
    for name, (_, paths) in urls.items():
        for path in paths:
            status, body = fetch(base + path)
            if status != 200:
                raise SystemExit(f"{name} page {path} answered {status}; is the page built yet?\n"
                                 + body[:300].decode(errors="replace"))


def run_wrk(base: str, name: str, label: str, paths: list[str], duration: int,
            workdir: Path) -> Result:
    script = workdir / f"{name}.lua"
    script.write_text(LUA % {"paths": ", ".join(f'"{p}"' for p in paths)})
    out = subprocess.run(
        [WRK, "-t1", "-c8", f"-d{duration}s", "--timeout", "5s", "-s", str(script),
         base + paths[0]],
        capture_output=True, text=True, check=True,
    ).stdout
    match = re.search(r"WRKRESULT (.*)", out)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{out}")
    data = {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return Result(
        name=name, label=label,
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        requests=data["requests"], errors=errors,
    )


def combine(rounds: list[Result]) -> Result:
    """One figure per page from its rounds: total requests over total time; the median of
    the rounds' p50 and the worst round's p99 (wrk gives percentiles, not histograms)."""
    first = rounds[0]
    if len(rounds) == 1:
        return first
    seconds = sum(r.requests / r.rps for r in rounds)
    return Result(
        name=first.name, label=first.label,
        rps=sum(r.requests for r in rounds) / seconds,
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p99_ms=max(r.p99_ms for r in rounds),
        requests=sum(r.requests for r in rounds), errors=sum(r.errors for r in rounds),
    )


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    # Stop cleanly (gunicorn, wrk, the database) on Ctrl-C, `kill` or a closed terminal,
    # even when started in the background, where SIGINT would otherwise be ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=int(os.environ.get("BENCH_PRODUCTS", 1200)))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)),
                        help="seconds measured per page, split over the rounds")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)),
                        help="interleave the pages in this many rounds, so a change in the "
                        "machine's load hits every page alike")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("BENCH_WORKERS", DEFAULT_WORKERS)))
    parser.add_argument("--worker-class", choices=["sync", "gthread"],
                        default=os.environ.get("BENCH_WORKER_CLASS", DEFAULT_WORKER_CLASS))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 4)))
    parser.add_argument("--loader", choices=["auto", "seed_demo", "bulk"], default="auto",
                        help="auto: seed_demo when it takes --products/--no-images, "
                        "else bench/catalog_data.py (bulk)")
    parser.add_argument("--keep-db", action="store_true",
                        help="do not drop the database at the end")
    parser.add_argument("--only", default="", help="comma-separated pages to measure (debugging); "
                        "the floor is always measured and the BENCH line needs all three")
    args = parser.parse_args()

    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    db_name = os.environ.get("BENCH_DB", "hmong_bench")
    workdir = Path(tempfile.mkdtemp(prefix="hmong-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Every secret the production settings demand (settings_production.py).
        "TRACKING_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "SIMULATED_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "BENCH_ENDPOINTS": "true",
        "DATABASE_URL": f"{server.rstrip('/')}/{db_name}",
        "VAR_DIR": str(workdir / "var"),
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("REDIS_URL", None)
    gunicorn = None
    load_before = os.getloadavg()[0]  # before our own setup work adds to it
    try:
        log(f"recreating database {db_name}")
        recreate_database(server, db_name)
        configure_django(env)
        from django.core.management import call_command
        from django.db import connections

        log("migrating and collecting static files")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        log("loading the catalog")
        log(load_data(args.products, args.loader))
        urls = pick_urls()
        if args.only:
            keep = {"floor", *args.only.split(",")}
            urls = {name: value for name, value in urls.items() if name in keep}
        connections.close_all()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log(f"starting gunicorn on {base}: {args.workers} {args.worker_class} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else ""))
        gunicorn = start_gunicorn(env, port, args.workers, args.worker_class, args.threads)
        wait_ready(base, urls["floor"][1][0], gunicorn)
        check_pages(base, urls)

        log(f"warming up ({args.warmup} s per page)")
        for name, (label, paths) in urls.items():
            run_wrk(base, name, label, paths, args.warmup, workdir)
        rounds = max(1, args.rounds)
        log(f"measuring ({args.duration} s per page in {rounds} interleaved rounds, wrk -t1 -c8)")
        per_round = [
            {name: run_wrk(base, name, label, paths, max(1, args.duration // rounds), workdir)
             for name, (label, paths) in urls.items()}
            for _ in range(rounds)
        ]
        results = {name: combine([r[name] for r in per_round]) for name in urls}
        # Each round's ratio compares pages measured seconds apart, under the same load;
        # their median resists a burst of other work on the machine.
        ratios = {name: statistics.median(r[name].rps / r["floor"].rps for r in per_round)
                  for name in urls}
    finally:
        stop(gunicorn)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django never got configured
            pass
        if not args.keep_db:
            try:
                recreate_database(server, db_name, drop_only=True)
            except Exception as exc:  # cleanup must not hide the real error
                log(f"could not drop {db_name}: {exc}")
        shutil.rmtree(workdir, ignore_errors=True)

    cores = os.cpu_count() or 1
    print()
    print(f"machine: {cores} cores; 1-minute load average {load_before:.1f} when the benchmark "
          f"started, {os.getloadavg()[0]:.1f} at the end")
    if load_before > cores / 2:
        print("WARNING: the machine was busy before the benchmark; absolute figures are low "
              "and noisy (the ratios are medians of interleaved rounds)")
    print(f"{'page':<8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'errors':>6}  url")
    for r in results.values():
        print(f"{r.name:<8} {r.rps:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
              f"{ratios[r.name]:>6.2f} {r.errors:>6}  {r.label}")
    if len(per_round) > 1:
        print("per-round ratios: " + "; ".join(
            f"{name} " + " ".join(f"{r[name].rps / r['floor'].rps:.2f}" for r in per_round)
            for name in urls if name != "floor"))
    if not {"product", "search"} <= results.keys():
        return 0
    product, search = results["product"], results["search"]
    product_ratio, search_ratio = ratios["product"], ratios["search"]
    print()
    print(f"product/floor = {product_ratio:.2f} (target >= {TARGETS['product_ratio']}), "
          f"search/floor = {search_ratio:.2f} (target >= {TARGETS['search_ratio']}), "
          f"p99 target < {TARGETS['p99_ms']:.0f} ms")
    failed = [r.name for r in results.values() if r.errors]
    if failed:
        print(f"WARNING: non-2xx or socket errors on: {', '.join(failed)}")
    print(f"BENCH pages product_ratio={product_ratio:.2f} search_ratio={search_ratio:.2f} "
          f"product_p99_ms={product.p99_ms:.1f} search_p99_ms={search.p99_ms:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a page's time goes: cProfile and SQL queries for the benchmark pages.

Run after `bench/pages.py --keep-db` (it reuses that database):
    .venv/bin/python bench/profile_pages.py /p/<slug>/ "/search/?q=…&category=…&free_return=on"
Same production settings as the benchmark; the Django test client (no network).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[str], repeat: int = 200) -> None:
    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings_production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "TRACKING_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "SIMULATED_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
        "BENCH_ENDPOINTS": "true", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"{server.rstrip('/')}/{os.environ.get('BENCH_DB', 'hmong_bench')}",
        "VAR_DIR": tempfile.mkdtemp(prefix="hmong-profile-"),
    })
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        profile(paths, repeat)
    finally:
        shutil.rmtree(os.environ["VAR_DIR"], ignore_errors=True)


def profile(paths: list[str], repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for path in paths:
        assert client.get(path).status_code == 200, path  # warm caches
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        print(f"\n== {path}: {len(queries)} queries on a warm request")
        for q in queries.captured_queries:
            print(f"   {q['time']}s  {q['sql'][:160]}")
        start = time.perf_counter()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            client.get(path)
        profiler.disable()
        per = (time.perf_counter() - start) / repeat * 1000
        print(f"   {per:.2f} ms per request in-process (profiled)")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"(src/|template/(base|loader)|shortcuts|"
                                                    r"counters|csrf|locmem)", 40)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1:] or ["/_bench/floor/1/"])

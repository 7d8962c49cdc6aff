"""Settings: production safety, the SQLite options and DATABASE_URL parsing.

Production settings are checked in subprocesses (they are read once per process).
"""

import json
import os
import runpy
import secrets
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(django_settings.BASE_DIR)
MANAGE = ROOT / "manage.py"
GOOD_KEY = secrets.token_urlsafe(45)[:60]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
                                "SECURE_", "BENCH_", "DEMO_CLOCK", "PYTEST", "REDIS_URL",
                                "TRACKING_WEBHOOK_SECRET", "SIMULATED_WEBHOOK_SECRET",
                                "PAYMENT_PROVIDER", "STRIPE_"))}
    env.update(VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT / "src"))
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="hmong_artisans.settings_production",
        SECRET_KEY=GOOD_KEY,
        # Every other secret settings_production.py demands:
        TRACKING_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        SIMULATED_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **extra,
    )


# --- production ---------------------------------------------------------------------------


def test_check_deploy_reports_no_issues(tmp_path):
    result = run([str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
                 production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def settings_probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = textwrap.dedent("""
        import json, django
        from django.conf import settings
        django.setup()
        print(json.dumps({k: getattr(settings, k) for k in (
            "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS", "ALLOWED_HOSTS", "BENCH_ENDPOINTS")}))
    """)
    return run(["-c", code], env)


def test_production_settings_are_safe_by_default(tmp_path):
    result = settings_probe(production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["ALLOWED_HOSTS"] == ["shop.example.com"]
    assert values["BENCH_ENDPOINTS"] is False


def test_production_refuses_debug_on(tmp_path):
    result = settings_probe(production_env(tmp_path, DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


@pytest.mark.parametrize(
    "key",
    [None, "dev-only-insecure-key-change-me-in-production-0123456789", "short-key-123"],
    ids=["unset-dev-default", "dev-key", "too-short"],
)
def test_production_refuses_the_dev_or_a_short_key(tmp_path, key):
    env = production_env(tmp_path)
    if key is None:
        env.pop("SECRET_KEY")
    else:
        env["SECRET_KEY"] = key
    result = settings_probe(env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("secret", [None, "short-secret"], ids=["unset-dev-default", "too-short"])
def test_production_refuses_the_dev_or_a_short_tracking_webhook_secret(tmp_path, secret):
    """ORD-6: the carrier webhook's HMAC secret must be set for real in production."""
    env = production_env(tmp_path)
    if secret is None:
        env.pop("TRACKING_WEBHOOK_SECRET")
    else:
        env["TRACKING_WEBHOOK_SECRET"] = secret
    result = settings_probe(env)
    assert result.returncode != 0
    assert "TRACKING_WEBHOOK_SECRET" in result.stderr


@pytest.mark.parametrize(
    ("provider", "drop", "named"),
    [
        ("simulated", "SIMULATED_WEBHOOK_SECRET", "SIMULATED_WEBHOOK_SECRET"),
        ("stripe", None, "STRIPE_SECRET_KEY"),
    ],
    ids=["simulated-dev-secret", "stripe-without-keys"],
)
def test_PAY_1_production_refuses_unset_payment_webhook_secrets(tmp_path, provider, drop, named):
    """PAY-1: payment results come by signed webhooks; production needs real signing secrets."""
    env = production_env(tmp_path, PAYMENT_PROVIDER=provider)
    if drop:
        env.pop(drop)
    result = settings_probe(env)
    assert result.returncode != 0
    assert named in result.stderr


def test_bad_boolean_is_refused_with_its_name(tmp_path):
    result = settings_probe(production_env(tmp_path, DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_development_settings_default_to_debug_and_safe_flags(monkeypatch, tmp_path):
    for name in ("DEBUG", "BENCH_ENDPOINTS", "BUSINESS_TIME_ZONE"):
        monkeypatch.delenv(name, raising=False)
    values = load_settings(monkeypatch, tmp_path, None)
    assert values["DEBUG"] is True
    assert values["BENCH_ENDPOINTS"] is False
    assert values["BUSINESS_TIME_ZONE"] == "America/Chicago"
    assert values["HMONG_POLICY"] == {}


# --- SQLite ------------------------------------------------------------------------------------

SQLITE_PROBE = textwrap.dedent("""
    import json, sqlite3, django
    from django.db import connection, transaction
    django.setup()
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
    # IMMEDIATE: entering atomic() takes the write lock at once, so a second
    # writer cannot even begin; with the default DEFERRED mode it could.
    with transaction.atomic():
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other_could_begin = True
            other.rollback()
        except sqlite3.OperationalError as exc:
            other_could_begin = str(exc)
        other.close()
    print(json.dumps({"journal": journal, "busy": busy, "synchronous": synchronous,
                      "other": other_could_begin, "vendor": connection.vendor,
                      "conn_max_age": connection.settings_dict["CONN_MAX_AGE"]}))
""")


def test_sqlite_file_database_runs_in_wal_with_busy_timeout_and_immediate(tmp_path):
    env = clean_env(tmp_path, DJANGO_SETTINGS_MODULE="hmong_artisans.settings",
                    DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    result = run(["-c", SQLITE_PROBE], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["vendor"] == "sqlite"
    assert values["journal"] == "wal"
    assert values["busy"] == 20000  # milliseconds: the "timeout": 20 option
    assert values["synchronous"] == 1  # NORMAL
    assert values["other"] == "database is locked"
    assert values["conn_max_age"] == 0
    # WAL is persistent: the file itself is now in WAL mode for every opener.
    with closing(sqlite3.connect(tmp_path / "wal.sqlite3")) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_database_is_sqlite_under_var_dir(tmp_path):
    env = clean_env(tmp_path, DJANGO_SETTINGS_MODULE="hmong_artisans.settings")
    code = ("import json; from hmong_artisans import settings as s; "
            "print(json.dumps({'name': str(s.DATABASES['default']['NAME']), "
            "'engine': s.DATABASES['default']['ENGINE']}))")
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "var" / "db.sqlite3")


# --- DATABASE_URL ---------------------------------------------------------------------------


def load_settings(monkeypatch, tmp_path, url: str | None) -> dict:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)
    return runpy.run_path(str(ROOT / "src" / "hmong_artisans" / "settings.py"), run_name="probe")


def test_database_url_postgres(monkeypatch, tmp_path):
    values = load_settings(monkeypatch, tmp_path,
                           "postgres://shop:s%40cret@db.internal:6543/hmong?sslmode=require")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("hmong", "shop", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.internal", 6543)
    assert db["OPTIONS"] == {
        "sslmode": "require", "server_side_binding": True, "prepare_threshold": 5
    }
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert values["IS_POSTGRES"] is True


def test_server_side_binding_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DB_SERVER_SIDE_BINDING", "false")
    values = load_settings(monkeypatch, tmp_path, "postgres://shop@db.internal/hmong")
    assert values["DATABASES"]["default"]["OPTIONS"] == {"server_side_binding": False}


def test_database_url_sqlite(monkeypatch, tmp_path):
    values = load_settings(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    db = values["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "x.db")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] == 20
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert values["IS_POSTGRES"] is False


def test_empty_database_url_means_the_default(monkeypatch, tmp_path):
    values = load_settings(monkeypatch, tmp_path, "")
    assert values["DATABASES"]["default"]["NAME"] == str(tmp_path / "var" / "db.sqlite3")


def test_bench_endpoints_flag(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCH_ENDPOINTS", "true")
    assert load_settings(monkeypatch, tmp_path, "")["BENCH_ENDPOINTS"] is True
    monkeypatch.setenv("BENCH_ENDPOINTS", "")
    assert load_settings(monkeypatch, tmp_path, "")["BENCH_ENDPOINTS"] is False

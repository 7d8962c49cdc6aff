"""`manage.py serve`: the web server and the worker start together and stop together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def test_rejects_bad_port_and_worker_count():
    with pytest.raises(CommandError, match="--port"):
        call_command("serve", "--port", "0")
    with pytest.raises(CommandError, match="--workers"):
        call_command("serve", "--workers", "0")
    with pytest.raises(CommandError, match="invalid int value"):
        call_command("serve", "--port", "eighty")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(line) for line in out.stdout.split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_serves_pages_runs_the_workers_and_stops_them_all_on_sigterm(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hmong_artisans.settings",
        "DEBUG": "true",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    port = _free_port()
    serve = subprocess.Popen(
        [*manage, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, deadline = None, time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        children = _children(serve.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in children}
        children |= {grandchild for pid in children for grandchild in _children(pid)}
        assert any("db_worker --interval 1" in c for c in commands), commands
        assert any("run_worker --interval 1" in c for c in commands), commands
        assert any("runserver" in c for c in commands), commands
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    assert serve.returncode == 0
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopping" in output
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]

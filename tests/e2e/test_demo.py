"""`make demo` works from this checkout and shows what it promises."""

import subprocess
import sys

import pytest

from sandbox.harness import REPO

pytestmark = pytest.mark.e2e


def test_demo_runs_and_stops_cleanly():
    run = subprocess.run(
        [sys.executable, "-m", "scripts.demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    assert "🕐 BOT CONTAINER STARTED IN WAITING MODE" in out
    assert "RUNNING" in out  # supervisorctl status
    assert "🏊 СТАТУС ПУЛА БОТОВ" in out and "⚪ Свободно: 2/3" in out and "🟢 Занято: 1/3" in out
    assert "Добро пожаловать в «Салон Анны»" in out
    assert "BOT ACTIVATED" in out and "first /start reply" in out
    assert out.rstrip().endswith("stopped.")
    assert "AAdemoSalonAnnaToken" not in out + run.stderr


def test_demo_keep_stopped_with_sigterm_cleans_up_and_removes_its_secrets():
    import re
    import signal
    import socket
    import threading
    from pathlib import Path

    demo = subprocess.Popen(
        [sys.executable, "-m", "scripts.demo", "--keep"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in demo.stdout:
            lines.append(line)
            if "Press Ctrl-C here to stop it all." in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(300), "".join(lines)[-3000:]
        out = "".join(lines)
        env_file = Path(re.search(r"source (\S+demo\.env)", out).group(1))
        ports = [
            int(p)
            for p in re.search(r"PostgreSQL on port (\d+), Redis on port (\d+)", out).groups()
        ]
        assert env_file.exists()
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=120) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    reader.join(10)
    demo.stdout.close()
    out = "".join(lines)
    assert out.rstrip().endswith("stopped."), out[-2000:]
    assert not env_file.exists() and not env_file.parent.exists()
    for port in ports:  # PostgreSQL and Redis are gone
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0

"""`make demo` works from this checkout and shows what it promises."""

import subprocess
import sys

import pytest

from bots import texts
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
    import shlex
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
        assert "botpool_master_bot answers the operator (424242)" in out
        assert "424242  the operator" in out and "987654321  owner of @anna_salon_bot" in out

        def play(*args: str) -> subprocess.CompletedProcess:
            """What the help says: `source demo.env`, then `play ...` in any directory."""
            return subprocess.run(
                ["bash", "-c", f'source {shlex.quote(str(env_file))} && play "$@"', "play", *args],
                cwd="/",
                capture_output=True,
                text=True,
                timeout=60,
            )

        said = play("say", "anna_salon_bot", "555000111", "/start")
        assert said.returncode == 0 and "Добро пожаловать в «Салон Анны»" in said.stdout
        assert "[📅 Записаться]" in said.stdout  # its buttons are shown too
        pressed = play("press", "anna_salon_bot", "555000111", "Записаться")
        assert (
            pressed.returncode == 0 and texts.SOON.splitlines()[0] in pressed.stdout
        )  # no services
        missing = play("press", "anna_salon_bot", "555000111", "Нет такой кнопки")
        assert missing.returncode == 1 and "no inline button" in missing.stderr
        clock_file = env_file.parent / "clock"
        moved = play("clock", "+1d")
        assert moved.returncode == 0 and clock_file.exists(), moved.stdout + moved.stderr
        assert play("clock", "now").returncode == 0 and not clock_file.exists()
        paid = play("pay")  # the demo's purchase is paid already: nothing pending
        assert paid.returncode == 1 and "no pending payment" in paid.stdout
        operator = play("say", "botpool_master_bot", "424242", "/pool")
        assert operator.returncode == 0 and "СТАТУС ПУЛА" in operator.stdout
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

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

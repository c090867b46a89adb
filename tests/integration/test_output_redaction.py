"""A service process (`setup_logging()`) redacts tokens from whatever reaches its stdout and
stderr, uncaught tracebacks included: proven on a real child process."""

from __future__ import annotations

import subprocess
import sys


def test_uncaught_tracebacks_and_stray_output_are_redacted():
    secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
    code = (
        "import sys; from core.logs import setup_logging; setup_logging();"
        f"print('stdout https://api.telegram.org/bot7012345678:{secret}/getMe');"
        f"print('stderr 7012345678%3A{secret}', file=sys.stderr);"
        f"raise RuntimeError('token 7012345678:{secret} in a traceback')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "RuntimeError" in done.stderr and "uncaught exception" in done.stderr
    assert "stdout https://api.telegram.org/bot7012345678:***/getMe" in done.stdout
    assert "stderr 7012345678:***" in done.stderr
    assert secret not in done.stdout + done.stderr

"""The launcher ↔ spawner protocol pieces that need no process or socket: the spawner's
refusals of malformed requests and of a shared directory (the rest:
tests/integration/test_launcher_processes.py)."""

from __future__ import annotations

import json

import pytest

from core.settings import SLOT_PREFIX
from pool import launcher
from pool.spawner import Spawner, SpawnerError


@pytest.mark.parametrize(
    ("request_", "fds", "reason"),
    [
        (b"{not json", 3, "unreadable"),
        (json.dumps({"v": 99, "env": {"BOT_POOL_ID": "1"}}).encode(), 3, "protocol"),
        (json.dumps({"v": 1, "env": {"BOT_POOL_ID": "x"}}).encode(), 3, "BOT_POOL_ID"),
        (json.dumps({"v": 1, "env": {"BOT_POOL_ID": "1", "A": 1}}).encode(), 3, "environment"),
        (json.dumps({"v": 1, "env": {"BOT_POOL_ID": "1"}}).encode(), 2, "stdin, stdout"),
    ],
)
def test_the_spawner_refuses_malformed_requests(request_, fds, reason):
    with pytest.raises(SpawnerError, match=reason):
        Spawner._parse(request_, list(range(fds)))


def test_the_spawner_accepts_a_request_with_an_environment_and_three_streams():
    env, cwd = Spawner._parse(
        json.dumps({"v": 1, "env": {"BOT_POOL_ID": "4", "X": "y"}, "cwd": "/srv"}).encode(),
        [7, 8, 9],
    )
    assert env == {"BOT_POOL_ID": "4", "X": "y"} and cwd == "/srv"


def test_the_spawner_refuses_a_directory_others_may_write(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(SpawnerError, match="writable by nobody else"):
        Spawner(shared / "spawner.sock").open()
    assert not (shared / "spawner.sock").exists()


def test_the_launcher_names_slots_as_the_settings_do():
    # the launcher may not import core.settings (pydantic): its copy must agree
    assert launcher.SLOT_PREFIX == SLOT_PREFIX

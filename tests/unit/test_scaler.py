"""Slots the Master adds run from the deployment's stable path, not the release the Master's code
happens to be loaded from (an upgrade deletes old releases)."""

from __future__ import annotations

from core.settings import Settings
from pool import scaler


class FakeSupervisor:
    def __init__(self) -> None:
        self.supervisor = self
        self.added: list[str] = []

    def reloadConfig(self):
        return [[["bot-pool-3"], [], []]]

    def addProcessGroup(self, name: str) -> None:
        self.added.append(name)


def _grow_one(pool: scaler.SupervisorPool, monkeypatch) -> str:
    fake = FakeSupervisor()
    monkeypatch.setattr(pool, "_slot_numbers", lambda: [1, 2])
    monkeypatch.setattr(pool, "_proxy", lambda: fake)
    assert pool._grow(1).added == [3] and fake.added == ["bot-pool-3"]
    return (pool.programs_dir / "bot-pool-3.conf").read_text(encoding="utf-8")


def test_grown_slots_run_from_the_configured_program_dir(tmp_path, monkeypatch):
    settings = Settings(
        supervisor_url="unix:///nowhere.sock",
        supervisor_programs_dir=str(tmp_path),
        supervisor_program_dir="/opt/booking/app",
    )
    program = _grow_one(scaler.scaler_from_settings(settings), monkeypatch)
    assert "directory=/opt/booking/app\n" in program
    assert "command=" in program and "-m pool.launcher" in program


def test_without_it_they_run_from_this_code(tmp_path, monkeypatch):
    pool = scaler.SupervisorPool("unix:///nowhere.sock", tmp_path, tmp_path, 10)
    assert f"directory={scaler.REPO}\n" in _grow_one(pool, monkeypatch)

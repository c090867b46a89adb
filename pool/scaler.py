"""Growing the pool through supervisor's XML-RPC interface.

One program file per slot (`bot-pool-N.conf`, rendered from `deploy/supervisor/bot-pool.conf.tmpl`)
in supervisor's include directory; `reloadConfig` + `addProcessGroup` start the new slots and leave
every running slot alone (changing `numprocs` would restart them all).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import sys
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "deploy" / "supervisor" / "bot-pool.conf.tmpl"
SPAWNER_TEMPLATE = REPO / "deploy" / "supervisor" / "spawner.conf.tmpl"
_PROGRAM_RE = re.compile(r"^bot-pool-(\d+)$")


class ScalerError(Exception):
    pass


def render_program(
    pool_id: int, *, python: str, app_dir: Path, log_dir: Path, user: str = ""
) -> str:
    """The deployment's program definition for one slot (the template is Jinja2-compatible).

    `user` is the account the slot runs as (supervisord as root drops to it); by default this
    process's own user, which supervisord running as that same user accepts as a no-op."""
    return _render(TEMPLATE, python, app_dir, log_dir, user, pool_id=str(pool_id))


def render_spawner(*, python: str, app_dir: Path, log_dir: Path, user: str = "") -> str:
    """The deployment's program definition of the spawner (see `pool.spawner`)."""
    return _render(SPAWNER_TEMPLATE, python, app_dir, log_dir, user)


def _render(template: Path, python: str, app_dir: Path, log_dir: Path, user: str, **more) -> str:
    values = {
        "python": python,
        "app_dir": str(app_dir),
        "log_dir": str(log_dir),
        "user": user or pwd.getpwuid(os.geteuid()).pw_name,
        **more,
    }
    text = template.read_text(encoding="utf-8")
    return re.sub(r"{{\s*(\w+)\s*}}", lambda m: values[m.group(1)], text)


@dataclass(frozen=True)
class GrowResult:
    added: list[int]
    size_before: int
    size_after: int


class SupervisorPool:
    def __init__(
        self,
        url: str,
        programs_dir: Path,
        log_dir: Path,
        max_size: int,
        program_user: str = "",
        app_dir: Path | None = None,
    ) -> None:
        if not url:
            raise ScalerError("SUPERVISOR_URL is not set: growing the pool is off")
        self.url = url
        self.programs_dir = Path(programs_dir)
        self.log_dir = Path(log_dir)
        self.max_size = max_size
        self.program_user = program_user
        # The slots' working directory: a deployment's stable path (a symlink to the current
        # release), not this code's resolved folder, which an upgrade later deletes.
        self.app_dir = app_dir or REPO

    def _proxy(self):
        transport = SupervisorTransport(None, None, serverurl=self.url)
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def _slot_numbers(self) -> list[int]:
        try:
            infos = self._proxy().supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Error) as exc:
            raise ScalerError(f"cannot reach supervisord: {type(exc).__name__}: {exc}") from None
        found = {int(m.group(1)) for i in infos if (m := _PROGRAM_RE.fullmatch(i["group"]))}
        return sorted(found)

    def _grow(self, count: int) -> GrowResult:
        existing = self._slot_numbers()
        room = self.max_size - len(existing)
        if room <= 0:
            raise ScalerError(f"the pool is at its maximum of {self.max_size} slots")
        start = max(existing, default=0) + 1
        new = list(range(start, start + min(count, room)))
        self.programs_dir.mkdir(parents=True, exist_ok=True)
        for n in new:
            path = self.programs_dir / f"bot-pool-{n}.conf"
            path.write_text(
                render_program(
                    n,
                    python=sys.executable,
                    app_dir=self.app_dir,
                    log_dir=self.log_dir,
                    user=self.program_user,
                ),
                encoding="utf-8",
            )
        proxy = self._proxy()
        try:
            added, _changed, _removed = proxy.supervisor.reloadConfig()[0]
            for name in sorted(set(added) & {f"bot-pool-{n}" for n in new}):
                proxy.supervisor.addProcessGroup(name)  # autostart=true starts it
        except (OSError, xmlrpc.client.Error) as exc:
            raise ScalerError(f"supervisord refused the new slots: {exc}") from None
        return GrowResult(new, len(existing), len(existing) + len(new))

    async def size(self) -> int:
        return len(await asyncio.to_thread(self._slot_numbers))

    async def grow(self, count: int) -> GrowResult:
        """Add up to `count` slots (bounded by the maximum); running slots are not touched."""
        if count < 1:
            raise ScalerError("the number of slots to add must be at least 1")
        return await asyncio.to_thread(self._grow, count)


def scaler_from_settings(settings) -> SupervisorPool | None:
    if not settings.supervisor_url:
        return None
    return SupervisorPool(
        settings.supervisor_url,
        Path(settings.supervisor_programs_dir or "/etc/supervisor/conf.d"),
        Path(settings.supervisor_log_dir),
        settings.pool_max_size,
        settings.supervisor_program_user,
        Path(settings.supervisor_program_dir) if settings.supervisor_program_dir else None,
    )

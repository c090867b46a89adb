"""deploy-test's view of the pool's processes, run inside the container as root by the system
python3 (standard library only): `python3 - < slot_procs.py`.

For the spawner and every slot program supervisor reports RUNNING, one line (fields by spaces):

    spawner PID PSS_KB
    slot N LAUNCHER_PID LAUNCHER_PSS_KB CHILDREN

where CHILDREN lists the other processes named `bot-pool-N` (/proc/PID/comm, the name a slot
forked by the spawner gives itself) as PID:PPID:USER:PSS_KB separated by commas, or `-` if there
is none (e.g. a launcher that runs its slot itself). PSS comes from /proc/PID/smaps_rollup: each
process's share of the memory it shares with others (the spawner's preloaded pages) plus its own.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess

SUPERVISORCTL = "/usr/local/bin/supervisorctl"
RUNNING = re.compile(r"^(\S+)\s+RUNNING\s+pid (\d+),")


def pss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def status_field(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key == name:
                return value.split()[0]
    raise RuntimeError(f"no {name} in /proc/{pid}/status")


def by_name() -> dict[str, list[int]]:
    names: dict[str, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="utf-8") as comm:
                    names.setdefault(comm.read().strip(), []).append(int(entry))
            except OSError:  # ended meanwhile
                continue
    return names


def main() -> None:
    out = subprocess.run(
        [SUPERVISORCTL, "status"], capture_output=True, text=True, check=False
    ).stdout
    programs = {m.group(1): int(m.group(2)) for m in map(RUNNING.match, out.splitlines()) if m}
    names = by_name()
    if "booking-pool-spawner" in programs:
        pid = programs["booking-pool-spawner"]
        print("spawner", pid, pss_kb(pid))
    slots = sorted(
        (int(name.rsplit("-", 1)[1]), pid)
        for name, pid in programs.items()
        if re.fullmatch(r"bot-pool-\d+", name)
    )
    for number, launcher in slots:
        children = []
        for pid in sorted(names.get(f"bot-pool-{number}", [])):
            if pid == launcher:
                continue
            try:
                user = pwd.getpwuid(int(status_field(pid, "Uid"))).pw_name
                children.append(f"{pid}:{status_field(pid, 'PPid')}:{user}:{pss_kb(pid)}")
            except OSError:  # ended meanwhile
                continue
        print("slot", number, launcher, pss_kb(launcher), ",".join(children) or "-")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# make deploy-test: provision a booted Debian 12 container with ansible/deploy.yml and check it
# from outside. No Docker: debootstrap (cached) + systemd-nspawn --boot, Ansible over nsenter.
#
#   1. base root file system: built once by debootstrap, cached in $BOT_POOL_CACHE
#   2. a throw-away copy of it is booted (systemd as PID 1), sharing the host's network
#   3. the playbook runs against it (pool_size 3); the Telegram sandbox runs on the host
#   4. checks: supervisorctl RUNNING x3, KEYS bot_status:* = 3, activation -> active,
#      journalctl has BOT ACTIVATED, second run changed=0, a --check run succeeds, pool_size 5
#      adds slots while the active slot keeps its PID, shrinking removes only free slots, an
#      upgrade restarts the slots one by one and the tenant comes back, the backup runs,
#      systemd-analyze verify of the installed units, no secret in any Ansible output
#   5. cleanup, also on failure or interruption (the playbook logs of a failed run are kept in
#      $BOT_POOL_CACHE/last-failure/)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${BOT_POOL_CACHE:-/var/cache/bot-pool}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
INCLUDE=systemd,systemd-sysv,dbus,python3,sudo,ca-certificates
BASE="$CACHE/rootfs-$SUITE-$(echo "$INCLUDE" | md5sum | cut -c1-8)"
ANSIBLE_BIN="${ANSIBLE_BIN:-$REPO/.venv-ansible/bin}"
APP_PY="$REPO/.venv/bin/python"
PLAY_TIMEOUT="${PLAY_TIMEOUT:-1200}"
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
START=$SECONDS

say() { printf '[deploy-test %4ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, systemd-nspawn, nsenter)"
for tool in debootstrap systemd-nspawn nsenter; do
    command -v "$tool" >/dev/null || fail "$tool missing (apt-get install debootstrap systemd-container)"
done
[ -x "$ANSIBLE_BIN/ansible-playbook" ] || fail "no ansible in $ANSIBLE_BIN (make ansible-tools)"
[ -x "$APP_PY" ] || fail "no app virtualenv (make install)"

mkdir -p "$CACHE" "$CACHE/apt-archives/partial" "$CACHE/pip"
exec 9>"$CACHE/deploy-test.lock"
flock -w 1800 9 || fail "another deploy-test holds $CACHE/deploy-test.lock"

RUN="$(mktemp -d /var/tmp/bot-pool-deploy-test.XXXXXX)"
ROOT="$RUN/rootfs"
NSPAWN_PID=""
SANDBOX_PID=""
PLAY_PID=""
PID=""

inside() {  # run a command inside the container, with a clean environment
    nsenter -t "$PID" -m -u -i -n -p -- env -i PATH="$CLEAN_PATH" LANG=C.UTF-8 "$@"
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ "$rc" != 0 ] && [ -n "$PID" ] && [ -d "/proc/$PID" ]; then
        say "diagnostics (rc=$rc):"
        inside /usr/local/bin/supervisorctl status 2>&1 | sed 's/^/    /'
        inside systemctl --failed --no-pager 2>&1 | sed 's/^/    /'
        inside journalctl -n 300 --no-pager 2>&1 | grep -v -e 'sudo\[' -e 'ansible-' | tail -40 | sed 's/^/    /'
    fi
    if [ -n "$PLAY_PID" ]; then  # interrupted during a playbook run: stop it (timeout forwards)
        kill -TERM "$PLAY_PID" 2>/dev/null
        wait "$PLAY_PID" 2>/dev/null
    fi
    if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null; fi
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        [ -n "$PID" ] && inside systemctl poweroff --no-block >/dev/null 2>&1
        for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            say "container did not power off in 30 s: killing it"
            kill -KILL "$NSPAWN_PID" 2>/dev/null
            [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
        fi
        wait "$NSPAWN_PID" 2>/dev/null
    fi
    if [ "$rc" != 0 ]; then
        rm -rf "$CACHE/last-failure" && mkdir -p "$CACHE/last-failure"
        cp "$RUN"/*.log "$CACHE/last-failure/" 2>/dev/null && say "logs kept in $CACHE/last-failure/"
    fi
    rm -rf --one-file-system "$RUN"
    say "cleaned up; total $((SECONDS - START)) s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. the base root file system (cached) --------------------------------------------------------
if [ ! -f "$BASE/.complete" ]; then
    say "building the base root file system with debootstrap (once; cached in $BASE)"
    rm -rf "$BASE.tmp"
    timeout 900 debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$BASE.tmp" "$MIRROR" \
        >"$RUN/debootstrap.log" 2>&1 || { tail -20 "$RUN/debootstrap.log"; fail "debootstrap"; }
    rm -rf "$BASE.tmp/var/cache/apt/archives/"*.deb
    touch "$BASE.tmp/.complete"
    rm -rf "$BASE" && mv "$BASE.tmp" "$BASE"
else
    say "base root file system cached: $BASE"
fi

say "copying it for this run"
cp -a "$BASE" "$ROOT"
echo "botpool-test" >"$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 botpool-test\n' >"$ROOT/etc/hosts"
# This network's HTTPS goes through a proxy with its own CA: trust what the host trusts.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 || fail "update-ca-certificates"
fi
# No sshd, no getty noise on the console.
chroot "$ROOT" systemctl mask console-getty.service >/dev/null 2>&1 || true

# 2. boot ----------------------------------------------------------------------------------------
for port in 5432 6379; do
    if ss -Hltn "sport = :$port" | grep -q .; then
        fail "port $port is taken on this host; the container shares the host's network"
    fi
done
say "booting the container (systemd-nspawn --boot)"
systemd-nspawn -D "$ROOT" --machine="botpool-test-$$" --register=no --keep-unit --boot \
    --bind="$CACHE/apt-archives:/var/cache/apt/archives" \
    --bind="$CACHE/pip:/var/cache/bot-pool-pip" \
    >"$RUN/console.log" 2>&1 </dev/null &
NSPAWN_PID=$!
for _ in $(seq 1 120); do
    for child in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do
        if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ]; then PID=$child; fi
    done
    [ -n "$PID" ] && break
    kill -0 "$NSPAWN_PID" 2>/dev/null || { tail -20 "$RUN/console.log"; fail "systemd-nspawn exited"; }
    sleep 0.5
done
[ -n "$PID" ] || fail "the container's systemd did not appear"
state="$(inside timeout 120 systemctl is-system-running --wait 2>/dev/null || true)"
case "$state" in running | degraded) ;; *) fail "container did not boot (state '$state')" ;; esac
say "container up: systemd PID $PID on the host, state $state"

# 3. the Telegram sandbox on the host, and this run's secrets -------------------------------------
TOKEN="7000000001:AAdeploytest$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$APP_PY" -m sandbox.telegram --port 0 --bot "$TOKEN=deploytest_salon_bot" \
    >"$RUN/sandbox.out" 2>"$RUN/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 1 100); do
    API="$(grep -o 'http://[0-9.:]*' "$RUN/sandbox.out" 2>/dev/null | head -1 || true)"
    [ -n "$API" ] && break
    sleep 0.2
done
[ -n "$API" ] || { cat "$RUN/sandbox.err"; fail "the Telegram sandbox did not start"; }
say "Telegram sandbox at $API"

secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 28; }
DB_PW="$(secret)"
REDIS_PW="$(secret)"
FERNET_KEY="$("$APP_PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
umask 077
printf '%s\n' "$DB_PW" "$REDIS_PW" "$FERNET_KEY" >"$RUN/secrets.txt"
cat >"$RUN/vars.yml" <<VARS
ansible_nsenter_pid: $PID
booking_db_password: "$DB_PW"
booking_redis_password: "$REDIS_PW"
booking_token_encryption_key: "$FERNET_KEY"
booking_telegram_api_base: "$API"
booking_app_pip_env:
  PIP_CACHE_DIR: /var/cache/bot-pool-pip
  PIP_CERT: /etc/ssl/certs/ca-certificates.crt
  PIP_DISABLE_PIP_VERSION_CHECK: "1"
VARS
umask 022

play() {  # play NAME [extra ansible-playbook args]: run the playbook, log to $RUN/NAME.log
    local name="$1"
    shift
    local t0=$SECONDS
    # in the background + wait, so that an interruption is handled at once (see cleanup)
    (cd "$REPO/ansible" && exec env -i PATH="$ANSIBLE_BIN:$CLEAN_PATH" HOME="$HOME" LANG=C.UTF-8 \
        TMPDIR="$RUN" ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 \
        timeout "$PLAY_TIMEOUT" ansible-playbook -i inventory/deploy-test.yml -e "@$RUN/vars.yml" \
        "$@" deploy.yml >"$RUN/$name.log" 2>&1) &
    PLAY_PID=$!
    local rc=0
    wait "$PLAY_PID" || rc=$?
    PLAY_PID=""
    if [ "$rc" != 0 ]; then
        tail -60 "$RUN/$name.log"
        fail "playbook run '$name' failed (or timed out after $PLAY_TIMEOUT s)"
    fi
    RECAP="$(grep -A3 '^PLAY RECAP' "$RUN/$name.log" | grep 'botpool-test' || true)"
    if grep -q -F -f "$RUN/secrets.txt" "$RUN/$name.log"; then
        fail "a secret appeared in the output of playbook run '$name'"
    fi
    say "playbook '$name' done in $((SECONDS - t0)) s: ${RECAP#botpool-test}"
}

running_slots() { inside /usr/local/bin/supervisorctl status 2>/dev/null | awk '$2 == "RUNNING" {print $1}' | sort -V | xargs; }
status_keys() { inside env REDISCLI_AUTH="$REDIS_PW" redis-cli --raw KEYS 'bot_status:*' 2>/dev/null | grep -c . || true; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
    local limit="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after $limit s waiting for $what"
        sleep 1
    done
}
activated_in_journal() { inside journalctl -t booking-bot-pool-2 --no-pager | grep -q 'BOT ACTIVATED'; }
slot_is_active() { [ "$(slot_status "booking-bot-pool-$1")" = active ]; }
keys_are() { [ "$(status_keys)" = "$1" ]; }
slots_are() { [ "$(running_slots)" = "$1" ]; }
slot_status() {
    inside /usr/local/bin/booking-pool status --json \
        | "$APP_PY" -c 'import json,sys; d=json.load(sys.stdin); print({s["container_id"]: s["status"] for s in d["slots"]}.get(sys.argv[1], "absent"))' "$1"
}

# 4. deploy and check ---------------------------------------------------------------------------
say "first playbook run (pool_size 3)"
play first
say "check: supervisorctl status lists bot-pool-1..3 RUNNING"
wait_for 90 "3 RUNNING programs" slots_are "bot-pool-1 bot-pool-2 bot-pool-3"
inside /usr/local/bin/supervisorctl status | sed 's/^/    /'
say "check: KEYS bot_status:* returns 3"
wait_for 90 "3 bot_status keys" keys_are 3

say "check: activation through booking-pool activate against the sandbox"
echo "$TOKEN" | inside /usr/local/bin/booking-pool activate --slot 2 --token - --admin 987654321 \
    --client client_001 --company "Deploy Test" --timeout 60 | sed 's/^/    /'
[ "$(slot_status booking-bot-pool-2)" = active ] || fail "slot 2 is not active after activation"
say "check: journalctl shows BOT ACTIVATED (identifier booking-bot-pool-2)"
wait_for 20 "BOT ACTIVATED in the journal" activated_in_journal
inside journalctl --no-pager | grep 'BOT ACTIVATED' | sed 's/^/    /'
ACTIVE_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"

say "second playbook run: nothing may change"
play second
echo "$RECAP" | grep -q 'changed=0 ' || {
    grep -B2 -A8 '^changed:' "$RUN/second.log" | head -60
    fail "second run changed something: $RECAP"
}

say "dry run (--check) succeeds"
# (pip's check mode always reports a requirements file as a change, so only success is asserted)
play check --check

say "growing the pool: pool_size 5"
play grow -e booking_pool_size=5
wait_for 90 "5 RUNNING programs" slots_are "bot-pool-1 bot-pool-2 bot-pool-3 bot-pool-4 bot-pool-5"
wait_for 90 "5 bot_status keys" keys_are 5
[ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" = "$ACTIVE_PID" ] \
    || fail "the active slot was restarted while the pool grew"
[ "$(slot_status booking-bot-pool-2)" = active ] || fail "slot 2 lost its tenant while the pool grew"
say "  slot 2 kept PID $ACTIVE_PID and its tenant"

say "shrinking the pool: pool_size 1 (slot 2 is active and must stay)"
play shrink -e booking_pool_size=1
wait_for 60 "slots 1 and 2 only" slots_are "bot-pool-1 bot-pool-2"
wait_for 60 "2 bot_status keys" keys_are 2
[ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" = "$ACTIVE_PID" ] \
    || fail "the active slot was restarted while the pool shrank"

say "upgrading: new code, slots restarted one by one, the tenant comes back"
mkdir -p "$RUN/src"
cp -a "$REPO"/{pyproject.toml,core,pool,bots,sales,master,sql,deploy} "$RUN/src/"
echo "# deploy-test upgrade marker" >>"$RUN/src/pool/__init__.py"
OLD_RELEASE="$(inside readlink /opt/booking/app)"
play upgrade -e booking_pool_size=1 -e booking_source_dir="$RUN/src"
[ "$(inside readlink /opt/booking/app)" != "$OLD_RELEASE" ] || fail "the release was not switched"
inside grep -q "upgrade marker" /opt/booking/app/pool/__init__.py || fail "the new code is not deployed"
NEW_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"
[ "$NEW_PID" != "$ACTIVE_PID" ] || fail "slot 2 was not restarted onto the new code"
wait_for 60 "slot 2 active again after the upgrade" slot_is_active 2
inside journalctl -t booking-bot-pool-2 --no-pager | grep 'resumed after restart' | tail -1 | sed 's/^/    /'
say "  slot 2: PID $ACTIVE_PID -> $NEW_PID, still client_001"

say "check: the backup service writes a dump"
inside systemctl start booking-backup.service
inside sh -c 'ls /var/backups/booking/booking_saas-*.dump' | sed 's/^/    /'
say "check: the timer is active, the Sales and Master units are installed but disabled"
[ "$(inside systemctl is-active booking-backup.timer)" = active ] || fail "booking-backup.timer"
for unit in booking-sales.service booking-master.service; do
    [ "$(inside systemctl is-enabled "$unit" || true)" = disabled ] || fail "$unit should be disabled"
done
say "check: systemd-analyze verify of the installed units"
inside systemd-analyze verify --recursive-errors=no \
    /etc/systemd/system/booking-supervisord.service /etc/systemd/system/booking-sales.service \
    /etc/systemd/system/booking-master.service /etc/systemd/system/booking-backup.service \
    /etc/systemd/system/booking-backup.timer || fail "systemd-analyze verify"
say "check: env file mode 0600, owned by booking"
[ "$(inside stat -c '%a %U' /etc/booking/booking.env)" = "600 booking" ] || fail "booking.env mode/owner"

say "PASSED in $((SECONDS - START)) s"

#!/usr/bin/env bash
# make deploy-test: provision a booted Debian 12 container with ansible/deploy.yml and check it
# from outside. No Docker: debootstrap (cached) + systemd-nspawn --boot, Ansible over nsenter.
#
#   1. base root file system: built once by debootstrap, cached in $BOT_POOL_CACHE
#   2. a throw-away copy of it is booted (systemd as PID 1), sharing the host's network
#   3. the Telegram and YooKassa sandboxes run on the host
#   4. the previous layout first ($BOT_POOL_UPGRADE_FROM, default d12846e: its own playbook and
#      code, one settings file, one account): 3 slots RUNNING, KEYS bot_status:* = 3, client_001
#      activated on slot 2 through booking-pool activate (BOT ACTIVATED in its journal), a booking
#      of a customer in client_001's schema that the customer sees in «Мои записи»
#   5. this checkout's playbook upgrades it in one run to 10 slots (booking_pool_size of
#      inventory/deploy-test.yml) forked by booking-pool-spawner: the tenant is active again with
#      its booking; then: per-service accounts and settings files (modes, nobody can write them,
#      no service can read another's), each process's environment holds only its own secrets
#      (launchers, forked slots and the spawner included), the pool cannot use supervisord's
#      socket, the tenant bot's connections run as its own roles (with the isolation runtime),
#      Sales and Master run and a purchase goes through (YooKassa stand-in); the forked slots:
#      `supervisorctl status` lists every slot RUNNING, each slot's process is named bot-pool-N
#      and is a child of the spawner, PSS (smaps_rollup) of launcher + slot <= 40 MB waiting and
#      <= 50 MB active (the figures are printed), a forked slot's lines reach `journalctl -t
#      booking-bot-pool-N` and its supervisor log, kill -9 of the active slot's launcher ends its
#      slot within seconds and supervisor brings the slot back as the same tenant, restarting the
#      spawner alone restarts no slot; a second run changes nothing, a --check run succeeds,
#      growing by 2 slots keeps the active slots' PIDs (new slots forked), shrinking removes only
#      free slots, a code upgrade restarts the spawner first (its working directory is the new
#      release) and then the slots one by one, all forked by the new spawner, and the tenants come
#      back; booking_pool_spawner=false removes the spawner (program, folder, setting) and every
#      slot runs pool.worker itself, true brings it back, the tenants resume each time; the backup
#      runs, the tenant's Redis user survives a Redis restart, systemd-analyze verify of the
#      installed units, no secret in any Ansible output
#   6. cleanup, also on failure or interruption (the playbook logs of a failed run are kept in
#      $BOT_POOL_CACHE/last-failure/)
# BOT_POOL_UPGRADE_FROM= (empty) deploys this checkout on a fresh host instead of upgrading.
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
UPGRADE_FROM="${BOT_POOL_UPGRADE_FROM-d12846e}"
PREVIOUS_SLOTS=3  # booking_pool_size of the previous layout's own inventory
# this checkout's pool size on the test host (one place: the inventory)
SLOTS="$(sed -n 's/^ *booking_pool_size: *\([0-9][0-9]*\) *$/\1/p' "$REPO/ansible/inventory/deploy-test.yml")"
SPAWNER_SOCKET=/run/booking-pool/spawner.sock  # booking_pool_spawner_socket (default)
MIB_WAITING=40  # PSS limits per slot (launcher + forked slot), MiB
MIB_ACTIVE=50
START=$SECONDS

say() { printf '[deploy-test %4ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, systemd-nspawn, nsenter)"
for tool in debootstrap systemd-nspawn nsenter; do
    command -v "$tool" >/dev/null || fail "$tool missing (apt-get install debootstrap systemd-container)"
done
[ -x "$ANSIBLE_BIN/ansible-playbook" ] || fail "no ansible in $ANSIBLE_BIN (make ansible-tools)"
[ -x "$APP_PY" ] || fail "no app virtualenv (make install)"
[ -n "$SLOTS" ] || fail "no booking_pool_size in ansible/inventory/deploy-test.yml"

mkdir -p "$CACHE" "$CACHE/apt-archives/partial" "$CACHE/pip"
exec 9>"$CACHE/deploy-test.lock"
flock -w 1800 9 || fail "another deploy-test holds $CACHE/deploy-test.lock"

RUN="$(mktemp -d /var/tmp/bot-pool-deploy-test.XXXXXX)"
ROOT="$RUN/rootfs"
NSPAWN_PID=""
SANDBOX_PID=""
YOOKASSA_PID=""
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
        inside python3 - <"$REPO/ansible/tests/slot_procs.py" 2>&1 | sed 's/^/    procs: /'
        inside journalctl -t booking-pool-spawner -n 20 --no-pager 2>&1 | sed 's/^/    /'
        inside systemctl --failed --no-pager 2>&1 | sed 's/^/    /'
        inside journalctl -n 300 --no-pager 2>&1 | grep -v -e 'sudo\[' -e 'ansible-' | tail -40 | sed 's/^/    /'
    fi
    if [ -n "$PLAY_PID" ]; then  # interrupted during a playbook run: stop it (timeout forwards)
        kill -TERM "$PLAY_PID" 2>/dev/null
        wait "$PLAY_PID" 2>/dev/null
    fi
    for pid in $SANDBOX_PID $YOOKASSA_PID; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
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
state=""
for _ in $(seq 1 60); do  # (systemctl fails at once while systemd's bus is not up yet)
    state="$(inside timeout 120 systemctl is-system-running --wait 2>/dev/null || true)"
    [ -n "$state" ] && break
    sleep 1
done
case "$state" in running | degraded) ;; *) fail "container did not boot (state '$state')" ;; esac
say "container up: systemd PID $PID on the host, state $state"

# 3. the sandboxes on the host, and this run's secrets --------------------------------------------
free_port() { "$APP_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rand_token() { echo "$1:AAdeploytest$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"; }
TOKEN="$(rand_token 7000000001)"          # client_001's bot (activated by the operator)
TOKEN2="$(rand_token 7000000002)"         # client_002's bot (bought through the Sales Bot)
SALES_TOKEN="$(rand_token 7000000010)"
MASTER_TOKEN="$(rand_token 7000000011)"
secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 28; }
YK_SECRET="test_$(secret)"
WEBHOOK_PORT="$(free_port)"
METRICS_PORT="$(free_port)"
"$APP_PY" -m sandbox.telegram --port 0 --bot "$TOKEN=deploytest_salon_bot" \
    --bot "$TOKEN2=deploytest_second_bot" --bot "$SALES_TOKEN=deploytest_sales_bot" \
    --bot "$MASTER_TOKEN=deploytest_master_bot" >"$RUN/sandbox.out" 2>"$RUN/sandbox.err" &
SANDBOX_PID=$!
(cd "$REPO" && exec env YOOKASSA_SECRET_KEY="$YK_SECRET" "$APP_PY" -m sandbox.yookassa --port 0 \
    --shop-id 100500 --webhook-url "http://127.0.0.1:$WEBHOOK_PORT/yookassa/webhook" \
    >"$RUN/yookassa.out" 2>"$RUN/yookassa.err") &
YOOKASSA_PID=$!
for _ in $(seq 1 100); do
    API="$(grep -o 'http://[0-9.:]*' "$RUN/sandbox.out" 2>/dev/null | head -1 || true)"
    YK_API="$(grep -o 'http://[0-9.:]*' "$RUN/yookassa.out" 2>/dev/null | head -1 || true)"
    [ -n "$API" ] && [ -n "$YK_API" ] && break
    sleep 0.2
done
[ -n "$API" ] || { cat "$RUN/sandbox.err"; fail "the Telegram sandbox did not start"; }
[ -n "$YK_API" ] || { cat "$RUN/yookassa.err"; fail "the YooKassa sandbox did not start"; }
say "Telegram sandbox at $API, YooKassa sandbox at $YK_API"

DB_PW="$(secret)"
REDIS_PW="$(secret)"
FERNET_KEY="$("$APP_PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
umask 077
printf '%s\n' "$DB_PW" "$REDIS_PW" "$FERNET_KEY" "$YK_SECRET" "$TOKEN" "$TOKEN2" "$SALES_TOKEN" \
    "$MASTER_TOKEN" >"$RUN/secrets.txt"
cat >"$RUN/vars.yml" <<VARS
ansible_nsenter_pid: $PID
booking_db_password: "$DB_PW"
booking_redis_password: "$REDIS_PW"
booking_token_encryption_key: "$FERNET_KEY"
booking_telegram_api_base: "$API"
booking_bot_token_sales: "$SALES_TOKEN"
booking_bot_token_master: "$MASTER_TOKEN"
booking_admin_ids_master: "987654321"
booking_yookassa_shop_id: "100500"
booking_yookassa_secret_key: "$YK_SECRET"
booking_yookassa_api_url: "$YK_API/v3"
booking_app_pip_env:
  PIP_CACHE_DIR: /var/cache/bot-pool-pip
  PIP_CERT: /etc/ssl/certs/ca-certificates.crt
  PIP_DISABLE_PIP_VERSION_CHECK: "1"
booking_sales_extra_env:
  SALES_WEBHOOK_PORT: "$WEBHOOK_PORT"
  YOOKASSA_TRUSTED_NETWORKS: 127.0.0.1/32
  YOOKASSA_TIMEOUT: "5"
booking_master_extra_env:
  MASTER_METRICS_PORT: "$METRICS_PORT"
VARS
# the previous layout knows one settings file for everything
cat >"$RUN/vars-previous.yml" <<VARS
booking_extra_env:
  SALES_WEBHOOK_PORT: "$WEBHOOK_PORT"
  YOOKASSA_TRUSTED_NETWORKS: 127.0.0.1/32
  YOOKASSA_TIMEOUT: "5"
  MASTER_METRICS_PORT: "$METRICS_PORT"
VARS
umask 022

play() {  # play NAME [extra ansible-playbook args]: run the playbook, log to $RUN/NAME.log
    local name="$1"
    shift
    local t0=$SECONDS
    local tree="${PLAY_TREE:-$REPO}"
    # in the background + wait, so that an interruption is handled at once (see cleanup)
    (cd "$tree/ansible" && exec env -i PATH="$ANSIBLE_BIN:$CLEAN_PATH" HOME="$HOME" LANG=C.UTF-8 \
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

running_slots() {  # the slot programs supervisor reports RUNNING (the spawner is not a slot)
    inside /usr/local/bin/supervisorctl status 2>/dev/null \
        | awk '$2 == "RUNNING" && $1 ~ /^bot-pool-[0-9]+$/ {print $1}' | sort -V | xargs
}
slot_names() { seq -s ' ' -f 'bot-pool-%g' "$@"; }  # slot_names [FIRST] LAST
redis_admin() {  # the previous layout: the default user; this one: the ACL admin
    if inside test -e /etc/redis/users.acl; then
        inside env REDISCLI_AUTH="$REDIS_PW" redis-cli --no-auth-warning --user booking_admin "$@"
    else
        inside env REDISCLI_AUTH="$REDIS_PW" redis-cli --no-auth-warning "$@"
    fi
}
status_keys() { redis_admin --raw KEYS 'bot_status:*' 2>/dev/null | grep -c . || true; }
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
pool_json() { inside /usr/local/bin/booking-pool status --json; }
slot_status() {
    pool_json | "$APP_PY" -c 'import json,sys; d=json.load(sys.stdin); print({s["container_id"]: s["status"] for s in d["slots"]}.get(sys.argv[1], "absent"))' "$1"
}
slot_of() {  # slot_of client_NNN: the number of the slot that runs it
    pool_json | "$APP_PY" -c 'import json,sys; d=json.load(sys.stdin); print(next((s["container_id"].rsplit("-", 1)[1] for s in d["slots"] if s["client_id"] == sys.argv[1] and s["status"] == "active"), ""))' "$1"
}
psql_db() { inside runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -d booking_saas -c "$1"; }
# The forked slots (ansible/tests/slot_procs.py prints "spawner PID PSS" and, per RUNNING slot,
# "slot N LAUNCHER_PID LAUNCHER_PSS CHILDREN", CHILDREN = PID:PPID:USER:PSS of the other processes
# named bot-pool-N, comma-separated, or "-"; PSS in kB).
slot_procs() { inside python3 - <"$REPO/ansible/tests/slot_procs.py"; }
spawner_pid() { slot_procs | awk '$1 == "spawner" {print $2}'; }
slot_pids() { slot_procs | awk '$1 == "slot" {split($5, c, ":"); print $2, $3, c[1]}'; }  # N LAUNCHER CHILD
child_of() { slot_pids | awk -v n="$1" '$1 == n {print $3}'; }  # child_of N: slot N's forked process
process_gone() {  # process_gone PID: no such process (a zombie counts as gone)
    local state
    state="$(inside awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)"
    [ -z "$state" ] || [ "$state" = Z ]
}
check_forked() {  # check_forked [N...]: slot N's process (default: every RUNNING slot's) is forked
    local procs spawner n launcher children pid ppid user checked=0
    procs="$(slot_procs)" || fail "cannot list the pool's processes"
    spawner="$(awk '$1 == "spawner" {print $2}' <<<"$procs")"
    [ -n "$spawner" ] || fail "booking-pool-spawner is not RUNNING"
    while read -r _ n launcher _ children; do
        if [ $# -gt 0 ] && [[ " $* " != *" $n "* ]]; then continue; fi
        [ "$children" != - ] || fail "slot $n (launcher PID $launcher) has no forked process named bot-pool-$n: it runs on its own"
        [[ "$children" != *,* ]] || fail "slot $n has several processes named bot-pool-$n: $children"
        IFS=: read -r pid ppid user _ <<<"$children"
        [ "$ppid" = "$spawner" ] || fail "slot $n's process (PID $pid) is a child of PID $ppid, not of the spawner (PID $spawner)"
        [ "$user" = booking-pool ] || fail "slot $n's process (PID $pid) runs as $user"
        checked=$((checked + 1))
    done < <(grep '^slot ' <<<"$procs")
    [ "$checked" -ge "${#}" ] && [ "$checked" -gt 0 ] || fail "not every slot of '$*' is RUNNING"
    say "  $checked slot(s) ${*:+($*) }forked by booking-pool-spawner (PID $spawner): named bot-pool-N, its children, as booking-pool"
}
mib() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb / 1024}'; }
user_says() {  # user_says BOT USER_ID TEXT EXPECT...: a customer writes, the bot's answer must match
    (cd "$REPO" && PYTHONPATH="$REPO" "$APP_PY" ansible/tests/sandbox_user.py ask "$API" "$@") | sed 's/^/    /'
    [ "${PIPESTATUS[0]}" = 0 ] || fail "@$1 did not answer '$3' as expected"
}
CUSTOMER=555001

# 4. the previous layout ---------------------------------------------------------------------------
if [ -n "$UPGRADE_FROM" ]; then
    say "the previous layout: playbook and code of $UPGRADE_FROM"
    mkdir -p "$RUN/previous"
    git -c safe.directory='*' -C "$REPO" archive "$UPGRADE_FROM" | tar -x -C "$RUN/previous" \
        || fail "cannot read commit $UPGRADE_FROM (a shallow clone? BOT_POOL_UPGRADE_FROM= skips the upgrade)"
    PLAY_TREE="$RUN/previous" play previous -e "@$RUN/vars-previous.yml"
else
    say "fresh host: this checkout's playbook (BOT_POOL_UPGRADE_FROM is empty)"
    play first
fi
FIRST_SLOTS=$SLOTS
[ -n "$UPGRADE_FROM" ] && FIRST_SLOTS=$PREVIOUS_SLOTS
say "check: supervisorctl status lists bot-pool-1..$FIRST_SLOTS RUNNING"
wait_for 90 "$FIRST_SLOTS RUNNING slots" slots_are "$(slot_names "$FIRST_SLOTS")"
inside /usr/local/bin/supervisorctl status | sed 's/^/    /'
say "check: KEYS bot_status:* returns $FIRST_SLOTS"
wait_for 90 "$FIRST_SLOTS bot_status keys" keys_are "$FIRST_SLOTS"

say "check: activation through booking-pool activate against the sandbox"
echo "$TOKEN" | inside /usr/local/bin/booking-pool activate --slot 2 --token - --admin 987654321 \
    --client client_001 --company "Deploy Test" --timeout 60 | sed 's/^/    /'
[ "$(slot_status booking-bot-pool-2)" = active ] || fail "slot 2 is not active after activation"
say "check: journalctl shows BOT ACTIVATED (identifier booking-bot-pool-2)"
wait_for 20 "BOT ACTIVATED in the journal" activated_in_journal
inside journalctl --no-pager | grep 'BOT ACTIVATED' | sed 's/^/    /'

say "a customer's booking in client_001 (as the salon would have it), seen in «Мои записи»"
psql_db "INSERT INTO client_001.bot_users (telegram_id, first_name) VALUES ($CUSTOMER, 'Анна');
INSERT INTO client_001.services (name, duration_min, price) VALUES ('Стрижка deploy-test', 60, 1500);
INSERT INTO client_001.staff (name) VALUES ('Вера');
INSERT INTO client_001.bookings (request_key, customer_id, customer_name, customer_phone,
    service_id, staff_id, price, starts_at, ends_at, blocked_until)
SELECT 'deploy-test-1', $CUSTOMER, 'Анна', '+79990000001', s.id, t.id, 1500,
    now() + interval '2 days', now() + interval '2 days 1 hour', now() + interval '2 days 1 hour'
FROM client_001.services s, client_001.staff t;"
user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"

if [ -n "$UPGRADE_FROM" ]; then
    # 5. the upgrade to this layout, in one run ------------------------------------------------------
    PREVIOUS_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"
    say "upgrading the previous layout with this checkout's playbook (one run)"
    play first
    wait_for 90 "$SLOTS RUNNING slots" slots_are "$(slot_names "$SLOTS")"
    wait_for 90 "$SLOTS bot_status keys" keys_are "$SLOTS"
    wait_for 90 "slot 2 active again after the layout upgrade" slot_is_active 2
    [ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" != "$PREVIOUS_PID" ] \
        || fail "slot 2 still runs the previous layout's process"
    say "check: client_001 is back on slot 2 with its booking"
    inside journalctl -t booking-bot-pool-2 --no-pager | grep 'resumed after restart' | tail -1 | sed 's/^/    /'
    [ "$(psql_db "SELECT count(*) FROM client_001.bookings WHERE request_key = 'deploy-test-1'")" = 1 ] \
        || fail "client_001's booking is gone"
    user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"
    inside test ! -e /etc/booking/booking.env || fail "the previous layout's booking.env is still there"
fi
ACTIVE_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"

# what this checkout's runtime has: narrow database roles, Redis ACL users
# (the same test as the roles' defaults booking_db_service_roles and booking_redis_acl)
DB_ROLES=""
[ -f "$REPO/sql/platform_grants.sql" ] && grep -q tenant_access "$REPO/pool/worker.py" && DB_ROLES=1
REDIS_ACL=""
[ -f "$REPO/core/redis_acl.py" ] && grep -q redis-users "$REPO/pool/cli.py" && REDIS_ACL=1
say "isolation runtime in this checkout: database roles ${DB_ROLES:-no}, Redis ACL users ${REDIS_ACL:-no}"

say "check: accounts and settings files (root:<service> 0640, admin.env root 0600)"
for service in pool sales master; do
    [ "$(inside stat -c '%a %U %G' "/etc/booking/$service.env")" = "640 root booking-$service" ] \
        || fail "/etc/booking/$service.env: $(inside stat -c '%a %U %G' "/etc/booking/$service.env")"
done
[ "$(inside stat -c '%a %U %G' /etc/booking/admin.env)" = "600 root root" ] || fail "admin.env mode/owner"
for account in booking-pool booking-sales booking-master booking; do
    for file in pool sales master admin; do
        if inside runuser -u "$account" -- test -w "/etc/booking/$file.env"; then
            fail "$account can write /etc/booking/$file.env"
        fi
        if [ "$account" != "booking-$file" ] && inside runuser -u "$account" -- test -r "/etc/booking/$file.env"; then
            fail "$account can read /etc/booking/$file.env"
        fi
    done
done
say "  no service account can write any settings file or read another service's"

say "check: each service runs as its own account with only its own secrets in /proc/<pid>/environ"
environ_has() {  # environ_has PID VALUE: the process's environment holds VALUE (a secret)
    inside cat "/proc/$1/environ" | tr '\0' '\n' | grep -q -F -e "$2"
}
check_environ() {  # check_environ NAME PID ACCOUNT "OWN VALUES" "FORBIDDEN VALUES"
    local name="$1" pid="$2" account="$3" own="$4" forbidden="$5" value
    [ -n "$pid" ] && [ "$pid" != 0 ] || fail "$name is not running"
    [ "$(inside stat -c %U "/proc/$pid")" = "$account" ] || fail "$name runs as $(inside stat -c %U "/proc/$pid"), not $account"
    for value in $own; do environ_has "$pid" "$value" || fail "$name lacks one of its own settings"; done
    for value in $forbidden; do
        if environ_has "$pid" "$value"; then fail "$name holds a secret that is not its own"; fi
    done
    say "  $name (PID $pid) runs as $account; its environment holds no other service's secret"
}
wait_for 60 "booking-sales running" inside systemctl is-active --quiet booking-sales.service
wait_for 60 "booking-master running" inside systemctl is-active --quiet booking-master.service
ADMIN_SECRETS=""
[ -n "$DB_ROLES" ] && ADMIN_SECRETS="$ADMIN_SECRETS $DB_PW"
[ -n "$REDIS_ACL" ] && ADMIN_SECRETS="$ADMIN_SECRETS $REDIS_PW"
POOL_OWN="TOKEN_ENCRYPTION_KEY=$FERNET_KEY"
[ -n "$DB_ROLES" ] && POOL_OWN="$POOL_OWN DATABASE_URL=postgresql://booking_pool@"
[ -n "$REDIS_ACL" ] && POOL_OWN="$POOL_OWN REDIS_USERNAME=booking_pool"
check_environ "pool slot 1's launcher" "$(inside /usr/local/bin/supervisorctl pid bot-pool-1)" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"
check_environ "pool slot 1 (forked)" "$(child_of 1)" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"
check_environ "pool slot 2's launcher (client_001)" "$ACTIVE_PID" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"
check_environ "pool slot 2 (forked, client_001)" "$(child_of 2)" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"
check_environ "booking-pool-spawner" "$(spawner_pid)" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"
check_environ "booking-sales" "$(inside systemctl show -P MainPID booking-sales.service)" booking-sales \
    "$YK_SECRET $SALES_TOKEN" "$MASTER_TOKEN $ADMIN_SECRETS"
check_environ "booking-master" "$(inside systemctl show -P MainPID booking-master.service)" booking-master \
    "$MASTER_TOKEN" "$YK_SECRET $SALES_TOKEN $ADMIN_SECRETS"
SUPERVISORD_PID="$(inside systemctl show -P MainPID booking-supervisord.service)"
[ "$(inside stat -c %U "/proc/$SUPERVISORD_PID")" = root ] || fail "supervisord does not run as root"
if inside runuser -u booking-pool -- python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect("/run/booking-supervisor/supervisor.sock")' 2>/dev/null; then
    fail "the pool's account can use supervisord's socket"
fi
say "  supervisord runs as root; the pool's account cannot use its socket"

if [ -n "$DB_ROLES" ]; then
    say "check: client_001's bot connects to PostgreSQL as client_001, the pool as booking_pool"
    roles_connected() { psql_db "SELECT string_agg(DISTINCT usename, ' ' ORDER BY usename) FROM pg_stat_activity WHERE datname = 'booking_saas' AND usename IN ('client_001', 'booking_pool', 'booking_user')"; }
    user_says deploytest_salon_bot "$CUSTOMER" /start "Deploy Test"
    [[ " $(roles_connected) " == *" client_001 "* ]] || fail "no connection as client_001: $(roles_connected)"
    [[ " $(roles_connected) " == *" booking_pool "* ]] || fail "no connection as booking_pool"
    [[ " $(roles_connected) " != *" booking_user "* ]] || fail "a service still connects as the owner booking_user"
    say "  connected: $(roles_connected)"
    denied() {  # denied ROLE SQL: the statement fails with "permission denied" for that role
        local out
        out="$(inside runuser -u postgres -- psql -X -q -A -t -d booking_saas -c "SET ROLE $1; $2" 2>&1 || true)"
        [[ "$out" == *"permission denied"* ]] || fail "$1 may run: $2 ($out)"
    }
    [ "$(psql_db "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'client_001'")" = client_001 ] \
        || fail "schema client_001 is not owned by role client_001 after the upgrade"
    denied client_001 "SELECT count(*) FROM platform.tenants"
    denied booking_pool "SELECT count(*) FROM platform.orders"
    denied booking_pool "SELECT count(*) FROM client_001.bookings"
    say "  schema client_001 belongs to client_001; it cannot read platform; the pool cannot read orders or client_001's data"
fi
if [ -n "$REDIS_ACL" ]; then
    say "check: Redis users: default off, client_001's bot connected as client_001"
    redis_users() { redis_admin --raw CLIENT LIST | grep -o ' user=[^ ]*' | sort -u | sed 's/ user=//' | xargs; }
    [[ " $(redis_users) " == *" client_001 "* ]] || fail "no Redis connection as client_001: $(redis_users)"
    [[ " $(redis_users) " != *" default "* ]] || fail "someone is connected as Redis' default user"
    if inside redis-cli --no-auth-warning PING 2>/dev/null | grep -q PONG; then fail "Redis' default user works"; fi
    say "  connected: $(redis_users)"
    acl_denied() {  # acl_denied USER COMMAND...: Redis refuses it to that user
        [ "$(redis_admin ACL DRYRUN "$@" 2>&1)" != OK ] || fail "Redis user $1 may run: ${*:2}"
    }
    acl_denied client_001 KEYS '*'
    acl_denied client_001 GET client_002:fsm:x
    acl_denied client_001 GET sales:x
    acl_denied client_001 CONFIG GET requirepass
    acl_denied booking_pool GET sales:x
    acl_denied booking_pool ACL SETUSER x on
    [ "$(redis_admin ACL DRYRUN client_001 GET client_001:fsm:x)" = OK ] || fail "client_001 cannot read its own keys"
    say "  client_001 reaches only client_001:*; the pool cannot read sales:* nor run ACL"
fi

say "check: a purchase through the Sales Bot on the deployed host (YooKassa stand-in)"
(cd "$REPO" && echo "$TOKEN2" | PYTHONPATH="$REPO" "$APP_PY" ansible/tests/sandbox_user.py buy "$API" \
    "$YK_API" deploytest_sales_bot 555100 "Second Salon") | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "the purchase did not go through"
BOUGHT_SLOT="$(slot_of client_002)"
[ -n "$BOUGHT_SLOT" ] || fail "client_002 is not active on any slot"
user_says deploytest_second_bot 555101 /start "Second Salon"
say "  client_002 runs on slot $BOUGHT_SLOT"
BOUGHT_PID="$(inside /usr/local/bin/supervisorctl pid "bot-pool-$BOUGHT_SLOT")"
check_environ "pool slot $BOUGHT_SLOT (forked, client_002)" "$(child_of "$BOUGHT_SLOT")" booking-pool \
    "$POOL_OWN" "$YK_SECRET $SALES_TOKEN $MASTER_TOKEN $ADMIN_SECRETS"

# the forked slots -----------------------------------------------------------------------------
say "check: supervisorctl status lists all $SLOTS slots and booking-pool-spawner RUNNING"
slots_are "$(slot_names "$SLOTS")" || fail "RUNNING slots: $(running_slots)"
inside /usr/local/bin/supervisorctl status booking-pool-spawner | sed 's/^/    /'
[ "$(inside stat -c '%a %U' "$(dirname "$SPAWNER_SOCKET")")" = "700 booking-pool" ] \
    || fail "$(dirname "$SPAWNER_SOCKET"): $(inside stat -c '%a %U' "$(dirname "$SPAWNER_SOCKET")")"
[ "$(inside stat -c '%a %U' "$SPAWNER_SOCKET")" = "600 booking-pool" ] \
    || fail "$SPAWNER_SOCKET: $(inside stat -c '%a %U' "$SPAWNER_SOCKET")"
say "check: every slot's process is forked by the spawner ($SPAWNER_SOCKET, 0600 in a 0700 folder)"
check_forked

say "check: memory per slot, launcher + forked slot (PSS from /proc/PID/smaps_rollup)"
STATES="$(pool_json | "$APP_PY" -c 'import json,sys; [print(s["container_id"].rsplit("-", 1)[1], s["status"]) for s in json.load(sys.stdin)["slots"]]')"
PROCS="$(slot_procs)"
read -r _ SPAWNER_PID SPAWNER_PSS <<<"$(grep '^spawner ' <<<"$PROCS")"
MEMORY_OK=1
declare -A PSS_SUM=([waiting]=0 [active]=0) PSS_MAX=([waiting]=0 [active]=0) PSS_N=([waiting]=0 [active]=0)
while read -r _ n launcher lpss children; do
    IFS=: read -r child _ _ cpss <<<"$children"
    state="$(awk -v n="$n" '$1 == n {print $2}' <<<"$STATES")"
    case "$state" in
        waiting) limit=$MIB_WAITING ;;
        active) limit=$MIB_ACTIVE ;;
        *) fail "slot $n is '$state', not waiting or active" ;;
    esac
    total=$((lpss + cpss))
    verdict=ok
    if [ "$total" -gt $((limit * 1024)) ]; then verdict="OVER ${limit} MB"; MEMORY_OK=""; fi
    printf '    slot %-2s %-7s launcher %5s MB (PID %s) + slot %5s MB (PID %s) = %5s MB PSS  %s\n' \
        "$n" "$state" "$(mib "$lpss")" "$launcher" "$(mib "$cpss")" "$child" "$(mib "$total")" "$verdict"
    PSS_SUM[$state]=$((PSS_SUM[$state] + total))
    PSS_N[$state]=$((PSS_N[$state] + 1))
    [ "$total" -le "${PSS_MAX[$state]}" ] || PSS_MAX[$state]=$total
done < <(grep '^slot ' <<<"$PROCS")
for state in waiting active; do
    [ "${PSS_N[$state]}" -gt 0 ] || fail "no $state slot to measure"
    say "  $state slots: ${PSS_N[$state]}, PSS mean $(mib $((PSS_SUM[$state] / PSS_N[$state]))) MB, max $(mib "${PSS_MAX[$state]}") MB (limit $([ $state = waiting ] && echo $MIB_WAITING || echo $MIB_ACTIVE) MB)"
done
say "  booking-pool-spawner (PID $SPAWNER_PID): $(mib "$SPAWNER_PSS") MB PSS; pool total $(mib $((SPAWNER_PSS + PSS_SUM[waiting] + PSS_SUM[active]))) MB for $SLOTS slots"
[ -n "$MEMORY_OK" ] || fail "a slot uses more memory than its limit (see above)"

say "check: a forked slot's lines reach journald (-t booking-bot-pool-$SLOTS) and its supervisor log"
WAITING_LINE='BOT CONTAINER STARTED IN WAITING MODE'
line="$(inside journalctl -t "booking-bot-pool-$SLOTS" --no-pager -q -o cat | grep -F "$WAITING_LINE" | tail -1 || true)"
[ -n "$line" ] || fail "journalctl -t booking-bot-pool-$SLOTS lacks '$WAITING_LINE'"
echo "    journal: $line"
line="$(inside cat "/var/log/booking/bot-pool-$SLOTS.log" | grep -F "$WAITING_LINE" | tail -1 || true)"
[ -n "$line" ] || fail "/var/log/booking/bot-pool-$SLOTS.log lacks '$WAITING_LINE'"
echo "    log file: $line"
line="$(inside journalctl -t booking-pool-spawner --no-pager -q -o cat | tail -1 || true)"
[ -n "$line" ] || fail "journalctl -t booking-pool-spawner is empty"
echo "    journalctl -t booking-pool-spawner: $line"

say "check: kill -9 of slot 2's launcher (client_001): its forked slot exits, supervisor brings the slot back"
read -r _ KILLED_LAUNCHER KILLED_CHILD <<<"$(slot_pids | awk '$1 == 2')"
[ -n "$KILLED_CHILD" ] || fail "slot 2 has no forked process"
T0=$SECONDS
inside sh -c 'kill -KILL "$1"' _ "$KILLED_LAUNCHER"  # (minbase has no kill binary)
wait_for 15 "slot 2's forked process (PID $KILLED_CHILD) to exit after its launcher's kill -9" process_gone "$KILLED_CHILD"
say "  slot 2's forked process (PID $KILLED_CHILD) ended $((SECONDS - T0)) s after its launcher (PID $KILLED_LAUNCHER) was killed"
relaunched() { slots_are "$(slot_names "$SLOTS")" && [ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" != "$KILLED_LAUNCHER" ]; }
wait_for 60 "supervisor to run slot 2 again" relaunched
wait_for 60 "slot 2 active again after its launcher's kill -9" slot_is_active 2
check_forked 2
inside journalctl -t booking-bot-pool-2 --no-pager | grep 'resumed after restart' | tail -1 | sed 's/^/    /'
user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"
ACTIVE_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"
say "  slot 2: launcher PID $KILLED_LAUNCHER -> $ACTIVE_PID, forked process $KILLED_CHILD -> $(child_of 2), still client_001"

say "check: restarting the spawner alone leaves every slot running (same launcher and slot PIDs)"
PIDS_BEFORE="$(slot_pids)"
OLD_SPAWNER="$(spawner_pid)"
inside /usr/local/bin/supervisorctl restart booking-pool-spawner | sed 's/^/    /'
new_spawner_listens() {
    local pid
    pid="$(spawner_pid)"
    [ -n "$pid" ] && [ "$pid" != "$OLD_SPAWNER" ] && inside test -S "$SPAWNER_SOCKET"
}
wait_for 60 "the new spawner to listen on $SPAWNER_SOCKET" new_spawner_listens
[ "$(slot_pids)" = "$PIDS_BEFORE" ] || {
    diff <(echo "$PIDS_BEFORE") <(slot_pids) | sed 's/^/    /'
    fail "a slot's launcher or process changed when the spawner restarted"
}
user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"
user_says deploytest_second_bot 555101 /start "Second Salon"
say "  spawner PID $OLD_SPAWNER -> $(spawner_pid); all $SLOTS slots kept their PIDs; both tenants answer"

say "second playbook run: nothing may change"
play second
echo "$RECAP" | grep -q 'changed=0 ' || {
    grep -B2 -A8 '^changed:' "$RUN/second.log" | head -60
    fail "second run changed something: $RECAP"
}

say "dry run (--check) succeeds"
# (pip's check mode always reports a requirements file as a change, so only success is asserted)
play check --check

GROWN=$((SLOTS + 2))
say "growing the pool: pool_size $GROWN"
play grow -e booking_pool_size=$GROWN
wait_for 90 "$GROWN RUNNING slots" slots_are "$(slot_names "$GROWN")"
wait_for 90 "$GROWN bot_status keys" keys_are "$GROWN"
check_forked $((SLOTS + 1)) "$GROWN"
[ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" = "$ACTIVE_PID" ] \
    || fail "the active slot was restarted while the pool grew"
[ "$(inside /usr/local/bin/supervisorctl pid "bot-pool-$BOUGHT_SLOT")" = "$BOUGHT_PID" ] \
    || fail "client_002's slot was restarted while the pool grew"
[ "$(slot_status booking-bot-pool-2)" = active ] || fail "slot 2 lost its tenant while the pool grew"
say "  slot 2 kept PID $ACTIVE_PID and its tenant"

KEPT="$(printf '%s\n' 1 2 "$BOUGHT_SLOT" | sort -un | sed 's/^/bot-pool-/' | xargs)"
say "shrinking the pool: pool_size 1 (busy slots must stay: $KEPT)"
play shrink -e booking_pool_size=1
wait_for 60 "slots $KEPT only" slots_are "$KEPT"
wait_for 60 "$(echo "$KEPT" | wc -w) bot_status keys" keys_are "$(echo "$KEPT" | wc -w)"
[ "$(inside /usr/local/bin/supervisorctl pid bot-pool-2)" = "$ACTIVE_PID" ] \
    || fail "the active slot was restarted while the pool shrank"

say "upgrading: new code, the spawner restarted first, then the slots one by one, the tenants come back"
mkdir -p "$RUN/src"
cp -a "$REPO"/{pyproject.toml,core,pool,bots,sales,master,sql,deploy} "$RUN/src/"
echo "# deploy-test upgrade marker" >>"$RUN/src/pool/__init__.py"
OLD_RELEASE="$(inside readlink /opt/booking/app)"
OLD_SPAWNER="$(spawner_pid)"
play upgrade -e booking_pool_size=1 -e booking_source_dir="$RUN/src"
NEW_RELEASE="$(inside readlink /opt/booking/app)"
[ "$NEW_RELEASE" != "$OLD_RELEASE" ] || fail "the release was not switched"
inside grep -q "upgrade marker" /opt/booking/app/pool/__init__.py || fail "the new code is not deployed"
task_result() {  # task_result LOG TASK: the first result line (changed/ok/skipping...) of that task
    awk -v t="TASK [booking_pool : $2" 'index($0, t) == 1 {f = 1; next} f && /^(changed|ok|skipping|failed|fatal):/ {print $1; exit}' "$RUN/$1.log"
}
[ "$(task_result upgrade "Restart the spawner after a code upgrade")" = changed: ] \
    || fail "the upgrade did not restart the spawner (see $RUN/upgrade.log)"
[ "$(grep -n -m1 'TASK \[booking_pool : Restart the spawner' "$RUN/upgrade.log" | cut -d: -f1)" \
    -lt "$(grep -n -m1 'TASK \[booking_pool : Restart the slots one by one' "$RUN/upgrade.log" | cut -d: -f1)" ] \
    || fail "the slots were restarted before the spawner"
NEW_SPAWNER="$(spawner_pid)"
[ -n "$NEW_SPAWNER" ] && [ "$NEW_SPAWNER" != "$OLD_SPAWNER" ] || fail "the spawner was not restarted onto the new code"
[ "$(inside readlink "/proc/$NEW_SPAWNER/cwd")" = "$NEW_RELEASE" ] \
    || fail "the new spawner runs in $(inside readlink "/proc/$NEW_SPAWNER/cwd"), not the new release $NEW_RELEASE"
NEW_PID="$(inside /usr/local/bin/supervisorctl pid bot-pool-2)"
[ "$NEW_PID" != "$ACTIVE_PID" ] || fail "slot 2 was not restarted onto the new code"
wait_for 60 "slot 2 active again after the upgrade" slot_is_active 2
wait_for 60 "slot $BOUGHT_SLOT active again after the upgrade" slot_is_active "$BOUGHT_SLOT"
check_forked
inside journalctl -t booking-bot-pool-2 --no-pager | grep 'resumed after restart' | tail -1 | sed 's/^/    /'
say "  spawner PID $OLD_SPAWNER -> $NEW_SPAWNER (in $NEW_RELEASE); slot 2: launcher PID $ACTIVE_PID -> $NEW_PID, still client_001"

say "turning the spawner off (booking_pool_spawner: false): every slot runs on its own, the tenants come back"
play spawner-off -e booking_pool_size=1 -e booking_source_dir="$RUN/src" -e booking_pool_spawner=false
STATUS="$(inside /usr/local/bin/supervisorctl status || true)"
sed 's/^/    /' <<<"$STATUS"
if grep -q '^booking-pool-spawner ' <<<"$STATUS"; then fail "booking-pool-spawner is still a program"; fi
inside test ! -e /etc/booking/pool.d/spawner.conf || fail "spawner.conf is still there"
inside test ! -e "$(dirname "$SPAWNER_SOCKET")" || fail "$(dirname "$SPAWNER_SOCKET") is still there"
inside test ! -e /etc/tmpfiles.d/booking-pool.conf || fail "the spawner's tmpfiles.d entry is still there"
if inside grep -q POOL_SPAWNER_SOCKET /etc/booking/pool.env; then fail "pool.env still sets POOL_SPAWNER_SOCKET"; fi
wait_for 90 "slots $KEPT RUNNING" slots_are "$KEPT"
wait_for 60 "slot 2 active again without the spawner" slot_is_active 2
wait_for 60 "slot $BOUGHT_SLOT active again without the spawner" slot_is_active "$BOUGHT_SLOT"
while read -r _ n launcher _ children; do
    [ "$children" = - ] || fail "slot $n still has a forked process ($children)"
    cmdline="$(inside cat "/proc/$launcher/cmdline" | tr '\0' ' ')"
    [[ "$cmdline" == *"-m pool.worker"* ]] || fail "slot $n's program (PID $launcher) runs '$cmdline', not pool.worker"
done < <(slot_procs | grep '^slot ')
user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"
say "  no spawner: slots $KEPT each run pool.worker in their own program; client_001 answers"

say "turning the spawner on again"
play spawner-on -e booking_pool_size=1 -e booking_source_dir="$RUN/src"
wait_for 90 "slots $KEPT RUNNING" slots_are "$KEPT"
wait_for 60 "slot 2 active again with the spawner" slot_is_active 2
wait_for 60 "slot $BOUGHT_SLOT active again with the spawner" slot_is_active "$BOUGHT_SLOT"
check_forked
user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"

if [ -n "$REDIS_ACL" ]; then
    say "check: tenants' Redis users survive a Redis restart (saved in the aclfile)"
    for client in client_001 client_002; do
        inside grep -q "^user $client on " /etc/redis/users.acl || fail "$client's Redis user is not in the aclfile"
    done
    inside systemctl restart redis-server.service
    for _ in $(seq 1 30); do [ "$(redis_admin PING 2>/dev/null)" = PONG ] && break; sleep 1; done
    redis_admin --raw ACL USERS | grep -qx client_001 || fail "client_001's Redis user is gone after a restart"
    redis_admin --raw ACL USERS | grep -qx client_002 || fail "client_002's Redis user is gone after a restart"
    user_says deploytest_salon_bot "$CUSTOMER" /my "Ваши предстоящие записи" "Стрижка deploy-test"
fi

say "check: the backup service writes a dump"
inside systemctl start booking-backup.service
inside sh -c 'ls /var/backups/booking/booking_saas-*.dump' | sed 's/^/    /'
say "check: the timer is active, Sales and Master enabled and running"
[ "$(inside systemctl is-active booking-backup.timer)" = active ] || fail "booking-backup.timer"
for unit in booking-sales.service booking-master.service; do
    [ "$(inside systemctl is-enabled "$unit" || true)" = enabled ] || fail "$unit should be enabled"
    [ "$(inside systemctl is-active "$unit" || true)" = active ] || fail "$unit should be running"
done
say "check: systemd-analyze verify of the installed units"
inside systemd-analyze verify --recursive-errors=no \
    /etc/systemd/system/booking-supervisord.service /etc/systemd/system/booking-sales.service \
    /etc/systemd/system/booking-master.service /etc/systemd/system/booking-backup.service \
    /etc/systemd/system/booking-backup.timer || fail "systemd-analyze verify"

say "PASSED in $((SECONDS - START)) s"

#!/usr/bin/env bash
# Smoke test of the production set-up (docs/deployment.md): PostgreSQL,
# gunicorn and nginx, configured by the files under deploy/ themselves, on
# loopback only, then scripts/smoke_production.py drives them through nginx.
#
#   scripts/smoke_production.sh                 # the smoke test (make smoke)
#   SMOKE_PYTHON=/path/to/venv/bin/python scripts/smoke_production.sh
#                                               # another virtualenv than .venv
#   scripts/smoke_production.sh CMD [ARGS...]   # CMD instead of the driver,
#                                               # with the same SMOKE_* variables
#
# What differs from a server, and why:
# - paths: the deploy/ files name /srv/ise-iga-dx, /etc/ise-iga-dx, /run and
#   /var/lib; each is replaced with a place in a temporary directory (every
#   replacement must match, so a renamed path fails here instead of being
#   silently left out);
# - nginx listens on two free ports of 127.0.0.1 (IPv6 lines left out), as
#   host name localhost, with a self-signed certificate made by openssl;
#   the production settings are otherwise used as they are (HTTPS_ONLY=1,
#   BEHIND_TLS_PROXY=1, DEBUG=0), and Debian's own nginx.conf is the main
#   configuration, with its pid, logs and temporary files moved;
# - gunicorn is started by the service unit's ExecStart, in a clean
#   environment read from the environment file as systemd does, but binds
#   its socket itself (systemd's socket unit hands it over on a server) and
#   runs 2 workers (GUNICORN_WORKERS) to share this machine;
# - PostgreSQL is a throw-away cluster (scripts/with_postgres.sh).
# Every process it starts is stopped, and the temporary directory removed,
# on exit, whatever the outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
python="${SMOKE_PYTHON:-$root/.venv/bin/python}"
python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"

if [ -z "${SMOKE_IN_POSTGRES:-}" ]; then
  "$here/apt_install.sh" nginx openssl
  SMOKE_IN_POSTGRES=1 exec "$here/with_postgres.sh" "$0" "$@"
fi

started=$(date +%s.%N)
say() { printf '%s\n' "smoke: $*" >&2; }

tmp="$(mktemp -d /tmp/ise_iga_dx_smoke.XXXXXX)"
# nginx's workers (www-data) reach gunicorn's socket in here.
chmod 755 "$tmp"
mkdir -p "$tmp/nginx" "$tmp/tls" "$tmp/backups" "$tmp/systemd"
gunicorn_pid=""
nginx_pid=""

# stop PID: SIGTERM (gunicorn and nginx then stop their workers), then,
# after 20 s, SIGKILL to its whole process group (each is started by
# setsid, so the group is the process and its workers).
stop() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 200 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$nginx_pid" ] && stop "$nginx_pid"
  [ -n "$gunicorn_pid" ] && stop "$gunicorn_pid"
  if [ $status -ne 0 ]; then
    for log in "$tmp/gunicorn.log" "$tmp/nginx/error.log"; do
      [ -s "$log" ] && { say "last lines of $(basename "$log"):"; tail -n 40 "$log" >&2; }
    done
  fi
  rm -rf "$tmp"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# render SRC DEST [OLD NEW]...: DEST is SRC with each fixed string OLD
# replaced by NEW; an OLD that SRC does not hold is an error.
render() {
  "$python" - "$@" <<'PY'
import sys
source, dest, *pairs = sys.argv[1:]
with open(source, encoding="utf-8") as file:
    text = file.read()
for old, new in zip(pairs[::2], pairs[1::2], strict=True):
    if old not in text:
        sys.exit(f"smoke: {source} no longer holds {old!r}: update scripts/smoke_production.sh")
    text = text.replace(old, new)
with open(dest, "w", encoding="utf-8") as file:
    file.write(text)
PY
}

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_port="$(free_port)"
https_port="$(free_port)"
while [ "$https_port" = "$http_port" ]; do https_port="$(free_port)"; done
venv="$(dirname "$(dirname "$python")")"

# --- the environment file, as /etc/ise-iga-dx/env -------------------------
secret="$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
render "$root/deploy/env.example" "$tmp/env" \
  "SECRET_KEY=change-me-to-a-long-random-string" "SECRET_KEY=$secret" \
  "ALLOWED_HOSTS=kpi.example.lg.jp" "ALLOWED_HOSTS=localhost" \
  "CSRF_TRUSTED_ORIGINS=https://kpi.example.lg.jp" "CSRF_TRUSTED_ORIGINS=https://localhost:$https_port" \
  "DATABASE_URL=postgres:///ise_iga_dx?host=/var/run/postgresql" "DATABASE_URL=$DATABASE_URL" \
  "#GUNICORN_WORKERS=5" "GUNICORN_WORKERS=2"
chmod 600 "$tmp/env"
# Every setting of .env.example is in the deployment's file too.
for key in $(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$root/.env.example"); do
  grep -q "^$key=" "$tmp/env" || { say "deploy/env.example lacks $key (in .env.example)"; exit 1; }
done

# --- the systemd units, with this machine's paths ---------------------------
cp "$root"/deploy/systemd/*.socket "$root"/deploy/systemd/*.timer "$tmp/systemd/"
for unit in ise-iga-dx.service ise-iga-dx-clearsessions.service ise-iga-dx-worker.service \
    ise-iga-dx-reminders.service; do
  render "$root/deploy/systemd/$unit" "$tmp/systemd/$unit" \
    "/srv/ise-iga-dx/app" "$root" "/srv/ise-iga-dx/venv" "$venv"
done
render "$root/deploy/systemd/ise-iga-dx-backup.service" "$tmp/systemd/ise-iga-dx-backup.service" \
  "/srv/ise-iga-dx/app" "$root" "/srv/ise-iga-dx/venv" "$venv" \
  "/var/lib/ise-iga-dx/backups" "$tmp/backups"
[ "$(ls "$tmp/systemd" | wc -l)" -eq "$(ls "$root/deploy/systemd" | wc -l)" ] \
  || { say "a unit under deploy/systemd/ is not rendered here"; exit 1; }
if command -v systemd-analyze >/dev/null; then
  # Syntax, and that every command exists (the user ise_iga_dx need not).
  systemd-analyze verify "$tmp"/systemd/* 2>&1 | tee "$tmp/verify.log" >&2
  [ ! -s "$tmp/verify.log" ] || { say "systemd-analyze verify found problems"; exit 1; }
  say "systemd units verified"
else
  say "systemd-analyze not found: the units' syntax is not checked"
fi

# exec_start UNIT [KEY]: its ExecStart (or KEY, e.g. ExecStartPost) command
# line, $$ and %% turned into $ and % for the shell (the units use no other
# systemd specifier).
exec_start() {
  sed -n "s/^${2:-ExecStart}=//p" "$tmp/systemd/$1" | sed -e 's/\$\$/$/g' -e 's/%%/%/g'
}
# as_service CMD...: exec CMD in the unit's directory with only the
# environment file's variables (and a PATH), as systemd starts a service.
# It replaces the shell it runs in: call it in ( ) or with &.
as_service() {
  cd "$root"
  exec env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    /bin/sh -c 'set -a; . "$1"; set +a; shift; exec "$@"' sh "$tmp/env" "$@"
}
# --- the app, set up as docs/deployment.md does it -------------------------
manage() {
  APP_DIR="$root" VENV="$venv" ENV_FILE="$tmp/env" APP_USER="$(id -un)" \
    "$root/deploy/manage.sh" "$@"
}
elapsed() { awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}"; }
manage check --deploy --fail-level WARNING
say "check --deploy passed ($(elapsed) s)"
manage migrate --noinput -v0
say "migrated ($(elapsed) s)"
manage copy_plotly_js
manage collectstatic --noinput -v0
say "static files collected ($(elapsed) s)"
manage seed_plans >/dev/null
say "plans loaded ($(elapsed) s)"
password="$("$python" -c 'import secrets; print(secrets.token_urlsafe(18))')"
DJANGO_SUPERUSER_PASSWORD="$password" manage createsuperuser --noinput \
  --username smoke --email smoke@example.invalid
max_bytes="$(manage shell --no-imports -c 'from django.conf import settings; print(settings.KPI_IMPORT_MAX_BYTES)')"
say "app set up ($(elapsed) s)"

# --- gunicorn, by the service's ExecStart ----------------------------------
# shellcheck disable=SC2046  # the command line is split into words, as systemd does
(as_service setsid $(exec_start ise-iga-dx.service) --bind "unix:$tmp/gunicorn.sock") \
  >"$tmp/gunicorn.log" 2>&1 &
gunicorn_pid=$!
for _ in $(seq 300); do
  [ -S "$tmp/gunicorn.sock" ] && break
  kill -0 "$gunicorn_pid" 2>/dev/null || { say "gunicorn exited"; exit 1; }
  sleep 0.1
done
[ -S "$tmp/gunicorn.sock" ] || { say "gunicorn made no socket in 30 s"; exit 1; }

# --- nginx: Debian's nginx.conf with the deploy/ site ----------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
  -keyout "$tmp/tls/key.pem" -out "$tmp/tls/cert.pem" 2>/dev/null
render "$root/deploy/nginx/ise-iga-dx.conf" "$tmp/nginx/site.conf" \
  "listen [::]:" "# IPv6 not used by the smoke test: listen [::]:" \
  "listen 80" "listen 127.0.0.1:$http_port" \
  "listen 443" "listen 127.0.0.1:$https_port" \
  "kpi.example.lg.jp" "localhost" \
  "/etc/ssl/ise-iga-dx/fullchain.pem" "$tmp/tls/cert.pem" \
  "/etc/ssl/ise-iga-dx/privkey.pem" "$tmp/tls/key.pem" \
  "unix:/run/ise-iga-dx.sock" "unix:$tmp/gunicorn.sock" \
  "/srv/ise-iga-dx/app/deploy/nginx/errors/" "$tmp/nginx/errors/"
# nginx's workers (www-data) read the error pages: a copy in the temporary
# directory, since a checkout may sit in a directory only its owner can
# enter (mktemp -d makes one, as the README's fresh-clone check does).
cp -R "$root/deploy/nginx/errors" "$tmp/nginx/errors"
chmod -R a+rX "$tmp/nginx/errors"
nginx_temp=""
for kind in client_body proxy fastcgi uwsgi scgi; do
  nginx_temp+="${kind}_temp_path $tmp/nginx/$kind;"$'\n'
done
render /etc/nginx/nginx.conf "$tmp/nginx/nginx.conf" \
  "pid /run/nginx.pid;" "pid $tmp/nginx/nginx.pid;" \
  "error_log /var/log/nginx/error.log;" "error_log $tmp/nginx/error.log;" \
  "access_log /var/log/nginx/access.log;" "access_log $tmp/nginx/access.log;" \
  "include /etc/nginx/conf.d/*.conf;" "$nginx_temp" \
  "include /etc/nginx/sites-enabled/*;" "include $tmp/nginx/site.conf;"
nginx -q -t -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf"
setsid nginx -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" -g "daemon off;" &
nginx_pid=$!
say "gunicorn (pid $gunicorn_pid) and nginx (pid $nginx_pid):" \
  "https://localhost:$https_port/, http://localhost:$http_port/"

export SMOKE_URL="https://localhost:$https_port"
export SMOKE_HTTP_URL="http://localhost:$http_port"
export SMOKE_CA="$tmp/tls/cert.pem"
export SMOKE_USERNAME=smoke
export SMOKE_PASSWORD="$password"
export SMOKE_GUNICORN_LOG="$tmp/gunicorn.log"
export SMOKE_MAX_BYTES="$max_bytes"
export SMOKE_ROOT="$root"
export SMOKE_GUNICORN_PID="$gunicorn_pid"
if [ $# -gt 0 ]; then
  "$@"
else
  # Its last check stops gunicorn (SIGTERM to SMOKE_GUNICORN_PID).
  "$python" "$here/smoke_production.py"

  # The periodic jobs, by their services' ExecStart.
  (as_service $(exec_start ise-iga-dx-clearsessions.service))
  say "clearsessions service ran"
  (as_service $(exec_start ise-iga-dx-reminders.service))
  say "reminders service ran"
  # The worker's own command, told to stop once nothing is waiting (the
  # service runs it for good): it starts with the deployment's settings.
  (as_service $(exec_start ise-iga-dx-worker.service) --batch)
  say "worker service ran (--batch)"
  if manage help backup >/dev/null 2>&1; then
    # 15 older backups, one a night in January 2000, and a file kept by hand:
    # the service's clean-up must keep the newest 14 backups (the new one
    # and 13 of these), deleting the 2 oldest, and leave the other file.
    for day in $(seq -w 1 15); do
      touch -d "2000-01-$day 02:30" "$tmp/backups/ise-iga-dx-200001$day-023000.backup"
    done
    touch "$tmp/backups/ise-iga-dx-before-update.backup"
    eval "(as_service $(exec_start ise-iga-dx-backup.service))"
    eval "(as_service $(exec_start ise-iga-dx-backup.service ExecStartPost))"
    written=("$tmp"/backups/ise-iga-dx-[0-9]*.backup)
    new="${written[${#written[@]}-1]}"
    [ ${#written[@]} -eq 14 ] \
      && [ "${written[0]}" = "$tmp/backups/ise-iga-dx-20000103-023000.backup" ] \
      && [ "$(basename "$new")" != "ise-iga-dx-20000115-023000.backup" ] && [ -s "$new" ] \
      && [ -e "$tmp/backups/ise-iga-dx-before-update.backup" ] \
      || { say "backup service: expected the new file and the 13 newest old ones, found:" \
             "$(cd "$tmp/backups" && echo ise-iga-dx-*.backup)"; exit 1; }
    say "backup service wrote $(basename "$new") ($(stat -c %s "$new") B)" \
      "and kept the newest 14 backups (deleted the 2 oldest of 15 planted)"
  else
    say "SKIPPED the backup service: this tree has no manage.py backup yet"
  fi
fi
say "done in $(elapsed) s"

#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster.
#
# The cluster lives in a temporary directory, listens on a unix socket there
# only (no TCP), and is stopped and removed when the command ends, whatever
# its outcome. DATABASE_URL points the command at it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
if [ -z "$(pg_bin)" ]; then
  "$here/apt_install.sh" postgresql-15 || "$here/apt_install.sh" postgresql
fi
bin="$(pg_bin)"

# initdb's helper processes write to /dev/null as the postgres user; some
# sandboxes have it as a root-only plain file.
if [ ! -c /dev/null ] && [ "$(id -u)" -eq 0 ]; then
  rm -f /dev/null && mknod -m 666 /dev/null c 1 3 2>/dev/null || chmod 666 /dev/null
fi

dir="$(mktemp -d /tmp/ise_iga_dx_pg.XXXXXX)"
chmod 755 "$dir"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root.
  chown postgres: "$dir"
  run_as=(runuser -u postgres --)
fi

cleanup() {
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null

"$bin/createdb" -h "$dir" -U postgres ise_iga_dx
export DATABASE_URL="postgres://postgres@/ise_iga_dx?host=$dir"
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running in $dir" >&2
"$@"

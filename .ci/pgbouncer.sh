#!/usr/bin/env bash
# A private PgBouncer (Debian's package) in transaction pooling mode in front of the local
# PostgreSQL, for the CI stage that runs the suites through it (see .ci/run) and for trying it:
#   .ci/pgbouncer.sh start   # prints TEST_POOLED_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
#   .ci/pgbouncer.sh stop
# Port PGBOUNCER_PORT (default 6432). Every database name is passed through (`*`), so per-test
# databases need no configuration. pg sends DATABASE_STATEMENT_TIMEOUT_MS as the startup
# parameter statement_timeout, which PgBouncer cannot pass on: it is accepted and ignored, and
# connect_query sets the limit on each server connection instead (README, Behind PgBouncer).
set -euo pipefail
action=${1:?start|stop}
port=${PGBOUNCER_PORT:-6432}
dir=${TMPDIR:-/tmp}/secureauth-pgbouncer-$port
statement_timeout_ms=${DATABASE_STATEMENT_TIMEOUT_MS:-10000}

stop() {
  if [ -f "$dir/pgbouncer.pid" ]; then
    kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}

start() {
  stop
  mkdir -p "$dir"
  printf '"postgres" ""\n' >"$dir/users.txt"
  cat >"$dir/pgbouncer.ini" <<CONF
[databases]
* = host=127.0.0.1 port=5432 connect_query='SET statement_timeout = $statement_timeout_ms'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 10
; Every connection is user postgres here: this caps the server connections of all databases
; together below PostgreSQL's max_connections (100 on Debian), and idle ones of databases no
; longer used (each test file has its own) are closed after 2 s instead of 10 minutes.
max_user_connections = 40
server_idle_timeout = 2
ignore_startup_parameters = statement_timeout,extra_float_digits
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
CONF
  # PgBouncer will not run as root; the postgres system user owns its files then.
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; runas=(-u postgres); else runas=(); fi
  PATH="$PATH:/usr/sbin" pgbouncer -d "${runas[@]}" "$dir/pgbouncer.ini"
  for _ in $(seq 1 50); do
    psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'select 1' postgres >/dev/null 2>&1 && break
    sleep 0.1
  done
  psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'select 1' postgres >/dev/null || { cat "$dir/pgbouncer.log" >&2; exit 1; }
  echo "TEST_POOLED_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
  # Debian's PgBouncer (1.18) cannot carry named prepared statements in transaction mode.
  echo "DATABASE_PREPARED_STATEMENTS=false"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

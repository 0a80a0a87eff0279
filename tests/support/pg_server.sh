#!/usr/bin/env bash
# A private PostgreSQL server for the tests (the study storage suite, the stress and fault tests).
#
#   pg_server.sh start STATE_DIR    initdb in a temporary directory, start on a free local port
#   pg_server.sh stop STATE_DIR     stop it and remove its data
#   pg_server.sh restart STATE_DIR  stop it (fast: connections are cut) and start it again
#                                   (PG_RESTART_PAUSE seconds later)
# PG_DURABLE=1 at start keeps fsync on (benchmarks); tests run without it.
#
# STATE_DIR receives: url (postgresql://gdtest:PASSWORD@127.0.0.1:PORT/postgres, a superuser),
# port, data (the data directory), log. PostgreSQL refuses to run as root: as root the server runs
# as the 'postgres' system user (made by Debian's postgresql package), else as 'nobody'.
# When no server can be started, `start` writes the reason to STATE_DIR/unavailable and exits 0,
# so the tests that need one skip with that reason; with CI set it fails instead (CI must test
# PostgreSQL). Local connections (unix socket) are trusted; TCP needs the password (scram-sha-256).
set -euo pipefail

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop|restart STATE_DIR" >&2; exit 2; }
mkdir -p "$state"
state=$(cd "$state" && pwd)

unavailable() {
  echo "$1" > "$state/unavailable"
  echo "pg_server.sh: $1" >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  exit 0
}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

# Runs a command as the server's user, from a directory that user can enter (the checkout may
# be in root's home).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd /tmp && runuser -u "$owner" -- "$@")
  else
    "$@"
  fi
}

pick_owner() {
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres > /dev/null 2>&1; then owner=postgres; else owner=nobody; fi
  fi
}

port_free() { ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

start_server() {
  local bin=$1 data=$2 port=$3
  as_owner "$bin/pg_ctl" -D "$data" -l "$data/../log" -w -t 60 -o "-p $port" start > /dev/null
}

case "$cmd" in
  start)
    # A server left by an interrupted run in this state directory is stopped first.
    if [ -f "$state/data" ]; then "$0" stop "$state"; fi
    rm -f "$state/unavailable" "$state/url"
    bin=$(bindir) || unavailable "no PostgreSQL server installed (apt-get install postgresql; ./setup.sh does)"
    pick_owner
    root=$(mktemp -d /tmp/gd-pg.XXXXXX)
    chmod 755 "$root"
    data="$root/data"
    password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$password" > "$root/pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown -R "$owner" "$root"; fi
    as_owner "$bin/initdb" -D "$data" -U gdtest --pwfile="$root/pwfile" -A trust --auth-host=scram-sha-256 \
      -E UTF8 --no-sync > "$root/initdb.log" 2>&1 || unavailable "initdb failed: $(tail -3 "$root/initdb.log")"
    rm -f "$root/pwfile"
    # Room for many workers. A test server needs no fsync (nothing here must survive a power cut);
    # PG_DURABLE=1 (the benchmarks) keeps PostgreSQL's durable defaults.
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$root'
max_connections = 300
CONF
    if [ -z "${PG_DURABLE:-}" ]; then
      printf 'fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n' >> "$data/postgresql.conf"
    fi
    started=0
    for _ in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 30000))
      port_free "$port" || continue
      if start_server "$bin" "$data" "$port"; then started=1; break; fi
    done
    [ "$started" = 1 ] || unavailable "the server did not start: $(tail -5 "$root/log" 2>/dev/null)"
    echo "$port" > "$state/port"
    echo "$data" > "$state/data"
    echo "$root/log" > "$state/log"
    echo "$bin" > "$state/bin"
    echo "$owner" > "$state/owner"
    umask 077
    echo "postgresql://gdtest:$password@127.0.0.1:$port/postgres" > "$state/url"
    echo "pg_server.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data $data)"
    ;;
  stop)
    [ -f "$state/data" ] || exit 0
    data=$(cat "$state/data")
    owner=$(cat "$state/owner")
    as_owner "$(cat "$state/bin")/pg_ctl" -D "$data" -m immediate -w stop > /dev/null 2>&1 || true
    rm -rf "$(dirname "$data")"
    rm -f "$state/url" "$state/port" "$state/data" "$state/log" "$state/bin" "$state/owner"
    ;;
  restart)
    data=$(cat "$state/data")
    owner=$(cat "$state/owner")
    bin=$(cat "$state/bin")
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop > /dev/null
    sleep "${PG_RESTART_PAUSE:-0}"
    start_server "$bin" "$data" "$(cat "$state/port")"
    ;;
  *)
    echo "usage: $0 start|stop|restart STATE_DIR" >&2
    exit 2
    ;;
esac

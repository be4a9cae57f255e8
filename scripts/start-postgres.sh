#!/usr/bin/env bash
# Starts a local PostgreSQL for Snapstack and prints the export to use it:
#
#   eval "$(scripts/start-postgres.sh)"     # exports DATABASE_URL
#   scripts/start-postgres.sh stop          # stops it (data is kept)
#   scripts/start-postgres.sh destroy       # stops it and deletes its data
#
# Idempotent: when the cluster already runs, it only prints the export.
# Settings: SNAPSTACK_PG_DIR (default /var/tmp/snapstack-postgres),
# SNAPSTACK_PG_PORT (default 5433, beside a system server on 5432),
# SNAPSTACK_PG_DB (default snapstack). Trust auth on 127.0.0.1 only.
# Everything but the export goes to stderr.
set -euo pipefail

PGROOT="$(realpath -m "${SNAPSTACK_PG_DIR:-/var/tmp/snapstack-postgres}")"
PORT="${SNAPSTACK_PG_PORT:-5433}"
DB="${SNAPSTACK_PG_DB:-snapstack}"
SUPERUSER=postgres
DATA="$PGROOT/data"
LOG="$PGROOT/postgres.log"
action="${1:-start}"

say() { printf '%s\n' "$*" >&2; }
die() { say "start-postgres: $*"; exit 1; }

# initdb, pg_ctl...: PATH first, then PG_BINDIR, then Debian's newest /usr/lib/postgresql/N/bin.
bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir="$(dirname "$(readlink -f "$(command -v initdb)")")"
elif [[ -n "${PG_BINDIR:-}" && -x "$PG_BINDIR/initdb" ]]; then
  bindir="$PG_BINDIR"
else
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [[ -x "$d/initdb" ]]; then bindir="$d"; break; fi
  done
fi
[[ -n "$bindir" ]] || die "PostgreSQL server binaries not found (Debian: apt-get install postgresql-15)"

# PostgreSQL refuses to run as root: use the postgres user, else a system user of our own.
as_pg() { "$@"; }
if [[ "$(id -u)" == 0 ]]; then
  pguser=postgres
  if ! id -u "$pguser" >/dev/null 2>&1; then
    pguser=snapstack-pg
    id -u "$pguser" >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pguser"
  fi
  as_pg() { (cd / && runuser -u "$pguser" -- "$@"); }
fi

running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$bindir/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

case "$action" in
  stop)
    if running; then as_pg "$bindir/pg_ctl" -D "$DATA" -m fast -w stop >&2; else say "not running"; fi
    exit 0
    ;;
  destroy)
    if running; then as_pg "$bindir/pg_ctl" -D "$DATA" -m immediate -w stop >&2; fi
    rm -rf "$PGROOT"
    say "removed $PGROOT"
    exit 0
    ;;
  start) ;;
  *) die "usage: $0 [start|stop|destroy]" ;;
esac

if ! running; then
  mkdir -p "$PGROOT"
  [[ "$(id -u)" == 0 ]] && chown "$pguser:" "$PGROOT"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "initdb in $DATA"
    as_pg env LC_ALL=C "$bindir/initdb" -D "$DATA" -U "$SUPERUSER" -A trust -E UTF8 --locale=C >/dev/null
  fi
  say "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOG)"
  as_pg "$bindir/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1" start >/dev/null ||
    die "PostgreSQL did not start; see $LOG"
fi

# The cluster may run on another port than asked, if it was started earlier with another one.
port="$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)"
port="${port:-$PORT}"
exists="$(as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -Atc \
  "SELECT 1 FROM pg_database WHERE datname = '$DB'")"
if [[ "$exists" != 1 ]]; then
  as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" "$DB"
  say "created database $DB"
fi
echo "export DATABASE_URL=postgres://$SUPERUSER@127.0.0.1:$port/$DB"

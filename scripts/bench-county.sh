# Sourced by the benchmarks that need a large demo county behind a running server
# (bench-search, bench-figures): their common arguments, the county on each engine
# (made with `minsheng demo`, or reused with --keep), and `minsheng serve`.
#
#   [--appeals 1000000] [--rounds N] [--sqlite-only | --postgres-only] [--keep DIR]
#
# --keep DIR keeps the databases (DIR/county.db and the PostgreSQL schema
# bench_county) and reuses them when they are there: a million appeals take a while
# to make, and every benchmark can read the same county. PostgreSQL:
# MINSHENG_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test).

APPEALS=1000000 DBS="sqlite postgres" KEEP= SERVER_PID= SCHEMA=
PG_BASE=${MINSHENG_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}

bench_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --appeals) APPEALS=$2; shift 2 ;;
      --rounds) ROUNDS=$2; shift 2 ;;
      --sqlite-only) DBS=sqlite; shift ;;
      --postgres-only) DBS=postgres; shift ;;
      --keep) KEEP=$2; shift 2 ;;
      *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
  done
  if [[ -n $KEEP ]]; then
    mkdir -p "$KEEP"; WORK=$(cd "$KEEP" && pwd)
  else
    WORK=$(mktemp -d /tmp/minsheng-bench-XXXXXX)
  fi
  cargo build --release -q -p minsheng
  TARGET=${CARGO_TARGET_DIR:-$PWD/target}
  BIN=$TARGET/release/minsheng
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
  if [[ -z $KEEP ]]; then
    [[ -n $SCHEMA ]] && psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}

# The county on engine $1 (sqlite or postgres): sets URL and the environment the
# binary reads, makes the appeals unless kept ones are there, and sweeps.
bench_county() {
  local db=$1 fresh=yes
  if [[ $db == sqlite ]]; then
    URL="sqlite://$WORK/county.db"
    [[ -n $KEEP && -f $WORK/county.db ]] && fresh=
  else
    SCHEMA=bench_county
    [[ -z $KEEP ]] && SCHEMA="bench_county_$$"
    if [[ -n $KEEP ]] && psql -tAq "$PG_BASE" -c "SELECT 1 FROM pg_namespace WHERE nspname = '$SCHEMA'" | grep -q 1; then
      fresh=
    else
      psql -q "$PG_BASE" -c "CREATE SCHEMA $SCHEMA" >/dev/null
    fi
    URL="$PG_BASE?options=-c%20search_path%3D$SCHEMA"
  fi
  export MINSHENG_DATABASE_URL=$URL MINSHENG_KEY_FILE="$WORK/data.key" MINSHENG_FILES_DIR="$WORK/files" MINSHENG_API_RATE=0 MINSHENG_OPEN311_RATE=0 MINSHENG_LOG=warn
  if [[ $fresh == yes ]]; then
    echo "making $APPEALS appeals on $db …" >&2
    /usr/bin/time -f "demo: %e s, %M KB" "$BIN" demo --appeals "$APPEALS" >"$WORK/demo-$db.log"
  fi
  # The server sweeps every case at start; sweeping first leaves it little to do, and
  # the wait in bench_serve lets it finish before anything is timed.
  "$BIN" sweep >/dev/null
  COUNT=$(case $db in sqlite) sqlite3 "$WORK/county.db" "SELECT count(*) FROM appeals" ;; *) psql -tAq "$URL" -c "SELECT count(*) FROM appeals" ;; esac)
}

# Starts `minsheng serve` on a free port (sets PORT and SERVER_PID) and waits until
# its start-up work is done.
bench_serve() {
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/serve-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.2
  done
  sleep 30
}

bench_stop() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

#!/usr/bin/env bash
# The spend import benchmark (section 5 of the spend issue): procurekit's import of a generated
# London spend file (with supplier resolution, categories and rollups) against DuckDB's
# `CREATE TABLE … AS SELECT * FROM read_csv_auto(…)` on the same file, then the time of the
# analysis queries on the imported data. Not a test: run by hand, results in BENCHMARKS.md.
#
#   scripts/bench-spend.sh 2000000 [20000000 …]
#
# Needs: a release build (cargo build --release), python3, GNU time (/usr/bin/time), curl.
# DuckDB comes from PyPI into a throwaway virtualenv under /tmp: only this script uses it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${PROCUREKIT_BIN:-$TARGET/release/procurekit}
WORK=${BENCH_DIR:-/tmp/procurekit-bench}
VENV=$WORK/venv
mkdir -p "$WORK"
[ -x "$BIN" ] || { echo "build first: cargo build --release ($BIN not found)"; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q duckdb
fi
# Run the benchmark binary from a private copy: a shared target directory may be rebuilt
# under our feet.
cp "$BIN" "$WORK/procurekit"
BIN=$WORK/procurekit

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for ROWS in "${@:-2000000}"; do
  CSV=$WORK/london-$ROWS.csv
  [ -f "$CSV" ] || python3 scripts/bench/generate_spend.py --rows "$ROWS" --out "$CSV"
  SIZE=$(du -hL "$CSV" | cut -f1)
  DB=$WORK/bench-$ROWS.db
  rm -f "$DB" "$DB"-wal "$DB"-shm "$WORK"/duck-$ROWS.duckdb*
  PROCUREKIT_LOG=error "$BIN" --database "$DB" migrate > /dev/null

  PROCUREKIT_LOG=error /usr/bin/time -f "%e %M" -o "$WORK/time.txt" \
    "$BIN" --database "$DB" import spend "$CSV" --json > "$WORK/report-$ROWS.json"
  read -r PK_SECS PK_KB < "$WORK/time.txt"

  DUCK=$("$VENV/bin/python" - "$CSV" "$WORK/duck-$ROWS.duckdb" <<'PY'
import sys, time, duckdb
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
con.execute("CREATE TABLE spend AS SELECT * FROM read_csv_auto(?)", [sys.argv[1]])
secs = time.perf_counter() - t
n = con.execute("SELECT COUNT(*) FROM spend").fetchone()[0]
print(f"{secs:.2f} {n}")
PY
)
  read -r DUCK_SECS DUCK_ROWS <<< "$DUCK"

  # The least time SQLite needs to store as many ready-made payments in the real payments
  # table with its indexes: a bound on any import that keeps payments as SQLite rows.
  read -r FLOOR_SECS FLOOR_ROWS <<< "$(python3 scripts/bench/sqlite_floor.py "$DB" "$ROWS" "$WORK/floor-$ROWS.db")"

  # Analysis, over HTTP against the imported database (median of 15, after one warm-up).
  PORT=18$((RANDOM % 900 + 100))
  PROCUREKIT_LOG=error "$BIN" --database "$DB" serve --bind 127.0.0.1:$PORT > /dev/null 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
  TOP=$(curl -sf "http://127.0.0.1:$PORT/api/v1/spend/bodies/camden" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["suppliers"][0]["supplier_id"])')
  timeit() {
    curl -sf -o /dev/null "http://127.0.0.1:$PORT$1"
    for _ in $(seq 15); do
      curl -sf -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT$1"
    done | median | awk '{printf "%.1f", $1 * 1000}'
  }
  # Red flags first, cold and then from the cache: worked out on first request, they would
  # otherwise run in the background while the pages below are timed. London's through the
  # API, which waits for them (the server's background job starts the same work when it
  # starts, and the request joins it), then the pages, which wait at most 5 s.
  FLAGS_LONDON_API=$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/api/v1/spend/flags?scope=london" | awk '{printf "%.1f", $1}')
  FLAGS_COLD=$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/spend/flags?body=camden" | awk '{printf "%.1f", $1}')
  FLAGS_LONDON_COLD=$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/spend/flags" | awk '{printf "%.1f", $1}')
  FLAGS_WARM=$(timeit "/spend/flags?body=camden")
  Q_CONC_API=$(timeit "/api/v1/spend/categories?scope=london")
  Q_CONC_PAGE=$(timeit "/spend/categories?scope=london")
  Q_SUPPLIER=$(timeit "/spend/suppliers/$TOP")
  Q_BODY=$(timeit "/spend/bodies/camden")
  Q_OVERVIEW=$(timeit "/spend")
  kill $SERVER; wait $SERVER 2>/dev/null || true
  trap - EXIT

  IMPORTED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rows_imported"])' "$WORK/report-$ROWS.json")
  python3 - "$ROWS" "$SIZE" "$PK_SECS" "$PK_KB" "$IMPORTED" "$DUCK_SECS" "$DUCK_ROWS" \
    "$Q_CONC_API" "$Q_CONC_PAGE" "$Q_SUPPLIER" "$Q_BODY" "$Q_OVERVIEW" \
    "$FLAGS_COLD" "$FLAGS_LONDON_COLD" "$FLAGS_WARM" "$FLOOR_SECS" "$FLOOR_ROWS" "$FLAGS_LONDON_API" <<'PY'
import sys
(rows, size, pk, kb, imported, duck, duck_rows, c_api, c_page, sup, body, over,
 f_cold, f_london, f_warm, floor, floor_rows, f_london_api) = sys.argv[1:]
rows, imported, duck_rows, floor_rows = int(rows), int(imported), int(duck_rows), int(floor_rows)
pk, duck, floor = float(pk), float(duck), float(floor)
print(f"| {rows:,} rows ({size}) | procurekit import: {pk:.1f} s ({imported / pk:,.0f} rows/s), "
      f"peak memory {int(kb) / 1024:.0f} MB | DuckDB read_csv_auto: {duck:.1f} s "
      f"({duck_rows / duck:,.0f} rows/s) | SQLite storing ready-made rows: {floor:.1f} s "
      f"({floor_rows / floor:,.0f} rows/s) | concentration API {c_api} ms, page {c_page} ms | "
      f"supplier profile {sup} ms | body overview {body} ms | London overview {over} ms | "
      f"red flags, one body: {f_cold} s cold (page), {f_warm} ms cached; London: "
      f"{f_london_api} s to work out (API), page {f_london} s |")
PY
done

#!/usr/bin/env python3
"""The least time SQLite needs to store N payments, for comparison with the import.

Part of scripts/bench-spend.sh (not a test). It answers one question: how fast could any
import be that keeps payments as rows in SQLite with the indexes the product reads, if
reading the CSV, resolving suppliers, categorising and summing cost nothing at all?

The payments table and its indexes are copied from a freshly migrated procurekit database,
so the measurement follows the real schema. N synthetic rows (33 bodies, two years of
dates, 40,000 suppliers, 5% redacted, random fingerprints) are made first in a temporary
table, untimed. Timed: one transaction that copies them into the empty payments table with
no index in place, builds the indexes afterwards (the cheapest order) and commits, with the
settings found fastest here (WAL, synchronous NORMAL, no foreign key checks, two sorter
threads, the default page cache: a larger cache makes index builds slower). That is a lower
bound for an import of N rows that stores them as SQLite rows.

    sqlite_floor.py MIGRATED_DB ROWS SCRATCH_DB   ->  prints "<seconds> <rows>"
"""
import os
import sqlite3
import sys
import time

schema_db, rows, scratch = sys.argv[1], int(sys.argv[2]), sys.argv[3]

src = sqlite3.connect(schema_db)
table_sql = src.execute(
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'spend_payments'"
).fetchone()[0]
index_sql = [
    r[0]
    for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'spend_payments'"
        " AND sql IS NOT NULL ORDER BY name"
    )
]
src.close()

for suffix in ("", "-wal", "-shm"):
    if os.path.exists(scratch + suffix):
        os.remove(scratch + suffix)
db = sqlite3.connect(scratch, isolation_level=None)
for pragma in (
    "journal_mode = WAL",
    "synchronous = NORMAL",
    "foreign_keys = OFF",
    "threads = 2",
):
    db.execute(f"PRAGMA {pragma}")
db.execute(table_sql)
db.execute(
    """CREATE TEMP TABLE ready AS
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       SELECT i,
              1 + (i * 7) % 33 AS org_id,
              date('2022-04-01', '+' || ((i * 7919) % 730) || ' days') AS paid_on,
              50000 + abs(random()) % 5000000 AS amount_pence,
              CASE WHEN i % 20 = 0 THEN NULL ELSE 1 + abs(random()) % 40000 END AS supplier_id,
              1 + abs(random()) % 40000 AS payee_label_id,
              i % 20 = 0 AS redacted,
              1 + abs(random()) % 60 AS category_id,
              1 + abs(random()) % 300 AS expense_label_id,
              1 + abs(random()) % 200 AS service_label_id,
              'T' || (1000000 + i) AS transaction_ref,
              i + 1 AS line_no,
              random() AS fingerprint
       FROM n""",
    (rows,),
)

t = time.perf_counter()
db.execute("BEGIN IMMEDIATE")
db.execute(
    """INSERT INTO spend_payments (import_id, org_id, paid_on, amount_pence, supplier_id,
           payee_label_id, redacted, category_id, expense_label_id, service_label_id,
           transaction_ref, line_no, fingerprint)
       SELECT 1, org_id, paid_on, amount_pence, supplier_id, payee_label_id, redacted,
              category_id, expense_label_id, service_label_id, transaction_ref, line_no,
              fingerprint
       FROM ready ORDER BY i"""
)
for sql in index_sql:
    db.execute(sql)
db.execute("COMMIT")
secs = time.perf_counter() - t
n = db.execute("SELECT COUNT(*) FROM spend_payments").fetchone()[0]
db.close()
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(scratch + suffix):
        os.remove(scratch + suffix)
print(f"{secs:.2f} {n}")

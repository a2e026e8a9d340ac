-- The London spend database: councils' published "spend over £500" files, imported into one
-- shape. Money is integer pence; calendar dates are ISO text (SQLite) / DATE (PostgreSQL);
-- months are 'YYYY-MM' text so that both engines sort and group them the same way.

-- The shared category taxonomy (data/spend/categories.toml), refreshed at start-up.
CREATE TABLE spend_categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- CPV divisions (two digits) that correspond, comma-separated; '' when none does
    cpv_divisions TEXT NOT NULL,
    -- false for money that is not bought from a market (grants, tax, transfers between
    -- public bodies): those are kept, but left out of market concentration
    is_market BOOLEAN NOT NULL
);

-- One imported file (or one CSV inside a ZIP). Published open data, so its record is public;
-- the uploader is shown only to people of the body that owns it.
CREATE TABLE spend_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('private', 'london', 'public')),
    file_name TEXT NOT NULL,
    -- SHA-256 of the file's bytes: "this is the same file as import 12"
    file_sha256 TEXT NOT NULL,
    -- 'transactions', or 'supplier_totals' for files that publish one total per supplier
    kind TEXT NOT NULL CHECK (kind IN ('transactions', 'supplier_totals')),
    rows_imported INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    first_date TEXT,
    last_date TEXT,
    distinct_suppliers INTEGER NOT NULL,
    -- the whole report as the importer printed it (mapping, skipped rows by reason, problems)
    report_json TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('cli', 'web', 'demo')),
    imported_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX spend_imports_org ON spend_imports (org_id, created_at);

-- Texts that repeat on every row (how a council names a payee, an expense type, a service
-- area) are stored once and referred to by number: rows stay small and imports fast.
CREATE TABLE spend_labels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'payee', 'expense' or 'service'
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (kind, text)
);

-- One payment (or, for supplier-total files, one supplier's total for the file's period).
CREATE TABLE spend_payments (
    -- a plain rowid (no AUTOINCREMENT): cheaper on the hot path of large imports
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES spend_imports (id),
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    paid_on TEXT NOT NULL,
    amount_pence BIGINT NOT NULL,
    -- NULL for redacted or unnamed payees, which are never suppliers
    supplier_id INTEGER REFERENCES suppliers (id),
    payee_label_id INTEGER REFERENCES spend_labels (id),
    redacted BOOLEAN NOT NULL,
    category_id INTEGER NOT NULL REFERENCES spend_categories (id),
    expense_label_id INTEGER REFERENCES spend_labels (id),
    service_label_id INTEGER REFERENCES spend_labels (id),
    transaction_ref TEXT,
    -- the file's own line number, so a figure can be traced back to the published file
    line_no INTEGER NOT NULL,
    -- a stable hash of the row's body, date, payee, amount, transaction reference and its
    -- repetition within its file: re-importing a file, or an overlapping one, adds nothing
    fingerprint BIGINT NOT NULL
);
-- Dedup key. The date leads so that a month's file writes into one neighbourhood of the
-- index, which keeps large imports fast; it also serves "this body's payments by date".
CREATE UNIQUE INDEX spend_payments_dedup ON spend_payments (org_id, paid_on, fingerprint);
CREATE INDEX spend_payments_supplier ON spend_payments (supplier_id);
CREATE INDEX spend_payments_import ON spend_payments (import_id);

-- Rollups, kept up to date in the same transaction as each import, so that analysis pages
-- answer from aggregates rather than a scan of every payment. Redacted and unnamed payees
-- count in body totals (spend_r_org_month, spend_r_org_category) but not in supplier ones.
CREATE TABLE spend_r_org_month (
    org_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    redacted_pence BIGINT NOT NULL,
    PRIMARY KEY (org_id, month)
);

CREATE TABLE spend_r_org_category (
    org_id INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    PRIMARY KEY (org_id, category_id)
);

CREATE TABLE spend_r_org_supplier (
    org_id INTEGER NOT NULL,
    supplier_id INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    first_date TEXT NOT NULL,
    last_date TEXT NOT NULL,
    PRIMARY KEY (org_id, supplier_id)
);
CREATE INDEX spend_r_org_supplier_supplier ON spend_r_org_supplier (supplier_id);
CREATE INDEX spend_r_org_supplier_top ON spend_r_org_supplier (org_id, total_pence);

CREATE TABLE spend_r_supplier_month (
    supplier_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    PRIMARY KEY (supplier_id, month)
);

-- Who buys what from whom, by financial year (April to March, named by its first year):
-- category markets, "which boroughs buy from whom" and share jumps.
CREATE TABLE spend_r_market (
    category_id INTEGER NOT NULL,
    supplier_id INTEGER NOT NULL,
    org_id INTEGER NOT NULL,
    fy INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    PRIMARY KEY (category_id, supplier_id, org_id, fy)
);
CREATE INDEX spend_r_market_supplier ON spend_r_market (supplier_id);

-- Spend per expense label as each body wrote it, with the category it was mapped to: the
-- "uncategorised" report, and the evidence for improving the mapping.
CREATE TABLE spend_r_label (
    org_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    payments INTEGER NOT NULL,
    PRIMARY KEY (org_id, label_id, category_id)
);

-- Market concentration per category, recomputed for the categories an import touched.
-- scope 'london' counts the 33 London authorities only; 'all' every body in the database.
-- Shares are in basis points (1/100 of a per cent); HHI on the 0–10,000 scale.
CREATE TABLE spend_category_stats (
    scope TEXT NOT NULL,
    category_id INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    suppliers INTEGER NOT NULL,
    buyers INTEGER NOT NULL,
    cr4_bp INTEGER NOT NULL,
    hhi INTEGER NOT NULL,
    top_supplier_id INTEGER,
    top_share_bp INTEGER NOT NULL,
    PRIMARY KEY (scope, category_id)
);

-- Thresholds for the "just under a threshold" red flag, in pence. Seeded with £500, £5,000,
-- £30,000 and the Procurement Act 2023 thresholds; platform admins may change them.
CREATE TABLE spend_thresholds (
    amount_pence BIGINT PRIMARY KEY,
    label TEXT NOT NULL
);

-- Admin decisions that two supplier entries are one (merge) or that an alias belongs to a
-- different supplier (split), kept as an audit of who decided what.
CREATE TABLE supplier_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    other_supplier_id INTEGER REFERENCES suppliers (id),
    alias TEXT,
    decided_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);

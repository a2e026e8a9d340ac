-- Notices imported from OCDS publications (Contracts Finder, Find a Tender): the releases as
-- published, and per contracting process (ocid) its compiled record with the fields officers
-- search on. Imported notices are public data by nature, so they carry no org_id/visibility:
-- everyone, signed in or not, may read them. The buyer is who bought, not who owns the row.

CREATE TABLE ocds_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ocid TEXT NOT NULL UNIQUE,
    -- the compiled release (JSON); compiled_from says whether procurekit merged it from the
    -- stored releases ('releases') or took a record package's compiledRelease ('publisher')
    -- because only linked releases were given
    compiled_release TEXT NOT NULL,
    compiled_from TEXT NOT NULL CHECK (compiled_from IN ('releases', 'publisher')),
    -- SHA-256 of the canonical compiled release: a re-import that changes nothing writes nothing
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    -- the London authority that bought, when the buyer is one (by name variant, GB-LAE code or GSS code)
    buyer_org_id INTEGER REFERENCES organisations (id),
    -- any UK council's mySociety register code and GSS code, London or not
    buyer_council_code TEXT,
    buyer_gss_code TEXT,
    tender_status TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('planned', 'open', 'closed', 'awarded', 'contracted', 'cancelled', 'unsuccessful', 'unknown')),
    procurement_method TEXT,
    procurement_method_details TEXT,
    -- pounds sterling in pence; NULL when not given or given in another currency
    tender_value_pence BIGINT,
    awarded_value_pence BIGINT,
    tender_deadline DATE,
    award_date DATE,
    contract_start DATE,
    contract_end DATE,
    -- first and latest release dates (Unix seconds)
    first_published_at INTEGER NOT NULL,
    last_release_at INTEGER NOT NULL,
    -- lower-cased title, description, buyer and suppliers, for keyword search with LIKE
    search_text TEXT NOT NULL,
    source_uri TEXT,
    imported_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ocds_records_buyer_org ON ocds_records (buyer_org_id);
CREATE INDEX ocds_records_last_release ON ocds_records (last_release_at);

-- Releases exactly as published (JSON). (ocid, release_id) identifies a release in OCDS, so a
-- re-import of the same file finds every release already there. Joined to records by ocid:
-- releases are stored before their record is compiled from them.
CREATE TABLE ocds_releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ocid TEXT NOT NULL,
    release_id TEXT NOT NULL,
    -- the release's own date (Unix seconds): the merge order, and what `since` filters on
    release_at INTEGER NOT NULL,
    release_date TEXT NOT NULL,
    tags TEXT NOT NULL,
    release_json TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    package_uri TEXT,
    imported_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (ocid, release_id)
);
CREATE INDEX ocds_releases_at ON ocds_releases (release_at, id);

-- CPV codes of a record's items: code is the eight digits (prefix searches use LIKE '722%'),
-- full_code the form with check digit when the code is in CPV 2008.
CREATE TABLE ocds_record_cpv (
    record_id INTEGER NOT NULL REFERENCES ocds_records (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    full_code TEXT NOT NULL,
    PRIMARY KEY (record_id, code)
);
CREATE INDEX ocds_record_cpv_code ON ocds_record_cpv (code);

-- Suppliers on a record's standing awards, resolved to the shared supplier register.
CREATE TABLE ocds_record_suppliers (
    record_id INTEGER NOT NULL REFERENCES ocds_records (id) ON DELETE CASCADE,
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    -- the name as this notice spells it
    name TEXT NOT NULL,
    company_number TEXT,
    PRIMARY KEY (record_id, supplier_id)
);
CREATE INDEX ocds_record_suppliers_supplier ON ocds_record_suppliers (supplier_id);

-- One row that every import updates first, inside its transaction: on PostgreSQL the row lock
-- makes imports from several instances run one after another (each compiles records from every
-- committed release of a process, so two at once could each miss the other's releases); on
-- SQLite the transaction's write lock already does.
CREATE TABLE ocds_import_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_import_at BIGINT NOT NULL
);
INSERT INTO ocds_import_lock (id, last_import_at) VALUES (1, 0);

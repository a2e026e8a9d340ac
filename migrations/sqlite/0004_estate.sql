-- The technology estate and contracts register (City Tools kept live): each organisation's
-- systems and the contracts behind them. Owned records with a visibility, like documents.

-- One file imported into the estate, for provenance ("where did this row come from?").
CREATE TABLE estate_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    file_name TEXT NOT NULL,
    -- 'procurekit' (the documented estate layout) or 'contracts_register'
    layout TEXT NOT NULL,
    rows_added INTEGER NOT NULL,
    rows_updated INTEGER NOT NULL,
    -- NULL when imported from the command line
    imported_by INTEGER REFERENCES users (id),
    imported_at INTEGER NOT NULL
);
CREATE INDEX estate_imports_org ON estate_imports (org_id, imported_at);

CREATE TABLE estate_systems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london', 'public')),
    service_area TEXT NOT NULL,
    -- the system or product as the organisation names it; product_key is its comparable form
    -- (lower case, punctuation folded) so "which boroughs use X" groups spellings together
    system_name TEXT NOT NULL,
    product_key TEXT NOT NULL,
    -- the supplier as written, and its entry in the shared register (NULL for "Various",
    -- "In-house" and the like, which are not one company)
    supplier_name TEXT NOT NULL,
    supplier_id INTEGER REFERENCES suppliers (id),
    -- who makes the product when the supplier is a reseller or integrator
    manufacturer TEXT,
    contract_reference TEXT,
    -- ISO dates (TEXT on SQLite, DATE on PostgreSQL); NULL when not known
    contract_start TEXT,
    contract_end TEXT,
    annual_value_pence INTEGER CHECK (annual_value_pence >= 0),
    hosting TEXT CHECK (hosting IN ('on_premises', 'cloud', 'hybrid', 'saas')),
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    notes TEXT NOT NULL DEFAULT '',
    -- 'form', 'import' or 'demo'
    source TEXT NOT NULL CHECK (source IN ('form', 'import', 'demo')),
    import_id INTEGER REFERENCES estate_imports (id),
    -- identity of the record within its organisation: reference, product, supplier and start,
    -- normalised. Re-importing a register updates the rows it already holds instead of adding
    -- them again, and a form cannot add the same contract twice.
    record_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    UNIQUE (org_id, record_key)
);
CREATE INDEX estate_systems_end ON estate_systems (contract_end);
CREATE INDEX estate_systems_supplier ON estate_systems (supplier_id);
CREATE INDEX estate_systems_product ON estate_systems (product_key);
CREATE INDEX estate_systems_visibility ON estate_systems (visibility);

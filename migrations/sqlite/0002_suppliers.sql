-- The supplier register shared by every capability (spend, estate, notices, accounts).
CREATE TABLE suppliers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the name as first seen; normalised_name is the comparable form (suppliers::names)
    name TEXT NOT NULL,
    normalised_name TEXT NOT NULL,
    company_number TEXT UNIQUE,
    vat_number TEXT,
    -- the supplier's own organisation, once it has registered on procurekit
    org_id INTEGER REFERENCES organisations (id),
    -- an admin's merge: this entry now stands for the one it points to
    merged_into INTEGER REFERENCES suppliers (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX suppliers_normalised ON suppliers (normalised_name);
CREATE INDEX suppliers_vat ON suppliers (vat_number);

-- Every normalised name a source has used for a supplier, so the next file with the same
-- spelling resolves without guessing.
CREATE TABLE supplier_aliases (
    normalised_name TEXT PRIMARY KEY,
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    -- 'import' (learnt from data) or 'admin' (a person's merge decision, which imports respect)
    source TEXT NOT NULL
);
CREATE INDEX supplier_aliases_supplier ON supplier_aliases (supplier_id);

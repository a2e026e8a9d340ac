-- Contract management: contracts a borough manages after award, with their KPIs and
-- measurements, review meetings, actions and continuous-improvement items, risks, extension
-- options, documents, Procurement Act 2023 performance assessments, and the supplier ratings
-- boroughs share across London.

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    -- the borough's own reference or the Find a Tender identifier, as officers quote it
    reference TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- the shared supplier register, so ratings and contracts join up across London
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    -- whole-life value including VAT, in pence: the figure the Procurement Act's £5m test uses
    value_pence INTEGER,
    start_date TEXT,
    end_date TEXT NOT NULL,
    -- the last date on which the borough can give notice (to end, or not to renew)
    notice_date TEXT,
    owner_user_id INTEGER REFERENCES users (id),
    -- whether section 52 (KPIs) and section 71 (performance notices) of the Act apply
    kpi_duty TEXT NOT NULL CHECK (kpi_duty IN ('applies', 'earlier_rules', 'framework', 'concession', 'light_touch', 'not_assessable')),
    -- contract records are internal: shared with London authorities at most, never public
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london')),
    -- where the record came from; source_id points into that source's table
    source_kind TEXT NOT NULL CHECK (source_kind IN ('manual', 'procurement', 'joint_partner', 'estate_record')),
    source_id INTEGER,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((source_kind = 'manual') = (source_id IS NULL)),
    CHECK (start_date IS NULL OR start_date <= end_date),
    CHECK (notice_date IS NULL OR notice_date <= end_date)
);
CREATE INDEX contracts_org ON contracts (org_id, end_date);
CREATE INDEX contracts_supplier ON contracts (supplier_id);
-- One contract per organisation from one source record (a joint procurement makes one per
-- partner, each in its own organisation); manual contracts have no source.
CREATE UNIQUE INDEX contracts_source ON contracts (source_kind, source_id, org_id) WHERE source_id IS NOT NULL;

CREATE TABLE contract_activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    detail TEXT NOT NULL
);
CREATE INDEX contract_activity_contract ON contract_activity (contract_id, id);

CREATE TABLE contract_extensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    months INTEGER NOT NULL CHECK (months BETWEEN 1 AND 120),
    -- when the borough must decide whether to use it
    decide_by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('available', 'used', 'declined')),
    decided_at INTEGER,
    decided_by INTEGER REFERENCES users (id)
);
CREATE INDEX contract_extensions_contract ON contract_extensions (contract_id);

CREATE TABLE contract_kpis (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- how it is measured, as the contract defines it
    definition TEXT NOT NULL,
    unit TEXT NOT NULL,
    target REAL NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    -- optional: from here to the target counts as "approaching target" rather than below it
    approaching_threshold REAL,
    frequency TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'six_monthly', 'annually')),
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX contract_kpis_contract ON contract_kpis (contract_id, position);

CREATE TABLE kpi_measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kpi_id INTEGER NOT NULL REFERENCES contract_kpis (id) ON DELETE CASCADE,
    -- the last day of the period measured; the KPI's frequency says how long the period is
    period_end TEXT NOT NULL,
    value REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    UNIQUE (kpi_id, period_end)
);

CREATE TABLE contract_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    held_on TEXT NOT NULL,
    attendees TEXT NOT NULL DEFAULT '',
    minutes TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX contract_reviews_contract ON contract_reviews (contract_id, held_on);

-- Review actions and continuous-improvement items: both are owned, dated pieces of work, and
-- the dashboard and reminders treat them the same way.
CREATE TABLE contract_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('action', 'improvement')),
    review_id INTEGER REFERENCES contract_reviews (id) ON DELETE SET NULL,
    description TEXT NOT NULL,
    -- improvements: the benefit expected (saving, better service, new capability)
    benefit TEXT NOT NULL DEFAULT '',
    owner_user_id INTEGER REFERENCES users (id),
    -- the supplier owns it (its people have no account in the borough)
    owner_is_supplier BOOLEAN NOT NULL DEFAULT FALSE,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contract_actions_contract ON contract_actions (contract_id, due_on);

CREATE TABLE contract_risks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    rag TEXT NOT NULL CHECK (rag IN ('red', 'amber', 'green')),
    mitigation TEXT NOT NULL DEFAULT '',
    owner_user_id INTEGER REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contract_risks_contract ON contract_risks (contract_id);

-- Documents are small files kept in the database (instances are stateless, and the backup
-- then covers them) or links to where a borough already keeps them.
CREATE TABLE contract_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'link')),
    url TEXT,
    file_name TEXT,
    -- set from the checked file type, never from what the browser claimed
    content_type TEXT,
    size_bytes INTEGER,
    content BLOB,
    uploaded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CHECK ((kind = 'file') = (content IS NOT NULL)),
    CHECK ((kind = 'link') = (url IS NOT NULL))
);
CREATE INDEX contract_documents_contract ON contract_documents (contract_id);

-- Procurement Act 2023 s71: performance against the KPIs, assessed at least every 12 months
-- and published in a contract performance notice (Procurement Regulations 2024, reg. 39).
CREATE TABLE performance_assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_on TEXT,
    -- the notice's identifier on Find a Tender, once published there
    notice_reference TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CHECK (period_start <= period_end),
    CHECK ((status = 'published') = (published_on IS NOT NULL))
);
CREATE INDEX performance_assessments_contract ON performance_assessments (contract_id);

CREATE TABLE assessment_ratings (
    assessment_id INTEGER NOT NULL REFERENCES performance_assessments (id) ON DELETE CASCADE,
    kpi_id INTEGER NOT NULL REFERENCES contract_kpis (id) ON DELETE CASCADE,
    rating TEXT NOT NULL CHECK (rating IN ('good', 'approaching_target', 'requires_improvement', 'inadequate', 'other')),
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assessment_id, kpi_id)
);

-- A borough's rating of a supplier after a review meeting, shared with London authorities.
-- Suppliers read aggregates and notes only: the store never selects org_id or rated_by for them.
CREATE TABLE supplier_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    review_id INTEGER NOT NULL UNIQUE REFERENCES contract_reviews (id) ON DELETE CASCADE,
    supplier_id INTEGER NOT NULL REFERENCES suppliers (id),
    rated_by INTEGER REFERENCES users (id),
    -- 1 (poor) to 5 (excellent); NULL where the borough could not judge that aspect
    delivery INTEGER CHECK (delivery BETWEEN 1 AND 5),
    responsiveness INTEGER CHECK (responsiveness BETWEEN 1 AND 5),
    data_access INTEGER CHECK (data_access BETWEEN 1 AND 5),
    price_transparency INTEGER CHECK (price_transparency BETWEEN 1 AND 5),
    continuous_improvement INTEGER CHECK (continuous_improvement BETWEEN 1 AND 5),
    note TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL CHECK (visibility IN ('london')),
    created_at INTEGER NOT NULL
);
CREATE INDEX supplier_ratings_supplier ON supplier_ratings (supplier_id);
CREATE INDEX supplier_ratings_contract ON supplier_ratings (contract_id, id);

-- Reminders already queued, so the daily job sends each one once per item, threshold and
-- date (a moved date re-arms its reminders).
CREATE TABLE contract_reminders (
    kind TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    threshold_days INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (kind, item_id, threshold_days, due_on)
);

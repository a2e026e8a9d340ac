-- Procurements: the backbone of the toolkit. A borough's procurement moves through the guide's
-- five stages, carries a checklist drawn from the guide, an activity log, its notices, and the
-- collaboration threads other boroughs open on it.
CREATE TABLE procurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    -- the need, in the borough's words: what a pipeline notice calls the description
    need TEXT NOT NULL,
    -- CPV 2008, eight digits; division (2) and group (3) kept for matching by prefix
    cpv_code TEXT NOT NULL,
    cpv_division TEXT NOT NULL,
    cpv_group TEXT NOT NULL,
    estimated_value_pence INTEGER,
    incumbent TEXT NOT NULL DEFAULT '',
    incumbent_end_date TEXT,
    owner_user_id INTEGER REFERENCES users (id),
    team TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL CHECK (stage IN ('preparation', 'strategy', 'design', 'execution', 'management')),
    status TEXT NOT NULL CHECK (status IN ('planned', 'tender_open', 'awarded', 'cancelled')),
    procedure_kind TEXT NOT NULL,
    expected_tender_date TEXT,
    expected_start_date TEXT,
    contract_months INTEGER,
    sme_suitable BOOLEAN NOT NULL DEFAULT FALSE,
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london', 'public')),
    published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX procurements_org ON procurements (org_id);
CREATE INDEX procurements_cpv ON procurements (cpv_division, cpv_group);
CREATE INDEX procurements_visibility ON procurements (visibility, expected_tender_date);

CREATE TABLE checklist_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procurement_id INTEGER NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    -- the guide page the item comes from; its templates are linked from the page
    guide_slug TEXT NOT NULL,
    title TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('todo', 'doing', 'done', 'not_needed')),
    assignee_user_id INTEGER REFERENCES users (id),
    due_date TEXT,
    UNIQUE (procurement_id, guide_slug)
);

CREATE TABLE procurement_activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procurement_id INTEGER NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX procurement_activity_procurement ON procurement_activity (procurement_id, id);

-- Notices a procurement carries as data (Procurement Act 2023: tender, award, contract details).
CREATE TABLE procurement_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procurement_id INTEGER NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('tender', 'award', 'contract')),
    published_on TEXT NOT NULL,
    tender_deadline TEXT,
    supplier_id INTEGER REFERENCES suppliers (id),
    value_pence INTEGER,
    contract_start TEXT,
    contract_end TEXT,
    details TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX procurement_notices_procurement ON procurement_notices (procurement_id);

CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- the opportunities board's query string, re-parsed (never trusted) when used
    query TEXT NOT NULL,
    alerts TEXT NOT NULL CHECK (alerts IN ('off', 'daily', 'immediate')),
    -- opportunities published after this instant are news for the next alert
    last_alerted_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Opportunities already sent to a saved search's owner, so an alert never repeats one and
-- never misses one (timestamps alone cannot tell apart two events in the same second).
CREATE TABLE saved_search_hits (
    saved_search_id INTEGER NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    procurement_id INTEGER NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    PRIMARY KEY (saved_search_id, procurement_id)
);

-- Two boroughs talking about one procurement: visible to those two organisations only.
CREATE TABLE collaborations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procurement_id INTEGER NOT NULL REFERENCES procurements (id) ON DELETE CASCADE,
    owner_org_id INTEGER NOT NULL REFERENCES organisations (id),
    partner_org_id INTEGER NOT NULL REFERENCES organisations (id),
    initiated_by_org_id INTEGER NOT NULL REFERENCES organisations (id),
    -- interested: the partner asked to join; invited: the owner asked the partner;
    -- active: both agreed; declined: one side said no
    status TEXT NOT NULL CHECK (status IN ('interested', 'invited', 'active', 'declined')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (procurement_id, partner_org_id)
);

CREATE TABLE collaboration_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    collaboration_id INTEGER NOT NULL REFERENCES collaborations (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL CHECK (topic IN ('general', 'price', 'specification', 'route', 'supplier')),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Joint procurements: several boroughs buying together, led by one. The workspace is visible
-- to the partner organisations only; each partner's internal notes to that partner only.
CREATE TABLE joint_procurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the lead borough's procurement record: stages, checklist, notices live there
    procurement_id INTEGER NOT NULL UNIQUE REFERENCES procurements (id),
    lead_org_id INTEGER NOT NULL REFERENCES organisations (id),
    -- the timeline planner's inputs: when planning starts, and the date the contract must start by
    plan_start TEXT NOT NULL,
    must_start_by TEXT,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE joint_partners (
    joint_id INTEGER NOT NULL REFERENCES joint_procurements (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    -- the partner's share of the contract value: it picks which of its bodies must approve
    share_pence INTEGER NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (joint_id, org_id)
);
CREATE INDEX joint_partners_org ON joint_partners (org_id);

-- Things that happened after planning: a meeting cancelled, a milestone slipped. The plan is
-- recomputed from the profiles with these applied, and compared with the plan without them.
CREATE TABLE joint_plan_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    joint_id INTEGER NOT NULL REFERENCES joint_procurements (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('cancel', 'slip')),
    partner_slug TEXT NOT NULL DEFAULT '',
    body_id INTEGER NOT NULL DEFAULT 0,
    milestone TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);

-- The joint specification and evaluation criteria, versioned; each partner signs off a version.
CREATE TABLE joint_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    joint_id INTEGER NOT NULL REFERENCES joint_procurements (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('specification', 'evaluation')),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    change_note TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    UNIQUE (joint_id, kind, version)
);

CREATE TABLE joint_signoffs (
    document_id INTEGER NOT NULL REFERENCES joint_documents (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (document_id, org_id)
);

-- The shared workspace: decision log, tasks, messages; and each partner's private notes.
CREATE TABLE joint_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    joint_id INTEGER NOT NULL REFERENCES joint_procurements (id) ON DELETE CASCADE,
    -- decision, task, message: seen by every partner; note: seen by its own organisation only
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'task', 'message', 'note')),
    body TEXT NOT NULL,
    -- tasks: who owns it, by when, and whether it is done
    owner_org_id INTEGER REFERENCES organisations (id),
    due_date TEXT,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX joint_entries_joint ON joint_entries (joint_id, kind);

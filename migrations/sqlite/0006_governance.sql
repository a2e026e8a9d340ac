-- Governance profiles (joint procurement): how each borough approves procurements, so that
-- the timeline planner can find when every partner's approvals line up.

-- One profile per organisation. Visibility as for every owned record: a profile is usually
-- shared with London authorities ('london'); it can be kept private while being drafted.
CREATE TABLE governance_profiles (
    org_id INTEGER PRIMARY KEY REFERENCES organisations (id),
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london', 'public')),
    -- TRUE for the demo's example profiles, which every page labels "example profile, not the
    -- borough's real constitution".
    is_example BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users (id)
);

-- A body that approves gates (cabinet, a cabinet member, a board, an officer delegation).
CREATE TABLE governance_bodies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES governance_profiles (org_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cabinet', 'cabinet_member', 'committee', 'procurement_board', 'spend_control_board', 'officer_delegation')),
    -- Recurring rules, one per line, in the canonical text MeetingRule::parse reads back
    -- ("second Tuesday monthly"): officers edit them as text, so they are stored as text.
    meeting_rules TEXT NOT NULL,
    -- Working days before the meeting by which papers must be in.
    paper_deadline_days INTEGER NOT NULL CHECK (paper_deadline_days BETWEEN 0 AND 60),
    call_in_days INTEGER NOT NULL CHECK (call_in_days BETWEEN 0 AND 60),
    call_in_count TEXT NOT NULL CHECK (call_in_count IN ('working', 'calendar')),
    UNIQUE (org_id, name)
);

-- Dates added to or cancelled from a body's recurring calendar.
CREATE TABLE governance_meeting_dates (
    body_id INTEGER NOT NULL REFERENCES governance_bodies (id) ON DELETE CASCADE,
    meeting_date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('extra', 'cancelled')),
    PRIMARY KEY (body_id, meeting_date, kind)
);

-- Which body approves a gate for values in [min_pence, max_pence); max NULL = no limit.
-- A body cannot be deleted while a gate uses it (no cascade): the page says which gates.
CREATE TABLE governance_gates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES governance_profiles (org_id) ON DELETE CASCADE,
    gate TEXT NOT NULL CHECK (gate IN ('business_case', 'procurement_strategy', 'spend_control', 'contract_award', 'contract_variation')),
    body_id INTEGER NOT NULL REFERENCES governance_bodies (id),
    min_pence BIGINT NOT NULL CHECK (min_pence >= 0),
    max_pence BIGINT CHECK (max_pence IS NULL OR max_pence > min_pence)
);
CREATE INDEX governance_gates_org ON governance_gates (org_id);

-- Periods without decisions: pre-election periods, recesses, Christmas. Inclusive dates;
-- a yearly blackout repeats on the same days every year from its first year.
CREATE TABLE governance_blackouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES governance_profiles (org_id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL CHECK (end_date >= start_date),
    yearly BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX governance_blackouts_org ON governance_blackouts (org_id);

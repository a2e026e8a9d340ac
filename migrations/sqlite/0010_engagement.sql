-- Engagement: suppliers' own accounts and profiles, market engagement events, and the pitch
-- inbox. A category is a CPV division (2 digits, "72") or group (3 digits, "722"), stored as
-- those digits so that "overlaps" is a prefix comparison on both backends.

-- A supplier organisation's profile. One row per organisation of kind 'supplier'.
CREATE TABLE supplier_profiles (
    org_id INTEGER PRIMARY KEY REFERENCES organisations (id),
    -- the shared supplier register entry (spend, estate, notices), linked by company number
    supplier_id INTEGER REFERENCES suppliers (id),
    -- Companies House number as CompanyNumber parses it; one procurekit account per company
    company_number TEXT UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    sme BOOLEAN NOT NULL DEFAULT FALSE,
    vcse BOOLEAN NOT NULL DEFAULT FALSE,
    london_based BOOLEAN NOT NULL DEFAULT FALSE,
    -- free text beside the certification ticks: how the supplier meets WCAG, its security posture
    accessibility TEXT NOT NULL DEFAULT '',
    security TEXT NOT NULL DEFAULT '',
    -- set when the first user follows the emailed link; the directory lists only these
    email_verified_at INTEGER,
    -- a platform admin's check that the organisation is who it says it is
    verified_at INTEGER,
    verified_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE supplier_categories (
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    category TEXT NOT NULL,
    PRIMARY KEY (org_id, category)
);
CREATE INDEX supplier_categories_category ON supplier_categories (category);

CREATE TABLE supplier_certifications (
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    certification TEXT NOT NULL,
    PRIMARY KEY (org_id, certification)
);

CREATE TABLE supplier_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX supplier_products_org ON supplier_products (org_id);

CREATE TABLE supplier_case_studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    client TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX supplier_case_studies_org ON supplier_case_studies (org_id);

-- Links emailed to confirm an address; stored as the token's SHA-256 only.
CREATE TABLE email_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- Every registration attempt that got past the form's checks, by client address, so that
-- registrations are throttled per address on every instance alike.
CREATE TABLE registration_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL,
    -- registered, resent (a repeated registration re-sends the link) or honeypot (a bot)
    outcome TEXT NOT NULL CHECK (outcome IN ('registered', 'resent', 'honeypot'))
);
CREATE INDEX registration_attempts_ip_at ON registration_attempts (ip, at);

-- A borough's pitch inbox settings, set by its organisation admins.
CREATE TABLE pitch_settings (
    org_id INTEGER PRIMARY KEY REFERENCES organisations (id),
    -- working target: a decision (shortlisted, declined, referred) within this many days
    target_days INTEGER NOT NULL,
    -- whether new triage decisions are shared London-wide unless the officer unticks it
    share_by_default BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at INTEGER NOT NULL
);

-- The categories a borough wants pitches for: a pitch reaches every borough with a category
-- that overlaps one of the pitch's.
CREATE TABLE pitch_interests (
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    category TEXT NOT NULL,
    PRIMARY KEY (org_id, category)
);
CREATE INDEX pitch_interests_category ON pitch_interests (category);

-- Market engagement events: run by a lead borough, with partner boroughs, for a procurement
-- or for a category.
CREATE TABLE engagements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    procurement_id INTEGER REFERENCES procurements (id),
    -- for a procurement, the group of its CPV code; otherwise the category chosen
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rfi', 'supplier_day', 'demo')),
    format TEXT NOT NULL CHECK (format IN ('online', 'in_person', 'hybrid')),
    -- where an in-person event is held; the joining link of an online one is given to
    -- registered suppliers only
    location TEXT NOT NULL DEFAULT '',
    joining_details TEXT NOT NULL DEFAULT '',
    event_date TEXT,
    event_start TEXT,
    event_end TEXT,
    -- registrations, questionnaire answers and questions close at the end of this day (the
    -- date a preliminary market engagement notice gives as its close)
    closes_on TEXT NOT NULL,
    -- supplier organisations that may register; NULL for no limit
    capacity INTEGER,
    -- kept by the same UPDATE that admits a registration, so capacity holds under concurrency
    registered_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'completed', 'cancelled')),
    -- what the running boroughs learnt (theirs only) and what they publish (everyone)
    outcome TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    opened_at INTEGER,
    summary_published_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX engagements_org ON engagements (org_id);
CREATE INDEX engagements_procurement ON engagements (procurement_id);

-- Boroughs running an event together with its lead: they manage it as the lead does.
CREATE TABLE engagement_partners (
    engagement_id INTEGER NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (engagement_id, org_id)
);

-- The RFI questionnaire: questions the boroughs write.
CREATE TABLE engagement_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    hint TEXT NOT NULL DEFAULT ''
);

CREATE TABLE engagement_registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
    supplier_org_id INTEGER NOT NULL REFERENCES organisations (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    attendees INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    UNIQUE (engagement_id, supplier_org_id)
);

-- A supplier's answers to the questionnaire: read by the running boroughs, never by others.
CREATE TABLE engagement_answers (
    registration_id INTEGER NOT NULL REFERENCES engagement_registrations (id) ON DELETE CASCADE,
    question_id INTEGER NOT NULL REFERENCES engagement_questions (id) ON DELETE CASCADE,
    answer TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (registration_id, question_id)
);

-- Clarification questions from suppliers. The running boroughs answer and publish them to
-- every participant without the asker's name; published_question is the wording published,
-- which a borough may edit to take out anything that identifies the asker.
CREATE TABLE engagement_clarifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id INTEGER NOT NULL REFERENCES engagements (id) ON DELETE CASCADE,
    supplier_org_id INTEGER NOT NULL REFERENCES organisations (id),
    asked_by INTEGER NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    published_question TEXT,
    answer TEXT,
    answered_by INTEGER REFERENCES users (id),
    published_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX engagement_clarifications_engagement ON engagement_clarifications (engagement_id);

-- A supplier's structured pitch, sent once.
CREATE TABLE pitches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    supplier_org_id INTEGER NOT NULL REFERENCES organisations (id),
    submitted_by INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    problem TEXT NOT NULL,
    audience TEXT NOT NULL,
    product TEXT NOT NULL,
    evidence TEXT NOT NULL,
    pricing_model TEXT NOT NULL,
    pricing TEXT NOT NULL,
    data_api TEXT NOT NULL,
    accessibility TEXT NOT NULL,
    security TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'withdrawn')),
    -- the earlier pitch of the same supplier this one most resembles, and how much (0–100)
    similar_to INTEGER REFERENCES pitches (id),
    similarity INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX pitches_supplier ON pitches (supplier_org_id, created_at);

CREATE TABLE pitch_categories (
    pitch_id INTEGER NOT NULL REFERENCES pitches (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    PRIMARY KEY (pitch_id, category)
);

-- The guide's problem statements a pitch says it answers (ids like p07).
CREATE TABLE pitch_problems (
    pitch_id INTEGER NOT NULL REFERENCES pitches (id) ON DELETE CASCADE,
    problem_id TEXT NOT NULL,
    PRIMARY KEY (pitch_id, problem_id)
);

-- A pitch as it reached one borough: that borough's own triage.
CREATE TABLE pitch_routes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pitch_id INTEGER NOT NULL REFERENCES pitches (id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    status TEXT NOT NULL CHECK (status IN ('new', 'under_review', 'shortlisted', 'declined', 'referred')),
    assignee_user_id INTEGER REFERENCES users (id),
    -- the reason the supplier sees
    reason TEXT NOT NULL DEFAULT '',
    referred_engagement_id INTEGER REFERENCES engagements (id),
    referred_procurement_id INTEGER REFERENCES procurements (id),
    -- the borough's choice to let the other boroughs this pitch reached see its status
    shared_london BOOLEAN NOT NULL DEFAULT FALSE,
    routed_at INTEGER NOT NULL,
    -- routed_at plus the borough's target at the time: a later change of target does not move it
    due_at INTEGER NOT NULL,
    decided_at INTEGER,
    updated_at INTEGER NOT NULL,
    UNIQUE (pitch_id, org_id)
);
CREATE INDEX pitch_routes_org ON pitch_routes (org_id, status);

-- Every change of a route's status, reason or assignee, for the supplier's history (status and
-- reason only) and the borough's.
CREATE TABLE pitch_route_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_id INTEGER NOT NULL REFERENCES pitch_routes (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    assignee_user_id INTEGER REFERENCES users (id)
);
CREATE INDEX pitch_route_history_route ON pitch_route_history (route_id, id);

-- A borough's internal notes on a pitch: that borough's only.
CREATE TABLE pitch_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route_id INTEGER NOT NULL REFERENCES pitch_routes (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX pitch_notes_route ON pitch_notes (route_id);

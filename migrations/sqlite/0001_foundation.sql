-- Foundation: organisations, people, sessions and security records, the guide's comments,
-- saved template documents and the search index. Every instant is Unix seconds (INTEGER) so
-- the same comparisons run on SQLite and PostgreSQL; domain dates are ISO text.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- borough (the 33 London authorities), convenor, supplier, other_public_body
    kind TEXT NOT NULL CHECK (kind IN ('borough', 'convenor', 'supplier', 'other_public_body')),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    -- ONS GSS code, e.g. E09000001 for the City of London; NULL for suppliers
    gss_code TEXT UNIQUE,
    company_number TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    -- stored lower-cased; unique across the platform so sign-in needs only the email
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'commercial_lead', 'org_admin', 'platform_admin', 'supplier_user')),
    -- NULL until an invited user sets a password
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at INTEGER NOT NULL,
    last_sign_in_at INTEGER
);
CREATE INDEX users_org ON users (org_id);

-- Server-side sessions: the cookie holds a random token, the table only its SHA-256, so a
-- leaked database backup cannot be replayed as a signed-in browser.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Every sign-in attempt, kept for throttling (in the database, so that several instances
-- behind a load balancer count the same failures) and for the audit trail.
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX sign_in_attempts_email_at ON sign_in_attempts (email, at);
CREATE INDEX sign_in_attempts_ip_at ON sign_in_attempts (ip, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    org_id INTEGER REFERENCES organisations (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    accepted_at INTEGER
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);

-- "Leave a comment" on any guide page, template or problem statement.
CREATE TABLE guide_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    page_kind TEXT NOT NULL CHECK (page_kind IN ('guide', 'template', 'problem')),
    page_slug TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ip TEXT
);
CREATE INDEX guide_comments_created ON guide_comments (created_at);

-- A template filled in and saved by an organisation, shared as its visibility allows.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    created_by INTEGER NOT NULL REFERENCES users (id),
    template_slug TEXT NOT NULL,
    title TEXT NOT NULL,
    values_json TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london', 'public')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX documents_org ON documents (org_id);

-- Full-text search over everything readable in the guide. The rows are rebuilt from the
-- compiled-in content at start-up; the FTS5 index reads them as an external-content table.
CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (kind, slug)
);
CREATE VIRTUAL TABLE search_fts USING fts5(
    title, summary, body,
    content = 'search_docs', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

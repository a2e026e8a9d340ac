-- The data and API standard: supplier products assessed against it, their OpenAPI documents,
-- and boroughs' verdicts on each claim. The requirements themselves are data compiled into the
-- binary (data/standards/requirements.toml), so rows refer to them by their text id.

-- A supplier's product. Owned by the supplier's organisation; 'private' while it is a draft,
-- 'public' once the supplier publishes the profile ('london' shares it with authorities only).
CREATE TABLE standards_products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    -- a system type id from the standard (housing, service-directory, …)
    system_type TEXT NOT NULL,
    description TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'london', 'public')),
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX standards_products_org ON standards_products (org_id);
CREATE INDEX standards_products_type ON standards_products (system_type);

-- An OpenAPI document uploaded for a product, kept with the checker's report as it was when
-- uploaded (JSON), so a later change to the checker never silently rewrites past evidence.
CREATE TABLE standards_openapi_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES standards_products (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    body TEXT NOT NULL,
    report_json TEXT NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX standards_openapi_documents_product ON standards_openapi_documents (product_id);

-- The supplier's self-assessment: one claim per product and requirement, with its evidence (a
-- note, a link, and/or the product's OpenAPI document). Seen by whoever may see the product.
CREATE TABLE standards_claims (
    product_id INTEGER NOT NULL REFERENCES standards_products (id) ON DELETE CASCADE,
    requirement_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('meets', 'partly', 'does_not', 'not_applicable')),
    note TEXT NOT NULL,
    evidence_url TEXT,
    openapi_document_id INTEGER REFERENCES standards_openapi_documents (id),
    updated_by INTEGER NOT NULL REFERENCES users (id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (product_id, requirement_id)
);

-- A borough's verdict on one claim, attributed to the borough (org_id). 'london' unless the
-- borough makes it public; the product's supplier always sees verdicts on its own products, so
-- it can answer a dispute.
CREATE TABLE standards_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES standards_products (id) ON DELETE CASCADE,
    requirement_id TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    verdict TEXT NOT NULL CHECK (verdict IN ('verified', 'disputed')),
    note TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('london', 'public')),
    created_by INTEGER NOT NULL REFERENCES users (id),
    updated_at INTEGER NOT NULL,
    -- one current verdict per borough and claim; a new one replaces it
    UNIQUE (product_id, requirement_id, org_id)
);
CREATE INDEX standards_verifications_product ON standards_verifications (product_id);

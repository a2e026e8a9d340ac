-- Spend files uploaded through the web form, kept between the preview (a dry run) and the
-- officer's "Import": the browser never has to send the file twice. Each belongs to the
-- person who uploaded it and the body it is for, and is deleted on import or once expired.
CREATE TABLE spend_uploads (
    -- random, unguessable: the address of the preview page
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the body whose spend this is: the uploader's own, or one a platform admin chose
    org_id INTEGER NOT NULL REFERENCES organisations (id),
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX spend_uploads_expiry ON spend_uploads (expires_at);

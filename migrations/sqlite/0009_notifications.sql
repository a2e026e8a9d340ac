-- The notification outbox used by every capability. A message is written in the same
-- transaction as the change that caused it, then delivered by whichever instance claims it;
-- nothing is lost while the mail server is down, it waits with a growing back-off.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    to_email TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending: to send; digest: waits for the recipient's daily digest; sent; failed (gave up);
    -- suppressed: the recipient turned this kind of mail off (kept for the record)
    status TEXT NOT NULL CHECK (status IN ('pending', 'digest', 'sent', 'failed', 'suppressed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    -- which instance is sending it, until when (a crashed sender's claim expires)
    claimed_by TEXT,
    claimed_until INTEGER,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_user ON notifications (user_id, status);

CREATE TABLE notification_preferences (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- immediate, daily (one digest a day) or off; essential mail (account security) ignores it
    mode TEXT NOT NULL CHECK (mode IN ('immediate', 'daily', 'off'))
);

-- Periodic jobs (digests, alerts): one row per job; an instance runs a job only after
-- claiming its row, so several instances behind a load balancer run it once.
CREATE TABLE job_runs (
    name TEXT PRIMARY KEY,
    last_run_at INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until INTEGER
);

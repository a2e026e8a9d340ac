-- Spend red flags look for payments in a band of amounts just below each threshold, and
-- group payments by amount to find duplicates: without this index both would read every
-- payment in the database.
CREATE INDEX spend_payments_amount ON spend_payments (amount_pence);

-- Red flags group payments in an amount band by body, supplier and day, keeping only those
-- imported as transactions, in market categories. With the amount index alone each payment
-- in the band was read from the table; with these columns in the index the grouping reads
-- the index alone.
DROP INDEX spend_payments_amount;
CREATE INDEX spend_payments_amount
    ON spend_payments (amount_pence, org_id, supplier_id, paid_on, category_id, import_id);
-- The payments of one flagged group (a supplier, a body, a day) are then read through this
-- index; it still serves every lookup by supplier (merges, splits, profiles).
DROP INDEX spend_payments_supplier;
CREATE INDEX spend_payments_supplier ON spend_payments (supplier_id, org_id, paid_on);

-- No query looks payments up by import any more (flags join imports through their own key),
-- and every index on spend_payments is paid for by every payment a large import writes.
DROP INDEX spend_payments_import;

-- The largest suppliers London-wide and across every body, kept up to date by each import
-- and each merge or split. Ranking them from spend_r_org_supplier on every view of the
-- overview meant grouping hundreds of thousands of body × supplier rows per request.
CREATE TABLE spend_top_suppliers (
    -- 'london' (the 33 London authorities) or 'all'
    scope TEXT NOT NULL,
    supplier_id BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    payments BIGINT NOT NULL,
    bodies BIGINT NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    PRIMARY KEY (scope, supplier_id)
);
CREATE INDEX spend_top_suppliers_rank ON spend_top_suppliers (scope, total_pence);

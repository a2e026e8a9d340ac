//! Reading the spend database: every analysis answers from the rollups, never from a scan of
//! the payments. Spend is published open data, so none of these queries is scoped by viewer.

use chrono::NaiveDate;
use serde::Serialize;

use crate::args;
use crate::db::{Db, DbResult};

/// Which bodies an analysis covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The 33 London authorities.
    London,
    /// Every body in the database (other councils, the GLA, central government…).
    All,
}

impl Scope {
    pub fn parse(s: Option<&str>) -> Scope {
        match s {
            Some("all") => Scope::All,
            _ => Scope::London,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::London => "london",
            Scope::All => "all",
        }
    }
    fn org_filter(self, alias: &str) -> String {
        match self {
            Scope::London => format!("AND {alias}.kind = 'borough'"),
            Scope::All => String::new(),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct BodyTotal {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub total_pence: i64,
    pub payments: i64,
    pub redacted_pence: i64,
    pub first_month: String,
    pub last_month: String,
}

pub async fn bodies(db: &Db, scope: Scope) -> DbResult<Vec<BodyTotal>> {
    db.fetch_all(
        format!(
            "SELECT o.slug, o.name, o.kind, CAST(SUM(m.total_pence) AS BIGINT) AS total_pence,
                    CAST(SUM(m.payments) AS BIGINT) AS payments,
                    CAST(SUM(m.redacted_pence) AS BIGINT) AS redacted_pence,
                    MIN(m.month) AS first_month, MAX(m.month) AS last_month
             FROM spend_r_org_month m JOIN organisations o ON o.id = m.org_id
             WHERE 1 = 1 {}
             GROUP BY o.slug, o.name, o.kind ORDER BY total_pence DESC",
            scope.org_filter("o")
        ),
        vec![],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct MonthTotal {
    pub month: String,
    pub total_pence: i64,
    pub payments: i64,
}

pub async fn months(db: &Db, scope: Scope, org_slug: Option<&str>) -> DbResult<Vec<MonthTotal>> {
    db.fetch_all(
        format!(
            "SELECT m.month, CAST(SUM(m.total_pence) AS BIGINT) AS total_pence,
                    CAST(SUM(m.payments) AS BIGINT) AS payments
             FROM spend_r_org_month m JOIN organisations o ON o.id = m.org_id
             WHERE ($1 IS NULL OR o.slug = $1) {}
             GROUP BY m.month ORDER BY m.month",
            if org_slug.is_some() {
                String::new()
            } else {
                scope.org_filter("o")
            }
        ),
        args![org_slug],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SupplierTotal {
    pub supplier_id: i64,
    pub name: String,
    pub company_number: Option<String>,
    pub total_pence: i64,
    pub payments: i64,
    pub bodies: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

/// The largest suppliers of one body, or of every body in scope. Both read an index in
/// total order: a body's from its rollup, a scope's from the ranking each import refreshes.
pub async fn top_suppliers(
    db: &Db,
    scope: Scope,
    org_slug: Option<&str>,
    limit: i64,
) -> DbResult<Vec<SupplierTotal>> {
    match org_slug {
        Some(slug) => {
            db.fetch_all(
                "SELECT s.id AS supplier_id, s.name, s.company_number, r.total_pence,
                        CAST(r.payments AS BIGINT) AS payments, CAST(1 AS BIGINT) AS bodies,
                        r.first_date, r.last_date
                 FROM spend_r_org_supplier r
                 JOIN suppliers s ON s.id = r.supplier_id
                 WHERE r.org_id = (SELECT id FROM organisations WHERE slug = $1)
                 ORDER BY r.total_pence DESC LIMIT $2",
                args![slug, limit],
            )
            .await
        }
        None => {
            db.fetch_all(
                "SELECT s.id AS supplier_id, s.name, s.company_number, t.total_pence,
                        CAST(t.payments AS BIGINT) AS payments, CAST(t.bodies AS BIGINT) AS bodies,
                        t.first_date, t.last_date
                 FROM spend_top_suppliers t
                 JOIN suppliers s ON s.id = t.supplier_id
                 WHERE t.scope = $1
                 ORDER BY t.total_pence DESC LIMIT $2",
                args![scope.as_str(), limit],
            )
            .await
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct CategoryTotal {
    pub code: String,
    pub name: String,
    pub cpv_divisions: String,
    pub is_market: bool,
    pub total_pence: i64,
    pub payments: i64,
}

pub async fn body_categories(db: &Db, org_slug: &str) -> DbResult<Vec<CategoryTotal>> {
    db.fetch_all(
        "SELECT c.code, c.name, c.cpv_divisions, c.is_market,
                CAST(SUM(r.total_pence) AS BIGINT) AS total_pence,
                CAST(SUM(r.payments) AS BIGINT) AS payments
         FROM spend_r_org_category r
         JOIN organisations o ON o.id = r.org_id
         JOIN spend_categories c ON c.id = r.category_id
         WHERE o.slug = $1
         GROUP BY c.code, c.name, c.cpv_divisions, c.is_market ORDER BY total_pence DESC",
        args![org_slug],
    )
    .await
}

/// Concentration of a market, from `spend_category_stats`.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Market {
    pub code: String,
    pub name: String,
    pub cpv_divisions: String,
    pub is_market: bool,
    pub total_pence: i64,
    pub suppliers: i64,
    pub buyers: i64,
    /// The four largest suppliers' share, in basis points (100 = 1%).
    pub cr4_bp: i64,
    /// Herfindahl–Hirschman index, 0–10,000.
    pub hhi: i64,
    pub top_supplier_id: Option<i64>,
    pub top_supplier: Option<String>,
    pub top_share_bp: i64,
}

impl Market {
    pub fn band(&self) -> Band {
        Band::of(self.hhi)
    }
}

/// Concentration bands of the UK Competition and Markets Authority's merger assessment
/// guidelines (CMA129, 2021, para 4.29): a market with an HHI above 1,000 is concentrated and
/// above 2,000 highly concentrated. The CMA's, not the US agencies' 1,800, because these are
/// UK public markets and the CMA is who would look at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Unconcentrated,
    Concentrated,
    HighlyConcentrated,
}

impl Band {
    pub fn of(hhi: i64) -> Band {
        if hhi > 2000 {
            Band::HighlyConcentrated
        } else if hhi > 1000 {
            Band::Concentrated
        } else {
            Band::Unconcentrated
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Band::Unconcentrated => "Unconcentrated",
            Band::Concentrated => "Concentrated",
            Band::HighlyConcentrated => "Highly concentrated",
        }
    }
}

const MARKET_SELECT: &str = "SELECT c.code, c.name, c.cpv_divisions, c.is_market, k.total_pence,
        k.suppliers, k.buyers, k.cr4_bp, k.hhi, k.top_supplier_id, s.name AS top_supplier,
        k.top_share_bp
    FROM spend_category_stats k
    JOIN spend_categories c ON c.id = k.category_id
    LEFT JOIN suppliers s ON s.id = k.top_supplier_id";

/// Every category's concentration, largest market first.
pub async fn markets(db: &Db, scope: Scope) -> DbResult<Vec<Market>> {
    db.fetch_all(
        format!("{MARKET_SELECT} WHERE k.scope = $1 ORDER BY k.total_pence DESC"),
        args![scope.as_str()],
    )
    .await
}

pub async fn market(db: &Db, scope: Scope, code: &str) -> DbResult<Option<Market>> {
    db.fetch_optional(
        format!("{MARKET_SELECT} WHERE k.scope = $1 AND c.code = $2"),
        args![scope.as_str(), code],
    )
    .await
}

pub async fn category_name(db: &Db, code: &str) -> DbResult<Option<(String, String)>> {
    db.fetch_optional(
        "SELECT name, cpv_divisions FROM spend_categories WHERE code = $1",
        args![code],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub supplier_id: i64,
    pub name: String,
    pub total_pence: i64,
    pub payments: i64,
    pub bodies: i64,
}

/// Suppliers of one category, largest first.
pub async fn category_suppliers(
    db: &Db,
    scope: Scope,
    code: &str,
    limit: i64,
) -> DbResult<Vec<Share>> {
    db.fetch_all(
        format!(
            "SELECT s.id AS supplier_id, s.name, CAST(SUM(m.total_pence) AS BIGINT) AS total_pence,
                    CAST(SUM(m.payments) AS BIGINT) AS payments, COUNT(DISTINCT m.org_id) AS bodies
             FROM spend_r_market m
             JOIN spend_categories c ON c.id = m.category_id
             JOIN organisations o ON o.id = m.org_id
             JOIN suppliers s ON s.id = m.supplier_id
             WHERE c.code = $1 {}
             GROUP BY s.id, s.name ORDER BY total_pence DESC LIMIT $2",
            scope.org_filter("o")
        ),
        args![code, limit],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct BuyerSupplier {
    pub body_slug: String,
    pub body: String,
    pub supplier_id: i64,
    pub supplier: String,
    pub total_pence: i64,
}

/// Who buys from whom in a category.
pub async fn category_buyers(
    db: &Db,
    scope: Scope,
    code: &str,
    limit: i64,
) -> DbResult<Vec<BuyerSupplier>> {
    db.fetch_all(
        format!(
            "SELECT o.slug AS body_slug, o.short_name AS body, s.id AS supplier_id, s.name AS supplier,
                    CAST(SUM(m.total_pence) AS BIGINT) AS total_pence
             FROM spend_r_market m
             JOIN spend_categories c ON c.id = m.category_id
             JOIN organisations o ON o.id = m.org_id
             JOIN suppliers s ON s.id = m.supplier_id
             WHERE c.code = $1 {}
             GROUP BY o.slug, o.short_name, s.id, s.name ORDER BY total_pence DESC LIMIT $2",
            scope.org_filter("o")
        ),
        args![code, limit],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SupplierBody {
    pub body_slug: String,
    pub body: String,
    pub total_pence: i64,
    pub payments: i64,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
}

impl SupplierBody {
    pub fn total_text(&self) -> String {
        crate::money::Pence(self.total_pence).display()
    }
    /// "3 payments, Apr 2024 to Mar 2025".
    pub fn summary(&self) -> String {
        let period = if self.first_date == self.last_date {
            self.first_date.format("%-d %b %Y").to_string()
        } else {
            format!(
                "{} to {}",
                self.first_date.format("%b %Y"),
                self.last_date.format("%b %Y")
            )
        };
        let s = if self.payments == 1 { "" } else { "s" };
        format!("{} payment{s}, {period}", self.payments)
    }
}

pub async fn supplier_bodies(db: &Db, supplier_id: i64) -> DbResult<Vec<SupplierBody>> {
    db.fetch_all(
        "SELECT o.slug AS body_slug, o.name AS body, r.total_pence, r.payments, r.first_date, r.last_date
         FROM spend_r_org_supplier r JOIN organisations o ON o.id = r.org_id
         WHERE r.supplier_id = $1 ORDER BY r.total_pence DESC",
        args![supplier_id],
    )
    .await
}

pub async fn supplier_months(db: &Db, supplier_id: i64) -> DbResult<Vec<MonthTotal>> {
    db.fetch_all(
        "SELECT month, total_pence, payments FROM spend_r_supplier_month
         WHERE supplier_id = $1 ORDER BY month",
        args![supplier_id],
    )
    .await
}

pub async fn supplier_categories(db: &Db, supplier_id: i64) -> DbResult<Vec<CategoryTotal>> {
    db.fetch_all(
        "SELECT c.code, c.name, c.cpv_divisions, c.is_market,
                CAST(SUM(m.total_pence) AS BIGINT) AS total_pence,
                CAST(SUM(m.payments) AS BIGINT) AS payments
         FROM spend_r_market m JOIN spend_categories c ON c.id = m.category_id
         WHERE m.supplier_id = $1
         GROUP BY c.code, c.name, c.cpv_divisions, c.is_market ORDER BY total_pence DESC",
        args![supplier_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct LabelTotal {
    pub label: String,
    pub bodies: i64,
    pub total_pence: i64,
    pub payments: i64,
}

/// Expense types that no category keyword matched, by spend: what to add to the taxonomy.
pub async fn uncategorised(db: &Db, limit: i64) -> DbResult<Vec<LabelTotal>> {
    db.fetch_all(
        "SELECT l.text AS label, COUNT(DISTINCT r.org_id) AS bodies,
                CAST(SUM(r.total_pence) AS BIGINT) AS total_pence,
                CAST(SUM(r.payments) AS BIGINT) AS payments
         FROM spend_r_label r
         JOIN spend_labels l ON l.id = r.label_id
         JOIN spend_categories c ON c.id = r.category_id
         WHERE c.code = 'uncategorised'
         GROUP BY l.text ORDER BY total_pence DESC LIMIT $1",
        args![limit],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub id: i64,
    pub file_name: String,
    pub kind: String,
    pub rows_imported: i64,
    pub total_pence: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    pub created_at: i64,
}

/// A body's imports (the provenance of its figures) that the viewer may see, newest first.
pub async fn imports(
    db: &Db,
    org_slug: &str,
    viewer: &crate::visibility::Viewer,
) -> DbResult<Vec<ImportSummary>> {
    let scope = viewer.scope("i", 2);
    let mut a = args![org_slug];
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "SELECT i.id, i.file_name, i.kind, i.rows_imported, i.total_pence, i.first_date,
                    i.last_date, i.created_at
             FROM spend_imports i JOIN organisations o ON o.id = i.org_id
             WHERE o.slug = $1 AND {} ORDER BY i.created_at DESC, i.id DESC",
            scope.sql
        ),
        a,
    )
    .await
}

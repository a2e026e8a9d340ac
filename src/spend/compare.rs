//! Chosen bodies side by side: their totals, what they spend it on, and the suppliers they
//! share. Answered from the rollups, like every other analysis.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::store;
use crate::args;
use crate::db::{Arg, Db, DbError};

/// At least two bodies make a comparison; beyond six the table no longer fits a page.
pub const MIN_BODIES: usize = 2;
pub const MAX_BODIES: usize = 6;
/// Shared suppliers listed, largest combined spend first.
const SHARED_LIMIT: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("Choose at least {MIN_BODIES} bodies to compare.")]
    TooFew,
    #[error("Choose at most {MAX_BODIES} bodies to compare.")]
    TooMany,
    #[error("There is no public body with the address “{0}”. Choose the bodies from the list.")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// One body's headline figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BodySummary {
    pub slug: String,
    pub name: String,
    pub short_name: String,
    pub total_pence: i64,
    /// Payments (for supplier-total files, one per supplier and period).
    pub payments: i64,
    /// Distinct named suppliers paid (redacted and unnamed payees are not suppliers).
    pub suppliers: i64,
    /// The first and last month with spend, as YYYY-MM.
    pub first_month: Option<String>,
    pub last_month: Option<String>,
    pub top_category: Option<store::CategoryTotal>,
}

/// Spend in one category by each body, keyed by the body's slug (absent: none).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub total_pence: i64,
    pub spend: BTreeMap<String, i64>,
}

/// A supplier paid by two or more of the chosen bodies, with each one's spend.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SharedSupplier {
    pub supplier_id: i64,
    pub name: String,
    /// How many of the chosen bodies pay it.
    pub bodies: i64,
    pub total_pence: i64,
    pub spend: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub bodies: Vec<BodySummary>,
    /// Every category any of the bodies spends in, largest combined spend first.
    pub categories: Vec<CategoryRow>,
    /// Suppliers two or more of the bodies pay, largest combined spend first (up to 200).
    pub shared_suppliers: Vec<SharedSupplier>,
}

#[derive(sqlx::FromRow)]
struct Body {
    id: i64,
    slug: String,
    name: String,
    short_name: String,
}

#[derive(sqlx::FromRow)]
struct Totals {
    total_pence: Option<i64>,
    payments: Option<i64>,
    first_month: Option<String>,
    last_month: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SharedRow {
    supplier_id: i64,
    name: String,
    org_id: i64,
    total_pence: i64,
}

/// The slugs asked for, in order, each once.
pub fn distinct(slugs: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in slugs {
        let s = s.trim();
        if !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

pub async fn compare(db: &Db, slugs: &[String]) -> Result<Comparison, CompareError> {
    if slugs.len() < MIN_BODIES {
        return Err(CompareError::TooFew);
    }
    if slugs.len() > MAX_BODIES {
        return Err(CompareError::TooMany);
    }
    let mut bodies: Vec<Body> = Vec::new();
    for slug in slugs {
        let b: Option<Body> = db
            .fetch_optional(
                "SELECT id, slug, name, short_name FROM organisations
                 WHERE slug = $1 AND kind <> 'supplier'",
                args![slug.as_str()],
            )
            .await?;
        bodies.push(b.ok_or_else(|| CompareError::Unknown(slug.clone()))?);
    }

    let mut summaries = Vec::new();
    let mut categories: Vec<CategoryRow> = Vec::new();
    let mut category_at: HashMap<String, usize> = HashMap::new();
    for b in &bodies {
        let t: Totals = db
            .fetch_one(
                "SELECT CAST(SUM(total_pence) AS BIGINT) AS total_pence,
                        CAST(SUM(payments) AS BIGINT) AS payments,
                        MIN(month) AS first_month, MAX(month) AS last_month
                 FROM spend_r_org_month WHERE org_id = $1",
                args![b.id],
            )
            .await?;
        let suppliers = db
            .scalar::<i64>(
                "SELECT COUNT(*) FROM spend_r_org_supplier WHERE org_id = $1",
                args![b.id],
            )
            .await?
            .unwrap_or(0);
        let cats = store::body_categories(db, &b.slug).await?;
        for c in &cats {
            let i = *category_at.entry(c.code.clone()).or_insert_with(|| {
                categories.push(CategoryRow {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    total_pence: 0,
                    spend: BTreeMap::new(),
                });
                categories.len() - 1
            });
            categories[i].total_pence += c.total_pence;
            categories[i].spend.insert(b.slug.clone(), c.total_pence);
        }
        summaries.push(BodySummary {
            slug: b.slug.clone(),
            name: b.name.clone(),
            short_name: b.short_name.clone(),
            total_pence: t.total_pence.unwrap_or(0),
            payments: t.payments.unwrap_or(0),
            suppliers,
            first_month: t.first_month,
            last_month: t.last_month,
            top_category: cats.into_iter().next(),
        });
    }
    categories.sort_by(|a, b| {
        b.total_pence
            .cmp(&a.total_pence)
            .then_with(|| a.name.cmp(&b.name))
    });

    // Placeholders $1..$n for the bodies' ids, used twice (the same numbers are the same
    // values on both backends).
    let ids: Vec<Arg> = bodies.iter().map(|b| Arg::from(b.id)).collect();
    let list = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<SharedRow> = db
        .fetch_all(
            format!(
                "SELECT r.supplier_id, s.name, r.org_id, r.total_pence
                 FROM spend_r_org_supplier r JOIN suppliers s ON s.id = r.supplier_id
                 WHERE r.org_id IN ({list}) AND r.supplier_id IN (
                     SELECT supplier_id FROM spend_r_org_supplier WHERE org_id IN ({list})
                     GROUP BY supplier_id HAVING COUNT(*) >= 2)"
            ),
            ids,
        )
        .await?;
    let slug_of: HashMap<i64, &str> = bodies.iter().map(|b| (b.id, b.slug.as_str())).collect();
    let mut shared: Vec<SharedSupplier> = Vec::new();
    let mut shared_at: HashMap<i64, usize> = HashMap::new();
    for r in rows {
        let i = *shared_at.entry(r.supplier_id).or_insert_with(|| {
            shared.push(SharedSupplier {
                supplier_id: r.supplier_id,
                name: r.name.clone(),
                bodies: 0,
                total_pence: 0,
                spend: BTreeMap::new(),
            });
            shared.len() - 1
        });
        let s = &mut shared[i];
        s.bodies += 1;
        s.total_pence += r.total_pence;
        s.spend.insert(
            slug_of.get(&r.org_id).copied().unwrap_or("").to_owned(),
            r.total_pence,
        );
    }
    shared.sort_by(|a, b| {
        b.total_pence
            .cmp(&a.total_pence)
            .then_with(|| a.name.cmp(&b.name))
    });
    shared.truncate(SHARED_LIMIT);
    Ok(Comparison {
        bodies: summaries,
        categories,
        shared_suppliers: shared,
    })
}

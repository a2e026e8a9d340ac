//! SQL for the supplier register.

use serde::Serialize;

use super::{CompanyNumber, VatNumber, is_redacted, normalise_name};
use crate::args;
use crate::db::{Db, DbResult, Tx, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Supplier {
    pub id: i64,
    pub name: String,
    pub company_number: Option<String>,
    pub vat_number: Option<String>,
    /// The supplier's own organisation on procurekit, when it has registered.
    pub org_id: Option<i64>,
}

const COLUMNS: &str = "id, name, company_number, vat_number, org_id";

/// How a name was matched to the register, for the explanation shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    CompanyNumber,
    VatNumber,
    Name,
    New,
}

/// Finds the register entry for a supplier as a source names it, creating one when nothing
/// matches. Returns `None` for redacted or empty payees, which are never suppliers.
///
/// Order of evidence: company number, then VAT number, then the normalised name or a known
/// alias of it. Merged entries resolve to the entry they were merged into.
pub async fn resolve(
    tx: &mut Tx,
    name: &str,
    company_number: Option<&CompanyNumber>,
    vat: Option<&VatNumber>,
) -> DbResult<Option<(i64, MatchedBy)>> {
    let name = name.trim();
    if name.is_empty() || is_redacted(name) {
        return Ok(None);
    }
    let normalised = normalise_name(name);
    if normalised.is_empty() {
        return Ok(None);
    }
    let mut found: Option<(i64, MatchedBy)> = None;
    if let Some(cn) = company_number {
        found = tx
            .scalar::<i64>(
                "SELECT COALESCE(merged_into, id) FROM suppliers WHERE company_number = $1",
                args![cn.as_str()],
            )
            .await?
            .map(|id| (id, MatchedBy::CompanyNumber));
    }
    if found.is_none()
        && let Some(v) = vat
    {
        found = tx
            .scalar::<i64>(
                "SELECT COALESCE(merged_into, id) FROM suppliers WHERE vat_number = $1 ORDER BY id LIMIT 1",
                args![v.as_str()],
            )
            .await?
            .map(|id| (id, MatchedBy::VatNumber));
    }
    if found.is_none() {
        found = tx
            .scalar::<i64>(
                "SELECT COALESCE(s.merged_into, s.id) FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id
                 WHERE a.normalised_name = $1",
                args![&normalised],
            )
            .await?
            .map(|id| (id, MatchedBy::Name));
    }
    let (id, how) = match found {
        Some(f) => f,
        None => {
            let id = tx
                .scalar::<i64>(
                    "INSERT INTO suppliers (name, normalised_name, company_number, vat_number, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    args![
                        name,
                        &normalised,
                        company_number.map(CompanyNumber::as_str),
                        vat.map(VatNumber::as_str),
                        now()
                    ],
                )
                .await?
                .unwrap_or_default();
            (id, MatchedBy::New)
        }
    };
    // Learn what this source told us: the name as an alias, and identifiers the entry lacked.
    tx.execute(
        "INSERT INTO supplier_aliases (normalised_name, supplier_id, source) VALUES ($1, $2, 'import')
         ON CONFLICT (normalised_name) DO NOTHING",
        args![&normalised, id],
    )
    .await?;
    if how != MatchedBy::New {
        if let Some(cn) = company_number {
            tx.execute(
                "UPDATE suppliers SET company_number = $1 WHERE id = $2 AND company_number IS NULL
                 AND NOT EXISTS (SELECT 1 FROM suppliers o WHERE o.company_number = $1)",
                args![cn.as_str(), id],
            )
            .await?;
        }
        if let Some(v) = vat {
            tx.execute(
                "UPDATE suppliers SET vat_number = $1 WHERE id = $2 AND vat_number IS NULL",
                args![v.as_str(), id],
            )
            .await?;
        }
    }
    Ok(Some((id, how)))
}

/// The register entry a name stands for, without creating one: an alias first (which carries
/// admins' merge decisions), then the entry's own normalised name. `None` for redacted or
/// unknown names.
pub async fn find_by_name(db: &Db, name: &str) -> DbResult<Option<i64>> {
    let normalised = normalise_name(name.trim());
    if normalised.is_empty() || is_redacted(name) {
        return Ok(None);
    }
    db.scalar::<i64>(
        "SELECT COALESCE(s.merged_into, s.id) FROM supplier_aliases a JOIN suppliers s ON s.id = a.supplier_id
         WHERE a.normalised_name = $1
         UNION ALL
         SELECT COALESCE(merged_into, id) FROM suppliers WHERE normalised_name = $1
         LIMIT 1",
        args![&normalised],
    )
    .await
}

pub async fn get(db: &Db, id: i64) -> DbResult<Option<Supplier>> {
    db.fetch_optional(
        format!("SELECT {COLUMNS} FROM suppliers WHERE id = $1"),
        args![id],
    )
    .await
}

/// Suppliers whose name contains the text, best known first.
pub async fn search(db: &Db, text: &str, limit: i64) -> DbResult<Vec<Supplier>> {
    db.fetch_all(
        format!(
            "SELECT {COLUMNS} FROM suppliers
             WHERE merged_into IS NULL AND (normalised_name LIKE $1 ESCAPE '\\' OR company_number = $2)
             ORDER BY name LIMIT $3"
        ),
        args![
            crate::db::like_pattern(&normalise_name(text)),
            text.trim().to_uppercase(),
            limit
        ],
    )
    .await
}

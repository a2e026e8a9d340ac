//! SQL for supplier products, their claims, OpenAPI documents and boroughs' verdicts.
//!
//! Products are owned records: every read goes through [`Viewer::scope`]. Claims and OpenAPI
//! documents are seen by whoever may see their product. Verdicts are owned by the borough that
//! gave them and scoped the same way, with one widening: the supplier that owns the product
//! sees every verdict on it, because a dispute it cannot read is one it cannot answer.

use serde::Serialize;

use super::{ClaimStatus, Verdict};
use crate::args;
use crate::db::{Arg, Db, DbResult, now};
use crate::visibility::{Viewer, Visibility};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub org_id: i64,
    /// The supplier's name.
    pub org_name: String,
    pub name: String,
    /// A system type id from the standard.
    pub system_type: String,
    pub description: String,
    pub visibility: Visibility,
    pub updated_at: i64,
}

const PRODUCT_SELECT: &str = "SELECT p.id, p.org_id, o.name AS org_name, p.name, p.system_type,
        p.description, p.visibility, p.updated_at
    FROM standards_products p JOIN organisations o ON o.id = p.org_id";

pub struct NewProduct<'a> {
    pub name: &'a str,
    pub system_type: &'a str,
    pub description: &'a str,
    pub visibility: Visibility,
}

pub async fn create_product(
    db: &Db,
    org_id: i64,
    user_id: i64,
    p: &NewProduct<'_>,
) -> DbResult<i64> {
    let t = now();
    Ok(db
        .scalar::<i64>(
            "INSERT INTO standards_products (org_id, name, system_type, description, visibility, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            args![org_id, p.name, p.system_type, p.description, p.visibility, user_id, t],
        )
        .await?
        .unwrap_or_default())
}

/// Changes a product's details; only its own organisation may. False when the viewer may not.
pub async fn update_product(
    db: &Db,
    viewer: &Viewer,
    id: i64,
    p: &NewProduct<'_>,
) -> DbResult<bool> {
    let Some(org_id) = viewer.org_id() else {
        return Ok(false);
    };
    Ok(db
        .execute(
            "UPDATE standards_products SET name = $1, system_type = $2, description = $3, visibility = $4, updated_at = $5
             WHERE id = $6 AND org_id = $7",
            args![p.name, p.system_type, p.description, p.visibility, now(), id, org_id],
        )
        .await?
        > 0)
}

/// One product, if the viewer may see it: another supplier's draft reads as "not found".
pub async fn product(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Product>> {
    let scope = viewer.scope("p", 2);
    let mut a = args![id];
    a.extend(scope.args);
    db.fetch_optional(
        format!("{PRODUCT_SELECT} WHERE p.id = $1 AND {}", scope.sql),
        a,
    )
    .await
}

/// Products the viewer may see, optionally of one system type: the viewer's own first, then by
/// name.
pub async fn products(
    db: &Db,
    viewer: &Viewer,
    system_type: Option<&str>,
) -> DbResult<Vec<Product>> {
    let scope = viewer.scope("p", 3);
    let mut a = args![viewer.org_id().unwrap_or(-1), system_type];
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "{PRODUCT_SELECT} WHERE ($2 IS NULL OR p.system_type = $2) AND {}
             ORDER BY CASE WHEN p.org_id = $1 THEN 0 ELSE 1 END, p.name, p.id LIMIT 500",
            scope.sql
        ),
        a,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Claim {
    pub requirement_id: String,
    pub status: ClaimStatus,
    pub note: String,
    pub evidence_url: Option<String>,
    /// The product's OpenAPI document cited as evidence.
    pub openapi_document_id: Option<i64>,
    pub updated_by_name: String,
    pub updated_at: i64,
}

impl Claim {
    pub fn updated(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }
}

/// The claims of a product the caller has already found visible (with [`product`]).
pub async fn claims(db: &Db, product_id: i64) -> DbResult<Vec<Claim>> {
    db.fetch_all(
        "SELECT c.requirement_id, c.status, c.note, c.evidence_url, c.openapi_document_id,
                u.name AS updated_by_name, c.updated_at
         FROM standards_claims c JOIN users u ON u.id = c.updated_by
         WHERE c.product_id = $1",
        args![product_id],
    )
    .await
}

pub struct NewClaim<'a> {
    pub requirement_id: &'a str,
    pub status: ClaimStatus,
    pub note: &'a str,
    pub evidence_url: Option<&'a str>,
    pub openapi_document_id: Option<i64>,
}

/// Records the supplier's answer for one requirement, replacing any earlier one. Only the
/// product's own organisation may; false otherwise.
pub async fn save_claim(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    c: &NewClaim<'_>,
) -> DbResult<bool> {
    let (Some(org_id), Some(user_id)) = (viewer.org_id(), viewer.user_id()) else {
        return Ok(false);
    };
    let mut tx = db.begin().await?;
    let owned = tx
        .scalar::<i64>(
            "SELECT id FROM standards_products WHERE id = $1 AND org_id = $2",
            args![product_id, org_id],
        )
        .await?
        .is_some();
    if !owned {
        return Ok(false);
    }
    let t = now();
    tx.execute(
        "INSERT INTO standards_claims (product_id, requirement_id, status, note, evidence_url, openapi_document_id, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (product_id, requirement_id) DO UPDATE SET status = excluded.status, note = excluded.note,
            evidence_url = excluded.evidence_url, openapi_document_id = excluded.openapi_document_id,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        args![product_id, c.requirement_id, c.status, c.note, c.evidence_url, c.openapi_document_id, user_id, t],
    )
    .await?;
    tx.execute(
        "UPDATE standards_products SET updated_at = $1 WHERE id = $2",
        args![t, product_id],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub id: i64,
    pub requirement_id: String,
    pub org_id: i64,
    /// The borough (or convenor) that gave the verdict.
    pub org_name: String,
    pub verdict: Verdict,
    pub note: String,
    pub visibility: Visibility,
    pub created_by_name: String,
    pub updated_at: i64,
}

/// Verdicts on a product's claims that the viewer may see: those shared with the viewer by
/// their visibility, their own organisation's, and every verdict when the viewer's
/// organisation owns the product.
pub async fn verifications(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
) -> DbResult<Vec<Verification>> {
    let product_scope = viewer.scope("p", 3);
    let verdict_scope = viewer.scope("v", 3 + product_scope.args.len());
    let mut a = args![product_id, viewer.org_id().unwrap_or(-1)];
    a.extend(product_scope.args);
    a.extend(verdict_scope.args);
    db.fetch_all(
        format!(
            "SELECT v.id, v.requirement_id, v.org_id, o.name AS org_name, v.verdict, v.note, v.visibility,
                    u.name AS created_by_name, v.updated_at
             FROM standards_verifications v
             JOIN standards_products p ON p.id = v.product_id
             JOIN organisations o ON o.id = v.org_id
             JOIN users u ON u.id = v.created_by
             WHERE v.product_id = $1 AND {} AND ({} OR p.org_id = $2)
             ORDER BY v.requirement_id, v.updated_at DESC",
            product_scope.sql, verdict_scope.sql
        ),
        a,
    )
    .await
}

impl Verification {
    pub fn updated(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }
}

pub struct NewVerification<'a> {
    pub requirement_id: &'a str,
    pub verdict: Verdict,
    pub note: &'a str,
    pub visibility: Visibility,
}

/// Records the viewer's organisation's verdict on one claim, replacing its earlier one. The
/// caller checks the viewer is a London authority or the convenor and can see the product.
pub async fn save_verification(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    v: &NewVerification<'_>,
) -> DbResult<bool> {
    let (Some(org_id), Some(user_id)) = (viewer.org_id(), viewer.user_id()) else {
        return Ok(false);
    };
    if !viewer.is_london_member() || v.visibility == Visibility::Private {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO standards_verifications (product_id, requirement_id, org_id, verdict, note, visibility, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (product_id, requirement_id, org_id) DO UPDATE SET verdict = excluded.verdict,
            note = excluded.note, visibility = excluded.visibility, created_by = excluded.created_by,
            updated_at = excluded.updated_at",
        args![product_id, v.requirement_id, org_id, v.verdict, v.note, v.visibility, user_id, now()],
    )
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenApiUpload {
    pub id: i64,
    pub product_id: i64,
    pub file_name: String,
    pub report_json: String,
    pub uploaded_by_name: String,
    pub uploaded_at: i64,
}

impl OpenApiUpload {
    pub fn uploaded(&self) -> String {
        crate::web::filters::date_time(self.uploaded_at)
    }

    /// The stored report; `None` only if the stored JSON no longer fits the report type.
    pub fn report(&self) -> Option<super::openapi::Report> {
        serde_json::from_str(&self.report_json).ok()
    }
}

/// Stores an uploaded document and its report for a product the viewer's organisation owns.
pub async fn save_openapi(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    file_name: &str,
    body: &str,
    report_json: &str,
) -> DbResult<Option<i64>> {
    let (Some(org_id), Some(user_id)) = (viewer.org_id(), viewer.user_id()) else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    let owned = tx
        .scalar::<i64>(
            "SELECT id FROM standards_products WHERE id = $1 AND org_id = $2",
            args![product_id, org_id],
        )
        .await?
        .is_some();
    if !owned {
        return Ok(None);
    }
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO standards_openapi_documents (product_id, file_name, body, report_json, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![product_id, file_name, body, report_json, user_id, t],
        )
        .await?;
    tx.execute(
        "UPDATE standards_products SET updated_at = $1 WHERE id = $2",
        args![t, product_id],
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const UPLOAD_SELECT: &str = "SELECT d.id, d.product_id, d.file_name, d.report_json,
        u.name AS uploaded_by_name, d.uploaded_at
    FROM standards_openapi_documents d JOIN users u ON u.id = d.uploaded_by";

/// The product's most recent OpenAPI document (the product's visibility is checked by the
/// caller).
pub async fn latest_openapi(db: &Db, product_id: i64) -> DbResult<Option<OpenApiUpload>> {
    db.fetch_optional(
        format!(
            "{UPLOAD_SELECT} WHERE d.product_id = $1 ORDER BY d.uploaded_at DESC, d.id DESC LIMIT 1"
        ),
        args![product_id],
    )
    .await
}

/// The latest OpenAPI document of each of several products, in one query.
pub async fn latest_openapi_for(db: &Db, product_ids: &[i64]) -> DbResult<Vec<OpenApiUpload>> {
    if product_ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=product_ids.len()).map(|i| format!("${i}")).collect();
    let a: Vec<Arg> = product_ids.iter().map(|id| Arg::from(*id)).collect();
    db.fetch_all(
        format!(
            "{UPLOAD_SELECT} WHERE d.id IN (
                SELECT MAX(x.id) FROM standards_openapi_documents x
                WHERE x.product_id IN ({}) GROUP BY x.product_id)",
            placeholders.join(", ")
        ),
        a,
    )
    .await
}

/// A stored document's text, for download.
pub async fn openapi_body(
    db: &Db,
    product_id: i64,
    doc_id: i64,
) -> DbResult<Option<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Body {
        file_name: String,
        body: String,
    }
    Ok(db
        .fetch_optional::<Body>(
            "SELECT file_name, body FROM standards_openapi_documents WHERE id = $1 AND product_id = $2",
            args![doc_id, product_id],
        )
        .await?
        .map(|b| (b.file_name, b.body)))
}

/// The claims of several products at once, for the comparison table.
pub async fn claims_for(db: &Db, product_ids: &[i64]) -> DbResult<Vec<(i64, Claim)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        product_id: i64,
        #[sqlx(flatten)]
        claim: Claim,
    }
    if product_ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=product_ids.len()).map(|i| format!("${i}")).collect();
    let a: Vec<Arg> = product_ids.iter().map(|id| Arg::from(*id)).collect();
    let rows: Vec<Row> = db
        .fetch_all(
            format!(
                "SELECT c.product_id, c.requirement_id, c.status, c.note, c.evidence_url, c.openapi_document_id,
                        u.name AS updated_by_name, c.updated_at
                 FROM standards_claims c JOIN users u ON u.id = c.updated_by
                 WHERE c.product_id IN ({})",
                placeholders.join(", ")
            ),
            a,
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.product_id, r.claim)).collect())
}

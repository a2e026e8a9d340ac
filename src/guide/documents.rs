//! Documents: a template an organisation filled in and saved, to come back to, or to share
//! with other boroughs ("here is the data clause we used"). Owned records with a visibility;
//! every read goes through the viewer's scope.

use serde::Serialize;

use crate::args;
use crate::db::{Db, DbResult, now};
use crate::visibility::{Viewer, Visibility};

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub template_slug: String,
    pub title: String,
    #[serde(skip)]
    pub values_json: String,
    pub visibility: Visibility,
    pub created_by_name: String,
    pub updated_at: i64,
}

impl Document {
    pub fn updated(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }
}

const SELECT: &str = "SELECT d.id, d.org_id, o.short_name AS org_name, d.template_slug, d.title,
        d.values_json, d.visibility, u.name AS created_by_name, d.updated_at
    FROM documents d
    JOIN organisations o ON o.id = d.org_id
    JOIN users u ON u.id = d.created_by";

pub async fn create(
    db: &Db,
    org_id: i64,
    user_id: i64,
    template_slug: &str,
    title: &str,
    values_json: &str,
    visibility: Visibility,
) -> DbResult<i64> {
    let t = now();
    Ok(db
        .scalar::<i64>(
            "INSERT INTO documents (org_id, created_by, template_slug, title, values_json, visibility, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            args![org_id, user_id, template_slug, title, values_json, visibility, t],
        )
        .await?
        .unwrap_or_default())
}

/// One document, if the viewer may see it. Another organisation's private document is
/// indistinguishable from one that does not exist.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Document>> {
    let scope = viewer.scope("d", 2);
    let mut args = args![id];
    args.extend(scope.args);
    db.fetch_optional(format!("{SELECT} WHERE d.id = $1 AND {}", scope.sql), args)
        .await
}

/// Documents the viewer may see, their own organisation's first.
pub async fn list(db: &Db, viewer: &Viewer) -> DbResult<Vec<Document>> {
    let scope = viewer.scope("d", 2);
    let mut args = args![viewer.org_id().unwrap_or(-1)];
    args.extend(scope.args);
    db.fetch_all(
        format!(
            "{SELECT} WHERE {} ORDER BY CASE WHEN d.org_id = $1 THEN 0 ELSE 1 END, d.updated_at DESC LIMIT 500",
            scope.sql
        ),
        args,
    )
    .await
}

/// Changes who can see a document; only its own organisation may. Returns false when the
/// viewer cannot change it (or cannot see it at all).
pub async fn set_visibility(
    db: &Db,
    viewer: &Viewer,
    id: i64,
    visibility: Visibility,
) -> DbResult<bool> {
    let Some(doc) = get(db, viewer, id).await? else {
        return Ok(false);
    };
    if !viewer.can_edit(doc.org_id) {
        return Ok(false);
    }
    let changed = db
        .execute(
            "UPDATE documents SET visibility = $1, updated_at = $2 WHERE id = $3 AND org_id = $4",
            args![visibility, now(), id, doc.org_id],
        )
        .await?;
    Ok(changed > 0)
}

pub async fn delete(db: &Db, viewer: &Viewer, id: i64) -> DbResult<bool> {
    let Some(org_id) = viewer.org_id() else {
        return Ok(false);
    };
    Ok(db
        .execute(
            "DELETE FROM documents WHERE id = $1 AND org_id = $2",
            args![id, org_id],
        )
        .await?
        > 0)
}

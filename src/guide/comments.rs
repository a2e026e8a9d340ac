//! "Leave a comment" on every page of the guide, read by platform admins to improve it.

use serde::Serialize;

use crate::args;
use crate::db::{Db, DbResult, now};

/// Per address, this many comments in ten minutes is plenty for a person; more is a script.
pub const MAX_PER_WINDOW: i64 = 5;
pub const WINDOW_SECONDS: i64 = 10 * 60;
pub const MAX_LENGTH: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Guide,
    Template,
    Problem,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Guide => "guide",
            PageKind::Template => "template",
            PageKind::Problem => "problem",
        }
    }

    pub fn parse(s: &str) -> Option<PageKind> {
        match s {
            "guide" => Some(PageKind::Guide),
            "template" => Some(PageKind::Template),
            "problem" => Some(PageKind::Problem),
            _ => None,
        }
    }

    pub fn url(self, slug: &str) -> String {
        match self {
            PageKind::Guide => format!("/guide/{slug}"),
            PageKind::Template => format!("/templates/{slug}"),
            PageKind::Problem => format!("/problems/{slug}"),
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Comment {
    pub id: i64,
    pub page_kind: String,
    pub page_slug: String,
    pub name: String,
    pub body: String,
    pub created_at: i64,
    pub org: Option<String>,
}

impl Comment {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }

    pub fn url(&self) -> String {
        PageKind::parse(&self.page_kind)
            .map(|k| k.url(&self.page_slug))
            .unwrap_or_default()
    }
}

pub async fn recent_from_ip(db: &Db, ip: &str) -> DbResult<i64> {
    Ok(db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM guide_comments WHERE ip = $1 AND created_at > $2",
            args![ip, now() - WINDOW_SECONDS],
        )
        .await?
        .unwrap_or(0))
}

pub async fn add(
    db: &Db,
    kind: PageKind,
    slug: &str,
    user_id: Option<i64>,
    name: &str,
    body: &str,
    ip: &str,
) -> DbResult<()> {
    db.execute(
        "INSERT INTO guide_comments (page_kind, page_slug, user_id, name, body, created_at, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![kind.as_str(), slug, user_id, name, body, now(), ip],
    )
    .await?;
    Ok(())
}

pub async fn latest(db: &Db, limit: i64) -> DbResult<Vec<Comment>> {
    db.fetch_all(
        "SELECT c.id, c.page_kind, c.page_slug, c.name, c.body, c.created_at, o.short_name AS org
         FROM guide_comments c
         LEFT JOIN users u ON u.id = c.user_id
         LEFT JOIN organisations o ON o.id = u.org_id
         ORDER BY c.id DESC LIMIT $1",
        args![limit],
    )
    .await
}

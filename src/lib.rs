//! procurekit: London's technology procurement toolkit as working software.
//!
//! One module per capability (`guide`, and the others as they are built), plus the shared
//! machinery: `web` (router, auth, layout, errors), `db` (pools, migrations, backend
//! differences), `accounts` (organisations, people, sessions), `visibility` (who may see what)
//! and `cli`.

pub mod accounts;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod contracts;
pub mod cpv;
pub mod db;
pub mod engagement;
pub mod estate;
pub mod guide;
pub mod jobs;
pub mod joint;
pub mod money;
pub mod notify;
pub mod ocds;
pub mod pipeline;
pub mod seed;
pub mod spend;
pub mod standards;
pub mod suppliers;
pub mod visibility;
pub mod web;

use std::sync::Arc;

/// Opens the database, applies migrations, seeds reference data and indexes the guide: every
/// command that serves or changes data starts here.
pub async fn prepare(database_url: &str) -> Result<(db::Db, Arc<guide::Content>), StartError> {
    let content = Arc::new(guide::Content::embedded()?);
    let db = db::Db::connect(database_url).await?;
    db.migrate().await?;
    seed::reference_data(&db).await?;
    guide::index_for_search(&db, &content).await?;
    Ok((db, content))
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Content(#[from] guide::content::ContentErrors),
    #[error("database: {0}")]
    Db(#[from] db::DbError),
}

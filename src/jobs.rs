//! Background work every instance runs: delivering the outbox, daily digests, saved-search
//! alerts, keeping London's spend red flags worked out, and housekeeping. Periodic jobs are
//! claimed in the database, so with several instances behind a load balancer each runs once.

use std::time::Duration;

use crate::db::DbResult;
use crate::web::AppState;

/// Runs one round of every job that is due. Public so tests can drive it deterministically.
pub async fn tick(state: &AppState) -> DbResult<()> {
    let db = &state.db;
    let me = &state.config.instance;
    crate::notify::deliver_due(db, state.config.smtp.as_ref(), me).await?;
    if crate::notify::claim_job(db, "saved_search_alerts", 10 * 60, me).await? {
        let result = crate::pipeline::alerts::run(db, &state.config.public_url).await;
        crate::notify::release_job(db, "saved_search_alerts").await?;
        result?;
    }
    if crate::notify::claim_job(db, "contract_reminders", 24 * 60 * 60, me).await? {
        let today = chrono::Utc::now().date_naive();
        let result = crate::contracts::reminders::run(db, today, &state.config.public_url).await;
        crate::notify::release_job(db, "contract_reminders").await?;
        result?;
    }
    if crate::notify::claim_job(db, "daily_digest", 24 * 60 * 60, me).await? {
        let result = crate::notify::build_digests(db).await;
        crate::notify::release_job(db, "daily_digest").await?;
        result?;
    }
    if crate::notify::claim_job(db, "pitch_overdue_report", 7 * 24 * 60 * 60, me).await? {
        let result = crate::engagement::pitches::overdue_report(db, &state.config.public_url).await;
        crate::notify::release_job(db, "pitch_overdue_report").await?;
        result?;
    }
    // London's red flags take seconds to tens of seconds on millions of payments. Each
    // instance keeps its own cached copy current, so that after an import from the command
    // line (which has no server to warm) the first person to look does not wait. A cheap
    // query per tick; the work starts only when the data has changed.
    crate::spend::flags::cached_or_start(
        db,
        &state.config.flags_cache,
        &crate::spend::flags::Filter {
            scope: crate::spend::store::Scope::London,
            body: None,
        },
    )
    .await?;
    if crate::notify::claim_job(db, "purge_sessions", 15 * 60, me).await? {
        let result = crate::accounts::session::purge_expired(db).await;
        crate::notify::release_job(db, "purge_sessions").await?;
        result?;
    }
    Ok(())
}

pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = tick(&state).await {
                tracing::warn!(error = %e, "background job failed; will retry");
            }
        }
    })
}

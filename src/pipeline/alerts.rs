//! Saved-search alerts: new opportunities matching a person's saved search, by email through
//! the notification service (as they are published, or once a day).

use super::board::{self, BoardQuery, Sort};
use crate::accounts::store as accounts;
use crate::args;
use crate::db::{Db, DbResult, now};
use crate::notify::{self, Message, Recipient};

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    user_id: i64,
    name: String,
    query: String,
    alerts: String,
    created_at: i64,
}

/// Checks every due saved search and queues one message per search with news.
pub async fn run(db: &Db, base_url: &str) -> DbResult<usize> {
    let t = now();
    let due: Vec<Due> = db
        .fetch_all(
            "SELECT s.id, s.user_id, s.name, s.query, s.alerts, s.created_at FROM saved_searches s
             JOIN users u ON u.id = s.user_id
             WHERE u.active AND (s.alerts = 'immediate' OR (s.alerts = 'daily' AND s.last_alerted_at <= $1))",
            args![t - 24 * 60 * 60],
        )
        .await?;
    let mut queued = 0;
    for s in due {
        let Some(user) = accounts::user(db, s.user_id).await? else {
            continue;
        };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&s.query).unwrap_or_default();
        let mut q = BoardQuery::parse(&pairs);
        q.sort = Sort::Newest;
        q.page = 1;
        // What the person may see today, not what they could see when they saved the search.
        let found = board::search(db, &user.viewer(), &q, Some(200)).await?;
        let already: Vec<(i64,)> = db
            .fetch_all(
                "SELECT procurement_id FROM saved_search_hits WHERE saved_search_id = $1",
                args![s.id],
            )
            .await?;
        let already: std::collections::HashSet<i64> = already.into_iter().map(|r| r.0).collect();
        // News: published since the search was saved, and not yet sent for it.
        let news: Vec<_> = found
            .items
            .iter()
            .filter(|p| p.published_at.is_some_and(|at| at >= s.created_at))
            .filter(|p| !already.contains(&p.id))
            .collect();
        let mut tx = db.begin().await?;
        for p in &news {
            tx.execute(
                "INSERT INTO saved_search_hits (saved_search_id, procurement_id) VALUES ($1, $2)",
                args![s.id, p.id],
            )
            .await?;
        }
        if !news.is_empty() {
            let mut body = format!(
                "{} new opportunit{} match your saved search “{}”:\n\n",
                news.len(),
                if news.len() == 1 { "y" } else { "ies" },
                s.name
            );
            for p in &news {
                body.push_str(&format!(
                    "{} — {}\n  Estimated value: {}. Expected tender: {}.\n  {}/procurements/{}\n\n",
                    p.title,
                    p.org_name,
                    p.value_text(),
                    super::store::Procurement::date_text(&p.expected_tender_date),
                    base_url.trim_end_matches('/'),
                    p.id
                ));
            }
            body.push_str(&format!(
                "See them all: {}/opportunities?{}\n",
                base_url.trim_end_matches('/'),
                s.query
            ));
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(s.user_id),
                    kind: "saved_search",
                    subject: format!("New opportunities: {}", s.name),
                    body,
                    essential: false,
                },
            )
            .await?;
            queued += 1;
        }
        if !news.is_empty() || s.alerts == "daily" {
            tx.execute(
                "UPDATE saved_searches SET last_alerted_at = $1 WHERE id = $2",
                args![t, s.id],
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(queued)
}

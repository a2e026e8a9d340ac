//! The daily reminders: what the dashboard shows as needing attention, sent by email through
//! the notification service to whoever owns it (the action's owner, otherwise the contract's).
//!
//! Each reminder goes once per item, threshold and date. Dates coming up are reminded 90, 30
//! and 7 days ahead; when the job first sees a date already inside a threshold it sends only
//! the nearest one (a notice date 10 days away gets the 30-day reminder, not three at once).
//! Overdue work, KPIs missing their target and Procurement Act gaps are reminded once. The
//! date is part of what is remembered, so a date that moves (an extension used, a new
//! measurement) is reminded again.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::act::DutyProblem;
use super::attention::{self, DEFAULT_WINDOW_DAYS};
use crate::args;
use crate::db::{Db, DbResult, Tx, now};
use crate::notify::{self, Message, Recipient};

/// Days ahead at which a date is reminded, furthest first.
pub const THRESHOLDS: [i64; 3] = [90, 30, 7];

struct Reminder {
    kind: String,
    item_id: i64,
    threshold: i64,
    due_on: NaiveDate,
    /// Further thresholds this reminder stands for, remembered so they are not sent later.
    also: Vec<i64>,
    to: Option<i64>,
    contract_id: i64,
    contract_title: String,
    line: String,
}

/// The nearest threshold a date `days_left` away has reached, and the further ones it passed.
pub fn threshold_for(days_left: i64) -> Option<(i64, Vec<i64>)> {
    let reached: Vec<i64> = THRESHOLDS
        .iter()
        .copied()
        .filter(|t| days_left <= *t)
        .collect();
    let nearest = *reached.iter().min()?;
    Some((
        nearest,
        reached.into_iter().filter(|t| *t != nearest).collect(),
    ))
}

/// Queues today's reminders for every organisation's contracts; returns the messages queued.
pub async fn run(db: &Db, today: NaiveDate, base_url: &str) -> DbResult<usize> {
    let orgs: Vec<(i64,)> = db
        .fetch_all(
            "SELECT DISTINCT org_id FROM contracts ORDER BY org_id",
            vec![],
        )
        .await?;
    let mut queued = 0;
    for (org_id,) in orgs {
        queued += run_for_org(db, org_id, today, base_url).await?;
    }
    Ok(queued)
}

async fn run_for_org(db: &Db, org_id: i64, today: NaiveDate, base_url: &str) -> DbResult<usize> {
    let window = DEFAULT_WINDOW_DAYS.max(THRESHOLDS[0]);
    let overview = attention::overview(db, org_id, today, window).await?;
    let owner_of = |contract_id: i64| {
        overview
            .contracts
            .iter()
            .find(|s| s.contract.id == contract_id)
            .and_then(|s| s.contract.owner_user_id)
    };
    let a = &overview.attention;
    let mut due: Vec<Reminder> = Vec::new();
    for d in &a.dates {
        let Some((threshold, also)) = threshold_for(d.days_left) else {
            continue;
        };
        due.push(Reminder {
            kind: d.kind.as_str().into(),
            item_id: d.item_id,
            threshold,
            due_on: d.date,
            also,
            to: owner_of(d.contract_id),
            contract_id: d.contract_id,
            contract_title: d.contract_title.clone(),
            line: format!("{}: {}", d.label, d.when()),
        });
    }
    for k in &a.kpis_missing_target {
        due.push(Reminder {
            kind: "kpi_missing_target".into(),
            item_id: k.kpi_id,
            threshold: 0,
            due_on: k.period_end,
            also: Vec::new(),
            to: owner_of(k.contract_id),
            contract_id: k.contract_id,
            contract_title: k.contract_title.clone(),
            line: format!(
                "KPI “{}” is {}: {} against a target of {}",
                k.kpi_name,
                k.status.label().to_lowercase(),
                k.latest,
                k.target.to_lowercase()
            ),
        });
    }
    for o in &a.overdue {
        due.push(Reminder {
            kind: format!("overdue_{}", o.kind.as_str()),
            item_id: o.action_id,
            threshold: 0,
            due_on: o.due_on,
            also: Vec::new(),
            to: o.owner_user_id.or_else(|| owner_of(o.contract_id)),
            contract_id: o.contract_id,
            contract_title: o.contract_title.clone(),
            line: format!(
                "{} overdue since {}: {}",
                o.kind.label(),
                crate::web::filters::long_date(o.due_on),
                o.description
            ),
        });
    }
    for p in &a.procurement_act {
        for problem in &p.problems {
            let (kind, date) = match problem {
                DutyProblem::TooFewKpis { .. } => ("too_few_kpis", today_marker()),
                DutyProblem::AssessmentOverdue { due } => ("assessment_overdue", *due),
                DutyProblem::FinalAssessmentDue { ended } => ("final_assessment_due", *ended),
            };
            due.push(Reminder {
                kind: kind.into(),
                item_id: p.contract_id,
                threshold: 0,
                due_on: date,
                also: Vec::new(),
                to: owner_of(p.contract_id),
                contract_id: p.contract_id,
                contract_title: p.contract_title.clone(),
                line: problem.message(),
            });
        }
    }

    let mut tx = db.begin().await?;
    let mut by_person: BTreeMap<i64, Vec<&Reminder>> = BTreeMap::new();
    for r in &due {
        // Nobody to tell: keep it unsent, so the owner named later hears about it.
        let Some(to) = r.to else { continue };
        if remember(&mut tx, &r.kind, r.item_id, r.threshold, r.due_on).await? {
            for t in &r.also {
                remember(&mut tx, &r.kind, r.item_id, *t, r.due_on).await?;
            }
            by_person.entry(to).or_default().push(r);
        }
    }
    let base = base_url.trim_end_matches('/');
    let mut queued = 0;
    for (user_id, items) in by_person {
        let mut body = format!(
            "{} thing{} on your contracts need{} attention:\n\n",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            if items.len() == 1 { "s" } else { "" }
        );
        let mut last_contract = None;
        for r in &items {
            if last_contract != Some(r.contract_id) {
                body.push_str(&format!(
                    "{}\n{base}/contracts/{}\n",
                    r.contract_title, r.contract_id
                ));
                last_contract = Some(r.contract_id);
            }
            body.push_str(&format!("  - {}\n", r.line));
        }
        body.push_str(&format!(
            "\nSee everything that needs attention: {base}/contracts\n"
        ));
        notify::queue(
            &mut tx,
            &Message {
                to: Recipient::User(user_id),
                kind: "contract_reminder",
                subject: format!(
                    "Contracts: {} item{} need{} your attention",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" },
                    if items.len() == 1 { "s" } else { "" }
                ),
                body,
                essential: false,
            },
        )
        .await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

/// A fixed date (1 January 1970) for reminders that have no date of their own (too few
/// KPIs): they are then sent once, ever, for the contract.
fn today_marker() -> NaiveDate {
    NaiveDate::default()
}

/// Records that a reminder was sent; false when it already had been (by this run or an earlier
/// one, or by another instance), so it is not sent again.
async fn remember(
    tx: &mut Tx,
    kind: &str,
    item_id: i64,
    threshold: i64,
    due_on: NaiveDate,
) -> DbResult<bool> {
    let n = tx
        .execute(
            "INSERT INTO contract_reminders (kind, item_id, threshold_days, due_on, sent_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            args![kind, item_id, threshold, due_on, now()],
        )
        .await?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_gets_the_nearest_threshold_it_has_reached() {
        assert_eq!(threshold_for(120), None);
        assert_eq!(threshold_for(90), Some((90, vec![])));
        assert_eq!(threshold_for(45), Some((90, vec![])));
        assert_eq!(threshold_for(10), Some((30, vec![90])));
        assert_eq!(threshold_for(3), Some((7, vec![90, 30])));
        assert_eq!(threshold_for(0), Some((7, vec![90, 30])));
    }
}

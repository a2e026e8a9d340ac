//! Estate contracts as evidence for "who else is buying this?": another borough running the
//! same product, or buying from the same supplier, whose contract ends around the time this
//! procurement will award is a borough that will be in the market at the same time — the
//! strongest reason to talk before either of them tenders.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Months, NaiveDate};

use super::store::{self, EstateSystem, Filter};
use crate::db::{Db, DbResult};
use crate::pipeline::matching::{Candidate, Matcher, months_apart, significant_words};
use crate::pipeline::store::Procurement;
use crate::suppliers::normalise_name;
use crate::visibility::Viewer;

/// How far either side of the procurement's key date a contract end still counts. Councils
/// extend and re-procure over a year or more; a contract ending 18 months away is still one
/// whose owner is planning now.
const WINDOW_MONTHS: u32 = 18;

/// Estate evidence can be strong (same product, same time) but is a system, not a plan:
/// it stays below a live pipeline overlap of the same thing.
const MAX_SCORE: u32 = 70;

pub struct EstateContracts;

/// The date the procurement's timeline turns on: when the current contract ends, else when
/// the new one should start, else when it goes to tender.
fn key_date(p: &Procurement) -> Option<NaiveDate> {
    p.incumbent_end_date
        .or(p.expected_start_date)
        .or(p.expected_tender_date)
}

/// Whether a system comes from the supplier with this normalised name, as written in the
/// register or as the shared supplier register names it.
fn supplied_by(s: &EstateSystem, normalised: &str) -> bool {
    !normalised.is_empty()
        && (normalise_name(&s.supplier_name) == normalised
            || s.supplier.as_deref().map(normalise_name).as_deref() == Some(normalised))
}

/// What the procurement is replacing, as the buyer's own estate register knows it: the
/// products of its systems from the incumbent supplier, or whose names share the title's words.
fn own_products(p: &Procurement, own: &[EstateSystem]) -> BTreeMap<String, String> {
    let incumbent = normalise_name(&p.incumbent);
    let title = significant_words(&p.title);
    own.iter()
        .filter(|s| {
            supplied_by(s, &incumbent) || !significant_words(&s.system_name).is_disjoint(&title)
        })
        .map(|s| (s.product_key.clone(), s.system_name.clone()))
        .collect()
}

/// Scores another organisation's system against the procurement. Pure, so the rules are
/// unit-tested.
pub fn score_system(
    p: &Procurement,
    products: &BTreeMap<String, String>,
    other: &EstateSystem,
) -> Option<(u32, Vec<String>)> {
    let mut score = 0u32;
    let mut reasons = Vec::new();
    let mut about_the_same_thing = false;
    if let Some(yours) = products.get(&other.product_key) {
        score += 35;
        about_the_same_thing = true;
        reasons.push(format!(
            "Runs the same product as your current system ({yours})"
        ));
    }
    if supplied_by(other, &normalise_name(&p.incumbent)) {
        score += 25;
        about_the_same_thing = true;
        reasons.push(format!(
            "Same supplier as your incumbent: {}",
            other.supplier_display()
        ));
    }
    let shared: BTreeSet<String> = significant_words(&p.title)
        .intersection(&significant_words(&format!(
            "{} {}",
            other.system_name,
            other.manufacturer.as_deref().unwrap_or_default()
        )))
        .cloned()
        .collect();
    if !shared.is_empty() {
        score += (shared.len() as u32 * 8).min(16);
        about_the_same_thing = true;
        reasons.push(format!(
            "System name shares: {}",
            shared.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !about_the_same_thing {
        return None;
    }
    let end = other.contract_end?;
    match key_date(p) {
        Some(k) => {
            let m = months_apart(k, end);
            if m <= 6 {
                score += 20;
                reasons.push(format!(
                    "Their contract ends {} — within {} of your key date",
                    end.format("%-d %B %Y"),
                    if m == 0 {
                        "a month".to_owned()
                    } else {
                        format!("{m} months")
                    }
                ));
            } else {
                score += 10;
                reasons.push(format!(
                    "Their contract ends {} ({m} months from your key date)",
                    end.format("%-d %B %Y")
                ));
            }
        }
        None => reasons.push(format!("Their contract ends {}", end.format("%-d %B %Y"))),
    }
    Some((score.min(MAX_SCORE), reasons))
}

impl Matcher for EstateContracts {
    async fn candidates(
        &self,
        db: &Db,
        viewer: &Viewer,
        p: &Procurement,
    ) -> DbResult<Vec<Candidate>> {
        let today = chrono::Utc::now().date_naive();
        let centre = key_date(p).unwrap_or(today);
        let from = centre
            .checked_sub_months(Months::new(WINDOW_MONTHS))
            .unwrap_or(centre)
            .max(today);
        let to = centre
            .checked_add_months(Months::new(WINDOW_MONTHS))
            .unwrap_or(centre);
        if to < from {
            return Ok(Vec::new());
        }
        // Both reads go through the viewer's scope: a private record of another borough is
        // never evidence in someone else's list.
        let own = store::of_organisation(db, viewer, p.org_id).await?;
        let products = own_products(p, &own);
        let ending = store::ending_between(db, viewer, from, to, &Filter::default()).await?;
        // One candidate per organisation and product: a borough with three modules of the
        // same product on one contract is one conversation.
        let mut best: BTreeMap<(i64, String), Candidate> = BTreeMap::new();
        for s in ending.iter().filter(|s| s.org_id != p.org_id) {
            let Some((score, reasons)) = score_system(p, &products, s) else {
                continue;
            };
            let c = Candidate {
                source: "estate",
                title: format!("{} ({})", s.system_name, s.supplier_display()),
                organisation: s.organisation.clone(),
                org_id: Some(s.org_id),
                url: Some(format!("/estate/systems/{}", s.id)),
                score,
                reasons,
            };
            let key = (s.org_id, s.product_key.clone());
            if best.get(&key).is_none_or(|b| b.score < c.score) {
                best.insert(key, c);
            }
        }
        Ok(best.into_values().collect())
    }
}

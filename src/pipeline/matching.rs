//! "Who else is buying this?": collaboration opportunities for a procurement, ranked, each with
//! the reasons that put it there. Each source of evidence is one small matcher; adding a source
//! (estate contracts ending, shared suppliers in spend, past notices) adds a matcher and touches
//! no other.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::store::{Procurement, SELECT};
use crate::args;
use crate::db::{Db, DbResult};
use crate::visibility::Viewer;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    /// What kind of evidence: `pipeline` (another borough's planned procurement), …
    pub source: &'static str,
    pub title: String,
    pub organisation: String,
    pub org_id: Option<i64>,
    pub url: Option<String>,
    pub score: u32,
    /// Why it matched, in words an officer can check.
    pub reasons: Vec<String>,
}

/// One source of collaboration evidence.
pub(crate) trait Matcher {
    async fn candidates(
        &self,
        db: &Db,
        viewer: &Viewer,
        p: &Procurement,
    ) -> DbResult<Vec<Candidate>>;
}

/// Other boroughs' pipeline items in the same or a related CPV area whose timelines overlap.
pub(crate) struct PipelineOverlap;

/// Words too common in procurement titles to say two of them are about the same thing.
const STOPWORDS: &[&str] = &[
    "and",
    "for",
    "the",
    "of",
    "to",
    "a",
    "an",
    "in",
    "on",
    "with",
    "new",
    "system",
    "systems",
    "service",
    "services",
    "solution",
    "solutions",
    "contract",
    "procurement",
    "provision",
    "supply",
    "council",
    "borough",
    "london",
    "replacement",
    "support",
];

/// The words of a title that say what is being bought.
pub(crate) fn significant_words(s: &str) -> BTreeSet<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2 && !STOPWORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

pub(crate) fn months_apart(a: NaiveDate, b: NaiveDate) -> i64 {
    ((a - b).num_days() / 30).abs()
}

/// Scores one pair of procurements. Pure, so the ranking rules are unit-tested.
pub fn score_pair(mine: &Procurement, other: &Procurement) -> Option<(u32, Vec<String>)> {
    let mut score = 0u32;
    let mut reasons = Vec::new();
    let (a, b) = (mine.cpv(), other.cpv());
    let cpv_match = match (&a, &b) {
        (Some(a), Some(b)) if a == b => {
            score += 40;
            reasons.push(format!("Same CPV code: {}", a.full()));
            true
        }
        (Some(a), Some(b)) if a.group() == b.group() => {
            score += 30;
            reasons.push(format!("Same CPV group {} ({})", a.group(), b.label()));
            true
        }
        (Some(a), Some(b)) if a.division() == b.division() => {
            score += 15;
            reasons.push(format!(
                "Related: same CPV division {} ({})",
                a.division(),
                a.division_code().label()
            ));
            true
        }
        _ => false,
    };
    let shared: Vec<String> = significant_words(&mine.title)
        .intersection(&significant_words(&other.title))
        .cloned()
        .collect();
    if !shared.is_empty() {
        score += (shared.len() as u32 * 8).min(24);
        reasons.push(format!("Titles share: {}", shared.join(", ")));
    }
    if !cpv_match && shared.is_empty() {
        return None;
    }
    match (mine.expected_tender_date, other.expected_tender_date) {
        (Some(x), Some(y)) => {
            let m = months_apart(x, y);
            if m <= 3 {
                score += 30;
                reasons.push(format!(
                    "Expects to tender within {} of yours",
                    if m == 0 {
                        "a month".to_owned()
                    } else {
                        format!("{m} months")
                    }
                ));
            } else if m <= 12 {
                score += 15;
                reasons.push(format!("Expects to tender {m} months from yours"));
            } else {
                // Years apart: still worth knowing (lessons learnt), but well down the list.
                reasons.push(format!("Tenders {m} months apart"));
            }
        }
        _ => reasons.push("Timeline not given by one of you".into()),
    }
    if !mine.incumbent.trim().is_empty()
        && crate::suppliers::normalise_name(&mine.incumbent)
            == crate::suppliers::normalise_name(&other.incumbent)
    {
        score += 20;
        reasons.push(format!("Same incumbent: {}", other.incumbent));
    }
    if let (Some(x), Some(y)) = (mine.incumbent_end_date, other.incumbent_end_date)
        && months_apart(x, y) <= 6
    {
        score += 10;
        reasons.push("Current contracts end within six months of each other".into());
    }
    Some((score, reasons))
}

impl Matcher for PipelineOverlap {
    async fn candidates(
        &self,
        db: &Db,
        viewer: &Viewer,
        p: &Procurement,
    ) -> DbResult<Vec<Candidate>> {
        let scope = viewer.scope("p", 2);
        let mut a = args![p.org_id];
        a.extend(scope.args);
        // Every other borough's live, shared item is a candidate; scoring decides. London's
        // pipeline is hundreds of items, not millions, so this stays a single cheap query.
        let others: Vec<Procurement> = db
            .fetch_all(
                format!(
                    "{SELECT} WHERE p.org_id <> $1 AND p.status <> 'cancelled' AND p.visibility <> 'private'
                     AND {} ORDER BY p.id DESC LIMIT 5000",
                    scope.sql
                ),
                a,
            )
            .await?;
        Ok(others
            .iter()
            .filter_map(|o| {
                score_pair(p, o).map(|(score, reasons)| Candidate {
                    source: "pipeline",
                    title: o.title.clone(),
                    organisation: o.org_name.clone(),
                    org_id: Some(o.org_id),
                    url: Some(o.url()),
                    score,
                    reasons,
                })
            })
            .collect())
    }
}

/// All collaboration opportunities for a procurement, best first.
pub async fn find(db: &Db, viewer: &Viewer, p: &Procurement) -> DbResult<Vec<Candidate>> {
    let mut all = PipelineOverlap.candidates(db, viewer, p).await?;
    all.extend(
        crate::ocds::matcher::PastNotices
            .candidates(db, viewer, p)
            .await?,
    );
    all.extend(
        crate::estate::matcher::EstateContracts
            .candidates(db, viewer, p)
            .await?,
    );
    all.extend(
        crate::spend::matcher::SharedSuppliers
            .candidates(db, viewer, p)
            .await?,
    );
    all.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.title.cmp(&b.title)));
    all.truncate(50);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Procedure, Stage, Status};
    use crate::visibility::Visibility;

    fn p(title: &str, cpv: &str, tender: Option<&str>) -> Procurement {
        Procurement {
            id: 1,
            org_id: 1,
            org_name: "x".into(),
            org_short_name: "x".into(),
            title: title.into(),
            need: String::new(),
            cpv_code: cpv.into(),
            estimated_value_pence: None,
            incumbent: String::new(),
            incumbent_end_date: None,
            owner_user_id: None,
            owner_name: None,
            team: String::new(),
            stage: Stage::Strategy,
            status: Status::Planned,
            procedure_kind: Procedure::Open,
            expected_tender_date: tender.map(|d| d.parse().unwrap()),
            expected_start_date: None,
            contract_months: None,
            sme_suitable: false,
            visibility: Visibility::London,
            published_at: None,
            updated_at: 0,
        }
    }

    #[test]
    fn same_thing_same_time_ranks_above_related_or_later() {
        let mine = p("Housing management system", "48000000", Some("2027-03-01"));
        let twin = p(
            "Housing management system replacement",
            "48000000",
            Some("2027-04-15"),
        );
        let related = p("Finance system", "48400000", Some("2027-03-01"));
        let later = p("Housing management system", "48000000", Some("2029-09-01"));
        let unrelated = p("Grounds maintenance", "77310000", Some("2027-03-01"));
        let s = |o: &Procurement| score_pair(&mine, o).map(|(s, _)| s);
        assert!(s(&twin) > s(&related), "{:?} {:?}", s(&twin), s(&related));
        assert!(s(&twin) > s(&later));
        assert_eq!(s(&unrelated), None);
        let (_, reasons) = score_pair(&mine, &twin).unwrap();
        assert!(reasons.iter().any(|r| r.starts_with("Same CPV code")));
        assert!(reasons.iter().any(|r| r.contains("housing")));
        assert!(reasons.iter().any(|r| r.contains("within")));
    }
}

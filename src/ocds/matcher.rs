//! Past London procurements of the same thing as evidence for "who else is buying this?": a
//! [`Matcher`] for the pipeline's collaboration list. To use it, the pipeline's
//! `matching::find` adds `all.extend(crate::ocds::matcher::PastNotices.candidates(db, viewer, p).await?);`.

use super::cpv::CpvPrefix;
use super::similar::{self, PastProcurement, SimilarQuery};
use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::pipeline::matching::{Candidate, Matcher};
use crate::pipeline::store::Procurement;
use crate::visibility::Viewer;

/// Past procurements count for less than live ones: a borough that bought the thing two years
/// ago has lessons to share, a borough buying it now could buy it together. Their scores are
/// halved and capped below what a live overlap in the same CPV group earns.
const MAX_SCORE: u32 = 40;

pub struct PastNotices;

/// Imported notices by London authorities that share the procurement's CPV branch or title
/// words, as collaboration candidates with their outcome among the reasons.
pub async fn past_notices_for(db: &Db, p: &Procurement) -> DbResult<Vec<Candidate>> {
    let cpv_prefixes = p
        .cpv()
        .map(|c| vec![CpvPrefix::of_code(&c)])
        .unwrap_or_default();
    let found = similar::find_similar(
        db,
        &SimilarQuery {
            cpv_prefixes,
            keywords: similar::keywords(&[&p.title]),
            london_only: true,
            exclude_ocid: None,
            limit: 10,
        },
    )
    .await?;
    Ok(found.into_iter().map(candidate).collect())
}

fn candidate(f: PastProcurement) -> Candidate {
    let mut reasons = f.reasons;
    reasons.push(outcome_in_words(
        &f.outcome_label,
        &f.suppliers,
        f.awarded_value_pence,
    ));
    Candidate {
        source: "past_notice",
        title: f.title,
        organisation: f.buyer_org_name.unwrap_or(f.buyer_name),
        org_id: f.buyer_org_id,
        url: Some(f.url),
        score: (f.score / 2).min(MAX_SCORE),
        reasons,
    }
}

/// "Past procurement: Awarded to Thamesgate Systems Ltd for £2,310,000.50".
fn outcome_in_words(
    label: &str,
    suppliers: &[similar::PastSupplier],
    value: Option<i64>,
) -> String {
    let mut s = format!("Past procurement: {label}");
    if !suppliers.is_empty() {
        let names: Vec<&str> = suppliers.iter().map(|s| s.name.as_str()).collect();
        s.push_str(&format!(" to {}", names.join(", ")));
    }
    if let Some(v) = value {
        s.push_str(&format!(" for {}", Pence(v)));
    }
    s
}

impl Matcher for PastNotices {
    async fn candidates(
        &self,
        db: &Db,
        _viewer: &Viewer,
        p: &Procurement,
    ) -> DbResult<Vec<Candidate>> {
        // Imported notices are public: every viewer may see them.
        past_notices_for(db, p).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_reads_as_a_sentence() {
        let s = similar::PastSupplier {
            supplier_id: 1,
            name: "Thamesgate Systems Ltd".into(),
            company_number: None,
        };
        assert_eq!(
            outcome_in_words("Awarded", &[s], Some(231_000_050)),
            "Past procurement: Awarded to Thamesgate Systems Ltd for £2,310,000.50"
        );
        assert_eq!(
            outcome_in_words("Cancelled", &[], None),
            "Past procurement: Cancelled"
        );
    }
}

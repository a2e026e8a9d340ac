//! A product's scorecard: each requirement with the supplier's claim, boroughs' verdicts and
//! what the OpenAPI checker found, and a score per level that products of one type can be
//! compared on. Pure: the store gathers the rows, this module judges them.

use serde::Serialize;

use super::openapi::{CheckId, Outcome, Report};
use super::store::{Claim, Verification};
use super::{ClaimStatus, Level, Requirement, Standard, Verdict};

/// What the OpenAPI checker says about a requirement, next to the supplier's claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mechanical {
    /// The requirement has no mechanical check, or no document was uploaded.
    None,
    /// Every linked check found what it looks for.
    Supports,
    /// Some linked check found it, some not.
    Partial,
    /// The checks found nothing.
    Contradicts,
}

impl Mechanical {
    pub fn label(self) -> &'static str {
        match self {
            Mechanical::None => "",
            Mechanical::Supports => "Supported by the OpenAPI document",
            Mechanical::Partial => "Partly supported by the OpenAPI document",
            Mechanical::Contradicts => "Not found in the OpenAPI document",
        }
    }
}

/// A check linked to a requirement, and its outcome in the latest uploaded document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkedCheck {
    pub check: CheckId,
    pub outcome: Outcome,
}

/// One requirement's row of the scorecard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub requirement_id: String,
    pub title: String,
    pub level: Level,
    pub claim: Option<Claim>,
    pub verified: usize,
    pub disputed: usize,
    pub verifications: Vec<Verification>,
    /// The linked checks and their outcomes in the latest uploaded document.
    pub checks: Vec<LinkedCheck>,
    pub mechanical: Mechanical,
    /// True when the supplier claims to meet it and the OpenAPI checker found nothing: the
    /// claim deserves a question.
    pub contradicted: bool,
}

impl Line {
    pub fn status(&self) -> Option<ClaimStatus> {
        self.claim.as_ref().map(|c| c.status)
    }
}

/// Totals for one level ("must" or "should").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub total: usize,
    pub meets: usize,
    pub partly: usize,
    pub does_not: usize,
    pub not_applicable: usize,
    pub unanswered: usize,
    /// Claims at this level disputed by at least one borough.
    pub disputed: usize,
    /// Claims at this level verified by at least one borough and disputed by none.
    pub verified: usize,
}

impl Tally {
    /// Meets counts 2, partly 1, does not and unanswered 0, out of 2 for every applicable
    /// requirement: a percentage, or `None` when nothing applies.
    pub fn percent(&self) -> Option<u32> {
        let applicable = self.total - self.not_applicable;
        if applicable == 0 {
            return None;
        }
        let points = 2 * self.meets + self.partly;
        Some(((points * 100) as f64 / (2 * applicable) as f64).round() as u32)
    }

    pub fn percent_label(&self) -> String {
        self.percent()
            .map_or_else(|| "–".to_owned(), |p| format!("{p}%"))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scorecard {
    pub lines: Vec<Line>,
    pub must: Tally,
    pub should: Tally,
    /// Requirements the supplier has answered, out of all.
    pub answered: usize,
}

impl Scorecard {
    pub fn build(
        standard: &Standard,
        claims: &[Claim],
        verifications: &[Verification],
        report: Option<&Report>,
    ) -> Scorecard {
        let mut lines = Vec::new();
        let mut must = Tally::default();
        let mut should = Tally::default();
        let mut ordered: Vec<&Requirement> = standard.requirements.iter().collect();
        ordered.sort_by_key(|r| r.level);
        for r in ordered {
            let claim = claims.iter().find(|c| c.requirement_id == r.id).cloned();
            let vs: Vec<Verification> = verifications
                .iter()
                .filter(|v| v.requirement_id == r.id)
                .cloned()
                .collect();
            let verified = vs.iter().filter(|v| v.verdict == Verdict::Verified).count();
            let disputed = vs.iter().filter(|v| v.verdict == Verdict::Disputed).count();
            let checks: Vec<LinkedCheck> = match report {
                Some(rep) => r
                    .checks
                    .iter()
                    .filter_map(|c| {
                        rep.check(*c).map(|res| LinkedCheck {
                            check: *c,
                            outcome: res.outcome,
                        })
                    })
                    .filter(|l| l.outcome != Outcome::NotApplicable)
                    .collect(),
                None => vec![],
            };
            let mechanical = if checks.is_empty() {
                Mechanical::None
            } else if checks.iter().all(|l| l.outcome == Outcome::Pass) {
                Mechanical::Supports
            } else if checks.iter().all(|l| l.outcome == Outcome::Fail) {
                Mechanical::Contradicts
            } else {
                Mechanical::Partial
            };
            let status = claim.as_ref().map(|c| c.status);
            let contradicted =
                status == Some(ClaimStatus::Meets) && mechanical == Mechanical::Contradicts;
            let tally = match r.level {
                Level::Must => &mut must,
                Level::Should => &mut should,
            };
            tally.total += 1;
            match status {
                Some(ClaimStatus::Meets) => tally.meets += 1,
                Some(ClaimStatus::Partly) => tally.partly += 1,
                Some(ClaimStatus::DoesNot) => tally.does_not += 1,
                Some(ClaimStatus::NotApplicable) => tally.not_applicable += 1,
                None => tally.unanswered += 1,
            }
            if disputed > 0 {
                tally.disputed += 1;
            } else if verified > 0 {
                tally.verified += 1;
            }
            lines.push(Line {
                requirement_id: r.id.clone(),
                title: r.title.clone(),
                level: r.level,
                claim,
                verified,
                disputed,
                verifications: vs,
                checks,
                mechanical,
                contradicted,
            });
        }
        let answered = lines.iter().filter(|l| l.claim.is_some()).count();
        Scorecard {
            lines,
            must,
            should,
            answered,
        }
    }

    pub fn line(&self, requirement_id: &str) -> Option<&Line> {
        self.lines
            .iter()
            .find(|l| l.requirement_id == requirement_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::openapi;
    use crate::visibility::Visibility;

    fn claim(id: &str, status: ClaimStatus) -> Claim {
        Claim {
            requirement_id: id.into(),
            status,
            note: String::new(),
            evidence_url: None,
            openapi_document_id: None,
            updated_by_name: "S".into(),
            updated_at: 0,
        }
    }

    fn verdict(id: &str, org_id: i64, verdict: Verdict) -> Verification {
        Verification {
            id: org_id,
            requirement_id: id.into(),
            org_id,
            org_name: format!("Borough {org_id}"),
            verdict,
            note: String::new(),
            visibility: Visibility::London,
            created_by_name: "O".into(),
            updated_at: 0,
        }
    }

    #[test]
    fn scores_count_meets_as_two_partly_as_one_and_leave_out_not_applicable() {
        let s = Standard::embedded();
        let musts: Vec<&str> = s
            .requirements
            .iter()
            .filter(|r| r.level == Level::Must)
            .map(|r| r.id.as_str())
            .collect();
        let claims = vec![
            claim(musts[0], ClaimStatus::Meets),
            claim(musts[1], ClaimStatus::Partly),
            claim(musts[2], ClaimStatus::NotApplicable),
            claim(musts[3], ClaimStatus::DoesNot),
        ];
        let card = Scorecard::build(s, &claims, &[], None);
        assert_eq!(card.must.total, musts.len());
        assert_eq!(card.must.meets, 1);
        assert_eq!(card.must.partly, 1);
        assert_eq!(card.must.unanswered, musts.len() - 4);
        let applicable = musts.len() - 1;
        assert_eq!(
            card.must.percent(),
            Some(((3 * 100) as f64 / (2 * applicable) as f64).round() as u32)
        );
        assert_eq!(card.answered, 4);
        // "must" lines come first.
        assert_eq!(card.lines[0].level, Level::Must);
        assert_eq!(card.should.percent(), Some(0));
    }

    #[test]
    fn a_dispute_outweighs_verifications() {
        let s = Standard::embedded();
        let id = "bulk-extract";
        let card = Scorecard::build(
            s,
            &[claim(id, ClaimStatus::Meets)],
            &[
                verdict(id, 1, Verdict::Verified),
                verdict(id, 2, Verdict::Disputed),
            ],
            None,
        );
        let line = card.line(id).unwrap();
        assert_eq!((line.verified, line.disputed), (1, 1));
        assert_eq!((card.must.verified, card.must.disputed), (0, 1));
    }

    #[test]
    fn a_claim_the_openapi_document_does_not_bear_out_is_flagged() {
        let s = Standard::embedded();
        let report = openapi::check_bytes(
            br#"{"openapi":"3.0.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"summary":"a","responses":{"200":{"description":"ok"}}}}}}"#,
        )
        .unwrap();
        let card = Scorecard::build(
            s,
            &[
                claim("authentication", ClaimStatus::Meets),
                claim("api-write-parity", ClaimStatus::DoesNot),
            ],
            &[],
            Some(&report),
        );
        let auth = card.line("authentication").unwrap();
        assert_eq!(auth.mechanical, Mechanical::Contradicts);
        assert!(auth.contradicted);
        let write = card.line("api-write-parity").unwrap();
        assert_eq!(write.mechanical, Mechanical::Contradicts);
        assert!(!write.contradicted, "an honest 'does not' is not flagged");
        assert_eq!(
            card.line("no-extra-charge").unwrap().mechanical,
            Mechanical::None
        );
    }
}

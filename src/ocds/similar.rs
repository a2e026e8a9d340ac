//! "Has London bought this before, and how did it go?" Past procurements from imported
//! notices that share CPV codes or words with what an officer is about to buy, ranked, each
//! with the reasons it was matched, its outcome and who won it.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::Outcome;
use super::cpv::CpvPrefix;
use super::store;
use crate::db::{Arg, Db, DbResult, like_pattern};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PastSupplier {
    pub supplier_id: i64,
    pub name: String,
    pub company_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PastProcurement {
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    /// The London authority that bought, when the buyer is one.
    pub buyer_org_id: Option<i64>,
    pub buyer_org_name: Option<String>,
    pub outcome: Outcome,
    pub outcome_label: String,
    pub tender_value_pence: Option<i64>,
    pub awarded_value_pence: Option<i64>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    /// Unix seconds of the latest notice.
    pub last_release_at: i64,
    /// CPV codes with check digits.
    pub cpv_codes: Vec<String>,
    /// Who won it (standing awards).
    pub suppliers: Vec<PastSupplier>,
    /// Higher is closer; only comparable within one answer.
    pub score: u32,
    /// Why it matched, in words.
    pub reasons: Vec<String>,
    pub url: String,
}

#[derive(Debug, Clone, Default)]
pub struct SimilarQuery {
    pub cpv_prefixes: Vec<CpvPrefix>,
    pub keywords: Vec<String>,
    /// Only notices whose buyer is a London authority.
    pub london_only: bool,
    /// Leave out this contracting process (the one being looked at).
    pub exclude_ocid: Option<String>,
    pub limit: usize,
}

/// Words too common in notices to say what is being bought.
const STOP_WORDS: &[&str] = &[
    "and",
    "the",
    "for",
    "with",
    "from",
    "into",
    "services",
    "service",
    "supply",
    "provision",
    "contract",
    "council",
    "london",
    "borough",
    "tender",
    "framework",
    "lot",
    "new",
    "of",
    "to",
];

/// Keywords as matched: lower case, split on anything but letters and digits, at least three
/// characters, common notice words dropped, each once.
pub fn keywords(raw: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in raw {
        for w in k
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(w))
        {
            if !out.iter().any(|o| o == w) {
                out.push(w.to_owned());
            }
        }
    }
    out.truncate(12);
    out
}

/// Past procurements by London authorities of the same thing: sharing a CPV branch with
/// `cpv_prefixes` (the more digits shared, the closer) or words with `keywords`, best first.
pub async fn similar_past_procurements(
    db: &Db,
    cpv_prefixes: &[CpvPrefix],
    keywords_in: &[&str],
    limit: usize,
) -> DbResult<Vec<PastProcurement>> {
    find_similar(
        db,
        &SimilarQuery {
            cpv_prefixes: cpv_prefixes.to_vec(),
            keywords: keywords(keywords_in),
            london_only: true,
            exclude_ocid: None,
            limit,
        },
    )
    .await
}

#[derive(Debug, sqlx::FromRow)]
struct Candidate {
    #[sqlx(flatten)]
    notice: store::Notice,
    search_text: String,
}

/// How many candidates are scored at most: the newest first. Enough for London's notices of
/// one CPV division; a wider net would only add weaker matches.
const CANDIDATES: i64 = 2000;

pub async fn find_similar(db: &Db, q: &SimilarQuery) -> DbResult<Vec<PastProcurement>> {
    if (q.cpv_prefixes.is_empty() && q.keywords.is_empty()) || q.limit == 0 {
        return Ok(Vec::new());
    }
    let mut any: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    for p in &q.cpv_prefixes {
        // Candidates share at least the division; closeness is scored below.
        args.push(Arg::from(format!("{}%", &p.as_str()[..2])));
        any.push(format!(
            "EXISTS (SELECT 1 FROM ocds_record_cpv c WHERE c.record_id = r.id AND c.code LIKE ${})",
            args.len()
        ));
    }
    for k in &q.keywords {
        args.push(Arg::from(like_pattern(k)));
        any.push(format!("r.search_text LIKE ${} ESCAPE '\\'", args.len()));
    }
    let mut wh = vec![format!("({})", any.join(" OR "))];
    if q.london_only {
        wh.push("r.buyer_org_id IS NOT NULL".into());
    }
    if let Some(ocid) = &q.exclude_ocid {
        args.push(Arg::from(ocid.as_str()));
        wh.push(format!("r.ocid <> ${}", args.len()));
    }
    args.push(Arg::from(CANDIDATES));
    let candidates: Vec<Candidate> = db
        .fetch_all(
            format!(
                "SELECT r.id, r.ocid, r.title, r.buyer_name, r.buyer_org_id, o.short_name AS buyer_org_name,
                 o.slug AS buyer_org_slug, r.outcome, r.tender_value_pence, r.awarded_value_pence,
                 r.contract_start, r.contract_end, r.first_published_at, r.last_release_at, r.search_text
                 FROM ocds_records r LEFT JOIN organisations o ON o.id = r.buyer_org_id
                 WHERE {} ORDER BY r.last_release_at DESC, r.id DESC LIMIT ${}",
                wh.join(" AND "),
                args.len()
            ),
            args,
        )
        .await?;
    let ids: Vec<i64> = candidates.iter().map(|c| c.notice.id).collect();
    let mut codes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut full_codes: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in store::cpv_of(db, chunk).await? {
            codes.entry(c.record_id).or_default().push(c.code.clone());
            full_codes.entry(c.record_id).or_default().push(c.full_code);
        }
    }

    let mut scored: Vec<(u32, Vec<String>, Candidate)> = candidates
        .into_iter()
        .filter_map(|c| {
            let (score, reasons) = score(q, codes.get(&c.notice.id).map(Vec::as_slice), &c);
            (score > 0).then_some((score, reasons, c))
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.2.notice.last_release_at.cmp(&a.2.notice.last_release_at))
    });
    scored.truncate(q.limit);

    let top: Vec<i64> = scored.iter().map(|(_, _, c)| c.notice.id).collect();
    let mut suppliers: HashMap<i64, Vec<PastSupplier>> = HashMap::new();
    for s in store::suppliers_of(db, &top).await? {
        suppliers
            .entry(s.record_id)
            .or_default()
            .push(PastSupplier {
                supplier_id: s.supplier_id,
                name: s.name,
                company_number: s.company_number,
            });
    }
    Ok(scored
        .into_iter()
        .map(|(score, reasons, c)| {
            let n = c.notice;
            PastProcurement {
                url: format!("/notices/{}", n.ocid),
                cpv_codes: full_codes.remove(&n.id).unwrap_or_default(),
                suppliers: suppliers.remove(&n.id).unwrap_or_default(),
                ocid: n.ocid,
                title: n.title,
                buyer_name: n.buyer_name,
                buyer_org_id: n.buyer_org_id,
                buyer_org_name: n.buyer_org_name,
                outcome: n.outcome,
                outcome_label: n.outcome.label().to_owned(),
                tender_value_pence: n.tender_value_pence,
                awarded_value_pence: n.awarded_value_pence,
                contract_start: n.contract_start,
                contract_end: n.contract_end,
                last_release_at: n.last_release_at,
                score,
                reasons,
            }
        })
        .collect())
}

/// A candidate's closeness and the reasons for it. A shared CPV branch counts ten points a
/// digit (the same category beats the same division), a keyword in the title fifteen and
/// elsewhere five; a notice that reached an award gets two more, as the better precedent.
fn score(q: &SimilarQuery, codes: Option<&[String]>, c: &Candidate) -> (u32, Vec<String>) {
    let mut score = 0u32;
    let mut reasons = Vec::new();
    let mut best: Option<(usize, &CpvPrefix)> = None;
    for wanted in &q.cpv_prefixes {
        for code in codes.unwrap_or_default() {
            let Ok(theirs) = CpvPrefix::parse(code) else {
                continue;
            };
            let shared = wanted.shared_digits(&theirs).min(wanted.as_str().len());
            if shared >= 2 && best.is_none_or(|(b, _)| shared > b) {
                best = Some((shared, wanted));
            }
        }
    }
    if let Some((shared, wanted)) = best {
        score += 10 * shared as u32;
        let branch = CpvPrefix::parse(&wanted.as_str()[..shared]).ok();
        let label = branch
            .as_ref()
            .and_then(CpvPrefix::label)
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let level = CpvPrefix::level_name(shared);
        if shared == wanted.as_str().len() {
            score += 10;
            reasons.push(format!(
                "Same CPV {level} {}{label}",
                &wanted.as_str()[..shared]
            ));
        } else {
            reasons.push(format!(
                "Related: same CPV {level} {}{label}",
                &wanted.as_str()[..shared]
            ));
        }
    }
    let title = c.notice.title.to_lowercase();
    let mut in_title = Vec::new();
    let mut elsewhere = Vec::new();
    for k in &q.keywords {
        if title.contains(k.as_str()) {
            score += 15;
            in_title.push(format!("“{k}”"));
        } else if c.search_text.contains(k.as_str()) {
            score += 5;
            elsewhere.push(format!("“{k}”"));
        }
    }
    if !in_title.is_empty() {
        reasons.push(format!("Title mentions {}", in_title.join(", ")));
    }
    if !elsewhere.is_empty() {
        reasons.push(format!("Notice mentions {}", elsewhere.join(", ")));
    }
    if score > 0 && c.notice.outcome.reached_award() {
        score += 2;
    }
    (score, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_noise() {
        assert_eq!(
            keywords(&[
                "Housing management SYSTEM",
                "housing",
                "IT services for the council"
            ]),
            vec!["housing", "management", "system"]
        );
    }
}

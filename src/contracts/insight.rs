//! Supplier insight shared across London: after a review meeting a borough rates the supplier
//! (delivery, responsiveness, data access, price transparency, continuous improvement; 1–5,
//! with a note). Ratings are `london` records: every London authority and the convenor see
//! them with the borough that gave them. The supplier itself sees the aggregate and the notes,
//! never which borough or person rated — and this module is the only way to read ratings, so
//! that rule holds whatever page or API asks:
//!
//! - the supplier's query does not select the rating's organisation, person or date at all;
//! - its notes come back in alphabetical order, so their order says nothing about who or when;
//! - it sees nothing until at least [`MIN_BOROUGHS_FOR_SUPPLIER`] boroughs have rated it:
//!   a supplier knows its customers, and one rater would be no secret.
//!
//! Each contract counts once, with its latest rating: a borough that reviews monthly does not
//! outweigh one that reviews yearly, and an improving supplier is judged on where it is now.

use serde::Serialize;

use super::store::{Contract, Review};
use super::{Aspect, Score};
use crate::accounts::OrgKind;
use crate::args;
use crate::db::{Db, DbError, DbResult, now};
use crate::visibility::Viewer;

pub const MIN_BOROUGHS_FOR_SUPPLIER: i64 = 2;

/// Only the latest rating of each contract counts.
const LATEST_PER_CONTRACT: &str =
    "r.id IN (SELECT MAX(x.id) FROM supplier_ratings x GROUP BY x.contract_id)";

#[derive(Debug, thiserror::Error)]
pub enum RatingError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the supplier has already been rated after this review")]
    AlreadyRated,
}

/// A rating as a borough gives it: a score or "could not judge" for each aspect, and a note.
#[derive(Debug, Clone, Default)]
pub struct RatingInput {
    pub scores: [Option<Score>; 5],
    pub note: String,
}

fn score_arg(s: Option<Score>) -> Option<i64> {
    s.map(|s| i64::from(s.get()))
}

pub async fn rate(
    db: &Db,
    user_id: i64,
    c: &Contract,
    review: &Review,
    r: &RatingInput,
) -> Result<i64, RatingError> {
    let mut tx = db.begin().await?;
    let done = tx
        .scalar::<i64>(
            "SELECT id FROM supplier_ratings WHERE review_id = $1",
            args![review.id],
        )
        .await?;
    if done.is_some() {
        return Err(RatingError::AlreadyRated);
    }
    let id = tx
        .scalar::<i64>(
            "INSERT INTO supplier_ratings (org_id, contract_id, review_id, supplier_id, rated_by,
                delivery, responsiveness, data_access, price_transparency, continuous_improvement,
                note, visibility, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'london', $12) RETURNING id",
            args![
                c.org_id,
                c.id,
                review.id,
                c.supplier_id,
                user_id,
                score_arg(r.scores[0]),
                score_arg(r.scores[1]),
                score_arg(r.scores[2]),
                score_arg(r.scores[3]),
                score_arg(r.scores[4]),
                &r.note,
                now()
            ],
        )
        .await?
        .unwrap_or_default();
    super::store::log(
        &mut tx,
        c.id,
        Some(user_id),
        &format!("Rated {} for London's supplier insight", c.supplier_name),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The five scores of one rating, in [`Aspect::ALL`] order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scores(pub [Option<Score>; 5]);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AspectSummary {
    pub aspect: &'static str,
    pub label: &'static str,
    /// Ratings that scored this aspect (a borough may leave one unscored).
    pub count: usize,
    pub mean: Option<f64>,
    pub min: Option<u8>,
    pub max: Option<u8>,
    /// How many ratings gave 1, 2, 3, 4 and 5.
    pub distribution: Vec<usize>,
}

impl AspectSummary {
    pub fn mean_text(&self) -> String {
        self.mean
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "–".into())
    }

    pub fn spread_text(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => format!("all {a}"),
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "–".into(),
        }
    }

    /// "1: 0, 2: 1, 3: 2, 4: 0, 5: 1", for screen readers and the table.
    pub fn distribution_text(&self) -> String {
        self.distribution
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}: {n}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Aggregate {
    /// Ratings counted (the latest of each contract).
    pub ratings: usize,
    /// Different London authorities among them.
    pub boroughs: i64,
    pub aspects: Vec<AspectSummary>,
}

pub fn aggregate(rows: &[Scores], boroughs: i64) -> Aggregate {
    let aspects = Aspect::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let scores: Vec<u8> = rows.iter().filter_map(|r| r.0[i]).map(Score::get).collect();
            let mut distribution = vec![0usize; 5];
            for s in &scores {
                distribution[usize::from(*s - 1)] += 1;
            }
            let count = scores.len();
            AspectSummary {
                aspect: a.key(),
                label: a.label(),
                count,
                mean: (count > 0)
                    .then(|| scores.iter().map(|s| f64::from(*s)).sum::<f64>() / count as f64),
                min: scores.iter().min().copied(),
                max: scores.iter().max().copied(),
                distribution,
            }
        })
        .collect();
    Aggregate {
        ratings: rows.len(),
        boroughs,
        aspects,
    }
}

/// One rating as London authorities see it: with the borough, not the person.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct BoroughRating {
    pub id: i64,
    pub org_name: String,
    pub rated_at: i64,
    pub delivery: Option<i64>,
    pub responsiveness: Option<i64>,
    pub data_access: Option<i64>,
    pub price_transparency: Option<i64>,
    pub continuous_improvement: Option<i64>,
    pub note: String,
}

/// One rating as the supplier sees it: scores and note, nothing that identifies the rater.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct AnonymousRating {
    pub delivery: Option<i64>,
    pub responsiveness: Option<i64>,
    pub data_access: Option<i64>,
    pub price_transparency: Option<i64>,
    pub continuous_improvement: Option<i64>,
    pub note: String,
}

trait HasScores {
    fn columns(&self) -> [Option<i64>; 5];
    fn scores(&self) -> Scores {
        Scores(self.columns().map(Score::from_column))
    }
}

impl HasScores for BoroughRating {
    fn columns(&self) -> [Option<i64>; 5] {
        [
            self.delivery,
            self.responsiveness,
            self.data_access,
            self.price_transparency,
            self.continuous_improvement,
        ]
    }
}

impl HasScores for AnonymousRating {
    fn columns(&self) -> [Option<i64>; 5] {
        [
            self.delivery,
            self.responsiveness,
            self.data_access,
            self.price_transparency,
            self.continuous_improvement,
        ]
    }
}

impl BoroughRating {
    pub fn when(&self) -> String {
        chrono::DateTime::from_timestamp(self.rated_at, 0)
            .map(|t| crate::web::filters::long_date(t.date_naive()))
            .unwrap_or_default()
    }

    pub fn score_texts(&self) -> Vec<String> {
        score_texts(self.columns())
    }
}

impl AnonymousRating {
    pub fn score_texts(&self) -> Vec<String> {
        score_texts(self.columns())
    }
}

fn score_texts(cols: [Option<i64>; 5]) -> Vec<String> {
    cols.iter()
        .map(|c| c.map(|n| n.to_string()).unwrap_or_else(|| "–".into()))
        .collect()
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SupplierEntry {
    pub id: i64,
    pub name: String,
    pub company_number: Option<String>,
    /// The supplier's own organisation on procurekit: used to decide access, not shown.
    #[serde(skip)]
    pub org_id: Option<i64>,
}

/// What a viewer may read about a supplier's ratings, decided here and nowhere else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum Insight {
    /// London authorities and the convenor: every rating with its borough.
    London {
        supplier: SupplierEntry,
        aggregate: Aggregate,
        ratings: Vec<BoroughRating>,
    },
    /// The supplier itself: the aggregate and notes, once enough boroughs have rated it.
    Supplier {
        supplier: SupplierEntry,
        aggregate: Option<Aggregate>,
        notes: Vec<AnonymousRating>,
        boroughs_needed: i64,
    },
}

pub async fn supplier_entry(db: &Db, id: i64) -> DbResult<Option<SupplierEntry>> {
    db.fetch_optional(
        "SELECT id, name, company_number, org_id FROM suppliers WHERE id = $1 AND merged_into IS NULL",
        args![id],
    )
    .await
}

/// The supplier's ratings as the viewer may see them; `None` when the viewer may see nothing
/// (another supplier, someone signed out, or no such supplier).
pub async fn insight(db: &Db, viewer: &Viewer, supplier_id: i64) -> DbResult<Option<Insight>> {
    let Some(supplier) = supplier_entry(db, supplier_id).await? else {
        return Ok(None);
    };
    if viewer.is_london_member() {
        let scope = viewer.scope("r", 2);
        let mut a = args![supplier_id];
        a.extend(scope.args);
        let ratings: Vec<BoroughRating> = db
            .fetch_all(
                format!(
                    "SELECT r.id, o.name AS org_name, r.created_at AS rated_at, r.delivery,
                        r.responsiveness, r.data_access, r.price_transparency,
                        r.continuous_improvement, r.note
                     FROM supplier_ratings r
                     JOIN suppliers s ON s.id = r.supplier_id
                     JOIN organisations o ON o.id = r.org_id
                     WHERE (s.id = $1 OR s.merged_into = $1) AND {LATEST_PER_CONTRACT} AND {}
                     ORDER BY r.created_at DESC, r.id DESC",
                    scope.sql
                ),
                a,
            )
            .await?;
        let boroughs = {
            let mut orgs: Vec<&str> = ratings.iter().map(|r| r.org_name.as_str()).collect();
            orgs.sort_unstable();
            orgs.dedup();
            orgs.len() as i64
        };
        let scores: Vec<Scores> = ratings.iter().map(HasScores::scores).collect();
        return Ok(Some(Insight::London {
            supplier,
            aggregate: aggregate(&scores, boroughs),
            ratings,
        }));
    }
    let own = viewer.org_id().is_some() && supplier.org_id == viewer.org_id();
    if !own {
        return Ok(None);
    }
    let boroughs = db
        .scalar::<i64>(
            format!(
                "SELECT COUNT(DISTINCT r.org_id) FROM supplier_ratings r JOIN suppliers s ON s.id = r.supplier_id
                 WHERE (s.id = $1 OR s.merged_into = $1) AND r.visibility = 'london' AND {LATEST_PER_CONTRACT}"
            ),
            args![supplier_id],
        )
        .await?
        .unwrap_or(0);
    if boroughs < MIN_BOROUGHS_FOR_SUPPLIER {
        return Ok(Some(Insight::Supplier {
            supplier,
            aggregate: None,
            notes: Vec::new(),
            boroughs_needed: MIN_BOROUGHS_FOR_SUPPLIER,
        }));
    }
    // No organisation, person or date in this query: the supplier's view cannot leak them.
    let rows: Vec<AnonymousRating> = db
        .fetch_all(
            format!(
                "SELECT r.delivery, r.responsiveness, r.data_access, r.price_transparency,
                    r.continuous_improvement, r.note
                 FROM supplier_ratings r JOIN suppliers s ON s.id = r.supplier_id
                 WHERE (s.id = $1 OR s.merged_into = $1) AND r.visibility = 'london' AND {LATEST_PER_CONTRACT}
                 ORDER BY r.note, r.delivery"
            ),
            args![supplier_id],
        )
        .await?;
    let scores: Vec<Scores> = rows.iter().map(HasScores::scores).collect();
    Ok(Some(Insight::Supplier {
        supplier,
        aggregate: Some(aggregate(&scores, boroughs)),
        notes: rows.into_iter().filter(|r| !r.note.is_empty()).collect(),
        boroughs_needed: MIN_BOROUGHS_FOR_SUPPLIER,
    }))
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct RatedSupplier {
    pub supplier_id: i64,
    pub name: String,
    pub ratings: i64,
    pub boroughs: i64,
}

/// Suppliers London authorities have rated, for London members; empty for anyone else.
pub async fn rated_suppliers(db: &Db, viewer: &Viewer) -> DbResult<Vec<RatedSupplier>> {
    if !viewer.is_london_member() {
        return Ok(Vec::new());
    }
    let scope = viewer.scope("r", 1);
    db.fetch_all(
        format!(
            "SELECT COALESCE(s.merged_into, s.id) AS supplier_id, MIN(m.name) AS name,
                COUNT(*) AS ratings, COUNT(DISTINCT r.org_id) AS boroughs
             FROM supplier_ratings r
             JOIN suppliers s ON s.id = r.supplier_id
             JOIN suppliers m ON m.id = COALESCE(s.merged_into, s.id)
             WHERE {LATEST_PER_CONTRACT} AND {}
             GROUP BY COALESCE(s.merged_into, s.id)
             ORDER BY MIN(m.name)",
            scope.sql
        ),
        scope.args,
    )
    .await
}

/// The supplier register entries that stand for a supplier organisation on procurekit.
pub async fn entries_of_supplier_org(db: &Db, viewer: &Viewer) -> DbResult<Vec<SupplierEntry>> {
    let Some(org) = viewer.org_id() else {
        return Ok(Vec::new());
    };
    let kind = db
        .scalar::<OrgKind>("SELECT kind FROM organisations WHERE id = $1", args![org])
        .await?;
    if kind != Some(OrgKind::Supplier) {
        return Ok(Vec::new());
    }
    db.fetch_all(
        "SELECT id, name, company_number, org_id FROM suppliers WHERE org_id = $1 AND merged_into IS NULL ORDER BY name",
        args![org],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: [u8; 5]) -> Scores {
        Scores(v.map(|n| Score::parse(&n.to_string())))
    }

    #[test]
    fn aspects_aggregate_with_counts_and_spread_and_gaps_left_out() {
        let rows = [s([4, 2, 0, 3, 5]), s([2, 2, 1, 3, 4]), s([5, 3, 0, 3, 4])];
        let a = aggregate(&rows, 3);
        assert_eq!(a.ratings, 3);
        let delivery = &a.aspects[0];
        assert_eq!(delivery.count, 3);
        assert_eq!(delivery.mean_text(), "3.7");
        assert_eq!(delivery.spread_text(), "2 to 5");
        assert_eq!(delivery.distribution, vec![0, 1, 0, 1, 1]);
        // 0 is "could not judge": left out of the count, not averaged in as a score.
        let data = &a.aspects[2];
        assert_eq!(data.count, 1);
        assert_eq!(data.spread_text(), "all 1");
        assert_eq!(a.aspects[3].spread_text(), "all 3");
        let none = aggregate(&[], 0);
        assert_eq!(none.aspects[0].mean_text(), "–");
    }
}

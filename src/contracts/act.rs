//! The Procurement Act 2023's duties on contract performance, and the data for a contract
//! performance notice.
//!
//! - Section 52(1): before entering into a public contract with an estimated value of more than
//!   £5 million (including VAT), the authority sets at least three KPIs and publishes them,
//!   unless it considers performance could not appropriately be assessed by KPIs (s52(2));
//!   frameworks, concessions and light touch contracts are outside it.
//! - Section 71(2): where KPIs were set under s52, the authority assesses performance against
//!   them at least once in every period of 12 months and on termination, and publishes the
//!   assessment.
//! - Procurement Regulations 2024, regulation 39: the assessment is published as a "contract
//!   performance notice" (UK9 on Find a Tender) holding the information in reg. 39(4), rated
//!   Good / Approaching target / Requires improvement / Inadequate / Other (reg. 39(5)).
//!
//! Only contracts procured under the Act carry these duties; contracts whose procurement
//! started before 24 February 2025 are recorded as "earlier rules" and are not flagged.
//! Section 71 came into force on 1 January 2026 (Procurement Act 2023 (Commencement No. 4)
//! Regulations 2025), so the first 12-month period runs from then at the earliest, and a
//! contract that ended before then owes no final assessment.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::store::{Contract, Kpi, log};
use super::{AssessmentStatus, KpiDuty, KpiStatus, PerformanceRating};
use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbResult, now};
use crate::money::Pence;

/// "More than £5 million": contracts at exactly £5m are not caught.
pub const KPI_VALUE_THRESHOLD: Pence = Pence(500_000_000);
pub const MIN_KPIS: usize = 3;
/// Assessments are due at least once in every period of 12 months (s71(2)).
pub const ASSESSMENT_MONTHS: u32 = 12;

/// When section 71 came into force (in England; SI 2025/1316).
pub fn s71_in_force() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
}

/// Something the Act asks of a contract that is not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum DutyProblem {
    /// Fewer than three KPIs (s52(1)).
    TooFewKpis { have: usize },
    /// No published assessment in the last 12 months (s71(2)).
    AssessmentOverdue { due: NaiveDate },
    /// The contract has ended without a final published assessment (s71(2), on termination).
    FinalAssessmentDue { ended: NaiveDate },
}

impl DutyProblem {
    pub fn message(&self) -> String {
        match self {
            DutyProblem::TooFewKpis { have } => format!(
                "Has {have} KPI{}: contracts over £5 million need at least {MIN_KPIS} (section 52)",
                if *have == 1 { "" } else { "s" }
            ),
            DutyProblem::AssessmentOverdue { due } => format!(
                "Performance assessment overdue since {}: publish one at least every 12 months (section 71)",
                crate::web::filters::long_date(*due)
            ),
            DutyProblem::FinalAssessmentDue { ended } => format!(
                "Ended on {} without a final published performance assessment (section 71)",
                crate::web::filters::long_date(*ended)
            ),
        }
    }
}

/// Where a contract stands with sections 52 and 71.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Duties {
    /// Whether the duties apply to this contract.
    pub applies: bool,
    /// Why they do or do not, in words.
    pub reason: String,
    pub kpi_count: usize,
    pub last_published: Option<NaiveDate>,
    pub next_assessment_due: Option<NaiveDate>,
    pub problems: Vec<DutyProblem>,
}

impl Duties {
    pub fn is_met(&self) -> bool {
        self.problems.is_empty()
    }

    /// An assessment (periodic or final) is already late.
    pub fn is_overdue(&self) -> bool {
        self.problems.iter().any(|p| {
            matches!(
                p,
                DutyProblem::AssessmentOverdue { .. } | DutyProblem::FinalAssessmentDue { .. }
            )
        })
    }

    pub fn due_text(&self) -> String {
        self.next_assessment_due
            .map(crate::web::filters::long_date)
            .unwrap_or_default()
    }
}

/// Checks a contract against sections 52 and 71 on `today`. `last_published` is the date the
/// latest assessment was published; `final_published` whether a published assessment covers
/// the contract's end.
pub fn duties(
    c: &Contract,
    kpi_count: usize,
    last_published: Option<NaiveDate>,
    final_published: bool,
    today: NaiveDate,
) -> Duties {
    let mut d = Duties {
        applies: false,
        reason: String::new(),
        kpi_count,
        last_published,
        next_assessment_due: None,
        problems: Vec::new(),
    };
    if c.kpi_duty != KpiDuty::Applies {
        d.reason = format!("Not applicable: {}", c.kpi_duty.label().to_lowercase());
        return d;
    }
    let Some(value) = c.value() else {
        d.reason = "Record the contract's value to check whether the duties apply".into();
        return d;
    };
    if value <= KPI_VALUE_THRESHOLD {
        d.reason = format!(
            "Not applicable: the value ({}) is not more than £5 million",
            value.display()
        );
        return d;
    }
    d.applies = true;
    d.reason = format!(
        "The value ({}) is more than £5 million, so sections 52 and 71 apply",
        value.display()
    );
    if kpi_count < MIN_KPIS {
        d.problems.push(DutyProblem::TooFewKpis { have: kpi_count });
    }
    let ended = c.end_date < today;
    if ended {
        if !final_published && c.end_date >= s71_in_force() {
            d.problems
                .push(DutyProblem::FinalAssessmentDue { ended: c.end_date });
            d.next_assessment_due = Some(c.end_date);
        }
        return d;
    }
    let Some(base) = last_published.or(c.start_date.map(|s| s.max(s71_in_force()))) else {
        return d;
    };
    let due = base
        .checked_add_months(Months::new(ASSESSMENT_MONTHS))
        .unwrap_or(base);
    d.next_assessment_due = Some(due.min(c.end_date));
    let started = c.start_date.is_none_or(|s| s <= today);
    if started && due < today {
        d.problems.push(DutyProblem::AssessmentOverdue { due });
    }
    d
}

/// Loads what [`duties`] needs for one contract.
pub async fn duties_for(
    db: &Db,
    c: &Contract,
    kpi_count: usize,
    today: NaiveDate,
) -> DbResult<Duties> {
    let last = db
        .scalar::<Option<NaiveDate>>(
            "SELECT MAX(published_on) FROM performance_assessments WHERE contract_id = $1 AND status = 'published'",
            args![c.id],
        )
        .await?
        .flatten();
    let final_published = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM performance_assessments
             WHERE contract_id = $1 AND status = 'published' AND period_end >= $2",
            args![c.id, c.end_date],
        )
        .await?
        .unwrap_or(0)
        > 0;
    Ok(duties(c, kpi_count, last, final_published, today))
}

// ---- Assessments ----

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub summary: String,
    pub status: AssessmentStatus,
    pub published_on: Option<NaiveDate>,
    pub notice_reference: String,
    #[sqlx(skip)]
    pub ratings: Vec<KpiRating>,
}

impl Assessment {
    pub fn period_text(&self) -> String {
        format!(
            "{} to {}",
            crate::web::filters::long_date(self.period_start),
            crate::web::filters::long_date(self.period_end)
        )
    }

    pub fn is_published(&self) -> bool {
        self.status == AssessmentStatus::Published
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct KpiRating {
    pub kpi_id: i64,
    pub kpi_name: String,
    pub rating: PerformanceRating,
    pub comment: String,
}

pub async fn assessments(db: &Db, contract_id: i64) -> DbResult<Vec<Assessment>> {
    let mut list: Vec<Assessment> = db
        .fetch_all(
            "SELECT id, period_start, period_end, summary, status, published_on, notice_reference
             FROM performance_assessments WHERE contract_id = $1 ORDER BY period_end DESC, id DESC",
            args![contract_id],
        )
        .await?;
    for a in &mut list {
        a.ratings = db
            .fetch_all(
                "SELECT r.kpi_id, k.name AS kpi_name, r.rating, r.comment
                 FROM assessment_ratings r JOIN contract_kpis k ON k.id = r.kpi_id
                 WHERE r.assessment_id = $1 ORDER BY k.position, k.id",
                args![a.id],
            )
            .await?;
    }
    Ok(list)
}

#[derive(Debug, Clone)]
pub struct AssessmentInput {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub summary: String,
    pub ratings: Vec<(i64, PerformanceRating, String)>,
}

pub async fn create_assessment(
    db: &Db,
    user: &User,
    c: &Contract,
    a: &AssessmentInput,
) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let id = tx
        .scalar::<i64>(
            "INSERT INTO performance_assessments (contract_id, period_start, period_end, summary, status, created_by, created_at)
             VALUES ($1, $2, $3, $4, 'draft', $5, $6) RETURNING id",
            args![c.id, a.period_start, a.period_end, &a.summary, user.id, now()],
        )
        .await?
        .unwrap_or_default();
    for (kpi_id, rating, comment) in &a.ratings {
        tx.execute(
            "INSERT INTO assessment_ratings (assessment_id, kpi_id, rating, comment) VALUES ($1, $2, $3, $4)",
            args![id, *kpi_id, *rating, comment],
        )
        .await?;
    }
    log(
        &mut tx,
        c.id,
        Some(user.id),
        &format!(
            "Drafted a performance assessment for {} to {}",
            crate::web::filters::long_date(a.period_start),
            crate::web::filters::long_date(a.period_end)
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records that an assessment was published on Find a Tender. Once published it is a public
/// record and no longer changes here.
pub async fn publish(
    db: &Db,
    user: &User,
    c: &Contract,
    assessment_id: i64,
    published_on: NaiveDate,
    reference: &str,
) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            "UPDATE performance_assessments SET status = 'published', published_on = $1, notice_reference = $2
             WHERE id = $3 AND contract_id = $4 AND status = 'draft'",
            args![published_on, reference, assessment_id, c.id],
        )
        .await?;
    if n > 0 {
        log(
            &mut tx,
            c.id,
            Some(user.id),
            &format!(
                "Recorded a contract performance notice published on {}",
                crate::web::filters::long_date(published_on)
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// The latest measurement of a KPI within a period, and the rating it suggests.
pub async fn suggestion(
    db: &Db,
    kpi: &Kpi,
    start: NaiveDate,
    end: NaiveDate,
) -> DbResult<(Option<f64>, Option<PerformanceRating>)> {
    let latest = db
        .scalar::<f64>(
            "SELECT value FROM kpi_measurements WHERE kpi_id = $1 AND period_end >= $2 AND period_end <= $3
             ORDER BY period_end DESC, id DESC LIMIT 1",
            args![kpi.id, start, end],
        )
        .await?;
    let status = KpiStatus::of(latest, kpi.target, kpi.direction, kpi.approaching_threshold);
    Ok((latest, status.suggested_rating()))
}

// ---- The notice ----

/// The information regulation 39(4) asks a contract performance notice to hold, as far as
/// procurekit knows it. What it cannot know is listed in `to_complete`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PerformanceNotice {
    pub notice: &'static str,
    pub legal_basis: &'static str,
    /// Reg. 39(4)(e).
    pub statement: &'static str,
    /// Reg. 39(4)(a).
    pub contracting_authority: NoticeAuthority,
    /// Reg. 39(4)(b) and (c).
    pub procurement: NoticeProcurement,
    pub contract: NoticeContract,
    /// Reg. 39(4)(f).
    pub suppliers: Vec<NoticeSupplier>,
    /// Reg. 39(4)(h).
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Reg. 39(4)(d) and (g): each KPI with the authority's rating.
    pub key_performance_indicators: Vec<NoticeKpi>,
    pub summary: String,
    pub status: AssessmentStatus,
    pub published_on: Option<NaiveDate>,
    pub notice_reference: String,
    /// What the officer must add on Find a Tender, because procurekit does not hold it.
    pub to_complete: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeAuthority {
    pub name: String,
    pub gss_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeProcurement {
    pub title: String,
    pub identifier: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeContract {
    pub title: String,
    pub identifier: Option<String>,
    pub value_pence: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub end_date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeSupplier {
    pub name: String,
    /// An organisation identifier (GB-COH-… from the Companies House number) when known.
    pub identifier: Option<String>,
    pub postal_address: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeKpi {
    pub name: String,
    pub definition: String,
    pub target: String,
    pub rating: PerformanceRating,
    pub rating_description: &'static str,
    pub comment: String,
}

pub const STATEMENT: &str = "This notice sets out the contracting authority's assessment of the supplier's performance against the key performance indicators.";

pub async fn notice(
    db: &Db,
    c: &Contract,
    a: &Assessment,
    kpis: &[Kpi],
) -> DbResult<PerformanceNotice> {
    let procurement_title = match (c.source_kind, c.source_id) {
        (super::SourceKind::Procurement, Some(pid)) => {
            db.scalar::<String>("SELECT title FROM procurements WHERE id = $1", args![pid])
                .await?
        }
        _ => None,
    };
    let identifier = (!c.reference.is_empty()).then(|| c.reference.clone());
    let supplier_identifier = c
        .supplier_company_number
        .as_deref()
        .and_then(|n| crate::suppliers::CompanyNumber::parse(n).ok())
        .map(|n| n.org_id());
    let mut to_complete = vec![
        "The supplier's postal address and email address (regulation 39(4)(f)(ii))".to_owned(),
    ];
    if supplier_identifier.is_none() {
        to_complete.push(
            "The supplier's unique identifier: procurekit has no Companies House number for it"
                .into(),
        );
    }
    if identifier.is_none() {
        to_complete.push(
            "The unique identifiers of the procurement and the contract on the central digital platform (regulation 39(4)(c))"
                .into(),
        );
    }
    let mut rated = Vec::new();
    for r in &a.ratings {
        let k = kpis.iter().find(|k| k.id == r.kpi_id);
        rated.push(NoticeKpi {
            name: r.kpi_name.clone(),
            definition: k.map(|k| k.definition.clone()).unwrap_or_default(),
            target: k.map(Kpi::target_text).unwrap_or_default(),
            rating: r.rating,
            rating_description: r.rating.description(),
            comment: r.comment.clone(),
        });
    }
    Ok(PerformanceNotice {
        notice: "Contract performance notice (UK9)",
        legal_basis: "Procurement Act 2023, section 71(2); Procurement Regulations 2024, regulation 39",
        statement: STATEMENT,
        contracting_authority: NoticeAuthority {
            name: c.org_name.clone(),
            gss_code: c.org_gss_code.clone(),
        },
        procurement: NoticeProcurement {
            title: procurement_title.unwrap_or_else(|| c.title.clone()),
            identifier: identifier.clone(),
        },
        contract: NoticeContract {
            title: c.title.clone(),
            identifier,
            value_pence: c.value_pence,
            start_date: c.start_date,
            end_date: c.end_date,
        },
        suppliers: vec![NoticeSupplier {
            name: c.supplier_name.clone(),
            identifier: supplier_identifier,
            postal_address: None,
            email: None,
        }],
        period_start: a.period_start,
        period_end: a.period_end,
        key_performance_indicators: rated,
        summary: a.summary.clone(),
        status: a.status,
        published_on: a.published_on,
        notice_reference: a.notice_reference.clone(),
        to_complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contracts::SourceKind;
    use crate::visibility::Visibility;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn contract(value_pounds: Option<i64>, duty: KpiDuty) -> Contract {
        Contract {
            id: 1,
            org_id: 1,
            org_name: "London Borough of Camden".into(),
            org_short_name: "Camden".into(),
            org_gss_code: Some("E09000007".into()),
            title: "Housing system".into(),
            reference: String::new(),
            description: String::new(),
            supplier_id: 1,
            supplier_name: "Supplier Ltd".into(),
            supplier_company_number: None,
            value_pence: value_pounds.map(|p| p * 100),
            start_date: Some(d(2025, 4, 1)),
            end_date: d(2030, 3, 31),
            notice_date: None,
            owner_user_id: None,
            owner_name: None,
            kpi_duty: duty,
            visibility: Visibility::Private,
            source_kind: SourceKind::Manual,
            source_id: None,
            updated_at: 0,
        }
    }

    #[test]
    fn only_contracts_of_more_than_five_million_under_the_act_carry_the_duties() {
        let today = d(2025, 6, 1);
        assert!(
            !duties(
                &contract(Some(5_000_000), KpiDuty::Applies),
                0,
                None,
                false,
                today
            )
            .applies
        );
        assert!(
            duties(
                &contract(Some(5_000_001), KpiDuty::Applies),
                3,
                None,
                false,
                today
            )
            .applies
        );
        assert!(
            !duties(
                &contract(Some(9_000_000), KpiDuty::EarlierRules),
                0,
                None,
                false,
                today
            )
            .applies
        );
        assert!(
            !duties(
                &contract(Some(9_000_000), KpiDuty::LightTouch),
                0,
                None,
                false,
                today
            )
            .applies
        );
        assert!(!duties(&contract(None, KpiDuty::Applies), 0, None, false, today).applies);
    }

    #[test]
    fn fewer_than_three_kpis_is_flagged() {
        let c = contract(Some(6_000_000), KpiDuty::Applies);
        let today = d(2025, 6, 1);
        assert_eq!(
            duties(&c, 2, None, false, today).problems,
            vec![DutyProblem::TooFewKpis { have: 2 }]
        );
        assert!(duties(&c, 3, None, false, today).is_met());
    }

    #[test]
    fn an_assessment_is_due_twelve_months_after_the_start_or_the_last_one() {
        let mut c = contract(Some(6_000_000), KpiDuty::Applies);
        c.start_date = Some(d(2026, 4, 1));
        let first_due = d(2027, 4, 1);
        let before = duties(&c, 3, None, false, d(2027, 4, 1));
        assert!(before.is_met());
        assert_eq!(before.next_assessment_due, Some(first_due));
        assert_eq!(
            duties(&c, 3, None, false, d(2027, 4, 2)).problems,
            vec![DutyProblem::AssessmentOverdue { due: first_due }]
        );
        let after = duties(&c, 3, Some(d(2027, 3, 15)), false, d(2027, 6, 1));
        assert!(after.is_met());
        assert_eq!(after.next_assessment_due, Some(d(2028, 3, 15)));
    }

    #[test]
    fn the_first_period_starts_no_earlier_than_section_71_itself() {
        // Started in April 2025: section 71 only applies from 1 January 2026.
        let c = contract(Some(6_000_000), KpiDuty::Applies);
        let d1 = duties(&c, 3, None, false, d(2026, 11, 1));
        assert!(d1.is_met());
        assert_eq!(d1.next_assessment_due, Some(d(2027, 1, 1)));
        assert!(!duties(&c, 3, None, false, d(2027, 1, 2)).is_met());
        // Ended before section 71 came into force: no final assessment is owed.
        let mut old = contract(Some(6_000_000), KpiDuty::Applies);
        old.end_date = d(2025, 12, 31);
        assert!(duties(&old, 3, None, false, d(2026, 6, 1)).is_met());
    }

    #[test]
    fn an_ended_contract_needs_a_final_assessment() {
        let c = contract(Some(6_000_000), KpiDuty::Applies);
        let today = d(2030, 5, 1);
        assert_eq!(
            duties(&c, 3, Some(d(2029, 6, 1)), false, today).problems,
            vec![DutyProblem::FinalAssessmentDue {
                ended: d(2030, 3, 31)
            }]
        );
        assert!(duties(&c, 3, Some(d(2030, 4, 15)), true, today).is_met());
    }
}

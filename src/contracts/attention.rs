//! What needs a contract manager's attention across an organisation's contracts: KPIs missing
//! their target, overdue actions and improvements, dates coming up (notice, expiry, extension
//! decisions, performance assessments), Procurement Act gaps and open red risks. The dashboard,
//! its API and the daily reminders all read this one computation.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::act::{self, Duties};
use super::store::{self, Contract};
use super::{ActionKind, KpiStatus};
use crate::args;
use crate::db::{Db, DbResult};

pub const DEFAULT_WINDOW_DAYS: i64 = 90;
pub const MAX_WINDOW_DAYS: i64 = 730;

/// The dashboard's look-ahead, in days: 1 to two years, 90 by default.
pub fn parse_window(raw: Option<&str>) -> Result<i64, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(DEFAULT_WINDOW_DAYS),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=MAX_WINDOW_DAYS).contains(&n) => Ok(n),
            _ => Err(format!(
                "The number of days ahead must be a whole number from 1 to {MAX_WINDOW_DAYS}"
            )),
        },
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiAlert {
    pub contract_id: i64,
    pub contract_title: String,
    pub kpi_id: i64,
    pub kpi_name: String,
    pub status: KpiStatus,
    pub latest: String,
    pub target: String,
    pub period_end: NaiveDate,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueAlert {
    pub contract_id: i64,
    pub contract_title: String,
    pub action_id: i64,
    pub kind: ActionKind,
    pub description: String,
    pub owner: String,
    pub owner_user_id: Option<i64>,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateKind {
    Notice,
    Expiry,
    ExtensionDecision,
    AssessmentDue,
}

impl DateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DateKind::Notice => "notice",
            DateKind::Expiry => "expiry",
            DateKind::ExtensionDecision => "extension_decision",
            DateKind::AssessmentDue => "assessment_due",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DateAlert {
    pub contract_id: i64,
    pub contract_title: String,
    pub kind: DateKind,
    /// The record the date belongs to: the contract, or the extension option.
    pub item_id: i64,
    pub label: String,
    pub date: NaiveDate,
    pub days_left: i64,
}

impl DateAlert {
    pub fn when(&self) -> String {
        let d = crate::web::filters::long_date(self.date);
        match self.days_left {
            0 => format!("{d} (today)"),
            1 => format!("{d} (tomorrow)"),
            n => format!("{d} (in {n} days)"),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActAlert {
    pub contract_id: i64,
    pub contract_title: String,
    pub problems: Vec<act::DutyProblem>,
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskAlert {
    pub contract_id: i64,
    pub contract_title: String,
    pub risk_id: i64,
    pub description: String,
    pub owner: Option<String>,
}

/// Everything that needs attention, each list in the order to deal with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attention {
    pub today: NaiveDate,
    pub window_days: i64,
    pub kpis_missing_target: Vec<KpiAlert>,
    pub overdue: Vec<OverdueAlert>,
    pub dates: Vec<DateAlert>,
    pub procurement_act: Vec<ActAlert>,
    pub red_risks: Vec<RiskAlert>,
}

impl Attention {
    pub fn total(&self) -> usize {
        self.kpis_missing_target.len()
            + self.overdue.len()
            + self.dates.len()
            + self.procurement_act.len()
            + self.red_risks.len()
    }
}

/// One contract with what the dashboard's table says about it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractSummary {
    #[serde(flatten)]
    pub contract: Contract,
    pub kpi_count: usize,
    pub kpis_missing_target: usize,
    pub duties: Duties,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub attention: Attention,
    pub contracts: Vec<ContractSummary>,
}

#[derive(sqlx::FromRow)]
struct Published {
    contract_id: i64,
    last_published: Option<NaiveDate>,
    last_period_end: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct OpenExtension {
    id: i64,
    contract_id: i64,
    months: i64,
    decide_by: NaiveDate,
}

/// Reads an organisation's contracts and works out what needs attention on `today`, looking
/// `window_days` ahead for dates.
pub async fn overview(
    db: &Db,
    org_id: i64,
    today: NaiveDate,
    window_days: i64,
) -> DbResult<Overview> {
    let contracts = store::list_for_org(db, org_id).await?;
    let kpis = store::kpis_for_org(db, org_id).await?;
    let overdue = store::overdue_for_org(db, org_id, today).await?;
    let risks = store::red_risks_for_org(db, org_id).await?;
    let published: Vec<Published> = db
        .fetch_all(
            "SELECT a.contract_id, MAX(a.published_on) AS last_published, MAX(a.period_end) AS last_period_end
             FROM performance_assessments a JOIN contracts c ON c.id = a.contract_id
             WHERE c.org_id = $1 AND a.status = 'published' GROUP BY a.contract_id",
            args![org_id],
        )
        .await?;
    let extensions: Vec<OpenExtension> = db
        .fetch_all(
            "SELECT e.id, e.contract_id, e.months, e.decide_by FROM contract_extensions e
             JOIN contracts c ON c.id = e.contract_id
             WHERE c.org_id = $1 AND e.status = 'available' ORDER BY e.decide_by",
            args![org_id],
        )
        .await?;
    Ok(compute(
        contracts,
        &kpis,
        overdue,
        risks,
        &published,
        &extensions,
        today,
        window_days,
    ))
}

#[allow(clippy::too_many_arguments)]
fn compute(
    contracts: Vec<Contract>,
    kpis: &[store::Kpi],
    overdue: Vec<store::Action>,
    risks: Vec<store::Risk>,
    published: &[Published],
    extensions: &[OpenExtension],
    today: NaiveDate,
    window_days: i64,
) -> Overview {
    let title: HashMap<i64, String> = contracts.iter().map(|c| (c.id, c.title.clone())).collect();
    let title_of = |id: i64| title.get(&id).cloned().unwrap_or_default();
    let within = |d: NaiveDate| {
        let left = (d - today).num_days();
        (0..=window_days).contains(&left).then_some(left)
    };

    let kpis_missing_target: Vec<KpiAlert> = kpis
        .iter()
        .filter(|k| k.status().misses_target())
        .filter_map(|k| {
            Some(KpiAlert {
                contract_id: k.contract_id,
                contract_title: title_of(k.contract_id),
                kpi_id: k.id,
                kpi_name: k.name.clone(),
                status: k.status(),
                latest: k.latest_text(),
                target: k.target_text(),
                period_end: k.latest_period_end?,
            })
        })
        .collect();

    let overdue: Vec<OverdueAlert> = overdue
        .into_iter()
        .map(|a| OverdueAlert {
            contract_id: a.contract_id,
            contract_title: title_of(a.contract_id),
            action_id: a.id,
            kind: a.kind,
            owner: a.owner_text(),
            owner_user_id: a.owner_user_id,
            description: a.description,
            due_on: a.due_on,
            days_overdue: (today - a.due_on).num_days(),
        })
        .collect();

    let mut dates = Vec::new();
    let mut act_alerts = Vec::new();
    let mut summaries = Vec::new();
    for c in contracts {
        if let Some(d) = c.notice_date
            && let Some(left) = within(d)
        {
            dates.push(DateAlert {
                contract_id: c.id,
                contract_title: c.title.clone(),
                kind: DateKind::Notice,
                item_id: c.id,
                label: "Last date to give notice".into(),
                date: d,
                days_left: left,
            });
        }
        if let Some(left) = within(c.end_date) {
            dates.push(DateAlert {
                contract_id: c.id,
                contract_title: c.title.clone(),
                kind: DateKind::Expiry,
                item_id: c.id,
                label: "Contract ends".into(),
                date: c.end_date,
                days_left: left,
            });
        }
        let own_kpis: Vec<&store::Kpi> = kpis.iter().filter(|k| k.contract_id == c.id).collect();
        let p = published.iter().find(|p| p.contract_id == c.id);
        let duties = act::duties(
            &c,
            own_kpis.len(),
            p.and_then(|p| p.last_published),
            p.and_then(|p| p.last_period_end)
                .is_some_and(|end| end >= c.end_date),
            today,
        );
        if !duties.problems.is_empty() {
            act_alerts.push(ActAlert {
                contract_id: c.id,
                contract_title: c.title.clone(),
                messages: duties.problems.iter().map(|p| p.message()).collect(),
                problems: duties.problems.clone(),
            });
        }
        if duties.applies
            && !duties.is_overdue()
            && let Some(due) = duties.next_assessment_due
            && let Some(left) = within(due)
        {
            dates.push(DateAlert {
                contract_id: c.id,
                contract_title: c.title.clone(),
                kind: DateKind::AssessmentDue,
                item_id: c.id,
                label: "Performance assessment due (Procurement Act, section 71)".into(),
                date: due,
                days_left: left,
            });
        }
        summaries.push(ContractSummary {
            kpi_count: own_kpis.len(),
            kpis_missing_target: own_kpis
                .iter()
                .filter(|k| k.status().misses_target())
                .count(),
            duties,
            contract: c,
        });
    }
    for e in extensions {
        if let Some(left) = within(e.decide_by) {
            dates.push(DateAlert {
                contract_id: e.contract_id,
                contract_title: title_of(e.contract_id),
                kind: DateKind::ExtensionDecision,
                item_id: e.id,
                label: format!("Decide on the option to extend by {} months", e.months),
                date: e.decide_by,
                days_left: left,
            });
        }
    }
    dates.sort_by_key(|d| (d.date, d.contract_id));

    let red_risks = risks
        .into_iter()
        .map(|r| RiskAlert {
            contract_id: r.contract_id,
            contract_title: title_of(r.contract_id),
            risk_id: r.id,
            description: r.description,
            owner: r.owner_name,
        })
        .collect();

    Overview {
        attention: Attention {
            today,
            window_days,
            kpis_missing_target,
            overdue,
            dates,
            procurement_act: act_alerts,
            red_risks,
        },
        contracts: summaries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_one_day_to_two_years() {
        assert_eq!(parse_window(None), Ok(90));
        assert_eq!(parse_window(Some("")), Ok(90));
        assert_eq!(parse_window(Some(" 30 ")), Ok(30));
        for bad in ["0", "-5", "731", "ninety", "1.5"] {
            assert!(parse_window(Some(bad)).is_err(), "{bad}");
        }
    }
}

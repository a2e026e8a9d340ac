//! Demo contracts for `procurekit demo`: two boroughs managing contracts with the demo supplier,
//! with KPIs (one off target), a review, actions, an improvement plan, a risk and ratings, so
//! the dashboard, the Procurement Act check and supplier insight have something to show. All
//! clearly labelled "(demo)".

use chrono::{Datelike, Months, NaiveDate};

use super::insight::{self, RatingInput};
use super::store::{
    self, ActionInput, ContractInput, KpiInput, MeasurementInput, Owner, ReviewInput, RiskInput,
};
use super::{ActionKind, ContractSource, Direction, Frequency, KpiDuty, Rag, Score};
use crate::accounts::store as accounts;
use crate::args;
use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::visibility::Visibility;

const SUPPLIER: &str = "Thamesgate Systems Ltd (demo supplier)";

/// Adds the demo contracts once: nothing happens if any contract exists.
pub async fn demo(db: &Db) -> DbResult<()> {
    if db
        .scalar::<i64>("SELECT COUNT(*) FROM contracts", vec![])
        .await?
        .unwrap_or(0)
        > 0
    {
        return Ok(());
    }
    let today = chrono::Utc::now().date_naive();
    let month_end = |months_back: u32| -> NaiveDate {
        let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        first
            .checked_sub_months(Months::new(months_back.saturating_sub(1)))
            .and_then(|d| d.pred_opt())
            .unwrap_or(today)
    };
    let ratings = [
        (
            "officer@camden.example",
            "Housing repairs scheduling platform (demo)",
            820_000_000i64,
            Visibility::London,
            [4, 3, 2, 3, 3],
            "Reliable day to day. Getting bulk data out took months and a change request (demo).",
        ),
        (
            "officer@hackney.example",
            "Resident contact centre software (demo)",
            240_000_000,
            Visibility::Private,
            [3, 4, 3, 4, 2],
            "Responsive support; the roadmap has slipped for two years (demo).",
        ),
    ];
    for (email, title, value, visibility, scores, note) in ratings {
        let Some(user) = accounts::user_by_email(db, email).await? else {
            continue;
        };
        let start = today.checked_sub_months(Months::new(14)).unwrap_or(today);
        let end = start.checked_add_months(Months::new(60)).unwrap_or(today);
        let input = ContractInput {
            title: title.into(),
            reference: "DEMO-2025-014".into(),
            description:
                "Demo contract: the service, its KPIs and its reviews are invented for the demo."
                    .into(),
            supplier_name: SUPPLIER.into(),
            supplier_company_number: None,
            value: Some(Pence(value)),
            start_date: Some(start),
            end_date: end,
            notice_date: end.checked_sub_months(Months::new(6)),
            owner_user_id: Some(user.id),
            kpi_duty: KpiDuty::Applies,
            visibility,
        };
        let id = match store::create_from(
            db,
            ContractSource::Manual,
            user.org_id,
            Some(user.id),
            &input,
        )
        .await
        {
            Ok(id) => id,
            Err(store::ContractError::Db(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "demo contract skipped");
                continue;
            }
        };
        let Some(c) = store::get(db, &user.viewer(), id).await? else {
            continue;
        };
        // The demo supplier's own account sees its ratings: link the register entry to it.
        db.execute(
            "UPDATE suppliers SET org_id = (SELECT id FROM organisations WHERE slug = 'thamesgate-systems-demo')
             WHERE id = $1 AND org_id IS NULL",
            args![c.supplier_id],
        )
        .await?;
        let kpis = [
            (
                "Repairs booked at first contact (demo)",
                "Share of repair requests booked in one contact, from the scheduling system's monthly report.",
                "%",
                90.0,
                Direction::Higher,
                Some(85.0),
                [92.0, 91.0, 88.0],
            ),
            (
                "System availability (demo)",
                "Minutes the service was available in working hours, over minutes in working hours.",
                "%",
                99.5,
                Direction::Higher,
                None,
                [99.8, 99.9, 99.7],
            ),
            (
                "Days to fix a priority defect (demo)",
                "Median working days from report to fix for priority 1 and 2 defects.",
                "days",
                5.0,
                Direction::Lower,
                Some(7.0),
                [4.0, 6.0, 9.0],
            ),
        ];
        for (name, definition, unit, target, direction, approaching, values) in kpis {
            let kid = store::add_kpi(
                db,
                &user,
                &c,
                &KpiInput {
                    name: name.into(),
                    definition: definition.into(),
                    unit: unit.into(),
                    target,
                    direction,
                    approaching_threshold: approaching,
                    frequency: Frequency::Monthly,
                },
            )
            .await?;
            let Some(k) = store::kpi(db, c.id, kid).await? else {
                continue;
            };
            for (i, v) in values.iter().enumerate() {
                let _ = store::add_measurement(
                    db,
                    &user,
                    &c,
                    &k,
                    &MeasurementInput {
                        period_end: month_end(3 - i as u32),
                        value: *v,
                        note: String::new(),
                    },
                )
                .await;
            }
        }
        let rid = store::add_review(
            db,
            &user,
            &c,
            &ReviewInput {
                held_on: today.checked_sub_months(Months::new(1)).unwrap_or(today),
                attendees: "Contract manager, service lead, supplier account manager (demo)".into(),
                minutes: "Defect fix times slipped in the last month. The supplier will add a second engineer.\nThe borough asked for a monthly bulk extract of repairs data (demo).".into(),
            },
        )
        .await?;
        store::add_action(
            db,
            &user,
            &c,
            &ActionInput {
                kind: ActionKind::Action,
                review_id: Some(rid),
                description: "Send a plan to bring defect fix times back under 5 days (demo)"
                    .into(),
                benefit: String::new(),
                owner: Owner::Supplier,
                due_on: today.pred_opt().unwrap_or(today),
            },
        )
        .await?;
        store::add_action(
            db,
            &user,
            &c,
            &ActionInput {
                kind: ActionKind::Improvement,
                review_id: None,
                description: "Residents book repairs online with a choice of slots (demo)".into(),
                benefit: "Fewer calls to the contact centre; repairs booked at first contact above 95% (demo)".into(),
                owner: Owner::Person(user.id),
                due_on: today.checked_add_months(Months::new(4)).unwrap_or(today),
            },
        )
        .await?;
        store::add_risk(
            db,
            &user,
            &c,
            &RiskInput {
                description: "The repairs data extract depends on a change request the supplier has not priced (demo)".into(),
                rag: Rag::Amber,
                mitigation: "Raised at the review; escalate to the commercial lead if not priced next month (demo)".into(),
                owner_user_id: Some(user.id),
            },
        )
        .await?;
        store::add_extension(
            db,
            &user,
            &c,
            24,
            end.checked_sub_months(Months::new(9)).unwrap_or(end),
        )
        .await?;
        if let Some(review) = store::review(db, c.id, rid).await? {
            let _ = insight::rate(
                db,
                user.id,
                &c,
                &review,
                &RatingInput {
                    scores: scores.map(|s: u8| Score::parse(&s.to_string())),
                    note: note.into(),
                },
            )
            .await;
        }
    }
    Ok(())
}

//! London's own procurements as OCDS: the public procurements of the pipeline, with the notices
//! they carry, turned into releases (planning → tender → award → contract, or a cancellation)
//! for the public feed. Only procurements anyone may see are published, decided by the same
//! rule as every other read ([`Viewer::scope`] for a signed-out viewer).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::export::{
    ExportAward, ExportBuyer, ExportContract, ExportPlanning, ExportProcurement, ExportStage,
    ExportSupplier, ExportTender, OcidPrefix, ProcurementMethod, releases_for,
};
use crate::accounts::GssCode;
use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::pipeline::store::{self as pipeline, NoticeKind, Procurement, SELECT};
use crate::pipeline::{Procedure, Status};
use crate::suppliers::CompanyNumber;
use crate::visibility::Viewer;

/// One release of a procurement, with its place in the feed: its date, and a number unique
/// among procurement releases (the procurement's id and the release's position in it).
pub struct ProcurementRelease {
    pub at: i64,
    pub key: i64,
    pub json: Value,
}

/// Releases per procurement are few (at most five): keys leave room for them.
const KEYS_PER_PROCUREMENT: i64 = 16;

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A deadline date read as the end of that day (UTC): notices give a day, OCDS a moment.
fn end_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc()
}

/// The OCDS method of a Procurement Act 2023 procedure, where one fits.
fn method(p: Procedure) -> Option<ProcurementMethod> {
    match p {
        Procedure::Open => Some(ProcurementMethod::Open),
        // A competitive flexible procedure, a framework call-off and a dynamic market all
        // limit who may bid to those who qualified: OCDS calls that selective.
        Procedure::CompetitiveFlexible | Procedure::FrameworkCallOff | Procedure::DynamicMarket => {
            Some(ProcurementMethod::Selective)
        }
        Procedure::DirectAward => Some(ProcurementMethod::Direct),
        Procedure::NotDecided | Procedure::BelowThreshold => None,
    }
}

/// Every release of every public procurement, in no particular order.
pub async fn public_releases(db: &Db, prefix: &OcidPrefix) -> DbResult<Vec<ProcurementRelease>> {
    let scope = Viewer::anonymous().scope("p", 1);
    let procurements: Vec<Procurement> = db
        .fetch_all(
            format!(
                "{SELECT} WHERE {} AND p.published_at IS NOT NULL ORDER BY p.id",
                scope.sql
            ),
            scope.args,
        )
        .await?;
    let mut gss: HashMap<i64, Option<GssCode>> = HashMap::new();
    let mut company_numbers: HashMap<i64, Option<CompanyNumber>> = HashMap::new();
    let mut out = Vec::new();
    for p in procurements {
        if let std::collections::hash_map::Entry::Vacant(e) = gss.entry(p.org_id) {
            let code = crate::accounts::store::organisation(db, p.org_id)
                .await?
                .and_then(|o| o.gss_code)
                .and_then(|g| GssCode::parse(&g).ok());
            e.insert(code);
        }
        let notices = pipeline::notices(db, p.id).await?;
        for n in &notices {
            if let Some(id) = n.supplier_id
                && !company_numbers.contains_key(&id)
            {
                let cn = crate::suppliers::store::get(db, id)
                    .await?
                    .and_then(|s| s.company_number)
                    .and_then(|c| CompanyNumber::parse(&c).ok());
                company_numbers.insert(id, cn);
            }
        }
        let export = to_export(&p, &notices, gss.get(&p.org_id).cloned().flatten(), |id| {
            company_numbers.get(&id).cloned().flatten()
        });
        let Some(export) = export else { continue };
        // A procurement whose data cannot be published (which `to_export` rules out) is left
        // out of the feed rather than failing it for everyone.
        let Ok(releases) = releases_for(&export, prefix) else {
            continue;
        };
        for (i, r) in releases.into_iter().enumerate() {
            let at = r
                .get("date")
                .and_then(Value::as_str)
                .and_then(super::read::parse_date_time)
                .map(|d| d.timestamp())
                .unwrap_or_default();
            out.push(ProcurementRelease {
                at,
                key: p.id * KEYS_PER_PROCUREMENT + i as i64,
                json: r,
            });
        }
    }
    Ok(out)
}

/// A procurement and its notices as OCDS needs them; `None` when it has never been published.
pub fn to_export(
    p: &Procurement,
    notices: &[pipeline::Notice],
    buyer_gss: Option<GssCode>,
    company_number: impl Fn(i64) -> Option<CompanyNumber>,
) -> Option<ExportProcurement> {
    let published = DateTime::from_timestamp(p.published_at?, 0)?;
    let latest = |kind: NoticeKind| notices.iter().rev().find(|n| n.kind == kind);
    let tender = latest(NoticeKind::Tender).map(|n| ExportTender {
        published: start_of(n.published_on),
        deadline: n.tender_deadline.map(end_of),
        method: method(p.procedure_kind),
        method_details: (p.procedure_kind != Procedure::NotDecided)
            .then(|| p.procedure_kind.label().to_owned()),
    });
    let award = latest(NoticeKind::Award).map(|n| ExportAward {
        published: start_of(n.published_on),
        date: n.published_on,
        value: n.value_pence.map(Pence),
        suppliers: n
            .supplier_name
            .iter()
            .map(|name| ExportSupplier {
                name: name.clone(),
                company_number: n.supplier_id.and_then(&company_number),
            })
            .collect(),
    });
    let contract = latest(NoticeKind::Contract).map(|n| ExportContract {
        published: start_of(n.published_on),
        signed: None,
        start: n.contract_start,
        end: n.contract_end,
        value: n.value_pence.map(Pence),
    });
    let stage = if contract.is_some() {
        ExportStage::Contract
    } else if award.is_some() {
        ExportStage::Award
    } else if tender.is_some() {
        ExportStage::Tender
    } else {
        ExportStage::Planning
    };
    // The planned contract period: the award's when given, else the expected start and length.
    let planned_end = p.expected_start_date.and_then(|s| {
        let months = u32::try_from(p.contract_months?).ok()?;
        s.checked_add_months(chrono::Months::new(months))?
            .pred_opt()
    });
    Some(ExportProcurement {
        local_id: p.id.to_string(),
        title: p.title.clone(),
        description: p.need.clone(),
        buyer: ExportBuyer {
            name: p.org_name.clone(),
            gss_code: buyer_gss,
        },
        cpv: p.cpv().into_iter().collect(),
        estimated_value: p.estimated_value_pence.map(Pence),
        stage,
        planning: ExportPlanning {
            published,
            expected_tender_date: p.expected_tender_date,
            contract_start: p.expected_start_date,
            contract_end: planned_end,
        },
        tender,
        award,
        contract,
        cancelled: (p.status == Status::Cancelled)
            .then(|| DateTime::from_timestamp(p.updated_at, 0))
            .flatten(),
    })
}

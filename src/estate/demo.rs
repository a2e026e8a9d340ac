//! Demo estate for `procurekit demo`: six boroughs' systems across the services City Tools
//! mapped (housing, social care, revenues and benefits, CRM, ERP…). Every product and
//! supplier is invented and labelled "(demo)": nothing here says what any real borough runs
//! or whom it pays. Dates are set relative to today so that "ending soon" always has
//! something to show.

use chrono::{Datelike, Months, NaiveDate, Utc};

use super::store::{self, Writer};
use super::{Hosting, Satisfaction, Source, SystemRecord};
use crate::accounts::store as accounts;
use crate::db::{Db, DbResult};
use crate::money::Pence;
use crate::visibility::Visibility;

/// One demo system: (service area, product, supplier, manufacturer, months until the contract
/// ends, contract length in years, annual value in pounds, hosting, satisfaction, visibility).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    i32,
    u32,
    i64,
    Hosting,
    Option<i64>,
    Visibility,
);

const KEYSTONE: &str = "Keystone Public Systems Ltd (demo)";
const THAMESGATE: &str = "Thamesgate Systems Ltd (demo)";
const MERIDIAN: &str = "Meridian Care Software Ltd (demo)";
const HARBOUR: &str = "Harbour CRM Ltd (demo)";
const ASHDOWN: &str = "Ashdown Enterprise Software Ltd (demo)";
const CAPITAL: &str = "Capital Licensing Partners Ltd (demo)";
const ORBIS: &str = "Orbis Planning Software Ltd (demo)";

use Hosting::{Cloud, Hybrid, OnPremises, Saas};
use Visibility::{London, Private, Public};

#[rustfmt::skip]
fn rows(slug: &str) -> &'static [Row] {
    match slug {
        "camden" => &[
            ("Housing", "Keystone Housing (demo)", KEYSTONE, None, 7, 7, 412_000, OnPremises, Some(2), London),
            ("Adult social care", "CareLedger Adults (demo)", MERIDIAN, None, 26, 5, 365_000, Hybrid, Some(3), London),
            ("Children's social care", "CareLedger Children (demo)", MERIDIAN, None, 26, 5, 298_000, Hybrid, Some(3), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 14, 5, 520_000, OnPremises, Some(2), London),
            ("Customer services", "CivicDesk CRM (demo)", HARBOUR, None, 31, 3, 145_000, Saas, Some(4), Public),
            ("Finance and HR", "LedgerOne ERP (demo)", ASHDOWN, None, 44, 7, 690_000, Cloud, Some(3), London),
            ("Corporate IT", "Office productivity suite (demo)", CAPITAL, Some("Northlight Cloud (demo)"), 4, 3, 980_000, Saas, Some(4), Private),
            ("Planning and building control", "PlanTrack (demo)", ORBIS, None, 19, 5, 88_000, Saas, Some(4), Public),
        ],
        "hackney" => &[
            ("Housing", "Tenancy360 (demo)", "Brightwater Software Ltd (demo)", None, 52, 5, 365_000, Saas, Some(4), London),
            ("Adult social care", "CareLedger Adults (demo)", MERIDIAN, None, 11, 5, 341_000, Hybrid, Some(2), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 9, 5, 476_000, OnPremises, Some(3), London),
            ("Customer services", "In-house case management (demo)", "In-house", None, 0, 0, 0, Cloud, Some(4), Public),
            ("Parking", "ParkSmart (demo)", "Kerbside Technologies Ltd (demo)", None, 5, 4, 120_000, Saas, Some(3), London),
            ("Waste and recycling", "BinRoute (demo)", "Cleanway Digital Ltd (demo)", None, 23, 4, 64_000, Saas, Some(4), London),
            ("Corporate IT", "Office productivity suite (demo)", CAPITAL, Some("Northlight Cloud (demo)"), 4, 3, 850_000, Saas, None, London),
        ],
        "lambeth" => &[
            ("Housing", "Keystone Housing (demo)", KEYSTONE, None, 10, 7, 455_000, OnPremises, Some(2), London),
            ("Adult social care", "CareLedger Adults (demo)", MERIDIAN, None, 38, 7, 402_000, Cloud, Some(3), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 27, 5, 505_000, Hybrid, Some(2), London),
            ("Customer services", "CivicDesk CRM (demo)", HARBOUR, None, 16, 3, 132_000, Saas, Some(3), London),
            ("Finance and HR", "LedgerOne ERP (demo)", ASHDOWN, None, 3, 7, 720_000, OnPremises, Some(2), Private),
            ("Libraries", "ShelfMark LMS (demo)", "Folio Library Systems Ltd (demo)", None, 20, 5, 42_000, Saas, Some(4), Public),
        ],
        "islington" => &[
            ("Housing", "Keystone Housing (demo)", KEYSTONE, None, 12, 5, 398_000, Hybrid, Some(3), London),
            ("Adult social care", "CareLedger Adults (demo)", MERIDIAN, None, 8, 5, 335_000, Hybrid, Some(2), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 33, 5, 489_000, OnPremises, Some(3), London),
            ("Electoral services", "VoteRoll (demo)", "Ballotbox Software Ltd (demo)", None, 6, 3, 28_000, Saas, Some(4), Public),
            ("Document management", "DocVault EDRMS (demo)", "Archway Information Ltd (demo)", None, 15, 5, 97_000, OnPremises, Some(2), London),
        ],
        "southwark" => &[
            ("Housing", "Tenancy360 (demo)", "Brightwater Software Ltd (demo)", None, 40, 5, 388_000, Saas, Some(4), London),
            ("Children's social care", "CareLedger Children (demo)", MERIDIAN, None, 13, 5, 312_000, Hybrid, Some(3), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 2, 5, 498_000, OnPremises, Some(2), London),
            ("Finance and HR", "LedgerOne ERP (demo)", ASHDOWN, None, 29, 7, 655_000, Cloud, Some(3), London),
            ("Planning and building control", "PlanTrack (demo)", ORBIS, None, 9, 5, 91_000, Saas, Some(3), Public),
        ],
        "tower-hamlets" => &[
            ("Housing", "Keystone Housing (demo)", KEYSTONE, None, 18, 7, 430_000, OnPremises, Some(3), London),
            ("Adult social care", "CareLedger Adults (demo)", MERIDIAN, None, 21, 5, 355_000, Hybrid, Some(3), London),
            ("Revenues and benefits", "RevBen Suite (demo)", THAMESGATE, None, 12, 5, 470_000, OnPremises, Some(3), London),
            ("Customer services", "CivicDesk CRM (demo)", HARBOUR, None, 6, 3, 150_000, Saas, Some(4), London),
            ("Parking", "ParkSmart (demo)", "Kerbside Technologies Ltd (demo)", None, 25, 4, 110_000, Saas, Some(2), London),
        ],
        _ => &[],
    }
}

pub const BOROUGHS: [&str; 6] = [
    "camden",
    "hackney",
    "lambeth",
    "islington",
    "southwark",
    "tower-hamlets",
];

fn shift(d: NaiveDate, months: i32) -> NaiveDate {
    if months >= 0 {
        d.checked_add_months(Months::new(months.unsigned_abs()))
    } else {
        d.checked_sub_months(Months::new(months.unsigned_abs()))
    }
    .unwrap_or(d)
}

/// Seeds each demo borough's estate once (a borough that already has demo records is left
/// alone, so restarting the demo adds nothing).
pub async fn seed(db: &Db) -> DbResult<()> {
    let today = Utc::now().date_naive();
    // Month ends, as contracts usually run: the last day of the month the offset lands in.
    let month_end = |months: i32| {
        let first = shift(today, months).with_day0(0).unwrap_or(today);
        shift(first, 1).pred_opt().unwrap_or(first)
    };
    for slug in BOROUGHS {
        let Some(org) = accounts::find_organisation(db, slug).await? else {
            continue;
        };
        if store::has_demo_records(db, org.id).await? {
            continue;
        }
        let mut tx = db.begin().await?;
        let writer = Writer {
            org_id: org.id,
            user_id: None,
            source: Source::Demo,
            import_id: None,
        };
        for (i, r) in rows(slug).iter().enumerate() {
            let (area, product, supplier, maker, ends_in, years, pounds, hosting, sat, vis) = *r;
            let in_house = years == 0;
            let end = (!in_house).then(|| month_end(ends_in));
            let start = end.map(|e| {
                shift(e, -(i32::try_from(years * 12).unwrap_or(60)))
                    .succ_opt()
                    .unwrap_or(e)
            });
            let rec = SystemRecord {
                service_area: area.into(),
                system_name: product.into(),
                supplier_name: supplier.into(),
                company_number: None,
                manufacturer: maker.map(str::to_owned),
                contract_reference: (!in_house)
                    .then(|| format!("DEMO-{}-{:03}", slug.to_uppercase().replace('-', ""), i + 1)),
                contract_start: start,
                contract_end: end,
                annual_value: (pounds > 0).then_some(Pence(pounds * 100)),
                hosting: Some(hosting),
                satisfaction: sat.and_then(Satisfaction::new),
                notes: "Demo data: an invented system and supplier, not a real borough's.".into(),
                visibility: vis,
            };
            store::upsert(&mut tx, &writer, &rec).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

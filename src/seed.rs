//! Reference data every installation has (the 33 London authorities and the convenor), and
//! the demo data `procurekit demo` adds on top, clearly marked as such.

use crate::accounts::store::{self, NewOrganisation, NewUser};
use crate::accounts::{Email, GssCode, OrgKind, Role};
use crate::db::{Db, DbResult};

/// The 33 London authorities, from mySociety's register (see data/reference/README.md).
const LONDON_AUTHORITIES: &str = include_str!("../data/reference/london_authorities.csv");

pub struct Authority {
    pub gss_code: GssCode,
    pub code: &'static str,
    pub name: &'static str,
    pub short_name: &'static str,
}

/// Parses the compiled-in list. It is fixed at build time and checked by a test, so a bad row
/// is a build defect and is skipped rather than taking the service down.
pub fn london_authorities() -> Vec<Authority> {
    LONDON_AUTHORITIES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.splitn(4, ',');
            let gss = GssCode::parse(cols.next()?).ok()?;
            let code = cols.next()?;
            let name = cols.next()?;
            let short = cols.next()?;
            Some(Authority {
                gss_code: gss,
                code,
                name,
                short_name: short,
            })
        })
        .collect()
}

pub fn slug(name: &str) -> String {
    crate::guide::markdown::slugify(name)
}

pub const CONVENOR_SLUG: &str = "london-convenor";

pub async fn reference_data(db: &Db) -> DbResult<()> {
    for a in london_authorities() {
        store::ensure_organisation(
            db,
            &NewOrganisation {
                kind: OrgKind::Borough,
                name: a.name,
                short_name: a.short_name,
                slug: &slug(a.short_name),
                gss_code: Some(a.gss_code.as_str()),
                company_number: None,
            },
        )
        .await?;
    }
    store::ensure_organisation(
        db,
        &NewOrganisation {
            kind: OrgKind::Convenor,
            name: "London convenor",
            short_name: "Convenor",
            slug: CONVENOR_SLUG,
            gss_code: None,
            company_number: None,
        },
    )
    .await?;
    crate::spend::seed(db).await?;
    Ok(())
}

pub const DEMO_PASSWORD: &str = "procurekit-demo";

pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    pub org_slug: &'static str,
    pub role: Role,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "officer@camden.example",
        name: "Priya Shah (demo)",
        org_slug: "camden",
        role: Role::Officer,
    },
    DemoAccount {
        email: "commercial@camden.example",
        name: "Tom Okafor (demo)",
        org_slug: "camden",
        role: Role::CommercialLead,
    },
    DemoAccount {
        email: "admin@camden.example",
        name: "Grace Lee (demo)",
        org_slug: "camden",
        role: Role::OrgAdmin,
    },
    DemoAccount {
        email: "officer@hackney.example",
        name: "Sam Reid (demo)",
        org_slug: "hackney",
        role: Role::Officer,
    },
    DemoAccount {
        email: "officer@lambeth.example",
        name: "Ada Mensah (demo)",
        org_slug: "lambeth",
        role: Role::Officer,
    },
    DemoAccount {
        email: "admin@convenor.example",
        name: "Jo Patel (demo)",
        org_slug: CONVENOR_SLUG,
        role: Role::PlatformAdmin,
    },
    DemoAccount {
        email: "bids@thamesgate.example",
        name: "Chris Byrne (demo)",
        org_slug: "thamesgate-systems-demo",
        role: Role::SupplierUser,
    },
];

/// Adds the demo suppliers and accounts. Idempotent: accounts that exist are left alone.
pub async fn demo(db: &Db) -> DbResult<()> {
    demo_accounts(db).await?;
    demo_procurements(db).await?;
    crate::contracts::seed::demo(db).await?;
    crate::engagement::demo::seed(db).await
}

/// A few planned procurements that overlap, so the pipeline, the board and "who else is buying
/// this?" have something to show. Only added to a database that has no procurements.
async fn demo_procurements(db: &Db) -> DbResult<()> {
    use crate::pipeline::Procedure;
    use crate::pipeline::store::{ProcurementInput, create};
    use crate::visibility::Visibility;
    if db
        .scalar::<i64>("SELECT COUNT(*) FROM procurements", vec![])
        .await?
        .unwrap_or(0)
        > 0
    {
        return Ok(());
    }
    let content = match crate::guide::Content::embedded() {
        Ok(c) => c,
        Err(_) => return Ok(()),
    };
    struct Plan {
        email: &'static str,
        title: &'static str,
        need: &'static str,
        cpv: &'static str,
        pence: i64,
        tender: (i32, u32),
        incumbent: &'static str,
        visibility: Visibility,
        sme: bool,
    }
    let plans = [
        Plan {
            email: "officer@camden.example",
            title: "Housing management system (demo)",
            need: "Replace the housing management system that runs repairs, rents and tenancies, with residents able to self-serve.",
            cpv: "48000000",
            pence: 250_000_000,
            tender: (2027, 4),
            incumbent: "Incumbent housing system supplier (demo)",
            visibility: Visibility::London,
            sme: false,
        },
        Plan {
            email: "officer@hackney.example",
            title: "Housing management system replacement (demo)",
            need: "A modern, API-first housing management system; the current contract ends in 2028.",
            cpv: "48000000",
            pence: 310_000_000,
            tender: (2027, 6),
            incumbent: "Incumbent housing system supplier (demo)",
            visibility: Visibility::London,
            sme: false,
        },
        Plan {
            email: "officer@lambeth.example",
            title: "Resident contact centre telephony (demo)",
            need: "Cloud telephony and web chat for the resident contact centre.",
            cpv: "64210000",
            pence: 60_000_000,
            tender: (2027, 2),
            incumbent: "",
            visibility: Visibility::Public,
            sme: true,
        },
        Plan {
            email: "officer@camden.example",
            title: "Data platform for adult social care (demo)",
            need: "A shared data platform joining adult social care and health data, with open APIs.",
            cpv: "72300000",
            pence: 90_000_000,
            tender: (2027, 9),
            incumbent: "",
            visibility: Visibility::Public,
            sme: true,
        },
        Plan {
            email: "officer@hackney.example",
            title: "Adult social care case management (demo)",
            need: "Case management for adult social care, replacing a system at end of life.",
            cpv: "48000000",
            pence: 180_000_000,
            tender: (2028, 1),
            incumbent: "",
            visibility: Visibility::Public,
            sme: false,
        },
        Plan {
            email: "officer@lambeth.example",
            title: "Digital accessibility audit (demo)",
            need: "Audit of 40 public websites and apps against WCAG 2.2 AA.",
            cpv: "72000000",
            pence: 4_500_000,
            tender: (2026, 12),
            incumbent: "",
            visibility: Visibility::Public,
            sme: true,
        },
    ];
    for plan in plans {
        let (Some(user), Ok(cpv)) = (
            store::user_by_email(db, plan.email).await?,
            crate::cpv::CpvCode::parse(plan.cpv),
        ) else {
            continue;
        };
        let tender = chrono::NaiveDate::from_ymd_opt(plan.tender.0, plan.tender.1, 1);
        let input = ProcurementInput {
            title: plan.title.into(),
            need: plan.need.into(),
            cpv,
            value: Some(crate::money::Pence(plan.pence)),
            incumbent: plan.incumbent.into(),
            incumbent_end_date: None,
            owner_user_id: Some(user.id),
            team: "Digital (demo)".into(),
            procedure: Procedure::NotDecided,
            expected_tender_date: tender,
            expected_start_date: tender.and_then(|t| t.checked_add_months(chrono::Months::new(9))),
            contract_months: Some(60),
            sme_suitable: plan.sme,
            visibility: plan.visibility,
        };
        create(db, &content, &user, &input).await?;
    }
    Ok(())
}

async fn demo_accounts(db: &Db) -> DbResult<()> {
    store::ensure_organisation(
        db,
        &NewOrganisation {
            kind: OrgKind::Supplier,
            name: "Thamesgate Systems Ltd (demo supplier)",
            short_name: "Thamesgate Systems (demo)",
            slug: "thamesgate-systems-demo",
            gss_code: None,
            company_number: None,
        },
    )
    .await?;
    let hash = crate::accounts::password::hash(DEMO_PASSWORD.to_owned()).await;
    for a in DEMO_ACCOUNTS {
        if store::user_by_email(db, a.email).await?.is_some() {
            continue;
        }
        let Some(org) = store::find_organisation(db, a.org_slug).await? else {
            continue;
        };
        let Ok(email) = Email::parse(a.email) else {
            continue;
        };
        match store::insert_user(
            db,
            &NewUser {
                org_id: org.id,
                email: &email,
                name: a.name,
                role: a.role,
                password_hash: Some(&hash),
            },
        )
        .await
        {
            Ok(_) | Err(store::AccountError::EmailTaken) => {}
            Err(store::AccountError::Db(e)) => return Err(e),
            Err(e) => tracing::warn!(error = %e, email = a.email, "demo account skipped"),
        }
    }
    crate::standards::demo::seed(db).await?;
    crate::estate::demo::seed(db).await?;
    crate::joint::store::seed_examples(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_33_london_authorities() {
        let all = london_authorities();
        assert_eq!(all.len(), 33);
        assert!(all.iter().all(|a| a.gss_code.is_london()));
        let codes: std::collections::HashSet<_> = all.iter().map(|a| a.gss_code.as_str()).collect();
        for n in 1..=33 {
            assert!(
                codes.contains(format!("E090000{n:02}").as_str()),
                "E090000{n:02}"
            );
        }
        let city = all
            .iter()
            .find(|a| a.gss_code.as_str() == "E09000001")
            .unwrap();
        assert_eq!(city.name, "City of London Corporation");
        assert_eq!(city.code, "LND");
    }
}

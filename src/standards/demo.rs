//! Demo product profiles for `procurekit demo`, all clearly labelled as such: two products of
//! the demo supplier, one with an OpenAPI document (fictional, in data/standards/demo/) and
//! verdicts from two demo boroughs.

use super::openapi;
use super::store::{self, NewClaim, NewProduct, NewVerification};
use super::{ClaimStatus, Verdict};
use crate::accounts::store as accounts;
use crate::db::{Db, DbResult};
use crate::visibility::{Viewer, Visibility};

const DEMO_OPENAPI: &str =
    include_str!("../../data/standards/demo/thamesgate-housing-openapi.yaml");

async fn viewer_of(db: &Db, email: &str) -> DbResult<Option<Viewer>> {
    Ok(accounts::user_by_email(db, email)
        .await?
        .map(|u| u.viewer()))
}

/// Adds the demo products once; later runs leave them (and any changes) alone.
pub async fn seed(db: &Db) -> DbResult<()> {
    let Some(supplier) = viewer_of(db, "bids@thamesgate.example").await? else {
        return Ok(());
    };
    let (Some(org_id), Some(user_id)) = (supplier.org_id(), supplier.user_id()) else {
        return Ok(());
    };
    if !store::products(db, &supplier, None)
        .await?
        .iter()
        .all(|p| p.org_id != org_id)
    {
        return Ok(());
    }
    let housing = store::create_product(
        db,
        org_id,
        user_id,
        &NewProduct {
            name: "Thamesgate Housing 365 (demo)",
            system_type: "housing",
            description: "DEMO DATA, not a real product. A fictional housing management system: tenancies, rents, repairs and lettings for council landlords.",
            visibility: Visibility::Public,
        },
    )
    .await?;
    if let Ok(report) = openapi::check_bytes(DEMO_OPENAPI.as_bytes())
        && let Ok(json) = serde_json::to_string(&report)
    {
        store::save_openapi(
            db,
            &supplier,
            housing,
            "thamesgate-housing-openapi.yaml",
            DEMO_OPENAPI,
            &json,
        )
        .await?;
    }
    let doc = store::latest_openapi(db, housing).await?.map(|u| u.id);
    let claims: &[(&str, ClaimStatus, &str, Option<&str>, bool)] = &[
        (
            "api-business-functions",
            ClaimStatus::Partly,
            "Tenancies, properties and repairs are in the API; lettings and rent accounting follow in release 4.4 (March 2027).",
            None,
            true,
        ),
        (
            "api-write-parity",
            ClaimStatus::Partly,
            "Tenancies can be created and changed through the API; repairs are read-only until 4.4.",
            None,
            true,
        ),
        (
            "bulk-extract",
            ClaimStatus::Meets,
            "GET /exports/full streams every record as NDJSON, at any time.",
            Some("https://docs.thamesgate.example/exports"),
            true,
        ),
        (
            "changed-since-extract",
            ClaimStatus::Meets,
            "modified_since on every list operation; deletions appear as tombstone records.",
            None,
            true,
        ),
        (
            "no-extra-charge",
            ClaimStatus::Meets,
            "API access, sandbox and extracts are included in the licence fee.",
            Some("https://thamesgate.example/pricing"),
            false,
        ),
        (
            "return-and-deletion",
            ClaimStatus::Meets,
            "Full return within 10 working days and a certificate of deletion, free of charge (standard terms, clause 14).",
            None,
            false,
        ),
        (
            "authentication",
            ClaimStatus::Meets,
            "OAuth 2.0 client credentials, one client per integration, revocable by the council.",
            None,
            true,
        ),
        (
            "versioning-and-notice",
            ClaimStatus::Meets,
            "Versioned paths (/v4); six months' notice of breaking changes.",
            None,
            true,
        ),
        (
            "rate-limits",
            ClaimStatus::Meets,
            "600 requests a minute per client; 429 with Retry-After.",
            None,
            true,
        ),
        (
            "change-notifications",
            ClaimStatus::DoesNot,
            "Webhooks are on the roadmap for 2027.",
            None,
            false,
        ),
        (
            "open-standards",
            ClaimStatus::Partly,
            "UPRN on every property; the UK Housing Data Standards are not yet supported.",
            None,
            false,
        ),
    ];
    for (id, status, note, url, cite) in claims {
        store::save_claim(
            db,
            &supplier,
            housing,
            &NewClaim {
                requirement_id: id,
                status: *status,
                note,
                evidence_url: *url,
                openapi_document_id: if *cite { doc } else { None },
            },
        )
        .await?;
    }
    store::create_product(
        db,
        org_id,
        user_id,
        &NewProduct {
            name: "Thamesgate Local Directory (demo)",
            system_type: "service-directory",
            description: "DEMO DATA, not a real product. A fictional directory of local services for family hubs and social prescribing.",
            visibility: Visibility::Public,
        },
    )
    .await?;
    if let Some(camden) = viewer_of(db, "officer@camden.example").await? {
        store::save_verification(
            db,
            &camden,
            housing,
            &NewVerification {
                requirement_id: "bulk-extract",
                verdict: Verdict::Verified,
                note: "Demo: we took a full extract in the sandbox in May; 1.2 million records in 40 minutes.",
                visibility: Visibility::Public,
            },
        )
        .await?;
    }
    if let Some(hackney) = viewer_of(db, "officer@hackney.example").await? {
        store::save_verification(
            db,
            &hackney,
            housing,
            &NewVerification {
                requirement_id: "no-extra-charge",
                verdict: Verdict::Disputed,
                note: "Demo: our order form lists a £4,500 a year 'integration hub' licence needed to use the API.",
                visibility: Visibility::London,
            },
        )
        .await?;
    }
    Ok(())
}

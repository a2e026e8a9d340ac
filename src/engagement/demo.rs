//! Demo data for `procurekit demo`: boroughs asking for pitches, the demo supplier's profile
//! and a pitch from it, and an open market engagement run by two boroughs. Marked "(demo)" and
//! added only once (when no borough has inbox settings yet).

use super::events::{self, EngagementInput};
use super::pitches::{self, PitchInput, Settings};
use super::{Category, EngagementKind, EventFormat, PricingModel};
use crate::accounts::store;
use crate::args;
use crate::db::{Db, DbResult, now};

pub async fn seed(db: &Db) -> DbResult<()> {
    if db
        .scalar::<i64>("SELECT COUNT(*) FROM pitch_settings", vec![])
        .await?
        .unwrap_or(0)
        > 0
    {
        return Ok(());
    }
    let cat = |s: &str| Category::parse(s).ok();
    for (slug, cats, days, share) in [
        ("camden", vec!["72", "48"], 20, false),
        ("hackney", vec!["722", "723"], 15, true),
        ("lambeth", vec!["72"], 30, true),
    ] {
        let Some(org) = store::find_organisation(db, slug).await? else {
            continue;
        };
        let cats: Vec<Category> = cats.into_iter().filter_map(cat).collect();
        pitches::save_settings(
            db,
            org.id,
            &Settings {
                target_days: days,
                share_by_default: share,
            },
            &cats,
        )
        .await?;
    }

    // The demo supplier: a confirmed, verified profile with a product.
    let Some(supplier) = store::user_by_email(db, "bids@thamesgate.example").await? else {
        return Ok(());
    };
    let t = now();
    db.execute(
        "INSERT INTO supplier_profiles (org_id, description, website, sme, vcse, london_based, accessibility,
            security, email_verified_at, verified_at, created_at, updated_at)
         VALUES ($1, $2, '', TRUE, FALSE, TRUE, $3, $4, $5, $5, $5, $5)
         ON CONFLICT (org_id) DO NOTHING",
        args![
            supplier.org_id,
            "A London SME building case management and resident self-service for social housing (demo).",
            "Independent WCAG 2.2 AA audit in 2025 (demo).",
            "Cyber Essentials Plus; UK hosting (demo).",
            t
        ],
    )
    .await?;
    for c in ["72", "48"] {
        db.execute(
            "INSERT INTO supplier_categories (org_id, category) VALUES ($1, $2) ON CONFLICT (org_id, category) DO NOTHING",
            args![supplier.org_id, c],
        )
        .await?;
    }
    super::suppliers::add_product(
        db,
        supplier.org_id,
        "Thamesgate Housing Hub (demo)",
        "Tenants report repairs and follow their case online; officers see every contact in one place.",
        "",
    )
    .await?;
    let pitch = PitchInput {
        title: "Repairs reporting that tenants can use at night (demo)".into(),
        problem: "Tenants can only report repairs by phone in office hours, so leaks and damp wait and cost more to fix (demo).".into(),
        problems: Vec::new(),
        audience: "Council tenants and the repairs and contact centre teams (demo).".into(),
        product: "Thamesgate Housing Hub: report with photos, book a slot, get text updates (demo).".into(),
        evidence: "Running for two housing associations for a year; repeat visits fell by a fifth (demo).".into(),
        pricing_model: PricingModel::Subscription,
        pricing: "£1 per home per year, including APIs and data extracts (demo).".into(),
        data_api: "Every function is available through a documented REST API at no extra charge; nightly bulk extracts (demo).".into(),
        accessibility: "Audited against WCAG 2.2 AA (demo).".into(),
        security: "Cyber Essentials Plus (demo).".into(),
        categories: cat("722").into_iter().collect(),
    };
    if let Err(e) = pitches::submit(db, &supplier, &pitch, "http://localhost:8080").await {
        tracing::warn!(error = %e, "demo pitch skipped");
    }

    // An open market engagement run by Camden with Hackney.
    let Some(officer) = store::user_by_email(db, "officer@camden.example").await? else {
        return Ok(());
    };
    let procurement = db
        .scalar::<i64>(
            "SELECT id FROM procurements WHERE org_id = $1 AND title = 'Housing management system (demo)'",
            args![officer.org_id],
        )
        .await?;
    let Some(category) = cat("48") else {
        return Ok(());
    };
    let today = chrono::Utc::now().date_naive();
    let id = events::create(
        db,
        &officer,
        &EngagementInput {
            title: "Housing management system: supplier day (demo)".into(),
            description: "Camden and Hackney are replacing their housing management systems. Tell us what a modern, API-first system can do, and how you price data access (demo).".into(),
            kind: EngagementKind::SupplierDay,
            format: EventFormat::Hybrid,
            location: "5 Pancras Square, London N1C 4AG (demo)".into(),
            joining_details: "https://meet.example/housing-supplier-day (demo)".into(),
            event_date: Some(today + chrono::Duration::days(28)),
            event_start: Some("10:00".into()),
            event_end: Some("12:30".into()),
            closes_on: today + chrono::Duration::days(21),
            capacity: Some(25),
            procurement_id: procurement,
            category,
        },
    )
    .await?;
    for q in [
        "Which business functions of your system are available through APIs, and at what charge?",
        "How would a council get all its data back at the end of the contract?",
    ] {
        events::add_question(db, id, q, "").await?;
    }
    if let Some(hackney) = store::find_organisation(db, "hackney").await? {
        events::add_partner(db, id, hackney.id).await?;
    }
    if let Some(e) = events::get(db, &officer.viewer(), id).await? {
        events::open(db, &e, "http://localhost:8080").await?;
    }
    Ok(())
}

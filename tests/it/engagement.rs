//! Suppliers, market engagement and the pitch inbox, end to end over HTTP: a supplier
//! registers (its verification email through the outbox, and over SMTP), pitches, two
//! boroughs triage the pitch differently and neither sees the other's notes, the supplier sees
//! both; market engagement questions are answered to every participant without naming the
//! asker; bad input and rate limits.

use std::sync::Arc;

use procurekit::accounts::Role;
use procurekit::args;
use procurekit::notify::smtp::SmtpConfig;
use procurekit::web::AppState;
use tokio::net::TcpListener;

use crate::helpers::{PASSWORD, TestApp, csrf_from, location};
use crate::on_both_databases;

on_both_databases!(
    a_supplier_registers_confirms_its_address_and_keeps_a_profile,
    a_registration_with_mistakes_explains_each_and_creates_nothing,
    registrations_are_throttled_per_address_and_bots_get_nothing,
    a_pitch_reaches_the_boroughs_that_asked_and_each_triages_it_on_its_own,
    pitches_and_triage_notes_are_seen_exactly_as_the_rule_says,
    a_pitch_with_mistakes_is_explained_and_pitches_are_limited_per_supplier,
    a_triage_with_mistakes_is_explained_and_changes_nothing,
    pitches_past_the_target_response_time_are_reported,
    inbox_settings_are_for_organisation_admins_and_checked,
    market_engagement_answers_reach_every_participant_without_naming_the_asker,
    a_procurement_keeps_its_market_engagements_published_summary,
    a_market_engagement_form_with_mistakes_explains_each_and_saves_nothing,
    verification_mail_waits_while_the_mail_server_is_down_and_is_delivered_when_it_is_back,
    the_demo_has_a_pitch_in_two_inboxes_and_an_open_engagement,
    the_last_place_goes_to_one_supplier_when_two_register_at_once,
    a_supplier_invites_a_colleague_who_joins_its_organisation,
    an_engagement_is_edited_by_its_boroughs_and_keeps_its_registrations_within_capacity,
);

// ---- Helpers ----

async fn scalar_i64(app: &TestApp, sql: &'static str, a: Vec<procurekit::db::Arg>) -> i64 {
    app.db
        .scalar::<i64>(sql, a)
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    scalar_i64(app, "SELECT id FROM users WHERE email = $1", args![email]).await
}

/// The fields of a valid registration.
fn registration<'a>(name: &'a str, email: &'a str, cats: &'a [&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("name", name),
        ("sme", "1"),
        ("contact_name", "Morgan Ellis"),
        ("email", email),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    for c in cats {
        f.push(("categories", c));
    }
    f
}

/// The verification link in the newest message to `email` in the outbox.
async fn verification_link(app: &TestApp, email: &str) -> String {
    let body: String = app
        .db
        .scalar(
            "SELECT body FROM notifications WHERE to_email = $1 AND kind = 'supplier_email_verification' ORDER BY id DESC LIMIT 1",
            args![email],
        )
        .await
        .unwrap()
        .expect("a verification message in the outbox");
    let at = body
        .find("/suppliers/verify/")
        .expect("a link in the message");
    body[at..].split_whitespace().next().unwrap().to_owned()
}

/// Registers a supplier through the form and follows the emailed link; returns the signed-in
/// client and the organisation's id.
async fn register_supplier(
    app: &TestApp,
    name: &str,
    email: &str,
    company_number: Option<&str>,
    cats: &[&str],
) -> (reqwest::Client, i64) {
    let client = app.client();
    let mut fields = registration(name, email, cats);
    if let Some(c) = company_number {
        fields.push(("company_number", c));
    }
    let r = app
        .post_form(
            &client,
            "/suppliers/register",
            "/suppliers/register",
            &fields,
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let link = verification_link(app, email).await;
    let r = app.post_form(&client, &link, &link, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/market/profile?done=verified");
    let org = scalar_i64(
        app,
        "SELECT org_id FROM users WHERE email = $1",
        args![email],
    )
    .await;
    (client, org)
}

/// Sets a borough's inbox through its admin's form.
async fn set_interests(app: &TestApp, slug: &str, cats: &[&str], days: &str, share: bool) {
    let admin = app.signed_in(&app.user(slug, Role::OrgAdmin).await).await;
    let mut fields: Vec<(&str, &str)> = cats.iter().map(|c| ("categories", *c)).collect();
    fields.push(("target_days", days));
    if share {
        fields.push(("share_by_default", "1"));
    }
    let r = app
        .post_form(&admin, "/market/settings", "/market/settings", &fields)
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
}

fn pitch<'a>(title: &'a str, problem: &'a str, cats: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("title", title),
        ("problem", problem),
        ("problems", "p02"),
        (
            "audience",
            "Council tenants and the housing repairs team who book and track repairs.",
        ),
        (
            "product",
            "A web app tenants use to report a repair with photos and book a slot; it connects to the housing system.",
        ),
        (
            "evidence",
            "Used by two housing associations for a year: repeat visits fell by a fifth.",
        ),
        ("pricing_model", "subscription"),
        (
            "pricing",
            "£1 per home per year, support and APIs included.",
        ),
        (
            "data_api",
            "Every function is available through a documented REST API at no extra charge; nightly bulk extracts as CSV.",
        ),
        ("accessibility", "Audited against WCAG 2.2 AA in 2025."),
        ("security", "Cyber Essentials Plus; hosted in the UK."),
    ];
    for c in cats {
        f.push(("categories", c));
    }
    f
}

async fn submit_pitch(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(client, "/pitches/new", "/pitches/new", fields)
        .await
}

fn pitch_id_from(r: &reqwest::Response) -> i64 {
    location(r)
        .trim_start_matches("/pitches/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn triage(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/pitches/{id}");
    app.post_form(client, &page, &format!("/pitches/{id}/triage"), fields)
        .await
}

async fn note(app: &TestApp, client: &reqwest::Client, id: i64, body: &str) -> reqwest::Response {
    let page = format!("/pitches/{id}");
    app.post_form(
        client,
        &page,
        &format!("/pitches/{id}/notes"),
        &[("note", body)],
    )
    .await
}

fn in_days(n: i64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(n)
}

/// Creates an engagement through the form and returns its id.
async fn create_engagement(app: &TestApp, client: &reqwest::Client, extra: &[(&str, &str)]) -> i64 {
    let closes = in_days(30);
    let (d, m, y) = (
        closes.format("%-d").to_string(),
        closes.format("%-m").to_string(),
        closes.format("%Y").to_string(),
    );
    let mut f: Vec<(&str, &str)> = vec![
        ("title", "Repairs reporting: what can the market do?"),
        (
            "description",
            "We want to learn how suppliers help tenants report repairs online and book appointments.",
        ),
        ("kind", "rfi"),
        ("format", "online"),
        ("category", "722"),
        ("closes-day", &d),
        ("closes-month", &m),
        ("closes-year", &y),
    ];
    for (k, v) in extra {
        f.retain(|(x, _)| x != k);
        f.push((k, v));
    }
    let r = app
        .post_form(client, "/engagements/new", "/engagements/new", &f)
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    location(&r)
        .trim_start_matches("/engagements/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn post_on(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = app.post_form(client, page, action, fields).await;
    let status = r.status().as_u16();
    let loc = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == 303 { loc } else { body })
}

// ---- Suppliers ----

async fn a_supplier_registers_confirms_its_address_and_keeps_a_profile(app: TestApp) {
    let (status, form) = app.get(&app.client(), "/suppliers/register").await;
    assert_eq!(status, 200);
    assert!(form.contains("Register as a supplier"));
    // The verification message waits in the outbox (no mail server here), marked essential.
    let email = "morgan@fixitnow.example";
    let client = app.client();
    let mut fields = registration("FixItNow Ltd", email, &["722", "48"]);
    fields.push(("company_number", "9876543"));
    fields.push(("london_based", "1"));
    let r = app
        .post_form(
            &client,
            "/suppliers/register",
            "/suppliers/register",
            &fields,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    let status: String = app
        .db
        .scalar(
            "SELECT status FROM notifications WHERE to_email = $1",
            args![email],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, "pending");
    // Unconfirmed, the account cannot sign in.
    let r = app
        .post_form(
            &app.client(),
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 401);
    // Following the link shows a button (mail scanners open links); pressing it confirms and
    // signs in.
    let link = verification_link(&app, email).await;
    let (status, page) = app.get(&client, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Confirm and sign in"));
    let r = app.post_form(&client, &link, &link, &[]).await;
    assert_eq!(r.status(), 303);
    let (status, profile) = app.get(&client, "/market/profile?done=verified").await;
    assert_eq!(status, 200);
    assert!(profile.contains("FixItNow Ltd") && profile.contains("09876543"));
    assert!(profile.contains("Not yet verified"));
    // The link works once.
    assert_eq!(app.get(&app.client(), &link).await.0, 400);

    // The organisation is linked to the shared supplier register by its company number.
    let org = scalar_i64(
        &app,
        "SELECT org_id FROM users WHERE email = $1",
        args![email],
    )
    .await;
    let register_org = scalar_i64(
        &app,
        "SELECT org_id FROM suppliers WHERE company_number = '09876543'",
        vec![],
    )
    .await;
    assert_eq!(register_org, org);
    let cats: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT category FROM supplier_categories WHERE org_id = $1 ORDER BY category",
            args![org],
        )
        .await
        .unwrap();
    assert_eq!(cats, vec![("48".into(),), ("722".into(),)]);

    // The profile: details, a product, a case study.
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile",
            &[
                ("description", "Repairs reporting for social landlords."),
                ("website_url", "https://fixitnow.example"),
                ("sme", "1"),
                ("categories", "722"),
                ("certifications", "cyber_essentials_plus"),
                ("accessibility", "WCAG 2.2 AA audit, 2025"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile/products",
            &[
                ("product_name", "FixItNow"),
                ("product_description", "Tenants report repairs with photos."),
                ("product_url", "https://fixitnow.example/product"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile/case-studies",
            &[
                ("case_title", "Fewer repeat visits"),
                ("case_client", "A London housing association"),
                ("case_summary", "Repeat visits fell by a fifth in a year."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // Boroughs find it in the directory and see what London knows about it; a platform admin
    // verifies it, and its people are told.
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (status, dir) = app.get(&officer, "/suppliers?category=72&sme=1").await;
    assert_eq!(status, 200);
    assert!(dir.contains("FixItNow Ltd"));
    let (_, dir) = app.get(&officer, "/suppliers?category=48").await;
    assert!(
        !dir.contains("FixItNow Ltd"),
        "categories were replaced by the profile"
    );
    let (_, dir) = app.get(&officer, "/suppliers?q=09876543").await;
    assert!(dir.contains("FixItNow Ltd"), "found by company number");
    let (status, page) = app.get(&officer, &format!("/suppliers/{org}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Fewer repeat visits") && page.contains("Cyber Essentials Plus"));
    assert!(page.contains("What London knows"));
    assert!(page.contains("No published spend in the database names this supplier"));
    // What London knows grows with London's data: published spend with the supplier (matched
    // by company number), and the systems it supplies as far as the viewer may see them.
    let input = procurekit::spend::source::inputs_from_bytes(
        "hackney.csv",
        b"Date,Supplier,Company Number,Amount,Expense Type\n2025-04-02,FIXITNOW LIMITED,09876543,1234.50,Software\n"
            .to_vec(),
    )
    .unwrap()
    .remove(0);
    procurekit::spend::import::import(
        &app.db,
        &input,
        &procurekit::spend::import::ImportOptions {
            body: Some("Hackney".into()),
            ..Default::default()
        },
        procurekit::spend::source::Progress::default(),
    )
    .await
    .unwrap();
    for (slug, system, visibility) in [
        (
            "hackney",
            "FixItNow repairs",
            procurekit::visibility::Visibility::London,
        ),
        (
            "islington",
            "Secret repairs pilot",
            procurekit::visibility::Visibility::Private,
        ),
    ] {
        let org_id = procurekit::accounts::store::find_organisation(&app.db, slug)
            .await
            .unwrap()
            .unwrap()
            .id;
        procurekit::estate::store::create(
            &app.db,
            &procurekit::estate::store::Writer {
                org_id,
                user_id: None,
                source: procurekit::estate::Source::Form,
                import_id: None,
            },
            &procurekit::estate::SystemRecord {
                service_area: "Housing".into(),
                system_name: system.into(),
                supplier_name: "FixItNow Ltd".into(),
                company_number: Some(
                    procurekit::suppliers::CompanyNumber::parse("09876543").unwrap(),
                ),
                manufacturer: None,
                contract_reference: None,
                contract_start: None,
                contract_end: None,
                annual_value: None,
                hosting: None,
                satisfaction: None,
                notes: String::new(),
                visibility,
            },
        )
        .await
        .unwrap();
    }
    let (_, page) = app.get(&officer, &format!("/suppliers/{org}")).await;
    assert!(
        page.contains("London Borough of Hackney: £1,234"),
        "spend by body: {page}"
    );
    assert!(
        page.contains("FixItNow repairs") && page.contains("(Hackney"),
        "estate record"
    );
    assert!(
        !page.contains("Secret repairs pilot"),
        "another borough's private record"
    );
    assert_eq!(
        app.post_form(
            &officer,
            &format!("/suppliers/{org}"),
            &format!("/suppliers/{org}/verify"),
            &[]
        )
        .await
        .status(),
        403
    );
    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    let (_, awaiting) = app.get(&admin, "/suppliers?verified=awaiting").await;
    assert!(awaiting.contains("FixItNow Ltd"));
    let r = app
        .post_form(
            &admin,
            &format!("/suppliers/{org}"),
            &format!("/suppliers/{org}/verify"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&officer, &format!("/suppliers/{org}")).await;
    assert!(page.contains(">Verified<"));
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'supplier_verified'",
            vec![]
        )
        .await,
        1
    );
    // Suppliers do not browse each other.
    assert_eq!(app.get(&client, "/suppliers").await.0, 403);
    let (other, _) = register_supplier(&app, "Other Co", "x@other.example", None, &["72"]).await;
    assert_eq!(app.get(&other, &format!("/suppliers/{org}")).await.0, 404);
}

async fn a_registration_with_mistakes_explains_each_and_creates_nothing(app: TestApp) {
    let orgs = scalar_i64(&app, "SELECT COUNT(*) FROM organisations", vec![]).await;
    let client = app.client();
    let r = app
        .post_form(
            &client,
            "/suppliers/register",
            "/suppliers/register",
            &[
                ("name", "Typed Name Ltd"),
                ("company_number", "ABC"),
                ("categories_other", "72, banana"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Error: Register as a supplier"));
    for message in [
        "is not a Companies House number",
        "&#34;banana&#34; is not a category",
        "Enter your full name",
        "Enter an email address in the correct format",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(
        html.contains("value=\"Typed Name Ltd\""),
        "what was typed is kept"
    );
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    let r = app
        .post_form(
            &client,
            "/suppliers/register",
            "/suppliers/register",
            &[
                ("name", "Typed Name Ltd"),
                ("contact_name", "A Person"),
                ("email", "a@typed.example"),
                ("password", PASSWORD),
                ("confirm_password", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose at least one category"));
    assert!(html.contains("The passwords do not match"));
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM organisations", vec![]).await,
        orgs,
        "nothing half-written"
    );
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM notifications", vec![]).await,
        0
    );

    // An address or a company that already has an account.
    register_supplier(
        &app,
        "First Ltd",
        "first@first.example",
        Some("01111111"),
        &["72"],
    )
    .await;
    let mut f = registration("Second Ltd", "first@first.example", &["72"]);
    f.push(("company_number", "02222222"));
    let r = app
        .post_form(
            &app.client(),
            "/suppliers/register",
            "/suppliers/register",
            &f,
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("An account with that email address already exists")
    );
    let mut f = registration("Copy of First Ltd", "copy@first.example", &["72"]);
    f.push(("company_number", "1111111"));
    let r = app
        .post_form(
            &app.client(),
            "/suppliers/register",
            "/suppliers/register",
            &f,
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Companies House number 01111111 is already registered")
    );

    // Registering again before confirming sends a new link instead.
    let f = registration("Slow Ltd", "slow@slow.example", &["72"]);
    for _ in 0..2 {
        let r = app
            .post_form(
                &app.client(),
                "/suppliers/register",
                "/suppliers/register",
                &f,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM organisations WHERE name = 'Slow Ltd'",
            vec![]
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE to_email = 'slow@slow.example'",
            vec![]
        )
        .await,
        2
    );
}

async fn registrations_are_throttled_per_address_and_bots_get_nothing(app: TestApp) {
    // A bot fills the hidden field: it is thanked like a person, and nothing is created.
    let mut f = registration("Bot Ltd", "bot@bot.example", &["72"]);
    f.push(("website", "http://spam.example"));
    let r = app
        .post_form(
            &app.client(),
            "/suppliers/register",
            "/suppliers/register",
            &f,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your email"));
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM organisations WHERE kind = 'supplier'",
            vec![]
        )
        .await,
        0
    );
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM notifications", vec![]).await,
        0
    );
    // Four more from the same address are fine; the sixth attempt in the hour is refused.
    for n in 0..4 {
        let email = format!("s{n}@many.example");
        let name = format!("Supplier {n} Ltd");
        let f = registration(&name, &email, &["72"]);
        let r = app
            .post_form(
                &app.client(),
                "/suppliers/register",
                "/suppliers/register",
                &f,
            )
            .await;
        assert_eq!(r.status(), 200, "registration {n}");
    }
    let f = registration("One Too Many Ltd", "late@many.example", &["72"]);
    let r = app
        .post_form(
            &app.client(),
            "/suppliers/register",
            "/suppliers/register",
            &f,
        )
        .await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("too many registrations from your network"));
    assert!(html.contains("value=\"One Too Many Ltd\""));
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM organisations WHERE kind = 'supplier'",
            vec![]
        )
        .await,
        4
    );
}

// ---- The pitch inbox ----

async fn a_pitch_reaches_the_boroughs_that_asked_and_each_triages_it_on_its_own(app: TestApp) {
    set_interests(&app, "camden", &["72"], "10", false).await;
    set_interests(&app, "hackney", &["722"], "20", true).await;
    set_interests(&app, "lambeth", &["48"], "20", false).await;
    let camden_lead = app.user("camden", Role::CommercialLead).await;
    let (supplier, supplier_org) = register_supplier(
        &app,
        "FixItNow Ltd",
        "bids@fixitnow.example",
        Some("07654321"),
        &["722"],
    )
    .await;

    let r = submit_pitch(
        &app,
        &supplier,
        &pitch(
            "Online repairs reporting for tenants",
            "Tenants cannot report repairs outside office hours, so repairs wait and cost more.",
            &["722"],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("reached=2"));
    let id = pitch_id_from(&r);
    let (_, page) = app.get(&supplier, &location(&r)).await;
    assert!(page.contains("Your pitch has reached 2 boroughs"));
    // Camden's commercial lead is told; Lambeth asked for software packages only.
    let told: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT to_email FROM notifications WHERE kind = 'pitch_new' ORDER BY id",
            vec![],
        )
        .await
        .unwrap();
    assert!(told.iter().any(|(e,)| e == &camden_lead));
    assert!(!told.iter().any(|(e,)| e.contains("lambeth")));

    // Camden shortlists, assigns it, and notes something private.
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let camden_colleague = app.user("camden", Role::Officer).await;
    let colleague_id = user_id(&app, &camden_colleague).await;
    let (_, inbox) = app.get(&camden, "/pitches?status=new").await;
    assert!(inbox.contains("Online repairs reporting for tenants"));
    let r = triage(
        &app,
        &camden,
        id,
        &[
            ("status", "shortlisted"),
            (
                "reason",
                "It fits our repairs improvement programme; we will invite you to a demo.",
            ),
            ("assignee", &colleague_id.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        note(
            &app,
            &camden,
            id,
            "Camden only: price looks high against our budget."
        )
        .await
        .status(),
        303
    );
    // Hackney declines, shares its status, and notes something private.
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let r = triage(
        &app,
        &hackney,
        id,
        &[
            ("status", "declined"),
            (
                "reason",
                "Not a priority this year: we renewed our repairs system in 2025.",
            ),
            ("shared", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        note(&app, &hackney, id, "Hackney only: ask again in 2027.")
            .await
            .status(),
        303
    );

    // The supplier sees both statuses and reasons, and neither borough's notes or assignee.
    let (status, page) = app.get(&supplier, &format!("/pitches/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Camden") && page.contains("Hackney"));
    assert!(page.contains("Shortlisted") && page.contains("Declined"));
    assert!(page.contains("we will invite you to a demo"));
    assert!(page.contains("we renewed our repairs system in 2025"));
    assert!(!page.contains("Camden only") && !page.contains("Hackney only"));
    let colleague_name = format!(
        "Test Officer {}",
        camden_colleague.split(['-', '@']).nth(1).unwrap()
    );
    assert!(
        !page.contains(&colleague_name),
        "who has it at Camden is Camden's business"
    );
    // …and was told of each decision.
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'pitch_status' AND user_id IN (SELECT id FROM users WHERE org_id = $1)", args![supplier_org]).await,
        2
    );
    // The colleague was told the pitch is theirs.
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'pitch_assigned' AND user_id = $1",
            args![colleague_id]
        )
        .await,
        1
    );

    // Camden sees its own note and Hackney's shared decision, not Hackney's note.
    let (_, page) = app.get(&camden, &format!("/pitches/{id}")).await;
    assert!(page.contains("Camden only"));
    assert!(!page.contains("Hackney only"));
    assert!(page.contains("One other borough declined this"));
    // Hackney sees its own note; Camden chose not to share, so nothing of Camden's triage.
    let (_, page) = app.get(&hackney, &format!("/pitches/{id}")).await;
    assert!(page.contains("Hackney only"));
    assert!(!page.contains("Camden only"));
    assert!(!page.contains("shortlisted this") && !page.contains("we will invite you to a demo"));

    // Lambeth, which did not ask, cannot see it at all.
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    assert_eq!(app.get(&lambeth, &format!("/pitches/{id}")).await.0, 404);

    // The supplier's API view agrees.
    let token = {
        let r = app
            .post_form(
                &supplier,
                "/account",
                "/account/tokens",
                &[("token_name", "test")],
            )
            .await;
        let html = r.text().await.unwrap();
        let at = html.find("pk_").unwrap();
        html[at..at + 67].to_owned()
    };
    let v: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/pitches/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["triage"].as_array().unwrap().len(), 2);
    assert!(v["notes"].as_array().unwrap().is_empty());
    assert!(
        v["triage"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["assignee_name"].is_null())
    );

    // The supplier's own list and history.
    let (_, list) = app.get(&supplier, "/pitches").await;
    assert!(list.contains("Online repairs reporting for tenants"));
    let (_, page) = app.get(&supplier, &format!("/pitches/{id}")).await;
    assert!(page.contains("History"));
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    Supplier,
    OtherSupplier,
    CamdenOfficer,
    CamdenAdmin,
    HackneyOfficer,
    LambethOfficer,
    PlatformAdmin,
}

impl Who {
    const ALL: [Who; 8] = [
        Who::Anonymous,
        Who::Supplier,
        Who::OtherSupplier,
        Who::CamdenOfficer,
        Who::CamdenAdmin,
        Who::HackneyOfficer,
        Who::LambethOfficer,
        Who::PlatformAdmin,
    ];

    /// The rule written out, independently of the code: (sees the pitch, Camden's notes,
    /// Hackney's notes, Camden's (unshared) reason, Hackney's (shared) reason).
    fn expect(self) -> [bool; 5] {
        match self {
            Who::Supplier => [true, false, false, true, true],
            Who::CamdenOfficer | Who::CamdenAdmin => [true, true, false, true, true],
            Who::HackneyOfficer => [true, false, true, false, true],
            _ => [false; 5],
        }
    }

    fn may_triage(self) -> bool {
        matches!(
            self,
            Who::CamdenOfficer | Who::CamdenAdmin | Who::HackneyOfficer
        )
    }
}

async fn pitches_and_triage_notes_are_seen_exactly_as_the_rule_says(app: TestApp) {
    set_interests(&app, "camden", &["72"], "20", false).await;
    set_interests(&app, "hackney", &["72"], "20", true).await;
    set_interests(&app, "lambeth", &["48"], "20", false).await;
    let (supplier, _) =
        register_supplier(&app, "Pitching Ltd", "p@pitching.example", None, &["72"]).await;
    let r = submit_pitch(
        &app,
        &supplier,
        &pitch(
            "Matrix pitch",
            "A problem worth solving for tenants.",
            &["72"],
        ),
    )
    .await;
    let id = pitch_id_from(&r);
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    triage(
        &app,
        &camden,
        id,
        &[("status", "shortlisted"), ("reason", "camden-reason")],
    )
    .await;
    note(&app, &camden, id, "camden-secret").await;
    triage(
        &app,
        &hackney,
        id,
        &[
            ("status", "declined"),
            ("reason", "hackney-reason"),
            ("shared", "1"),
        ],
    )
    .await;
    note(&app, &hackney, id, "hackney-secret").await;

    for who in Who::ALL {
        let client = match who {
            Who::Anonymous => app.client(),
            Who::Supplier => supplier.clone(),
            Who::OtherSupplier => {
                register_supplier(&app, "Other Ltd", "o@other.example", None, &["72"])
                    .await
                    .0
            }
            Who::CamdenOfficer => {
                app.signed_in(&app.user("camden", Role::Officer).await)
                    .await
            }
            Who::CamdenAdmin => {
                app.signed_in(&app.user("camden", Role::OrgAdmin).await)
                    .await
            }
            Who::HackneyOfficer => {
                app.signed_in(&app.user("hackney", Role::Officer).await)
                    .await
            }
            Who::LambethOfficer => {
                app.signed_in(&app.user("lambeth", Role::Officer).await)
                    .await
            }
            Who::PlatformAdmin => {
                app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                    .await
            }
        };
        let [
            sees,
            camden_notes,
            hackney_notes,
            camden_reason,
            hackney_reason,
        ] = who.expect();
        let (status, html) = app.get(&client, &format!("/pitches/{id}")).await;
        let expected = match who {
            Who::Anonymous => 303,
            _ if sees => 200,
            _ => 404,
        };
        assert_eq!(status, expected, "{who:?}: GET the pitch");
        for (text, want) in [
            ("camden-secret", camden_notes),
            ("hackney-secret", hackney_notes),
            ("camden-reason", camden_reason),
            ("hackney-reason", hackney_reason),
        ] {
            assert_eq!(html.contains(text), want, "{who:?} sees {text}");
        }
        // The same through the API.
        let api = client
            .get(app.url(&format!("/api/v1/pitches/{id}")))
            .send()
            .await
            .unwrap();
        let api_status = api.status().as_u16();
        assert_eq!(
            api_status,
            match who {
                Who::Anonymous => 401,
                _ if sees => 200,
                _ => 404,
            },
            "{who:?}: API"
        );
        let body = api.text().await.unwrap();
        for (text, want) in [
            ("camden-secret", camden_notes),
            ("hackney-secret", hackney_notes),
            ("camden-reason", camden_reason),
            ("hackney-reason", hackney_reason),
        ] {
            assert_eq!(
                body.contains(text),
                want,
                "{who:?} sees {text} through the API"
            );
        }
        // Changing: only a borough the pitch reached, and only its own triage.
        let page = if who == Who::Anonymous {
            "/sign-in".to_owned()
        } else {
            "/market".to_owned()
        };
        // Each borough re-saves its own triage as it stands, so the matrix reads the same
        // state for every viewer.
        let own_triage = match who {
            Who::HackneyOfficer => vec![
                ("status", "declined"),
                ("reason", "hackney-reason"),
                ("shared", "1"),
            ],
            _ => vec![("status", "shortlisted"), ("reason", "camden-reason")],
        };
        for (action, fields) in [
            (format!("/pitches/{id}/triage"), own_triage),
            (
                format!("/pitches/{id}/notes"),
                vec![("note", "written by someone")],
            ),
        ] {
            let r = app.post_form(&client, &page, &action, &fields).await;
            let expected = match who {
                Who::Anonymous => 303,
                w if w.may_triage() => 303,
                _ => 404,
            };
            assert_eq!(r.status().as_u16(), expected, "{who:?}: POST {action}");
        }
        // The inbox lists it for the boroughs it reached only.
        if !matches!(who, Who::Anonymous | Who::Supplier | Who::OtherSupplier) {
            let (_, inbox) = app.get(&client, "/pitches").await;
            assert_eq!(inbox.contains("Matrix pitch"), sees, "{who:?}: inbox");
        }
    }
    // A note written by someone else never reached another borough's notes.
    let written: Vec<(String, String)> = app
        .db
        .fetch_all(
            "SELECT o.slug, n.body FROM pitch_notes n JOIN pitch_routes r ON r.id = n.route_id
             JOIN organisations o ON o.id = r.org_id WHERE n.body = 'written by someone' ORDER BY o.slug",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        written.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["camden", "camden", "hackney"],
        "each borough's notes are written into its own triage only"
    );
}

async fn a_pitch_with_mistakes_is_explained_and_pitches_are_limited_per_supplier(app: TestApp) {
    set_interests(&app, "camden", &["72"], "20", false).await;
    let (supplier, _) = register_supplier(&app, "Busy Ltd", "b@busy.example", None, &["72"]).await;
    let (status, form) = app.get(&supplier, "/pitches/new").await;
    assert_eq!(status, 200);
    assert!(
        form.contains("value=\"72\" checked"),
        "the form starts from the profile's categories"
    );
    // Officers do not pitch.
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    assert_eq!(app.get(&officer, "/pitches/new").await.0, 403);

    let long = "x".repeat(3_001);
    let r = submit_pitch(
        &app,
        &supplier,
        &[
            ("title", "Kept title"),
            ("problem", &long),
            ("problems", "p99"),
            ("pricing_model", "barter"),
            ("categories", "72"),
            ("categories", "48"),
            ("categories", "30"),
            ("categories", "32"),
            ("categories", "64"),
            ("categories", "79"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for message in [
        "The problem your idea addresses must be 3,000 characters or fewer (it has 3,001)",
        "Enter who it is for",
        "Enter evidence and references",
        "Choose how you charge",
        "Choose problem statements from the list",
        "Choose at most 5 categories (you chose 6)",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(html.contains("value=\"Kept title\""));
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM pitches", vec![]).await,
        0
    );

    // Three a day: the first, a near copy (flagged), an exact copy (refused, not counted), a
    // third, then a fourth is refused until the day has passed.
    let problem = "Tenants cannot report repairs outside office hours, so repairs wait longer and cost the council more in repeat visits.";
    let r = submit_pitch(
        &app,
        &supplier,
        &pitch("Repairs reporting", problem, &["72"]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let first = pitch_id_from(&r);
    let near = problem.replace("cost the council more", "cost the landlord more");
    let r = submit_pitch(&app, &supplier, &pitch("Repairs reporting", &near, &["72"])).await;
    assert_eq!(r.status(), 303);
    let second = pitch_id_from(&r);
    let (similar_to, similarity): (Option<i64>, Option<i64>) = app
        .db
        .fetch_one(
            "SELECT similar_to, similarity FROM pitches WHERE id = $1",
            args![second],
        )
        .await
        .unwrap();
    assert_eq!(similar_to, Some(first));
    assert!(
        similarity.unwrap() >= 60 && similarity.unwrap() < 100,
        "{similarity:?}"
    );
    let camden_page = app.get(&officer, &format!("/pitches/{second}")).await.1;
    assert!(camden_page.contains("the same as an earlier pitch"));
    let r = submit_pitch(
        &app,
        &supplier,
        &pitch("Repairs reporting", problem, &["72"]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("You sent this pitch before (pitch {first})"))
    );
    let r = submit_pitch(
        &app,
        &supplier,
        &pitch(
            "Damp sensors",
            "Mould grows unseen in tenants' homes until someone falls ill.",
            &["72"],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = submit_pitch(
        &app,
        &supplier,
        &pitch(
            "A fourth idea",
            "Something else entirely about parking permits.",
            &["72"],
        ),
    )
    .await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("Your organisation has sent 3 pitches in the last 24 hours"));
    assert!(html.contains("value=\"A fourth idea\""));
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM pitches", vec![]).await,
        3
    );
}

async fn a_triage_with_mistakes_is_explained_and_changes_nothing(app: TestApp) {
    set_interests(&app, "camden", &["72"], "20", false).await;
    set_interests(&app, "hackney", &["72"], "20", false).await;
    let (supplier, _) =
        register_supplier(&app, "Triaged Ltd", "t@triaged.example", None, &["72"]).await;
    let id = pitch_id_from(
        &submit_pitch(
            &app,
            &supplier,
            &pitch("To be triaged", "A problem.", &["72"]),
        )
        .await,
    );
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let hackney_email = app.user("hackney", Role::Officer).await;
    let hackney_person = user_id(&app, &hackney_email).await;
    let hackney = app.signed_in(&hackney_email).await;
    let hackney_procurement =
        crate::pipeline::create(&app, &hackney, &[("title", "Hackney's own")]).await;

    let (status, html) = {
        let r = triage(&app, &camden, id, &[("status", "declined"), ("reason", "")]).await;
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(status, 422);
    assert!(html.contains("<title>Error: To be triaged"));
    assert!(html.contains("Give the supplier a reason"));
    let r = triage(
        &app,
        &camden,
        id,
        &[("status", "referred"), ("reason", "See our procurement")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose the market engagement or procurement you refer the pitch to")
    );
    let r = triage(
        &app,
        &camden,
        id,
        &[
            ("status", "referred"),
            ("reason", "See their procurement"),
            ("referral", &format!("procurement:{hackney_procurement}")),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose one of your organisation&#39;s procurements")
    );
    let r = triage(
        &app,
        &camden,
        id,
        &[
            ("status", "under_review"),
            ("assignee", &hackney_person.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose someone from your organisation")
    );
    let r = triage(&app, &camden, id, &[("status", "new")]).await;
    assert_eq!(r.status(), 422);
    let r = note(&app, &camden, id, "").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Enter a note"));
    let (status, history): (String, i64) = app
        .db
        .fetch_one(
            "SELECT r.status, (SELECT COUNT(*) FROM pitch_route_history h WHERE h.route_id = r.id)
             FROM pitch_routes r JOIN organisations o ON o.id = r.org_id WHERE o.slug = 'camden'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!((status.as_str(), history), ("new", 1), "nothing changed");

    // A referral to the borough's own procurement works, and the supplier can follow it when
    // the procurement is public.
    let own = crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Camden repairs platform"),
            ("visibility", "public"),
        ],
    )
    .await;
    let r = triage(
        &app,
        &camden,
        id,
        &[
            ("status", "referred"),
            (
                "reason",
                "We are buying this next year: watch the procurement.",
            ),
            ("referral", &format!("procurement:{own}")),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&supplier, &format!("/pitches/{id}")).await;
    assert!(page.contains(&format!("href=\"/procurements/{own}\"")));
    assert!(page.contains("Camden repairs platform"));
}

async fn pitches_past_the_target_response_time_are_reported(app: TestApp) {
    set_interests(&app, "camden", &["72"], "5", false).await;
    let camden_admin = app.user("camden", Role::OrgAdmin).await;
    let (supplier, _) =
        register_supplier(&app, "Waiting Ltd", "w@waiting.example", None, &["72"]).await;
    let id = pitch_id_from(
        &submit_pitch(
            &app,
            &supplier,
            &pitch("Waiting for an answer", "A problem.", &["72"]),
        )
        .await,
    );
    let due: i64 = scalar_i64(&app, "SELECT due_at - routed_at FROM pitch_routes", vec![]).await;
    assert_eq!(due, 5 * 24 * 60 * 60, "due after the borough's target");
    let camden = app.signed_in(&camden_admin).await;
    let (_, report) = app.get(&camden, "/pitches?overdue=1").await;
    assert!(!report.contains("Waiting for an answer"));
    // Time passes.
    app.db
        .execute(
            "UPDATE pitch_routes SET routed_at = routed_at - 864000, due_at = due_at - 864000",
            vec![],
        )
        .await
        .unwrap();
    let (_, report) = app.get(&camden, "/pitches?overdue=1").await;
    assert!(report.contains("Waiting for an answer") && report.contains("days late"));
    let state = app.job_state();
    procurekit::jobs::tick(&state).await.unwrap();
    let reports: Vec<(String, String)> = app
        .db
        .fetch_all(
            "SELECT to_email, body FROM notifications WHERE kind = 'pitch_overdue_report' ORDER BY id",
            vec![],
        )
        .await
        .unwrap();
    assert!(reports.iter().any(|(to, _)| to == &camden_admin));
    assert!(
        reports
            .iter()
            .all(|(to, _)| to.ends_with("@camden.example")),
        "Camden's only"
    );
    let body = &reports[0].1;
    assert!(body.contains("Waiting for an answer") && body.contains(&format!("/pitches/{id}")));
    // A decision takes it off the report.
    triage(
        &app,
        &camden,
        id,
        &[("status", "declined"), ("reason", "Not for us.")],
    )
    .await;
    let (_, report) = app.get(&camden, "/pitches?overdue=1").await;
    assert!(!report.contains("Waiting for an answer"));
}

async fn inbox_settings_are_for_organisation_admins_and_checked(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    assert_eq!(app.get(&officer, "/market/settings").await.0, 403);
    let admin = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    let (status, _) = app.get(&admin, "/market/settings").await;
    assert_eq!(status, 200);
    let r = app
        .post_form(
            &admin,
            "/market/settings",
            "/market/settings",
            &[
                ("categories", "72"),
                ("categories_other", "99, 853"),
                ("target_days", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("&#34;99&#34; is not a division or group"));
    assert!(html.contains("Target response time must be a whole number of days from 1 to 120"));
    assert!(html.contains("value=\"99, 853\""));
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM pitch_interests", vec![]).await,
        0
    );
    let supplier_admin = {
        app.supplier_org("test-supplier").await;
        app.signed_in(&app.user("test-supplier", Role::SupplierUser).await)
            .await
    };
    assert_eq!(app.get(&supplier_admin, "/market/settings").await.0, 403);
}

// ---- Market engagement ----

async fn market_engagement_answers_reach_every_participant_without_naming_the_asker(app: TestApp) {
    let (acme, _) =
        register_supplier(&app, "Acme Repairs Ltd", "a@acme.example", None, &["72"]).await;
    let (bolt, bolt_org) =
        register_supplier(&app, "Bolt Digital Ltd", "b@bolt.example", None, &["722"]).await;
    let (_cog, _) =
        register_supplier(&app, "Cog Hardware Ltd", "c@cog.example", None, &["30"]).await;
    let (dart, _) = register_supplier(&app, "Dart Data Ltd", "d@dart.example", None, &["72"]).await;

    let camden_email = app.user("camden", Role::Officer).await;
    let camden = app.signed_in(&camden_email).await;
    let id = create_engagement(
        &app,
        &camden,
        &[
            ("capacity", "2"),
            ("joining_details", "https://meet.example/repairs"),
        ],
    )
    .await;
    let page = format!("/engagements/{id}");
    // A draft is the running boroughs' alone.
    assert_eq!(app.get(&acme, &page).await.0, 404);
    assert_eq!(app.get(&app.client(), &page).await.0, 404);
    let (s, _) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/questions"),
        &[("question", "How do tenants report a repair at night?")],
    )
    .await;
    assert_eq!(s, 303);
    let hackney_id = scalar_i64(
        &app,
        "SELECT id FROM organisations WHERE slug = 'hackney'",
        vec![],
    )
    .await;
    let (s, _) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/partners"),
        &[("partner", &hackney_id.to_string())],
    )
    .await;
    assert_eq!(s, 303);
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let (s, hpage) = app.get(&hackney, &page).await;
    assert_eq!(s, 200, "a partner sees the draft");
    assert!(hpage.contains("Run this engagement"));
    let (s, loc) = post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    assert_eq!(s, 303);
    // Suppliers in overlapping categories were told: Acme (72), Bolt (722) and Dart (72), not Cog (30).
    assert!(loc.contains("told=3"), "{loc}");
    let told: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT to_email FROM notifications WHERE kind = 'engagement_open' ORDER BY to_email",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        told,
        vec![
            ("a@acme.example".into(),),
            ("b@bolt.example".into(),),
            ("d@dart.example".into(),)
        ]
    );
    // The questionnaire is fixed once open.
    let (s, body) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/questions"),
        &[("question", "Late question")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains("every supplier must answer the same questions"));

    // Two places: Acme and Bolt register; Dart finds it full.
    for c in [&acme, &bolt] {
        let (s, _) = post_on(
            &app,
            c,
            &page,
            &format!("{page}/register"),
            &[("attendees", "2")],
        )
        .await;
        assert_eq!(s, 303);
    }
    let (s, body) = post_on(
        &app,
        &dart,
        &page,
        &format!("{page}/register"),
        &[("attendees", "1")],
    )
    .await;
    assert_eq!(s, 409);
    assert!(body.contains("This engagement is full: all 2 places have been taken."));
    let (_, acme_page) = app.get(&acme, &page).await;
    assert!(
        acme_page.contains("https://meet.example/repairs"),
        "participants get the joining details"
    );
    let (_, dart_page) = app.get(&dart, &page).await;
    assert!(!dart_page.contains("https://meet.example/repairs"));

    // Acme answers the questionnaire and asks a question naming itself.
    let qid = scalar_i64(&app, "SELECT id FROM engagement_questions", vec![]).await;
    let (s, _) = post_on(
        &app,
        &acme,
        &page,
        &format!("{page}/answers"),
        &[(&format!("answer-{qid}"), "Our app takes reports all night.")],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _) = post_on(
        &app,
        &acme,
        &page,
        &format!("{page}/ask"),
        &[("ask", "Acme Repairs asks: which housing system do you use?")],
    )
    .await;
    assert_eq!(s, 303);
    // Acme sees its question waiting; Bolt sees nothing yet.
    let (_, acme_page) = app.get(&acme, &page).await;
    assert!(acme_page.contains("Your questions awaiting an answer"));
    let (_, bolt_page) = app.get(&bolt, &page).await;
    assert!(!bolt_page.contains("which housing system"));
    // The running boroughs see who asked, and every answer to the questionnaire.
    let (_, hpage) = app.get(&hackney, &page).await;
    assert!(hpage.contains("Asked by Acme Repairs Ltd"));
    assert!(hpage.contains("Our app takes reports all night."));
    // Camden answers, taking the asker's name out of the published wording.
    let cid = scalar_i64(&app, "SELECT id FROM engagement_clarifications", vec![]).await;
    let (s, _) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/clarifications/{cid}"),
        &[
            (
                &format!("published_question-{cid}"),
                "Which housing system do you use?",
            ),
            (
                &format!("answer_text-{cid}"),
                "An on-premises system; its contract ends in 2028.",
            ),
        ],
    )
    .await;
    assert_eq!(s, 303);
    // Every participant reads it, and nobody but the running boroughs learns who asked.
    for (who, c) in [("Acme", &acme), ("Bolt", &bolt)] {
        let (_, p) = app.get(c, &page).await;
        assert!(p.contains("Which housing system do you use?"), "{who}");
        assert!(p.contains("its contract ends in 2028"), "{who}");
        assert!(
            !p.contains("Acme Repairs asks"),
            "{who} sees the published wording only"
        );
    }
    let (_, bolt_page) = app.get(&bolt, &page).await;
    assert!(
        !bolt_page.contains("Acme"),
        "the asking supplier is never named to others"
    );
    assert!(
        !bolt_page.contains("Our app takes reports all night."),
        "nor its answers"
    );
    // Non-participants see the event but not its questions and answers.
    for c in [
        &dart,
        &app.client(),
        &app.signed_in(&app.user("lambeth", Role::Officer).await)
            .await,
    ] {
        let (s, p) = app.get(c, &page).await;
        assert_eq!(s, 200);
        assert!(!p.contains("its contract ends in 2028"));
    }
    // Participants were told (the people at Acme and Bolt).
    let told: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT to_email FROM notifications WHERE kind = 'engagement_answer' ORDER BY to_email",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        told,
        vec![("a@acme.example".into(),), ("b@bolt.example".into(),)]
    );
    // Camden, who created it, was told of the question.
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM notifications WHERE kind = 'engagement_question' AND to_email = $1", args![&camden_email]).await,
        1
    );

    // Bolt gives its place back; Dart can then register.
    let (s, _) = post_on(&app, &bolt, &page, &format!("{page}/unregister"), &[]).await;
    assert_eq!(s, 303);
    let (s, body) = post_on(
        &app,
        &dart,
        &page,
        &format!("{page}/register"),
        &[("attendees", "200")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains("from 1 to 20") && body.contains("value=\"200\""));
    let (s, _) = post_on(&app, &dart, &page, &format!("{page}/register"), &[]).await;
    assert_eq!(s, 303);
    let _ = bolt_org;

    // Suppliers' bad input: an empty question, too many attendees.
    let (s, body) = post_on(&app, &acme, &page, &format!("{page}/ask"), &[("ask", "")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("Enter your question"));

    // The notice data (UK2).
    let n: serde_json::Value = app
        .client()
        .get(app.url(&format!("{page}/notice.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n["notice_type"], "UK2");
    assert_eq!(
        n["contract_subject_matter"]["cpv_codes"][0]["code"],
        "72200000-7"
    );
    assert_eq!(n["contract_subject_matter"]["main_category"], "services");
    assert_eq!(n["contracting_authorities"][0]["gss_code"], "E09000007");
    assert_eq!(n["contracting_authorities"][1]["gss_code"], "E09000012");
    assert_eq!(n["engagement_closes_on"], in_days(30).to_string());
    assert!(
        n["engagement_process"]
            .as_str()
            .unwrap()
            .contains("questionnaire of 1 question")
    );
    let api: serde_json::Value = app
        .client()
        .get(app.url(&format!("/api/v1/engagements/{id}/notice")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api, n);
}

async fn a_procurement_keeps_its_market_engagements_published_summary(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let p = crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Housing repairs platform"),
            ("cpv", "72212000-4"),
            ("value", "£400,000"),
            ("visibility", "public"),
        ],
    )
    .await;
    let (_, form) = app
        .get(&camden, &format!("/engagements/new?procurement={p}"))
        .await;
    assert!(form.contains("Market engagement: Housing repairs platform"));
    let event_date = in_days(20);
    let (d, m, y) = (
        event_date.format("%-d").to_string(),
        event_date.format("%-m").to_string(),
        event_date.format("%Y").to_string(),
    );
    let id = create_engagement(
        &app,
        &camden,
        &[
            ("procurement", &p.to_string()),
            ("category", ""),
            ("kind", "supplier_day"),
            ("format", "in_person"),
            ("location", "5 Pancras Square, London N1C 4AG"),
            ("event-day", &d),
            ("event-month", &m),
            ("event-year", &y),
            ("start", "10:00"),
            ("end", "12:30"),
            ("closes-day", &d),
            ("closes-month", &m),
            ("closes-year", &y),
        ],
    )
    .await;
    let category: String = app
        .db
        .scalar("SELECT category FROM engagements WHERE id = $1", args![id])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(category, "722", "the procurement's CPV group");
    let page = format!("/engagements/{id}");
    let n: serde_json::Value = camden
        .get(app.url(&format!("{page}/notice.json")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n["title"], "Housing repairs platform");
    assert_eq!(
        n["contract_subject_matter"]["estimated_value_text"],
        "£400,000"
    );
    assert_eq!(
        n["contract_subject_matter"]["cpv_codes"][0]["code"],
        "72212000-4"
    );
    assert!(
        n["engagement_process"]
            .as_str()
            .unwrap()
            .contains("10:00 to 12:30, at 5 Pancras Square")
    );
    assert!(
        n["missing"].as_array().unwrap().is_empty(),
        "{}",
        n["missing"]
    );
    // A summary cannot be published for a draft.
    let (s, body) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/outcome"),
        &[("summary", "Too early"), ("action", "publish")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(body.contains("Open the engagement to suppliers before publishing its summary"));
    post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    let (s, _) = post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/outcome"),
        &[
            (
                "outcome",
                "Internal: two suppliers could integrate with our housing system.",
            ),
            (
                "summary",
                "Eight suppliers came. Most offer APIs; we will ask for open APIs in the tender.",
            ),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    // The procurement keeps the summary, for anyone who can see the procurement; the outcome
    // stays with the boroughs that ran it.
    for c in [
        &camden,
        &app.client(),
        &app.signed_in(&app.user("hackney", Role::Officer).await)
            .await,
    ] {
        let (_, html) = app.get(c, &format!("/procurements/{p}")).await;
        assert!(html.contains("we will ask for open APIs in the tender"));
        assert!(!html.contains("Internal: two suppliers"));
    }
    let (_, html) = app.get(&app.client(), &page).await;
    assert!(html.contains("Completed") && !html.contains("Internal: two suppliers"));
    let (_, html) = app.get(&camden, &page).await;
    assert!(html.contains("Internal: two suppliers"));
}

async fn a_market_engagement_form_with_mistakes_explains_each_and_saves_nothing(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let past = in_days(-3);
    let (d, m, y) = (
        past.format("%-d").to_string(),
        past.format("%-m").to_string(),
        past.format("%Y").to_string(),
    );
    let r = app
        .post_form(
            &camden,
            "/engagements/new",
            "/engagements/new",
            &[
                ("title", "Kept engagement title"),
                ("kind", "demo"),
                ("format", "in_person"),
                ("start", "25:00"),
                ("closes-day", &d),
                ("closes-month", &m),
                ("closes-year", &y),
                ("capacity", "lots"),
                ("category", "banana"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Error: Run a market engagement"));
    for message in [
        "Enter what you want to learn",
        "Enter the date of the event",
        "Start time must be a time on the 24-hour clock",
        "The closing date must be today or later",
        "Capacity must be a whole number of suppliers",
        "&#34;banana&#34; is not a category",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(html.contains("value=\"Kept engagement title\""));
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM engagements", vec![]).await,
        0
    );
    // Suppliers do not run market engagement; another borough's procurement cannot be used.
    app.supplier_org("test-supplier").await;
    let supplier = app
        .signed_in(&app.user("test-supplier", Role::SupplierUser).await)
        .await;
    assert_eq!(app.get(&supplier, "/engagements/new").await.0, 403);
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let theirs = crate::pipeline::create(&app, &hackney, &[("title", "Hackney's")]).await;
    let closes = in_days(10);
    let r = app
        .post_form(
            &camden,
            "/engagements/new",
            "/engagements/new",
            &[
                ("title", "T"),
                ("description", "D"),
                ("kind", "rfi"),
                ("format", "online"),
                ("procurement", &theirs.to_string()),
                ("closes-day", &closes.format("%-d").to_string()),
                ("closes-month", &closes.format("%-m").to_string()),
                ("closes-year", &closes.format("%Y").to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose one of your organisation&#39;s procurements")
    );
    // Another borough cannot change Camden's event; an RFI cannot open without questions.
    let id = create_engagement(&app, &camden, &[]).await;
    let page = format!("/engagements/{id}");
    assert_eq!(app.get(&hackney, &page).await.0, 404);
    let (s, body) = post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    assert_eq!(s, 422);
    assert!(body.contains("Add at least one question before opening"));
    post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/questions"),
        &[("question", "Q1")],
    )
    .await;
    post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    let (s, _) = post_on(
        &app,
        &hackney,
        &page,
        &format!("{page}/outcome"),
        &[("summary", "x"), ("action", "publish")],
    )
    .await;
    assert_eq!(
        s, 403,
        "published events are visible, but only their boroughs change them"
    );
}

// ---- Mail ----

async fn verification_mail_waits_while_the_mail_server_is_down_and_is_delivered_when_it_is_back(
    app: TestApp,
) {
    let email = "mail@mailtest.example";
    let r = app
        .post_form(
            &app.client(),
            "/suppliers/register",
            "/suppliers/register",
            &registration("Mail Test Ltd", email, &["72"]),
        )
        .await;
    assert_eq!(r.status(), 200);
    // The mail server is down: the message stays in the outbox, to retry.
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut config = procurekit::config::Config::new(app.addr, None, false);
    config.smtp = Some(
        SmtpConfig::from_url(&format!(
            "smtp://127.0.0.1:{port}?from=noreply@convenor.example"
        ))
        .unwrap(),
    );
    let state = AppState {
        db: app.db.clone(),
        config: Arc::new(config),
        content: Arc::new(procurekit::guide::Content::embedded().unwrap()),
    };
    procurekit::jobs::tick(&state).await.unwrap();
    let (status, attempts): (String, i64) = app
        .db
        .fetch_one(
            "SELECT status, attempts FROM notifications WHERE to_email = $1",
            args![email],
        )
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    // It comes back; the retry is due.
    let inbox =
        crate::notify::smtp_server(TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
    app.db
        .execute("UPDATE notifications SET next_attempt_at = 0", vec![])
        .await
        .unwrap();
    procurekit::jobs::tick(&state).await.unwrap();
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, format!("<{email}>"));
    assert!(
        got[0]
            .data
            .contains("Subject: Confirm your email address for procurekit")
    );
    // The link in the delivered mail confirms the address.
    let body = crate::notify::body_of(&got[0]);
    let at = body.find("/suppliers/verify/").unwrap();
    let link = body[at..].split_whitespace().next().unwrap().to_owned();
    let client = app.client();
    let (_, page) = app.get(&client, &link).await;
    let token = csrf_from(&page).unwrap();
    let r = client
        .post(app.url(&link))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let active: bool = app
        .db
        .scalar("SELECT active FROM users WHERE email = $1", args![email])
        .await
        .unwrap()
        .unwrap();
    assert!(active);
}

async fn the_demo_has_a_pitch_in_two_inboxes_and_an_open_engagement(app: TestApp) {
    procurekit::seed::demo(&app.db).await.unwrap();
    procurekit::seed::demo(&app.db).await.unwrap();
    assert_eq!(
        scalar_i64(&app, "SELECT COUNT(*) FROM pitches", vec![]).await,
        1,
        "seeded once"
    );
    let routed: Vec<(String,)> = app
        .db
        .fetch_all(
            "SELECT o.slug FROM pitch_routes r JOIN organisations o ON o.id = r.org_id ORDER BY o.slug",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        routed,
        vec![("camden".into(),), ("hackney".into(),), ("lambeth".into(),)]
    );
    let camden = app.client();
    let r = app
        .post_form(
            &camden,
            "/sign-in",
            "/sign-in",
            &[
                ("email", "officer@camden.example"),
                ("password", procurekit::seed::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, inbox) = app.get(&camden, "/pitches").await;
    assert!(inbox.contains("Repairs reporting that tenants can use at night (demo)"));
    let (_, list) = app.get(&app.client(), "/engagements").await;
    assert!(list.contains("Housing management system: supplier day (demo)"));
    let (_, market) = app.get(&app.client(), "/market").await;
    assert!(market.contains("Housing management system: supplier day (demo)"));
}

async fn the_last_place_goes_to_one_supplier_when_two_register_at_once(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let id = create_engagement(&app, &camden, &[("capacity", "1")]).await;
    let page = format!("/engagements/{id}");
    post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/questions"),
        &[("question", "Q")],
    )
    .await;
    post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    let (a, _) = register_supplier(&app, "Alpha Ltd", "a@alpha.example", None, &["72"]).await;
    let (b, _) = register_supplier(&app, "Beta Ltd", "b@beta.example", None, &["72"]).await;
    let (ta, tb) = (app.csrf(&a, &page).await, app.csrf(&b, &page).await);
    let action = app.url(&format!("{page}/register"));
    let (ra, rb) = tokio::join!(
        a.post(&action).form(&[("csrf_token", ta.as_str())]).send(),
        b.post(&action).form(&[("csrf_token", tb.as_str())]).send(),
    );
    let mut statuses = [ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409], "one place, one registration");
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM engagement_registrations",
            vec![]
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(&app, "SELECT registered_count FROM engagements", vec![]).await,
        1
    );
}

async fn a_supplier_invites_a_colleague_who_joins_its_organisation(app: TestApp) {
    let (client, org) =
        register_supplier(&app, "Growing Ltd", "first@growing.example", None, &["72"]).await;
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile/colleagues",
            &[("colleague_name", ""), ("colleague_email", "nope")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter their full name") && html.contains("correct format"));
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile/colleagues",
            &[
                ("colleague_name", "Sam Second"),
                ("colleague_email", "first@growing.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Someone already has an account")
    );
    let r = app
        .post_form(
            &client,
            "/market/profile",
            "/market/profile/colleagues",
            &[
                ("colleague_name", "Sam Second"),
                ("colleague_email", "sam@growing.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let body: String = app
        .db
        .scalar(
            "SELECT body FROM notifications WHERE kind = 'supplier_invitation' AND to_email = 'sam@growing.example'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let at = body.find("/invitations/").unwrap();
    let link = body[at..].split_whitespace().next().unwrap().to_owned();
    let sam = app.client();
    let r = app
        .post_form(
            &sam,
            &link,
            &link,
            &[("new_password", PASSWORD), ("confirm_password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT org_id FROM users WHERE email = 'sam@growing.example'",
            vec![]
        )
        .await,
        org
    );
    let (_, profile) = app.get(&sam, "/market/profile").await;
    assert!(profile.contains("Growing Ltd") && profile.contains("first@growing.example"));
}

async fn an_engagement_is_edited_by_its_boroughs_and_keeps_its_registrations_within_capacity(
    app: TestApp,
) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let id = create_engagement(&app, &camden, &[("capacity", "5")]).await;
    let page = format!("/engagements/{id}");
    let hackney_id = scalar_i64(
        &app,
        "SELECT id FROM organisations WHERE slug = 'hackney'",
        vec![],
    )
    .await;
    post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/partners"),
        &[("partner", &hackney_id.to_string())],
    )
    .await;
    post_on(
        &app,
        &camden,
        &page,
        &format!("{page}/questions"),
        &[("question", "Q")],
    )
    .await;
    post_on(&app, &camden, &page, &format!("{page}/open"), &[]).await;
    for (name, email) in [("One Ltd", "1@one.example"), ("Two Ltd", "2@two.example")] {
        let (c, _) = register_supplier(&app, name, email, None, &["72"]).await;
        let (s, _) = post_on(&app, &c, &page, &format!("{page}/register"), &[]).await;
        assert_eq!(s, 303);
    }
    let edit = format!("{page}/edit");
    let (_, form) = app.get(&camden, &edit).await;
    assert!(form.contains("value=\"Repairs reporting: what can the market do?\""));
    let closes = in_days(30);
    let base = |capacity: &'static str, title: &'static str| {
        vec![
            ("title", title.to_owned()),
            ("description", "Updated description".to_owned()),
            ("kind", "rfi".to_owned()),
            ("format", "online".to_owned()),
            ("category", "722".to_owned()),
            ("closes-day", closes.format("%-d").to_string()),
            ("closes-month", closes.format("%-m").to_string()),
            ("closes-year", closes.format("%Y").to_string()),
            ("capacity", capacity.to_owned()),
        ]
    };
    let fields = base("1", "Too small");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, body) = post_on(&app, &camden, &edit, &edit, &refs).await;
    assert_eq!(s, 422);
    assert!(body.contains("cannot be lower than the 2 suppliers already registered"));
    assert!(body.contains("value=\"Too small\""));
    // A partner borough edits it as the lead would; another borough cannot.
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let fields = base("3", "Repairs reporting, edited by Hackney");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = post_on(&app, &hackney, &edit, &edit, &refs).await;
    assert_eq!(s, 303);
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    assert_eq!(app.get(&lambeth, &edit).await.0, 403);
    let (title, capacity): (String, Option<i64>) = app
        .db
        .fetch_one(
            "SELECT title, capacity FROM engagements WHERE id = $1",
            args![id],
        )
        .await
        .unwrap();
    assert_eq!(
        (title.as_str(), capacity),
        ("Repairs reporting, edited by Hackney", Some(3))
    );
}

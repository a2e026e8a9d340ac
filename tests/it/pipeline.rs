//! Procurements, the London pipeline, the opportunities board and "who else is buying this?".

use procurekit::accounts::Role;

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    a_borough_creates_progresses_and_publishes_a_procurement,
    a_procurement_form_with_mistakes_explains_each_and_saves_nothing,
    procurements_are_seen_and_changed_only_as_their_visibility_allows,
    who_else_is_buying_ranks_a_planted_overlap_above_related_and_unrelated_work,
    who_else_is_buying_finds_estate_contracts_ending_and_boroughs_paying_the_same_suppliers,
    two_boroughs_collaborate_in_a_thread_nobody_else_can_read,
    notices_move_a_procurement_through_tender_to_award,
    the_board_filters_pages_and_saves_searches,
);

/// Creates a procurement through the form and returns its id.
pub async fn create(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) -> i64 {
    let mut all: Vec<(&str, &str)> = vec![
        ("title", "Untitled"),
        ("need", "A need described in words."),
        ("cpv", "72000000-5"),
        ("procedure", "open"),
        ("visibility", "private"),
    ];
    for (k, v) in fields {
        all.retain(|(x, _)| x != k);
        all.push((k, v));
    }
    let r = app
        .post_form(client, "/procurements/new", "/procurements/new", &all)
        .await;
    assert_eq!(
        r.status(),
        303,
        "create: {}",
        r.text().await.unwrap_or_default()
    );
    let loc = location(&r);
    loc.trim_start_matches("/procurements/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_borough_creates_progresses_and_publishes_a_procurement(app: TestApp) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let id = create(
        &app,
        &client,
        &[
            ("title", "Customer relationship management platform"),
            (
                "need",
                "Residents contact us through five channels; we need one view of each case.",
            ),
            ("cpv", "48000000-8"),
            ("value", "£1,200,000"),
            ("tender-day", "1"),
            ("tender-month", "3"),
            ("tender-year", "2027"),
            ("start-day", "1"),
            ("start-month", "10"),
            ("start-year", "2027"),
            ("months", "60"),
            ("sme", "1"),
        ],
    )
    .await;
    let (status, html) = app.get(&client, &format!("/procurements/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Customer relationship management platform"));
    assert!(html.contains("£1,200,000"));
    assert!(html.contains("48000000-8"));
    assert!(html.contains("What&#39;s next") || html.contains("What's next"));

    // The checklist covers every stage, drawn from the guide.
    let c = procurekit::guide::Content::embedded().unwrap();
    let items = app
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM checklist_items WHERE procurement_id = $1",
            procurekit::args![id],
        )
        .await
        .unwrap()
        .unwrap();
    let stage_pages: usize = procurekit::pipeline::Stage::ALL
        .iter()
        .map(|s| c.pages_in(s.section()).count())
        .sum();
    assert_eq!(items as usize, stage_pages);
    assert!(
        html.contains("/guide/publish-your-pipeline"),
        "preparation items link to their guidance"
    );

    // Work an item, then move on a stage.
    let item: i64 = app.db.scalar("SELECT id FROM checklist_items WHERE procurement_id = $1 AND guide_slug = 'publish-your-pipeline'", procurekit::args![id]).await.unwrap().unwrap();
    let me: i64 = app
        .db
        .scalar(
            "SELECT id FROM users WHERE email = $1",
            procurekit::args![&officer],
        )
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &client,
            &format!("/procurements/{id}"),
            &format!("/procurements/{id}/checklist/{item}"),
            &[
                ("status", "done"),
                ("assignee", &me.to_string()),
                ("due", "2027-01-15"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &client,
            &format!("/procurements/{id}"),
            &format!("/procurements/{id}/stage"),
            &[("direction", "next")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&client, &format!("/procurements/{id}")).await;
    assert!(html.contains("Checklist: Strategy"));
    assert!(
        html.contains("Moved on from Preparation to Strategy"),
        "activity log"
    );
    assert!(
        html.contains("marked done"),
        "checklist change in the activity log"
    );

    // Not on the board while private; published publicly, it is there signed out, in every format.
    let anon = app.client();
    let (_, board) = app.get(&anon, "/opportunities").await;
    assert!(!board.contains("Customer relationship management platform"));
    let mut edit: Vec<(&str, &str)> = vec![
        ("title", "Customer relationship management platform"),
        (
            "need",
            "Residents contact us through five channels; we need one view of each case.",
        ),
        ("cpv", "48000000-8"),
        ("value", "1200000"),
        ("procedure", "competitive_flexible"),
        ("tender-day", "1"),
        ("tender-month", "3"),
        ("tender-year", "2027"),
        ("visibility", "public"),
        ("sme", "1"),
    ];
    edit.push(("owner", ""));
    let r = app
        .post_form(
            &client,
            &format!("/procurements/{id}/edit"),
            &format!("/procurements/{id}/edit"),
            &edit,
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, board) = app.get(&anon, "/opportunities").await;
    assert!(board.contains("Customer relationship management platform"));
    let (status, page) = app.get(&anon, &format!("/procurements/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("Checklist:"),
        "the public sees the notice, not the internal checklist"
    );
    let atom = anon
        .get(app.url("/opportunities.atom?sme=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let atom = atom.text().await.unwrap();
    roxmltree::Document::parse(&atom).expect("the feed is well-formed XML");
    assert!(atom.contains("<title>Customer relationship management platform</title>"));
    let csv = anon
        .get(app.url("/opportunities.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("id,title,buyer"));
    assert!(csv.contains("London Borough of Camden") && csv.contains("1200000.00"));
    let json: serde_json::Value = anon
        .get(app.url("/opportunities.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(
        json["opportunities"][0]["procedure"],
        "Competitive flexible procedure"
    );
    let api: serde_json::Value = anon
        .get(app.url("/api/v1/opportunities?cpv=48"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 1);
    let (_, html) = app.get(&client, &format!("/procurements/{id}")).await;
    assert!(
        html.contains("Changed") && html.contains("visibility to everyone"),
        "{}",
        "edit recorded in the activity log"
    );
}

async fn a_procurement_form_with_mistakes_explains_each_and_saves_nothing(app: TestApp) {
    let client = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let r = app
        .post_form(
            &client,
            "/procurements/new",
            "/procurements/new",
            &[
                ("title", ""),
                ("need", "Something"),
                ("cpv", "72000000-4"),
                ("value", "lots"),
                ("tender-day", "31"),
                ("tender-month", "2"),
                ("tender-year", "2027"),
                ("months", "0"),
                ("procedure", "open"),
                ("visibility", "everyone"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for msg in [
        "Enter a title",
        "has the wrong check digit: did you mean 72000000-5?",
        "Estimated value must be an amount in pounds",
        "Expected tender date must be a real date",
        "Contract length must be a whole number of months",
        "Choose who can see this procurement",
    ] {
        assert!(
            html.contains(msg) || html.contains(&msg.replace('\'', "&#39;")),
            "{msg}"
        );
    }
    assert!(html.contains("value=\"lots\""), "typed values are kept");
    assert_eq!(
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM procurements", vec![])
            .await
            .unwrap(),
        Some(0)
    );

    let supplier_org = "test-supplier";
    app.supplier_org(supplier_org).await;
    let supplier = app
        .signed_in(&app.user(supplier_org, Role::SupplierUser).await)
        .await;
    assert_eq!(app.get(&supplier, "/procurements/new").await.0, 403);
}

async fn procurements_are_seen_and_changed_only_as_their_visibility_allows(app: TestApp) {
    app.supplier_org("test-supplier").await;
    let owner = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let mut ids = Vec::new();
    for v in ["private", "london", "public"] {
        let title = format!("Camden {v} procurement");
        ids.push((
            create(&app, &owner, &[("title", &title), ("visibility", v)]).await,
            v,
            title,
        ));
    }
    let viewers = [
        ("anonymous", app.client(), [false, false, true]),
        (
            "other borough",
            app.signed_in(&app.user("hackney", Role::CommercialLead).await)
                .await,
            [false, true, true],
        ),
        (
            "convenor",
            app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                .await,
            [false, true, true],
        ),
        (
            "supplier",
            app.signed_in(&app.user("test-supplier", Role::SupplierUser).await)
                .await,
            [false, false, true],
        ),
    ];
    for (who, client, may_see) in &viewers {
        let (_, board) = app.get(client, "/opportunities").await;
        let (_, pipeline) = app.get(client, "/pipeline").await;
        let api: serde_json::Value = client
            .get(app.url("/api/v1/opportunities"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for ((id, v, title), expect) in ids.iter().zip(may_see) {
            let ctx = format!("{who} × {v}");
            for path in [
                format!("/procurements/{id}"),
                format!("/api/v1/procurements/{id}"),
            ] {
                let status = client
                    .get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(status, if *expect { 200 } else { 404 }, "{ctx}: {path}");
            }
            assert_eq!(board.contains(title.as_str()), *expect, "{ctx}: board");
            assert_eq!(
                pipeline.contains(title.as_str()),
                *expect,
                "{ctx}: pipeline"
            );
            assert_eq!(
                api["opportunities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["title"] == title.as_str()),
                *expect,
                "{ctx}: API"
            );
            // Nobody outside Camden changes it: 404 where they cannot see it, 403 where they can.
            if *who != "anonymous" {
                let changed_status = if *expect { 403 } else { 404 };
                for (action, fields) in [
                    (
                        format!("/procurements/{id}/stage"),
                        vec![("direction", "next")],
                    ),
                    (
                        format!("/procurements/{id}/edit"),
                        vec![("title", "hijacked")],
                    ),
                    (
                        format!("/procurements/{id}/cancel"),
                        vec![("reason", "hijacked")],
                    ),
                    (
                        format!("/procurements/{id}/notices"),
                        vec![("kind", "tender"), ("published_on", "2027-01-01")],
                    ),
                ] {
                    let page = if *who == "supplier" {
                        "/opportunities"
                    } else {
                        "/pipeline"
                    };
                    let r = app.post_form(client, page, &action, &fields).await;
                    let got = r.status().as_u16();
                    // A supplier is stopped before the record is looked at: it cannot run procurements.
                    let want = if *who == "supplier" {
                        403
                    } else {
                        changed_status
                    };
                    assert_eq!(got, want, "{ctx}: POST {action}");
                }
            }
        }
    }
    let stages: Vec<String> = app
        .db
        .fetch_all::<(String,)>("SELECT stage FROM procurements", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert!(
        stages.iter().all(|s| s == "preparation"),
        "nothing was changed by others"
    );
    let titles = app
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM procurements WHERE title = 'hijacked'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(titles, Some(0));
    assert_eq!(
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM procurement_notices", vec![])
            .await
            .unwrap(),
        Some(0)
    );
}

async fn who_else_is_buying_ranks_a_planted_overlap_above_related_and_unrelated_work(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let mine = create(
        &app,
        &camden,
        &[
            ("title", "Housing management system"),
            ("cpv", "48000000-8"),
            ("visibility", "london"),
            ("tender-day", "1"),
            ("tender-month", "6"),
            ("tender-year", "2027"),
            ("incumbent", "Northgate Public Services Ltd"),
        ],
    )
    .await;
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    create(
        &app,
        &hackney,
        &[
            ("title", "Housing management system replacement"),
            ("cpv", "48000000-8"),
            ("visibility", "london"),
            ("tender-day", "1"),
            ("tender-month", "8"),
            ("tender-year", "2027"),
            ("incumbent", "Northgate Public Services Limited"),
        ],
    )
    .await;
    let southwark = app
        .signed_in(&app.user("southwark", Role::Officer).await)
        .await;
    create(
        &app,
        &southwark,
        &[
            ("title", "Finance and payroll"),
            ("cpv", "48400000-2"),
            ("visibility", "public"),
            ("tender-day", "1"),
            ("tender-month", "6"),
            ("tender-year", "2029"),
        ],
    )
    .await;
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    create(
        &app,
        &lambeth,
        &[
            ("title", "Parks grounds maintenance"),
            ("cpv", "77310000-6"),
            ("visibility", "public"),
            ("tender-day", "1"),
            ("tender-month", "6"),
            ("tender-year", "2027"),
        ],
    )
    .await;
    // A private plan of another borough must never surface, however well it matches.
    let islington = app
        .signed_in(&app.user("islington", Role::Officer).await)
        .await;
    create(
        &app,
        &islington,
        &[
            ("title", "Housing management system"),
            ("cpv", "48000000-8"),
            ("visibility", "private"),
        ],
    )
    .await;

    let r = camden
        .get(app.url(&format!("/api/v1/procurements/{mine}/matches")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let matches: Vec<serde_json::Value> = r.json().await.unwrap();
    let orgs: Vec<&str> = matches
        .iter()
        .map(|m| m["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(
        orgs,
        ["London Borough of Hackney", "London Borough of Southwark"],
        "{matches:#?}"
    );
    let reasons = matches[0]["reasons"].as_array().unwrap();
    let text: Vec<&str> = reasons.iter().map(|r| r.as_str().unwrap()).collect();
    assert!(
        text.iter().any(|r| r.starts_with("Same CPV code")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|r| r.contains("Same incumbent")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|r| r.contains("within 2 months")),
        "{text:?}"
    );
    assert!(matches[0]["score"].as_u64() > matches[1]["score"].as_u64());
    let (_, html) = app.get(&camden, &format!("/procurements/{mine}")).await;
    assert!(
        html.contains("Who else is buying this?")
            && html.contains("Housing management system replacement")
    );
    // Only the owner gets the matches.
    let r = hackney
        .get(app.url(&format!("/api/v1/procurements/{mine}/matches")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// Adds a system to an organisation's estate register.
async fn system(
    app: &TestApp,
    org: &str,
    name: &str,
    supplier: &str,
    ends: &str,
    visibility: procurekit::visibility::Visibility,
) -> i64 {
    use procurekit::estate::store::{self as estate, Writer};
    let rec = procurekit::estate::SystemRecord {
        service_area: "Housing".into(),
        system_name: name.into(),
        supplier_name: supplier.into(),
        company_number: None,
        manufacturer: None,
        contract_reference: None,
        contract_start: None,
        contract_end: Some(ends.parse().unwrap()),
        annual_value: None,
        hosting: None,
        satisfaction: None,
        notes: String::new(),
        visibility,
    };
    let org_id = procurekit::accounts::store::find_organisation(&app.db, org)
        .await
        .unwrap()
        .unwrap()
        .id;
    let w = Writer {
        org_id,
        user_id: None,
        source: procurekit::estate::Source::Form,
        import_id: None,
    };
    estate::create(&app.db, &w, &rec).await.unwrap()
}

/// Imports a small spend file for a body with the real importer.
async fn spend(app: &TestApp, body: &str, csv: &str) {
    use procurekit::spend::import::{ImportOptions, import};
    use procurekit::spend::source::{Progress, inputs_from_bytes};
    let input = inputs_from_bytes("payments.csv", csv.as_bytes().to_vec())
        .expect("input")
        .remove(0);
    let opts = ImportOptions {
        body: Some(body.to_owned()),
        ..ImportOptions::default()
    };
    import(&app.db, &input, &opts, Progress::default())
        .await
        .expect("spend imports");
}

async fn who_else_is_buying_finds_estate_contracts_ending_and_boroughs_paying_the_same_suppliers(
    app: TestApp,
) {
    use procurekit::visibility::Visibility;

    // Camden's own register says what it runs today; Hackney runs the same product on a
    // contract ending three months after Camden's; Islington too, but privately; Lambeth's
    // parking system from another supplier is not the same thing.
    system(
        &app,
        "camden",
        "NEC Housing",
        "Northgate Public Services Ltd",
        "2027-09-30",
        Visibility::Private,
    )
    .await;
    let hackney_system = system(
        &app,
        "hackney",
        "NEC Housing",
        "NEC Software Solutions UK Ltd",
        "2027-12-31",
        Visibility::London,
    )
    .await;
    system(
        &app,
        "islington",
        "NEC Housing",
        "NEC Software Solutions UK Ltd",
        "2027-10-31",
        Visibility::Private,
    )
    .await;
    system(
        &app,
        "lambeth",
        "Parking permits",
        "Taranto Systems Ltd",
        "2027-10-31",
        Visibility::Public,
    )
    .await;
    // Spend: Camden pays Civica for software; Hackney pays the incumbent and Civica for
    // software; Southwark paid the incumbent once, a trivial sum.
    spend(
        &app,
        "London Borough of Camden",
        "Date,Supplier,Amount,Expense Type\n\
        2024-05-01,Civica UK Ltd,45000.00,Software licences\n",
    )
    .await;
    spend(
        &app,
        "London Borough of Hackney",
        "Date,Supplier,Amount,Expense Type\n\
        2024-05-01,Northgate Public Services Limited,60000.00,Software licences\n\
        2025-06-01,Northgate Public Services Limited,65000.00,Software licences\n\
        2024-07-01,CIVICA UK LIMITED,30000.00,Software maintenance\n",
    )
    .await;
    spend(
        &app,
        "London Borough of Southwark",
        "Date,Supplier,Amount,Expense Type\n\
        2024-05-01,Northgate Public Services Ltd,200.00,Software licences\n",
    )
    .await;

    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let mine = create(
        &app,
        &camden,
        &[
            ("title", "Housing management system"),
            ("cpv", "48000000-8"),
            ("visibility", "london"),
            ("incumbent", "Northgate Public Services Ltd"),
            ("incumbent_end-day", "30"),
            ("incumbent_end-month", "9"),
            ("incumbent_end-year", "2027"),
        ],
    )
    .await;
    let r = camden
        .get(app.url(&format!("/api/v1/procurements/{mine}/matches")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let matches: Vec<serde_json::Value> = r.json().await.unwrap();
    let found: Vec<(&str, &str)> = matches
        .iter()
        .map(|m| {
            (
                m["source"].as_str().unwrap(),
                m["organisation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("estate", "Hackney"), ("spend", "Hackney")],
        "{matches:#?}"
    );
    let estate = &matches[0];
    assert_eq!(
        estate["url"].as_str(),
        Some(format!("/estate/systems/{hackney_system}").as_str())
    );
    let reasons = estate["reasons"].to_string();
    assert!(
        reasons.contains("Runs the same product as your current system (NEC Housing)"),
        "{reasons}"
    );
    assert!(
        reasons.contains("31 December 2027 — within 3 months"),
        "{reasons}"
    );
    let reasons = matches[1]["reasons"].to_string();
    assert!(reasons.contains("Pays your incumbent"), "{reasons}");
    assert!(reasons.contains("Civica"), "{reasons}");
    let (_, html) = app.get(&camden, &format!("/procurements/{mine}")).await;
    assert!(
        html.contains("NEC Housing (NEC Software Solutions UK Ltd)"),
        "estate candidate shown"
    );
}

async fn two_boroughs_collaborate_in_a_thread_nobody_else_can_read(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let id = create(
        &app,
        &camden,
        &[
            ("title", "Social care case management"),
            ("visibility", "london"),
        ],
    )
    .await;
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let r = app
        .post_form(
            &hackney,
            &format!("/procurements/{id}"),
            &format!("/procurements/{id}/collaborate"),
            &[("message", "We re-procure the same system in 2027.")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let thread = location(&r);
    assert!(thread.starts_with("/collaborations/"));
    // Camden sees it needs an answer and accepts.
    let (_, list) = app.get(&camden, "/collaborations").await;
    assert!(list.contains("Needs your answer"));
    let r = app
        .post_form(
            &hackney,
            &thread,
            &format!("{thread}/answer"),
            &[("answer", "accept")],
        )
        .await;
    assert_eq!(
        r.status(),
        403,
        "the asking side cannot accept for the other"
    );
    let r = app
        .post_form(
            &camden,
            &thread,
            &format!("{thread}/answer"),
            &[("answer", "accept")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &camden,
            &thread,
            &format!("{thread}/messages"),
            &[
                ("topic", "price"),
                ("body", "We paid £4.10 per resident per year."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .post_form(
            &camden,
            &thread,
            &format!("{thread}/messages"),
            &[("topic", "price"), ("body", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let (status, html) = app.get(&hackney, &thread).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("We paid £4.10 per resident per year.")
            && html.contains("We re-procure the same system in 2027.")
    );
    assert!(html.contains("Collaborating"));
    // A third borough, the convenor's platform admin and the public cannot read or post.
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::OrgAdmin).await)
        .await;
    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    for outsider in [&lambeth, &admin] {
        assert_eq!(app.get(outsider, &thread).await.0, 404);
        let r = app
            .post_form(
                outsider,
                "/pipeline",
                &format!("{thread}/messages"),
                &[("topic", "general"), ("body", "hello")],
            )
            .await;
        assert_eq!(r.status(), 404);
        let (_, list) = app.get(outsider, "/collaborations").await;
        assert!(!list.contains("Social care case management"));
    }
    assert_eq!(
        app.client()
            .get(app.url(&thread))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "signed out: sign in first"
    );
    // Expressing interest twice leads back to the same thread.
    let r = app
        .post_form(
            &hackney,
            &format!("/procurements/{id}"),
            &format!("/procurements/{id}/collaborate"),
            &[],
        )
        .await;
    assert_eq!(location(&r), thread);
    let count = app
        .db
        .scalar::<i64>("SELECT COUNT(*) FROM collaborations", vec![])
        .await
        .unwrap();
    assert_eq!(count, Some(1));
}

async fn notices_move_a_procurement_through_tender_to_award(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::CommercialLead).await)
        .await;
    let id = create(
        &app,
        &camden,
        &[
            ("title", "Parking permits system"),
            ("visibility", "public"),
        ],
    )
    .await;
    let page = format!("/procurements/{id}");
    let action = format!("/procurements/{id}/notices");
    let r = app
        .post_form(
            &camden,
            &page,
            &action,
            &[
                ("kind", "award"),
                ("published_on", "2027-13-01"),
                ("supplier", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Publication date must be a real date")
            && html.contains("Enter the supplier awarded the contract")
    );
    let r = app
        .post_form(
            &camden,
            &page,
            &action,
            &[
                ("kind", "tender"),
                ("published_on", "2027-02-01"),
                ("tender_deadline", "2027-03-15"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let api: serde_json::Value = reqwest::get(app.url("/api/v1/opportunities?status=tender_open"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 1);
    let r = app
        .post_form(
            &camden,
            &page,
            &action,
            &[
                ("kind", "award"),
                ("published_on", "2027-05-01"),
                ("supplier", "Thamesgate Systems Ltd"),
                ("company_number", "1234567"),
                ("value", "£480,000"),
                ("contract_start", "2027-06-01"),
                ("contract_end", "2030-05-31"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&app.client(), &page).await;
    assert!(
        html.contains("Awarded")
            && html.contains("Thamesgate Systems Ltd")
            && html.contains("£480,000")
    );
    let cn = app
        .db
        .scalar::<String>(
            "SELECT company_number FROM suppliers WHERE name = 'Thamesgate Systems Ltd'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        cn.as_deref(),
        Some("01234567"),
        "the award's supplier joins the shared register"
    );
}

async fn the_board_filters_pages_and_saves_searches(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    for i in 0..23 {
        let title = format!("IT item {i:02}");
        let day = format!("{}", i + 1);
        create(
            &app,
            &camden,
            &[
                ("title", &title),
                ("cpv", "72000000-5"),
                ("value", "50000"),
                ("visibility", "public"),
                ("tender-day", &day),
                ("tender-month", "1"),
                ("tender-year", "2027"),
            ],
        )
        .await;
    }
    create(
        &app,
        &camden,
        &[
            ("title", "Big SME-friendly software"),
            ("cpv", "48000000-8"),
            ("value", "3m"),
            ("sme", "1"),
            ("visibility", "public"),
        ],
    )
    .await;
    let anon = app.client();
    let (_, page1) = app.get(&anon, "/opportunities?cpv=72").await;
    assert!(page1.contains("23 opportunities") && page1.contains("Page 1 of 2"));
    assert!(
        page1.contains("IT item 00") && !page1.contains("IT item 22"),
        "soonest tender first, 20 per page"
    );
    let (_, page2) = app.get(&anon, "/opportunities?cpv=72&page=2").await;
    assert!(page2.contains("IT item 22"));
    let (_, big) = app.get(&anon, "/opportunities?band=over-2m&sme=1").await;
    assert!(big.contains("1 opportunity") && big.contains("Big SME-friendly software"));
    let (status, odd) = app
        .get(&anon, "/opportunities?band=enormous&from=yesterday")
        .await;
    assert_eq!(status, 200);
    assert!(odd.contains("Some filters were not understood"));
    let r = anon
        .get(app.url("/api/v1/opportunities?band=enormous"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "the API says what it did not understand");

    let supplier_org = "test-supplier";
    app.supplier_org(supplier_org).await;
    let supplier = app
        .signed_in(&app.user(supplier_org, Role::SupplierUser).await)
        .await;
    let r = app
        .post_form(
            &supplier,
            "/opportunities",
            "/saved-searches",
            &[
                ("query", "cpv=72&band=30k-to-threshold"),
                ("alerts", "daily"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, saved) = app.get(&supplier, "/saved-searches").await;
    assert!(saved.contains("CPV 72…") && saved.contains("/opportunities.atom?cpv=72"));
    let id: i64 = app
        .db
        .scalar("SELECT id FROM saved_searches", vec![])
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &camden,
            "/opportunities",
            &format!("/saved-searches/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 404, "another user's saved search");
    let r = app
        .post_form(
            &supplier,
            "/saved-searches",
            &format!("/saved-searches/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
}

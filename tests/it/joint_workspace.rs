//! Joint procurements: three boroughs with different calendars form one; the plan matches the
//! hand-computed dates; a cancelled meeting moves it and the page says why; private notes stay
//! private; specification versions need every partner's sign-off.

use procurekit::accounts::Role;
use procurekit::args;

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    three_boroughs_form_a_joint_procurement_and_plan_it_together,
    a_joint_procurement_is_refused_with_reasons_when_the_form_is_wrong,
);

async fn hackney_committee(app: &TestApp) -> i64 {
    app.db
        .scalar(
            "SELECT b.id FROM governance_bodies b JOIN organisations o ON o.id = b.org_id
             WHERE o.slug = 'hackney' AND b.name = 'Procurement and Insourcing Committee'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap()
}

async fn org_id(app: &TestApp, slug: &str) -> String {
    app.db
        .scalar::<i64>("SELECT id FROM organisations WHERE slug = $1", args![slug])
        .await
        .unwrap()
        .unwrap()
        .to_string()
}

async fn three_boroughs_form_a_joint_procurement_and_plan_it_together(app: TestApp) {
    procurekit::joint::store::seed_examples(&app.db)
        .await
        .unwrap();
    let camden = app
        .signed_in(&app.user("camden", Role::CommercialLead).await)
        .await;
    let hackney_admin = app.user("hackney", Role::OrgAdmin).await;
    let hackney = app.signed_in(&hackney_admin).await;
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    let southwark = app
        .signed_in(&app.user("southwark", Role::OrgAdmin).await)
        .await;
    let pid = crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Shared housing system"),
            ("cpv", "48000000-8"),
            ("visibility", "private"),
        ],
    )
    .await;
    let (_, page) = app.get(&camden, &format!("/procurements/{pid}")).await;
    assert!(
        page.contains(&format!("/procurements/{pid}/joint")),
        "the owner is offered to make it joint"
    );

    let (hackney_id, lambeth_id) = (org_id(&app, "hackney").await, org_id(&app, "lambeth").await);
    // The same partners, shares and start as the example plan whose dates were hand-checked
    // in tests/it/joint.rs: Hackney's committee meets on the first Monday, 6 September 2027
    // is in its summer recess, so the award waits for 4 October and then call-in.
    let r = app
        .post_form(
            &camden,
            &format!("/procurements/{pid}/joint"),
            &format!("/procurements/{pid}/joint"),
            &[
                ("lead_share", "£1,500,000"),
                ("partner-1", &hackney_id),
                ("share-1", "1.2m"),
                ("partner-2", &lambeth_id),
                ("share-2", "£900,000"),
                ("start-day", "4"),
                ("start-month", "1"),
                ("start-year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let ws = location(&r);
    assert!(ws.starts_with("/joint/procurements/"));
    let (status, html) = app.get(&camden, &ws).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Contract can start 21 December 2027"),
        "{html}"
    );
    assert!(html.contains("critical path runs through Hackney"));
    assert!(html.contains("6 September 2027 in the Summer recess blackout"));
    assert!(html.contains("£3,600,000"), "total of the shares");
    assert!(html.contains("/templates/collaboration-agreement?lead=E09000007&amp;partners=E09000007&amp;partners=E09000012&amp;partners=E09000022") || html.contains("partners=E09000012"), "agreement link carries the partners");

    // The agreement opens with the partners filled in.
    let (_, agreement) = app.get(&camden, "/templates/collaboration-agreement?lead=E09000007&partners=E09000012&partners=E09000022&project=Shared+housing+system").await;
    assert!(agreement.contains("value=\"E09000012\" checked"));
    assert!(agreement.contains("value=\"Shared housing system\""));

    // Partners see it; others do not; Hackney was told.
    assert_eq!(app.get(&hackney, &ws).await.0, 200);
    assert_eq!(app.get(&lambeth, &ws).await.0, 200);
    // The lead keeps the stage checklist on its procurement; partners follow it in the
    // workspace although the procurement itself is private to Camden.
    let (item, item_title): (i64, String) = app
        .db
        .fetch_one(
            "SELECT c.id, c.title FROM checklist_items c JOIN procurements p ON p.id = c.procurement_id
             WHERE c.procurement_id = $1 AND c.stage = p.stage ORDER BY c.position LIMIT 1",
            procurekit::args![pid],
        )
        .await
        .unwrap();
    let r = app
        .post_form(
            &camden,
            &format!("/procurements/{pid}"),
            &format!("/procurements/{pid}/checklist/{item}"),
            &[("status", "done"), ("assignee", ""), ("due", "")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&lambeth, &ws).await;
    assert!(html.contains("id=\"checklist\""), "checklist section");
    assert!(html.contains(&item_title), "current stage's items");
    assert!(html.contains("1 of "), "progress across stages: {html}");
    assert_eq!(
        app.get(&lambeth, &format!("/procurements/{pid}")).await.0,
        404,
        "the private procurement record stays Camden's"
    );
    assert_eq!(app.get(&southwark, &ws).await.0, 404);
    assert_eq!(
        app.client()
            .get(app.url(&ws))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let told: Option<String> = app
        .db
        .scalar(
            "SELECT subject FROM notifications WHERE to_email = $1",
            args![&hackney_admin],
        )
        .await
        .unwrap();
    assert_eq!(
        told.as_deref(),
        Some("London Borough of Camden added you to a joint procurement: Shared housing system")
    );
    // The private procurement record itself is still Camden's alone.
    assert_eq!(
        app.get(&southwark, &format!("/procurements/{pid}")).await.0,
        404
    );

    // Hackney's committee cancels its 4 October meeting: the plan moves, and says why.
    let committee = hackney_committee(&app).await;
    let meeting = format!("hackney:{committee}:2027-10-04");
    assert!(html.contains(&format!("value=\"{meeting}\"")));
    let r = app
        .post_form(
            &hackney,
            &ws,
            &format!("{ws}/changes"),
            &[("change", "cancel"), ("meeting", &meeting), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), 422, "a reason is needed");
    let r = app
        .post_form(
            &hackney,
            &ws,
            &format!("{ws}/changes"),
            &[
                ("change", "cancel"),
                ("meeting", &meeting),
                ("reason", "Committee moved for a by-election"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&lambeth, &ws).await;
    assert!(html.contains("Hackney’s Procurement and Insourcing Committee meeting on 4 October 2027 was cancelled; the next it can use is 1 November 2027"), "{html}");
    assert!(html.contains("Committee moved for a by-election"));
    assert!(
        !html.contains("Contract can start 21 December 2027"),
        "the plan moved"
    );
    let ics = camden
        .get(app.url(&format!("{ws}/plan.ics")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"));
    let csv = camden
        .get(app.url(&format!("{ws}/plan.csv")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Contract awarded"));

    // Private notes stay with their borough; messages and decisions are shared.
    app.post_form(
        &camden,
        &ws,
        &format!("{ws}/entries"),
        &[
            ("kind", "note"),
            ("note_body", "Camden only: our budget ceiling is £1.6m"),
        ],
    )
    .await;
    app.post_form(
        &hackney,
        &ws,
        &format!("{ws}/entries"),
        &[
            ("kind", "note"),
            ("note_body", "Hackney only: cabinet is sceptical"),
        ],
    )
    .await;
    app.post_form(
        &lambeth,
        &ws,
        &format!("{ws}/entries"),
        &[
            ("kind", "message"),
            ("message_body", "Lambeth can host the evaluation panel"),
        ],
    )
    .await;
    app.post_form(
        &camden,
        &ws,
        &format!("{ws}/entries"),
        &[
            ("kind", "decision"),
            ("decision_body", "Lead: Camden; open procedure"),
        ],
    )
    .await;
    let r = app
        .post_form(
            &camden,
            &ws,
            &format!("{ws}/entries"),
            &[
                ("kind", "task"),
                ("task_body", "Draft specification"),
                ("task_owner", "999999"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "a task's owner must be a partner");
    let (_, c) = app.get(&camden, &ws).await;
    let (_, h) = app.get(&hackney, &ws).await;
    let (_, l) = app.get(&lambeth, &ws).await;
    assert!(
        c.contains("our budget ceiling")
            && !h.contains("our budget ceiling")
            && !l.contains("our budget ceiling")
    );
    assert!(
        h.contains("cabinet is sceptical")
            && !c.contains("cabinet is sceptical")
            && !l.contains("cabinet is sceptical")
    );
    for page in [&c, &h, &l] {
        assert!(
            page.contains("Lambeth can host the evaluation panel")
                && page.contains("Lead: Camden; open procedure")
        );
    }
    // An outsider cannot post into the workspace.
    let r = app
        .post_form(
            &southwark,
            "/joint",
            &format!("{ws}/entries"),
            &[("kind", "message"), ("message_body", "let us in")],
        )
        .await;
    assert_eq!(r.status(), 404);

    // The joint specification: every partner signs the current version; a new version needs
    // signing again.
    let r = app
        .post_form(
            &camden,
            &ws,
            &format!("{ws}/documents/specification"),
            &[
                (
                    "specification_body",
                    "## Needs\n\nOne housing system for three boroughs.",
                ),
                ("specification_note", "First draft"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let doc: i64 = app
        .db
        .scalar("SELECT id FROM joint_documents", vec![])
        .await
        .unwrap()
        .unwrap();
    for who in [&camden, &hackney] {
        let r = app
            .post_form(who, &ws, &format!("{ws}/signoffs/{doc}"), &[])
            .await;
        assert_eq!(r.status(), 303);
    }
    let (_, html) = app.get(&lambeth, &ws).await;
    assert!(html.contains("Waiting for: Lambeth"), "{html}");
    app.post_form(
        &hackney,
        &ws,
        &format!("{ws}/documents/specification"),
        &[
            (
                "specification_body",
                "## Needs\n\nOne housing system, with open APIs.",
            ),
            ("specification_note", "Added APIs"),
        ],
    )
    .await;
    let (_, html) = app.get(&lambeth, &ws).await;
    assert!(html.contains("Version 2") && html.contains("Signed off by: nobody yet"));
    let r = app
        .post_form(&lambeth, &ws, &format!("{ws}/signoffs/{doc}"), &[])
        .await;
    assert_eq!(r.status(), 400, "an old version cannot be signed");
}

async fn a_joint_procurement_is_refused_with_reasons_when_the_form_is_wrong(app: TestApp) {
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let pid = crate::pipeline::create(&app, &camden, &[("title", "Parking system")]).await;
    let form = format!("/procurements/{pid}/joint");
    let hackney_id = org_id(&app, "hackney").await;
    let r = app
        .post_form(
            &camden,
            &form,
            &form,
            &[
                ("lead_share", "lots"),
                ("start-day", "31"),
                ("start-month", "2"),
                ("start-year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Enter your borough")
            && html.contains("Add at least one partner borough")
            && html.contains("must be a real date")
    );
    let r = app
        .post_form(
            &camden,
            &form,
            &form,
            &[
                ("lead_share", "100000"),
                ("partner-1", &hackney_id),
                ("share-1", "50000"),
                ("partner-2", &hackney_id),
                ("share-2", "50000"),
                ("start-day", "1"),
                ("start-month", "3"),
                ("start-year", "2027"),
                ("must-day", "1"),
                ("must-month", "1"),
                ("must-year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Partner 2 is listed twice")
            && html.contains("must be after planning starts")
    );
    assert_eq!(
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM joint_procurements", vec![])
            .await
            .unwrap(),
        Some(0)
    );
    // Another borough cannot make Camden's procurement joint.
    let hackney = app
        .signed_in(&app.user("hackney", Role::OrgAdmin).await)
        .await;
    let r = app
        .post_form(&hackney, "/joint", &form, &[("lead_share", "1")])
        .await;
    assert_eq!(r.status(), 404);
    let forged = camden
        .post(app.url(&form))
        .form(&[("csrf_token", "forged"), ("lead_share", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

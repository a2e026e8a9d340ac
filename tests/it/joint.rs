//! Joint procurement: governance profiles (seeded examples, the organisation admin's edit
//! pages, who may read and who may change them, bad input) and the timeline planner.

use procurekit::accounts::Role;
use procurekit::args;
use procurekit::visibility::Visibility;

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    example_profiles_are_seeded_labelled_and_readable_by_other_boroughs,
    an_org_admin_changes_only_their_own_boroughs_profile,
    a_forged_profile_form_is_refused_and_changes_nothing,
    bad_profile_input_gets_a_clear_message_and_saves_nothing,
    a_borough_admin_starts_a_profile_that_others_see_once_shared,
    governance_profiles_are_seen_exactly_as_their_visibility_allows,
    the_planner_moves_the_plan_when_a_meeting_is_cancelled_and_explains_why,
    the_plan_exports_as_icalendar_and_csv,
);

async fn seeded(app: &TestApp) {
    let n = procurekit::joint::store::seed_examples(&app.db)
        .await
        .expect("seed examples");
    assert_eq!(n, 5);
    // Idempotent: a second run changes nothing.
    assert_eq!(
        procurekit::joint::store::seed_examples(&app.db)
            .await
            .unwrap(),
        0
    );
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .scalar::<i64>(format!("SELECT COUNT(*) FROM {table}"), vec![])
        .await
        .unwrap()
        .unwrap()
}

async fn example_profiles_are_seeded_labelled_and_readable_by_other_boroughs(app: TestApp) {
    seeded(&app).await;
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let (status, html) = app.get(&hackney, "/joint/governance/camden").await;
    assert_eq!(status, 200);
    assert!(html.contains("Example profile, not the borough’s real constitution"));
    assert!(html.contains("second Wednesday monthly"));
    assert!(html.contains("Contract award"));
    assert!(html.contains("August recess"));
    assert!(
        !html.contains("/joint/governance/camden/gates/new"),
        "another borough's officer gets no edit links"
    );
    let (status, index) = app.get(&hackney, "/joint").await;
    assert_eq!(status, 200);
    for name in ["Camden", "Hackney", "Lambeth", "Southwark", "Islington"] {
        assert!(index.contains(name), "{name} listed");
    }
    let json: serde_json::Value = hackney
        .get(app.url("/api/v1/joint/governance/lambeth"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["is_example"], true);
    let cabinet = json["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Cabinet")
        .unwrap();
    assert_eq!(
        cabinet["meeting_rules"][0],
        "every 4 weeks on Monday from 12 January 2026"
    );
    assert_eq!(cabinet["call_in_counted_in"], "calendar");
}

async fn an_org_admin_changes_only_their_own_boroughs_profile(app: TestApp) {
    seeded(&app).await;
    let camden_admin = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    let (status, html) = app.get(&camden_admin, "/joint/governance/camden").await;
    assert_eq!(status, 200);
    assert!(html.contains("/joint/governance/camden/gates/new"));

    let body = [
        ("name", "Audit Committee"),
        ("kind", "committee"),
        ("rules", "last Thursday monthly"),
        ("extra", "15 April 2027"),
        ("cancelled", ""),
        ("paper_deadline_days", "6"),
        ("call_in_days", "0"),
        ("call_in_count", "working"),
    ];
    let r = app
        .post_form(
            &camden_admin,
            "/joint/governance/camden/bodies/new",
            "/joint/governance/camden/bodies/new",
            &body,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/joint/governance/camden?done=body");
    let (_, html) = app.get(&camden_admin, "/joint/governance/camden").await;
    assert!(html.contains("Audit Committee"));
    assert!(html.contains("last Thursday monthly"));
    assert!(html.contains("15 April 2027"));

    // Another borough's admin can read Camden's profile but not change it.
    let hackney_admin = app
        .signed_in(&app.user("hackney", Role::OrgAdmin).await)
        .await;
    let before = count(&app, "governance_bodies").await;
    assert_eq!(
        app.get(&hackney_admin, "/joint/governance/camden/bodies/new")
            .await
            .0,
        403
    );
    let r = app
        .post_form(
            &hackney_admin,
            "/joint/governance/hackney",
            "/joint/governance/camden/bodies/new",
            &body,
        )
        .await;
    assert_eq!(r.status(), 403);
    let camden_cabinet: i64 = app
        .db
        .scalar(
            "SELECT b.id FROM governance_bodies b JOIN organisations o ON o.id = b.org_id
             WHERE o.slug = 'camden' AND b.name = 'Cabinet'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &hackney_admin,
            "/joint/governance/hackney",
            &format!("/joint/governance/camden/bodies/{camden_cabinet}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &hackney_admin,
            "/joint/governance/hackney",
            "/joint/governance/camden",
            &[("visibility", "private"), ("notes", "")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(count(&app, "governance_bodies").await, before);

    // Camden's own officers read it but cannot change it either.
    let camden_officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    assert_eq!(
        app.get(&camden_officer, "/joint/governance/camden/blackouts/new")
            .await
            .0,
        403
    );
    // Signed out: asked to sign in.
    let anon = app.client();
    let r = anon
        .get(app.url("/joint/governance/camden/gates/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/sign-in"));

    // Once Camden keeps its profile private, Hackney cannot even tell it exists.
    let r = app
        .post_form(
            &camden_admin,
            "/joint/governance/camden",
            "/joint/governance/camden",
            &[
                ("visibility", "private"),
                ("notes", "Draft"),
                ("is_example", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&hackney_admin, "/joint/governance/camden").await.0,
        404
    );
    assert_eq!(
        app.get(&hackney_admin, "/joint/governance/camden/bodies/new")
            .await
            .0,
        404
    );
    // A body the admin deletes is gone; one a gate uses is kept, with the reason.
    let audit: i64 = app
        .db
        .scalar(
            "SELECT COUNT(*) FROM governance_gates WHERE body_id = $1",
            args![camden_cabinet],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(audit > 0);
    let r = app
        .post_form(
            &camden_admin,
            "/joint/governance/camden",
            &format!("/joint/governance/camden/bodies/{camden_cabinet}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("This body approves Procurement strategy and route to market (£5,000,000 and over), Contract award (£500,000 and over). Change or delete those gates first."), "{text}");
}

async fn a_forged_profile_form_is_refused_and_changes_nothing(app: TestApp) {
    seeded(&app).await;
    let admin = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    let before = count(&app, "governance_blackouts").await;
    for token in [None, Some("not-the-token")] {
        let mut form = vec![
            ("label", "Forged"),
            ("start-day", "1"),
            ("start-month", "6"),
            ("start-year", "2027"),
            ("end-day", "2"),
            ("end-month", "6"),
            ("end-year", "2027"),
        ];
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let r = admin
            .post(app.url("/joint/governance/camden/blackouts/new"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("This form could not be sent")
        );
    }
    assert_eq!(count(&app, "governance_blackouts").await, before);
}

async fn bad_profile_input_gets_a_clear_message_and_saves_nothing(app: TestApp) {
    seeded(&app).await;
    let admin = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    let bodies = count(&app, "governance_bodies").await;
    let page = "/joint/governance/camden/bodies/new";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("name", "Board"),
                ("kind", "committee"),
                ("rules", "fifth Friday"),
                ("paper_deadline_days", "3"),
                ("call_in_days", "0"),
            ],
            "not every month has a fifth Friday. Write “last Friday monthly”",
        ),
        (
            &[
                ("name", "Board"),
                ("kind", "committee"),
                ("rules", "every other Wednesday"),
                ("paper_deadline_days", "3"),
                ("call_in_days", "0"),
            ],
            "needs a start date",
        ),
        (
            &[
                ("name", "Board"),
                ("kind", "committee"),
                ("rules", ""),
                ("extra", "3 May 2027"),
                ("paper_deadline_days", "3"),
                ("call_in_days", "0"),
            ],
            "3 May 2027 is a bank holiday (Early May bank holiday)",
        ),
        (
            &[
                ("name", "Board"),
                ("kind", "committee"),
                ("rules", "first Monday monthly"),
                ("paper_deadline_days", "lots"),
                ("call_in_days", "0"),
            ],
            "Enter the paper deadline as a whole number of working days from 0 to 60",
        ),
        (
            &[
                ("name", "Cabinet"),
                ("kind", "cabinet"),
                ("rules", "first Monday monthly"),
                ("paper_deadline_days", "3"),
                ("call_in_days", "0"),
            ],
            "already has a body with this name",
        ),
    ];
    for (fields, message) in cases {
        let r = app.post_form(&admin, page, page, fields).await;
        assert_eq!(r.status(), 422, "{message}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("<title>Error: "), "{message}");
        // What was typed is kept.
        let typed = fields
            .iter()
            .find(|(k, _)| *k == "rules")
            .map(|(_, v)| *v)
            .unwrap_or("");
        assert!(html.contains(typed), "kept {typed}");
    }
    assert_eq!(count(&app, "governance_bodies").await, bodies);

    let blackouts = count(&app, "governance_blackouts").await;
    let page = "/joint/governance/camden/blackouts/new";
    let r = app
        .post_form(
            &admin,
            page,
            page,
            &[
                ("label", "Christmas"),
                ("start-day", "20"),
                ("start-month", "12"),
                ("start-year", "2026"),
                ("end-day", "1"),
                ("end-month", "12"),
                ("end-year", "2026"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("The blackout ends (1 December 2026) before it starts (20 December 2026)")
    );
    assert!(html.contains("value=\"20\""), "typed values kept");
    assert_eq!(count(&app, "governance_blackouts").await, blackouts);

    let gates = count(&app, "governance_gates").await;
    let cabinet: i64 = app
        .db
        .scalar(
            "SELECT b.id FROM governance_bodies b JOIN organisations o ON o.id = b.org_id
             WHERE o.slug = 'camden' AND b.name = 'Cabinet'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let page = "/joint/governance/camden/gates/new";
    let cabinet = cabinet.to_string();
    let r = app
        .post_form(
            &admin,
            page,
            page,
            &[
                ("gate", "contract_award"),
                ("body_id", &cabinet),
                ("min_value", "£250,000"),
                ("max_value", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("These values overlap the contract award rule")
    );
    let r = app
        .post_form(
            &admin,
            page,
            page,
            &[
                ("gate", "contract_award"),
                ("body_id", &cabinet),
                ("min_value", "£5m"),
                ("max_value", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Enter the lowest value as an amount in pounds")
    );
    assert_eq!(count(&app, "governance_gates").await, gates);
}

async fn a_borough_admin_starts_a_profile_that_others_see_once_shared(app: TestApp) {
    let greenwich_admin = app
        .signed_in(&app.user("greenwich", Role::OrgAdmin).await)
        .await;
    let other_admin = app
        .signed_in(&app.user("hackney", Role::OrgAdmin).await)
        .await;
    let (status, html) = app
        .get(&greenwich_admin, "/joint/governance/greenwich")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Start the governance profile"));
    assert_eq!(
        app.get(&other_admin, "/joint/governance/greenwich").await.0,
        404
    );
    let r = app
        .post_form(
            &other_admin,
            "/joint",
            "/joint/governance/greenwich",
            &[("action", "create")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_form(
            &greenwich_admin,
            "/joint/governance/greenwich",
            "/joint/governance/greenwich",
            &[("action", "create")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, html) = app.get(&other_admin, "/joint/governance/greenwich").await;
    assert_eq!(status, 200, "shared with London authorities by default");
    assert!(!html.contains("Example profile"));
    let r = app
        .post_form(
            &greenwich_admin,
            "/joint/governance/greenwich/bodies/new",
            "/joint/governance/greenwich/bodies/new",
            &[
                ("name", "Cabinet"),
                ("kind", "cabinet"),
                ("rules", "Third Tuesday of the month"),
                ("paper_deadline_days", "10"),
                ("call_in_days", "5"),
                ("call_in_count", "working"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&other_admin, "/joint/governance/greenwich").await;
    assert!(html.contains("third Tuesday monthly"));
    assert!(html.contains("10 working days before the meeting"));
}

async fn governance_profiles_are_seen_exactly_as_their_visibility_allows(app: TestApp) {
    seeded(&app).await;
    app.supplier_org("test-supplier").await;
    let owner = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let viewers = [
        ("anonymous", app.client(), [false, false, true]),
        ("owner officer", owner, [true, true, true]),
        (
            "other borough officer",
            app.signed_in(&app.user("hackney", Role::Officer).await)
                .await,
            [false, true, true],
        ),
        (
            "other borough admin",
            app.signed_in(&app.user("hackney", Role::OrgAdmin).await)
                .await,
            [false, true, true],
        ),
        (
            "convenor platform admin",
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
    for (i, v) in [Visibility::Private, Visibility::London, Visibility::Public]
        .into_iter()
        .enumerate()
    {
        app.db
            .execute(
                "UPDATE governance_profiles SET visibility = $1 WHERE org_id = (SELECT id FROM organisations WHERE slug = 'camden')",
                args![v],
            )
            .await
            .unwrap();
        for (who, client, expect) in &viewers {
            let want = if expect[i] { 200 } else { 404 };
            for path in [
                "/joint/governance/camden",
                "/api/v1/joint/governance/camden",
            ] {
                let got = client
                    .get(app.url(path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(got, want, "{who} × {v}: {path}");
            }
            let list: Vec<serde_json::Value> = client
                .get(app.url("/api/v1/joint/governance"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                list.iter().any(|p| p["organisation"] == "camden"),
                expect[i],
                "{who} × {v}: list"
            );
        }
    }
}

/// The id of a body, by borough and name.
async fn body_id(app: &TestApp, slug: &str, name: &str) -> i64 {
    app.db
        .scalar(
            "SELECT b.id FROM governance_bodies b JOIN organisations o ON o.id = b.org_id
             WHERE o.slug = $1 AND b.name = $2",
            args![slug, name],
        )
        .await
        .unwrap()
        .unwrap()
}

async fn the_planner_moves_the_plan_when_a_meeting_is_cancelled_and_explains_why(app: TestApp) {
    seeded(&app).await;
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (status, html) = app.get(&officer, "/joint/planner?start=2027-01-04").await;
    assert_eq!(status, 200);
    // Hand-checked: Hackney's committee meets on the first Monday; 6 September 2027 is in
    // its summer recess, so the award waits for 4 October, then 5 working days' call-in.
    assert!(
        html.contains("Contract can start 21 December 2027"),
        "{html}"
    );
    assert!(html.contains("Critical path runs through Hackney"));
    assert!(html.contains("6 September 2027 in the Summer recess blackout"));
    assert!(html.contains("<svg"));
    let committee = body_id(&app, "hackney", "Procurement and Insourcing Committee").await;
    let cancel = format!("hackney:{committee}:2027-10-04");
    assert!(html.contains(&format!("value=\"{cancel}\"")));

    let (status, html) = app
        .get(
            &officer,
            &format!("/joint/planner?start=2027-01-04&cancel={cancel}"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("What moved"));
    assert!(html.contains(
        "Hackney’s Procurement and Insourcing Committee meeting on 4 October 2027 was cancelled; the next it can use is 1 November 2027"
    ), "{html}");
    assert!(html.contains("Contract can start 18 January 2028"));
    assert!(html.contains("28 days later"));

    // With the contract due to start by 31 December 2027, the cancellation makes the plan
    // infeasible, and the page says whose calendar is the problem.
    let (status, html) = app
        .get(
            &officer,
            &format!(
                "/joint/planner?start=2027-01-04&must_start_by=31+December+2027&cancel={cancel}"
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("This plan cannot be met as it stands"));
    assert!(html.contains(
        "Hackney has no Procurement and Insourcing Committee meeting between 24 August 2027 and 12 October 2027 that it could use (6 September 2027 in the Summer recess blackout; 4 October 2027 cancelled)"
    ), "{html}");
    let (status, html) = app
        .get(
            &officer,
            "/joint/planner?start=2027-01-04&must_start_by=soon",
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("The date the contract must start by: “soon” is not a date we can read"));

    // A slip, typed into the form, moves the milestones after it.
    let (status, html) = app
        .get(
            &officer,
            "/joint/planner?start=2027-01-04&slip_milestone=evaluated&slip-day=1&slip-month=12&slip-year=2027",
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("It slipped to 1 December 2027"), "{html}");
    // A slip with an impossible date gets a clear message.
    let (status, html) = app
        .get(
            &officer,
            "/joint/planner?start=2027-01-04&slip_milestone=evaluated&slip-day=31&slip-month=2&slip-year=2027",
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("The new date must be a real date"), "{html}");

    // The same plan through the API.
    let json: serde_json::Value = officer
        .get(app.url(&format!(
            "/api/v1/joint/planner?start=2027-01-04&cancel={cancel}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["moved"][0]["key"], "award");
    assert_eq!(json["plan"]["critical_partners"][0], "hackney");
    // Signed out: the planner asks to sign in.
    let r = app
        .client()
        .get(app.url("/joint/planner"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

async fn the_plan_exports_as_icalendar_and_csv(app: TestApp) {
    seeded(&app).await;
    let officer = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    let r = officer
        .get(app.url("/joint/planner/plan.ics?start=2027-01-04"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends CRLF"
    );
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "folded at 75 octets: {line}");
    }
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("DTSTART;VALUE=DATE:20271221"));
    assert!(
        unfolded.contains("SUMMARY:Joint housing system procurement (example): Contract starts")
    );
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 8 + 2 * 9);

    let r = officer
        .get(app.url("/joint/planner/plan.csv?start=2027-01-04"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    let mut lines = csv.split("\r\n");
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("milestone,milestone_date,ready_date,critical_path,partner,gate")
    );
    assert!(csv.contains("Contract awarded,2027-10-12,2027-08-24,yes,Hackney,Contract award,Procurement and Insourcing Committee,2027-09-23,2027-10-04,2027-10-12,5 working days,0,yes,"));
}

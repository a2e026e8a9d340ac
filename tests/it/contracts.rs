//! Contract management: contracts from awarded procurements, KPIs and the dashboard, the
//! Procurement Act's KPI and performance-notice duties, reminders, documents, supplier insight
//! shared across London, and who may see or change what.

use chrono::{Datelike, Days, Months, NaiveDate};
use procurekit::accounts::Role;
use procurekit::accounts::store as accounts;
use procurekit::args;
use serde_json::Value;

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    a_contract_created_from_an_awarded_procurement_tracks_kpis_and_shows_off_target_ones_on_the_dashboard,
    a_contract_manager_works_a_contract_through_its_parts,
    contracts_over_five_million_without_three_kpis_or_a_yearly_assessment_are_flagged,
    reminders_are_queued_once_per_item_and_threshold,
    every_contract_form_explains_bad_input_and_saves_nothing,
    uploads_that_are_too_large_or_of_the_wrong_type_are_refused_and_nothing_is_saved,
    another_boroughs_contract_is_invisible_when_private_and_read_only_when_shared,
    ratings_aggregate_across_boroughs_and_never_show_the_supplier_who_rated,
    kpi_measurements_can_be_sent_through_the_api_with_a_token,
    a_row_of_the_estate_register_becomes_a_contract_of_its_own_borough_only,
);

// ---- Helpers ----

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn days_from_today(n: i64) -> NaiveDate {
    if n >= 0 {
        today() + Days::new(n as u64)
    } else {
        today() - Days::new((-n) as u64)
    }
}

/// The last day of the month `months_back` months before this one (1 = last month).
fn month_end(months_back: u32) -> NaiveDate {
    let t = today();
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .unwrap()
        .checked_sub_months(Months::new(months_back - 1))
        .unwrap()
        .pred_opt()
        .unwrap()
}

/// Form fields, built up by name; a later value replaces an earlier one.
#[derive(Clone, Default)]
struct F(Vec<(String, String)>);

impl F {
    fn set(mut self, k: &str, v: impl ToString) -> F {
        self.0.retain(|(x, _)| x != k);
        self.0.push((k.to_owned(), v.to_string()));
        self
    }

    fn date(self, name: &str, d: NaiveDate) -> F {
        self.set(&format!("{name}-day"), d.day())
            .set(&format!("{name}-month"), d.month())
            .set(&format!("{name}-year"), d.year())
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect()
    }
}

async fn post(app: &TestApp, client: &reqwest::Client, action: &str, f: &F) -> reqwest::Response {
    // Every signed-in page carries the session's token (the header's sign-out form).
    app.post_form(client, "/", action, &f.pairs()).await
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    accounts::user_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The id at the end of a redirect like `/contracts/12?done=created` or `/…/kpis/3?done=kpi`.
fn id_in(location: &str) -> i64 {
    location
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no id in {location}"))
}

fn contract_form(title: &str, value: &str) -> F {
    F::default()
        .set("title", title)
        .set("supplier", "Riverside Repairs Software Ltd")
        .set("company_number", "09876543")
        .set("value", value)
        .date("start", days_from_today(-30))
        .date("end", days_from_today(4 * 365))
        .set("kpi_duty", "applies")
        .set("visibility", "private")
}

async fn create_contract(app: &TestApp, client: &reqwest::Client, f: &F) -> i64 {
    let r = post(app, client, "/contracts/new", f).await;
    assert_eq!(
        r.status(),
        303,
        "create contract: {}",
        r.text().await.unwrap_or_default()
    );
    id_in(&location(&r))
}

async fn add_kpi(
    app: &TestApp,
    client: &reqwest::Client,
    cid: i64,
    name: &str,
    target: &str,
    unit: &str,
    direction: &str,
) -> i64 {
    let f = F::default()
        .set("name", name)
        .set("definition", format!("How {name} is counted"))
        .set("unit", unit)
        .set("target", target)
        .set("direction", direction)
        .set("frequency", "monthly");
    let r = post(app, client, &format!("/contracts/{cid}/kpis/new"), &f).await;
    assert_eq!(
        r.status(),
        303,
        "add KPI: {}",
        r.text().await.unwrap_or_default()
    );
    id_in(&location(&r))
}

async fn measure(
    app: &TestApp,
    client: &reqwest::Client,
    cid: i64,
    kid: i64,
    period_end: NaiveDate,
    value: &str,
) {
    let f = F::default()
        .date("period_end", period_end)
        .set("value", value);
    let r = post(
        app,
        client,
        &format!("/contracts/{cid}/kpis/{kid}/measurements"),
        &f,
    )
    .await;
    assert_eq!(
        r.status(),
        303,
        "measure: {}",
        r.text().await.unwrap_or_default()
    );
}

async fn add_review(app: &TestApp, client: &reqwest::Client, cid: i64) -> i64 {
    let f = F::default()
        .date("held_on", days_from_today(-2))
        .set("attendees", "Contract manager, supplier account manager")
        .set("minutes", "Went through the KPIs.\nAgreed a data extract.");
    let r = post(app, client, &format!("/contracts/{cid}/reviews/new"), &f).await;
    assert_eq!(
        r.status(),
        303,
        "review: {}",
        r.text().await.unwrap_or_default()
    );
    id_in(&location(&r))
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .scalar::<i64>(format!("SELECT COUNT(*) FROM {table}"), vec![])
        .await
        .unwrap()
        .unwrap()
}

async fn json(client: &reqwest::Client, url: String) -> (u16, Value) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The HTML of one section of a page, from an element's id to the end of its table or list.
fn section<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    let Some(start) = html.find(&format!("id=\"{id}\"")) else {
        return "";
    };
    let rest = &html[start..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

// ---- Scenarios ----

async fn a_contract_created_from_an_awarded_procurement_tracks_kpis_and_shows_off_target_ones_on_the_dashboard(
    app: TestApp,
) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let pid = crate::pipeline::create(
        &app,
        &client,
        &[
            ("title", "Repairs scheduling platform"),
            ("cpv", "48000000-8"),
        ],
    )
    .await;
    // Not awarded yet: no way to create the contract.
    let (_, page) = app.get(&client, &format!("/procurements/{pid}")).await;
    assert!(!page.contains("Create the contract"));

    let start = days_from_today(-40);
    let end = days_from_today(5 * 365);
    let award = F::default()
        .set("kind", "award")
        .set("published_on", days_from_today(-60))
        .set("supplier", "Riverside Repairs Software Ltd")
        .set("company_number", "09876543")
        .set("value", "£6,400,000")
        .set("contract_start", start)
        .set("contract_end", end);
    let r = post(
        &app,
        &client,
        &format!("/procurements/{pid}/notices"),
        &award,
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&client, &format!("/procurements/{pid}")).await;
    assert!(page.contains(&format!("/contracts/new?procurement={pid}")));

    // The form is prefilled from the award notice.
    let (status, form) = app
        .get(&client, &format!("/contracts/new?procurement={pid}"))
        .await;
    assert_eq!(status, 200);
    for expected in [
        "Repairs scheduling platform",
        "Riverside Repairs Software Ltd",
        "09876543",
        "£6,400,000",
        &format!(
            "name=\"start-year\" type=\"text\" inputmode=\"numeric\" value=\"{}\"",
            start.year()
        ),
        &format!("name=\"procurement_id\" value=\"{pid}\""),
    ] {
        assert!(form.contains(expected), "prefilled: {expected}");
    }
    let fields = F::default()
        .set("procurement_id", pid)
        .set("title", "Repairs scheduling platform")
        .set("supplier", "Riverside Repairs Software Ltd")
        .set("company_number", "09876543")
        .set("value", "£6,400,000")
        .date("start", start)
        .date("end", end)
        .date("notice", end - Days::new(180))
        .set("owner", user_id(&app, &officer).await)
        .set("kpi_duty", "applies")
        .set("visibility", "private");
    let cid = create_contract(&app, &client, &fields).await;
    let (kind, source, supplier_cn): (String, i64, Option<String>) = app
        .db
        .fetch_one(
            "SELECT c.source_kind, c.source_id, s.company_number FROM contracts c
             JOIN suppliers s ON s.id = c.supplier_id WHERE c.id = $1",
            args![cid],
        )
        .await
        .unwrap();
    assert_eq!((kind.as_str(), source), ("procurement", pid));
    assert_eq!(
        supplier_cn.as_deref(),
        Some("09876543"),
        "the award's supplier, from the shared register"
    );
    // One contract per procurement: asking again leads to it.
    let r = client
        .get(app.url(&format!("/contracts/new?procurement={pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/contracts/{cid}?done=exists"));
    let r = post(&app, &client, "/contracts/new", &fields).await;
    assert_eq!(location(&r), format!("/contracts/{cid}?done=exists"));
    assert_eq!(count(&app, "contracts").await, 1);

    // KPIs with measurements over time: the first misses its target on its latest one.
    let first_time = add_kpi(
        &app,
        &client,
        cid,
        "Repairs booked at first contact",
        "95",
        "%",
        "higher",
    )
    .await;
    let fix_days = add_kpi(
        &app,
        &client,
        cid,
        "Days to fix a priority defect",
        "5",
        "days",
        "lower",
    )
    .await;
    let uptime = add_kpi(&app, &client, cid, "Availability", "99.5", "%", "higher").await;
    measure(&app, &client, cid, first_time, month_end(2), "96").await;
    measure(&app, &client, cid, first_time, month_end(1), "91.5").await;
    measure(&app, &client, cid, fix_days, month_end(1), "4").await;
    measure(&app, &client, cid, uptime, month_end(1), "99.9").await;

    let (_, kpi_page) = app
        .get(&client, &format!("/contracts/{cid}/kpis/{first_time}"))
        .await;
    assert!(kpi_page.contains("91.5%") && kpi_page.contains("96%"));
    assert!(kpi_page.contains("Below target") && kpi_page.contains("On target"));

    let (_, dashboard) = app.get(&client, "/contracts").await;
    let missing = section(&dashboard, "kpis-missing-target", "</table>");
    assert!(
        missing.contains("Repairs booked at first contact"),
        "{missing}"
    );
    assert!(missing.contains("91.5%") && missing.contains("At least 95%"));
    assert!(
        !missing.contains("Days to fix"),
        "a lower-is-better KPI under its target is on target"
    );
    assert!(!missing.contains("Availability"));
    let (_, a) = json(&client, app.url("/api/v1/contracts/attention")).await;
    let names: Vec<&str> = a["kpis_missing_target"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kpi_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Repairs booked at first contact"]);
    // Three KPIs on a £6.4m contract: the Procurement Act's KPI duty is met.
    assert!(a["procurement_act"].as_array().unwrap().is_empty(), "{a}");

    // Back on target next month: it leaves the dashboard.
    measure(&app, &client, cid, first_time, today(), "97").await;
    let (_, dashboard) = app.get(&client, "/contracts").await;
    assert_eq!(section(&dashboard, "kpis-missing-target", "</table>"), "");
    let (_, page) = app.get(&client, &format!("/contracts/{cid}")).await;
    assert!(page.contains("Riverside Repairs Software Ltd"));
    assert!(
        page.contains(&format!("href=\"/procurements/{pid}\"")),
        "links back to its source"
    );
}

async fn a_contract_manager_works_a_contract_through_its_parts(app: TestApp) {
    let officer = app.user("camden", Role::Officer).await;
    let colleague = app.user("camden", Role::CommercialLead).await;
    let client = app.signed_in(&officer).await;
    let end = days_from_today(200);
    let notice = days_from_today(20);
    let cid = create_contract(
        &app,
        &client,
        &contract_form("Resident contact centre software", "£900,000")
            .date("end", end)
            .date("notice", notice),
    )
    .await;

    // An extension option, used: the end and notice dates move on by its length.
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/extensions/new"),
        &F::default()
            .set("months", "12")
            .date("decide_by", days_from_today(10)),
    )
    .await;
    assert_eq!(r.status(), 303);
    let eid: i64 = app
        .db
        .scalar(
            "SELECT id FROM contract_extensions WHERE contract_id = $1",
            args![cid],
        )
        .await
        .unwrap()
        .unwrap();
    let (_, dashboard) = app.get(&client, "/contracts").await;
    let dates = section(&dashboard, "dates", "</table>");
    assert!(dates.contains("Decide on the option to extend by 12 months"));
    assert!(dates.contains("Last date to give notice"));
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/extensions/{eid}"),
        &F::default().set("decision", "use"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (new_end, new_notice): (NaiveDate, Option<NaiveDate>) = app
        .db
        .fetch_one(
            "SELECT end_date, notice_date FROM contracts WHERE id = $1",
            args![cid],
        )
        .await
        .unwrap();
    assert_eq!(new_end, end.checked_add_months(Months::new(12)).unwrap());
    assert_eq!(new_notice, notice.checked_add_months(Months::new(12)));
    // Deciding twice changes nothing more.
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/extensions/{eid}"),
        &F::default().set("decision", "use"),
    )
    .await;
    let again: NaiveDate = app
        .db
        .scalar("SELECT end_date FROM contracts WHERE id = $1", args![cid])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, new_end);

    // A review meeting with an action owned by a colleague, overdue; an improvement.
    let rid = add_review(&app, &client, cid).await;
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/actions/new"),
        &F::default()
            .set("kind", "action")
            .set("review", rid)
            .set("description", "Send the data extract specification")
            .set("owner", user_id(&app, &colleague).await)
            .date("due", days_from_today(-3)),
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/contracts/{cid}/reviews/{rid}?done=action")
    );
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/actions/new"),
        &F::default()
            .set("kind", "improvement")
            .set("description", "Web chat for residents")
            .set("benefit", "Fewer calls at peak times")
            .set("owner", "supplier")
            .date("due", days_from_today(-1)),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, review) = app
        .get(&client, &format!("/contracts/{cid}/reviews/{rid}"))
        .await;
    assert!(review.contains("Send the data extract specification"));
    assert!(review.contains("Agreed a data extract."));
    let (_, dashboard) = app.get(&client, "/contracts").await;
    let overdue = section(&dashboard, "overdue", "</table>");
    assert!(
        overdue.contains("Send the data extract specification") && overdue.contains("3 days late")
    );
    assert!(overdue.contains("Web chat for residents") && overdue.contains("The supplier"));

    // Done: no longer overdue.
    let aid: i64 = app
        .db
        .scalar(
            "SELECT id FROM contract_actions WHERE kind = 'action'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/actions/{aid}"),
        &F::default().set("status", "done"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, dashboard) = app.get(&client, "/contracts").await;
    let overdue = section(&dashboard, "overdue", "</table>");
    assert!(!overdue.contains("Send the data extract specification"));
    assert!(overdue.contains("Web chat for residents"));

    // A red risk shows on the dashboard until it is closed.
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/risks/new"),
        &F::default()
            .set("description", "Telephony platform reaches end of support")
            .set("rag", "red")
            .set("mitigation", "Upgrade planned"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, dashboard) = app.get(&client, "/contracts").await;
    assert!(section(&dashboard, "red-risks", "</ul>").contains("Telephony platform"));
    let risk: i64 = app
        .db
        .scalar("SELECT id FROM contract_risks", vec![])
        .await
        .unwrap()
        .unwrap();
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/risks/{risk}"),
        &F::default().set("rag", "amber").set("status", "closed"),
    )
    .await;
    let (_, dashboard) = app.get(&client, "/contracts").await;
    assert_eq!(section(&dashboard, "red-risks", "</ul>"), "");

    // The dashboard's window is configurable: 300 days reaches the new end date.
    let (status, dashboard) = app.get(&client, "/contracts?within=600").await;
    assert_eq!(status, 200);
    assert!(section(&dashboard, "dates", "</table>").contains("Contract ends"));
    let (_, dashboard) = app.get(&client, "/contracts?within=30").await;
    assert!(!section(&dashboard, "dates", "</table>").contains("Contract ends"));

    // Everything is in the activity log, and the contract page shows every part.
    let (_, page) = app.get(&client, &format!("/contracts/{cid}")).await;
    for expected in [
        "Used the option to extend by 12 months",
        "Web chat for residents",
        "Fewer calls at peak times",
        "Telephony platform reaches end of support",
        "Review meeting, ",
    ] {
        assert!(page.contains(expected), "contract page: {expected}");
    }
    // Editing keeps what it does not change, and logs what it does.
    let edit = contract_form("Resident contact centre platform", "£950,000")
        .date("end", new_end)
        .set("visibility", "london");
    let r = post(&app, &client, &format!("/contracts/{cid}/edit"), &edit).await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&client, &format!("/contracts/{cid}")).await;
    assert!(page.contains("Resident contact centre platform") && page.contains("£950,000"));
    assert!(page.contains("Shared with London<"));
    assert!(page.contains("Changed title to"));
}

async fn contracts_over_five_million_without_three_kpis_or_a_yearly_assessment_are_flagged(
    app: TestApp,
) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let at_five = create_contract(
        &app,
        &client,
        &contract_form("Exactly five million", "£5,000,000"),
    )
    .await;
    let over = create_contract(
        &app,
        &client,
        &contract_form("Just over five million", "£5,000,001"),
    )
    .await;
    let earlier = create_contract(
        &app,
        &client,
        &contract_form("Let under the old rules", "£9m").set("kpi_duty", "earlier_rules"),
    )
    .await;
    // Ended ten days ago (section 71 in force since 1 January 2026): a final assessment is due.
    let year_old = create_contract(
        &app,
        &client,
        &contract_form("Ended last week", "£7,000,000")
            .date("start", days_from_today(-500))
            .date("end", days_from_today(-10)),
    )
    .await;
    for cid in [over, year_old] {
        add_kpi(&app, &client, cid, "First KPI", "90", "%", "higher").await;
        add_kpi(&app, &client, cid, "Second KPI", "10", "days", "lower").await;
    }
    let flagged = |a: &Value| -> Vec<(i64, String)> {
        a["procurement_act"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| {
                p["problems"].as_array().unwrap().iter().map(move |x| {
                    (
                        p["contract_id"].as_i64().unwrap(),
                        x["problem"].as_str().unwrap().to_owned(),
                    )
                })
            })
            .collect()
    };
    let (_, a) = json(&client, app.url("/api/v1/contracts/attention")).await;
    let f = flagged(&a);
    assert!(f.contains(&(over, "too_few_kpis".into())), "{f:?}");
    assert!(f.contains(&(year_old, "too_few_kpis".into())));
    assert!(
        f.contains(&(year_old, "final_assessment_due".into())),
        "no assessment when the contract ended"
    );
    assert!(
        !f.iter().any(|(c, _)| *c == at_five),
        "exactly £5m is not more than £5m"
    );
    assert!(
        !f.iter().any(|(c, _)| *c == earlier),
        "procured under earlier rules"
    );
    let (_, dashboard) = app.get(&client, "/contracts").await;
    assert!(dashboard.contains("Procurement Act 2023 gaps (2)"));
    assert!(
        dashboard.contains("Has 2 KPIs: contracts over £5 million need at least 3 (section 52)")
    );

    // A third KPI meets section 52.
    for cid in [over, year_old] {
        let k = add_kpi(&app, &client, cid, "Third KPI", "99", "%", "higher").await;
        measure(&app, &client, cid, k, month_end(1), "98").await;
    }
    let (_, a) = json(&client, app.url("/api/v1/contracts/attention")).await;
    assert_eq!(
        flagged(&a),
        vec![(year_old, "final_assessment_due".to_owned())]
    );

    // The assessment: each KPI rated, suggested from its measurements in the period.
    let (_, perf) = app
        .get(&client, &format!("/contracts/{year_old}/performance"))
        .await;
    assert!(perf.contains("without a final published performance assessment"));
    let third: i64 = app
        .db
        .scalar(
            "SELECT id FROM contract_kpis WHERE contract_id = $1 AND name = 'Third KPI'",
            args![year_old],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        perf.contains(&format!("name=\"rating-{third}\""))
            && perf.contains("Suggested: Requires improvement"),
        "98% against a target of 99% suggests 'requires improvement'"
    );
    let kpis: Vec<(i64,)> = app
        .db
        .fetch_all(
            "SELECT id FROM contract_kpis WHERE contract_id = $1 ORDER BY id",
            args![year_old],
        )
        .await
        .unwrap();
    let mut form = F::default()
        .date("period_start", days_from_today(-500))
        .date("period_end", days_from_today(-10))
        .set("summary", "A steady first year.");
    for (i, (kid,)) in kpis.iter().enumerate() {
        form = form.set(
            &format!("rating-{kid}"),
            ["good", "approaching_target", "requires_improvement"][i],
        );
    }
    form = form.set(&format!("comment-{third}"), "Two outages in March");
    let r = post(
        &app,
        &client,
        &format!("/contracts/{year_old}/performance"),
        &form,
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let aid = id_in(&location(&r));
    // Drafted, not yet published: still overdue.
    let (_, a) = json(&client, app.url("/api/v1/contracts/attention")).await;
    assert_eq!(flagged(&a).len(), 1);

    // The notice's data, as regulation 39(4) lists it.
    let (status, n) = json(
        &client,
        app.url(&format!(
            "/contracts/{year_old}/performance/{aid}/notice.json"
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        n["contracting_authority"]["name"],
        "London Borough of Camden"
    );
    assert_eq!(n["contracting_authority"]["gss_code"], "E09000007");
    assert_eq!(n["suppliers"][0]["name"], "Riverside Repairs Software Ltd");
    assert_eq!(n["suppliers"][0]["identifier"], "GB-COH-09876543");
    assert!(n["statement"].as_str().unwrap().contains(
        "assessment of the supplier's performance against the key performance indicators"
    ));
    assert_eq!(n["period_end"], days_from_today(-10).to_string());
    let ratings: Vec<(&str, &str)> = n["key_performance_indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["rating"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ratings,
        vec![
            ("First KPI", "good"),
            ("Second KPI", "approaching_target"),
            ("Third KPI", "requires_improvement")
        ]
    );
    assert_eq!(
        n["key_performance_indicators"][2]["rating_description"],
        "Performance is below the key performance indicators"
    );
    assert!(n["to_complete"].to_string().contains("postal address"));
    let (_, api_notice) = json(
        &client,
        app.url(&format!(
            "/api/v1/contracts/{year_old}/performance-notices/{aid}"
        )),
    )
    .await;
    assert_eq!(api_notice, n, "the page's JSON and the API agree");
    let (_, page) = app
        .get(&client, &format!("/contracts/{year_old}/performance/{aid}"))
        .await;
    assert!(page.contains("Requires improvement") && page.contains("Two outages in March"));

    // Published: the duty is met, and nothing more is due on an ended contract.
    let r = post(
        &app,
        &client,
        &format!("/contracts/{year_old}/performance/{aid}/publish"),
        &F::default()
            .date("published_on", today())
            .set("reference", "2026/S 000-012345"),
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, a) = json(&client, app.url("/api/v1/contracts/attention")).await;
    assert!(flagged(&a).is_empty(), "{a}");
    let (_, detail) = json(&client, app.url(&format!("/api/v1/contracts/{year_old}"))).await;
    assert_eq!(detail["duties"]["applies"], true);
    assert!(
        detail["duties"]["next_assessment_due"].is_null(),
        "{detail}"
    );
    let (_, dashboard) = app.get(&client, "/contracts").await;
    assert!(!dashboard.contains("Procurement Act 2023 gaps"));
}

async fn reminders_are_queued_once_per_item_and_threshold(app: TestApp) {
    let officer = app.user("camden", Role::Officer).await;
    let colleague = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let me = user_id(&app, &officer).await;
    let them = user_id(&app, &colleague).await;
    let cid = create_contract(
        &app,
        &client,
        &contract_form("Parking permits system", "£400,000")
            .set("owner", me)
            .date("notice", days_from_today(10))
            .date("end", days_from_today(200)),
    )
    .await;
    let kid = add_kpi(
        &app,
        &client,
        cid,
        "Permits issued within a day",
        "98",
        "%",
        "higher",
    )
    .await;
    measure(&app, &client, cid, kid, month_end(1), "90").await;
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/actions/new"),
        &F::default()
            .set("kind", "action")
            .set("description", "Fix the renewal emails")
            .set("owner", them)
            .date("due", days_from_today(-2)),
    )
    .await;

    let mail = |user: i64| {
        let db = app.db.clone();
        async move {
            db.fetch_all::<(String, String)>(
                "SELECT subject, body FROM notifications WHERE user_id = $1 AND kind = 'contract_reminder' ORDER BY id",
                args![user],
            )
            .await
            .unwrap()
        }
    };
    let url = "https://procurekit.example";
    let queued = procurekit::contracts::reminders::run(&app.db, today(), url)
        .await
        .unwrap();
    assert_eq!(
        queued, 2,
        "one message each for the contract's owner and the action's owner"
    );
    let mine = mail(me).await;
    assert_eq!(mine.len(), 1);
    assert!(
        mine[0].0.contains("2 items need your attention"),
        "{}",
        mine[0].0
    );
    assert!(mine[0].1.contains("Last date to give notice") && mine[0].1.contains("(in 10 days)"));
    assert!(mine[0].1.contains("Permits issued within a day"));
    assert!(mine[0].1.contains(&format!("{url}/contracts/{cid}")));
    let theirs = mail(them).await;
    assert_eq!(theirs.len(), 1);
    assert!(theirs[0].1.contains("Fix the renewal emails"));
    // The notice date 10 days away got the 30-day reminder; the 90-day one is not sent later.
    let thresholds: Vec<(i64,)> = app
        .db
        .fetch_all(
            "SELECT threshold_days FROM contract_reminders WHERE kind = 'notice' ORDER BY threshold_days",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(thresholds, vec![(30,), (90,)]);

    // The next day: nothing new.
    let again = procurekit::contracts::reminders::run(&app.db, days_from_today(1), url)
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(mail(me).await.len(), 1);
    // A week later the notice date is 3 days away: the 7-day reminder, once.
    assert_eq!(
        procurekit::contracts::reminders::run(&app.db, days_from_today(7), url)
            .await
            .unwrap(),
        1
    );
    let mine = mail(me).await;
    assert_eq!(mine.len(), 2);
    assert!(mine[1].1.contains("(in 3 days)") && !mine[1].1.contains("Permits issued"));
    assert_eq!(
        procurekit::contracts::reminders::run(&app.db, days_from_today(8), url)
            .await
            .unwrap(),
        0
    );

    // A moved date is a new date: it is reminded again.
    let edit = contract_form("Parking permits system", "£400,000")
        .set("owner", me)
        .date("notice", days_from_today(60))
        .date("end", days_from_today(200));
    assert_eq!(
        post(&app, &client, &format!("/contracts/{cid}/edit"), &edit)
            .await
            .status(),
        303
    );
    assert_eq!(
        procurekit::contracts::reminders::run(&app.db, today(), url)
            .await
            .unwrap(),
        1
    );
    assert!(mail(me).await[2].1.contains("(in 60 days)"));

    // The daily job runs it, once a day across instances.
    let notifications = count(&app, "notifications").await;
    let state = app.job_state();
    procurekit::jobs::tick(&state).await.unwrap();
    procurekit::jobs::tick(&state).await.unwrap();
    assert_eq!(
        count(&app, "notifications").await,
        notifications,
        "nothing left to remind"
    );
    let ran: i64 = app
        .db
        .scalar(
            "SELECT last_run_at FROM job_runs WHERE name = 'contract_reminders'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(ran > 0, "the daily job is registered and claimed");
}

async fn every_contract_form_explains_bad_input_and_saves_nothing(app: TestApp) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let cid = create_contract(
        &app,
        &client,
        &contract_form("Library management system", "£600,000"),
    )
    .await;
    let kid = add_kpi(&app, &client, cid, "Loans processed", "99", "%", "higher").await;
    measure(&app, &client, cid, kid, month_end(1), "99.5").await;
    let rid = add_review(&app, &client, cid).await;
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/extensions/new"),
        &F::default()
            .set("months", "6")
            .date("decide_by", days_from_today(100)),
    )
    .await;
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/risks/new"),
        &F::default()
            .set("description", "Key person leaves")
            .set("rag", "amber"),
    )
    .await;
    post(
        &app,
        &client,
        &format!("/contracts/{cid}/actions/new"),
        &F::default()
            .set("description", "Agree exit plan")
            .date("due", days_from_today(30)),
    )
    .await;
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/performance"),
        &F::default()
            .date("period_start", days_from_today(-30))
            .date("period_end", days_from_today(-1))
            .set(&format!("rating-{kid}"), "good"),
    )
    .await;
    let aid = id_in(&location(&r));
    let eid: i64 = app
        .db
        .scalar("SELECT id FROM contract_extensions", vec![])
        .await
        .unwrap()
        .unwrap();
    let risk: i64 = app
        .db
        .scalar("SELECT id FROM contract_risks", vec![])
        .await
        .unwrap()
        .unwrap();
    let action: i64 = app
        .db
        .scalar("SELECT id FROM contract_actions", vec![])
        .await
        .unwrap()
        .unwrap();

    let good = contract_form("A contract", "£100,000");
    let new = "/contracts/new".to_owned();
    let edit = format!("/contracts/{cid}/edit");
    let c = |p: &str| format!("/contracts/{cid}{p}");
    let cases: Vec<(String, F, &str, &str)> = vec![
        (
            new.clone(),
            good.clone().set("title", ""),
            "Enter a title",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("title", "x".repeat(201)),
            "A title must be 200 characters or fewer",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("supplier", ""),
            "Enter the supplier",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("company_number", "n/a"),
            "is not a Companies House number",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("value", ""),
            "whole-life value, including VAT",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("value", "about a million"),
            "The value must be an amount in pounds",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("start-day", "31").set("start-month", "2"),
            "The start date must be a real date",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().date("end", days_from_today(-60)),
            "The end date must be after the start date",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().date("notice", days_from_today(5000)),
            "must be on or before the end date",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("owner", "999999"),
            "Choose someone from your organisation",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("kpi_duty", "maybe"),
            "Choose whether the Procurement Act 2023 duties on KPIs apply",
            "contracts",
        ),
        (
            new.clone(),
            good.clone().set("visibility", "public"),
            "Contracts can be shared with London authorities, not published",
            "contracts",
        ),
        (
            edit.clone(),
            good.clone().set("end-year", "20"),
            "must include a 4-digit year",
            "contract_activity",
        ),
        (
            c("/extensions/new"),
            F::default()
                .set("months", "0")
                .date("decide_by", days_from_today(5)),
            "whole number of months from 1 to 120",
            "contract_extensions",
        ),
        (
            c("/extensions/new"),
            F::default()
                .set("months", "12")
                .date("decide_by", days_from_today(9000)),
            "on or before the contract",
            "contract_extensions",
        ),
        (
            c("/kpis/new"),
            F::default()
                .set("name", "Speed")
                .set("definition", "d")
                .set("unit", "%")
                .set("direction", "higher")
                .set("frequency", "monthly"),
            "Enter the target, as a number",
            "contract_kpis",
        ),
        (
            c("/kpis/new"),
            F::default()
                .set("name", "Speed")
                .set("definition", "d")
                .set("unit", "%")
                .set("target", "ninety")
                .set("direction", "higher")
                .set("frequency", "monthly"),
            "The target is not a number",
            "contract_kpis",
        ),
        (
            c("/kpis/new"),
            F::default()
                .set("name", "Speed")
                .set("definition", "d")
                .set("unit", "%")
                .set("target", "90")
                .set("approaching", "95")
                .set("direction", "higher")
                .set("frequency", "monthly"),
            "must be below the target, because higher is better",
            "contract_kpis",
        ),
        (
            c("/kpis/new"),
            F::default()
                .set("name", "Speed")
                .set("definition", "d")
                .set("unit", "%")
                .set("target", "90")
                .set("frequency", "monthly"),
            "Choose whether higher or lower is better",
            "contract_kpis",
        ),
        (
            c(&format!("/kpis/{kid}/measurements")),
            F::default()
                .date("period_end", days_from_today(40))
                .set("value", "90"),
            "The period must have ended",
            "kpi_measurements",
        ),
        (
            c(&format!("/kpis/{kid}/measurements")),
            F::default()
                .date("period_end", month_end(2))
                .set("value", "lots"),
            "The measurement is not a number",
            "kpi_measurements",
        ),
        (
            c(&format!("/kpis/{kid}/measurements")),
            F::default()
                .date("period_end", month_end(1))
                .set("value", "98"),
            "There is already a measurement for the period ending",
            "kpi_measurements",
        ),
        (
            c("/reviews/new"),
            F::default()
                .date("held_on", days_from_today(3))
                .set("minutes", "m"),
            "The meeting must have happened",
            "contract_reviews",
        ),
        (
            c("/reviews/new"),
            F::default().date("held_on", today()),
            "Enter the minutes",
            "contract_reviews",
        ),
        (
            c("/actions/new"),
            F::default().set("kind", "action").date("due", today()),
            "Enter what needs doing",
            "contract_actions",
        ),
        (
            c("/actions/new"),
            F::default().set("kind", "action").set("description", "x"),
            "Enter the due date",
            "contract_actions",
        ),
        (
            c("/actions/new"),
            F::default()
                .set("kind", "action")
                .set("description", "x")
                .set("owner", "abc")
                .date("due", today()),
            "Choose someone from your organisation",
            "contract_actions",
        ),
        (
            c("/actions/new"),
            F::default()
                .set("kind", "improvement")
                .set("description", "x")
                .date("due", today()),
            "Enter the benefit expected",
            "contract_actions",
        ),
        (
            c(&format!("/actions/{action}")),
            F::default().set("status", "finished"),
            "Choose a status",
            "contract_activity",
        ),
        (
            c("/risks/new"),
            F::default().set("description", "A risk"),
            "Choose a rating: red, amber or green",
            "contract_risks",
        ),
        (
            c(&format!("/risks/{risk}")),
            F::default().set("rag", "purple").set("status", "open"),
            "Choose a rating: red, amber or green",
            "contract_activity",
        ),
        (
            c(&format!("/extensions/{eid}")),
            F::default().set("decision", "perhaps"),
            "Choose whether to use the extension or not",
            "contract_activity",
        ),
        (
            c("/performance"),
            F::default()
                .date("period_start", days_from_today(-10))
                .date("period_end", days_from_today(-1)),
            "Choose a rating for",
            "performance_assessments",
        ),
        (
            c("/performance"),
            F::default()
                .date("period_start", days_from_today(-10))
                .date("period_end", days_from_today(-20))
                .set(&format!("rating-{kid}"), "good"),
            "The end of the period must be on or after its start",
            "performance_assessments",
        ),
        (
            c(&format!("/performance/{aid}/publish")),
            F::default().date("published_on", days_from_today(2)),
            "the date cannot be in the future",
            "contract_activity",
        ),
        (
            c(&format!("/performance/{aid}/publish")),
            F::default().date("published_on", days_from_today(-5)),
            "once the period it assesses has ended",
            "contract_activity",
        ),
        (
            c(&format!("/reviews/{rid}/rating")),
            F::default(),
            "Choose a score for delivery",
            "supplier_ratings",
        ),
        (
            c(&format!("/reviews/{rid}/rating")),
            F::default()
                .set("delivery", "none")
                .set("responsiveness", "none")
                .set("data_access", "none")
                .set("price_transparency", "none")
                .set("continuous_improvement", "none"),
            "Score at least one aspect",
            "supplier_ratings",
        ),
        (
            c(&format!("/reviews/{rid}/rating")),
            F::default()
                .set("delivery", "7")
                .set("responsiveness", "none")
                .set("data_access", "none")
                .set("price_transparency", "none")
                .set("continuous_improvement", "none"),
            "Choose a score from 1 to 5 for delivery",
            "supplier_ratings",
        ),
    ];
    for (action, fields, message, table) in cases {
        let before = count(&app, table).await;
        let r = post(&app, &client, &action, &fields).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 422, "{action} should refuse: {message}");
        assert!(
            body.contains(message),
            "{action}: expected “{message}” in the page"
        );
        assert!(
            body.contains("There is a problem"),
            "{action}: error summary"
        );
        assert!(
            body.contains("<title>Error: "),
            "{action}: the title says there is an error"
        );
        assert_eq!(
            count(&app, table).await,
            before,
            "{action}: nothing saved in {table}"
        );
    }
    // What was typed is kept.
    let r = post(
        &app,
        &client,
        "/contracts/new",
        &good.clone().set("value", "about a million"),
    )
    .await;
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"about a million\"") && body.contains("value=\"A contract\""));
    // The dashboard's window.
    let (status, body) = app.get(&client, "/contracts?within=0").await;
    assert_eq!(status, 422);
    assert!(body.contains("whole number from 1 to 730"));
    // Nothing was published and the extension is still open.
    let status: String = app
        .db
        .scalar("SELECT status FROM performance_assessments", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, "draft");
    let ext: String = app
        .db
        .scalar("SELECT status FROM contract_extensions", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ext, "available");
}

async fn uploads_that_are_too_large_or_of_the_wrong_type_are_refused_and_nothing_is_saved(
    app: TestApp,
) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let cid = create_contract(
        &app,
        &client,
        &contract_form("Waste collection routing", "£300,000"),
    )
    .await;
    let token = app
        .csrf(&client, &format!("/contracts/{cid}/documents/new"))
        .await;
    let upload = |title: &str, name: &str, bytes: Vec<u8>, with_token: bool| {
        let mut form = reqwest::multipart::Form::new();
        if with_token {
            form = form.text("csrf_token", token.clone());
        }
        form = form
            .text("title", title.to_owned())
            .text("kind", "file")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        client
            .post(app.url(&format!("/contracts/{cid}/documents/new")))
            .multipart(form)
            .send()
    };
    let limit = procurekit::contracts::documents::MAX_BYTES;
    let mut too_big = b"%PDF-1.7\n".to_vec();
    too_big.resize(limit + 1, b'a');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("big.pdf", too_big, "The file must be smaller than 5 MB"),
        (
            "setup.exe",
            b"MZ\x90\x00\x03".to_vec(),
            "The file must be one of these types: PDF",
        ),
        (
            "fake.pdf",
            b"MZ\x90\x00\x03".to_vec(),
            "does not look like a PDF file",
        ),
        ("empty.pdf", Vec::new(), "Choose a file to upload"),
    ];
    for (name, bytes, message) in cases {
        let r = upload("Signed contract", name, bytes, true).await.unwrap();
        assert_eq!(r.status(), 422, "{name}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{name}: {message}");
        assert!(body.contains("Nothing was saved"), "{name}");
        assert!(
            body.contains("value=\"Signed contract\""),
            "{name}: the title is kept"
        );
        assert_eq!(count(&app, "contract_documents").await, 0, "{name}");
    }
    // Far over the limit: read to the end and thrown away, with the same message, and the
    // connection still works afterwards.
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(3 * limit, b'a');
    let r = upload("Huge", "huge.pdf", huge, true).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The file must be smaller than 5 MB")
    );
    assert_eq!(count(&app, "contract_documents").await, 0);
    // Without the form's token, nothing is read into the contract.
    let r = upload(
        "Signed contract",
        "signed.pdf",
        b"%PDF-1.7 ok".to_vec(),
        false,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(count(&app, "contract_documents").await, 0);

    // A good file is kept as it was sent, and served as the type it was checked to be.
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    let r = upload("Signed contract", "Signed contract.pdf", pdf.clone(), true)
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let did: i64 = app
        .db
        .scalar("SELECT id FROM contract_documents", vec![])
        .await
        .unwrap()
        .unwrap();
    let r = client
        .get(app.url(&format!("/contracts/{cid}/documents/{did}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Signed contract.pdf\"")
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    // A link instead of a file; a link must be a web address.
    let link = |url: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token.clone())
            .text("title", "Schedule 2: service levels")
            .text("kind", "link")
            .text("url", url.to_owned());
        client
            .post(app.url(&format!("/contracts/{cid}/documents/new")))
            .multipart(form)
            .send()
    };
    let r = link("javascript:alert(1)").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Enter a web address starting with https://")
    );
    assert_eq!(count(&app, "contract_documents").await, 1);
    let r = link("https://camden.sharepoint.example/contracts/schedule-2.docx")
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&client, &format!("/contracts/{cid}")).await;
    assert!(page.contains("href=\"https://camden.sharepoint.example/contracts/schedule-2.docx\""));
    assert!(page.contains("Signed contract.pdf"));
    // Removing one.
    let r = post(
        &app,
        &client,
        &format!("/contracts/{cid}/documents/{did}/delete"),
        &F::default(),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(count(&app, "contract_documents").await, 1);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    Owner,
    OtherBoroughOfficer,
    OtherBoroughCommercialLead,
    ConvenorAdmin,
    Supplier,
}

impl Who {
    const ALL: [Who; 6] = [
        Who::Anonymous,
        Who::Owner,
        Who::OtherBoroughOfficer,
        Who::OtherBoroughCommercialLead,
        Who::ConvenorAdmin,
        Who::Supplier,
    ];

    /// The rule, written out independently of the code: contracts are never public.
    fn may_see(self, shared_with_london: bool) -> bool {
        match self {
            Who::Owner => true,
            Who::OtherBoroughOfficer | Who::OtherBoroughCommercialLead | Who::ConvenorAdmin => {
                shared_with_london
            }
            Who::Anonymous | Who::Supplier => false,
        }
    }
}

async fn another_boroughs_contract_is_invisible_when_private_and_read_only_when_shared(
    app: TestApp,
) {
    app.supplier_org("test-supplier").await;
    let owner = app.user("camden", Role::Officer).await;
    let owner_client = app.signed_in(&owner).await;
    let mut records = Vec::new();
    for visibility in ["private", "london"] {
        let title = format!("Camden {visibility} contract");
        let cid = create_contract(
            &app,
            &owner_client,
            &contract_form(&title, "£6m").set("visibility", visibility),
        )
        .await;
        let kid = add_kpi(&app, &owner_client, cid, "A KPI", "90", "%", "higher").await;
        measure(&app, &owner_client, cid, kid, month_end(1), "95").await;
        let rid = add_review(&app, &owner_client, cid).await;
        let r = post(
            &app,
            &owner_client,
            &format!("/contracts/{cid}/performance"),
            &F::default()
                .date("period_start", days_from_today(-20))
                .date("period_end", days_from_today(-1))
                .set(&format!("rating-{kid}"), "good"),
        )
        .await;
        let aid = id_in(&location(&r));
        let token = app
            .csrf(&owner_client, &format!("/contracts/{cid}/documents/new"))
            .await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text("title", "Signed contract")
            .text("kind", "file")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec()).file_name("c.pdf"),
            );
        owner_client
            .post(app.url(&format!("/contracts/{cid}/documents/new")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let did: i64 = app
            .db
            .scalar(
                "SELECT id FROM contract_documents WHERE contract_id = $1",
                args![cid],
            )
            .await
            .unwrap()
            .unwrap();
        records.push((cid, kid, rid, aid, did, visibility == "london", title));
    }
    let rows_before: Vec<i64> = {
        let mut v = Vec::new();
        for t in [
            "contracts",
            "contract_kpis",
            "kpi_measurements",
            "contract_reviews",
            "contract_actions",
            "contract_risks",
            "contract_extensions",
            "performance_assessments",
            "supplier_ratings",
            "contract_documents",
        ] {
            v.push(count(&app, t).await);
        }
        v
    };

    for who in Who::ALL {
        let client = match who {
            Who::Anonymous => app.client(),
            Who::Owner => app.signed_in(&owner).await,
            Who::OtherBoroughOfficer => {
                app.signed_in(&app.user("hackney", Role::Officer).await)
                    .await
            }
            Who::OtherBoroughCommercialLead => {
                app.signed_in(&app.user("lambeth", Role::CommercialLead).await)
                    .await
            }
            Who::ConvenorAdmin => {
                app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                    .await
            }
            Who::Supplier => {
                app.signed_in(&app.user("test-supplier", Role::SupplierUser).await)
                    .await
            }
        };
        let (_, shared) = app.get(&client, "/contracts/shared").await;
        let (_, dashboard) = app.get(&client, "/contracts").await;
        for (cid, kid, rid, aid, did, london, title) in &records {
            let expect = who.may_see(*london);
            let ctx = format!("{who:?} × {}", if *london { "london" } else { "private" });
            // Reading: 200 or 404, never 403 (which would confirm the contract exists).
            for path in [
                format!("/contracts/{cid}"),
                format!("/contracts/{cid}/kpis/{kid}"),
                format!("/contracts/{cid}/reviews/{rid}"),
                format!("/contracts/{cid}/performance"),
                format!("/contracts/{cid}/performance/{aid}"),
                format!("/contracts/{cid}/performance/{aid}/notice.json"),
                format!("/contracts/{cid}/documents/{did}"),
                format!("/api/v1/contracts/{cid}"),
                format!("/api/v1/contracts/{cid}/kpis/{kid}/measurements"),
                format!("/api/v1/contracts/{cid}/performance-notices/{aid}"),
            ] {
                let status = client
                    .get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(status, if expect { 200 } else { 404 }, "{ctx}: GET {path}");
            }
            let listed = if who == Who::Owner {
                dashboard.contains(title.as_str())
            } else {
                shared.contains(title.as_str())
            };
            assert_eq!(listed, expect, "{ctx}: listed");
            if expect && who != Who::Owner {
                let (_, page) = app.get(&client, &format!("/contracts/{cid}")).await;
                assert!(
                    page.contains("only London Borough of Camden can change it")
                        || page.contains("only Camden can change it"),
                    "{ctx}: read-only"
                );
                assert!(
                    !page.contains(&format!("/contracts/{cid}/edit")),
                    "{ctx}: no edit link"
                );
                assert!(!page.contains("Add a KPI"), "{ctx}: no forms");
            }
            // Changing: only the owner's organisation; everyone else changes nothing.
            for action in [
                format!("/contracts/{cid}/edit"),
                format!("/contracts/{cid}/kpis/new"),
                format!("/contracts/{cid}/kpis/{kid}/edit"),
                format!("/contracts/{cid}/kpis/{kid}/measurements"),
                format!("/contracts/{cid}/reviews/new"),
                format!("/contracts/{cid}/reviews/{rid}/rating"),
                format!("/contracts/{cid}/actions/new"),
                format!("/contracts/{cid}/risks/new"),
                format!("/contracts/{cid}/extensions/new"),
                format!("/contracts/{cid}/performance"),
                format!("/contracts/{cid}/performance/{aid}/publish"),
                format!("/contracts/{cid}/documents/{did}/delete"),
            ] {
                if who == Who::Owner && action.ends_with("/delete") {
                    continue; // the owner's delete is tested with uploads
                }
                let page = if who == Who::Anonymous {
                    "/sign-in"
                } else {
                    "/"
                };
                let r = app.post_form(&client, page, &action, &[]).await;
                let expected = match who {
                    Who::Anonymous => 303,
                    Who::Supplier => 403,
                    Who::Owner => 422,
                    _ if expect => 403,
                    _ => 404,
                };
                assert_eq!(r.status().as_u16(), expected, "{ctx}: POST {action}");
            }
        }
        // The API's list is the caller's own organisation's contracts.
        let (status, list) = json(&client, app.url("/api/v1/contracts")).await;
        match who {
            Who::Owner => assert_eq!(list.as_array().unwrap().len(), 2),
            Who::Anonymous => assert_eq!(status, 401),
            Who::Supplier => assert_eq!(status, 403),
            _ => assert_eq!(list.as_array().unwrap().len(), 0, "{who:?}"),
        }
    }
    let mut rows_after = Vec::new();
    for t in [
        "contracts",
        "contract_kpis",
        "kpi_measurements",
        "contract_reviews",
        "contract_actions",
        "contract_risks",
        "contract_extensions",
        "performance_assessments",
        "supplier_ratings",
        "contract_documents",
    ] {
        rows_after.push(count(&app, t).await);
    }
    assert_eq!(rows_before, rows_after, "nobody changed anything");
}

async fn ratings_aggregate_across_boroughs_and_never_show_the_supplier_who_rated(app: TestApp) {
    // The supplier's own organisation, linked to its register entry.
    accounts::ensure_organisation(
        &app.db,
        &accounts::NewOrganisation {
            kind: procurekit::accounts::OrgKind::Supplier,
            name: "Riverside Repairs Software Ltd",
            short_name: "Riverside",
            slug: "riverside",
            gss_code: None,
            company_number: Some("09876543"),
        },
    )
    .await
    .unwrap();
    app.supplier_org("test-supplier").await;
    let camden = app.user("camden", Role::Officer).await;
    let hackney = app.user("hackney", Role::Officer).await;
    let camden_client = app.signed_in(&camden).await;
    let hackney_client = app.signed_in(&hackney).await;
    let c1 = create_contract(
        &app,
        &camden_client,
        &contract_form("Camden repairs", "£1m"),
    )
    .await;
    let c2 = create_contract(
        &app,
        &hackney_client,
        &contract_form("Hackney repairs", "£2m").set("visibility", "london"),
    )
    .await;
    let sid: i64 = app
        .db
        .scalar("SELECT supplier_id FROM contracts WHERE id = $1", args![c1])
        .await
        .unwrap()
        .unwrap();
    let sid2: i64 = app
        .db
        .scalar("SELECT supplier_id FROM contracts WHERE id = $1", args![c2])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sid, sid2, "one supplier in the shared register");
    app.db
        .execute(
            "UPDATE suppliers SET org_id = (SELECT id FROM organisations WHERE slug = 'riverside') WHERE id = $1",
            args![sid],
        )
        .await
        .unwrap();
    let rate =
        |client: reqwest::Client, cid: i64, scores: [&'static str; 5], note: &'static str| {
            let app = &app;
            async move {
                let rid = add_review(app, &client, cid).await;
                let f = F::default()
                    .set("delivery", scores[0])
                    .set("responsiveness", scores[1])
                    .set("data_access", scores[2])
                    .set("price_transparency", scores[3])
                    .set("continuous_improvement", scores[4])
                    .set("note", note);
                let r = post(
                    app,
                    &client,
                    &format!("/contracts/{cid}/reviews/{rid}/rating"),
                    &f,
                )
                .await;
                assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
                rid
            }
        };
    let supplier = app.user("riverside", Role::SupplierUser).await;
    let supplier_client = app.signed_in(&supplier).await;
    let profile = format!("/contracts/suppliers/{sid}");
    let api = format!("/api/v1/contracts/suppliers/{sid}/ratings");

    let first_review = rate(
        camden_client.clone(),
        c1,
        ["4", "2", "none", "3", "5"],
        "Note A: bulk extracts were slow to arrive",
    )
    .await;
    // One borough only: the supplier would know who it was, so it sees nothing yet.
    let (status, page) = app.get(&supplier_client, &profile).await;
    assert_eq!(status, 200);
    assert!(page.contains("once at least 2 London authorities have rated you"));
    assert!(!page.contains("Note A"));
    let (_, j) = json(&supplier_client, app.url(&api)).await;
    assert_eq!(j["view"], "supplier");
    assert!(j["aggregate"].is_null() && j["notes"].as_array().unwrap().is_empty());

    rate(
        hackney_client.clone(),
        c2,
        ["2", "2", "1", "3", "4"],
        "Note B: a responsive team",
    )
    .await;
    // Rating twice after one review is refused.
    let r = post(
        &app,
        &camden_client,
        &format!("/contracts/{c1}/reviews/{first_review}/rating"),
        &F::default()
            .set("delivery", "1")
            .set("responsiveness", "1")
            .set("data_access", "1")
            .set("price_transparency", "1")
            .set("continuous_improvement", "1"),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already been rated after this review meeting")
    );

    let camden_name = "London Borough of Camden";
    let hackney_name = "London Borough of Hackney";
    let rater_names = [
        accounts::user_by_email(&app.db, &camden)
            .await
            .unwrap()
            .unwrap()
            .name,
        accounts::user_by_email(&app.db, &hackney)
            .await
            .unwrap()
            .unwrap()
            .name,
    ];

    // The supplier: aggregate and notes, no borough, no person, no date.
    let (_, page) = app.get(&supplier_client, &profile).await;
    assert!(
        page.contains("2 ratings from 2 London authorities"),
        "{page}"
    );
    assert!(
        page.contains("Note A: bulk extracts were slow to arrive")
            && page.contains("Note B: a responsive team")
    );
    let (_, j) = json(&supplier_client, app.url(&api)).await;
    let text = j.to_string();
    for secret in [
        camden_name,
        hackney_name,
        "Camden",
        "Hackney",
        &rater_names[0],
        &rater_names[1],
        &camden,
        &hackney,
    ] {
        assert!(!page.contains(secret), "supplier page leaks {secret}");
        assert!(!text.contains(secret), "supplier API leaks {secret}");
    }
    for key in [
        "org_name",
        "org_id",
        "rated_by",
        "rated_at",
        "created_at",
        "contract_id",
        "review_id",
    ] {
        assert!(
            !text.contains(&format!("\"{key}\"")),
            "supplier API has {key}"
        );
    }
    let delivery = &j["aggregate"]["aspects"][0];
    assert_eq!(delivery["count"], 2);
    assert_eq!(delivery["mean"], 3.0);
    assert_eq!(
        (delivery["min"].as_i64(), delivery["max"].as_i64()),
        (Some(2), Some(4))
    );
    assert_eq!(delivery["distribution"], serde_json::json!([0, 1, 0, 1, 0]));
    assert_eq!(
        j["aggregate"]["aspects"][2]["count"], 1,
        "“could not judge” is not a score"
    );

    // London authorities: every rating with its borough, never the person.
    for (who, client) in [
        ("camden", camden_client.clone()),
        (
            "lambeth",
            app.signed_in(&app.user("lambeth", Role::Officer).await)
                .await,
        ),
        (
            "convenor",
            app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                .await,
        ),
    ] {
        let (status, page) = app.get(&client, &profile).await;
        assert_eq!(status, 200, "{who}");
        assert!(
            page.contains(camden_name) && page.contains(hackney_name),
            "{who} sees the boroughs"
        );
        assert!(page.contains("Note A") && page.contains("Note B"));
        let table = section(&page, "ratings", "</table>");
        assert!(table.contains(camden_name), "{who}: {table}");
        assert!(
            !table.contains(&rater_names[0]) && !table.contains(&rater_names[1]),
            "{who}: no person"
        );
        let (_, j) = json(&client, app.url(&api)).await;
        assert_eq!(j["view"], "london");
        assert_eq!(j["ratings"].as_array().unwrap().len(), 2);
        let (_, list) = app.get(&client, "/contracts/suppliers").await;
        assert!(list.contains(&profile), "{who}: listed");
    }
    // Another supplier, and someone signed out, see nothing.
    let other = app
        .signed_in(&app.user("test-supplier", Role::SupplierUser).await)
        .await;
    assert_eq!(app.get(&other, &profile).await.0, 404);
    assert_eq!(json(&other, app.url(&api)).await.0, 404);
    assert_eq!(app.get(&app.client(), &profile).await.0, 303);
    assert_eq!(json(&app.client(), app.url(&api)).await.0, 401);
    let (_, own) = app.get(&supplier_client, "/contracts").await;
    assert!(
        own.is_empty(),
        "suppliers are sent on from the contracts dashboard"
    );
    let (_, own) = app.get(&supplier_client, "/contracts/insight").await;
    assert!(own.contains(&profile));

    // Each contract counts once, with its latest rating.
    rate(
        camden_client.clone(),
        c1,
        ["5", "3", "none", "3", "5"],
        "Note C: much better this quarter",
    )
    .await;
    let (_, j) = json(&supplier_client, app.url(&api)).await;
    assert_eq!(j["aggregate"]["ratings"], 2);
    assert_eq!(j["aggregate"]["aspects"][0]["mean"], 3.5);
    let notes = j["notes"].to_string();
    assert!(notes.contains("Note C") && !notes.contains("Note A"));
}

async fn kpi_measurements_can_be_sent_through_the_api_with_a_token(app: TestApp) {
    let officer = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let cid = create_contract(
        &app,
        &client,
        &contract_form("Street lighting management", "£700,000"),
    )
    .await;
    let kid = add_kpi(
        &app,
        &client,
        cid,
        "Lights repaired in 5 days",
        "95",
        "%",
        "higher",
    )
    .await;
    let me = user_id(&app, &officer).await;
    let token = accounts::create_api_token(&app.db, me, "BI feed")
        .await
        .unwrap();
    let url = app.url(&format!("/api/v1/contracts/{cid}/kpis/{kid}/measurements"));
    let http = reqwest::Client::new();
    let send = |body: Value, token: Option<&str>| {
        let mut r = http.post(&url).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let r = send(serde_json::json!({"period_end": month_end(1).to_string(), "value": 93.5, "note": "From the BI feed"}), Some(&token)).await.unwrap();
    assert_eq!(r.status(), 201);
    for (body, message) in [
        (
            serde_json::json!({"period_end": "31/01/2026", "value": 90}),
            "is not a date",
        ),
        (
            serde_json::json!({"period_end": month_end(2).to_string(), "value": "lots"}),
            "value must be a number",
        ),
        (
            serde_json::json!({"period_end": month_end(1).to_string(), "value": 90}),
            "already a measurement",
        ),
        (
            serde_json::json!({"period_end": days_from_today(30).to_string(), "value": 90}),
            "in the future",
        ),
    ] {
        let r = send(body, Some(&token)).await.unwrap();
        assert_eq!(r.status(), 400, "{message}");
        assert!(r.text().await.unwrap().contains(message), "{message}");
    }
    // A session is not enough to write, and another borough's token cannot.
    let r = client
        .post(&url)
        .json(&serde_json::json!({"period_end": month_end(2).to_string(), "value": 90}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let other = app.user("hackney", Role::Officer).await;
    let other_token = accounts::create_api_token(&app.db, user_id(&app, &other).await, "x")
        .await
        .unwrap();
    let r = send(
        serde_json::json!({"period_end": month_end(2).to_string(), "value": 90}),
        Some(&other_token),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(count(&app, "kpi_measurements").await, 1);
    let (_, list) = json(&client, url.clone()).await;
    assert_eq!(list[0]["value"], 93.5);
    assert_eq!(list[0]["note"], "From the BI feed");
    // The API is described.
    let (_, doc) = json(&client, app.url("/api/v1/openapi.json")).await;
    for path in [
        "/api/v1/contracts",
        "/api/v1/contracts/attention",
        "/api/v1/contracts/{id}/kpis/{kpi}/measurements",
        "/api/v1/contracts/{id}/performance-notices/{assessment}",
        "/api/v1/contracts/suppliers/{id}/ratings",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}

async fn a_row_of_the_estate_register_becomes_a_contract_of_its_own_borough_only(app: TestApp) {
    use procurekit::estate::store::{self as estate, Writer};
    let camden_org = accounts::find_organisation(&app.db, "camden")
        .await
        .unwrap()
        .unwrap()
        .id;
    let rec = procurekit::estate::SystemRecord {
        service_area: "Revenues and benefits".into(),
        system_name: "Revenues and Benefits suite".into(),
        supplier_name: "Riverside Repairs Software Ltd".into(),
        company_number: Some(procurekit::suppliers::CompanyNumber::parse("09876543").unwrap()),
        manufacturer: None,
        contract_reference: Some("CAM-ICT-0042".into()),
        contract_start: Some(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap()),
        contract_end: Some(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()),
        annual_value: Some(procurekit::money::Pence(120_000 * 100)),
        hosting: None,
        satisfaction: None,
        notes: String::new(),
        visibility: procurekit::visibility::Visibility::London,
    };
    let w = Writer {
        org_id: camden_org,
        user_id: None,
        source: procurekit::estate::Source::Form,
        import_id: None,
    };
    let eid = estate::create(&app.db, &w, &rec).await.unwrap();
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (_, system) = app.get(&camden, &format!("/estate/systems/{eid}")).await;
    assert!(system.contains(&format!("/contracts/new?estate={eid}")));
    // The form comes filled in from the register: supplier, reference, dates, and three
    // years of the annual value.
    let (status, form) = app
        .get(&camden, &format!("/contracts/new?estate={eid}"))
        .await;
    assert_eq!(status, 200);
    for expected in [
        "Riverside Repairs Software Ltd",
        "CAM-ICT-0042",
        "£360,000",
        "name=\"estate_id\"",
    ] {
        assert!(form.contains(expected), "{expected} in the form");
    }
    // Another borough can read the shared record but cannot make it its contract, by link or
    // by a forged hidden field.
    let hackney = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    assert_eq!(
        app.get(&hackney, &format!("/estate/systems/{eid}")).await.0,
        200
    );
    assert_eq!(
        app.get(&hackney, &format!("/contracts/new?estate={eid}"))
            .await
            .0,
        404
    );
    let forged = contract_form("Not ours", "£1").set("estate_id", eid);
    let r = post(&app, &hackney, "/contracts/new", &forged).await;
    assert_eq!(r.status(), 404);
    assert_eq!(count(&app, "contracts").await, 0);

    let f = contract_form("Revenues and Benefits suite", "£360,000").set("estate_id", eid);
    let cid = create_contract(&app, &camden, &f).await;
    let (kind, source): (String, i64) = app
        .db
        .fetch_one(
            "SELECT source_kind, source_id FROM contracts WHERE id = $1",
            args![cid],
        )
        .await
        .unwrap();
    assert_eq!((kind.as_str(), source), ("estate_record", eid));
    // One contract per register row: asking again leads to it.
    let r = camden
        .get(app.url(&format!("/contracts/new?estate={eid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), format!("/contracts/{cid}?done=exists"));
    let r = post(&app, &camden, "/contracts/new", &f).await;
    assert_eq!(location(&r), format!("/contracts/{cid}?done=exists"));
    assert_eq!(count(&app, "contracts").await, 1);
}

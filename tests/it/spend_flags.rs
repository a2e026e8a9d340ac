//! Spend red flags: payments planted in a small file, imported with the real importer, must
//! be flagged (or, for the near misses, must not), on the page, in CSV and in JSON; and the
//! thresholds form is for platform admins only.

use procurekit::accounts::Role;
use procurekit::spend::import::{ImportOptions, import};
use procurekit::spend::source::{Progress, inputs_from_bytes};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    planted_patterns_are_flagged_with_their_evidence_and_near_misses_are_not,
    only_platform_admins_change_the_thresholds,
    flags_asked_for_at_once_are_worked_out_once,
    the_background_job_keeps_londons_flags_worked_out,
    a_page_shows_earlier_flags_or_says_they_are_coming_rather_than_hang,
    databases_seeded_before_2026_move_to_the_2026_thresholds,
    only_the_largest_flags_are_listed_and_turned_down_groups_do_not_hide_others,
);

/// Each group of lines is one planted pattern or near miss; see the assertions below.
const PLANTED: &str =
    "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-05-01,T10,4800.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-06-10,T11,4900.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-07-15,T12,4750.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-01-05,B1,4800.00,Brightwater Consulting Ltd,Consultancy
London Borough of Hackney,2024-05-05,B2,4850.00,Brightwater Consulting Ltd,Consultancy
London Borough of Hackney,2024-09-05,B3,4900.00,Brightwater Consulting Ltd,Consultancy
London Borough of Hackney,2025-01-05,B4,4950.00,Brightwater Consulting Ltd,Consultancy
London Borough of Hackney,2024-06-03,T20,3000.00,Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-06-03,T21,2500.00,Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-06-10,T22,3000.00,Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-06-10,T23,1000.00,Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-07-01,T30,1234.56,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-01,T31,1234.56,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-08,T32,1234.56,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-15,T40,800.00,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-15,T40,800.00,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-20,,45.00,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-20,,45.00,Northgate Office Supplies Ltd,Stationery
London Borough of Hackney,2024-07-01,,700.00,REDACTED PERSONAL DATA,Client payments
London Borough of Hackney,2024-07-01,,700.00,REDACTED PERSONAL DATA,Client payments
London Borough of Hackney,2023-06-01,S1,180000.00,Sparkle Cleaning Services Ltd,Cleaning
London Borough of Hackney,2023-06-01,T51,20000.00,Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-08-01,S2,100000.00,Sparkle Cleaning Services Ltd,Cleaning
London Borough of Hackney,2024-08-01,T53,84500.00,Acme Cleaning Limited,Cleaning
";

/// Imports one CSV file through the real importer; returns how many payments it added.
async fn import_csv(app: &TestApp, name: &str, csv: &[u8]) -> u64 {
    let input = inputs_from_bytes(name, csv.to_vec())
        .expect("input")
        .remove(0);
    let r = import(
        &app.db,
        &input,
        &ImportOptions::default(),
        Progress::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{name} imports: {e}"));
    r.rows_imported
}

async fn plant(app: &TestApp) {
    assert_eq!(
        import_csv(app, "hackney-planted.csv", PLANTED.as_bytes()).await,
        24
    );
}

async fn json(app: &TestApp, client: &reqwest::Client, path: &str) -> Value {
    let resp = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.unwrap()
}

fn of_kind<'a>(v: &'a Value, kind: &str) -> Vec<&'a Value> {
    v["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

fn refs(f: &Value) -> Vec<&str> {
    f["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["transaction_ref"].as_str().unwrap_or(""))
        .collect()
}

async fn planted_patterns_are_flagged_with_their_evidence_and_near_misses_are_not(app: TestApp) {
    plant(&app).await;
    let client = app.client();
    let v = json(&app, &client, "/api/v1/spend/flags").await;

    // Three payments just under £5,000 within 75 days. Brightwater's four, spread over a
    // year, are not a pattern.
    let near = of_kind(&v, "just_under");
    assert_eq!(near.len(), 1, "{v:#}");
    assert_eq!(near[0]["supplier"], "Thamesgate Systems Ltd");
    assert_eq!(near[0]["threshold"]["amount_pence"], 500_000);
    assert_eq!(refs(near[0]), ["T10", "T11", "T12"]);
    assert_eq!(near[0]["total_pence"], 1_445_000);
    let why = near[0]["why"].as_str().unwrap();
    assert!(
        why.starts_with("3 payments between 1 May 2024 and 15 July 2024"),
        "{why}"
    );

    // £3,000 + £2,500 on one day; a week later £3,000 + £1,000 stays under £5,000.
    let split = of_kind(&v, "split");
    assert_eq!(split.len(), 1, "{v:#}");
    assert_eq!(split[0]["supplier"], "Acme Cleaning Limited");
    assert_eq!(refs(split[0]), ["T20", "T21"]);
    assert_eq!(split[0]["total_pence"], 550_000);

    // The same £1,234.56 twice on 1 July under two references. Not: the same amount a week
    // later, two lines of one transaction (T40), small card-style sums, redacted payees.
    let dup = of_kind(&v, "duplicate");
    assert_eq!(dup.len(), 1, "{v:#}");
    assert_eq!(dup[0]["supplier"], "Northgate Office Supplies Ltd");
    assert_eq!(refs(dup[0]), ["T30", "T31"]);
    assert_eq!(dup[0]["payments"][0]["paid_on"], "2024-07-01");
    assert_eq!(dup[0]["payments"][0]["body"], "London Borough of Hackney");
    assert_eq!(dup[0]["payments"][0]["file_name"], "hackney-planted.csv");

    // Acme's share of cleaning went from 10% (2023/24) to 48.5% (2024/25): £94,000 of £194,000.
    let jump = of_kind(&v, "share_jump");
    assert_eq!(jump.len(), 1, "{v:#}");
    assert_eq!(jump[0]["supplier"], "Acme Cleaning Limited");
    assert_eq!(jump[0]["category_code"], "facilities");
    assert_eq!(jump[0]["shares"][0]["share_bp"], 1_000);
    assert_eq!(jump[0]["shares"][1]["share_bp"], 4_845);
    assert_eq!(jump[0]["shares"][1]["financial_year"], 2024);

    let text = v.to_string();
    assert!(
        !text.contains("Brightwater"),
        "spread-out payments are not flagged"
    );
    assert!(
        !text.to_lowercase().contains("redacted"),
        "redacted payees are never named"
    );
    assert_eq!(v["thresholds"].as_array().unwrap().len(), 6);

    // The same flags for the body, and for every body.
    let body = json(&app, &client, "/api/v1/spend/flags?body=hackney").await;
    assert_eq!(body["flags"].as_array().unwrap().len(), 4);
    let all = json(&app, &client, "/api/v1/spend/flags?scope=all").await;
    assert_eq!(all["flags"].as_array().unwrap().len(), 4);
    let r = client
        .get(app.url("/api/v1/spend/flags?body=nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The page, signed out: spend is open data.
    let (status, html) = app.get(&client, "/spend/flags").await;
    assert_eq!(status, 200);
    for needle in [
        "Red flags in London spend",
        "Thamesgate Systems Ltd",
        "Northgate Office Supplies Ltd",
        "Payments behind flag 1",
        "Shares behind flag 4",
        "<svg",
        "table below",
        "£5,000 quotation threshold",
    ] {
        assert!(html.contains(needle), "{needle} on the page");
    }
    assert!(!html.contains("Brightwater"));
    assert!(!html.contains("Add threshold"), "the form is for admins");
    let (status, html) = app.get(&client, "/spend/flags?body=hackney").await;
    assert_eq!(status, 200);
    assert!(html.contains("Red flags: London Borough of Hackney"));
    let (status, _) = app.get(&client, "/spend/flags?body=nowhere").await;
    assert_eq!(status, 404);

    // Every table downloads as CSV.
    let resp = client
        .get(app.url("/spend/flags?scope=london&csv=evidence"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.text().await.unwrap();
    assert!(
        csv.starts_with(
            "Flag,Kind,Date,Body,Supplier,Amount,Transaction reference,Published file and line"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("3,duplicate,2024-07-01,London Borough of Hackney,Northgate Office Supplies Ltd,1234.56,T30,\"hackney-planted.csv, line 13\""),
        "{csv}"
    );
    let (_, one) = app
        .get(&client, "/spend/flags?scope=london&csv=evidence&flag=2")
        .await;
    assert_eq!(
        one.lines().count(),
        3,
        "a header and flag 2's two payments: {one}"
    );
    let (_, list) = app.get(&client, "/spend/flags?csv=flags").await;
    assert!(
        list.contains("just_under") && list.contains("share_jump"),
        "{list}"
    );
    let (_, shares) = app.get(&client, "/spend/flags?csv=shares").await;
    assert!(
        shares.contains("2024/25,94000.00,194000.00,48.45"),
        "{shares}"
    );
    for id in ["summary", "thresholds"] {
        let (status, _) = app.get(&client, &format!("/spend/flags?csv={id}")).await;
        assert_eq!(status, 200, "{id}");
    }

    // The body's page links to its flags, and counts them once they are worked out (the
    // flags page works them out; the body page alone starts it in the background).
    let (_, html) = app.get(&client, "/spend/bodies/hackney").await;
    assert!(html.contains("/spend/flags?body=hackney"));
    let (status, _) = app.get(&client, "/spend/flags?body=hackney").await;
    assert_eq!(status, 200);
    let (_, html) = app.get(&client, "/spend/bodies/hackney").await;
    assert!(html.contains("Red flags") && html.contains("/spend/flags?body=hackney"));
    let (_, csv) = app.get(&client, "/spend/bodies/hackney?csv=flags").await;
    assert!(csv.contains("Possible duplicate payments,1"), "{csv}");
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.db
        .scalar::<i64>(
            format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"),
            vec![],
        )
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn flag_count(app: &TestApp, kind: &str) -> usize {
    let v = json(app, &app.client(), "/api/v1/spend/flags").await;
    of_kind(&v, kind).len()
}

async fn only_platform_admins_change_the_thresholds(app: TestApp) {
    plant(&app).await;
    let officer = app
        .signed_in(&app.user("hackney", Role::Officer).await)
        .await;
    let r = app
        .post_form(
            &officer,
            "/spend/flags",
            "/spend/flags/thresholds",
            &[("amount", "£10,000"), ("label", "Three quotes")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .post_form(
            &officer,
            "/spend/flags",
            "/spend/flags/thresholds/remove",
            &[("amount_pence", "500000")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);

    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    let (_, html) = app.get(&admin, "/spend/flags").await;
    assert!(html.contains("Add threshold"));
    // A forged token is refused.
    let r = admin
        .post(app.url("/spend/flags/thresholds"))
        .form(&[
            ("csrf_token", "forged"),
            ("amount", "£10,000"),
            ("label", "Three quotes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let v = json(&app, &admin, "/api/v1/spend/flags").await;
    assert_eq!(v["thresholds"].as_array().unwrap().len(), 6);

    let r = app
        .post_form(
            &admin,
            "/spend/flags",
            "/spend/flags/thresholds",
            &[("amount", "£10,000"), ("label", "Three quotes")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let v = json(&app, &admin, "/api/v1/spend/flags").await;
    assert!(
        v["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["amount_pence"] == 1_000_000 && t["label"] == "Three quotes")
    );
    assert_eq!(audit_count(&app, "spend_threshold_added").await, 1);
    // Nonsense is refused with a message saying what to enter.
    let r = app
        .post_form(
            &admin,
            "/spend/flags",
            "/spend/flags/thresholds",
            &[("amount", "lots"), ("label", "x")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("govuk-error-summary"), "{html}");
    assert!(html.contains(
        "<a href=\"#amount\">Enter the threshold as an amount in pounds, for example £5,000.</a>"
    ));
    assert!(
        html.contains("id=\"amount-error\""),
        "the message is beside the field"
    );
    assert!(html.contains("value=\"lots\""), "what was typed is kept");
    // A description that is too long is the description's mistake.
    let long = "x".repeat(101);
    let r = app
        .post_form(
            &admin,
            "/spend/flags",
            "/spend/flags/thresholds",
            &[("amount", "12000"), ("label", long.as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"label-error\""), "{html}");
    assert!(html.contains("value=\"12000\""));

    // Without the £5,000 threshold there is nothing to be just under.
    assert_eq!(flag_count(&app, "just_under").await, 1);
    let r = app
        .post_form(
            &admin,
            "/spend/flags",
            "/spend/flags/thresholds/remove",
            &[("amount_pence", "500000")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(flag_count(&app, "just_under").await, 0);
    assert_eq!(flag_count(&app, "split").await, 0);
    assert_eq!(audit_count(&app, "spend_threshold_removed").await, 1);
}

/// Flags take seconds on millions of payments. Pages asking for the same flags while they are
/// being worked out must wait for that one piece of work, not start their own.
async fn flags_asked_for_at_once_are_worked_out_once(app: TestApp) {
    use procurekit::spend::flags::{self, Cache, Filter};
    use procurekit::spend::store::Scope;
    let at_once = |n: usize, db: procurekit::db::Db, cache: Cache, filter: Filter| async move {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (db, cache, filter) = (db.clone(), cache.clone(), filter.clone());
                tokio::spawn(async move { flags::find_cached(&db, &cache, &filter).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    };
    plant(&app).await;
    let cache = Cache::default();
    let hackney = Filter {
        scope: Scope::All,
        body: Some("hackney".into()),
    };
    // The body page's way: start in the background, several times over.
    for _ in 0..3 {
        flags::cached_or_start(&app.db, &cache, &hackney)
            .await
            .unwrap();
    }
    // The flags page's way, five at once.
    let all = at_once(5, app.db.clone(), cache.clone(), hackney.clone()).await;
    let first = all[0].as_ref().unwrap().flags.len();
    assert!(first > 0);
    assert!(all.iter().all(|f| f.as_ref().unwrap().flags.len() == first));
    assert_eq!(cache.times_worked_out(), 1);
    // A new import makes them out of date: worked out once more.
    import_one_more_payment(&app).await;
    let again = at_once(3, app.db.clone(), cache.clone(), hackney.clone()).await;
    assert!(again.iter().all(|f| f.is_ok()));
    assert_eq!(cache.times_worked_out(), 2);
}

/// After an import from the command line no server knows to warm the flags: each instance's
/// background job notices the new data and works London's flags out, once per change.
async fn the_background_job_keeps_londons_flags_worked_out(app: TestApp) {
    plant(&app).await;
    let state = app.job_state();
    let cache = state.config.flags_cache.clone();
    procurekit::jobs::tick(&state).await.unwrap();
    assert_eq!(until_worked_out(&cache, 1).await, 1);
    // Nothing changed: later ticks leave them be.
    procurekit::jobs::tick(&state).await.unwrap();
    procurekit::jobs::tick(&state).await.unwrap();
    let london = procurekit::spend::flags::Filter {
        scope: procurekit::spend::store::Scope::London,
        body: None,
    };
    let flags = procurekit::spend::flags::find_cached(&app.db, &cache, &london)
        .await
        .unwrap();
    assert!(!flags.flags.is_empty());
    assert_eq!(cache.times_worked_out(), 1, "answered from the cache");
}

/// London's flags take minutes on tens of millions of payments. A page waits a little, then
/// shows the flags worked out before the latest change (or says they are on their way) while
/// the work goes on.
async fn a_page_shows_earlier_flags_or_says_they_are_coming_rather_than_hang(app: TestApp) {
    use procurekit::spend::flags::{self, Answer, Cache, Filter};
    plant(&app).await;
    let cache = Cache::default();
    let hackney = Filter {
        scope: procurekit::spend::store::Scope::All,
        body: Some("hackney".into()),
    };
    let no_patience = std::time::Duration::ZERO;
    let answer = flags::within(&app.db, &cache, &hackney, no_patience)
        .await
        .unwrap();
    assert!(
        matches!(answer, Answer::NotYet),
        "nothing worked out before"
    );
    assert_eq!(until_worked_out(&cache, 1).await, 1, "the work went on");
    let Answer::Current(before) = flags::within(&app.db, &cache, &hackney, no_patience)
        .await
        .unwrap()
    else {
        panic!("worked out by now");
    };
    // A new import: the earlier flags are shown until the new ones are ready.
    import_one_more_payment(&app).await;
    match flags::within(&app.db, &cache, &hackney, no_patience)
        .await
        .unwrap()
    {
        Answer::Earlier(f) => assert_eq!(f.flags.len(), before.flags.len()),
        Answer::Current(_) => panic!("cannot be current straight after an import"),
        Answer::NotYet => panic!("the earlier flags should be shown"),
    }
    assert_eq!(until_worked_out(&cache, 2).await, 2);
    let answer = flags::within(&app.db, &cache, &hackney, no_patience)
        .await
        .unwrap();
    assert!(matches!(answer, Answer::Current(_)));
    // With a little patience the page has them at once on a small database.
    let (_, html) = app.get(&app.client(), "/spend/flags?body=hackney").await;
    assert!(!html.contains("flags-progress"), "no notice when current");
    assert!(html.contains("Thamesgate Systems"));
}

/// One more Hackney payment, so that the flags worked out so far are out of date.
async fn import_one_more_payment(app: &TestApp) {
    import_csv(
        app,
        "later.csv",
        b"Body Name,Payment Date,Net Amount,Supplier Name\nLondon Borough of Hackney,2024-08-01,4990.00,Thamesgate Systems Ltd\n",
    )
    .await;
}

/// Waits (up to ten seconds) until flags have been worked out `n` times in all.
async fn until_worked_out(cache: &procurekit::spend::flags::Cache, n: u64) -> u64 {
    for _ in 0..400 {
        if cache.times_worked_out() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    cache.times_worked_out()
}

/// The Procurement Act thresholds fell on 1 January 2026. A database seeded with the 2024–25
/// amounts has them moved by migration 17; one where an admin already added a new amount, or
/// relabelled an old one, keeps what the admin chose.
async fn databases_seeded_before_2026_move_to_the_2026_thresholds(app: TestApp) {
    let amounts = || async {
        app.db
            .fetch_all::<(i64, String)>(
                "SELECT amount_pence, label FROM spend_thresholds ORDER BY amount_pence",
                vec![],
            )
            .await
            .unwrap()
    };
    let now = amounts().await;
    assert!(now.contains(&(
        20_772_000,
        "Procurement Act 2023: goods and services".into()
    )));
    assert!(now.contains(&(519_300_000, "Procurement Act 2023: works".into())));
    assert!(
        !now.iter()
            .any(|(p, _)| *p == 21_490_400 || *p == 537_260_900)
    );

    // As a database seeded before 2026 had them, except that an admin has relabelled the
    // works threshold (so it is theirs now) and already added £207,720 by hand.
    let setup = [
        "DELETE FROM spend_thresholds WHERE amount_pence IN (20772000, 519300000)",
        "INSERT INTO spend_thresholds (amount_pence, label)
         VALUES (21490400, 'Procurement Act 2023: goods and services')",
        "INSERT INTO spend_thresholds (amount_pence, label) VALUES (537260900, 'Works (our rule)')",
        "DELETE FROM schema_migrations WHERE version = 17",
    ];
    for sql in setup {
        app.db.execute(sql, vec![]).await.unwrap();
    }
    assert_eq!(
        app.db.migrate().await.unwrap(),
        vec!["0017_spend_thresholds_2026"]
    );
    let moved = amounts().await;
    assert!(moved.contains(&(
        20_772_000,
        "Procurement Act 2023: goods and services".into()
    )));
    assert!(!moved.iter().any(|(p, _)| *p == 21_490_400));
    assert!(
        moved.contains(&(537_260_900, "Works (our rule)".into())),
        "an admin's own threshold is left alone: {moved:?}"
    );

    // Run again over a database where the new amount already exists: the old row stays
    // rather than the unique amount being broken.
    for sql in [
        "INSERT INTO spend_thresholds (amount_pence, label)
         VALUES (21490400, 'Procurement Act 2023: goods and services')",
        "DELETE FROM schema_migrations WHERE version = 17",
    ] {
        app.db.execute(sql, vec![]).await.unwrap();
    }
    app.db.migrate().await.unwrap();
    let both = amounts().await;
    assert!(both.iter().any(|(p, _)| *p == 21_490_400));
    assert!(both.iter().any(|(p, _)| *p == 20_772_000));
}

/// More splits than a page lists: the largest 500 are listed and the page says some were
/// left out. And 700 same-reference pairs (lines of one transaction, not duplicates), larger
/// than the three real duplicates, fill more than the first batch of groups the database
/// hands over largest first: the real ones must still be found behind them.
async fn only_the_largest_flags_are_listed_and_turned_down_groups_do_not_hide_others(app: TestApp) {
    use chrono::{Days, NaiveDate};
    let start = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
    let day = |i: u64| start.checked_add_days(Days::new(i)).unwrap();
    let mut csv = String::from(
        "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type\n",
    );
    // Two payments on day i to one supplier, each with its reference and amount.
    let mut pair = |i: u64, supplier: &str, payments: [(String, i64); 2]| {
        for (r, pence) in payments {
            csv.push_str(&format!(
                "London Borough of Hackney,{},{r},{}.{:02},{supplier},Software Licences\n",
                day(i),
                pence / 100,
                pence % 100
            ));
        }
    };
    // 620 splits: £3,000 and £2,000 plus i pence on day i, £5,000 + i pence together.
    for i in 0..620u64 {
        let second = 200_000 + i as i64;
        pair(
            i,
            "Splitwise Ltd",
            [(format!("S{i}a"), 300_000), (format!("S{i}b"), second)],
        );
    }
    // 700 pairs of £6,000-odd under one reference: in no threshold's band, never a split.
    for i in 0..700u64 {
        let line = (format!("L{i}"), 600_000 + i as i64);
        pair(i, "Ledger Lines Ltd", [line.clone(), line]);
    }
    // Three real duplicates of £5,500, smaller than every same-reference pair.
    for i in 0..3u64 {
        pair(
            i,
            "Twice Paid Ltd",
            [(format!("D{i}a"), 550_000), (format!("D{i}b"), 550_000)],
        );
    }
    assert_eq!(
        import_csv(&app, "hackney-many.csv", csv.as_bytes()).await,
        2 * (620 + 700 + 3)
    );

    let v = json(&app, &app.client(), "/api/v1/spend/flags?body=hackney").await;
    let split = of_kind(&v, "split");
    assert_eq!(split.len(), 500);
    assert!(
        v["truncated"].as_array().unwrap().contains(&"split".into()),
        "{}",
        v["truncated"]
    );
    let totals: Vec<i64> = split
        .iter()
        .map(|f| f["total_pence"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (120..620).rev().map(|i| 500_000 + i).collect();
    assert_eq!(totals, expected, "the 500 largest, largest first");

    let dup = of_kind(&v, "duplicate");
    assert_eq!(dup.len(), 3, "{:#}", v["truncated"]);
    assert!(dup.iter().all(|f| f["supplier"] == "Twice Paid Ltd"));
    assert!(
        !v["truncated"]
            .as_array()
            .unwrap()
            .contains(&"duplicate".into())
    );
}

//! The spend database: importing councils' real files, and what it says about them.

use std::path::{Path, PathBuf};

use procurekit::spend::import::{ImportError, ImportOptions, Report, import};
use procurekit::spend::layout::{Field, Overrides};
use procurekit::spend::source::{Progress, inputs_from_bytes, inputs_from_path};

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    every_real_spend_file_imports_with_the_figures_computed_independently,
    reimporting_a_file_or_an_overlapping_one_adds_no_duplicates,
    a_dry_run_reports_everything_and_saves_nothing,
    a_file_that_cannot_be_imported_saves_nothing_and_says_why,
    spend_analysis_is_public_with_charts_tables_csv_and_json,
    platform_admins_merge_and_split_suppliers_and_later_imports_follow,
    rollups_flushed_during_an_import_add_up_to_the_payments,
    every_real_spend_file_imports_the_same_with_indexes_set_aside,
    a_large_load_puts_back_every_index_and_drops_nothing_when_it_fails,
);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spend")
}

/// Imports every CSV of a file (a ZIP may hold several) with command-line style options.
async fn import_path(app: &TestApp, path: &Path, opts: &ImportOptions) -> Vec<Report> {
    let mut out = Vec::new();
    for input in inputs_from_path(path).expect("readable fixture") {
        match import(&app.db, &input, opts, Progress::default()).await {
            Ok(r) => out.push(r),
            Err(e) => panic!("{}: {e}", input.name),
        }
    }
    out
}

async fn import_text(
    app: &TestApp,
    name: &str,
    text: &str,
    opts: &ImportOptions,
) -> Result<Report, ImportError> {
    let input = inputs_from_bytes(name, text.as_bytes().to_vec())
        .expect("input")
        .remove(0);
    import(&app.db, &input, opts, Progress::default()).await
}

fn options(args: &[String]) -> ImportOptions {
    let mut o = ImportOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--body" => o.body = it.next().cloned(),
            "--create-body" => o.create_body = true,
            other => panic!("unexpected argument {other}"),
        }
    }
    o
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .scalar::<i64>(sql.to_owned(), vec![])
        .await
        .unwrap()
        .unwrap_or(0)
}

/// The figures in expected.json come from tests/fixtures/spend/expected.py, which reads each
/// file with columns a person chose by hand: see the fixture README.
async fn every_real_spend_file_imports_with_the_figures_computed_independently(app: TestApp) {
    import_every_real_file(&app, None).await;
}

/// A large first load writes its payments with the secondary indexes set aside and rebuilds
/// them at the end (on SQLite). Forced for these small files, it must give the same figures.
async fn every_real_spend_file_imports_the_same_with_indexes_set_aside(app: TestApp) {
    import_every_real_file(&app, Some(true)).await;
}

async fn import_every_real_file(app: &TestApp, rebuild_indexes: Option<bool>) {
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    assert_eq!(expected.len(), 23, "every fixture has expectations");
    for e in &expected {
        let file = e["file"].as_str().unwrap();
        let on_disk = file.split('!').next().unwrap();
        let args: Vec<String> = e["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let opts = ImportOptions {
            rebuild_indexes,
            ..options(&args)
        };
        let reports = import_path(app, &fixtures().join(on_disk), &opts).await;
        assert_eq!(reports.len(), 1, "{file}");
        let got = serde_json::to_value(&reports[0]).unwrap();
        for key in [
            "file",
            "body",
            "kind",
            "rows_imported",
            "rows_skipped",
            "rows_repaired",
            "total_pence",
            "first_date",
            "last_date",
            "distinct_suppliers",
        ] {
            assert_eq!(got[key], e[key], "{file}: {key}");
        }
        assert!(
            got["mapping"]["date"].is_string() || got["kind"] == "supplier_totals",
            "{file}: the mapping is reported"
        );
    }
    // The rollups agree with the payments they summarise.
    let payments = count(
        app,
        "SELECT CAST(SUM(amount_pence) AS BIGINT) FROM spend_payments",
    )
    .await;
    let by_month = count(
        app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_org_month",
    )
    .await;
    let by_category = count(
        app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_org_category",
    )
    .await;
    assert_eq!(payments, by_month);
    assert_eq!(payments, by_category);
    let named = count(
        app,
        "SELECT CAST(SUM(amount_pence) AS BIGINT) FROM spend_payments WHERE supplier_id IS NOT NULL",
    )
    .await;
    let by_supplier = count(
        app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_org_supplier",
    )
    .await;
    let market = count(
        app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_market",
    )
    .await;
    assert_eq!(named, by_supplier);
    assert_eq!(named, market);
    // Redacted payees are spend, never suppliers.
    let redacted_suppliers = count(
        app,
        "SELECT COUNT(*) FROM suppliers WHERE lower(name) LIKE '%redacted%'",
    )
    .await;
    assert_eq!(redacted_suppliers, 0);
}

const SMALL: &str =
    "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-05-01,T1,600.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-05-01,T2,600.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-05-02,T3,\"1,250.50\",Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-05-02,T3,\"1,250.50\",Acme Cleaning Limited,Cleaning
London Borough of Hackney,2024-05-03,T4,(99.00),REDACTED PERSONAL DATA,Client payments
";

async fn reimporting_a_file_or_an_overlapping_one_adds_no_duplicates(app: TestApp) {
    let opts = ImportOptions::default();
    let first = import_text(&app, "hackney-may.csv", SMALL, &opts)
        .await
        .unwrap();
    assert_eq!(first.rows_imported, 5, "identical rows are two payments");
    assert_eq!(first.total_pence, 60000 * 2 + 125050 * 2 - 9900);
    assert_eq!(first.distinct_suppliers, 2);
    assert_eq!(first.redacted_rows, 1);

    let again = import_text(&app, "hackney-may.csv", SMALL, &opts)
        .await
        .unwrap();
    assert_eq!(again.rows_imported, 0);
    assert_eq!(again.rows_skipped["already_imported"], 5);
    assert_eq!(
        again.total_pence, first.total_pence,
        "the report still describes the file"
    );

    // A later file repeats two of May's payments (one of the identical pair) and adds one.
    let overlapping =
        "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-05-02,T3,\"1,250.50\",ACME CLEANING LTD,Cleaning
London Borough of Hackney,2024-05-01,T1,600.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-06-01,T9,700.00,Thamesgate Systems Limited,Software Licences
";
    let r = import_text(&app, "hackney-may-june.csv", overlapping, &opts)
        .await
        .unwrap();
    assert_eq!(r.rows_imported, 1);
    assert_eq!(r.rows_skipped["already_imported"], 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_payments").await, 6);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM suppliers").await,
        2,
        "Thamesgate Systems Ltd and Limited are one supplier"
    );
    let hackney_total = count(
        &app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_org_month m
         JOIN organisations o ON o.id = m.org_id WHERE o.slug = 'hackney'",
    )
    .await;
    assert_eq!(hackney_total, first.total_pence + 70000);
}

async fn a_dry_run_reports_everything_and_saves_nothing(app: TestApp) {
    let opts = ImportOptions {
        dry_run: true,
        body: Some("Bradford".into()),
        ..ImportOptions::default()
    };
    let csv = "Date,Supplier,Amount\n01/02/2024,New Supplier Ltd,100\n13/02/2024,Other Co,200\n";
    let r = import_text(&app, "bradford.csv", csv, &opts).await.unwrap();
    assert!(r.dry_run);
    assert_eq!(r.rows_imported, 2);
    assert_eq!(r.body, "City of Bradford Metropolitan District Council");
    assert_eq!(
        r.date_format.as_deref(),
        Some("day/month/year (17/08/2022)")
    );
    assert_eq!(r.import_id, None);
    for table in [
        "spend_payments",
        "spend_imports",
        "suppliers",
        "spend_r_org_month",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM organisations WHERE name LIKE '%Bradford%'"
        )
        .await,
        0,
        "not even the body is added"
    );
}

async fn a_file_that_cannot_be_imported_saves_nothing_and_says_why(app: TestApp) {
    let plain = ImportOptions::default();
    // Not a spend file at all.
    let e = import_text(&app, "notes.csv", "Name,Colour\nAda,red\nBo,blue\n", &plain)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("could not find the header row"),
        "{e}"
    );
    // No body column, no --body: says how to give it, suggesting one from the file name.
    let e = import_text(
        &app,
        "lambeth_2010-12.csv",
        "Date,Supplier,Amount\n2010-12-01,A Ltd,5\n",
        &plain,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("--body \"Lambeth\""), "{e}");
    // An unknown body is refused with suggestions.
    let opts = ImportOptions {
        body: Some("Lambth".into()),
        ..ImportOptions::default()
    };
    let e = import_text(
        &app,
        "x.csv",
        "Date,Supplier,Amount\n2010-12-01,A Ltd,5\n",
        &opts,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("London Borough of Lambeth"), "{e}");
    assert!(e.to_string().contains("--create-body"), "{e}");
    // Supplier totals with no period anywhere.
    let opts = ImportOptions {
        body: Some("Lambeth".into()),
        ..ImportOptions::default()
    };
    let e = import_text(
        &app,
        "totals.csv",
        "Supplier Name,Total\nA Ltd,\"1,000.00\"\n",
        &opts,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("--period"), "{e}");
    // A mapping that reads most rows wrongly is refused as a whole, listing problems.
    let mut bad = String::from("Date,Supplier,Amount\n");
    for i in 0..40 {
        let amount = if i < 30 { "n/a" } else { "5.00" };
        bad.push_str(&format!("2024-01-{:02},S{i} Ltd,{amount}\n", i % 28 + 1));
    }
    let e = import_text(&app, "bad.csv", &bad, &opts).await.unwrap_err();
    assert!(
        e.to_string().contains("30 of 40 rows could not be read"),
        "{e}"
    );
    // --map naming a column the file does not have lists the columns it does.
    let opts = ImportOptions {
        body: Some("Lambeth".into()),
        overrides: Overrides {
            map: vec![(Field::Date, Some("Paid On".into()))],
            date_format: None,
        },
        ..ImportOptions::default()
    };
    let e = import_text(
        &app,
        "x.csv",
        "Date,Supplier,Amount\n2010-12-01,A Ltd,5\n",
        &opts,
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("\"Date\", \"Supplier\", \"Amount\""),
        "{e}"
    );
    // An Excel file is recognised as one.
    let e = inputs_from_bytes("spend.xls", vec![0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3]).err();
    assert!(e.is_some_and(|e| e.to_string().contains("Save it as CSV")));
    for table in [
        "spend_payments",
        "spend_imports",
        "suppliers",
        "spend_labels",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}: nothing half-written"
        );
    }
}

fn procurekit(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procurekit"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("PROCUREKIT_LOG", "error")
        .output()
        .expect("run procurekit");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_spend_on_the_command_line_reports_json_and_takes_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").display().to_string();
    let file = dir.path().join("camden.csv");
    // Two date columns: the importer prefers the payment date; --map says otherwise.
    std::fs::write(
        &file,
        "Invoice Date,Paid Date,Vendor,Value\n01/03/2024,15/03/2024,Acme Ltd,\"£1,000.00\"\n02/03/2024,20/03/2024,Beta plc,250\n",
    )
    .unwrap();
    let f = file.display().to_string();
    let (ok, out, err) = procurekit(
        &db,
        &[
            "import",
            "spend",
            &f,
            "--body",
            "E09000007",
            "--json",
            "--dry-run",
        ],
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v[0]["mapping"]["date"], "Paid Date");
    assert_eq!(v[0]["first_date"], "2024-03-15");
    assert_eq!(v[0]["body"], "London Borough of Camden");
    assert_eq!(v[0]["total_pence"], 125000);
    assert_eq!(v[0]["dry_run"], true);

    let (ok, out, err) = procurekit(
        &db,
        &[
            "import",
            "spend",
            &f,
            "--body",
            "camden",
            "--json",
            "--map",
            "date=Invoice Date",
        ],
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["first_date"], "2024-03-01");
    assert_eq!(v[0]["mapped_by"]["date"], "user");
    assert_eq!(v[0]["rows_imported"], 2);

    // Human-readable by default; a failure names the file, says nothing was saved, and the
    // exit status says it failed.
    let (ok, out, _) = procurekit(
        &db,
        &[
            "import",
            "spend",
            &f,
            "--body",
            "camden",
            "--map",
            "date=Invoice Date",
        ],
    );
    assert!(ok);
    assert!(out.contains("2 already imported"), "{out}");
    let (ok, _, err) = procurekit(&db, &["import", "spend", &f, "--body", "Nowhere Council"]);
    assert!(!ok);
    assert!(
        err.contains("no public body matches") && err.contains("Nothing from this file was saved"),
        "{err}"
    );
    let (ok, _, err) = procurekit(&db, &["import", "spend", &f, "--map", "when=Paid"]);
    assert!(!ok);
    assert!(err.contains("unknown field"), "{err}");
}

/// Precision and recall of the fuzzy supplier matcher on pairs of real payee names labelled
/// from the published company and VAT numbers and a person's judgement
/// (tests/fixtures/spend/supplier_pairs.py). The figures are reported in docs/spend.md.
#[test]
fn fuzzy_supplier_matching_is_measured_on_real_labelled_pairs() {
    use procurekit::suppliers::fuzzy::{SUGGEST_AT, score};
    let text = std::fs::read_to_string(fixtures().join("supplier_pairs.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        let same = &r[2] == "yes";
        let m = score(&r[0], &r[1]);
        assert!(!m.reason.is_empty());
        match (m.score >= SUGGEST_AT, same) {
            (true, true) => tp += 1,
            (true, false) => {
                eprintln!("false match: {:?} / {:?}: {}", &r[0], &r[1], m.reason);
                fp += 1
            }
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    eprintln!(
        "fuzzy matching at {SUGGEST_AT}: precision {precision:.2}, recall {recall:.2} \
         (tp {tp}, fp {fp}, fn {fn_}, tn {tn})"
    );
    assert!(precision >= 0.75, "precision {precision:.2}");
    assert!(recall >= 0.6, "recall {recall:.2}");
}

async fn spend_analysis_is_public_with_charts_tables_csv_and_json(app: TestApp) {
    import_text(&app, "hackney-may.csv", SMALL, &ImportOptions::default())
        .await
        .unwrap();
    let client = app.client();
    // Signed out: spend is published open data.
    let (status, html) = app.get(&client, "/spend").await;
    assert_eq!(status, 200);
    assert!(html.contains("London Borough of Hackney") && html.contains("Thamesgate Systems Ltd"));
    assert!(
        html.contains("<svg") && html.contains("table below"),
        "a chart with its table"
    );
    assert!(html.contains("<caption"), "tables have captions");
    let (status, html) = app.get(&client, "/spend/bodies/hackney").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Software and licences"),
        "categorised from the expense type"
    );
    assert!(
        html.contains("hackney-may.csv"),
        "the file the figures come from"
    );
    let (status, html) = app
        .get(&client, "/spend/categories/ict-software?scope=london")
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("10000") || html.contains("10,000"),
        "one supplier: HHI 10,000"
    );
    assert!(html.contains("highly concentrated"));
    // Every table downloads as CSV with the same figures.
    let resp = client
        .get(app.url("/spend/bodies/hackney?csv=suppliers"))
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
        csv.starts_with("Supplier,Company number,Spend,Payments,Bodies"),
        "{csv}"
    );
    assert!(csv.contains("Acme Cleaning Limited,,2501.00,2,1"), "{csv}");
    // And JSON, described in the OpenAPI document.
    let v: serde_json::Value = client
        .get(app.url("/api/v1/spend/categories?scope=london"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let software = v
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "ict-software")
        .expect("software market");
    assert_eq!(software["hhi"], 10000);
    assert_eq!(software["band"], "highly_concentrated");
    assert_eq!(software["cr4_bp"], 10000);
    let (_, doc) = app.get(&client, "/api/v1/openapi.json").await;
    assert!(doc.contains("/api/v1/spend/categories/{code}"));
    let (status, _) = app.get(&client, "/spend/bodies/no-such-body").await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&client, "/spend/suppliers/999999").await;
    assert_eq!(status, 404);
}

async fn supplier_id(app: &TestApp, name: &str) -> i64 {
    app.db
        .scalar::<i64>(
            "SELECT COALESCE(merged_into, id) FROM suppliers WHERE name = $1",
            procurekit::args![name],
        )
        .await
        .unwrap()
        .unwrap()
}

async fn platform_admins_merge_and_split_suppliers_and_later_imports_follow(app: TestApp) {
    let opts = ImportOptions::default();
    let may = "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-05-01,T1,600.00,Thamesgate Systems Ltd,Software Licences
London Borough of Hackney,2024-05-02,T2,400.00,TGS Digital,Software Licences
";
    import_text(&app, "may.csv", may, &opts).await.unwrap();
    let keep = supplier_id(&app, "Thamesgate Systems Ltd").await;
    let absorb = supplier_id(&app, "TGS Digital").await;
    assert_ne!(keep, absorb);

    // An officer cannot change the shared register.
    let officer = app
        .signed_in(
            &app.user("hackney", procurekit::accounts::Role::Officer)
                .await,
        )
        .await;
    let page = format!("/spend/suppliers/{keep}");
    let r = app
        .post_form(
            &officer,
            &page,
            &format!("{page}/merge"),
            &[("other", &absorb.to_string())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let (_, html) = app.get(&officer, &page).await;
    assert!(!html.contains("Merge into this supplier"));

    let admin = app
        .signed_in(
            &app.user("london-convenor", procurekit::accounts::Role::PlatformAdmin)
                .await,
        )
        .await;
    let (_, html) = app.get(&admin, &page).await;
    assert!(html.contains("Spellings matched to this supplier"));
    let r = app
        .post_form(
            &admin,
            &page,
            &format!("{page}/merge"),
            &[("other", &absorb.to_string())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(supplier_id(&app, "TGS Digital").await, keep);
    let total = count(
        &app,
        &format!("SELECT total_pence FROM spend_r_org_supplier WHERE supplier_id = {keep}"),
    )
    .await;
    assert_eq!(total, 100000, "the rollups follow the merge");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM spend_r_org_supplier WHERE supplier_id = {absorb}")
        )
        .await,
        0
    );

    // The next file's "TGS Digital" is Thamesgate: the importer remembers the decision.
    let june = "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-06-02,T3,450.00,TGS DIGITAL,Software Licences
";
    let r = import_text(&app, "june.csv", june, &opts).await.unwrap();
    assert_eq!(r.new_suppliers, 0);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM spend_payments WHERE supplier_id = {keep}")
        )
        .await,
        3
    );

    // Split the spelling off again: it becomes its own supplier, with its payments.
    let r = app
        .post_form(
            &admin,
            &page,
            &format!("{page}/split"),
            &[("alias", "tgs digital")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let new_id: i64 = crate::helpers::location(&r)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(new_id, keep);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM spend_payments WHERE supplier_id = {new_id}")
        )
        .await,
        2
    );
    let total = count(
        &app,
        &format!("SELECT total_pence FROM spend_r_org_supplier WHERE supplier_id = {keep}"),
    )
    .await;
    assert_eq!(total, 60000);
    let decisions = count(&app, "SELECT COUNT(*) FROM supplier_decisions").await;
    assert_eq!(decisions, 2, "who decided what is kept");
}

/// A long import flushes its in-memory sums to the rollup tables whenever they hold too many
/// keys (bounding its memory). Flushing after every few keys must give the same figures as
/// summing the stored payments.
async fn rollups_flushed_during_an_import_add_up_to_the_payments(app: TestApp) {
    let opts = ImportOptions {
        flush_at_keys: 50,
        ..ImportOptions::default()
    };
    let reports = import_path(
        &app,
        &fixtures().join("lambeth_2012-06_invoices_over_500.csv"),
        &opts,
    )
    .await;
    assert!(
        reports[0].rows_imported > 1000,
        "a file long enough to flush many times"
    );
    type Sums = Vec<(i64, i64, i64, i64)>;
    let q = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            db.fetch_all::<(i64, i64, i64, i64)>(sql, vec![])
                .await
                .unwrap()
        }
    };
    let by_supplier: Sums = q(
        "SELECT org_id, supplier_id, CAST(SUM(amount_pence) AS BIGINT), COUNT(*)
         FROM spend_payments WHERE supplier_id IS NOT NULL
         GROUP BY org_id, supplier_id ORDER BY org_id, supplier_id",
    )
    .await;
    let rollup: Sums = q(
        "SELECT org_id, supplier_id, total_pence, CAST(payments AS BIGINT)
         FROM spend_r_org_supplier ORDER BY org_id, supplier_id",
    )
    .await;
    assert!(by_supplier.len() > 50);
    assert_eq!(rollup, by_supplier);
    let by_category: Sums = q(
        "SELECT org_id, category_id, CAST(SUM(amount_pence) AS BIGINT), COUNT(*)
         FROM spend_payments GROUP BY org_id, category_id ORDER BY org_id, category_id",
    )
    .await;
    let rollup: Sums = q(
        "SELECT org_id, category_id, total_pence, CAST(payments AS BIGINT)
         FROM spend_r_org_category ORDER BY org_id, category_id",
    )
    .await;
    assert_eq!(rollup, by_category);
    // Concentration was refreshed for every category, including those flushed early.
    let stats = count(
        &app,
        "SELECT COUNT(*) FROM spend_category_stats WHERE scope = 'all'",
    )
    .await;
    let markets = count(
        &app,
        "SELECT COUNT(DISTINCT category_id) FROM spend_r_market",
    )
    .await;
    assert_eq!(stats, markets);
}

/// The definitions of the indexes a large load sets aside, as the database holds them.
async fn index_definitions(app: &TestApp) -> Vec<(String, String)> {
    let sql = match app.db.backend() {
        procurekit::db::Backend::Sqlite => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             AND tbl_name IN ('spend_payments', 'spend_r_org_supplier', 'spend_r_market')
             ORDER BY name"
        }
        procurekit::db::Backend::Postgres => {
            "SELECT indexname, indexdef FROM pg_indexes
             WHERE tablename IN ('spend_payments', 'spend_r_org_supplier', 'spend_r_market')
             ORDER BY indexname"
        }
    };
    app.db.fetch_all(sql, vec![]).await.unwrap()
}

/// After a load with its indexes set aside, every index is back exactly as the migrations
/// made it, and a later ordinary import finds the payments already there. A load that fails
/// part-way rolls back the setting aside with everything else.
async fn a_large_load_puts_back_every_index_and_drops_nothing_when_it_fails(app: TestApp) {
    let before = index_definitions(&app).await;
    assert!(
        before.iter().any(|(n, _)| n == "spend_payments_supplier"),
        "{before:?}"
    );
    let bulk = ImportOptions {
        rebuild_indexes: Some(true),
        ..ImportOptions::default()
    };
    let file = fixtures().join("lambeth_2012-06_invoices_over_500.csv");
    let first = import_path(&app, &file, &bulk).await;
    assert!(first[0].rows_imported > 1000);
    assert_eq!(index_definitions(&app).await, before);
    let again = import_path(&app, &file, &ImportOptions::default()).await;
    assert_eq!(again[0].rows_imported, 0);
    assert_eq!(
        again[0].rows_skipped["already_imported"],
        first[0].rows_imported
    );
    // The sums match the payments, as with indexes kept.
    let payments = count(
        &app,
        "SELECT CAST(SUM(amount_pence) AS BIGINT) FROM spend_payments WHERE supplier_id IS NOT NULL",
    )
    .await;
    let by_supplier = count(
        &app,
        "SELECT CAST(SUM(total_pence) AS BIGINT) FROM spend_r_org_supplier",
    )
    .await;
    assert_eq!(payments, by_supplier);

    // Most rows unreadable: refused after the payments were written, so everything rolls back.
    let stored = count(&app, "SELECT COUNT(*) FROM spend_payments").await;
    let mut bad = String::from("Date,Supplier,Amount\n");
    for i in 0..4000 {
        let amount = if i % 4 == 0 { "5.00" } else { "n/a" };
        bad.push_str(&format!(
            "2011-01-{:02},Supplier {i} Ltd,{amount}\n",
            i % 28 + 1
        ));
    }
    let opts = ImportOptions {
        body: Some("Lambeth".into()),
        ..bulk
    };
    let e = import_text(&app, "broken.csv", &bad, &opts)
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::TooManyBroken { .. }), "{e}");
    assert_eq!(index_definitions(&app).await, before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM spend_payments").await,
        stored
    );
}

//! Spend through the web: officers upload their own files (preview, corrections, import), and
//! anyone compares chosen bodies side by side.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use procurekit::accounts::Role;
use procurekit::money::Pence;
use procurekit::spend::import::{ImportOptions, import};
use procurekit::spend::source::{Progress, inputs_from_bytes, inputs_from_path};

use crate::helpers::{TestApp, csrf_from, location};
use crate::on_both_databases;

on_both_databases!(
    a_borough_officer_uploads_checks_corrects_and_imports_a_spend_file,
    uploads_are_refused_to_the_wrong_people_bodies_forms_and_files,
    bodies_compared_side_by_side_match_sums_over_the_payments,
);

const LAMBETH: &str = "lambeth_2012-06_invoices_over_500.csv";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spend")
        .join(name)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .scalar::<i64>(sql.to_owned(), vec![])
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Posts the upload form (with the page's CSRF token unless `csrf` says otherwise).
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    csrf: Option<&str>,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = match csrf {
        Some(t) => t.to_owned(),
        None => app.csrf(client, "/spend/upload").await,
    };
    let mut form = reqwest::multipart::Form::new().text("csrf_token", token);
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("text/csv")
            .unwrap(),
    );
    client
        .post(app.url("/spend/upload"))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// Uploads a file and returns its preview address.
async fn upload_ok(app: &TestApp, client: &reqwest::Client, name: &str, bytes: Vec<u8>) -> String {
    let r = upload(app, client, name, bytes, None, &[]).await;
    assert_eq!(r.status().as_u16(), 303, "{name} is accepted for preview");
    let to = location(&r);
    assert!(to.starts_with("/spend/upload/"), "{to}");
    to
}

/// The text of the element marked `data-figure="key"`.
fn figure(html: &str, key: &str) -> String {
    let mark = format!("data-figure=\"{key}\">");
    let at = html
        .find(&mark)
        .unwrap_or_else(|| panic!("no figure {key} in the page"));
    let rest = &html[at + mark.len()..];
    rest[..rest.find('<').unwrap()].trim().to_owned()
}

fn skipped(html: &str, label: &str) -> u64 {
    let mark = format!("data-skipped=\"{label}\">");
    match html.find(&mark) {
        Some(at) => {
            let rest = &html[at + mark.len()..];
            rest[..rest.find('<').unwrap()].parse().unwrap()
        }
        None => 0,
    }
}

/// The Import form's fields, as the browser would send them.
fn import_fields(html: &str) -> Vec<(String, String)> {
    let at = html
        .find("<form method=\"post\" action=\"/spend/upload/")
        .expect("an Import form");
    let form = &html[at..at + html[at..].find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i + "<input type=\"hidden\" name=\"".len()..];
        let name = &rest[..rest.find('"').unwrap()];
        let v = &rest[rest.find("value=\"").unwrap() + 7..];
        let value = &v[..v.find('"').unwrap()];
        out.push((
            name.to_owned(),
            value.replace("&#x27;", "'").replace("&amp;", "&"),
        ));
    }
    out
}

async fn commit(
    app: &TestApp,
    client: &reqwest::Client,
    preview: &str,
    fields: &[(String, String)],
) -> (u16, String) {
    let r = client
        .post(app.url(preview))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_borough_officer_uploads_checks_corrects_and_imports_a_spend_file(app: TestApp) {
    let officer = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    let (status, form) = app.get(&officer, "/spend/upload").await;
    assert_eq!(status, 200);
    assert!(form.contains("up to 50 MB"), "the form states the limit");
    assert!(form.contains("London Borough of Lambeth"));
    let (_, spend) = app.get(&officer, "/spend/bodies/lambeth").await;
    assert!(
        spend.contains("href=\"/spend/upload\""),
        "linked from the body page"
    );

    // What the command line reports for the same file (a dry run of the same engine).
    let bytes = std::fs::read(fixture(LAMBETH)).unwrap();
    let cli = {
        let input = inputs_from_path(&fixture(LAMBETH)).unwrap().remove(0);
        let opts = ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        };
        import(&app.db, &input, &opts, Progress::default())
            .await
            .unwrap()
    };
    assert_eq!(cli.rows_imported, 3154, "as expected.json says");

    let preview = upload_ok(&app, &officer, LAMBETH, bytes.clone()).await;
    let (status, page) = app.get(&officer, &preview).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        figure(&page, "rows_imported"),
        cli.rows_imported.to_string()
    );
    assert_eq!(
        figure(&page, "total"),
        Pence(cli.total_pence).display_exact()
    );
    assert_eq!(
        figure(&page, "suppliers"),
        cli.distinct_suppliers.to_string()
    );
    let long = procurekit::web::filters::long_date;
    assert_eq!(
        figure(&page, "dates"),
        format!(
            "{} to {}",
            long(cli.first_date.unwrap()),
            long(cli.last_date.unwrap())
        )
    );
    assert_eq!(
        figure(&page, "date_format"),
        cli.date_format.clone().unwrap()
    );
    assert_eq!(skipped(&page, "Blank rows"), cli.rows_skipped["blank"]);
    assert_eq!(
        skipped(&page, "Totals and footers"),
        cli.rows_skipped["total"]
    );
    assert_eq!(skipped(&page, "Broken rows"), cli.rows_skipped["broken"]);
    let problem = &cli.problems[0];
    assert!(
        page.contains(&format!("Line {}: ", problem.line)),
        "broken rows are listed with their line"
    );
    assert!(page.contains("Supplier Name") && page.contains("By its header"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_payments").await, 0);

    // A correction, with the same meaning as --map expense_type="Department".
    let corrected = format!("{preview}?map_expense_type=Department");
    let (status, page) = app.get(&officer, &corrected).await;
    assert_eq!(status, 200);
    assert!(page.contains("<td class=\"govuk-table__cell\">Expense type</td><td class=\"govuk-table__cell\">Department</td><td class=\"govuk-table__cell\">Chosen by you</td>"), "the mapping shows the person's choice");
    assert!(page.contains("<option value=\"Department\" selected>"));
    let fields = import_fields(&page);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "map_expense_type" && v == "Department")
    );

    // Import.
    let (status, done) = commit(&app, &officer, &preview, &fields).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Spend imported"));
    assert_eq!(figure(&done, "rows_imported"), "3154");
    assert!(done.contains("href=\"/spend/bodies/lambeth\""));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM spend_payments").await,
        3154
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM spend_imports WHERE source = 'web'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM spend_labels WHERE kind = 'expense' AND text = 'Adults'' and Community Services'"
        )
        .await,
        1,
        "the expense type came from the Department column, as chosen"
    );
    let (_, body) = app.get(&officer, "/spend/bodies/lambeth").await;
    assert!(body.contains(LAMBETH), "listed among the body's imports");
    // The upload is gone once imported.
    assert_eq!(app.get(&officer, &preview).await.0, 404);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_uploads").await, 0);

    // Uploading the same file again adds nothing.
    let again = upload_ok(&app, &officer, LAMBETH, bytes).await;
    let (_, page) = app.get(&officer, &again).await;
    assert_eq!(figure(&page, "rows_imported"), "0");
    assert_eq!(skipped(&page, "Already imported"), 3154);
    let (status, _) = commit(&app, &officer, &again, &import_fields(&page)).await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM spend_payments").await,
        3154
    );
}

async fn uploads_are_refused_to_the_wrong_people_bodies_forms_and_files(app: TestApp) {
    let lambeth = std::fs::read(fixture(LAMBETH)).unwrap();

    // Signed out: sign in first.
    let anon = app.client();
    let r = anon.get(app.url("/spend/upload")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).starts_with("/sign-in"), "{}", location(&r));

    // Suppliers may not upload, and are not offered to.
    app.supplier_org("acme-supplies").await;
    let supplier = app
        .signed_in(&app.user("acme-supplies", Role::SupplierUser).await)
        .await;
    assert_eq!(app.get(&supplier, "/spend/upload").await.0, 403);
    let (_, overview) = app.get(&supplier, "/spend").await;
    assert!(!overview.contains("href=\"/spend/upload\""));

    let officer = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;

    // A forged form (wrong token) is refused before anything is kept.
    let r = upload(
        &app,
        &officer,
        LAMBETH,
        lambeth.clone(),
        Some("forged"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_uploads").await, 0);

    // Too large: a clear message, nothing kept.
    let big = vec![b'a'; 50 * 1024 * 1024 + 1];
    let r = upload(&app, &officer, "big.csv", big, None, &[]).await;
    assert_eq!(r.status().as_u16(), 413);
    let text = r.text().await.unwrap();
    assert!(text.contains("larger than 50 MB"), "{text}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_uploads").await, 0);

    // Not a spend file: the importer's reason in plain words, and no Import button.
    let notes = upload_ok(
        &app,
        &officer,
        "notes.csv",
        b"Name,Colour\nAda,red\nBo,blue\n".to_vec(),
    )
    .await;
    let (status, page) = app.get(&officer, &notes).await;
    assert_eq!(status, 422);
    assert!(page.contains("We could not find the header row"), "{page}");
    assert!(!page.contains("<form method=\"post\" action=\"/spend/upload/"));
    let csrf = csrf_from(&page).unwrap();
    let (status, _) = commit(
        &app,
        &officer,
        &notes,
        &[("csrf_token".into(), csrf.clone())],
    )
    .await;
    assert_eq!(status, 422, "importing it anyway is refused");

    // Another body's file: refused, with the body named.
    let calderdale = std::fs::read(fixture("calderdale_2022-08_card.csv")).unwrap();
    let theirs = upload_ok(&app, &officer, "calderdale.csv", calderdale).await;
    let (status, page) = app.get(&officer, &theirs).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("says its spend belongs to") && page.contains("London Borough of Lambeth"),
        "{page}"
    );
    let (status, _) = commit(
        &app,
        &officer,
        &theirs,
        &[("csrf_token".into(), csrf.clone())],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_payments").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_imports").await, 0);

    // Lambeth's pending upload is not another borough's to see or import.
    let mine = upload_ok(&app, &officer, LAMBETH, lambeth.clone()).await;
    let southwark = app
        .signed_in(&app.user("southwark", Role::CommercialLead).await)
        .await;
    assert_eq!(app.get(&southwark, &mine).await.0, 404);
    let their_csrf = app.csrf(&southwark, "/spend/upload").await;
    let (status, _) = commit(
        &app,
        &southwark,
        &mine,
        &[("csrf_token".into(), their_csrf)],
    )
    .await;
    assert_eq!(status, 404);
    // Nor is an import with a forged token accepted from its owner.
    let (status, _) = commit(
        &app,
        &officer,
        &mine,
        &[("csrf_token".into(), "forged".into())],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM spend_payments").await, 0);

    // A platform admin chooses the body.
    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    let r = upload(&app, &admin, LAMBETH, lambeth.clone(), None, &[]).await;
    assert_eq!(r.status().as_u16(), 422, "a body must be chosen");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose the body whose spend this is")
    );
    let r = upload(&app, &admin, LAMBETH, lambeth, None, &[("body", "lambeth")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (status, page) = app.get(&admin, &location(&r)).await;
    assert_eq!(status, 200);
    assert_eq!(figure(&page, "rows_imported"), "3154");
}

/// Hackney shares two of Lambeth's suppliers and has one of its own.
const HACKNEY: &str =
    "Body Name,Payment Date,Transaction Number,Net Amount,Supplier Name,Expense Type
London Borough of Hackney,2024-05-02,T1,1000.00,229 Mitcham Lane Ltd,Residential care
London Borough of Hackney,2024-05-03,T2,250.50,170 Community Project,Grants
London Borough of Hackney,2024-06-01,T3,700.00,Hackney Only Supplies Ltd,Software licences
";

async fn bodies_compared_side_by_side_match_sums_over_the_payments(app: TestApp) {
    let opts = ImportOptions::default();
    for input in inputs_from_path(&fixture(LAMBETH)).unwrap() {
        import(&app.db, &input, &opts, Progress::default())
            .await
            .unwrap();
    }
    let input = inputs_from_bytes("hackney.csv", HACKNEY.as_bytes().to_vec())
        .unwrap()
        .remove(0);
    import(&app.db, &input, &opts, Progress::default())
        .await
        .unwrap();

    // The figures, summed independently from the payments themselves.
    #[derive(sqlx::FromRow)]
    struct Payment {
        slug: String,
        paid_on: chrono::NaiveDate,
        amount_pence: i64,
        supplier_id: Option<i64>,
        category: String,
    }
    let payments: Vec<Payment> = app
        .db
        .fetch_all(
            "SELECT o.slug, p.paid_on, p.amount_pence, p.supplier_id, c.name AS category
             FROM spend_payments p JOIN organisations o ON o.id = p.org_id
             JOIN spend_categories c ON c.id = p.category_id",
            vec![],
        )
        .await
        .unwrap();
    let mut total: HashMap<&str, i64> = HashMap::new();
    let mut n: HashMap<&str, i64> = HashMap::new();
    let mut suppliers: HashMap<&str, BTreeSet<i64>> = HashMap::new();
    let mut months: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut by_category: HashMap<&str, BTreeMap<String, i64>> = HashMap::new();
    let mut by_supplier: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    for p in &payments {
        let s = p.slug.as_str();
        *total.entry(s).or_default() += p.amount_pence;
        *n.entry(s).or_default() += 1;
        months
            .entry(s)
            .or_default()
            .insert(p.paid_on.format("%Y-%m").to_string());
        *by_category
            .entry(s)
            .or_default()
            .entry(p.category.clone())
            .or_default() += p.amount_pence;
        if let Some(id) = p.supplier_id {
            suppliers.entry(s).or_default().insert(id);
            *by_supplier
                .entry(id)
                .or_default()
                .entry(p.slug.clone())
                .or_default() += p.amount_pence;
        }
    }
    assert_eq!(total["hackney"], 195050);

    let client = app.client();
    let r = client
        .get(app.url("/api/v1/spend/compare?body=lambeth&body=hackney"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let c: serde_json::Value = r.json().await.unwrap();
    let bodies = c["bodies"].as_array().unwrap();
    assert_eq!(bodies.len(), 2);
    for (b, slug) in bodies.iter().zip(["lambeth", "hackney"]) {
        assert_eq!(b["slug"], slug, "in the order asked");
        assert_eq!(b["total_pence"], total[slug], "{slug} total");
        assert_eq!(b["payments"], n[slug], "{slug} payments");
        assert_eq!(
            b["suppliers"],
            suppliers[slug].len() as i64,
            "{slug} suppliers"
        );
        assert_eq!(b["first_month"], *months[slug].first().unwrap());
        assert_eq!(b["last_month"], *months[slug].last().unwrap());
        let top = by_category[slug].iter().max_by_key(|(_, v)| **v).unwrap();
        assert_eq!(b["top_category"]["name"], *top.0, "{slug} top category");
        assert_eq!(b["top_category"]["total_pence"], *top.1);
    }
    for row in c["categories"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        for slug in ["lambeth", "hackney"] {
            let want = by_category[slug].get(name).copied();
            assert_eq!(row["spend"][slug].as_i64(), want, "{name} for {slug}");
        }
    }
    let shared: Vec<(i64, &BTreeMap<String, i64>)> = by_supplier
        .iter()
        .filter(|(_, m)| m.len() >= 2)
        .map(|(id, m)| (*id, m))
        .collect();
    assert_eq!(shared.len(), 2, "Hackney shares two suppliers with Lambeth");
    let got = c["shared_suppliers"].as_array().unwrap();
    assert_eq!(got.len(), 2);
    for (id, m) in shared {
        let s = got
            .iter()
            .find(|s| s["supplier_id"] == id)
            .expect("shared supplier listed");
        assert_eq!(s["bodies"], 2);
        for (slug, pence) in m {
            assert_eq!(s["spend"][slug], *pence);
        }
        assert_eq!(s["total_pence"], m.values().sum::<i64>());
    }

    // The page, and each of its tables as CSV.
    let (status, page) = app
        .get(&client, "/spend/compare?body=lambeth&body=hackney")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Suppliers they share") && page.contains("229 Mitcham Lane Ltd"));
    assert!(
        page.contains("/spend/compare?body=lambeth&#38;body=hackney&#38;csv=categories"),
        "{page}"
    );
    let r = client
        .get(app.url("/spend/compare?body=lambeth&body=hackney&csv=shared"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "Supplier,Bodies paying,Lambeth,Hackney,Together"
    );
    assert_eq!(lines.count(), 2);
    let (_, categories_csv) = app
        .get(
            &client,
            "/spend/compare?body=lambeth&body=hackney&csv=categories",
        )
        .await;
    assert!(categories_csv.starts_with("Category,Lambeth,Hackney,Together"));

    // The chooser lists bodies with spend; mistakes get a clear answer.
    let (status, chooser) = app.get(&client, "/spend/compare").await;
    assert_eq!(status, 200);
    assert!(chooser.contains("value=\"lambeth\"") && chooser.contains("value=\"hackney\""));
    let (_, body) = app.get(&client, "/spend/bodies/lambeth").await;
    assert!(body.contains("href=\"/spend/compare?with=lambeth\""));
    let (status, ticked) = app.get(&client, "/spend/compare?with=lambeth").await;
    assert_eq!(status, 200, "the link from a body's page is not an error");
    assert!(ticked.contains("value=\"lambeth\" checked"));
    let (status, page) = app
        .get(&client, "/spend/compare?body=lambeth&body=nowhere")
        .await;
    assert_eq!(status, 404);
    assert!(
        page.contains("There is no public body with the address “nowhere”"),
        "{page}"
    );
    let r = client
        .get(app.url("/api/v1/spend/compare?body=lambeth&body=nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("nowhere"));
    let (status, page) = app.get(&client, "/spend/compare?body=lambeth").await;
    assert_eq!(status, 422);
    assert!(page.contains("Choose at least 2 bodies"));
    let r = client
        .get(app.url("/api/v1/spend/compare?body=lambeth"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

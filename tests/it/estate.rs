//! The technology estate: officers add, edit and import their systems; everyone sees exactly
//! what each record's visibility allows; filters, contracts ending soon, product use and vendor
//! concentration are computed only from what the viewer may see.

use chrono::{Months, NaiveDate, Utc};
use procurekit::accounts::{Role, store as accounts};
use procurekit::args;
use procurekit::estate::import::{ImportOptions, import};
use procurekit::estate::store::{self as estate, Writer};
use procurekit::estate::{Hosting, Satisfaction, Source, SystemRecord};
use procurekit::money::Pence;
use procurekit::visibility::Visibility;

use crate::helpers::{TestApp, csrf_from, location};
use crate::on_both_databases;

on_both_databases!(
    an_officer_adds_and_changes_a_system_and_bad_values_are_kept_with_messages,
    estate_records_are_seen_and_changed_exactly_as_their_visibility_allows,
    an_estate_csv_imports_whole_and_importing_it_again_adds_no_duplicates,
    a_contracts_register_imports_its_technology_contracts_into_another_public_body,
    bad_csv_files_are_refused_whole_with_line_numbered_messages,
    an_oversized_upload_gets_a_clear_message_and_saves_nothing,
    filters_and_contracts_ending_soon_find_the_right_systems,
    concentration_figures_match_hand_computed_values_for_each_viewer,
    the_demo_estate_is_labelled_as_demo_and_seeds_once,
);

const SALFORD: &str = "tests/fixtures/contracts_register/salford_contracts_register_2022-07.csv";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn months_from_today(m: u32) -> NaiveDate {
    today().checked_add_months(Months::new(m)).unwrap()
}

fn record(area: &str, system: &str, supplier: &str, v: Visibility) -> SystemRecord {
    SystemRecord {
        service_area: area.into(),
        system_name: system.into(),
        supplier_name: supplier.into(),
        company_number: None,
        manufacturer: None,
        contract_reference: None,
        contract_start: None,
        contract_end: None,
        annual_value: None,
        hosting: None,
        satisfaction: None,
        notes: String::new(),
        visibility: v,
    }
}

async fn org_id(app: &TestApp, slug: &str) -> i64 {
    accounts::find_organisation(&app.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn add(app: &TestApp, slug: &str, rec: &SystemRecord) -> i64 {
    let w = Writer {
        org_id: org_id(app, slug).await,
        user_id: None,
        source: Source::Form,
        import_id: None,
    };
    estate::create(&app.db, &w, rec).await.unwrap()
}

async fn count(app: &TestApp) -> i64 {
    app.db
        .scalar::<i64>("SELECT COUNT(*) FROM estate_systems", vec![])
        .await
        .unwrap()
        .unwrap()
}

fn valid_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("service_area", "Housing"),
        ("system", "Keystone Housing"),
        ("supplier", "Keystone Public Systems Limited"),
        ("company_number", "1234567"),
        ("manufacturer", ""),
        ("contract_reference", "HSG-7"),
        ("contract_start-day", "1"),
        ("contract_start-month", "4"),
        ("contract_start-year", "2022"),
        ("contract_end-day", "31"),
        ("contract_end-month", "3"),
        ("contract_end-year", "2027"),
        ("annual_value", "£412,000"),
        ("hosting", "on_premises"),
        ("satisfaction", "2"),
        ("notes", "Re-procurement starts next spring"),
        ("visibility", "london"),
    ]
}

fn with(
    mut form: Vec<(&'static str, &'static str)>,
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    for (k, v) in changes {
        if let Some(f) = form.iter_mut().find(|(name, _)| name == k) {
            f.1 = v;
        }
    }
    form
}

async fn an_officer_adds_and_changes_a_system_and_bad_values_are_kept_with_messages(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (status, _) = app.get(&officer, "/estate/systems/new").await;
    assert_eq!(status, 200);

    // Every bad value is named, in the order of the form, and what was typed comes back.
    let bad = with(
        valid_form(),
        &[
            ("service_area", ""),
            ("company_number", "not-a-number"),
            ("contract_end-day", "31"),
            ("contract_end-month", "2"),
            ("annual_value", "lots"),
            ("satisfaction", "9"),
        ],
    );
    let r = app
        .post_form(&officer, "/estate/systems/new", "/estate/systems", &bad)
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<title>Error: Add a system"),
        "GOV.UK error title"
    );
    assert!(html.contains("govuk-error-summary"));
    let order = [
        "Enter the service area",
        "Enter a Companies House number",
        "Contract end must be a real date",
        "Enter the annual value as an amount in pounds",
        "Choose a satisfaction score from 1 to 5",
    ];
    let mut at = 0;
    for message in order {
        let found = html[at..]
            .find(message)
            .unwrap_or_else(|| panic!("{message} after {at}"));
        at += found;
    }
    assert!(
        html.contains("value=\"Keystone Housing\""),
        "typed values are kept"
    );
    assert!(html.contains("value=\"lots\""));
    assert_eq!(count(&app).await, 0, "nothing saved");

    // A valid form saves and shows the record, with the supplier in the shared register.
    let r = app
        .post_form(
            &officer,
            "/estate/systems/new",
            "/estate/systems",
            &valid_form(),
        )
        .await;
    assert_eq!(r.status(), 303);
    let at = location(&r);
    assert!(
        at.starts_with("/estate/systems/") && at.ends_with("?done=added"),
        "{at}"
    );
    let id: i64 = at["/estate/systems/".len()..at.find('?').unwrap()]
        .parse()
        .unwrap();
    let (status, html) = app.get(&officer, &at).await;
    assert_eq!(status, 200);
    for shown in [
        "System added",
        "Keystone Housing",
        "£412,000",
        "31 March 2027",
        "On-premises",
        "2 – dissatisfied",
        "01234567",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
    let supplier_id: i64 = app
        .db
        .scalar(
            "SELECT supplier_id FROM estate_systems WHERE id = $1",
            args![id],
        )
        .await
        .unwrap()
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let (same, _) =
        procurekit::suppliers::store::resolve(&mut tx, "KEYSTONE PUBLIC SYSTEMS LTD", None, None)
            .await
            .unwrap()
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        same, supplier_id,
        "estate suppliers are the register's suppliers"
    );

    // Adding the same contract again is refused with a way forward.
    let r = app
        .post_form(
            &officer,
            "/estate/systems/new",
            "/estate/systems",
            &valid_form(),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&format!("edit record {id} instead"))
    );

    // Editing: the form starts from the record; a bad change is refused and kept.
    let edit = format!("/estate/systems/{id}/edit");
    let (status, html) = app.get(&officer, &edit).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"412000.00\"") && html.contains("value=\"HSG-7\""));
    let r = app
        .post_form(
            &officer,
            &edit,
            &edit,
            &with(valid_form(), &[("contract_end-year", "2021")]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Contract end must be the same as or after the contract start"));
    assert!(html.contains("value=\"2021\""));
    let r = app
        .post_form(
            &officer,
            &edit,
            &edit,
            &with(
                valid_form(),
                &[
                    ("satisfaction", "4"),
                    ("hosting", "saas"),
                    ("visibility", "private"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.get(&officer, &format!("/estate/systems/{id}")).await;
    assert!(
        html.contains("4 – satisfied")
            && html.contains("SaaS")
            && html.contains("Only my organisation")
    );

    // A form without its CSRF token changes nothing.
    let r = officer
        .post(app.url(&edit))
        .form(&with(valid_form(), &[("satisfaction", "1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let sat: i32 = app
        .db
        .scalar(
            "SELECT satisfaction FROM estate_systems WHERE id = $1",
            args![id],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sat, 4);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    OwnerOfficer,
    OwnerAdmin,
    OtherBoroughOfficer,
    OtherBoroughCommercialLead,
    ConvenorPlatformAdmin,
    Supplier,
}

impl Who {
    const ALL: [Who; 7] = [
        Who::Anonymous,
        Who::OwnerOfficer,
        Who::OwnerAdmin,
        Who::OtherBoroughOfficer,
        Who::OtherBoroughCommercialLead,
        Who::ConvenorPlatformAdmin,
        Who::Supplier,
    ];

    /// The rule, written out independently of the code under test.
    fn may_see(self, v: Visibility) -> bool {
        match self {
            Who::OwnerOfficer | Who::OwnerAdmin => true,
            Who::OtherBoroughOfficer
            | Who::OtherBoroughCommercialLead
            | Who::ConvenorPlatformAdmin => v != Visibility::Private,
            Who::Anonymous | Who::Supplier => v == Visibility::Public,
        }
    }

    fn is_owner(self) -> bool {
        matches!(self, Who::OwnerOfficer | Who::OwnerAdmin)
    }
}

async fn estate_records_are_seen_and_changed_exactly_as_their_visibility_allows(app: TestApp) {
    app.supplier_org("test-supplier").await;
    let owner_email = app.user("camden", Role::Officer).await;
    let mut records = Vec::new();
    for v in Visibility::ALL {
        let mut rec = record(
            "Housing",
            &format!("Camden {v} system"),
            "Acme Systems Ltd",
            v,
        );
        rec.contract_end = Some(months_from_today(3));
        records.push((add(&app, "camden", &rec).await, v, rec));
    }
    for who in Who::ALL {
        let client = match who {
            Who::Anonymous => app.client(),
            Who::OwnerOfficer => app.signed_in(&owner_email).await,
            Who::OwnerAdmin => {
                app.signed_in(&app.user("camden", Role::OrgAdmin).await)
                    .await
            }
            Who::OtherBoroughOfficer => {
                app.signed_in(&app.user("hackney", Role::Officer).await)
                    .await
            }
            Who::OtherBoroughCommercialLead => {
                app.signed_in(&app.user("hackney", Role::CommercialLead).await)
                    .await
            }
            Who::ConvenorPlatformAdmin => {
                app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                    .await
            }
            Who::Supplier => {
                app.signed_in(&app.user("test-supplier", Role::SupplierUser).await)
                    .await
            }
        };
        // Lists, views and downloads: a record is in them exactly when the viewer may see it.
        let mut listings = Vec::new();
        for path in [
            "/estate",
            "/estate?format=csv",
            "/estate/ending?months=6",
            "/estate/ending?months=6&format=csv",
            "/estate/products",
            "/estate/products?format=csv",
            "/api/v1/estate/systems",
            "/api/v1/estate/ending?months=6",
            "/api/v1/estate/products",
        ] {
            let (status, body) = app.get(&client, path).await;
            assert_eq!(status, 200, "{who:?}: {path}");
            listings.push((path, body));
        }
        for (id, v, rec) in &records {
            let expect = who.may_see(*v);
            let ctx = format!("{who:?} × {v}");
            for (path, body) in &listings {
                assert_eq!(body.contains(&rec.system_name), expect, "{ctx}: {path}");
            }
            let key = procurekit::web::filters::urlencode(&procurekit::estate::comparable(
                &rec.system_name,
            ));
            for path in [
                format!("/estate/systems/{id}"),
                format!("/api/v1/estate/systems/{id}"),
                format!("/estate/products/{key}"),
                format!("/api/v1/estate/products/{key}"),
            ] {
                let (status, _) = app.get(&client, &path).await;
                assert_eq!(status, if expect { 200 } else { 404 }, "{ctx}: GET {path}");
            }
            // Changing: only the owning organisation. Others get 403 if they can see the
            // record, 404 if they cannot (a 403 would confirm it exists); suppliers never edit.
            let expected_change = |owner_status: u16| match who {
                Who::Anonymous => 303,
                _ if who.is_owner() => owner_status,
                Who::Supplier => 403,
                _ if expect => 403,
                _ => 404,
            };
            let edit = format!("/estate/systems/{id}/edit");
            let (status, _) = app.get(&client, &edit).await;
            assert_eq!(status, expected_change(200), "{ctx}: GET {edit}");
            let form_page = if who == Who::Anonymous {
                "/sign-in"
            } else {
                "/estate"
            };
            let fields = [
                ("service_area", "Changed"),
                ("system", "Changed"),
                ("supplier", "Changed Ltd"),
                ("visibility", v.as_str()),
            ];
            if !who.is_owner() {
                let r = app.post_form(&client, form_page, &edit, &fields).await;
                assert_eq!(
                    r.status().as_u16(),
                    expected_change(303),
                    "{ctx}: POST {edit}"
                );
                let del = format!("/estate/systems/{id}/delete");
                let r = app.post_form(&client, form_page, &del, &[]).await;
                assert_eq!(
                    r.status().as_u16(),
                    expected_change(303),
                    "{ctx}: POST {del}"
                );
            }
        }
    }
    // Nobody but the owner changed anything; the owner can.
    for (id, _, rec) in &records {
        let name: String = app
            .db
            .scalar(
                "SELECT system_name FROM estate_systems WHERE id = $1",
                args![*id],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(name, rec.system_name);
    }
    let owner = app.signed_in(&owner_email).await;
    let (id, _, _) = &records[0];
    let r = app
        .post_form(
            &owner,
            "/estate",
            &format!("/estate/systems/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&owner, &format!("/estate/systems/{id}")).await.0,
        404
    );
}

/// Uploads a file through the import form, as a browser does.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let (_, page) = app.get(client, "/estate/import").await;
    let token = csrf_from(&page).expect("csrf on import page");
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
    let r = client
        .post(app.url("/estate/import"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

fn field(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at + id.len() + 6..];
    rest[..rest.find('<').unwrap()].trim().to_owned()
}

const ESTATE_CSV: &str = "Service Area,System,Supplier,Company Number,Manufacturer,Contract Start,Contract End,Annual Value,Hosting,Satisfaction,Visibility,Notes\n\
Housing,Keystone Housing,Keystone Public Systems Ltd,01234567,,2022-04-01,31/03/2027,\"£412,000\",On-prem,2,london,\n\
Revenues and benefits,RevBen Suite,Thamesgate Systems Ltd,,,2021-10-01,2026-09-30,520000,on premises,3,,Shared service with a neighbour\n\
Customer services,CivicDesk CRM,\"Harbour CRM, Ltd\",,Harbour Labs,,,145000.50,SaaS,4,public,\"Notes with, a comma\"\n\
Corporate IT,Office suite,Capital Licensing Partners Ltd,,Northlight Cloud,,TBC,,cloud,,private,\n";

async fn an_estate_csv_imports_whole_and_importing_it_again_adds_no_duplicates(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    // A check first: everything counted, nothing saved.
    let (status, html) = upload(
        &app,
        &officer,
        "camden-estate.csv",
        ESTATE_CSV.into(),
        &[("visibility", "london"), ("dry_run", "yes")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Checked: nothing was saved"));
    assert_eq!(field(&html, "rows-added"), "4");
    assert_eq!(count(&app).await, 0);

    let (status, html) = upload(
        &app,
        &officer,
        "camden-estate.csv",
        ESTATE_CSV.into(),
        &[("visibility", "london")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Imported"));
    assert_eq!(
        (field(&html, "rows-added"), field(&html, "rows-updated")),
        ("4".into(), "0".into())
    );
    assert!(html.contains("£1,077,000.50"), "total annual value");
    assert_eq!(count(&app).await, 4);

    // The file's values, parsed: dates in both styles, money with £ and commas, hosting as
    // people write it, the default visibility where the file says nothing.
    #[derive(sqlx::FromRow)]
    struct Row {
        system_name: String,
        contract_end: Option<NaiveDate>,
        annual_value_pence: Option<i64>,
        hosting: Option<Hosting>,
        visibility: Visibility,
        source: Source,
    }
    let rows: Vec<Row> = app
        .db
        .fetch_all(
            "SELECT system_name, contract_end, annual_value_pence, hosting, visibility, source FROM estate_systems ORDER BY system_name",
            vec![],
        )
        .await
        .unwrap();
    let by = |name: &str| rows.iter().find(|r| r.system_name == name).unwrap();
    assert_eq!(
        by("Keystone Housing").contract_end,
        NaiveDate::from_ymd_opt(2027, 3, 31)
    );
    assert_eq!(by("Keystone Housing").annual_value_pence, Some(41_200_000));
    assert_eq!(by("Keystone Housing").hosting, Some(Hosting::OnPremises));
    assert_eq!(by("RevBen Suite").visibility, Visibility::London, "default");
    assert_eq!(by("CivicDesk CRM").annual_value_pence, Some(14_500_050));
    assert_eq!(by("CivicDesk CRM").visibility, Visibility::Public);
    assert_eq!(by("Office suite").contract_end, None, "TBC is no date");
    assert!(rows.iter().all(|r| r.source == Source::Import));

    // The same file again, with one value changed: updated in place, nothing added.
    let changed = ESTATE_CSV.replace("520000,on premises,3", "530000,on premises,2");
    let (status, html) = upload(
        &app,
        &officer,
        "camden-estate.csv",
        changed.into_bytes(),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (field(&html, "rows-added"), field(&html, "rows-updated")),
        ("0".into(), "4".into())
    );
    assert_eq!(count(&app).await, 4);
    let value: i64 = app
        .db
        .scalar(
            "SELECT annual_value_pence FROM estate_systems WHERE system_name = 'RevBen Suite'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(value, 53_000_000);
    let (_, page) = app.get(&officer, "/estate/import").await;
    assert!(page.contains("Recent imports") && page.contains("camden-estate.csv"));
    let audited: i64 = app
        .db
        .scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'estate_import'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        audited, 2,
        "each real import is in the audit log, the check is not"
    );

    // A supplier account cannot import.
    app.supplier_org("test-supplier").await;
    let supplier = app
        .signed_in(&app.user("test-supplier", Role::SupplierUser).await)
        .await;
    assert_eq!(app.get(&supplier, "/estate/import").await.0, 403);
}

async fn a_contracts_register_imports_its_technology_contracts_into_another_public_body(
    app: TestApp,
) {
    // Salford is not a London authority: it becomes an organisation of kind other_public_body,
    // as `procurekit import estate --create-body` makes it.
    let salford = accounts::ensure_organisation(
        &app.db,
        &accounts::NewOrganisation {
            kind: procurekit::accounts::OrgKind::OtherPublicBody,
            name: "Salford City Council",
            short_name: "Salford City Council",
            slug: "salford-city-council",
            gss_code: None,
            company_number: None,
        },
    )
    .await
    .unwrap();
    let bytes = std::fs::read(SALFORD).unwrap();
    let opts = ImportOptions {
        file_name: "salford.csv".into(),
        dry_run: false,
        default_visibility: Visibility::Private,
        user_id: None,
    };
    let report = import(&app.db, &salford, &bytes, &opts).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // Expectations computed independently (Python's csv module over the same file): 59 rows
    // with a ProClass code starting 27, 287 with another code, 14 with none; 45 distinct
    // supplier names; £8,837,202.79 of annual value.
    assert_eq!(report.rows_read, 360);
    assert_eq!(report.rows_added, 59);
    assert_eq!(report.skipped_total(), 301);
    assert_eq!(report.distinct_suppliers, 45);
    assert_eq!(report.total_annual_value_pence, 883_720_279);
    assert_eq!(
        report
            .warnings
            .iter()
            .filter(|w| w.message.contains("before it starts"))
            .count(),
        2
    );

    // The register's own Visibility column ("Public") wins over the default, so anyone sees
    // Salford's technology contracts; the mangled punctuation is repaired.
    let (_, html) = app
        .get(&app.client(), "/estate?borough=salford-city-council")
        .await;
    assert!(html.contains("59 systems match"), "public to everyone");
    assert!(html.contains("Integrated Adults and Children’s Social Care Case"));
    assert!(!html.contains('\u{80}'));

    // Importing it again changes nothing.
    let again = import(&app.db, &salford, &bytes, &opts).await.unwrap();
    assert_eq!((again.rows_added, again.rows_updated), (0, 59));
    assert_eq!(count(&app).await, 59);
}

async fn bad_csv_files_are_refused_whole_with_line_numbered_messages(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let cases: [(&str, &[u8], &[&str]); 6] = [
        (
            "bad-dates.csv",
            b"service_area,system,supplier,contract_start,contract_end\nHousing,A,B,2022-01-01,2027-01-01\nHousing,C,D,31/02/2024,2027-01-01\nHousing,E,F,2024-01-01,next year\n",
            &["Line 3, column contract_start: &#34;31/02/2024&#34; is not a real date", "Line 4, column contract_end: &#34;next year&#34; is not a date"],
        ),
        (
            "wrong-columns.csv",
            b"Name,Colour,Size\nA,red,big\n",
            &["The columns were not recognised", "Name, Colour, Size"],
        ),
        (
            "missing-column.csv",
            b"system,supplier,annual_value\nA,B,100\n",
            &["has no service_area column"],
        ),
        (
            "ragged.csv",
            b"service_area,system,supplier\nHousing,A,B\nHousing,C,D,E,F\n",
            &["Line 3: this line has 5 fields but the header has 3"],
        ),
        (
            "unclosed-quote.csv",
            b"service_area,system,supplier\nHousing,A,B\nHousing,\"C,D\nHousing,E,F\n",
            &["Line 3: this line has 2 fields but the header has 3"],
        ),
        (
            "estate.xlsx",
            b"PK\x03\x04\x14\x00\x06\x00binary",
            &["This is a spreadsheet (Excel) file, not CSV"],
        ),
    ];
    for (name, bytes, expected) in cases {
        let (status, html) = upload(&app, &officer, name, bytes.to_vec(), &[]).await;
        assert_eq!(status, 422, "{name}");
        assert!(html.contains("<title>Error: Import your estate"), "{name}");
        assert!(
            html.contains("was not imported") && html.contains("Nothing was saved"),
            "{name}"
        );
        for e in expected {
            assert!(
                html.contains(e),
                "{name}: {e}\n{}",
                &html[html.find("import-errors").unwrap_or(0)..]
                    .chars()
                    .take(1500)
                    .collect::<String>()
            );
        }
        assert_eq!(count(&app).await, 0, "{name}: nothing written");
    }
    // A good row next to a bad one is not imported either: all or nothing.
    let imports: i64 = app
        .db
        .scalar("SELECT COUNT(*) FROM estate_imports", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imports, 0);
    // No file chosen.
    let (status, html) = upload(&app, &officer, "", Vec::new(), &[]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Select a CSV file to import"));
}

async fn an_oversized_upload_gets_a_clear_message_and_saves_nothing(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let mut big = b"service_area,system,supplier,notes\n".to_vec();
    let row = format!("Housing,System,Supplier,{}\n", "x".repeat(1000));
    while big.len() <= procurekit::estate::web::UPLOAD_LIMIT + 10_000 {
        big.extend_from_slice(row.as_bytes());
    }
    let (status, html) = upload(&app, &officer, "huge.csv", big, &[]).await;
    assert_eq!(status, 413);
    assert!(
        html.contains("The file is larger than 5 MB"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert!(html.contains("Nothing was saved"));
    assert_eq!(count(&app).await, 0);
}

async fn filters_and_contracts_ending_soon_find_the_right_systems(app: TestApp) {
    let ends = |m: u32| Some(months_from_today(m));
    let mut a = record(
        "Housing",
        "Keystone Housing",
        "Keystone Public Systems Ltd",
        Visibility::London,
    );
    a.contract_end = ends(3);
    let mut b = record(
        "Adult social care",
        "CareLedger Adults",
        "Meridian Care Software Ltd",
        Visibility::London,
    );
    b.contract_end = ends(9);
    let mut c = record(
        "Housing",
        "Tenancy360",
        "Brightwater Software Ltd",
        Visibility::Public,
    );
    c.contract_end = ends(20);
    let mut d = record(
        "Revenues and benefits",
        "RevBen Suite",
        "Thamesgate Systems Ltd",
        Visibility::London,
    );
    d.contract_end = Some(today() - chrono::Duration::days(10)); // already ended
    let mut e = record(
        "Housing",
        "Keystone Housing",
        "KEYSTONE PUBLIC SYSTEMS LIMITED",
        Visibility::London,
    );
    e.contract_end = ends(5);
    e.satisfaction = Satisfaction::new(4);
    a.satisfaction = Satisfaction::new(2);
    add(&app, "camden", &a).await;
    add(&app, "camden", &b).await;
    add(&app, "hackney", &c).await;
    add(&app, "hackney", &d).await;
    add(&app, "lambeth", &e).await;

    let officer = app
        .signed_in(&app.user("islington", Role::Officer).await)
        .await;
    let names = |html: &str| {
        [
            "Keystone Housing",
            "CareLedger Adults",
            "Tenancy360",
            "RevBen Suite",
        ]
        .into_iter()
        .filter(|n| html.contains(&format!(">{n}</a>")))
        .collect::<Vec<_>>()
    };
    let from = months_from_today(4).to_string();
    let to = months_from_today(12).to_string();
    for (query, expected, total) in [
        (
            "",
            vec![
                "Keystone Housing",
                "CareLedger Adults",
                "Tenancy360",
                "RevBen Suite",
            ],
            5,
        ),
        ("supplier=keystone", vec!["Keystone Housing"], 2),
        ("supplier=meridian+care", vec!["CareLedger Adults"], 1),
        ("system=tenancy", vec!["Tenancy360"], 1),
        (
            "service_area=housing",
            vec!["Keystone Housing", "Tenancy360"],
            3,
        ),
        ("borough=hackney", vec!["Tenancy360", "RevBen Suite"], 2),
        (
            &format!("ends_from={from}&ends_to={to}"),
            vec!["Keystone Housing", "CareLedger Adults"],
            2,
        ),
        ("supplier=nobody", vec![], 0),
    ] {
        let (status, html) = app.get(&officer, &format!("/estate?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(names(&html), expected, "{query}");
        assert!(
            html.contains(&format!("id=\"result-count\">{total} system")),
            "{query}: {total}"
        );
    }
    // The CSV download carries the same filter.
    let (_, csv) = app
        .get(&officer, "/estate?supplier=keystone&format=csv")
        .await;
    assert_eq!(csv.lines().count(), 3, "header and two rows: {csv}");
    assert!(csv.starts_with("id,organisation,service_area,system,supplier"));
    // Bad dates in a filter are named, not ignored.
    let (status, html) = app.get(&officer, "/estate?ends_from=31-02-2026").await;
    assert_eq!(status, 400);
    assert!(html.contains("Ends from must be a real date"));

    // Ending in the next 6 months: Camden's Keystone (3) and Lambeth's (5), soonest first;
    // not the contract that already ended, nor those further out.
    let (_, html) = app.get(&officer, "/estate/ending?months=6").await;
    assert!(
        html.contains("2 contracts at 2 organisations end in this window"),
        "{html}"
    );
    let camden = html
        .find("<td class=\"govuk-table__cell\">Camden</td>")
        .unwrap();
    let lambeth = html
        .find("<td class=\"govuk-table__cell\">Lambeth</td>")
        .unwrap();
    assert!(camden < lambeth, "soonest first");
    let (_, html) = app
        .get(&officer, "/estate/ending?months=24&service_area=housing")
        .await;
    assert!(html.contains("3 contracts at 3 organisations"));
    let (status, html) = app.get(&officer, "/estate/ending?months=99").await;
    assert_eq!(status, 400);
    assert!(html.contains("Enter a number of months from 1 to 60"));
    let api: serde_json::Value = officer
        .get(app.url("/api/v1/estate/ending?months=12"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["systems"].as_array().unwrap().len(), 3);

    // Which organisations use Keystone Housing: two boroughs, however they spelt the supplier,
    // with the average of their ratings.
    let (_, html) = app.get(&officer, "/estate/products?q=keystone").await;
    assert!(
        html.contains("<td class=\"govuk-table__cell\">Camden, Lambeth</td>"),
        "{html}"
    );
    let (status, html) = app
        .get(&officer, "/estate/products/keystone%20housing")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(
        "Used by 2 organisations you can see; average satisfaction 3.0 out of 5, from 2 ratings"
    ));
    let supplier_ids: i64 = app
        .db
        .scalar("SELECT COUNT(DISTINCT supplier_id) FROM estate_systems WHERE product_key = 'keystone housing'", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(supplier_ids, 1, "both spellings resolve to one supplier");
}

async fn concentration_figures_match_hand_computed_values_for_each_viewer(app: TestApp) {
    let mut n = 0;
    let mut add_system =
        |slug: &'static str, supplier: &'static str, pounds: Option<i64>, v: Visibility| {
            n += 1;
            let mut rec = record("Technology", &format!("System {n}"), supplier, v);
            rec.annual_value = pounds.map(|p| Pence(p * 100));
            (slug, rec)
        };
    let systems = vec![
        add_system("camden", "Alpha Ltd", Some(100), Visibility::Public),
        add_system("camden", "Alpha Ltd", Some(200), Visibility::Public),
        add_system("hackney", "ALPHA LIMITED", Some(300), Visibility::Public),
        add_system("hackney", "Bravo Ltd", Some(1000), Visibility::London),
        add_system("lambeth", "Bravo Ltd", None, Visibility::London),
        add_system("lambeth", "Charlie Ltd", Some(50), Visibility::London),
        add_system("camden", "Delta Ltd", Some(350), Visibility::London),
        add_system("camden", "Various providers", Some(999), Visibility::London),
        // Private to Southwark: counted by Southwark only.
        add_system("southwark", "Echo Ltd", Some(8000), Visibility::Private),
    ];
    for (slug, rec) in &systems {
        add(&app, slug, rec).await;
    }
    let get = |client: reqwest::Client, path: &'static str| {
        let app = &app;
        async move {
            client
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let path = "/api/v1/estate/concentration?top=2";

    // A London borough that owns none of them sees the seven London and public systems with
    // one supplier each (the "Various providers" one is left out): Alpha 3, Bravo 2, Charlie 1,
    // Delta 1. Top 2 by systems: 5 of 7 = 71.4%. Value: 100+200+300+1000+50+350 = £2,000;
    // top 2 by value, Bravo £1,000 and Alpha £600: 80.0%.
    let islington = app
        .signed_in(&app.user("islington", Role::Officer).await)
        .await;
    let c = get(islington.clone(), path).await;
    assert_eq!(c["systems_with_supplier"], 7);
    assert_eq!(c["systems_without_one_supplier"], 1);
    assert_eq!(c["distinct_suppliers"], 4);
    assert_eq!(c["total_value_pence"], 200_000);
    assert_eq!(c["systems_share_percent"], 71.4);
    assert_eq!(c["value_share_percent"], 80.0);
    assert_eq!(c["by_systems"][0]["supplier"], "Alpha Ltd");
    assert_eq!(c["by_systems"][0]["systems"], 3);
    assert_eq!(c["by_systems"][0]["organisations"], 2);
    assert_eq!(c["by_value"][0]["supplier"], "Bravo Ltd");
    assert_eq!(c["by_value"][0]["value_share_percent"], 50.0);

    // Southwark also counts its private Echo system (1 system, £8,000): Alpha 3 and Bravo 2
    // of 8 = 62.5%; by value Echo £8,000 and Bravo £1,000 of £10,000 = 90.0%.
    let southwark = app
        .signed_in(&app.user("southwark", Role::Officer).await)
        .await;
    let c = get(southwark, path).await;
    assert_eq!(c["systems_with_supplier"], 8);
    assert_eq!(c["systems_share_percent"], 62.5);
    assert_eq!(c["value_share_percent"], 90.0);
    assert_eq!(c["by_value"][0]["supplier"], "Echo Ltd");

    // Signed out, only the three public Alpha systems: 100% either way.
    let c = get(app.client(), path).await;
    assert_eq!(c["systems_with_supplier"], 3);
    assert_eq!(c["total_value_pence"], 60_000);
    assert_eq!(c["systems_share_percent"], 100.0);

    // The page says the same as the API, and its CSV holds the same rows.
    let (_, html) = app.get(&islington, "/estate/concentration?top=2").await;
    assert!(html.contains("<strong id=\"systems-share\">71.4%</strong>"));
    assert!(html.contains("<strong id=\"value-share\">80.0%</strong>"));
    let (_, csv) = app
        .get(
            &islington,
            "/estate/concentration?top=2&format=csv&table=value",
        )
        .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("Bravo Ltd,") && lines[1].ends_with(",2,28.6,2,1000.00,50.0"),
        "{}",
        lines[1]
    );
    // Filtered by service area: nothing matches "Housing".
    let (_, html) = app
        .get(&islington, "/estate/concentration?service_area=housing")
        .await;
    assert!(html.contains("There are no systems with a named supplier that you can see"));
    let (status, _) = app.get(&islington, "/estate/concentration?top=0").await;
    assert_eq!(status, 400);
}

async fn the_demo_estate_is_labelled_as_demo_and_seeds_once(app: TestApp) {
    procurekit::estate::demo::seed(&app.db).await.unwrap();
    let first = count(&app).await;
    assert!(first >= 30, "{first}");
    procurekit::estate::demo::seed(&app.db).await.unwrap();
    assert_eq!(count(&app).await, first, "seeding again adds nothing");
    #[derive(sqlx::FromRow)]
    struct Row {
        system_name: String,
        supplier_name: String,
        notes: String,
        source: Source,
    }
    let rows: Vec<Row> = app
        .db
        .fetch_all(
            "SELECT system_name, supplier_name, notes, source FROM estate_systems",
            vec![],
        )
        .await
        .unwrap();
    for r in &rows {
        assert!(r.system_name.ends_with("(demo)"), "{}", r.system_name);
        assert!(
            r.supplier_name.ends_with("(demo)") || r.supplier_name == "In-house",
            "{}",
            r.supplier_name
        );
        assert!(r.notes.starts_with("Demo data"));
        assert_eq!(r.source, Source::Demo);
    }
    let boroughs: i64 = app
        .db
        .scalar("SELECT COUNT(DISTINCT org_id) FROM estate_systems", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(boroughs, 6);
    // Something always ends within the year, whatever day the demo starts.
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (_, html) = app.get(&officer, "/estate/ending").await;
    assert!(!html.contains("id=\"result-count\">0 contracts"));
}

#[test]
fn the_command_line_imports_a_register_and_reports_as_json() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_procurekit"))
            .arg("--database")
            .arg(&db)
            .args(args)
            .env("PROCUREKIT_LOG", "error")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&[
        "import",
        "estate",
        SALFORD,
        "--body",
        "Salford City Council",
    ]);
    assert!(!ok);
    assert!(
        err.contains("no organisation matches \"Salford City Council\"")
            && err.contains("--create-body"),
        "{err}"
    );

    let (ok, out, err) = run(&[
        "import",
        "estate",
        SALFORD,
        "--body",
        "Salford City Council",
        "--create-body",
        "--dry-run",
        "--json",
    ]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["imported"], false);
    assert_eq!(report["rows_added"], 59);
    assert_eq!(report["layout"], "contracts_register");
    assert_eq!(report["total_annual_value_pence"], 883_720_279_i64);

    let (ok, out, err) = run(&[
        "import",
        "estate",
        SALFORD,
        "--body",
        "salford-city-council",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("added 59 and updated 0 records for Salford City Council, 301 rows skipped"),
        "{out}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "service_area,system,supplier,contract_end\nHousing,A,B,2026-02-30\n",
    )
    .unwrap();
    let (ok, _, err) = run(&[
        "import",
        "estate",
        bad.to_str().unwrap(),
        "--body",
        "camden",
    ]);
    assert!(!ok);
    assert!(
        err.contains("error: Line 2, column contract_end: \"2026-02-30\" is not a real date"),
        "{err}"
    );
    assert!(err.contains("nothing was saved"));
}

on_both_databases!(the_openapi_document_describes_the_estate_api);

async fn the_openapi_document_describes_the_estate_api(app: TestApp) {
    let doc: serde_json::Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/estate/systems",
        "/api/v1/estate/systems/{id}",
        "/api/v1/estate/ending",
        "/api/v1/estate/products",
        "/api/v1/estate/products/{key}",
        "/api/v1/estate/concentration",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
        let concrete = p.replace("{id}", "1").replace("{key}", "x");
        let status = reqwest::get(app.url(&concrete))
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!([200, 404].contains(&status), "{p}: {status}");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/estate/systems"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "supplier",
        "system",
        "service_area",
        "borough",
        "ends_from",
        "ends_to",
        "limit",
    ] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    // A bad filter is a 400 problem document that says what to fix.
    let r = reqwest::get(app.url("/api/v1/estate/systems?ends_to=soon"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Ends by must be a real date")
    );
}

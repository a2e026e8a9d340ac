//! OCDS in and out: importing real Contracts Finder packages (counts checked against figures
//! computed independently, see tests/fixtures/ocds/README.md), faulty packages refused with
//! their JSON path, past London procurements found with their outcome, and everything
//! published validating against the OCDS 1.1.5 schema.

use std::path::Path;

use procurekit::accounts::Role;
use procurekit::cpv::CpvCode;
use procurekit::money::Pence;
use procurekit::ocds::cpv::CpvPrefix;
use procurekit::ocds::export::{
    self, ExportAward, ExportBuyer, ExportContract, ExportPlanning, ExportProcurement, ExportStage,
    ExportSupplier, ExportTender, OcidPrefix, ProcurementMethod, Publisher,
};
use procurekit::ocds::import::{self, ImportError, Input, Options};
use procurekit::ocds::{Outcome, similar_past_procurements};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    importing_the_real_contracts_finder_fixtures_reports_independently_computed_counts,
    importing_the_same_files_again_changes_nothing,
    a_faulty_package_is_refused_with_its_json_path_and_nothing_is_written,
    skipping_faulty_packages_imports_the_rest_and_lists_the_faulty_ones,
    releases_of_one_process_imported_at_different_times_merge_into_one_record,
    two_imports_at_once_of_the_same_process_lose_nothing,
    the_worked_example_compiles_exactly_as_its_publisher_compiled_it,
    everything_published_validates_against_the_ocds_1_1_5_schema,
    public_procurements_join_the_feed_under_the_ocid_prefix_and_private_ones_never,
    the_release_feed_pages_and_filters_by_since,
    an_officer_finds_past_london_procurements_of_the_same_thing_with_their_outcome,
    past_notices_become_collaboration_evidence_for_a_procurement,
    imported_notices_are_public_to_everyone,
    the_notice_list_filters_and_explains_a_bad_cpv_code,
    platform_admins_upload_packages_and_see_the_report,
    a_faulty_upload_shows_each_problem_and_saves_nothing,
    only_platform_admins_may_upload,
);

const FIXTURES: &str = "tests/fixtures/ocds";

fn inputs(dir: &str) -> Vec<Input> {
    let mut paths: Vec<_> = std::fs::read_dir(Path::new(FIXTURES).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Input {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&p).unwrap(),
        })
        .collect()
}

fn file(name: &str) -> Input {
    Input {
        name: name.into(),
        bytes: std::fs::read(Path::new(FIXTURES).join(name)).unwrap(),
    }
}

const RELEASE_PACKAGE: &str = "FICTIONAL_open-contracting_sample_release_package_1.1.json";
const RECORD_PACKAGE: &str = "FICTIONAL_open-contracting_sample_record_package_1.1.json";

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .scalar::<i64>(format!("SELECT COUNT(*) FROM {table}"), vec![])
        .await
        .unwrap()
        .unwrap()
}

async fn import_contracts_finder(app: &TestApp) -> import::ImportReport {
    import::import(
        &app.db,
        inputs("contracts_finder_releases"),
        Options::default(),
    )
    .await
    .unwrap()
}

async fn importing_the_real_contracts_finder_fixtures_reports_independently_computed_counts(
    app: TestApp,
) {
    let r = import_contracts_finder(&app).await;
    // Figures from tests/fixtures/ocds/independent_counts.py over the raw files.
    assert_eq!(
        (r.files, r.release_packages, r.record_packages),
        (100, 100, 0)
    );
    assert_eq!((r.releases.read, r.releases.new), (100, 100));
    assert_eq!((r.records.compiled, r.records.new), (100, 100));
    assert_eq!(r.buyers.distinct, 74, "distinct buyers");
    assert_eq!(
        r.buyers.london_authorities, 4,
        "Croydon, Barnet, Hillingdon, Waltham Forest"
    );
    assert_eq!(r.buyers.records_with_london_buyer, 5);
    assert_eq!(r.suppliers.parties, 789);
    assert_eq!(r.suppliers.with_company_number, 99);
    assert_eq!(
        r.suppliers.distinct, 762,
        "register entries (linked by number and name)"
    );
    assert_eq!(r.suppliers.new_to_register, 762);
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);

    assert_eq!(count(&app, "ocds_releases").await, 100);
    assert_eq!(count(&app, "ocds_records").await, 100);
    assert_eq!(
        count(&app, "ocds_record_cpv").await,
        315,
        "distinct CPV codes per record"
    );
    assert_eq!(
        app.db
            .scalar::<i64>(
                "SELECT COUNT(DISTINCT company_number) FROM suppliers WHERE company_number IS NOT NULL",
                vec![]
            )
            .await
            .unwrap()
            .unwrap(),
        96,
        "distinct company numbers"
    );
    // A London notice reads as officers expect: entities decoded, buyer matched, values in pence.
    let (status, html) = app
        .get(
            &app.client(),
            "/notices/ocds-b5fd17raw-7858b596-6c82-4407-b517-f64fd195b721",
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Void Property Repair Service Contract 2019"));
    assert!(html.contains("Other notices of Hillingdon"));
}

async fn importing_the_same_files_again_changes_nothing(app: TestApp) {
    import_contracts_finder(&app).await;
    let suppliers = count(&app, "suppliers").await;
    let again = import_contracts_finder(&app).await;
    assert_eq!(
        (
            again.releases.read,
            again.releases.new,
            again.releases.unchanged
        ),
        (100, 0, 100)
    );
    assert_eq!(
        (
            again.records.new,
            again.records.updated,
            again.records.unchanged
        ),
        (0, 0, 100)
    );
    assert_eq!(again.suppliers.new_to_register, 0);
    assert_eq!(
        again.suppliers.distinct, 762,
        "the same suppliers, found again"
    );
    assert_eq!(again.buyers.distinct, 74);
    assert_eq!(count(&app, "ocds_releases").await, 100);
    assert_eq!(count(&app, "ocds_records").await, 100);
    assert_eq!(count(&app, "suppliers").await, suppliers);
}

/// A valid Contracts Finder package with one value typed as text, as a hand-edited file
/// might have it.
fn faulty_package() -> Vec<u8> {
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(Path::new(FIXTURES).join(RELEASE_PACKAGE)).unwrap())
            .unwrap();
    doc["releases"][3]["tender"]["value"]["amount"] = json!("12,000");
    serde_json::to_vec(&doc).unwrap()
}

async fn a_faulty_package_is_refused_with_its_json_path_and_nothing_is_written(app: TestApp) {
    let mut files = inputs("contracts_finder_releases");
    files.push(Input {
        name: "edited.json".into(),
        bytes: faulty_package(),
    });
    files.push(Input {
        name: "truncated.json".into(),
        bytes: b"{\"version\": \"1.1\", \"releases\": [".to_vec(),
    });
    let err = import::import(&app.db, files, Options::default())
        .await
        .unwrap_err();
    let ImportError::Invalid(problems) = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0].file, "edited.json");
    assert_eq!(
        problems[0].problems,
        vec!["releases[3].tender.value.amount: expected a number, found a string (\"12,000\")"]
    );
    assert!(problems[1].problems[0].starts_with("not valid JSON: EOF while parsing"));
    assert!(err.to_string().contains("nothing was saved"));
    for table in [
        "ocds_releases",
        "ocds_records",
        "ocds_record_suppliers",
        "suppliers",
    ] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}

async fn skipping_faulty_packages_imports_the_rest_and_lists_the_faulty_ones(app: TestApp) {
    let files = vec![
        file(RECORD_PACKAGE),
        Input {
            name: "edited.json".into(),
            bytes: faulty_package(),
        },
    ];
    let r = import::import(&app.db, files, Options { skip_invalid: true })
        .await
        .unwrap();
    assert_eq!((r.files, r.record_packages, r.records.new), (2, 1, 1));
    let faulty = r
        .skipped
        .iter()
        .find(|s| s.reason.starts_with("Not a valid OCDS 1.1 package"))
        .unwrap();
    assert_eq!(faulty.count, 1);
    assert!(faulty.examples[0].starts_with("edited.json: releases[3].tender.value.amount"));
    let linked = r
        .skipped
        .iter()
        .find(|s| s.reason.starts_with("Linked release not fetched"))
        .unwrap();
    assert_eq!(linked.count, 6, "the record package links its six releases");
    assert_eq!(count(&app, "ocds_records").await, 1);
}

/// A Find a Tender-style notice (SYNTHETIC, made up for this test): a tender, and months later
/// its award, arriving in separate packages.
fn find_a_tender_package(release: Value) -> Input {
    Input {
        name: "find-a-tender.json".into(),
        bytes: serde_json::to_vec(&json!({
            "uri": "https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages/synthetic",
            "version": "1.1",
            "publishedDate": "2026-01-01T00:00:00Z",
            "publisher": {"name": "Find a Tender"},
            "releases": [release],
        }))
        .unwrap(),
    }
}

fn fts_tender() -> Value {
    json!({
        "ocid": "ocds-h6vhtk-0aaa01", "id": "001234-2025", "date": "2025-03-01T10:00:00Z",
        "tag": ["tender"], "initiationType": "tender",
        "parties": [{"id": "GB-PPON-PXYZ-1234-ABCD", "name": "London Borough of Camden", "roles": ["buyer"]}],
        "buyer": {"id": "GB-PPON-PXYZ-1234-ABCD", "name": "London Borough of Camden"},
        "tender": {"id": "t1", "title": "Housing management system", "status": "active",
            "description": "A cloud housing management system for 23,000 council homes.",
            "value": {"amount": 2500000, "currency": "GBP"},
            "items": [{"id": "1", "classification": {"scheme": "CPV", "id": "48000000"}},
                      {"id": "2", "classification": {"scheme": "CPV", "id": "72212000"}}],
            "tenderPeriod": {"endDate": "2025-04-15T12:00:00Z"}}
    })
}

fn fts_award() -> Value {
    json!({
        "ocid": "ocds-h6vhtk-0aaa01", "id": "004567-2025", "date": "2025-09-01T10:00:00Z",
        "tag": ["award"], "initiationType": "tender",
        "parties": [{"id": "GB-COH-02929383", "name": "Thamesgate Systems Ltd", "roles": ["supplier"],
                     "identifier": {"scheme": "GB-COH", "id": "02929383"}}],
        "tender": {"id": "t1", "status": "complete"},
        "awards": [{"id": "a1", "status": "active", "date": "2025-08-20T00:00:00Z",
            "value": {"amount": 2310000.5, "currency": "GBP"},
            "suppliers": [{"id": "GB-COH-02929383", "name": "Thamesgate Systems Ltd"}],
            "contractPeriod": {"startDate": "2025-10-01T00:00:00Z", "endDate": "2030-09-30T00:00:00Z"}}]
    })
}

async fn releases_of_one_process_imported_at_different_times_merge_into_one_record(app: TestApp) {
    let first = import::import(
        &app.db,
        vec![find_a_tender_package(fts_tender())],
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.records.new, 1);
    let rec = procurekit::ocds::store::by_ocid(&app.db, "ocds-h6vhtk-0aaa01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.notice.outcome, Outcome::Open);
    assert_eq!(rec.notice.buyer_org_name.as_deref(), Some("Camden"));

    let second = import::import(
        &app.db,
        vec![find_a_tender_package(fts_award())],
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!((second.releases.new, second.records.updated), (1, 1));
    let rec = procurekit::ocds::store::by_ocid(&app.db, "ocds-h6vhtk-0aaa01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.notice.outcome, Outcome::Awarded);
    // The title came from the first release, the award from the second: one compiled record.
    assert_eq!(rec.notice.title, "Housing management system");
    assert_eq!(rec.notice.tender_value(), Some(Pence(250_000_000)));
    assert_eq!(rec.notice.awarded_value(), Some(Pence(231_000_050)));
    assert_eq!(rec.notice.buyer_org_name.as_deref(), Some("Camden"));
    let compiled: Value = serde_json::from_str(&rec.compiled_release).unwrap();
    assert_eq!(compiled["tag"], json!(["compiled"]));
    assert_eq!(compiled["tender"]["status"], "complete");
    assert_eq!(compiled["parties"].as_array().unwrap().len(), 2);
    // The publisher corrects the tender notice under the same release id: the correction wins.
    let mut corrected = fts_tender();
    corrected["tender"]["title"] = json!("Housing management and repairs system");
    let third = import::import(
        &app.db,
        vec![find_a_tender_package(corrected)],
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!((third.releases.changed, third.records.updated), (1, 1));
    let rec = procurekit::ocds::store::by_ocid(&app.db, "ocds-h6vhtk-0aaa01")
        .await
        .unwrap()
        .unwrap();
    // The award release is later, but says nothing of the title: the corrected one stands.
    assert_eq!(rec.notice.title, "Housing management and repairs system");
    assert_eq!(rec.notice.outcome, Outcome::Awarded);
    assert_eq!(count(&app, "ocds_releases").await, 2);

    let supplier = app
        .db
        .scalar::<String>(
            "SELECT s.company_number FROM ocds_record_suppliers l JOIN suppliers s ON s.id = l.supplier_id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(supplier.as_deref(), Some("02929383"));
}

async fn two_imports_at_once_of_the_same_process_lose_nothing(app: TestApp) {
    // As two instances behind a load balancer would: each import compiles the record from
    // every release it can see, so they must not overlap.
    let (a, b) = tokio::join!(
        import::import(
            &app.db,
            vec![find_a_tender_package(fts_tender())],
            Options::default()
        ),
        import::import(
            &app.db,
            vec![find_a_tender_package(fts_award())],
            Options::default()
        ),
    );
    a.unwrap();
    b.unwrap();
    let rec = procurekit::ocds::store::by_ocid(&app.db, "ocds-h6vhtk-0aaa01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.notice.title, "Housing management system");
    assert_eq!(rec.notice.outcome, Outcome::Awarded);
    assert_eq!(count(&app, "ocds_records").await, 1);
}

async fn the_worked_example_compiles_exactly_as_its_publisher_compiled_it(app: TestApp) {
    // The record package holds the compiled release made by OCDS's reference implementation
    // from the six releases of the release package.
    import::import(&app.db, vec![file(RELEASE_PACKAGE)], Options::default())
        .await
        .unwrap();
    let ours = procurekit::ocds::store::by_ocid(&app.db, "ocds-213czf-000-00001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ours.compiled_from, "releases");
    let ours: Value = serde_json::from_str(&ours.compiled_release).unwrap();
    let record: Value = serde_json::from_slice(&file(RECORD_PACKAGE).bytes).unwrap();
    assert_eq!(ours, record["records"][0]["compiledRelease"]);
}

/// The OCDS 1.1.5 package schemas, with their `$ref`s to each other served from the copies in
/// tests/fixtures (never fetched).
struct Schemas {
    release_package: jsonschema::Validator,
    record_package: jsonschema::Validator,
}

fn schemas() -> Schemas {
    let load = |name: &str| -> Value {
        serde_json::from_slice(
            &std::fs::read(Path::new(FIXTURES).join("schema-1.1.5").join(name)).unwrap(),
        )
        .unwrap()
    };
    let release = load("release-schema.json");
    let release_package = load("release-package-schema.json");
    let record_package = load("record-package-schema.json");
    let versioned = load("versioned-release-validation-schema.json");
    let registry = jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft4)
        .add(release["id"].as_str().unwrap(), &release)
        .unwrap()
        .add(versioned["id"].as_str().unwrap(), &versioned)
        .unwrap()
        .add(release_package["id"].as_str().unwrap(), &release_package)
        .unwrap()
        .prepare()
        .unwrap();
    let build = |schema: &Value| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .with_registry(&registry)
            .should_validate_formats(true)
            .offline()
            .build(schema)
            .unwrap()
    };
    Schemas {
        release_package: build(&release_package),
        record_package: build(&record_package),
    }
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid OCDS 1.1.5:\n{}",
        errors.join("\n")
    );
}

fn sample_procurement() -> ExportProcurement {
    use chrono::{NaiveDate, TimeZone, Utc};
    let at = |m: u32| Utc.with_ymd_and_hms(2026, m, 2, 9, 30, 0).unwrap();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    ExportProcurement {
        local_id: "procurement-7".into(),
        title: "Adult social care case management".into(),
        description: "Replacing the case management system, jointly with two boroughs.".into(),
        buyer: ExportBuyer {
            name: "London Borough of Hackney".into(),
            gss_code: procurekit::accounts::GssCode::parse("E09000012").ok(),
        },
        cpv: vec![
            CpvCode::parse("48000000-8").unwrap(),
            CpvCode::parse("72212000").unwrap(),
        ],
        estimated_value: Some(Pence(320_000_000)),
        stage: ExportStage::Contract,
        planning: ExportPlanning {
            published: at(1),
            expected_tender_date: Some(day(2026, 5, 1)),
            contract_start: Some(day(2027, 4, 1)),
            contract_end: Some(day(2031, 3, 31)),
        },
        tender: Some(ExportTender {
            published: at(5),
            deadline: Some(at(6)),
            method: Some(ProcurementMethod::Open),
            method_details: Some("Open procedure".into()),
        }),
        award: Some(ExportAward {
            published: at(9),
            date: day(2026, 9, 1),
            value: Some(Pence(298_500_000)),
            suppliers: vec![
                ExportSupplier {
                    name: "Thamesgate Systems Ltd".into(),
                    company_number: procurekit::suppliers::CompanyNumber::parse("02929383").ok(),
                },
                ExportSupplier {
                    name: "Small Co-operative".into(),
                    company_number: None,
                },
            ],
        }),
        contract: Some(ExportContract {
            published: at(11),
            signed: Some(day(2026, 11, 1)),
            start: Some(day(2027, 4, 1)),
            end: Some(day(2031, 3, 31)),
            value: Some(Pence(298_500_000)),
        }),
        cancelled: None,
    }
}

async fn everything_published_validates_against_the_ocds_1_1_5_schema(app: TestApp) {
    let s = schemas();
    import_contracts_finder(&app).await;
    import::import(
        &app.db,
        vec![
            file(RELEASE_PACKAGE),
            file(RECORD_PACKAGE),
            find_a_tender_package(fts_tender()),
        ],
        Options::default(),
    )
    .await
    .unwrap();

    // The public feed, every page.
    let mut url = app.url("/api/v1/ocds/releases?limit=40");
    let mut seen = 0;
    for _ in 0..10 {
        let page: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_valid(&s.release_package, &page, &url);
        seen += page["releases"].as_array().unwrap().len();
        match page["links"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen, 107,
        "100 Contracts Finder, 6 worked example, 1 Find a Tender"
    );

    // A record package per process.
    for ocid in [
        "ocds-213czf-000-00001",
        "ocds-b5fd17raw-0054a4e6-0715-42c6-9109-e219fe9d3289",
    ] {
        let rec: Value = reqwest::get(app.url(&format!("/api/v1/ocds/records/{ocid}")))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_valid(&s.record_package, &rec, ocid);
    }

    // A procurement of procurekit's own, at every stage it can reach.
    let prefix = OcidPrefix::parse("ocds-pk0001").unwrap();
    for stage in [
        ExportStage::Planning,
        ExportStage::Tender,
        ExportStage::Award,
        ExportStage::Contract,
    ] {
        let mut p = sample_procurement();
        p.stage = stage;
        let releases = export::releases_for(&p, &prefix).unwrap();
        let package = export::release_package(
            &Publisher {
                base_url: "https://procurekit.example.gov.uk".into(),
            },
            "https://procurekit.example.gov.uk/api/v1/ocds/releases",
            chrono::Utc::now(),
            releases,
            None,
        );
        assert_valid(&s.release_package, &package, &format!("{stage:?}"));
    }
}

async fn public_procurements_join_the_feed_under_the_ocid_prefix_and_private_ones_never(
    app: TestApp,
) {
    import::import(&app.db, vec![file(RELEASE_PACKAGE)], Options::default())
        .await
        .unwrap();
    let camden = app
        .signed_in(&app.user("camden", Role::CommercialLead).await)
        .await;
    let public = crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Parking permits system"),
            ("cpv", "48000000-8"),
            ("visibility", "public"),
        ],
    )
    .await;
    let page = format!("/procurements/{public}");
    let notices = format!("/procurements/{public}/notices");
    for fields in [
        vec![
            ("kind", "tender"),
            ("published_on", "2027-02-01"),
            ("tender_deadline", "2027-03-15"),
        ],
        vec![
            ("kind", "award"),
            ("published_on", "2027-05-01"),
            ("supplier", "Thamesgate Systems Ltd"),
            ("company_number", "1234567"),
            ("value", "£480,000"),
            ("contract_start", "2027-06-01"),
            ("contract_end", "2030-05-31"),
        ],
    ] {
        let r = app.post_form(&camden, &page, &notices, &fields).await;
        assert_eq!(r.status(), 303);
    }
    let cancelled = crate::pipeline::create(
        &app,
        &camden,
        &[("title", "Libraries kiosk"), ("visibility", "public")],
    )
    .await;
    let r = app
        .post_form(
            &camden,
            &format!("/procurements/{cancelled}"),
            &format!("/procurements/{cancelled}/cancel"),
            &[("reason", "Merged into a joint procurement")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let shared = crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Secret London-only plan"),
            ("visibility", "london"),
        ],
    )
    .await;
    crate::pipeline::create(
        &app,
        &camden,
        &[("title", "Private draft"), ("visibility", "private")],
    )
    .await;

    let prefix = OcidPrefix::parse("ocds-pk0001").unwrap();
    // Without a prefix nothing of the pipeline is published; with one, public procurements are.
    let without = export::public_releases(&app.db, None, None, None, 1000)
        .await
        .unwrap();
    assert_eq!(without.releases.len(), 6, "the imported example only");
    let with = export::public_releases(&app.db, Some(&prefix), None, None, 1000)
        .await
        .unwrap();
    let ours: Vec<&Value> = with
        .releases
        .iter()
        .filter(|r| r["ocid"].as_str().unwrap().starts_with("ocds-pk0001-"))
        .collect();
    let tags = |ocid: String| -> Vec<String> {
        ours.iter()
            .filter(|r| r["ocid"] == ocid.as_str())
            .map(|r| r["tag"][0].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        tags(format!("ocds-pk0001-{public}")),
        ["planning", "tender", "award"]
    );
    assert_eq!(
        tags(format!("ocds-pk0001-{cancelled}")),
        ["planning", "tenderCancellation"]
    );
    assert!(
        tags(format!("ocds-pk0001-{shared}")).is_empty(),
        "london-only stays off the public feed"
    );
    assert_eq!(ours.len(), 5, "the private draft is not there either");
    let award = ours.iter().find(|r| r["tag"][0] == "award").unwrap();
    assert_eq!(award["buyer"]["id"], "GB-LAE-CMD");
    assert_eq!(award["awards"][0]["value"]["amount"], 480000.0);
    assert_eq!(award["awards"][0]["suppliers"][0]["id"], "GB-COH-01234567");
    let package = export::release_package(
        &Publisher {
            base_url: "https://procurekit.example.gov.uk".into(),
        },
        "https://procurekit.example.gov.uk/api/v1/ocds/releases",
        chrono::Utc::now(),
        with.releases.clone(),
        None,
    );
    assert_valid(
        &schemas().release_package,
        &package,
        "feed with procurements",
    );

    // Paging through both sources, three at a time, gives each release once, in date order.
    let mut seen: Vec<String> = Vec::new();
    let mut after = None;
    loop {
        let page = export::public_releases(&app.db, Some(&prefix), None, after, 3)
            .await
            .unwrap();
        seen.extend(page.releases.iter().map(|r| {
            format!(
                "{} {}",
                r["date"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            )
        }));
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), with.releases.len());
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no release twice");
    assert!(
        seen.windows(2).all(|w| w[0][..20] <= w[1][..20]),
        "oldest first"
    );
}

async fn the_release_feed_pages_and_filters_by_since(app: TestApp) {
    import_contracts_finder(&app).await;
    let get = |path: String| {
        let url = app.url(&path);
        async move {
            let r = reqwest::get(url).await.unwrap();
            let status = r.status().as_u16();
            let link = r
                .headers()
                .get("link")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, link, r.json::<Value>().await.unwrap())
        }
    };
    // 40 of the 100 releases are dated 2020 (tests/fixtures/ocds/README.md).
    let (status, _, page) = get("/api/v1/ocds/releases?since=2020-01-01&limit=1000".into()).await;
    assert_eq!(status, 200);
    assert_eq!(page["releases"].as_array().unwrap().len(), 40);
    assert!(page.get("links").is_none(), "one page holds them all");

    let (_, link, first) = get("/api/v1/ocds/releases?limit=30".into()).await;
    let next = first["links"]["next"].as_str().unwrap().to_owned();
    assert!(link.unwrap().contains("rel=\"next\""));
    let dates = |p: &Value| -> Vec<String> {
        p["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["date"].as_str().unwrap().to_owned())
            .collect()
    };
    let d1 = dates(&first);
    assert_eq!(d1.len(), 30);
    assert!(d1.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let second: Value = reqwest::get(&next).await.unwrap().json().await.unwrap();
    let d2 = dates(&second);
    assert!(
        d1.last().unwrap() <= d2.first().unwrap(),
        "pages continue in order"
    );
    let ids = |p: &Value| -> Vec<String> {
        p["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        ids(&second).iter().all(|id| !ids(&first).contains(id)),
        "no release twice"
    );

    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/ocds/notices",
        "/api/v1/ocds/releases",
        "/api/v1/ocds/records/{ocid}",
        "/api/v1/ocds/similar",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} is in the OpenAPI document"
        );
    }

    for bad in [
        "since=last%20tuesday",
        "after=nonsense",
        "limit=0",
        "limit=5000",
        "limit=ten",
    ] {
        let r = reqwest::get(app.url(&format!("/api/v1/ocds/releases?{bad}")))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let body: Value = r.json().await.unwrap();
        assert!(!body["detail"].as_str().unwrap().is_empty(), "{bad}");
    }
}

async fn an_officer_finds_past_london_procurements_of_the_same_thing_with_their_outcome(
    app: TestApp,
) {
    import_contracts_finder(&app).await;
    import::import(
        &app.db,
        vec![
            find_a_tender_package(fts_tender()),
            find_a_tender_package(fts_award()),
        ],
        Options::default(),
    )
    .await
    .unwrap();

    // Croydon bought community infrastructure support twice (CPV 98133100).
    let found = similar_past_procurements(
        &app.db,
        &[CpvPrefix::parse("98133000").unwrap()],
        &["community infrastructure"],
        10,
    )
    .await
    .unwrap();
    let titles: Vec<&str> = found.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles[..2],
        [
            "Community Fund: Infrastructure Support Service",
            "Community Fund: Outcomes Programme"
        ],
        "the closer title first"
    );
    assert!(
        found.iter().all(|p| p.buyer_org_id.is_some()),
        "nothing bought outside London"
    );
    // Anything after them matched on a word alone, and says so.
    for weaker in &found[2..] {
        assert!(weaker.score < found[1].score);
        assert!(
            weaker
                .reasons
                .iter()
                .all(|r| r.starts_with("Notice mentions")),
            "{:?}",
            weaker.reasons
        );
    }
    let best = &found[0];
    assert_eq!(best.buyer_org_name.as_deref(), Some("Croydon"));
    assert_eq!(best.outcome, Outcome::Awarded);
    assert!(!best.suppliers.is_empty(), "who won it");
    assert!(
        best.reasons
            .iter()
            .any(|r| r.starts_with("Same CPV category 98133")),
        "{:?}",
        best.reasons
    );
    assert!(best.reasons.iter().any(|r| r.contains("“infrastructure”")));

    // Software for housing: the planted Camden process ranks above the unrelated Barnet one
    // that shares nothing but being bought in London.
    let found = similar_past_procurements(
        &app.db,
        &[CpvPrefix::parse("72212000-4").unwrap()],
        &["housing system"],
        10,
    )
    .await
    .unwrap();
    assert_eq!(found[0].ocid, "ocds-h6vhtk-0aaa01");
    assert_eq!(found[0].outcome, Outcome::Awarded);
    assert_eq!(
        found[0].suppliers[0].company_number.as_deref(),
        Some("02929383")
    );
    assert!(found.iter().all(|p| p.buyer_org_id.is_some()));
    assert!(
        found
            .iter()
            .all(|p| !p.title.contains("Approved Supplier List")),
        "social work has nothing in common with it"
    );

    // The same search over the API, and a bad CPV code explained.
    let api: Value = reqwest::get(
        app.url("/api/v1/ocds/similar?cpv=98133000&keywords=community%20infrastructure"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        api[0]["title"],
        "Community Fund: Infrastructure Support Service"
    );
    assert_eq!(api[1]["title"], "Community Fund: Outcomes Programme");
    let r = reqwest::get(app.url("/api/v1/ocds/similar?cpv=9813x"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

async fn past_notices_become_collaboration_evidence_for_a_procurement(app: TestApp) {
    import_contracts_finder(&app).await;
    import::import(
        &app.db,
        vec![
            find_a_tender_package(fts_tender()),
            find_a_tender_package(fts_award()),
        ],
        Options::default(),
    )
    .await
    .unwrap();
    // Hackney plans to buy what Camden bought through Find a Tender.
    let hackney = procurekit::accounts::store::find_organisation(&app.db, "hackney")
        .await
        .unwrap()
        .unwrap();
    let p = procurekit::pipeline::store::Procurement {
        id: 1,
        org_id: hackney.id,
        org_name: hackney.name.clone(),
        org_short_name: hackney.short_name.clone(),
        title: "Housing management system".into(),
        need: String::new(),
        cpv_code: "72212000".into(),
        estimated_value_pence: None,
        incumbent: String::new(),
        incumbent_end_date: None,
        owner_user_id: None,
        owner_name: None,
        team: String::new(),
        stage: procurekit::pipeline::Stage::Strategy,
        status: procurekit::pipeline::Status::Planned,
        procedure_kind: procurekit::pipeline::Procedure::NotDecided,
        expected_tender_date: None,
        expected_start_date: None,
        contract_months: None,
        sme_suitable: false,
        visibility: procurekit::visibility::Visibility::London,
        published_at: None,
        updated_at: 0,
    };
    let found = procurekit::ocds::matcher::past_notices_for(&app.db, &p)
        .await
        .unwrap();
    let camden = &found[0];
    assert_eq!(camden.source, "past_notice");
    assert_eq!(camden.organisation, "Camden");
    assert_eq!(camden.url.as_deref(), Some("/notices/ocds-h6vhtk-0aaa01"));
    assert!(camden.score <= 40, "below a live overlap in the same group");
    assert!(
        camden.reasons.contains(
            &"Past procurement: Awarded to Thamesgate Systems Ltd for £2,310,000.50".to_string()
        ),
        "{:?}",
        camden.reasons
    );
    assert!(
        found.iter().all(|c| c.org_id.is_some()),
        "London buyers only"
    );
}

async fn imported_notices_are_public_to_everyone(app: TestApp) {
    import_contracts_finder(&app).await;
    app.supplier_org("test-supplier").await;
    let mut clients = vec![("signed out", app.client())];
    for (who, org, role) in [
        ("borough officer", "camden", Role::Officer),
        ("another borough's admin", "hackney", Role::OrgAdmin),
        ("convenor", "london-convenor", Role::PlatformAdmin),
        ("supplier", "test-supplier", Role::SupplierUser),
    ] {
        let email = app.user(org, role).await;
        clients.push((who, app.signed_in(&email).await));
    }
    for (who, client) in &clients {
        for path in [
            "/notices",
            "/notices?buyer=london",
            "/notices/ocds-b5fd17raw-61c38955-77fb-4a29-b3af-8465bd1107de",
            "/api/v1/ocds/releases",
            "/api/v1/ocds/records/ocds-b5fd17raw-61c38955-77fb-4a29-b3af-8465bd1107de",
        ] {
            let (status, body) = app.get(client, path).await;
            assert_eq!(status, 200, "{who}: {path}");
            if path.contains("61c38955") {
                assert!(body.contains("Community Fund"), "{who}: {path}");
            }
        }
        let (status, _) = app.get(client, "/notices/ocds-unknown-1").await;
        assert_eq!(status, 404, "{who}");
    }
}

async fn the_notice_list_filters_and_explains_a_bad_cpv_code(app: TestApp) {
    import_contracts_finder(&app).await;
    let c = app.client();
    let (status, html) = app.get(&c, "/notices").await;
    assert_eq!(status, 200);
    assert!(html.contains("100 notices"));
    assert!(html.contains("Page 1 of 4"));

    let (_, html) = app.get(&c, "/notices?page=99").await;
    assert!(html.contains("Page 4 of 4"), "past the end: the last page");
    assert!(html.contains("rel=\"prev\""));

    let (_, html) = app.get(&c, "/notices?buyer=croydon").await;
    assert!(html.contains("2 notices"));
    assert!(html.contains("Community Fund: Outcomes Programme"));

    let (_, html) = app.get(&c, "/notices?buyer=london").await;
    assert!(html.contains("5 notices"));

    let (_, html) = app.get(&c, "/notices?cpv=92312&q=making").await;
    assert!(html.contains("1 notice<"), "{html}");
    assert!(html.contains("Making Places: Open Call"));

    // The buyer is published as "L&amp;Q Construction": decoded once, escaped once.
    let (_, html) = app.get(&c, "/notices?q=L%26Q").await;
    assert!(html.contains("3 notices"));
    assert!(html.contains("L&#38;Q Construction"), "{html}");
    assert!(!html.contains("amp;amp;") && !html.contains("&#38;amp;"));

    // The same search over the API.
    let api: Value = reqwest::get(app.url("/api/v1/ocds/notices?buyer=croydon&sort=value"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 2);
    assert_eq!(api["notices"][0]["buyer_organisation"], "Croydon");
    assert_eq!(api["notices"][0]["cpv_codes"], json!(["98133100-5"]));
    let r = reqwest::get(app.url("/api/v1/ocds/notices?cpv=IT"))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("cpv: Enter a CPV code")
    );

    let (status, html) = app.get(&c, "/notices?cpv=IT%20stuff&buyer=croydon").await;
    assert_eq!(status, 422);
    assert!(html.contains("<title>Error: "));
    assert!(html.contains("Enter a CPV code or its first digits"));
    assert!(
        html.contains("value=\"IT stuff\""),
        "what was typed is kept"
    );
    assert!(html.contains("2 notices"), "the other filters still apply");
}

fn multipart_with(
    csrf: &str,
    files: &[(&str, Vec<u8>)],
    skip_invalid: bool,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf.to_owned());
    if skip_invalid {
        form = form.text("skip_invalid", "yes");
    }
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(name.to_string())
                .mime_str("application/json")
                .unwrap(),
        );
    }
    form
}

async fn platform_admins_upload_packages_and_see_the_report(app: TestApp) {
    let email = app.user("london-convenor", Role::PlatformAdmin).await;
    let client = app.signed_in(&email).await;
    let csrf = app.csrf(&client, "/admin/ocds").await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        (RELEASE_PACKAGE, file(RELEASE_PACKAGE).bytes),
        (
            "find-a-tender.json",
            find_a_tender_package(fts_tender()).bytes,
        ),
    ];
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with(&csrf, &files, false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Read 7 releases (7 new) of 2 notices (2 new, 0 updated)"),
        "{html}"
    );
    assert!(html.contains("What was imported"));
    assert_eq!(count(&app, "ocds_records").await, 2);
    let audit = app
        .db
        .scalar::<String>(
            "SELECT detail FROM audit_log WHERE action = 'ocds_import'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(audit.contains("7 releases (7 new)"), "{audit}");
    let (_, list) = app.get(&client, "/notices").await;
    assert!(list.contains("Housing management system"));
}

async fn a_faulty_upload_shows_each_problem_and_saves_nothing(app: TestApp) {
    let email = app.user("london-convenor", Role::PlatformAdmin).await;
    let client = app.signed_in(&email).await;
    let csrf = app.csrf(&client, "/admin/ocds").await;

    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "find-a-tender.json",
            find_a_tender_package(fts_tender()).bytes,
        ),
        ("edited.json", faulty_package()),
    ];
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with(&csrf, &files, false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Error: Import OCDS notices"));
    assert!(
        html.contains("1 of the 2 files is not a valid OCDS 1.1 package. Nothing was imported")
    );
    assert!(html.contains("releases[3].tender.value.amount: expected a number"));
    assert_eq!(count(&app, "ocds_releases").await, 0);

    // No file chosen.
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with(&csrf, &[], false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Choose one or more OCDS JSON files")
    );

    // A forged form.
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with("forged", &files[..1], false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    // Too large: refused with the limit, nothing saved.
    let big = vec![b' '; procurekit::ocds::web::UPLOAD_LIMIT + 1024];
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with(&csrf, &[("big.json", big)], false))
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 413);
        assert!(r.text().await.unwrap().contains("smaller than 20 MB"));
    }
    assert_eq!(count(&app, "ocds_releases").await, 0);
}

async fn only_platform_admins_may_upload(app: TestApp) {
    let (status, _) = app.get(&app.client(), "/admin/ocds").await;
    assert_eq!(status, 303, "signed out: to sign in");
    let officer = app.user("camden", Role::OrgAdmin).await;
    let client = app.signed_in(&officer).await;
    let (status, html) = app.get(&client, "/admin/ocds").await;
    assert_eq!(status, 403);
    assert!(html.contains("Only platform admins can import notices"));
    let csrf = app.csrf(&client, "/account").await;
    let r = client
        .post(app.url("/admin/ocds"))
        .multipart(multipart_with(
            &csrf,
            &[(
                "find-a-tender.json",
                find_a_tender_package(fts_tender()).bytes,
            )],
            false,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "ocds_releases").await, 0);
}

/// The command line, as an administrator would run it.
#[test]
fn the_command_line_imports_a_folder_and_exports_a_valid_package() {
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
    let folder = format!("{FIXTURES}/contracts_finder_releases");
    let (ok, out, err) = run(&["import", "ocds", &folder, "--json"]);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["releases"]["new"], 100);
    assert_eq!(report["records"]["compiled"], 100);
    assert_eq!(report["buyers"]["london_authorities"], 4);
    assert_eq!(report["suppliers"]["with_company_number"], 99);

    let (ok, out, err) = run(&["import", "ocds", &folder]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Releases: 100 read, 0 new, 0 changed, 100 already imported."),
        "{out}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, faulty_package()).unwrap();
    let (ok, _, err) = run(&["import", "ocds", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("releases[3].tender.value.amount: expected a number"),
        "{err}"
    );
    assert!(err.contains("--skip-invalid"), "{err}");

    let out_file = dir.path().join("export.json");
    let (ok, _, err) = run(&[
        "export",
        "ocds",
        "--since",
        "2020-01-01",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let package: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(package["releases"].as_array().unwrap().len(), 40);
    assert_valid(&schemas().release_package, &package, "export ocds");

    let (ok, _, err) = run(&["export", "ocds", "--since", "soon"]);
    assert!(!ok);
    assert!(err.contains("is not a date"), "{err}");
    let (ok, _, err) = run(&["import", "ocds", "/nonexistent/notices"]);
    assert!(!ok);
    assert!(err.contains("does not exist"), "{err}");
}

//! The data and API standard over HTTP: a supplier profiles and self-assesses a product and
//! uploads its OpenAPI document, boroughs verify and dispute its claims, other organisations
//! cannot change it, bad uploads are refused and save nothing, visibility holds as a matrix,
//! and the tender wording opens as a real Word document.

use std::io::Read;

use procurekit::accounts::Role;
use procurekit::accounts::store::user_by_email;
use procurekit::standards::store::{self, NewClaim, NewProduct};
use procurekit::standards::{ClaimStatus, Verdict};
use procurekit::visibility::{Viewer, Visibility};
use reqwest::multipart::{Form, Part};

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    a_supplier_profiles_a_product_answers_the_standard_and_uploads_its_openapi_document,
    boroughs_verify_and_dispute_claims_and_the_supplier_sees_the_dispute,
    only_the_owning_supplier_can_change_a_product,
    bad_openapi_uploads_are_refused_with_clear_messages_and_nothing_is_saved,
    product_profiles_and_verdicts_are_seen_exactly_as_their_visibility_allows,
    products_of_one_type_are_compared_side_by_side,
    tender_wording_downloads_as_a_real_word_document_with_must_items_first,
    the_checker_reads_procurekits_own_api_description,
);

const HSDS_30: &[u8] = include_bytes!("../fixtures/openapi/openreferral_hsds_openapi30.json");

async fn viewer(app: &TestApp, email: &str) -> Viewer {
    user_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap()
        .viewer()
}

/// A product of `supplier_email`'s organisation, made directly in the store.
async fn product(app: &TestApp, supplier_email: &str, name: &str, visibility: Visibility) -> i64 {
    let v = viewer(app, supplier_email).await;
    store::create_product(
        &app.db,
        v.org_id().unwrap(),
        v.user_id().unwrap(),
        &NewProduct {
            name,
            system_type: "housing",
            description: "A housing system",
            visibility,
        },
    )
    .await
    .unwrap()
}

async fn claim(
    app: &TestApp,
    supplier_email: &str,
    product_id: i64,
    req: &str,
    status: ClaimStatus,
) {
    let v = viewer(app, supplier_email).await;
    assert!(
        store::save_claim(
            &app.db,
            &v,
            product_id,
            &NewClaim {
                requirement_id: req,
                status,
                note: "Seeded answer",
                evidence_url: None,
                openapi_document_id: None,
            },
        )
        .await
        .unwrap()
    );
}

async fn uploads(app: &TestApp) -> i64 {
    app.db
        .scalar::<i64>("SELECT COUNT(*) FROM standards_openapi_documents", vec![])
        .await
        .unwrap()
        .unwrap()
}

/// Posts a multipart upload form (file and/or pasted text) with the page's CSRF token.
async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    form_page: &str,
    action: &str,
    file: Option<(&str, Vec<u8>)>,
    pasted: &str,
) -> reqwest::Response {
    let token = app.csrf(client, form_page).await;
    let mut form = Form::new().text("csrf_token", token);
    form = match file {
        Some((name, bytes)) => form.part("document", Part::bytes(bytes).file_name(name.to_owned())),
        None => form.part("document", Part::bytes(Vec::new()).file_name("")),
    };
    form = form.text("pasted", pasted.to_owned());
    client
        .post(app.url(action))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn a_supplier_profiles_a_product_answers_the_standard_and_uploads_its_openapi_document(
    app: TestApp,
) {
    app.supplier_org("test-supplier").await;
    let supplier = app
        .signed_in(&app.user("test-supplier", Role::SupplierUser).await)
        .await;

    // A bad form first: every mistake explained, what was typed kept, nothing saved.
    let r = app
        .post_form(
            &supplier,
            "/standards/products/new",
            "/standards/products",
            &[
                ("name", "Typed name"),
                ("system_type", "spaceships"),
                ("description", ""),
                ("visibility", "private"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Error: "));
    assert!(html.contains("Select the type of system the product is"));
    assert!(html.contains("Describe the product"));
    assert!(html.contains("value=\"Typed name\""));
    assert_eq!(
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM standards_products", vec![])
            .await
            .unwrap(),
        Some(0)
    );

    let r = app
        .post_form(
            &supplier,
            "/standards/products/new",
            "/standards/products",
            &[
                ("name", "Riverside Housing"),
                ("system_type", "housing"),
                ("description", "Tenancies, rents and repairs."),
                ("visibility", "private"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(
        to.starts_with("/standards/products/") && to.ends_with("?done=created"),
        "{to}"
    );
    let id: i64 = to["/standards/products/".len()..to.find('?').unwrap()]
        .parse()
        .unwrap();
    let page = format!("/standards/products/{id}");
    let (status, html) = app.get(&supplier, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Riverside Housing") && html.contains("Draft"));
    assert!(html.contains("Start the self-assessment"));
    // A draft is the supplier's alone.
    assert_eq!(app.get(&app.client(), &page).await.0, 404);

    // Answer one requirement and go on to the next.
    let req_page = format!("{page}/requirements/bulk-extract");
    let r = app
        .post_form(
            &supplier,
            &req_page,
            &format!("{req_page}/claim"),
            &[
                ("status", "meets"),
                ("note", "A full export at any time from the admin screens."),
                ("evidence_url", "https://docs.riverside.example/export"),
                ("then", "next"),
                ("next", "changed-since-extract"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("{page}/requirements/changed-since-extract")
    );
    let (_, html) = app.get(&supplier, &req_page).await;
    assert!(html.contains("A full export at any time from the admin screens."));
    assert!(html.contains("https://docs.riverside.example/export"));

    // Evidence rules: a "meets" needs evidence; "not applicable" needs a reason; links are web
    // addresses; citing an OpenAPI document needs one.
    for (fields, message) in [
        (vec![("status", "meets")], "Give evidence for your answer"),
        (
            vec![("status", "not_applicable")],
            "Explain why this requirement does not apply",
        ),
        (vec![], "Select whether the product meets this requirement"),
        (
            vec![
                ("status", "partly"),
                ("evidence_url", "javascript:alert(1)"),
            ],
            "Enter a web address starting with https://",
        ),
        (
            vec![("status", "meets"), ("use_openapi", "yes")],
            "Upload an OpenAPI document on the product page before citing it",
        ),
    ] {
        let auth_page = format!("{page}/requirements/authentication");
        let r = app
            .post_form(
                &supplier,
                &auth_page,
                &format!("{auth_page}/claim"),
                &fields,
            )
            .await;
        assert_eq!(r.status(), 422, "{message}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("There is a problem"));
    }

    // Upload the real HSDS 3.0 document.
    let r = upload(
        &app,
        &supplier,
        &page,
        &format!("{page}/openapi"),
        Some(("hsds.json", HSDS_30.to_vec())),
        "",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{page}/openapi?done=uploaded"));
    assert_eq!(uploads(&app).await, 1);
    let (status, html) = app.get(&supplier, &format!("{page}/openapi")).await;
    assert_eq!(status, 200);
    assert!(html.contains("HSDS OpenAPI") && html.contains("hsds.json"));
    assert!(html.contains("No authentication is declared"));
    assert!(html.contains("0 of 11 operations document their error responses."));
    assert!(
        html.contains("/paths/~1services/get/parameters/7"),
        "findings carry pointers"
    );

    // Claiming authentication while citing a document that declares none is flagged.
    let auth_page = format!("{page}/requirements/authentication");
    let r = app
        .post_form(
            &supplier,
            &auth_page,
            &format!("{auth_page}/claim"),
            &[
                ("status", "meets"),
                ("use_openapi", "yes"),
                ("then", "product"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{page}?done=claim"));
    let (_, html) = app.get(&supplier, &page).await;
    assert!(html.contains("Claim not borne out"));
    let (_, html) = app.get(&supplier, &auth_page).await;
    assert!(html.contains("the checker found nothing for it"));

    // The JSON API writes and reads the same claims.
    let r = supplier
        .put(app.url(&format!(
            "/api/v1/standards/products/{id}/claims/rate-limits"
        )))
        .json(&serde_json::json!({"status": "does_not", "note": "No limits are documented yet."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = supplier
        .put(app.url(&format!(
            "/api/v1/standards/products/{id}/claims/rate-limits"
        )))
        .json(&serde_json::json!({"status": "meets"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a 'meets' without evidence is refused");
    let detail: serde_json::Value = supplier
        .get(app.url(&format!("/api/v1/standards/products/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["name"], "Riverside Housing");
    assert_eq!(detail["scorecard"]["answered"], 3);
    let lines = detail["scorecard"]["lines"].as_array().unwrap();
    let line = |id: &str| {
        lines
            .iter()
            .find(|l| l["requirement_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(line("authentication")["contradicted"], true);
    assert_eq!(line("rate-limits")["claim"]["status"], "does_not");
    assert_eq!(line("bulk-extract")["mechanical"], "partial");
    assert_eq!(detail["openapi"]["report"]["openapi"], "3.0.0");

    // Publishing makes it public.
    let r = app
        .post_form(
            &supplier,
            &format!("{page}/edit"),
            &format!("{page}/edit"),
            &[
                ("name", "Riverside Housing"),
                ("system_type", "housing"),
                ("description", "Tenancies, rents and repairs."),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, html) = app.get(&app.client(), &page).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Draft"));
    let (status, body) = app
        .get(&app.client(), &format!("{page}/openapi/1/download"))
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\": \"3.0.0\""));
}

async fn boroughs_verify_and_dispute_claims_and_the_supplier_sees_the_dispute(app: TestApp) {
    app.supplier_org("test-supplier").await;
    app.supplier_org("other-supplier").await;
    let supplier_email = app.user("test-supplier", Role::SupplierUser).await;
    let id = product(
        &app,
        &supplier_email,
        "Riverside Housing",
        Visibility::Public,
    )
    .await;
    claim(
        &app,
        &supplier_email,
        id,
        "bulk-extract",
        ClaimStatus::Meets,
    )
    .await;
    claim(
        &app,
        &supplier_email,
        id,
        "no-extra-charge",
        ClaimStatus::Meets,
    )
    .await;

    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let hackney = app
        .signed_in(&app.user("hackney", Role::CommercialLead).await)
        .await;
    let bulk = format!("/standards/products/{id}/requirements/bulk-extract");
    let charge = format!("/standards/products/{id}/requirements/no-extra-charge");

    let (_, html) = app.get(&camden, &bulk).await;
    assert!(html.contains("Verify or dispute this answer"));
    let r = app
        .post_form(
            &camden,
            &bulk,
            &format!("{bulk}/verify"),
            &[
                ("verdict", "verified"),
                ("note", "Took a full extract in the sandbox."),
                ("visibility", "london"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // A dispute must say what was found; nothing is saved until it does.
    let r = app
        .post_form(
            &hackney,
            &charge,
            &format!("{charge}/verify"),
            &[
                ("verdict", "disputed"),
                ("note", ""),
                ("visibility", "london"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Say what you found that does not match")
    );
    let verdicts = || async {
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM standards_verifications", vec![])
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(verdicts().await, 1);
    let r = app
        .post_form(
            &hackney,
            &charge,
            &format!("{charge}/verify"),
            &[
                ("verdict", "disputed"),
                ("note", "The order form charges for an integration licence."),
                ("visibility", "london"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(verdicts().await, 2);

    // Each verdict is attributed to its borough. The supplier sees the dispute on its product.
    let supplier = app.signed_in(&supplier_email).await;
    let (_, html) = app.get(&supplier, &charge).await;
    assert!(
        html.contains("Disputed") && html.contains("London Borough of Hackney"),
        "{html}"
    );
    assert!(html.contains("The order form charges for an integration licence."));
    assert!(
        !html.contains("Verify or dispute this answer"),
        "suppliers do not verify"
    );
    let (_, html) = app
        .get(&supplier, &format!("/standards/products/{id}"))
        .await;
    assert!(html.contains("1 disputed"));
    // Suppliers cannot give verdicts.
    let r = app
        .post_form(
            &supplier,
            &charge,
            &format!("{charge}/verify"),
            &[("verdict", "verified"), ("visibility", "london")],
        )
        .await;
    assert_eq!(r.status(), 403);

    // London verdicts are not for the public or other suppliers...
    let (_, html) = app.get(&app.client(), &bulk).await;
    assert!(!html.contains("Took a full extract in the sandbox."));
    let other = app
        .signed_in(&app.user("other-supplier", Role::SupplierUser).await)
        .await;
    let (_, html) = app.get(&other, &charge).await;
    assert!(!html.contains("integration licence"));
    // ...but every London authority sees them.
    let lambeth = app
        .signed_in(&app.user("lambeth", Role::Officer).await)
        .await;
    let (_, html) = app.get(&lambeth, &charge).await;
    assert!(html.contains("integration licence"));

    // Camden changes its verdict to public: one verdict per borough, now seen by everyone.
    let r = app
        .post_form(
            &camden,
            &bulk,
            &format!("{bulk}/verify"),
            &[
                ("verdict", "verified"),
                ("note", "Took a full extract in the sandbox."),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(verdicts().await, 2);
    let (_, html) = app.get(&app.client(), &bulk).await;
    assert!(
        html.contains("Took a full extract in the sandbox.")
            && html.contains("London Borough of Camden")
    );

    // A verdict given before the supplier changed its answer is marked as such.
    claim(
        &app,
        &supplier_email,
        id,
        "bulk-extract",
        ClaimStatus::Partly,
    )
    .await;
    app.db
        .execute("UPDATE standards_claims SET updated_at = updated_at + 10 WHERE requirement_id = 'bulk-extract'", vec![])
        .await
        .unwrap();
    let (_, html) = app.get(&lambeth, &bulk).await;
    assert!(html.contains("given before the supplier last changed its answer"));
}

async fn only_the_owning_supplier_can_change_a_product(app: TestApp) {
    app.supplier_org("test-supplier").await;
    app.supplier_org("other-supplier").await;
    let owner = app.user("test-supplier", Role::SupplierUser).await;
    let published = product(&app, &owner, "Published product", Visibility::Public).await;
    let draft = product(&app, &owner, "Draft product", Visibility::Private).await;
    claim(&app, &owner, published, "bulk-extract", ClaimStatus::Meets).await;

    let other = app
        .signed_in(&app.user("other-supplier", Role::SupplierUser).await)
        .await;
    let borough = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    for (client, who) in [(&other, "another supplier"), (&borough, "a borough")] {
        for (id, expect) in [(published, 403), (draft, 404)] {
            let page = format!("/standards/products/{id}");
            assert_eq!(
                app.get(client, &format!("{page}/edit")).await.0,
                expect,
                "{who}: edit form of {id}"
            );
            let r = app
                .post_form(
                    client,
                    "/standards",
                    &format!("{page}/edit"),
                    &[
                        ("name", "Hijacked"),
                        ("system_type", "housing"),
                        ("description", "x"),
                        ("visibility", "public"),
                    ],
                )
                .await;
            assert_eq!(r.status(), expect, "{who}: edit {id}");
            let r = app
                .post_form(
                    client,
                    "/standards",
                    &format!("{page}/requirements/bulk-extract/claim"),
                    &[("status", "does_not")],
                )
                .await;
            assert_eq!(r.status(), expect, "{who}: claim on {id}");
            let r = upload(
                &app,
                client,
                "/standards",
                &format!("{page}/openapi"),
                Some(("x.json", HSDS_30.to_vec())),
                "",
            )
            .await;
            assert_eq!(r.status(), expect, "{who}: upload to {id}");
            let r = client
                .put(app.url(&format!(
                    "/api/v1/standards/products/{id}/claims/bulk-extract"
                )))
                .json(&serde_json::json!({"status": "does_not"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), expect, "{who}: API claim on {id}");
        }
    }
    // Boroughs cannot add products either.
    assert_eq!(app.get(&borough, "/standards/products/new").await.0, 403);
    // Signed out: sent to sign in; the API says 401.
    let anon = app.client();
    let r = app
        .post_form(
            &anon,
            "/sign-in",
            &format!("/standards/products/{published}/edit"),
            &[("name", "x")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/sign-in"));
    let r = anon
        .put(app.url(&format!(
            "/api/v1/standards/products/{published}/claims/bulk-extract"
        )))
        .json(&serde_json::json!({"status": "does_not"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Nothing changed.
    let names: Vec<String> = app
        .db
        .fetch_all::<(String,)>("SELECT name FROM standards_products ORDER BY id", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(names, ["Published product", "Draft product"]);
    let status: Option<String> = app
        .db
        .scalar(
            "SELECT status FROM standards_claims WHERE requirement_id = 'bulk-extract'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status.as_deref(), Some("meets"));
    assert_eq!(uploads(&app).await, 0);
}

async fn bad_openapi_uploads_are_refused_with_clear_messages_and_nothing_is_saved(app: TestApp) {
    app.supplier_org("test-supplier").await;
    let email = app.user("test-supplier", Role::SupplierUser).await;
    let id = product(&app, &email, "Riverside Housing", Visibility::Public).await;
    let supplier = app.signed_in(&email).await;
    let page = format!("/standards/products/{id}");
    let action = format!("{page}/openapi");
    let too_large = {
        let mut v =
            b"openapi: 3.1.0\ninfo: {title: big, version: '1'}\npaths: {}\nx-padding: \"".to_vec();
        v.extend(std::iter::repeat_n(
            b'a',
            procurekit::standards::openapi::MAX_DOCUMENT_BYTES,
        ));
        v.extend(b"\"\n");
        v
    };
    type Case<'a> = (&'a str, Option<(&'a str, Vec<u8>)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        ("nothing chosen", None, "", "Choose an OpenAPI document"),
        (
            "not OpenAPI",
            Some((
                "package.json",
                br#"{"name": "left-pad", "version": "1.3.0"}"#.to_vec(),
            )),
            "",
            "it has no top-level",
        ),
        (
            "Swagger 2",
            Some((
                "swagger.json",
                br#"{"swagger": "2.0", "info": {}}"#.to_vec(),
            )),
            "",
            "This is a Swagger 2.0 document",
        ),
        (
            "malformed YAML",
            None,
            "openapi: 3.1.0\ninfo:\n  title: [unclosed\n  version: 1\n",
            "The YAML is not valid at line",
        ),
        (
            "malformed JSON",
            Some((
                "api.json",
                b"{\n  \"openapi\": \"3.1.0\",\n  \"info\": {,}\n}".to_vec(),
            )),
            "",
            "The JSON is not valid at line 3, column 12",
        ),
        (
            "a PDF",
            Some(("spec.pdf", b"%PDF-1.7\n\xff\xfe\x00\x01".to_vec())),
            "",
            "The file is not a text file",
        ),
        (
            "too large",
            Some(("huge.yaml", too_large)),
            "",
            "the largest the checker accepts is 2 MB",
        ),
    ];
    for (what, file, pasted, message) in cases {
        let r = upload(&app, &supplier, &page, &action, file, pasted).await;
        assert_eq!(r.status(), 422, "{what}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{what}: {message}");
        assert!(
            html.contains("There is a problem") && html.contains("<title>Error: "),
            "{what}"
        );
        assert_eq!(uploads(&app).await, 0, "{what}: nothing saved");
    }
    // A pasted document that fails keeps what was pasted, to fix.
    let r = upload(
        &app,
        &supplier,
        &page,
        &action,
        None,
        "openapi: 3.1.0\npaths: [\n",
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("paths: ["));
    // A forged form is refused before anything is read.
    let form = Form::new().text("csrf_token", "forged").part(
        "document",
        Part::bytes(HSDS_30.to_vec()).file_name("x.json"),
    );
    let r = supplier
        .post(app.url(&action))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(uploads(&app).await, 0);

    // The standalone checker says the same, to anyone, and never stores.
    let anon = app.client();
    let r = upload(
        &app,
        &anon,
        "/standards/checker",
        "/standards/checker",
        None,
        "openapi: 3.1.0\ninfo:\n  title: [unclosed\n",
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The YAML is not valid at line")
    );
    let r = upload(
        &app,
        &anon,
        "/standards/checker",
        "/standards/checker",
        Some(("hsds.json", HSDS_30.to_vec())),
        "",
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nothing you uploaded has been kept") && html.contains("HSDS OpenAPI"));
    assert_eq!(uploads(&app).await, 0);

    // And the API: a problem document with the line and column.
    let r = anon
        .post(app.url("/api/v1/standards/openapi/check"))
        .body("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {,}\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("line 3, column 12"),
        "{problem}"
    );
    let r = anon
        .post(app.url("/api/v1/standards/openapi/check"))
        .body(HSDS_30.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["summary"]["operations"], 11);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    OwnerSupplier,
    OtherSupplier,
    VerdictBorough,
    OtherBorough,
    Convenor,
}

impl Who {
    const ALL: [Who; 6] = [
        Who::Anonymous,
        Who::OwnerSupplier,
        Who::OtherSupplier,
        Who::VerdictBorough,
        Who::OtherBorough,
        Who::Convenor,
    ];

    /// Products: drafts (private) are the supplier's; published (public) ones are anyone's.
    fn sees_product(self, v: Visibility) -> bool {
        match v {
            Visibility::Public => true,
            Visibility::London => !matches!(self, Who::Anonymous | Who::OtherSupplier),
            Visibility::Private => self == Who::OwnerSupplier,
        }
    }

    /// Verdicts on a product the viewer can see: london ones for London members, the borough
    /// that gave them and the product's supplier; public ones for everyone.
    fn sees_verdict(self, v: Visibility) -> bool {
        match v {
            Visibility::Public => true,
            _ => !matches!(self, Who::Anonymous | Who::OtherSupplier),
        }
    }
}

async fn product_profiles_and_verdicts_are_seen_exactly_as_their_visibility_allows(app: TestApp) {
    app.supplier_org("test-supplier").await;
    app.supplier_org("other-supplier").await;
    let owner = app.user("test-supplier", Role::SupplierUser).await;
    let camden_email = app.user("camden", Role::Officer).await;
    let camden = viewer(&app, &camden_email).await;
    let mut products = Vec::new();
    for v in Visibility::ALL {
        let id = product(&app, &owner, &format!("Product {v}"), v).await;
        claim(&app, &owner, id, "bulk-extract", ClaimStatus::Meets).await;
        claim(&app, &owner, id, "sandbox", ClaimStatus::Meets).await;
        // Camden's verdicts: london on one claim, public on the other.
        for (req, vis) in [
            ("bulk-extract", Visibility::London),
            ("sandbox", Visibility::Public),
        ] {
            assert!(
                store::save_verification(
                    &app.db,
                    &camden,
                    id,
                    &store::NewVerification {
                        requirement_id: req,
                        verdict: Verdict::Disputed,
                        note: &format!("Camden {vis} verdict on product {v}"),
                        visibility: vis,
                    },
                )
                .await
                .unwrap()
            );
        }
        products.push((id, v));
    }
    for who in Who::ALL {
        let client = match who {
            Who::Anonymous => app.client(),
            Who::OwnerSupplier => app.signed_in(&owner).await,
            Who::OtherSupplier => {
                app.signed_in(&app.user("other-supplier", Role::SupplierUser).await)
                    .await
            }
            Who::VerdictBorough => app.signed_in(&camden_email).await,
            Who::OtherBorough => {
                app.signed_in(&app.user("hackney", Role::Officer).await)
                    .await
            }
            Who::Convenor => {
                app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                    .await
            }
        };
        let (_, list) = app.get(&client, "/standards/products").await;
        let api_list: Vec<serde_json::Value> = client
            .get(app.url("/api/v1/standards/products"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (id, v) in &products {
            let ctx = format!("{who:?} × product {v}");
            let sees = who.sees_product(*v);
            for path in [
                format!("/standards/products/{id}"),
                format!("/standards/products/{id}/requirements/bulk-extract"),
                format!("/api/v1/standards/products/{id}"),
            ] {
                let status = client
                    .get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(status, if sees { 200 } else { 404 }, "{ctx}: GET {path}");
            }
            assert_eq!(
                list.contains(&format!("Product {v}<")),
                sees,
                "{ctx}: list page"
            );
            assert_eq!(
                api_list.iter().any(|p| p["id"] == *id),
                sees,
                "{ctx}: API list"
            );
            if !sees {
                continue;
            }
            for (req, vis) in [
                ("bulk-extract", Visibility::London),
                ("sandbox", Visibility::Public),
            ] {
                let note = format!("Camden {vis} verdict on product {v}");
                let (_, html) = app
                    .get(
                        &client,
                        &format!("/standards/products/{id}/requirements/{req}"),
                    )
                    .await;
                assert_eq!(
                    html.contains(&note),
                    who.sees_verdict(vis),
                    "{ctx}: {vis} verdict page"
                );
                let detail: serde_json::Value = client
                    .get(app.url(&format!("/api/v1/standards/products/{id}")))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_eq!(
                    detail.to_string().contains(&note),
                    who.sees_verdict(vis),
                    "{ctx}: {vis} verdict in the API"
                );
            }
        }
    }
}

async fn products_of_one_type_are_compared_side_by_side(app: TestApp) {
    app.supplier_org("test-supplier").await;
    app.supplier_org("other-supplier").await;
    let a = app.user("test-supplier", Role::SupplierUser).await;
    let b = app.user("other-supplier", Role::SupplierUser).await;
    let pa = product(&app, &a, "Alpha Housing", Visibility::Public).await;
    let pb = product(&app, &b, "Beta Housing", Visibility::Public).await;
    product(&app, &b, "Beta Draft", Visibility::Private).await;
    claim(&app, &a, pa, "bulk-extract", ClaimStatus::Meets).await;
    claim(&app, &b, pb, "bulk-extract", ClaimStatus::DoesNot).await;
    let client = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    let (status, html) = app.get(&client, "/standards/compare?type=housing").await;
    assert_eq!(status, 200);
    assert!(html.contains("Alpha Housing") && html.contains("Beta Housing"));
    assert!(!html.contains("Beta Draft"), "drafts are not compared");
    assert!(html.contains("Meets") && html.contains("Does not meet"));
    let (_, html) = app.get(&client, "/standards/compare?type=parking").await;
    assert!(html.contains("No product profiles of this type"));
    let (_, html) = app.get(&client, "/standards/products?type=housing").await;
    assert!(html.contains("Alpha Housing") && html.contains("Compare these products side by side"));
}

fn docx_paragraphs(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    for part in ["[Content_Types].xml", "_rels/.rels", "word/styles.xml"] {
        let mut xml = String::new();
        zip.by_name(part)
            .unwrap_or_else(|_| panic!("{part}"))
            .read_to_string(&mut xml)
            .unwrap();
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{part}: {e}"));
    }
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("document.xml is well-formed");
    let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    doc.descendants()
        .filter(|n| n.has_tag_name((w, "p")))
        .map(|p| {
            p.descendants()
                .filter(|n| n.has_tag_name((w, "t")))
                .filter_map(|n| n.text())
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

async fn tender_wording_downloads_as_a_real_word_document_with_must_items_first(app: TestApp) {
    let client = app.client();
    let (status, html) = app.get(&client, "/standards/tender").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"bulk-extract\" checked"),
        "everything is ticked to start"
    );

    let q = "/standards/tender?generate=1&type=housing&requirement=rate-limits&requirement=sandbox&requirement=bulk-extract&requirement=no-extra-charge";
    let r = client
        .get(app.url(&format!("{q}&format=docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("data-api-requirements-housing-") && disposition.ends_with(".docx\"")
    );
    let paras = docx_paragraphs(&r.bytes().await.unwrap());
    let at = |text: &str| {
        paras
            .iter()
            .position(|p| p.starts_with(text))
            .unwrap_or_else(|| panic!("{text} in {paras:#?}"))
    };
    assert_eq!(
        paras[0],
        "Data access and API requirements: Housing management system"
    );
    assert!(at("M1. A full bulk extract") < at("M2. No extra charge"));
    assert!(at("M2. No extra charge") < at("S1. Documented rate limits"));
    assert!(at("S1. Documented rate limits") < at("S2. A test environment"));
    assert!(
        paras
            .iter()
            .any(|p| p.contains("held in the housing management system"))
    );
    assert!(!paras.iter().any(|p| p.contains("{system}")));

    let r = client
        .get(app.url(&format!("{q}&format=md")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = r.text().await.unwrap();
    assert!(md.starts_with("# Data access and API requirements: Housing management system"));

    let (status, html) = app.get(&client, &format!("{q}&format=preview")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"preview\"") && html.contains("M1. A full bulk extract"));

    // Nothing chosen: both mistakes explained, on a 422.
    let (status, html) = app
        .get(&client, "/standards/tender?generate=1&type=&format=docx")
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("Select the type of system you are buying"));
    assert!(html.contains("Select at least one requirement"));

    let wording: serde_json::Value = client
        .get(app.url("/api/v1/standards/tender?type=service-directory&requirement=open-standards"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        wording["markdown"]
            .as_str()
            .unwrap()
            .contains("Open Referral UK")
    );
    let r = client
        .get(app.url("/api/v1/standards/tender?type=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

async fn the_checker_reads_procurekits_own_api_description(app: TestApp) {
    let client = app.client();
    let doc = client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        doc.windows(b"/api/v1/standards/products/{id}".len())
            .any(|w| w == b"/api/v1/standards/products/{id}"),
        "the standards API is described"
    );
    let report =
        procurekit::standards::openapi::check_bytes(&doc).expect("our own document parses");
    use procurekit::standards::openapi::{CheckId, Outcome};
    let outcome = |c: CheckId| report.check(c).unwrap().outcome;
    // The bearer token scheme is declared; most reads are also open without one.
    assert_ne!(outcome(CheckId::Authentication), Outcome::Fail);
    assert_eq!(outcome(CheckId::WriteAccess), Outcome::Pass);
    assert_eq!(
        outcome(CheckId::SchemaCoverage),
        Outcome::Pass,
        "{:?}",
        report.check(CheckId::SchemaCoverage)
    );
    let (status, html) = app.get(&client, "/standards").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Every significant business function is available through a documented API")
    );
}
